// The capture the viewer holds and the background pass that indexes a file.
#include "model/capture_data.hpp"
#include "model/wake.hpp"

#include <chrono>

#include "wirelab/decoder.hpp"

namespace wirelab::viewer {

CaptureData::CaptureData(std::string name, std::unique_ptr<PacketBytes> bytes, const Registry& reg, bool live)
    : name_(std::move(name)), bytes_(std::move(bytes)), index_(reg), live_(live) {}

CaptureData::~CaptureData() { stop(); }

bool CaptureData::frame(std::size_t i, Frame& f) const {
    if (i >= index_.size()) return false;
    const PacketRecord& r = index_[i];
    f.number = i + 1;
    f.ts_ns = r.ts_ns;
    f.wire_len = r.wire_len;
    f.interface = r.interface;
    f.file_offset = r.data_offset;
    f.comment = {};
    f.block_type = 0;
    if (r.flags & (kRecComment | kRecBlock)) {
        if (const PacketExtra* x = index_.extra(i)) {
            f.block_type = x->block_type;
            Bytes c = bytes_->at(x->comment_offset, x->comment_len);
            if (c.size() == x->comment_len) f.comment = std::string_view(reinterpret_cast<const char*>(c.data()), c.size());
        }
    }
    f.data = bytes_->at(r.data_offset, r.cap_len);
    return f.data.size() == r.cap_len;
}

void CaptureData::start_indexing() {
    thread_ = std::thread([this] { index_file(); });
}

void CaptureData::stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
}

double CaptureData::progress() const {
    if (done()) return 1.0;
    double total = static_cast<double>(progress_total_.load(std::memory_order_relaxed));
    return total > 0 ? static_cast<double>(progress_done_.load(std::memory_order_relaxed)) / total : 0.0;
}

std::string CaptureData::error() const {
    std::lock_guard<std::mutex> lock(error_mutex_);
    return error_;
}

void CaptureData::finish(std::string error) {
    index_.publish();
    {
        std::lock_guard<std::mutex> lock(error_mutex_);
        error_ = std::move(error);
    }
    done_.store(true, std::memory_order_release);
    wake_frame_loop();  // the end shows at once
}

void CaptureData::index_file() {
    auto started = std::chrono::steady_clock::now();
    auto* file_bytes = dynamic_cast<MappedBytes*>(bytes_.get());
    CaptureError err;
    std::unique_ptr<CaptureFile> file = CaptureFile::open(name_, err);
    if (!file || !file_bytes) {
        finish(file_bytes ? err.message() : name_ + ": not a file");
        return;
    }
    set_progress(0, file->size());
    file->read_ahead();
    Decoder decoder;
    decoder.set_info_on_demand(true);  // the index's packer thread writes TCP's Info texts
    Tree tree;
    tree.keep_only(index_.fields_read());  // the list needs a few fields, not the whole tree
    PacketInfo pinfo;
    Frame f;
    std::uint64_t released = 0;
    constexpr std::uint64_t kReleaseEvery = 8u << 20;
    std::string problem;
    while (!stop_.load(std::memory_order_relaxed) && file->next(f)) {
        const auto& ifs = file->interfaces();
        std::uint32_t link = f.interface < ifs.size() ? ifs[f.interface].link_type : std::uint32_t{kLinkEthernet};
        // The same file, mapped twice: the pass's reader says where the bytes are, and the
        // viewer reads them later through its own map at that offset.
        std::uint64_t at = f.data.empty() ? 0 : file->offset_of(f.data);
        if (at == ~std::uint64_t(0)) {
            problem = name_ + ": offset " + std::to_string(f.file_offset) +
                      ": cannot find the bytes of packet " + std::to_string(f.number) + " in the file";
            break;
        }
        // The list needs the Info column, not the layers' summary texts (the selected packet
        // is decoded again, with them, when it is shown).
        decoder.decode(f, link, tree, pinfo, true, false);
        index_.add(f, link, at, tree, pinfo);
        index_.maybe_publish();
        set_progress(f.file_offset, file->size());
        // Both maps drop what is behind the pass: a multi-GB file does not stay resident.
        if (f.file_offset - released >= kReleaseEvery) {
            file->release_before(f.file_offset);
            file_bytes->release(released, f.file_offset - released);
            released = f.file_offset;
        }
    }
    if (problem.empty() && file->error()) problem = file->error()->message();
    index_seconds_.store(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    finish(problem);
}

bool save_pcapng(const CaptureData& data, const std::string& path, std::string& err) {
    const PacketIndex& index = data.index();
    std::size_t n = index.size();
    std::uint32_t link = n ? index[0].link_type : std::uint32_t{kLinkEthernet};
    auto w = CaptureWriter::create(path, CaptureWriter::Format::pcapng, link, 262144, err, "wirelab view");
    if (!w) return false;
    Frame f;
    std::size_t skipped = 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (!data.frame(i, f) || index[i].link_type != link) {
            ++skipped;
            continue;
        }
        if (!w->write(f.ts_ns, f.data, f.wire_len)) {
            err = path + ": write failed";
            return false;
        }
    }
    if (!w->close()) {
        err = path + ": write failed";
        return false;
    }
    if (skipped) err = std::to_string(skipped) + " packets of another link type were left out";
    return true;
}

}  // namespace wirelab::viewer
