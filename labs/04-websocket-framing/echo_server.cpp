// `echo-server`: sends every WebSocket message back to whoever sent it (RFC 6455), with
// Boost.Asio: one io_context, every step asynchronous, so one thread serves thousands of
// connections. The narrated server in peer.cpp shows each step; this one is built to be fast,
// for conformance suites and benchmarks, and says one line per connection (none with --quiet).
#include "echo_server.hpp"

#include <boost/asio.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

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

constexpr std::size_t kFirstRead = 8 * 1024;    // a new connection's read buffer
constexpr std::size_t kMaxRead = 256 * 1024;    // it doubles up to this while reads fill it
constexpr std::size_t kHighWater = 1u << 20;    // stop reading while this much waits to be sent
constexpr std::size_t kKeep = 1u << 20;         // larger buffers are freed once they are empty
constexpr std::size_t kMaxHead = 16 * 1024;     // the HTTP request of the opening handshake
constexpr auto kCloseWait = std::chrono::seconds(1);  // for the peer's close after ours

struct Shared {
    const EchoOptions& options;
    std::atomic<int> connections{0};
};

void fail(const boost::system::error_code& ec, const char* what) {
    // The peer going away is how connections end; it is not worth a line.
    if (ec == asio::error::operation_aborted || ec == asio::error::eof || ec == asio::error::connection_reset ||
        ec == asio::error::broken_pipe)
        return;
    lab::say("echo", "%s: %s", what, ec.message().c_str());
}

class Session : public std::enable_shared_from_this<Session>, FrameEvents {
public:
    Session(tcp::socket socket, Shared& shared)
        : socket_(std::move(socket)), timer_(socket_.get_executor()), shared_(shared),
          reader_(true, shared.options.max_message), in_(kFirstRead) {
        ++shared_.connections;
    }
    ~Session() override { --shared_.connections; }

    void start(bool refuse) {
        boost::system::error_code ec;
        // We gather our own writes into one buffer, so Nagle's algorithm would only add delay.
        socket_.set_option(tcp::no_delay(true), ec);
        auto peer = socket_.remote_endpoint(ec);
        if (!ec) peer_ = peer.address().to_string() + ":" + std::to_string(peer.port());
        if (refuse) {
            respond_and_close(error_response(503, "too many connections; try again later"));
            return;
        }
        say("connected");
        arm(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(shared_.options.handshake_s)));
        do_read();
    }

private:
    enum class State { handshake, open, closing, done };

    template <typename... A>
    void say(const char* fmt, A... args) {
        if (shared_.options.quiet) return;
        char text[1024];
        std::snprintf(text, sizeof text, fmt, args...);
        lab::say("echo", "%s %s", peer_.c_str(), text);
    }

    // Reading. One read at a time; the buffer grows while the peer keeps it full.
    void do_read() {
        if (reading_ || state_ == State::done) return;
        if (writing_ && out_.size() >= kHighWater) return;  // on_write() reads again
        if (close_after_write_ && !refused_) return;
        reading_ = true;
        socket_.async_read_some(asio::buffer(in_.data() + in_used_, in_.size() - in_used_),
                                [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                                    self->on_read(ec, n);
                                });
    }

    void on_read(boost::system::error_code ec, std::size_t n) {
        reading_ = false;
        if (state_ == State::done) return;
        if (ec) {
            fail(ec, "read");
            return close_now();
        }
        last_active_ = Clock::now();
        bool filled = in_used_ + n == in_.size();
        in_used_ += n;
        if (refused_)
            in_used_ = 0;  // the rest of a refused request is read only to be dropped
        else if (state_ == State::handshake)
            on_request();
        else
            on_frames();
        if (filled && in_.size() < kMaxRead) in_.resize(in_.size() * 2);
        do_write();
        do_read();
    }

    // The opening handshake: parse the request with core's HTTP parser, check it, answer.
    void on_request() {
        http::Limits limits;
        limits.max_head = kMaxHead;
        std::string_view text(reinterpret_cast<const char*>(in_.data()), in_used_);
        http::Result r = http::parse_head(text, request_, limits);
        if (r.status == http::Status::incomplete) return;
        if (r.status == http::Status::error) {
            say("refused: %d %s", r.http_status, r.error.c_str());
            return respond_and_close(error_response(r.http_status, r.error));
        }
        UpgradeCheck check = check_upgrade(request_);
        std::size_t head = request_.head_length;
        if (check.status != 101) {
            say("refused: %d %s", check.status, check.reason.c_str());
            return respond_and_close(upgrade_response(check));
        }
        std::string reply = upgrade_response(check);
        out_.insert(out_.end(), reply.begin(), reply.end());
        consume(head);
        request_ = {};  // its views pointed into the bytes just consumed
        state_ = State::open;
        arm(idle_period());
        // A client may send its first frames right behind the request, in the same read.
        on_frames();
    }

    void on_frames() {
        std::size_t used = reader_.feed(std::span(in_.data(), in_used_), *this);
        // After a protocol error the rest of the stream cannot be trusted to be frames; after
        // the peer's close nothing more may come. Either way, drop it.
        if (reader_.failed() || reader_.stopped()) used = in_used_;
        consume(used);
    }

    void consume(std::size_t n) {
        std::memmove(in_.data(), in_.data() + n, in_used_ - n);
        in_used_ -= n;
    }

    // FrameEvents: what the reader found.
    void on_message(std::uint8_t opcode, std::span<std::uint8_t> payload) override {
        // The echo: the same opcode and bytes, as one unfragmented, unmasked frame, appended
        // to what is already waiting to be sent.
        if (state_ == State::open) ws::encode_frame(out_, opcode, payload);
    }

    bool on_control(const ws::FrameHeader& h, std::span<std::uint8_t> payload) override {
        if (h.opcode == ws::kPing) {
            // Section 5.5.3: a pong with the same application data, as soon as practical.
            if (state_ == State::open) ws::encode_frame(out_, ws::kPong, payload);
            return true;
        }
        if (h.opcode != ws::kClose) return true;  // an unsolicited pong needs no answer
        if (state_ == State::closing) {
            // The answer to our close: the closing handshake is complete (section 7.1.2).
            close_now();
            return false;
        }
        // The peer closes first: answer with a close that repeats its code (section 5.5.1),
        // then close the TCP connection, as the server should (section 7.1.1).
        std::uint16_t code = payload.size() >= 2 ? static_cast<std::uint16_t>(payload[0] << 8 | payload[1]) : 0;
        say("peer closes with %u", code);
        ws::encode_frame(out_, ws::kClose, code ? ws::close_payload(code, {}) : std::vector<std::uint8_t>{});
        close_after_write_ = true;
        state_ = State::closing;
        return false;
    }

    void on_violation(const ws::Violation& v) override {
        say("closing with %u: %s", v.code, v.reason.c_str());
        send_close(v.code, v.reason);
    }

    // Starts the closing handshake: our close frame, then the peer's answer or a short wait.
    void send_close(std::uint16_t code, std::string_view reason) {
        if (state_ != State::open) return close_now();
        // A control frame carries at most 125 bytes, two of them the code (section 5.5).
        ws::encode_frame(out_, ws::kClose, ws::close_payload(code, reason.substr(0, 123)));
        state_ = State::closing;
        arm(kCloseWait);
    }

    // Writing. Whatever was appended to out_ while a write was in flight goes out in the next
    // one: many small echoes become one send() call.
    void do_write() {
        if (writing_ || out_.empty() || state_ == State::done) return;
        std::swap(out_, sending_);
        writing_ = true;
        asio::async_write(socket_, asio::buffer(sending_),
                          [self = shared_from_this()](boost::system::error_code ec, std::size_t) { self->on_write(ec); });
    }

    void on_write(boost::system::error_code ec) {
        writing_ = false;
        if (state_ == State::done) return;
        if (ec) {
            fail(ec, "write");
            return close_now();
        }
        sending_.clear();
        if (sending_.capacity() > kKeep) sending_ = {};
        if (!out_.empty()) return do_write();
        if (close_after_write_ && !refused_) return close_now();
        if (state_ == State::closing && !sent_fin_) {
            // Our close (or our refusal) is out: nothing more will follow it, so say so at the
            // TCP level too (FIN), and keep reading for the peer's close or its FIN. Closing
            // the socket with unread bytes in it would send a reset, and a reset may destroy
            // the answer before the peer has read it.
            boost::system::error_code ignored;
            socket_.shutdown(tcp::socket::shutdown_send, ignored);
            sent_fin_ = true;
        }
        do_read();
    }

    void respond_and_close(const std::string& response) {
        out_.assign(response.begin(), response.end());
        refused_ = true;
        state_ = State::closing;
        arm(kCloseWait);
        do_write();
    }

    void close_now() {
        if (state_ == State::done) return;
        state_ = State::done;
        boost::system::error_code ignored;
        timer_.cancel();
        socket_.shutdown(tcp::socket::shutdown_both, ignored);
        socket_.close(ignored);
    }

    // One timer per connection: the handshake deadline, then the idle limit, then the wait for
    // the peer's close.
    Clock::duration idle_period() const {
        return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(shared_.options.idle_s));
    }

    void arm(Clock::duration after) {
        timer_.expires_after(after);
        timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) { self->on_timer(ec); });
    }

    void on_timer(boost::system::error_code ec) {
        if (ec || state_ == State::done) return;
        switch (state_) {
            case State::handshake:
                say("no complete handshake in %.0f s", shared_.options.handshake_s);
                return close_now();
            case State::open: {
                // Traffic resets nothing (that would cost a timer operation for every read);
                // instead the timer looks back at the last read when it fires.
                Clock::duration quiet = Clock::now() - last_active_;
                if (quiet < idle_period()) return arm(idle_period() - quiet);
                send_close(ws::kGoingAway, "idle for too long");
                return do_write();
            }
            case State::closing:
                return close_now();
            case State::done:
                return;
        }
    }

    tcp::socket socket_;
    asio::steady_timer timer_;
    Shared& shared_;
    FrameReader reader_;
    http::Message request_;
    std::string peer_;
    State state_ = State::handshake;
    std::vector<std::uint8_t> in_;
    std::size_t in_used_ = 0;
    std::vector<std::uint8_t> out_, sending_;
    bool reading_ = false, writing_ = false, close_after_write_ = false, sent_fin_ = false, refused_ = false;
    Clock::time_point last_active_ = Clock::now();
};

// Accepts connections for as long as the server runs and starts a Session for each.
class Listener : public std::enable_shared_from_this<Listener> {
public:
    Listener(asio::io_context& ioc, tcp::acceptor acceptor, Shared& shared)
        : ioc_(ioc), acceptor_(std::move(acceptor)), retry_(ioc), shared_(shared) {}

    void do_accept() {
        // With several threads, each connection gets a strand: its handlers never run at the
        // same time, so a Session needs no locks.
        auto executor = shared_.options.threads > 1 ? asio::any_io_executor(asio::make_strand(ioc_))
                                                    : asio::any_io_executor(ioc_.get_executor());
        acceptor_.async_accept(executor, [self = shared_from_this()](boost::system::error_code ec, tcp::socket s) {
            self->on_accept(ec, std::move(s));
        });
    }

private:
    void on_accept(boost::system::error_code ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted) return;
        if (ec) {
            // Out of file descriptors, most likely: accepting again at once would spin.
            fail(ec, "accept");
            retry_.expires_after(std::chrono::milliseconds(100));
            retry_.async_wait([self = shared_from_this()](boost::system::error_code) { self->do_accept(); });
            return;
        }
        bool refuse = shared_.connections.load() >= shared_.options.max_connections;
        std::make_shared<Session>(std::move(socket), shared_)->start(refuse);
        do_accept();
    }

    asio::io_context& ioc_;
    tcp::acceptor acceptor_;
    asio::steady_timer retry_;
    Shared& shared_;
};

}  // namespace

int run_echo_server(const EchoOptions& options) {
    lab::warn_if_not_loopback(options.bind);
    lab::Narrator::get().quiet(options.quiet);
    Shared shared{options};
    asio::io_context ioc(options.threads);

    boost::system::error_code ec;
    auto address = asio::ip::make_address(options.bind, ec);
    if (ec) {
        std::fprintf(stderr, "echo-server: --bind %s is not an IP address\n", options.bind.c_str());
        return 2;
    }
    tcp::endpoint endpoint(address, static_cast<unsigned short>(options.port));
    tcp::acceptor acceptor(ioc);
    // socket(), setsockopt(SO_REUSEADDR) so a restart need not wait out TIME_WAIT, bind(),
    // listen() with the kernel's largest backlog: a benchmark opens hundreds at once.
    if (acceptor.open(endpoint.protocol(), ec), ec) return std::fprintf(stderr, "echo-server: socket: %s\n", ec.message().c_str()), 1;
    acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (acceptor.bind(endpoint, ec), ec) {
        std::fprintf(stderr, "echo-server: cannot bind %s:%d: %s\n", options.bind.c_str(), options.port, ec.message().c_str());
        return 1;
    }
    if (acceptor.listen(asio::socket_base::max_listen_connections, ec), ec) {
        std::fprintf(stderr, "echo-server: listen: %s\n", ec.message().c_str());
        return 1;
    }
    auto bound = acceptor.local_endpoint();
    std::string shown = bound.address().is_v6() ? "[" + bound.address().to_string() + "]" : bound.address().to_string();
    // This line is printed even with --quiet: scripts wait for it to learn the port.
    std::printf("echo-server: listening on %s:%u (max message %llu bytes, %d thread%s)\n", shown.c_str(),
                bound.port(), static_cast<unsigned long long>(options.max_message), options.threads,
                options.threads == 1 ? "" : "s");
    std::fflush(stdout);

    std::make_shared<Listener>(ioc, std::move(acceptor), shared)->do_accept();

    // SIGINT (Ctrl-C) and SIGTERM stop the loop; the sessions are dropped with it.
    asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](boost::system::error_code, int sig) {
        if (!options.quiet) lab::say("echo", "signal %d: stopping", sig);
        ioc.stop();
    });

    std::vector<std::thread> extra;
    for (int i = 1; i < options.threads; ++i) extra.emplace_back([&] { ioc.run(); });
    ioc.run();
    for (auto& t : extra) t.join();
    return 0;
}

}  // namespace lab04
