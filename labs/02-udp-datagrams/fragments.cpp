// Lab 02, IP fragmentation (RFC 791 section 2.3, "Fragmentation"): a datagram bigger than the
// link's MTU leaves as several IP packets, and only the receiving host puts it back together.
// The loopback interface normally has an MTU of 65536, so nothing is ever fragmented on it;
// here a private network namespace gets its own loopback with the 1500 bytes of Ethernet.
#include <cerrno>
#include <cstring>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "lab.hpp"
#include "lab02.hpp"

namespace lab02 {

namespace lab = wirelab::lab;

namespace {

constexpr int kLinkMtu = 1500;  // Ethernet's MTU (RFC 894)

// Moves this process into a new, empty network namespace and brings its loopback up with an
// MTU of `mtu`. Only this process sees it; the machine keeps its real network.
bool private_loopback(int mtu, std::string& why) {
    // unshare(CLONE_NEWNET): a fresh copy of the network stack (interfaces, routes, sockets,
    // ports). Setting it up needs CAP_NET_ADMIN, which root has. Anyone else first enters a
    // new user namespace (CLONE_NEWUSER), in which the process holds every capability over the
    // namespaces it creates there and nothing beyond them; most Linux systems allow that.
    bool root = ::geteuid() == 0;
    if (::unshare(CLONE_NEWNET | (root ? 0 : CLONE_NEWUSER)) < 0) {
        why = std::string(root ? "unshare(CLONE_NEWNET): " : "unshare(CLONE_NEWUSER | CLONE_NEWNET): ") +
              std::strerror(errno);
        return false;
    }
    if (!root) lab::say("frag", "not root: in a user namespace of our own, where we may set up a network");
    int s = ::socket(AF_INET, SOCK_DGRAM, 0);
    if (s < 0) {
        why = std::string("socket: ") + std::strerror(errno);
        return false;
    }
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    // The same two steps as `ip link set lo mtu 1500 up`: SIOCSIFMTU, then the IFF_UP flag.
    ifr.ifr_mtu = mtu;
    bool ok = ::ioctl(s, SIOCSIFMTU, &ifr) == 0;
    if (ok) ok = ::ioctl(s, SIOCGIFFLAGS, &ifr) == 0;
    if (ok) {
        ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
        ok = ::ioctl(s, SIOCSIFFLAGS, &ifr) == 0;
    }
    if (!ok) why = std::string("setting up lo: ") + std::strerror(errno);
    ::close(s);
    return ok;
}

FragResult fragments_in_namespace(int size, const std::string& capture) {
    std::string why;
    if (!private_loopback(kLinkMtu, why)) {
        lab::say("frag", "cannot make a private network namespace (%s): run this part as root (sudo), or allow "
                 "unprivileged user namespaces; skipped", why.c_str());
        return FragResult::skipped;
    }
    lab::say("frag", "in a private network namespace: its own lo, up, MTU %d bytes like Ethernet", kLinkMtu);
    int port = 0;
    int fd = open_receiver("127.0.0.1", 0, 0, port);
    if (fd < 0) return FragResult::failed;
    // Every fragment's IP header says protocol 17 (UDP), but only the first fragment carries the
    // UDP header with the ports: a "udp port N" filter would miss the others.
    lab::Recorder recorder;
    if (!capture.empty()) recorder.start(capture, "ip proto 17");

    SenderConfig s;
    ipv4_address("127.0.0.1", port, s.to);
    s.count = 2;
    s.sizes = {1000, size};
    lab::say("frag", "sending a %d-byte datagram (fits in one %d-byte packet) and a %d-byte one (does not): "
             "%d + 8 UDP + 20 IP = %d bytes", 1000, kLinkMtu, size, size, size + 28);
    RunReport report;
    ReceiverConfig rc;
    rc.idle_ms = 1000;
    rc.wait_ms = 3000;
    std::thread receiver([&] { report = receive_run(fd, rc); });
    SenderResult sent = send_run(s);
    receiver.join();
    say_report(report);
    bool whole = report.sizes.size() == 2 && report.sizes[1] == static_cast<std::size_t>(size);
    int per_fragment = (kLinkMtu - 20) / 8 * 8;  // fragment data is cut at multiples of 8 bytes
    lab::say("frag", "%s: IP cut the %d bytes of UDP datagram into %d fragments of at most %d data bytes; the "
             "receiving kernel reassembled them before recvmsg() saw anything",
             whole ? "the receiver got it whole" : "the big datagram did NOT arrive whole", size + 8,
             (size + 8 + per_fragment - 1) / per_fragment, per_fragment);

    // Don't Fragment: with IP_PMTUDISC_DO the kernel sets DF and refuses to fragment; a datagram
    // bigger than the path MTU fails at once with EMSGSIZE instead of leaving in pieces.
    int sock = ::socket(AF_INET, SOCK_DGRAM, 0);
    int pmtu = IP_PMTUDISC_DO;
    if (sock >= 0 && ::setsockopt(sock, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof pmtu) == 0) {
        std::vector<char> big(static_cast<std::size_t>(size), 'x');
        ssize_t n = ::sendto(sock, big.data(), big.size(), 0, reinterpret_cast<const sockaddr*>(&s.to), sizeof s.to);
        lab::say("frag", "with IP_MTU_DISCOVER = IP_PMTUDISC_DO (Don't Fragment), sendto() of %d bytes %s", size,
                 n < 0 ? (std::string("fails: ") + std::strerror(errno)).c_str() : "was sent (unexpected)");
    }
    if (sock >= 0) ::close(sock);
    recorder.stop();
    ::close(fd);
    return sent.ok && whole ? FragResult::ok : FragResult::failed;
}

}  // namespace

FragResult run_fragments(int size, const std::string& capture) {
    // A child process of its own: the namespaces go away when it exits, and the rest of the
    // program stays on the real network. (A user namespace can only be entered by a process
    // with a single thread, which a child made by fork() is.)
    std::fflush(stdout);
    pid_t pid = ::fork();
    if (pid < 0) {
        lab::say("frag", "fork failed: %s", std::strerror(errno));
        return FragResult::failed;
    }
    if (pid == 0) {
        FragResult r = fragments_in_namespace(size, capture);
        std::fflush(stdout);
        ::_exit(static_cast<int>(r));
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (!WIFEXITED(status)) return FragResult::failed;
    return static_cast<FragResult>(WEXITSTATUS(status));
}

}  // namespace lab02
