// Linux "cooked" capture headers, LINKTYPE_LINUX_SLL (v1) and LINKTYPE_LINUX_SLL2 (v2)
// (https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html, .../LINKTYPE_LINUX_SLL2.html).
//
// Capturing on "any" interface, Linux cannot give every packet its real link header (a
// loopback, a tunnel and an Ethernet card all look different), so libpcap writes this made-up
// one instead: the direction (to us, broadcast, sent by us...), the link's address type and the
// sender's link address, then the protocol as an EtherType.
#include <cstdio>
#include <string>

#include "proto_util.hpp"

namespace wirelab::proto {

extern const ProtocolDef kSllProto;

namespace {

enum : std::size_t {
    hf_sll, hf_pkttype, hf_hatype, hf_halen, hf_src_eth, hf_src_ipv4, hf_src_other, hf_unused, hf_ltype,
    hf_gretype, hf_etype, hf_trailer, hf_ifindex, hf_count
};

constexpr ValueName kPacketTypes[] = {
    {0, "Unicast to us"}, {1, "Broadcast"}, {2, "Multicast"}, {3, "Unicast to another host"}, {4, "Sent by us"},
};

// Linux ARPHRD_ values (include/uapi/linux/if_arp.h): the kind of link the packet came from.
constexpr ValueName kHaTypes[] = {
    {0, "NET/ROM pseudo"}, {1, "Ethernet"}, {2, "Experimental Ethernet"}, {3, "AX.25"}, {4, "ProNET"},
    {5, "Chaos"}, {6, "IEEE 802"}, {7, "ARCNET"}, {15, "Frame Relay DLCI"}, {19, "ATM (RFC 2225)"},
    {23, "Metricom STRIP"}, {24, "IEEE 1394.1995"}, {27, "EUI-64"}, {32, "InfiniBand"}, {256, "Experimental 2"},
    {257, "AEthernet"}, {280, "Controller Area Network"}, {512, "PPP"}, {513, "Cisco HDLC"}, {516, "LAPB"},
    {518, "Raw HDLC"}, {519, "Raw IP"}, {768, "IPIP tunnel"}, {769, "IP6IP6 tunnel"},
    {770, "Frame Relay Access Device"}, {772, "Loopback"}, {774, "Fiber Distributed Data Interface"},
    {776, "sit0 device - IPv6-in-IPv4"}, {778, "GRE over IP"}, {783, "Linux-IrDA"}, {801, "IEEE 802.11"},
    {802, "IEEE 802.11 + Prism2 header"}, {803, "IEEE 802.11 + radiotap header"}, {804, "IEEE 802.15.4"},
    {823, "GRE over IPv6"}, {824, "Netlink"}, {825, "IPv6 over LoWPAN"}, {826, "Vsock monitor header"},
    {65534, "zero header length"}, {65535, "Void type, nothing is known"},
};

// Linux protocol numbers below 1536 that are not EtherTypes (include/uapi/linux/if_ether.h).
constexpr ValueName kLinuxTypes[] = {
    {0x0001, "Raw 802.3"}, {0x0003, "Ethernet"}, {0x0004, "802.2 LLC"}, {0x0007, "PPP (HDLC)"},
    {0x000c, "CAN"}, {0x000d, "CAN FD"}, {0x0017, "IrDA LAP"}, {0x00f5, "ISI"}, {0x00f6, "IEEE 802.15.4"},
};

constexpr std::uint16_t kArphrdIpGre = 778;
constexpr std::uint32_t kLlcKey = 0x10000;  // where the LLC dissector sits in the ethertype table

constinit const FieldDef kFields[] = {
    {"sll", "Linux cooked capture", FieldType::protocol, Base::none, 0, {},
     "A header Linux makes up when capturing on several interfaces at once (\"any\"): it replaces the real "
     "link-layer header, which differs from interface to interface.", &kSllProto},
    {"sll.pkttype", "Packet type", FieldType::u16, Base::dec, 0, kPacketTypes,
     "Which way the packet went: to this host, broadcast, multicast, to another host, or sent by this host.",
     &kSllProto},
    {"sll.hatype", "Link-layer address type", FieldType::u16, Base::dec, 0, kHaTypes,
     "The kind of interface the packet used (1 = Ethernet, 772 = loopback), as a Linux ARPHRD_ number.",
     &kSllProto},
    {"sll.halen", "Link-layer address length", FieldType::u16, Base::dec, 0, {},
     "How many bytes of the address field hold the sender's link-layer address (6 for a MAC address).",
     &kSllProto},
    {"sll.src.eth", "Source", FieldType::ether, Base::none, 0, {},
     "The MAC address of the sender of this packet.", &kSllProto},
    {"sll.src.ipv4", "Source", FieldType::ipv4, Base::none, 0, {},
     "The sender's link-layer address, which is an IPv4 address on IP tunnels.", &kSllProto},
    {"sll.src.other", "Source", FieldType::bytes, Base::none, 0, {},
     "The sender's link-layer address, for other kinds of interface.", &kSllProto},
    {"sll.unused", "Unused", FieldType::bytes, Base::none, 0, {},
     "The rest of the 8-byte address field, not used by a shorter address.", &kSllProto},
    {"sll.ltype", "Protocol", FieldType::u16, Base::hex, 0, kLinuxTypes,
     "A Linux protocol number (not an EtherType) saying what the payload is (4 = an 802.2 LLC frame).",
     &kSllProto},
    {"sll.gretype", "Protocol", FieldType::u16, Base::hex, 0, kEtherTypeNames,
     "The GRE protocol type of the payload, on a GRE tunnel interface.", &kSllProto},
    {"sll.etype", "Protocol", FieldType::u16, Base::hex, 0, kEtherTypeNames,
     "The EtherType of the payload, as in an Ethernet header (0x0800 = IPv4).", &kSllProto},
    {"sll.trailer", "Trailer", FieldType::bytes, Base::none, 0, {},
     "Bytes after the payload that are neither part of it nor padding.", &kSllProto},
    {"sll.ifindex", "Interface index", FieldType::u32, Base::dec, 0, {},
     "Which interface of the capturing host the packet was seen on (its Linux ifindex).", &kSllProto},
};
static_assert(std::size(kFields) == hf_count);

class Sll final : public Dissector {
public:
    explicit Sll(int version) : v2_(version == 2) {}

    void dissect(const Tvb& tvb, Ctx& ctx) override {
        const std::size_t hdr = v2_ ? 20 : 16;
        Layer layer(ctx, kSllProto, tvb, hdr);
        if (ctx.want_tree_text) layer.set_summary(v2_ ? "v2" : "v1");
        Fields h(ctx, tvb, "Linux cooked header");
        // Wireshark reads the fixed part (the first 6 bytes, 12 in v2) before it adds any field.
        if (!h.fits(0, v2_ ? 12 : 6)) return;
        std::uint64_t pkttype = 0, hatype = 0, halen = 0, protocol = 0;
        std::size_t addr = 0;
        if (v2_) {
            // v2 puts the protocol first and adds the interface index.
            if (!h.fits(0, 2)) return;
            protocol = *tvb.be16(0);
            protocol_field(h, protocol, tvb.be16(8).value_or(0), 0);
            h.uint(kFields[hf_ifindex], 4, 4);
            hatype = h.uint(kFields[hf_hatype], 8, 2);
            pkttype = h.uint(kFields[hf_pkttype], 10, 1);
            halen = h.uint(kFields[hf_halen], 11, 1);
            addr = 12;
        } else {
            pkttype = h.uint(kFields[hf_pkttype], 0, 2);
            hatype = h.uint(kFields[hf_hatype], 2, 2);
            halen = h.uint(kFields[hf_halen], 4, 2);
            addr = 6;
        }
        if (!h.ok()) return;
        // The Info column names the direction until the payload's protocol replaces it.
        if (ctx.want_info) {
            std::string_view name = value_name(kFields[hf_pkttype], pkttype);
            if (name.empty()) {
                ctx.pinfo.info = "Unknown (";
                append_uint(ctx.pinfo.info, pkttype);
                ctx.pinfo.info += ')';
            } else {
                ctx.pinfo.info.assign(name);
            }
        }
        address(ctx, h, tvb, addr, halen);
        if (!v2_) {
            if (!h.fits(14, 2)) return;
            protocol = *tvb.be16(14);
            protocol_field(h, protocol, hatype, 14);
        }
        if (!h.ok()) return;

        Tvb body = tvb.tail(hdr);
        std::size_t insert_at = ctx.tree.nodes().size();
        layer.close();
        if (protocol <= 1536) {
            // A Linux protocol number, not an EtherType ("yes, 1536 - that's how Linux does it").
            if (protocol == 0x0004 && ctx.registry.find(Table::ethertype, kLlcKey))
                next(ctx, Table::ethertype, kLlcKey, body);
            else if (protocol == 0x0003 && ctx.registry.find(Table::link_type, kLinkEthernet))
                next(ctx, Table::link_type, kLinkEthernet, body);
            else
                ctx.data(body);
            return;
        }
        if (hatype == kArphrdIpGre) {
            // GRE payload types are not decoded here.
            ctx.data(body);
            return;
        }
        ctx.pinfo.protocols.push("ethertype");
        ctx.consumed = 0;
        if (ctx.registry.find(Table::ethertype, static_cast<std::uint32_t>(protocol))) {
            next(ctx, Table::ethertype, static_cast<std::uint32_t>(protocol), body);
        } else {
            ctx.data(body);
            // Wireshark's ethertype table names an unknown type in the Protocol column.
            char buf[8];
            std::snprintf(buf, sizeof buf, "0x%04x", static_cast<unsigned>(protocol));
            protocol_col_ = buf;
            ctx.pinfo.protocol = protocol_col_;
            std::string_view name = value_name(kFields[hf_etype], protocol);
            if (!name.empty() && ctx.want_info) ctx.pinfo.info.assign(name);
        }
        if (ctx.consumed) {
            if (!padding_) padding_ = ctx.registry.field("eth.padding");
            add_link_trailer(ctx, tvb, hdr + ctx.consumed, padding_, kFields[hf_trailer], insert_at, layer.index());
        }
    }

private:
    // The next protocol writes its own Info column.
    static void next(Ctx& ctx, Table t, std::uint32_t key, const Tvb& body) {
        ctx.pinfo.info.clear();
        ctx.call(t, key, body);
    }

    static void protocol_field(Fields& h, std::uint64_t protocol, std::uint64_t hatype, std::size_t off) {
        std::size_t f = protocol <= 1536 ? hf_ltype : hatype == kArphrdIpGre ? hf_gretype : hf_etype;
        h.uint(kFields[f], off, 2);
    }

    // The 8-byte address field: as much of it as the address length says, the rest unused.
    static void address(Ctx& ctx, Fields& h, const Tvb& tvb, std::size_t off, std::uint64_t halen) {
        if (halen == 6) {
            if (const std::uint8_t* p = h.raw(kFields[hf_src_eth], off, 6)) {
                ctx.pinfo.dl_src = Address::from(Address::Kind::ether, p);
                ctx.pinfo.net_src = ctx.pinfo.dl_src;
            }
        } else if (halen == 4) {
            if (const std::uint8_t* p = h.raw(kFields[hf_src_ipv4], off, 4))
                ctx.pinfo.net_src = Address::from(Address::Kind::ipv4, p);
        } else if (halen != 0) {
            h.raw(kFields[hf_src_other], off, std::min<std::uint64_t>(halen, 8));
        }
        if (halen < 8) h.raw(kFields[hf_unused], off + halen, 8 - halen);
        (void)tvb;
    }

    bool v2_;
    const FieldDef* padding_ = nullptr;
    std::string protocol_col_;  // the Protocol column must outlive the call
};
}  // namespace

constinit const ProtocolDef kSllProto{"sll", "SLL", "Linux cooked capture", OsiLayer::data_link, TcpIpLayer::link,
                                      "LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2 (tcpdump.org/linktypes)", kFields};

void register_sll(Registry& r) {
    r.add_protocol(kSllProto);
    r.add(Table::link_type, kLinkLinuxSll, r.make<Sll>(1));
    r.add(Table::link_type, kLinkLinuxSll2, r.make<Sll>(2));
}

}  // namespace wirelab::proto
