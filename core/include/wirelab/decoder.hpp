// The decoder: turns one frame into a layer tree, a summary line and conversation state.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "wirelab/capture.hpp"
#include "wirelab/dissect.hpp"
#include "wirelab/tree.hpp"

namespace wirelab {

class Filter;

class Decoder {
public:
    Decoder();
    // Forgets all conversation and reassembly state (before a new file).
    void reset();
    // Decodes `frame` (captured on an interface with `link_type`) into `tree` and `pinfo`.
    // `want_info` builds the Info column (the -T fields path leaves it off); `want_tree_text`
    // the summary text of each layer (only -V, JSON and the viewer show it). Every tree a
    // Decoder decodes into keeps the same fields (Tree::keep_only): a tree that keeps none lets
    // reassembly count the bytes of a message nothing will read instead of copying them.
    void decode(const Frame& frame, std::uint32_t link_type, Tree& tree, PacketInfo& pinfo, bool want_info = true,
                bool want_tree_text = true);
    // Decode up to the transport layer only (Ctx::transport_only), from the next packet on.
    void set_transport_only(bool on) { transport_only_ = on; }
    // For a caller that reads the Info column of few packets (`dump -Y`): decode() may then
    // leave part of it unwritten, and the caller calls PacketInfo::settle_info() before it
    // reads `info`. From the next packet on.
    void set_info_on_demand(bool on) { info_on_demand_ = on; }
    // Only the packets a display filter passes are shown: when every one of them must hold
    // some application protocol (`http.request.method == "GET"` needs HTTP), the decoders of
    // application protocols that never share a packet with it (DNS) are left out, from the
    // next packet on. What is shown of a passing packet cannot change. Returns the protocols
    // left out (none for a filter that can pass any packet); an empty filter puts them back.
    std::vector<const ProtocolDef*> narrow_to(const Filter& filter);
    Registry& registry() { return registry_; }
    const Registry& registry() const { return registry_; }

private:
    Registry registry_;
    bool first_ = true;
    bool transport_only_ = false;
    bool info_on_demand_ = false;
    std::int64_t first_ts_ = 0;
    std::int64_t prev_ts_ = 0;
    std::string protocols_text_;  // frame.protocols joined, when the tree keeps it
};

// The bytes a node points into: the frame, or a reassembled buffer.
Bytes source_bytes(const Tree& tree, const Frame& frame, std::uint8_t source);

}  // namespace wirelab
