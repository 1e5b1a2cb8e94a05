// WebSocket (RFC 6455): frames after the HTTP Upgrade, masking, fragmented messages,
// control frames, and permessage-deflate (RFC 7692) decompressed with zlib.
#include <zlib.h>

#include "proto_util.hpp"
#include "wirelab/stream.hpp"
#include "wirelab/websocket.hpp"

namespace wirelab::proto {

extern const ProtocolDef kWsProto;
extern const ProtocolDef kEngineIoProto;
extern const ProtocolDef kSocketIoProto;

namespace {
// What a WebSocket connection carries once HTTP has handed it over: frames, and the Engine.IO
// and Socket.IO packets inside them. Only the segment with HTTP's 101 holds HTTP too, and it
// is decoded in full (Tcp::dissect leaves a protocol out only for segments that begin in it).
constinit const ProtocolDef* const kWsCarries[] = {&kWsProto, &kEngineIoProto, &kSocketIoProto};

enum : std::size_t {
    hf_ws, hf_fin, hf_rsv, hf_pmc, hf_opcode, hf_mask, hf_payload_length, hf_len16, hf_len64, hf_masking_key,
    hf_payload, hf_text, hf_binary, hf_close_code, hf_close_reason, hf_ping, hf_pong, hf_unknown, hf_fragments,
    hf_fragment, hf_fragment_count, hf_reassembled_length, hf_message_opcode, hf_count
};

constexpr ValueName kOpcodes[] = {{0, "Continuation"}, {1, "Text"},  {2, "Binary"},
                                  {8, "Connection Close"}, {9, "Ping"}, {10, "Pong"}};
constexpr ValueName kCloseCodes[] = {
    {1000, "Normal Closure"},      {1001, "Going Away"},        {1002, "Protocol error"},
    {1003, "Unsupported Data"},    {1005, "No Status Rcvd"},    {1006, "Abnormal Closure"},
    {1007, "Invalid frame payload data"}, {1008, "Policy Violation"}, {1009, "Message Too Big"},
    {1010, "Mandatory Ext."},      {1011, "Internal Server Error"},
};

constinit const FieldDef kFields[] = {
    {"websocket", "WebSocket", FieldType::protocol, Base::none, 0, {},
     "A full-duplex message channel over one TCP connection, opened by an HTTP Upgrade: either side may send "
     "a message at any time, framed with a small header.", &kWsProto},
    {"websocket.fin", "Fin", FieldType::boolean, Base::none, 0x80, {},
     "Set on the last frame of a message; a message may be split over several frames.", &kWsProto},
    {"websocket.rsv", "Reserved", FieldType::u8, Base::hex, 0x70, {},
     "Three bits for extensions; must be 0 unless an extension (compression) was agreed.", &kWsProto},
    {"websocket.pmc", "Per-Message Compressed", FieldType::boolean, Base::none, 0x40, {},
     "RSV1 under permessage-deflate: this message is compressed.", &kWsProto},
    {"websocket.opcode", "Opcode", FieldType::u8, Base::dec, 0x0f, kOpcodes,
     "What the frame holds: 1 text, 2 binary, 0 the next piece of a message, 8 close, 9 ping, 10 pong.",
     &kWsProto},
    {"websocket.mask", "Mask", FieldType::boolean, Base::none, 0x80, {},
     "Set when the payload is masked: every frame from a client must be, so that caches and proxies on the "
     "way cannot be fooled by its bytes.", &kWsProto},
    {"websocket.payload_length", "Payload length", FieldType::u8, Base::dec, 0x7f, {},
     "The payload length if below 126; 126 means a 16-bit length follows, 127 a 64-bit length.", &kWsProto},
    {"websocket.payload_length_ext_16", "Extended Payload length (16 bits)", FieldType::u16, Base::dec, 0, {},
     "The payload length, for payloads of 126 to 65535 bytes.", &kWsProto},
    {"websocket.payload_length_ext_64", "Extended Payload length (64 bits)", FieldType::u64, Base::dec, 0, {},
     "The payload length, for payloads of 65536 bytes or more.", &kWsProto},
    {"websocket.masking_key", "Masking-Key", FieldType::bytes, Base::none, 0, {},
     "Four random bytes; payload byte i was XORed with key byte i mod 4.", &kWsProto},
    {"websocket.payload", "Payload", FieldType::none, Base::none, 0, {}, "The frame's data.", &kWsProto},
    {"websocket.payload.text", "Text", FieldType::string, Base::none, 0, {},
     "A text message (UTF-8), unmasked.", &kWsProto},
    {"websocket.payload.binary", "Binary", FieldType::bytes, Base::none, 0, {},
     "A binary message, unmasked.", &kWsProto},
    {"websocket.payload.close.status_code", "Status code", FieldType::u16, Base::dec, 0, kCloseCodes,
     "Why the connection closes: 1000 normal, 1001 going away, 1002 protocol error, 1009 message too big.",
     &kWsProto},
    {"websocket.payload.close.reason", "Reason", FieldType::string, Base::none, 0, {},
     "The closing reason in words.", &kWsProto},
    {"websocket.payload.ping", "Ping", FieldType::bytes, Base::none, 0, {},
     "A ping: the other side must answer with a pong carrying the same bytes (a heartbeat).", &kWsProto},
    {"websocket.payload.pong", "Pong", FieldType::bytes, Base::none, 0, {}, "The answer to a ping.", &kWsProto},
    {"websocket.payload.unknown", "Unknown", FieldType::bytes, Base::none, 0, {},
     "Payload of a reserved opcode.", &kWsProto},
    {"websocket.fragments", "WebSocket Fragments", FieldType::none, Base::none, 0, {},
     "The frames this message was split into.", &kWsProto},
    {"websocket.fragment", "WebSocket Fragment", FieldType::framenum, Base::none, 0, {},
     "A frame that carried part of this message.", &kWsProto},
    {"websocket.fragment.count", "Fragment count", FieldType::u32, Base::dec, 0, {},
     "How many frames the message had.", &kWsProto},
    {"websocket.reassembled.length", "Reassembled length", FieldType::u32, Base::dec, 0, {},
     "Length of the whole message.", &kWsProto},
    {"websocket.message.opcode", "Message type", FieldType::u8, Base::dec, 0, kOpcodes,
     "Text or binary: the opcode of the message's first frame.", &kWsProto},
};
static_assert(std::size(kFields) == hf_count);

struct Direction {
    bool in_message = false;
    std::uint8_t opcode = 0;
    bool compressed = false;
    std::vector<std::uint8_t> bytes;
    std::vector<std::uint32_t> frames;
    z_stream* inflater = nullptr;
};

struct WsState : StreamState {
    Direction dir[2];
    bool deflate = false;
    bool reset_context[2] = {false, false};  // *_no_context_takeover
    bool engineio = false;
    ~WsState() override {
        for (auto& d : dir)
            if (d.inflater) {
                inflateEnd(d.inflater);
                delete d.inflater;
            }
    }
};

bool contains(std::string_view s, std::string_view what) { return s.find(what) != std::string_view::npos; }

}  // namespace

std::string websocket_accept_for(std::string_view key) { return ws::accept_key(key); }

class WebSocket final : public StreamProtocol {
public:
    const ProtocolDef& protocol() const override { return kWsProto; }
    std::span<const ProtocolDef* const> sole_protocols() const override { return kWsCarries; }

    std::int64_t message_length(const Tvb& data, StreamCtx& s) override {
        ws::FrameHeader h;
        switch (ws::parse_header(data.bytes(), h)) {
            case ws::Parse::incomplete: return kNeedMore;
            case ws::Parse::error: return static_cast<std::int64_t>(data.size());
            case ws::Parse::complete: break;
        }
        std::uint64_t total = h.header_length + h.payload_length;
        if (total > (1ull << 40)) return static_cast<std::int64_t>(data.size());
        s.length_settled = true;  // the frame header says it all
        return static_cast<std::int64_t>(total);
    }

    void dissect_message(const Tvb& frame, Ctx& ctx, StreamCtx& s) override {
        WsState& st = state(s);
        Layer layer(ctx, kWsProto, frame, frame.size());
        ws::FrameHeader h;
        std::string err;
        if (ws::parse_header(frame.bytes(), h, &err) != ws::Parse::complete) {
            ctx.malformed(frame, 0, frame.size(), err.empty() ? "frame header cut short" : err);
            return;
        }
        if (ctx.tree.keeps_fields()) {  // (parse_header found the whole header)
            Fields f(ctx, frame, "WebSocket frame header");
            f.uint(kFields[hf_fin], 0, 1);
            f.uint(kFields[hf_rsv], 0, 1);
            if (st.deflate) f.uint(kFields[hf_pmc], 0, 1);
            f.uint(kFields[hf_opcode], 0, 1);
            f.uint(kFields[hf_mask], 1, 1);
            f.uint(kFields[hf_payload_length], 1, 1);
            if (h.length_code == 126) f.uint(kFields[hf_len16], 2, 2);
            if (h.length_code == 127) f.uint(kFields[hf_len64], 2, 8);
            if (h.masked) f.raw(kFields[hf_masking_key], h.header_length - 4, 4);
        }

        Direction& d = st.dir[s.direction];
        bool from_client = s.direction == 0;
        if (auto v = ws::check_frame(h, from_client, d.in_message, st.deflate)) {
            std::string reason = v->reason + " (close code " + std::to_string(v->code) + ")";
            ctx.malformed(frame, 0, 2, reason);
        }
        if (ctx.want_info) {
            std::string& info = ctx.pinfo.info;
            info += "WebSocket ";
            info += ws::opcode_name(h.opcode);
            if (h.fin) info += " [FIN]";
            if (h.masked) info += " [MASKED]";
            info += ' ';
        }
        Tvb payload = frame.tail(h.header_length);
        if (payload.empty()) {
            if (h.opcode == ws::kClose) ctx.info("(no status code) ");
            if (h.fin && d.in_message && h.opcode == ws::kContinuation) finish_message(ctx, s, st, d, payload);
            return;
        }
        std::size_t tree = ctx.tree.open(kFields[hf_payload], payload, 0, payload.size());
        bool tree_open = true;  // the payload subtree, until a message is handed on
        // Unmask into a buffer of its own: the frame's bytes stay as they were on the wire.
        Tvb plain = payload;
        if (h.masked) {
            DataSource& src = ctx.tree.new_source();
            src.name = "Unmasked data";
            src.bytes.assign(payload.bytes().begin(), payload.bytes().end());
            src.frames.push_back(s.frame);
            ws::apply_mask(src.bytes, h.mask);
            plain = Tvb(src.bytes, 0, static_cast<std::uint8_t>(ctx.tree.source_count()));
        }
        bool control = h.opcode & 0x08;
        if (control) {
            control_payload(ctx, h.opcode, plain);
        } else if (h.opcode == ws::kText || h.opcode == ws::kBinary || h.opcode == ws::kContinuation) {
            if (h.opcode != ws::kContinuation) {
                d.in_message = true;
                d.opcode = h.opcode;
                d.compressed = h.rsv1 && st.deflate;
                d.bytes.clear();
                d.frames.clear();
            }
            if (h.fin && d.frames.empty()) {
                // The whole message is this frame.
                d.in_message = false;
                ctx.tree.close(tree);
                tree_open = false;
                deliver(ctx, s, st, d, plain);
            } else {
                d.bytes.insert(d.bytes.end(), plain.bytes().begin(), plain.bytes().end());
                d.frames.push_back(s.frame);
                if (d.bytes.size() > (16u << 20)) {
                    ctx.note(plain, 0, 0, "Message larger than 16 MiB: the fragments collected so far are dropped");
                    d.bytes.clear();
                    d.frames.clear();
                    d.in_message = false;
                } else if (h.fin) {
                    ctx.tree.close(tree);
                    tree_open = false;
                    finish_message(ctx, s, st, d, plain);
                } else {
                    ctx.info("[fragment] ");
                }
            }
        } else {
            ctx.tree.add(kFields[hf_unknown], plain, 0, plain.size(), 0);
        }
        if (tree_open) ctx.tree.close(tree);
    }

private:
    static WsState& state(StreamCtx& s) {
        bool fresh = !*s.state;
        WsState& st = s.get<WsState>();
        if (fresh) {
            // What the 101 response agreed (RFC 7692 section 7).
            st.deflate = contains(s.upgrade_extensions, "permessage-deflate");
            st.reset_context[0] = contains(s.upgrade_extensions, "client_no_context_takeover");
            st.reset_context[1] = contains(s.upgrade_extensions, "server_no_context_takeover");
            st.engineio = s.upgrade_uri.rfind("/socket.io/", 0) == 0 || s.upgrade_uri.rfind("/engine.io/", 0) == 0;
        }
        return st;
    }

    void finish_message(Ctx& ctx, StreamCtx& s, WsState& st, Direction& d, const Tvb& last) {
        d.frames.push_back(s.frame);
        DataSource& src = ctx.tree.new_source();
        src.name = "Reassembled WebSocket message";
        src.bytes = std::move(d.bytes);
        d.bytes.clear();
        src.frames = d.frames;
        d.frames.clear();
        d.in_message = false;
        Tvb whole(src.bytes, 0, static_cast<std::uint8_t>(ctx.tree.source_count()));
        std::size_t list = ctx.tree.open(kFields[hf_fragments], whole, 0, whole.size());
        for (std::uint32_t fr : src.frames) ctx.tree.add(kFields[hf_fragment], whole, 0, 0, fr, kGenerated);
        ctx.tree.add(kFields[hf_fragment_count], whole, 0, 0, src.frames.size(), kGenerated);
        ctx.tree.add(kFields[hf_reassembled_length], whole, 0, 0, whole.size(), kGenerated);
        ctx.tree.close(list);
        (void)last;
        deliver(ctx, s, st, d, whole);
    }

    // A whole text or binary message: decompress if needed, show it, hand it on.
    void deliver(Ctx& ctx, StreamCtx& s, WsState& st, Direction& d, Tvb msg) {
        ctx.tree.add(kFields[hf_message_opcode], msg, 0, 0, d.opcode, kGenerated | kHidden);
        if (d.compressed) {
            DataSource& src = ctx.tree.new_source();
            src.name = "Decompressed WebSocket message";
            src.frames.push_back(s.frame);
            if (!inflate_message(st, s.direction, msg.bytes(), src.bytes)) {
                ctx.malformed(msg, 0, msg.size(), "permessage-deflate data does not inflate");
                return;
            }
            msg = Tvb(src.bytes, 0, static_cast<std::uint8_t>(ctx.tree.source_count()));
        }
        if (d.opcode == ws::kText) {
            ctx.tree.add(kFields[hf_text], msg, 0, msg.size(), 0);
            if (!ws::valid_utf8(msg.bytes())) ctx.malformed(msg, 0, msg.size(), "text message is not valid UTF-8 (close code 1007)");
        } else {
            ctx.tree.add(kFields[hf_binary], msg, 0, msg.size(), 0);
        }
        if (st.engineio) {
            if (Dissector* eio = ctx.registry.find_named("engineio")) {
                ctx.pinfo.carrier =
                    d.opcode == ws::kText ? PacketInfo::Carrier::websocket_text : PacketInfo::Carrier::websocket_binary;
                eio->dissect(msg, ctx);
                ctx.pinfo.carrier = PacketInfo::Carrier::none;
            }
        }
    }

    static void control_payload(Ctx& ctx, std::uint8_t opcode, const Tvb& p) {
        switch (opcode) {
            case ws::kClose: {
                if (p.size() >= 2) {
                    std::uint16_t code = *p.be16(0);
                    ctx.tree.add(kFields[hf_close_code], p, 0, 2, code);
                    if (p.size() > 2) ctx.tree.add(kFields[hf_close_reason], p, 2, p.size() - 2, 0);
                    if (ctx.want_info) {
                        ctx.pinfo.info += "(";
                        append_uint(ctx.pinfo.info, code);
                        ctx.pinfo.info += ") ";
                    }
                }
                if (auto v = ws::check_close_payload(p.bytes())) ctx.malformed(p, 0, p.size(), v->reason);
                break;
            }
            case ws::kPing: ctx.tree.add(kFields[hf_ping], p, 0, p.size(), 0); break;
            case ws::kPong: ctx.tree.add(kFields[hf_pong], p, 0, p.size(), 0); break;
            default: ctx.tree.add(kFields[hf_unknown], p, 0, p.size(), 0);
        }
    }

    static bool inflate_message(WsState& st, int dir, Bytes in, std::vector<std::uint8_t>& out) {
        Direction& d = st.dir[dir];
        if (!d.inflater) {
            d.inflater = new z_stream{};
            if (inflateInit2(d.inflater, -15) != Z_OK) {
                delete d.inflater;
                d.inflater = nullptr;
                return false;
            }
        } else if (st.reset_context[dir]) {
            inflateReset(d.inflater);
        }
        // RFC 7692 section 7.2.2: append 00 00 ff ff, then inflate.
        std::vector<std::uint8_t> data(in.begin(), in.end());
        data.insert(data.end(), {0x00, 0x00, 0xff, 0xff});
        d.inflater->next_in = data.data();
        d.inflater->avail_in = static_cast<uInt>(data.size());
        std::uint8_t buf[16384];
        while (true) {
            d.inflater->next_out = buf;
            d.inflater->avail_out = sizeof buf;
            int r = inflate(d.inflater, Z_SYNC_FLUSH);
            out.insert(out.end(), buf, buf + (sizeof buf - d.inflater->avail_out));
            if (r == Z_STREAM_END) break;
            if (r != Z_OK && r != Z_BUF_ERROR) return false;
            if (d.inflater->avail_in == 0 && d.inflater->avail_out != 0) break;
            if (out.size() > (64u << 20)) return false;  // a decompression bomb
        }
        return true;
    }
};

constinit const ProtocolDef kWsProto{"websocket", "WebSocket", "WebSocket", OsiLayer::application,
                                     TcpIpLayer::application, "RFC 6455, RFC 7692", kFields};

void register_websocket(Registry& r) {
    r.add_protocol(kWsProto);
    r.make_stream<WebSocket>();
}

}  // namespace wirelab::proto
