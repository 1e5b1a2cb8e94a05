// One raw WebSocket client connection for the conformance driver: non-blocking socket, poll(),
// frames built and read with core's codec (RFC 6455).
#include "peer.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <poll.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include "wirelab/http.hpp"

namespace wsconf {

namespace {

using Clock = std::chrono::steady_clock;

int ms_left(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return left < 0 ? 0 : static_cast<int>(left);
}

std::string printable(const Bytes& b, std::size_t max = 40) {
    std::string s;
    for (std::size_t i = 0; i < b.size() && i < max; ++i) {
        unsigned char c = b[i];
        if (c >= 0x20 && c < 0x7f) {
            s += static_cast<char>(c);
        } else {
            char hex[8];
            std::snprintf(hex, sizeof hex, "\\x%02x", c);
            s += hex;
        }
    }
    if (b.size() > max) s += "...";
    return s;
}

}  // namespace

Bytes bytes(std::string_view text) { return Bytes(text.begin(), text.end()); }

std::string Event::describe() const {
    switch (kind) {
        case Kind::message:
            return std::string(opcode == ws::kText ? "text" : "binary") + " message of " + std::to_string(data.size()) +
                   " bytes \"" + printable(data) + "\"";
        case Kind::ping: return "ping \"" + printable(data) + "\"";
        case Kind::pong: return "pong of " + std::to_string(data.size()) + " bytes \"" + printable(data) + "\"";
        case Kind::close:
            return has_code ? "close " + std::to_string(code) + (data.empty() ? "" : " \"" + printable(data) + "\"")
                            : "close without a code";
        case Kind::tcp_closed: return "TCP closed";
        case Kind::timeout: return "nothing (timed out)";
        case Kind::bad_frame: return "a bad frame from the server: " + what;
    }
    return "?";
}

Bytes frame(const FrameSpec& f) {
    // A fixed-looking but varied mask: the server must unmask with whatever key we pick.
    std::array<std::uint8_t, 4> mask{};
    RAND_bytes(mask.data(), static_cast<int>(mask.size()));
    Bytes out;
    ws::encode_frame(out, f.opcode, f.payload, f.fin, mask, false);
    // Byte 0 is FIN, RSV1, RSV2, RSV3 and the opcode (RFC 6455 section 5.2); encode_frame only
    // sets RSV1 (for permessage-deflate), so the reserved bits go in here, as given.
    out[0] = static_cast<std::uint8_t>((out[0] & 0x8f) | ((f.rsv & 7) << 4));
    return out;
}

Bytes frame(std::uint8_t opcode, std::string_view payload, bool fin, std::uint8_t rsv) {
    return frame(FrameSpec{opcode, bytes(payload), fin, rsv});
}

Bytes frame(std::uint8_t opcode, const Bytes& payload, bool fin, std::uint8_t rsv) {
    return frame(FrameSpec{opcode, payload, fin, rsv});
}

Bytes close_frame(std::uint16_t code, std::string_view reason) {
    return frame(FrameSpec{ws::kClose, ws::close_payload(code, reason), true, 0});
}

Peer::~Peer() {
    if (fd_ >= 0) ::close(fd_);
}

bool Peer::open(const std::string& host, int port, std::string& error) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res); rc != 0) {
        error = std::string("getaddrinfo: ") + ::gai_strerror(rc);
        return false;
    }
    for (addrinfo* ai = res; ai && fd_ < 0; ai = ai->ai_next) {
        int fd = ::socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) continue;
        if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            fd_ = fd;
        } else {
            error = std::string("connect: ") + std::strerror(errno);
            ::close(fd);
        }
    }
    ::freeaddrinfo(res);
    if (fd_ < 0) return false;
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);

    // The opening handshake: a GET with Upgrade and a random 16-byte key in base64 (section
    // 4.1); the server proves it read it by answering base64(SHA-1(key + GUID)).
    unsigned char raw_key[16];
    RAND_bytes(raw_key, sizeof raw_key);
    unsigned char key_b64[32];
    int key_len = EVP_EncodeBlock(key_b64, raw_key, sizeof raw_key);
    std::string key(reinterpret_cast<char*>(key_b64), static_cast<std::size_t>(key_len));
    std::string request = "GET / HTTP/1.1\r\nHost: " + host + ":" + std::to_string(port) +
                          "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
                          "\r\nSec-WebSocket-Version: 13\r\n\r\n";
    if (!send(bytes(request))) {
        error = "the server closed before the handshake request was sent";
        return false;
    }
    auto deadline = Clock::now() + std::chrono::seconds(5);
    wirelab::http::Message response;
    while (true) {
        std::string_view have(reinterpret_cast<const char*>(rx_.data()), rx_.size());
        auto r = wirelab::http::parse_head(have, response);
        if (r.status == wirelab::http::Status::complete) break;
        if (r.status == wirelab::http::Status::error) {
            error = "handshake response: " + r.error;
            return false;
        }
        if (eof_ || !read_some(ms_left(deadline))) {
            error = eof_ ? "the server closed during the handshake" : "no handshake response within 5 s";
            return false;
        }
    }
    auto accept = response.header("Sec-WebSocket-Accept");
    if (response.status != 101 || !accept || *accept != ws::accept_key(key)) {
        error = "handshake refused: " + std::string(response.start_line) +
                (accept ? "" : " (no Sec-WebSocket-Accept)");
        return false;
    }
    rx_pos_ = response.head_length;  // frames may follow the head in the same segment
    return true;
}

bool Peer::read_some(int timeout_ms) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return false;
    std::uint8_t buf[65536];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n > 0) {
        // Drop what has been consumed before growing, so a long run keeps a small buffer.
        if (rx_pos_ > 0 && (rx_pos_ == rx_.size() || rx_pos_ >= 65536)) {
            rx_.erase(rx_.begin(), rx_.begin() + static_cast<std::ptrdiff_t>(rx_pos_));
            rx_pos_ = 0;
        }
        rx_.insert(rx_.end(), buf, buf + n);
        return true;
    }
    if (n == 0 || (errno != EAGAIN && errno != EINTR)) eof_ = true;  // FIN or reset
    return true;
}

bool Peer::send(std::span<const std::uint8_t> data, std::size_t chop) {
    if (chop == 0) chop = data.size();
    std::size_t sent = 0;
    auto deadline = Clock::now() + std::chrono::seconds(20);
    while (sent < data.size()) {
        if (eof_) return false;
        std::size_t want = std::min(chop, data.size() - sent);
        std::size_t done = 0;
        while (done < want) {
            pollfd p{fd_, POLLOUT | POLLIN, 0};
            if (::poll(&p, 1, ms_left(deadline)) <= 0) return false;
            if (p.revents & POLLIN) {
                read_some(0);  // keep the server's answers flowing while we write
                if (eof_) return false;
            }
            if (p.revents & (POLLERR | POLLHUP)) return false;
            if (!(p.revents & POLLOUT)) continue;
            // MSG_NOSIGNAL: a server that has closed gives EPIPE here instead of killing us.
            ssize_t n = ::send(fd_, data.data() + sent + done, want - done, MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EAGAIN || errno == EINTR) continue;
                return false;
            }
            done += static_cast<std::size_t>(n);
        }
        sent += want;
        if (chop < 16 && sent < data.size()) std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    return true;
}

bool Peer::next_frame(ws::FrameHeader& h, Bytes& payload, std::string& error) {
    std::span<const std::uint8_t> have(rx_.data() + rx_pos_, rx_.size() - rx_pos_);
    auto st = ws::parse_header(have, h, &error);
    if (st == ws::Parse::error) return true;  // caller sees error set
    if (st == ws::Parse::incomplete || have.size() < h.header_length + h.payload_length) return false;
    payload.assign(have.begin() + static_cast<std::ptrdiff_t>(h.header_length),
                   have.begin() + static_cast<std::ptrdiff_t>(h.header_length + h.payload_length));
    if (h.masked) ws::apply_mask(payload, h.mask);
    rx_pos_ += h.header_length + h.payload_length;
    return true;
}

Event Peer::next(int timeout_ms) {
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (true) {
        ws::FrameHeader h;
        Bytes payload;
        std::string error;
        if (next_frame(h, payload, error)) {
            Event e;
            if (!error.empty()) {
                e.kind = Event::Kind::bad_frame;
                e.what = error;
                rx_pos_ = rx_.size();
                return e;
            }
            // A server's frames follow the same rules as ours, unmasked (section 5.1).
            if (auto v = ws::check_frame(h, /*from_client=*/false, in_message_, /*rsv1_allowed=*/false)) {
                e.kind = Event::Kind::bad_frame;
                e.what = v->reason;
                return e;
            }
            switch (h.opcode) {
                case ws::kPing: e.kind = Event::Kind::ping; e.data = std::move(payload); return e;
                case ws::kPong: e.kind = Event::Kind::pong; e.data = std::move(payload); return e;
                case ws::kClose:
                    e.kind = Event::Kind::close;
                    if (payload.size() >= 2) {
                        e.has_code = true;
                        e.code = static_cast<std::uint16_t>(payload[0] << 8 | payload[1]);
                        e.data.assign(payload.begin() + 2, payload.end());
                    }
                    return e;
                default: break;
            }
            if (h.opcode != ws::kContinuation) {
                in_message_ = true;
                message_opcode_ = h.opcode;
                message_.clear();
            }
            message_.insert(message_.end(), payload.begin(), payload.end());
            if (h.fin) {
                in_message_ = false;
                e.kind = Event::Kind::message;
                e.opcode = message_opcode_;
                e.data = std::move(message_);
                message_.clear();
                return e;
            }
            continue;
        }
        if (eof_) {
            Event e;
            e.kind = Event::Kind::tcp_closed;
            return e;
        }
        if (!read_some(ms_left(deadline)) && ms_left(deadline) == 0) return Event{};
    }
}

bool Peer::wait_tcp_close(int timeout_ms) {
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!eof_) {
        rx_pos_ = rx_.size();
        if (!read_some(ms_left(deadline)) && ms_left(deadline) == 0) return false;
    }
    return true;
}

}  // namespace wsconf
