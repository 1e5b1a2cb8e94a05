// WebSocket framing (RFC 6455 section 5): frame headers, masking, the opening-handshake key,
// protocol checks with their close codes (section 7.4), and UTF-8 validation. One codec for
// the dissector and the lab servers and clients.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace wirelab::ws {

enum Opcode : std::uint8_t { kContinuation = 0, kText = 1, kBinary = 2, kClose = 8, kPing = 9, kPong = 10 };

// Close codes (RFC 6455 section 7.4.1).
enum CloseCode : std::uint16_t {
    kNormal = 1000,
    kGoingAway = 1001,
    kProtocolError = 1002,
    kUnsupportedData = 1003,
    kInvalidPayload = 1007,
    kPolicyViolation = 1008,
    kMessageTooBig = 1009,
    kInternalError = 1011,
};

struct FrameHeader {
    bool fin = true;
    bool rsv1 = false, rsv2 = false, rsv3 = false;
    std::uint8_t opcode = kText;
    bool masked = false;
    std::uint8_t length_code = 0;      // the 7-bit length field: 0-125, 126 or 127
    std::uint64_t payload_length = 0;
    std::array<std::uint8_t, 4> mask{};
    std::size_t header_length = 2;     // 2 to 14 bytes
};

enum class Parse { complete, incomplete, error };

// Reads a frame header from the start of `data`.
Parse parse_header(std::span<const std::uint8_t> data, FrameHeader& h, std::string* error = nullptr);

// Masks or unmasks in place; `offset` is the position of data[0] within the payload.
void apply_mask(std::span<std::uint8_t> data, const std::array<std::uint8_t, 4>& mask, std::uint64_t offset = 0);

// Appends one encoded frame to `out`. Clients must mask (RFC 6455 section 5.3).
void encode_frame(std::vector<std::uint8_t>& out, std::uint8_t opcode, std::span<const std::uint8_t> payload,
                  bool fin = true, const std::optional<std::array<std::uint8_t, 4>>& mask = std::nullopt,
                  bool rsv1 = false);
std::vector<std::uint8_t> close_payload(std::uint16_t code, std::string_view reason);

// base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")), RFC 6455 section 4.2.2.
std::string accept_key(std::string_view client_key);

struct Violation {
    std::uint16_t code;
    std::string reason;
};

// The rules a single frame header must follow (RFC 6455 sections 5.2 and 5.5): reserved bits
// without an extension, reserved opcodes, control frames fragmented or longer than 125 bytes,
// masking by the wrong side, a continuation with nothing to continue, a new data frame inside
// a fragmented message.
std::optional<Violation> check_frame(const FrameHeader& h, bool from_client, bool in_message, bool rsv1_allowed);

// Checks a close frame's payload: a code that may be sent, and a UTF-8 reason.
std::optional<Violation> check_close_payload(std::span<const std::uint8_t> payload);

// Incremental UTF-8 validation (fails as soon as a byte cannot start or continue a valid
// sequence, so a server can close a bad text message before it has all of it).
class Utf8Validator {
public:
    // Returns false as soon as the bytes so far cannot be valid UTF-8.
    bool feed(std::span<const std::uint8_t> data);
    // True if the bytes fed so far end on a complete character.
    bool complete() const { return state_ == 0; }
    void reset() { state_ = 0; }

private:
    bool step(std::uint8_t c);  // one byte, for a character split between two calls

    std::uint32_t state_ = 0;
    std::uint8_t lo_ = 0x80, hi_ = 0xbf;
};

bool valid_utf8(std::span<const std::uint8_t> data);

std::string_view opcode_name(std::uint8_t opcode);

}  // namespace wirelab::ws
