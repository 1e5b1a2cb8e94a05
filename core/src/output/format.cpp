// Value text: what `tshark -T fields` prints for each field type, and the -V tree lines.
#include "wirelab/format.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "wirelab/decoder.hpp"

namespace wirelab {

namespace {
constexpr char kHex[] = "0123456789abcdef";

int type_hex_digits(FieldType t) {
    switch (t) {
        case FieldType::u8: return 2;
        case FieldType::u16: return 4;
        case FieldType::u24: return 6;
        case FieldType::u32:
        case FieldType::i32:
        case FieldType::framenum: return 8;
        case FieldType::u64: return 16;
        default: return 8;
    }
}

int type_bits(FieldType t) { return type_hex_digits(t) * 4; }

Bytes node_bytes(const Tree& tree, const Frame& frame, const Node& n) {
    Bytes src = source_bytes(tree, frame, n.source);
    if (n.offset > src.size()) return {};
    std::size_t len = std::min<std::size_t>(n.length, src.size() - n.offset);
    return src.subspan(n.offset, len);
}

// Bytes are tested eight at a time in a 64-bit word for the runs of text that need no escape
// (the HTTP bodies and WebSocket texts that -V and JSON show are thousands of bytes). With
// kOnes * c holding c in every byte, these are nonzero exactly when some byte of x is below n,
// above n, or equal to c ("Determine if a word has a byte less than n" and the two after it in
// Sean Anderson's Bit Twiddling Hacks; valid for n up to 127).
constexpr std::uint64_t kOnes = 0x0101010101010101ull;
constexpr std::uint64_t kHighBits = 0x8080808080808080ull;
std::uint64_t has_byte_below(std::uint64_t x, std::uint8_t n) { return (x - kOnes * n) & ~x & kHighBits; }
std::uint64_t has_byte_above(std::uint64_t x, std::uint8_t n) { return ((x + kOnes * (127 - n)) | x) & kHighBits; }
std::uint64_t has_byte(std::uint64_t x, std::uint8_t c) { return has_byte_below(x ^ (kOnes * c), 1); }

std::uint64_t load8(const std::uint8_t* p) {
    std::uint64_t x;
    std::memcpy(&x, p, sizeof x);  // any alignment; the same value whatever the byte order
    return x;
}

bool printable(std::uint8_t c) { return c >= 0x20 && c < 0x7f; }

// How many bytes at the start of p[0..n) are printable ASCII (0x20 to 0x7e).
std::size_t printable_run(const std::uint8_t* p, std::size_t n) {
    std::size_t i = 0;
    while (i + 8 <= n) {
        std::uint64_t x = load8(p + i);
        if (has_byte_below(x, 0x20) | has_byte_above(x, 0x7e)) break;
        i += 8;
    }
    while (i < n && printable(p[i])) ++i;
    return i;
}

// JSON (RFC 8259 section 7) escapes the quote, the backslash and control characters; wirelab
// also escapes DEL. Other bytes, UTF-8 included, are copied as they are.
bool json_plain(std::uint8_t c) { return c >= 0x20 && c != '"' && c != '\\' && c != 0x7f; }

// How many bytes at the start of p[0..n) a JSON string holds without an escape.
std::size_t json_plain_run(const std::uint8_t* p, std::size_t n) {
    std::size_t i = 0;
    while (i + 8 <= n) {
        std::uint64_t x = load8(p + i);
        if (has_byte_below(x, 0x20) | has_byte(x, '"') | has_byte(x, '\\') | has_byte(x, 0x7f)) break;
        i += 8;
    }
    while (i < n && json_plain(p[i])) ++i;
    return i;
}

bool is_integer(FieldType t) {
    switch (t) {
        case FieldType::u8:
        case FieldType::u16:
        case FieldType::u24:
        case FieldType::u32:
        case FieldType::u64:
        case FieldType::i32:
        case FieldType::framenum: return true;
        default: return false;
    }
}
}  // namespace

void append_uint(std::string& out, std::uint64_t v) {
    char buf[24];
    // std::to_chars writes two digits a step from a table: half the divisions of a loop
    // that takes one digit at a time.
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    (void)ec;  // 24 characters hold any 64-bit number
    out.append(buf, static_cast<std::size_t>(end - buf));
}

// The helpers below build text in a local buffer and append it once: std::string's
// push_back is not inlined (libstdc++ instantiates it out of line), and -V calls them for
// every field of every packet.
void append_hex(std::string& out, std::uint64_t v, int digits) {
    char buf[20];
    buf[0] = '0';
    buf[1] = 'x';
    if (digits > 16) digits = 16;
    for (int i = 0; i < digits; ++i) buf[2 + i] = kHex[(v >> ((digits - 1 - i) * 4)) & 0xf];
    out.append(buf, 2 + static_cast<std::size_t>(digits));
}

// The decimal text of every byte value, 4 characters each ("127" then its length): an IPv4
// address is four copies from this table, with no division (summary lines show two a packet).
constexpr std::array<std::array<char, 4>, 256> kByteDecimal = [] {
    std::array<std::array<char, 4>, 256> t{};
    for (unsigned v = 0; v < 256; ++v) {
        std::size_t n = 0;
        if (v >= 100) t[v][n++] = static_cast<char>('0' + v / 100);
        if (v >= 10) t[v][n++] = static_cast<char>('0' + v / 10 % 10);
        t[v][n++] = static_cast<char>('0' + v % 10);
        t[v][3] = static_cast<char>(n);
    }
    return t;
}();

void append_ipv4(std::string& out, const std::uint8_t* p) {
    char buf[16];
    std::size_t n = 0;
    for (int i = 0; i < 4; ++i) {
        if (i) buf[n++] = '.';
        const std::array<char, 4>& d = kByteDecimal[p[i]];
        std::memcpy(buf + n, d.data(), 3);  // 3 always fit: n <= 12 here
        n += static_cast<std::size_t>(d[3]);
    }
    out.append(buf, n);
}

// RFC 5952 text: lowercase, leading zeros dropped, the longest run (>= 2) of zero groups as
// "::", and IPv4-mapped/compatible forms the way Wireshark prints them.
void append_ipv6(std::string& out, const std::uint8_t* p) {
    std::uint16_t g[8];
    for (int i = 0; i < 8; ++i) g[i] = static_cast<std::uint16_t>(p[2 * i] << 8 | p[2 * i + 1]);
    int best = -1, best_len = 0;
    for (int i = 0; i < 8;) {
        if (g[i] != 0) {
            ++i;
            continue;
        }
        int j = i;
        while (j < 8 && g[j] == 0) ++j;
        if (j - i > best_len) {
            best = i;
            best_len = j - i;
        }
        i = j;
    }
    if (best_len < 2) best = -1;
    // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible, not ::1 / ::) print the IPv4 part.
    bool mapped = best == 0 && best_len == 5 && g[5] == 0xffff;
    bool compat = best == 0 && best_len == 6 && (g[6] != 0 || g[7] > 1) && g[6] != 0;
    for (int i = 0; i < 8; ++i) {
        if (i == best) {
            out += "::";
            i += best_len - 1;
            continue;
        }
        if ((mapped || compat) && i == 6) {
            if (mapped) out += ':';  // "::ffff:" then the IPv4 part
            append_ipv4(out, p + 12);
            break;
        }
        if (i != 0 && i != best + best_len) out += ':';
        // The group in hex without leading zeros.
        char buf[4];
        int n = 0;
        for (int shift = 12; shift >= 0; shift -= 4)
            if (n || (g[i] >> shift) != 0 || shift == 0) buf[n++] = kHex[(g[i] >> shift) & 0xf];
        out.append(buf, static_cast<std::size_t>(n));
    }
}

void append_ether(std::string& out, const std::uint8_t* p) {
    char buf[17];
    for (int i = 0; i < 6; ++i) {
        buf[i * 3] = kHex[p[i] >> 4];
        buf[i * 3 + 1] = kHex[p[i] & 0xf];
        if (i < 5) buf[i * 3 + 2] = ':';
    }
    out.append(buf, 17);
}

// "YYYY-MM-DD HH:MM:SS.nnnnnnnnn UTC" from nanoseconds since 1970, without gmtime/strftime
// (days to a civil date: H. Hinnant, "chrono-Compatible Low-Level Date Algorithms").
void append_utc(std::string& out, std::int64_t ns) {
    std::int64_t secs = ns / 1'000'000'000, frac = ns % 1'000'000'000;
    if (frac < 0) {
        frac += 1'000'000'000;
        --secs;
    }
    std::int64_t days = secs / 86400, rem = secs % 86400;
    if (rem < 0) {
        rem += 86400;
        --days;
    }
    std::int64_t z = days + 719468;
    std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    std::int64_t doe = z - era * 146097;
    std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    std::int64_t y = yoe + era * 400;
    std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    std::int64_t mp = (5 * doy + 2) / 153;
    std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
    std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2) ++y;
    auto two = [&](std::int64_t v) {
        out += static_cast<char>('0' + v / 10);
        out += static_cast<char>('0' + v % 10);
    };
    if (y < 1000) out.append(y < 10 ? "000" : y < 100 ? "00" : "0");
    append_uint(out, static_cast<std::uint64_t>(y));
    out += '-';
    two(m);
    out += '-';
    two(d);
    out += ' ';
    two(rem / 3600);
    out += ':';
    two(rem / 60 % 60);
    out += ':';
    two(rem % 60);
    out += '.';
    char buf[9];
    auto f = static_cast<std::uint32_t>(frac);
    for (int i = 8; i >= 0; --i, f /= 10) buf[i] = static_cast<char>('0' + f % 10);
    out.append(buf, 9);
    out += " UTC";
}

void append_address(std::string& out, const Address& a) {
    switch (a.kind) {
        case Address::Kind::ether: append_ether(out, a.bytes.data()); break;
        case Address::Kind::ipv4: append_ipv4(out, a.bytes.data()); break;
        case Address::Kind::ipv6: append_ipv6(out, a.bytes.data()); break;
        case Address::Kind::none: break;
    }
}

void append_seconds(std::string& out, std::int64_t ns, int decimals) {
    if (ns < 0) {
        out += '-';
        ns = -ns;
    }
    append_uint(out, static_cast<std::uint64_t>(ns / 1'000'000'000));
    if (decimals <= 0) return;
    out += '.';
    // The nine digits of the fraction, of which the first `decimals` are shown.
    char buf[9];
    auto frac = static_cast<std::uint32_t>(ns % 1'000'000'000);
    for (int i = 8; i >= 0; --i, frac /= 10) buf[i] = static_cast<char>('0' + frac % 10);
    out.append(buf, static_cast<std::size_t>(std::min(decimals, 9)));
}

void append_json_string(std::string& out, std::string_view s) {
    out += '"';
    const auto* p = reinterpret_cast<const std::uint8_t*>(s.data());
    std::size_t n = s.size();
    while (n > 0) {
        // Text that needs no escape is copied whole; then the escapes, into a buffer appended once.
        std::size_t run = json_plain_run(p, n);
        out.append(reinterpret_cast<const char*>(p), run);
        p += run;
        n -= run;
        char buf[96];
        std::size_t k = 0;
        for (; n > 0 && !json_plain(*p) && k + 6 <= sizeof buf; ++p, --n) {
            std::uint8_t c = *p;
            buf[k++] = '\\';
            switch (c) {
                case '"': buf[k++] = '"'; break;
                case '\\': buf[k++] = '\\'; break;
                case '\n': buf[k++] = 'n'; break;
                case '\r': buf[k++] = 'r'; break;
                case '\t': buf[k++] = 't'; break;
                default:  // \u00XX
                    buf[k++] = 'u';
                    buf[k++] = '0';
                    buf[k++] = '0';
                    buf[k++] = kHex[c >> 4];
                    buf[k++] = kHex[c & 0xf];
            }
        }
        out.append(buf, k);
    }
    out += '"';
}

void append_field_value(std::string& out, const Tree& tree, const Frame& frame, const Node& n) {
    const FieldDef& f = *n.field;
    if (n.flags & kHasText) {
        out += tree.text_of(n);
        return;
    }
    switch (f.type) {
        case FieldType::none:
        case FieldType::protocol: return;
        case FieldType::boolean: out += n.value ? '1' : '0'; return;
        case FieldType::i32: {
            auto v = static_cast<std::int32_t>(n.value);
            if (v < 0) {
                out += '-';
                append_uint(out, static_cast<std::uint64_t>(-static_cast<std::int64_t>(v)));
            } else {
                append_uint(out, static_cast<std::uint64_t>(v));
            }
            return;
        }
        case FieldType::u8:
        case FieldType::u16:
        case FieldType::u24:
        case FieldType::u32:
        case FieldType::u64:
        case FieldType::framenum:
            if (f.base == Base::hex || f.base == Base::hex_dec)
                append_hex(out, n.value, type_hex_digits(f.type));
            else if (f.base == Base::oct) {
                char buf[24];
                int k = std::snprintf(buf, sizeof buf, "0%llo", static_cast<unsigned long long>(n.value));
                out.append(buf, static_cast<std::size_t>(k));
            } else
                append_uint(out, n.value);
            return;
        case FieldType::reltime:
        case FieldType::abstime: append_seconds(out, static_cast<std::int64_t>(n.value), 9); return;
        case FieldType::ether: {
            Bytes b = node_bytes(tree, frame, n);
            if (b.size() >= 6) append_ether(out, b.data());
            return;
        }
        case FieldType::ipv4: {
            Bytes b = node_bytes(tree, frame, n);
            if (b.size() >= 4) append_ipv4(out, b.data());
            return;
        }
        case FieldType::ipv6: {
            Bytes b = node_bytes(tree, frame, n);
            if (b.size() >= 16) append_ipv6(out, b.data());
            return;
        }
        case FieldType::bytes: {
            Bytes b = node_bytes(tree, frame, n);
            std::size_t at = out.size();
            out.resize(at + b.size() * 2);
            for (std::size_t i = 0; i < b.size(); ++i) {
                out[at + 2 * i] = kHex[b[i] >> 4];
                out[at + 2 * i + 1] = kHex[b[i] & 0xf];
            }
            return;
        }
        case FieldType::string: {
            Bytes b = node_bytes(tree, frame, n);
            out.append(reinterpret_cast<const char*>(b.data()), b.size());
            return;
        }
    }
}

void append_display_value(std::string& out, const Tree& tree, const Frame& frame, const Node& n) {
    const FieldDef& f = *n.field;
    if (!(n.flags & kHasText) && f.type == FieldType::boolean) {
        std::string_view name = value_name(f, n.value ? 1 : 0);
        out += name.empty() ? (n.value ? "Set" : "Not set") : name;
        return;
    }
    if (!(n.flags & kHasText) && is_integer(f.type)) {
        std::string_view name = value_name(f, n.value);
        if (f.base == Base::dec_hex) {
            append_uint(out, n.value);
            out += " (";
            append_hex(out, n.value, type_hex_digits(f.type));
            out += ')';
        } else if (f.base == Base::hex_dec) {
            append_hex(out, n.value, type_hex_digits(f.type));
            out += " (";
            append_uint(out, n.value);
            out += ')';
        } else {
            append_field_value(out, tree, frame, n);
        }
        if (!name.empty()) {
            out += " (";
            out += name;
            out += ')';
        }
        return;
    }
    if (!(n.flags & kHasText) && f.type == FieldType::string) {
        // Strings from packets may hold control characters: show them escaped.
        // Runs of printable text are copied whole; the escapes between them go through a small
        // buffer appended once (an HTTP body has "\r\n" every line).
        Bytes b = node_bytes(tree, frame, n);
        const std::uint8_t* p = b.data();
        std::size_t left = b.size();
        while (left > 0) {
            std::size_t run = printable_run(p, left);
            out.append(reinterpret_cast<const char*>(p), run);
            p += run;
            left -= run;
            char buf[64];
            std::size_t k = 0;
            for (; left > 0 && !printable(*p) && k + 4 <= sizeof buf; ++p, --left) {
                std::uint8_t c = *p;
                buf[k++] = '\\';
                if (c == '\r' || c == '\n') {
                    buf[k++] = c == '\r' ? 'r' : 'n';
                } else {
                    buf[k++] = 'x';
                    buf[k++] = kHex[c >> 4];
                    buf[k++] = kHex[c & 0xf];
                }
            }
            out.append(buf, k);
        }
        return;
    }
    if (!(n.flags & kHasText) && f.type == FieldType::abstime) {
        append_utc(out, static_cast<std::int64_t>(n.value));
        return;
    }
    if (!(n.flags & kHasText) && f.type == FieldType::reltime) {
        append_seconds(out, static_cast<std::int64_t>(n.value), 9);
        out += " seconds";
        return;
    }
    if (!(n.flags & kHasText) && f.type == FieldType::bytes) {
        Bytes b = node_bytes(tree, frame, n);
        std::size_t shown = std::min<std::size_t>(b.size(), 32);
        for (std::size_t i = 0; i < shown; ++i) {
            out += kHex[b[i] >> 4];
            out += kHex[b[i] & 0xf];
        }
        if (shown < b.size()) out += "...";
        return;
    }
    append_field_value(out, tree, frame, n);
}

void append_tree_line(std::string& out, const Tree& tree, const Frame& frame, const Node& n) {
    const FieldDef& f = *n.field;
    if (f.type == FieldType::protocol) {
        out += f.proto ? f.proto->name : f.label;
        if (n.flags & kHasText) {
            std::string_view t = tree.text_of(n);
            // A summary that starts with a space or colon continues the name ("Frame 1: ...").
            if (!t.empty() && t[0] != ' ' && t[0] != ':') out += ", ";
            out += t;
        }
        return;
    }
    if (f.type == FieldType::none) {
        out += f.label;
        if (n.flags & kHasText) {
            out += ": ";
            out += tree.text_of(n);
        }
        return;
    }
    if (f.proto && f.proto->abbrev == "_ws.expert") {
        out += tree.text_of(n);
        return;
    }
    // Bit fields show which bits of the containing integer they are, as Wireshark does.
    if (f.mask != 0 && (is_integer(f.type) || f.type == FieldType::boolean) && !(n.flags & kGenerated)) {
        Bytes b = node_bytes(tree, frame, n);
        int bits = std::min<int>(static_cast<int>(b.size()) * 8, 64);
        // Only the bytes that hold bits of the mask are drawn (the IG bit is in the first
        // byte of a 6-byte address, not in all 48 bits).
        int low = 0;
        while (b.size() > 4 && low + 8 < bits && ((f.mask >> low) & 0xff) == 0) low += 8;
        while (b.size() > 4 && bits - 8 > low && ((f.mask >> (bits - 8)) & 0xff) == 0) bits -= 8;
        if (bits > 0) {
            char buf[96];
            std::size_t k = 0;
            std::uint64_t shifted = n.value << mask_shift(f.mask);
            for (int i = bits - 1; i >= low; --i) {
                buf[k++] = (f.mask >> i) & 1 ? ((shifted >> i) & 1 ? '1' : '0') : '.';
                if (i % 4 == 0 && i > low) buf[k++] = ' ';
            }
            out.append(buf, k);
            out += " = ";
        }
    }
    if (n.flags & kGenerated) out += '[';
    out += f.label;
    out += ": ";
    append_display_value(out, tree, frame, n);
    if (n.flags & kGenerated) out += ']';
    (void)type_bits;
}

}  // namespace wirelab
