// Ethernet II and IEEE 802.3 frames (IEEE 802.3 clause 3; RFC 894 for IP over Ethernet).
//
// The type/length field decides the format: 0x0600 and above is an EtherType (Ethernet II),
// 1500 and below is the length of an 802.3 frame whose payload starts with an 802.2 LLC header.
#include "proto_util.hpp"

namespace wirelab::proto {

extern const ProtocolDef kEthProto;

namespace {
enum : std::size_t { hf_eth, hf_dst, hf_src, hf_addr, hf_type, hf_len, hf_padding, hf_trailer, hf_ig, hf_lg, hf_count };

constexpr ValueName kEtherTypes[] = {
    {0x0800, "IPv4"},      {0x0806, "ARP"},        {0x86dd, "IPv6"},   {0x8100, "802.1Q Virtual LAN"},
    {0x88a8, "802.1ad Provider Bridge (Q-in-Q)"}, {0x8035, "RARP"}, {0x88cc, "LLDP"}, {0x8863, "PPPoE Discovery"},
    {0x8864, "PPPoE Session"}, {0x9000, "Loopback"}, {0x888e, "802.1X Authentication"}, {0x8847, "MPLS label switched packet"},
};
constexpr ValueName kIg[] = {{0, "Individual address (unicast)"}, {1, "Group address (multicast/broadcast)"}};
constexpr ValueName kLg[] = {{0, "Globally unique address (factory default)"}, {1, "Locally administered address"}};

constinit const FieldDef kFields[] = {
    {"eth", "Ethernet", FieldType::protocol, Base::none, 0, {},
     "The link-layer frame: it carries a packet from one network card to the next one on the same link.", &kEthProto},
    {"eth.dst", "Destination", FieldType::ether, Base::none, 0, {},
     "The MAC address of the network card this frame is for (ff:ff:ff:ff:ff:ff means every card on the link).",
     &kEthProto},
    {"eth.src", "Source", FieldType::ether, Base::none, 0, {},
     "The MAC address of the network card that sent this frame.", &kEthProto},
    {"eth.addr", "Address", FieldType::ether, Base::none, 0, {},
     "Either MAC address, source or destination (for filters).", &kEthProto},
    {"eth.type", "Type", FieldType::u16, Base::hex, 0, kEtherTypes,
     "The EtherType: which protocol the payload holds, so the receiver knows who should read it (0x0800 = IPv4).",
     &kEthProto},
    {"eth.len", "Length", FieldType::u16, Base::dec, 0, {},
     "In an IEEE 802.3 frame this field is the payload length instead of a type; an LLC header says what follows.",
     &kEthProto},
    {"eth.padding", "Padding", FieldType::bytes, Base::none, 0, {},
     "Filler bytes: an Ethernet frame must be at least 60 bytes long, so short packets are padded with zeros.",
     &kEthProto},
    {"eth.trailer", "Trailer", FieldType::bytes, Base::none, 0, {},
     "Bytes after the payload that are not padding (some network cards append them).", &kEthProto},
    {"eth.dst.ig", "IG bit", FieldType::boolean, Base::none, 0x010000000000ull, kIg,
     "Lowest bit of the first byte: 1 when the frame goes to a group (multicast or broadcast), 0 for one card.",
     &kEthProto},
    {"eth.dst.lg", "LG bit", FieldType::boolean, Base::none, 0x020000000000ull, kLg,
     "Second-lowest bit of the first byte: 1 when the address was set by software, 0 when burned in at the factory.",
     &kEthProto},
};
static_assert(std::size(kFields) == hf_count);

class Ethernet final : public Dissector {
public:
    void dissect(const Tvb& tvb, Ctx& ctx) override {
        Layer layer(ctx, kEthProto, tvb, 14);
        Fields h(ctx, tvb, "Ethernet header");
        if (ctx.tree.keeps_fields() || !tvb.has(0, 14)) {
            if (const std::uint8_t* dst = h.raw(kFields[hf_dst], 0, 6)) {
                h.uint(kFields[hf_ig], 0, 6);
                h.uint(kFields[hf_lg], 0, 6);
                ctx.pinfo.dl_dst.set(Address::Kind::ether, dst);
            }
            if (const std::uint8_t* src = h.raw(kFields[hf_src], 6, 6))
                ctx.pinfo.dl_src.set(Address::Kind::ether, src);
            if (h.ok()) {
                h.hidden(kFields[hf_addr], 0, 6);
                h.hidden(kFields[hf_addr], 6, 6);
            }
            if (!h.fits(12, 2)) return;
        } else {
            // The whole header is there and no field of it is shown: the addresses alone.
            ctx.pinfo.dl_dst.set(Address::Kind::ether, tvb.data());
            ctx.pinfo.dl_src.set(Address::Kind::ether, tvb.data() + 6);
        }
        std::uint16_t type = *tvb.be16(12);
        // The network addresses until a network layer sets its own: set from the header (all
        // there by now), not copied from the two just set (see Address::set).
        ctx.pinfo.net_src.set(Address::Kind::ether, tvb.data() + 6);
        ctx.pinfo.net_dst.set(Address::Kind::ether, tvb.data());
        if (type <= 1500) {
            // IEEE 802.3: a length, then 802.2 LLC.
            h.uint(kFields[hf_len], 12, 2);
            if (ctx.want_tree_text) layer.set_summary(summary(tvb));
            Tvb payload = tvb.sub(14, type);
            std::size_t end = ctx.tree.nodes().size();
            layer.close();
            ctx.call(Table::ethertype, kLlcKey, payload);
            trailer(ctx, tvb, 14 + payload.size(), end, layer.index());
            return;
        }
        h.uint(kFields[hf_type], 12, 2);
        if (ctx.want_tree_text) layer.set_summary(summary(tvb));
        // The payload is a sibling of the Ethernet layer in the tree, as in Wireshark.
        std::size_t end = ctx.tree.nodes().size();
        layer.close();
        ctx.pinfo.protocols.push("ethertype");
        ctx.consumed = 0;
        ctx.call(Table::ethertype, type, tvb.tail(14));
        trailer(ctx, tvb, ctx.consumed ? 14 + ctx.consumed : tvb.size(), end, layer.index());
    }

    // Key under which the LLC dissector registers in the ethertype table (not a real EtherType).
    static constexpr std::uint32_t kLlcKey = 0x10000;

private:
    static std::string summary(const Tvb& tvb) {
        std::string s = "Src: ";
        append_ether(s, tvb.data() + 6);
        s += ", Dst: ";
        append_ether(s, tvb.data());
        return s;
    }

    // Bytes past the end of what the payload's own length covers are padding (zeros) or a
    // trailer; they belong to the Ethernet layer, so the node is placed inside it.
    static void trailer(Ctx& ctx, const Tvb& tvb, std::size_t end, std::size_t insert_at, std::size_t layer) {
        if (end >= tvb.size()) return;
        bool zeros = true;
        for (std::size_t i = end; i < tvb.size(); ++i) zeros = zeros && tvb.data()[i] == 0;
        Node n{&kFields[zeros ? hf_padding : hf_trailer], 0, tvb.base() + static_cast<std::uint32_t>(end),
               static_cast<std::uint32_t>(tvb.size() - end), 0, tvb.source(), 0};
        n.depth = static_cast<std::uint16_t>(ctx.tree.nodes()[layer].depth + 1);
        ctx.tree.insert(insert_at, n);
    }
};
}  // namespace

constinit const ProtocolDef kEthProto{"eth", "Ethernet", "Ethernet II", OsiLayer::data_link, TcpIpLayer::link,
                                      "IEEE 802.3, RFC 894", kFields};

void register_eth(Registry& r) {
    r.add_protocol(kEthProto);
    auto& d = r.make<Ethernet>();
    r.add(Table::link_type, kLinkEthernet, d);
}

}  // namespace wirelab::proto
