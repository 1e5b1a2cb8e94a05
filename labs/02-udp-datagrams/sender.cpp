// Lab 02, the sender: numbered datagrams with sendto(), and on request the faults a real
// network causes (loss, duplicates, reordering), drawn from a seeded generator so a run can be
// repeated exactly and the receiver's report checked against what was done.
#include <cerrno>
#include <cstring>
#include <random>
#include <thread>
#include <unistd.h>

#include "lab.hpp"
#include "lab02.hpp"

namespace lab02 {

namespace lab = wirelab::lab;

namespace {

class Sender {
public:
    explicit Sender(const SenderConfig& cfg) : cfg_(cfg), rng_(cfg.seed), buf_(kMaxPayload) {}
    ~Sender() {
        if (fd_ >= 0) ::close(fd_);
    }

    SenderResult run() {
        // socket(): SOCK_DGRAM asks for UDP. There is nothing to connect to: the socket is ready
        // to send as soon as it exists.
        fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
        if (fd_ < 0) return fail("socket");
        lab::say("sender", "socket(AF_INET, SOCK_DGRAM) gave fd %d; no connect(), no handshake: we just send", fd_);
        auto start = std::chrono::steady_clock::now();
        for (std::uint32_t seq = 0; seq < cfg_.count; ++seq) {
            // Draw all three numbers for every datagram, so turning one fault on does not
            // change which datagrams the other faults hit for the same seed.
            bool drop = chance(cfg_.loss), twice = chance(cfg_.dup), hold = chance(cfg_.reorder);
            if (drop) {
                result_.injected.lost.push_back(seq);
                tell("seq %u: not sent (--loss), as if the network lost it", seq);
                continue;
            }
            if (hold && !held_ && seq + 1 < cfg_.count) {
                held_ = seq;
                held_twice_ = twice;
                tell("seq %u: held back (--reorder); it goes out after the next one", seq);
                continue;
            }
            if (!send_data(seq, twice)) return result_;
            if (held_) {
                // The held datagram leaves after a later one: the receiver sees it arrive late.
                if (!send_data(*held_, held_twice_)) return result_;
                result_.injected.out_of_order.push_back(*held_);
                held_.reset();
            }
            if (cfg_.interval_ms > 0) std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(cfg_.interval_ms));
        }
        if (held_) {
            // Every datagram after the held one was "lost": it goes out last, in order after all.
            tell("seq %u: nothing was sent after it, so it goes out in order after all", *held_);
            if (!send_data(*held_, held_twice_)) return result_;
        }
        double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
        lab::say("sender", "sent %u datagrams (%zu lost, %zu duplicated, %zu reordered on purpose) in %.1f ms",
                 result_.sent, result_.injected.lost.size(), result_.injected.duplicated.size(),
                 result_.injected.out_of_order.size(), ms);
        if (cfg_.end_delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(cfg_.end_delay_ms));
        // The end-of-run datagram tells the receiver to print its report now instead of waiting
        // for its idle timeout. It may be lost like any other; the timeout is the fallback.
        if (!send(Kind::end, cfg_.count, kHeaderSize)) return result_;
        lab::say("sender", "sent the end-of-run datagram");
        say_faults("sender", "injected", result_.injected);
        result_.ok = true;
        return result_;
    }

private:
    bool chance(double p) {
        // mt19937's output is fixed by the C++ standard, so a seed gives the same faults on
        // every machine (the standard distributions are not fixed that way).
        return p > 0 && static_cast<double>(rng_()) / 4294967296.0 < p;
    }

    bool send_data(std::uint32_t seq, bool twice) {
        std::size_t size = static_cast<std::size_t>(cfg_.sizes[seq % cfg_.sizes.size()]);
        if (!send(Kind::data, seq, size)) return false;
        if (twice) {
            result_.injected.duplicated.push_back(seq);
            tell("seq %u: sent a second time (--dup), as a network may deliver it twice", seq);
            if (!send(Kind::data, seq, size)) return false;
        }
        return true;
    }

    bool send(Kind kind, std::uint32_t seq, std::size_t size) {
        put_header(buf_, Header{kind, seq, cfg_.count, now_us()});
        // The filler lets anyone reading the capture see which datagram the bytes belong to.
        std::memset(buf_.data() + kHeaderSize, 'a' + static_cast<int>(seq % 26), size - kHeaderSize);
        // sendto(): one call, one datagram, addressed on every call because the socket is not
        // tied to a peer. The kernel adds the 8-byte UDP header and the IP header and sends it
        // at once; it never merges two sendto() calls or splits one (IP may fragment it below).
        ssize_t n = ::sendto(fd_, buf_.data(), size, 0, reinterpret_cast<const sockaddr*>(&cfg_.to), sizeof cfg_.to);
        if (n < 0) {
            fail("sendto");
            return false;
        }
        ++result_.sent;
        if (result_.sent == 1) {
            // The first sendto() on an unbound socket makes the kernel pick a source port.
            sockaddr_in me{};
            socklen_t len = sizeof me;
            ::getsockname(fd_, reinterpret_cast<sockaddr*>(&me), &len);
            lab::say("sender", "the first sendto() bound us to %s (0.0.0.0: any local address): the kernel picked the "
                     "source port",
                     to_string(me).c_str());
        }
        if (kind == Kind::data) tell("sendto(): seq %u, %zd bytes to %s", seq, n, to_string(cfg_.to).c_str());
        return true;
    }

    template <typename... A>
    void tell(const char* fmt, A... args) {
        if (cfg_.narrate_each) lab::say("sender", fmt, args...);
    }

    SenderResult fail(const char* what) {
        lab::say("sender", "%s failed: %s", what, std::strerror(errno));
        return result_;
    }

    const SenderConfig& cfg_;
    std::mt19937 rng_;
    std::vector<std::uint8_t> buf_;
    int fd_ = -1;
    std::optional<std::uint32_t> held_;
    bool held_twice_ = false;
    SenderResult result_;
};

}  // namespace

SenderResult send_run(const SenderConfig& cfg) { return Sender(cfg).run(); }

}  // namespace lab02
