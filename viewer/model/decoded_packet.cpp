// Layers and byte maps of the selected packet (see decoded_packet.hpp).
#include "model/decoded_packet.hpp"

#include <algorithm>

#include "wirelab/decoder.hpp"
#include "wirelab/format.hpp"

namespace wirelab::viewer {

Bytes DecodedPacket::source_bytes(std::uint8_t source) const { return wirelab::source_bytes(tree, frame, source); }

std::string DecodedPacket::source_name(std::uint8_t source) const {
    if (source == 0) return "Frame (" + std::to_string(frame.data.size()) + " bytes)";
    if (source > tree.source_count()) return {};
    const DataSource& s = tree.source(source);
    return s.name + " (" + std::to_string(s.bytes.size()) + " bytes)";
}

ByteRange DecodedPacket::node_range(std::size_t node) const {
    const auto& nodes = tree.nodes();
    if (node >= nodes.size()) return {};
    const Node& n = nodes[node];
    return {n.source, n.offset, n.length};
}

int DecodedPacket::layer_of_node(std::size_t node) const {
    int best = -1;
    for (std::size_t l = 0; l < layers.size(); ++l)
        if (layers[l].node <= node) best = static_cast<int>(l);
    return best;
}

void finish_decoded_packet(DecodedPacket& p) {
    const auto& nodes = p.tree.nodes();
    p.lines.clear();
    p.lines.reserve(nodes.size());
    for (const Node& n : nodes) {
        std::string line;
        append_tree_line(line, p.tree, p.frame, n);
        p.lines.push_back(std::move(line));
    }

    // Layers: every protocol node. A layer's band reaches as far as the last byte of any layer
    // inside it in the same data source (IP's band covers TCP and HTTP), and its header ends
    // where the next layer starts.
    p.layers.clear();
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        const Node& n = nodes[i];
        if (n.field->type != FieldType::protocol || !n.field->proto || (n.flags & kHidden)) continue;
        if (n.field->proto->abbrev == "_ws.expert" || n.field->proto->abbrev == "_ws.malformed") continue;
        LayerBand b;
        b.proto = n.field->proto;
        b.node = i;
        b.source = n.source;
        b.start = n.offset;
        b.header_end = n.offset + n.length;
        b.end = n.offset + n.length;
        b.depth = n.depth;
        p.layers.push_back(b);
    }
    for (std::size_t l = 0; l < p.layers.size(); ++l) {
        LayerBand& b = p.layers[l];
        for (std::size_t k = l + 1; k < p.layers.size(); ++k) {
            const LayerBand& inner = p.layers[k];
            if (inner.source != b.source) continue;
            if (inner.start >= b.start) b.end = std::max(b.end, inner.end);
        }
        for (std::size_t k = l + 1; k < p.layers.size(); ++k) {
            const LayerBand& next = p.layers[k];
            if (next.source != b.source) continue;
            if (next.start >= b.start && next.start < b.header_end) b.header_end = next.start;
            break;
        }
    }

    // Byte maps: later (deeper) nodes overwrite earlier ones, so each byte names its
    // innermost field, the one Wireshark would highlight.
    std::size_t sources = p.source_count();
    p.byte_node.assign(sources, {});
    p.byte_layer.assign(sources, {});
    for (std::size_t s = 0; s < sources; ++s) {
        std::size_t size = p.source_bytes(static_cast<std::uint8_t>(s)).size();
        p.byte_node[s].assign(size, -1);
        p.byte_layer[s].assign(size, -1);
    }
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        const Node& n = nodes[i];
        if ((n.flags & kHidden) || n.length == 0 || n.source >= sources) continue;
        auto& map = p.byte_node[n.source];
        std::size_t end = std::min<std::size_t>(map.size(), std::size_t(n.offset) + n.length);
        for (std::size_t b = n.offset; b < end; ++b) map[b] = static_cast<std::int32_t>(i);
    }
    for (std::size_t l = 0; l < p.layers.size(); ++l) {
        const LayerBand& b = p.layers[l];
        if (b.source >= sources) continue;
        auto& map = p.byte_layer[b.source];
        std::size_t end = std::min<std::size_t>(map.size(), b.end);
        for (std::size_t x = b.start; x < end; ++x) map[x] = static_cast<std::int16_t>(l);
    }
}

}  // namespace wirelab::viewer
