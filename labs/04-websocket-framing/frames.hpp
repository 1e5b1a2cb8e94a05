// Reading WebSocket frames off a byte stream (RFC 6455 section 5) with core's codec, and drawing
// a frame header bit by bit the way section 5.2 draws it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "wirelab/websocket.hpp"

namespace lab04 {

namespace ws = wirelab::ws;

// What a FrameReader found. The spans point into the reader's input (already unmasked) or into
// its message buffer; they are valid only during the call.
class FrameEvents {
public:
    virtual ~FrameEvents() = default;
    // Every frame header, as soon as it is read (for the bit diagrams; the echo server ignores it).
    virtual void on_frame(const ws::FrameHeader&, std::span<const std::uint8_t> /*header bytes*/) {}
    // A whole text or binary message, reassembled if it came in fragments.
    virtual void on_message(std::uint8_t opcode, std::span<std::uint8_t> payload) = 0;
    // A ping, pong or close (a close payload has passed ws::check_close_payload). Return false to
    // stop reading: after a close nothing more is read.
    virtual bool on_control(const ws::FrameHeader& h, std::span<std::uint8_t> payload) = 0;
    // The peer broke a rule: the connection must be closed with v.code (RFC 6455 section 7.1.7).
    virtual void on_violation(const ws::Violation& v) = 0;
};

// Turns bytes into frames and messages, and enforces the rules of RFC 6455 on the way: core's
// ws::check_frame for each header, ws::check_close_payload for close frames, an incremental
// ws::Utf8Validator for text (it fails in the middle of a fragment, not at the end of the
// message), and a limit on the size of a message. No I/O: the caller owns the socket.
class FrameReader {
public:
    // `from_client`: the frames come from a client, so they must be masked (section 5.3).
    FrameReader(bool from_client, std::uint64_t max_message) : from_client_(from_client), max_message_(max_message) {}

    // Reads what it can from `data`, unmasking payloads in place, and returns how many bytes it
    // used. What is left (part of a header, or of a control frame) must be offered again with
    // the next bytes behind it; it is never more than a header and 125 bytes.
    std::size_t feed(std::span<std::uint8_t> data, FrameEvents& events);

    bool failed() const { return failed_; }
    bool stopped() const { return stopped_; }

private:
    std::size_t fail(std::size_t used, const ws::Violation& v, FrameEvents& events);

    bool from_client_;
    std::uint64_t max_message_;
    bool failed_ = false, stopped_ = false;
    bool in_frame_ = false;            // a data frame's header is read, its payload is arriving
    ws::FrameHeader frame_;
    std::uint64_t frame_read_ = 0;     // payload bytes of frame_ read so far
    bool in_message_ = false;          // a fragmented message is open
    std::uint8_t message_opcode_ = 0;
    std::vector<std::uint8_t> message_;  // a message that did not arrive in one piece
    ws::Utf8Validator utf8_;
};

// An RFC 6455 section 5.2 style box of the header bytes with the actual bits, and a legend that
// names each field's value. `payload` (unmasked) is previewed under it.
std::string draw_frame(const ws::FrameHeader& h, std::span<const std::uint8_t> header,
                       std::span<const std::uint8_t> payload);

// "Text 5 bytes FIN MASK" in one line, for the quiet modes.
std::string frame_summary(const ws::FrameHeader& h);

// Up to `max` bytes as text if printable, else as hex.
std::string preview(std::span<const std::uint8_t> data, std::size_t max = 40);

}  // namespace lab04
