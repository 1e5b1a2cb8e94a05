// IP fragment reassembly (RFC 791 section 3.2, RFC 8200 section 4.5), shared by IPv4 and IPv6.
//
// Fragments are copied into per-datagram buffers until every byte from 0 to the end of the
// last fragment (More Fragments = 0) has arrived. State is bounded: at most kMaxPending
// datagrams and kMaxBytes buffered bytes; when full, the oldest datagram is dropped and
// counted in dropped().
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

#include "wirelab/bytes.hpp"
#include "wirelab/dissect.hpp"

namespace wirelab {

struct FragmentKey {
    Address src, dst;
    std::uint32_t id = 0;
    std::uint8_t proto = 0;
    bool operator==(const FragmentKey&) const = default;
};

struct FragmentKeyHash {
    std::size_t operator()(const FragmentKey& k) const;
};

class FragmentTable {
public:
    static constexpr std::size_t kMaxPending = 4096;
    static constexpr std::size_t kMaxBytes = 16u << 20;
    static constexpr std::uint32_t kMaxDatagram = 65535 + 40;

    enum class Status { incomplete, complete, error };
    struct Result {
        Status status = Status::incomplete;
        std::string error;       // for Status::error: what was wrong with this fragment
        bool overlap = false;    // fragments overlapped (the first bytes that arrived are kept)
    };

    // Adds the fragment at byte `offset` of the datagram `key`; `more` is the More Fragments
    // flag. When the datagram completes, its bytes and the contributing frames go to `out`.
    Result add(const FragmentKey& key, std::uint32_t offset, Bytes data, bool more, std::uint32_t frame,
               DataSource& out);
    void clear();
    std::uint64_t dropped() const { return dropped_; }
    std::size_t pending() const { return pending_.size(); }

private:
    struct Piece {
        std::uint32_t offset;
        std::uint32_t frame;
        std::vector<std::uint8_t> bytes;
    };
    struct Datagram {
        std::vector<Piece> pieces;
        std::uint32_t total = 0;  // known once the last fragment arrived
        bool have_last = false;
        std::size_t bytes = 0;
        std::uint64_t serial = 0;
    };
    void evict_oldest();

    std::unordered_map<FragmentKey, Datagram, FragmentKeyHash> pending_;
    std::deque<std::pair<std::uint64_t, FragmentKey>> age_;
    std::uint64_t serial_ = 0;
    std::size_t bytes_ = 0;
    std::uint64_t dropped_ = 0;
};

}  // namespace wirelab
