// The pass that applies a display filter: decodes every packet in file order on a background
// thread (filters see the same stateful decode as the index: tcp.stream, reassembled HTTP) and
// collects the packets that match. The list shows the matches found so far while it runs; a
// live capture's pass keeps following new packets.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>

#include "model/capture_data.hpp"
#include "model/display_filter.hpp"

namespace wirelab::viewer {

class FilterPass {
public:
    FilterPass(std::shared_ptr<const CaptureData> data, DisplayFilter filter);
    ~FilterPass();
    FilterPass(const FilterPass&) = delete;
    FilterPass& operator=(const FilterPass&) = delete;

    const DisplayFilter& filter() const { return filter_; }
    // Matching packets found so far (0-based packet indexes, in file order).
    std::size_t size() const { return matches_.size(); }
    std::uint32_t operator[](std::size_t i) const { return matches_[i]; }
    std::size_t scanned() const { return scanned_.load(std::memory_order_acquire); }
    // All packets the capture has (and will have) were looked at.
    bool done() const { return done_.load(std::memory_order_acquire); }

private:
    void run();
    std::shared_ptr<const CaptureData> data_;
    DisplayFilter filter_;
    ChunkedVector<std::uint32_t> matches_;
    std::atomic<std::size_t> scanned_{0};
    std::atomic<bool> done_{false}, stop_{false};
    std::thread thread_;
};

}  // namespace wirelab::viewer
