// Display filter values: the literal syntax Wireshark accepts for each field type (numbers,
// IPv4/IPv6 addresses and prefixes, MAC addresses, byte strings, times) and how two values
// of a type compare.
#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "filter_impl.hpp"

namespace wirelab::filter_impl {

namespace {

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool parse_decimal(std::string_view s, std::uint64_t& out, std::uint64_t max) {
    if (s.empty()) return false;
    std::uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        unsigned d = static_cast<unsigned>(c - '0');
        if (v > (max - d) / 10) return false;
        v = v * 10 + d;
    }
    out = v;
    return true;
}

// Days from 1970-01-01 to a civil date (Howard Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    auto yoe = static_cast<unsigned>(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

}  // namespace

Kind kind_of(FieldType t) {
    switch (t) {
        case FieldType::none: return Kind::none;
        case FieldType::protocol: return Kind::protocol;
        case FieldType::boolean: return Kind::boolean;
        case FieldType::u8:
        case FieldType::u16:
        case FieldType::u24:
        case FieldType::u32:
        case FieldType::u64:
        case FieldType::i32:
        case FieldType::framenum: return Kind::integer;
        case FieldType::reltime:
        case FieldType::abstime: return Kind::time;
        case FieldType::ether: return Kind::ether;
        case FieldType::ipv4: return Kind::ipv4;
        case FieldType::ipv6: return Kind::ipv6;
        case FieldType::bytes: return Kind::bytes;
        case FieldType::string: return Kind::string;
    }
    return Kind::none;
}

int compare(Int a, Int b) {
    if (a.neg != b.neg) return a.neg ? -1 : 1;
    if (a.mag == b.mag) return 0;
    bool less = a.mag < b.mag;
    if (a.neg) less = !less;
    return less ? -1 : 1;
}

int compare(const Scalar& a, const Scalar& b) {
    switch (a.kind) {
        case Kind::integer:
        case Kind::boolean:
        case Kind::time: return compare(a.num, b.num);
        case Kind::ipv4:
        case Kind::ipv6: {
            // A CIDR block equals every address inside it (Wireshark compares the bits both
            // sides share: 10.1.2.3 == 10.0.0.0/8).
            unsigned bits = std::min(a.prefix, b.prefix);
            std::size_t whole = bits / 8;
            if (a.n < whole + (bits % 8 ? 1 : 0) || b.n < whole + (bits % 8 ? 1 : 0)) return a.n < b.n ? -1 : 1;
            if (int c = std::memcmp(a.p, b.p, whole)) return c;
            if (bits % 8) {
                auto mask = static_cast<std::uint8_t>(0xff << (8 - bits % 8));
                int x = a.p[whole] & mask, y = b.p[whole] & mask;
                if (x != y) return x < y ? -1 : 1;
            }
            return 0;
        }
        case Kind::string: {
            std::size_t n = std::min(a.n, b.n);
            if (n)
                if (int c = std::memcmp(a.p, b.p, n)) return c;
            return a.n == b.n ? 0 : (a.n < b.n ? -1 : 1);
        }
        case Kind::ether:
        case Kind::bytes:
        case Kind::protocol:
            if (a.n != b.n) return a.n < b.n ? -1 : 1;
            return a.n ? std::memcmp(a.p, b.p, a.n) : 0;
        case Kind::none: break;
    }
    return 0;
}

bool contains(const Scalar& hay, const Scalar& needle) {
    if (needle.n == 0) return true;
    if (needle.n > hay.n) return false;
    const std::uint8_t* end = hay.p + hay.n;
    return std::search(hay.p, end, needle.p, needle.p + needle.n) != end;
}

// Decimal, 0x hex, 0b binary or 0-prefixed octal, with an optional sign, as Wireshark reads
// integer values.
bool parse_integer(std::string_view s, Int& out) {
    bool neg = false;
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        s.remove_prefix(1);
    }
    if (s.empty()) return false;
    std::uint64_t v = 0;
    unsigned base = 10;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s.remove_prefix(2);
    } else if (s.size() > 2 && s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) {
        base = 2;
        s.remove_prefix(2);
    } else if (s.size() > 1 && s[0] == '0') {
        base = 8;
        s.remove_prefix(1);
    }
    for (char c : s) {
        int d = hex_digit(c);
        if (d < 0 || static_cast<unsigned>(d) >= base) return false;
        if (v > (UINT64_MAX - static_cast<unsigned>(d)) / base) return false;
        v = v * base + static_cast<unsigned>(d);
    }
    out = Int{neg && v != 0, v};
    return true;
}

// Splits an optional "/bits" prefix length off `s` (CIDR notation); at most `max_bits`.
static bool split_prefix(std::string_view& s, unsigned max_bits, const char* family, unsigned& prefix, std::string* why) {
    prefix = max_bits;
    auto slash = s.find('/');
    if (slash == std::string_view::npos) return true;
    std::uint64_t bits = 0;
    if (!parse_decimal(s.substr(slash + 1), bits, 1000)) {
        if (why) *why = "the prefix length after '/' must be a number of bits";
        return false;
    }
    if (bits > max_bits) {
        if (why) *why = std::string("an ") + family + " prefix has at most " + std::to_string(max_bits) + " bits, not " +
                        std::to_string(bits);
        return false;
    }
    prefix = static_cast<unsigned>(bits);
    s = s.substr(0, slash);
    return true;
}

bool parse_ipv4(std::string_view s, std::uint8_t out[4], unsigned& prefix, std::string* why) {
    if (!split_prefix(s, 32, "IPv4", prefix, why)) return false;
    for (int i = 0; i < 4; ++i) {
        auto dot = s.find('.');
        if ((i < 3) != (dot != std::string_view::npos)) return false;
        std::string_view part = s.substr(0, dot);
        std::uint64_t v = 0;
        if (part.size() > 3 || !parse_decimal(part, v, 255)) return false;
        out[i] = static_cast<std::uint8_t>(v);
        s = i < 3 ? s.substr(dot + 1) : std::string_view{};
    }
    return true;
}

bool parse_ipv6(std::string_view s, std::uint8_t out[16], unsigned& prefix, std::string* why) {
    if (!split_prefix(s, 128, "IPv6", prefix, why)) return false;
    if (s.empty() || s.size() > 45 || s.find(':') == std::string_view::npos) return false;
    char buf[46];
    std::memcpy(buf, s.data(), s.size());
    buf[s.size()] = 0;
    return inet_pton(AF_INET6, buf, out) == 1;
}

// aa:bb:cc:dd:ee:ff, aa-bb-cc-dd-ee-ff, aabb.ccdd.eeff, aa.bb.cc.dd.ee.ff or aabbccddeeff.
bool parse_ether(std::string_view s, std::uint8_t out[6]) {
    std::string bytes;
    if (!parse_byte_string(s, bytes) || bytes.size() != 6) {
        // Cisco style: three groups of four hex digits.
        if (s.size() != 14 || s[4] != '.' || s[9] != '.') return false;
        std::string joined;
        joined.append(s.substr(0, 4)).append(s.substr(5, 4)).append(s.substr(10, 4));
        if (!parse_byte_string(joined, bytes) || bytes.size() != 6) return false;
    }
    std::memcpy(out, bytes.data(), 6);
    return true;
}

// Bytes in hex: groups of one or two digits separated by ':', '-' or '.' (one separator kind
// throughout), or an even number of digits with no separator ("aabbcc").
bool parse_byte_string(std::string_view s, std::string& out) {
    out.clear();
    if (s.empty()) return false;
    char sep = 0;
    for (char c : s)
        if (c == ':' || c == '-' || c == '.') {
            sep = c;
            break;
        }
    if (!sep) {
        if (s.size() % 2) return false;
        for (std::size_t i = 0; i < s.size(); i += 2) {
            int hi = hex_digit(s[i]), lo = hex_digit(s[i + 1]);
            if (hi < 0 || lo < 0) return false;
            out += static_cast<char>(hi << 4 | lo);
        }
        return true;
    }
    std::size_t i = 0;
    while (true) {
        std::size_t j = s.find(sep, i);
        std::string_view g = s.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i);
        if (g.empty() || g.size() > 2) return false;
        int v = 0;
        for (char c : g) {
            int d = hex_digit(c);
            if (d < 0) return false;
            v = v * 16 + d;
        }
        out += static_cast<char>(v);
        if (j == std::string_view::npos) break;
        i = j + 1;
    }
    return true;
}

// Seconds with up to nine decimals ("1.5", "-0.001"), as relative times are written.
bool parse_seconds(std::string_view s, Int& ns) {
    bool neg = false;
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        s.remove_prefix(1);
    }
    auto dot = s.find('.');
    std::string_view whole = s.substr(0, dot);
    std::string_view frac = dot == std::string_view::npos ? std::string_view{} : s.substr(dot + 1);
    if (whole.empty() && frac.empty()) return false;
    std::uint64_t secs = 0, f = 0;
    if (!whole.empty() && !parse_decimal(whole, secs, 9'000'000'000ull)) return false;
    if (dot != std::string_view::npos && !frac.empty()) {
        for (char c : frac)
            if (c < '0' || c > '9') return false;
        std::string_view digits = frac.substr(0, 9);  // nanoseconds; finer digits are dropped
        parse_decimal(digits, f, 999'999'999);
        for (std::size_t k = digits.size(); k < 9; ++k)
            f *= 10;
    }
    std::uint64_t v = secs * 1'000'000'000ull + f;
    ns = Int{neg && v != 0, v};
    return true;
}

// "YYYY-MM-DD", "YYYY-MM-DD HH:MM:SS[.frac]", optionally with 'T' between and a trailing
// "Z" or " UTC": always UTC.
bool parse_date(std::string_view s, Int& ns) {
    if (s.size() >= 4 && s.substr(s.size() - 4) == " UTC") s.remove_suffix(4);
    if (!s.empty() && s.back() == 'Z') s.remove_suffix(1);
    std::uint64_t y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
    if (s.size() < 10 || s[4] != '-' || s[7] != '-') return false;
    if (!parse_decimal(s.substr(0, 4), y, 9999) || !parse_decimal(s.substr(5, 2), mo, 12) ||
        !parse_decimal(s.substr(8, 2), d, 31) || mo == 0 || d == 0)
        return false;
    Int frac_ns{};
    if (s.size() > 10) {
        if ((s[10] != ' ' && s[10] != 'T') || s.size() < 19 || s[13] != ':' || s[16] != ':') return false;
        if (!parse_decimal(s.substr(11, 2), h, 23) || !parse_decimal(s.substr(14, 2), mi, 59) ||
            !parse_decimal(s.substr(17, 2), sec, 60))
            return false;
        if (s.size() > 19) {
            if (s[19] != '.' || !parse_seconds(s.substr(19), frac_ns)) return false;
        }
    }
    std::int64_t days =
        days_from_civil(static_cast<std::int64_t>(y), static_cast<unsigned>(mo), static_cast<unsigned>(d));
    std::int64_t secs = days * 86400 + static_cast<std::int64_t>(h * 3600 + mi * 60 + sec);
    ns = Int::of_signed(secs * 1'000'000'000 + static_cast<std::int64_t>(frac_ns.mag));
    return true;
}

}  // namespace wirelab::filter_impl
