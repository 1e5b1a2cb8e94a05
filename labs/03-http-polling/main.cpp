// wirelab lab 03: a chat over HTTP/1.1 polling. `server` runs the chat server, `short-client`
// polls it every interval, `long-client` lets it hold each request until there is news, `send`
// posts messages, and `demo` runs all four on loopback and prints what each message cost.
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <thread>

#include "client.hpp"
#include "lab.hpp"
#include "server.hpp"

namespace lab = wirelab::lab;
using lab::say;

namespace {

struct Settings {
    lab03::ServerConfig server;
    lab03::PollOptions poll;
    int every_ms = 800;
    std::string text = "hello";
    std::string capture;
    bool view = false;
};

// Nearest-rank percentile of a copy: p in [0, 1].
double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    std::size_t rank = static_cast<std::size_t>(p * static_cast<double>(v.size()) + 0.999999);
    return v[std::clamp<std::size_t>(rank, 1, v.size()) - 1];
}

void print_header() {
    std::printf("\nWhat each delivered message cost (latency: from the server storing it to the client having it):\n");
    std::printf("  %-10s %8s %8s %8s %8s %6s %5s %9s %9s %8s %10s\n", "client", "messages", "p50 ms", "max ms",
                "requests", "empty", "conns", "req-head", "resp-head", "payload", "head B/msg");
}

void print_row(const char* name, const lab03::ClientStats& s, bool poller) {
    auto u = [](std::uint64_t v) { return static_cast<unsigned long long>(v); };
    std::uint64_t heads = s.request_head_bytes + s.response_head_bytes;
    char p50[32] = "-", max[32] = "-", empty[32] = "-";
    if (!s.latency_ms.empty()) {
        std::snprintf(p50, sizeof p50, "%.1f", percentile(s.latency_ms, 0.5));
        std::snprintf(max, sizeof max, "%.1f", percentile(s.latency_ms, 1.0));
    }
    if (poller) std::snprintf(empty, sizeof empty, "%llu", u(s.empty));
    std::printf("  %-10s %8llu %8s %8s %8llu %6s %5llu %9llu %9llu %8llu %10llu\n", name, u(s.messages), p50, max,
                u(s.requests), empty, u(s.connections), u(s.request_head_bytes), u(s.response_head_bytes),
                u(s.payload_bytes), u(s.messages ? heads / s.messages : 0));
}

void print_footer() {
    std::printf("  (bytes; req-head and resp-head are the HTTP heads sent and received, payload the message lines)\n");
}

// Starts the recorder for the lab's port if --capture was given. Call after the server bound
// and before the first client packet.
void start_capture(lab::Recorder& rec, const Settings& s, int port) {
    if (!s.capture.empty()) rec.start(s.capture, "tcp port " + std::to_string(port));
}

int finish(lab::Recorder& rec, const Settings& s, int code) {
    if (rec.running()) rec.stop();
    if (s.view && !s.capture.empty()) return lab::open_viewer(s.capture);
    return code;
}

int run_server(Settings& s) {
    lab::warn_if_not_loopback(s.server.bind);
    lab03::asio::io_context io;
    // Ctrl-C (or kill) ends the server cleanly, so the capture file is closed properly. Set
    // up before the server says it is listening: from then on it may be told to stop.
    lab03::asio::signal_set signals(io, SIGINT, SIGTERM);
    lab::Recorder rec;
    signals.async_wait([&](boost::system::error_code, int) {
        say("server", "interrupted: stopping");
        io.stop();
    });
    lab03::Server server(io, s.server);
    if (std::string err = server.listen(); !err.empty()) {
        std::fprintf(stderr, "server: %s\n", err.c_str());
        return 1;
    }
    start_capture(rec, s, server.port());
    io.run();
    return finish(rec, s, 0);
}

int run_client(const std::string& mode, Settings& s) {
    lab::Recorder rec;
    start_capture(rec, s, s.poll.port);
    lab03::ClientStats stats;
    bool ok = mode == "short-client" ? lab03::run_short_poller(s.poll, stats)
              : mode == "long-client" ? lab03::run_long_poller(s.poll, stats)
                                      : lab03::run_sender(s.poll, s.every_ms, s.text, stats);
    print_header();
    print_row(mode == "short-client" ? "short-poll" : mode == "long-client" ? "long-poll" : "sender", stats,
              mode != "send");
    print_footer();
    return finish(rec, s, ok ? 0 : 1);
}

int run_demo(Settings& s) {
    if (s.poll.count <= 0) s.poll.count = 5;
    say("demo", "a chat server, a sender posting %d messages every %d ms, a short poller asking every %d ms and a "
                "long poller the server holds up to %d s",
        s.poll.count, s.every_ms, s.poll.interval_ms, s.poll.wait_s);
    lab03::asio::io_context io;
    lab03::Server server(io, s.server);
    if (std::string err = server.listen(); !err.empty()) {
        std::fprintf(stderr, "server: %s\n", err.c_str());
        return 1;
    }
    std::thread server_thread([&] { io.run(); });
    lab::Recorder rec;
    start_capture(rec, s, server.port());

    lab03::PollOptions o = s.poll;
    o.host = "127.0.0.1";
    o.port = server.port();
    // However the run goes, it ends: a client that has not seen every message by then gives up.
    o.give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(2000 + s.poll.count * s.every_ms) +
                std::chrono::seconds(s.poll.wait_s);
    lab03::ClientStats shorts, longs, sender;
    bool short_ok = false, long_ok = false;
    std::thread short_thread([&] { short_ok = lab03::run_short_poller(o, shorts); });
    std::thread long_thread([&] { long_ok = lab03::run_long_poller(o, longs); });
    // Let the pollers ask for a second with nothing to tell them: that is what polling costs
    // while a chat is quiet.
    std::this_thread::sleep_for(std::chrono::seconds(1));
    bool send_ok = lab03::run_sender(o, s.every_ms, s.text, sender);
    short_thread.join();
    long_thread.join();
    // Give the server a moment to see the clients' FINs, so the capture ends with every
    // connection closed.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    if (rec.running()) rec.stop();
    server.stop();
    io.stop();
    server_thread.join();

    print_header();
    print_row("short-poll", shorts, true);
    print_row("long-poll", longs, true);
    print_row("sender", sender, false);
    print_footer();
    std::printf("\nShort polling asked %llu times for %llu messages and heard \"nothing new\" %llu times; long polling "
                "asked %llu times, and each answer left the server as soon as the message arrived.\n",
                static_cast<unsigned long long>(shorts.requests), static_cast<unsigned long long>(shorts.messages),
                static_cast<unsigned long long>(shorts.empty), static_cast<unsigned long long>(longs.requests));
    bool ok = short_ok && long_ok && send_ok;
    if (!ok) std::printf("demo: a client did not finish (see above)\n");
    return finish(rec, s, ok ? 0 : 1);
}

}  // namespace

static int lab_main(int argc, char** argv) {
    Settings s;
    lab::Options opts("03", "Lab 03: a chat over HTTP/1.1 short and long polling, and what each message costs.",
                      {"server", "short-client", "long-client", "send", "demo"},
                      "wirelab lab 3 demo --port 0 --capture /tmp/lab03.pcapng");
    opts.add("--port", &s.server.port, "server port (0 picks a free one); clients connect to it");
    opts.add("--bind", &s.server.bind, "server address to listen on");
    opts.add("--host", &s.poll.host, "server address the clients connect to");
    opts.add("--count", &s.poll.count, "messages to send, or to receive before stopping (0: no end)");
    opts.add("--interval-ms", &s.poll.interval_ms, "short poll: time between requests");
    opts.add("--wait", &s.poll.wait_s, "long poll: seconds the server may hold a request (1-120)");
    opts.add("--every-ms", &s.every_ms, "send: time between messages");
    opts.add("--text", &s.text, "send: the message text (a number is appended)");
    opts.flag("--browser-headers", &s.poll.browser_headers, "clients send the header fields a browser would");
    int max_connections = static_cast<int>(s.server.max_connections);
    int max_head = static_cast<int>(s.server.max_head);
    int max_body = static_cast<int>(s.server.max_body);
    opts.add("--max-connections", &max_connections, "server: connections at once; more get 503");
    opts.add("--max-head", &max_head, "server: bytes of request line and headers; more get 431");
    opts.add("--max-body", &max_body, "server: bytes of a message; more get 413");
    opts.add("--idle-s", &s.server.idle_timeout_s, "server: seconds a connection may wait between requests");
    opts.add("--capture", &s.capture, "record the lab's traffic to this pcapng file");
    opts.flag("--view", &s.view, "open the capture in the viewer at the end");
    if (!opts.parse(argc, argv)) return opts.exit_code();

    auto bad = [&](const char* what) {
        std::fprintf(stderr, "wirelab lab 03: %s\n\n", what);
        opts.print_usage(stderr);
        return 2;
    };
    if (s.poll.interval_ms < 10 || s.poll.interval_ms > 60000) return bad("--interval-ms wants 10 to 60000");
    if (s.poll.wait_s < 1 || s.poll.wait_s > 120) return bad("--wait wants 1 to 120 seconds");
    if (s.every_ms < 0 || s.poll.count < 0) return bad("--every-ms and --count cannot be negative");
    if (max_connections < 1 || max_head < 256 || max_body < 1 || s.server.idle_timeout_s < 1)
        return bad("the server limits want --max-connections >= 1, --max-head >= 256, --max-body >= 1, --idle-s >= 1");
    if (opts.mode() != "server" && opts.mode() != "demo" && s.server.port == 0)
        return bad("a client needs the server's port: --port N (the server prints it)");
    if (s.view && s.capture.empty()) return bad("--view opens the capture: give --capture FILE too");
    s.server.max_connections = static_cast<std::size_t>(max_connections);
    s.server.max_head = static_cast<std::size_t>(max_head);
    s.server.max_body = static_cast<std::size_t>(max_body);
    s.poll.port = s.server.port;

    const std::string& mode = opts.mode();
    if (mode == "server") return run_server(s);
    if (mode == "demo") return run_demo(s);
    return run_client(mode, s);
}

int main(int argc, char** argv) { return lab::run_main("03", argc, argv, lab_main); }
