// The capture the viewer holds and the background pass that indexes a file.
#include "model/capture_data.hpp"

#include <chrono>
#include <cstring>

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
}

std::uint64_t packet_data_offset(const MappedBytes& file, CaptureFile::Format format, const Frame& frame) {
    const auto len = static_cast<std::uint32_t>(frame.data.size());
    // The fast path compares the ends of the packet; a search compares all of it.
    auto matches = [&](std::uint64_t at, bool all) {
        Bytes mine = file.at(at, len);
        if (mine.size() != len) return false;
        if (all || len <= 48) return len == 0 || std::memcmp(mine.data(), frame.data.data(), len) == 0;
        return std::memcmp(mine.data(), frame.data.data(), 32) == 0 &&
               std::memcmp(mine.data() + len - 16, frame.data.data() + len - 16, 16) == 0;
    };
    std::uint64_t header = 16;  // pcap record header: ts_sec, ts_usec, incl_len, orig_len
    if (format == CaptureFile::Format::pcapng) {
        Bytes type = file.at(frame.file_offset, 4);
        if (type.size() != 4) return ~std::uint64_t(0);
        // The block type in either byte order (the section header decides which).
        std::uint32_t le = std::uint32_t(type[0]) | std::uint32_t(type[1]) << 8 | std::uint32_t(type[2]) << 16 |
                           std::uint32_t(type[3]) << 24;
        std::uint32_t t = le < 0x100 ? le : load_be32(type.data());
        header = t == 3 ? 12 : 28;  // SPB: type, length, original length; EPB/PB: 28 bytes
    }
    if (matches(frame.file_offset + header, false)) return frame.file_offset + header;
    // The record offset may point at blocks the reader skipped before the packet (custom
    // blocks, statistics): look for the packet's bytes a little further on, on 32-bit
    // boundaries as pcapng aligns them. Equal bytes are all we need, wherever they are.
    constexpr std::uint64_t kSearch = 1u << 20;
    for (std::uint64_t at = frame.file_offset + 12; at < frame.file_offset + kSearch; at += 4) {
        if (at + len > file.size()) break;
        if (matches(at, true)) return at;
    }
    return ~std::uint64_t(0);
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
    Decoder decoder;
    Tree tree;
    PacketInfo pinfo;
    Frame f;
    std::uint64_t released = 0;
    constexpr std::uint64_t kReleaseEvery = 16u << 20;
    std::string problem;
    while (!stop_.load(std::memory_order_relaxed) && file->next(f)) {
        const auto& ifs = file->interfaces();
        std::uint32_t link = f.interface < ifs.size() ? ifs[f.interface].link_type : std::uint32_t{kLinkEthernet};
        std::uint64_t at = packet_data_offset(*file_bytes, file->format(), f);
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
    std::uint32_t link = n ? index[0].link_type : kLinkEthernet;
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
