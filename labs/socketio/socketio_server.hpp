// A Socket.IO v5 server (https://socket.io/docs/v4/socket-io-protocol/) on top of the Engine.IO
// sessions: namespaces joined with CONNECT (and an auth payload), CONNECT_ERROR, events and
// acknowledgements both ways, binary events and acks (attachments put back together with core's
// sio::Reassembler), rooms, and broadcasts to everyone, everyone but the sender, or a room.
//
// Connection state recovery (https://socket.io/docs/v4/connection-state-recovery), as the
// reference server does it: the CONNECT reply carries a private id (pid) besides the socket id;
// every broadcast event carries an offset as its last argument and is kept in a log; when a
// client that lost its transport reconnects with {pid, offset} within maxDisconnectionDuration,
// it gets back the same socket id, its rooms and data, and every broadcast after its offset.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "engineio.hpp"

namespace sioserver {

namespace sio = wirelab::sio;
namespace json = wirelab::json;
using Args = std::vector<json::Value>;
using AckFn = std::function<void(Args)>;

class SocketServer;

// One client in one namespace.
struct Socket {
    std::string id;
    std::string nsp;
    std::weak_ptr<Session> session;
    json::Value auth;               // the CONNECT packet's payload
    std::set<std::string> rooms;    // always holds its own id
    std::map<std::string, std::string> data;  // what the application keeps (a nickname)
    std::uint64_t next_ack = 0;
    std::map<std::uint64_t, AckFn> acks;  // our emits waiting for the client's ack
    bool connected = true;
    std::string pid;         // private id for recovery ("" when recovery is off)
    bool recovered = false;  // this CONNECT restored an earlier session
    std::size_t replayed = 0;  // broadcasts it missed and got on recovery
    std::string first_offset;  // the last broadcast's offset when it first connected
    std::string delivered;     // after a recovery: the offset it is up to (later copies are skipped)
};
using SocketPtr = std::shared_ptr<Socket>;

// What the application does in one namespace.
struct NamespaceHandlers {
    // Called on CONNECT; return an error message to refuse with CONNECT_ERROR.
    std::function<std::optional<std::string>(const SocketPtr&)> authorize;
    std::function<void(const SocketPtr&)> on_connection;
    // `ack` is empty unless the client asked for an acknowledgement.
    std::function<void(const SocketPtr&, const std::string& event, Args& args, AckFn ack)> on_event;
    std::function<void(const SocketPtr&, const std::string& reason)> on_disconnect;
};

struct RecoveryOptions {
    bool enabled = false;
    int max_disconnection_ms = 120000;  // socket.io's default: 2 minutes
    std::size_t max_log = 1'000'000;    // broadcasts kept for replay
};

// Who a broadcast goes to.
struct Target {
    std::string room;    // "" for every socket of the namespace
    std::string except;  // a socket id left out (the sender), or ""
};

// A broadcast as kept for replay: its offset, who it was for, and what it said.
struct Logged {
    std::string offset;
    Target to;
    std::string event;
    Args args;  // with the offset as the last one when recovery is on
};

// What a socket whose transport broke leaves behind, for its return.
struct Persisted {
    std::string id;
    std::set<std::string> rooms;  // without its own room
    std::map<std::string, std::string> data;
    std::string first_offset;     // the last offset before it first connected ("" if none)
};

// Orders two offsets: decimal counters ("41") or Redis stream ids ("1700000000000-3").
int compare_offsets(const std::string& a, const std::string& b);

// Where broadcasts go and where recovery state is kept, as socket.io's adapters do. The
// in-memory one below serves one process; lab 08's Redis adapter shares both between
// server processes.
class Adapter {
public:
    using Deliver = std::function<void(const std::string& nsp, const Logged& packet)>;
    virtual ~Adapter() = default;
    // Sends a broadcast on its way; `deliver` is called for it (on this server's thread) when
    // this server should hand it to its own clients, with its offset filled in. False if it
    // could not be sent (the message queue is unreachable): nobody will get it.
    virtual bool publish(const std::string& nsp, const Target& to, const std::string& event, const Args& args) = 0;
    void on_deliver(Deliver d) { deliver_ = std::move(d); }
    // The offset of the last broadcast so far (what a newly connected socket has "seen").
    virtual std::string last_offset(const std::string& nsp) = 0;
    virtual void persist(const std::string& nsp, const std::string& pid, const Persisted& p) = 0;
    // Takes back what `pid` left, and every broadcast after `offset` ("" = after its
    // first_offset). False if that is impossible (unknown or expired pid, offset gone).
    virtual bool restore(const std::string& nsp, const std::string& pid, const std::string& offset, Persisted& out,
                         std::vector<Logged>& missed) = 0;

protected:
    Deliver deliver_;
};

// Keeps everything in this process: the log of broadcasts for replay and the persisted
// sessions, both bounded by RecoveryOptions.
class MemoryAdapter : public Adapter {
public:
    explicit MemoryAdapter(const RecoveryOptions& r) : recovery_(r) {}
    bool publish(const std::string& nsp, const Target& to, const std::string& event, const Args& args) override;
    std::string last_offset(const std::string& nsp) override;
    void persist(const std::string& nsp, const std::string& pid, const Persisted& p) override;
    bool restore(const std::string& nsp, const std::string& pid, const std::string& offset, Persisted& out,
                 std::vector<Logged>& missed) override;

private:
    struct Entry {
        std::uint64_t offset;
        std::chrono::steady_clock::time_point at;
        Logged packet;
    };
    struct Kept {
        Persisted p;
        std::chrono::steady_clock::time_point at;
    };
    struct Log {
        std::deque<Entry> entries;
        std::uint64_t next = 1;
        std::unordered_map<std::string, Kept> persisted;  // by pid
    };
    void prune(Log& log);
    const RecoveryOptions& recovery_;
    std::map<std::string, Log> logs_;
};

class SocketServer : public EngineHandler {
public:
    SocketServer();
    void set_engine(Engine* engine) { engine_ = engine; }
    // The io_context the server runs on (for the application's timers), once it has an engine.
    boost::asio::io_context* io_context() { return engine_ ? &engine_->io() : nullptr; }
    void set_recovery(RecoveryOptions r) { recovery_ = r; }
    // Replaces the in-memory adapter (lab 08: Redis).
    void set_adapter(std::unique_ptr<Adapter> a);
    const RecoveryOptions& recovery() const { return recovery_; }
    void add_namespace(const std::string& name, NamespaceHandlers h);

    void emit(const SocketPtr& s, const std::string& event, Args args, AckFn on_ack = nullptr);
    // False if the adapter could not send it (lab 08: Redis unreachable).
    bool broadcast(const std::string& nsp, const Target& to, const std::string& event, const Args& args);
    void join(const SocketPtr& s, const std::string& room);
    void leave(const SocketPtr& s, const std::string& room);
    // Server-side disconnect of one namespace socket (sends DISCONNECT).
    void disconnect(const SocketPtr& s);
    std::vector<SocketPtr> sockets(const std::string& nsp, const std::string& room = {}) const;
    // Hands a published broadcast to this server's own clients (the adapter calls it).
    void deliver_local(const std::string& nsp, const Logged& packet);

    std::uint64_t packets_in() const { return packets_in_; }
    std::uint64_t deliveries() const { return deliveries_; }
    std::uint64_t recoveries() const { return recoveries_; }

    void on_open(const std::shared_ptr<Session>& s) override;
    void on_message(const std::shared_ptr<Session>& s, eio::Packet&& p) override;
    void on_close(const std::shared_ptr<Session>& s, const std::string& reason) override;

private:
    struct Namespace {
        NamespaceHandlers handlers;
        std::unordered_map<std::string, SocketPtr> sockets;
        std::map<std::string, std::set<std::string>> rooms;
    };
    struct SessionState {
        sio::Reassembler reassembler;
        std::map<std::string, SocketPtr> sockets;  // by namespace
    };
    void handle(const std::shared_ptr<Session>& session, SessionState& st, sio::Packet& p);
    void connect(const std::shared_ptr<Session>& session, SessionState& st, sio::Packet& p);
    void remove(const SocketPtr& s, const std::string& reason);
    void send(Session& session, const sio::Packet& p);
    void deliver(const SocketPtr& s, const std::string& text, const Frame& frame, const sio::Encoded& e);
    bool restore(const SocketPtr& s, std::vector<Logged>& missed);

    Engine* engine_ = nullptr;
    std::map<std::string, Namespace> namespaces_;
    std::mt19937_64 rng_;
    RecoveryOptions recovery_;
    std::unique_ptr<Adapter> adapter_;
    std::uint64_t packets_in_ = 0, deliveries_ = 0, recoveries_ = 0;
};

}  // namespace sioserver
