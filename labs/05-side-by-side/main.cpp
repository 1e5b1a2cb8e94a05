// wirelab lab 05: the same messages over raw TCP, UDP, HTTP short polling, HTTP long polling and
// WebSocket, side by side. `hub` runs the server side, `receive` one receiver against it, and
// `demo` runs a hub and N receivers of each kind on loopback, sends one receiver of each kind
// away for a while, records the traffic and prints what each transport cost.
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <thread>

#include "hub.hpp"
#include "lab.hpp"
#include "receiver.hpp"
#include "report.hpp"

namespace lab = wirelab::lab;
using lab::say;
using Clock = std::chrono::steady_clock;

namespace {

struct Settings {
    lab05::HubConfig hub;
    int port = 0;        // hub: the first of five ports in a row (0: any free ones); receive: the transport's port
    std::string host = "127.0.0.1";
    std::string transport = "tcp";
    int receivers = 3;
    int messages = 50;
    double rate = 25;    // messages a second
    int away = -1;       // messages published while receiver 1 is away (-1: a fifth of them)
    int poll_ms = 100;
    int wait_s = 10;
    int max_connections = 64;
    int max_queued = 1024;
    std::string capture, markdown_file, svg_file;
    bool view = false;
};

// Every message is "message N from the hub": a typical chat line is about this long.
std::string text_of(int n) { return "message " + std::to_string(n) + " from the hub"; }

// The BPF filter for the hub's five ports: the recorder keeps nothing else from "lo".
std::string capture_filter(const lab05::Hub& hub) {
    std::string f;
    for (lab05::Transport t : lab05::kTransports) {
        if (!f.empty()) f += " or ";
        f += (t == lab05::Transport::udp ? "udp port " : "tcp port ") + std::to_string(hub.port(t));
    }
    return f;
}

// Publishes messages first..last at the rate, each on its own tick of the steady clock (not
// "sleep, send": that would drift by however long each send takes).
void publish_range(lab05::Hub& hub, int first, int last, double rate, Clock::time_point& next) {
    auto period = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / rate));
    say("demo", "publishing messages %d to %d", first, last);
    for (int n = first; n <= last; ++n) {
        std::this_thread::sleep_until(next);
        hub.publish(text_of(n));
        next += period;
    }
}

// Waits until `ready` is true or the deadline passes; the demo's way to let the other side catch up.
template <typename Ready>
bool wait_for(Ready ready, Clock::time_point deadline) {
    while (!ready()) {
        if (Clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

int finish(lab::Recorder& rec, const Settings& s, int code) {
    if (rec.running()) rec.stop();
    if (s.view && !s.capture.empty()) return lab::open_viewer(s.capture);
    return code;
}

int run_hub(Settings& s) {
    lab::warn_if_not_loopback(s.hub.bind);
    lab05::asio::io_context io;
    lab05::Hub hub(io, s.hub);
    if (std::string err = hub.listen(); !err.empty()) {
        std::fprintf(stderr, "hub: %s\n", err.c_str());
        return 1;
    }
    lab::Recorder rec;
    if (!s.capture.empty()) rec.start(s.capture, capture_filter(hub));
    std::thread io_thread([&] { io.run(); });
    // Ctrl-C (or SIGTERM) ends the hub cleanly, so the capture file is closed properly.
    lab05::asio::io_context signals_io;
    lab05::asio::signal_set signals(signals_io, SIGINT, SIGTERM);
    std::atomic<bool> stopping{false};
    signals.async_wait([&](boost::system::error_code, int) {
        say("hub", "interrupted: stopping");
        stopping = true;
    });
    std::thread signal_thread([&] { signals_io.run(); });
    say("hub", "publishing %d messages at %.1f a second (0: for ever); start receivers with "
               "`wirelab lab 5 receive --transport KIND --port PORT`", s.messages, s.rate);
    Clock::time_point next = Clock::now();
    auto period = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / s.rate));
    for (int n = 1; !stopping && (s.messages == 0 || n <= s.messages); ++n) {
        std::this_thread::sleep_until(next);
        if (!stopping) hub.publish(text_of(n));
        next += period;
    }
    if (!stopping) say("hub", "all %d published; the pollers can still ask for them (Ctrl-C ends)", s.messages);
    while (!stopping) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    signal_thread.join();
    hub.stop();
    io_thread.join();
    return finish(rec, s, 0);
}

int run_receive(Settings& s) {
    lab05::ReceiverPlan plan;
    lab05::parse_transport(s.transport, plan.kind);
    plan.who = s.transport;
    plan.host = s.host;
    plan.port = static_cast<unsigned short>(s.port);
    plan.count = static_cast<std::uint64_t>(s.messages);
    plan.poll_ms = s.poll_ms;
    plan.wait_s = s.wait_s;
    plan.narrate_each = true;
    // A receiver waits at most this long for the whole run.
    plan.give_up = Clock::now() + std::chrono::seconds(30) +
                   std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s.messages / s.rate));
    lab05::ReceiverLog log = lab05::run_receiver(plan);
    std::vector<double> latencies;
    for (const auto& a : log.arrivals) latencies.push_back(a.latency_ms);
    std::sort(latencies.begin(), latencies.end());
    if (!latencies.empty())
        std::printf("\n%zu messages over %s, latency median %.3f ms, worst %.3f ms, %llu connection(s)\n",
                    latencies.size(), std::string(lab05::transport_label(plan.kind)).c_str(),
                    latencies[latencies.size() / 2], latencies.back(),
                    static_cast<unsigned long long>(log.connections));
    return log.finished ? 0 : 1;
}

int run_demo(Settings& s, const std::string& command) {
    const int away = s.away >= 0 ? s.away : s.messages / 5;
    // Receiver 1 of each kind leaves after a third of the messages and misses `away` of them.
    const int left_after = s.messages / 3;
    if (left_after < 1 || left_after + away >= s.messages) {
        std::fprintf(stderr, "demo: --away %d does not fit in --messages %d (it needs some before and after)\n", away,
                     s.messages);
        return 2;
    }
    say("demo", "one hub, %d receivers each over tcp, udp, short polls, long polls and WebSocket; %d messages at "
                "%.1f a second; receiver 1 of each kind goes away after message %d and misses %d",
        s.receivers, s.messages, s.rate, left_after, away);
    lab05::asio::io_context io;
    lab05::Hub hub(io, s.hub);
    if (std::string err = hub.listen(); !err.empty()) {
        std::fprintf(stderr, "hub: %s\n", err.c_str());
        return 1;
    }
    std::thread io_thread([&] { io.run(); });
    lab::Recorder rec;
    bool recording = !s.capture.empty() && rec.start(s.capture, capture_filter(hub));

    // The receivers, one thread each: receiver 1 of each kind is the one that goes away.
    lab05::AwayGate gate;
    const auto give_up = Clock::now() + std::chrono::seconds(20) +
                         std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s.messages / s.rate));
    std::vector<std::vector<lab05::ReceiverLog>> logs(lab05::kTransportCount,
                                                      std::vector<lab05::ReceiverLog>(static_cast<std::size_t>(s.receivers)));
    std::vector<std::thread> threads;
    for (lab05::Transport t : lab05::kTransports) {
        for (int i = 0; i < s.receivers; ++i) {
            lab05::ReceiverPlan plan;
            plan.kind = t;
            plan.who = std::string(lab05::transport_name(t)) + "#" + std::to_string(i + 1);
            plan.port = hub.port(t);
            plan.last_seq = static_cast<std::uint64_t>(s.messages);
            plan.leave_after = i == 0 && away > 0 ? static_cast<std::uint64_t>(left_after) : 0;
            plan.gate = &gate;
            plan.poll_ms = s.poll_ms;
            plan.wait_s = s.wait_s;
            plan.give_up = give_up;
            threads.emplace_back([plan, &log = logs[lab05::index_of(t)][static_cast<std::size_t>(i)]] {
                log = lab05::run_receiver(plan);
            });
        }
    }
    // The push transports deliver only to whoever is there: wait until all are.
    auto all_present = [&](int n) {
        return [&hub, n] {
            return hub.present(lab05::Transport::tcp) == n && hub.present(lab05::Transport::udp) == n &&
                   hub.present(lab05::Transport::ws) == n;
        };
    };
    bool ok = wait_for(all_present(s.receivers), Clock::now() + std::chrono::seconds(5));
    if (!ok) say("demo", "not every push receiver connected in 5 s; going on anyway");

    Clock::time_point next = Clock::now();
    publish_range(hub, 1, left_after, s.rate, next);
    if (away > 0) {
        // Wait for one receiver of each kind to leave, and for the hub to have noticed.
        ok = wait_for([&] { return gate.gone() == static_cast<int>(lab05::kTransportCount); },
                      Clock::now() + std::chrono::seconds(5)) &&
             wait_for(all_present(s.receivers - 1), Clock::now() + std::chrono::seconds(5));
        if (!ok) say("demo", "the away receivers did not all leave in 5 s; the away counts will be off");
        say("demo", "one receiver of each kind is away, and the hub knows it");
        next = Clock::now();
        publish_range(hub, left_after + 1, left_after + away, s.rate, next);
        // Let the last of them reach the receivers that are there before the others come back.
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        gate.open();
        if (!wait_for(all_present(s.receivers), Clock::now() + std::chrono::seconds(5)))
            say("demo", "not every push receiver came back in 5 s");
        next = Clock::now();
    }
    publish_range(hub, left_after + away + 1, s.messages, s.rate, next);
    for (auto& t : threads) t.join();
    // A moment for the last FINs to cross, so the capture ends with every connection closed.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (rec.running()) rec.stop();
    hub.stop();
    io_thread.join();

    lab05::Run run;
    run.receivers = s.receivers;
    run.messages = static_cast<std::uint64_t>(s.messages);
    run.rate = s.rate;
    run.left_after = static_cast<std::uint64_t>(left_after);
    run.away = static_cast<std::uint64_t>(away);
    run.command = command;
    run.chart = s.svg_file.substr(s.svg_file.rfind('/') + 1);
    std::array<lab05::WireTotals, lab05::kTransportCount> wire{};
    if (recording) {
        std::array<unsigned short, lab05::kTransportCount> ports{};
        for (lab05::Transport t : lab05::kTransports) ports[lab05::index_of(t)] = hub.port(t);
        std::string err = lab05::measure_capture(s.capture, ports, wire);
        run.have_wire = err.empty();
        run.wire_note = err;
    } else {
        run.wire_note = s.capture.empty() ? "run with --capture FILE to measure the wire"
                                          : "the capture could not be started (see above)";
    }
    bool all_finished = true;
    for (lab05::Transport t : lab05::kTransports) {
        lab05::Row row = lab05::summarise(t, hub.port(t), logs[lab05::index_of(t)], run);
        row.wire = wire[lab05::index_of(t)];
        all_finished = all_finished && row.errors.empty();
        run.rows.push_back(row);
    }
    lab05::print_table(run);
    auto write_file = [](const std::string& path, const std::string& text) {
        std::ofstream out(path, std::ios::binary);
        out << text;
        if (!out) std::fprintf(stderr, "demo: cannot write %s\n", path.c_str());
        else say("demo", "wrote %s", path.c_str());
        return static_cast<bool>(out);
    };
    if (!s.markdown_file.empty()) all_finished = write_file(s.markdown_file, lab05::markdown(run)) && all_finished;
    if (!s.svg_file.empty()) all_finished = write_file(s.svg_file, lab05::svg_chart(run)) && all_finished;
    if (!all_finished) std::printf("demo: a receiver did not get what it should have (see PROBLEM above)\n");
    return finish(rec, s, all_finished ? 0 : 1);
}

}  // namespace

static int lab_main(int argc, char** argv) {
    Settings s;
    lab::Options opts("05", "Lab 05: the same messages over raw TCP, UDP, HTTP short and long polling and WebSocket, "
                            "measured side by side.",
                      {"demo", "hub", "receive"},
                      "wirelab lab 5 demo --capture /tmp/lab05.pcapng --markdown /tmp/lab05.md --svg /tmp/lab05.svg");
    opts.add("--receivers", &s.receivers, "demo: receivers of each kind (1-20)");
    opts.add("--messages", &s.messages, "messages to publish (hub: 0 for ever); receive: stop after this many");
    opts.add("--rate", &s.rate, "messages a second (0.1-1000)");
    opts.add("--away", &s.away, "demo: messages receiver 1 of each kind misses while away (-1: a fifth of --messages)");
    opts.add("--poll-ms", &s.poll_ms, "short polling: time between requests (10-10000)");
    opts.add("--wait", &s.wait_s, "long polling: seconds the hub may hold a request (1-60)");
    opts.add("--port", &s.port, "hub: first of five ports in a row, tcp udp short long ws (0: free ones); "
                                "receive: the hub's port for --transport");
    opts.add("--bind", &s.hub.bind, "hub: address to listen on");
    opts.add("--host", &s.host, "receive: the hub's address");
    opts.add("--transport", &s.transport, "receive: tcp, udp, short, long or ws");
    opts.add("--max-connections", &s.max_connections, "hub: TCP connections at once");
    opts.add("--max-queued", &s.max_queued, "hub: messages waiting for one receiver that does not read; more drops it");
    opts.add("--sndbuf", &s.hub.send_buffer, "hub: SO_SNDBUF of each TCP connection in bytes (0: the kernel's)");
    opts.add("--idle-s", &s.hub.idle_timeout_s, "hub: seconds an HTTP connection may wait between requests");
    opts.add("--capture", &s.capture, "record the hub's five ports to this pcapng file");
    opts.add("--markdown", &s.markdown_file, "demo: write the table as Markdown to this file");
    opts.add("--svg", &s.svg_file, "demo: write the bar chart as SVG to this file");
    opts.flag("--view", &s.view, "open the capture in the viewer at the end");
    if (!opts.parse(argc, argv)) return opts.exit_code();

    auto bad = [&](const char* what) {
        std::fprintf(stderr, "wirelab lab 05: %s\n\n", what);
        opts.print_usage(stderr);
        return 2;
    };
    lab05::Transport kind;
    const std::string& mode = opts.mode();
    if (s.receivers < 1 || s.receivers > 20) return bad("--receivers wants 1 to 20");
    if (s.messages < 0 || s.messages > 100000 || (mode == "demo" && s.messages < 3))
        return bad("--messages wants 3 to 100000 (the hub also takes 0: for ever)");
    if (!(s.rate >= 0.1 && s.rate <= 1000)) return bad("--rate wants 0.1 to 1000 messages a second");
    if (s.poll_ms < 10 || s.poll_ms > 10000) return bad("--poll-ms wants 10 to 10000");
    if (s.wait_s < 1 || s.wait_s > 60) return bad("--wait wants 1 to 60 seconds");
    if (s.max_connections < 1 || s.hub.idle_timeout_s < 1 || s.max_queued < 1)
        return bad("--max-connections, --max-queued and --idle-s want >= 1");
    if (s.hub.send_buffer < 0 || s.hub.send_buffer > (64 << 20)) return bad("--sndbuf wants 0 to 64 MiB");
    if (s.port < 0 || s.port > 65535 - 4) return bad("--port wants 0 to 65531");
    if (!lab05::parse_transport(s.transport, kind)) return bad("--transport wants tcp, udp, short, long or ws");
    if (mode == "receive" && s.port == 0) return bad("receive needs the hub's port: --port N (the hub prints it)");
    if (s.view && s.capture.empty()) return bad("--view opens the capture: give --capture FILE too");
    if (mode != "demo" && (!s.markdown_file.empty() || !s.svg_file.empty()))
        return bad("--markdown and --svg are written by the demo");
    s.hub.max_connections = static_cast<std::size_t>(s.max_connections);
    s.hub.max_queued = static_cast<std::size_t>(s.max_queued);
    s.hub.max_wait_s = 60;
    for (lab05::Transport t : lab05::kTransports)
        s.hub.ports[lab05::index_of(t)] = s.port == 0 ? 0 : s.port + static_cast<int>(lab05::index_of(t));

    if (mode == "hub") return run_hub(s);
    if (mode == "receive") return run_receive(s);
    std::string command = "./wirelab lab 5";
    for (int i = 1; i < argc; ++i) command += std::string(" ") + argv[i];
    return run_demo(s, command);
}

int main(int argc, char** argv) { return lab::run_main("05", argc, argv, lab_main); }
