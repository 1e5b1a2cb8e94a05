// The conformance driver's side of one WebSocket connection (RFC 6455): a client that can send
// any bytes at all, right or deliberately wrong, and reports what the server sends back as a
// list of events, the way the Autobahn test suite's fuzzing client observes a server.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "wirelab/websocket.hpp"

namespace wsconf {

namespace ws = wirelab::ws;

using Bytes = std::vector<std::uint8_t>;

Bytes bytes(std::string_view text);

// What the server did, one thing at a time. A fragmented message from the server arrives as
// one `message` event (Autobahn compares messages, not the frames they came in).
struct Event {
    enum class Kind { message, ping, pong, close, tcp_closed, timeout, bad_frame };
    Kind kind = Kind::timeout;
    std::uint8_t opcode = 0;  // of a message: ws::kText or ws::kBinary
    Bytes data;               // the message, the ping or pong payload, the close reason
    bool has_code = false;    // a close frame may carry no code at all
    std::uint16_t code = 0;
    std::string what;         // for bad_frame: which rule the server broke

    std::string describe() const;
};

// Frame bits the codec's encode_frame() does not set (RSV2, RSV3) are patched in afterwards,
// so a case can send every wrong combination.
struct FrameSpec {
    std::uint8_t opcode = ws::kText;
    Bytes payload;
    bool fin = true;
    std::uint8_t rsv = 0;  // RSV1 = 4, RSV2 = 2, RSV3 = 1, as Autobahn numbers them
};

// Encodes one masked client frame (RFC 6455 section 5.3: every client frame is masked).
Bytes frame(const FrameSpec& f);
Bytes frame(std::uint8_t opcode, std::string_view payload, bool fin = true, std::uint8_t rsv = 0);
Bytes frame(std::uint8_t opcode, const Bytes& payload, bool fin = true, std::uint8_t rsv = 0);
Bytes close_frame(std::uint16_t code, std::string_view reason = {});

class Peer {
public:
    Peer() = default;
    Peer(const Peer&) = delete;
    Peer& operator=(const Peer&) = delete;
    ~Peer();

    // TCP connect and the opening handshake (RFC 6455 section 4.1), with TCP_NODELAY so each
    // write leaves as its own segment. False with `error` set if either fails.
    bool open(const std::string& host, int port, std::string& error);

    // Sends `data` in writes of `chop` bytes (0: one write). Writes of fewer than 16 bytes
    // pause briefly in between, so the server really gets them one by one ("octet-wise chops"
    // in Autobahn). While sending it keeps reading, so a server that answers early never
    // blocks us. False if the server has closed and the bytes could not all be sent.
    bool send(std::span<const std::uint8_t> data, std::size_t chop = 0);
    bool send(const Bytes& data, std::size_t chop = 0) { return send(std::span<const std::uint8_t>(data), chop); }

    // The next thing the server does, waiting up to `timeout_ms`.
    Event next(int timeout_ms);

    // Has the server closed TCP (FIN or reset) within `timeout_ms`? Anything it sends before
    // that is dropped.
    bool wait_tcp_close(int timeout_ms);

    bool tcp_closed() const { return eof_; }

private:
    bool read_some(int timeout_ms);  // appends to rx_; false on timeout
    bool next_frame(ws::FrameHeader& h, Bytes& payload, std::string& error);

    int fd_ = -1;
    Bytes rx_;
    std::size_t rx_pos_ = 0;
    bool eof_ = false;
    // A message the server is sending in fragments.
    bool in_message_ = false;
    std::uint8_t message_opcode_ = 0;
    Bytes message_;
};

}  // namespace wsconf
