// Lab 05's one message, as all five transports carry it: "SEQ SENT_NS TEXT", plain text, the
// same bytes whether they travel in a length-prefixed TCP record, a UDP datagram, a line of an
// HTTP poll answer or a WebSocket text frame. Only what is around those bytes differs, and
// that difference is what the lab measures.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace lab05 {

// The five ways of getting a message from the hub to a receiver. The order is the table's.
enum class Transport { tcp, udp, short_poll, long_poll, ws };
inline constexpr std::array kTransports = {Transport::tcp, Transport::udp, Transport::short_poll,
                                           Transport::long_poll, Transport::ws};
inline constexpr std::size_t kTransportCount = kTransports.size();

inline std::size_t index_of(Transport t) { return static_cast<std::size_t>(t); }
// The short name used on the command line (--transport) and in the table.
std::string_view transport_name(Transport t);
// What it is, for the transcript and the Markdown table.
std::string_view transport_label(Transport t);
bool parse_transport(std::string_view name, Transport& out);
// Push transports send without being asked; the pollers ask ("anything after N?").
inline bool is_push(Transport t) { return t == Transport::tcp || t == Transport::udp || t == Transport::ws; }

struct Message {
    std::uint64_t seq = 0;     // 1, 2, 3 ... in publishing order
    std::int64_t sent_ns = 0;  // steady clock when the hub published it (same host as the receivers)
    std::string text;          // one line: no CR or LF, so an HTTP poll answer can be one message a line
};

// The bytes of a message: "17 123456789012 message 17 from the hub".
std::string encode(const Message& m);
// Reads them back; false unless there are two numbers, a space and a text without line breaks.
bool decode(std::string_view bytes, Message& out);

// The steady clock in nanoseconds: never jumps, so a difference is a true duration, but it
// means something only on one machine. Latency across two machines would need synchronised
// clocks (NTP, PTP) and is out of scope here.
inline std::int64_t steady_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// Limits both ends apply to one message: a peer may claim any length, we believe only this much.
inline constexpr std::size_t kMaxMessage = 16 * 1024;

}  // namespace lab05
