// Conversations: the two endpoints (address, port) of a TCP connection or UDP flow, in a
// canonical order so that both directions find the same entry.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <functional>

#include "wirelab/dissect.hpp"

namespace wirelab {

struct ConversationKey {
    Address a, b;
    std::uint32_t port_a = 0, port_b = 0;
    // Ports first: on one link the addresses of most conversations are the same few (on a
    // loopback capture all of them), so two keys usually differ in a port. TCP compares the
    // key of every segment with the streams it saw last.
    bool operator==(const ConversationKey& o) const {
        return port_a == o.port_a && port_b == o.port_b && a == o.a && b == o.b;
    }

    // Builds the key and says whether (src, sport) is endpoint a.
    static ConversationKey make(const Address& src, std::uint32_t sport, const Address& dst, std::uint32_t dport,
                                bool& src_is_a) {
        // The bytes in order, as two big-endian words: both answers (less, equal) that the
        // array's < and == each ask for, without a call to memcmp.
        std::uint64_t x[2], y[2];
        std::memcpy(x, src.bytes.data(), 16);
        std::memcpy(y, dst.bytes.data(), 16);
        if constexpr (std::endian::native == std::endian::little)
            for (int i = 0; i < 2; ++i) x[i] = __builtin_bswap64(x[i]), y[i] = __builtin_bswap64(y[i]);
        const bool less = x[0] < y[0] || (x[0] == y[0] && x[1] < y[1]);
        const bool equal = x[0] == y[0] && x[1] == y[1];
        src_is_a = less || (equal && sport <= dport);
        if (src_is_a) return {src, dst, sport, dport};
        return {dst, src, dport, sport};
    }
};

struct ConversationKeyHash {
    // The two addresses as four 64-bit words, each mixed in with one multiply (every TCP and
    // UDP packet hashes a key, DNS twice): a fraction of the work of a byte at a time.
    std::size_t operator()(const ConversationKey& k) const {
        std::uint64_t words[4];
        std::memcpy(words, k.a.bytes.data(), 16);
        std::memcpy(words + 2, k.b.bytes.data(), 16);
        std::uint64_t h = (std::uint64_t(k.port_a) << 16 | k.port_b) * kMix;
        for (std::uint64_t w : words) h = (h ^ w) * kMix;
        return static_cast<std::size_t>(h ^ h >> 29);
    }
    static constexpr std::uint64_t kMix = 0x9e3779b97f4a7c15ull;  // 2^64 / golden ratio, odd
};

}  // namespace wirelab
