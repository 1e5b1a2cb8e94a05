// Lab 01: TCP sockets. An echo server and client, first with the plain POSIX calls, then with
// Boost.Asio, to show that TCP is a byte stream: the boundaries of your send() calls are not
// kept, so a protocol on top must frame its messages. See README.md for the exercise.
#include <arpa/inet.h>
#include <csignal>
#include <future>
#include <iostream>
#include <netinet/in.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include "echo.hpp"
#include "lab.hpp"

namespace lab = wirelab::lab;
using lab::say;

namespace {

std::atomic<bool> g_stop{false};

void on_signal(int) { g_stop = true; }

// A port nobody listens on: bind port 0, read which port the kernel gave, and close again.
// 0 if the kernel gave none (no socket left, say).
int unused_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return 0;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
        port = ntohs(a.sin_port);
    ::close(fd);
    return port;
}

std::vector<std::string> split(const std::string& text, char sep) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (true) {
        std::size_t at = text.find(sep, start);
        out.push_back(text.substr(start, at == std::string::npos ? std::string::npos : at - start));
        if (at == std::string::npos) return out;
        start = at + 1;
    }
}

// Starts the chosen server in a thread and returns its port once it listens (0 on failure).
int start_server(const std::string& api, lab01::ServerConfig& cfg, std::thread& thread) {
    if (api == "asio") {
        std::promise<int> listening;
        auto port = listening.get_future();
        thread = std::thread([&cfg, p = std::move(listening)]() mutable {
            bool told = false;
            lab01::asio_serve(cfg, [&](int port) {
                p.set_value(port);
                told = true;
            });
            if (!told) p.set_value(0);
        });
        return port.get();
    }
    int fd = lab01::posix_listen(cfg);
    if (fd < 0) return 0;
    thread = std::thread([fd, &cfg] { lab01::posix_serve(fd, cfg); });
    return cfg.port;
}

int demo(const std::string& api, lab01::Framing framing, const std::string& capture, bool view) {
    say("demo", "lab 01, TCP sockets, with the %s API and %s framing", api == "asio" ? "Boost.Asio" : "POSIX",
        lab01::framing_name(framing));
    lab01::ServerConfig scfg;
    scfg.port = 0;
    scfg.framing = framing;
    scfg.read_delay_ms = 100;  // so that the client's writes pile up before the server reads
    scfg.stop = &g_stop;
    std::thread server;
    int port = start_server(api, scfg, server);
    if (!port) return 1;
    int closed_port = unused_port();
    if (!closed_port) {
        std::perror("demo: no free port for step 4");
        g_stop = true;
        server.join();
        return 1;
    }

    lab::Recorder recorder;
    if (!capture.empty())
        recorder.start(capture, "tcp port " + std::to_string(port) + " or tcp port " + std::to_string(closed_port));

    say("demo", "1. three writes with TCP_NODELAY: three segments on the wire, but the server reads once, 100 ms "
                "later, and gets all three: TCP keeps no boundaries. 2. three writes corked: one segment. "
                "3. half-close: the client's FIN, then the server still answers.");
    lab01::ClientConfig ccfg;
    ccfg.port = port;
    ccfg.framing = framing;
    ccfg.rounds = {{"one", "two", "three"}, {"four", "five", "six"}};
    ccfg.modes = {lab01::SendMode::nodelay, lab01::SendMode::cork};
    int rc = api == "asio" ? lab01::asio_client(ccfg) : lab01::posix_client(ccfg);

    say("demo", "4. a connection to port %d, where nobody listens", closed_port);
    lab01::posix_connect_refused("127.0.0.1", closed_port);

    g_stop = true;
    server.join();
    if (recorder.running()) {
        recorder.stop();
        say("demo", "in the capture: the handshake (SYN, SYN+ACK, ACK); round 1 as three data segments of 4, 4 and 6 "
                    "bytes; round 2 as one segment of 14; the client's FIN before the server's last data; the server's "
                    "FIN; and SYN answered by RST+ACK on port %d", closed_port);
        if (view) return lab::open_viewer(capture);
    }
    return rc;
}

}  // namespace

static int lab_main(int argc, char** argv) {
    std::string api = "posix", bind = "127.0.0.1", host = "127.0.0.1", framing_text = "newline", capture, send;
    int port = 5001, max_message = 64 * 1024, max_connections = 16, idle_timeout = 30;
    bool nodelay = false, cork = false, no_half_close = false, view = false;
    lab::Options opts("1", "Lab 01: TCP sockets, an echo server and client (POSIX calls or Boost.Asio)",
                      {"server", "client", "demo"},
                      "wirelab lab 1 demo --capture /tmp/lab01.pcapng      (both sides on loopback, narrated)\n"
                      "  wirelab lab 1 server --port 5001                  (terminal 1)\n"
                      "  wirelab lab 1 client --port 5001 --send 'one|two|three' --nodelay   (terminal 2)");
    opts.add("--api", &api, "posix or asio");
    opts.add("--port", &port, "server: port to listen on (0 picks a free one); client: port to connect to");
    opts.add("--bind", &bind, "server: address to listen on");
    opts.add("--host", &host, "client: server to connect to");
    opts.add("--framing", &framing_text, "none, newline or length (4-byte big-endian prefix)");
    opts.add("--send", &send, "client: messages separated by '|', one write each (default: lines from stdin)");
    opts.flag("--nodelay", &nodelay, "client: TCP_NODELAY, every write its own segment");
    opts.flag("--cork", &cork, "client: TCP_CORK, hold the writes and send them together");
    opts.flag("--no-half-close", &no_half_close, "client: close without shutdown(SHUT_WR) first");
    opts.add("--max-message", &max_message, "server: longest message in bytes");
    opts.add("--max-connections", &max_connections, "server: clients served at once");
    opts.add("--idle-timeout", &idle_timeout, "server: seconds of silence before a client is dropped");
    opts.add("--capture", &capture, "record the lab's traffic to this pcapng file");
    opts.flag("--view", &view, "open the capture in the viewer afterwards");
    if (!opts.parse(argc, argv)) return opts.exit_code();

    lab01::Framing framing;
    if (!lab01::parse_framing(framing_text, framing)) {
        std::fprintf(stderr, "wirelab lab 1: --framing must be none, newline or length, not '%s'\n", framing_text.c_str());
        return 2;
    }
    if (api != "posix" && api != "asio") {
        std::fprintf(stderr, "wirelab lab 1: --api must be posix or asio, not '%s'\n", api.c_str());
        return 2;
    }
    if (port < 0 || port > 65535 || max_message < 1 || max_connections < 1 || idle_timeout < 1) {
        std::fprintf(stderr, "wirelab lab 1: --port must be 0-65535 and the limits at least 1\n");
        return 2;
    }
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);

    if (opts.mode() == "demo") return demo(api, framing, capture, view);

    if (opts.mode() == "server") {
        lab::warn_if_not_loopback(bind);
        lab01::ServerConfig cfg;
        cfg.bind = bind;
        cfg.port = port;
        cfg.framing = framing;
        cfg.max_message = static_cast<std::size_t>(max_message);
        cfg.max_connections = max_connections;
        cfg.idle_timeout_s = idle_timeout;
        cfg.stop = &g_stop;
        std::thread server;
        int bound = start_server(api, cfg, server);
        if (!bound) return 1;
        lab::Recorder recorder;
        if (!capture.empty()) recorder.start(capture, "tcp port " + std::to_string(bound));
        server.join();
        if (recorder.running()) {
            recorder.stop();
            if (view) return lab::open_viewer(capture);
        }
        return 0;
    }

    lab01::ClientConfig cfg;
    cfg.host = host;
    cfg.port = port;
    cfg.framing = framing;
    cfg.half_close = !no_half_close;
    cfg.modes = {nodelay ? lab01::SendMode::nodelay : cork ? lab01::SendMode::cork : lab01::SendMode::nagle};
    if (!send.empty()) {
        cfg.rounds.push_back(split(send, '|'));
    } else {
        // Interactive: each line typed is one message, sent when Enter is pressed.
        say("client", "type messages, one per line; Ctrl+D to finish");
        cfg.more = [](std::vector<std::string>& round) {
            std::string line;
            if (!std::getline(std::cin, line)) return false;
            round.push_back(line);
            return true;
        };
    }
    lab::Recorder recorder;
    if (!capture.empty()) recorder.start(capture, "tcp port " + std::to_string(port));
    int rc = api == "asio" ? lab01::asio_client(cfg) : lab01::posix_client(cfg);
    if (recorder.running()) {
        recorder.stop();
        if (view) return lab::open_viewer(capture);
    }
    return rc;
}

int main(int argc, char** argv) { return lab::run_main("01", argc, argv, lab_main); }
