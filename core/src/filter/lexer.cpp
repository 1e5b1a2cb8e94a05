// Display filter tokens, as Wireshark 4.0's scanner (epan/dfilter/scanner.l) splits them:
// operators in symbol and word form, quoted strings with C escapes, raw strings r"...",
// character constants, and unquoted words that the compiler later reads as a field name or
// as a value of the field's type (80, 10.0.0.0/8, fe80::1, aa:bb:cc, GET).
#include <cctype>

#include "filter_impl.hpp"

namespace wirelab::filter_impl {

namespace {

struct Keyword {
    std::string_view word;
    Tok tok;
};
constexpr Keyword kKeywords[] = {
    {"and", Tok::kw_and},       {"or", Tok::kw_or},           {"not", Tok::kw_not},
    {"in", Tok::kw_in},         {"any", Tok::kw_any},         {"all", Tok::kw_all},
    {"eq", Tok::eq},            {"ne", Tok::ne},              {"all_eq", Tok::all_eq},
    {"any_ne", Tok::any_ne},    {"lt", Tok::lt},              {"le", Tok::le},
    {"gt", Tok::gt},            {"ge", Tok::ge},              {"contains", Tok::contains},
    {"matches", Tok::matches},  {"bitwise_and", Tok::bitand_},
};

// Symbol operators, longest first so that "!==" is not read as "!=" then "=".
struct Symbol {
    std::string_view text;
    Tok tok;
};
constexpr Symbol kSymbols[] = {
    {"===", Tok::all_eq}, {"!==", Tok::any_ne}, {"==", Tok::eq},     {"!=", Tok::ne},     {"~=", Tok::any_ne},
    {"<=", Tok::le},      {">=", Tok::ge},      {"&&", Tok::kw_and}, {"||", Tok::kw_or},  {"..", Tok::dotdot},
    {"<", Tok::lt},       {">", Tok::gt},       {"~", Tok::matches}, {"&", Tok::bitand_}, {"!", Tok::kw_not},
    {"(", Tok::lparen},   {")", Tok::rparen},   {"{", Tok::lbrace},  {"}", Tok::rbrace},  {"[", Tok::lbracket},
    {"]", Tok::rbracket}, {",", Tok::comma},    {"#", Tok::hash},
};

bool is_word_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == ':' || c == '-' || c == '/';
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xc0 | cp >> 6);
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xe0 | cp >> 12);
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
        out += static_cast<char>(0xf0 | cp >> 18);
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    }
}

// Reads one escape sequence starting at the backslash `s[i]`; appends what it stands for.
// Returns the index after it, or 0 with `why` set if it is not a valid escape.
std::size_t unescape_one(std::string_view s, std::size_t i, std::string& out, std::string& why) {
    if (i + 1 >= s.size()) {
        why = "a backslash ends the string";
        return 0;
    }
    char c = s[i + 1];
    switch (c) {
        case '\\': out += '\\'; return i + 2;
        case '"': out += '"'; return i + 2;
        case '\'': out += '\''; return i + 2;
        case 'a': out += '\a'; return i + 2;
        case 'b': out += '\b'; return i + 2;
        case 'f': out += '\f'; return i + 2;
        case 'n': out += '\n'; return i + 2;
        case 'r': out += '\r'; return i + 2;
        case 't': out += '\t'; return i + 2;
        case 'v': out += '\v'; return i + 2;
        case 'x': {
            std::size_t j = i + 2;
            int v = 0, digits = 0;
            for (; j < s.size() && digits < 2 && hex_value(s[j]) >= 0; ++j, ++digits) v = v * 16 + hex_value(s[j]);
            if (digits == 0) {
                why = "\\x needs one or two hex digits";
                return 0;
            }
            out += static_cast<char>(v);
            return j;
        }
        case 'u':
        case 'U': {
            int want = c == 'u' ? 4 : 8;
            std::size_t j = i + 2;
            std::uint32_t v = 0;
            for (int k = 0; k < want; ++k, ++j) {
                if (j >= s.size() || hex_value(s[j]) < 0) {
                    why = std::string("\\") + c + " needs " + std::to_string(want) + " hex digits";
                    return 0;
                }
                v = v * 16 + static_cast<std::uint32_t>(hex_value(s[j]));
            }
            if (v > 0x10ffff) {
                why = "\\U names no Unicode character";
                return 0;
            }
            append_utf8(out, v);
            return j;
        }
        default:
            if (c >= '0' && c <= '7') {
                std::size_t j = i + 1;
                int v = 0, digits = 0;
                for (; j < s.size() && digits < 3 && s[j] >= '0' && s[j] <= '7'; ++j, ++digits)
                    v = v * 8 + (s[j] - '0');
                if (v > 0xff) {
                    why = "an octal escape above \\377";
                    return 0;
                }
                out += static_cast<char>(v);
                return j;
            }
            why = std::string("\\") + c + " is not a valid escape sequence (write \\\\ for a backslash)";
            return 0;
    }
}

}  // namespace

FilterError error_at(std::string_view text, std::size_t pos, std::size_t len, std::string message) {
    // Columns count characters, not bytes, so that the marker lines up under UTF-8 text.
    auto chars = [&](std::size_t from, std::size_t to) {
        std::size_t n = 0;
        for (std::size_t i = from; i < to && i < text.size(); ++i)
            if ((static_cast<unsigned char>(text[i]) & 0xc0) != 0x80) ++n;
        return n;
    };
    FilterError e;
    e.column = chars(0, pos) + 1;
    e.length = pos >= text.size() ? 1 : std::max<std::size_t>(1, chars(pos, pos + len));
    e.message = std::move(message);
    return e;
}

bool lex(std::string_view text, std::vector<Token>& out, FilterError& err) {
    out.clear();
    std::size_t i = 0;
    while (true) {
        while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
        if (i >= text.size()) break;
        Token t;
        t.pos = i;
        char c = text[i];

        // Quoted strings: "..." with escapes, r"..." raw (a backslash stays a backslash).
        bool raw = (c == 'r' || c == 'R') && i + 1 < text.size() && text[i + 1] == '"';
        if (c == '"' || raw) {
            std::size_t j = i + (raw ? 2 : 1);
            t.kind = Tok::string;
            bool closed = false;
            while (j < text.size()) {
                if (text[j] == '"') {
                    closed = true;
                    ++j;
                    break;
                }
                if (text[j] == '\\') {
                    if (raw) {
                        // A raw string may still hold \" without ending.
                        t.text += '\\';
                        if (j + 1 < text.size()) t.text += text[j + 1];
                        j += 2;
                        continue;
                    }
                    std::string why;
                    std::size_t next = unescape_one(text, j, t.text, why);
                    if (!next) {
                        err = error_at(text, j, 2, why);
                        return false;
                    }
                    j = next;
                    continue;
                }
                t.text += text[j++];
            }
            if (!closed) {
                err = error_at(text, i, 1, "the string that starts here has no closing '\"'");
                return false;
            }
            t.len = j - i;
            out.push_back(std::move(t));
            i = j;
            continue;
        }

        // Character constants: 'a', '\n', '\x41' (a number: tcp.port == 'P').
        if (c == '\'') {
            std::size_t j = i + 1;
            std::string v;
            if (j < text.size() && text[j] == '\\') {
                std::string why;
                std::size_t next = unescape_one(text, j, v, why);
                if (!next) {
                    err = error_at(text, j, 2, why);
                    return false;
                }
                j = next;
            } else if (j < text.size() && text[j] != '\'') {
                v += text[j++];
            }
            if (j >= text.size() || text[j] != '\'' || v.size() != 1) {
                err = error_at(text, i, j - i + 1, "a character constant holds one character: 'a' or '\\n'");
                return false;
            }
            t.kind = Tok::charconst;
            t.text = std::move(v);
            t.len = j + 1 - i;
            out.push_back(std::move(t));
            i = j + 1;
            continue;
        }

        if (is_word_char(c)) {
            std::size_t j = i;
            // ".." separates the ends of a range ({1..10}); no word holds two dots in a row.
            while (j < text.size() && is_word_char(text[j]) &&
                   !(text[j] == '.' && j + 1 < text.size() && text[j + 1] == '.'))
                ++j;
            if (j > i) {
                t.kind = Tok::word;
                t.text = std::string(text.substr(i, j - i));
                t.len = j - i;
                for (const Keyword& k : kKeywords)
                    if (k.word == t.text) t.kind = k.tok;
                out.push_back(std::move(t));
                i = j;
                continue;
            }
        }

        bool found = false;
        for (const Symbol& s : kSymbols) {
            if (text.substr(i, s.text.size()) == s.text) {
                t.kind = s.tok;
                t.len = s.text.size();
                t.text = std::string(s.text);
                found = true;
                break;
            }
        }
        if (!found) {
            std::string msg;
            if (c == '=')
                msg = "'=' is not an operator: write '==' to compare";
            else if (c == '|')
                msg = "'|' is not an operator: write '||' or 'or'";
            else if (c == '$')
                msg = "field references (${...}) belong to Wireshark's GUI; a filter here compares with values";
            else if (c == '^')
                msg = "'^' is not an operator in Wireshark 4.0 filters (no xor)";
            else if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f)
                msg = "unexpected character";
            else
                msg = std::string("unexpected character '") + c + "'";
            err = error_at(text, i, 1, msg);
            return false;
        }
        i += t.len;
        out.push_back(std::move(t));
    }
    Token end;
    end.kind = Tok::end;
    end.pos = text.size();
    out.push_back(std::move(end));
    return true;
}

}  // namespace wirelab::filter_impl
