// UDP (RFC 768): ports, length, checksum; datagrams keep their boundaries.
#include <unordered_map>

#include "proto_util.hpp"
#include "wirelab/conversation.hpp"

namespace wirelab::proto {

extern const ProtocolDef kUdpProto;

namespace {
enum : std::size_t {
    hf_udp, hf_srcport, hf_dstport, hf_port, hf_length, hf_checksum, hf_checksum_status, hf_stream, hf_payload,
    hf_count
};

constinit const FieldDef kFields[] = {
    {"udp", "User Datagram Protocol", FieldType::protocol, Base::none, 0, {},
     "The transport layer's simplest service: it delivers one datagram to a port, with no connection, no "
     "ordering and no resending.", &kUdpProto},
    {"udp.srcport", "Source Port", FieldType::u16, Base::dec, 0, {},
     "The sender's port: tells the receiving host which program the datagram came from.", &kUdpProto},
    {"udp.dstport", "Destination Port", FieldType::u16, Base::dec, 0, {},
     "The receiver's port: which program on the receiving host gets the datagram (53 = DNS).", &kUdpProto},
    {"udp.port", "Source or Destination Port", FieldType::u16, Base::dec, 0, {}, "Either port (for filters).",
     &kUdpProto},
    {"udp.length", "Length", FieldType::u16, Base::dec, 0, {},
     "Length of the datagram, 8-byte header included; the datagram's boundary travels with it.", &kUdpProto},
    {"udp.checksum", "Checksum", FieldType::u16, Base::hex, 0, {},
     "A checksum over the datagram and the IP addresses (0 means none was computed, allowed over IPv4).",
     &kUdpProto},
    {"udp.checksum.status", "Checksum Status", FieldType::u8, Base::none, 0, kChecksumStatus,
     "Whether the checksum was checked.", &kUdpProto},
    {"udp.stream", "Stream index", FieldType::u32, Base::dec, 0, {},
     "Which flow (pair of address and port) in this capture the datagram belongs to, numbered from 0.",
     &kUdpProto},
    {"udp.payload", "Payload", FieldType::bytes, Base::none, 0, {}, "The data the datagram carries.", &kUdpProto},
};
static_assert(std::size(kFields) == hf_count);

class Udp final : public Dissector {
public:
    void reset() override {
        flows_.clear();
        next_ = 0;
    }

    void dissect(const Tvb& tvb, Ctx& ctx) override {
        Layer layer(ctx, kUdpProto, tvb, 8);
        Fields h(ctx, tvb, "UDP header");
        const bool show = ctx.tree.keeps_fields() || !tvb.has(0, 8);
        std::uint64_t sport, dport, length;
        if (show) {
            sport = h.uint(kFields[hf_srcport], 0, 2);
            dport = h.uint(kFields[hf_dstport], 2, 2);
            if (h.ok()) {
                h.hidden(kFields[hf_port], 0, 2, sport);
                h.hidden(kFields[hf_port], 2, 2, dport);
            }
            length = h.uint(kFields[hf_length], 4, 2);
            h.uint(kFields[hf_checksum], 6, 2);
            if (!h.ok()) return;
            h.generated(kFields[hf_checksum_status], 6, 2, 2);
        } else {
            // The header is all there and no field of it is shown: the values alone.
            const std::uint8_t* b = tvb.data();
            sport = load_be16(b);
            dport = load_be16(b + 2);
            length = load_be16(b + 4);
        }
        ctx.pinfo.src_port = static_cast<std::uint32_t>(sport);
        ctx.pinfo.dst_port = static_cast<std::uint32_t>(dport);
        bool src_is_a = true;
        auto key = ConversationKey::make(ctx.pinfo.net_src, ctx.pinfo.src_port, ctx.pinfo.net_dst,
                                         ctx.pinfo.dst_port, src_is_a);
        auto [it, fresh] = flows_.try_emplace(key, next_);
        if (fresh) ++next_;
        if (show) h.generated(kFields[hf_stream], 0, 0, it->second);
        if (ctx.want_info) {
            // "53 → 40000 Len=33": ports and length of 5 digits each.
            InfoText<32> t;
            t.put_uint(static_cast<std::uint32_t>(sport)).put(" \xe2\x86\x92 ").put_uint(static_cast<std::uint32_t>(dport));
            t.put(" Len=").put_uint(static_cast<std::uint32_t>(length >= 8 ? length - 8 : 0));
            t.append_to(ctx.pinfo.info);
        }
        if (ctx.want_tree_text) {  // the layer's heading is shown by -V and JSON only
            std::string sum = "Src Port: ";
            append_uint(sum, sport);
            sum += ", Dst Port: ";
            append_uint(sum, dport);
            layer.set_summary(sum);
        }
        if (length < 8) {
            ctx.malformed(tvb, 4, 2, "undersized-udplength");
            return;
        }
        // The IP layer gave us exactly its payload; a UDP length past it is a lie (unless the
        // capture cut the packet, which the IP layer reports).
        if (length > tvb.reported_size() && !ctx.pinfo.in_error_packet) {
            ctx.malformed(tvb, 4, 2, "bad-udplength: longer than the IP payload");
            return;
        }
        Tvb payload = tvb.sub(8, length - 8);
        if (payload.empty()) return;
        h.raw(kFields[hf_payload], 8, payload.size());
        layer.close();
        if (ctx.transport_only) return;
        std::uint32_t lo = std::min(ctx.pinfo.src_port, ctx.pinfo.dst_port);
        std::uint32_t hi = std::max(ctx.pinfo.src_port, ctx.pinfo.dst_port);
        Dissector* d = ctx.registry.find(Table::udp_port, lo);
        if (!d) d = ctx.registry.find(Table::udp_port, hi);
        if (d) {
            if (!d->left_out()) d->dissect(payload, ctx);
            return;
        }
        ctx.data(payload);
        ctx.pinfo.protocol = kUdpProto.short_name;
    }

private:
    std::unordered_map<ConversationKey, std::uint32_t, ConversationKeyHash> flows_;
    std::uint32_t next_ = 0;
};
}  // namespace

constinit const ProtocolDef kUdpProto{"udp", "UDP", "User Datagram Protocol", OsiLayer::transport,
                                      TcpIpLayer::transport, "RFC 768", kFields};

void register_udp(Registry& r) {
    r.add_protocol(kUdpProto);
    r.add(Table::ip_proto, 17, r.make<Udp>());
}

}  // namespace wirelab::proto
