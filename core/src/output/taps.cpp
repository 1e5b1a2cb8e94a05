// Stream following and ladder diagrams.
#include "wirelab/taps.hpp"

#include <cstdio>

#include "wirelab/decoder.hpp"
#include "wirelab/format.hpp"

namespace wirelab {

namespace {

const FieldDef* must(const Registry& reg, std::string_view name) {
    const FieldDef* f = reg.field(name);
    return f;  // a missing field simply never matches
}

const Node* first(const Tree& tree, const FieldDef* f) {
    for (const Node& n : tree.nodes())
        if (n.field == f) return &n;
    return nullptr;
}

Bytes node_bytes(const Tree& tree, const Frame& frame, const Node& n) {
    Bytes src = source_bytes(tree, frame, n.source);
    if (n.offset > src.size()) return {};
    return src.subspan(n.offset, std::min<std::size_t>(n.length, src.size() - n.offset));
}

std::string endpoint(const Address& a, std::uint32_t port) {
    std::string s = a.kind == Address::Kind::ipv6 ? "[" + a.str() + "]" : a.str();
    s += ':';
    append_uint(s, port);
    return s;
}

void header(std::string& out, std::string_view what, std::uint32_t stream, const Address* addr,
            const std::uint32_t* port) {
    out += "\n===================================================================\n";
    out += "Follow: ";
    out += what;
    out += "\nFilter: tcp.stream eq ";
    append_uint(out, stream);
    out += "\nNode 0: ";
    out += endpoint(addr[0], port[0]);
    out += "\nNode 1: ";
    out += endpoint(addr[1], port[1]);
    out += '\n';
}

// tshark's follow hex layout: offset, 16 bytes in two groups of 8, the same as text.
void hex_lines(std::string& out, Bytes b, std::size_t& offset, bool indent) {
    static constexpr char kHex[] = "0123456789abcdef";
    for (std::size_t i = 0; i < b.size(); i += 16) {
        if (indent) out += '\t';
        char pos[16];
        std::snprintf(pos, sizeof pos, "%08zX  ", offset + i);
        out += pos;
        std::size_t n = std::min<std::size_t>(16, b.size() - i);
        for (std::size_t j = 0; j < 16; ++j) {
            if (j < n) {
                out += kHex[b[i + j] >> 4];
                out += kHex[b[i + j] & 0xf];
                out += ' ';
            } else {
                out += "   ";
            }
            if (j == 7) out += ' ';
        }
        out += ' ';
        for (std::size_t j = 0; j < n; ++j) {
            std::uint8_t c = b[i + j];
            out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '.';
            if (j == 7 && n > 8) out += ' ';
        }
        while (!out.empty() && out.back() == ' ') out.pop_back();  // as tshark trims
        out += '\n';
    }
    offset += b.size();
}

}  // namespace

// ---- follow tcp -------------------------------------------------------------------------

FollowTcp::FollowTcp(const Registry& reg, std::uint32_t stream, Mode mode)
    : stream_f_(must(reg, "tcp.stream")),
      seq_f_(must(reg, "tcp.seq")),
      payload_f_(must(reg, "tcp.payload")),
      syn_f_(must(reg, "tcp.flags.syn")),
      stream_(stream),
      mode_(mode) {}

void FollowTcp::packet(const Tree& tree, const Frame& frame, const PacketInfo& pinfo) {
    const Node* s = first(tree, stream_f_);
    if (!s || s->value != stream_) return;
    if (!have_nodes_) {
        have_nodes_ = true;
        addr_[0] = pinfo.net_src, port_[0] = pinfo.src_port;
        addr_[1] = pinfo.net_dst, port_[1] = pinfo.dst_port;
    }
    int node = (pinfo.net_src == addr_[0] && pinfo.src_port == port_[0]) ? 0 : 1;
    const Node* payload = first(tree, payload_f_);
    const Node* seqn = first(tree, seq_f_);
    if (!payload || !seqn) return;
    Bytes b = node_bytes(tree, frame, *payload);
    const Node* syn = first(tree, syn_f_);
    auto seq = static_cast<std::uint32_t>(seqn->value + (syn && syn->value ? 1 : 0));
    if (!next_known_[node]) {
        next_known_[node] = true;
        next_[node] = seq;
    }
    // Bytes already followed (a retransmission or overlap) are shown once.
    auto delta = static_cast<std::int32_t>(seq - next_[node]);
    if (delta < 0) {
        auto seen = static_cast<std::size_t>(-static_cast<std::int64_t>(delta));
        if (seen >= b.size()) return;
        b = b.subspan(seen);
        seq += static_cast<std::uint32_t>(seen);
    }
    next_[node] = seq + static_cast<std::uint32_t>(b.size());
    if (b.empty()) return;
    chunks_.push_back(Chunk{node, frame.number, std::vector<std::uint8_t>(b.begin(), b.end())});
}

void FollowTcp::report(std::string& out) const {
    header(out, mode_ == Mode::ascii ? "tcp,ascii" : "tcp,hex", stream_, addr_, port_);
    std::size_t offset[2] = {0, 0};
    for (const Chunk& c : chunks_) {
        if (mode_ == Mode::ascii) {
            if (c.node) out += '\t';
            append_uint(out, c.bytes.size());
            out += '\n';
            for (std::uint8_t ch : c.bytes)
                out += (ch >= 0x20 && ch < 0x7f) || ch == '\n' || ch == '\r' ? static_cast<char>(ch) : '.';
            out += '\n';
        } else {
            hex_lines(out, c.bytes, offset[c.node], c.node == 1);
        }
    }
    out += "===================================================================\n";
}

// ---- follow websocket ---------------------------------------------------------------------

FollowWebSocket::FollowWebSocket(const Registry& reg, std::uint32_t stream)
    : stream_f_(must(reg, "tcp.stream")),
      text_f_(must(reg, "websocket.payload.text")),
      binary_f_(must(reg, "websocket.payload.binary")),
      ping_f_(must(reg, "websocket.payload.ping")),
      pong_f_(must(reg, "websocket.payload.pong")),
      close_f_(must(reg, "websocket.payload.close.status_code")),
      opcode_f_(must(reg, "websocket.opcode")),
      stream_(stream) {}

void FollowWebSocket::packet(const Tree& tree, const Frame& frame, const PacketInfo& pinfo) {
    const Node* s = first(tree, stream_f_);
    if (!s || s->value != stream_) return;
    if (!have_nodes_) {
        have_nodes_ = true;
        addr_[0] = pinfo.net_src, port_[0] = pinfo.src_port;
        addr_[1] = pinfo.net_dst, port_[1] = pinfo.dst_port;
    }
    int node = (pinfo.net_src == addr_[0] && pinfo.src_port == port_[0]) ? 0 : 1;
    for (const Node& n : tree.nodes()) {
        std::string kind;
        if (n.field == text_f_) kind = "text";
        else if (n.field == binary_f_) kind = "binary";
        else if (n.field == ping_f_) kind = "ping";
        else if (n.field == pong_f_) kind = "pong";
        else if (n.field == close_f_) kind = "close";
        else continue;
        Message m{node, frame.number, kind, {}, 0};
        if (n.field == close_f_) {
            m.close_code = static_cast<std::uint32_t>(n.value);
        } else {
            Bytes b = node_bytes(tree, frame, n);
            m.bytes.assign(b.begin(), b.end());
        }
        messages_.push_back(std::move(m));
    }
}

void FollowWebSocket::report(std::string& out) const {
    header(out, "websocket", stream_, addr_, port_);
    for (const Message& m : messages_) {
        if (m.node) out += '\t';
        out += "[frame ";
        append_uint(out, m.frame);
        out += "] ";
        out += m.node ? "node 1 -> node 0 " : "node 0 -> node 1 ";
        out += m.kind;
        if (m.kind == "close") {
            out += ' ';
            append_uint(out, m.close_code);
            out += '\n';
            continue;
        }
        out += " (";
        append_uint(out, m.bytes.size());
        out += m.bytes.size() == 1 ? " byte): " : " bytes): ";
        if (m.kind == "text") {
            for (std::uint8_t c : m.bytes) {
                if (c == '\n') out += "\\n";
                else if (c == '\r') out += "\\r";
                else out += static_cast<char>(c);
            }
        } else {
            static constexpr char kHex[] = "0123456789abcdef";
            for (std::uint8_t c : m.bytes) {
                out += kHex[c >> 4];
                out += kHex[c & 0xf];
            }
        }
        out += '\n';
    }
    out += "===================================================================\n";
}

// ---- flow tcp -----------------------------------------------------------------------------

FlowTcp::FlowTcp(const Registry& reg)
    : flags_f_(must(reg, "tcp.flags")), seq_f_(must(reg, "tcp.seq")), ack_f_(must(reg, "tcp.ack")),
      len_f_(must(reg, "tcp.len")) {}

std::string FlowTcp::Endpoint::str() const { return endpoint(address, port); }

int FlowTcp::node(const Address& a, std::uint32_t port) {
    Endpoint e{a, port};
    for (std::size_t i = 0; i < nodes_.size(); ++i)
        if (nodes_[i] == e) return static_cast<int>(i);
    nodes_.push_back(e);
    return static_cast<int>(nodes_.size() - 1);
}

void FlowTcp::packet(const Tree& tree, const Frame& frame, const PacketInfo& pinfo) {
    const Node* flags = first(tree, flags_f_);
    if (!flags || pinfo.in_error_packet) return;
    Arrow a;
    a.rel_ns = pinfo.rel_ns;
    a.frame = frame.number;
    a.from = node(pinfo.net_src, pinfo.src_port);
    a.to = node(pinfo.net_dst, pinfo.dst_port);
    a.src_port = pinfo.src_port;
    a.dst_port = pinfo.dst_port;
    static constexpr const char* kNames[] = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};
    for (int bit : {1, 0, 2, 3, 4, 5, 6, 7}) {
        if (!(flags->value >> bit & 1)) continue;
        if (!a.label.empty()) a.label += ", ";
        a.label += kNames[bit];
    }
    if (const Node* s = first(tree, seq_f_)) {
        a.comment = "Seq = ";
        append_uint(a.comment, s->value);
    }
    if (flags->value & 0x10) {
        if (const Node* k = first(tree, ack_f_)) {
            a.comment += " Ack = ";
            append_uint(a.comment, k->value);
        }
    }
    if (const Node* l = first(tree, len_f_); l && l->value) {
        a.comment += " Len = ";
        append_uint(a.comment, l->value);
    }
    arrows_.push_back(std::move(a));
}

// Each endpoint gets a lifeline; an arrow runs from the sender's line to the receiver's, with
// the flags above it and the numbers to the right. Lines are 22 columns apart.
void FlowTcp::report(std::string& out) const {
    constexpr std::size_t kTime = 11, kGap = 22;
    std::size_t n = nodes_.size();
    if (n == 0) return;
    std::size_t width = kTime + 1 + kGap * (n - 1) + kGap / 2;
    auto lifeline = [&](std::size_t i) { return kTime + kGap / 2 + kGap * i; };
    auto blank = [&] {
        std::string l(width, ' ');
        l[0] = '|';
        l[kTime - 1] = '|';
        for (std::size_t i = 0; i < n; ++i) l[lifeline(i)] = '|';
        return l;
    };
    auto put = [](std::string& l, std::size_t at, std::string_view s) {
        if (l.size() < at + s.size()) l.resize(at + s.size(), ' ');
        l.replace(at, s.size(), s);
    };
    // Host names, alternating between two lines so that long names do not overlap.
    for (int row = 0; row < 2; ++row) {
        std::string l = blank();
        put(l, 1, row == 0 ? "Time" : "");
        for (std::size_t i = static_cast<std::size_t>(row); i < n; i += 2) {
            std::string name = nodes_[i].str();
            std::size_t at = lifeline(i) >= name.size() / 2 ? lifeline(i) - name.size() / 2 : 0;
            put(l, std::max(at, kTime), name);
        }
        out += l;
        out += '\n';
    }
    for (const Arrow& a : arrows_) {
        std::size_t left = lifeline(static_cast<std::size_t>(std::min(a.from, a.to)));
        std::size_t right = lifeline(static_cast<std::size_t>(std::max(a.from, a.to)));
        std::string l1 = blank();
        std::string t;
        append_seconds(t, a.rel_ns, 6);
        put(l1, 1, t);
        std::size_t mid = (left + right) / 2;
        put(l1, mid > a.label.size() / 2 ? mid - a.label.size() / 2 : left + 1, a.label);
        l1 += "  ";
        l1 += a.comment;
        l1 += "  [frame ";
        append_uint(l1, a.frame);
        l1 += ']';
        out += l1;
        out += '\n';
        std::string l2 = blank();
        if (left != right) {
            for (std::size_t c = left + 1; c < right; ++c) l2[c] = '-';
            if (a.from < a.to) l2[right - 1] = '>';
            else l2[left + 1] = '<';
        }
        out += l2;
        out += '\n';
    }
}

// ---- -z parsing ---------------------------------------------------------------------------

std::unique_ptr<Tap> make_tap(const Registry& reg, const std::string& arg, std::string& error) {
    auto number = [&](const std::string& s, std::uint32_t& v) {
        char* end = nullptr;
        unsigned long n = std::strtoul(s.c_str(), &end, 10);
        if (s.empty() || !end || *end) return false;
        v = static_cast<std::uint32_t>(n);
        return true;
    };
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (true) {
        std::size_t comma = arg.find(',', start);
        parts.push_back(arg.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    std::uint32_t n = 0;
    if (parts.size() == 4 && parts[0] == "follow" && parts[1] == "tcp" && (parts[2] == "ascii" || parts[2] == "hex") &&
        number(parts[3], n))
        return std::make_unique<FollowTcp>(reg, n, parts[2] == "ascii" ? FollowTcp::Mode::ascii : FollowTcp::Mode::hex);
    if (parts.size() == 3 && parts[0] == "follow" && parts[1] == "websocket" && number(parts[2], n))
        return std::make_unique<FollowWebSocket>(reg, n);
    if (parts.size() >= 2 && parts[0] == "flow" && parts[1] == "tcp") return std::make_unique<FlowTcp>(reg);
    error = "unknown statistics '" + arg +
            "' (accepted: follow,tcp,ascii,N  follow,tcp,hex,N  follow,websocket,N  flow,tcp)";
    return nullptr;
}

}  // namespace wirelab
