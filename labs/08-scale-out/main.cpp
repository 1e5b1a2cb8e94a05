// Lab 08: scale out. Two chat server processes' worth of nodes, each with its own clients,
// share broadcasts through Redis Streams; a client that reconnects to the *other* node gets
// what it missed from the stream. The demo starts its own redis-server on a free loopback
// port in a temporary folder, a small "load balancer" in front of the nodes, and the official
// socket.io-client clients. See README.md for the exercise.
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <hiredis/hiredis.h>
#include <malloc.h>
#if defined(__SANITIZE_ADDRESS__)
// AddressSanitizer's allocator count (libasan has it; Debian ships no header for it).
extern "C" std::size_t __sanitizer_get_current_allocated_bytes();
#endif

#include "chat.hpp"
#include "lab.hpp"
#include "redis_adapter.hpp"

namespace lab = wirelab::lab;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using lab::say;

namespace {

// One chat node: the Socket.IO server of lab 06 with the Redis adapter under it.
struct Node {
    Node(asio::io_context& io, const std::string& name, const lab08::RedisOptions& redis, bool recovery)
        : engine(io, {}, sio, [](const std::shared_ptr<sioserver::Connection>& c, sioserver::Request&) {
              sioserver::Response r;
              r.status = 404;
              c->respond(r);
          }),
          listener(io, engine, {}) {
        lab08::RedisOptions o = redis;
        o.node = name;
        auto a = std::make_unique<lab08::RedisAdapter>(io, o, recovery);
        adapter = a.get();
        sio.set_recovery({recovery, o.max_disconnection_ms});
        sio.set_adapter(std::move(a));
        sio.set_engine(&engine);
        sioserver::add_chat(sio);
    }
    sioserver::SocketServer sio;
    sioserver::Engine engine;
    sioserver::Listener listener;
    lab08::RedisAdapter* adapter = nullptr;
};

// A redis-server of our own: a free loopback port, a temporary folder, stopped at the end.
class RedisServer {
public:
    bool start(const std::string& dir, int port, bool aof) {
        dir_ = dir;
        port_ = port;
        aof_ = aof;
        return launch();
    }
    bool restart() {
        stop();
        return launch();
    }
    void stop() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGTERM);  // redis-server saves and flushes the append-only file on SIGTERM
        int st = 0;
        ::waitpid(pid_, &st, 0);
        pid_ = -1;
    }
    ~RedisServer() { stop(); }
    int port() const { return port_; }

private:
    bool launch() {
        pid_ = ::fork();
        if (pid_ == 0) {
            int null = ::open("/dev/null", O_WRONLY);
            ::dup2(null, 1);
            ::dup2(null, 2);
            std::string p = std::to_string(port_);
            ::execlp("redis-server", "redis-server", "--port", p.c_str(), "--bind", "127.0.0.1", "--dir", dir_.c_str(),
                     "--save", "", "--appendonly", aof_ ? "yes" : "no", "--appendfsync", "always", "--daemonize", "no",
                     static_cast<char*>(nullptr));
            ::_exit(127);
        }
        // Ready when it answers PING (or give up after 5 s: no hang).
        for (int i = 0; i < 100; ++i) {
            timeval tv{0, 200000};
            redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, tv);
            bool up = false;
            if (c && !c->err) {
                auto* r = static_cast<redisReply*>(redisCommand(c, "PING"));
                up = r && r->type == REDIS_REPLY_STATUS;
                if (r) freeReplyObject(r);
            }
            if (c) redisFree(c);
            if (up) return true;
            int st = 0;
            if (::waitpid(pid_, &st, WNOHANG) == pid_) {
                pid_ = -1;
                return false;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return false;
    }
    std::string dir_;
    int port_ = 0;
    bool aof_ = true;
    pid_t pid_ = -1;
};

// The "load balancer": a TCP forwarder that sends new connections to one node, and on the
// command "move" cuts every connection and sends new ones to the other node. Real deployments
// put nginx or HAProxy here; WebSocket clients need no sticky sessions, polling ones do.
class Balancer {
public:
    Balancer(asio::io_context& io, int to) : acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)), to_(to) {
        accept();
    }
    int port() const { return acceptor_.local_endpoint().port(); }
    void move_to(int port) {
        to_ = port;
        for (auto& w : pipes_)
            if (auto p = w.lock()) p->cut();
        pipes_.clear();
    }

private:
    struct Pipe : std::enable_shared_from_this<Pipe> {
        Pipe(tcp::socket a, tcp::socket b) : client(std::move(a)), server(std::move(b)) {}
        void start() {
            pump(client, server, buf1);
            pump(server, client, buf2);
        }
        void pump(tcp::socket& from, tcp::socket& to, std::array<char, 16384>& buf) {
            from.async_read_some(asio::buffer(buf), [self = shared_from_this(), &from, &to, &buf](boost::system::error_code ec, std::size_t n) {
                if (ec) return self->cut();
                asio::async_write(to, asio::buffer(buf.data(), n), [self, &from, &to, &buf](boost::system::error_code ec2, std::size_t) {
                    if (ec2) return self->cut();
                    self->pump(from, to, buf);
                });
            });
        }
        void cut() {
            boost::system::error_code ignored;
            client.close(ignored);
            server.close(ignored);
        }
        tcp::socket client, server;
        std::array<char, 16384> buf1{}, buf2{};
    };
    void accept() {
        acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket s) {
            if (ec) return;
            tcp::socket up(acceptor_.get_executor());
            up.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(to_)), ec);
            if (!ec) {
                auto p = std::make_shared<Pipe>(std::move(s), std::move(up));
                pipes_.push_back(p);
                p->start();
            }
            accept();
        });
    }
    tcp::acceptor acceptor_;
    int to_;
    std::vector<std::weak_ptr<Pipe>> pipes_;
};

int free_port() {
    asio::io_context io;
    tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    return a.local_endpoint().port();
}

long stream_length(int port, const std::string& stream) {
    redisContext* c = redisConnectWithTimeout("127.0.0.1", port, timeval{1, 0});
    long n = -1;
    if (c && !c->err) {
        auto* r = static_cast<redisReply*>(redisCommand(c, "XLEN %s", stream.c_str()));
        if (r && r->type == REDIS_REPLY_INTEGER) n = static_cast<long>(r->integer);
        if (r) freeReplyObject(r);
    }
    if (c) redisFree(c);
    return n;
}

// The demo's control line: the client script asks for "move" and "restart-redis" and waits
// for "done".
class Control {
public:
    Control(asio::io_context& io, std::function<void(const std::string&)> on_command)
        : acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)), on_command_(std::move(on_command)) {
        accept();
    }
    int port() const { return acceptor_.local_endpoint().port(); }

private:
    void accept() {
        acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket s) {
            if (ec) return;
            auto sock = std::make_shared<tcp::socket>(std::move(s));
            auto buf = std::make_shared<asio::streambuf>();
            read(sock, buf);
            accept();
        });
    }
    void read(const std::shared_ptr<tcp::socket>& sock, const std::shared_ptr<asio::streambuf>& buf) {
        asio::async_read_until(*sock, *buf, '\n', [this, sock, buf](boost::system::error_code ec, std::size_t n) {
            if (ec) return;
            std::string line(asio::buffers_begin(buf->data()), asio::buffers_begin(buf->data()) + static_cast<long>(n) - 1);
            buf->consume(n);
            on_command_(line);
            asio::write(*sock, asio::buffer(std::string("done\n")), ec);
            read(sock, buf);
        });
    }
    tcp::acceptor acceptor_;
    std::function<void(const std::string&)> on_command_;
};

int demo(bool aof, const std::string& capture, bool view) {
    std::string dir = (std::filesystem::temp_directory_path() / "wirelab-lab08-XXXXXX").string();
    if (!::mkdtemp(dir.data())) return 1;
    RedisServer redis;
    int redis_port = free_port();
    if (!redis.start(dir, redis_port, aof)) {
        say("demo", "cannot start redis-server (is the Debian package redis-server installed? ./wirelab installs it)");
        std::filesystem::remove_all(dir);
        return 1;
    }
    say("demo", "redis-server on 127.0.0.1:%d, data in %s, append-only file %s", redis_port, dir.c_str(), aof ? "on" : "off");

    asio::io_context io;
    lab08::RedisOptions ro;
    ro.port = redis_port;
    Node a(io, "A", ro, true), b(io, "B", ro, true);
    std::string err;
    if (!a.adapter->start(err) || !b.adapter->start(err)) {
        say("demo", "%s", err.c_str());
        return 1;
    }
    a.listener.listen("127.0.0.1", 0, err);
    b.listener.listen("127.0.0.1", 0, err);
    Balancer balancer(io, a.listener.port());
    say("demo", "node A on port %d, node B on port %d, the balancer on port %d (sends new connections to A)",
        a.listener.port(), b.listener.port(), balancer.port());
    Control control(io, [&](const std::string& cmd) {
        if (cmd == "move") {
            say("balancer", "cutting every connection through me; new ones go to node B now");
            balancer.move_to(b.listener.port());
        } else if (cmd == "restart-redis") {
            long before = stream_length(redis_port, ro.stream);
            say("demo", "restarting redis-server (the stream has %ld entries)", before);
            redis.restart();
            long after = stream_length(redis_port, ro.stream);
            say("demo", "redis-server is back: the stream has %ld entries%s", after,
                aof ? " (the append-only file kept them)" : " (no persistence: the log of what was broadcast is gone)");
        }
    });
    lab::Recorder recorder;
    if (!capture.empty())
        recorder.start(capture, "tcp port " + std::to_string(a.listener.port()) + " or tcp port " +
                                    std::to_string(b.listener.port()) + " or tcp port " + std::to_string(balancer.port()) +
                                    " or tcp port " + std::to_string(redis_port));

    std::string cmd = "node '" + std::string(WIRELAB_REPO_DIR) + "/labs/08-scale-out/clients.js' '" +
                      std::string(WIRELAB_REPO_DIR) + "/tests/peers/node_modules' " + std::to_string(a.listener.port()) +
                      " " + std::to_string(b.listener.port()) + " " + std::to_string(balancer.port()) + " " +
                      std::to_string(control.port());
    int rc = 1;
    std::thread clients([&] {
        int st = std::system(cmd.c_str());
        rc = WIFEXITED(st) ? WEXITSTATUS(st) : 1;
        asio::post(io, [&io] { io.stop(); });
    });
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](boost::system::error_code, int) { io.stop(); });
    io.run();
    clients.join();
    say("demo", "node A: %llu published, %llu failed, %llu received from the stream; node B: %llu, %llu, %llu",
        static_cast<unsigned long long>(a.adapter->published()), static_cast<unsigned long long>(a.adapter->failed()),
        static_cast<unsigned long long>(a.adapter->received()), static_cast<unsigned long long>(b.adapter->published()),
        static_cast<unsigned long long>(b.adapter->failed()), static_cast<unsigned long long>(b.adapter->received()));
    // The adapters first: their readers poll Redis every 200 ms, traffic the recorder sees.
    a.adapter->stop();
    b.adapter->stop();
    if (recorder.running()) recorder.stop();
    redis.stop();
    std::filesystem::remove_all(dir);
    if (rc == 0 && view && !capture.empty()) return lab::open_viewer(capture);
    return rc;
}

// Bytes the program has allocated and not freed: malloc's own count, not the resident size,
// which keeps pages the allocator holds on to for later. (Under AddressSanitizer, its
// allocator's count.)
std::size_t heap_in_use() {
#if defined(__SANITIZE_ADDRESS__)
    return __sanitizer_get_current_allocated_bytes();
#else
    struct mallinfo2 m = ::mallinfo2();
    return m.uordblks + m.hblkhd;
#endif
}

// `kill -USR1 PID` asks a node what it holds: connections, sessions, chat clients, heap.
void report_usage(const std::string& name, Node& n) {
    std::printf("%s usage: %zu connections, %zu Engine.IO sessions, %zu chat clients, %zu bytes of heap in use\n",
                name.c_str(), n.listener.connections(), n.engine.sessions(), n.sio.sockets("/").size(), heap_in_use());
    std::fflush(stdout);
}

int node(const std::string& name, const std::string& redis_addr, const std::string& bind, int port, bool recovery,
         bool quiet) {
    lab08::RedisOptions ro;
    auto colon = redis_addr.rfind(':');
    ro.host = redis_addr.substr(0, colon);
    ro.port = colon == std::string::npos ? 6379 : std::atoi(redis_addr.c_str() + colon + 1);
    asio::io_context io;
    Node n(io, name, ro, recovery);
    std::string err;
    if (!n.adapter->start(err)) {
        std::fprintf(stderr, "wirelab lab 8: %s\nStart one (redis-server --port %d), or run `wirelab lab 8 demo`, which "
                             "starts its own.\n", err.c_str(), ro.port);
        return 1;
    }
    if (!n.listener.listen(bind, port, err)) {
        std::fprintf(stderr, "wirelab lab 8: %s\n", err.c_str());
        return 1;
    }
    say(name, "listening on %s:%d, sharing broadcasts through Redis at %s (stream %s)", bind.c_str(), n.listener.port(),
        redis_addr.c_str(), ro.stream.c_str());
    if (quiet) lab::Narrator::get().quiet(true);  // after the "listening on" line
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](boost::system::error_code, int) { io.stop(); });
    asio::signal_set usage(io, SIGUSR1);
    std::function<void()> on_usage = [&] {
        usage.async_wait([&](boost::system::error_code ec, int) {
            if (ec) return;
            report_usage(name, n);
            on_usage();
        });
    };
    on_usage();
    io.run();
    // What this node did, for whoever stopped it (the load test reads these figures). The
    // reader first: it may still be saying something.
    n.adapter->stop();
    lab::Narrator::get().quiet(false);
    say(name, "stopped: %llu Socket.IO packets in, %llu delivered, %llu sessions recovered; Redis: %llu published, "
              "%llu failed, %llu read from the stream",
        static_cast<unsigned long long>(n.sio.packets_in()), static_cast<unsigned long long>(n.sio.deliveries()),
        static_cast<unsigned long long>(n.sio.recoveries()), static_cast<unsigned long long>(n.adapter->published()),
        static_cast<unsigned long long>(n.adapter->failed()), static_cast<unsigned long long>(n.adapter->received()));
    return 0;
}

}  // namespace

static int lab_main(int argc, char** argv) {
    std::string name = "A", redis = "127.0.0.1:6379", bind = "127.0.0.1", capture;
    int port = 3000;
    bool no_aof = false, no_recovery = false, view = false, quiet = false;
    lab::Options opts("8", "Lab 08: chat servers sharing broadcasts through Redis Streams", {"node", "demo"},
                      "wirelab lab 8 demo --capture /tmp/lab08.pcapng\n"
                      "  redis-server --port 6379 &  wirelab lab 8 node --name A --port 3000 &  wirelab lab 8 node --name B --port 3001");
    opts.add("--name", &name, "node: this node's name");
    opts.add("--redis", &redis, "node: Redis address HOST:PORT");
    opts.add("--port", &port, "node: port to listen on (0 picks a free one)");
    opts.add("--bind", &bind, "node: address to listen on");
    opts.flag("--no-recovery", &no_recovery, "node: no connection state recovery");
    opts.flag("--quiet", &quiet, "node: no line per connection and chat message (for load tests)");
    opts.flag("--no-aof", &no_aof, "demo: run redis-server without its append-only file");
    opts.add("--capture", &capture, "demo: record the lab's traffic to this pcapng file");
    opts.flag("--view", &view, "demo: open the capture in the viewer afterwards");
    if (!opts.parse(argc, argv)) return opts.exit_code();
    std::signal(SIGPIPE, SIG_IGN);
    if (opts.mode() == "demo") return demo(!no_aof, capture, view);
    lab::warn_if_not_loopback(bind);
    return node(name, redis, bind, port, !no_recovery, quiet);
}

int main(int argc, char** argv) { return lab::run_main("08", argc, argv, lab_main); }
