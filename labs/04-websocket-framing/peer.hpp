// The narrated WebSocket endpoints of lab 04: `server` (echoes, and pushes messages of its own
// while the client sends), `client` (sends what you type), and `demo` (both on loopback, every
// frame drawn bit by bit).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lab04 {

struct PeerOptions {
    std::string bind = "127.0.0.1";
    std::string host = "127.0.0.1";
    std::string url;                 // ws://host:port/path, overrides --host/--port
    std::string path = "/";
    int port = 9004;
    std::uint64_t max_message = 16u << 20;
    int max_connections = 16;
    double idle_s = 300;
    double handshake_s = 10;         // server: seconds for the whole opening handshake
    double push_every_s = 2;         // server: one message of its own every this many seconds
    double wait_s = 3;               // client: how long to wait for replies before closing
    std::vector<std::string> send;   // client: messages to send instead of reading stdin
    std::string capture;
    bool view = false;
    bool quiet = false;
};

int run_server(const PeerOptions& options);
int run_client(const PeerOptions& options);
int run_demo(const PeerOptions& options);

}  // namespace lab04
