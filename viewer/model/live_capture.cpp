// Live capture with libpcap (see live_capture.hpp). pcap_create/pcap_activate are used rather
// than pcap_open_live so that a refusal comes back as PCAP_ERROR_PERM_DENIED, not only as text.
#include "model/live_capture.hpp"

#include <chrono>
#include <pcap/pcap.h>
#include <poll.h>
#include <unistd.h>

#include "wirelab/decoder.hpp"

namespace wirelab::viewer {

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

std::string capture_permission_help(const std::string& iface, const std::string& pcap_error) {
    std::string exe = "build/bin/wirelab-view";
    char buf[4096];
    ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n > 0) exe.assign(buf, static_cast<std::size_t>(n));
    return "Capturing on " + iface +
           " needs the permission to open a raw socket, which this process does not have (libpcap: " + pcap_error +
           ").\nEither run the viewer as root:\n    sudo ./wirelab view\nor give the program the capability once "
           "(CAP_NET_RAW to capture, CAP_NET_ADMIN for promiscuous mode):\n    sudo setcap cap_net_raw,cap_net_admin=eip " +
           exe;
}

LiveCapture::~LiveCapture() { stop(); }

std::shared_ptr<CaptureData> LiveCapture::start(const std::string& iface, const Registry& reg, std::string& err) {
    stop();
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    pcap_t* p = pcap_create(iface.c_str(), errbuf);
    if (!p) {
        err = "cannot open " + iface + ": " + errbuf;
        return nullptr;
    }
    pcap_set_snaplen(p, 262144);
    pcap_set_promisc(p, 0);
    pcap_set_timeout(p, 100);         // wake every 100 ms to see a stop request
    pcap_set_immediate_mode(p, 1);    // hand each packet over at once: the list is live
    int rc = pcap_activate(p);
    if (rc >= 0) pcap_setnonblock(p, 1, errbuf);
    if (rc < 0) {
        std::string why = pcap_geterr(p);
        if (rc == PCAP_ERROR_PERM_DENIED || why.find("ermission") != std::string::npos ||
            why.find("not permitted") != std::string::npos)
            err = capture_permission_help(iface, why);
        else if (rc == PCAP_ERROR_NO_SUCH_DEVICE)
            err = "there is no interface called " + iface + " (" + why + ")";
        else if (rc == PCAP_ERROR_IFACE_NOT_UP)
            err = iface + " is down: bring it up first (ip link set " + iface + " up)";
        else
            err = "cannot capture on " + iface + ": " + why;
        pcap_close(p);
        return nullptr;
    }
    pcap_ = p;
    link_type_ = static_cast<std::uint32_t>(pcap_datalink(p));
    iface_ = iface;
    auto arena = std::make_unique<ArenaBytes>();
    arena_ = arena.get();
    data_ = std::make_shared<CaptureData>("live: " + iface, std::move(arena), reg, true);
    stop_.store(false);
    running_.store(true);
    thread_ = std::thread([this] { run(); });
    return data_;
}

void LiveCapture::stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
    if (pcap_) {
        pcap_close(static_cast<pcap_t*>(pcap_));
        pcap_ = nullptr;
    }
    running_.store(false);
}

void LiveCapture::run() {
    auto* p = static_cast<pcap_t*>(pcap_);
    Decoder decoder;
    Tree tree;
    PacketInfo pinfo;
    Frame f;
    std::uint64_t number = 0;
    std::string problem;
    while (!stop_.load(std::memory_order_relaxed)) {
        pcap_pkthdr* h = nullptr;
        const u_char* bytes = nullptr;
        // In immediate mode the read timeout does not apply everywhere: wait on the
        // descriptor ourselves so that a stop request is seen within 100 ms.
        pollfd pfd{pcap_get_selectable_fd(p), POLLIN, 0};
        if (pfd.fd >= 0 && ::poll(&pfd, 1, 100) == 0) {
            data_->index().publish();
            continue;
        }
        int rc = pcap_next_ex(p, &h, &bytes);
        if (rc == 0) {  // timeout: show what came
            data_->index().publish();
            continue;
        }
        if (rc < 0) {
            if (rc == PCAP_ERROR) problem = std::string("capture stopped: ") + pcap_geterr(p);
            break;
        }
        std::uint64_t at = arena_->append(Bytes(bytes, h->caplen));
        if (at == ~std::uint64_t(0)) {
            problem = "capture stopped: 16 GiB of packets in memory";
            break;
        }
        f.number = ++number;
        f.ts_ns = std::int64_t(h->ts.tv_sec) * 1'000'000'000 + std::int64_t(h->ts.tv_usec) * 1000;
        f.wire_len = h->len;
        f.data = arena_->at(at, h->caplen);
        f.interface = 0;
        f.file_offset = at;
        decoder.decode(f, link_type_, tree, pinfo, true);
        data_->index().add(f, link_type_, at, tree, pinfo);
        data_->index().maybe_publish();
        data_->set_progress(number, number);
    }
    running_.store(false);
    data_->finish(problem);
}

}  // namespace wirelab::viewer
