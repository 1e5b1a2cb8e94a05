// Lab 04, WebSocket framing: the command line. `wirelab lab 4 MODE [options]`.
#include <cstdio>
#include <cstring>
#include <string>

#include "echo_server.hpp"
#include "lab.hpp"
#include "peer.hpp"

static int lab_main(int argc, char** argv) {
    namespace lab = wirelab::lab;
    lab04::PeerOptions p;
    lab04::EchoOptions e;
    std::string send_help;  // --send may be given many times; see below
    int max_message = 16 << 20, threads = 1, max_connections = 0;
    double idle = 300, handshake = 10;
    lab::Options opts("4",
                      "Lab 04, WebSocket framing: the opening handshake (Sec-WebSocket-Key to Sec-WebSocket-Accept)\n"
                      "and every frame drawn bit by bit: FIN, RSV, opcode, MASK, 7/16/64-bit lengths, masking key.\n"
                      "  demo         both sides on loopback, narrated (handshake, lengths 5 to 65536, fragments,\n"
                      "               ping/pong, server pushes while the client sends, the close handshake)\n"
                      "  server       a narrated server: echoes messages and pushes its own every --push-every s\n"
                      "  client       connects to --url (or --host/--port), sends --send TEXT... or lines you type\n"
                      "               (/ping TEXT, /binary N, /frag A|B|C, /close CODE REASON)\n"
                      "  echo-server  a fast echo server (the target for conformance suites and benchmarks)",
                      {"demo", "server", "client", "echo-server"},
                      "wirelab lab 4 demo --capture /tmp/lab04.pcapng --view");
    opts.add("--port", &p.port, "TCP port (0 picks a free one)");
    opts.add("--bind", &p.bind, "address the servers listen on");
    opts.add("--host", &p.host, "client: server to connect to");
    opts.add("--url", &p.url, "client: ws://HOST:PORT/PATH (instead of --host and --port)");
    opts.add("--send", &send_help, "client: a message to send (repeat for more); without it, stdin lines");
    opts.add("--wait", &p.wait_s, "client: seconds to wait for the replies before closing");
    opts.add("--push-every", &p.push_every_s, "server: seconds between the messages it pushes (0: none)");
    opts.add("--max-message", &max_message, "largest message accepted, in bytes (bigger: close 1009)");
    opts.add("--max-connections", &max_connections, "connections served at once (0: 16 for server, 10000 for echo-server)");
    opts.add("--idle", &idle, "seconds without traffic before the server closes a connection (1001)");
    opts.add("--handshake-timeout", &handshake, "seconds a client has to send its whole opening handshake");
    opts.add("--threads", &threads, "echo-server: threads running the io_context");
    opts.add("--capture", &p.capture, "record the lab's traffic to this pcapng file (demo, server, client)");
    opts.flag("--view", &p.view, "open the capture in the viewer afterwards");
    opts.flag("--quiet", &p.quiet, "no transcript (echo-server: only the listening line)");
    if (!opts.parse(argc, argv)) return opts.exit_code();

    // lab::Options keeps the last value of an option; --send is the one option a student
    // repeats, so collect every occurrence here.
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--send") == 0 && i + 1 < argc) p.send.emplace_back(argv[++i]);
        else if (std::strncmp(argv[i], "--send=", 7) == 0) p.send.emplace_back(argv[i] + 7);
    }
    if (max_message < 1 || threads < 1 || threads > 64 || idle <= 0 || handshake <= 0 || p.wait_s < 0 || p.push_every_s < 0 ||
        max_connections < 0) {
        std::fprintf(stderr, "wirelab lab 4: --max-message, --threads (1-64), --idle and --handshake-timeout must be positive; --wait, "
                             "--push-every and --max-connections not negative\n\n");
        opts.print_usage(stderr);
        return 2;
    }
    if (p.port < 0 || p.port > 65535) {
        std::fprintf(stderr, "wirelab lab 4: --port %d is not a TCP port\n", p.port);
        return 2;
    }
    p.max_message = static_cast<std::uint64_t>(max_message);
    p.idle_s = idle;
    p.handshake_s = handshake;
    if (max_connections > 0) p.max_connections = max_connections;

    if (opts.mode() == "echo-server") {
        e.bind = p.bind;
        e.port = p.port;
        e.max_message = p.max_message;
        e.threads = threads;
        e.idle_s = idle;
        e.handshake_s = handshake;
        e.quiet = p.quiet;
        if (max_connections > 0) e.max_connections = max_connections;
        return lab04::run_echo_server(e);
    }
    lab::Narrator::get().quiet(p.quiet);
    if (opts.mode() == "server") return lab04::run_server(p);
    if (opts.mode() == "client") return lab04::run_client(p);
    return lab04::run_demo(p);
}

int main(int argc, char** argv) { return wirelab::lab::run_main("04", argc, argv, lab_main); }
