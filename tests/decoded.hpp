// The decoded packet the dissector tests look at: its tree, packet info and frame, with the
// field values as tshark -T fields prints them.
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "wirelab/decoder.hpp"
#include "wirelab/format.hpp"

namespace testing_support {

struct Decoded {
    wirelab::Tree tree;
    wirelab::PacketInfo pinfo;
    wirelab::Frame frame;
    std::vector<std::uint8_t> bytes;

    // All values of one field, joined by ',' as tshark -T fields prints them.
    std::string field(const wirelab::Decoder& d, std::string_view name) const {
        const wirelab::FieldDef* f = d.registry().field(name);
        REQUIRE(f != nullptr);
        std::string out;
        bool first = true;
        for (const auto& n : tree.nodes()) {
            if (n.field != f) continue;
            if (!first) out += ',';
            wirelab::append_field_value(out, tree, frame, n);
            first = false;
        }
        return out;
    }
    bool has_text(std::string_view needle) const {
        for (const auto& n : tree.nodes())
            if ((n.flags & wirelab::kHasText) && tree.text_of(n).find(needle) != std::string_view::npos) return true;
        return false;
    }
    // Every node must lie inside its data source.
    void check_bounds() const {
        for (const auto& n : tree.nodes()) {
            auto src = wirelab::source_bytes(tree, frame, n.source);
            REQUIRE(std::uint64_t(n.offset) + n.length <= src.size());
        }
    }
};

// Decodes `bytes` as frame `number` captured on a `link` interface at `ts_ns`.
inline void decode(wirelab::Decoder& d, Decoded& out, std::vector<std::uint8_t> bytes,
                   std::uint32_t link = wirelab::kLinkEthernet, std::uint64_t number = 1, std::uint32_t wire_len = 0,
                   std::int64_t ts_ns = 0) {
    out.bytes = std::move(bytes);
    out.frame = wirelab::Frame{};
    out.frame.number = number;
    out.frame.ts_ns = ts_ns;
    out.frame.data = out.bytes;
    out.frame.wire_len = wire_len ? wire_len : static_cast<std::uint32_t>(out.bytes.size());
    d.decode(out.frame, link, out.tree, out.pinfo, true);
}

}  // namespace testing_support
