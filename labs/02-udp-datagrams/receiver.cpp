// Lab 02, the receiver: one recvmsg() per datagram, the sequence numbers checked for gaps,
// repeats and late arrivals, and the kernel's own count of datagrams it dropped because this
// socket's receive buffer was full (SO_RXQ_OVFL, Linux).
#include <cerrno>
#include <cstring>
#include <linux/sock_diag.h>
#include <poll.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include "lab.hpp"
#include "lab02.hpp"

namespace lab02 {

namespace lab = wirelab::lab;

int open_receiver(const std::string& bind_addr, int port, int rcvbuf, int& bound_port) {
    sockaddr_in addr{};
    if (!ipv4_address(bind_addr, port, addr)) {
        lab::say("receiver", "'%s' port %d is not an IPv4 address and port", bind_addr.c_str(), port);
        return -1;
    }
    int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) {
        lab::say("receiver", "socket failed: %s", std::strerror(errno));
        return -1;
    }
    // SO_RXQ_OVFL: with every datagram, recvmsg() also hands us the socket's drop counter, the
    // number of datagrams the kernel threw away because the receive buffer was full.
    int on = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof on);
    if (rcvbuf > 0) {
        // SO_RCVBUF: how many bytes of datagrams may wait for us. Linux doubles the value (the
        // other half pays for its bookkeeping) and counts each datagram's whole buffer, not
        // only its payload, so fewer fit than the number suggests.
        ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    }
    int actual = 0;
    socklen_t len = sizeof actual;
    ::getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &actual, &len);
    // bind(): the address and port datagrams must be sent to. Without it nobody could find us.
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) < 0) {
        lab::say("receiver", "bind %s failed: %s", to_string(addr).c_str(), std::strerror(errno));
        ::close(fd);
        return -1;
    }
    // getsockname(): which port we really got (port 0 asks the kernel for a free one).
    len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    bound_port = ntohs(addr.sin_port);
    lab::say("receiver", "listening on %s (receive buffer SO_RCVBUF %d bytes); no listen(), no accept(): "
             "whoever sends here is heard", to_string(addr).c_str(), actual);
    return fd;
}

namespace {

class Receiver {
public:
    Receiver(int fd, const ReceiverConfig& cfg) : fd_(fd), cfg_(cfg), buf_(kMaxPayload + 1) {}

    RunReport run() {
        while (true) {
            // poll(): wait for a datagram, but not for ever: a run ends when the sender goes quiet.
            pollfd p{fd_, POLLIN, 0};
            int n = ::poll(&p, 1, r_.started ? cfg_.idle_ms : cfg_.wait_ms);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) {
                lab::say("receiver", "poll failed: %s", std::strerror(errno));
                break;
            }
            if (n == 0) {
                if (r_.started) lab::say("receiver", "nothing for %d ms: the run is over", cfg_.idle_ms);
                else lab::say("receiver", "no datagram came within %d ms", cfg_.wait_ms);
                break;
            }
            if (!r_.started && !stalled_ && cfg_.stall_ms > 0) {
                stalled_ = true;
                lab::say("receiver", "a datagram is waiting, but we are busy for %d ms: meanwhile the kernel queues "
                         "what arrives in our receive buffer, and drops what does not fit", cfg_.stall_ms);
                std::this_thread::sleep_for(std::chrono::milliseconds(cfg_.stall_ms));
            }
            if (!on_datagram()) break;
        }
        finish();
        return r_;
    }

private:
    // Reads one datagram; false when the run is over (its end datagram came).
    bool on_datagram() {
        sockaddr_in from{};
        iovec iov{buf_.data(), buf_.size()};
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(std::uint32_t))];
        msghdr msg{};
        msg.msg_name = &from;
        msg.msg_namelen = sizeof from;
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        // recvmsg(): like recvfrom(), one whole datagram per call and the sender's address, plus
        // "ancillary data" (here the drop counter). A datagram longer than the buffer would be
        // cut and the rest lost (MSG_TRUNC); ours holds the largest possible one.
        ssize_t n = ::recvmsg(fd_, &msg, 0);
        if (n < 0) {
            lab::say("receiver", "recvmsg failed: %s", std::strerror(errno));
            return errno == EINTR || errno == EAGAIN;
        }
        for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
                std::uint32_t drops = 0;
                std::memcpy(&drops, CMSG_DATA(c), sizeof drops);
                if (drops != r_.kernel_drops)
                    lab::say("receiver", "SO_RXQ_OVFL: the kernel has now dropped %u datagrams for this socket "
                             "(%u since the last one we read): they arrived while the buffer was full",
                             drops, drops - r_.kernel_drops);
                r_.kernel_drops = drops;
            }
        }
        std::string why;
        auto h = get_header({buf_.data(), static_cast<std::size_t>(n)}, why);
        if (!h) return bad(n, from, why);
        if (h->kind == Kind::end) {
            if (!r_.started) return bad(n, from, "an end-of-run datagram before any data");
            if (!same_peer(from) || h->count != r_.count) return bad(n, from, "an end-of-run datagram of another run");
            lab::say("receiver", "the end-of-run datagram: the sender has sent everything it meant to");
            return false;
        }
        if (!r_.started) {
            r_.started = true;
            r_.count = h->count;
            peer_ = from;
            seen_.assign(h->count, false);
            lab::say("receiver", "a run begins: %s says it will send %u datagrams", to_string(from).c_str(), h->count);
        } else if (!same_peer(from) || h->count != r_.count) {
            return bad(n, from, "it belongs to another sender or another run");
        }
        ++r_.datagrams;
        r_.sizes.push_back(static_cast<std::size_t>(n));
        std::uint32_t seq = h->seq;
        const char* note = "";
        if (seen_[seq]) {
            r_.seen.duplicated.push_back(seq);
            note = ": a DUPLICATE, we have it already";
        } else {
            seen_[seq] = true;
            ++r_.received;
            if (any_ && seq < highest_) {
                r_.seen.out_of_order.push_back(seq);
                note = ": OUT OF ORDER, a later one came first";
            } else if (any_ && seq > highest_ + 1) {
                note = ": a GAP before it";
            }
            if (!any_ || seq > highest_) highest_ = seq;
            any_ = true;
        }
        // Every datagram of a short run; in a long one, the first few and then only surprises
        // (printing is slow, and a receiver busy printing drops datagrams itself).
        if (r_.datagrams == kNarrateAll + 1) lab::say("receiver", "(from here on, only the surprises are told)");
        if (r_.datagrams <= kNarrateAll || (*note && ++notes_ <= kMaxNotes))
            lab::say("receiver", "recvmsg(): one datagram of %zd bytes from %s, seq %u, %.0f us after it was sent%s",
                     n, to_string(from).c_str(), seq, static_cast<double>(now_us() - h->sent_us), note);
        return true;
    }

    bool bad(ssize_t n, const sockaddr_in& from, const std::string& why) {
        // Anyone can send to a UDP port: a stray datagram is reported and skipped, never trusted.
        ++r_.bad;
        lab::say("receiver", "ignored a %zd-byte datagram from %s: %s", n, to_string(from).c_str(), why.c_str());
        return true;
    }

    bool same_peer(const sockaddr_in& a) const {
        return a.sin_addr.s_addr == peer_.sin_addr.s_addr && a.sin_port == peer_.sin_port;
    }

    void finish() {
        for (std::uint32_t s = 0; s < r_.count; ++s)
            if (!seen_[s]) r_.seen.lost.push_back(s);
        // SO_RXQ_OVFL only tells us with a datagram we read. Drops after the last one (the end of
        // a flood) are still in the counter, which SO_MEMINFO reads at any time (Linux 4.6+).
        std::uint32_t meminfo[SK_MEMINFO_VARS] = {};
        socklen_t len = sizeof meminfo;
        if (r_.started && ::getsockopt(fd_, SOL_SOCKET, SO_MEMINFO, meminfo, &len) == 0 &&
            len > SK_MEMINFO_DROPS * sizeof(std::uint32_t) && meminfo[SK_MEMINFO_DROPS] != r_.kernel_drops) {
            lab::say("receiver", "SO_MEMINFO: the drop counter is now %u; %u were dropped after the last datagram we read",
                     meminfo[SK_MEMINFO_DROPS], meminfo[SK_MEMINFO_DROPS] - r_.kernel_drops);
            r_.kernel_drops = meminfo[SK_MEMINFO_DROPS];
        }
    }

    static constexpr std::uint32_t kNarrateAll = 40;
    static constexpr int kMaxNotes = 20;
    int fd_;
    const ReceiverConfig& cfg_;
    std::vector<std::uint8_t> buf_;
    std::vector<bool> seen_;
    sockaddr_in peer_{};
    std::uint32_t highest_ = 0;
    bool any_ = false, stalled_ = false;
    int notes_ = 0;
    RunReport r_;
};

}  // namespace

RunReport receive_run(int fd, const ReceiverConfig& cfg) { return Receiver(fd, cfg).run(); }

void say_report(const RunReport& r) {
    if (!r.started) return;
    lab::say("receiver", "summary: the sender announced %u datagrams; %u arrived, %u recvmsg() calls returned "
             "lab datagrams, %u were ignored", r.count, r.received, r.datagrams, r.bad);
    say_faults("receiver", "observed", r.seen);
    lab::say("receiver", "missing sequence numbers: %zu; datagrams the kernel dropped at our socket: %u",
             r.seen.lost.size(), r.kernel_drops);
}

}  // namespace lab02
