// wirelab-ws-loadgen: the WebSocket echo benchmark's load generator (RFC 6455). N connections,
// each sends one message, waits for its echo, sends the next, for a fixed time; every
// round trip's latency is recorded. The same program loads every server in the benchmark, so
// their figures differ only by the server.
//
//   wirelab-ws-loadgen --port P [--host 127.0.0.1] [--connections N] [--size BYTES]
//                      [--seconds S] [--warmup S] [--binary]
//
// One thread, Boost.Asio, frames built and read with core's codec. Each connection encodes its
// message once (one mask per connection: the server's work, unmasking, is the same with any
// key) and checks every echo byte for byte. Prints a line for people and one `RESULT ...` line
// for bench/ws/run.sh.
#include <boost/asio.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "wirelab/http.hpp"
#include "wirelab/websocket.hpp"

namespace asio = boost::asio;
namespace ws = wirelab::ws;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

// What every connection reports into: one thread, so no locks.
struct Stats {
    bool measuring = false;   // past the warm-up
    bool stopping = false;    // past the end: finish the message in flight, then close
    std::vector<std::uint32_t> latency_us;
    std::uint64_t errors = 0;
    int ready = 0;            // connections past their handshake
    int open = 0;
    std::function<void()> on_last_close;
};

void fail(Stats& stats, const boost::system::error_code& ec, const char* what) {
    if (!stats.stopping) {
        ++stats.errors;
        std::fprintf(stderr, "loadgen: %s: %s\n", what, ec.message().c_str());
    }
}

class Connection : public std::enable_shared_from_this<Connection> {
public:
    Connection(asio::io_context& ioc, Stats& stats, std::vector<std::uint8_t> message, bool binary,
               std::function<void()> on_ready)
        : socket_(ioc), stats_(stats), message_(std::move(message)), on_ready_(std::move(on_ready)) {
        // A per-connection mask (section 5.3 wants it unpredictable; so is this, per connection).
        std::array<std::uint8_t, 4> mask{};
        for (auto& b : mask) b = static_cast<std::uint8_t>(std::rand());
        ws::encode_frame(frame_, binary ? ws::kBinary : ws::kText, message_, true, mask);
        rx_.resize(message_.size() + 64);
    }

    void start(const tcp::endpoint& server) {
        ++stats_.open;
        socket_.async_connect(server, [self = shared_from_this()](boost::system::error_code ec) { self->on_connect(ec); });
    }

private:
    void on_connect(boost::system::error_code ec) {
        if (ec) return finish(ec, "connect");
        socket_.set_option(tcp::no_delay(true));  // each message leaves at once (no Nagle delay)
        key_ = "d2lyZWxhYi1sb2FkZ2VuIQ==";       // any 16 bytes in base64 (section 4.1)
        request_ = "GET / HTTP/1.1\r\nHost: " + socket_.remote_endpoint().address().to_string() + ":" +
                   std::to_string(socket_.remote_endpoint().port()) +
                   "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key_ +
                   "\r\nSec-WebSocket-Version: 13\r\n\r\n";
        asio::async_write(socket_, asio::buffer(request_),
                          [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                              if (ec) return self->finish(ec, "handshake write");
                              self->do_read_handshake();
                          });
    }

    void do_read_handshake() {
        asio::async_read_until(socket_, asio::dynamic_buffer(handshake_), "\r\n\r\n",
                               [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                                   self->on_handshake(ec);
                               });
    }

    void on_handshake(boost::system::error_code ec) {
        if (ec) return finish(ec, "handshake read");
        wirelab::http::Message response;
        auto r = wirelab::http::parse_head(handshake_, response);
        auto accept = response.header("Sec-WebSocket-Accept");
        if (r.status != wirelab::http::Status::complete || response.status != 101 || !accept ||
            *accept != ws::accept_key(key_)) {
            ++stats_.errors;
            std::fprintf(stderr, "loadgen: handshake refused: %.*s\n", static_cast<int>(response.start_line.size()),
                         response.start_line.data());
            return finish({}, nullptr);
        }
        // The server speaks only after our first message, so nothing follows the head.
        on_ready_();
        do_send();
    }

    void do_send() {
        sent_at_ = Clock::now();
        asio::async_write(socket_, asio::buffer(frame_),
                          [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                              if (ec) return self->finish(ec, "write");
                              self->do_read();
                          });
    }

    void do_read() {
        if (rx_len_ == rx_.size()) rx_.resize(rx_.size() * 2);
        socket_.async_read_some(asio::buffer(rx_.data() + rx_len_, rx_.size() - rx_len_),
                                [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                                    self->on_read(ec, n);
                                });
    }

    // Collects frames until a whole message is in (a server may fragment it), then checks it
    // and sends the next.
    void on_read(boost::system::error_code ec, std::size_t n) {
        if (ec) return finish(ec, "read");
        rx_len_ += n;
        std::size_t pos = 0;
        while (true) {
            ws::FrameHeader h;
            std::span<const std::uint8_t> have(rx_.data() + pos, rx_len_ - pos);
            auto st = ws::parse_header(have, h);
            if (st == ws::Parse::error || (st == ws::Parse::complete && h.opcode == ws::kClose)) {
                ++stats_.errors;
                std::fprintf(stderr, "loadgen: the server %s\n",
                             st == ws::Parse::error ? "sent a bad frame header" : "closed the connection");
                return finish({}, nullptr);
            }
            if (st == ws::Parse::incomplete || have.size() < h.header_length + h.payload_length) break;
            const std::uint8_t* payload = have.data() + h.header_length;
            if (h.opcode < ws::kClose) got_.insert(got_.end(), payload, payload + h.payload_length);
            pos += h.header_length + h.payload_length;
            if (h.fin && h.opcode < ws::kClose) return on_message(pos);
        }
        // Keep the partial frame at the front and read on.
        std::memmove(rx_.data(), rx_.data() + pos, rx_len_ - pos);
        rx_len_ -= pos;
        do_read();
    }

    void on_message(std::size_t consumed) {
        auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - sent_at_).count();
        if (got_ != message_) {
            ++stats_.errors;
            std::fprintf(stderr, "loadgen: the echo differs from the message (%zu bytes back, %zu sent)\n",
                         got_.size(), message_.size());
            return finish({}, nullptr);
        }
        got_.clear();
        if (stats_.measuring && !stats_.stopping) stats_.latency_us.push_back(static_cast<std::uint32_t>(us));
        std::memmove(rx_.data(), rx_.data() + consumed, rx_len_ - consumed);
        rx_len_ -= consumed;
        if (stats_.stopping) return finish({}, nullptr);
        do_send();
    }

    void finish(boost::system::error_code ec, const char* what) {
        if (ec && what) fail(stats_, ec, what);
        boost::system::error_code ignored;
        socket_.close(ignored);
        if (--stats_.open == 0 && stats_.on_last_close) stats_.on_last_close();
    }

    tcp::socket socket_;
    Stats& stats_;
    std::vector<std::uint8_t> message_, frame_, got_, rx_;
    std::size_t rx_len_ = 0;
    std::string key_, request_, handshake_;
    Clock::time_point sent_at_;
    std::function<void()> on_ready_;
};

void usage(std::FILE* out) {
    std::fprintf(out,
                 "Usage: wirelab-ws-loadgen --port P [--host 127.0.0.1] [--connections N] [--size BYTES]\n"
                 "                          [--seconds S] [--warmup S] [--binary]\n"
                 "  N connections (default 1) each send a message of BYTES (default 64), wait for the echo\n"
                 "  and repeat, for S seconds (default 5) after S of warm-up (default 1).\n"
                 "Example: wirelab-ws-loadgen --port 9004 --connections 100 --size 65536 --seconds 3\n");
}

}  // namespace

int main(int argc, char** argv) {
    std::string host = "127.0.0.1";
    int port = 0, connections = 1;
    long size = 64;
    double seconds = 5, warmup = 1;
    bool binary = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        bool has_value = i + 1 < argc;
        if (a == "--host" && has_value) host = argv[++i];
        else if (a == "--port" && has_value) port = std::atoi(argv[++i]);
        else if (a == "--connections" && has_value) connections = std::atoi(argv[++i]);
        else if (a == "--size" && has_value) size = std::atol(argv[++i]);
        else if (a == "--seconds" && has_value) seconds = std::atof(argv[++i]);
        else if (a == "--warmup" && has_value) warmup = std::atof(argv[++i]);
        else if (a == "--binary") binary = true;
        else if (a == "--help" || a == "-h") {
            usage(stdout);
            return 0;
        } else {
            std::fprintf(stderr, "wirelab-ws-loadgen: unknown or incomplete argument %s\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (port <= 0 || port > 65535 || connections < 1 || size < 0 || seconds <= 0 || warmup < 0) {
        usage(stderr);
        return 2;
    }

    asio::io_context ioc{1};
    Stats stats;
    tcp::endpoint server(asio::ip::make_address(host), static_cast<unsigned short>(port));
    // Printable ASCII, so a text message is valid UTF-8 the server has to check.
    std::vector<std::uint8_t> message(static_cast<std::size_t>(size));
    for (std::size_t i = 0; i < message.size(); ++i) message[i] = static_cast<std::uint8_t>('a' + i % 26);

    // The clock starts once every connection is through its handshake: warm-up, then the
    // measured window, then every connection finishes the message it has in flight.
    asio::steady_timer warmup_timer(ioc), end_timer(ioc), give_up(ioc), connect_deadline(ioc);
    Clock::time_point measure_start, measure_end;
    auto after = [](double s) { return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s)); };
    auto on_ready = [&] {
        if (++stats.ready < connections) return;
        connect_deadline.cancel();
        warmup_timer.expires_after(after(warmup));
        warmup_timer.async_wait([&](boost::system::error_code ec) {
            if (ec) return;  // every connection failed before the warm-up ended
            stats.measuring = true;
            measure_start = Clock::now();
            end_timer.expires_after(after(seconds));
            end_timer.async_wait([&](boost::system::error_code ec) {
                if (ec) return;
                stats.stopping = true;
                measure_end = Clock::now();
                // A server that stopped answering must not keep us here.
                give_up.expires_after(std::chrono::seconds(5));
                give_up.async_wait([&](boost::system::error_code ec) {
                    if (!ec) ioc.stop();
                });
            });
        });
    };
    // Once every connection has closed, nothing is left to wait for.
    stats.on_last_close = [&] {
        give_up.cancel();
        connect_deadline.cancel();
        warmup_timer.cancel();
        end_timer.cancel();
    };
    // Without every connection ready within 10 s there is nothing to measure.
    connect_deadline.expires_after(std::chrono::seconds(10));
    connect_deadline.async_wait([&](boost::system::error_code ec) {
        if (ec) return;  // cancelled: all connections are ready
        std::fprintf(stderr, "loadgen: only %d of %d connections ready after 10 s\n", stats.ready, connections);
        stats.stopping = true;
        ioc.stop();
    });
    for (int i = 0; i < connections; ++i)
        std::make_shared<Connection>(ioc, stats, message, binary, on_ready)->start(server);
    ioc.run();

    if (!stats.measuring || measure_end <= measure_start) {
        std::printf("loadgen: no measurement (errors %llu)\nRESULT ok=0 errors=%llu\n",
                    static_cast<unsigned long long>(stats.errors), static_cast<unsigned long long>(stats.errors));
        return 1;
    }
    double window = std::chrono::duration<double>(measure_end - measure_start).count();
    auto& lat = stats.latency_us;
    auto percentile = [&](double p) -> double {
        if (lat.empty()) return 0;
        std::size_t k = std::min(lat.size() - 1, static_cast<std::size_t>(p * static_cast<double>(lat.size())));
        std::nth_element(lat.begin(), lat.begin() + static_cast<std::ptrdiff_t>(k), lat.end());
        return lat[k];
    };
    double rate = static_cast<double>(lat.size()) / window;
    double p50 = percentile(0.50), p99 = percentile(0.99);
    std::printf("loadgen: %d connection%s, %ld-byte %s messages, %.1f s: %zu echoes, %.0f msgs/s, p50 %.0f us, "
                "p99 %.0f us, errors %llu\n",
                connections, connections == 1 ? "" : "s", size, binary ? "binary" : "text", window, lat.size(), rate,
                p50, p99, static_cast<unsigned long long>(stats.errors));
    std::printf("RESULT ok=%d msgs_per_s=%.1f p50_us=%.0f p99_us=%.0f messages=%zu errors=%llu\n",
                stats.errors == 0 ? 1 : 0, rate, p50, p99, lat.size(), static_cast<unsigned long long>(stats.errors));
    return stats.errors == 0 ? 0 : 1;
}
