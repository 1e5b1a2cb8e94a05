// Lab 03's HTTP/1.1 chat server: POST /messages stores a message, GET /messages?since=N answers
// at once (short poll), GET /messages?since=N&wait=S holds the request until a message arrives
// or S seconds pass (long poll). One thread, Boost.Asio, persistent connections (RFC 9112
// section 9.3).
#pragma once

#include <boost/asio.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "chat_log.hpp"

namespace lab03 {

namespace asio = boost::asio;

struct ServerConfig {
    std::string bind = "127.0.0.1";
    int port = 8080;
    std::size_t max_connections = 64;
    std::size_t max_head = 8 * 1024;  // request line + header fields; more is answered 431
    std::size_t max_body = 4 * 1024;  // a chat message; more is answered 413
    int idle_timeout_s = 30;          // a connection with no request for this long is closed
};

// What the sessions share: the chat, the limits and how many connections are open.
struct ServerState {
    ServerConfig config;
    ChatLog log;
    std::size_t open = 0;
    std::uint64_t accepted = 0;
};

class Server {
public:
    Server(asio::io_context& io, ServerConfig config);
    // Binds and listens. Returns an error text, empty on success; then port() is the real
    // port (the one the kernel picked when asked for port 0).
    std::string listen();
    unsigned short port() const { return port_; }
    // Stops accepting; the open connections end when their clients close them.
    void stop();

private:
    void do_accept();
    void on_accept(boost::system::error_code ec, asio::ip::tcp::socket socket);

    asio::io_context& io_;
    asio::ip::tcp::acceptor acceptor_;
    // Shared with the sessions: one may outlive the Server object while the io_context
    // destroys its pending handlers.
    std::shared_ptr<ServerState> state_ = std::make_shared<ServerState>();
    unsigned short port_ = 0;
};

}  // namespace lab03
