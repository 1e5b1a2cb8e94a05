// The selected packet, decoded in full: its layer tree, one line of text per node, the layers
// as byte bands (for the model panel and the colours of the bytes pane), and for every byte
// the field and the layer it belongs to (hovering a byte names its field, clicking selects it).
// Everything a view shows about the packet is computed here, once, not in a draw call.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "wirelab/capture.hpp"
#include "wirelab/dissect.hpp"
#include "wirelab/tree.hpp"

namespace wirelab::viewer {

// Bytes of one data source: 0 is the frame, n a reassembled buffer of the tree.
struct ByteRange {
    std::uint8_t source = 0;
    std::uint32_t offset = 0;
    std::uint32_t length = 0;
    bool empty() const { return length == 0; }
    bool contains(std::uint8_t s, std::uint32_t b) const { return s == source && b >= offset && b - offset < length; }
    bool operator==(const ByteRange&) const = default;
};

// One layer of the packet as a band of bytes: [start, header_end) is its own header,
// [header_end, end) what it carries (the layers inside it).
struct LayerBand {
    const ProtocolDef* proto = nullptr;
    std::size_t node = 0;       // its node in the tree
    std::uint8_t source = 0;
    std::uint32_t start = 0, header_end = 0, end = 0;
    int depth = 0;              // nesting of the layer's node (0: a top-level layer)
};

struct DecodedPacket {
    std::size_t index = 0;      // 0-based packet index
    Frame frame;                // a view into the capture's bytes
    std::uint32_t link_type = 0;
    Tree tree;
    std::string protocol;       // Protocol column
    std::string info;           // Info column
    std::vector<std::string> lines;   // tree line of each node ("Time to Live: 64")
    std::vector<LayerBand> layers;    // outermost first, the frame itself first of all
    // Per data source (index = source): the node and the layer each byte belongs to (-1: none).
    std::vector<std::vector<std::int32_t>> byte_node;
    std::vector<std::vector<std::int16_t>> byte_layer;
    // True if the decoder saw every packet before this one; false when a far jump back in a
    // big capture was decoded with only the packets just before it as context.
    bool exact = true;
    std::string context_note;

    Bytes source_bytes(std::uint8_t source) const;
    std::size_t source_count() const { return 1 + tree.source_count(); }
    std::string source_name(std::uint8_t source) const;
    ByteRange node_range(std::size_t node) const;
    // The layer (index into layers) a node belongs to: the closest layer node at or before it.
    int layer_of_node(std::size_t node) const;
};

// Builds lines, layers and byte maps of a packet just decoded into `p.tree`.
void finish_decoded_packet(DecodedPacket& p);

}  // namespace wirelab::viewer
