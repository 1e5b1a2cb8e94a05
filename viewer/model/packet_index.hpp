// The packet index: everything the packet list shows about every packet, computed once by a
// background pass in file order (decoding is stateful: TCP stream numbers, relative sequence
// numbers and reassembly need the packets before), kept in 48 bytes a packet plus its Info
// text compressed in blocks. Addresses, Protocol column names and protocol paths are interned.
//
// One thread writes (the indexer or the live capture), any number read: records and strings
// become visible to readers only when publish() says so, and never move afterwards.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "model/packet_bytes.hpp"
#include "wirelab/capture.hpp"
#include "wirelab/dissect.hpp"
#include "wirelab/tree.hpp"

namespace wirelab::viewer {

// A vector that one thread appends to while others read what was published. Elements live in
// fixed chunks, so they never move.
template <class T>
class ChunkedVector {
public:
    static constexpr std::size_t kChunkBits = 14;
    static constexpr std::size_t kChunk = std::size_t(1) << kChunkBits;
    static constexpr std::size_t kMaxChunks = std::size_t(1) << 16;  // a billion elements

    ChunkedVector() : chunks_(new std::atomic<T*>[kMaxChunks]) {
        for (std::size_t i = 0; i < kMaxChunks; ++i) chunks_[i].store(nullptr, std::memory_order_relaxed);
    }
    ~ChunkedVector() {
        for (std::size_t i = 0; i < kMaxChunks; ++i) delete[] chunks_[i].load(std::memory_order_relaxed);
    }
    ChunkedVector(const ChunkedVector&) = delete;
    ChunkedVector& operator=(const ChunkedVector&) = delete;

    // Writer: adds an element readers do not see until publish(). False when full.
    bool push_back(T v) {
        std::size_t c = pending_ >> kChunkBits;
        if (c >= kMaxChunks) return false;
        T* chunk = chunks_[c].load(std::memory_order_relaxed);
        if (!chunk) {
            chunk = new T[kChunk]();
            chunks_[c].store(chunk, std::memory_order_release);
        }
        chunk[pending_ & (kChunk - 1)] = std::move(v);
        ++pending_;
        return true;
    }
    void publish() { size_.store(pending_, std::memory_order_release); }
    std::size_t pending() const { return pending_; }  // writer only

    std::size_t size() const { return size_.load(std::memory_order_acquire); }
    const T& operator[](std::size_t i) const {
        return chunks_[i >> kChunkBits].load(std::memory_order_acquire)[i & (kChunk - 1)];
    }
    std::size_t memory() const { return ((pending_ + kChunk - 1) >> kChunkBits) * kChunk * sizeof(T); }

private:
    std::unique_ptr<std::atomic<T*>[]> chunks_;
    std::size_t pending_ = 0;
    std::atomic<std::size_t> size_{0};
};

enum RecordFlag : std::uint8_t {
    kRecMalformed = 1,   // a layer could not be decoded as its protocol says
    kRecTruncated = 2,   // the capture cut the packet inside a header
    kRecTcp = 4,
    kRecSyn = 8,
    kRecFin = 16,
    kRecRst = 32,
    kRecComment = 64,    // the packet has a comment (PacketIndex::extra)
    kRecBlock = 128,     // a pcapng block that is not a packet (PacketIndex::extra)
};

inline constexpr std::uint32_t kNoStream = 0xffffffffu;

// One row of the packet list, without its Info text.
struct PacketRecord {
    std::uint64_t data_offset = 0;  // where the captured bytes start in the PacketBytes
    std::int64_t ts_ns = 0;
    std::uint32_t wire_len = 0;
    std::uint32_t cap_len = 0;
    std::uint32_t src = 0, dst = 0;  // address table ids
    std::uint32_t tcp_stream = kNoStream;
    std::uint16_t src_port = 0, dst_port = 0;
    std::uint16_t protocol = 0;      // Protocol column name id
    std::uint16_t path = 0;          // frame.protocols id ("eth:ethertype:ip:tcp:http")
    std::uint16_t link_type = 0;
    std::uint8_t interface = 0;      // index into the file's interfaces (255: 255 or more)
    std::uint8_t flags = 0;          // RecordFlag
};
static_assert(sizeof(PacketRecord) == 48, "the index is meant to stay small");

// What a few rows have besides their record: a packet's comment (where it lies in the file)
// or the type of a pcapng block that is not a packet. Read back by Frame-making readers.
struct PacketExtra {
    std::uint64_t packet = 0;          // index of the row
    std::uint64_t comment_offset = 0;  // in the PacketBytes, like data_offset
    std::uint32_t comment_len = 0;
    std::uint32_t block_type = 0;      // Frame::block_type
};

// Strings seen many times (addresses, protocol names), stored once and named by an id.
class StringTable {
public:
    std::uint32_t intern(std::string_view s);  // writer
    void publish() { strings_.publish(); }
    std::string_view get(std::uint32_t id) const {  // readers: ids from published records
        return id < strings_.size() ? std::string_view(strings_[id]) : std::string_view();
    }
    std::size_t size() const { return strings_.size(); }

private:
    // Looked up by string_view, so that a name already in the table costs no copy.
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    ChunkedVector<std::string> strings_;
    std::unordered_map<std::string, std::uint32_t, Hash, std::equal_to<>> ids_;  // writer only
    // Strings interned lately (writer only), looked at before the hash table: the last one of
    // each slot.
    struct Recent {
        std::string_view text;  // a string of strings_ (null: unused)
        std::uint32_t id = 0;
    };
    std::array<Recent, 16> recent_{};
    static std::size_t recent_slot(std::string_view s) {
        if (s.empty()) return 0;
        auto b = [&](std::size_t i) { return static_cast<std::size_t>(static_cast<unsigned char>(s[i])); };
        return (s.size() * 7 + b(0) + b(s.size() - 1) * 3 + b(s.size() / 2) * 5) & 15;
    }
};

// Info texts of consecutive packets, '\0'-separated and packed together with zstd: Info lines
// repeat a lot ("[ACK] Seq=... Ack=... Win=..."), so a block of them shrinks several times.
struct InfoBlock {
    std::size_t first = 0;   // index of its first packet
    std::uint32_t count = 0;
    std::uint32_t raw_size = 0;
    std::vector<std::uint8_t> packed;  // zstd frame
};

class PacketIndex {
public:
    explicit PacketIndex(const Registry& reg);  // to look up the fields it reads
    ~PacketIndex();                             // stops the thread that packs Info texts
    PacketIndex(const PacketIndex&) = delete;
    PacketIndex& operator=(const PacketIndex&) = delete;

    // ---- Writer (one thread) ----
    // Adds the record of the packet `frame` just decoded into `tree` and `pinfo`.
    void add(const Frame& frame, std::uint32_t link_type, std::uint64_t data_offset, const Tree& tree,
             const PacketInfo& pinfo);
    // The fields add() reads from a tree besides its layers and malformed nodes: a tree that
    // keeps only these (Tree::keep_only) gives the same record.
    std::vector<const FieldDef*> fields_read() const;
    // Makes everything added so far visible. Cheap; call often (the list shows what is there).
    void publish();
    // Publishes if enough packets or time have gone by since the last publish.
    void maybe_publish();

    // ---- Readers ----
    std::size_t size() const { return records_.size(); }
    const PacketRecord& operator[](std::size_t i) const { return records_[i]; }
    std::string_view address(std::uint32_t id) const { return addresses_.get(id); }
    std::string_view protocol(std::uint16_t id) const { return protocols_.get(id); }
    std::string_view path(std::uint16_t id) const { return paths_.get(id); }
    std::size_t path_count() const { return paths_.size(); }
    std::size_t protocol_count() const { return protocols_.size(); }
    std::int64_t first_ts() const { return first_ts_.load(std::memory_order_acquire); }
    // The block holding packet i (nullptr if not published yet).
    std::shared_ptr<const InfoBlock> info_block(std::size_t i) const;
    // The comment and block type of row i (nullptr if it has neither: no kRecComment, kRecBlock).
    const PacketExtra* extra(std::size_t i) const;
    // Bytes the index takes (records, Info blocks), for the status bar and the tests.
    std::size_t memory() const;

private:
    void flush_info();
    void pack_loop();
    std::uint32_t address_id(const Address& a);
    ChunkedVector<PacketRecord> records_;
    ChunkedVector<PacketExtra> extras_;  // in row order
    StringTable addresses_, protocols_, paths_;
    std::string path_text_;  // frame.protocols of the packet being added, joined
    std::atomic<std::int64_t> first_ts_{0};
    // A packet's Info text its decoder left unwritten (PacketInfo::deferred, TCP's numbers):
    // the packer writes it after the text so far, from a copy of the bytes it reads. This
    // takes the formatting of most Info texts off the pass.
    struct DeferredText {
        std::uint32_t packet = 0;  // in its block
        PacketInfo::DeferredInfo info;
        std::uint32_t bytes_at = 0, bytes_len = 0;  // its Tvb's bytes in RawBlock::bytes
    };
    struct RawBlock {
        std::size_t first = 0;
        std::uint32_t count = 0;
        std::string text;  // '\0'-separated, each text up to where a DeferredText continues it
        std::vector<DeferredText> deferred;
        std::vector<std::uint8_t> bytes;
    };
    // Writes the block's deferred texts into its text (on the packing thread).
    static void settle(RawBlock& raw);
    // Info blocks: the writer fills `pending_`, publish() packs it into a block.
    std::string pending_;
    std::vector<DeferredText> pending_deferred_;
    std::vector<std::uint8_t> pending_bytes_;
    std::uint32_t pending_count_ = 0;
    std::size_t pending_first_ = 0;
    std::chrono::steady_clock::time_point last_publish_;
    // Info texts are finished and packed on a thread of their own, beside the pass that
    // decodes: on two cores that costs the pass nothing. publish() waits for that thread to
    // catch up, so a published record always finds its Info text.
    std::thread packer_;
    std::mutex raw_mutex_;
    std::condition_variable raw_cv_;      // a block was queued, or the thread must stop
    std::condition_variable drained_cv_;  // the queue is empty and nothing is being packed
    std::deque<RawBlock> raw_;
    bool packing_ = false;
    bool stop_packer_ = false;
    mutable std::mutex blocks_mutex_;
    std::vector<std::shared_ptr<const InfoBlock>> blocks_;
    std::atomic<std::size_t> info_bytes_{0};
    // Field ids the writer reads from each tree, looked up once.
    const FieldDef* f_tcp_stream_ = nullptr;
    const FieldDef* f_tcp_flags_ = nullptr;
    const FieldDef* f_truncated_ = nullptr;
    // Address -> id in addresses_, so that an address seen before is not formatted again.
    struct AddressHash {
        std::size_t operator()(const Address& a) const {
            return std::hash<std::string_view>{}(
                       std::string_view(reinterpret_cast<const char*>(a.bytes.data()), a.bytes.size())) ^
                   static_cast<std::size_t>(a.kind);
        }
    };
    std::unordered_map<Address, std::uint32_t, AddressHash> address_ids_;
    // The last few addresses looked up, before the hash table: a packet's addresses are
    // mostly those of the packets just before it.
    struct RecentAddress {
        Address address;  // Kind::none: unused
        std::uint32_t id = 0;
    };
    std::array<RecentAddress, 4> recent_addresses_{};
    std::size_t next_recent_address_ = 0;
};

// Reads Info texts back, keeping the last few inflated blocks (one cache per reading thread).
class InfoCache {
public:
    std::string_view get(const PacketIndex& index, std::size_t i);
    void clear() { entries_.clear(); }

private:
    struct Entry {
        std::shared_ptr<const InfoBlock> block;
        std::string text;
        std::vector<std::uint32_t> starts;
        std::uint64_t used = 0;
    };
    std::vector<Entry> entries_;
    std::uint64_t clock_ = 0;
};

}  // namespace wirelab::viewer
