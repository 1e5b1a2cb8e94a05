// Read-only file map and live-capture arena (see packet_bytes.hpp).
#include "model/packet_bytes.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace wirelab::viewer {

std::unique_ptr<MappedBytes> MappedBytes::open(const std::string& path, std::string& err) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        err = path + ": " + std::strerror(errno);
        return nullptr;
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        err = path + ": " + std::strerror(errno);
        ::close(fd);
        return nullptr;
    }
    std::unique_ptr<MappedBytes> m(new MappedBytes());
    m->size_ = static_cast<std::uint64_t>(st.st_size);
    if (m->size_ > 0) {
        void* p = ::mmap(nullptr, m->size_, PROT_READ, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED) {
            err = path + ": cannot map the file: " + std::strerror(errno);
            ::close(fd);
            return nullptr;
        }
        m->map_ = static_cast<const std::uint8_t*>(p);
        // The packet list jumps around: read-ahead of whole megabytes would be wasted.
        ::madvise(p, m->size_, MADV_RANDOM);
    }
    ::close(fd);  // the map keeps the file
    return m;
}

MappedBytes::~MappedBytes() {
    if (map_) ::munmap(const_cast<std::uint8_t*>(map_), size_);
}

Bytes MappedBytes::at(std::uint64_t offset, std::uint32_t len) const {
    if (offset > size_ || len > size_ - offset) return {};
    return Bytes(map_ + offset, len);
}

void MappedBytes::release(std::uint64_t offset, std::uint64_t len) const {
    if (!map_ || offset >= size_) return;
    const std::uint64_t page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    std::uint64_t start = (offset + page - 1) / page * page;  // whole pages inside the range only
    std::uint64_t end = std::min(size_, offset + len) / page * page;
    if (end > start) ::madvise(const_cast<std::uint8_t*>(map_) + start, end - start, MADV_DONTNEED);
}

ArenaBytes::ArenaBytes() : chunks_(new std::atomic<std::uint8_t*>[kMaxChunks]) {
    for (std::size_t i = 0; i < kMaxChunks; ++i) chunks_[i].store(nullptr, std::memory_order_relaxed);
}

ArenaBytes::~ArenaBytes() {
    for (std::size_t i = 0; i < chunk_count_; ++i) delete[] chunks_[i].load();
}

std::uint64_t ArenaBytes::append(Bytes data) {
    // A packet never straddles two chunks, so every packet is one contiguous view.
    if (chunk_count_ == 0 || fill_ + data.size() > kChunk) {
        if (chunk_count_ == kMaxChunks) return ~std::uint64_t(0);
        chunks_[chunk_count_].store(new std::uint8_t[kChunk], std::memory_order_release);
        ++chunk_count_;
        fill_ = 0;
    }
    std::uint64_t offset = (chunk_count_ - 1) * kChunk + fill_;
    std::uint8_t* chunk = chunks_[chunk_count_ - 1].load(std::memory_order_relaxed);
    if (!data.empty()) std::memcpy(chunk + fill_, data.data(), data.size());
    fill_ += data.size();
    used_.store(offset + data.size(), std::memory_order_release);
    return offset;
}

Bytes ArenaBytes::at(std::uint64_t offset, std::uint32_t len) const {
    std::size_t c = static_cast<std::size_t>(offset / kChunk);
    std::uint64_t in = offset % kChunk;
    if (c >= kMaxChunks || in + len > kChunk || offset + len > used()) return {};
    const std::uint8_t* chunk = chunks_[c].load(std::memory_order_acquire);
    if (!chunk) return {};
    return Bytes(chunk + in, len);
}

}  // namespace wirelab::viewer
