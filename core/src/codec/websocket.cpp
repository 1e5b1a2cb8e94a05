// WebSocket framing (RFC 6455).
#include "wirelab/websocket.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <array>
#include <bit>
#include <cstring>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace wirelab::ws {

Parse parse_header(std::span<const std::uint8_t> d, FrameHeader& h, std::string* error) {
    if (d.size() < 2) return Parse::incomplete;
    h = FrameHeader{};
    h.fin = d[0] & 0x80;
    h.rsv1 = d[0] & 0x40;
    h.rsv2 = d[0] & 0x20;
    h.rsv3 = d[0] & 0x10;
    h.opcode = d[0] & 0x0f;
    h.masked = d[1] & 0x80;
    h.length_code = d[1] & 0x7f;
    std::size_t pos = 2;
    if (h.length_code == 126) {
        if (d.size() < 4) return Parse::incomplete;
        h.payload_length = std::uint64_t(d[2]) << 8 | d[3];
        pos = 4;
    } else if (h.length_code == 127) {
        if (d.size() < 10) return Parse::incomplete;
        h.payload_length = 0;
        for (int i = 0; i < 8; ++i) h.payload_length = h.payload_length << 8 | d[2 + i];
        pos = 10;
        if (h.payload_length >> 63) {
            if (error) *error = "64-bit payload length with the most significant bit set (RFC 6455 section 5.2)";
            return Parse::error;
        }
    } else {
        h.payload_length = h.length_code;
    }
    if (h.masked) {
        if (d.size() < pos + 4) return Parse::incomplete;
        for (int i = 0; i < 4; ++i) h.mask[i] = d[pos + i];
        pos += 4;
    }
    h.header_length = pos;
    return Parse::complete;
}

void apply_mask(std::span<std::uint8_t> data, const std::array<std::uint8_t, 4>& mask, std::uint64_t offset) {
    // Byte i is XORed with mask[(offset + i) % 4]. Eight bytes at a time against the key
    // rotated to the offset and repeated (the compiler turns this loop into SIMD: about ten
    // times faster than byte by byte on a 1 MiB payload), then the last few bytes one by one.
    std::uint8_t key8[8];
    for (int i = 0; i < 8; ++i) key8[i] = mask[(offset + i) & 3];
    std::uint64_t key;
    std::memcpy(&key, key8, 8);
    std::size_t i = 0;
    for (; i + 8 <= data.size(); i += 8) {
        std::uint64_t word;
        std::memcpy(&word, data.data() + i, 8);
        word ^= key;
        std::memcpy(data.data() + i, &word, 8);
    }
    for (; i < data.size(); ++i) data[i] ^= mask[(offset + i) & 3];
}

void encode_frame(std::vector<std::uint8_t>& out, std::uint8_t opcode, std::span<const std::uint8_t> payload,
                  bool fin, const std::optional<std::array<std::uint8_t, 4>>& mask, bool rsv1) {
    out.push_back(static_cast<std::uint8_t>((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | (opcode & 0x0f)));
    std::uint8_t m = mask ? 0x80 : 0;
    std::uint64_t n = payload.size();
    if (n <= 125) {
        out.push_back(static_cast<std::uint8_t>(m | n));
    } else if (n <= 0xffff) {
        out.push_back(m | 126);
        out.push_back(static_cast<std::uint8_t>(n >> 8));
        out.push_back(static_cast<std::uint8_t>(n));
    } else {
        out.push_back(m | 127);
        for (int i = 7; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(n >> (i * 8)));
    }
    std::size_t start = out.size();
    if (mask) out.insert(out.end(), mask->begin(), mask->end());
    start = out.size();
    out.insert(out.end(), payload.begin(), payload.end());
    if (mask) apply_mask(std::span(out).subspan(start), *mask);
}

std::vector<std::uint8_t> close_payload(std::uint16_t code, std::string_view reason) {
    std::vector<std::uint8_t> p{static_cast<std::uint8_t>(code >> 8), static_cast<std::uint8_t>(code)};
    p.insert(p.end(), reason.begin(), reason.end());
    return p;
}

std::string accept_key(std::string_view client_key) {
    std::string in(client_key);
    in += "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(in.data()), in.size(), digest);
    unsigned char b64[4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1];
    int n = EVP_EncodeBlock(b64, digest, SHA_DIGEST_LENGTH);
    return std::string(reinterpret_cast<char*>(b64), static_cast<std::size_t>(n));
}

std::optional<Violation> check_frame(const FrameHeader& h, bool from_client, bool in_message, bool rsv1_allowed) {
    if ((h.rsv1 && !rsv1_allowed) || h.rsv2 || h.rsv3)
        return Violation{kProtocolError, "reserved bit set without an extension that defines it"};
    bool control = h.opcode & 0x08;
    if ((h.opcode > kBinary && h.opcode < kClose) || h.opcode > kPong)
        return Violation{kProtocolError, "reserved opcode " + std::to_string(h.opcode)};
    if (from_client && !h.masked) return Violation{kProtocolError, "a client frame must be masked"};
    if (!from_client && h.masked) return Violation{kProtocolError, "a server frame must not be masked"};
    if (control) {
        if (!h.fin) return Violation{kProtocolError, "a control frame must not be fragmented"};
        if (h.payload_length > 125) return Violation{kProtocolError, "a control frame payload is longer than 125 bytes"};
        if (h.rsv1) return Violation{kProtocolError, "a control frame must not be compressed"};
    } else if (h.opcode == kContinuation) {
        if (!in_message) return Violation{kProtocolError, "continuation frame without a message to continue"};
        if (h.rsv1) return Violation{kProtocolError, "RSV1 on a continuation frame"};
    } else if (in_message) {
        return Violation{kProtocolError, "new data frame before the fragmented message ended"};
    }
    return std::nullopt;
}

std::optional<Violation> check_close_payload(std::span<const std::uint8_t> p) {
    if (p.empty()) return std::nullopt;
    if (p.size() == 1) return Violation{kProtocolError, "close payload of 1 byte (a code needs 2)"};
    std::uint16_t code = static_cast<std::uint16_t>(p[0] << 8 | p[1]);
    bool allowed = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) || (code >= 3000 && code <= 4999);
    if (!allowed) return Violation{kProtocolError, "close code " + std::to_string(code) + " may not be sent"};
    if (!valid_utf8(p.subspan(2))) return Violation{kInvalidPayload, "close reason is not valid UTF-8"};
    return std::nullopt;
}

namespace {

// What a character that starts with byte `lead` needs next (Unicode 15, table 3-7): how many
// continuation bytes, and the range of the first of them, which rules out overlong forms,
// surrogates and values past U+10FFFF. more == 0: `lead` is ASCII or cannot start a character.
struct Lead {
    std::uint8_t more = 0, lo = 0x80, hi = 0xbf;
};
constexpr std::array<Lead, 256> make_leads() {
    std::array<Lead, 256> t{};
    for (unsigned c = 0xc2; c <= 0xf4; ++c) t[c].more = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : 1;
    t[0xe0].lo = 0xa0;
    t[0xed].hi = 0x9f;
    t[0xf0].lo = 0x90;
    t[0xf4].hi = 0x8f;
    return t;
}
constexpr std::array<Lead, 256> kLeads = make_leads();

// Skips the ASCII bytes at p[i], p[i + 1], ...: returns the index of the first byte with its
// top bit set, or a point within the last 8 bytes before n (the caller goes on byte by byte).
std::size_t skip_ascii(const std::uint8_t* p, std::size_t i, std::size_t n) {
#if defined(__x86_64__)
    while (i + 16 <= n) {
        const unsigned high =
            static_cast<unsigned>(_mm_movemask_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i))));
        if (high) return i + static_cast<std::size_t>(std::countr_zero(high));
        i += 16;
    }
#endif
    while (i + 8 <= n) {
        std::uint64_t word;
        std::memcpy(&word, p + i, 8);
        const std::uint64_t high = word & 0x8080808080808080ull;
        if (high) return i + static_cast<std::size_t>(std::countr_zero(high)) / 8;
        i += 8;
    }
    return i;
}

#if defined(__x86_64__)
// Validates 16 bytes at a time with no branch on the content, after Keiser and Lemire,
// "Validating UTF-8 in less than one instruction per byte" (Software: Practice and Experience,
// 2021). Each byte is looked at with the one before it: three table lookups (pshufb), on the
// high and low nibbles of the earlier byte and the high nibble of this one, give a set of
// error bits that are all 1 only for a bad pair (an ASCII or lead byte followed by a
// continuation, a lead followed by no continuation, overlong forms, surrogates, past
// U+10FFFF); two continuations in a row are a pair that is bad unless a lead byte two or
// three back needs them. Chat text with a multi-byte character every few words made the
// byte-at-a-time loop mispredict at every character; this does the same work for every block.
enum : std::uint8_t {
    kTooShort = 1 << 0,    // 11______ 0_______ or 11______ 11______
    kTooLong = 1 << 1,     // 0_______ 10______
    kOverlong3 = 1 << 2,   // 11100000 100_____
    kTooLarge = 1 << 3,    // 11110100 1001____ and up, and 11110101.. with any continuation
    kSurrogate = 1 << 4,   // 11101101 101_____
    kOverlong2 = 1 << 5,   // 1100000_ 10______
    kTooLarge1000 = 1 << 6,  // 11110101.. 1000____ (with kTooLarge: every lead past f4)
    kOverlong4 = 1 << 6,   // 11110000 1000____
    kTwoConts = 1 << 7,    // 10______ 10______
    kCarry = kTooShort | kTooLong | kTwoConts,  // decided by the earlier byte's high nibble
};

__attribute__((target("ssse3"))) inline __m128i table16(std::uint8_t a0, std::uint8_t a1, std::uint8_t a2,
                                                         std::uint8_t a3, std::uint8_t a4, std::uint8_t a5,
                                                         std::uint8_t a6, std::uint8_t a7, std::uint8_t a8,
                                                         std::uint8_t a9, std::uint8_t a10, std::uint8_t a11,
                                                         std::uint8_t a12, std::uint8_t a13, std::uint8_t a14,
                                                         std::uint8_t a15) {
    return _mm_setr_epi8(static_cast<char>(a0), static_cast<char>(a1), static_cast<char>(a2), static_cast<char>(a3),
                         static_cast<char>(a4), static_cast<char>(a5), static_cast<char>(a6), static_cast<char>(a7),
                         static_cast<char>(a8), static_cast<char>(a9), static_cast<char>(a10), static_cast<char>(a11),
                         static_cast<char>(a12), static_cast<char>(a13), static_cast<char>(a14),
                         static_cast<char>(a15));
}

// Checks p[0, n), n a multiple of 16, starting at a character boundary. Returns false at a
// bad byte; otherwise sets `checked` to where the last character that the bytes do not
// finish begins (n if they end on a boundary): the caller goes on from there.
__attribute__((target("ssse3"))) bool utf8_blocks(const std::uint8_t* p, std::size_t n, std::size_t& checked) {
    const __m128i nibble = _mm_set1_epi8(0x0f);
    const __m128i high1 = table16(kTooLong, kTooLong, kTooLong, kTooLong, kTooLong, kTooLong, kTooLong, kTooLong,
                                  kTwoConts, kTwoConts, kTwoConts, kTwoConts, kTooShort | kOverlong2, kTooShort,
                                  kTooShort | kOverlong3 | kSurrogate,
                                  kTooShort | kTooLarge | kTooLarge1000 | kOverlong4);
    constexpr std::uint8_t kLarge = kCarry | kTooLarge | kTooLarge1000;
    const __m128i low1 = table16(kCarry | kOverlong3 | kOverlong2 | kOverlong4, kCarry | kOverlong2, kCarry, kCarry,
                                 kCarry | kTooLarge, kLarge, kLarge, kLarge, kLarge, kLarge, kLarge, kLarge, kLarge,
                                 kLarge | kSurrogate, kLarge, kLarge);
    constexpr std::uint8_t kCont = kTooLong | kOverlong2 | kTwoConts;
    const __m128i high2 = table16(kTooShort, kTooShort, kTooShort, kTooShort, kTooShort, kTooShort, kTooShort,
                                  kTooShort, kCont | kOverlong3 | kTooLarge1000 | kOverlong4,
                                  kCont | kOverlong3 | kTooLarge, kCont | kSurrogate | kTooLarge,
                                  kCont | kSurrogate | kTooLarge, kTooShort, kTooShort, kTooShort, kTooShort);
    __m128i prev = _mm_setzero_si128();
    __m128i error = _mm_setzero_si128();
    for (std::size_t i = 0; i < n; i += 16) {
        const __m128i in = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
        const __m128i prev1 = _mm_alignr_epi8(in, prev, 15);
        const __m128i b1_high = _mm_shuffle_epi8(high1, _mm_and_si128(_mm_srli_epi16(prev1, 4), nibble));
        const __m128i b1_low = _mm_shuffle_epi8(low1, _mm_and_si128(prev1, nibble));
        const __m128i b2_high = _mm_shuffle_epi8(high2, _mm_and_si128(_mm_srli_epi16(in, 4), nibble));
        const __m128i special = _mm_and_si128(_mm_and_si128(b1_high, b1_low), b2_high);
        // A third byte of a 3- or 4-byte character, or a fourth: lead >= e0 two back, >= f0
        // three back. Only those continuations may follow a continuation.
        const __m128i third = _mm_subs_epu8(_mm_alignr_epi8(in, prev, 14), _mm_set1_epi8(static_cast<char>(0xe0 - 0x80)));
        const __m128i fourth = _mm_subs_epu8(_mm_alignr_epi8(in, prev, 13), _mm_set1_epi8(static_cast<char>(0xf0 - 0x80)));
        const __m128i must = _mm_and_si128(_mm_or_si128(third, fourth), _mm_set1_epi8(static_cast<char>(0x80)));
        error = _mm_or_si128(error, _mm_xor_si128(must, special));
        prev = in;
    }
    if (_mm_movemask_epi8(_mm_cmpeq_epi8(error, _mm_setzero_si128())) != 0xffff) return false;
    // A character the last bytes begin and do not finish is checked again from its lead byte.
    checked = n;
    if (p[n - 1] >= 0xc0)
        checked = n - 1;
    else if (p[n - 2] >= 0xe0)
        checked = n - 2;
    else if (p[n - 3] >= 0xf0)
        checked = n - 3;
    return true;
}

// Set while static objects are constructed; __builtin_cpu_init() first, as GCC asks of code
// that may run before the CPU model is read.
const bool kHaveSsse3 = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("ssse3") != 0;
}();
#endif

}  // namespace

bool Utf8Validator::feed(std::span<const std::uint8_t> data) {
    const std::uint8_t* p = data.data();
    const std::size_t n = data.size();
    std::size_t i = 0;
    // A character the previous call left open is finished byte by byte (step()).
    while (state_ != 0 && i < n)
        if (!step(p[i++])) return false;
#if defined(__x86_64__)
    // Blocks of 16 when there are a few; the rest, and a character the blocks leave open,
    // go through the loop below.
    if (n - i >= 64 && kHaveSsse3) {
        std::size_t checked = 0;
        if (!utf8_blocks(p + i, (n - i) & ~std::size_t{15}, checked)) return false;
        i += checked;
    }
#endif
    // Whole characters: runs of ASCII many bytes at a time, then one multi-byte character at a
    // time, all of whose bytes are checked at once.
    while (i < n) {
        i = skip_ascii(p, i, n);
        if (i == n) break;
        const std::uint8_t c = p[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        const Lead lead = kLeads[c];
        if (lead.more == 0) return false;
        if (n - i <= lead.more) break;  // the character goes on in the next call
        if (p[i + 1] < lead.lo || p[i + 1] > lead.hi) return false;
        for (unsigned k = 2; k <= lead.more; ++k)
            if ((p[i + k] & 0xc0) != 0x80) return false;
        i += lead.more + 1u;
    }
    // The start of a character the next call finishes.
    while (i < n)
        if (!step(p[i++])) return false;
    return true;
}

bool Utf8Validator::step(std::uint8_t c) {
    // state_: continuation bytes still expected; lo_ and hi_: the range of the next one.
    if (state_ == 0) {
        if (c < 0x80) return true;
        const Lead lead = kLeads[c];
        if (lead.more == 0) return false;
        state_ = lead.more;
        lo_ = lead.lo;
        hi_ = lead.hi;
        return true;
    }
    if (c < lo_ || c > hi_) return false;
    --state_;
    lo_ = 0x80;
    hi_ = 0xbf;
    return true;
}

bool valid_utf8(std::span<const std::uint8_t> data) {
    Utf8Validator v;
    return v.feed(data) && v.complete();
}

std::string_view opcode_name(std::uint8_t opcode) {
    switch (opcode) {
        case kContinuation: return "Continuation";
        case kText: return "Text";
        case kBinary: return "Binary";
        case kClose: return "Connection Close";
        case kPing: return "Ping";
        case kPong: return "Pong";
        default: return "Reserved";
    }
}

}  // namespace wirelab::ws
