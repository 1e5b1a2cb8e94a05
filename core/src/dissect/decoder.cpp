// The decoder and the "frame" pseudo-protocol: what the capture file says about a packet
// (number, time, lengths, interface) before any byte of it is decoded.
#include "wirelab/decoder.hpp"

#include <algorithm>
#include <cstdio>

#include "wirelab/filter.hpp"
#include "wirelab/format.hpp"

namespace wirelab {

extern const ProtocolDef kFrameProto;

namespace {
enum : std::size_t {
    hf_frame,
    hf_interface_id,
    hf_encap_type,
    hf_time_epoch,
    hf_time_delta,
    hf_time_relative,
    hf_number,
    hf_len,
    hf_cap_len,
    hf_comment,
    hf_protocols,
    hf_count
};
constinit const FieldDef kFields[] = {
    {"frame", "Frame", FieldType::protocol, Base::none, 0, {},
     "One packet as the capture file recorded it: when it was seen, how long it was, and all its bytes.",
     &kFrameProto},
    {"frame.interface_id", "Interface id", FieldType::u32, Base::dec, 0, {},
     "Which capture interface (network card) the packet was recorded on.", &kFrameProto},
    {"frame.encap_type", "Encapsulation type", FieldType::u32, Base::dec, 0, {},
     "The link-layer header type the capture file gives this interface; it says how to read the first bytes.",
     &kFrameProto},
    {"frame.time_epoch", "Epoch Time", FieldType::abstime, Base::none, 0, {},
     "When the packet was captured, in seconds since 1 January 1970 UTC.", &kFrameProto},
    {"frame.time_delta", "Time delta from previous captured frame", FieldType::reltime, Base::none, 0, {},
     "Seconds since the packet before this one was captured.", &kFrameProto},
    {"frame.time_relative", "Time since reference or first frame", FieldType::reltime, Base::none, 0, {},
     "Seconds since the first packet of the capture.", &kFrameProto},
    {"frame.number", "Frame Number", FieldType::u32, Base::dec, 0, {},
     "The packet's position in the capture file, counting from 1.", &kFrameProto},
    {"frame.len", "Frame Length", FieldType::u32, Base::dec, 0, {},
     "How many bytes the packet had on the wire.", &kFrameProto},
    {"frame.cap_len", "Capture Length", FieldType::u32, Base::dec, 0, {},
     "How many of those bytes were saved; fewer than the frame length when the snapshot length cut it.",
     &kFrameProto},
    {"frame.comment", "Comment", FieldType::string, Base::none, 0, {},
     "A note someone attached to this packet in the capture file.", &kFrameProto},
    {"frame.protocols", "Protocols in frame", FieldType::string, Base::none, 0, {},
     "Every protocol found in the packet, outermost first: the encapsulation at a glance.", &kFrameProto},
};
static_assert(std::size(kFields) == hf_count);
}  // namespace

constinit const ProtocolDef kFrameProto{"frame", "Frame", "Frame", OsiLayer::physical, TcpIpLayer::link,
                                        "pcap / pcapng", kFields};

Decoder::Decoder() {
    registry_.add_protocol(kFrameProto);
    register_all_protocols(registry_);
}

void Decoder::reset() {
    registry_.reset();
    first_ = true;
}

std::vector<const ProtocolDef*> Decoder::narrow_to(const Filter& filter) {
    auto needed = filter.required_protocols();
    // Only a requirement of application protocols says which other ones cannot share a
    // packet with a match (a filter on udp.port passes DNS packets). "data" is not one: it is
    // what is left of any payload.
    bool narrow = needed && std::all_of(needed->begin(), needed->end(), [](const ProtocolDef* p) {
        return p->tcpip == TcpIpLayer::application && p->abbrev != "data";
    });
    return registry_.leave_out(narrow ? std::span<const ProtocolDef* const>(*needed)
                                      : std::span<const ProtocolDef* const>());
}

Bytes source_bytes(const Tree& tree, const Frame& frame, std::uint8_t source) {
    if (source == 0) return frame.data;
    if (source > tree.source_count()) return {};
    return tree.source(source).bytes;
}

void Decoder::decode(const Frame& frame, std::uint32_t link_type, Tree& tree, PacketInfo& pinfo, bool want_info,
                     bool want_tree_text) {
    tree.clear();
    pinfo.clear();
    pinfo.frame = &frame;
    pinfo.link_type = link_type;
    // Blocks that are not packets have no time of their own.
    if (frame.block_type == 0) {
        if (first_) {
            first_ts_ = prev_ts_ = frame.ts_ns;
            first_ = false;
        }
        pinfo.rel_ns = frame.ts_ns - first_ts_;
        pinfo.delta_ns = frame.ts_ns - prev_ts_;
        prev_ts_ = frame.ts_ns;
    }

    Tvb tvb(frame.data);
    tvb.set_reported_size(frame.wire_len);
    Ctx ctx{registry_, tree, pinfo, want_info};
    ctx.transport_only = transport_only_;
    ctx.defer_info = info_on_demand_ && want_info;
    ctx.want_tree_text = want_info && want_tree_text;
    std::size_t layer = tree.open(kFields[hf_frame], tvb, 0, frame.data.size());
    std::size_t protocols = Tree::kDropped;
    if (tree.keeps_fields()) {  // the frame's fields are only shown
        tree.add(kFields[hf_interface_id], tvb, 0, 0, frame.interface, kGenerated);
        if (frame.block_type == 0) tree.add(kFields[hf_encap_type], tvb, 0, 0, link_type, kGenerated);
        tree.add(kFields[hf_time_epoch], tvb, 0, 0, static_cast<std::uint64_t>(frame.ts_ns), kGenerated);
        tree.add(kFields[hf_time_delta], tvb, 0, 0, static_cast<std::uint64_t>(pinfo.delta_ns), kGenerated);
        tree.add(kFields[hf_time_relative], tvb, 0, 0, static_cast<std::uint64_t>(pinfo.rel_ns), kGenerated);
        tree.add(kFields[hf_number], tvb, 0, 0, frame.number, kGenerated);
        tree.add(kFields[hf_len], tvb, 0, 0, frame.wire_len, kGenerated);
        tree.add(kFields[hf_cap_len], tvb, 0, 0, frame.data.size(), kGenerated);
        if (!frame.comment.empty()) tree.add_text(kFields[hf_comment], tvb, 0, 0, frame.comment, kGenerated);
        protocols = tree.add(kFields[hf_protocols], tvb, 0, 0, 0, kGenerated);
    }
    tree.close(layer);
    if (ctx.want_tree_text) {
        std::string& t = pinfo.info;  // borrowed as scratch; cleared below
        t.assign(1, ' ');
        append_uint(t, frame.number);
        t += ": ";
        append_uint(t, frame.wire_len);
        t += " bytes on wire (";
        append_uint(t, std::uint64_t(frame.wire_len) * 8);
        t += " bits), ";
        append_uint(t, frame.data.size());
        t += " bytes captured (";
        append_uint(t, frame.data.size() * 8);
        t += " bits)";
        tree.set_text(layer, t);
        t.clear();
    }
    pinfo.protocols.clear();  // like tshark, the list starts at the link layer
    pinfo.protocol = {};

    if (frame.block_type != 0) {
        // A pcapng block that is not a packet (a custom block): its content, as data.
        std::string msg = "pcapng block of type ";
        char hex[16];
        std::snprintf(hex, sizeof hex, "0x%08x", frame.block_type);
        msg += hex;
        msg += ": not a packet, its content is shown as data";
        ctx.note(tvb, 0, 0, msg);
        pinfo.protocols.clear();
        ctx.data(tvb);
        if (want_info) pinfo.info = msg;
    } else if (Dissector* d = registry_.find(Table::link_type, link_type)) {
        d->dissect(tvb, ctx);
    } else {
        std::string msg = "Link type ";
        msg += link_type_name(link_type);
        msg += " (";
        append_uint(msg, link_type);
        msg += ") is not supported: the bytes are shown raw";
        ctx.note(tvb, 0, 0, msg);
        ctx.data(tvb);
        pinfo.protocol = link_type_name(link_type);
        if (want_info) pinfo.info = msg;
    }
    // frame.protocols is known only now; its node was reserved above.
    if (protocols != Tree::kDropped) {
        protocols_text_.clear();
        pinfo.protocols.append_to(protocols_text_);
        tree.set_text(protocols, protocols_text_);
    }
    if (!info_on_demand_) pinfo.settle_info();
}

}  // namespace wirelab
