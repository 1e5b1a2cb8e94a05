// Follow stream, ladder diagrams and statistics (see conversation_data.hpp).
#include "model/conversation_data.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <tuple>

#include "wirelab/decoder.hpp"
#include "wirelab/format.hpp"
#include "wirelab/taps.hpp"

namespace wirelab::viewer {

std::vector<std::size_t> stream_packets(const PacketIndex& index, std::uint32_t stream) {
    std::vector<std::size_t> out;
    if (stream == kNoStream) return out;
    std::size_t n = index.size();
    for (std::size_t i = 0; i < n; ++i)
        if (index[i].tcp_stream == stream) out.push_back(i);
    return out;
}

namespace {

// Calls `fn(i, frame, tree, pinfo)` for each of `packets`, decoded in order by one fresh decoder.
template <class Fn>
void decode_packets(const CaptureData& data, const std::vector<std::size_t>& packets, Decoder& decoder, Fn&& fn) {
    Tree tree;
    PacketInfo pinfo;
    Frame f;
    for (std::size_t i : packets) {
        if (!data.frame(i, f)) continue;
        decoder.decode(f, data.index()[i].link_type, tree, pinfo, true);
        fn(i, f, tree, pinfo);
    }
}

std::string printable(const std::uint8_t* p, std::size_t n) {
    std::string s;
    s.reserve(n);
    for (std::size_t i = 0; i < n; ++i) s += (p[i] >= 0x20 && p[i] < 0x7f) || p[i] == '\t' ? char(p[i]) : '.';
    return s;
}

// Text as lines; long lines are cut into pieces of kWrap characters so the view can virtualise.
void add_text_lines(std::vector<FollowLine>& out, int dir, std::size_t packet, const std::uint8_t* p, std::size_t n) {
    constexpr std::size_t kWrap = 200;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= n; ++i) {
        bool end = i == n || p[i] == '\n';
        if (!end && i - start < kWrap) continue;
        std::size_t len = i - start;
        if (len && p[start + len - 1] == '\r') --len;
        if (i < n || len) out.push_back({dir, packet, printable(p + start, len)});
        start = end ? i + 1 : i;
        if (!end) --i;  // the character at i starts the next piece
    }
}

void add_hex_lines(std::vector<FollowLine>& out, int dir, std::size_t packet, const std::uint8_t* p, std::size_t n,
                   std::uint64_t base) {
    static constexpr char kHex[] = "0123456789abcdef";
    for (std::size_t off = 0; off < n; off += 16) {
        char head[24];
        std::snprintf(head, sizeof head, "%08llx  ", static_cast<unsigned long long>(base + off));
        std::string line = head;
        for (std::size_t i = 0; i < 16; ++i) {
            if (off + i < n) {
                line += kHex[p[off + i] >> 4];
                line += kHex[p[off + i] & 15];
                line += ' ';
            } else {
                line += "   ";
            }
            if (i == 7) line += ' ';
        }
        line += ' ';
        line += printable(p + off, std::min<std::size_t>(16, n - off));
        out.push_back({dir, packet, std::move(line)});
    }
}

std::string endpoint_text(const Address& a, std::uint32_t port) {
    std::string s = a.str();
    if (a.kind == Address::Kind::ipv6) s = "[" + s + "]";
    return s + ":" + std::to_string(port);
}

// The text of the child field `f` of the layer at `layer` (first one), or empty.
std::string child_text(const Tree& tree, const Frame& frame, std::size_t layer, const FieldDef* f) {
    const auto& nodes = tree.nodes();
    if (!f) return {};
    for (std::size_t i = layer + 1; i < nodes.size() && nodes[i].depth > nodes[layer].depth; ++i) {
        if (nodes[i].field != f) continue;
        std::string v;
        append_field_value(v, tree, frame, nodes[i]);
        return v;
    }
    return {};
}

std::vector<std::string> child_texts(const Tree& tree, const Frame& frame, std::size_t layer, const FieldDef* f) {
    std::vector<std::string> out;
    const auto& nodes = tree.nodes();
    if (!f) return out;
    for (std::size_t i = layer + 1; i < nodes.size() && nodes[i].depth > nodes[layer].depth; ++i) {
        if (nodes[i].field != f) continue;
        std::string v;
        append_field_value(v, tree, frame, nodes[i]);
        out.push_back(std::move(v));
    }
    return out;
}

const Node* child(const Tree& tree, std::size_t layer, const FieldDef* f) {
    const auto& nodes = tree.nodes();
    if (!f) return nullptr;
    for (std::size_t i = layer + 1; i < nodes.size() && nodes[i].depth > nodes[layer].depth; ++i)
        if (nodes[i].field == f) return &nodes[i];
    return nullptr;
}

// One decoded Socket.IO packet, as the ladder and the follow view show it.
struct SioPacket {
    std::string type;   // "EVENT", "ACK", "CONNECT"...
    std::string nsp, event, args, ack_id;
};

struct SioFields {
    const ProtocolDef* proto = nullptr;
    const FieldDef *type = nullptr, *nsp = nullptr, *event = nullptr, *args = nullptr, *ack = nullptr;
    explicit SioFields(const Registry& r)
        : proto(r.protocol("socketio")), type(r.field("socketio.packet_type")), nsp(r.field("socketio.nsp")),
          event(r.field("socketio.event")), args(r.field("socketio.args")), ack(r.field("socketio.ack_id")) {}

    std::vector<SioPacket> packets(const Tree& tree, const Frame& frame) const {
        std::vector<SioPacket> out;
        if (!proto) return out;
        const auto& nodes = tree.nodes();
        for (std::size_t i = 0; i < nodes.size(); ++i) {
            if (nodes[i].field != &proto->self()) continue;
            SioPacket p;
            if (const Node* t = child(tree, i, type)) p.type = std::string(value_name(*type, t->value));
            p.nsp = child_text(tree, frame, i, nsp);
            p.event = child_text(tree, frame, i, event);
            for (const std::string& a : child_texts(tree, frame, i, args)) {
                if (!p.args.empty()) p.args += ", ";
                p.args += a;
            }
            p.ack_id = child_text(tree, frame, i, ack);
            out.push_back(std::move(p));
        }
        return out;
    }
};

std::string sio_line(const SioPacket& p) {
    std::string s = p.type.empty() ? "Socket.IO" : p.type;
    if (!p.nsp.empty() && p.nsp != "/") s += " " + p.nsp;
    if (!p.event.empty()) s += " \"" + p.event + "\"";
    if (!p.args.empty()) s += " [" + p.args + "]";
    if (!p.ack_id.empty()) s += " (ack id " + p.ack_id + ")";
    return s;
}

}  // namespace

FollowData follow_tcp_stream(const CaptureData& data, std::uint32_t stream) {
    FollowData out;
    out.stream = stream;
    std::vector<std::size_t> packets = stream_packets(data.index(), stream);
    out.packets = packets.size();
    if (packets.empty()) return out;

    Decoder decoder;
    const Registry& reg = decoder.registry();
    // The fresh decoder numbers this connection 0.
    FollowTcp tcp(reg, 0, FollowTcp::Mode::ascii);
    FollowWebSocket ws(reg, 0);
    const ProtocolDef* http = reg.protocol("http");
    SioFields sio(reg);
    bool have_ends = false;
    Address addr0;
    std::uint32_t port0 = 0;
    std::string line;
    decode_packets(data, packets, decoder, [&](std::size_t i, const Frame& f, const Tree& tree, const PacketInfo& pinfo) {
        tcp.packet(tree, f, pinfo);
        ws.packet(tree, f, pinfo);
        if (!have_ends) {
            have_ends = true;
            addr0 = pinfo.net_src;
            port0 = pinfo.src_port;
            out.endpoint[0] = endpoint_text(pinfo.net_src, pinfo.src_port);
            out.endpoint[1] = endpoint_text(pinfo.net_dst, pinfo.dst_port);
        }
        int dir = (pinfo.net_src == addr0 && pinfo.src_port == port0) ? 0 : 1;
        const auto& nodes = tree.nodes();
        for (std::size_t k = 0; http && k < nodes.size(); ++k) {
            if (nodes[k].field != &http->self()) continue;
            // One HTTP message as it was sent: start line and header lines, then the body as
            // text if it is text, else its size.
            Bytes src = source_bytes(tree, f, nodes[k].source);
            std::size_t off = std::min<std::size_t>(nodes[k].offset, src.size());
            std::size_t len = std::min<std::size_t>(nodes[k].length, src.size() - off);
            std::string_view msg(reinterpret_cast<const char*>(src.data()) + off, len);
            std::size_t head = msg.find("\r\n\r\n");
            std::string_view headers = msg.substr(0, head == std::string_view::npos ? msg.size() : head);
            add_text_lines(out.http, dir, i, reinterpret_cast<const std::uint8_t*>(headers.data()), headers.size());
            if (head != std::string_view::npos && head + 4 < msg.size()) {
                std::string_view body = msg.substr(head + 4);
                bool text = std::all_of(body.begin(), body.end(), [](char c) {
                    auto u = static_cast<unsigned char>(c);
                    return u >= 0x20 || c == '\n' || c == '\r' || c == '\t';
                });
                out.http.push_back({dir, i, ""});
                if (text && body.size() <= 4096)
                    add_text_lines(out.http, dir, i, reinterpret_cast<const std::uint8_t*>(body.data()), body.size());
                else
                    out.http.push_back({dir, i, "[" + std::to_string(body.size()) + " bytes of body]"});
            }
            out.http.push_back({dir, i, ""});
        }
        for (const SioPacket& p : sio.packets(tree, f)) out.socketio.push_back({dir, i, sio_line(p)});
    });

    std::uint64_t offset[2] = {0, 0};
    for (const FollowTcp::Chunk& c : tcp.chunks()) {
        std::size_t packet = c.frame ? c.frame - 1 : 0;
        int dir = c.node;
        out.bytes[dir] += c.bytes.size();
        add_text_lines(out.ascii, dir, packet, c.bytes.data(), c.bytes.size());
        add_hex_lines(out.hex, dir, packet, c.bytes.data(), c.bytes.size(), offset[dir]);
        offset[dir] += c.bytes.size();
    }
    for (const FollowWebSocket::Message& m : ws.messages()) {
        std::string text = m.kind + ": ";
        if (m.kind == "text") text += printable(m.bytes.data(), m.bytes.size());
        else if (m.kind == "close") text += "code " + std::to_string(m.close_code);
        else {
            static constexpr char kHex[] = "0123456789abcdef";
            for (std::size_t b = 0; b < m.bytes.size() && b < 64; ++b) {
                text += kHex[m.bytes[b] >> 4];
                text += kHex[m.bytes[b] & 15];
            }
            if (m.bytes.size() > 64) text += "... (" + std::to_string(m.bytes.size()) + " bytes)";
        }
        out.websocket.push_back({m.node, m.frame ? static_cast<std::size_t>(m.frame - 1) : 0, std::move(text)});
    }
    return out;
}

namespace {

Ladder::Kind tcp_kind(const std::string& label) {
    if (label.find("RST") != std::string::npos) return Ladder::Kind::rst;
    if (label.find("FIN") != std::string::npos) return Ladder::Kind::fin;
    if (label.find("SYN") != std::string::npos) return Ladder::Kind::handshake;
    return Ladder::Kind::data;
}

}  // namespace

Ladder tcp_ladder(const CaptureData& data, std::uint32_t stream) {
    Ladder out;
    std::vector<std::size_t> packets = stream_packets(data.index(), stream);
    if (packets.empty()) return out;
    Decoder decoder;
    FlowTcp flow(decoder.registry());
    decode_packets(data, packets, decoder,
                   [&](std::size_t, const Frame& f, const Tree& tree, const PacketInfo& pinfo) { flow.packet(tree, f, pinfo); });
    out.title = "TCP stream " + std::to_string(stream);
    for (const FlowTcp::Endpoint& e : flow.nodes()) out.nodes.push_back(endpoint_text(e.address, e.port));
    std::int64_t first = data.index().first_ts();
    for (const FlowTcp::Arrow& a : flow.arrows()) {
        Ladder::Arrow x;
        x.packet = a.frame ? static_cast<std::size_t>(a.frame - 1) : 0;
        x.rel_ns = x.packet < data.index().size() ? data.index()[x.packet].ts_ns - first : a.rel_ns;
        x.from = a.from;
        x.to = a.to;
        x.label = a.label;
        x.comment = a.comment;
        x.kind = tcp_kind(a.label);
        out.arrows.push_back(std::move(x));
    }
    return out;
}

Ladder socketio_ladder(const CaptureData& data) {
    Ladder out;
    out.title = "Socket.IO";
    const PacketIndex& index = data.index();
    // Connections that carry Engine.IO or Socket.IO somewhere.
    std::vector<bool> path_has(index.path_count(), false);
    for (std::size_t p = 0; p < path_has.size(); ++p) {
        std::string_view s = index.path(static_cast<std::uint16_t>(p));
        path_has[p] = s.find("engineio") != std::string_view::npos || s.find("socketio") != std::string_view::npos;
    }
    std::set<std::uint32_t> streams;
    std::size_t n = index.size();
    for (std::size_t i = 0; i < n; ++i) {
        const PacketRecord& r = index[i];
        if (r.tcp_stream != kNoStream && r.path < path_has.size() && path_has[r.path]) streams.insert(r.tcp_stream);
    }
    if (streams.empty()) return out;
    std::vector<std::size_t> packets;
    for (std::size_t i = 0; i < n; ++i) {
        const PacketRecord& r = index[i];
        if (r.tcp_stream == kNoStream || !streams.count(r.tcp_stream)) continue;
        packets.push_back(i);
    }
    // Columns: the server first (where the first packet of each connection went), then each
    // client in the order it connected.
    auto column = [&](const std::string& name) {
        auto it = std::find(out.nodes.begin(), out.nodes.end(), name);
        if (it != out.nodes.end()) return static_cast<int>(it - out.nodes.begin());
        out.nodes.push_back(name);
        return static_cast<int>(out.nodes.size() - 1);
    };
    Decoder decoder;
    SioFields sio(decoder.registry());
    const FieldDef* f_stream = decoder.registry().field("tcp.stream");
    std::int64_t first_ts = index.first_ts();
    // Per connection (as this decoder numbers it): the client's and the server's endpoint. The
    // first packet of a connection comes from its client (the SYN, or the first request).
    std::map<std::uint32_t, std::pair<std::string, std::string>> ends;
    struct Pending {
        std::size_t arrow;
        std::string key;
        int client;
    };
    std::vector<Pending> server_events;
    decode_packets(data, packets, decoder, [&](std::size_t i, const Frame& f, const Tree& tree, const PacketInfo& pinfo) {
        std::uint32_t s = kNoStream;
        for (const Node& nd : tree.nodes())
            if (nd.field == f_stream) {
                s = static_cast<std::uint32_t>(nd.value);
                break;
            }
        auto it = ends.try_emplace(s, endpoint_text(pinfo.net_src, pinfo.src_port),
                                   endpoint_text(pinfo.net_dst, pinfo.dst_port)).first;
        const auto& [client, server] = it->second;
        if (out.nodes.empty()) column(server);
        int c = column(client), sv = column(server);
        bool from_client = endpoint_text(pinfo.net_src, pinfo.src_port) == client;
        for (const SioPacket& p : sio.packets(tree, f)) {
            Ladder::Arrow a;
            a.packet = i;
            a.rel_ns = index[i].ts_ns - first_ts;
            a.from = from_client ? c : sv;
            a.to = from_client ? sv : c;
            a.comment = p.args.empty() ? std::string() : "[" + p.args + "]";
            if (p.type == "EVENT" || p.type == "BINARY_EVENT") {
                a.kind = Ladder::Kind::emit;
                a.label = "emit \"" + p.event + "\"";
                if (!p.ack_id.empty()) a.label += " (ack " + p.ack_id + ")";
                if (!from_client) server_events.push_back({out.arrows.size(), p.nsp + "|" + p.event + "|" + p.args, c});
            } else if (p.type == "ACK" || p.type == "BINARY_ACK") {
                a.kind = Ladder::Kind::ack;
                a.label = "ack " + p.ack_id;
            } else {
                a.kind = Ladder::Kind::control;
                a.label = p.type.empty() ? "Socket.IO" : p.type;
                if (!p.nsp.empty()) a.label += " " + p.nsp;
            }
            out.arrows.push_back(std::move(a));
        }
    });
    // A broadcast: the server sends the same event to two or more clients within 100 ms
    // (socket.io's io.emit / socket.broadcast.emit write it to every socket in turn).
    constexpr std::int64_t kWindow = 100'000'000;
    for (std::size_t k = 0; k < server_events.size(); ++k) {
        std::set<int> clients{server_events[k].client};
        std::vector<std::size_t> same{k};
        for (std::size_t j = 0; j < server_events.size(); ++j) {
            if (j == k || server_events[j].key != server_events[k].key) continue;
            std::int64_t dt = out.arrows[server_events[j].arrow].rel_ns - out.arrows[server_events[k].arrow].rel_ns;
            if (dt < -kWindow || dt > kWindow) continue;
            clients.insert(server_events[j].client);
        }
        if (clients.size() >= 2) {
            Ladder::Arrow& a = out.arrows[server_events[k].arrow];
            a.kind = Ladder::Kind::broadcast;
            a.label = "broadcast" + a.label.substr(4);
        }
    }
    return out;
}

namespace {

std::string xml_escape(std::string_view s) {
    std::string o;
    for (char c : s) {
        switch (c) {
        case '&': o += "&amp;"; break;
        case '<': o += "&lt;"; break;
        case '>': o += "&gt;"; break;
        case '"': o += "&quot;"; break;
        default: o += (static_cast<unsigned char>(c) < 0x20) ? ' ' : c;
        }
    }
    return o;
}

const char* kind_colour(Ladder::Kind k) {
    switch (k) {
    case Ladder::Kind::handshake: return "#2e7d32";
    case Ladder::Kind::fin: return "#6d4c41";
    case Ladder::Kind::rst: return "#c62828";
    case Ladder::Kind::emit: return "#1565c0";
    case Ladder::Kind::broadcast: return "#6a1b9a";
    case Ladder::Kind::ack: return "#00838f";
    case Ladder::Kind::control: return "#757575";
    default: return "#212121";
    }
}

}  // namespace

std::string ladder_svg(const Ladder& l) {
    const int col_w = 220, left = 110, top = 70, row_h = 34;
    const int width = left + std::max<int>(1, static_cast<int>(l.nodes.size())) * col_w + 260;
    const int height = top + static_cast<int>(l.arrows.size()) * row_h + 40;
    char buf[512];
    std::string o;
    std::snprintf(buf, sizeof buf,
                  "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                  "font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"12\">\n",
                  width, height, width, height);
    o += buf;
    o += "<defs>";
    for (Ladder::Kind k : {Ladder::Kind::data, Ladder::Kind::handshake, Ladder::Kind::fin, Ladder::Kind::rst,
                           Ladder::Kind::emit, Ladder::Kind::broadcast, Ladder::Kind::ack, Ladder::Kind::control}) {
        std::snprintf(buf, sizeof buf,
                      "<marker id=\"a%d\" markerWidth=\"10\" markerHeight=\"8\" refX=\"9\" refY=\"4\" orient=\"auto\">"
                      "<path d=\"M0,0 L10,4 L0,8 z\" fill=\"%s\"/></marker>",
                      static_cast<int>(k), kind_colour(k));
        o += buf;
    }
    o += "</defs>\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
    std::snprintf(buf, sizeof buf, "<text x=\"10\" y=\"20\" font-size=\"15\" font-weight=\"bold\">%s</text>\n",
                  xml_escape(l.title).c_str());
    o += buf;
    o += "<text x=\"10\" y=\"52\" fill=\"#555\">time (s)</text>\n";
    for (std::size_t n = 0; n < l.nodes.size(); ++n) {
        int x = left + static_cast<int>(n) * col_w + col_w / 2;
        std::snprintf(buf, sizeof buf,
                      "<text x=\"%d\" y=\"52\" text-anchor=\"middle\" font-weight=\"bold\">%s</text>\n"
                      "<line x1=\"%d\" y1=\"60\" x2=\"%d\" y2=\"%d\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>\n",
                      x, xml_escape(l.nodes[n]).c_str(), x, x, height - 20);
        o += buf;
    }
    for (std::size_t k = 0; k < l.arrows.size(); ++k) {
        const Ladder::Arrow& a = l.arrows[k];
        int y = top + static_cast<int>(k) * row_h + row_h / 2;
        int x1 = left + a.from * col_w + col_w / 2, x2 = left + a.to * col_w + col_w / 2;
        std::snprintf(buf, sizeof buf, "<text x=\"10\" y=\"%d\" fill=\"#555\">%.6f</text>\n", y + 4,
                      static_cast<double>(a.rel_ns) / 1e9);
        o += buf;
        std::snprintf(buf, sizeof buf,
                      "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"1.6\" "
                      "marker-end=\"url(#a%d)\"/>\n",
                      x1, y, x2, y, kind_colour(a.kind), static_cast<int>(a.kind));
        o += buf;
        std::snprintf(buf, sizeof buf, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"%s\">%s</text>\n",
                      (x1 + x2) / 2, y - 5, kind_colour(a.kind), xml_escape(a.label).c_str());
        o += buf;
        int cx = left + static_cast<int>(l.nodes.size()) * col_w + 10;
        std::snprintf(buf, sizeof buf, "<text x=\"%d\" y=\"%d\" fill=\"#555\">#%zu %s</text>\n", cx, y + 4,
                      a.packet + 1, xml_escape(a.comment.substr(0, 60)).c_str());
        o += buf;
    }
    o += "</svg>\n";
    return o;
}

Stats compute_stats(const PacketIndex& index) {
    Stats s;
    std::size_t n = index.size();
    if (n == 0) return s;
    std::int64_t first = index.first_ts(), last = first;
    std::vector<std::uint64_t> path_packets(index.path_count(), 0), path_bytes(index.path_count(), 0);
    using Key = std::tuple<std::string, std::uint32_t, std::uint16_t, std::uint32_t, std::uint16_t, std::uint32_t>;
    std::map<Key, std::size_t> conv;
    for (std::size_t i = 0; i < n; ++i) {
        const PacketRecord& r = index[i];
        ++s.packets;
        s.bytes += r.wire_len;
        last = std::max(last, r.ts_ns);
        if (r.path < path_packets.size()) {
            ++path_packets[r.path];
            path_bytes[r.path] += r.wire_len;
        }
        if (r.src == 0 && r.dst == 0) continue;
        std::string transport = (r.flags & kRecTcp) ? "TCP" : (r.src_port || r.dst_port) ? "UDP" : "IP";
        // One entry for both directions: the smaller (address, port) is side A.
        bool forward = std::tie(r.src, r.src_port) <= std::tie(r.dst, r.dst_port);
        Key k{transport, forward ? r.src : r.dst, forward ? r.src_port : r.dst_port, forward ? r.dst : r.src,
              forward ? r.dst_port : r.src_port, r.tcp_stream};
        auto [it, fresh] = conv.try_emplace(k, s.conversations.size());
        if (fresh) {
            Stats::Conversation c;
            c.transport = transport;
            c.a = std::string(index.address(std::get<1>(k)));
            c.port_a = std::get<2>(k);
            c.b = std::string(index.address(std::get<3>(k)));
            c.port_b = std::get<4>(k);
            c.start_ns = r.ts_ns - first;
            c.stream = r.tcp_stream;
            c.first_packet = i;
            s.conversations.push_back(std::move(c));
        }
        Stats::Conversation& c = s.conversations[it->second];
        if (forward) {
            ++c.packets_ab;
            c.bytes_ab += r.wire_len;
        } else {
            ++c.packets_ba;
            c.bytes_ba += r.wire_len;
        }
        c.end_ns = r.ts_ns - first;
    }
    s.duration_ns = last - first;

    // Protocol hierarchy: each path "eth:ethertype:ip:tcp:http" adds its packets to every
    // prefix. "ethertype" is a pseudo-layer of frame.protocols and is left out, as Wireshark does.
    struct TreeNode {
        std::map<std::string, TreeNode> children;
        std::vector<std::string> order;
        std::uint64_t packets = 0, bytes = 0;
    };
    TreeNode root;
    for (std::size_t p = 0; p < path_packets.size(); ++p) {
        if (!path_packets[p]) continue;
        std::string_view path = index.path(static_cast<std::uint16_t>(p));
        TreeNode* node = &root;
        std::size_t start = 0;
        while (start <= path.size()) {
            std::size_t end = path.find(':', start);
            if (end == std::string_view::npos) end = path.size();
            std::string name(path.substr(start, end - start));
            start = end + 1;
            if (name.empty() || name == "ethertype") continue;
            auto [it, fresh] = node->children.try_emplace(name);
            if (fresh) node->order.push_back(name);
            node = &it->second;
            node->packets += path_packets[p];
            node->bytes += path_bytes[p];
        }
    }
    auto walk = [&](auto&& self, const TreeNode& t, int depth) -> void {
        std::vector<std::string> names = t.order;
        std::stable_sort(names.begin(), names.end(), [&](const std::string& a, const std::string& b) {
            return t.children.at(a).packets > t.children.at(b).packets;
        });
        for (const std::string& name : names) {
            const TreeNode& c = t.children.at(name);
            s.hierarchy.push_back({name, depth, c.packets, c.bytes});
            self(self, c, depth + 1);
        }
    };
    walk(walk, root, 0);

    // I/O graph: at most 600 buckets, each a whole number of seconds (or 1 s).
    double seconds = static_cast<double>(s.duration_ns) / 1e9;
    s.bucket_seconds = seconds > 600 ? std::ceil(seconds / 600) : 1.0;
    std::size_t buckets = static_cast<std::size_t>(seconds / s.bucket_seconds) + 1;
    s.io_packets.assign(buckets, 0);
    s.io_bytes.assign(buckets, 0);
    for (std::size_t i = 0; i < n; ++i) {
        const PacketRecord& r = index[i];
        auto b = static_cast<std::size_t>(static_cast<double>(r.ts_ns - first) / 1e9 / s.bucket_seconds);
        if (r.ts_ns < first) b = 0;
        if (b >= buckets) b = buckets - 1;
        ++s.io_packets[b];
        s.io_bytes[b] += r.wire_len;
    }
    return s;
}

}  // namespace wirelab::viewer
