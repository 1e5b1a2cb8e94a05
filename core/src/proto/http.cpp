// HTTP/1.0 and 1.1 (RFC 9110, RFC 9112): requests and responses on any TCP port, headers,
// Content-Length and chunked bodies, pipelining, and the Upgrade to WebSocket (RFC 6455 s4).
#include <deque>
#include <span>

#include "proto_util.hpp"
#include "wirelab/http.hpp"
#include "wirelab/stream.hpp"

namespace wirelab::proto {

extern const ProtocolDef kHttpProto;

namespace {
enum : std::size_t {
    hf_http, hf_request, hf_response, hf_request_line, hf_response_line, hf_method, hf_uri, hf_uri_path,
    hf_uri_query, hf_req_version, hf_resp_version, hf_code, hf_phrase, hf_host, hf_user_agent, hf_accept,
    hf_content_type, hf_content_length_header, hf_content_length, hf_transfer_encoding, hf_connection, hf_upgrade,
    hf_ws_key, hf_ws_accept, hf_ws_version, hf_ws_extensions, hf_ws_protocol, hf_location, hf_server, hf_date,
    hf_cookie, hf_referer, hf_request_in, hf_response_in, hf_response_for_uri, hf_chunk_size, hf_chunk_data,
    hf_file_data, hf_ws_accept_status, hf_count
};

constexpr ValueName kStatusNames[] = {
    {100, "Continue"}, {101, "Switching Protocols"}, {200, "OK"}, {201, "Created"}, {204, "No Content"},
    {206, "Partial Content"}, {301, "Moved Permanently"}, {302, "Found"}, {304, "Not Modified"},
    {400, "Bad Request"}, {401, "Unauthorized"}, {403, "Forbidden"}, {404, "Not Found"},
    {405, "Method Not Allowed"}, {408, "Request Timeout"}, {413, "Content Too Large"}, {414, "URI Too Long"},
    {426, "Upgrade Required"}, {431, "Request Header Fields Too Large"}, {500, "Internal Server Error"},
    {501, "Not Implemented"}, {502, "Bad Gateway"}, {503, "Service Unavailable"},
};
constexpr ValueName kAcceptStatus[] = {{0, "Bad: does not match the key"}, {1, "Good: matches the key"}};

constinit const FieldDef kFields[] = {
    {"http", "Hypertext Transfer Protocol", FieldType::protocol, Base::none, 0, {},
     "The web's application protocol: a client sends a request (method and URI), the server answers with a "
     "status code, headers and usually a body.", &kHttpProto},
    {"http.request", "Request", FieldType::boolean, Base::none, 0, {}, "This message is a request.", &kHttpProto},
    {"http.response", "Response", FieldType::boolean, Base::none, 0, {}, "This message is a response.",
     &kHttpProto},
    {"http.request.line", "Request line", FieldType::string, Base::none, 0, {},
     "One header line of the request: a name, a colon and a value.", &kHttpProto},
    {"http.response.line", "Response line", FieldType::string, Base::none, 0, {},
     "One header line of the response: a name, a colon and a value.", &kHttpProto},
    {"http.request.method", "Request Method", FieldType::string, Base::none, 0, {},
     "What the client asks the server to do: GET fetches, POST sends data, HEAD asks for headers only.",
     &kHttpProto},
    {"http.request.uri", "Request URI", FieldType::string, Base::none, 0, {},
     "Which resource on the server the request is about: a path and maybe a ?query.", &kHttpProto},
    {"http.request.uri.path", "Request URI Path", FieldType::string, Base::none, 0, {},
     "The path part of the URI.", &kHttpProto},
    {"http.request.uri.query", "Request URI Query", FieldType::string, Base::none, 0, {},
     "The query part of the URI, after the '?'.", &kHttpProto},
    {"http.request.version", "Request Version", FieldType::string, Base::none, 0, {},
     "The HTTP version the client speaks (HTTP/1.1 keeps connections open by default).", &kHttpProto},
    {"http.response.version", "Response Version", FieldType::string, Base::none, 0, {},
     "The HTTP version the server answers with.", &kHttpProto},
    {"http.response.code", "Status Code", FieldType::u16, Base::dec, 0, kStatusNames,
     "How the request went: 2xx success, 3xx look elsewhere, 4xx the client's mistake, 5xx the server's; "
     "101 switches to another protocol.", &kHttpProto},
    {"http.response.phrase", "Response Phrase", FieldType::string, Base::none, 0, {},
     "The status code in words, for people.", &kHttpProto},
    {"http.host", "Host", FieldType::string, Base::none, 0, {},
     "Which site the request is for: one server address can host many sites.", &kHttpProto},
    {"http.user_agent", "User-Agent", FieldType::string, Base::none, 0, {},
     "The client program that sent the request.", &kHttpProto},
    {"http.accept", "Accept", FieldType::string, Base::none, 0, {},
     "Which kinds of content the client can use.", &kHttpProto},
    {"http.content_type", "Content-Type", FieldType::string, Base::none, 0, {},
     "What kind of data the body is (text/html, application/json...).", &kHttpProto},
    {"http.content_length_header", "Content-Length", FieldType::string, Base::none, 0, {},
     "The Content-Length header as written.", &kHttpProto},
    {"http.content_length", "Content length", FieldType::u64, Base::dec, 0, {},
     "How many bytes the body has: this is how the receiver knows where the message ends on the stream.",
     &kHttpProto},
    {"http.transfer_encoding", "Transfer-Encoding", FieldType::string, Base::none, 0, {},
     "'chunked' means the body comes in pieces, each with its size, ended by a zero-size piece: the sender "
     "need not know the length in advance.", &kHttpProto},
    {"http.connection", "Connection", FieldType::string, Base::none, 0, {},
     "What to do with the connection after this message: keep-alive, close, or Upgrade to another protocol.",
     &kHttpProto},
    {"http.upgrade", "Upgrade", FieldType::string, Base::none, 0, {},
     "The protocol the client wants to switch this connection to (websocket).", &kHttpProto},
    {"http.sec_websocket_key", "Sec-WebSocket-Key", FieldType::string, Base::none, 0, {},
     "A random value from the client; the server proves it understood the WebSocket handshake by hashing it.",
     &kHttpProto},
    {"http.sec_websocket_accept", "Sec-WebSocket-Accept", FieldType::string, Base::none, 0, {},
     "base64(SHA-1(key + 258EAFA5-E914-47DA-95CA-C5AB0DC85B11)): the server's proof (RFC 6455 section 4.2.2).",
     &kHttpProto},
    {"http.sec_websocket_version", "Sec-WebSocket-Version", FieldType::string, Base::none, 0, {},
     "The WebSocket protocol version (13).", &kHttpProto},
    {"http.sec_websocket_extensions", "Sec-WebSocket-Extensions", FieldType::string, Base::none, 0, {},
     "WebSocket extensions offered or accepted, such as permessage-deflate compression.", &kHttpProto},
    {"http.sec_websocket_protocol", "Sec-WebSocket-Protocol", FieldType::string, Base::none, 0, {},
     "The application subprotocol spoken over the WebSocket.", &kHttpProto},
    {"http.location", "Location", FieldType::string, Base::none, 0, {}, "Where a redirect points to.",
     &kHttpProto},
    {"http.server", "Server", FieldType::string, Base::none, 0, {}, "The server program that answered.",
     &kHttpProto},
    {"http.date", "Date", FieldType::string, Base::none, 0, {}, "When the message was sent.", &kHttpProto},
    {"http.cookie", "Cookie", FieldType::string, Base::none, 0, {},
     "Values the server asked the client to store and send back: how HTTP, which is stateless, remembers you.",
     &kHttpProto},
    {"http.referer", "Referer", FieldType::string, Base::none, 0, {}, "The page that linked to this request.",
     &kHttpProto},
    {"http.request_in", "Request in frame", FieldType::framenum, Base::none, 0, {},
     "The frame that carried the request this response answers.", &kHttpProto},
    {"http.response_in", "Response in frame", FieldType::framenum, Base::none, 0, {},
     "The frame that carried the answer to this request.", &kHttpProto},
    {"http.response_for.uri", "Request URI", FieldType::string, Base::none, 0, {},
     "The URI of the request this response answers.", &kHttpProto},
    {"http.chunk_size", "Chunk size", FieldType::u32, Base::dec, 0, {}, "Size of one chunk of the body.",
     &kHttpProto},
    {"http.chunk_data", "Chunk data", FieldType::bytes, Base::none, 0, {}, "The bytes of one chunk.", &kHttpProto},
    {"http.file_data", "File Data", FieldType::string, Base::none, 0, {}, "The body of the message.", &kHttpProto},
    {"http.sec_websocket_accept.status", "Sec-WebSocket-Accept check", FieldType::u8, Base::dec, 0, kAcceptStatus,
     "Whether the server's Sec-WebSocket-Accept is the hash of the client's key, as RFC 6455 requires.",
     &kHttpProto},
};
static_assert(std::size(kFields) == hf_count);

// Header names wirelab gives their own field (others show as a request/response line).
struct HeaderField {
    std::string_view name;
    std::size_t field;
};
constexpr HeaderField kHeaderFields[] = {
    {"Host", hf_host}, {"User-Agent", hf_user_agent}, {"Accept", hf_accept}, {"Content-Type", hf_content_type},
    {"Content-Length", hf_content_length_header}, {"Transfer-Encoding", hf_transfer_encoding},
    {"Connection", hf_connection}, {"Upgrade", hf_upgrade}, {"Sec-WebSocket-Key", hf_ws_key},
    {"Sec-WebSocket-Accept", hf_ws_accept}, {"Sec-WebSocket-Version", hf_ws_version},
    {"Sec-WebSocket-Extensions", hf_ws_extensions}, {"Sec-WebSocket-Protocol", hf_ws_protocol},
    {"Location", hf_location}, {"Server", hf_server}, {"Date", hf_date}, {"Cookie", hf_cookie},
    {"Referer", hf_referer},
};
// The headers whose checks can mark a message (malformed, or a note), whether or not any
// field is shown.
constexpr HeaderField kCheckedHeaders[] = {
    {"Content-Length", hf_content_length_header}, {"Sec-WebSocket-Accept", hf_ws_accept}};

struct Pending {
    std::string method;
    std::string uri;
    std::string ws_key;
    std::uint32_t frame = 0;
};

struct HttpState : StreamState {
    std::deque<Pending> requests;  // requests waiting for their responses (pipelining)
};

std::string_view as_text(const Tvb& t) { return {reinterpret_cast<const char*>(t.data()), t.size()}; }

bool is_engineio_uri(std::string_view uri) {
    return uri.substr(0, 11) == "/socket.io/" || uri.substr(0, 11) == "/engine.io/";
}

}  // namespace

std::string websocket_accept_for(std::string_view key);  // websocket.cpp

class Http final : public StreamProtocol {
public:
    const ProtocolDef& protocol() const override { return kHttpProto; }

    bool detect(const Tvb& first, const StreamCtx&) const override { return http::looks_like_http(as_text(first)); }

    std::int64_t message_length(const Tvb& data, StreamCtx& s) override {
        std::string_view text = as_text(data);
        if (!http::looks_like_http(text)) return kNotMine;
        http::Message& m = length_msg_;  // reused: its header vector keeps its memory
        http::Result r = http::parse_head(text, m);
        length_head_.clear();
        if (r.status == http::Status::incomplete) return s.at_close ? static_cast<std::int64_t>(text.size()) : kNeedMore;
        if (r.status == http::Status::error) return static_cast<std::int64_t>(text.size());  // shown malformed
        // The message is usually decoded next from these very bytes (dissect_message).
        length_at_ = text.data();
        length_head_.assign(text.substr(0, m.head_length));
        std::uint64_t length = 0;
        std::string err;
        http::BodyKind kind = http::body_kind(m, request_method(s), length, err);
        switch (kind) {
            case http::BodyKind::none: return static_cast<std::int64_t>(m.head_length);
            case http::BodyKind::length:
                s.length_settled = true;  // the head is complete; the request it answers cannot change meanwhile
                if (length > 0 && body_unread(m, s)) s.unread_from = m.head_length;
                return static_cast<std::int64_t>(m.head_length + length);
            case http::BodyKind::chunked: {
                std::size_t encoded = 0;
                http::Result c = http::scan_chunked(text.substr(m.head_length), encoded);
                if (c.status == http::Status::complete) return static_cast<std::int64_t>(m.head_length + encoded);
                if (c.status == http::Status::error || s.at_close) return static_cast<std::int64_t>(text.size());
                return kNeedMore;
            }
            case http::BodyKind::until_close:
                if (m.status == 101) return static_cast<std::int64_t>(m.head_length);
                return s.at_close ? static_cast<std::int64_t>(text.size()) : kNeedMore;
        }
        return kNeedMore;
    }

    void dissect_message(const Tvb& msg, Ctx& ctx, StreamCtx& s) override {
        Layer layer(ctx, kHttpProto, msg, msg.size());
        HttpState& st = s.get<HttpState>();
        std::string_view text = as_text(msg);
        http::Message& m = msg_;
        http::Result r;
        if (parsed_already(text)) {
            // message_length parsed this head where it lies now: its views point into `text`.
            std::swap(msg_, length_msg_);
            length_head_.clear();
            r.status = http::Status::complete;
        } else {
            r = http::parse_head(text, m);
        }
        if (r.status != http::Status::complete) {
            ctx.malformed(msg, 0, msg.size(),
                          r.status == http::Status::error ? r.error : "message ends before its header section does");
            return;
        }
        Tvb head = msg.sub(0, m.head_length);
        auto at = [&](std::string_view part) { return static_cast<std::size_t>(part.data() - text.data()); };
        Pending answered;
        // A tree that keeps no field (Tree::keeps_fields) skips what is only shown.
        const bool show = ctx.tree.keeps_fields();
        if (m.is_request) {
            if (show) {
                ctx.tree.add(kFields[hf_request], head, 0, 0, 1, kGenerated | kHidden);
                ctx.tree.add(kFields[hf_method], head, at(m.method), m.method.size(), 0);
                ctx.tree.add(kFields[hf_uri], head, at(m.uri), m.uri.size(), 0);
                std::size_t q = m.uri.find('?');
                ctx.tree.add(kFields[hf_uri_path], head, at(m.uri), q == std::string_view::npos ? m.uri.size() : q,
                             0, kHidden);
                if (q != std::string_view::npos)
                    ctx.tree.add(kFields[hf_uri_query], head, at(m.uri) + q + 1, m.uri.size() - q - 1, 0, kHidden);
                ctx.tree.add(kFields[hf_req_version], head, at(m.version), m.version.size(), 0);
            }
            Pending p{std::string(m.method), std::string(m.uri), std::string(m.header("Sec-WebSocket-Key").value_or("")),
                      s.frame};
            st.requests.push_back(std::move(p));
            if (st.requests.size() > 1000) st.requests.pop_front();  // a client that never gets answers
            if (ctx.want_info) {
                ctx.pinfo.info += m.start_line;
                ctx.pinfo.info += ' ';
            }
        } else {
            ctx.tree.add(kFields[hf_response], head, 0, 0, 1, kGenerated | kHidden);
            ctx.tree.add(kFields[hf_resp_version], head, at(m.version), m.version.size(), 0);
            ctx.tree.add(kFields[hf_code], head, at(m.version) + m.version.size() + 1, 3, static_cast<std::uint64_t>(m.status));
            if (!m.reason.empty()) ctx.tree.add(kFields[hf_phrase], head, at(m.reason), m.reason.size(), 0);
            // 1xx responses other than 101 are interim: the final response follows.
            if (!st.requests.empty() && (m.status >= 200 || m.status == 101)) {
                answered = std::move(st.requests.front());
                st.requests.pop_front();
            }
            if (ctx.want_info) {
                ctx.pinfo.info += m.start_line;
                ctx.pinfo.info += ' ';
            }
        }
        for (const http::Header& h : m.headers) {
            std::size_t field = m.is_request ? hf_request_line : hf_response_line;
            using Headers = std::span<const HeaderField>;
            for (const HeaderField& hf : show ? Headers(kHeaderFields) : Headers(kCheckedHeaders))
                if (http::iequals(hf.name, h.name)) {
                    field = hf.field;
                    break;
                }
            // A header line's field covers its line end too, as Wireshark's does.
            std::size_t line_len = h.length;
            if (h.offset + line_len < text.size() && text[h.offset + line_len] == '\r') ++line_len;
            if (h.offset + line_len < text.size() && text[h.offset + line_len] == '\n') ++line_len;
            if (field == hf_request_line || field == hf_response_line) {
                ctx.tree.add(kFields[field], head, h.offset, line_len, 0);
                continue;
            }
            ctx.tree.add(kFields[m.is_request ? hf_request_line : hf_response_line], head, h.offset, line_len, 0,
                         kHidden);
            ctx.tree.add(kFields[field], head, at(h.value), h.value.size(), 0);
            if (field == hf_content_length_header) {
                std::uint64_t v = 0;
                std::string err;
                http::Message only;
                only.headers.push_back(h);
                only.is_request = true;
                if (http::body_kind(only, "", v, err) == http::BodyKind::length)
                    ctx.tree.add(kFields[hf_content_length], head, at(h.value), h.value.size(), v);
                else
                    ctx.malformed(head, at(h.value), h.value.size(), err);
            }
            if (field == hf_ws_accept && !answered.ws_key.empty()) {
                bool good = websocket_accept_for(answered.ws_key) == h.value;
                ctx.tree.add(kFields[hf_ws_accept_status], head, at(h.value), h.value.size(), good ? 1 : 0,
                             kGenerated);
                if (!good)
                    ctx.note(head, at(h.value), h.value.size(),
                             "Sec-WebSocket-Accept does not match the client's key: a client must fail this connection");
            }
        }
        if (!m.is_request && answered.frame) {
            ctx.tree.add(kFields[hf_request_in], head, 0, 0, answered.frame, kGenerated);
            ctx.tree.add_text(kFields[hf_response_for_uri], head, 0, 0, answered.uri, kGenerated);
        }

        // The body.
        std::uint64_t length = 0;
        std::string err;
        http::BodyKind kind = http::body_kind(m, answered.method, length, err);
        Tvb body = msg.tail(m.head_length);
        std::string decoded;
        if (kind == http::BodyKind::chunked) {
            std::vector<http::Chunk> chunks;
            std::size_t encoded = 0;
            http::Result c = http::scan_chunked(as_text(body), encoded, &chunks);
            for (const http::Chunk& ch : chunks)
                ctx.tree.add(kFields[hf_chunk_size], body, ch.size_offset, ch.size_line, ch.size);
            if (c.status == http::Status::error) ctx.malformed(body, 0, body.size(), c.error);
            http::dechunk(as_text(body), chunks, decoded);
        }
        // The content type goes into the Info column before the body is handed on, so that a
        // protocol inside the body (Engine.IO) writes its summary after it.
        if (ctx.want_info && !m.is_request) {
            if (auto ct = m.header("Content-Type")) {
                ctx.pinfo.info += " (";
                ctx.pinfo.info += *ct;
                ctx.pinfo.info += ')';
            }
        }
        if (!body.empty()) {
            if (kind == http::BodyKind::chunked) {
                DataSource& src = ctx.tree.new_source();
                src.name = "De-chunked entity body";
                src.bytes.assign(decoded.begin(), decoded.end());
                src.frames.push_back(s.frame);
                Tvb plain(src.bytes, 0, static_cast<std::uint8_t>(ctx.tree.source_count()));
                body_data(ctx, plain, m, answered);
            } else {
                body_data(ctx, body, m, answered);
            }
        }

        // 101 Switching Protocols to websocket: the rest of the connection is WebSocket frames.
        if (!m.is_request && m.status == 101 && m.header_has_token("Upgrade", "websocket")) {
            if (StreamProtocol* ws = ctx.registry.stream_by_name("websocket")) {
                s.next = ws;
                s.upgrade_uri = answered.uri;
                s.upgrade_extensions = std::string(m.header("Sec-WebSocket-Extensions").value_or(""));
            }
        }
    }

private:
    // Whether length_msg_ is the parsed head of `text`: the same bytes at the same address
    // (a buffer freed and reused at that address holds other bytes; the copy tells them apart).
    bool parsed_already(std::string_view text) const {
        return !length_head_.empty() && text.data() == length_at_ && text.size() >= length_head_.size() &&
               std::memcmp(text.data(), length_head_.data(), length_head_.size()) == 0;
    }

    http::Message length_msg_, msg_;
    const char* length_at_ = nullptr;  // where the head message_length parsed lies
    std::string length_head_;          // a copy of it; empty when it did not parse whole

    // Whether a tree that keeps no field reads nothing of this body (body_data: only a body
    // that carries Engine.IO is decoded). A response's is known only while a request waits
    // for it: that request stays first until this response is decoded, so neither the length
    // (a HEAD request's response has no body) nor the URI can change. With none waiting, one
    // seen before the response is decoded would be the one it answers. (In a connection
    // whose first captured bytes came from the server, responses go in direction 0.)
    static bool body_unread(const http::Message& m, StreamCtx& s) {
        if (m.is_request) return !is_engineio_uri(m.uri);
        if (!*s.state) return false;
        auto& st = static_cast<HttpState&>(**s.state);
        return !st.requests.empty() && !is_engineio_uri(st.requests.front().uri);
    }

    static std::string_view request_method(StreamCtx& s) {
        if (s.direction == 0 || !*s.state) return {};
        auto& st = static_cast<HttpState&>(**s.state);
        return st.requests.empty() ? std::string_view{} : std::string_view(st.requests.front().method);
    }

    static void body_data(Ctx& ctx, const Tvb& body, const http::Message& m, const Pending& answered) {
        ctx.tree.add(kFields[hf_file_data], body, 0, body.size(), 0);
        std::string_view uri = m.is_request ? m.uri : std::string_view(answered.uri);
        if (is_engineio_uri(uri)) {
            if (Dissector* eio = ctx.registry.find_named("engineio")) {
                ctx.pinfo.carrier = m.is_request ? PacketInfo::Carrier::http_request : PacketInfo::Carrier::http_response;
                ctx.pinfo.carrier_uri = uri;
                eio->dissect(body, ctx);
                ctx.pinfo.carrier = PacketInfo::Carrier::none;
                ctx.pinfo.carrier_uri = {};
            }
        }
    }
};

constinit const ProtocolDef kHttpProto{"http", "HTTP", "Hypertext Transfer Protocol", OsiLayer::application,
                                       TcpIpLayer::application, "RFC 9110, RFC 9112", kFields};

void register_http(Registry& r) {
    r.add_protocol(kHttpProto);
    auto& h = r.make_stream<Http>();
    r.add_stream_heuristic(h);
    for (std::uint32_t port : {80u, 8080u, 3128u, 8000u, 8008u, 8888u}) r.add_stream_port(port, h);
}

}  // namespace wirelab::proto
