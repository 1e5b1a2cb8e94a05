// The chat (see chat.hpp).
#include "chat.hpp"

#include "lab.hpp"

namespace sioserver {

using wirelab::lab::say;

namespace {

std::string arg_text(const json::Value& v) {
    return v.is(json::Type::string) ? v.text : json::to_string(v);
}

}  // namespace

// The chat itself: nicknames, messages, rooms, who is online, who is typing.
void add_chat(SocketServer& io) {
    NamespaceHandlers h;
    h.on_connection = [&io](const SocketPtr& s) {
        const json::Value* nick = s->auth.find("nickname");
        s->data["nickname"] = nick && nick->is(json::Type::string) && !nick->text.empty() ? nick->text.substr(0, 32)
                                                                                             : "guest-" + s->id.substr(0, 4);
        auto session = s->session.lock();
        say("server", "%s connected (socket %s, over %s)", s->data["nickname"].c_str(), s->id.c_str(),
            session ? session->transport() : "?");
        Args online;
        for (const auto& other : io.sockets("/")) online.push_back(json::Value::from_string(other->data["nickname"]));
        io.broadcast("/", {}, "online", {json::Value::array(online)});
    };
    h.on_event = [&io](const SocketPtr& s, const std::string& event, Args& args, AckFn ack) {
        if (event == "chat message") {
            // As in Socket.IO's own chat tutorial: io.emit('chat message', msg), to everyone,
            // the sender included, unchanged. A client that joined a room chats in that room.
            std::string room = s->data.count("room") ? s->data["room"] : "";
            say("server", "chat message from %s: %s -> broadcast to %s", s->data["nickname"].c_str(),
                args.empty() ? "" : arg_text(args[0]).c_str(), room.empty() ? "everyone" : ("room " + room).c_str());
            bool sent = io.broadcast("/", {room, ""}, "chat message", args);
            // Acknowledge only what was really sent on: a client can retry the rest.
            if (ack) ack({json::Value::from_string(sent ? "delivered" : "not sent: the message queue is unreachable")});
        } else if (event == "typing") {
            io.broadcast("/", {"", s->id}, "typing", {json::Value::from_string(s->data["nickname"])});
        } else if (event == "join" && !args.empty() && args[0].is(json::Type::string)) {
            if (s->data.count("room")) io.leave(s, s->data["room"]);
            s->data["room"] = args[0].text.substr(0, 64);
            io.join(s, s->data["room"]);
            if (ack) ack({json::Value::from_string(s->data["room"])});
        } else if (event == "leave") {
            if (s->data.count("room")) io.leave(s, s->data["room"]);
            s->data.erase("room");
            if (ack) ack({});
        }
    };
    h.on_disconnect = [&io](const SocketPtr& s, const std::string& reason) {
        say("server", "%s disconnected (%s)", s->data["nickname"].c_str(), reason.c_str());
        Args online;
        for (const auto& other : io.sockets("/")) online.push_back(json::Value::from_string(other->data["nickname"]));
        io.broadcast("/", {}, "online", {json::Value::array(online)});
    };
    io.add_namespace("/", std::move(h));
}

}  // namespace sioserver
