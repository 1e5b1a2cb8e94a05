// Live capture through libpcap, for the viewer's live mode and the labs' --capture: open an
// interface with an optional BPF filter, then read packets as Frames. Opening an interface
// needs the right to open a raw socket; without it the error says so and how to get it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "wirelab/capture.hpp"

namespace wirelab {

struct InterfaceInfo {
    std::string name;         // "eth0", "lo", "any"
    std::string description;  // libpcap's, if it has one
    bool loopback = false;
};

// The interfaces libpcap can open. Empty with `err` set if it cannot list them.
std::vector<InterfaceInfo> list_interfaces(std::string& err);

class LiveSource {
public:
    // Opens `iface` in immediate mode with nanosecond timestamps and applies `bpf_filter` (tcpdump
    // syntax; empty for everything). nullptr and a message in `err` on failure: no permission
    // (with how to get it), no such interface, interface down, a filter that does not compile.
    // `program` names the executable the permission help tells the user to setcap.
    // `immediate` hands each packet over as it comes (the viewer's live list); without it the
    // kernel fills blocks of variable-length packets (TPACKET_V3), which holds far more
    // packets in the same buffer: what a recorder that must not drop a burst wants.
    static std::unique_ptr<LiveSource> open(const std::string& iface, const std::string& bpf_filter, std::string& err,
                                            const std::string& program = {}, bool immediate = true,
                                            int buffer_bytes = 8 << 20);
    ~LiveSource();
    LiveSource(const LiveSource&) = delete;
    LiveSource& operator=(const LiveSource&) = delete;

    enum class Next { packet, timeout, error };
    // Waits up to `timeout_ms` for a packet. On Next::packet, `frame` views libpcap's buffer and
    // stays valid until the next call; `frame.number` counts from 1.
    Next next(Frame& frame, int timeout_ms);
    std::uint32_t link_type() const { return link_type_; }
    const std::string& error() const { return error_; }
    const std::string& interface() const { return iface_; }
    // Packets the kernel dropped because this reader was too slow (pcap_stats ps_drop).
    std::uint64_t dropped() const;

private:
    LiveSource() = default;
    void* pcap_ = nullptr;  // pcap_t*, kept out of the header
    std::uint32_t link_type_ = 1;
    std::uint64_t number_ = 0;
    std::string iface_, error_;
};

// The message for a capture that was refused for lack of permission: run as root, or setcap
// the program once.
std::string capture_permission_help(const std::string& iface, const std::string& pcap_error,
                                    const std::string& program = {});

}  // namespace wirelab
