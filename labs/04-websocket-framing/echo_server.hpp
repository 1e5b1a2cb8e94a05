// `echo-server`: a fast WebSocket echo server, the usual target of conformance suites and of
// the benchmark against Boost.Beast and ws.
#pragma once

#include <cstdint>
#include <string>

namespace lab04 {

struct EchoOptions {
    std::string bind = "127.0.0.1";
    int port = 9004;
    std::uint64_t max_message = 16u << 20;
    int threads = 1;
    int max_connections = 10000;
    double idle_s = 300;       // an open connection with no traffic for this long is closed (1001)
    double handshake_s = 10;   // the whole HTTP request must arrive within this
    bool quiet = false;
};

// Runs until SIGINT or SIGTERM; returns the exit code.
int run_echo_server(const EchoOptions& options);

}  // namespace lab04
