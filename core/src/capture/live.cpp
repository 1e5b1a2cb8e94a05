// Live capture with libpcap (see wirelab/live.hpp). pcap_create/pcap_activate are used rather
// than pcap_open_live so that a refusal comes back as PCAP_ERROR_PERM_DENIED, not only as text.
#include "wirelab/live.hpp"

#include <pcap/pcap.h>
#include <poll.h>
#include <unistd.h>

namespace wirelab {

std::vector<InterfaceInfo> list_interfaces(std::string& err) {
    std::vector<InterfaceInfo> out;
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    pcap_if_t* all = nullptr;
    if (pcap_findalldevs(&all, errbuf) != 0) {
        err = std::string("cannot list interfaces: ") + errbuf;
        return out;
    }
    for (pcap_if_t* d = all; d; d = d->next) {
        InterfaceInfo i;
        i.name = d->name;
        if (d->description) i.description = d->description;
        i.loopback = (d->flags & PCAP_IF_LOOPBACK) != 0;
        out.push_back(std::move(i));
    }
    pcap_freealldevs(all);
    return out;
}

std::string capture_permission_help(const std::string& iface, const std::string& pcap_error,
                                    const std::string& program) {
    std::string exe = program;
    if (exe.empty()) {
        char buf[4096];
        ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
        exe = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "the program";
    }
    return "Capturing on " + iface + " needs the permission to open a raw socket, which this process does not have "
           "(libpcap: " + pcap_error + ").\nEither run it as root (sudo), or give the program the capability once "
           "(CAP_NET_RAW to capture, CAP_NET_ADMIN for promiscuous mode):\n    sudo setcap cap_net_raw,cap_net_admin=eip " +
           exe;
}

std::unique_ptr<LiveSource> LiveSource::open(const std::string& iface, const std::string& bpf_filter,
                                             std::string& err, const std::string& program, bool immediate,
                                             int buffer_bytes) {
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    pcap_t* p = pcap_create(iface.c_str(), errbuf);
    if (!p) {
        err = "cannot open " + iface + ": " + errbuf;
        return nullptr;
    }
    pcap_set_snaplen(p, 262144);
    pcap_set_promisc(p, 0);
    pcap_set_timeout(p, 100);
    // Immediate mode makes libpcap use fixed-size ring slots of snaplen bytes each (TPACKET_V2):
    // 8 MiB then holds only a few dozen packets. Without it, blocks of packets packed by their
    // real size, handed over when full or after the 100 ms timeout.
    pcap_set_immediate_mode(p, immediate ? 1 : 0);
    pcap_set_buffer_size(p, buffer_bytes);
    pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);
    int rc = pcap_activate(p);
    if (rc < 0) {
        std::string why = pcap_geterr(p);
        if (rc == PCAP_ERROR_PERM_DENIED || why.find("ermission") != std::string::npos ||
            why.find("not permitted") != std::string::npos)
            err = capture_permission_help(iface, why, program);
        else if (rc == PCAP_ERROR_NO_SUCH_DEVICE)
            err = "there is no interface called " + iface + " (" + why + ")";
        else if (rc == PCAP_ERROR_IFACE_NOT_UP)
            err = iface + " is down: bring it up first (ip link set " + iface + " up)";
        else
            err = "cannot capture on " + iface + ": " + why;
        pcap_close(p);
        return nullptr;
    }
    if (!bpf_filter.empty()) {
        bpf_program prog{};
        if (pcap_compile(p, &prog, bpf_filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
            err = "capture filter \"" + bpf_filter + "\": " + pcap_geterr(p);
            pcap_close(p);
            return nullptr;
        }
        int set = pcap_setfilter(p, &prog);
        pcap_freecode(&prog);
        if (set != 0) {
            err = "capture filter \"" + bpf_filter + "\": " + pcap_geterr(p);
            pcap_close(p);
            return nullptr;
        }
    }
    pcap_setnonblock(p, 1, errbuf);
    std::unique_ptr<LiveSource> s(new LiveSource);
    s->pcap_ = p;
    s->link_type_ = static_cast<std::uint32_t>(pcap_datalink(p));
    s->iface_ = iface;
    return s;
}

LiveSource::~LiveSource() {
    if (pcap_) pcap_close(static_cast<pcap_t*>(pcap_));
}

LiveSource::Next LiveSource::next(Frame& frame, int timeout_ms) {
    auto* p = static_cast<pcap_t*>(pcap_);
    pcap_pkthdr* h = nullptr;
    const u_char* bytes = nullptr;
    int rc = pcap_next_ex(p, &h, &bytes);
    if (rc == 0 && timeout_ms > 0) {
        // Non-blocking: wait on the descriptor ourselves, so the timeout holds in immediate
        // mode too, then try once more.
        pollfd pfd{pcap_get_selectable_fd(p), POLLIN, 0};
        if (pfd.fd >= 0 && ::poll(&pfd, 1, timeout_ms) > 0) rc = pcap_next_ex(p, &h, &bytes);
    }
    if (rc == 0) return Next::timeout;
    if (rc < 0) {
        error_ = rc == PCAP_ERROR ? std::string(pcap_geterr(p)) : std::string("capture ended");
        return Next::error;
    }
    frame = Frame{};
    frame.number = ++number_;
    // Nanosecond precision was asked for at open; tv_usec holds nanoseconds then.
    frame.ts_ns = std::int64_t(h->ts.tv_sec) * 1'000'000'000 +
                  std::int64_t(h->ts.tv_usec) * (pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO ? 1 : 1000);
    frame.wire_len = h->len;
    frame.data = Bytes(bytes, h->caplen);
    return Next::packet;
}

std::uint64_t LiveSource::dropped() const {
    pcap_stat st{};
    if (pcap_stats(static_cast<pcap_t*>(pcap_), &st) != 0) return 0;
    return st.ps_drop;
}

}  // namespace wirelab
