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

// The writers below put text at `w` and return where it ends; the caller has made room for
// what they can write (the k...Room bounds). Every append_ function and the -V, summary and
// field lines are built from them: the output grows once for a whole line instead of once per
// piece (std::string's append is an out-of-line call that checks the capacity at every piece).
constexpr std::size_t kUintRoom = 20;      // 18446744073709551615
constexpr std::size_t kHexRoom = 18;       // 0x and 16 digits
constexpr std::size_t kAddressRoom = 45;   // ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255
constexpr std::size_t kTimeRoom = 64;      // a UTC date or a signed count of seconds, with units
constexpr std::size_t kBitsRoom = 96;      // 64 bits, their 15 spaces and " = "

}  // namespace

// kValueRoom (format.hpp): any number, address or time, with " (0x..)" or units.
static_assert(kValueRoom >= kTimeRoom && kValueRoom >= kAddressRoom && kValueRoom >= kUintRoom + 2 + kHexRoom + 1);

void OutBuffer::grow(std::size_t n) {
    std::size_t used = size();
    std::size_t capacity = std::max<std::size_t>({used + n, 2 * static_cast<std::size_t>(limit_ - data_.get()), 4096});
    auto bigger = std::make_unique_for_overwrite<char[]>(capacity);  // no zeroing: every byte is written before it is read
    if (used) std::memcpy(bigger.get(), data_.get(), used);
    data_ = std::move(bigger);
    end_ = data_.get() + used;
    limit_ = data_.get() + capacity;
}

// "00" to "99": numbers are written two digits a step, half the divisions of one at a time.
constexpr std::array<char, 200> kDigitPairs = [] {
    std::array<char, 200> t{};
    for (unsigned i = 0; i < 100; ++i) {
        t[2 * i] = static_cast<char>('0' + i / 10);
        t[2 * i + 1] = static_cast<char>('0' + i % 10);
    }
    return t;
}();

char* put_uint(char* w, std::uint64_t v) {
    // The length first, by comparison (most numbers here are ports, lengths and counters of a
    // few digits), then the digits from the last one back. std::to_chars does the same in two
    // calls that are not inlined, and finds the length by division.
    std::size_t len = 1;
    for (std::uint64_t limit = 10; len < kUintRoom && v >= limit; limit *= 10) ++len;
    char* end = w + len;
    char* p = end;
    while (v >= 100) {
        auto pair = static_cast<std::size_t>(v % 100) * 2;
        v /= 100;
        p -= 2;
        p[0] = kDigitPairs[pair];
        p[1] = kDigitPairs[pair + 1];
    }
    if (v >= 10) {
        p[-2] = kDigitPairs[v * 2];
        p[-1] = kDigitPairs[v * 2 + 1];
    } else {
        p[-1] = static_cast<char>('0' + v);
    }
    return end;
}

namespace {

char* put(char* w, std::string_view s) {
    if (!s.empty()) std::memcpy(w, s.data(), s.size());  // an empty view may have no data()
    return w + s.size();
}

char* put_hex(char* w, std::uint64_t v, int digits) {
    *w++ = '0';
    *w++ = 'x';
    if (digits > 16) digits = 16;
    for (int i = 0; i < digits; ++i) *w++ = kHex[(v >> ((digits - 1 - i) * 4)) & 0xf];
    return w;
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

char* put_ipv4(char* w, const std::uint8_t* p) {
    for (int i = 0; i < 4; ++i) {
        if (i) *w++ = '.';
        const std::array<char, 4>& d = kByteDecimal[p[i]];
        std::memcpy(w, d.data(), 3);  // all three are written, the length says how many count
        w += d[3];
    }
    return w;
}

// RFC 5952 text: lowercase, leading zeros dropped, the longest run (>= 2) of zero groups as
// "::", and IPv4-mapped/compatible forms the way Wireshark prints them.
char* put_ipv6(char* w, const std::uint8_t* p) {
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
            *w++ = ':';
            *w++ = ':';
            i += best_len - 1;
            continue;
        }
        if ((mapped || compat) && i == 6) {
            if (mapped) *w++ = ':';  // "::ffff:" then the IPv4 part
            w = put_ipv4(w, p + 12);
            break;
        }
        if (i != 0 && i != best + best_len) *w++ = ':';
        // The group in hex without leading zeros.
        bool started = false;
        for (int shift = 12; shift >= 0; shift -= 4) {
            if (started || (g[i] >> shift) != 0 || shift == 0) {
                *w++ = kHex[(g[i] >> shift) & 0xf];
                started = true;
            }
        }
    }
    return w;
}

char* put_ether(char* w, const std::uint8_t* p) {
    for (int i = 0; i < 6; ++i) {
        if (i) *w++ = ':';
        *w++ = kHex[p[i] >> 4];
        *w++ = kHex[p[i] & 0xf];
    }
    return w;
}

char* put_two_digits(char* w, std::int64_t v) {
    *w++ = static_cast<char>('0' + v / 10);
    *w++ = static_cast<char>('0' + v % 10);
    return w;
}

// The nine digits of a fraction of a second, of which the first `decimals` are kept.
char* put_fraction(char* w, std::uint32_t frac, int decimals) {
    char buf[9];
    for (int i = 8; i >= 0; --i, frac /= 10) buf[i] = static_cast<char>('0' + frac % 10);
    return put(w, std::string_view(buf, static_cast<std::size_t>(std::min(decimals, 9))));
}

// "YYYY-MM-DD HH:MM:SS.nnnnnnnnn UTC" from nanoseconds since 1970, without gmtime/strftime
// (days to a civil date: H. Hinnant, "chrono-Compatible Low-Level Date Algorithms").
char* put_utc(char* w, std::int64_t ns) {
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
    if (y < 1000) w = put(w, y < 10 ? "000" : y < 100 ? "00" : "0");
    w = put_uint(w, static_cast<std::uint64_t>(y));
    *w++ = '-';
    w = put_two_digits(w, m);
    *w++ = '-';
    w = put_two_digits(w, d);
    *w++ = ' ';
    w = put_two_digits(w, rem / 3600);
    *w++ = ':';
    w = put_two_digits(w, rem / 60 % 60);
    *w++ = ':';
    w = put_two_digits(w, rem % 60);
    *w++ = '.';
    w = put_fraction(w, static_cast<std::uint32_t>(frac), 9);
    return put(w, " UTC");
}

char* put_seconds(char* w, std::int64_t ns, int decimals) {
    if (ns < 0) {
        *w++ = '-';
        ns = -ns;
    }
    w = put_uint(w, static_cast<std::uint64_t>(ns / 1'000'000'000));
    if (decimals <= 0) return w;
    *w++ = '.';
    return put_fraction(w, static_cast<std::uint32_t>(ns % 1'000'000'000), decimals);
}

// Appends what `write` puts at the pointer it is given (it returns where it stopped), with
// room for `room` characters: a short text goes through a buffer on the stack and is appended
// once, a longer one is written into `out` grown by `room` and trimmed afterwards.
template <class Write>
void append_written(std::string& out, std::size_t room, Write write) {
    char buf[256];
    if (room <= sizeof buf) {
        out.append(buf, static_cast<std::size_t>(write(buf) - buf));
        return;
    }
    std::size_t at = out.size();
    out.resize(at + room);
    char* end = write(out.data() + at);
    out.resize(static_cast<std::size_t>(end - out.data()));
}

// How much put_field_value may write for `n`.
std::size_t field_value_room(const Tree& tree, const Frame& frame, const Node& n) {
    if (n.flags & kHasText) return static_cast<std::size_t>(n.value & 0xffffffffu);
    switch (n.field->type) {
        case FieldType::bytes: return node_bytes(tree, frame, n).size() * 2;
        case FieldType::string: return node_bytes(tree, frame, n).size();
        default: return kValueRoom;
    }
}

// What `tshark -T fields` prints for `n`, in field_value_room(n) characters at most.
char* put_field_value(char* w, const Tree& tree, const Frame& frame, const Node& n) {
    const FieldDef& f = *n.field;
    if (n.flags & kHasText) return put(w, tree.text_of(n));
    switch (f.type) {
        case FieldType::none:
        case FieldType::protocol: return w;
        case FieldType::boolean: *w++ = n.value ? '1' : '0'; return w;
        case FieldType::i32: {
            auto v = static_cast<std::int32_t>(n.value);
            if (v >= 0) return put_uint(w, static_cast<std::uint64_t>(v));
            *w++ = '-';
            return put_uint(w, static_cast<std::uint64_t>(-static_cast<std::int64_t>(v)));
        }
        case FieldType::u8:
        case FieldType::u16:
        case FieldType::u24:
        case FieldType::u32:
        case FieldType::u64:
        case FieldType::framenum:
            if (f.base == Base::hex || f.base == Base::hex_dec) return put_hex(w, n.value, type_hex_digits(f.type));
            if (f.base == Base::oct) {
                // "0" and the octal digits: at most 22 for 64 bits.
                *w++ = '0';
                return std::to_chars(w, w + 22, n.value, 8).ptr;
            }
            return put_uint(w, n.value);
        case FieldType::reltime:
        case FieldType::abstime: return put_seconds(w, static_cast<std::int64_t>(n.value), 9);
        case FieldType::ether: {
            Bytes b = node_bytes(tree, frame, n);
            return b.size() >= 6 ? put_ether(w, b.data()) : w;
        }
        case FieldType::ipv4: {
            Bytes b = node_bytes(tree, frame, n);
            return b.size() >= 4 ? put_ipv4(w, b.data()) : w;
        }
        case FieldType::ipv6: {
            Bytes b = node_bytes(tree, frame, n);
            return b.size() >= 16 ? put_ipv6(w, b.data()) : w;
        }
        case FieldType::bytes: {
            for (std::uint8_t c : node_bytes(tree, frame, n)) {
                *w++ = kHex[c >> 4];
                *w++ = kHex[c & 0xf];
            }
            return w;
        }
        case FieldType::string: {
            Bytes b = node_bytes(tree, frame, n);
            return put(w, std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
        }
    }
    return w;
}

// The value name an integer or boolean shows beside its number ("6 (TCP)"), else nothing.
std::string_view display_name(const Node& n) {
    if (n.flags & kHasText) return {};
    const FieldDef& f = *n.field;
    if (f.type == FieldType::boolean) return value_name(f, n.value ? 1 : 0);
    if (is_integer(f.type)) return value_name(f, n.value);
    return {};
}

// How much put_display_value may write for `n` with the value name `name`.
std::size_t display_value_room(const Tree& tree, const Frame& frame, const Node& n, std::string_view name) {
    if (n.flags & kHasText) return static_cast<std::size_t>(n.value & 0xffffffffu);
    switch (n.field->type) {
        case FieldType::string: return node_bytes(tree, frame, n).size() * 4;  // "\x00" a byte at worst
        case FieldType::bytes: return 32 * 2 + 3;                               // 32 bytes and "..."
        default: return kValueRoom + name.size() + 3;                           // and " (name)"
    }
}

// A string from a packet, with its control characters escaped. Runs of printable text are
// copied whole (an HTTP body has "\r\n" at the end of every line and text between).
char* put_escaped(char* w, Bytes b) {
    const std::uint8_t* p = b.data();
    std::size_t left = b.size();
    while (left > 0) {
        std::size_t run = printable_run(p, left);
        w = put(w, std::string_view(reinterpret_cast<const char*>(p), run));
        p += run;
        left -= run;
        for (; left > 0 && !printable(*p); ++p, --left) {
            std::uint8_t c = *p;
            *w++ = '\\';
            if (c == '\r' || c == '\n') {
                *w++ = c == '\r' ? 'r' : 'n';
            } else {
                *w++ = 'x';
                *w++ = kHex[c >> 4];
                *w++ = kHex[c & 0xf];
            }
        }
    }
    return w;
}

// The value as the tree and JSON's "show" display it: value names resolved, strings escaped.
char* put_display_value(char* w, const Tree& tree, const Frame& frame, const Node& n, std::string_view name) {
    const FieldDef& f = *n.field;
    if (n.flags & kHasText) return put(w, tree.text_of(n));
    if (f.type == FieldType::boolean) {
        return put(w, !name.empty() ? name : n.value ? std::string_view("Set") : std::string_view("Not set"));
    }
    if (is_integer(f.type)) {
        if (f.base == Base::dec_hex) {
            w = put_uint(w, n.value);
            w = put(w, " (");
            w = put_hex(w, n.value, type_hex_digits(f.type));
            *w++ = ')';
        } else if (f.base == Base::hex_dec) {
            w = put_hex(w, n.value, type_hex_digits(f.type));
            w = put(w, " (");
            w = put_uint(w, n.value);
            *w++ = ')';
        } else {
            w = put_field_value(w, tree, frame, n);
        }
        if (!name.empty()) {
            w = put(w, " (");
            w = put(w, name);
            *w++ = ')';
        }
        return w;
    }
    switch (f.type) {
        case FieldType::string: return put_escaped(w, node_bytes(tree, frame, n));
        case FieldType::abstime: return put_utc(w, static_cast<std::int64_t>(n.value));
        case FieldType::reltime:
            w = put_seconds(w, static_cast<std::int64_t>(n.value), 9);
            return put(w, " seconds");
        case FieldType::bytes: {
            Bytes b = node_bytes(tree, frame, n);
            std::size_t shown = std::min<std::size_t>(b.size(), 32);
            for (std::size_t i = 0; i < shown; ++i) {
                *w++ = kHex[b[i] >> 4];
                *w++ = kHex[b[i] & 0xf];
            }
            if (shown < b.size()) w = put(w, "...");
            return w;
        }
        default: return put_field_value(w, tree, frame, n);
    }
}

// The bits of a masked field as Wireshark draws them, four at a time: a digit for each bit
// the mask holds and '.' for the others. The entry for (mask nibble m, value nibble v) is at
// m * 16 + v.
constexpr std::array<std::array<char, 4>, 256> kBitNibbles = [] {
    std::array<std::array<char, 4>, 256> t{};
    for (unsigned m = 0; m < 16; ++m)
        for (unsigned v = 0; v < 16; ++v)
            for (unsigned i = 0; i < 4; ++i) {
                unsigned bit = 3 - i;
                t[m * 16 + v][i] = (m >> bit) & 1 ? ((v >> bit) & 1 ? '1' : '0') : '.';
            }
    return t;
}();

// Bit fields show which bits of the containing integer they are, as Wireshark does
// (".... ..1. = "), or nothing for other fields.
char* put_bits(char* w, const Tree& tree, const Frame& frame, const Node& n) {
    const FieldDef& f = *n.field;
    if (f.mask == 0 || !(is_integer(f.type) || f.type == FieldType::boolean) || (n.flags & kGenerated)) return w;
    Bytes b = node_bytes(tree, frame, n);
    int bits = std::min<int>(static_cast<int>(b.size()) * 8, 64);
    // Only the bytes that hold bits of the mask are drawn (the IG bit is in the first
    // byte of a 6-byte address, not in all 48 bits).
    int low = 0;
    while (b.size() > 4 && low + 8 < bits && ((f.mask >> low) & 0xff) == 0) low += 8;
    while (b.size() > 4 && bits - 8 > low && ((f.mask >> (bits - 8)) & 0xff) == 0) bits -= 8;
    if (bits <= 0) return w;
    std::uint64_t shifted = n.value << mask_shift(f.mask);
    // bits and low are whole bytes, so the groups of four never straddle them.
    for (int i = bits - 4; i >= low; i -= 4) {
        auto entry = static_cast<std::size_t>((f.mask >> i & 0xf) * 16 + (shifted >> i & 0xf));
        w = put(w, std::string_view(kBitNibbles[entry].data(), 4));
        if (i > low) *w++ = ' ';
    }
    return put(w, " = ");
}

// How much put_tree_line may write for `n`.
std::size_t tree_line_room(const Tree& tree, const Frame& frame, const Node& n, std::string_view name) {
    const FieldDef& f = *n.field;
    std::size_t text = (n.flags & kHasText) ? static_cast<std::size_t>(n.value & 0xffffffffu) : 0;
    if (f.type == FieldType::protocol) return (f.proto ? f.proto->name.size() : f.label.size()) + 2 + text;
    if (f.type == FieldType::none) return f.label.size() + 2 + text;
    return kBitsRoom + 1 + f.label.size() + 2 + display_value_room(tree, frame, n, name) + 1;
}

// The tree line shown by -V ("Source Port: 443", ".... ..1. = Syn: Set").
char* put_tree_line(char* w, const Tree& tree, const Frame& frame, const Node& n, std::string_view name) {
    const FieldDef& f = *n.field;
    if (f.type == FieldType::protocol) {
        w = put(w, f.proto ? f.proto->name : f.label);
        if (n.flags & kHasText) {
            std::string_view t = tree.text_of(n);
            // A summary that starts with a space or colon continues the name ("Frame 1: ...").
            if (!t.empty() && t[0] != ' ' && t[0] != ':') w = put(w, ", ");
            w = put(w, t);
        }
        return w;
    }
    if (f.type == FieldType::none) {
        w = put(w, f.label);
        if (n.flags & kHasText) {
            w = put(w, ": ");
            w = put(w, tree.text_of(n));
        }
        return w;
    }
    if (f.proto && f.proto->abbrev == "_ws.expert") return put(w, tree.text_of(n));
    w = put_bits(w, tree, frame, n);
    if (n.flags & kGenerated) *w++ = '[';
    w = put(w, f.label);
    w = put(w, ": ");
    w = put_display_value(w, tree, frame, n, name);
    if (n.flags & kGenerated) *w++ = ']';
    return w;
}
}  // namespace

char* put_address(char* w, const Address& a) {
    switch (a.kind) {
        case Address::Kind::ether: return put_ether(w, a.bytes.data());
        case Address::Kind::ipv4: return put_ipv4(w, a.bytes.data());
        case Address::Kind::ipv6: return put_ipv6(w, a.bytes.data());
        case Address::Kind::none: break;
    }
    return w;
}

void append_uint(std::string& out, std::uint64_t v) {
    char buf[kUintRoom];
    out.append(buf, static_cast<std::size_t>(put_uint(buf, v) - buf));
}

void append_hex(std::string& out, std::uint64_t v, int digits) {
    char buf[kHexRoom];
    out.append(buf, static_cast<std::size_t>(put_hex(buf, v, digits) - buf));
}

void append_ipv4(std::string& out, const std::uint8_t* p) {
    char buf[kAddressRoom];
    out.append(buf, static_cast<std::size_t>(put_ipv4(buf, p) - buf));
}

void append_ipv6(std::string& out, const std::uint8_t* p) {
    char buf[kAddressRoom];
    out.append(buf, static_cast<std::size_t>(put_ipv6(buf, p) - buf));
}

void append_ether(std::string& out, const std::uint8_t* p) {
    char buf[kAddressRoom];
    out.append(buf, static_cast<std::size_t>(put_ether(buf, p) - buf));
}

void append_address(std::string& out, const Address& a) {
    char buf[kAddressRoom];
    out.append(buf, static_cast<std::size_t>(put_address(buf, a) - buf));
}

void append_utc(std::string& out, std::int64_t ns) {
    char buf[kTimeRoom];
    out.append(buf, static_cast<std::size_t>(put_utc(buf, ns) - buf));
}

void append_seconds(std::string& out, std::int64_t ns, int decimals) {
    char buf[kTimeRoom];
    out.append(buf, static_cast<std::size_t>(put_seconds(buf, ns, decimals) - buf));
}

namespace {
// `s` as a JSON string, quotes included, in 2 + 6 * s.size() characters at most ("\u00XX").
char* put_json_string(char* w, std::string_view s) {
    *w++ = '"';
    const auto* p = reinterpret_cast<const std::uint8_t*>(s.data());
    std::size_t n = s.size();
    while (n > 0) {
        // Text that needs no escape is copied whole.
        std::size_t run = json_plain_run(p, n);
        w = put(w, std::string_view(reinterpret_cast<const char*>(p), run));
        p += run;
        n -= run;
        for (; n > 0 && !json_plain(*p); ++p, --n) {
            std::uint8_t c = *p;
            *w++ = '\\';
            switch (c) {
                case '"': *w++ = '"'; break;
                case '\\': *w++ = '\\'; break;
                case '\n': *w++ = 'n'; break;
                case '\r': *w++ = 'r'; break;
                case '\t': *w++ = 't'; break;
                default:  // \u00XX
                    w = put(w, "u00");
                    *w++ = kHex[c >> 4];
                    *w++ = kHex[c & 0xf];
            }
        }
    }
    *w++ = '"';
    return w;
}
}  // namespace

void append_json_string(std::string& out, std::string_view s) {
    append_written(out, 2 + 6 * s.size(), [&](char* w) { return put_json_string(w, s); });
}

void append_json_string(OutBuffer& out, std::string_view s) {
    out.commit(put_json_string(out.room(2 + 6 * s.size()), s));
}

void append_uint(OutBuffer& out, std::uint64_t v) { out.commit(put_uint(out.room(kUintRoom), v)); }

void append_field_value(std::string& out, const Tree& tree, const Frame& frame, const Node& n) {
    append_written(out, field_value_room(tree, frame, n), [&](char* w) { return put_field_value(w, tree, frame, n); });
}

void append_display_value(std::string& out, const Tree& tree, const Frame& frame, const Node& n) {
    std::string_view name = display_name(n);
    append_written(out, display_value_room(tree, frame, n, name),
                   [&](char* w) { return put_display_value(w, tree, frame, n, name); });
}

void append_tree_line(std::string& out, const Tree& tree, const Frame& frame, const Node& n) {
    std::string_view name = display_name(n);
    append_written(out, tree_line_room(tree, frame, n, name),
                   [&](char* w) { return put_tree_line(w, tree, frame, n, name); });
}

void append_field_value(OutBuffer& out, const Tree& tree, const Frame& frame, const Node& n) {
    // Most -e fields are unsigned numbers shown in decimal (ports, lengths, sequence numbers).
    const FieldDef& f = *n.field;
    bool plain_number = !(n.flags & kHasText) && f.type != FieldType::i32 && is_integer(f.type) &&
                        f.base != Base::hex && f.base != Base::hex_dec && f.base != Base::oct;
    if (plain_number) {
        out.commit(put_uint(out.room(kUintRoom), n.value));
        return;
    }
    out.commit(put_field_value(out.room(field_value_room(tree, frame, n)), tree, frame, n));
}

void append_display_value(OutBuffer& out, const Tree& tree, const Frame& frame, const Node& n) {
    std::string_view name = display_name(n);
    out.commit(put_display_value(out.room(display_value_room(tree, frame, n, name)), tree, frame, n, name));
}

void append_tree_row(OutBuffer& out, const Tree& tree, const Frame& frame, const Node& n, std::string_view tag) {
    std::string_view name = display_name(n);
    std::size_t indent = std::size_t(n.depth) * 4;
    char* w = out.room(indent + tree_line_room(tree, frame, n, name) + tag.size() + 1);
    // Four spaces a level, one 4-byte store each: rows are shallow, and a memset call for a
    // few bytes costs more than the stores.
    constexpr std::uint32_t kFourSpaces = 0x20202020;
    for (std::size_t d = 0; d < n.depth; ++d) std::memcpy(w + d * 4, &kFourSpaces, 4);
    w = put_tree_line(w + indent, tree, frame, n, name);
    w = put(w, tag);
    *w++ = '\n';
    out.commit(w);
}

}  // namespace wirelab
