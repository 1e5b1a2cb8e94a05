// Lab 03's chat server (see server.hpp): one Session per TCP connection reads requests with
// core's HTTP parser, answers them, and parks long polls in the ChatLog until a message comes.
#include "server.hpp"

#include <array>
#include <chrono>
#include <memory>

#include "lab.hpp"
#include "wirelab/http.hpp"

namespace lab03 {

namespace http = wirelab::http;
using asio::ip::tcp;
using wirelab::lab::say;

namespace {

const char* reason(int status) {
    switch (status) {
        case 200: return "OK";
        case 201: return "Created";
        case 204: return "No Content";
        case 400: return "Bad Request";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 408: return "Request Timeout";
        case 411: return "Length Required";
        case 413: return "Content Too Large";
        case 414: return "URI Too Long";
        case 431: return "Request Header Fields Too Large";
        case 501: return "Not Implemented";
        case 503: return "Service Unavailable";
        case 505: return "HTTP Version Not Supported";
        default: return "Unknown";
    }
}

// Request bytes go into the transcript; a control character from the network must not reach
// the terminal (escape sequences can rewrite what the screen shows).
std::string printable(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
    return out;
}

std::string endpoint_text(const tcp::socket& s) {
    boost::system::error_code ec;
    tcp::endpoint e = s.remote_endpoint(ec);
    return ec ? std::string("?") : e.address().to_string() + ":" + std::to_string(e.port());
}

class Session : public std::enable_shared_from_this<Session> {
public:
    Session(tcp::socket socket, std::shared_ptr<ServerState> state)
        : socket_(std::move(socket)), owner_(std::move(state)), state_(*owner_), idle_timer_(socket_.get_executor()),
          wait_timer_(socket_.get_executor()), number_(++state_.accepted) {
        ++state_.open;
    }
    ~Session() { --state_.open; }

    void start() {
        say("server", "accept() gave us connection #%llu from %s (%zu open)", ull(number_),
            endpoint_text(socket_).c_str(), state_.open);
        if (state_.open > state_.config.max_connections) {
            // Over the limit: say so in HTTP rather than just closing, so the client knows
            // to come back later (RFC 9110 section 15.6.4).
            reply(503, "too many connections (limit " + std::to_string(state_.config.max_connections) + ")\n",
                  true);
            return;
        }
        await_request();
    }

private:
    static unsigned long long ull(std::uint64_t v) { return static_cast<unsigned long long>(v); }

    // Between requests the connection may sit idle only so long: a client that went away
    // without closing (or one that sends a header a byte a minute) must not hold a slot forever.
    // Reads do not restart the clock: the whole request must arrive within --idle-s.
    void await_request() {
        idle_timer_.expires_after(std::chrono::seconds(state_.config.idle_timeout_s));
        idle_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
            if (ec || !self->socket_.is_open()) return;  // cancelled: a request came in time
            if (!self->in_.empty()) {
                // Part of a request came, not all of it (slowloris): 408 says the server gave
                // up waiting (RFC 9110 section 15.5.9), and the connection closes.
                return self->refuse(408, "no complete request in " + std::to_string(self->state_.config.idle_timeout_s) +
                                             " s");
            }
            say("server", "#%llu idle for %d s without a complete request: closing it", ull(self->number_),
                self->state_.config.idle_timeout_s);
            self->close();
        });
        process();
    }

    // A request may already be in the buffer (a client may send the next one before reading
    // the answer: pipelining, RFC 9112 section 9.3.2), so look there before reading more.
    void process() {
        http::Message m;
        http::Limits limits;
        limits.max_head = state_.config.max_head;
        http::Result r = http::parse_head(in_, m, limits);
        if (r.status == http::Status::error) return refuse(r.http_status, r.error);
        if (r.status == http::Status::incomplete) return do_read();

        // Where does the body end? A request has one only if it says how long it is
        // (RFC 9112 section 6.3); this server wants Content-Length, not chunks.
        std::uint64_t length = 0;
        std::string error;
        http::BodyKind kind = http::body_kind(m, m.method, length, error);
        if (!error.empty()) return refuse(400, error);
        if (kind == http::BodyKind::chunked) return refuse(411, "send the message with a Content-Length");
        if (length > state_.config.max_body)
            return refuse(413, "a message is at most " + std::to_string(state_.config.max_body) + " bytes, this one says " +
                                   std::to_string(length));
        if (in_.size() < m.head_length + length) return do_read();

        idle_timer_.cancel();
        handle(m, std::string_view(in_).substr(m.head_length, length));
        // The answer is built (or the request is parked); the request's bytes can go.
        in_.erase(0, m.head_length + length);
    }

    // The buffer stays bounded without a check here: parse_head refuses a head over max_head
    // and process() refuses a body over max_body before either is read in full.
    void do_read() {
        // recv(), asynchronously: whatever bytes have arrived, up to 4 KiB. A request may take
        // several reads, or one read may hold several requests.
        socket_.async_read_some(asio::buffer(chunk_),
                                [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                                    self->on_read(ec, n);
                                });
    }

    void on_read(boost::system::error_code ec, std::size_t n) {
        if (ec == asio::error::eof) {
            say("server", "#%llu: the client closed the connection%s", ull(number_),
                in_.empty() ? "" : " in the middle of a request");
            return close();
        }
        if (ec) return fail(ec, "read");
        in_.append(chunk_.data(), n);
        process();
    }

    void handle(const http::Message& m, std::string_view body) {
        // RFC 9112 section 9.3: HTTP/1.1 keeps the connection open unless a side says
        // "Connection: close"; HTTP/1.0 closes unless it says "keep-alive".
        if (m.version != "HTTP/1.1" && m.version != "HTTP/1.0") return refuse(505, "this server speaks HTTP/1.1");
        keep_alive_ = m.version == "HTTP/1.1" ? !m.header_has_token("Connection", "close")
                                              : m.header_has_token("Connection", "keep-alive");
        // RFC 9112 section 3.2: an HTTP/1.1 request without Host is answered 400.
        if (m.version == "HTTP/1.1" && !m.header("Host")) return refuse(400, "an HTTP/1.1 request needs a Host header");

        std::string_view target = m.uri;
        std::string_view path = target.substr(0, target.find('?'));
        std::string_view query = path.size() < target.size() ? target.substr(path.size() + 1) : std::string_view{};
        std::string what = std::string(m.method) + " " + printable(target.substr(0, 100));

        if (path != "/messages") {
            say("server", "#%llu %s -> 404: the only resource here is /messages", ull(number_), what.c_str());
            return reply(404, "the only resource here is /messages\n");
        }
        if (m.method == "POST") return on_post(what, body);
        if (m.method != "GET") {
            say("server", "#%llu %s -> 405: /messages takes GET and POST", ull(number_), what.c_str());
            return reply(405, "/messages takes GET and POST\n", false, "Allow: GET, POST\r\n");
        }
        PollQuery q;
        if (std::string err = parse_poll_query(query, q); !err.empty()) {
            say("server", "#%llu %s -> 400: %s", ull(number_), what.c_str(), err.c_str());
            return reply(400, err + "\n");
        }
        std::vector<ChatMessage> news = state_.log.after(q.since);
        if (!news.empty() || q.wait_s == 0) {
            // A short poll answers at once, with or without news; so does a long poll whose
            // client is behind.
            say("server", "#%llu %s -> %s", ull(number_), what.c_str(),
                news.empty() ? "204 nothing new" : ("200 with " + std::to_string(news.size()) + " message(s)").c_str());
            return answer_poll(news);
        }
        // Long poll with nothing to say yet: keep the request open. No answer is written and
        // no further request is read on this connection until a message arrives or the wait
        // runs out; the client is blocked in its read() meanwhile.
        say("server", "#%llu %s -> nothing after %llu yet: holding the request (up to %u s)", ull(number_),
            what.c_str(), ull(q.since), q.wait_s);
        hold(q);
    }

    void on_post(const std::string& what, std::string_view body) {
        if (!valid_text(body)) {
            say("server", "#%llu %s -> 400: empty, or has a tab or line break", ull(number_), what.c_str());
            return reply(400, "a message is one line of text without tabs\n");
        }
        std::uint64_t id = state_.log.post(std::string(body), now_us());
        say("server", "#%llu %s -> 201: stored message %llu (%zu bytes), waking %zu held long poll(s)", ull(number_),
            what.c_str(), ull(id), body.size(), state_.log.waiting());
        reply(201, std::to_string(id) + "\n");
        // The held polls answer now, each on its own connection: this is where long polling
        // gets its low latency.
        state_.log.wake();
    }

    void hold(PollQuery q) {
        held_since_ = std::chrono::steady_clock::now();
        holding_ = true;
        // The ChatLog keeps a weak reference: if the wait runs out first, the timer below
        // cancels the ticket; the session is kept alive by that timer's handler.
        ticket_ = state_.log.wait([weak = weak_from_this(), since = q.since] {
            if (auto self = weak.lock()) self->release(since);
        });
        wait_timer_.expires_after(std::chrono::seconds(q.wait_s));
        wait_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
            if (ec || !self->holding_) return;
            self->holding_ = false;
            self->state_.log.cancel(self->ticket_);
            say("server", "#%llu long poll waited %.3f s, no message: 204", ull(self->number_), self->held_for());
            self->answer_poll({});
        });
    }

    void release(std::uint64_t since) {
        if (!holding_) return;
        holding_ = false;
        wait_timer_.cancel();
        std::vector<ChatMessage> news = state_.log.after(since);
        say("server", "#%llu held long poll released after %.3f s: 200 with %zu message(s)", ull(number_), held_for(),
            news.size());
        answer_poll(news);
    }

    double held_for() const {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - held_since_).count();
    }

    // 200 with the messages, or 204 (no body at all: RFC 9110 section 15.3.5) when there are none.
    void answer_poll(const std::vector<ChatMessage>& news) {
        if (news.empty()) return reply(204, "");
        reply(200, format_messages(news));
    }

    // A request we cannot make sense of, or will not take: say why, then close, because we
    // cannot tell where the next request would start in what follows.
    void refuse(int status, const std::string& error) {
        std::string why = printable(error);
        say("server", "#%llu bad request -> %d %s: %s (closing)", ull(number_), status, reason(status), why.c_str());
        reply(status, why + "\n", true);
    }

    void reply(int status, const std::string& body, bool close = false, const std::string& extra = "") {
        if (close) keep_alive_ = false;
        out_ = "HTTP/1.1 " + std::to_string(status) + " " + reason(status) + "\r\n";
        if (status != 204) {
            out_ += "Content-Type: text/plain; charset=utf-8\r\n";
            out_ += "Content-Length: " + std::to_string(body.size()) + "\r\n";
        }
        // Polling answers change from one second to the next; no cache may keep them
        // (RFC 9111 section 5.2.2.5).
        out_ += "Cache-Control: no-store\r\n";
        out_ += extra;
        if (!keep_alive_) out_ += "Connection: close\r\n";
        out_ += "\r\n";
        out_ += body;
        do_write();
    }

    void do_write() {
        // A client that never reads would leave this write pending for ever, holding its
        // connection slot: the answer, too, must be delivered within --idle-s.
        idle_timer_.expires_after(std::chrono::seconds(state_.config.idle_timeout_s));
        idle_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
            if (ec || !self->socket_.is_open()) return;  // written in time
            say("server", "#%llu has not read its answer in %d s: closing it", ull(self->number_),
                self->state_.config.idle_timeout_s);
            // With a reset (SO_LINGER 0): a FIN would wait behind the unread answer for ever.
            boost::system::error_code ignored;
            self->socket_.set_option(asio::socket_base::linger(true, 0), ignored);
            self->close();
        });
        // send() until every byte is out: async_write repeats the call if the kernel takes only
        // part of the answer.
        asio::async_write(socket_, asio::buffer(out_),
                          [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                              self->on_write(ec, n);
                          });
    }

    void on_write(boost::system::error_code ec, std::size_t) {
        if (ec) return fail(ec, "write");
        if (!keep_alive_) {
            // Half-close first so the answer is delivered before the FIN (RFC 9112 section 9.6).
            boost::system::error_code ignored;
            socket_.shutdown(tcp::socket::shutdown_send, ignored);
            return close();
        }
        await_request();
    }

    void fail(boost::system::error_code ec, const char* what) {
        if (ec == asio::error::operation_aborted) return;  // we closed the socket ourselves
        say("server", "#%llu %s: %s", ull(number_), what, ec.message().c_str());
        close();
    }

    void close() {
        boost::system::error_code ignored;
        idle_timer_.cancel();
        wait_timer_.cancel();
        if (holding_) state_.log.cancel(ticket_);
        holding_ = false;
        socket_.close(ignored);
    }

    tcp::socket socket_;
    std::shared_ptr<ServerState> owner_;
    ServerState& state_;
    asio::steady_timer idle_timer_;
    asio::steady_timer wait_timer_;
    std::uint64_t number_;
    std::array<char, 4096> chunk_{};
    std::string in_, out_;
    bool keep_alive_ = true;
    bool holding_ = false;
    std::uint64_t ticket_ = 0;
    std::chrono::steady_clock::time_point held_since_;
};

}  // namespace

Server::Server(asio::io_context& io, ServerConfig config) : io_(io), acceptor_(io) { state_->config = std::move(config); }

std::string Server::listen() {
    boost::system::error_code ec;
    asio::ip::address address = asio::ip::make_address(state_->config.bind, ec);
    if (ec) return "--bind " + state_->config.bind + " is not an IP address";
    if (state_->config.port < 0 || state_->config.port > 65535) return "--port must be 0..65535";
    tcp::endpoint at(address, static_cast<unsigned short>(state_->config.port));
    // socket(), setsockopt(SO_REUSEADDR), bind(), listen(): the same four calls as lab 01.
    // SO_REUSEADDR lets a restarted server bind while old connections sit in TIME_WAIT.
    acceptor_.open(at.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(at, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return "cannot listen on " + state_->config.bind + ":" + std::to_string(state_->config.port) + ": " +
                   ec.message() + (ec == asio::error::address_in_use ? " (try --port 0 for a free port)" : "");
    port_ = acceptor_.local_endpoint().port();
    say("server", "listening on %s:%u (at most %zu connections, %zu-byte heads, %zu-byte messages, %d s idle)",
        state_->config.bind.c_str(), port_, state_->config.max_connections, state_->config.max_head,
        state_->config.max_body, state_->config.idle_timeout_s);
    do_accept();
    return {};
}

void Server::stop() {
    asio::post(io_, [this] {
        boost::system::error_code ignored;
        acceptor_.close(ignored);
    });
}

void Server::do_accept() {
    // accept(), asynchronously: the handler runs with a new socket for each connection that
    // completed its handshake; the listening socket goes on listening.
    acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) { on_accept(ec, std::move(socket)); });
}

void Server::on_accept(boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;  // stop()
    if (ec) {
        // Out of file descriptors, for example: say so and keep accepting.
        say("server", "accept: %s", ec.message().c_str());
    } else {
        std::make_shared<Session>(std::move(socket), state_)->start();
    }
    do_accept();
}

}  // namespace lab03
