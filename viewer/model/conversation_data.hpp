// What the viewer gathers across packets of one conversation or of the whole capture: the
// Follow Stream text, the ladder (sequence) diagram and the statistics. Plain data, computed
// on request outside any draw call; the views only draw it.
//
// A TCP conversation is followed by decoding just its packets, in order, with a fresh Decoder:
// it then sees them as its stream 0, with every byte of the connection and none of the others
// (HTTP and WebSocket reassembly need nothing else). Frame numbers stay the capture's.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/capture_data.hpp"

namespace wirelab::viewer {

// One line of followed text, linked to the packet that carried it.
struct FollowLine {
    int dir = 0;               // 0: the side that opened the connection, 1: the other
    std::size_t packet = 0;    // 0-based packet index
    std::string text;
};

struct FollowData {
    std::uint32_t stream = kNoStream;
    std::string endpoint[2];   // "127.0.0.1:41234"
    std::uint64_t bytes[2] = {0, 0};
    std::size_t packets = 0;
    std::vector<FollowLine> ascii;      // TCP payload as text, line by line (RFC 9293: bytes in order, once)
    std::vector<FollowLine> hex;        // the same bytes as a hex dump, 16 a line
    std::vector<FollowLine> http;       // HTTP messages: start line and header lines
    std::vector<FollowLine> websocket;  // one line per WebSocket message
    std::vector<FollowLine> socketio;   // one line per Socket.IO packet (event, ack, connect)
};

// Packets (0-based indexes) of TCP stream `stream`, in capture order.
std::vector<std::size_t> stream_packets(const PacketIndex& index, std::uint32_t stream);

FollowData follow_tcp_stream(const CaptureData& data, std::uint32_t stream);

// A sequence diagram: one column per endpoint, one arrow per packet or message, time down.
struct Ladder {
    enum class Kind : std::uint8_t { data, handshake, fin, rst, emit, broadcast, ack, control };
    struct Arrow {
        std::int64_t rel_ns = 0;   // since the first packet of the capture
        std::size_t packet = 0;    // 0-based packet index
        int from = 0, to = 0;      // columns
        Kind kind = Kind::data;
        std::string label;         // "SYN, ACK", "emit chat message"
        std::string comment;       // "Seq = 0 Ack = 1 Len = 0"
    };
    std::string title;
    std::vector<std::string> nodes;
    std::vector<Arrow> arrows;
};

// The TCP segments of one connection: handshake, data with seq/ack/len, FIN and RST.
Ladder tcp_ladder(const CaptureData& data, std::uint32_t stream);
// Socket.IO across every connection that carries it: a column for the server and one per
// client; emits, broadcasts (one event sent to several clients at once), acks and connects.
Ladder socketio_ladder(const CaptureData& data);
// The diagram as a standalone SVG document, for handouts.
std::string ladder_svg(const Ladder& ladder);

// Statistics over the index alone (no decoding): Wireshark's Protocol Hierarchy,
// Conversations and I/O graph.
struct Stats {
    struct Protocol {
        std::string name;
        int depth = 0;
        std::uint64_t packets = 0, bytes = 0;
    };
    struct Conversation {
        std::string transport;     // "TCP", "UDP", "IP", or the Protocol column for others
        std::string a, b;          // addresses
        std::uint16_t port_a = 0, port_b = 0;
        std::uint64_t packets_ab = 0, bytes_ab = 0, packets_ba = 0, bytes_ba = 0;
        std::int64_t start_ns = 0, end_ns = 0;
        std::uint32_t stream = kNoStream;
        std::size_t first_packet = 0;
    };
    std::uint64_t packets = 0, bytes = 0;
    std::int64_t duration_ns = 0;
    std::vector<Protocol> hierarchy;   // pre-order, depth = nesting
    std::vector<Conversation> conversations;
    double bucket_seconds = 1.0;
    std::vector<std::uint64_t> io_packets, io_bytes;  // per bucket
};
Stats compute_stats(const PacketIndex& index);

}  // namespace wirelab::viewer
