// Engine.IO v4 (https://socket.io/docs/v4/engine-io-protocol/): the packets Socket.IO travels
// in, carried by HTTP long-polling bodies (several packets split at 0x1e) or WebSocket messages.
// HTTP and WebSocket hand their payloads here by name ("engineio"), with pinfo.carrier telling
// how they travelled; each Engine.IO MESSAGE goes on to Socket.IO.
#include <algorithm>

#include "proto_util.hpp"
#include "wirelab/socketio.hpp"

namespace wirelab::proto {

extern const ProtocolDef kEngineIoProto;

// socketio.cpp: decodes one Engine.IO MESSAGE as Socket.IO. `conversation` names the
// Engine.IO session and `direction` the way the message went (0: client to server), so that
// binary attachments find the packet they belong to. Appends the Info text to `summary`.
void dissect_socketio_message(Ctx& ctx, const Tvb& msg, bool binary, std::string_view conversation, int direction,
                              std::string* summary);

namespace {
enum : std::size_t {
    hf_eio, hf_transport, hf_sid, hf_packet_type, hf_payload_packets, hf_data, hf_base64, hf_binary, hf_upgrades,
    hf_ping_interval, hf_ping_timeout, hf_max_payload, hf_ok, hf_error_code, hf_error_message, hf_count
};

enum Transport : std::uint8_t { kPollingRequest = 1, kPollingResponse = 2, kWebSocketText = 3, kWebSocketBinary = 4 };

constexpr ValueName kTransports[] = {
    {kPollingRequest, "polling: HTTP request body"},
    {kPollingResponse, "polling: HTTP response body"},
    {kWebSocketText, "websocket: text message"},
    {kWebSocketBinary, "websocket: binary message"},
};
constexpr ValueName kPacketTypes[] = {{0, "OPEN"}, {1, "CLOSE"}, {2, "PING"}, {3, "PONG"},
                                      {4, "MESSAGE"}, {5, "UPGRADE"}, {6, "NOOP"}};
constexpr ValueName kErrorCodes[] = {{0, "Transport unknown"}, {1, "Session ID unknown"},
                                     {2, "Bad handshake method"}, {3, "Bad request"},
                                     {4, "Forbidden"}, {5, "Unsupported protocol version"}};

constinit const FieldDef kFields[] = {
    {"engineio", "Engine.IO", FieldType::protocol, Base::none, 0, {},
     "The transport layer under Socket.IO: it opens a session, keeps it alive with pings, and moves small "
     "packets over HTTP long-polling or a WebSocket, switching to the WebSocket when it can.", &kEngineIoProto},
    {"engineio.transport", "Transport", FieldType::u8, Base::dec, 0, kTransports,
     "How this packet travelled: in the body of an HTTP request or response (long-polling), or as a WebSocket "
     "message.", &kEngineIoProto},
    {"engineio.sid", "Session ID", FieldType::string, Base::none, 0, {},
     "The session id the server gave in its OPEN packet; every later polling request names it in its URL "
     "(?sid=...), which is how the server ties separate HTTP requests to one session.", &kEngineIoProto},
    {"engineio.packet_type", "Packet type", FieldType::u8, Base::dec, 0, kPacketTypes,
     "The first character of the packet: 0 open, 1 close, 2 ping, 3 pong, 4 message (data for the "
     "application), 5 upgrade (switch to WebSocket), 6 noop.", &kEngineIoProto},
    {"engineio.payload_packets", "Packets in this payload", FieldType::u32, Base::dec, 0, {},
     "A long-polling body may hold several packets, separated by the byte 0x1e (record separator).",
     &kEngineIoProto},
    {"engineio.data", "Data", FieldType::string, Base::none, 0, {},
     "What follows the packet type: for a message the application's data, for a ping or pong during the "
     "upgrade the word \"probe\".", &kEngineIoProto},
    {"engineio.base64", "Base64 data", FieldType::string, Base::none, 0, {},
     "Binary data in a long-polling body: a 'b' and the bytes in base64, because the body is text.",
     &kEngineIoProto},
    {"engineio.binary", "Binary data", FieldType::bytes, Base::none, 0, {},
     "The bytes of a binary message (a WebSocket binary message, or base64 decoded).", &kEngineIoProto},
    {"engineio.upgrades", "Upgrade", FieldType::string, Base::none, 0, {},
     "A better transport the client may switch to after the handshake (websocket).", &kEngineIoProto},
    {"engineio.ping_interval", "Ping interval (ms)", FieldType::u32, Base::dec, 0, {},
     "How often the server sends a PING; the client answers PONG, so both sides know the other is alive.",
     &kEngineIoProto},
    {"engineio.ping_timeout", "Ping timeout (ms)", FieldType::u32, Base::dec, 0, {},
     "How long to wait for the next ping or pong before deciding the connection is dead.", &kEngineIoProto},
    {"engineio.max_payload", "Max payload (bytes)", FieldType::u64, Base::dec, 0, {},
     "The largest long-polling body the server accepts.", &kEngineIoProto},
    {"engineio.ok", "POST accepted", FieldType::string, Base::none, 0, {},
     "The server's whole answer to a long-polling POST: \"ok\" says it took the packets; its own packets "
     "come in the answers to GET requests.", &kEngineIoProto},
    {"engineio.error_code", "Error code", FieldType::u8, Base::dec, 0, kErrorCodes,
     "Why the server refused an HTTP request of the session (1: it does not know the session id).",
     &kEngineIoProto},
    {"engineio.error_message", "Error message", FieldType::string, Base::none, 0, {},
     "The refusal in words.", &kEngineIoProto},
};
static_assert(std::size(kFields) == hf_count);

std::string_view as_text(const Tvb& t) { return {reinterpret_cast<const char*>(t.data()), t.size()}; }

std::string_view query_param(std::string_view uri, std::string_view name) {
    std::size_t q = uri.find('?');
    if (q == std::string_view::npos) return {};
    std::string_view rest = uri.substr(q + 1);
    while (!rest.empty()) {
        std::size_t amp = rest.find('&');
        std::string_view kv = rest.substr(0, amp);
        if (kv.size() > name.size() && kv.substr(0, name.size()) == name && kv[name.size()] == '=')
            return kv.substr(name.size() + 1);
        if (amp == std::string_view::npos) break;
        rest = rest.substr(amp + 1);
    }
    return {};
}

// Info text for one argument list: JSON, shortened so that the Info column stays one line.
void append_short(std::string& out, std::string_view text, std::size_t max = 120) {
    if (text.size() <= max) {
        out += text;
        return;
    }
    // Cut on a UTF-8 character boundary.
    std::size_t cut = max;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80) --cut;
    out += text.substr(0, cut);
    out += "...";
}

}  // namespace

class EngineIo final : public Dissector {
public:
    void dissect(const Tvb& tvb, Ctx& ctx) override {
        using Carrier = PacketInfo::Carrier;
        Carrier carrier = ctx.pinfo.carrier;
        bool http = carrier == Carrier::http_request || carrier == Carrier::http_response || carrier == Carrier::none;
        // The URI of the HTTP message whose body this is: the request's own, or for a response
        // the request it answers.
        std::string uri = http ? std::string(ctx.pinfo.carrier_uri) : std::string();
        if (http && !uri.empty()) {
            // /socket.io/socket.io.js (the client library the server also serves) is not Engine.IO.
            std::string_view path = std::string_view(uri).substr(0, uri.find('?'));
            if (path != "/socket.io/" && path != "/engine.io/") return;
        }
        std::string_view sid = query_param(uri, "sid");

        // The layers of this message are siblings of the carrier's layer, not inside it.
        std::uint16_t saved_depth = ctx.tree.depth();
        ctx.tree.set_depth(saved_depth > 0 ? static_cast<std::uint16_t>(saved_depth - 1) : 0);

        Message m(ctx, tvb);
        m.transport = carrier == Carrier::http_response    ? kPollingResponse
                      : carrier == Carrier::websocket_text   ? kWebSocketText
                      : carrier == Carrier::websocket_binary ? kWebSocketBinary
                                                             : kPollingRequest;
        m.sid = sid;
        conversation(ctx, m, sid);

        std::string_view eio_version = query_param(uri, "EIO");
        if (!eio_version.empty() && eio_version != "4") {
            Layer layer(ctx, kEngineIoProto, tvb, tvb.size());
            ctx.tree.add(kFields[hf_transport], tvb, 0, 0, m.transport, kGenerated);
            ctx.note(tvb, 0, tvb.size(),
                     "Engine.IO protocol version " + std::string(eio_version) + " (EIO=" + std::string(eio_version) +
                         " in the URL): wirelab decodes version 4 only");
            m.summaries.push_back("Engine.IO v" + std::string(eio_version) + " (not decoded)");
        } else if (m.transport == kWebSocketBinary) {
            packet(m, tvb, true, 1);
        } else if (m.transport == kWebSocketText) {
            packet(m, tvb, false, 1);
        } else if (m.transport == kPollingResponse && as_text(tvb) == "ok") {
            Layer layer(ctx, kEngineIoProto, tvb, tvb.size());
            ctx.tree.add(kFields[hf_transport], tvb, 0, 0, m.transport, kGenerated);
            if (!sid.empty()) ctx.tree.add_text(kFields[hf_sid], tvb, 0, 0, sid, kGenerated);
            ctx.tree.add(kFields[hf_ok], tvb, 0, 2, 0);
            layer.set_summary("POST accepted (ok)");
            m.summaries.emplace_back("Engine.IO POST accepted (ok)");
        } else if (m.transport == kPollingResponse && !tvb.empty() && tvb.data()[0] == '{') {
            error_response(m, tvb);
        } else {
            // A long-polling body: packets separated by 0x1e.
            std::vector<eio::Record> records = eio::split_payload(as_text(tvb));
            for (const eio::Record& r : records) {
                packet(m, tvb.sub(r.offset, r.length), false, records.size());
                if (m.stop) break;
            }
        }

        ctx.tree.set_depth(saved_depth);
        if (m.socketio) ctx.pinfo.protocol = "Socket.IO";
        if (ctx.want_info) {
            // The carrier's own Info text for this message ("WebSocket Text [FIN]", the request
            // line) gives way to what the message says; TCP separates messages of one segment
            // with " , ", and those before this one stay.
            std::string& info = ctx.pinfo.info;
            std::size_t sep = info.rfind(" , ");
            info.resize(sep == std::string::npos ? 0 : sep + 3);
            for (std::size_t i = 0; i < m.summaries.size(); ++i) {
                if (i) info += ", ";
                info += m.summaries[i];
            }
        }
    }

private:
    // One HTTP body or WebSocket message, and what its packets said.
    struct Message {
        Message(Ctx& c, const Tvb& b) : ctx(c), body(b) {}
        Ctx& ctx;
        Tvb body;
        std::uint8_t transport = kPollingRequest;
        std::string_view sid;
        std::string conversation;
        int direction = 0;
        std::vector<std::string> summaries;
        bool socketio = false;
        bool stop = false;
    };

    // Names the session for Socket.IO's attachment state. Long-polling uses a new TCP
    // connection for many requests, so the session id in the URL names it; a WebSocket is one
    // TCP connection.
    static void conversation(const Ctx& ctx, Message& m, std::string_view sid) {
        const PacketInfo& p = ctx.pinfo;
        bool polling = m.transport == kPollingRequest || m.transport == kPollingResponse;
        if (polling) m.direction = m.transport == kPollingRequest ? 0 : 1;
        if (polling && !sid.empty()) {
            m.conversation = "eio ";
            m.conversation += sid;
            return;
        }
        std::string a = p.net_src.str() + ":" + std::to_string(p.src_port);
        std::string b = p.net_dst.str() + ":" + std::to_string(p.dst_port);
        if (polling) {
            // No session id yet (the handshake): the client's port changes with each request.
            std::string client = m.direction == 0 ? p.net_src.str() : p.net_dst.str();
            std::string server = m.direction == 0 ? b : a;
            m.conversation = "http " + client + " " + server;
            return;
        }
        // Over a WebSocket the direction only needs to be told apart, not named.
        bool forward = a < b;
        m.direction = forward ? 0 : 1;
        m.conversation = "ws " + (forward ? a + " " + b : b + " " + a);
    }

    // One Engine.IO packet: `rec` is its bytes (a WebSocket message or one polling record).
    void packet(Message& m, const Tvb& rec, bool binary, std::size_t count) {
        Ctx& ctx = m.ctx;
        Layer layer(ctx, kEngineIoProto, rec, rec.size());
        ctx.tree.add(kFields[hf_transport], rec, 0, 0, m.transport, kGenerated);
        if (!m.sid.empty()) ctx.tree.add_text(kFields[hf_sid], rec, 0, 0, m.sid, kGenerated);
        if (count > 1) ctx.tree.add(kFields[hf_payload_packets], rec, 0, 0, count, kGenerated);

        if (binary) {
            // A WebSocket binary message is a binary MESSAGE: no type character.
            ctx.tree.add(kFields[hf_packet_type], rec, 0, 0, 4, kGenerated);
            ctx.tree.add(kFields[hf_binary], rec, 0, rec.size(), 0);
            layer.set_summary("MESSAGE (binary, " + std::to_string(rec.size()) + " bytes)");
            layer.close();
            message(m, rec, true, "binary, " + std::to_string(rec.size()) + " bytes");
            return;
        }
        std::string_view text = as_text(rec);
        if (text.empty()) {
            ctx.malformed(rec, 0, 0, "empty Engine.IO packet (no type)");
            m.summaries.emplace_back("Engine.IO [Malformed: empty packet]");
            return;
        }
        if (text[0] == 'b') {
            // Binary over long-polling: 'b' + base64 (the body is text).
            ctx.tree.add(kFields[hf_packet_type], rec, 0, 1, 4);
            Tvb b64 = rec.tail(1);
            ctx.tree.add(kFields[hf_base64], b64, 0, b64.size(), 0);
            CodecError err;
            std::vector<std::uint8_t> bytes;
            if (!base64_decode(as_text(b64), bytes, &err)) {
                ctx.malformed(b64, err.offset, b64.size() - std::min(err.offset, b64.size()), err.what);
                m.summaries.push_back("Engine.IO MESSAGE [Malformed: " + err.what + "]");
                return;
            }
            DataSource& src = ctx.tree.new_source();
            src.name = "Base64-decoded Engine.IO binary";
            src.bytes = std::move(bytes);
            if (ctx.pinfo.frame) src.frames.push_back(static_cast<std::uint32_t>(ctx.pinfo.frame->number));
            Tvb plain(src.bytes, 0, static_cast<std::uint8_t>(ctx.tree.source_count()));
            ctx.tree.add(kFields[hf_binary], plain, 0, plain.size(), 0);
            layer.set_summary("MESSAGE (binary, base64, " + std::to_string(plain.size()) + " bytes)");
            layer.close();
            message(m, plain, true, "binary, " + std::to_string(plain.size()) + " bytes");
            return;
        }
        CodecError err;
        eio::Packet p;
        if (!eio::decode_packet(text, p, &err)) {
            ctx.malformed(rec, 0, rec.size(), err.what);
            m.summaries.push_back("Engine.IO [Malformed: " + err.what + "]");
            m.stop = true;  // engine.io-parser drops the rest of a payload after a bad packet
            return;
        }
        ctx.tree.add(kFields[hf_packet_type], rec, 0, 1, static_cast<std::uint64_t>(p.type));
        Tvb data = rec.tail(1);
        std::string name(eio::packet_type_name(p.type));
        switch (p.type) {
            case eio::PacketType::open: {
                std::string summary = open(m, data);
                layer.set_summary(name + summary);
                m.summaries.push_back("Engine.IO " + name + summary);
                return;
            }
            case eio::PacketType::message: {
                if (!data.empty()) ctx.tree.add(kFields[hf_data], data, 0, data.size(), 0);
                layer.set_summary(name);
                layer.close();
                message(m, data, false, {});
                return;
            }
            default: {
                // PING/PONG carry "probe" while the client tests a WebSocket before upgrading.
                std::string summary = name;
                if (!data.empty()) {
                    ctx.tree.add(kFields[hf_data], data, 0, data.size(), 0);
                    summary += ' ';
                    append_short(summary, as_text(data));
                }
                layer.set_summary(summary);
                m.summaries.push_back("Engine.IO " + summary);
                return;
            }
        }
    }

    // The OPEN packet's JSON: the handshake. Returns the Info text after "OPEN".
    static std::string open(Message& m, const Tvb& data) {
        Ctx& ctx = m.ctx;
        std::string_view text = as_text(data);
        CodecError err;
        eio::Handshake h;
        if (!eio::parse_handshake(text, h, &err)) {
            ctx.malformed(data, std::min(err.offset, data.size()), 0, "handshake: " + err.what);
            return " [Malformed: " + err.what + "]";
        }
        // Parsed again for the byte ranges of the fields; parse_handshake accepted it.
        std::optional<json::Value> v = json::parse(text);
        auto range = [&](const char* key) -> const json::Value* { return v ? v->find(key) : nullptr; };
        if (const json::Value* s = range("sid")) ctx.tree.add_text(kFields[hf_sid], data, s->offset, s->length, h.sid);
        if (const json::Value* u = range("upgrades"))
            for (const json::Value& item : u->items)
                ctx.tree.add_text(kFields[hf_upgrades], data, item.offset, item.length, item.text);
        if (const json::Value* n = range("pingInterval"))
            ctx.tree.add(kFields[hf_ping_interval], data, n->offset, n->length, h.ping_interval);
        if (const json::Value* n = range("pingTimeout"))
            ctx.tree.add(kFields[hf_ping_timeout], data, n->offset, n->length, h.ping_timeout);
        if (const json::Value* n = range("maxPayload"))
            ctx.tree.add(kFields[hf_max_payload], data, n->offset, n->length, *h.max_payload);
        std::string s = " sid=" + h.sid + " upgrades=[";
        for (std::size_t i = 0; i < h.upgrades.size(); ++i) s += (i ? "," : "") + h.upgrades[i];
        s += "] pingInterval=" + std::to_string(h.ping_interval) + " pingTimeout=" + std::to_string(h.ping_timeout);
        return s;
    }

    // The JSON an Engine.IO server answers a refused request with.
    static void error_response(Message& m, const Tvb& body) {
        Ctx& ctx = m.ctx;
        Layer layer(ctx, kEngineIoProto, body, body.size());
        ctx.tree.add(kFields[hf_transport], body, 0, 0, m.transport, kGenerated);
        std::optional<json::Value> v = json::parse(as_text(body));
        const json::Value* code = v ? v->find("code") : nullptr;
        const json::Value* msg = v ? v->find("message") : nullptr;
        if (!code || code->type != json::Type::number) {
            ctx.malformed(body, 0, body.size(), "a JSON body that is not an Engine.IO error ({\"code\":...,\"message\":...})");
            m.summaries.emplace_back("Engine.IO [Malformed: unexpected JSON body]");
            return;
        }
        auto n = static_cast<std::uint64_t>(code->number < 0 ? 0 : code->number);
        ctx.tree.add(kFields[hf_error_code], body, code->offset, code->length, n);
        std::string text = "error " + std::to_string(n);
        if (msg && msg->type == json::Type::string) {
            ctx.tree.add_text(kFields[hf_error_message], body, msg->offset, msg->length, msg->text);
            text += ": " + msg->text;
        }
        layer.set_summary(text);
        m.summaries.push_back("Engine.IO " + text);
    }

    // A MESSAGE packet's data goes to Socket.IO when it looks like a Socket.IO packet (a type
    // digit, or binary data that may be an attachment); plain Engine.IO applications send
    // anything.
    static void message(Message& m, const Tvb& data, bool binary, const std::string& what) {
        std::string_view text = as_text(data);
        if (binary || (!text.empty() && text[0] >= '0' && text[0] <= '6')) {
            std::string summary;
            dissect_socketio_message(m.ctx, data, binary, m.conversation, m.direction,
                                     m.ctx.want_info ? &summary : nullptr);
            m.summaries.push_back(std::move(summary));
            m.socketio = true;
            return;
        }
        std::string s = "Engine.IO MESSAGE";
        if (!what.empty()) {
            s += " (" + what + ")";
        } else if (!text.empty()) {
            s += ' ';
            append_short(s, text);
        }
        m.summaries.push_back(std::move(s));
    }
};

constinit const ProtocolDef kEngineIoProto{"engineio", "Engine.IO", "Engine.IO", OsiLayer::session,
                                           TcpIpLayer::application,
                                           "Engine.IO protocol v4 (https://socket.io/docs/v4/engine-io-protocol/)",
                                           kFields};

void register_engineio(Registry& r) {
    r.add_protocol(kEngineIoProto);
    r.add_named("engineio", r.make<EngineIo>());
}

}  // namespace wirelab::proto
