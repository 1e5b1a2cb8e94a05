// Lab 05's receivers (see receiver.hpp). Each reads like a blocking program, but every wait
// runs Asio's io_context only until a deadline (the pattern of Asio's blocking_tcp_client
// example): start the operation, run, and if it has not finished in time, cancel it.
#include "receiver.hpp"

#include <boost/asio.hpp>

#include <random>
#include <thread>

#include "lab.hpp"
#include "wirelab/http.hpp"
#include "wirelab/socketio.hpp"  // base64_encode, for the Sec-WebSocket-Key
#include "wirelab/websocket.hpp"

namespace lab05 {

namespace asio = boost::asio;
namespace http = wirelab::http;
namespace ws = wirelab::ws;
using asio::ip::tcp;
using asio::ip::udp;
using Clock = std::chrono::steady_clock;
using wirelab::lab::say;

void AwayGate::left() {
    std::lock_guard<std::mutex> lock(m_);
    ++gone_;
}

int AwayGate::gone() const {
    std::lock_guard<std::mutex> lock(m_);
    return gone_;
}

void AwayGate::open() {
    {
        std::lock_guard<std::mutex> lock(m_);
        open_ = true;
    }
    cv_.notify_all();
}

bool AwayGate::wait_open(Clock::time_point deadline) {
    std::unique_lock<std::mutex> lock(m_);
    return cv_.wait_until(lock, deadline, [this] { return open_; });
}

namespace {

// The largest HTTP answer a poller accepts: a head and a body of messages it missed.
constexpr std::size_t kMaxAnswer = 4 * 1024 * 1024;

class Receiver {
public:
    Receiver(ReceiverPlan plan, ReceiverLog& log) : plan_(std::move(plan)), log_(log), rng_(std::random_device{}()) {}

    void run() {
        while (true) {
            std::string err = receive_until_done_or_leaving();
            if (!err.empty()) {
                log_.error = err;
                say(plan_.who, "giving up: %s", err.c_str());
                goodbye(false);
                return;
            }
            if (done()) {
                log_.finished = true;
                goodbye(false);
                say(plan_.who, "got %zu messages, done", log_.arrivals.size());
                return;
            }
            // Leaving: the way each transport says goodbye is part of what the capture shows.
            log_.left_after = max_seen_;
            goodbye(true);
            say(plan_.who, "went away after message %llu", static_cast<unsigned long long>(max_seen_));
            plan_.gate->left();
            if (!plan_.gate->wait_open(plan_.give_up)) {
                log_.error = "the demo never called it back";
                return;
            }
            returned_ = true;
            say(plan_.who, "back again: asking for what it missed, where the transport lets it");
        }
    }

private:
    bool done() const {
        return (plan_.last_seq && max_seen_ >= plan_.last_seq) || (plan_.count && log_.arrivals.size() >= plan_.count);
    }
    bool leaving() const { return plan_.leave_after && !returned_ && max_seen_ >= plan_.leave_after; }

    std::string receive_until_done_or_leaving() {
        switch (plan_.kind) {
            case Transport::tcp: return receive_tcp();
            case Transport::udp: return receive_udp();
            case Transport::short_poll:
            case Transport::long_poll: return receive_polls();
            case Transport::ws: return receive_ws();
        }
        return "unknown transport";
    }

    void record(std::string_view bytes) {
        Message m;
        if (!decode(bytes, m)) {
            say(plan_.who, "%zu bytes that are not a message: ignored", bytes.size());
            return;
        }
        Arrival a{m.seq, static_cast<double>(steady_ns() - m.sent_ns) / 1e6, returned_};
        log_.arrivals.push_back(a);
        if (plan_.narrate_each || log_.arrivals.size() == 1)
            say(plan_.who, "message %llu after %.3f ms: %s", static_cast<unsigned long long>(m.seq), a.latency_ms,
                m.text.c_str());
        max_seen_ = std::max(max_seen_, m.seq);
    }

    // --- waiting with a deadline ----------------------------------------------------------

    // Runs the operation `start` begins until it completes or the deadline passes; then the
    // socket's operations are cancelled and the answer is "timed out".
    template <typename Start>
    boost::system::error_code wait(Start start, std::size_t& n, Clock::time_point deadline) {
        boost::system::error_code result = asio::error::would_block;
        start([&](boost::system::error_code ec, std::size_t got) {
            result = ec;
            n = got;
        });
        io_.restart();
        io_.run_until(deadline);
        if (result != asio::error::would_block) return result;
        boost::system::error_code ignored;
        if (tcp_.is_open()) tcp_.cancel(ignored);
        if (udp_.is_open()) udp_.cancel(ignored);
        io_.restart();
        io_.run();
        return asio::error::timed_out;
    }

    std::string connect() {
        boost::system::error_code ec;
        asio::ip::address address = asio::ip::make_address(plan_.host, ec);
        if (ec) return plan_.host + " is not an IP address";
        tcp_ = tcp::socket(io_);
        in_.clear();
        std::size_t n = 0;
        // connect(): the three-way handshake, once per connection. Count them: the table's
        // "connections" column is this number, read back from the SYNs in the capture.
        ec = wait([&](auto cb) {
            tcp_.async_connect(tcp::endpoint(address, plan_.port), [cb](boost::system::error_code e) { cb(e, 0); });
        }, n, plan_.give_up);
        if (ec) return "connect to " + plan_.host + ":" + std::to_string(plan_.port) + ": " + ec.message();
        ++log_.connections;
        say(plan_.who, "connected from port %u", tcp_.local_endpoint(ec).port());
        return {};
    }

    // Reads until in_ holds at least `want` bytes.
    std::string fill(std::size_t want) {
        while (in_.size() < want) {
            std::size_t n = 0;
            boost::system::error_code ec =
                wait([&](auto cb) { tcp_.async_read_some(asio::buffer(chunk_), cb); }, n, plan_.give_up);
            if (ec == asio::error::eof) return "the hub closed the connection";
            if (ec) return std::string("read: ") + ec.message();
            in_.append(chunk_.data(), n);
        }
        return {};
    }

    std::string send(std::string_view bytes) {
        std::size_t n = 0;
        boost::system::error_code ec =
            wait([&](auto cb) { asio::async_write(tcp_, asio::buffer(bytes.data(), bytes.size()), cb); }, n,
                 plan_.give_up);
        return ec ? std::string("write: ") + ec.message() : std::string();
    }

    // --- raw TCP ----------------------------------------------------------------------------

    std::string receive_tcp() {
        if (std::string err = connect(); !err.empty()) return err;
        while (!done() && !leaving()) {
            // First the 4-byte length, then exactly that many bytes: the framing of lab 01.
            if (std::string err = fill(4); !err.empty()) return err;
            std::uint32_t length = 0;
            for (int i = 0; i < 4; ++i) length = length << 8 | static_cast<std::uint8_t>(in_[static_cast<std::size_t>(i)]);
            // A length is a claim; check it before waiting for (or allocating) that much.
            if (length > kMaxMessage) return "a length prefix of " + std::to_string(length) + " bytes: not our protocol";
            if (std::string err = fill(4 + length); !err.empty()) return err;
            record(std::string_view(in_).substr(4, length));
            in_.erase(0, 4 + length);
        }
        return {};
    }

    // --- UDP --------------------------------------------------------------------------------

    std::string receive_udp() {
        boost::system::error_code ec;
        asio::ip::address address = asio::ip::make_address(plan_.host, ec);
        if (ec) return plan_.host + " is not an IP address";
        hub_udp_ = udp::endpoint(address, plan_.port);
        // socket() and bind() to port 0: the kernel picks our port, and the hub learns it from
        // the source address of our "hello". No handshake: the hello is just a datagram.
        udp_ = udp::socket(io_);
        udp_.open(hub_udp_.protocol(), ec);
        if (!ec) udp_.bind(udp::endpoint(hub_udp_.protocol(), 0), ec);
        if (ec) return "udp socket: " + ec.message();
        std::array<char, kMaxMessage> datagram{};
        while (!done() && !leaving()) {
            if (!said_hello_) {
                udp_.send_to(asio::buffer("hello", 5), hub_udp_, 0, ec);
                if (ec) return "sendto: " + ec.message();
                said_hello_ = true;
                say(plan_.who, "said hello from port %u", udp_.local_endpoint(ec).port());
            }
            std::size_t n = 0;
            udp::endpoint from;
            // A second of silence may mean the hello was lost (UDP does not retransmit; on
            // loopback it will not be, on Wi-Fi it may): say it again. Hello is idempotent.
            auto deadline = std::min(plan_.give_up, Clock::now() + std::chrono::seconds(1));
            ec = wait([&](auto cb) { udp_.async_receive_from(asio::buffer(datagram), from, cb); }, n, deadline);
            if (ec == asio::error::timed_out) {
                if (Clock::now() >= plan_.give_up) return "no datagram before the give-up time";
                said_hello_ = false;
                continue;
            }
            if (ec) return "recvfrom: " + ec.message();
            if (from != hub_udp_) continue;  // anyone can send us a datagram; only the hub counts
            record(std::string_view(datagram.data(), n));
        }
        return {};
    }

    // --- HTTP polling -----------------------------------------------------------------------

    std::string receive_polls() {
        bool is_long = plan_.kind == Transport::long_poll;
        while (!done() && !leaving()) {
            if (!tcp_.is_open())
                if (std::string err = connect(); !err.empty()) return err;
            // "Everything after the last one I have": the receiver's position travels in every
            // request, so the hub keeps no state per receiver, and nothing is lost while away.
            std::string target = "/messages?since=" + std::to_string(max_seen_);
            if (is_long) target += "&wait=" + std::to_string(plan_.wait_s);
            std::string request = "GET " + target + " HTTP/1.1\r\nHost: " + plan_.host + ":" +
                                  std::to_string(plan_.port) + "\r\nUser-Agent: wirelab-lab05\r\n\r\n";
            if (std::string err = send(request); !err.empty()) return err;
            if (std::string err = read_answer(); !err.empty()) return err;
            if (!is_long && !done()) std::this_thread::sleep_for(std::chrono::milliseconds(plan_.poll_ms));
        }
        return {};
    }

    // Reads until in_ starts with a whole response head, and parses it with core's parser.
    // The views in `m` point into in_.
    std::string read_head(http::Message& m) {
        for (http::Result r = http::parse_head(in_, m); r.status != http::Status::complete;
             r = http::parse_head(in_, m)) {
            if (r.status == http::Status::error) return "bad HTTP answer: " + r.error;
            if (std::string err = fill(in_.size() + 1); !err.empty()) return err;
        }
        return {};
    }

    // One answer: the head, then Content-Length bytes of messages.
    std::string read_answer() {
        http::Message m;
        if (std::string err = read_head(m); !err.empty()) return err;
        std::uint64_t length = 0;
        std::string error;
        http::BodyKind kind = http::body_kind(m, "GET", length, error);
        if (!error.empty() || kind == http::BodyKind::chunked || kind == http::BodyKind::until_close)
            return "an answer without a Content-Length: " + error;
        if (length > kMaxAnswer) return "an answer of " + std::to_string(length) + " bytes is too long";
        int status = m.status;
        bool close = m.header_has_token("Connection", "close");
        std::size_t head = m.head_length;
        if (std::string err = fill(head + length); !err.empty()) return err;
        if (status != 200 && status != 204) return "the hub answered " + std::to_string(status) + ": " + in_.substr(head, length);
        std::string_view body = std::string_view(in_).substr(head, length);
        while (!body.empty()) {
            std::size_t eol = body.find('\n');
            record(body.substr(0, eol));
            body.remove_prefix(eol == std::string_view::npos ? body.size() : eol + 1);
        }
        in_.erase(0, head + length);
        if (close) {
            boost::system::error_code ignored;
            tcp_.close(ignored);
        }
        return {};
    }

    // --- WebSocket --------------------------------------------------------------------------

    std::string receive_ws() {
        if (std::string err = connect(); !err.empty()) return err;
        // The opening handshake (RFC 6455 section 4.1): an HTTP GET asking to switch protocols,
        // with 16 random bytes as the key the server must answer for.
        std::array<std::uint8_t, 16> nonce{};
        for (auto& b : nonce) b = static_cast<std::uint8_t>(rng_());
        std::string key = wirelab::base64_encode(nonce);
        std::string request = "GET /ws HTTP/1.1\r\nHost: " + plan_.host + ":" + std::to_string(plan_.port) +
                              "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
                              "\r\nSec-WebSocket-Version: 13\r\n\r\n";
        if (std::string err = send(request); !err.empty()) return err;
        http::Message m;
        if (std::string err = read_head(m); !err.empty()) return err;
        if (m.status != 101 || m.header("Sec-WebSocket-Accept") != std::optional<std::string_view>(ws::accept_key(key)))
            return "the hub did not switch to WebSocket (status " + std::to_string(m.status) + ")";
        in_.erase(0, m.head_length);  // what follows may already be the first frames
        while (!done() && !leaving()) {
            std::uint8_t opcode = 0;
            std::string payload;
            if (std::string err = read_frame(opcode, payload); !err.empty()) return err;
            if (opcode == ws::kText) record(payload);
            if (opcode == ws::kPing) send_frame(ws::kPong, payload);
            if (opcode == ws::kClose) return "the hub sent Close";
        }
        return {};
    }

    std::string read_frame(std::uint8_t& opcode, std::string& payload) {
        ws::FrameHeader h;
        while (true) {
            std::string error;
            auto bytes = std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(in_.data()), in_.size());
            ws::Parse p = ws::parse_header(bytes, h, &error);
            if (p == ws::Parse::error) return "bad frame: " + error;
            if (p == ws::Parse::complete) break;
            if (std::string err = fill(in_.size() + 1); !err.empty()) return err;
        }
        // The hub pushes whole text messages; a server frame must not be masked (section 5.1).
        if (auto v = ws::check_frame(h, false, false, false)) return "frame breaks RFC 6455: " + v->reason;
        if (!h.fin) return "the hub fragmented a message; this receiver takes whole frames only";
        if (h.payload_length > kMaxMessage) return "a frame of " + std::to_string(h.payload_length) + " bytes";
        if (std::string err = fill(h.header_length + h.payload_length); !err.empty()) return err;
        opcode = h.opcode;
        payload = in_.substr(h.header_length, h.payload_length);
        in_.erase(0, h.header_length + h.payload_length);
        return {};
    }

    // Client frames are masked with 4 fresh random bytes (RFC 6455 section 5.3), so that what a
    // browser script sends cannot look like a request to a proxy in the middle.
    std::string send_frame(std::uint8_t opcode, std::string_view payload) {
        std::array<std::uint8_t, 4> mask{};
        for (auto& b : mask) b = static_cast<std::uint8_t>(rng_());
        std::vector<std::uint8_t> frame;
        ws::encode_frame(frame, opcode, {reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()}, true,
                         mask);
        return send(std::string_view(reinterpret_cast<const char*>(frame.data()), frame.size()));
    }

    // --- leaving ----------------------------------------------------------------------------

    // How each transport says goodbye; `away` means it will come back later.
    void goodbye(bool away) {
        boost::system::error_code ignored;
        if (plan_.kind == Transport::udp) {
            // Without a connection there is nothing to close: tell the hub in a datagram.
            if (udp_.is_open()) udp_.send_to(asio::buffer("bye", 3), hub_udp_, 0, ignored);
            udp_.close(ignored);
            said_hello_ = false;
            return;
        }
        if (!tcp_.is_open()) return;
        if (plan_.kind == Transport::ws) {
            // The closing handshake (section 7): our Close, the hub's Close back, then the hub
            // ends the TCP connection and we see end of stream. 1001 is "going away".
            auto code = ws::close_payload(away ? ws::kGoingAway : ws::kNormal, away ? "away for a while" : "done");
            if (send_frame(ws::kClose, std::string_view(reinterpret_cast<const char*>(code.data()), code.size()))
                    .empty()) {
                std::uint8_t opcode = 0;
                std::string payload;
                // Messages already on their way are read and dropped: we said we are leaving.
                while (read_frame(opcode, payload).empty() && opcode != ws::kClose) {}
                fill(in_.size() + 1);  // until the hub's FIN
            }
        } else {
            // TCP: shutdown(SHUT_WR) sends our FIN; the hub's read() returns end of stream and
            // it drops us from its list. Then wait for its FIN, so the close is clean on the wire.
            tcp_.shutdown(tcp::socket::shutdown_send, ignored);
            while (fill(in_.size() + 1).empty()) {}
        }
        tcp_.close(ignored);
    }

    ReceiverPlan plan_;
    ReceiverLog& log_;
    std::mt19937 rng_;
    asio::io_context io_;
    tcp::socket tcp_{io_};
    udp::socket udp_{io_};
    udp::endpoint hub_udp_;
    std::array<char, 4096> chunk_{};
    std::string in_;
    std::uint64_t max_seen_ = 0;
    bool returned_ = false;
    bool said_hello_ = false;
};

}  // namespace

ReceiverLog run_receiver(const ReceiverPlan& plan) {
    ReceiverLog log;
    Receiver(plan, log).run();
    return log;
}

}  // namespace lab05
