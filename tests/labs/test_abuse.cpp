// The lab servers under abuse, on loopback: slowloris heads, half-open connections, frames that
// break RFC 6455, Engine.IO and Socket.IO garbage, clients that never read, connection floods.
// Each case checks the refusal the protocol asks for, that a well-behaved client is served
// during and after the abuse, that the abuse ends in bounded time (the servers' timeouts, set
// small through their options), and that the server's memory (VmRSS) and file descriptors
// (/proc/PID/fd) come back. The figures are in docs/reliability.md, "Lab servers under abuse".
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <regex>
#include <thread>

#include "lab_support.hpp"
#include "wirelab/websocket.hpp"
#include "ws_conformance/server_process.hpp"

namespace {

namespace ws = wirelab::ws;
using Clock = std::chrono::steady_clock;

// AddressSanitizer keeps freed memory in quarantine (256 MB by default), so a sanitizer build's
// RSS grows with what was freed, not with what is held: the memory bounds are checked in the
// normal build only (the figures are printed in both).
#ifdef __SANITIZE_ADDRESS__
constexpr bool kRssMeaningful = false;
#else
constexpr bool kRssMeaningful = true;
#endif

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }
void sleep_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// The server's resident memory in KiB (VmRSS in /proc/PID/status).
long rss_kib(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return -1;
}

// The server's open file descriptors (entries of /proc/PID/fd).
int fd_count(pid_t pid) {
    std::error_code ec;
    int n = 0;
    for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
        ++n;
    return n;
}

// The server's descriptors once what was closing has closed: the baseline to come back to.
int fds_at_rest(pid_t pid) {
    sleep_ms(300);
    return fd_count(pid);
}

// Waits (up to `timeout_s`) for the server's descriptors to come back to `want`: closing is
// asynchronous, a timer or a handler may still hold one for a moment.
int fds_settle(pid_t pid, int want, double timeout_s = 3) {
    auto t0 = Clock::now();
    int n = fd_count(pid);
    while (n > want && seconds_since(t0) < timeout_s) {
        sleep_ms(50);
        n = fd_count(pid);
    }
    return n;
}

// Waits until the server's output has `needle` in it `times` times.
bool output_has(labtest::ServerProcess& s, const std::string& needle, double timeout_s, int times = 1) {
    auto t0 = Clock::now();
    while (labtest::count_lines(s.output(), needle) < times) {
        if (seconds_since(t0) > timeout_s) return false;
        sleep_ms(50);
    }
    return true;
}

// One TCP connection from the test to 127.0.0.1:port, used by hand.
class Conn {
public:
    // A small receive buffer (rcvbuf) makes a client that never reads fill up in kilobytes.
    explicit Conn(int port, int rcvbuf = 0) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        REQUIRE(fd_ >= 0);
        if (rcvbuf > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
        int one = 1;
        ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<std::uint16_t>(port));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
    }
    ~Conn() {
        if (fd_ >= 0) ::close(fd_);
    }
    Conn(const Conn&) = delete;
    Conn& operator=(const Conn&) = delete;

    // Sends all of `bytes` unless the peer stops taking them for `stall_ms` (a server that
    // stopped reading) or the connection fails. Returns the bytes sent.
    std::size_t send(std::string_view bytes, int stall_ms = 2000) {
        std::size_t sent = 0;
        while (sent < bytes.size()) {
            ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
            if (n > 0) {
                sent += static_cast<std::size_t>(n);
                continue;
            }
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) break;
            pollfd p{fd_, POLLOUT, 0};
            if (::poll(&p, 1, stall_ms) <= 0) break;
        }
        return sent;
    }
    std::size_t send(const std::vector<std::uint8_t>& bytes, int stall_ms = 2000) {
        return send(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), stall_ms);
    }

    // Reads what arrives until `done(got_)` or the peer closes or `timeout_ms` passes.
    // Returns true if `done` said so.
    bool read_until(const std::function<bool(std::string&)>& done, int timeout_ms) {
        auto t0 = Clock::now();
        while (!done(got_)) {
            int left = timeout_ms - static_cast<int>(seconds_since(t0) * 1000);
            if (left <= 0 || closed_) return false;
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, left) <= 0) return false;
            read_now();
        }
        return true;
    }
    bool read_until(const std::string& needle, int timeout_ms) {
        return read_until([&](const std::string& g) { return g.find(needle) != std::string::npos; }, timeout_ms);
    }
    // Reads what is there now, without waiting.
    void read_now() {
        char buf[65536];
        while (true) {
            ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
            if (n > 0) {
                got_.append(buf, static_cast<std::size_t>(n));
                continue;
            }
            if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) closed_ = true;
            return;
        }
    }
    // Reads until the server closes; true if it did within `timeout_s`.
    bool wait_closed(double timeout_s) {
        read_until([](const std::string&) { return false; }, static_cast<int>(timeout_s * 1000));
        return closed_;
    }
    // Without reading a byte: has the server closed its side (FIN or reset)? Waits up to
    // `timeout_s`. This is how a client that never reads finds out it was dropped.
    bool hung_up(double timeout_s) {
        auto t0 = Clock::now();
        while (seconds_since(t0) < timeout_s) {
            pollfd p{fd_, POLLRDHUP, 0};
            if (::poll(&p, 1, 50) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR))) return true;
        }
        return false;
    }

    std::string& got() { return got_; }
    bool closed() const { return closed_; }

private:
    int fd_ = -1;
    std::string got_;
    bool closed_ = false;
};

std::string status_line(const std::string& response) { return response.substr(0, response.find("\r\n")); }

// One request on a new connection that asks to be closed after it; the whole answer.
std::string ask(int port, const std::string& request, int timeout_ms = 3000) {
    Conn c(port);
    c.send(request);
    c.wait_closed(timeout_ms / 1000.0);
    return c.got();
}

// A request line longer than the server's head limit gets 414, more header fields than core's
// parser takes (100) get 431 (RFC 9110 sections 15.5.15, RFC 6585 section 5).
void check_oversized_heads(int port, const std::string& path) {
    std::string line = "GET " + path + std::string(20000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n";
    CHECK(status_line(ask(port, line)) == "HTTP/1.1 414 URI Too Long");
    std::string many = "GET " + path + " HTTP/1.1\r\nHost: x\r\n";
    for (int i = 0; i < 101; ++i) many += "X-" + std::to_string(i) + ": 1\r\n";
    CHECK(status_line(ask(port, many + "\r\n")) == "HTTP/1.1 431 Request Header Fields Too Large");
}

// --- WebSocket, from the client's side (RFC 6455) -----------------------------------------------

const std::string kKey = "dGhlIHNhbXBsZSBub25jZQ==";  // RFC 6455 section 1.3's example

std::string upgrade_request(const std::string& target) {
    return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: " + kKey + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
}

// One frame as a client sends it: `first` is the first byte (FIN, RSV, opcode), masked unless
// told otherwise (an unmasked client frame is the abuse).
std::vector<std::uint8_t> frame(std::uint8_t first, std::string_view payload, bool masked = true) {
    std::vector<std::uint8_t> out;
    std::optional<std::array<std::uint8_t, 4>> mask;
    if (masked) mask = std::array<std::uint8_t, 4>{0x37, 0xfa, 0x21, 0x3d};
    ws::encode_frame(out, first & 0x0f,
                     std::span(reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()),
                     (first & 0x80) != 0, mask);
    return out;
}

struct ServerFrame {
    std::uint8_t opcode = 0;
    std::string payload;
    std::uint16_t close_code() const {
        return payload.size() >= 2 ? static_cast<std::uint16_t>(static_cast<std::uint8_t>(payload[0]) << 8 |
                                                                  static_cast<std::uint8_t>(payload[1]))
                                   : 0;
    }
};

// The complete frames in `bytes` (after the HTTP head).
std::vector<ServerFrame> frames_in(std::string_view bytes) {
    std::vector<ServerFrame> out;
    auto data = std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    while (!data.empty()) {
        ws::FrameHeader h;
        if (ws::parse_header(data, h) != ws::Parse::complete) break;
        if (data.size() < h.header_length + h.payload_length) break;
        out.push_back({h.opcode, std::string(bytes.substr(h.header_length, h.payload_length))});
        data = data.subspan(h.header_length + h.payload_length);
        bytes.remove_prefix(h.header_length + h.payload_length);
    }
    return out;
}

// A WebSocket client on a Conn: the opening handshake, then frames.
class WsClient {
public:
    WsClient(int port, const std::string& target, int rcvbuf = 0) : c_(port, rcvbuf) {
        c_.send(upgrade_request(target));
        c_.read_until("\r\n\r\n", 5000);
        std::string& got = c_.got();
        std::size_t end = got.find("\r\n\r\n");
        if (end != std::string::npos) {
            head_ = got.substr(0, end + 4);
            got.erase(0, end + 4);
        }
    }
    bool open() const { return head_.rfind("HTTP/1.1 101 ", 0) == 0; }
    Conn& conn() { return c_; }
    std::size_t send(const std::vector<std::uint8_t>& bytes, int stall_ms = 2000) { return c_.send(bytes, stall_ms); }
    std::size_t send(std::string_view bytes, int stall_ms = 2000) { return c_.send(bytes, stall_ms); }
    void send_text(std::string_view text) { c_.send(frame(0x81, text)); }
    // Reads until `want` frames are in (or a close frame, or the timeout); returns them all.
    std::vector<ServerFrame> frames(std::size_t want, int timeout_ms = 3000) {
        c_.read_until(
            [&](const std::string& g) {
                auto f = frames_in(g);
                return f.size() >= want || (!f.empty() && f.back().opcode == ws::kClose);
            },
            timeout_ms);
        return frames_in(c_.got());
    }
    // The code of the server's close frame, waiting up to `timeout_ms` for it; 0 if none came.
    // The close is answered with the same code, as a client should (RFC 6455 section 5.5.1),
    // so the server need not wait for it before it closes TCP.
    std::uint16_t close_code(int timeout_ms = 3000) {
        for (const auto& f : frames(1000000, timeout_ms)) {
            if (f.opcode != ws::kClose) continue;
            c_.send(frame(0x88, f.payload.substr(0, 2)));
            return f.close_code();
        }
        return 0;
    }

private:
    Conn c_;
    std::string head_;
};

// Sends `bytes` on an open WebSocket and returns the code of the server's close frame (0 if
// none came); the server must then end the TCP connection too.
std::uint16_t close_code_after(WsClient& c, const std::vector<std::uint8_t>& bytes) {
    REQUIRE(c.open());
    c.send(bytes);
    std::uint16_t code = c.close_code();
    CHECK(c.conn().wait_closed(4));
    return code;
}

// A 64-bit length of 2 GiB in a masked binary frame's header, and no payload.
const std::vector<std::uint8_t> kHugeHeader = {0x82, 0xff, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff, 1, 2, 3, 4};

// A text message sent and the same text echoed back: the well-behaved client of lab 04.
bool echo_works(int port, const std::string& text) {
    WsClient c(port, "/");
    if (!c.open()) return false;
    c.send_text(text);
    for (const auto& f : c.frames(1))
        if (f.opcode == ws::kText) return f.payload == text;
    return false;
}

// Dribbles `request` to the server one byte every `every_ms` (slowloris) until the server
// closes or `limit_s` passes; `meanwhile` runs once, a second in, while the bytes dribble.
struct Slowloris {
    double closed_after = -1;  // seconds until the server closed; -1 if it did not
    std::string answer;        // what the server said before closing
    std::size_t bytes_sent = 0;
};
Slowloris slowloris(int port, const std::string& request, double limit_s, const std::function<void()>& meanwhile,
                    int every_ms = 1000) {
    Slowloris s;
    Conn c(port);
    auto t0 = Clock::now();
    bool ran = false;
    double next_byte = 0;
    while (seconds_since(t0) < limit_s) {
        if (seconds_since(t0) >= next_byte && s.bytes_sent < request.size()) {
            s.bytes_sent += c.send(std::string_view(request).substr(s.bytes_sent, 1), 100);
            next_byte += every_ms / 1000.0;
        }
        if (!ran && seconds_since(t0) > 1.0) {
            meanwhile();
            ran = true;
        }
        c.read_until([](const std::string&) { return false; }, 50);
        if (c.closed()) {
            s.closed_after = seconds_since(t0);
            break;
        }
    }
    s.answer = c.got();
    return s;
}

// --- Lab 03 -------------------------------------------------------------------------------------

// A message posted, then read back with a poll after the one before it: lab 03's
// well-behaved client.
bool lab03_works(int port) {
    std::string posted = ask(port, "POST /messages HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello");
    if (posted.rfind("HTTP/1.1 201 Created\r\n", 0) != 0) return false;
    unsigned long id = std::stoul(posted.substr(posted.find("\r\n\r\n") + 4));  // the body is the new id
    std::string got = ask(port, "GET /messages?since=" + std::to_string(id - 1) +
                                    " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    return got.rfind("HTTP/1.1 200 OK\r\n", 0) == 0 && got.find(std::to_string(id) + "\t") != std::string::npos &&
           got.find("\thello\n") != std::string::npos;
}

// --- Lab 05 -------------------------------------------------------------------------------------

// The hub's five ports by name (tcp udp short long ws), from its "listening on" lines.
std::map<std::string, int> hub_ports(labtest::ServerProcess& hub) {
    std::map<std::string, int> ports;
    static const std::regex kLine("listening on 127\\.0\\.0\\.1:([0-9]+) \\(([a-z]+),");
    for (int i = 0; i < 100 && ports.size() < 5; ++i) {
        std::string out = hub.output();
        for (std::sregex_iterator it(out.begin(), out.end(), kLine), end; it != end; ++it)
            ports[(*it)[2].str()] = std::stoi((*it)[1].str());
        if (ports.size() < 5) sleep_ms(50);
    }
    return ports;
}

bool hub_poll_works(int short_port) {
    std::string got = ask(short_port, "GET /messages?since=0 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    return got.rfind("HTTP/1.1 200 OK\r\n", 0) == 0 || got.rfind("HTTP/1.1 204 No Content\r\n", 0) == 0;
}

// A WebSocket receiver that gets `n` pushed messages from the hub.
bool hub_ws_works(int ws_port, std::size_t n = 3) {
    WsClient c(ws_port, "/ws");
    if (!c.open()) return false;
    std::size_t text = 0;
    for (const auto& f : c.frames(n, 5000)) text += f.opcode == ws::kText;
    return text >= n;
}

// --- Lab 06: Engine.IO and Socket.IO by hand ---------------------------------------------------

// A polling handshake: the answer should be 200 with the OPEN packet; returns the sid ("" if not).
std::string eio_open(int port) {
    std::string got = ask(port, "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    std::smatch m;
    static const std::regex kSid("0\\{\"sid\":\"([A-Za-z0-9_-]+)\"");
    if (got.rfind("HTTP/1.1 200", 0) != 0 || !std::regex_search(got, m, kSid)) return {};
    return m[1].str();
}

// A Socket.IO client over WebSocket only: OPEN read, CONNECT to "/" sent and answered.
std::unique_ptr<WsClient> sio_connect(int port, const std::string& nickname, int rcvbuf = 0) {
    auto c = std::make_unique<WsClient>(port, "/socket.io/?EIO=4&transport=websocket", rcvbuf);
    if (!c->open()) return nullptr;
    auto f = c->frames(1);
    if (f.empty() || f[0].payload.rfind("0{\"sid\"", 0) != 0) return nullptr;
    c->send_text("40{\"nickname\":\"" + nickname + "\"}");
    if (!c->conn().read_until("40{\"sid\"", 3000)) return nullptr;
    return c;
}

// Everything the Engine.IO session of a WebSocket client sent, as text messages.
int count_in(const std::string& text, const std::string& needle) {
    int n = 0;
    for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++n;
    return n;
}

bool chat_works(int port, const std::string& nickname) {
    auto c = sio_connect(port, nickname);
    if (!c) return false;
    c->send_text("42[\"chat message\",\"hello from " + nickname + "\"]");
    return c->conn().read_until("42[\"chat message\",\"hello from " + nickname + "\"]", 3000);
}

}  // namespace

// ================================================================================================
// Lab 03, the HTTP polling server
// ================================================================================================

TEST_CASE("lab 03 under abuse: slowloris and half-sent requests get 408 within --idle-s, others are served",
          "[lab][lab03][abuse]") {
    labtest::ServerProcess server({labtest::lab(3), "server", "--port", "0", "--idle-s", "2"});
    REQUIRE(server.port() > 0);
    const int port = server.port();
    const int fds_before = fds_at_rest(server.pid());

    // A head dribbled a byte a second: the clock is not restarted by each byte.
    bool served_meanwhile = false;
    Slowloris s = slowloris(port, "GET /messages?since=0 HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n\r\n", 8,
                            [&] { served_meanwhile = lab03_works(port); });
    INFO(s.answer);
    CHECK(served_meanwhile);
    CHECK(s.closed_after > 1.5);
    CHECK(s.closed_after < 3.5);
    CHECK(status_line(s.answer) == "HTTP/1.1 408 Request Timeout");

    // Half a request, then nothing (the client vanished without a FIN, as far as the server
    // can tell): 408 and closed, and the client's read sees it without sending anything more.
    Conn half(port);
    half.send("POST /messages HTTP/1.1\r\nHost: x\r\nContent-Le");
    auto t0 = Clock::now();
    CHECK(half.hung_up(4));
    CHECK(seconds_since(t0) < 3.5);
    half.wait_closed(1);
    CHECK(status_line(half.got()) == "HTTP/1.1 408 Request Timeout");
    // A head that is complete but whose body never comes: the same.
    Conn body(port);
    body.send("POST /messages HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly part");
    CHECK(body.wait_closed(4));
    CHECK(status_line(body.got()) == "HTTP/1.1 408 Request Timeout");
    check_oversized_heads(port, "/messages?since=0&x=");

    CHECK(lab03_works(port));
    CHECK(fds_settle(server.pid(), fds_before) == fds_before);
    CHECK(labtest::count_lines(server.output(), "-> 408") == 3);
    CHECK(server.stop() == 0);
}

TEST_CASE("lab 03 under abuse: a client that never reads is closed after --idle-s, and memory and descriptors come back",
          "[lab][lab03][abuse]") {
    labtest::ServerProcess server({labtest::lab(3), "server", "--port", "0", "--idle-s", "2"});
    REQUIRE(server.port() > 0);
    const int port = server.port();
    // 100 messages of 4000 bytes: each GET since=0 is answered with about 400 kB.
    {
        Conn c(port);
        std::string body(4000, 'm');
        std::string posts;
        for (int i = 0; i < 100; ++i)
            posts += "POST /messages HTTP/1.1\r\nHost: x\r\nContent-Length: 4000\r\n\r\n" + body;
        posts += "GET /messages?since=99 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        c.send(posts);
        CHECK(c.wait_closed(5));
        CHECK(labtest::count_lines(c.got(), "HTTP/1.1 201 Created") == 100);
    }
    const pid_t pid = server.pid();
    const long rss_before = rss_kib(pid);
    const int fds_before = fds_at_rest(pid);

    // The reader that never reads: 200 polls pipelined (80 MB of answers), a 4 KiB window.
    Conn stalled(port, 4096);
    std::string polls;
    for (int i = 0; i < 200; ++i) polls += "GET /messages?since=0 HTTP/1.1\r\nHost: x\r\n\r\n";
    stalled.send(polls);
    auto t0 = Clock::now();
    sleep_ms(700);
    const long rss_peak = rss_kib(pid);
    CHECK(lab03_works(port));  // served while the stalled one waits
    CHECK(stalled.hung_up(5));
    double dropped_after = seconds_since(t0);
    CHECK(dropped_after < 4);
    CHECK(output_has(server, "has not read its answer in 2 s", 2));
    CHECK(lab03_works(port));

    const long rss_after = rss_kib(pid);
    std::printf("lab 03 never-reading client: dropped after %.1f s; VmRSS %ld KiB before, %ld during, %ld after\n",
                dropped_after, rss_before, rss_peak, rss_after);
    // One answer (400 kB) is held for it, not 200: the growth stays far below 80 MB.
    if (kRssMeaningful) CHECK(rss_peak - rss_before < 8 * 1024);
    if (kRssMeaningful) CHECK(rss_after - rss_before < 8 * 1024);
    CHECK(fds_settle(pid, fds_before) == fds_before);
    CHECK(server.stop() == 0);
}

TEST_CASE("lab 03 under abuse: a flood past --max-connections gets 503, and served after it, descriptors come back",
          "[lab][lab03][abuse]") {
    labtest::ServerProcess server({labtest::lab(3), "server", "--port", "0", "--max-connections", "8", "--idle-s", "5"});
    REQUIRE(server.port() > 0);
    const int port = server.port();
    const int fds_before = fds_at_rest(server.pid());
    {
        std::vector<std::unique_ptr<Conn>> flood;
        for (int i = 0; i < 60; ++i) flood.push_back(std::make_unique<Conn>(port));
        int refused = 0;
        for (auto& c : flood) {
            c->read_until("\r\n\r\n", 300);
            refused += status_line(c->got()) == "HTTP/1.1 503 Service Unavailable";
        }
        CHECK(refused == 52);
        CHECK(fd_count(server.pid()) <= fds_before + 8 + 4);  // the 8 it serves (and a refused one closing)
    }
    // The flood went away (its sockets closed): everyone is served again.
    CHECK(fds_settle(server.pid(), fds_before) == fds_before);
    CHECK(lab03_works(port));
    CHECK(server.stop() == 0);
}

// ================================================================================================
// Lab 04, the WebSocket servers (the narrated `server` and the fast `echo-server`)
// ================================================================================================

TEST_CASE("lab 04 under abuse: slowloris handshakes end at --handshake-timeout, silent sockets get 1001 at --idle",
          "[lab][lab04][abuse]") {
    for (const char* mode : {"echo-server", "server"}) {
        INFO(mode);
        labtest::ServerProcess server({labtest::lab(4), mode, "--port", "0", "--push-every", "0", "--handshake-timeout",
                                       "2", "--idle", "2"});
        REQUIRE(server.port() > 0);
        const int port = server.port();
        const int fds_before = fds_at_rest(server.pid());

        bool served_meanwhile = false;
        Slowloris s = slowloris(port, upgrade_request("/"), 8, [&] { served_meanwhile = echo_works(port, "during"); });
        CHECK(served_meanwhile);
        CHECK(s.closed_after > 1.5);
        CHECK(s.closed_after < 3.5);
        CHECK(s.answer.empty());  // no HTTP answer to half a handshake: the TCP connection ends

        // After a good handshake, a client that goes silent (vanished, as far as the server can
        // tell): the server's idle limit closes it with 1001, going away (RFC 6455 7.4.1).
        WsClient silent(port, "/");
        REQUIRE(silent.open());
        auto t0 = Clock::now();
        CHECK(silent.close_code(5000) == ws::kGoingAway);
        CHECK(seconds_since(t0) > 1.5);
        CHECK(seconds_since(t0) < 3.5);
        CHECK(silent.conn().wait_closed(4));
        check_oversized_heads(port, "/");

        CHECK(echo_works(port, "after"));
        CHECK(fds_settle(server.pid(), fds_before) == fds_before);
        CHECK(server.stop() == 0);
    }
}

TEST_CASE("lab 04 narrated server: unmasked 1002, invalid UTF-8 1007, too big 1009, while another client is served",
          "[lab][lab04][abuse]") {
    labtest::ServerProcess server({labtest::lab(4), "server", "--port", "0", "--push-every", "0", "--max-message", "1000"});
    REQUIRE(server.port() > 0);
    const int port = server.port();
    // A well-behaved client stays connected through all of it.
    WsClient good(port, "/");
    REQUIRE(good.open());
    auto close_code_for = [&](const std::vector<std::uint8_t>& bytes) {
        WsClient c(port, "/");
        return close_code_after(c, bytes);
    };
    CHECK(close_code_for(frame(0x81, "hello", false)) == ws::kProtocolError);        // section 5.1
    CHECK(close_code_for(frame(0x81, "bad \xc0\xaf")) == ws::kInvalidPayload);       // section 8.1
    CHECK(close_code_for(frame(0x01, "ok \xed\xa0\x80")) == ws::kInvalidPayload);    // a surrogate, FIN=0
    CHECK(close_code_for(frame(0x82, std::string(1001, 'x'))) == ws::kMessageTooBig);
    CHECK(close_code_for(kHugeHeader) == ws::kMessageTooBig);                        // from the header alone
    good.send_text("still here");
    auto frames = good.frames(1);
    REQUIRE(frames.size() == 1);
    CHECK(frames[0].payload == "still here");
    CHECK(echo_works(port, "after"));
    CHECK(server.stop() == 0);
}

TEST_CASE("lab 04 under abuse: a client that sends and never reads is bounded (backpressure, queue cap, --idle)",
          "[lab][lab04][abuse]") {
    // 64 KiB binary messages, 48 MiB of them offered: echoed into a queue without a bound,
    // that is 48 MiB held by the server.
    const std::string chunk(64 * 1024, 'z');
    const auto message = frame(0x82, chunk);
    std::string offer;
    for (int i = 0; i < 768; ++i) offer.append(message.begin(), message.end());

    SECTION("echo-server: it stops reading once 1 MiB waits, and --idle closes the connection") {
        labtest::ServerProcess server({labtest::lab(4), "echo-server", "--port", "0", "--idle", "3"});
        REQUIRE(server.port() > 0);
        const pid_t pid = server.pid();
        const long rss_before = rss_kib(pid);
        const int fds_before = fds_at_rest(pid);
        WsClient stalled(server.port(), "/", 4096);
        REQUIRE(stalled.open());
        std::size_t taken = stalled.send(offer, 1000);  // until the server stops taking them
        auto t0 = Clock::now();
        const long rss_peak = rss_kib(pid);
        CHECK(taken < offer.size() / 2);  // the rest is refused by TCP flow control
        CHECK(echo_works(server.port(), "during"));
        CHECK(stalled.conn().hung_up(6));
        double dropped_after = seconds_since(t0);
        CHECK(echo_works(server.port(), "after"));
        std::printf("lab 04 echo-server never-reading client: %zu of %zu bytes taken, closed %.1f s later; "
                    "VmRSS %ld KiB before, %ld during, %ld after\n",
                    taken, offer.size(), dropped_after, rss_before, rss_peak, rss_kib(pid));
        if (kRssMeaningful) CHECK(rss_peak - rss_before < 16 * 1024);
        CHECK(fds_settle(pid, fds_before) == fds_before);
        CHECK(server.stop() == 0);
    }
    SECTION("server: dropped once more than two messages' worth waits to be sent") {
        labtest::ServerProcess server({labtest::lab(4), "server", "--port", "0", "--push-every", "0", "--max-message",
                                       "65536"});
        REQUIRE(server.port() > 0);
        const pid_t pid = server.pid();
        const long rss_before = rss_kib(pid);
        const int fds_before = fds_at_rest(pid);
        WsClient stalled(server.port(), "/", 4096);
        REQUIRE(stalled.open());
        std::size_t taken = stalled.send(offer, 1000);
        const long rss_peak = rss_kib(pid);
        CHECK(stalled.conn().hung_up(5));
        CHECK(output_has(server, "the peer is not reading; dropping the connection", 3));
        CHECK(echo_works(server.port(), "after"));
        std::printf("lab 04 server never-reading client: %zu of %zu bytes taken before the drop; VmRSS %ld KiB "
                    "before, %ld during, %ld after\n",
                    taken, offer.size(), rss_before, rss_peak, rss_kib(pid));
        if (kRssMeaningful) CHECK(rss_peak - rss_before < 16 * 1024);
        CHECK(fds_settle(pid, fds_before) == fds_before);
        CHECK(server.stop() == 0);
    }
}

TEST_CASE("lab 04 under abuse: a flood past --max-connections gets 503 in both modes, and descriptors come back",
          "[lab][lab04][abuse]") {
    for (const char* mode : {"echo-server", "server"}) {
        INFO(mode);
        labtest::ServerProcess server({labtest::lab(4), mode, "--port", "0", "--push-every", "0", "--max-connections", "5"});
        REQUIRE(server.port() > 0);
        const int port = server.port();
        const int fds_before = fds_at_rest(server.pid());
        {
            std::vector<std::unique_ptr<WsClient>> held;
            for (int i = 0; i < 5; ++i) {
                held.push_back(std::make_unique<WsClient>(port, "/"));
                CHECK(held.back()->open());
            }
            int refused = 0;
            for (int i = 0; i < 40; ++i) {
                Conn c(port);
                c.send(upgrade_request("/"));
                c.wait_closed(3);
                refused += status_line(c.got()) == "HTTP/1.1 503 Service Unavailable";
            }
            CHECK(refused == 40);
            // The five admitted are still served.
            held[0]->send_text("held");
            auto f = held[0]->frames(1);
            CHECK((!f.empty() && f[0].payload == "held"));
        }
        CHECK(fds_settle(server.pid(), fds_before, 5) == fds_before);
        CHECK(echo_works(port, "after the flood"));
        CHECK(server.stop() == 0);
    }
}

// ================================================================================================
// Lab 05, the hub
// ================================================================================================

TEST_CASE("lab 05 hub under abuse: slowloris gets 408 at --idle-s, bad WebSocket frames their close codes, pushes go on",
          "[lab][lab05][abuse]") {
    labtest::ServerProcess hub({labtest::lab(5), "hub", "--port", "0", "--messages", "0", "--rate", "20", "--idle-s", "2"});
    auto ports = hub_ports(hub);
    REQUIRE(ports.size() == 5);
    const int fds_before = fds_at_rest(hub.pid());

    // Alongside, a connection that sends nothing at all (a receiver gone without a FIN).
    Conn silent(ports["long"]);
    bool served_meanwhile = false;
    Slowloris s = slowloris(ports["short"], "GET /messages?since=0 HTTP/1.1\r\nHost: x\r\n\r\n", 8,
                            [&] { served_meanwhile = hub_poll_works(ports["short"]) && hub_ws_works(ports["ws"]); });
    INFO(s.answer);
    CHECK(served_meanwhile);
    CHECK(s.closed_after > 1.5);
    CHECK(s.closed_after < 3.5);
    CHECK(status_line(s.answer) == "HTTP/1.1 408 Request Timeout");
    CHECK(silent.wait_closed(1));  // closed at --idle-s like the slowloris, without a word
    CHECK(silent.got().empty());
    check_oversized_heads(ports["short"], "/messages?since=0&x=");
    check_oversized_heads(ports["ws"], "/ws?x=");

    // The WebSocket port only pushes: a data frame is refused with 1008 (policy), a control
    // frame over 125 bytes with 1002, an unmasked one with 1002 (RFC 6455 sections 5.1, 5.5).
    auto close_code_for = [&](const std::vector<std::uint8_t>& bytes) {
        WsClient c(ports["ws"], "/ws");
        return close_code_after(c, bytes);
    };
    CHECK(close_code_for(frame(0x81, "hello")) == ws::kPolicyViolation);
    CHECK(close_code_for(kHugeHeader) == ws::kPolicyViolation);
    CHECK(close_code_for(frame(0x89, std::string(200, 'p'))) == ws::kProtocolError);
    CHECK(close_code_for(frame(0x89, "beat", false)) == ws::kProtocolError);

    CHECK(hub_ws_works(ports["ws"]));
    CHECK(hub_poll_works(ports["short"]));
    CHECK(fds_settle(hub.pid(), fds_before) == fds_before);
    CHECK(hub.stop() == 0);
}

TEST_CASE("lab 05 hub under abuse: a WebSocket receiver and a pipelining poller that never read are dropped, memory bounded",
          "[lab][lab05][abuse]") {
    labtest::ServerProcess hub({labtest::lab(5), "hub", "--port", "0", "--messages", "0", "--rate", "1000", "--max-queued",
                                "1000", "--sndbuf", "4096"});
    auto ports = hub_ports(hub);
    REQUIRE(ports.size() == 5);
    const pid_t pid = hub.pid();
    sleep_ms(2000);  // about 2000 messages in the log: a poll since=0 is answered with ~70 kB
    const long rss_before = rss_kib(pid);
    const int fds_before = fds_at_rest(pid);

    WsClient stalled_ws(ports["ws"], "/ws", 4096);
    REQUIRE(stalled_ws.open());
    Conn stalled_poller(ports["short"], 4096);
    std::string polls;
    for (int i = 0; i < 1000; ++i) polls += "GET /messages?since=0 HTTP/1.1\r\nHost: x\r\n\r\n";
    stalled_poller.send(polls, 1000);  // 1000 answers of ~70 kB: 70 MB if all were queued

    auto t0 = Clock::now();
    CHECK(stalled_poller.hung_up(5));
    CHECK(stalled_ws.conn().hung_up(5));
    double dropped_after = seconds_since(t0);
    const long rss_peak = rss_kib(pid);
    CHECK(output_has(hub, "the receiver is not reading: dropping it", 2, 2));
    CHECK(hub_ws_works(ports["ws"]));
    CHECK(hub_poll_works(ports["short"]));
    std::printf("lab 05 hub never-reading ws receiver and poller: dropped within %.1f s; VmRSS %ld KiB before, %ld "
                "after the drops\n",
                dropped_after, rss_before, rss_peak);
    if (kRssMeaningful) CHECK(rss_peak - rss_before < 16 * 1024);
    CHECK(fds_settle(pid, fds_before) == fds_before);
    CHECK(hub.stop() == 0);
}

TEST_CASE("lab 05 hub under abuse: a flood past --max-connections is refused on every TCP port, and descriptors come back",
          "[lab][lab05][abuse]") {
    labtest::ServerProcess hub({labtest::lab(5), "hub", "--port", "0", "--messages", "0", "--rate", "20",
                                "--max-connections", "6"});
    auto ports = hub_ports(hub);
    REQUIRE(ports.size() == 5);
    const int fds_before = fds_at_rest(hub.pid());
    {
        std::vector<std::unique_ptr<Conn>> flood;
        for (int i = 0; i < 6; ++i) flood.push_back(std::make_unique<Conn>(ports["tcp"]));
        sleep_ms(200);
        // Raw TCP has no words for "busy": the connection is closed. HTTP says 503.
        Conn tcp(ports["tcp"]);
        CHECK(tcp.wait_closed(3));
        CHECK(tcp.got().empty());
        for (const char* kind : {"short", "long", "ws"}) {
            for (int i = 0; i < 10; ++i) {
                Conn c(ports[kind]);
                c.send("GET /messages?since=0 HTTP/1.1\r\nHost: x\r\n\r\n");
                c.wait_closed(3);
                CHECK(status_line(c.got()) == "HTTP/1.1 503 Service Unavailable");
            }
        }
        // The six admitted get their pushes all along.
        flood[0]->read_until([](const std::string& g) { return g.size() > 100; }, 3000);
        CHECK(flood[0]->got().size() > 100);
    }
    CHECK(fds_settle(hub.pid(), fds_before, 5) == fds_before);
    CHECK(hub_ws_works(ports["ws"]));
    CHECK(hub_poll_works(ports["short"]));
    CHECK(hub.stop() == 0);
}

// ================================================================================================
// Lab 06, the Socket.IO chat server (labs/socketio)
// ================================================================================================

TEST_CASE("lab 06 under abuse: slowloris gets 408 at --idle-timeout, a silent Engine.IO WebSocket ends at the heartbeat",
          "[lab][lab06][abuse]") {
    labtest::ServerProcess server({labtest::lab(6), "server", "--port", "0", "--idle-timeout", "2", "--ping-interval",
                                   "500", "--ping-timeout", "500"});
    REQUIRE(server.port() > 0);
    const int port = server.port();
    const int fds_before = fds_at_rest(server.pid());

    // Alongside, a connection that sends nothing at all (a client gone without a FIN).
    Conn silent_tcp(port);
    bool served_meanwhile = false;
    Slowloris s = slowloris(port, "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n", 8,
                            [&] { served_meanwhile = !eio_open(port).empty() && chat_works(port, "ada"); });
    INFO(s.answer);
    CHECK(served_meanwhile);
    CHECK(s.closed_after > 1.5);
    CHECK(s.closed_after < 3.5);
    CHECK(status_line(s.answer) == "HTTP/1.1 408 Request Timeout");
    CHECK(silent_tcp.wait_closed(1));  // closed at --idle-timeout like the slowloris, without a word
    CHECK(silent_tcp.got().empty());
    check_oversized_heads(port, "/socket.io/?EIO=4&transport=polling&x=");

    // A Socket.IO client over WebSocket that goes silent (it never answers the pings): the
    // Engine.IO heartbeat closes it after pingInterval + pingTimeout.
    auto silent = sio_connect(port, "silent");
    REQUIRE(silent);
    auto t0 = Clock::now();
    CHECK(silent->conn().read_until("\x81\x01"
                                    "2",
                                    2000));  // the server's PING, one text frame "2"
    CHECK(silent->close_code(3000) != 0);
    CHECK(seconds_since(t0) < 2.5);
    CHECK(silent->conn().wait_closed(4));  // after the 2 s the server waits for our close frame
    CHECK(output_has(server, "silent disconnected (ping timeout)", 2));

    CHECK(chat_works(port, "grace"));
    CHECK(fds_settle(server.pid(), fds_before) == fds_before);
    CHECK(server.stop() == 0);
}

TEST_CASE("lab 06 under abuse: broken frames get 1002, 1007, 1009, and Engine.IO and Socket.IO garbage closes only that session",
          "[lab][lab06][abuse]") {
    labtest::ServerProcess server({labtest::lab(6), "server", "--port", "0", "--max-payload", "1000"});
    REQUIRE(server.port() > 0);
    const int port = server.port();
    auto good = sio_connect(port, "steady");
    REQUIRE(good);

    auto close_code_for = [&](const std::vector<std::uint8_t>& bytes) {
        auto c = sio_connect(port, "mallory");
        REQUIRE(c);
        return close_code_after(*c, bytes);
    };
    // RFC 6455: an unmasked client frame is a protocol error (5.1), text that is not UTF-8 is
    // 1007 (8.1), a message over maxPayload 1009 (the reference server's ws does the same).
    CHECK(close_code_for(frame(0x81, "42[\"chat message\",\"x\"]", false)) == ws::kProtocolError);
    CHECK(close_code_for(frame(0x81, "42[\"chat message\",\"\xff\xfe\"]")) == ws::kInvalidPayload);
    CHECK(close_code_for(frame(0x81, "42[\"chat message\",\"" + std::string(2000, 'x') + "\"]")) == ws::kMessageTooBig);
    CHECK(close_code_for(kHugeHeader) == ws::kMessageTooBig);
    // Engine.IO garbage (no such packet type) and Socket.IO garbage (no such packet type, an
    // event without a name): the session is closed, as the reference server closes it with a
    // "parse error"; the WebSocket gets a close frame and TCP ends.
    for (const char* garbage : {"zzz", "49nonsense", "42{\"not\":\"an array\"}"}) {
        INFO(garbage);
        auto c = sio_connect(port, "mallory");
        REQUIRE(c);
        c->send_text(garbage);
        CHECK(c->close_code() != 0);
        CHECK(c->conn().wait_closed(4));
    }
    CHECK(output_has(server, "mallory disconnected (parse error", 3, 3));
    CHECK(labtest::count_lines(server.output(), "mallory disconnected (parse error") == 3);

    // Over polling, as the reference server (engine.io's transports/polling.js): a body over
    // maxPayload gets 413 and the session stays; a body that does not decode gets 200 "ok" and
    // the session is closed ("parse error"), so its sid is then unknown (code 1).
    std::string sid = eio_open(port);
    REQUIRE(!sid.empty());
    auto post = [&](const std::string& body) {
        return ask(port, "POST /socket.io/?EIO=4&transport=polling&sid=" + sid +
                                  " HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: " +
                                  std::to_string(body.size()) + "\r\n\r\n" + body);
    };
    CHECK(status_line(post(std::string(1001, '4'))) == "HTTP/1.1 413 Content Too Large");
    std::string garbage = post("\x1e\x1e garbage");
    CHECK(status_line(garbage) == "HTTP/1.1 200 OK");  // so the session outlived the 413
    CHECK(garbage.substr(garbage.size() - 6) == "\r\n\r\nok");
    std::string gone = ask(port, "GET /socket.io/?EIO=4&transport=polling&sid=" + sid +
                                          " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    CHECK(gone.find("{\"code\":1,") != std::string::npos);

    // The well-behaved client saw none of it and still chats.
    good->send_text("42[\"chat message\",\"still here\"]");
    CHECK(good->conn().read_until("42[\"chat message\",\"still here\"]", 3000));
    CHECK(server.stop() == 0);
}

TEST_CASE("lab 06 under abuse: a chat client that never reads is dropped at --max-queued, memory stays bounded",
          "[lab][lab06][abuse]") {
    labtest::ServerProcess server({labtest::lab(6), "server", "--port", "0", "--quiet", "--max-queued", "1048576"});
    REQUIRE(server.port() > 0);
    const int port = server.port();
    const pid_t pid = server.pid();
    const long rss_before = rss_kib(pid);
    const int fds_before = fds_at_rest(pid);

    auto stalled = sio_connect(port, "stalled", 4096);
    REQUIRE(stalled);
    auto talker = sio_connect(port, "talker");
    REQUIRE(talker);
    // 1000 messages of 60 kB: 60 MB broadcast to each of the two. The talker waits for each
    // of its messages to come back before it sends the next; the stalled one never reads again.
    const std::string text(60000, 'c');
    const auto message = frame(0x81, "42[\"chat message\",\"" + text + "\"]");
    const std::string needle = "42[\"chat message\"";
    long rss_peak = 0;
    int echoed = 0;
    for (int i = 0; i < 1000; ++i) {
        talker->send(message);
        // Count the broadcasts that came back and keep only a tail that may hold half a needle.
        Conn& t = talker->conn();
        t.read_until(
            [&](std::string& g) {
                echoed += count_in(g, needle);
                g.erase(0, g.size() > needle.size() ? g.size() - needle.size() + 1 : 0);
                return echoed > i;
            },
            3000);
        if (echoed <= i) break;
        if (i % 50 == 0) rss_peak = std::max(rss_peak, rss_kib(pid));
    }
    CHECK(echoed == 1000);
    rss_peak = std::max(rss_peak, rss_kib(pid));
    CHECK(stalled->conn().hung_up(3));
    std::printf("lab 06 never-reading chat client: VmRSS %ld KiB before, %ld at most during 60 MB of broadcasts, %ld "
                "after\n",
                rss_before, rss_peak, rss_kib(pid));
    if (kRssMeaningful) CHECK(rss_peak - rss_before < 32 * 1024);
    talker.reset();
    stalled.reset();
    CHECK(fds_settle(pid, fds_before) == fds_before);
    CHECK(chat_works(port, "after"));
    CHECK(server.stop() == 0);
}

TEST_CASE("lab 06 under abuse: a flood past --max-connections gets 503, and served after it, descriptors come back",
          "[lab][lab06][abuse]") {
    labtest::ServerProcess server({labtest::lab(6), "server", "--port", "0", "--max-connections", "10"});
    REQUIRE(server.port() > 0);
    const int port = server.port();
    const int fds_before = fds_at_rest(server.pid());
    {
        std::vector<std::unique_ptr<WsClient>> held;
        for (int i = 0; i < 10; ++i) held.push_back(std::make_unique<WsClient>(port, "/socket.io/?EIO=4&transport=websocket"));
        int refused = 0;
        for (int i = 0; i < 50; ++i) {
            Conn c(port);
            c.send("GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n");
            c.wait_closed(3);
            refused += status_line(c.got()) == "HTTP/1.1 503 Service Unavailable";
        }
        CHECK(refused == 50);
    }
    CHECK(fds_settle(server.pid(), fds_before, 5) == fds_before);
    CHECK(!eio_open(port).empty());
    CHECK(chat_works(port, "after the flood"));
    CHECK(server.stop() == 0);
}
