// Where the viewer reads packet bytes from at random: the capture file mapped read-only, or,
// for a live capture, an in-memory arena that only grows. The packet index stores an offset
// into one of these for every packet, so any packet can be decoded again without a seek API.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "wirelab/bytes.hpp"

namespace wirelab::viewer {

class PacketBytes {
public:
    virtual ~PacketBytes() = default;
    // `len` bytes at `offset`; empty if they are not all there.
    virtual Bytes at(std::uint64_t offset, std::uint32_t len) const = 0;
    // Lets the kernel drop resident pages of [offset, offset + len): background passes call it
    // behind themselves so that reading a big file does not keep all of it in memory.
    virtual void release(std::uint64_t offset, std::uint64_t len) const {
        (void)offset;
        (void)len;
    }
};

// A capture file mapped read-only. The core's CaptureFile reads it sequentially through its
// own map; this one serves the packet list and the selected packet.
class MappedBytes final : public PacketBytes {
public:
    static std::unique_ptr<MappedBytes> open(const std::string& path, std::string& err);
    ~MappedBytes() override;
    Bytes at(std::uint64_t offset, std::uint32_t len) const override;
    void release(std::uint64_t offset, std::uint64_t len) const override;
    std::uint64_t size() const { return size_; }

private:
    MappedBytes() = default;
    MappedBytes(const MappedBytes&) = delete;
    MappedBytes& operator=(const MappedBytes&) = delete;
    const std::uint8_t* map_ = nullptr;
    std::uint64_t size_ = 0;
};

// Packet bytes of a live capture: appended by the capture thread, read by everyone else.
// Chunks never move, so a view stays valid while more packets arrive.
class ArenaBytes final : public PacketBytes {
public:
    ArenaBytes();
    ~ArenaBytes() override;
    // Writer thread only. Returns the offset of the copy.
    std::uint64_t append(Bytes data);
    Bytes at(std::uint64_t offset, std::uint32_t len) const override;
    std::uint64_t used() const { return used_.load(std::memory_order_acquire); }

private:
    static constexpr std::uint64_t kChunk = 4u << 20;
    static constexpr std::size_t kMaxChunks = 4096;  // 16 GiB of packets
    std::unique_ptr<std::atomic<std::uint8_t*>[]> chunks_;
    std::size_t chunk_count_ = 0;
    std::uint64_t fill_ = 0;  // bytes used in the last chunk
    std::atomic<std::uint64_t> used_{0};
};

}  // namespace wirelab::viewer
