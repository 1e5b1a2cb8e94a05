// BSD loopback encapsulation (LINKTYPE_NULL, LINKTYPE_LOOP) and raw IP (LINKTYPE_RAW)
// (https://www.tcpdump.org/linktypes/LINKTYPE_NULL.html, .../LINKTYPE_LOOP.html, .../LINKTYPE_RAW.html).
//
// Packets sent to 127.0.0.1 never reach a network card, so they have no Ethernet header. BSD
// and macOS capture them with a 4-byte header holding the address family (AF_INET = IPv4) in
// the byte order of the capturing machine (LOOP: always network order). Raw IP has no header
// at all: the first nibble, the IP version, says what follows.
#include "proto_util.hpp"

namespace wirelab::proto {

extern const ProtocolDef kNullProto;
extern const ProtocolDef kRawProto;

namespace {

enum : std::size_t { hf_null, hf_type, hf_family, hf_count };

// BSD AF_ values as they appear in the file (they differ between the BSDs for IPv6).
constexpr ValueName kFamilies[] = {
    {2, "IP"}, {7, "OSI"}, {16, "Appletalk"}, {23, "Netware IPX/SPX"},
    {24, "IPv6"},  // NetBSD, OpenBSD, BSD/OS
    {28, "IPv6"},  // FreeBSD, DragonFly BSD
    {30, "IPv6"},  // macOS
};

// Families wirelab decodes, with the EtherType of their dissector. Linux's AF_INET6 (10) is
// not among them: it never appears in these headers, and Wireshark does not map it either.
struct FamilyType {
    std::uint32_t family;
    std::uint32_t ethertype;
};
constexpr FamilyType kFamilyTypes[] = {{2, 0x0800}, {24, 0x86dd}, {28, 0x86dd}, {30, 0x86dd}};

constinit const FieldDef kFields[] = {
    {"null", "Null/Loopback", FieldType::protocol, Base::none, 0, {},
     "The 4-byte header BSD systems put on loopback (127.0.0.1) packets, which have no real link layer: it "
     "only says which network protocol follows.", &kNullProto},
    {"null.type", "Type", FieldType::u16, Base::hex, 0, kEtherTypeNames,
     "An EtherType, for the rare captures that put one in this header instead of an address family.",
     &kNullProto},
    {"null.family", "Family", FieldType::u32, Base::dec, 0, kFamilies,
     "The address family of the packet: 2 = IPv4, 24, 28 or 30 = IPv6 (the number depends on the operating "
     "system).", &kNullProto},
};
static_assert(std::size(kFields) == hf_count);

constinit const FieldDef kRawFields[] = {
    {"raw", "Raw packet data", FieldType::protocol, Base::none, 0, {},
     "No link-layer header was captured: the packet starts directly with its IP header.", &kRawProto},
};

// The columns Wireshark shows when no network layer follows a header that has no addresses.
void no_link_layer(Ctx& ctx, std::string_view info) {
    ctx.pinfo.protocol = "N/A";
    if (ctx.want_info) ctx.pinfo.info.assign(info);
}

// Hands the payload to the dissector of `family`, or shows it as data.
void by_family(Ctx& ctx, std::uint32_t family, Tvb payload) {
    for (const FamilyType& f : kFamilyTypes) {
        if (f.family == family && ctx.registry.find(Table::ethertype, f.ethertype)) {
            ctx.call(Table::ethertype, f.ethertype, payload);
            return;
        }
    }
    ctx.data(payload);
    no_link_layer(ctx, "Null/Loopback");
}

class Null final : public Dissector {
public:
    void dissect(const Tvb& tvb, Ctx& ctx) override {
        Layer layer(ctx, kNullProto, tvb, 4);
        Fields h(ctx, tvb, "loopback header");
        if (!h.fits(0, 4)) {
            no_link_layer(ctx, "Null/Loopback");
            return;
        }
        if (*tvb.be16(0) == 0xff03) {
            // PPP in HDLC-like framing, which wirelab does not decode.
            layer.close();
            ctx.data(tvb);
            no_link_layer(ctx, "Null/Loopback");
            return;
        }
        // The family was written in the capturing host's byte order. A BSD AF_ value is small,
        // so a value with high bits set was written the other way round; IRIX and UNICOS/mp
        // put a 16-bit value in the first two bytes instead.
        std::uint32_t v = *tvb.le32(0);
        if (v & 0xffff0000u) {
            if ((v & 0xff000000u) == 0 && (v & 0x00ff0000u) < 0x00060000u)
                v >>= 16;
            else
                v = *tvb.be32(0);
        } else if ((v & 0x000000ffu) == 0 && (v & 0x0000ff00u) < 0x00000600u) {
            v = static_cast<std::uint16_t>((v & 0xff) << 8 | (v >> 8 & 0xff));
        }
        Tvb payload = tvb.tail(4);
        if (v > 1500) {
            // Larger than any 802.3 length: an EtherType.
            ctx.tree.add(kFields[hf_type], tvb, 0, 4, v & 0xffff);
            layer.close();
            if (!ctx.call(Table::ethertype, v & 0xffff, payload)) no_link_layer(ctx, "Null/Loopback");
            return;
        }
        ctx.tree.add(kFields[hf_family], tvb, 0, 4, v);
        layer.close();
        by_family(ctx, v, payload);
    }
};

// LINKTYPE_LOOP (OpenBSD): the same header, always in network byte order.
class Loop final : public Dissector {
public:
    void dissect(const Tvb& tvb, Ctx& ctx) override {
        Layer layer(ctx, kNullProto, tvb, 4);
        Fields h(ctx, tvb, "loopback header");
        std::uint64_t family = h.uint(kFields[hf_family], 0, 4);
        if (!h.ok()) {
            no_link_layer(ctx, "Null/Loopback");
            return;
        }
        layer.close();
        by_family(ctx, static_cast<std::uint32_t>(family), tvb.tail(4));
    }
};

// LINKTYPE_RAW: the IP version nibble decides between IPv4 and IPv6.
class Raw final : public Dissector {
public:
    void dissect(const Tvb& tvb, Ctx& ctx) override {
        Layer layer(ctx, kRawProto, tvb, tvb.size());
        layer.close();
        if (tvb.size() >= 2 && *tvb.be16(0) == 0xff03) {
            ctx.data(tvb);  // PPP in HDLC-like framing, not decoded
            no_link_layer(ctx, "Raw packet data");
            return;
        }
        // Wireshark looks at the first 8 bytes for other framings before it looks at the
        // version; a shorter packet ends there.
        if (tvb.reported_size() < 8) {
            no_link_layer(ctx, "Raw packet data");
            ctx.malformed(tvb, 0, tvb.size(), "raw packet shorter than 8 bytes");
            return;
        }
        if (!tvb.has(0, 8)) {
            no_link_layer(ctx, "Raw packet data");
            ctx.truncated(tvb, tvb.size(), "raw packet");
            return;
        }
        std::uint8_t version = tvb.data()[0] >> 4;
        std::uint32_t type = version == 4 ? 0x0800 : version == 6 ? 0x86dd : 0;
        if (type && ctx.registry.find(Table::ethertype, type)) {
            ctx.call(Table::ethertype, type, tvb);
            return;
        }
        ctx.data(tvb);
        no_link_layer(ctx, "Raw packet data");
    }
};
}  // namespace

constinit const ProtocolDef kNullProto{"null", "Null", "Null/Loopback", OsiLayer::data_link, TcpIpLayer::link,
                                       "LINKTYPE_NULL, LINKTYPE_LOOP (tcpdump.org/linktypes)", kFields};
constinit const ProtocolDef kRawProto{"raw", "Raw", "Raw packet data", OsiLayer::data_link, TcpIpLayer::link,
                                      "LINKTYPE_RAW (tcpdump.org/linktypes)", kRawFields};

void register_null(Registry& r) {
    r.add_protocol(kNullProto);
    r.add_protocol(kRawProto);
    r.add(Table::link_type, kLinkNull, r.make<Null>());
    r.add(Table::link_type, kLinkLoop, r.make<Loop>());
    auto& raw = r.make<Raw>();
    r.add(Table::link_type, kLinkRaw, raw);
    r.add(Table::link_type, kLinkRawAlt, raw);
}

}  // namespace wirelab::proto
