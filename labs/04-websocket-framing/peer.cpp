// The narrated endpoints of lab 04. One Endpoint class is either side of a WebSocket
// connection: it does the opening handshake (RFC 6455 section 4), sends frames drawn bit by
// bit, reads frames with FrameReader, answers pings, and runs the closing handshake
// (section 7). The server, the client and the demo are built from it.
#include "peer.hpp"

#include <boost/asio.hpp>

#include <cstring>
#include <deque>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>

#include "frames.hpp"
#include "handshake.hpp"
#include "lab.hpp"
#include "wirelab/http.hpp"

namespace lab04 {

namespace asio = boost::asio;
namespace http = wirelab::http;
namespace lab = wirelab::lab;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kHandshakeTime = std::chrono::seconds(10);  // the client's wait for the 101
constexpr auto kCloseWait = std::chrono::seconds(2);

// A block of text (a frame diagram, an HTTP head) through the narrator, one line at a time, so
// each line says who printed it even when both sides talk at once.
void say_lines(std::string_view who, std::string_view text, std::string_view indent = "") {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
    while (!text.empty()) {
        std::size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        lab::Narrator::get().say(who, std::string(indent) + std::string(line));
        if (nl == std::string_view::npos) break;
        text.remove_prefix(nl + 1);
    }
}

Clock::duration seconds(double s) { return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s)); }

// Runs `fn` after `delay` on `ex` (the demo's and the client's pacing).
void after(const asio::any_io_executor& ex, Clock::duration delay, std::function<void()> fn) {
    auto timer = std::make_shared<asio::steady_timer>(ex, delay);
    timer->async_wait([timer, fn = std::move(fn)](boost::system::error_code ec) {
        if (!ec) fn();
    });
}

std::span<const std::uint8_t> bytes_of(std::string_view s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

struct Settings {
    bool draw_received = true;  // the demo draws each frame once, on the side that sends it
    std::uint64_t max_message = 16u << 20;
    double idle_s = 300;
    double handshake_s = 10;    // server: the whole opening handshake must arrive within this
    // Bytes waiting to be sent before the peer counts as not reading: two of the largest
    // messages (an echo and a push behind it) and some room for small frames.
    std::uint64_t max_queued() const { return 2 * max_message + 64 * 1024; }
};

class Endpoint : public std::enable_shared_from_this<Endpoint>, FrameEvents {
public:
    struct Hooks {
        std::function<void()> opened;
        std::function<void(std::uint8_t opcode, std::span<std::uint8_t> payload)> message;
        std::function<void(std::span<std::uint8_t> payload)> pong;
        std::function<void(bool clean)> closed;  // clean: both close frames went across
    };
    Hooks hooks;

    Endpoint(tcp::socket socket, bool client, std::string who, Settings settings)
        : socket_(std::move(socket)), timer_(socket_.get_executor()), client_(client), who_(std::move(who)),
          settings_(settings), reader_(!client, settings.max_message), in_(64 * 1024) {}

    bool is_open() const { return state_ == State::open; }
    const std::string& who() const { return who_; }

    // The client's half of the opening handshake (section 4.1): a GET with a fresh key.
    void client_handshake(const std::string& host, const std::string& path) {
        key_ = make_key();
        say("Sec-WebSocket-Key: 16 random bytes, base64 = %s", key_.c_str());
        std::string request = upgrade_request(host, path, key_);
        say("sending the opening handshake, an ordinary HTTP/1.1 request (%zu bytes):", request.size());
        say_lines(who_, request, "    ");
        queue({request.begin(), request.end()});
        arm(kHandshakeTime);
        do_read();
    }

    // The server's half: read the request, check it, answer.
    void server_handshake() {
        // A client that sends its request a byte at a time (slowloris), or nothing at all,
        // must not hold a connection for ever: reads do not restart this clock.
        arm(seconds(settings_.handshake_s));
        do_read();
    }

    // One frame, drawn, then queued behind the frames before it. A client masks every frame
    // with a new random key (section 5.3); a server never masks.
    void send(std::uint8_t opcode, std::span<const std::uint8_t> payload, bool fin = true) {
        if (state_ != State::open) return;  // after a close, nothing more (section 5.5.1)
        std::optional<std::array<std::uint8_t, 4>> mask;
        if (client_) mask = make_mask();
        std::vector<std::uint8_t> frame;
        ws::encode_frame(frame, opcode, payload, fin, mask);
        // Read our own header back with the same codec, to draw what is really on the wire.
        ws::FrameHeader h;
        ws::parse_header(frame, h);
        say("sends %s:", frame_summary(h).c_str());
        say_lines(who_, draw_frame(h, std::span(frame).first(h.header_length), payload));
        queue(std::move(frame));
    }
    void send_text(std::string_view text) { send(ws::kText, bytes_of(text)); }

    // Starts the closing handshake (section 7.1.2).
    void close(std::uint16_t code, std::string_view reason) {
        if (state_ != State::open) return;
        say("starts the closing handshake: close code %u, reason \"%.*s\"", code, int(reason.size()), reason.data());
        send(ws::kClose, ws::close_payload(code, reason.substr(0, 123)));
        sent_close_ = true;
        state_ = State::closing;
        arm(kCloseWait);
    }

private:
    enum class State { handshake, open, closing, done };

    template <typename... A>
    void say(const char* fmt, A... args) {
        lab::say(who_, fmt, args...);
    }

    void do_read() {
        if (reading_ || state_ == State::done) return;
        reading_ = true;
        // async_read_some is recv(): whatever bytes have arrived, at least one. TCP keeps no
        // message boundaries, so a read may hold half a frame or several.
        socket_.async_read_some(asio::buffer(in_.data() + used_, in_.size() - used_),
                                [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                                    self->on_read(ec, n);
                                });
    }

    void on_read(boost::system::error_code ec, std::size_t n) {
        reading_ = false;
        if (state_ == State::done) return;
        if (ec) {
            if (ec == asio::error::eof)
                say("read() returned 0: the peer closed its side of the TCP connection (FIN)");
            else
                say("read failed: %s", ec.message().c_str());
            return finish();
        }
        last_active_ = Clock::now();
        used_ += n;
        if (state_ == State::handshake) on_handshake_bytes();
        if (refused_) used_ = 0;  // a refused request: the rest is not read
        else if (state_ == State::open || state_ == State::closing) on_frames();
        do_read();
    }

    void on_handshake_bytes() {
        http::Message m;
        http::Limits limits;
        limits.max_head = 16 * 1024;
        http::Result r = http::parse_head(std::string_view(reinterpret_cast<const char*>(in_.data()), used_), m, limits);
        if (r.status == http::Status::incomplete) return;
        if (r.status == http::Status::error) {
            say("not an HTTP head: %s", r.error.c_str());
            return client_ ? finish() : refuse(error_response(r.http_status, r.error));
        }
        say("received the %s (%zu bytes):", client_ ? "response" : "request", m.head_length);
        say_lines(who_, std::string_view(reinterpret_cast<const char*>(in_.data()), m.head_length), "    ");
        if (client_) {
            std::string problem = check_response(m, key_);
            if (!problem.empty()) {
                say("handshake failed: %s", problem.c_str());
                return finish();
            }
            say("Sec-WebSocket-Accept is base64(SHA-1(our key + GUID)): the server understood WebSocket");
        } else {
            UpgradeCheck check = check_upgrade(m);
            if (check.status != 101) {
                say("refusing: %d %s", check.status, check.reason.c_str());
                return refuse(upgrade_response(check));
            }
            // Section 4.2.2 step 5.4: the proof that this server read the key.
            AcceptSteps steps = accept_steps(check.key);
            say("key + GUID      = %s", steps.concatenated.c_str());
            say("SHA-1 of that   = %s (20 bytes)", steps.sha1_hex.c_str());
            say("base64 of SHA-1 = %s = Sec-WebSocket-Accept%s", steps.base64.c_str(),
                steps.base64 == check.accept ? " (core's ws::accept_key agrees)" : " (DIFFERS from ws::accept_key!)");
            std::string reply = upgrade_response(check);
            say("answering 101 Switching Protocols; from now on this TCP connection carries frames:");
            say_lines(who_, reply, "    ");
            queue({reply.begin(), reply.end()});
        }
        std::memmove(in_.data(), in_.data() + m.head_length, used_ - m.head_length);
        used_ -= m.head_length;
        state_ = State::open;
        if (client_)
            timer_.cancel();
        else
            arm(seconds(settings_.idle_s));
        if (hooks.opened) hooks.opened();
    }

    void on_frames() {
        std::size_t took = reader_.feed(std::span(in_.data(), used_), *this);
        if (reader_.failed() || reader_.stopped()) took = used_;  // nothing after a close counts
        std::memmove(in_.data(), in_.data() + took, used_ - took);
        used_ -= took;
    }

    // FrameEvents.
    void on_frame(const ws::FrameHeader& h, std::span<const std::uint8_t> header) override {
        say("received %s", frame_summary(h).c_str());
        if (settings_.draw_received) say_lines(who_, draw_frame(h, header, {}));
    }

    void on_message(std::uint8_t opcode, std::span<std::uint8_t> payload) override {
        say("got a %s message of %zu bytes: %s", opcode == ws::kText ? "text" : "binary", payload.size(),
            preview(payload).c_str());
        if (state_ == State::open && hooks.message) hooks.message(opcode, payload);
    }

    bool on_control(const ws::FrameHeader& h, std::span<std::uint8_t> payload) override {
        if (h.opcode == ws::kPing) {
            say("ping %s: answering with a pong that carries the same bytes", preview(payload).c_str());
            send(ws::kPong, payload);
            return true;
        }
        if (h.opcode == ws::kPong) {
            say("pong %s", preview(payload).c_str());
            if (hooks.pong) hooks.pong(payload);
            return true;
        }
        std::uint16_t code = payload.size() >= 2 ? static_cast<std::uint16_t>(payload[0] << 8 | payload[1]) : 0;
        std::string reason(payload.size() > 2 ? payload.begin() + 2 : payload.end(), payload.end());
        say("close frame: code %u, reason \"%s\"", code, reason.c_str());
        got_close_ = true;
        if (!sent_close_) {
            // The peer started it: answer with the same code (section 5.5.1).
            say("answering the close with code %u", code);
            send(ws::kClose, code ? ws::close_payload(code, {}) : std::vector<std::uint8_t>{});
            sent_close_ = true;
            state_ = State::closing;
            arm(kCloseWait);
        }
        if (!writing_) after_writes();
        return false;  // nothing that follows a close is read (section 5.5.1)
    }

    void on_violation(const ws::Violation& v) override {
        say("the peer broke RFC 6455: %s", v.reason.c_str());
        close(v.code, v.reason);
    }

    // Writing: one async_write at a time, in order. The socket is full duplex: reads go on
    // while a write is in flight, so the server can push while the client sends.
    void queue(std::vector<std::uint8_t> bytes) {
        if (state_ == State::done || dropping_) return;
        if (queued_ + bytes.size() > settings_.max_queued()) {
            // A peer that sends but never reads would have us queue its echoes for ever. Its
            // memory here is capped: past the cap it is dropped, not buffered. (finish() after
            // this handler: it clears the hooks, and we may be running inside one.)
            say("%llu bytes wait to be sent: the peer is not reading; dropping the connection",
                static_cast<unsigned long long>(queued_) + bytes.size());
            dropping_ = true;
            // With a reset (SO_LINGER 0): a FIN would wait behind the bytes it is not reading.
            boost::system::error_code ignored;
            socket_.set_option(asio::socket_base::linger(true, 0), ignored);
            asio::post(socket_.get_executor(), [self = shared_from_this()] { self->finish(); });
            return;
        }
        queued_ += bytes.size();
        out_.push_back(std::move(bytes));
        do_write();
    }

    void do_write() {
        if (writing_ || out_.empty() || state_ == State::done) return;
        writing_ = true;
        asio::async_write(socket_, asio::buffer(out_.front()),
                          [self = shared_from_this()](boost::system::error_code ec, std::size_t) { self->on_write(ec); });
    }

    void on_write(boost::system::error_code ec) {
        writing_ = false;
        if (state_ == State::done) return;
        if (ec) {
            say("write failed: %s", ec.message().c_str());
            return finish();
        }
        queued_ -= out_.front().size();
        out_.pop_front();
        if (!out_.empty()) return do_write();
        after_writes();
    }

    void after_writes() {
        if (refused_ && !fin_sent_) {
            // The refusal is out. Send our FIN and let the client close: closing with its
            // unread bytes still here would send a reset, which can destroy the answer.
            boost::system::error_code ignored;
            socket_.shutdown(tcp::socket::shutdown_send, ignored);
            fin_sent_ = true;
            return arm(kCloseWait);
        }
        if (sent_close_ && got_close_ && !client_ && !fin_sent_) {
            // Section 7.1.1: the server closes the TCP connection first, so that the TIME_WAIT
            // state stays on the server. shutdown(SHUT_WR) sends our FIN; the client's FIN
            // ends the read loop.
            say("both close frames are across; shutdown(): the server sends its FIN first");
            boost::system::error_code ignored;
            socket_.shutdown(tcp::socket::shutdown_send, ignored);
            fin_sent_ = true;
        }
        if (sent_close_ && got_close_ && client_) say("both close frames are across; waiting for the server's FIN");
    }

    void refuse(const std::string& response) {
        refused_ = true;
        state_ = State::closing;
        queue({response.begin(), response.end()});
    }

    void finish() {
        if (state_ == State::done) return;
        state_ = State::done;
        timer_.cancel();
        boost::system::error_code ignored;
        socket_.close(ignored);
        bool clean = sent_close_ && got_close_;
        say(clean ? "connection closed cleanly" : "connection closed without a closing handshake");
        if (hooks.closed) hooks.closed(clean);
        hooks = {};  // the hooks may hold the objects that hold us
    }

    void arm(Clock::duration d) {
        timer_.expires_after(d);
        timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
            if (!ec) self->on_timer();
        });
    }

    void on_timer() {
        switch (state_) {
            case State::handshake:
                say("no complete handshake in time");
                return finish();
            case State::open: {
                Clock::duration quiet = Clock::now() - last_active_;
                if (quiet < seconds(settings_.idle_s)) return arm(seconds(settings_.idle_s) - quiet);
                return close(ws::kGoingAway, "idle for too long");
            }
            case State::closing:
                say("no answer to the close in time; closing the socket");
                return finish();
            case State::done:
                return;
        }
    }

    tcp::socket socket_;
    asio::steady_timer timer_;
    bool client_;
    std::string who_;
    Settings settings_;
    FrameReader reader_;
    std::string key_;
    State state_ = State::handshake;
    std::vector<std::uint8_t> in_;
    std::size_t used_ = 0;
    std::deque<std::vector<std::uint8_t>> out_;
    std::uint64_t queued_ = 0;  // bytes in out_
    bool dropping_ = false;     // over max_queued(): finish() is on its way
    bool reading_ = false, writing_ = false;
    bool sent_close_ = false, got_close_ = false, fin_sent_ = false, refused_ = false;
    Clock::time_point last_active_ = Clock::now();
};

// The narrated server: accepts, shakes hands, echoes, and pushes messages of its own.
class Server {
public:
    Server(asio::io_context& ioc, const PeerOptions& o, Settings s) : ioc_(ioc), acceptor_(ioc), options_(o), settings_(s) {}

    bool listen() {
        boost::system::error_code ec;
        auto address = asio::ip::make_address(options_.bind, ec);
        if (ec) {
            lab::say("server", "--bind %s is not an IP address", options_.bind.c_str());
            return false;
        }
        lab::warn_if_not_loopback(options_.bind);
        tcp::endpoint at(address, static_cast<unsigned short>(options_.port));
        // socket(): a TCP socket. bind(): claim the address and port. listen(): let the kernel
        // complete handshakes for us and queue them until accept() takes them.
        acceptor_.open(at.protocol(), ec);
        if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
        if (!ec) acceptor_.bind(at, ec);
        if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
        if (ec) {
            lab::say("server", "cannot listen on %s:%d: %s", options_.bind.c_str(), options_.port, ec.message().c_str());
            return false;
        }
        lab::say("server", "socket(), bind(), listen(): listening on %s:%u", options_.bind.c_str(), port());
        do_accept();
        return true;
    }

    unsigned short port() const { return acceptor_.local_endpoint().port(); }

    // Every open connection sends `count` messages of its own (-1: until it closes), one every
    // `every`, whatever the client is doing meanwhile.
    void push(int count, Clock::duration every) {
        for (auto& w : sessions_)
            if (auto e = w.lock()) push_loop(e, std::make_shared<asio::steady_timer>(ioc_), count, 1, every);
    }

    // Closes every connection with 1001 (going away) and stops accepting.
    void stop() {
        boost::system::error_code ignored;
        acceptor_.close(ignored);
        for (auto& w : sessions_)
            if (auto e = w.lock()) e->close(ws::kGoingAway, "server shutting down");
    }

private:
    void do_accept() {
        acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) { on_accept(ec, std::move(socket)); });
    }

    void on_accept(boost::system::error_code ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted) return;
        if (ec) {
            lab::say("server", "accept failed: %s", ec.message().c_str());
            return do_accept();
        }
        std::erase_if(sessions_, [](const std::weak_ptr<Endpoint>& w) { return w.expired(); });
        auto peer = socket.remote_endpoint(ec);
        std::string who = "server";
        lab::say("server", "accept(): a new socket for %s:%u", peer.address().to_string().c_str(), peer.port());
        if (static_cast<int>(sessions_.size()) >= options_.max_connections) {
            lab::say("server", "already serving %d connections (--max-connections): 503", options_.max_connections);
            auto refused = std::make_shared<std::string>(error_response(503, "too many connections"));
            auto s = std::make_shared<tcp::socket>(std::move(socket));
            asio::async_write(*s, asio::buffer(*refused), [s, refused](boost::system::error_code, std::size_t) {});
            return do_accept();
        }
        if (options_.max_connections > 1 && ++count_ > 1) who = "server" + std::to_string(count_);
        auto e = std::make_shared<Endpoint>(std::move(socket), false, who, settings_);
        std::weak_ptr<Endpoint> weak = e;
        e->hooks.message = [weak](std::uint8_t opcode, std::span<std::uint8_t> payload) {
            // The echo: the same opcode, the same bytes, one frame.
            if (auto self = weak.lock()) self->send(opcode, payload);
        };
        if (options_.push_every_s > 0)
            e->hooks.opened = [this, weak] {
                if (auto self = weak.lock())
                    push_loop(self, std::make_shared<asio::steady_timer>(ioc_), -1, 1, seconds(options_.push_every_s));
            };
        sessions_.push_back(e);
        e->server_handshake();
        do_accept();
    }

    void push_loop(const std::shared_ptr<Endpoint>& e, const std::shared_ptr<asio::steady_timer>& timer, int left, int n,
                   Clock::duration every) {
        timer->expires_after(every);
        std::weak_ptr<Endpoint> weak = e;
        timer->async_wait([this, weak, timer, left, n, every](boost::system::error_code ec) {
            auto self = weak.lock();
            if (ec || !self || !self->is_open()) return;
            char text[96];
            std::snprintf(text, sizeof text, "push #%d from the server at %.3f s", n, lab::Narrator::get().elapsed());
            lab::say(self->who(), "pushes a message of its own (no request asked for it):");
            self->send_text(text);
            if (left != 1) push_loop(self, timer, left < 0 ? -1 : left - 1, n + 1, every);
        });
    }

    asio::io_context& ioc_;
    tcp::acceptor acceptor_;
    const PeerOptions& options_;
    Settings settings_;
    std::vector<std::weak_ptr<Endpoint>> sessions_;
    int count_ = 0;
};

// ws://host:port/path into its parts. Returns false (and says why) for anything else.
bool parse_url(const std::string& url, PeerOptions& o) {
    if (url.rfind("wss://", 0) == 0) {
        std::fprintf(stderr, "wss:// is WebSocket over TLS; this lab speaks plain ws:// only\n");
        return false;
    }
    if (url.rfind("ws://", 0) != 0) {
        std::fprintf(stderr, "--url wants ws://HOST:PORT/PATH, not %s\n", url.c_str());
        return false;
    }
    std::string rest = url.substr(5);
    std::size_t slash = rest.find('/');
    std::string authority = rest.substr(0, slash);
    o.path = slash == std::string::npos ? "/" : rest.substr(slash);
    // The port follows the last ':' unless that ':' is inside an IPv6 address in brackets.
    std::size_t colon = authority.rfind(':');
    std::size_t bracket = authority.rfind(']');
    o.port = 80;
    o.host = authority;
    if (colon != std::string::npos && (bracket == std::string::npos || colon > bracket)) {
        o.host = authority.substr(0, colon);
        o.port = std::atoi(authority.c_str() + colon + 1);
    }
    if (o.host.size() > 2 && o.host.front() == '[') o.host = o.host.substr(1, o.host.size() - 2);
    return !o.host.empty() && o.port > 0 && o.port < 65536;
}

// Connects (narrated) and returns the socket, or nothing.
std::optional<tcp::socket> connect_to(asio::io_context& ioc, const std::string& host, int port) {
    boost::system::error_code ec;
    tcp::resolver resolver(ioc);
    auto found = resolver.resolve(host, std::to_string(port), ec);
    if (ec) {
        lab::say("client", "cannot resolve %s: %s", host.c_str(), ec.message().c_str());
        return std::nullopt;
    }
    tcp::socket socket(ioc);
    // connect(): the kernel sends SYN, waits for SYN-ACK, answers ACK: the TCP handshake,
    // before the WebSocket one can start.
    asio::connect(socket, found, ec);
    if (ec) {
        lab::say("client", "connect to %s:%d failed: %s", host.c_str(), port, ec.message().c_str());
        return std::nullopt;
    }
    socket.set_option(tcp::no_delay(true), ec);
    auto local = socket.local_endpoint();
    lab::say("client", "connect(): TCP connection from port %u to %s:%d", local.port(), host.c_str(), port);
    return socket;
}

std::string host_header(const std::string& host, int port) {
    return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

// One line from the client's user (stdin or --send): a text message, or a command that
// shows one more kind of frame. Returns how many replies it asks for.
int perform(Endpoint& c, const std::string& line) {
    std::string_view l = line;
    if (l.rfind("/ping", 0) == 0) {
        c.send(ws::kPing, bytes_of(l.substr(std::min<std::size_t>(6, l.size())).substr(0, 125)));
        return 1;
    }
    if (l.rfind("/binary ", 0) == 0) {
        std::vector<std::uint8_t> data(std::min<unsigned long>(std::strtoul(line.c_str() + 8, nullptr, 10), 64ul << 20));
        for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i);
        c.send(ws::kBinary, data);
        return 1;
    }
    if (l.rfind("/frag ", 0) == 0) {
        // A|B|C: one text message in three frames, FIN only on the last.
        std::string_view rest = l.substr(6);
        bool first = true;
        while (true) {
            std::size_t bar = rest.find('|');
            bool last = bar == std::string_view::npos;
            c.send(first ? ws::kText : ws::kContinuation, bytes_of(rest.substr(0, bar)), last);
            first = false;
            if (last) return 1;
            rest.remove_prefix(bar + 1);
        }
    }
    if (l.rfind("/close", 0) == 0) {
        unsigned long code = l.size() > 7 ? std::strtoul(line.c_str() + 7, nullptr, 10) : 1000;
        std::size_t space = l.find(' ', 7);
        c.close(static_cast<std::uint16_t>(code ? code : 1000), space == std::string_view::npos ? "" : l.substr(space + 1));
        return 0;
    }
    c.send_text(l);
    return 1;
}

}  // namespace

int run_server(const PeerOptions& options) {
    asio::io_context ioc;
    Server server(ioc, options, Settings{true, options.max_message, options.idle_s, options.handshake_s});
    if (!server.listen()) return 1;
    std::printf("server: listening on %s:%u\n", options.bind.c_str(), server.port());
    std::fflush(stdout);
    lab::Recorder recorder;
    if (!options.capture.empty()) recorder.start(options.capture, "tcp port " + std::to_string(server.port()));
    lab::say("server", "echoes every message and pushes one of its own every %.1f s; Ctrl-C stops", options.push_every_s);

    asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](boost::system::error_code, int) {
        lab::say("server", "stopping: closing every connection with 1001 (going away)");
        server.stop();
    });
    ioc.run();
    if (recorder.running()) recorder.stop();
    if (options.view && !options.capture.empty()) return lab::open_viewer(options.capture);
    return 0;
}

int run_client(const PeerOptions& given) {
    PeerOptions options = given;
    if (!options.url.empty() && !parse_url(options.url, options)) return 2;
    asio::io_context ioc;
    lab::Recorder recorder;
    if (!options.capture.empty()) recorder.start(options.capture, "tcp port " + std::to_string(options.port));
    auto socket = connect_to(ioc, options.host, options.port);
    if (!socket) return 1;

    auto client = std::make_shared<Endpoint>(std::move(*socket), true, "client", Settings{true, options.max_message, 0});
    bool clean = false;
    std::size_t sent = 0, received = 0, expected = 0;
    asio::steady_timer give_up(ioc);  // --wait: replies that never come
    client->hooks.closed = [&](bool c) {
        clean = c;
        give_up.cancel();
    };

    std::weak_ptr<Endpoint> weak = client;
    auto replied = [&, weak] {
        // Close once every message and ping has had its reply (pushes count too: the
        // point is only not to close before the replies had a chance to come).
        if (++received >= expected && sent == options.send.size() && !options.send.empty())
            if (auto c = weak.lock()) c->close(ws::kNormal, "done");
    };
    client->hooks.message = [replied](std::uint8_t, std::span<std::uint8_t>) { replied(); };
    client->hooks.pong = [replied](std::span<std::uint8_t>) { replied(); };
    if (!options.send.empty()) {
        // --send: each message a tenth of a second after the last, then close once every
        // message has had its reply (or --wait seconds have passed).
        client->hooks.opened = [&, weak] {
            for (std::size_t i = 0; i < options.send.size(); ++i)
                after(ioc.get_executor(), std::chrono::milliseconds(100 * i), [&, weak, i] {
                    auto c = weak.lock();
                    if (!c) return;
                    expected += perform(*c, options.send[i]);
                    if (++sent == options.send.size()) {
                        if (received >= expected) c->close(ws::kNormal, "done");
                        give_up.expires_after(seconds(options.wait_s));
                        give_up.async_wait([weak](boost::system::error_code ec) {
                            if (auto c = weak.lock(); c && !ec) c->close(ws::kNormal, "done waiting");
                        });
                    }
                });
        };
    } else {
        // Lines from stdin, read on a thread of their own (a blocking getline) and handed to
        // the io_context with post(): the socket is only ever touched by the io_context.
        client->hooks.opened = [&, weak] {
            lab::say("client", "type messages; /ping TEXT, /binary N, /frag A|B|C, /close [CODE [REASON]]; Ctrl-D closes");
            std::thread([&ioc, weak] {
                std::string line;
                while (std::getline(std::cin, line)) {
                    asio::post(ioc, [weak, line] {
                        if (auto c = weak.lock()) perform(*c, line);
                    });
                }
                asio::post(ioc, [weak] {
                    if (auto c = weak.lock()) c->close(ws::kNormal, "end of input");
                });
            }).detach();
        };
    }
    client->client_handshake(host_header(options.host, options.port), options.path);
    client.reset();  // the Endpoint lives as long as its reads and writes
    ioc.run();
    if (recorder.running()) recorder.stop();
    if (options.view && !options.capture.empty()) return lab::open_viewer(options.capture);
    return clean ? 0 : 1;
}

int run_demo(const PeerOptions& options) {
    asio::io_context ioc;  // one thread runs both sides: every line below is in the order it happened
    lab::say("demo", "lab 04: a WebSocket connection on loopback, every frame drawn as RFC 6455 section 5.2 draws it");
    lab::say("demo", "the client's frames are masked (MASK=1 and a masking key), the server's are not");
    Settings settings{false, options.max_message, options.idle_s, options.handshake_s};
    PeerOptions server_options = options;
    server_options.push_every_s = 0;  // the demo tells the server when to push
    server_options.max_connections = 1;
    Server server(ioc, server_options, settings);
    if (!server.listen()) return 1;
    lab::Recorder recorder;
    if (!options.capture.empty()) recorder.start(options.capture, "tcp port " + std::to_string(server.port()));

    auto socket = connect_to(ioc, "127.0.0.1", server.port());
    if (!socket) return 1;
    auto client = std::make_shared<Endpoint>(std::move(*socket), true, "client", settings);
    std::weak_ptr<Endpoint> weak = client;

    // The script: each step sends, then waits for `awaiting` replies (messages or pongs).
    std::vector<std::function<void()>> steps;
    std::size_t next = 0;
    int awaiting = 0;
    auto advance = [&] {
        if (next < steps.size()) steps[next++]();
    };
    auto got_one = [&] {
        if (awaiting > 0 && --awaiting == 0) advance();
    };
    auto pattern = [](std::size_t n, bool text) {
        std::vector<std::uint8_t> v(n);
        for (std::size_t i = 0; i < n; ++i)
            v[i] = text ? static_cast<std::uint8_t>("abcdefghijklmnopqrstuvwxyz"[i % 26]) : static_cast<std::uint8_t>(i);
        return v;
    };
    // Lengths on both sides of each boundary: 125 fits the 7-bit field, 126 needs the 16-bit
    // one, 65535 is the largest 16-bit length, 65536 needs the 64-bit one (section 5.2).
    struct Size {
        std::size_t n;
        bool text;
        const char* why;
    };
    const Size sizes[] = {{5, true, "5 bytes: the length fits the 7-bit field"},
                          {125, true, "125 bytes: the largest 7-bit length"},
                          {126, true, "126 bytes: the 7-bit field says 126, a 16-bit length follows"},
                          {65535, false, "65535 bytes: the largest 16-bit length (binary)"},
                          {65536, false, "65536 bytes: the 7-bit field says 127, a 64-bit length follows (binary)"}};
    for (const Size& s : sizes)
        steps.emplace_back([&, s] {
            lab::say("demo", "--- a message of %s ---", s.why);
            awaiting = 1;
            std::vector<std::uint8_t> payload = s.n == 5 ? std::vector<std::uint8_t>{'h', 'e', 'l', 'l', 'o'} : pattern(s.n, s.text);
            if (auto c = weak.lock()) c->send(s.text ? ws::kText : ws::kBinary, payload);
        });
    steps.emplace_back([&] {
        lab::say("demo", "--- one message in three frames: FIN=0 opcode 1, FIN=0 opcode 0, FIN=1 opcode 0 ---");
        awaiting = 1;
        if (auto c = weak.lock()) {
            c->send(ws::kText, bytes_of("Hello, "), false);
            c->send(ws::kContinuation, bytes_of("fragmented "), false);
            c->send(ws::kContinuation, bytes_of("world!"), true);
        }
    });
    steps.emplace_back([&] {
        lab::say("demo", "--- ping: the server must answer with a pong carrying the same bytes ---");
        awaiting = 1;
        if (auto c = weak.lock()) c->send(ws::kPing, bytes_of("are you there?"));
    });
    steps.emplace_back([&] {
        lab::say("demo", "--- full duplex: the server pushes three messages while the client sends three ---");
        awaiting = 6;  // three echoes and three pushes
        server.push(3, std::chrono::milliseconds(100));
        for (int i = 0; i < 3; ++i)
            after(ioc.get_executor(), std::chrono::milliseconds(50 + 100 * i), [&, i] {
                if (auto c = weak.lock()) c->send_text("client message " + std::to_string(i + 1) + " of 3");
            });
    });
    steps.emplace_back([&] {
        lab::say("demo", "--- the closing handshake: close 1000 with a reason, the answer, then TCP FINs ---");
        if (auto c = weak.lock()) c->close(ws::kNormal, "demo finished");
    });

    bool clean = false;
    client->hooks.opened = advance;
    client->hooks.message = [&](std::uint8_t, std::span<std::uint8_t>) { got_one(); };
    client->hooks.pong = [&](std::span<std::uint8_t>) { got_one(); };
    client->hooks.closed = [&](bool c) {
        clean = c;
        server.stop();
    };
    lab::say("demo", "--- the opening handshake: an HTTP request that asks to switch protocols ---");
    client->client_handshake(host_header("127.0.0.1", server.port()), "/");
    client.reset();
    ioc.run();

    if (recorder.running()) recorder.stop();
    lab::say("demo", clean ? "done: every step above is in the capture, frame by frame"
                           : "the demo did not finish with a clean close");
    if (options.view && !options.capture.empty()) return lab::open_viewer(options.capture);
    return clean ? 0 : 1;
}

}  // namespace lab04
