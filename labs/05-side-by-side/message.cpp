// Lab 05's message text (see message.hpp) and the names of the five transports.
#include "message.hpp"

#include <charconv>

namespace lab05 {

namespace {

struct TransportNames {
    Transport t;
    std::string_view name, label;
};
// One table: the command line, the transcript and the Markdown all read their names here.
constexpr TransportNames kNames[] = {
    {Transport::tcp, "tcp", "raw TCP, 4-byte length prefix"},
    {Transport::udp, "udp", "UDP, one datagram a message"},
    {Transport::short_poll, "short", "HTTP/1.1 short polling"},
    {Transport::long_poll, "long", "HTTP/1.1 long polling"},
    {Transport::ws, "ws", "WebSocket text frames"},
};

// Reads a decimal number up to the next space; moves `s` past it and the space.
template <typename Int>
bool take_number(std::string_view& s, Int& out) {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec != std::errc() || end == s.data() || end == s.data() + s.size() || *end != ' ') return false;
    s.remove_prefix(static_cast<std::size_t>(end - s.data()) + 1);
    return true;
}

}  // namespace

std::string_view transport_name(Transport t) { return kNames[index_of(t)].name; }
std::string_view transport_label(Transport t) { return kNames[index_of(t)].label; }

bool parse_transport(std::string_view name, Transport& out) {
    for (const auto& n : kNames)
        if (n.name == name) {
            out = n.t;
            return true;
        }
    return false;
}

std::string encode(const Message& m) {
    return std::to_string(m.seq) + " " + std::to_string(m.sent_ns) + " " + m.text;
}

bool decode(std::string_view bytes, Message& out) {
    if (bytes.size() > kMaxMessage) return false;
    if (!take_number(bytes, out.seq) || !take_number(bytes, out.sent_ns)) return false;
    if (bytes.find_first_of("\r\n") != std::string_view::npos) return false;
    out.text = std::string(bytes);
    return true;
}

}  // namespace lab05
