// The Socket.IO v5 server (see socketio_server.hpp).
#include "socketio_server.hpp"

namespace sioserver {

SocketServer::SocketServer() : rng_(std::random_device{}()) {}

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

void SocketServer::broadcast(const std::string& nsp, const Target& to, const std::string& event, const Args& args) {
    auto it = namespaces_.find(nsp);
    if (it == namespaces_.end()) return;
    // Encode once, and build the WebSocket frame once: every WebSocket client gets the same
    // bytes, so they are shared, not copied.
    sio::Encoded e = sio::encode(sio::Packet::event(nsp, event, args));
    eio::Packet msg = eio::Packet::text_message(e.text);
    std::string text = eio::encode_websocket(msg);
    Frame frame = make_frame(wirelab::ws::kText, text);
    auto deliver = [&](const SocketPtr& s) {
        if (!to.except.empty() && s->id == to.except) return;
        auto session = s->session.lock();
        if (!session) return;
        session->send_text(text, frame);
        for (const auto& a : e.attachments) session->send(eio::Packet::binary_message(a));
        ++deliveries_;
    };
    Namespace& ns = it->second;
    if (to.room.empty()) {
        for (const auto& [id, s] : ns.sockets) deliver(s);
        return;
    }
    auto room = ns.rooms.find(to.room);
    if (room == ns.rooms.end()) return;
    for (const std::string& id : room->second) deliver(ns.sockets.at(id));
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
    s->id = random_id(rng_);
    s->nsp = p.nsp;
    s->session = session;
    s->auth = p.data ? *p.data : json::Value::object({});
    if (ns->second.handlers.authorize) {
        if (auto why = ns->second.handlers.authorize(s)) return refuse(*why);
    }
    st.sockets[p.nsp] = s;
    ns->second.sockets[s->id] = s;
    join(s, s->id);  // every socket is in a room named after itself
    sio::Packet ok;
    ok.type = sio::PacketType::connect;
    ok.nsp = p.nsp;
    ok.data = json::Value::object({{"sid", json::Value::from_string(s->id)}});
    send(*session, ok);
    if (ns->second.handlers.on_connection) ns->second.handlers.on_connection(s);
}

void SocketServer::remove(const SocketPtr& s, const std::string& reason) {
    if (!s->connected) return;
    s->connected = false;
    auto& ns = namespaces_[s->nsp];
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
