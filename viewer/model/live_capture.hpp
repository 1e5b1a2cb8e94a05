// Live capture through libpcap: packets from a network interface go into an in-memory capture
// that the list shows as they arrive. Opening an interface needs the right to open a raw
// socket; without it the error says exactly that and how to get it.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "model/capture_data.hpp"
#include "wirelab/live.hpp"

namespace wirelab::viewer {

using wirelab::InterfaceInfo;
using wirelab::list_interfaces;

class LiveCapture {
public:
    LiveCapture() = default;
    ~LiveCapture();
    LiveCapture(const LiveCapture&) = delete;
    LiveCapture& operator=(const LiveCapture&) = delete;

    // Opens `iface` and starts capturing into a new CaptureData (returned). nullptr and a
    // message in `err` on failure: no permission, no such interface, interface down.
    // `capture_filter` (tcpdump syntax) keeps only matching packets.
    std::shared_ptr<CaptureData> start(const std::string& iface, const Registry& reg, std::string& err,
                                       const std::string& capture_filter = {});
    void stop();  // stops capturing; the packets stay
    bool running() const { return running_.load(); }
    const std::string& interface() const { return iface_; }

private:
    void run();
    std::unique_ptr<LiveSource> source_;
    std::shared_ptr<CaptureData> data_;
    ArenaBytes* arena_ = nullptr;
    std::string iface_;
    std::atomic<bool> running_{false}, stop_{false};
    std::thread thread_;
};

}  // namespace wirelab::viewer
