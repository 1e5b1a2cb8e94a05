// wirelab-ws-floor-echo: the WebSocket echo benchmark's floor. Not a server to use: the least
// work any WebSocket echo server must do per message, so the benchmark can show how much of a
// round trip is the server and how much is the kernel and the load generator.
//
//   wirelab-ws-floor-echo [--port P]     (prints "listening on 127.0.0.1:PORT")
//
// One thread, epoll, no library between it and the system calls. After the opening handshake
// (the key is answered, nothing else is checked), each read is scanned for complete frames;
// each is unmasked and echoed unmasked, and everything the read produced goes out in one
// send(). It does not validate UTF-8, check limits, answer pings or reassemble fragments:
// everything a real server (lab 04, Beast, ws) must do and this one skips makes it faster
// than any of them could be. If it is not much faster, the round trip, not the server, is
// what the benchmark measures.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "wirelab/websocket.hpp"

namespace ws = wirelab::ws;

namespace {

struct Peer {
    bool open = false;              // past the handshake
    std::vector<std::uint8_t> in;   // bytes read and not yet a whole frame
    std::vector<std::uint8_t> out;  // bytes the kernel did not take yet
};

// The opening handshake: answer the key, ignore the rest (the load generator sends a valid one).
bool handshake(Peer& p, std::string& reply) {
    std::string_view head(reinterpret_cast<const char*>(p.in.data()), p.in.size());
    std::size_t end = head.find("\r\n\r\n");
    if (end == std::string_view::npos) return false;
    std::size_t k = head.find("Sec-WebSocket-Key:");
    if (k == std::string_view::npos) k = head.find("sec-websocket-key:");
    std::string key;
    if (k != std::string_view::npos) {
        std::size_t v = head.find_first_not_of(' ', k + 18), eol = head.find("\r\n", k);
        key = std::string(head.substr(v, eol - v));
    }
    reply = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
            ws::accept_key(key) + "\r\n\r\n";
    p.in.erase(p.in.begin(), p.in.begin() + static_cast<long>(end + 4));
    p.open = true;
    return true;
}

// Every whole frame in p.in, unmasked, appended to p.out as a server frame. False on a close
// frame or a header it cannot read.
bool echo_frames(Peer& p) {
    std::size_t at = 0;
    bool keep = true;
    while (at < p.in.size()) {
        ws::FrameHeader h;
        std::span<std::uint8_t> rest(p.in.data() + at, p.in.size() - at);
        ws::Parse r = ws::parse_header(rest, h);
        if (r == ws::Parse::error) return false;
        if (r == ws::Parse::incomplete || rest.size() - h.header_length < h.payload_length) break;
        std::span<std::uint8_t> payload = rest.subspan(h.header_length, h.payload_length);
        if (h.masked) ws::apply_mask(payload, h.mask);
        ws::encode_frame(p.out, h.opcode, payload);
        at += h.header_length + h.payload_length;
        if (h.opcode == ws::kClose) {
            keep = false;
            break;
        }
    }
    p.in.erase(p.in.begin(), p.in.begin() + static_cast<long>(at));
    return keep;
}

bool flush(int fd, Peer& p) {
    while (!p.out.empty()) {
        ssize_t n = ::send(fd, p.out.data(), p.out.size(), MSG_NOSIGNAL);
        if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK;
        p.out.erase(p.out.begin(), p.out.begin() + n);
    }
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    int port = 0;
    for (int i = 1; i + 1 < argc; i += 2)
        if (std::strcmp(argv[i], "--port") == 0) port = std::atoi(argv[i + 1]);
    int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    ::setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    socklen_t len = sizeof a;
    if (::bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(lfd, 512) != 0 ||
        ::getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        std::perror("floor echo: bind/listen");
        return 1;
    }
    std::printf("listening on 127.0.0.1:%d\n", ntohs(a.sin_port));
    std::fflush(stdout);

    int ep = ::epoll_create1(0);
    epoll_event ev{EPOLLIN, {}};
    ev.data.fd = lfd;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    std::unordered_map<int, Peer> peers;
    std::vector<std::uint8_t> buf(256 * 1024);
    std::vector<epoll_event> events(256);
    auto drop = [&](int fd) {
        ::epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
        ::close(fd);
        peers.erase(fd);
    };
    while (true) {
        int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), -1);
        for (int i = 0; i < n; ++i) {
            int fd = events[i].data.fd;
            if (fd == lfd) {
                int c;
                while ((c = ::accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK)) >= 0) {
                    ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    epoll_event cev{EPOLLIN, {}};
                    cev.data.fd = c;
                    ::epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
                    peers[c];
                }
                continue;
            }
            Peer& p = peers[fd];
            bool keep = true;
            if (events[i].events & EPOLLIN) {
                ssize_t got = ::recv(fd, buf.data(), buf.size(), 0);
                if (got <= 0) {
                    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) continue;
                    drop(fd);
                    continue;
                }
                p.in.insert(p.in.end(), buf.data(), buf.data() + got);
                if (!p.open) {
                    std::string reply;
                    if (handshake(p, reply)) p.out.insert(p.out.end(), reply.begin(), reply.end());
                }
                if (p.open) keep = echo_frames(p);
            }
            bool pending_before = !p.out.empty();
            if (!flush(fd, p) || !keep) {
                drop(fd);
                continue;
            }
            // Wait for room in the socket only while something is left to send.
            if (pending_before || !p.out.empty()) {
                epoll_event mev{static_cast<std::uint32_t>(EPOLLIN | (p.out.empty() ? 0 : EPOLLOUT)), {}};
                mev.data.fd = fd;
                ::epoll_ctl(ep, EPOLL_CTL_MOD, fd, &mev);
            }
        }
    }
}
