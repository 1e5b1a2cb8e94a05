// The chat (see chat.hpp).
#include "chat.hpp"

#include <boost/asio/steady_timer.hpp>
#include <memory>

#include "lab.hpp"

namespace sioserver {

using wirelab::lab::say;

namespace {

std::string arg_text(const json::Value& v) {
    return v.is(json::Type::string) ? v.text : json::to_string(v);
}

// "Who is online" goes to everyone when someone comes or goes. Sent at once, n clients
// connecting would cost n lists of up to n names (a million names for a thousand clients):
// the list is sent once per 50 ms at most, with whoever is there by then.
struct OnlineList {
    explicit OnlineList(SocketServer& io) : io_(io) {}
    void changed() {
        boost::asio::io_context* ctx = io_.io_context();
        if (!ctx) return send();
        if (timer_) return;  // one is on its way
        timer_ = std::make_unique<boost::asio::steady_timer>(*ctx, std::chrono::milliseconds(50));
        timer_->async_wait([this](boost::system::error_code ec) {
            timer_.reset();
            if (!ec) send();
        });
    }
    void send() {
        Args online;
        for (const auto& other : io_.sockets("/")) online.push_back(json::Value::from_string(other->data["nickname"]));
        io_.broadcast("/", {}, "online", {json::Value::array(online)});
    }
    SocketServer& io_;
    std::unique_ptr<boost::asio::steady_timer> timer_;
};

}  // namespace

// The chat itself: nicknames, messages, rooms, who is online, who is typing.
void add_chat(SocketServer& io) {
    NamespaceHandlers h;
    auto online = std::make_shared<OnlineList>(io);
    h.on_connection = [&io, online](const SocketPtr& s) {
        const json::Value* nick = s->auth.find("nickname");
        s->data["nickname"] = nick && nick->is(json::Type::string) && !nick->text.empty() ? nick->text.substr(0, 32)
                                                                                             : "guest-" + s->id.substr(0, 4);
        auto session = s->session.lock();
        say("server", "%s connected (socket %s, over %s)", s->data["nickname"].c_str(), s->id.c_str(),
            session ? session->transport() : "?");
        online->changed();
    };
    h.on_event = [&io](const SocketPtr& s, const std::string& event, Args& args, const AckFn& ack) {
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
    h.on_disconnect = [online](const SocketPtr& s, const std::string& reason) {
        say("server", "%s disconnected (%s)", s->data["nickname"].c_str(), reason.c_str());
        online->changed();
    };
    io.add_namespace("/", std::move(h));
}

}  // namespace sioserver
