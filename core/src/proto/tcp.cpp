// TCP (RFC 9293): header, options (RFC 7323 window scale and timestamps, RFC 2018 SACK,
// RFC 7413 Fast Open), stream index and relative sequence numbers.
#include <unordered_map>

#include <array>
#include <map>
#include <vector>

#include "proto_util.hpp"
#include "wirelab/conversation.hpp"
#include "wirelab/stream.hpp"

namespace wirelab::proto {

extern const ProtocolDef kTcpProto;

namespace {
enum : std::size_t {
    hf_tcp, hf_srcport, hf_dstport, hf_port, hf_stream, hf_len, hf_seq, hf_seq_raw, hf_nxtseq, hf_ack, hf_ack_raw,
    hf_hdr_len, hf_flags, hf_flags_res, hf_flags_ae, hf_flags_cwr, hf_flags_ece, hf_flags_urg, hf_flags_ack,
    hf_flags_push, hf_flags_reset, hf_flags_syn, hf_flags_fin, hf_flags_str, hf_window_size_value, hf_window_size,
    hf_window_scalefactor, hf_checksum, hf_checksum_status, hf_urgent_pointer, hf_options, hf_option_kind,
    hf_option_len, hf_mss_val, hf_wscale_shift, hf_wscale_multiplier, hf_sack_perm, hf_sack_le, hf_sack_re,
    hf_sack_count, hf_tsval, hf_tsecr, hf_tfo_cookie, hf_tfo_request, hf_option_data, hf_payload, hf_segments,
    hf_segment, hf_segment_count, hf_reassembled_length, hf_count
};

constexpr ValueName kOptionKinds[] = {
    {0, "End of Option List (EOL)"}, {1, "No-Operation (NOP)"}, {2, "Maximum segment size"}, {3, "Window scale"},
    {4, "SACK permitted"}, {5, "SACK"}, {8, "Time stamp"}, {19, "MD5 signature"}, {28, "User Timeout"},
    {29, "TCP Authentication Option"}, {30, "Multipath TCP"}, {34, "TCP Fast Open Cookie"},
};

constinit const FieldDef kFields[] = {
    {"tcp", "Transmission Control Protocol", FieldType::protocol, Base::none, 0, {},
     "The transport layer's reliable byte stream: it numbers every byte, resends what is lost and delivers the "
     "bytes in order to the right program (port).", &kTcpProto},
    {"tcp.srcport", "Source Port", FieldType::u16, Base::dec, 0, {},
     "The sender's port: tells the receiving host which program the segment came from.", &kTcpProto},
    {"tcp.dstport", "Destination Port", FieldType::u16, Base::dec, 0, {},
     "The receiver's port: which program on the receiving host gets the data (80 = HTTP, 443 = HTTPS).",
     &kTcpProto},
    {"tcp.port", "Source or Destination Port", FieldType::u16, Base::dec, 0, {},
     "Either port (for filters).", &kTcpProto},
    {"tcp.stream", "Stream index", FieldType::u32, Base::dec, 0, {},
     "Which connection in this capture the segment belongs to, numbered from 0 in order of appearance.",
     &kTcpProto},
    {"tcp.len", "TCP Segment Len", FieldType::u32, Base::dec, 0, {},
     "How many bytes of data this segment carries (the header not counted).", &kTcpProto},
    {"tcp.seq", "Sequence Number", FieldType::u32, Base::dec, 0, {},
     "Position of this segment's first data byte in the sender's stream, counted from the start of the "
     "connection (relative: the SYN is 0).", &kTcpProto},
    {"tcp.seq_raw", "Sequence Number (raw)", FieldType::u32, Base::dec, 0, {},
     "The sequence number as sent: it starts at a random value chosen at the handshake.", &kTcpProto},
    {"tcp.nxtseq", "Next Sequence Number", FieldType::u32, Base::dec, 0, {},
     "The sequence number the sender's next segment will carry: this one's plus its length (SYN and FIN "
     "count as one byte).", &kTcpProto},
    {"tcp.ack", "Acknowledgment Number", FieldType::u32, Base::dec, 0, {},
     "The next byte the sender expects from the other side: everything before it arrived (relative).",
     &kTcpProto},
    {"tcp.ack_raw", "Acknowledgment number (raw)", FieldType::u32, Base::dec, 0, {},
     "The acknowledgment number as sent.", &kTcpProto},
    {"tcp.hdr_len", "Header Length", FieldType::u8, Base::dec, 0, {},
     "Length of the TCP header in bytes (20 without options); the field counts 32-bit words.", &kTcpProto},
    {"tcp.flags", "Flags", FieldType::u16, Base::hex, 0x0fff, {},
     "Control bits: SYN opens a connection, ACK acknowledges, PSH pushes data to the program, FIN closes, "
     "RST aborts.", &kTcpProto},
    {"tcp.flags.res", "Reserved", FieldType::boolean, Base::none, 0x0e00, {}, "Unused bits; must be 0.",
     &kTcpProto},
    {"tcp.flags.ae", "Accurate ECN", FieldType::boolean, Base::none, 0x0100, {},
     "Accurate ECN (formerly the ECN nonce).", &kTcpProto},
    {"tcp.flags.cwr", "Congestion Window Reduced", FieldType::boolean, Base::none, 0x0080, {},
     "The sender slowed down after an ECN congestion signal.", &kTcpProto},
    {"tcp.flags.ece", "ECN-Echo", FieldType::boolean, Base::none, 0x0040, {},
     "A router on the way marked congestion; the other side should slow down.", &kTcpProto},
    {"tcp.flags.urg", "Urgent", FieldType::boolean, Base::none, 0x0020, {},
     "The urgent pointer is meaningful (almost never used).", &kTcpProto},
    {"tcp.flags.ack", "Acknowledgment", FieldType::boolean, Base::none, 0x0010, {},
     "The acknowledgment number is valid; set on every segment after the first SYN.", &kTcpProto},
    {"tcp.flags.push", "Push", FieldType::boolean, Base::none, 0x0008, {},
     "Hand the data to the receiving program now rather than waiting for more.", &kTcpProto},
    {"tcp.flags.reset", "Reset", FieldType::boolean, Base::none, 0x0004, {},
     "Abort the connection at once (sent, for example, to a closed port).", &kTcpProto},
    {"tcp.flags.syn", "Syn", FieldType::boolean, Base::none, 0x0002, {},
     "Synchronize: the first segment from each side of a new connection, carrying its initial sequence number.",
     &kTcpProto},
    {"tcp.flags.fin", "Fin", FieldType::boolean, Base::none, 0x0001, {},
     "Finish: the sender has no more data; the other side may still send until it closes too.", &kTcpProto},
    {"tcp.flags.str", "TCP Flags", FieldType::string, Base::none, 0, {},
     "The flags as letters: C E U A P R S F.", &kTcpProto},
    {"tcp.window_size_value", "Window", FieldType::u16, Base::dec, 0, {},
     "How many more bytes the receiver can take right now (before scaling): TCP's flow control.", &kTcpProto},
    {"tcp.window_size", "Calculated window size", FieldType::u32, Base::dec, 0, {},
     "The window in bytes after applying the window scale agreed in the handshake.", &kTcpProto},
    {"tcp.window_size_scalefactor", "Window size scaling factor", FieldType::i32, Base::dec, 0, {},
     "What the window field is multiplied by (-1: unknown, the handshake was not captured).", &kTcpProto},
    {"tcp.checksum", "Checksum", FieldType::u16, Base::hex, 0, {},
     "A checksum over the segment and the IP addresses, so the receiver can detect damage.", &kTcpProto},
    {"tcp.checksum.status", "Checksum Status", FieldType::u8, Base::none, 0, kChecksumStatus,
     "Whether the checksum was checked (often not: network cards compute it after capture).", &kTcpProto},
    {"tcp.urgent_pointer", "Urgent Pointer", FieldType::u16, Base::dec, 0, {},
     "Where urgent data ends, when the URG flag is set.", &kTcpProto},
    {"tcp.options", "Options", FieldType::bytes, Base::none, 0, {},
     "Optional header fields, mostly agreed in the handshake: segment size, window scale, SACK, timestamps.",
     &kTcpProto},
    {"tcp.option_kind", "Kind", FieldType::u8, Base::dec, 0, kOptionKinds, "Which option this is.", &kTcpProto},
    {"tcp.option_len", "Length", FieldType::u8, Base::dec, 0, {}, "Length of the option in bytes.", &kTcpProto},
    {"tcp.options.mss_val", "MSS Value", FieldType::u16, Base::dec, 0, {},
     "Maximum Segment Size: the largest data a segment to this host should carry, so packets fit the link.",
     &kTcpProto},
    {"tcp.options.wscale.shift", "Shift count", FieldType::u8, Base::dec, 0, {},
     "Window scale: the window field is shifted left by this many bits, allowing windows above 64 KiB.",
     &kTcpProto},
    {"tcp.options.wscale.multiplier", "Multiplier", FieldType::u16, Base::dec, 0, {},
     "2 to the power of the shift count.", &kTcpProto},
    {"tcp.options.sack_perm", "TCP SACK Permitted Option", FieldType::none, Base::none, 0, {},
     "This side can receive selective acknowledgments.", &kTcpProto},
    {"tcp.options.sack_le", "left edge", FieldType::u32, Base::dec, 0, {},
     "Start of a block of data that arrived beyond a gap (relative sequence number).", &kTcpProto},
    {"tcp.options.sack_re", "right edge", FieldType::u32, Base::dec, 0, {},
     "End of that block: the receiver has these bytes, so only the gap needs resending.", &kTcpProto},
    {"tcp.options.sack.count", "number of SACK blocks", FieldType::u8, Base::dec, 0, {},
     "How many received blocks this option lists.", &kTcpProto},
    {"tcp.options.timestamp.tsval", "Timestamp value", FieldType::u32, Base::dec, 0, {},
     "The sender's clock when it sent this segment, used to measure round-trip time.", &kTcpProto},
    {"tcp.options.timestamp.tsecr", "Timestamp echo reply", FieldType::u32, Base::dec, 0, {},
     "The timestamp value last received from the other side, echoed back.", &kTcpProto},
    {"tcp.options.tfo.cookie", "TCP Fast Open Cookie", FieldType::bytes, Base::none, 0, {},
     "A cookie from the server that lets the client send data in its SYN on the next connection.", &kTcpProto},
    {"tcp.options.tfo.request", "Fast Open Cookie Request", FieldType::none, Base::none, 0, {},
     "The client asks the server for a Fast Open cookie.", &kTcpProto},
    {"tcp.options.data", "Option data", FieldType::bytes, Base::none, 0, {}, "The option's value.", &kTcpProto},
    {"tcp.payload", "TCP payload", FieldType::bytes, Base::none, 0, {},
     "The data this segment carries for the program at the other end.", &kTcpProto},
    {"tcp.segments", "Reassembled TCP Segments", FieldType::none, Base::none, 0, {},
     "The application message below spans several segments; these are the frames it was put together from.",
     &kTcpProto},
    {"tcp.segment", "TCP segment", FieldType::framenum, Base::none, 0, {},
     "A frame that carried part of the reassembled message.", &kTcpProto},
    {"tcp.segment.count", "Segment count", FieldType::u32, Base::dec, 0, {},
     "How many segments the message was split into.", &kTcpProto},
    {"tcp.reassembled.length", "Reassembled TCP length", FieldType::u32, Base::dec, 0, {},
     "Length of the whole message once its segments were put together.", &kTcpProto},
};
static_assert(std::size(kFields) == hf_count);

struct Direction {
    bool base_set = false;
    std::uint32_t base_seq = 0;
    int wscale = -1;       // -1: not seen in a SYN
    bool syn_seen = false;
};

// Reassembly state of one direction of a connection that carries an application protocol.
struct Flow {
    bool next_known = false;
    std::uint32_t next_seq = 0;                 // relative sequence number of the next new byte
    std::vector<std::uint8_t> pending;          // bytes of a message not complete yet
    std::vector<std::pair<std::uint32_t, std::uint32_t>> pending_frames;  // (frame, bytes) in order
    std::map<std::uint32_t, std::pair<std::uint32_t, std::vector<std::uint8_t>>> held;  // seq -> (frame, bytes)
    std::size_t held_bytes = 0;
    std::uint64_t dropped = 0;                  // bytes given up on (gaps, limits)
    // The length of the message `pending` starts with, once message_length() settled it
    // (StreamCtx::length_settled); 0 when not known. Until that many bytes are there the
    // protocol is not asked again, so an HTTP head is not parsed anew for every body segment.
    std::size_t settled_length = 0;
    // From this byte of that message on, the protocol reads nothing (StreamCtx::unread_from,
    // taken only for a tree that keeps no field): those bytes are counted as zeros, not
    // copied. 0: every byte is copied.
    std::size_t unread_from = 0;

    void settle(std::size_t length, std::size_t unread) {
        settled_length = length;
        unread_from = unread < length ? unread : 0;
    }
    void unsettle() { settle(0, 0); }
};

struct Stream {
    std::uint32_t index = 0;
    std::array<Direction, 2> dir;  // [0]: endpoint a -> b, [1]: b -> a
    int client = -1;       // which of dir[] is the side that opened the connection
    bool app_decided = false;
    StreamProtocol* app = nullptr;
    std::unique_ptr<StreamState> app_state;
    std::string upgrade_uri, upgrade_extensions;  // from HTTP's 101, for WebSocket
    std::array<Flow, 2> flow;
};

// Reassembly limits: memory for one connection stays bounded whatever it sends.
constexpr std::size_t kMaxPending = 8u << 20;     // an unfinished message, per direction
constexpr std::size_t kMaxHeld = 1u << 20;        // out-of-order bytes held for a gap, per direction
constexpr std::size_t kMaxHeldSegments = 64;
// Room reserved at once for a message whose length is known (HTTP Content-Length), so that
// its buffer is not regrown and copied at every segment. Capped: a length a message only
// claims must not reserve much memory before its bytes come.
constexpr std::size_t kMaxReserve = 16u << 10;


// The Info column's flag list for each combination of the eight low TCP flags ("SYN, ACK"), in
// tshark's order: SYN before FIN, then RST, PSH, ACK, URG, ECE, CWR.
struct FlagText {
    std::array<char, 40> text;  // "SYN, FIN, RST, PSH, ACK, URG, ECE, CWR" is the longest (38)
    std::uint8_t len;
};
constexpr std::array<FlagText, 256> kFlagTexts = [] {
    constexpr std::string_view kNames[] = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};
    std::array<FlagText, 256> table{};
    for (unsigned flags = 0; flags < 256; ++flags) {
        FlagText& f = table[flags];
        std::size_t n = 0;
        for (int bit : {1, 0, 2, 3, 4, 5, 6, 7}) {
            if (!(flags >> bit & 1)) continue;
            if (n) {
                f.text[n++] = ',';
                f.text[n++] = ' ';
            }
            for (char c : kNames[bit]) f.text[n++] = c;
        }
        f.len = static_cast<std::uint8_t>(n);
    }
    return table;
}();

class Tcp final : public Dissector {
public:
    void reset() override {
        streams_.clear();
        recent_ = {};
        next_index_ = 0;
    }

    void dissect(const Tvb& tvb, Ctx& ctx) override {
        Layer layer(ctx, kTcpProto, tvb, 20);
        Fields h(ctx, tvb, "TCP header");
        std::uint64_t sport = h.uint(kFields[hf_srcport], 0, 2);
        std::uint64_t dport = h.uint(kFields[hf_dstport], 2, 2);
        if (!h.ok()) return;
        if (ctx.tree.keeps_fields()) {
            h.hidden(kFields[hf_port], 0, 2, sport);
            h.hidden(kFields[hf_port], 2, 2, dport);
        }
        ctx.pinfo.src_port = static_cast<std::uint32_t>(sport);
        ctx.pinfo.dst_port = static_cast<std::uint32_t>(dport);

        bool src_is_a = true;
        auto key = ConversationKey::make(ctx.pinfo.net_src, ctx.pinfo.src_port, ctx.pinfo.net_dst,
                                         ctx.pinfo.dst_port, src_is_a);
        auto seq_raw = tvb.be32(4);
        auto ack_raw = tvb.be32(8);
        auto off_flags = tvb.be16(12);
        std::uint16_t flags = off_flags ? (*off_flags & 0x0fff) : 0;
        bool syn = flags & 0x02, ack = flags & 0x10, fin = flags & 0x01, rst = flags & 0x04;

        // A SYN that starts a new connection on a 4-tuple that was used before begins a new
        // stream, as Wireshark does: same ports, different initial sequence number.
        Stream* s = find_stream(key);
        if (s) {
            Direction& d = s->dir[src_is_a ? 0 : 1];
            if (syn && !ack && seq_raw && d.base_set && d.syn_seen && *seq_raw != d.base_seq) {
                *s = Stream{};
                s->index = next_index_++;
            }
        } else {
            s = &streams_.try_emplace(key).first->second;
            s->index = next_index_++;
            remember_stream(key, s);
        }
        Direction& fwd = s->dir[src_is_a ? 0 : 1];
        Direction& rev = s->dir[src_is_a ? 1 : 0];
        h.generated(kFields[hf_stream], 0, 0, s->index);
        if (!seq_raw) {
            h.fits(4, 4);
            return;
        }
        // Relative numbers count from the initial sequence number (the SYN is 0). Without a SYN,
        // the first byte seen counts as 1, as Wireshark does.
        if (!fwd.base_set) {
            fwd.base_set = true;
            fwd.base_seq = syn ? *seq_raw : *seq_raw - 1;
        }
        if (syn) fwd.syn_seen = true;
        if (ack && ack_raw && !rev.base_set) {
            rev.base_set = true;
            rev.base_seq = *ack_raw - 1;
        }
        std::size_t hdr_len = off_flags ? (*off_flags >> 12) * 4 : 20;
        std::size_t ip_payload = tvb.reported_size();
        std::uint32_t seg_len = hdr_len <= ip_payload ? static_cast<std::uint32_t>(ip_payload - hdr_len) : 0;
        // The segment's real length comes from the IP layer even if the capture cut it short.
        std::uint32_t rel_seq = *seq_raw - fwd.base_seq;
        const bool show = ctx.tree.keeps_fields();
        if (show) {  // bytes 4 to 8 are there (seq_raw)
            h.generated(kFields[hf_len], 0, 0, seg_len);
            ctx.tree.add(kFields[hf_seq], tvb, 4, 4, rel_seq);
            h.uint(kFields[hf_seq_raw], 4, 4);
            std::uint32_t nxt = rel_seq + seg_len + (syn ? 1 : 0) + (fin ? 1 : 0);
            if (seg_len || syn || fin) h.generated(kFields[hf_nxtseq], 0, 0, nxt);
        }
        if (!h.fits(8, 4)) return;
        std::uint32_t rel_ack = ack ? *ack_raw - rev.base_seq : 0;
        if (show) {
            ctx.tree.add(kFields[hf_ack], tvb, 8, 4, rel_ack);
            h.uint(kFields[hf_ack_raw], 8, 4);
        }
        if (!h.fits(12, 2)) return;
        ctx.tree.add(kFields[hf_hdr_len], tvb, 12, 1, hdr_len);
        if (hdr_len < 20) {
            ctx.malformed(tvb, 12, 1, "bogus TCP header length (less than 20 bytes)");
            return;
        }
        h.uint(kFields[hf_flags], 12, 2);
        // The flag bits are only shown (the bytes were checked above).
        if (ctx.tree.keeps_fields())
            for (std::size_t f = hf_flags_res; f <= hf_flags_fin; ++f) h.uint(kFields[f], 12, 2);
        if (ctx.tree.keeps(kFields[hf_flags_str])) {  // a text only the tree shows
            char flag_buf[24];
            std::string_view str = flag_string(flags, flag_buf);
            ctx.tree.add_text(kFields[hf_flags_str], tvb, 12, 2, str, kGenerated);
        }
        std::uint64_t window = h.uint(kFields[hf_window_size_value], 14, 2);
        h.uint(kFields[hf_checksum], 16, 2);
        h.generated(kFields[hf_checksum_status], 16, 2, 2);
        h.uint(kFields[hf_urgent_pointer], 18, 2);
        if (!h.ok()) return;

        if (hdr_len > 20) {
            // Options the capture holds are decoded even when the snapshot length cut the rest.
            options(ctx, tvb, hdr_len, fwd, rev, syn);
            if (!h.fits(20, hdr_len - 20)) return;
        }
        // Window scaling applies once both SYNs carried the option (RFC 7323 section 2.2).
        int scale = -1;
        if (syn) {
            scale = -2;  // "no scaling used" in SYNs: the window field is not scaled there
        } else if (fwd.syn_seen || rev.syn_seen) {
            scale = (fwd.wscale >= 0 && rev.wscale >= 0) ? fwd.wscale : (fwd.syn_seen && rev.syn_seen ? -2 : -1);
        }
        std::uint64_t calc = scale >= 0 ? window << scale : window;
        if (show) {
            h.generated(kFields[hf_window_size], 14, 2, calc);
            h.generated(kFields[hf_window_scalefactor], 14, 2,
                        static_cast<std::uint32_t>(scale >= 0 ? (1 << scale) : scale));
        }
        layer.set_length(hdr_len);

        if (ctx.want_info) {
            // Written when read, if the caller asked (Ctx::defer_info); a quoted segment in an
            // ICMP error is followed by the error's own text, so it is written now.
            auto& d = ctx.pinfo.deferred;
            d.v[0] = sport;
            d.v[1] = dport;
            d.v[2] = flags;
            d.v[3] = rel_seq;
            d.v[4] = rel_ack;
            d.v[5] = ack;
            d.v[6] = calc;
            d.v[7] = std::uint64_t(seg_len) << 32 | hdr_len;
            // The options the text names start inside the header; a timestamp may run 8 bytes
            // past it (see info()).
            d.tvb = tvb.sub(0, std::min<std::size_t>(tvb.size(), hdr_len + 10));
            d.suffix = {};
            d.write = &write_info;
            if (!ctx.defer_info || ctx.pinfo.in_error_packet) ctx.pinfo.settle_info();
        }
        if (ctx.want_tree_text) {  // the layer's heading is shown by -V and JSON only
            std::string sum = "Src Port: ";
            append_uint(sum, sport);
            sum += ", Dst Port: ";
            append_uint(sum, dport);
            sum += ", Seq: ";
            append_uint(sum, rel_seq);
            if (ack) {
                sum += ", Ack: ";
                append_uint(sum, rel_ack);
            }
            sum += ", Len: ";
            append_uint(sum, seg_len);
            layer.set_summary(sum);
        }
        (void)rst;
        int dir_index = src_is_a ? 0 : 1;
        if (s->client < 0) s->client = (syn && ack) ? 1 - dir_index : dir_index;
        // An ACK past bytes we never saw means the receiver got them and the capture missed
        // them: the other direction's held segments cannot wait for a retransmission.
        if (ack && s->app && !ctx.pinfo.in_error_packet) {
            Flow& other = s->flow[1 - dir_index];
            if (!other.held.empty() && static_cast<std::int32_t>(rel_ack - other.next_seq) > 0) {
                skip_gap(ctx, other, tvb, other.held.begin()->first);
                drain_held(ctx, *s, 1 - dir_index);
            }
        }
        if (seg_len == 0) {
            if ((fin || rst) && s->app && !ctx.pinfo.in_error_packet) close_flow(ctx, *s, dir_index);
            return;
        }
        Tvb payload = tvb.tail(hdr_len);
        h.raw(kFields[hf_payload], hdr_len, payload.size());
        layer.close();
        if (payload.empty()) return;
        if (ctx.pinfo.in_error_packet) return;  // the few bytes an ICMP error quotes
        if (ctx.transport_only) return;
        if (!s->app_decided) decide(ctx, *s, payload, dir_index);
        // A protocol left out for a display filter (Registry::leave_out): a segment that
        // begins in it holds nothing else, so nothing in it can pass.
        if (s->app && s->app->left_out()) return;
        if (!s->app) {
            ctx.data(payload);
            ctx.pinfo.protocol = kTcpProto.short_name;
            return;
        }
        Flow& flow = s->flow[dir_index];
        if (payload.size() < seg_len) {
            // The snapshot length cut this segment: its message cannot be put together.
            give_up(ctx, flow, payload, "the capture cut this segment short");
            ctx.data(payload);
            return;
        }
        feed(ctx, *s, dir_index, rel_seq + (syn ? 1 : 0), payload);
        if (fin || rst) close_flow(ctx, *s, dir_index);
    }

private:
    StreamCtx stream_ctx(Stream& s, int dir_index, Ctx& ctx) {
        StreamCtx sc;
        sc.stream = s.index;
        sc.direction = dir_index == s.client ? 0 : 1;
        sc.server_port = sc.direction == 0 ? ctx.pinfo.dst_port : ctx.pinfo.src_port;
        sc.state = &s.app_state;
        sc.frame = static_cast<std::uint32_t>(ctx.pinfo.frame->number);
        sc.upgrade_uri = s.upgrade_uri;
        sc.upgrade_extensions = s.upgrade_extensions;
        return sc;
    }

    // Chooses the application protocol of a connection from its first data: a port forced
    // with -d, else a protocol registered on the server's port, else one that recognises
    // the bytes.
    void decide(Ctx& ctx, Stream& s, const Tvb& first, int dir_index) {
        s.app_decided = true;
        StreamCtx sc = stream_ctx(s, dir_index, ctx);
        std::uint32_t ports[2] = {std::min(ctx.pinfo.src_port, ctx.pinfo.dst_port),
                                  std::max(ctx.pinfo.src_port, ctx.pinfo.dst_port)};
        for (std::uint32_t p : ports)
            if (StreamProtocol* f = ctx.registry.forced_for_port(p)) {
                s.app = f;
                return;
            }
        for (StreamProtocol* h : ctx.registry.stream_heuristics())
            if (h->detect(first, sc)) {
                s.app = h;
                return;
            }
        for (std::uint32_t p : ports)
            if (StreamProtocol* f = ctx.registry.stream_for_port(p)) {
                s.app = f;
                return;
            }
    }

    // Takes the new bytes of one segment, in sequence order.
    void feed(Ctx& ctx, Stream& s, int dir_index, std::uint32_t seq, Tvb payload) {
        Flow& f = s.flow[dir_index];
        if (!f.next_known) {
            // After a captured SYN the stream's first byte is relative 1; without one, the
            // first segment seen is where the stream starts for us.
            f.next_known = true;
            f.next_seq = s.dir[dir_index].syn_seen ? 1 : seq;
        }
        auto delta = static_cast<std::int32_t>(seq - f.next_seq);  // wraps correctly at 2^32
        if (delta < 0) {
            std::uint32_t seen = static_cast<std::uint32_t>(-static_cast<std::int64_t>(delta));
            if (seen >= payload.size()) {
                ctx.note(payload, 0, payload.size(), "Retransmission: these bytes were already seen in the stream");
                append_info(ctx, " [TCP Retransmission]");
                return;
            }
            ctx.note(payload, 0, seen, "Overlap: the start of this segment repeats bytes already seen");
            payload = payload.tail(seen);
            seq += seen;
        } else if (delta > 0) {
            // Arrived early: hold a copy until the missing bytes come (a retransmission).
            if (f.held.size() < kMaxHeldSegments && f.held_bytes + payload.size() <= kMaxHeld) {
                auto [it, fresh] = f.held.try_emplace(seq);
                if (fresh) {
                    it->second.first = static_cast<std::uint32_t>(ctx.pinfo.frame->number);
                    it->second.second.assign(payload.bytes().begin(), payload.bytes().end());
                    f.held_bytes += payload.size();
                }
                std::string msg = "Out of order: ";
                append_uint(msg, static_cast<std::uint32_t>(delta));
                msg += " bytes before this segment are missing; it is held until they arrive";
                ctx.note(payload, 0, 0, msg);
                append_info(ctx, " [TCP segment held: previous segment not captured yet]");
                return;
            }
            // Too much held: the missing bytes are a gap that will not be filled.
            skip_gap(ctx, f, payload, seq);
        }
        consume(ctx, s, dir_index, payload, static_cast<std::uint32_t>(ctx.pinfo.frame->number));
        f.next_seq = seq + static_cast<std::uint32_t>(payload.size());
        drain_held(ctx, s, dir_index);
    }

    // Declares the bytes between next_seq and `seq` lost: nothing is invented for them.
    void skip_gap(Ctx& ctx, Flow& f, const Tvb& at, std::uint32_t seq) {
        std::uint32_t missing = seq - f.next_seq;
        std::string msg = "Gap: ";
        append_uint(msg, missing);
        msg += " bytes of the stream were never captured; reassembly restarts here";
        ctx.note(at, 0, 0, msg);
        f.dropped += missing + f.pending.size();
        f.pending.clear();
        f.pending_frames.clear();
        f.unsettle();
        f.next_seq = seq;
        // Held segments before the new position are useless now.
        while (!f.held.empty() && static_cast<std::int32_t>(f.held.begin()->first - seq) < 0) {
            f.held_bytes -= f.held.begin()->second.second.size();
            f.held.erase(f.held.begin());
        }
    }

    void give_up(Ctx& ctx, Flow& f, const Tvb& at, std::string_view why) {
        if (!f.pending.empty()) {
            std::string msg = "Reassembly abandoned (";
            msg += why;
            msg += "): ";
            append_uint(msg, f.pending.size());
            msg += " bytes of an unfinished message dropped";
            ctx.note(at, 0, 0, msg);
        }
        f.dropped += f.pending.size();
        f.pending.clear();
        f.pending_frames.clear();
        f.unsettle();
        f.next_known = false;
    }

    // Held segments that now continue the stream are fed in order (their messages complete
    // in this frame, from a reassembled buffer).
    void drain_held(Ctx& ctx, Stream& s, int dir_index) {
        Flow& f = s.flow[dir_index];
        while (!f.held.empty()) {
            auto it = f.held.begin();
            auto delta = static_cast<std::int32_t>(it->first - f.next_seq);
            if (delta > 0) break;
            auto [frame, bytes] = std::move(it->second);
            std::uint32_t seq = it->first;
            f.held_bytes -= bytes.size();
            f.held.erase(it);
            std::size_t skip = delta < 0 ? static_cast<std::size_t>(-static_cast<std::int64_t>(delta)) : 0;
            if (skip >= bytes.size()) continue;
            DataSource& src = ctx.tree.new_source();
            src.name = "Held TCP segment";
            src.bytes.assign(bytes.begin() + static_cast<std::ptrdiff_t>(skip), bytes.end());
            src.frames.push_back(frame);
            Tvb t(src.bytes, 0, static_cast<std::uint8_t>(ctx.tree.source_count()));
            append_pending(f, t, frame);
            complete_pending(ctx, s, dir_index, nullptr);
            f.next_seq = seq + static_cast<std::uint32_t>(bytes.size());
        }
    }

    // What of a settled message the protocol will not read, for this packet's tree.
    static std::size_t unread_from(const Ctx& ctx, const StreamCtx& sc) {
        return ctx.tree.keeps_fields() ? 0 : sc.unread_from;
    }

    static void append_pending(Flow& f, const Tvb& t, std::uint32_t frame) {
        // Bytes of the message that nothing reads: counted as zeros, so that every length and
        // offset stays as if they were copied (an HTTP body on the benchmark capture: 85% of
        // the bytes reassembly copied for --decode-only).
        std::size_t unread = 0;
        if (f.unread_from && f.pending.size() >= f.unread_from && f.settled_length > f.pending.size())
            unread = std::min(t.size(), f.settled_length - f.pending.size());
        f.pending.resize(f.pending.size() + unread);
        f.pending.insert(f.pending.end(), t.bytes().begin() + static_cast<std::ptrdiff_t>(unread), t.bytes().end());
        if (!f.pending_frames.empty() && f.pending_frames.back().first == frame)
            f.pending_frames.back().second += static_cast<std::uint32_t>(t.size());
        else
            f.pending_frames.emplace_back(frame, static_cast<std::uint32_t>(t.size()));
    }

    // Decodes every whole message in this segment's bytes; keeps the unfinished rest.
    void consume(Ctx& ctx, Stream& s, int dir_index, const Tvb& payload, std::uint32_t frame) {
        Flow& f = s.flow[dir_index];
        std::size_t pos = 0;
        if (!f.pending.empty()) {
            append_pending(f, payload, frame);
            // What is left after the pending messages complete lies in this frame: continue
            // from there with the frame's own bytes.
            std::size_t left = complete_pending(ctx, s, dir_index, &payload);
            if (left == SIZE_MAX) return;
            pos = payload.size() - left;
        }
        while (pos < payload.size() && s.app) {
            Tvb rest = payload.tail(pos);
            StreamCtx sc = stream_ctx(s, dir_index, ctx);
            std::int64_t n = s.app->message_length(rest, sc);
            if (n == StreamProtocol::kNotMine) {
                ctx.data(rest);
                return;
            }
            if (n > 0 && static_cast<std::uint64_t>(n) <= rest.size()) {
                deliver(ctx, s, sc, rest.sub(0, static_cast<std::size_t>(n)));
                pos += static_cast<std::size_t>(n);
                continue;
            }
            if (sc.length_settled) {
                f.settle(static_cast<std::size_t>(n), unread_from(ctx, sc));
                f.pending.reserve(std::min(f.settled_length, kMaxReserve));
            }
            append_pending(f, rest, frame);
            append_info(ctx, " [TCP segment of a reassembled PDU]");
            if (ctx.pinfo.protocol.empty() || ctx.pinfo.protocol != kTcpProto.short_name)
                ctx.pinfo.protocol = kTcpProto.short_name;
            return;
        }
    }

    // Decodes whole messages from the pending buffer. Returns how many pending bytes are
    // left if they all belong to `current` (the caller continues in the frame), SIZE_MAX if
    // the pending buffer still holds bytes of earlier frames (or nothing is left to do).
    std::size_t complete_pending(Ctx& ctx, Stream& s, int dir_index, const Tvb* current) {
        Flow& f = s.flow[dir_index];
        while (!f.pending.empty() && s.app) {
            std::uint32_t current_bytes = 0;
            if (current && !f.pending_frames.empty() &&
                f.pending_frames.back().first == ctx.pinfo.frame->number)
                current_bytes = f.pending_frames.back().second;
            if (current && f.pending_frames.size() == 1 && current_bytes == f.pending.size()) {
                // Only this frame's bytes are left: decode them in place.
                std::size_t left = f.pending.size();
                f.pending.clear();
                f.pending_frames.clear();
                f.unsettle();
                return left;
            }
            StreamCtx sc = stream_ctx(s, dir_index, ctx);
            Tvb whole(f.pending);
            std::int64_t n = f.settled_length > f.pending.size() ? static_cast<std::int64_t>(f.settled_length)
                                                                 : s.app->message_length(whole, sc);
            if (sc.length_settled && n > 0) f.settle(static_cast<std::size_t>(n), unread_from(ctx, sc));
            if (n == StreamProtocol::kNotMine) {
                give_up(ctx, f, whole, "the bytes are not a message of this protocol");
                return SIZE_MAX;
            }
            if (n <= 0 || static_cast<std::uint64_t>(n) > f.pending.size()) {
                if (f.pending.size() > kMaxPending) {
                    give_up(ctx, f, Tvb{}, "message larger than the 8 MiB reassembly limit");
                    ctx.data(current ? *current : Tvb{});
                    return SIZE_MAX;
                }
                append_info(ctx, " [TCP segment of a reassembled PDU]");
                ctx.pinfo.protocol = kTcpProto.short_name;
                return SIZE_MAX;
            }
            deliver_reassembled(ctx, s, sc, f, static_cast<std::size_t>(n));
        }
        return f.pending.empty() ? 0 : SIZE_MAX;
    }

    // Moves the first `n` pending bytes into a "Reassembled TCP" source and decodes them.
    void deliver_reassembled(Ctx& ctx, Stream& s, StreamCtx& sc, Flow& f, std::size_t n) {
        DataSource& src = ctx.tree.new_source();
        src.name = "Reassembled TCP";
        // Usually the message is all that is pending: its buffer is handed over instead of
        // copied. The flow starts again with no buffer, not the source's old one: a finished
        // connection would keep that capacity (tens of KiB) for the rest of the file, and
        // thousands of them add up.
        bool whole_buffer = n == f.pending.size();
        if (whole_buffer) {
            src.bytes = std::move(f.pending);
            std::vector<std::uint8_t>().swap(f.pending);
        } else
            src.bytes.assign(f.pending.begin(), f.pending.begin() + static_cast<std::ptrdiff_t>(n));
        std::size_t need = n;
        std::size_t used_pieces = 0;
        for (auto& [frame, bytes] : f.pending_frames) {
            if (need == 0) break;
            src.frames.push_back(frame);
            std::size_t take = std::min<std::size_t>(bytes, need);
            need -= take;
            bytes -= static_cast<std::uint32_t>(take);
            if (bytes == 0) ++used_pieces;
        }
        f.pending_frames.erase(f.pending_frames.begin(), f.pending_frames.begin() + static_cast<std::ptrdiff_t>(used_pieces));
        if (!whole_buffer) f.pending.erase(f.pending.begin(), f.pending.begin() + static_cast<std::ptrdiff_t>(n));
        f.unsettle();
        Tvb whole(src.bytes, 0, static_cast<std::uint8_t>(ctx.tree.source_count()));
        std::size_t list = ctx.tree.open(kFields[hf_segments], whole, 0, whole.size());
        for (std::uint32_t fr : src.frames) ctx.tree.add(kFields[hf_segment], whole, 0, 0, fr, kGenerated);
        ctx.tree.add(kFields[hf_segment_count], whole, 0, 0, src.frames.size(), kGenerated);
        ctx.tree.add(kFields[hf_reassembled_length], whole, 0, 0, whole.size(), kGenerated);
        ctx.tree.close(list);
        deliver(ctx, s, sc, whole);
    }

    void deliver(Ctx& ctx, Stream& s, StreamCtx& sc, const Tvb& msg) {
        // Messages after the first in one segment add to the same Info column.
        if (ctx.want_info) {
            if (ctx.pinfo.protocol != kTcpProto.short_name && (ctx.pinfo.settle_info(), !ctx.pinfo.info.empty())) {
                ctx.pinfo.info += " , ";
            } else {
                ctx.pinfo.info.clear();
                ctx.pinfo.deferred.write = nullptr;  // TCP's own text is replaced, written or not
            }
        }
        s.app->dissect_message(msg, ctx, sc);
        // Decoding a message may change what the protocol answers for either side's next one
        // (HTTP: which request a response answers): settled lengths are asked for again.
        s.flow[0].unsettle();
        s.flow[1].unsettle();
        if (sc.next) {
            // The protocol handed the connection over (HTTP 101 Switching Protocols).
            s.app = sc.next;
            s.app_state.reset();
            s.upgrade_uri = std::move(sc.upgrade_uri);
            s.upgrade_extensions = std::move(sc.upgrade_extensions);
        }
    }

    // The side closed: a message that ends with the connection (an HTTP/1.0 body without a
    // length) is complete now.
    void close_flow(Ctx& ctx, Stream& s, int dir_index) {
        Flow& f = s.flow[dir_index];
        if (!f.held.empty()) {
            // The side closed with bytes still missing before its held segments.
            skip_gap(ctx, f, Tvb{}, f.held.begin()->first);
            drain_held(ctx, s, dir_index);
        }
        if (f.pending.empty() || !s.app) return;
        StreamCtx sc = stream_ctx(s, dir_index, ctx);
        sc.at_close = true;
        Tvb whole(f.pending);
        std::int64_t n = s.app->message_length(whole, sc);
        if (n > 0 && static_cast<std::uint64_t>(n) <= f.pending.size()) deliver_reassembled(ctx, s, sc, f, static_cast<std::size_t>(n));
    }

    // The flags as letters, Wireshark's order: reserved bits, AE, CWR, ECE, URG, ACK, PSH,
    // RST, SYN, FIN; a middle dot for each bit not set. Written into `buf` (at least 24 bytes).
    static std::string_view flag_string(std::uint16_t flags, char* buf) {
        static constexpr char kLetters[] = "RRRACEUAPRSF";
        std::size_t n = 0;
        for (int bit = 11; bit >= 0; --bit) {
            if (flags >> bit & 1) {
                buf[n++] = kLetters[11 - bit];
            } else {
                buf[n++] = '\xc2';
                buf[n++] = '\xb7';
            }
        }
        return {buf, n};
    }

    static void write_info(std::string& out, const PacketInfo::DeferredInfo& d) {
        info(out, d.v[0], d.v[1], static_cast<std::uint16_t>(d.v[2]), static_cast<std::uint32_t>(d.v[3]),
             static_cast<std::uint32_t>(d.v[4]), d.v[5] != 0, d.v[6], static_cast<std::uint32_t>(d.v[7] >> 32), d.tvb,
             static_cast<std::size_t>(d.v[7] & 0xffffffffu));
        out += d.suffix;
    }

    // Appends a constant text to the Info column, after TCP's own text, which stays unwritten
    // if it was (PacketInfo::deferred).
    static void append_info(Ctx& ctx, std::string_view constant) {
        if (!ctx.want_info) return;
        auto& d = ctx.pinfo.deferred;
        if (d.write == &write_info && d.suffix.empty()) {
            d.suffix = constant;
            return;
        }
        ctx.info(constant);
    }

    static void info(std::string& out, std::uint64_t sport, std::uint64_t dport, std::uint16_t flags, std::uint32_t seq,
                     std::uint32_t ackn, bool ack, std::uint64_t window, std::uint32_t len, const Tvb& tvb,
                     std::size_t hdr_len) {
        // Longest text: about 140 characters before the options; options start within the 40
        // bytes after the fixed header, at most " SACK_PERM" for each 2 bytes (200), and the last
        // one may run past the header (34 more for a timestamp).
        InfoText<512> t;
        if (!out.empty()) t.put(' ');
        t.put_uint(static_cast<std::uint32_t>(sport)).put(" \xe2\x86\x92 ").put_uint(static_cast<std::uint32_t>(dport));
        t.put(" [");
        // The names of the eight low flags come from a table of every combination; AE (the
        // ninth, RFC 9768) goes last in tshark's order, so it is simply added after them.
        const FlagText& low = kFlagTexts[flags & 0xff];
        t.put_padded(low.text, low.len);
        if (flags & 0x100) t.put(flags & 0xff ? ", AE" : "AE");
        if (!(flags & 0x1ff)) t.put("<None>");
        t.put("] Seq=").put_uint(seq);
        if (ack) t.put(" Ack=").put_uint(ackn);
        t.put(" Win=").put_uint(window).put(" Len=").put_uint(len);
        // The common options, as tshark's summary shows them.
        std::size_t off = 20;
        while (off < hdr_len && tvb.has(off, 1)) {
            std::uint8_t kind = tvb.data()[off];
            if (kind == 0) break;
            if (kind == 1) {
                ++off;
                continue;
            }
            auto l = tvb.u8(off + 1);
            if (!l || *l < 2 || !tvb.has(off, *l)) break;
            if (kind == 2 && *l == 4) {
                t.put(" MSS=").put_uint(std::uint32_t{*tvb.be16(off + 2)});
            } else if (kind == 3 && *l == 3) {
                t.put(" WS=").put_uint(std::uint32_t{1u << std::min<unsigned>(tvb.data()[off + 2], 14)});
            } else if (kind == 4) {
                t.put(" SACK_PERM");
            } else if (kind == 8 && *l == 10) {
                t.put(" TSval=").put_uint(std::uint32_t{*tvb.be32(off + 2)});
                t.put(" TSecr=").put_uint(std::uint32_t{*tvb.be32(off + 6)});
            }
            off += *l;
        }
        t.append_to(out);
    }

    static void options(Ctx& ctx, const Tvb& tvb, std::size_t hdr_len, Direction& fwd, const Direction& rev,
                        bool syn) {
        // A tree that keeps no fields needs only the walk: the window scale of a SYN and the
        // lengths that run past the header. Nearly every segment after the handshake carries
        // NOP, NOP, Timestamps and nothing else (RFC 7323 appendix A's layout), which has
        // neither: one compare settles it.
        const bool show = ctx.tree.keeps_fields();
        if (!show && !syn && hdr_len == 32 && tvb.has(20, 12) && load_be32(tvb.data() + 20) == 0x0101080a) return;
        Tvb opts = tvb.sub(20, hdr_len - 20);
        std::uint16_t depth = ctx.tree.depth();
        if (show) ctx.tree.add(kFields[hf_options], opts, 0, opts.size(), 0);
        ctx.tree.set_depth(static_cast<std::uint16_t>(depth + 1));  // a malformed node's depth too
        std::size_t off = 0;
        while (off < opts.size()) {
            std::uint8_t kind = opts.data()[off];
            if (kind == 0 || kind == 1) {
                if (show) ctx.tree.add(kFields[hf_option_kind], opts, off, 1, kind);
                ++off;
                if (kind == 0) break;
                continue;
            }
            auto len = opts.u8(off + 1);
            if (!len) break;  // cut by the snapshot length: the caller marks it truncated
            if (*len < 2 || off + *len > hdr_len - 20) {
                ctx.malformed(opts, off, opts.size() - off, "TCP option length runs past the header");
                break;
            }
            if (off + *len > opts.size()) break;
            Tvb v = opts.sub(off + 2, *len - 2);
            if (kind == 3 && syn && v.size() == 1) fwd.wscale = std::min<int>(v.data()[0], 14);
            if (show) option(ctx, opts, off, *len, kind, v, rev);
            off += *len;
        }
        ctx.tree.set_depth(depth);
    }

    // One option's nodes: kind, length and what its value holds.
    static void option(Ctx& ctx, const Tvb& opts, std::size_t off, std::uint8_t len, std::uint8_t kind, const Tvb& v,
                       const Direction& rev) {
        std::size_t o = ctx.tree.open(kFields[hf_option_kind], opts, off, len);
        ctx.tree.set_value(o, kind);
        ctx.tree.add(kFields[hf_option_len], opts, off + 1, 1, len);
        switch (kind) {
            case 2:
                if (v.size() == 2) ctx.tree.add(kFields[hf_mss_val], v, 0, 2, *v.be16(0));
                break;
            case 3:
                if (v.size() == 1) {
                    std::uint8_t shift = v.data()[0];
                    ctx.tree.add(kFields[hf_wscale_shift], v, 0, 1, shift);
                    ctx.tree.add(kFields[hf_wscale_multiplier], v, 0, 1, 1u << std::min<unsigned>(shift, 14));
                }
                break;
            case 4: ctx.tree.add(kFields[hf_sack_perm], opts, off, len, 0); break;
            case 5: {
                std::size_t blocks = v.size() / 8;
                ctx.tree.add(kFields[hf_sack_count], v, 0, 0, blocks, kGenerated);
                // SACK edges are the other side's sequence numbers: relative to its base.
                std::uint32_t base = rev.base_set ? rev.base_seq : 0;
                for (std::size_t b = 0; b < blocks; ++b) {
                    ctx.tree.add(kFields[hf_sack_le], v, b * 8, 4, *v.be32(b * 8) - base);
                    ctx.tree.add(kFields[hf_sack_re], v, b * 8 + 4, 4, *v.be32(b * 8 + 4) - base);
                }
                break;
            }
            case 8:
                if (v.size() == 8) {
                    ctx.tree.add(kFields[hf_tsval], v, 0, 4, *v.be32(0));
                    ctx.tree.add(kFields[hf_tsecr], v, 4, 4, *v.be32(4));
                }
                break;
            case 34:
                if (v.empty())
                    ctx.tree.add(kFields[hf_tfo_request], opts, off, len, 0);
                else
                    ctx.tree.add(kFields[hf_tfo_cookie], v, 0, v.size(), 0);
                break;
            default:
                if (!v.empty()) ctx.tree.add(kFields[hf_option_data], v, 0, v.size(), 0);
        }
        ctx.tree.close(o);
    }

    std::unordered_map<ConversationKey, Stream, ConversationKeyHash> streams_;
    // The streams of the last few packets, looked at before the table: a segment mostly
    // belongs to one of the connections just seen, and the table's lookup costs a hash and a
    // wait for memory. Values of an unordered_map never move; streams are only dropped all at
    // once (reset), which empties this too.
    struct RecentStream {
        ConversationKey key;
        Stream* stream = nullptr;
    };
    std::array<RecentStream, 4> recent_{};
    std::size_t next_recent_ = 0;

    Stream* find_stream(const ConversationKey& key) {
        for (const RecentStream& r : recent_)
            if (r.stream && r.key == key) return r.stream;
        auto it = streams_.find(key);
        if (it == streams_.end()) return nullptr;
        remember_stream(key, &it->second);
        return &it->second;
    }
    void remember_stream(const ConversationKey& key, Stream* s) {
        recent_[next_recent_] = RecentStream{key, s};
        next_recent_ = (next_recent_ + 1) % recent_.size();
    }
    std::uint32_t next_index_ = 0;
};
}  // namespace

constinit const ProtocolDef kTcpProto{"tcp", "TCP", "Transmission Control Protocol", OsiLayer::transport,
                                      TcpIpLayer::transport, "RFC 9293", kFields};

void register_tcp(Registry& r) {
    r.add_protocol(kTcpProto);
    r.add(Table::ip_proto, 6, r.make<Tcp>());
}

}  // namespace wirelab::proto
