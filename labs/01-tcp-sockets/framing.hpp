// Message framing over a TCP byte stream. TCP delivers bytes in order but keeps no boundaries:
// three send() calls may arrive as one recv() or as five. A protocol on top must say where a
// message ends: a delimiter (a newline, like SMTP and HTTP header lines) or a length prefix
// (like WebSocket frames and TLS records).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace lab01 {

enum class Framing {
    none,     // no framing: whatever one recv() returns is treated as "a message" (the mistake)
    newline,  // each message ends with '\n'
    length,   // each message starts with its length, 4 bytes, most significant byte first
};

bool parse_framing(std::string_view text, Framing& out);
const char* framing_name(Framing f);

// The bytes to send for one message.
std::string encode(Framing f, std::string_view message);

// Splits received bytes into messages, however they were cut into reads.
class Splitter {
public:
    Splitter(Framing f, std::size_t max_message) : framing_(f), max_(max_message) {}

    // Adds bytes from one recv(). Returns false once a message is longer than the limit;
    // error() then says so and the connection should be closed.
    bool feed(const char* data, std::size_t n);
    // Takes the next complete message, if there is one.
    bool next(std::string& message);
    std::size_t buffered() const { return buf_.size() - pos_; }
    const std::string& error() const { return error_; }

private:
    Framing framing_;
    std::size_t max_;
    std::string buf_;
    std::size_t pos_ = 0;  // bytes of buf_ already taken
    std::string error_;
};

// "one\ntwo\n" -> "one\\ntwo\\n": received bytes as a student can read them in the transcript.
std::string printable(std::string_view bytes, std::size_t max = 80);

}  // namespace lab01
