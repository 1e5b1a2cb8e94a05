// Lab 02, UDP datagrams: a sender and a receiver of numbered datagrams, and a demo that runs
// both on loopback. UDP (RFC 768) keeps message boundaries and has no connection; it also
// promises nothing, so the lab's sequence numbers show what goes missing, twice or late.
#include <algorithm>
#include <sstream>
#include <thread>
#include <unistd.h>

#include "lab.hpp"
#include "lab02.hpp"

namespace lab = wirelab::lab;

namespace {

struct Settings {
    std::string bind = "127.0.0.1", to = "127.0.0.1", sizes = "64", capture;
    int port = 5002, count = 10, seed = 1, rcvbuf = 0, stall_ms = 0, idle_ms = 2000, runs = 0;
    int end_delay_ms = 0, frag_size = 4000;
    double interval_ms = 0, loss = 0, dup = 0, reorder = 0;
    bool view = false;
};

bool parse_sizes(const std::string& text, std::vector<int>& out) {
    out.clear();
    std::stringstream in(text);
    std::string item;
    while (std::getline(in, item, ',')) {
        char* end = nullptr;
        long v = std::strtol(item.c_str(), &end, 10);
        if (item.empty() || *end || v < static_cast<long>(lab02::kHeaderSize) || v > static_cast<long>(lab02::kMaxPayload))
            return false;
        out.push_back(static_cast<int>(v));
    }
    return !out.empty();
}

int receiver(const Settings& o) {
    lab::warn_if_not_loopback(o.bind);
    int port = 0;
    int fd = lab02::open_receiver(o.bind, o.port, o.rcvbuf, port);
    if (fd < 0) return 1;
    // The recording is closed when the receiver stops, so it needs a last run to stop after.
    lab::Recorder recorder;
    if (!o.capture.empty() && o.runs == 0)
        lab::say("receiver", "not recording: --capture in receiver mode needs --runs N (or record with the sender)");
    else if (!o.capture.empty())
        recorder.start(o.capture, "udp port " + std::to_string(port));
    lab02::ReceiverConfig cfg;
    cfg.idle_ms = o.idle_ms;
    cfg.stall_ms = o.stall_ms;
    for (int run = 1; o.runs == 0 || run <= o.runs; ++run) {
        lab02::RunReport r = lab02::receive_run(fd, cfg);
        lab02::say_report(r);
    }
    recorder.stop();
    ::close(fd);
    return 0;
}

lab02::SenderConfig sender_config(const Settings& o, std::vector<int> sizes) {
    lab02::SenderConfig s;
    lab02::ipv4_address(o.to, o.port, s.to);
    s.count = static_cast<std::uint32_t>(o.count);
    s.sizes = std::move(sizes);
    s.interval_ms = o.interval_ms;
    s.loss = o.loss;
    s.dup = o.dup;
    s.reorder = o.reorder;
    s.seed = static_cast<std::uint32_t>(o.seed);
    s.end_delay_ms = o.end_delay_ms;
    s.narrate_each = o.count <= 50;
    return s;
}

// One part of the demo: a receiver thread on `fd` and a sender in this thread.
struct Part {
    lab02::RunReport got;
    lab02::SenderResult sent;
};
Part run_part(int fd, const lab02::ReceiverConfig& rc, const lab02::SenderConfig& sc) {
    Part p;
    std::thread receiver([&] { p.got = lab02::receive_run(fd, rc); });
    p.sent = lab02::send_run(sc);
    receiver.join();
    lab02::say_report(p.got);
    return p;
}

void headline(const char* text) {
    lab::say("demo", "");
    lab::say("demo", "--- %s ---", text);
}

int demo(const Settings& o) {
    // Three receivers, bound before anything is sent (and before the recording starts), so no
    // datagram can arrive at a port nobody has bound yet.
    int ports[3] = {};
    int fds[3] = {};
    int rcvbufs[3] = {0, 0, 4096};
    for (int i = 0; i < 3; ++i) {
        fds[i] = lab02::open_receiver("127.0.0.1", o.port == 0 ? 0 : o.port + i, rcvbufs[i], ports[i]);
        if (fds[i] < 0) return 1;
    }
    lab::Recorder recorder;
    if (!o.capture.empty()) {
        char filter[128];
        std::snprintf(filter, sizeof filter, "udp port %d or udp port %d or udp port %d", ports[0], ports[1], ports[2]);
        recorder.start(o.capture, filter);
    }
    bool ok = true;
    Settings s = o;

    headline("1. boundaries: every recvmsg() returns exactly one datagram, whole");
    lab::say("demo", "five datagrams of different sizes, sent before the receiver reads any of them; TCP would "
             "hand the receiver one stream of bytes, UDP keeps each message apart");
    s.port = ports[0];
    s.count = 5;
    lab02::ReceiverConfig rc;
    rc.idle_ms = 500;
    rc.wait_ms = 3000;
    rc.stall_ms = 200;
    std::vector<int> sizes = {64, 1400, 20, 8000, 300};
    Part p1 = run_part(fds[0], rc, sender_config(s, sizes));
    bool same = p1.got.sizes.size() == sizes.size();
    for (std::size_t i = 0; same && i < sizes.size(); ++i) same = p1.got.sizes[i] == static_cast<std::size_t>(sizes[i]);
    lab::say("demo", "%s", same ? "each datagram came out as it went in: 64, 1400, 20, 8000 and 300 bytes "
                                  "(8000 > 1500, yet no fragments: loopback's MTU is 65536)"
                                : "the sizes differ from what was sent!");
    ok &= same;

    headline("2. loss, duplicates and reordering, injected by the sender with a seeded generator");
    s.port = ports[1];
    s.count = 40;
    s.interval_ms = 2;
    s.loss = s.dup = s.reorder = 0.1;
    rc.stall_ms = 0;
    Part p2 = run_part(fds[1], rc, sender_config(s, {64}));
    auto sorted = [](lab02::Faults f) {
        for (auto* v : {&f.lost, &f.duplicated, &f.out_of_order}) std::sort(v->begin(), v->end());
        return f;
    };
    lab02::Faults a = sorted(p2.sent.injected), b = sorted(p2.got.seen);
    bool equal = a.lost == b.lost && a.duplicated == b.duplicated && a.out_of_order == b.out_of_order;
    lab::say("demo", "%s", equal ? "the receiver found exactly what the sender did, from the sequence numbers alone"
                                 : "the receiver's findings differ from what the sender did!");
    ok &= equal;

    headline("3. a receiver too slow for its sender: real drops in the socket's receive buffer");
    lab::say("demo", "the receiver asked for a 4096-byte buffer and is busy for 300 ms; the sender sends 400 "
             "datagrams of 200 bytes, 0.25 ms apart, and nothing slows it down: UDP has no flow control");
    s.port = ports[2];
    s.count = 400;
    // A quarter of a millisecond apart: far too fast for a receiver that is not reading, and
    // slow enough for the recording to keep every datagram (the capture shows all 400 on the
    // wire; the receiver gets a handful).
    s.interval_ms = 0.25;
    s.loss = s.dup = s.reorder = 0;
    s.end_delay_ms = 800;  // the receiver drains its buffer before the end datagram comes
    rc.stall_ms = 300;
    rc.idle_ms = 2000;
    Part p3 = run_part(fds[2], rc, sender_config(s, {200}));
    std::size_t gaps = p3.got.seen.lost.size();
    lab::say("demo", "%zu sequence numbers missing, the kernel counted %u drops: %s", gaps, p3.got.kernel_drops,
             gaps == p3.got.kernel_drops ? "they agree, every loss happened in the receive buffer"
                                         : "they DIFFER");
    ok &= gaps > 0 && gaps == p3.got.kernel_drops;
    for (int fd : fds) ::close(fd);
    recorder.stop();

    headline("4. IP fragmentation: a datagram bigger than the link's MTU");
    std::string frag_capture;
    if (!o.capture.empty()) {
        std::string::size_type dot = o.capture.rfind(".pcap");
        frag_capture = (dot == std::string::npos ? o.capture : o.capture.substr(0, dot)) + "-fragments.pcapng";
    }
    lab02::FragResult fragments = lab02::run_fragments(o.frag_size, frag_capture);
    ok &= fragments != lab02::FragResult::failed;

    lab::say("demo", "");
    lab::say("demo", "%s", !ok ? "done, but something differed (see above)"
                           : fragments == lab02::FragResult::skipped ? "done: parts 1-3 behaved as the README says; part 4 was skipped"
                                                                     : "done: every part behaved as the README says");
    return ok ? 0 : 1;
}

}  // namespace

static int lab_main(int argc, char** argv) {
    Settings o;
    lab::Options opts("2", "Lab 02: UDP datagrams. Boundaries kept, no connection; sequence numbers reveal "
                      "loss, duplicates and reordering; IP fragments.",
                      {"receiver", "sender", "demo", "fragments"},
                      "wirelab lab 2 receiver --port 5002   and in another terminal:   "
                      "wirelab lab 2 sender --port 5002 --count 20 --loss 0.1 --dup 0.1 --reorder 0.1 --seed 7");
    opts.add("--port", &o.port, "receiver: port to bind (0 picks a free one); sender: port to send to; demo: first "
             "of three ports (0: free ones)");
    opts.add("--bind", &o.bind, "receiver: address to bind (anything but 127.0.0.1 is reachable from the network)");
    opts.add("--to", &o.to, "sender: the receiver's IPv4 address");
    opts.add("--count", &o.count, "sender: how many datagrams");
    opts.add("--size", &o.sizes, "sender: datagram size in bytes, or sizes used in turn: 64,1400,300 (20..65507)");
    opts.add("--interval-ms", &o.interval_ms, "sender: pause between datagrams, in milliseconds (0.25 works)");
    opts.add("--loss", &o.loss, "sender: probability of not sending a datagram, as if lost (0..1)");
    opts.add("--dup", &o.dup, "sender: probability of sending a datagram twice (0..1)");
    opts.add("--reorder", &o.reorder, "sender: probability of holding one back until after the next (0..1)");
    opts.add("--seed", &o.seed, "sender and demo: seed of the fault generator; the same seed repeats the same faults");
    opts.add("--end-delay-ms", &o.end_delay_ms, "sender: wait before the end-of-run datagram");
    opts.add("--rcvbuf", &o.rcvbuf, "receiver: SO_RCVBUF in bytes (0: the system default)");
    opts.add("--stall-ms", &o.stall_ms, "receiver: be busy this long when a run's first datagram arrives");
    opts.add("--idle-ms", &o.idle_ms, "receiver: a run ends after this long without a datagram");
    opts.add("--runs", &o.runs, "receiver: stop after this many runs (0: run until Ctrl-C)");
    opts.add("--frag-size", &o.frag_size, "fragments and demo: size of the big datagram");
    opts.add("--capture", &o.capture, "record the lab's traffic to this pcapng file (demo: fragments go to FILE-fragments.pcapng)");
    opts.flag("--view", &o.view, "open the capture in the viewer at the end");
    if (!opts.parse(argc, argv)) return opts.exit_code();

    auto bad = [&](const char* what) {
        std::fprintf(stderr, "wirelab lab 2: %s\n\n", what);
        opts.print_usage(stderr);
        return 2;
    };
    std::vector<int> sizes;
    if (!parse_sizes(o.sizes, sizes)) return bad("--size wants sizes from 20 (the lab's header) to 65507 bytes");
    if (o.port < 0 || o.port > 65535) return bad("--port must be 0..65535");
    if (o.count < 1 || o.count > static_cast<int>(lab02::kMaxCount)) return bad("--count must be 1..1000000");
    for (double p : {o.loss, o.dup, o.reorder})
        if (p < 0 || p > 1) return bad("--loss, --dup and --reorder are probabilities, 0..1");
    if (o.frag_size < 1500 || o.frag_size > static_cast<int>(lab02::kMaxPayload))
        return bad("--frag-size must be 1500..65507 (smaller ones fit in one packet)");
    if (!(o.interval_ms >= 0) || o.stall_ms < 0 || o.end_delay_ms < 0 || o.rcvbuf < 0 || o.idle_ms < 1 || o.runs < 0)
        return bad("times, --rcvbuf and --runs cannot be negative, --idle-ms must be at least 1");

    const std::string& mode = opts.mode();
    int rc = 0;
    if (mode == "receiver") {
        rc = receiver(o);
    } else if (mode == "sender") {
        if (o.port == 0) return bad("the sender needs the receiver's --port");
        lab02::SenderConfig s = sender_config(o, sizes);
        if (!lab02::ipv4_address(o.to, o.port, s.to)) return bad("--to wants an IPv4 address such as 127.0.0.1");
        // The sender records only when it runs with the receiver on this machine (loopback).
        lab::Recorder recorder;
        if (!o.capture.empty()) recorder.start(o.capture, "udp port " + std::to_string(o.port));
        rc = lab02::send_run(s).ok ? 0 : 1;
        recorder.stop();
    } else if (mode == "demo") {
        rc = demo(o);
    } else {
        rc = lab02::run_fragments(o.frag_size, o.capture) == lab02::FragResult::ok ? 0 : 1;
    }
    if (o.view && !o.capture.empty() && ::access(o.capture.c_str(), R_OK) == 0) return lab::open_viewer(o.capture);
    return rc;
}

int main(int argc, char** argv) { return lab::run_main("02", argc, argv, lab_main); }
