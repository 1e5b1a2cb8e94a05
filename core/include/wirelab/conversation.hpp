// Conversations: the two endpoints (address, port) of a TCP connection or UDP flow, in a
// canonical order so that both directions find the same entry.
#pragma once

#include <cstdint>
#include <functional>

#include "wirelab/dissect.hpp"

namespace wirelab {

struct ConversationKey {
    Address a, b;
    std::uint32_t port_a = 0, port_b = 0;
    bool operator==(const ConversationKey&) const = default;

    // Builds the key and says whether (src, sport) is endpoint a.
    static ConversationKey make(const Address& src, std::uint32_t sport, const Address& dst, std::uint32_t dport,
                                bool& src_is_a) {
        src_is_a = src.bytes < dst.bytes || (src.bytes == dst.bytes && sport <= dport);
        if (src_is_a) return {src, dst, sport, dport};
        return {dst, src, dport, sport};
    }
};

struct ConversationKeyHash {
    std::size_t operator()(const ConversationKey& k) const {
        std::size_t h = (std::size_t(k.port_a) << 16 | k.port_b) * 0x9e3779b97f4a7c15ull;
        for (int i = 0; i < 16; i += 4) {
            h ^= (std::size_t(k.a.bytes[i]) << 24 | std::size_t(k.a.bytes[i + 1]) << 16 |
                  std::size_t(k.a.bytes[i + 2]) << 8 | k.a.bytes[i + 3]) + 0x9e3779b9 + (h << 6) + (h >> 2);
            h ^= (std::size_t(k.b.bytes[i]) << 24 | std::size_t(k.b.bytes[i + 1]) << 16 |
                  std::size_t(k.b.bytes[i + 2]) << 8 | k.b.bytes[i + 3]) + 0x9e3779b9 + (h << 6) + (h >> 2);
        }
        return h;
    }
};

}  // namespace wirelab
