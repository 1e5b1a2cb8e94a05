// Lab 06: a chat server that speaks Engine.IO v4 and Socket.IO v5, so the official
// socket.io-client and the browser bundle work with it unchanged. A client emits
// "chat message"; the server broadcasts it to every client of the room, the sender included.
// See README.md for the exercise and docs/socketio-protocol.md for the protocol summary.
#include <csignal>
#include <cstdlib>
#include <sys/wait.h>
#include <unistd.h>

#include "lab.hpp"
#include "chat.hpp"
#include "socketio_server.hpp"

namespace lab = wirelab::lab;
using lab::say;
namespace json = wirelab::json;

namespace {

// --test-mode socketio: what Socket.IO's protocol test suite expects of a server, on "/" and
// "/custom": emit "auth" with the handshake's auth payload, echo "message" back as
// "message-back", and acknowledge "message-with-ack" with its own arguments.
void add_socketio_test_mode(sioserver::SocketServer& io) {
    for (const char* nsp : {"/", "/custom"}) {
        sioserver::NamespaceHandlers h;
        h.on_connection = [&io](const sioserver::SocketPtr& s) { io.emit(s, "auth", {s->auth}); };
        h.on_event = [&io](const sioserver::SocketPtr& s, const std::string& event, sioserver::Args& args, const sioserver::AckFn& ack) {
            if (event == "message") io.emit(s, "message-back", args);
            else if (event == "message-with-ack" && ack) ack(args);
        };
        io.add_namespace(nsp, std::move(h));
    }
}

// --test-mode engineio: a bare Engine.IO server that sends every message back to its sender.
class EngineEcho : public sioserver::EngineHandler {
public:
    void on_open(const std::shared_ptr<sioserver::Session>&) override {}
    void on_message(const std::shared_ptr<sioserver::Session>& s, sioserver::eio::Packet&& p) override { s->send(p); }
    void on_close(const std::shared_ptr<sioserver::Session>&, const std::string&) override {}
};

struct Config {
    std::string bind = "127.0.0.1", test_mode, web = std::string(WIRELAB_REPO_DIR) + "/labs/06-chat/web",
                bundle = std::string(WIRELAB_REPO_DIR) + "/tests/peers/node_modules/socket.io-client/dist/socket.io.js",
                transports = "polling,websocket", capture;
    int port = 3000, max_connections = 10000;
    bool quiet = false;
    bool recovery = false;
    int max_disconnection_ms = 120000;
    int idle_timeout_s = 60;                // HTTP: seconds for each whole request
    int max_queued = 16 << 20;              // bytes waiting for one client that does not read
    sioserver::EngineOptions engine;
};

// Runs the server until SIGINT/SIGTERM or until `stop_after` (the demo) says so.
int serve(Config cfg, const std::function<void(int port, const std::function<void()>& stop)>& started) {
    boost::asio::io_context io;
    sioserver::SocketServer sio;
    EngineEcho echo;
    sioserver::EngineHandler* handler = &sio;
    if (cfg.test_mode == "engineio") {
        // A bare Engine.IO server lives at /engine.io/, as the standalone engine.io package's does.
        handler = &echo;
        if (cfg.engine.path == "/socket.io/") cfg.engine.path = "/engine.io/";
    }
    else if (cfg.test_mode == "socketio") add_socketio_test_mode(sio);
    else sioserver::add_chat(sio);
    cfg.engine.polling = cfg.transports.find("polling") != std::string::npos;
    cfg.engine.websocket = cfg.transports.find("websocket") != std::string::npos;

    // Everything that is not Engine.IO: the chat page and the client bundle, from their folders
    // only (sioserver::static_file refuses paths that leave them).
    auto other = [&cfg](const std::shared_ptr<sioserver::Connection>& conn, sioserver::Request& req) {
        if (req.method != "GET" && req.method != "HEAD") {
            sioserver::Response r;
            r.status = 405;
            r.body = "only GET here\n";
            return conn->respond(r);
        }
        if (req.path == "/socket.io/socket.io.js") {
            std::string dir = cfg.bundle.substr(0, cfg.bundle.rfind('/'));
            sioserver::Response r = sioserver::static_file(dir, "/socket.io.js");
            if (r.status == 404) r.body = "the socket.io client bundle is not installed (run ./wirelab to set it up)\n";
            r.head = req.method == "HEAD";
            return conn->respond(r);
        }
        sioserver::Response r = sioserver::static_file(cfg.web, req.path);
        r.head = req.method == "HEAD";
        conn->respond(r);
    };
    sioserver::Engine engine(io, cfg.engine, *handler, other);
    sio.set_engine(&engine);
    sio.set_recovery({cfg.recovery, cfg.max_disconnection_ms});
    sioserver::Limits limits;
    limits.max_body = cfg.engine.max_payload;
    limits.max_message = cfg.engine.max_payload;
    limits.max_connections = static_cast<std::size_t>(cfg.max_connections);
    limits.idle_timeout_s = cfg.idle_timeout_s;
    limits.max_queued = static_cast<std::size_t>(cfg.max_queued);
    sioserver::Listener listener(io, engine, limits);
    std::string err;
    if (!listener.listen(cfg.bind, cfg.port, err)) {
        say("server", "%s", err.c_str());
        return 1;
    }
    say("server", "listening on %s:%d (Engine.IO at %s, transports %s, ping %d/%d ms, maxPayload %zu%s)",
        cfg.bind.c_str(), listener.port(), cfg.engine.path.c_str(), cfg.transports.c_str(), cfg.engine.ping_interval_ms,
        cfg.engine.ping_timeout_ms, cfg.engine.max_payload,
        cfg.test_mode.empty() ? "" : (", test mode " + cfg.test_mode).c_str());
    // An IPv6 address goes in brackets in a URL (RFC 3986 section 3.2.2): http://[::1]:3000/.
    bool v6 = cfg.bind.find(':') != std::string::npos;
    if (cfg.test_mode.empty())
        say("server", "chat page: http://%s%s%s:%d/", v6 ? "[" : "", cfg.bind.c_str(), v6 ? "]" : "", listener.port());
    if (cfg.quiet) lab::Narrator::get().quiet(true);  // after the "listening on" line

    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](boost::system::error_code, int) { io.stop(); });
    lab::Recorder recorder;
    if (!cfg.capture.empty()) recorder.start(cfg.capture, "tcp port " + std::to_string(listener.port()));
    if (started) started(listener.port(), [&io] { boost::asio::post(io, [&io] { io.stop(); }); });
    io.run();
    if (recorder.running()) recorder.stop();
    say("server", "stopped: %llu Socket.IO packets in, %llu delivered", static_cast<unsigned long long>(sio.packets_in()),
        static_cast<unsigned long long>(sio.deliveries()));
    return 0;
}

// The demo: the server, and three official socket.io-client clients (Node.js) on the three
// ways in: polling then upgrade, WebSocket only, polling only.
int demo(Config cfg, bool view) {
    std::string peers = std::string(WIRELAB_REPO_DIR) + "/tests/peers/node_modules";
    std::string script = std::string(WIRELAB_REPO_DIR) + "/labs/06-chat/demo-clients.js";
    cfg.port = 0;
    int rc = 0;
    serve(cfg, [&](int port, const std::function<void()>& stop) {
        std::thread([=, &rc] {
            std::string cmd = "node '" + script + "' '" + peers + "' " + std::to_string(port);
            say("demo", "running the clients: %s", cmd.c_str());
            int st = std::system(cmd.c_str());
            rc = WIFEXITED(st) ? WEXITSTATUS(st) : 1;
            if (rc) say("demo", "the clients failed (exit %d): is Node.js installed and tests/peers set up (./wirelab)?", rc);
            stop();
        }).detach();
    });
    if (!cfg.capture.empty()) {
        say("demo", "in the capture: the polling handshake (GET ...transport=polling), the OPEN packet with sid, "
                    "upgrades and pingInterval; POSTs carrying the clients' packets; the WebSocket upgrade with its probe; "
                    "then each 'chat message' once from its sender and once to every client. Try: ./wirelab dump -r %s "
                    "-Y socketio",
            cfg.capture.c_str());
        if (view) return lab::open_viewer(cfg.capture);
    }
    return rc;
}

}  // namespace

static int lab_main(int argc, char** argv) {
    Config cfg;
    bool view = false;
    int max_payload = static_cast<int>(cfg.engine.max_payload);
    lab::Options opts("6", "Lab 06: a Socket.IO-compatible chat server (Engine.IO v4, Socket.IO v5)", {"server", "demo"},
                      "wirelab lab 6 server --port 3000      then open http://127.0.0.1:3000/ in two browser tabs\n"
                      "  wirelab lab 6 demo --capture /tmp/lab06.pcapng --view");
    opts.add("--port", &cfg.port, "port to listen on (0 picks a free one)");
    opts.add("--bind", &cfg.bind, "address to listen on");
    opts.add("--ping-interval", &cfg.engine.ping_interval_ms, "Engine.IO heartbeat: ms between the server's pings");
    opts.add("--ping-timeout", &cfg.engine.ping_timeout_ms, "ms to wait for a pong before the client counts as gone");
    opts.add("--max-payload", &max_payload, "bytes in one polling body or WebSocket message");
    opts.add("--path", &cfg.engine.path, "where Engine.IO answers (--test-mode engineio: /engine.io/)");
    opts.add("--transports", &cfg.transports, "polling,websocket or just one of them");
    opts.add("--cors-origin", &cfg.engine.cors_origin, "Origin allowed to poll from another site (* for any, '' for none)");
    opts.add("--max-connections", &cfg.max_connections, "TCP connections at once (503 above)");
    opts.add("--idle-timeout", &cfg.idle_timeout_s, "seconds an HTTP connection has for each whole request (408 or closed)");
    opts.add("--max-queued", &cfg.max_queued, "bytes waiting for one client that does not read; more drops it");
    opts.flag("--recovery", &cfg.recovery, "connection state recovery: offsets on broadcasts, replay after a cut");
    opts.add("--max-disconnection", &cfg.max_disconnection_ms, "recovery: ms a cut client may take to come back");
    opts.add("--test-mode", &cfg.test_mode, "socketio or engineio: the behaviour protocol test suites expect");
    opts.add("--web", &cfg.web, "folder the chat page is served from");
    opts.add("--client-bundle", &cfg.bundle, "socket.io.js served at /socket.io/socket.io.js");
    opts.add("--capture", &cfg.capture, "record the lab's traffic to this pcapng file");
    opts.flag("--view", &view, "open the capture in the viewer afterwards");
    bool quiet = false;
    opts.flag("--quiet", &quiet, "no line per connection and chat message (for benchmarks)");
    if (!opts.parse(argc, argv)) return opts.exit_code();
    if (cfg.test_mode != "" && cfg.test_mode != "socketio" && cfg.test_mode != "engineio") {
        std::fprintf(stderr, "wirelab lab 6: --test-mode is socketio or engineio, not '%s'\n", cfg.test_mode.c_str());
        return 2;
    }
    if (cfg.port < 0 || cfg.port > 65535 || max_payload < 1 || cfg.engine.ping_interval_ms < 1 ||
        cfg.engine.ping_timeout_ms < 1 || cfg.max_connections < 1 || cfg.idle_timeout_s < 1 || cfg.max_queued < 1) {
        std::fprintf(stderr, "wirelab lab 6: --port must be 0-65535, the times and limits at least 1\n");
        return 2;
    }
    if (cfg.transports.find("polling") == std::string::npos && cfg.transports.find("websocket") == std::string::npos) {
        std::fprintf(stderr, "wirelab lab 6: --transports needs polling, websocket or both\n");
        return 2;
    }
    cfg.engine.max_payload = static_cast<std::size_t>(max_payload);
    cfg.quiet = quiet;
    std::signal(SIGPIPE, SIG_IGN);
    if (opts.mode() == "demo") return demo(cfg, view);
    lab::warn_if_not_loopback(cfg.bind);
    return serve(cfg, nullptr);
}

int main(int argc, char** argv) { return lab::run_main("06", argc, argv, lab_main); }
