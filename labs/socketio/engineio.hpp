// An Engine.IO v4 server (https://socket.io/docs/v4/engine-io-protocol/): sessions that carry
// packets over HTTP long-polling or WebSocket, the upgrade from one to the other (probe, pause,
// upgrade, noop), the server's heartbeat (ping every pingInterval, a pong expected within
// pingTimeout), maxPayload and CORS. Packets are encoded with core's eio codec.
#pragma once

#include <functional>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>

#include "http_server.hpp"
#include "wirelab/socketio.hpp"

namespace sioserver {

namespace eio = wirelab::eio;

struct EngineOptions {
    std::string path = "/socket.io/";
    int ping_interval_ms = 25000;
    int ping_timeout_ms = 20000;
    std::size_t max_payload = 1'000'000;  // bytes of one polling body or WebSocket message
    std::string cors_origin = "*";        // "*" answers any Origin; "" sends no CORS headers
    bool polling = true, websocket = true;
};

class Engine;

// One Engine.IO client, whichever transport it is on at the moment.
class Session : public std::enable_shared_from_this<Session> {
public:
    Session(Engine& engine, std::string sid);
    const std::string& sid() const { return sid_; }
    const char* transport() const { return ws_ && upgraded_ ? "websocket" : "polling"; }
    bool open() const { return open_; }

    void send(const eio::Packet& p);
    // A text message whose WebSocket frame was built once for many sessions (a broadcast).
    void send_text(const std::string& text, const Frame& frame);
    void close(const std::string& reason);
    // Cuts the transport under the client: its connections are dropped without a goodbye,
    // as when the network fails. The client notices and reconnects.
    void cut();

    std::shared_ptr<void> user;  // the Socket.IO layer's state for this session

private:
    friend class Engine;
    void flush_poll();
    void schedule_ping();
    void on_pong();

    Engine& engine_;
    std::string sid_;
    bool open_ = true;
    bool upgraded_ = false;                  // the WebSocket carries the packets now
    std::shared_ptr<Connection> ws_;         // the WebSocket, once there is one
    std::shared_ptr<Connection> poll_;       // a GET waiting for packets
    std::vector<std::string> queue_;         // polling records waiting for a GET
    bool noop_for_poll_ = false;             // answer the next poll with a noop (upgrade pause)
    asio::steady_timer ping_timer_, pong_timer_;
};

class EngineHandler {
public:
    virtual ~EngineHandler() = default;
    virtual void on_open(const std::shared_ptr<Session>& s) = 0;
    virtual void on_message(const std::shared_ptr<Session>& s, eio::Packet&& p) = 0;
    virtual void on_close(const std::shared_ptr<Session>& s, const std::string& reason) = 0;
};

// Everything outside the Engine.IO path (the chat page, the client bundle).
using OtherRequests = std::function<void(const std::shared_ptr<Connection>&, Request&)>;

class Engine : public Handler {
public:
    Engine(asio::io_context& io, EngineOptions opts, EngineHandler& handler, OtherRequests other);
    const EngineOptions& options() const { return opts_; }
    asio::io_context& io() { return io_; }
    std::size_t sessions() const { return sessions_.size(); }

    void on_request(const std::shared_ptr<Connection>& conn, Request& req) override;
    void on_ws_message(const std::shared_ptr<Connection>& conn, bool binary, std::string&& data) override;
    void on_close(const std::shared_ptr<Connection>& conn) override;

private:
    friend class Session;
    void handshake(const std::shared_ptr<Connection>& conn, Request& req, bool websocket);
    void poll(const std::shared_ptr<Session>& s, const std::shared_ptr<Connection>& conn, Request& req);
    void post(const std::shared_ptr<Session>& s, const std::shared_ptr<Connection>& conn, Request& req);
    void upgrade(const std::shared_ptr<Session>& s, const std::shared_ptr<Connection>& conn, Request& req);
    void receive(const std::shared_ptr<Session>& s, eio::Packet&& p);
    void error(const std::shared_ptr<Connection>& conn, const Request& req, int code, int status = 400);
    void add_cors(const Request& req, Response& r) const;
    void closed(Session& s, const std::string& reason);
    std::string new_sid();

    asio::io_context& io_;
    EngineOptions opts_;
    EngineHandler& handler_;
    OtherRequests other_;
    std::unordered_map<std::string, std::shared_ptr<Session>> sessions_;
    std::mt19937_64 rng_;
};

// 20 characters of URL-safe base64 from a random generator: session and socket ids.
std::string random_id(std::mt19937_64& rng);

}  // namespace sioserver
