// The transport under the chat server: HTTP/1.1 connections (keep-alive, requests answered
// now or later, which is what long-polling needs) that can switch to WebSocket (RFC 6455).
// Requests are parsed with core's HTTP parser and frames with core's WebSocket codec.
#pragma once

#include <boost/asio.hpp>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "wirelab/websocket.hpp"

namespace sioserver {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct Request {
    std::string method, target, path, query;
    std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
    std::string body;
    bool keep_alive = true;

    std::string header(std::string_view name) const;  // "" if absent
    std::string param(std::string_view key) const;     // a query parameter, percent-decoded
};

struct Response {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::string content_type = "text/plain; charset=UTF-8";
    bool head = false;  // the answer to HEAD: the headers of a GET, no body (RFC 9110 section 9.3.2)
};

struct Limits {
    std::size_t max_head = 16 * 1024;        // request line and headers: 431 above
    std::size_t max_body = 1'000'000;        // request body: 413 above
    std::size_t max_message = 1'000'000;     // WebSocket message: close 1009 above
    std::size_t max_connections = 10'000;    // 503 above
    std::size_t max_queued = 16u << 20;      // bytes waiting to be written: a slow reader is dropped
    int idle_timeout_s = 60;                 // an HTTP connection with no (complete) request for this long
};

class Connection;

// What the application does with requests and WebSocket messages.
class Handler {
public:
    virtual ~Handler() = default;
    // A complete request. Answer it with conn->respond() now or later (a long poll), or with
    // conn->accept_websocket().
    virtual void on_request(const std::shared_ptr<Connection>& conn, Request& req) = 0;
    virtual void on_ws_message(const std::shared_ptr<Connection>& conn, bool binary, std::string&& data) = 0;
    // The connection is gone (peer closed, error, or we closed it); called once.
    virtual void on_close(const std::shared_ptr<Connection>& conn) = 0;
};

// A WebSocket frame ready to send: built once, shared by every connection it is broadcast to.
using Frame = std::shared_ptr<const std::string>;
Frame make_frame(std::uint8_t opcode, std::string_view payload);

class Connection : public std::enable_shared_from_this<Connection> {
public:
    Connection(tcp::socket socket, Handler& handler, const Limits& limits, std::size_t& live);
    ~Connection();
    void start();

    // Answers the request being handled; the next request is read after it.
    void respond(const Response& r);
    bool awaiting_response() const { return awaiting_; }
    // Answers the Upgrade request with 101 and switches to WebSocket frames.
    void accept_websocket(const Request& req);
    void send_frame(Frame f);
    void send_ws(bool binary, std::string_view payload) { send_frame(make_frame(binary ? wirelab::ws::kBinary : wirelab::ws::kText, payload)); }
    // WebSocket close handshake (or, for HTTP, just closes after pending writes).
    void close(std::uint16_t code = wirelab::ws::kNormal, std::string_view reason = {});
    // Drops the TCP connection at once, with no close handshake and no goodbye (an RST): what
    // a broken network looks like to the peer. Lab 07 cuts clients with it.
    void abort();
    bool open() const { return open_; }
    bool websocket() const { return websocket_; }
    const std::string& peer() const { return peer_; }
    std::size_t queued_bytes() const { return queued_bytes_; }

    // Whatever the application wants to remember about this connection (its Engine.IO session).
    std::shared_ptr<void> user;

private:
    void do_read();
    void on_read(boost::system::error_code ec);
    void process_http();
    void process_ws();
    void fail_http(int status, const std::string& why);
    void fail_ws(std::uint16_t code, const std::string& why);
    void queue(Frame bytes);
    void do_write();
    void on_write(boost::system::error_code ec, std::size_t n);
    void shutdown();
    void arm_idle();

    tcp::socket socket_;
    Handler& handler_;
    const Limits& limits_;
    std::size_t& live_;
    std::string peer_;
    asio::steady_timer idle_;
    static constexpr std::size_t kReadChunk = 64 * 1024;  // bytes one read takes at most
    static constexpr std::size_t kMaxWriteBuffers = 64;   // frames one write sends at most
    std::vector<std::uint8_t> in_;     // bytes read and not yet used
    std::size_t in_used_ = 0;
    std::deque<Frame> out_;            // written in order, several at a time
    std::size_t writing_ = 0;          // buffers of out_ in the current async_write
    bool flush_posted_ = false;        // a write of out_ is posted to run after this handler
    std::vector<asio::const_buffer> bufs_;  // the buffers of the current write
    std::size_t queued_bytes_ = 0;
    bool open_ = true, closing_ = false, awaiting_ = false, keep_alive_ = true;
    bool websocket_ = false, close_sent_ = false, peer_closed_ = false, read_paused_ = false;
    bool dropping_ = false;  // over max_queued: shutdown() is posted
    // WebSocket message being reassembled from fragments.
    bool in_message_ = false;
    std::uint8_t message_opcode_ = 0;
    std::string message_;
    wirelab::ws::Utf8Validator utf8_;
};

class Listener {
public:
    Listener(asio::io_context& io, Handler& handler, Limits limits);
    // Binds and listens; false with the reason in `err`.
    bool listen(const std::string& address, int port, std::string& err);
    int port() const;
    void close();
    std::size_t connections() const { return live_; }

private:
    void do_accept();
    tcp::acceptor acceptor_;
    Handler& handler_;
    Limits limits_;
    std::size_t live_ = 0;
};

// Serves a file from `root` for a request path, refusing anything that would leave `root`
// (../, %2e%2e, absolute paths, symlinks pointing out).
Response static_file(const std::string& root, std::string_view path);

std::string percent_decode(std::string_view s);

}  // namespace sioserver
