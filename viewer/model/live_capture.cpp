// Live capture into the viewer (see live_capture.hpp): core's LiveSource reads the interface,
// this thread decodes each packet into the index the list shows.
#include "model/live_capture.hpp"

#include "wirelab/decoder.hpp"

namespace wirelab::viewer {

LiveCapture::~LiveCapture() { stop(); }

std::shared_ptr<CaptureData> LiveCapture::start(const std::string& iface, const Registry& reg, std::string& err,
                                                const std::string& capture_filter) {
    stop();
    source_ = LiveSource::open(iface, capture_filter, err);
    if (!source_) return nullptr;
    iface_ = iface;
    auto arena = std::make_unique<ArenaBytes>();
    arena_ = arena.get();
    data_ = std::make_shared<CaptureData>("live: " + iface + (capture_filter.empty() ? "" : " (" + capture_filter + ")"),
                                          std::move(arena), reg, true);
    stop_.store(false);
    running_.store(true);
    thread_ = std::thread([this] { run(); });
    return data_;
}

void LiveCapture::stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
    source_.reset();
    running_.store(false);
}

void LiveCapture::run() {
    Decoder decoder;
    Tree tree;
    PacketInfo pinfo;
    Frame f;
    std::string problem;
    const std::uint32_t link_type = source_->link_type();
    while (!stop_.load(std::memory_order_relaxed)) {
        // Wake every 100 ms to see a stop request and show what came.
        LiveSource::Next got = source_->next(f, 100);
        if (got == LiveSource::Next::timeout) {
            data_->index().publish();
            continue;
        }
        if (got == LiveSource::Next::error) {
            problem = "capture stopped: " + source_->error();
            break;
        }
        std::uint64_t at = arena_->append(f.data);
        if (at == ~std::uint64_t(0)) {
            problem = "capture stopped: 16 GiB of packets in memory";
            break;
        }
        f.data = arena_->at(at, f.data.size());
        f.interface = 0;
        f.file_offset = at;
        decoder.decode(f, link_type, tree, pinfo, true);
        data_->index().add(f, link_type, at, tree, pinfo);
        data_->index().maybe_publish();
        data_->set_progress(f.number, f.number);
    }
    running_.store(false);
    data_->finish(problem);
}

}  // namespace wirelab::viewer
