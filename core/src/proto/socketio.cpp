// Socket.IO v5 (https://socket.io/docs/v4/socket-io-protocol/): the packets inside Engine.IO
// MESSAGE packets: connecting to a namespace, events with their arguments, acknowledgements,
// and binary packets whose attachments follow as separate Engine.IO binary messages.
#include <unordered_map>

#include "proto_util.hpp"
#include "wirelab/socketio.hpp"

namespace wirelab::proto {

extern const ProtocolDef kSocketIoProto;

namespace {
enum : std::size_t {
    hf_sio, hf_packet_type, hf_attachments, hf_nsp, hf_ack_id, hf_data, hf_event, hf_args, hf_sid, hf_error,
    hf_attachment, hf_attachment_num, hf_attachment_of, hf_ack_of, hf_count
};

constexpr ValueName kPacketTypes[] = {{0, "CONNECT"}, {1, "DISCONNECT"}, {2, "EVENT"}, {3, "ACK"},
                                      {4, "CONNECT_ERROR"}, {5, "BINARY_EVENT"}, {6, "BINARY_ACK"}};

constinit const FieldDef kFields[] = {
    {"socketio", "Socket.IO", FieldType::protocol, Base::none, 0, {},
     "An application protocol for events: each side emits named events with arguments, may ask for an "
     "acknowledgement, and can open several channels (namespaces) over one Engine.IO connection.",
     &kSocketIoProto},
    {"socketio.packet_type", "Packet type", FieldType::u8, Base::dec, 0, kPacketTypes,
     "The first character: 0 connect to a namespace, 1 leave it, 2 event, 3 acknowledgement, 4 connection "
     "refused, 5 and 6 the same as 2 and 3 but with binary data sent after the packet.", &kSocketIoProto},
    {"socketio.attachments", "Attachments", FieldType::u32, Base::dec, 0, {},
     "How many binary messages follow this packet; each takes the place of a {\"_placeholder\":true,\"num\":N} "
     "in the JSON.", &kSocketIoProto},
    {"socketio.nsp", "Namespace", FieldType::string, Base::none, 0, {},
     "The channel this packet belongs to: \"/\" (the default, not written) or a name like \"/chat\" before a "
     "comma.", &kSocketIoProto},
    {"socketio.ack_id", "Ack id", FieldType::u64, Base::dec, 0, {},
     "A number the sender picks when it wants an answer: the other side's ACK packet carries the same number.",
     &kSocketIoProto},
    {"socketio.data", "Data", FieldType::string, Base::none, 0, {},
     "The packet's JSON: for an event an array of the event name and its arguments.", &kSocketIoProto},
    {"socketio.event", "Event", FieldType::string, Base::none, 0, {},
     "The event's name, what the program passed to emit() and listens for with on().", &kSocketIoProto},
    {"socketio.args", "Argument", FieldType::string, Base::none, 0, {},
     "One argument of the event or acknowledgement, as JSON (binary data shown as <Buffer ...>).",
     &kSocketIoProto},
    {"socketio.sid", "Socket ID", FieldType::string, Base::none, 0, {},
     "The id the server gives this client's socket in the namespace, in its answer to CONNECT.",
     &kSocketIoProto},
    {"socketio.error", "Error message", FieldType::string, Base::none, 0, {},
     "Why the server refused the connection to the namespace (CONNECT_ERROR).", &kSocketIoProto},
    {"socketio.attachment", "Attachment", FieldType::bytes, Base::none, 0, {},
     "The bytes of one binary attachment: they replace a placeholder in the packet sent before.",
     &kSocketIoProto},
    {"socketio.attachment_num", "Attachment number", FieldType::u32, Base::dec, 0, {},
     "Which placeholder (\"num\") this attachment fills, counting from 0.", &kSocketIoProto},
    {"socketio.attachment_of", "Attachment of the packet in frame", FieldType::framenum, Base::none, 0, {},
     "The frame that carried the binary packet this attachment belongs to.", &kSocketIoProto},
    {"socketio.ack_of", "Acknowledges the packet in frame", FieldType::framenum, Base::none, 0, {},
     "The frame that carried the event (with the same ack id, the other way) this ACK answers.",
     &kSocketIoProto},
};
static_assert(std::size(kFields) == hf_count);

std::string_view as_text(const Tvb& t) { return {reinterpret_cast<const char*>(t.data()), t.size()}; }

void append_short(std::string& out, std::string_view text, std::size_t max = 120) {
    if (text.size() <= max) {
        out += text;
        return;
    }
    std::size_t cut = max;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80) --cut;
    out += text.substr(0, cut);
    out += "...";
}

// The Info text of a packet: TYPE, namespace, event name, arguments, ack id.
std::string describe(const sio::Packet& p) {
    std::string s = "Socket.IO ";
    s += sio::packet_type_name(p.type);
    if (p.nsp != "/" || p.type == sio::PacketType::connect || p.type == sio::PacketType::disconnect) {
        s += ' ';
        s += p.nsp;
    }
    if (auto name = p.event_name()) {
        s += ' ';
        json::write_string(s, *name);
    }
    bool has_args = p.type == sio::PacketType::event || p.type == sio::PacketType::binary_event ||
                    p.type == sio::PacketType::ack || p.type == sio::PacketType::binary_ack;
    if (has_args) {
        std::string args = "[";
        bool first = true;
        for (const json::Value& a : p.args()) {
            if (!first) args += ',';
            first = false;
            json::write(args, a);
        }
        args += ']';
        s += ' ';
        append_short(s, args);
    } else if (p.data) {
        s += ' ';
        append_short(s, json::to_string(*p.data));
    }
    if (p.id) s += " id=" + std::to_string(*p.id);
    return s;
}

}  // namespace

class SocketIo final : public Dissector {
public:
    void dissect(const Tvb& tvb, Ctx& ctx) override {
        // Called by name without Engine.IO around it: one text packet, or an attachment.
        std::string conv = ctx.pinfo.net_src.str() + ":" + std::to_string(ctx.pinfo.src_port) + " " +
                           ctx.pinfo.net_dst.str() + ":" + std::to_string(ctx.pinfo.dst_port);
        std::string summary;
        message(ctx, tvb, ctx.pinfo.carrier == PacketInfo::Carrier::websocket_binary, conv, 0,
                ctx.want_info ? &summary : nullptr);
        ctx.info(summary);
    }
    void reset() override {
        pending_.clear();
        asked_.clear();
    }

    void message(Ctx& ctx, const Tvb& msg, bool binary, std::string_view conversation, int direction,
                 std::string* summary) {
        Layer layer(ctx, kSocketIoProto, msg, msg.size());
        std::string key(conversation);
        key += direction ? " <" : " >";
        if (binary)
            attachment(ctx, layer, msg, key, summary);
        else
            packet(ctx, layer, msg, key, conversation, direction, summary);
    }

private:
    // A binary packet waiting for its attachments, per conversation and direction.
    struct Pending {
        sio::Reassembler reassembler{kLimits};
        std::uint32_t frame = 0;
        std::uint64_t used = 0;  // when it was last touched, to drop the stalest first
    };
    static constexpr std::size_t kMaxPending = 256;
    static constexpr std::size_t kMaxAsked = 4096;
    static constexpr sio::Limits kLimits{1000, {}};

    static std::uint32_t frame_number(const Ctx& ctx) {
        return ctx.pinfo.frame ? static_cast<std::uint32_t>(ctx.pinfo.frame->number) : 0;
    }

    Pending& pending(const std::string& key) {
        auto it = pending_.find(key);
        if (it == pending_.end()) {
            if (pending_.size() >= kMaxPending) {
                auto oldest = pending_.begin();
                for (auto i = pending_.begin(); i != pending_.end(); ++i)
                    if (i->second.used < oldest->second.used) oldest = i;
                pending_.erase(oldest);
            }
            it = pending_.emplace(key, Pending{}).first;
        }
        it->second.used = ++clock_;
        return it->second;
    }

    // Where the events asking for an answer were: "conversation namespace id direction" -> frame.
    std::string ack_key(std::string_view conversation, const sio::Packet& p, int direction) const {
        std::string k(conversation);
        k += ' ';
        k += p.nsp;
        k += ' ';
        k += std::to_string(*p.id);
        k += direction ? " <" : " >";
        return k;
    }

    void packet(Ctx& ctx, Layer& layer, const Tvb& msg, const std::string& key, std::string_view conversation,
                int direction, std::string* summary) {
        std::string_view text = as_text(msg);
        auto found = pending_.find(key);
        if (found != pending_.end() && found->second.reassembler.waiting()) {
            // socket.io-parser gives up on the binary packet when text comes instead.
            Pending& p = found->second;
            ctx.note(msg, 0, 0,
                     "The binary packet in frame " + std::to_string(p.frame) + " still waited for " +
                         std::to_string(p.reassembler.packet().attachments - p.reassembler.received()) +
                         " attachment(s); a receiver drops it");
            p.reassembler.reset();
        }
        sio::Packet p;
        sio::Spans sp;
        CodecError err;
        if (!sio::decode(text, p, &err, &sp, kLimits)) {
            if (!text.empty() && text[0] >= '0' && text[0] <= '6')
                ctx.tree.add(kFields[hf_packet_type], msg, 0, 1, static_cast<std::uint64_t>(text[0] - '0'));
            std::size_t off = std::min(err.offset, msg.size());
            ctx.malformed(msg, off, msg.size() - off, err.what);
            layer.set_summary("[Malformed: " + err.what + "]");
            if (summary) *summary = "Socket.IO [Malformed: " + err.what + "]";
            return;
        }
        ctx.tree.add(kFields[hf_packet_type], msg, 0, 1, static_cast<std::uint64_t>(p.type));
        if (sp.attachments_length)
            ctx.tree.add(kFields[hf_attachments], msg, sp.attachments_offset, sp.attachments_length, p.attachments);
        if (sp.nsp_length)
            ctx.tree.add(kFields[hf_nsp], msg, sp.nsp_offset, sp.nsp_length, 0);
        else
            ctx.tree.add_text(kFields[hf_nsp], msg, 0, 0, "/", kGenerated);
        if (p.id) ctx.tree.add(kFields[hf_ack_id], msg, sp.id_offset, sp.id_length, *p.id);
        if (p.id && (p.type == sio::PacketType::event || p.type == sio::PacketType::binary_event)) {
            if (asked_.size() >= kMaxAsked) asked_.clear();  // a peer that never answers
            asked_[ack_key(conversation, p, direction)] = frame_number(ctx);
        } else if (p.id) {
            // An ACK answers the event with its id that went the other way.
            auto it = asked_.find(ack_key(conversation, p, !direction));
            if (it != asked_.end()) {
                ctx.tree.add(kFields[hf_ack_of], msg, 0, 0, it->second, kGenerated);
                asked_.erase(it);
            }
        }
        if (p.data) {
            ctx.tree.add(kFields[hf_data], msg, sp.data_offset, sp.data_length, 0);
            Tvb data = msg.tail(sp.data_offset);
            contents(ctx, data, p, 0);
        }
        std::string text_summary = describe(p);
        if (sio::is_binary(p.type) && p.attachments > 0) {
            Pending& pend = pending(key);
            pend.reassembler.add_text(text);
            pend.frame = frame_number(ctx);
            text_summary += p.attachments == 1 ? " (1 attachment follows)"
                                               : " (" + std::to_string(p.attachments) + " attachments follow)";
        }
        layer.set_summary(std::string_view(text_summary).substr(10));  // without "Socket.IO "
        if (summary) *summary = std::move(text_summary);
    }

    // The fields inside the JSON data: event name, arguments, the CONNECT answer's sid, the
    // CONNECT_ERROR message. `flags` is kGenerated for a packet completed by its attachments.
    static void contents(Ctx& ctx, const Tvb& data, const sio::Packet& p, std::uint8_t flags) {
        const json::Value& d = *p.data;
        auto at = [&](const json::Value& v) { return flags ? std::size_t{0} : v.offset; };
        auto len = [&](const json::Value& v) { return flags ? std::size_t{0} : v.length; };
        switch (p.type) {
            case sio::PacketType::connect:
                if (const json::Value* sid = d.find("sid"); sid && sid->type == json::Type::string)
                    ctx.tree.add_text(kFields[hf_sid], data, at(*sid), len(*sid), sid->text, flags);
                break;
            case sio::PacketType::connect_error: {
                const json::Value* m = d.type == json::Type::string ? &d : d.find("message");
                if (m && m->type == json::Type::string)
                    ctx.tree.add_text(kFields[hf_error], data, at(*m), len(*m), m->text, flags);
                break;
            }
            case sio::PacketType::event:
            case sio::PacketType::binary_event:
                if (!d.items.empty()) {
                    const json::Value& name = d.items[0];
                    ctx.tree.add_text(kFields[hf_event], data, at(name), len(name), *p.event_name(), flags);
                }
                [[fallthrough]];
            case sio::PacketType::ack:
            case sio::PacketType::binary_ack:
                for (const json::Value& a : p.args())
                    ctx.tree.add_text(kFields[hf_args], data, at(a), len(a), json::to_string(a), flags);
                break;
            case sio::PacketType::disconnect: break;
        }
    }

    void attachment(Ctx& ctx, Layer& layer, const Tvb& msg, const std::string& key, std::string* summary) {
        auto found = pending_.find(key);
        if (found == pending_.end() || !found->second.reassembler.waiting()) {
            ctx.tree.add(kFields[hf_attachment], msg, 0, msg.size(), 0);
            ctx.note(msg, 0, msg.size(),
                     "Binary message with no BINARY_EVENT or BINARY_ACK waiting for it (the packet may have been "
                     "sent before the capture started)");
            layer.set_summary("attachment without its packet");
            if (summary) *summary = "Socket.IO attachment without its packet (" + std::to_string(msg.size()) + " bytes)";
            return;
        }
        Pending& pend = found->second;
        pend.used = ++clock_;
        sio::Reassembler& r = pend.reassembler;
        std::size_t num = r.received();
        std::size_t total = r.packet().attachments;
        sio::PacketType type = r.packet().type;
        ctx.tree.add(kFields[hf_attachment_num], msg, 0, 0, num, kGenerated);
        ctx.tree.add(kFields[hf_attachment_of], msg, 0, 0, pend.frame, kGenerated);
        ctx.tree.add(kFields[hf_attachment], msg, 0, msg.size(), 0);
        std::string where = "attachment " + std::to_string(num + 1) + "/" + std::to_string(total) + " of frame " +
                            std::to_string(pend.frame);
        switch (r.add_binary(msg.bytes())) {
            case sio::Reassembler::Status::packet: {
                // The last attachment: show the packet as the receiver gets it, binary in place.
                const sio::Packet& p = r.packet();
                ctx.tree.add(kFields[hf_packet_type], msg, 0, 0, static_cast<std::uint64_t>(p.type), kGenerated);
                ctx.tree.add_text(kFields[hf_nsp], msg, 0, 0, p.nsp, kGenerated);
                if (p.id) ctx.tree.add(kFields[hf_ack_id], msg, 0, 0, *p.id, kGenerated);
                if (p.data) contents(ctx, msg, p, kGenerated);
                std::string text = describe(p) + " (" + where + ")";
                layer.set_summary(std::string_view(text).substr(10));
                if (summary) *summary = std::move(text);
                r.reset();
                return;
            }
            case sio::Reassembler::Status::error: {
                ctx.malformed(msg, 0, msg.size(), r.error().what);
                if (summary) *summary = "Socket.IO [Malformed: " + r.error().what + "]";
                return;
            }
            default: {
                std::string text = "Socket.IO " + where + " (" + std::string(sio::packet_type_name(type)) + ")";
                layer.set_summary(std::string_view(text).substr(10));
                if (summary) *summary = std::move(text);
                return;
            }
        }
    }

    std::unordered_map<std::string, Pending> pending_;
    std::unordered_map<std::string, std::uint32_t> asked_;
    std::uint64_t clock_ = 0;
};

void dissect_socketio_message(Ctx& ctx, const Tvb& msg, bool binary, std::string_view conversation, int direction,
                              std::string* summary) {
    if (auto* d = ctx.registry.find_named("socketio"))
        static_cast<SocketIo*>(d)->message(ctx, msg, binary, conversation, direction, summary);
}

constinit const ProtocolDef kSocketIoProto{"socketio", "Socket.IO", "Socket.IO", OsiLayer::application,
                                           TcpIpLayer::application,
                                           "Socket.IO protocol v5 (https://socket.io/docs/v4/socket-io-protocol/)",
                                           kFields};

void register_socketio(Registry& r) {
    r.add_protocol(kSocketIoProto);
    r.add_named("socketio", r.make<SocketIo>());
}

}  // namespace wirelab::proto
