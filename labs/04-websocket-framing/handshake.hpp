// The WebSocket opening handshake (RFC 6455 section 4): an HTTP/1.1 GET with Upgrade, answered
// by 101 Switching Protocols and the Sec-WebSocket-Accept proof. Parsing is core's
// wirelab::http::parse_head; the accept value is core's wirelab::ws::accept_key.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "wirelab/http.hpp"

namespace lab04 {

// The GUID every WebSocket server appends to the key (section 1.3).
inline constexpr std::string_view kWebSocketGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

// 16 random bytes, base64: a fresh Sec-WebSocket-Key (section 4.1).
std::string make_key();
// Four random bytes for masking a client frame (section 5.3: unpredictable, new for every frame).
std::array<std::uint8_t, 4> make_mask();

// The client's request.
std::string upgrade_request(std::string_view host, std::string_view path, std::string_view key);

// What a server makes of a request: 101 with the accept value, or the status and reason that
// say what is wrong with it.
struct UpgradeCheck {
    int status = 101;
    std::string reason;  // for the transcript and the body of an error response
    std::string key;
    std::string accept;
};
UpgradeCheck check_upgrade(const wirelab::http::Message& request);

// The response to send for `check`: 101 Switching Protocols, or 400/426/... with the reason as
// the body and Connection: close.
std::string upgrade_response(const UpgradeCheck& check);
std::string error_response(int status, std::string_view reason);

// Whether a server's response completes the handshake for `key` (section 4.1, the client's
// checks). Empty if it does, else what is wrong.
std::string check_response(const wirelab::http::Message& response, std::string_view key);

// The accept computation shown step by step for the transcript: key + GUID, its SHA-1 in hex,
// and the base64 of that digest.
struct AcceptSteps {
    std::string concatenated, sha1_hex, base64;
};
AcceptSteps accept_steps(std::string_view key);

}  // namespace lab04
