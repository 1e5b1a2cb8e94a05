// The Engine.IO v4 server (see engineio.hpp).
#include "engineio.hpp"

#include <openssl/rand.h>
#include <stdexcept>

namespace sioserver {

namespace {

// The session a connection belongs to (a WebSocket, or a GET waiting for packets).
std::shared_ptr<Session> session_of(const std::shared_ptr<Connection>& conn) {
    if (!conn->user) return nullptr;
    return std::static_pointer_cast<std::weak_ptr<Session>>(conn->user)->lock();
}

void attach(const std::shared_ptr<Connection>& conn, const std::shared_ptr<Session>& s) {
    conn->user = std::make_shared<std::weak_ptr<Session>>(s);
}

}  // namespace

std::string random_id(std::mt19937_64&) {
    // Session ids and recovery pids are credentials (a pid takes a session back): they come
    // from the operating system's cryptographic generator, not from a predictable one.
    static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char bytes[20];
    if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("no randomness from the system");
    std::string id;
    for (unsigned char b : bytes) id.push_back(kAlphabet[b & 63]);
    return id;
}

Session::Session(Engine& engine, std::string sid)
    : engine_(engine), sid_(std::move(sid)), ping_timer_(engine.io()), pong_timer_(engine.io()) {}

void Session::send(const eio::Packet& p) {
    if (!open_) return;
    if (ws_ && upgraded_) {
        ws_->send_ws(p.binary, eio::encode_websocket(p));
        return;
    }
    queue_.push_back(eio::encode_polling_packet(p));
    flush_poll();
}

void Session::send_text(const std::string& text, const Frame& frame) {
    if (!open_) return;
    if (ws_ && upgraded_) {
        ws_->send_frame(frame);
        return;
    }
    queue_.push_back(text);
    flush_poll();
}

// Answers the waiting GET with everything queued: one body, records joined by 0x1e.
void Session::flush_poll() {
    if (!poll_ || !poll_->awaiting_response()) return;
    if (queue_.empty() && !noop_for_poll_) return;
    Response r;
    if (queue_.empty()) {
        r.body = "6";  // noop: lets the client's poll return so it can switch to WebSocket
    } else {
        for (std::size_t i = 0; i < queue_.size(); ++i) {
            if (i) r.body.push_back(eio::kRecordSeparator);
            r.body += queue_[i];
        }
        queue_.clear();
    }
    noop_for_poll_ = false;
    auto conn = std::move(poll_);
    poll_.reset();
    conn->user.reset();
    conn->respond(r);
}

void Session::schedule_ping() {
    // The server starts the heartbeat (protocol v4): a ping every pingInterval; no pong within
    // pingTimeout means the client is gone.
    ping_timer_.expires_after(std::chrono::milliseconds(engine_.options().ping_interval_ms));
    ping_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
        if (ec || !self->open_) return;
        self->send({eio::PacketType::ping, false, ""});
        self->pong_timer_.expires_after(std::chrono::milliseconds(self->engine_.options().ping_timeout_ms));
        self->pong_timer_.async_wait([self](boost::system::error_code ec2) {
            if (!ec2 && self->open_) self->close("ping timeout");
        });
    });
}

void Session::on_pong() {
    pong_timer_.cancel();
    schedule_ping();
}

void Session::close(const std::string& reason) {
    if (!open_) return;
    open_ = false;
    ping_timer_.cancel();
    pong_timer_.cancel();
    if (poll_ && poll_->awaiting_response()) {
        Response r;
        r.body = "1";  // close
        poll_->user.reset();
        poll_->respond(r);
    }
    poll_.reset();
    if (ws_) {
        ws_->user.reset();
        ws_->close();
        ws_.reset();
    }
    engine_.closed(*this, reason);
}

void Session::cut() {
    if (!open_) return;
    auto self = shared_from_this();
    if (ws_) ws_->abort();                      // Engine::on_close closes the session
    if (poll_ && open_) poll_->abort();
    if (open_) close("transport close");        // between two polls: nothing to drop
}

Engine::Engine(asio::io_context& io, EngineOptions opts, EngineHandler& handler, OtherRequests other)
    : io_(io), opts_(std::move(opts)), handler_(handler), other_(std::move(other)), rng_(std::random_device{}()) {}

std::string Engine::new_sid() {
    std::string sid;
    do sid = random_id(rng_);
    while (sessions_.count(sid));
    return sid;
}

void Engine::add_cors(const Request& req, Response& r) const {
    std::string origin = req.header("origin");
    if (opts_.cors_origin.empty() || origin.empty()) return;
    if (opts_.cors_origin != "*" && origin != opts_.cors_origin) return;
    r.headers.emplace_back("Access-Control-Allow-Origin", origin);
    r.headers.emplace_back("Access-Control-Allow-Credentials", "true");
}

void Engine::error(const std::shared_ptr<Connection>& conn, const Request& req, int code, int status) {
    // The reference server's answers to a request it cannot take, with the same codes.
    Response r;
    r.status = status;
    r.content_type = "application/json";
    r.body = "{\"code\":" + std::to_string(code) + ",\"message\":\"" + std::string(eio::error_code_name(code)) + "\"}";
    add_cors(req, r);
    conn->respond(r);
}

void Engine::on_request(const std::shared_ptr<Connection>& conn, Request& req) {
    if (req.path != opts_.path && req.path + "/" != opts_.path) return other_(conn, req);
    if (req.method == "OPTIONS") {  // a browser's CORS preflight
        Response r;
        r.status = 204;
        add_cors(req, r);
        r.headers.emplace_back("Access-Control-Allow-Methods", "GET, POST");
        r.headers.emplace_back("Access-Control-Allow-Headers", "content-type");
        return conn->respond(r);
    }
    if (req.param("EIO") != "4") return error(conn, req, 5);
    std::string transport = req.param("transport");
    bool websocket = transport == "websocket";
    if ((transport != "polling" && !websocket) || (websocket && !opts_.websocket) || (!websocket && !opts_.polling))
        return error(conn, req, 0);
    std::string sid = req.param("sid");
    if (sid.empty()) {
        if (req.method != "GET") return error(conn, req, 2);
        return handshake(conn, req, websocket);
    }
    auto it = sessions_.find(sid);
    if (it == sessions_.end()) return error(conn, req, 1);
    auto s = it->second;
    if (websocket) return upgrade(s, conn, req);
    if (s->upgraded_) return error(conn, req, 3);  // polling after the upgrade
    if (req.method == "GET") return poll(s, conn, req);
    if (req.method == "POST") return post(s, conn, req);
    error(conn, req, 3);
}

void Engine::handshake(const std::shared_ptr<Connection>& conn, Request& req, bool websocket) {
    auto s = std::make_shared<Session>(*this, new_sid());
    sessions_[s->sid()] = s;
    eio::Handshake h;
    h.sid = s->sid();
    if (!websocket && opts_.websocket) h.upgrades.emplace_back("websocket");
    h.ping_interval = static_cast<std::uint64_t>(opts_.ping_interval_ms);
    h.ping_timeout = static_cast<std::uint64_t>(opts_.ping_timeout_ms);
    h.max_payload = opts_.max_payload;
    eio::Packet open{eio::PacketType::open, false, eio::encode_handshake(h)};
    if (websocket) {
        // WebSocket from the start: the OPEN packet is the first message.
        conn->accept_websocket(req);
        if (!conn->websocket()) {
            sessions_.erase(s->sid());
            return;
        }
        s->ws_ = conn;
        s->upgraded_ = true;
        attach(conn, s);
        s->send(open);
    } else {
        Response r;
        r.body = eio::encode_polling_packet(open);
        add_cors(req, r);
        conn->respond(r);
    }
    s->schedule_ping();
    handler_.on_open(s);
}

void Engine::poll(const std::shared_ptr<Session>& s, const std::shared_ptr<Connection>& conn, Request& req) {
    if (s->poll_ && s->poll_->awaiting_response()) {
        // Two GETs at once is a broken client (the reference server closes it too).
        error(conn, req, 3);
        s->close("transport error: overlapping polls");
        return;
    }
    s->poll_ = conn;
    attach(conn, s);
    s->flush_poll();  // at once if packets wait; otherwise the GET is held until they come
}

void Engine::post(const std::shared_ptr<Session>& s, const std::shared_ptr<Connection>& conn, Request& req) {
    if (req.body.size() > opts_.max_payload) {
        Response r;
        r.status = 413;
        r.body = "payload larger than maxPayload (" + std::to_string(opts_.max_payload) + " bytes)\n";
        add_cors(req, r);
        conn->respond(r);
        s->close("transport error: payload too large");
        return;
    }
    std::vector<eio::Packet> packets;
    wirelab::CodecError err;
    bool ok = eio::decode_payload(req.body, packets, &err);
    // Whatever the body held, the reference server answers 200 "ok" (the request itself was
    // fine) and closes the session if a packet did not decode, with the reason "parse error"
    // (engine.io's transports/polling.js onDataRequest, socket.js onPacket).
    Response r;
    r.body = "ok";
    add_cors(req, r);
    conn->respond(r);
    if (!ok) return s->close("parse error");
    for (auto& p : packets) {
        if (!s->open()) break;
        receive(s, std::move(p));
    }
}

void Engine::upgrade(const std::shared_ptr<Session>& s, const std::shared_ptr<Connection>& conn, Request& req) {
    if (s->ws_) return error(conn, req, 3);  // one upgrade per session
    conn->accept_websocket(req);
    if (!conn->websocket()) return;
    s->ws_ = conn;
    attach(conn, s);
}

void Engine::on_ws_message(const std::shared_ptr<Connection>& conn, bool binary, std::string&& data) {
    auto s = session_of(conn);
    if (!s) return conn->close(wirelab::ws::kPolicyViolation, "no Engine.IO session");
    if (data.size() > opts_.max_payload) return s->close("transport error: message larger than maxPayload");
    eio::Packet p;
    if (binary) {
        p = eio::decode_binary(std::span(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()));
    } else if (!eio::decode_packet(data, p)) {
        return s->close("parse error");
    }
    if (!s->upgraded_) {
        // The upgrade dance (protocol "Upgrade" section): the client probes the new
        // WebSocket, we answer, it pauses polling (our noop ends its pending GET), then says
        // "upgrade" and the WebSocket carries everything from then on.
        if (p.type == eio::PacketType::ping && p.data == "probe") {
            s->ws_->send_ws(false, eio::encode_websocket({eio::PacketType::pong, false, "probe"}));
            s->noop_for_poll_ = true;
            s->flush_poll();
            return;
        }
        if (p.type == eio::PacketType::upgrade) {
            s->upgraded_ = true;
            // The client reads only the WebSocket now: what is queued goes there, and a poll
            // still waiting gets a noop, never packets (the client would drop them).
            std::vector<std::string> queued = std::move(s->queue_);
            s->queue_.clear();
            s->noop_for_poll_ = s->poll_ != nullptr;
            s->flush_poll();
            s->poll_.reset();
            for (const std::string& text : queued) s->ws_->send_ws(false, text);
            return;
        }
        return s->close("transport error: expected probe or upgrade");
    }
    receive(s, std::move(p));
}

void Engine::receive(const std::shared_ptr<Session>& s, eio::Packet&& p) {
    switch (p.type) {
    case eio::PacketType::pong: s->on_pong(); break;
    case eio::PacketType::message: handler_.on_message(s, std::move(p)); break;
    case eio::PacketType::close: s->close("transport close"); break;
    case eio::PacketType::noop: break;
    default: s->close("parse error: unexpected " + std::string(eio::packet_type_name(p.type)) + " from a client"); break;
    }
}

void Engine::on_close(const std::shared_ptr<Connection>& conn) {
    auto s = session_of(conn);
    if (!s) return;
    if (s->ws_ == conn) {
        if (s->upgraded_) return s->close("transport close");
        s->ws_.reset();  // a probe that failed: stay on polling
        return;
    }
    if (s->poll_ == conn) s->close("transport error: poll connection closed");
}

void Engine::closed(Session& s, const std::string& reason) {
    auto it = sessions_.find(s.sid());
    if (it == sessions_.end()) return;
    auto keep = it->second;  // alive until the handler is done with it
    sessions_.erase(it);
    handler_.on_close(keep, reason);
}

}  // namespace sioserver
