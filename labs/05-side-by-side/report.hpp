// Lab 05's results: what the receivers saw, what the capture says each transport cost on the
// wire (read back with core's CaptureFile and Decoder), and the table in three forms: text for
// the terminal, Markdown and an SVG bar chart for handouts.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "message.hpp"
#include "receiver.hpp"

namespace lab05 {

// One transport's traffic in the capture: every frame to or from its port on the hub.
struct WireTotals {
    std::uint64_t frames = 0;
    std::uint64_t bytes = 0;        // frame.len summed: everything from the link header up
    std::uint64_t app_bytes = 0;    // above TCP or UDP (tcp.len, udp.length - 8): HTTP heads, frame headers, prefixes, messages
    std::uint64_t connections = 0;  // SYNs without ACK: connection attempts (UDP: always 0)
};

// Decodes `path` and sums per transport. Returns an error text, empty on success.
std::string measure_capture(const std::string& path, const std::array<unsigned short, kTransportCount>& ports,
                            std::array<WireTotals, kTransportCount>& out);

struct Row {
    Transport kind = Transport::tcp;
    unsigned short port = 0;
    int receivers = 0;
    // The receivers that stayed connected all along.
    std::uint64_t delivered = 0;     // messages delivered to all receivers, away one included
    std::uint64_t missing = 0, duplicates = 0, reordered = 0;
    double p50_ms = 0, p99_ms = 0;
    // The one that went away.
    std::uint64_t away_missed = 0, away_late = 0, away_dup = 0;
    double away_late_max_ms = 0;
    bool away_finished = false;
    std::string errors;              // receivers that gave up, and why
    WireTotals wire;
};

struct Run {
    int receivers = 0;
    std::uint64_t messages = 0;
    double rate = 0;
    std::uint64_t left_after = 0, away = 0;  // the away receivers left after this message, for `away` messages
    bool have_wire = false;
    std::string wire_note;                   // why there are no wire columns
    std::string command;                     // the command that made it, for the Markdown
    std::string chart;                       // the SVG's file name, for a link from the Markdown
    std::vector<Row> rows;
};

// Fills a row from the logs of one transport's receivers (the first is the one that went away).
Row summarise(Transport kind, unsigned short port, const std::vector<ReceiverLog>& logs, const Run& run);

void print_table(const Run& run);
std::string markdown(const Run& run);
std::string svg_chart(const Run& run);

}  // namespace lab05
