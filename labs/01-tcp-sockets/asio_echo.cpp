// Lab 01 again with Boost.Asio: the same echo protocol, but the server is asynchronous. Each
// step is a pair: do_read() starts an operation and returns at once; on_read() runs when it
// completes. One thread runs every session; nobody blocks.
#include <boost/asio.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <netinet/tcp.h>
#include <thread>

#include "echo.hpp"
#include "lab.hpp"

namespace lab01 {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using wirelab::lab::say;

namespace {

void fail(boost::system::error_code ec, const char* what) { say("server", "%s: %s", what, ec.message().c_str()); }

std::string endpoint_name(const tcp::endpoint& e) { return e.address().to_string() + ":" + std::to_string(e.port()); }

// One connected client: owns its socket, its framing state and its queue of replies. A
// session keeps itself alive with shared_from_this() while an operation is pending.
class Session : public std::enable_shared_from_this<Session> {
public:
    Session(tcp::socket socket, const ServerConfig& cfg, int& live)
        : socket_(std::move(socket)), cfg_(cfg), splitter_(cfg.framing, cfg.max_message), idle_(socket_.get_executor()),
          live_(live) {
        boost::system::error_code ec;
        name_ = endpoint_name(socket_.remote_endpoint(ec));
        ++live_;
    }
    ~Session() { --live_; }

    void start() { do_read(); }

private:
    void do_read() {
        // The idle timer closes a client that says nothing for --idle-timeout seconds.
        idle_.expires_after(std::chrono::seconds(cfg_.idle_timeout_s));
        idle_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
            if (ec) return;  // cancelled: data came in time
            say("server", "%s was idle for %d s (--idle-timeout): closing", self->name_.c_str(), self->cfg_.idle_timeout_s);
            self->queue("error: idle for " + std::to_string(self->cfg_.idle_timeout_s) + " s, closing\n", true);
        });
        socket_.async_read_some(asio::buffer(buf_), [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
            self->on_read(ec, n);
        });
    }

    void on_read(boost::system::error_code ec, std::size_t n) {
        idle_.cancel();
        if (ec == asio::error::eof) {
            // The client sent FIN: it is done sending but still reads. Answer, then close.
            say("server", "async_read_some: end of stream from %s (its FIN); a last message, then our FIN",
                name_.c_str());
            queue(encode(cfg_.framing, "bye: you sent " + std::to_string(messages_) + " messages, " +
                                           std::to_string(bytes_) + " bytes"),
                  true);
            return;
        }
        if (ec) {
            if (ec != asio::error::operation_aborted) fail(ec, "read");
            return;
        }
        say("server", "async_read_some read %zu bytes from %s: \"%s\"", n, name_.c_str(),
            printable(std::string_view(buf_.data(), n)).c_str());
        if (!splitter_.feed(buf_.data(), n)) {
            say("server", "%s: %s; closing", name_.c_str(), splitter_.error().c_str());
            queue("error: " + splitter_.error() + "\n", true);
            return;
        }
        std::string msg;
        while (splitter_.next(msg)) {
            ++messages_;
            bytes_ += msg.size();
            queue(encode(cfg_.framing, msg), false);
        }
        if (cfg_.read_delay_ms > 0) {
            // Like the POSIX version, let writes pile up before the next read (for the demo).
            idle_.expires_after(std::chrono::milliseconds(cfg_.read_delay_ms));
            idle_.async_wait([self = shared_from_this()](boost::system::error_code) { self->do_read(); });
            return;
        }
        do_read();
    }

    // Writes go through a queue: Asio allows one async_write on a socket at a time.
    void queue(std::string data, bool close_after) {
        close_after_ |= close_after;
        writes_.push_back(std::move(data));
        if (writes_.size() == 1) do_write();
    }

    void do_write() {
        asio::async_write(socket_, asio::buffer(writes_.front()),
                          [self = shared_from_this()](boost::system::error_code ec, std::size_t) { self->on_write(ec); });
    }

    void on_write(boost::system::error_code ec) {
        if (ec) return fail(ec, "write");
        writes_.pop_front();
        if (!writes_.empty()) return do_write();
        if (close_after_) {
            boost::system::error_code ignored;
            socket_.shutdown(tcp::socket::shutdown_both, ignored);
            socket_.close(ignored);
            idle_.cancel();
        }
    }

    tcp::socket socket_;
    const ServerConfig& cfg_;
    Splitter splitter_;
    asio::steady_timer idle_;
    int& live_;
    std::string name_;
    std::array<char, 64 * 1024> buf_{};
    std::deque<std::string> writes_;
    bool close_after_ = false;
    int messages_ = 0;
    std::size_t bytes_ = 0;
};

class Server {
public:
    Server(asio::io_context& io, const ServerConfig& cfg) : acceptor_(io), cfg_(cfg) {}

    bool listen() {
        boost::system::error_code ec;
        tcp::endpoint ep(asio::ip::make_address(cfg_.bind, ec), static_cast<unsigned short>(cfg_.port));
        if (ec) {
            say("server", "--bind %s is not an IP address: %s", cfg_.bind.c_str(), ec.message().c_str());
            return false;
        }
        // open + set_option + bind + listen: the same four steps as the POSIX version.
        acceptor_.open(ep.protocol(), ec);
        if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
        if (!ec) acceptor_.bind(ep, ec);
        if (!ec) acceptor_.listen(16, ec);
        if (ec) {
            say("server", "cannot listen on %s: %s", endpoint_name(ep).c_str(), ec.message().c_str());
            return false;
        }
        say("server", "acceptor open, bound and listening on %s", endpoint_name(acceptor_.local_endpoint()).c_str());
        return true;
    }
    int port() const { return acceptor_.local_endpoint().port(); }
    void do_accept() {
        acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) { on_accept(ec, std::move(socket)); });
    }
    void close() { acceptor_.close(); }

private:
    void on_accept(boost::system::error_code ec, tcp::socket socket) {
        if (ec) {
            if (ec != asio::error::operation_aborted) fail(ec, "accept");
            return;
        }
        boost::system::error_code ignored;
        std::string peer = endpoint_name(socket.remote_endpoint(ignored));
        if (live_ >= cfg_.max_connections) {
            say("server", "refusing %s: already %d connections (--max-connections)", peer.c_str(), cfg_.max_connections);
            std::string msg = "error: server full (" + std::to_string(cfg_.max_connections) + " connections)\n";
            asio::write(socket, asio::buffer(msg), ignored);
        } else {
            say("server", "accepted a connection from %s", peer.c_str());
            std::make_shared<Session>(std::move(socket), cfg_, live_)->start();
        }
        do_accept();
    }

    tcp::acceptor acceptor_;
    const ServerConfig& cfg_;
    int live_ = 0;
};

}  // namespace

int asio_serve(ServerConfig cfg, const std::function<void(int)>& on_listening) {
    asio::io_context io;
    Server server(io, cfg);
    if (!server.listen()) return 1;
    cfg.port = server.port();
    server.do_accept();
    // Stop on Ctrl+C, or when the demo sets cfg.stop (checked by a timer).
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](boost::system::error_code, int) { io.stop(); });
    asio::steady_timer poll_stop(io);
    std::function<void()> check = [&] {
        poll_stop.expires_after(std::chrono::milliseconds(100));
        poll_stop.async_wait([&](boost::system::error_code ec) {
            if (ec) return;
            if (cfg.stop && cfg.stop->load()) {
                // No new clients; give the sessions half a second for their last writes.
                server.close();
                signals.cancel();
                poll_stop.expires_after(std::chrono::milliseconds(500));
                poll_stop.async_wait([&](boost::system::error_code) { io.stop(); });
                return;
            }
            check();
        });
    };
    check();
    if (on_listening) on_listening(cfg.port);
    io.run();
    return 0;
}

int asio_client(const ClientConfig& cfg) {
    // The client is synchronous: each call blocks until done, like the POSIX calls, but with
    // Asio's types and error codes.
    asio::io_context io;
    tcp::resolver resolver(io);
    boost::system::error_code ec;
    auto endpoints = resolver.resolve(cfg.host, std::to_string(cfg.port), ec);
    if (ec) {
        say("client", "resolve %s: %s", cfg.host.c_str(), ec.message().c_str());
        return 1;
    }
    tcp::socket socket(io);
    asio::connect(socket, endpoints, ec);  // tries each address until one connects
    if (ec) {
        say("client", "connect to %s port %d: %s", cfg.host.c_str(), cfg.port, ec.message().c_str());
        return 1;
    }
    say("client", "connected: %s -> %s", endpoint_name(socket.local_endpoint()).c_str(),
        endpoint_name(socket.remote_endpoint()).c_str());
    Splitter splitter(cfg.framing, 1 << 20);
    std::array<char, 64 * 1024> buf{};
    std::size_t expected = 0, got = 0, sent_bytes = 0, received_bytes = 0;
    auto read_echoes = [&](bool to_end) {
        while (to_end || (cfg.framing == Framing::none ? received_bytes < sent_bytes : got < expected)) {
            std::size_t n = socket.read_some(asio::buffer(buf), ec);
            if (ec) {
                if (ec == asio::error::eof) say("client", "end of stream: the server closed its side too (its FIN)");
                else say("client", "read: %s", ec.message().c_str());
                return;
            }
            received_bytes += n;
            splitter.feed(buf.data(), n);
            std::string msg;
            while (splitter.next(msg)) {
                ++got;
                say("client", "echo: \"%s\"", printable(msg).c_str());
            }
        }
    };
    std::vector<std::string> round;
    for (std::size_t r = 0; next_round(cfg, r, round); ++r) {
        SendMode mode = cfg.modes.empty() ? SendMode::nagle : cfg.modes[std::min(r, cfg.modes.size() - 1)];
        socket.set_option(tcp::no_delay(mode == SendMode::nodelay));
        // Asio has no name for TCP_CORK; a socket option class for any integer option does it.
        using cork = asio::detail::socket_option::boolean<IPPROTO_TCP, TCP_CORK>;
        socket.set_option(cork(mode == SendMode::cork));
        say("client", "round %zu: %zu write%s with %s", r + 1, round.size(), round.size() == 1 ? "" : "s",
            send_mode_name(mode));
        for (const std::string& m : round) {
            std::string wire = encode(cfg.framing, m);
            asio::write(socket, asio::buffer(wire), ec);
            if (ec) {
                say("client", "write: %s", ec.message().c_str());
                return 1;
            }
            sent_bytes += wire.size();
            ++expected;
            say("client", "  write(%zu bytes: \"%s\")", wire.size(), printable(wire).c_str());
        }
        if (mode == SendMode::cork) socket.set_option(cork(false));
        read_echoes(false);
    }
    if (cfg.half_close) {
        socket.shutdown(tcp::socket::shutdown_send, ec);
        say("client", "shutdown(send): our FIN is sent; reading until the server closes");
        read_echoes(true);
    }
    socket.close(ec);
    say("client", "closed; %zu bytes sent, %zu bytes received", sent_bytes, received_bytes);
    return 0;
}

}  // namespace lab01
