// Lab 05's results (see report.hpp): the receivers' logs summed up per transport, the capture
// decoded with core, and the table as text, Markdown and SVG.
#include "report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "wirelab/capture.hpp"
#include "wirelab/decoder.hpp"

namespace lab05 {

namespace {

unsigned long long ull(std::uint64_t v) { return static_cast<unsigned long long>(v); }

// Nearest-rank percentile: the smallest value with at least p of them at or below it.
double nearest_rank(std::vector<double> values, double p) {
    if (values.empty()) return 0;
    std::sort(values.begin(), values.end());
    auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(values.size())));
    return values[std::max<std::size_t>(rank, 1) - 1];
}

std::string printf_string(const char* fmt, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, fmt, v);
    return buf;
}

// Per message: a total over all messages delivered, to every receiver.
std::string per_message(std::uint64_t total, std::uint64_t delivered, const char* fmt) {
    if (delivered == 0) return "-";
    return printf_string(fmt, static_cast<double>(total) / static_cast<double>(delivered));
}

// One sentence: what happened to the receiver that went away.
std::string away_story(const Row& r, const Run& run) {
    char buf[512];
    if (run.away == 0) return "no receiver went away in this run";
    if (r.away_missed == 0 && r.away_late == run.away) {
        std::snprintf(buf, sizeof buf,
                      "missed nothing: back, it asked for everything after message %llu and got the %llu it had "
                      "not seen in one go, up to %.0f ms late",
                      ull(run.left_after), ull(run.away), r.away_late_max_ms);
    } else if (r.away_missed == run.away) {
        std::snprintf(buf, sizeof buf,
                      "missed all %llu messages published while it was away: a push goes to whoever is there at "
                      "that moment, and nothing is kept for the absent",
                      ull(run.away));
    } else {
        std::snprintf(buf, sizeof buf, "missed %llu and got %llu late of the %llu published while it was away",
                      ull(r.away_missed), ull(r.away_late), ull(run.away));
    }
    std::string s = buf;
    if (r.away_dup) s += "; " + std::to_string(r.away_dup) + " came twice";
    return s;
}

// The wire columns of a row, as text ("-" without a capture).
struct WireCells {
    std::string bytes = "-", packets = "-", app = "-", conns = "-";
};
WireCells wire_cells(const Row& r, const Run& run) {
    WireCells c;
    if (!run.have_wire) return c;
    c.bytes = per_message(r.wire.bytes, r.delivered, "%.1f");
    c.packets = per_message(r.wire.frames, r.delivered, "%.2f");
    c.app = per_message(r.wire.app_bytes, r.delivered, "%.1f");
    c.conns = std::to_string(r.wire.connections);
    return c;
}

std::string xml_escape(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (c == '<') out += "&lt;";
        else if (c == '>') out += "&gt;";
        else if (c == '&') out += "&amp;";
        else if (c == '"') out += "&quot;";
        else out += c;
    }
    return out;
}

}  // namespace

std::string measure_capture(const std::string& path, const std::array<unsigned short, kTransportCount>& ports,
                            std::array<WireTotals, kTransportCount>& out) {
    wirelab::CaptureError err;
    auto file = wirelab::CaptureFile::open(path, err);
    if (!file) return err.message();
    wirelab::Decoder decoder;
    const wirelab::Registry& reg = decoder.registry();
    // The fields we read, by their Wireshark names (the same ones `wirelab dump -e` takes).
    const wirelab::FieldDef* tcp_len = reg.field("tcp.len");
    const wirelab::FieldDef* udp_length = reg.field("udp.length");
    const wirelab::FieldDef* syn = reg.field("tcp.flags.syn");
    const wirelab::FieldDef* ack = reg.field("tcp.flags.ack");
    wirelab::Tree tree;
    wirelab::PacketInfo pinfo;
    wirelab::Frame frame;
    while (file->next(frame)) {
        std::uint32_t link_type = file->interfaces().at(frame.interface).link_type;
        decoder.decode(frame, link_type, tree, pinfo, false, false);
        bool is_tcp = false, is_udp = false, has_syn = false, has_ack = false;
        std::uint64_t app = 0;
        for (const wirelab::Node& n : tree.nodes()) {
            if (n.field == tcp_len) is_tcp = true, app = n.value;
            if (n.field == udp_length && !is_udp) is_udp = true, app = n.value >= 8 ? n.value - 8 : 0;
            if (n.field == syn) has_syn = n.value != 0;
            if (n.field == ack) has_ack = n.value != 0;
        }
        for (Transport t : kTransports) {
            // A TCP and a UDP port may have the same number: match the protocol as well.
            bool right_protocol = t == Transport::udp ? is_udp : is_tcp;
            unsigned short port = ports[index_of(t)];
            if (!right_protocol || (pinfo.src_port != port && pinfo.dst_port != port)) continue;
            WireTotals& w = out[index_of(t)];
            ++w.frames;
            w.bytes += frame.wire_len;
            w.app_bytes += app;
            if (has_syn && !has_ack) ++w.connections;
        }
    }
    if (file->error()) return file->error()->message();
    return {};
}

Row summarise(Transport kind, unsigned short port, const std::vector<ReceiverLog>& logs, const Run& run) {
    Row r;
    r.kind = kind;
    r.port = port;
    r.receivers = static_cast<int>(logs.size());
    std::vector<double> latencies;
    for (std::size_t i = 0; i < logs.size(); ++i) {
        const ReceiverLog& log = logs[i];
        bool away_one = i == 0 && run.away > 0;
        std::set<std::uint64_t> seen;
        std::uint64_t highest = 0, dup = 0, reordered = 0, late = 0;
        for (const Arrival& a : log.arrivals) {
            if (!seen.insert(a.seq).second) {
                ++dup;
                continue;
            }
            if (a.seq < highest) ++reordered;
            highest = std::max(highest, a.seq);
            bool in_stretch = a.seq > run.left_after && a.seq <= run.left_after + run.away;
            if (away_one && a.after_return && in_stretch) {
                ++late;
                r.away_late_max_ms = std::max(r.away_late_max_ms, a.latency_ms);
            } else if (!away_one) {
                latencies.push_back(a.latency_ms);
            }
        }
        r.delivered += seen.size();
        if (!log.error.empty()) r.errors += "receiver " + std::to_string(i + 1) + ": " + log.error + "; ";
        if (away_one) {
            for (std::uint64_t s = run.left_after + 1; s <= run.left_after + run.away; ++s) r.away_missed += !seen.count(s);
            r.away_late = late;
            r.away_dup = dup;
            r.away_finished = log.finished;
            // Outside the stretch it was away for, it must have everything like the others.
            std::uint64_t outside = run.messages - run.away;
            std::uint64_t got_outside = seen.size() - (run.away - r.away_missed);
            if (got_outside != outside)
                r.errors += "the away receiver lacks " + std::to_string(outside - got_outside) +
                            " message(s) from outside its absence; ";
        } else {
            r.missing += run.messages - std::min<std::uint64_t>(run.messages, seen.size());
            r.duplicates += dup;
            r.reordered += reordered;
        }
    }
    r.p50_ms = nearest_rank(latencies, 0.50);
    r.p99_ms = nearest_rank(latencies, 0.99);
    return r;
}

void print_table(const Run& run) {
    std::printf("\nThe same %llu messages at %.0f a second to %d receivers of each kind; receiver 1 of each left "
                "after message %llu and came back %llu messages later.\n",
                ull(run.messages), run.rate, run.receivers, ull(run.left_after), ull(run.away));
    std::printf("Latency is from publishing to arrival, for the receivers that stayed; bytes and packets are per "
                "message delivered, from the capture.\n\n");
    std::printf("  %-6s %5s %3s %9s %7s %4s %7s %8s %8s %7s %7s %9s %5s | %6s %4s %3s\n", "kind", "port", "rcv",
                "delivered", "missing", "dup", "reorder", "p50_ms", "p99_ms", "B/msg", "pkt/msg", "app_B/msg", "conns",
                "missed", "late", "dup");
    for (const Row& r : run.rows) {
        WireCells w = wire_cells(r, run);
        std::printf("  %-6s %5u %3d %9llu %7llu %4llu %7llu %8.3f %8.3f %7s %7s %9s %5s | %6llu %4llu %3llu\n",
                    std::string(transport_name(r.kind)).c_str(), r.port, r.receivers, ull(r.delivered), ull(r.missing),
                    ull(r.duplicates), ull(r.reordered), r.p50_ms, r.p99_ms, w.bytes.c_str(), w.packets.c_str(),
                    w.app.c_str(), w.conns.c_str(), ull(r.away_missed), ull(r.away_late), ull(r.away_dup));
    }
    if (!run.have_wire) std::printf("  (no wire columns: %s)\n", run.wire_note.c_str());
    std::printf("\nWhen one receiver was away:\n");
    for (const Row& r : run.rows) {
        std::printf("  %-6s %s\n", std::string(transport_name(r.kind)).c_str(), away_story(r, run).c_str());
        if (!r.errors.empty()) std::printf("  %-6s PROBLEM: %s\n", "", r.errors.c_str());
    }
}

std::string markdown(const Run& run) {
    std::string md = "# Lab 05: the same messages over five transports\n\n";
    md += "Made with:\n\n```\n" + run.command + "\n```\n\n";
    char buf[1024];
    std::snprintf(buf, sizeof buf,
                  "%llu messages at %.0f a second from one hub to %d receivers of each kind, all on loopback. "
                  "Receiver 1 of each kind went away after message %llu and came back %llu messages later.\n\n",
                  ull(run.messages), run.rate, run.receivers, ull(run.left_after), ull(run.away));
    md += buf;
    md += "| transport | delivered | missing | dup | reordered | latency p50 (ms) | latency p99 (ms) | bytes on the wire "
          "per message | packets per message | bytes above TCP/UDP per message | connections |\n";
    md += "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
    for (const Row& r : run.rows) {
        WireCells w = wire_cells(r, run);
        std::snprintf(buf, sizeof buf, "| %s | %llu | %llu | %llu | %llu | %.3f | %.3f | %s | %s | %s | %s |\n",
                      std::string(transport_label(r.kind)).c_str(), ull(r.delivered), ull(r.missing),
                      ull(r.duplicates), ull(r.reordered), r.p50_ms, r.p99_ms, w.bytes.c_str(), w.packets.c_str(),
                      w.app.c_str(), w.conns.c_str());
        md += buf;
    }
    md += "\nMissing, dup and reordered count the receivers that stayed connected; latency is theirs too, from "
          "publishing to arrival (steady clock, one host). Bytes and packets are every frame to or from the "
          "transport's port on the hub (handshakes, ACKs, empty polls and closes included), divided by the messages "
          "delivered to all its receivers. Connections are SYNs.\n";
    if (!run.have_wire) md += "\nNo wire columns in this run: " + run.wire_note + "\n";
    md += "\n## When one receiver was away\n\n| transport | missed | late | twice | what happened |\n|---|---:|---:|---:|---|\n";
    for (const Row& r : run.rows) {
        std::snprintf(buf, sizeof buf, "| %s | %llu | %llu | %llu | %s |\n", std::string(transport_label(r.kind)).c_str(),
                      ull(r.away_missed), ull(r.away_late), ull(r.away_dup), away_story(r, run).c_str());
        md += buf;
    }
    if (!run.chart.empty()) md += "\n![bytes per message and p99 latency per transport](" + run.chart + ")\n";
    return md;
}

// Two panels of horizontal bars, drawn by hand: bytes on the wire per message, and p99 latency.
std::string svg_chart(const Run& run) {
    constexpr int kWidth = 660, kLabel = 210, kBar = 18, kGap = 8, kPanelTop = 40, kBarMax = 360;
    const int panel_height = static_cast<int>(run.rows.size()) * (kBar + kGap) + 30;
    const int height = kPanelTop + 2 * panel_height + 20;
    std::string s;
    s += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    s += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(kWidth) + "\" height=\"" +
         std::to_string(height) + "\" viewBox=\"0 0 " + std::to_string(kWidth) + " " + std::to_string(height) +
         "\" font-family=\"sans-serif\" font-size=\"12\">\n";
    s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
    char buf[256];
    std::snprintf(buf, sizeof buf, "Lab 05: %llu messages, %d receivers per transport", ull(run.messages),
                  run.receivers);
    s += "<text x=\"10\" y=\"22\" font-size=\"15\" font-weight=\"bold\">" + xml_escape(buf) + "</text>\n";

    struct Panel {
        const char* title;
        const char* unit;
        const char* colour;
    };
    const Panel panels[] = {{"Bytes on the wire per message", "B", "#4477aa"}, {"Latency p99", "ms", "#cc6677"}};
    for (int p = 0; p < 2; ++p) {
        std::vector<double> values;
        for (const Row& r : run.rows) {
            if (p == 0) {
                values.push_back(run.have_wire && r.delivered
                                     ? static_cast<double>(r.wire.bytes) / static_cast<double>(r.delivered)
                                     : 0);
            } else {
                values.push_back(r.p99_ms);
            }
        }
        double most = *std::max_element(values.begin(), values.end());
        int top = kPanelTop + p * panel_height;
        std::string title = panels[p].title;
        if (p == 0 && !run.have_wire) title += " (no capture in this run)";
        s += "<text x=\"10\" y=\"" + std::to_string(top + 12) + "\" font-weight=\"bold\">" + xml_escape(title) +
             "</text>\n";
        for (std::size_t i = 0; i < run.rows.size(); ++i) {
            int y = top + 22 + static_cast<int>(i) * (kBar + kGap);
            int w = most > 0 ? static_cast<int>(std::lround(values[i] / most * kBarMax)) : 0;
            s += "<text x=\"" + std::to_string(kLabel - 6) + "\" y=\"" + std::to_string(y + 13) +
                 "\" text-anchor=\"end\">" + xml_escape(transport_label(run.rows[i].kind)) + "</text>\n";
            s += "<rect x=\"" + std::to_string(kLabel) + "\" y=\"" + std::to_string(y) + "\" width=\"" +
                 std::to_string(std::max(w, 1)) + "\" height=\"" + std::to_string(kBar) + "\" fill=\"" +
                 panels[p].colour + "\"/>\n";
            std::snprintf(buf, sizeof buf, p == 0 ? "%.0f %s" : "%.2f %s", values[i], panels[p].unit);
            s += "<text x=\"" + std::to_string(kLabel + std::max(w, 1) + 6) + "\" y=\"" + std::to_string(y + 13) +
                 "\">" + xml_escape(buf) + "</text>\n";
        }
    }
    s += "</svg>\n";
    return s;
}

}  // namespace lab05
