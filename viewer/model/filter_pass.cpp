// Background display-filter pass (see filter_pass.hpp).
#include "model/filter_pass.hpp"
#include "model/wake.hpp"

#include <chrono>

#include "wirelab/decoder.hpp"

namespace wirelab::viewer {

FilterPass::FilterPass(std::shared_ptr<const CaptureData> data, DisplayFilter filter)
    : data_(std::move(data)), filter_(std::move(filter)) {
    thread_ = std::thread([this] { run(); });
}

FilterPass::~FilterPass() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
}

void FilterPass::run() {
    Decoder decoder;
    filter_.narrow(decoder);  // only whether a packet passes is wanted here
    Tree tree;
    filter_.sparse(tree);
    PacketInfo pinfo;
    Frame f;
    std::size_t i = 0;
    std::uint64_t released = 0;
    auto last = std::chrono::steady_clock::now();
    while (!stop_.load(std::memory_order_relaxed)) {
        const PacketIndex& index = data_->index();
        // Read `done` before `size`: once the indexer is done, the size read after is final.
        bool indexer_done = data_->done();
        std::size_t n = index.size();
        if (i >= n) {
            matches_.publish();
            scanned_.store(i, std::memory_order_release);
            if (indexer_done) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            continue;
        }
        for (; i < n && !stop_.load(std::memory_order_relaxed); ++i) {
            if (data_->frame(i, f)) {
                decoder.decode(f, index[i].link_type, tree, pinfo, false);
                if (filter_.match(tree, f)) matches_.push_back(static_cast<std::uint32_t>(i));
            }
            if ((i & 255) == 255) {
                auto now = std::chrono::steady_clock::now();
                if (now - last > std::chrono::milliseconds(100)) {
                    matches_.publish();
                    scanned_.store(i + 1, std::memory_order_release);
                    last = now;
                }
                if (index[i].data_offset - released > (16u << 20)) {
                    data_->bytes().release(released, index[i].data_offset - released);
                    released = index[i].data_offset;
                }
            }
        }
    }
    matches_.publish();
    scanned_.store(i, std::memory_order_release);
    done_.store(!stop_.load(), std::memory_order_release);
    wake_frame_loop();  // the end shows at once
}

}  // namespace wirelab::viewer
