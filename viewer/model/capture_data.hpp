// One opened capture as the viewer holds it: the packet bytes, the index built over them and
// the state of the pass that builds it (a file being indexed, or a live capture running).
// Shared (std::shared_ptr) by the UI thread and the workers, which may outlive a switch to
// another file.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "model/packet_bytes.hpp"
#include "model/packet_index.hpp"
#include "wirelab/capture.hpp"

namespace wirelab::viewer {

class CaptureData {
public:
    CaptureData(std::string name, std::unique_ptr<PacketBytes> bytes, const Registry& reg, bool live);
    ~CaptureData();  // stops and joins the indexing pass

    const std::string& name() const { return name_; }  // the file path, or "live: eth0"
    bool live() const { return live_; }
    const PacketIndex& index() const { return index_; }
    PacketIndex& index() { return index_; }              // the writing pass only
    const PacketBytes& bytes() const { return *bytes_; }

    // Packet i (0-based) as a Frame view, from the index and the bytes. False if i is not
    // indexed yet or its bytes cannot be read.
    bool frame(std::size_t i, Frame& f) const;

    // ---- The pass that fills the index ----
    // Reads the whole file on a background thread with its own CaptureFile and Decoder.
    void start_indexing();
    void stop();  // asks the pass to stop and waits for it
    bool done() const { return done_.load(std::memory_order_acquire); }
    double progress() const;  // 0..1 of the file read
    // What stopped the pass early: the file's damage, said with its offset (empty: clean end).
    std::string error() const;
    double index_seconds() const { return index_seconds_.load(std::memory_order_relaxed); }

    // Used by the pass (and by a live capture, which is its own pass).
    void set_progress(std::uint64_t done, std::uint64_t total) {
        progress_done_.store(done, std::memory_order_relaxed);
        progress_total_.store(total, std::memory_order_relaxed);
    }
    void finish(std::string error);
    const std::atomic<bool>& stopping() const { return stop_; }

private:
    void index_file();
    std::string name_;
    std::unique_ptr<PacketBytes> bytes_;
    PacketIndex index_;
    bool live_ = false;
    std::thread thread_;
    std::atomic<bool> stop_{false};
    std::atomic<bool> done_{false};
    std::atomic<std::uint64_t> progress_done_{0}, progress_total_{1};
    std::atomic<double> index_seconds_{0};
    mutable std::mutex error_mutex_;
    std::string error_;
};

// Writes every indexed packet to `path` as pcapng (all with the link type of the first packet;
// packets of other link types are left out and counted in `err`).
bool save_pcapng(const CaptureData& data, const std::string& path, std::string& err);

}  // namespace wirelab::viewer
