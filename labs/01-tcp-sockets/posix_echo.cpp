// Lab 01 with the plain POSIX socket calls, narrated: every call, what it does on the wire, and
// what it returned. Beej's Guide to Network Programming tells the same story at more length.
#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include "echo.hpp"
#include "lab.hpp"

namespace lab01 {

using wirelab::lab::say;

namespace {

// The address to bind or connect to, from a numeric IPv4 or IPv6 address or a name.
bool resolve(const std::string& host, int port, sockaddr_storage& out, socklen_t& len, bool passive) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;      // IPv4 or IPv6, whichever the name gives
    hints.ai_socktype = SOCK_STREAM;  // TCP
    hints.ai_flags = passive ? AI_PASSIVE : 0;
    addrinfo* res = nullptr;
    int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res);
    if (rc != 0) {
        say("error", "getaddrinfo(%s): %s", host.c_str(), ::gai_strerror(rc));
        return false;
    }
    std::memcpy(&out, res->ai_addr, res->ai_addrlen);
    len = res->ai_addrlen;
    ::freeaddrinfo(res);
    return true;
}

std::string peer_name(const sockaddr_storage& a) {
    char host[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (a.ss_family == AF_INET) {
        auto* v4 = reinterpret_cast<const sockaddr_in*>(&a);
        ::inet_ntop(AF_INET, &v4->sin_addr, host, sizeof host);
        port = ntohs(v4->sin_port);
    } else if (a.ss_family == AF_INET6) {
        auto* v6 = reinterpret_cast<const sockaddr_in6*>(&a);
        ::inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof host);
        port = ntohs(v6->sin6_port);
    }
    return std::string(host) + ":" + std::to_string(port);
}

// send() may take fewer bytes than asked (the send buffer is full); loop until all are queued.
bool send_all(int fd, const std::string& data) {
    std::size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) {  // non-blocking server socket: wait until it drains
            pollfd p{fd, POLLOUT, 0};
            ::poll(&p, 1, 1000);
            continue;
        }
        if (n <= 0) return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

struct Client {
    int fd;
    std::string name;
    Splitter splitter;
    std::chrono::steady_clock::time_point last_active;
    int messages = 0;
    std::size_t bytes = 0;
};

}  // namespace

bool next_round(const ClientConfig& cfg, std::size_t r, std::vector<std::string>& round) {
    if (r < cfg.rounds.size()) {
        round = cfg.rounds[r];
        return true;
    }
    round.clear();
    return cfg.more && cfg.more(round);
}

const char* send_mode_name(SendMode m) {
    switch (m) {
    case SendMode::nagle: return "Nagle on (the default)";
    case SendMode::nodelay: return "TCP_NODELAY";
    case SendMode::cork: return "TCP_CORK";
    }
    return "?";
}

int posix_listen(ServerConfig& cfg) {
    sockaddr_storage addr{};
    socklen_t len = 0;
    if (!resolve(cfg.bind, cfg.port, addr, len, true)) return -1;

    // socket(): ask the kernel for a TCP endpoint. It is just a file descriptor so far: no
    // address, no packets.
    int fd = ::socket(addr.ss_family, SOCK_STREAM, 0);
    if (fd < 0) {
        say("server", "socket() failed: %s", std::strerror(errno));
        return -1;
    }
    say("server", "socket(%s, SOCK_STREAM, 0) = fd %d: a TCP endpoint, not yet bound to any address",
        addr.ss_family == AF_INET6 ? "AF_INET6" : "AF_INET", fd);

    // SO_REUSEADDR lets a restarted server bind its port while old connections from the last
    // run still sit in TIME_WAIT.
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);

    // bind(): claim the address and port clients will connect to.
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
        say("server", "bind(%s port %d) failed: %s", cfg.bind.c_str(), cfg.port, std::strerror(errno));
        ::close(fd);
        return -1;
    }
    sockaddr_storage bound{};
    socklen_t blen = sizeof bound;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &blen);
    cfg.port = bound.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                                           : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    say("server", "bind(%s): this address and port are ours now%s", peer_name(bound).c_str(),
        cfg.port ? "" : " (port 0 asked the kernel to pick a free one)");

    // listen(): from now on the kernel completes three-way handshakes on its own and queues
    // the finished connections (up to the backlog) until we accept() them.
    if (::listen(fd, 16) != 0) {
        say("server", "listen() failed: %s", std::strerror(errno));
        ::close(fd);
        return -1;
    }
    say("server", "listen(fd %d, backlog 16): listening on %s", fd, peer_name(bound).c_str());
    return fd;
}

int posix_serve(int listen_fd, const ServerConfig& cfg) {
    // One thread serves every client: poll() says which sockets have something to read, so a
    // slow client never blocks the others.
    std::vector<Client> clients;
    ::fcntl(listen_fd, F_SETFL, O_NONBLOCK);
    std::vector<char> buf(64 * 1024);
    while (!(cfg.stop && cfg.stop->load())) {
        std::vector<pollfd> fds{{listen_fd, POLLIN, 0}};
        for (const Client& c : clients) fds.push_back({c.fd, POLLIN, 0});
        int ready = ::poll(fds.data(), fds.size(), 100);
        if (ready < 0 && errno != EINTR) {
            say("server", "poll() failed: %s", std::strerror(errno));
            return 1;
        }
        auto now = std::chrono::steady_clock::now();

        if (fds[0].revents & POLLIN) {
            // accept(): take one finished handshake off the queue; it comes back as a new
            // socket for that one client. The listening socket stays as it was.
            sockaddr_storage peer{};
            socklen_t plen = sizeof peer;
            int fd = ::accept(listen_fd, reinterpret_cast<sockaddr*>(&peer), &plen);
            if (fd >= 0) {
                if (static_cast<int>(clients.size()) >= cfg.max_connections) {
                    say("server", "refusing %s: already %d connections (--max-connections)", peer_name(peer).c_str(),
                        cfg.max_connections);
                    send_all(fd, "error: server full (" + std::to_string(cfg.max_connections) + " connections)\n");
                    ::close(fd);
                } else {
                    say("server", "accept() = fd %d: a new connection from %s (the handshake is already done)", fd,
                        peer_name(peer).c_str());
                    clients.push_back({fd, peer_name(peer), Splitter(cfg.framing, cfg.max_message), now, 0, 0});
                }
            }
        }

        for (std::size_t i = 1; i < fds.size(); ++i) {
            Client& c = clients[i - 1];
            if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) {
                if (now - c.last_active > std::chrono::seconds(cfg.idle_timeout_s)) {
                    say("server", "%s was idle for %d s (--idle-timeout): closing", c.name.c_str(), cfg.idle_timeout_s);
                    send_all(c.fd, "error: idle for " + std::to_string(cfg.idle_timeout_s) + " s, closing\n");
                    ::close(c.fd);
                    c.fd = -1;
                }
                continue;
            }
            if (cfg.read_delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(cfg.read_delay_ms));
            // recv(): copy out whatever bytes have arrived, up to the buffer's size. It says
            // nothing about how the sender cut them into send() calls.
            ssize_t n = ::recv(c.fd, buf.data(), buf.size(), 0);
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
            c.last_active = now;
            if (n <= 0) {
                // recv() == 0: the peer sent FIN. It will send no more, but it may still read,
                // so TCP lets us answer before we close our half.
                if (n == 0) {
                    say("server", "recv() = 0 from %s: end of stream (the client sent FIN; it can still read)",
                        c.name.c_str());
                    std::string bye = encode(cfg.framing, "bye: you sent " + std::to_string(c.messages) + " messages, " +
                                                              std::to_string(c.bytes) + " bytes");
                    send_all(c.fd, bye);
                    say("server", "sent a last message after the client's FIN, then close(): our FIN");
                } else {
                    say("server", "recv() from %s failed: %s", c.name.c_str(), std::strerror(errno));
                }
                ::close(c.fd);
                c.fd = -1;
                continue;
            }
            say("server", "recv() = %zd bytes from %s: \"%s\"", n, c.name.c_str(),
                printable(std::string_view(buf.data(), static_cast<std::size_t>(n))).c_str());
            if (!c.splitter.feed(buf.data(), static_cast<std::size_t>(n))) {
                say("server", "%s: %s; closing", c.name.c_str(), c.splitter.error().c_str());
                send_all(c.fd, "error: " + c.splitter.error() + "\n");
                ::close(c.fd);
                c.fd = -1;
                continue;
            }
            std::vector<std::string> messages;
            for (std::string msg; c.splitter.next(msg);) messages.push_back(msg);
            if (cfg.framing != Framing::none)
                say("server", "  the %s framing finds %zu complete message%s in that read%s; echoing %s",
                    framing_name(cfg.framing), messages.size(), messages.size() == 1 ? "" : "s",
                    c.splitter.buffered() ? " (the rest of one is still to come)" : "",
                    messages.size() == 1 ? "it" : "each");
            for (const std::string& m : messages) {
                ++c.messages;
                c.bytes += m.size();
                send_all(c.fd, encode(cfg.framing, m));
            }
        }
        std::erase_if(clients, [](const Client& c) { return c.fd < 0; });
    }
    for (Client& c : clients) ::close(c.fd);
    ::close(listen_fd);
    return 0;
}

int posix_client(const ClientConfig& cfg) {
    sockaddr_storage addr{};
    socklen_t len = 0;
    if (!resolve(cfg.host, cfg.port, addr, len, false)) return 1;
    int fd = ::socket(addr.ss_family, SOCK_STREAM, 0);
    if (fd < 0) {
        say("client", "socket() failed: %s", std::strerror(errno));
        return 1;
    }
    say("client", "socket() = fd %d", fd);
    // connect(): the kernel picks us a free local port and runs the three-way handshake
    // (SYN, SYN+ACK, ACK). It returns once the connection is established.
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
        say("client", "connect(%s) failed: %s", peer_name(addr).c_str(), std::strerror(errno));
        ::close(fd);
        return 1;
    }
    sockaddr_storage local{};
    socklen_t llen = sizeof local;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &llen);
    say("client", "connect(%s) returned: handshake done, our end is %s", peer_name(addr).c_str(),
        peer_name(local).c_str());

    Splitter splitter(cfg.framing, 1 << 20);
    std::vector<char> buf(64 * 1024);
    std::size_t expected = 0, received_msgs = 0, sent_bytes = 0, received_bytes = 0;
    auto read_echoes = [&](bool to_end) {
        while (to_end || (cfg.framing == Framing::none ? received_bytes < sent_bytes : received_msgs < expected)) {
            ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
            if (n <= 0) {
                if (n == 0) say("client", "recv() = 0: the server closed its side too (its FIN)");
                else say("client", "recv() failed: %s", std::strerror(errno));
                return;
            }
            received_bytes += static_cast<std::size_t>(n);
            splitter.feed(buf.data(), static_cast<std::size_t>(n));
            std::string msg;
            while (splitter.next(msg)) {
                ++received_msgs;
                say("client", "echo: \"%s\"", printable(msg).c_str());
            }
        }
    };

    std::vector<std::string> round;
    for (std::size_t r = 0; next_round(cfg, r, round); ++r) {
        SendMode mode = cfg.modes.empty() ? SendMode::nagle : cfg.modes[std::min(r, cfg.modes.size() - 1)];
        int on = mode == SendMode::nodelay ? 1 : 0;
        // TCP_NODELAY turns Nagle's algorithm off: small writes are not held back waiting for
        // the ACK of earlier data (RFC 896; RFC 9293 section 3.7.4).
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
        // TCP_CORK (Linux) holds partial segments until it is turned off again.
        int cork = mode == SendMode::cork ? 1 : 0;
        ::setsockopt(fd, IPPROTO_TCP, TCP_CORK, &cork, sizeof cork);
        say("client", "round %zu: %zu send() call%s with %s", r + 1, round.size(), round.size() == 1 ? "" : "s",
            send_mode_name(mode));
        for (const std::string& m : round) {
            std::string wire = encode(cfg.framing, m);
            send_all(fd, wire);
            sent_bytes += wire.size();
            ++expected;
            say("client", "  send(%zu bytes: \"%s\")", wire.size(), printable(wire).c_str());
        }
        if (mode == SendMode::cork) {
            cork = 0;
            ::setsockopt(fd, IPPROTO_TCP, TCP_CORK, &cork, sizeof cork);
            say("client", "  uncorked: TCP sends what it held, as few segments as it can");
        }
        read_echoes(false);
    }
    if (cfg.half_close) {
        // shutdown(SHUT_WR): "I have nothing more to send". TCP sends our FIN, but the
        // connection stays open the other way: we can still read the server's answer.
        ::shutdown(fd, SHUT_WR);
        say("client", "shutdown(SHUT_WR): our FIN is sent; reading until the server closes");
        read_echoes(true);
    }
    // close(): give the descriptor back. Our FIN was already sent; the kernel finishes the
    // connection (TIME_WAIT on the side that closed first).
    ::close(fd);
    say("client", "close(): done; %zu bytes sent, %zu bytes received", sent_bytes, received_bytes);
    return 0;
}

void posix_connect_refused(const std::string& host, int port) {
    sockaddr_storage addr{};
    socklen_t len = 0;
    if (!resolve(host, port, addr, len, false)) return;
    int fd = ::socket(addr.ss_family, SOCK_STREAM, 0);
    if (fd < 0) return;
    say("client", "connect(%s), a port where nobody listens", peer_name(addr).c_str());
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0)
        say("client", "connect() failed: %s: the kernel answered our SYN with RST (RFC 9293 section 3.10.7.1)",
            std::strerror(errno));
    else
        say("client", "connect() succeeded: somebody listens on port %d after all", port);
    ::close(fd);
}

}  // namespace lab01
