// The echo server and client of lab 01, twice: with the plain POSIX socket calls
// (posix_echo.cpp) and with Boost.Asio (asio_echo.cpp). Both speak the same protocol, so a
// POSIX client can talk to an Asio server and back.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "framing.hpp"

namespace lab01 {

struct ServerConfig {
    std::string bind = "127.0.0.1";
    int port = 5001;                      // 0: let the kernel pick a free one
    Framing framing = Framing::newline;
    std::size_t max_message = 64 * 1024;  // bytes
    int max_connections = 16;
    int idle_timeout_s = 30;
    int read_delay_ms = 0;  // wait this long after data arrives before reading it (the demo uses
                            // it so that several writes pile up in the receive buffer)
    const std::atomic<bool>* stop = nullptr;  // set to end the server (the demo does)
};

// How the client hands its writes to TCP.
enum class SendMode {
    nagle,    // the default: Nagle's algorithm may hold small writes until the last one is ACKed
    nodelay,  // TCP_NODELAY: each write goes out at once, as its own segment
    cork,     // TCP_CORK: hold everything until uncorked, then send full segments
};

struct ClientConfig {
    std::string host = "127.0.0.1";
    int port = 5001;
    Framing framing = Framing::newline;
    // Rounds of messages: each round's messages are written with one send() each, back to
    // back, then the client reads the echoes.
    std::vector<std::vector<std::string>> rounds;
    // Further rounds, asked for when the fixed ones are done (the interactive client reads a
    // line from the terminal); false ends the session.
    std::function<bool(std::vector<std::string>&)> more;
    std::vector<SendMode> modes;  // one per round (the last one repeats)
    bool half_close = true;       // shutdown(SHUT_WR) after the last round, then read to the end
};

// POSIX: listen() and return the socket (port filled in), or -1 with the reason said.
int posix_listen(ServerConfig& cfg);
// POSIX: serve clients on `listen_fd` with poll() until cfg.stop is set.
int posix_serve(int listen_fd, const ServerConfig& cfg);
int posix_client(const ClientConfig& cfg);
// Connects to a port nobody listens on and shows the RST that answers the SYN.
void posix_connect_refused(const std::string& host, int port);

// Boost.Asio: the same server; `on_listening(port)` is called once it accepts.
int asio_serve(ServerConfig cfg, const std::function<void(int)>& on_listening);
int asio_client(const ClientConfig& cfg);

const char* send_mode_name(SendMode m);
// Round `r` of the client's messages: a fixed one, or one from cfg.more.
bool next_round(const ClientConfig& cfg, std::size_t r, std::vector<std::string>& round);

}  // namespace lab01
