// Engine.IO v4 and Socket.IO v5 codecs, and the JSON reader/writer they use (RFC 8259).
// Specifications: https://socket.io/docs/v4/engine-io-protocol/,
// https://socket.io/docs/v4/socket-io-protocol/. Where the specifications are silent, the
// behaviour follows the reference parsers (engine.io-parser 5, socket.io-parser 4).
#include "wirelab/socketio.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace wirelab {

namespace {

CodecError* fail(CodecError* err, std::size_t offset, std::string what) {
    if (err) {
        err->offset = offset;
        err->what = std::move(what);
    }
    return nullptr;
}

// A character as it appears in an error message: 'x', or 0xNN for bytes that do not print.
std::string show_char(char c) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) return std::string("'") + c + "'";
    static constexpr char kHex[] = "0123456789abcdef";
    return std::string("0x") + kHex[u >> 4] + kHex[u & 15];
}

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xc0 | cp >> 6);
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xe0 | cp >> 12);
        out += static_cast<char>(0x80 | (cp >> 6 & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
        out += static_cast<char>(0xf0 | cp >> 18);
        out += static_cast<char>(0x80 | (cp >> 12 & 0x3f));
        out += static_cast<char>(0x80 | (cp >> 6 & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    }
}

// ---- JSON reader ----------------------------------------------------------------------------

class JsonReader {
public:
    JsonReader(std::string_view text, CodecError* err, const json::Limits& limits)
        : s_(text), err_(err), limits_(limits) {}

    std::optional<json::Value> document() {
        if (s_.size() > limits_.max_size) {
            error(0, "JSON text of " + std::to_string(s_.size()) + " bytes is larger than the limit of " +
                         std::to_string(limits_.max_size));
            return std::nullopt;
        }
        skip_space();
        if (pos_ == s_.size()) {
            error(pos_, "empty JSON text");
            return std::nullopt;
        }
        json::Value v;
        if (!value(v, 0)) return std::nullopt;
        skip_space();
        if (pos_ != s_.size()) {
            error(pos_, "unexpected " + show_char(s_[pos_]) + " after the JSON value");
            return std::nullopt;
        }
        return v;
    }

private:
    bool error(std::size_t at, std::string what) {
        fail(err_, at, std::move(what));
        return false;
    }

    void skip_space() {
        while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
            ++pos_;
    }

    bool value(json::Value& v, std::size_t depth) {
        if (++count_ > limits_.max_values)
            return error(pos_, "more than " + std::to_string(limits_.max_values) + " JSON values");
        v.offset = pos_;
        bool ok = false;
        char c = s_[pos_];
        switch (c) {
            case '{': ok = object(v, depth); break;
            case '[': ok = array(v, depth); break;
            case '"':
                v.type = json::Type::string;
                ok = string(v.text);
                break;
            case 't': ok = literal("true", v, json::Type::boolean, true); break;
            case 'f': ok = literal("false", v, json::Type::boolean, false); break;
            case 'n': ok = literal("null", v, json::Type::null, false); break;
            default:
                if (c == '-' || (c >= '0' && c <= '9'))
                    ok = number(v);
                else
                    return error(pos_, "unexpected " + show_char(c) + " where a JSON value should start");
        }
        v.length = pos_ - v.offset;
        return ok;
    }

    bool literal(std::string_view word, json::Value& v, json::Type t, bool b) {
        if (s_.substr(pos_, word.size()) != word) return error(pos_, "unknown word (expected " + std::string(word) + ")");
        pos_ += word.size();
        v.type = t;
        v.boolean = b;
        return true;
    }

    bool digits(std::size_t& p) const {
        std::size_t start = p;
        while (p < s_.size() && s_[p] >= '0' && s_[p] <= '9') ++p;
        return p > start;
    }

    // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
    bool number(json::Value& v) {
        std::size_t p = pos_;
        if (s_[p] == '-') ++p;
        if (p < s_.size() && s_[p] == '0') {
            ++p;
            if (p < s_.size() && s_[p] >= '0' && s_[p] <= '9') return error(p - 1, "bad number: leading zero");
        } else if (!digits(p)) {
            return error(pos_, "bad number: no digits");
        }
        if (p < s_.size() && s_[p] == '.') {
            ++p;
            if (!digits(p)) return error(p, "bad number: no digits after '.'");
        }
        if (p < s_.size() && (s_[p] == 'e' || s_[p] == 'E')) {
            ++p;
            if (p < s_.size() && (s_[p] == '+' || s_[p] == '-')) ++p;
            if (!digits(p)) return error(p, "bad number: no digits in the exponent");
        }
        v.type = json::Type::number;
        v.text.assign(s_.substr(pos_, p - pos_));
        // from_chars reads what JSON allows, except that it wants no '+' after 'e' on some
        // libraries: parse a copy without it.
        std::string copy = v.text;
        if (auto e = copy.find("e+"); e != std::string::npos) copy.erase(e + 1, 1);
        if (auto e = copy.find("E+"); e != std::string::npos) copy.erase(e + 1, 1);
        double d = 0;
        auto [end, ec] = std::from_chars(copy.data(), copy.data() + copy.size(), d);
        if (ec == std::errc::result_out_of_range) d = copy[0] == '-' ? -HUGE_VAL : HUGE_VAL;  // as JSON.parse
        (void)end;
        v.number = d;
        pos_ = p;
        return true;
    }

    bool hex4(std::size_t p, std::uint32_t& out) const {
        if (p + 4 > s_.size()) return false;
        out = 0;
        for (std::size_t i = p; i < p + 4; ++i) {
            char c = s_[i];
            out <<= 4;
            if (c >= '0' && c <= '9') out |= static_cast<std::uint32_t>(c - '0');
            else if (c >= 'a' && c <= 'f') out |= static_cast<std::uint32_t>(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F') out |= static_cast<std::uint32_t>(c - 'A' + 10);
            else return false;
        }
        return true;
    }

    bool string(std::string& out) {
        std::size_t start = pos_++;
        while (true) {
            if (pos_ >= s_.size()) return error(start, "unterminated string");
            char c = s_[pos_];
            if (c == '"') {
                ++pos_;
                return true;
            }
            if (static_cast<unsigned char>(c) < 0x20)
                return error(pos_, "control character " + show_char(c) + " inside a string (write it as an escape)");
            if (c != '\\') {
                out += c;
                ++pos_;
                continue;
            }
            if (pos_ + 1 >= s_.size()) return error(start, "unterminated string");
            char e = s_[pos_ + 1];
            switch (e) {
                case '"': out += '"'; break;
                case '\\': out += '\\'; break;
                case '/': out += '/'; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                case 't': out += '\t'; break;
                case 'u': {
                    std::uint32_t cp = 0;
                    if (!hex4(pos_ + 2, cp)) return error(pos_, "bad \\u escape: it needs four hex digits");
                    pos_ += 6;
                    if (cp >= 0xd800 && cp <= 0xdbff) {
                        // A high surrogate: the low half should follow as another \u escape.
                        std::uint32_t lo = 0;
                        if (s_.substr(pos_, 2) == "\\u" && hex4(pos_ + 2, lo) && lo >= 0xdc00 && lo <= 0xdfff) {
                            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                            pos_ += 6;
                        } else {
                            cp = 0xfffd;
                        }
                    } else if (cp >= 0xdc00 && cp <= 0xdfff) {
                        cp = 0xfffd;
                    }
                    append_utf8(out, cp);
                    continue;
                }
                default: return error(pos_, "bad escape \\" + std::string(1, e) + " in a string");
            }
            pos_ += 2;
        }
    }

    bool enter(std::size_t depth) {
        if (depth + 1 > limits_.max_depth)
            return error(pos_, "arrays and objects nested deeper than " + std::to_string(limits_.max_depth));
        return true;
    }

    bool array(json::Value& v, std::size_t depth) {
        if (!enter(depth)) return false;
        std::size_t start = pos_++;
        v.type = json::Type::array;
        skip_space();
        if (pos_ < s_.size() && s_[pos_] == ']') {
            ++pos_;
            return true;
        }
        while (true) {
            skip_space();
            if (pos_ >= s_.size()) return error(start, "unterminated array");
            v.items.emplace_back();
            if (!value(v.items.back(), depth + 1)) return false;
            skip_space();
            if (pos_ >= s_.size()) return error(start, "unterminated array");
            if (s_[pos_] == ']') {
                ++pos_;
                return true;
            }
            if (s_[pos_] != ',') return error(pos_, "expected ',' or ']' in an array, found " + show_char(s_[pos_]));
            ++pos_;
        }
    }

    bool object(json::Value& v, std::size_t depth) {
        if (!enter(depth)) return false;
        std::size_t start = pos_++;
        v.type = json::Type::object;
        skip_space();
        if (pos_ < s_.size() && s_[pos_] == '}') {
            ++pos_;
            return true;
        }
        while (true) {
            skip_space();
            if (pos_ >= s_.size()) return error(start, "unterminated object");
            if (s_[pos_] != '"') return error(pos_, "expected a string key in an object, found " + show_char(s_[pos_]));
            std::string key;
            if (!string(key)) return false;
            skip_space();
            if (pos_ >= s_.size()) return error(start, "unterminated object");
            if (s_[pos_] != ':') return error(pos_, "expected ':' after an object key, found " + show_char(s_[pos_]));
            ++pos_;
            skip_space();
            if (pos_ >= s_.size()) return error(start, "unterminated object");
            v.members.emplace_back(std::move(key), json::Value{});
            if (!value(v.members.back().second, depth + 1)) return false;
            skip_space();
            if (pos_ >= s_.size()) return error(start, "unterminated object");
            if (s_[pos_] == '}') {
                ++pos_;
                return true;
            }
            if (s_[pos_] != ',') return error(pos_, "expected ',' or '}' in an object, found " + show_char(s_[pos_]));
            ++pos_;
        }
    }

    std::string_view s_;
    CodecError* err_;
    json::Limits limits_;
    std::size_t pos_ = 0;
    std::size_t count_ = 0;
};

// ---- JSON writer ----------------------------------------------------------------------------

void write_number(std::string& out, const json::Value& v) {
    if (!v.text.empty()) {
        out += v.text;
        return;
    }
    // JSON.stringify writes NaN and the infinities as null.
    if (!std::isfinite(v.number)) {
        out += "null";
        return;
    }
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v.number);
    if (ec == std::errc{}) out.append(buf, end);
}

void write_buffer(std::string& out, const std::string& bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += "<Buffer";
    std::size_t shown = std::min<std::size_t>(bytes.size(), 50);
    for (std::size_t i = 0; i < shown; ++i) {
        auto b = static_cast<unsigned char>(bytes[i]);
        out += ' ';
        out += kHex[b >> 4];
        out += kHex[b & 15];
    }
    if (bytes.size() > shown) out += " ... " + std::to_string(bytes.size() - shown) + " more bytes";
    out += '>';
}

void write_value(std::string& out, const json::Value& v) {
    switch (v.type) {
        case json::Type::null: out += "null"; break;
        case json::Type::boolean: out += v.boolean ? "true" : "false"; break;
        case json::Type::number: write_number(out, v); break;
        case json::Type::string: json::write_string(out, v.text); break;
        case json::Type::binary: write_buffer(out, v.text); break;
        case json::Type::array:
            out += '[';
            for (std::size_t i = 0; i < v.items.size(); ++i) {
                if (i) out += ',';
                write_value(out, v.items[i]);
            }
            out += ']';
            break;
        case json::Type::object:
            out += '{';
            for (std::size_t i = 0; i < v.members.size(); ++i) {
                if (i) out += ',';
                json::write_string(out, v.members[i].first);
                out += ':';
                write_value(out, v.members[i].second);
            }
            out += '}';
            break;
    }
}

}  // namespace

// ---- json:: -----------------------------------------------------------------------------------

namespace json {

Value Value::from_bool(bool b) {
    Value v;
    v.type = Type::boolean;
    v.boolean = b;
    return v;
}
Value Value::from_number(double d) {
    Value v;
    v.type = Type::number;
    v.number = d;
    return v;
}
Value Value::from_string(std::string_view s) {
    Value v;
    v.type = Type::string;
    v.text = s;
    return v;
}
Value Value::from_binary(std::span<const std::uint8_t> bytes) {
    Value v;
    v.type = Type::binary;
    v.text.assign(bytes.begin(), bytes.end());
    return v;
}
Value Value::array(std::vector<Value> items) {
    Value v;
    v.type = Type::array;
    v.items = std::move(items);
    return v;
}
Value Value::object(std::vector<std::pair<std::string, Value>> members) {
    Value v;
    v.type = Type::object;
    v.members = std::move(members);
    return v;
}

const Value* Value::find(std::string_view key) const {
    if (type != Type::object) return nullptr;
    auto it = std::find_if(members.rbegin(), members.rend(), [&](const auto& m) { return m.first == key; });
    return it == members.rend() ? nullptr : &it->second;
}

std::optional<Value> parse(std::string_view text, CodecError* err, const Limits& limits) {
    return JsonReader(text, err, limits).document();
}

void write(std::string& out, const Value& v) { write_value(out, v); }

std::string to_string(const Value& v) {
    std::string s;
    write_value(s, v);
    return s;
}

void write_string(std::string& out, std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += '"';
    for (char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    out += "\\u00";
                    out += kHex[static_cast<unsigned char>(c) >> 4];
                    out += kHex[c & 15];
                } else {
                    out += c;
                }
        }
    }
    out += '"';
}

}  // namespace json

// ---- base64 -----------------------------------------------------------------------------------

namespace {
constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
int base64_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}
}  // namespace

std::string base64_encode(std::span<const std::uint8_t> bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        std::uint32_t n = std::uint32_t(bytes[i]) << 16 | std::uint32_t(bytes[i + 1]) << 8 | bytes[i + 2];
        out += kBase64[n >> 18];
        out += kBase64[n >> 12 & 63];
        out += kBase64[n >> 6 & 63];
        out += kBase64[n & 63];
    }
    std::size_t rest = bytes.size() - i;
    if (rest) {
        std::uint32_t n = std::uint32_t(bytes[i]) << 16 | (rest == 2 ? std::uint32_t(bytes[i + 1]) << 8 : 0);
        out += kBase64[n >> 18];
        out += kBase64[n >> 12 & 63];
        out += rest == 2 ? kBase64[n >> 6 & 63] : '=';
        out += '=';
    }
    return out;
}

bool base64_decode(std::string_view text, std::vector<std::uint8_t>& out, CodecError* err) {
    out.clear();
    if (text.size() % 4 != 0) {
        fail(err, text.size(), "bad base64: length " + std::to_string(text.size()) + " is not a multiple of 4");
        return false;
    }
    out.reserve(text.size() / 4 * 3);
    for (std::size_t i = 0; i < text.size(); i += 4) {
        bool last = i + 4 == text.size();
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; ++k) {
            char c = text[i + static_cast<std::size_t>(k)];
            if (c == '=' && last && k >= 2) {
                v[k] = 0;
                ++pad;
                continue;
            }
            if (pad) {
                fail(err, i + static_cast<std::size_t>(k), "bad base64: data after '=' padding");
                return false;
            }
            v[k] = base64_value(c);
            if (v[k] < 0) {
                fail(err, i + static_cast<std::size_t>(k), "bad base64: character " + show_char(c));
                return false;
            }
        }
        std::uint32_t n = std::uint32_t(v[0]) << 18 | std::uint32_t(v[1]) << 12 | std::uint32_t(v[2]) << 6 | std::uint32_t(v[3]);
        out.push_back(static_cast<std::uint8_t>(n >> 16));
        if (pad < 2) out.push_back(static_cast<std::uint8_t>(n >> 8 & 0xff));
        if (pad < 1) out.push_back(static_cast<std::uint8_t>(n & 0xff));
    }
    return true;
}

// ---- Engine.IO --------------------------------------------------------------------------------

namespace eio {

std::string_view packet_type_name(PacketType t) {
    static constexpr std::string_view kNames[] = {"OPEN", "CLOSE", "PING", "PONG", "MESSAGE", "UPGRADE", "NOOP"};
    auto i = static_cast<std::size_t>(t);
    return i < std::size(kNames) ? kNames[i] : "UNKNOWN";
}

std::string encode_websocket(const Packet& p) {
    if (p.binary) return p.data;
    std::string s(1, static_cast<char>('0' + static_cast<int>(p.type)));
    s += p.data;
    return s;
}

std::string encode_polling_packet(const Packet& p) {
    if (!p.binary) return encode_websocket(p);
    auto bytes = std::span(reinterpret_cast<const std::uint8_t*>(p.data.data()), p.data.size());
    return "b" + base64_encode(bytes);
}

std::string encode_payload(std::span<const Packet> packets) {
    std::string s;
    for (std::size_t i = 0; i < packets.size(); ++i) {
        if (i) s += kRecordSeparator;
        s += encode_polling_packet(packets[i]);
    }
    return s;
}

bool decode_packet(std::string_view text, Packet& out, CodecError* err) {
    out = Packet{};
    if (text.empty()) {
        fail(err, 0, "empty Engine.IO packet (no type)");
        return false;
    }
    char t = text[0];
    if (t == 'b') {
        std::vector<std::uint8_t> bytes;
        CodecError e;
        if (!base64_decode(text.substr(1), bytes, &e)) {
            fail(err, e.offset + 1, e.what);
            return false;
        }
        out.type = PacketType::message;
        out.binary = true;
        out.data.assign(bytes.begin(), bytes.end());
        return true;
    }
    if (t < '0' || t > '6') {
        // Engine.IO v3 framed polling bodies as <length>:<packet>; v4 dropped that.
        std::size_t colon = text.find(':');
        bool v3 = colon != std::string_view::npos && colon > 0 &&
                  std::all_of(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(colon),
                              [](char c) { return c >= '0' && c <= '9'; });
        fail(err, 0, "bad Engine.IO packet type " + show_char(t) +
                         (v3 ? " (this looks like Engine.IO v3 length:packet framing; only v4 is decoded)" : ""));
        return false;
    }
    out.type = static_cast<PacketType>(t - '0');
    out.data.assign(text.substr(1));
    return true;
}

Packet decode_binary(std::span<const std::uint8_t> bytes) { return Packet::binary_message(bytes); }

std::vector<Record> split_payload(std::string_view body) {
    std::vector<Record> out;
    std::size_t start = 0;
    while (true) {
        std::size_t sep = body.find(kRecordSeparator, start);
        std::size_t end = sep == std::string_view::npos ? body.size() : sep;
        out.push_back({start, end - start});
        if (sep == std::string_view::npos) break;
        start = sep + 1;
    }
    return out;
}

bool decode_payload(std::string_view body, std::vector<Packet>& out, CodecError* err) {
    out.clear();
    for (const Record& r : split_payload(body)) {
        Packet p;
        CodecError e;
        if (!decode_packet(body.substr(r.offset, r.length), p, &e)) {
            fail(err, r.offset + e.offset, "packet " + std::to_string(out.size() + 1) + " of the payload: " + e.what);
            return false;
        }
        out.push_back(std::move(p));
    }
    return true;
}

namespace {
bool whole_number(const json::Value* v, std::uint64_t& out) {
    if (!v || v->type != json::Type::number || v->number < 0 || v->number > 9007199254740991.0 ||
        v->number != std::floor(v->number))
        return false;
    out = static_cast<std::uint64_t>(v->number);
    return true;
}
}  // namespace

bool parse_handshake(std::string_view json_text, Handshake& out, CodecError* err) {
    out = Handshake{};
    auto v = json::parse(json_text, err);
    if (!v) return false;
    if (v->type != json::Type::object) {
        fail(err, 0, "the OPEN packet's data is not a JSON object");
        return false;
    }
    const json::Value* sid = v->find("sid");
    if (!sid || sid->type != json::Type::string) {
        fail(err, sid ? sid->offset : 0, "the OPEN packet has no \"sid\" string");
        return false;
    }
    out.sid = sid->text;
    if (const json::Value* up = v->find("upgrades")) {
        if (up->type != json::Type::array) {
            fail(err, up->offset, "\"upgrades\" is not an array");
            return false;
        }
        for (const json::Value& u : up->items) {
            if (u.type != json::Type::string) {
                fail(err, u.offset, "an entry of \"upgrades\" is not a string");
                return false;
            }
            out.upgrades.push_back(u.text);
        }
    }
    struct Num {
        std::string_view key;
        std::uint64_t* to;
    };
    for (Num n : {Num{"pingInterval", &out.ping_interval}, Num{"pingTimeout", &out.ping_timeout}}) {
        const json::Value* f = v->find(n.key);
        if (!f) {
            fail(err, 0, "the OPEN packet has no \"" + std::string(n.key) + "\"");
            return false;
        }
        if (!whole_number(f, *n.to)) {
            fail(err, f->offset, "\"" + std::string(n.key) + "\" is not a whole number of milliseconds");
            return false;
        }
    }
    if (const json::Value* m = v->find("maxPayload")) {
        std::uint64_t mp = 0;
        if (!whole_number(m, mp)) {
            fail(err, m->offset, "\"maxPayload\" is not a whole number of bytes");
            return false;
        }
        out.max_payload = mp;
    }
    return true;
}

std::string encode_handshake(const Handshake& h) {
    std::string s = "{\"sid\":";
    json::write_string(s, h.sid);
    s += ",\"upgrades\":[";
    for (std::size_t i = 0; i < h.upgrades.size(); ++i) {
        if (i) s += ',';
        json::write_string(s, h.upgrades[i]);
    }
    s += "],\"pingInterval\":" + std::to_string(h.ping_interval);
    s += ",\"pingTimeout\":" + std::to_string(h.ping_timeout);
    if (h.max_payload) s += ",\"maxPayload\":" + std::to_string(*h.max_payload);
    s += '}';
    return s;
}

std::string_view error_code_name(std::uint64_t code) {
    static constexpr std::string_view kNames[] = {"Transport unknown", "Session ID unknown", "Bad handshake method",
                                                  "Bad request",       "Forbidden",          "Unsupported protocol version"};
    return code < std::size(kNames) ? kNames[code] : "Unknown error";
}

}  // namespace eio

// ---- Socket.IO --------------------------------------------------------------------------------

namespace sio {

std::string_view packet_type_name(PacketType t) {
    static constexpr std::string_view kNames[] = {"CONNECT", "DISCONNECT",    "EVENT",     "ACK",
                                                  "CONNECT_ERROR", "BINARY_EVENT", "BINARY_ACK"};
    auto i = static_cast<std::size_t>(t);
    return i < std::size(kNames) ? kNames[i] : "UNKNOWN";
}

bool is_binary(PacketType t) { return t == PacketType::binary_event || t == PacketType::binary_ack; }

bool is_reserved_event(std::string_view name) {
    for (std::string_view r : {"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"})
        if (name == r) return true;
    return false;
}

std::optional<std::string> Packet::event_name() const {
    if ((type != PacketType::event && type != PacketType::binary_event) || !data || data->type != json::Type::array ||
        data->items.empty())
        return std::nullopt;
    const json::Value& first = data->items[0];
    if (first.type == json::Type::string) return first.text;
    if (first.type == json::Type::number) return json::to_string(first);
    return std::nullopt;
}

std::span<const json::Value> Packet::args() const {
    if (!data || data->type != json::Type::array) return {};
    std::span<const json::Value> all(data->items);
    if (type == PacketType::event || type == PacketType::binary_event) return all.empty() ? all : all.subspan(1);
    return all;
}

Packet Packet::event(std::string_view nsp, std::string_view name, std::vector<json::Value> args,
                     std::optional<std::uint64_t> id) {
    Packet p;
    p.type = PacketType::event;
    p.nsp = nsp;
    p.id = id;
    args.insert(args.begin(), json::Value::from_string(name));
    p.data = json::Value::array(std::move(args));
    return p;
}

Packet Packet::ack(std::string_view nsp, std::uint64_t id, std::vector<json::Value> args) {
    Packet p;
    p.type = PacketType::ack;
    p.nsp = nsp;
    p.id = id;
    p.data = json::Value::array(std::move(args));
    return p;
}

namespace {

// socket.io-parser's deconstructPacket: each binary value becomes a placeholder.
void deconstruct(json::Value& v, std::vector<std::vector<std::uint8_t>>& out) {
    switch (v.type) {
        case json::Type::binary: {
            out.emplace_back(v.text.begin(), v.text.end());
            json::Value num = json::Value::from_number(static_cast<double>(out.size() - 1));
            v = json::Value::object({{"_placeholder", json::Value::from_bool(true)}, {"num", std::move(num)}});
            break;
        }
        case json::Type::array:
            for (auto& i : v.items) deconstruct(i, out);
            break;
        case json::Type::object:
            for (auto& m : v.members) deconstruct(m.second, out);
            break;
        default: break;
    }
}

bool reconstruct_value(json::Value& v, std::span<const std::vector<std::uint8_t>> att, CodecError* err) {
    switch (v.type) {
        case json::Type::object: {
            const json::Value* ph = v.find("_placeholder");
            if (ph && ph->type == json::Type::boolean && ph->boolean) {
                const json::Value* num = v.find("num");
                if (!num || num->type != json::Type::number || num->number < 0 ||
                    num->number != std::floor(num->number) || num->number >= static_cast<double>(att.size())) {
                    fail(err, v.offset,
                         "placeholder refers to attachment " + (num ? json::to_string(*num) : std::string("(none)")) +
                             " but the packet has " + std::to_string(att.size()));
                    return false;
                }
                std::size_t off = v.offset, len = v.length;
                v = json::Value::from_binary(att[static_cast<std::size_t>(num->number)]);
                v.offset = off;
                v.length = len;
                return true;
            }
            for (auto& m : v.members)
                if (!reconstruct_value(m.second, att, err)) return false;
            return true;
        }
        case json::Type::array:
            for (auto& i : v.items)
                if (!reconstruct_value(i, att, err)) return false;
            return true;
        default: return true;
    }
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

Encoded encode(const Packet& p) {
    Encoded e;
    PacketType type = p.type;
    std::optional<json::Value> data = p.data;
    if (data) deconstruct(*data, e.attachments);
    if (!e.attachments.empty()) {
        if (type == PacketType::event) type = PacketType::binary_event;
        if (type == PacketType::ack) type = PacketType::binary_ack;
    }
    e.text += static_cast<char>('0' + static_cast<int>(type));
    if (is_binary(type)) {
        e.text += std::to_string(e.attachments.size());
        e.text += '-';
    }
    if (!p.nsp.empty() && p.nsp != "/") {
        e.text += p.nsp;
        e.text += ',';
    }
    if (p.id) e.text += std::to_string(*p.id);
    if (data) json::write(e.text, *data);
    return e;
}

bool decode(std::string_view s, Packet& out, CodecError* err, Spans* spans, const Limits& limits) {
    out = Packet{};
    Spans sp;
    if (s.empty()) {
        fail(err, 0, "empty Socket.IO packet (no type)");
        return false;
    }
    if (s[0] < '0' || s[0] > '6') {
        fail(err, 0, "bad Socket.IO packet type " + show_char(s[0]));
        return false;
    }
    out.type = static_cast<PacketType>(s[0] - '0');
    std::size_t i = 1;
    if (is_binary(out.type)) {
        std::size_t start = i;
        std::uint64_t n = 0;
        while (i < s.size() && is_digit(s[i])) {
            n = n * 10 + static_cast<std::uint64_t>(s[i] - '0');
            if (n > limits.max_attachments) {
                fail(err, start, "too many attachments (more than " + std::to_string(limits.max_attachments) + ")");
                return false;
            }
            ++i;
        }
        if (i == start || i >= s.size() || s[i] != '-') {
            fail(err, i, "binary packet without its attachment count and '-'");
            return false;
        }
        out.attachments = static_cast<std::size_t>(n);
        sp.attachments_offset = start;
        sp.attachments_length = i - start;
        ++i;  // '-'
    }
    if (i < s.size() && s[i] == '/') {
        std::size_t start = i;
        std::size_t comma = s.find(',', i);
        std::size_t end = comma == std::string_view::npos ? s.size() : comma;
        out.nsp.assign(s.substr(start, end - start));
        sp.nsp_offset = start;
        sp.nsp_length = end - start;
        i = comma == std::string_view::npos ? s.size() : comma + 1;
    }
    if (i < s.size() && is_digit(s[i])) {
        std::size_t start = i;
        std::uint64_t id = 0;
        while (i < s.size() && is_digit(s[i])) {
            id = id * 10 + static_cast<std::uint64_t>(s[i] - '0');
            if (id > kMaxAckId) {
                fail(err, start, "ack id overflow (larger than 2^53 - 1, the largest whole number JavaScript holds)");
                return false;
            }
            ++i;
        }
        out.id = id;
        sp.id_offset = start;
        sp.id_length = i - start;
    }
    if (i < s.size()) {
        CodecError e;
        auto data = json::parse(s.substr(i), &e, limits.json);
        if (!data) {
            fail(err, i + e.offset, "bad JSON data: " + e.what);
            return false;
        }
        out.data = std::move(*data);
        sp.data_offset = i;
        sp.data_length = s.size() - i;
    }
    // What each packet type may carry (socket.io-parser's isPayloadValid, and the spec).
    const std::optional<json::Value>& d = out.data;
    auto bad = [&](std::string what) {
        fail(err, d ? sp.data_offset : s.size(), std::move(what));
        return false;
    };
    switch (out.type) {
        case PacketType::connect:
            if (d && d->type != json::Type::object) return bad("CONNECT data must be a JSON object");
            break;
        case PacketType::disconnect:
            if (d) return bad("DISCONNECT carries no data");
            break;
        case PacketType::connect_error:
            if (!d || (d->type != json::Type::object && d->type != json::Type::string))
                return bad("CONNECT_ERROR data must be an object (or a string)");
            break;
        case PacketType::event:
        case PacketType::binary_event: {
            if (!d || d->type != json::Type::array || d->items.empty())
                return bad(std::string(packet_type_name(out.type)) + " data must be an array starting with the event name");
            const json::Value& name = d->items[0];
            if (name.type != json::Type::string && name.type != json::Type::number)
                return bad("the event name must be a string");
            if (name.type == json::Type::string && is_reserved_event(name.text))
                return bad("the event name \"" + name.text + "\" is reserved by Socket.IO");
            break;
        }
        case PacketType::ack:
        case PacketType::binary_ack:
            if (!d || d->type != json::Type::array) return bad(std::string(packet_type_name(out.type)) + " data must be an array");
            if (!out.id) return bad(std::string(packet_type_name(out.type)) + " without an ack id");
            break;
    }
    if (spans) *spans = sp;
    return true;
}

bool reconstruct(json::Value& data, std::span<const std::vector<std::uint8_t>> attachments, CodecError* err) {
    return reconstruct_value(data, attachments, err);
}

void Reassembler::reset() {
    waiting_ = false;
    received_.clear();
    packet_ = Packet{};
}

Reassembler::Status Reassembler::add_text(std::string_view text) {
    if (waiting_) {
        // socket.io-parser throws "got plaintext data when reconstructing a packet".
        std::size_t got = received_.size(), need = packet_.attachments;
        reset();
        error_ = {0, "text packet while " + std::to_string(need - got) + " attachment(s) of a binary packet were due"};
        return Status::error;
    }
    Packet p;
    if (!decode(text, p, &error_, nullptr, limits_)) {
        reset();
        return Status::error;
    }
    packet_ = std::move(p);
    if (is_binary(packet_.type) && packet_.attachments > 0) {
        waiting_ = true;
        return Status::waiting;
    }
    return Status::packet;
}

Reassembler::Status Reassembler::add_binary(std::span<const std::uint8_t> bytes) {
    if (!waiting_) {
        reset();
        error_ = {0, "binary message with no binary packet waiting for it"};
        return Status::error;
    }
    received_.emplace_back(bytes.begin(), bytes.end());
    if (received_.size() < packet_.attachments) return Status::attachment;
    waiting_ = false;
    if (packet_.data && !reconstruct(*packet_.data, received_, &error_)) {
        reset();
        return Status::error;
    }
    received_.clear();
    return Status::packet;
}

}  // namespace sio

}  // namespace wirelab
