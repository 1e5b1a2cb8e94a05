// The Socket.IO v5 server (see socketio_server.hpp).
#include "socketio_server.hpp"

namespace sioserver {

SocketServer::SocketServer() : rng_(std::random_device{}()) { set_adapter(std::make_unique<MemoryAdapter>(recovery_)); }

void SocketServer::set_adapter(std::unique_ptr<Adapter> a) {
    adapter_ = std::move(a);
    adapter_->on_deliver([this](const std::string& nsp, const Logged& packet) { deliver_local(nsp, packet); });
}

// ---- the in-memory adapter ----

int compare_offsets(const std::string& a, const std::string& b) {
    auto parse = [](const std::string& o) {
        char* end = nullptr;
        std::uint64_t ms = std::strtoull(o.c_str(), &end, 10);
        std::uint64_t seq = *end == '-' ? std::strtoull(end + 1, nullptr, 10) : 0;
        return std::pair(ms, seq);
    };
    auto pa = parse(a), pb = parse(b);
    return pa < pb ? -1 : pa > pb ? 1 : 0;
}

bool MemoryAdapter::publish(const std::string& nsp, const Target& to, const std::string& event, const Args& args) {
    Logged packet{"", to, event, args};
    if (recovery_.enabled) {
        // The offset rides as the last argument; the client remembers the last one it saw.
        Log& log = logs_[nsp];
        std::uint64_t offset = log.next++;
        packet.offset = std::to_string(offset);
        packet.args.push_back(json::Value::from_string(packet.offset));
        log.entries.push_back({offset, std::chrono::steady_clock::now(), packet});
        prune(log);
    }
    if (deliver_) deliver_(nsp, packet);
    return true;
}

std::string MemoryAdapter::last_offset(const std::string& nsp) {
    auto it = logs_.find(nsp);
    return it == logs_.end() || it->second.next == 1 ? std::string() : std::to_string(it->second.next - 1);
}

void MemoryAdapter::prune(Log& log) {
    auto horizon = std::chrono::steady_clock::now() - std::chrono::milliseconds(recovery_.max_disconnection_ms);
    while (!log.entries.empty() && (log.entries.size() > recovery_.max_log || log.entries.front().at < horizon))
        log.entries.pop_front();
    for (auto it = log.persisted.begin(); it != log.persisted.end();)
        it = it->second.at < horizon ? log.persisted.erase(it) : std::next(it);
}

void MemoryAdapter::persist(const std::string& nsp, const std::string& pid, const Persisted& p) {
    Log& log = logs_[nsp];
    log.persisted[pid] = {p, std::chrono::steady_clock::now()};
    prune(log);
}

bool MemoryAdapter::restore(const std::string& nsp, const std::string& pid, const std::string& offset, Persisted& out,
                            std::vector<Logged>& missed) {
    Log& log = logs_[nsp];
    prune(log);
    auto it = log.persisted.find(pid);
    if (it == log.persisted.end()) return false;
    // No offset: the client saw no broadcast since it first connected.
    const std::string& from = offset.empty() ? it->second.p.first_offset : offset;
    std::uint64_t last = 0;
    if (!from.empty()) {
        char* end = nullptr;
        last = std::strtoull(from.c_str(), &end, 10);
        if (*end) return false;
    }
    // The log must still hold the broadcast right after the offset (or nothing was missed).
    if (last + 1 < log.next && (log.entries.empty() || log.entries.front().offset > last + 1)) return false;
    for (const Entry& e : log.entries)
        if (e.offset > last) missed.push_back(e.packet);
    out = it->second.p;
    log.persisted.erase(it);
    return true;
}

// ---- the server ----

void SocketServer::add_namespace(const std::string& name, NamespaceHandlers h) { namespaces_[name].handlers = std::move(h); }

// One Socket.IO packet is one Engine.IO MESSAGE, plus one binary MESSAGE per attachment.
void SocketServer::send(Session& session, const sio::Packet& p) {
    sio::Encoded e = sio::encode(p);
    session.send(eio::Packet::text_message(e.text));
    for (const auto& a : e.attachments) session.send(eio::Packet::binary_message(a));
    ++deliveries_;
}

void SocketServer::emit(const SocketPtr& s, const std::string& event, Args args, AckFn on_ack) {
    auto session = s->session.lock();
    if (!session || !s->connected) return;
    std::optional<std::uint64_t> id;
    if (on_ack) {
        id = s->next_ack++;
        s->acks[*id] = std::move(on_ack);
    }
    send(*session, sio::Packet::event(s->nsp, event, std::move(args), id));
}

void SocketServer::deliver(const SocketPtr& s, const std::string& text, const Frame& frame, const sio::Encoded& e) {
    auto session = s->session.lock();
    if (!session) return;
    session->send_text(text, frame);
    for (const auto& a : e.attachments) session->send(eio::Packet::binary_message(a));
    ++deliveries_;
}

bool SocketServer::broadcast(const std::string& nsp, const Target& to, const std::string& event, const Args& args) {
    if (!namespaces_.count(nsp)) return false;
    return adapter_->publish(nsp, to, event, args);
}

void SocketServer::deliver_local(const std::string& nsp, const Logged& packet) {
    auto it = namespaces_.find(nsp);
    if (it == namespaces_.end()) return;
    Namespace& ns = it->second;
    const Target& to = packet.to;
    // Encode once, and build the WebSocket frame once: every WebSocket client gets the same
    // bytes, so they are shared, not copied.
    sio::Encoded e = sio::encode(sio::Packet::event(nsp, packet.event, packet.args));
    std::string text = eio::encode_websocket(eio::Packet::text_message(e.text));
    Frame frame = make_frame(wirelab::ws::kText, text);
    auto wanted = [&](const std::string& id, const SocketPtr& s) {
        if (!to.except.empty() && id == to.except) return false;
        // A socket recovered from a shared log may already have had this one replayed.
        return s->delivered.empty() || packet.offset.empty() || compare_offsets(packet.offset, s->delivered) > 0;
    };
    if (to.room.empty()) {
        for (const auto& [id, s] : ns.sockets)
            if (wanted(id, s)) deliver(s, text, frame, e);
        return;
    }
    auto room = ns.rooms.find(to.room);
    if (room == ns.rooms.end()) return;
    for (const std::string& id : room->second) {
        const SocketPtr& s = ns.sockets.at(id);
        if (wanted(id, s)) deliver(s, text, frame, e);
    }
}

// A CONNECT with {pid, offset}: the same socket id, rooms and data as before, and every
// broadcast after `offset` that was meant for it. False if it cannot be done (unknown or
// expired pid, or the offset has left the log): then the client starts afresh.
bool SocketServer::restore(const SocketPtr& s, std::vector<Logged>& missed) {
    const json::Value* pid = s->auth.find("pid");
    const json::Value* offset = s->auth.find("offset");
    if (!pid || !pid->is(json::Type::string)) return false;
    Persisted p;
    std::string from = offset && offset->is(json::Type::string) ? offset->text : std::string();
    if (!adapter_->restore(s->nsp, pid->text, from, p, missed)) return false;
    s->id = p.id;
    s->pid = pid->text;
    s->data = p.data;
    s->recovered = true;
    s->first_offset = p.first_offset;
    s->rooms = p.rooms;
    return true;
}

void SocketServer::join(const SocketPtr& s, const std::string& room) {
    if (!s->connected) return;
    s->rooms.insert(room);
    namespaces_[s->nsp].rooms[room].insert(s->id);
}

void SocketServer::leave(const SocketPtr& s, const std::string& room) {
    s->rooms.erase(room);
    auto& rooms = namespaces_[s->nsp].rooms;
    auto it = rooms.find(room);
    if (it == rooms.end()) return;
    it->second.erase(s->id);
    if (it->second.empty()) rooms.erase(it);
}

std::vector<SocketPtr> SocketServer::sockets(const std::string& nsp, const std::string& room) const {
    std::vector<SocketPtr> out;
    auto it = namespaces_.find(nsp);
    if (it == namespaces_.end()) return out;
    if (room.empty()) {
        for (const auto& [id, s] : it->second.sockets) out.push_back(s);
    } else if (auto r = it->second.rooms.find(room); r != it->second.rooms.end()) {
        for (const auto& id : r->second) out.push_back(it->second.sockets.at(id));
    }
    return out;
}

void SocketServer::disconnect(const SocketPtr& s) {
    if (auto session = s->session.lock()) {
        sio::Packet p;
        p.type = sio::PacketType::disconnect;
        p.nsp = s->nsp;
        send(*session, p);
        if (session->user) std::static_pointer_cast<SessionState>(session->user)->sockets.erase(s->nsp);
    }
    remove(s, "server namespace disconnect");
}

void SocketServer::on_open(const std::shared_ptr<Session>& s) { s->user = std::make_shared<SessionState>(); }

void SocketServer::on_message(const std::shared_ptr<Session>& session, eio::Packet&& p) {
    auto st = std::static_pointer_cast<SessionState>(session->user);
    if (!st) return;
    ++packets_in_;
    auto status = p.binary ? st->reassembler.add_binary(std::span(reinterpret_cast<const std::uint8_t*>(p.data.data()), p.data.size()))
                           : st->reassembler.add_text(p.data);
    if (status == sio::Reassembler::Status::error) {
        // A packet we cannot decode: the reference server closes the client too.
        session->close("parse error: " + st->reassembler.error().what);
        return;
    }
    if (status != sio::Reassembler::Status::packet) return;  // waiting for attachments
    sio::Packet packet = st->reassembler.packet();
    handle(session, *st, packet);
}

void SocketServer::handle(const std::shared_ptr<Session>& session, SessionState& st, sio::Packet& p) {
    if (p.type == sio::PacketType::connect) return connect(session, st, p);
    auto it = st.sockets.find(p.nsp);
    if (it == st.sockets.end()) return;  // not connected to that namespace: ignored
    SocketPtr s = it->second;
    switch (p.type) {
    case sio::PacketType::disconnect:
        st.sockets.erase(it);
        remove(s, "client namespace disconnect");
        break;
    case sio::PacketType::event:
    case sio::PacketType::binary_event: {
        auto name = p.event_name();
        if (!name) return session->close("parse error: event without a name");
        auto span = p.args();
        Args args(span.begin(), span.end());
        AckFn ack;
        if (p.id) {
            std::weak_ptr<Socket> weak = s;
            std::uint64_t id = *p.id;
            ack = [this, weak, id](Args reply) {
                auto sock = weak.lock();
                if (!sock || !sock->connected) return;
                auto sess = sock->session.lock();
                if (sess) send(*sess, sio::Packet::ack(sock->nsp, id, std::move(reply)));
            };
        }
        auto& ns = namespaces_[s->nsp];
        if (ns.handlers.on_event) ns.handlers.on_event(s, *name, args, std::move(ack));
        break;
    }
    case sio::PacketType::ack:
    case sio::PacketType::binary_ack: {
        if (!p.id) return;
        auto a = s->acks.find(*p.id);
        if (a == s->acks.end()) return;
        AckFn fn = std::move(a->second);
        s->acks.erase(a);
        auto span = p.args();
        fn(Args(span.begin(), span.end()));
        break;
    }
    default:
        session->close("parse error: a client may not send " + std::string(sio::packet_type_name(p.type)));
    }
}

void SocketServer::connect(const std::shared_ptr<Session>& session, SessionState& st, sio::Packet& p) {
    auto refuse = [&](const std::string& message) {
        sio::Packet e;
        e.type = sio::PacketType::connect_error;
        e.nsp = p.nsp;
        e.data = json::Value::object({{"message", json::Value::from_string(message)}});
        send(*session, e);
    };
    auto ns = namespaces_.find(p.nsp);
    if (ns == namespaces_.end()) return refuse("Invalid namespace");
    if (st.sockets.count(p.nsp)) return;  // already connected there
    if (p.data && !p.data->is(json::Type::object)) return refuse("auth payload must be an object");
    auto s = std::make_shared<Socket>();
    s->nsp = p.nsp;
    s->session = session;
    s->auth = p.data ? *p.data : json::Value::object({});
    std::vector<Logged> missed;
    bool restored = recovery_.enabled && restore(s, missed);
    if (!restored) {
        s->id = random_id(rng_);
        s->first_offset = adapter_->last_offset(p.nsp);
        if (recovery_.enabled) s->pid = random_id(rng_);
    }
    if (ns->second.sockets.count(s->id)) return refuse("that session is still connected");
    if (ns->second.handlers.authorize) {
        if (auto why = ns->second.handlers.authorize(s)) return refuse(*why);
    }
    st.sockets[p.nsp] = s;
    ns->second.sockets[s->id] = s;
    std::set<std::string> rooms = s->rooms;
    s->rooms.clear();
    join(s, s->id);  // every socket is in a room named after itself
    for (const std::string& room : rooms) join(s, room);
    sio::Packet ok;
    ok.type = sio::PacketType::connect;
    ok.nsp = p.nsp;
    ok.data = json::Value::object({{"sid", json::Value::from_string(s->id)}});
    if (!s->pid.empty()) ok.data->members.emplace_back("pid", json::Value::from_string(s->pid));
    send(*session, ok);
    if (restored) {
        // Replay, in order, what it missed: the broadcasts after its offset that were meant
        // for it (to everyone, or to a room it is in, and not excluding it).
        const json::Value* offset = s->auth.find("offset");
        s->delivered = offset && offset->is(json::Type::string) ? offset->text : s->first_offset;
        for (const Logged& l : missed) {
            if (compare_offsets(l.offset, s->delivered) > 0) s->delivered = l.offset;
            if (!l.to.room.empty() && !s->rooms.count(l.to.room)) continue;
            if (!l.to.except.empty() && l.to.except == s->id) continue;
            send(*session, sio::Packet::event(s->nsp, l.event, l.args));
            ++s->replayed;
        }
        ++recoveries_;
    }
    if (ns->second.handlers.on_connection) ns->second.handlers.on_connection(s);
}

void SocketServer::remove(const SocketPtr& s, const std::string& reason) {
    if (!s->connected) return;
    s->connected = false;
    auto& ns = namespaces_[s->nsp];
    // A transport that broke (not a client or server that chose to leave) may come back.
    bool recoverable = reason.rfind("transport", 0) == 0 || reason == "ping timeout";
    if (recovery_.enabled && recoverable && !s->pid.empty()) {
        std::set<std::string> rooms = s->rooms;
        rooms.erase(s->id);
        adapter_->persist(s->nsp, s->pid, {s->id, rooms, s->data, s->first_offset});
    }
    for (const std::string& room : std::set<std::string>(s->rooms)) leave(s, room);
    ns.sockets.erase(s->id);
    s->acks.clear();
    if (ns.handlers.on_disconnect) ns.handlers.on_disconnect(s, reason);
}

void SocketServer::on_close(const std::shared_ptr<Session>& session, const std::string& reason) {
    auto st = std::static_pointer_cast<SessionState>(session->user);
    session->user.reset();
    if (!st) return;
    for (auto& [nsp, s] : st->sockets) remove(s, reason);
}

}  // namespace sioserver
