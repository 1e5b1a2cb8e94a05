// IEEE 802.1Q VLAN tags and IEEE 802.1ad provider (Q-in-Q) tags (IEEE 802.1Q-2018 clause 9).
//
// A tag is 4 bytes inserted where the EtherType was: a priority (PCP), a drop-eligible bit
// (DEI), a 12-bit VLAN ID, then the EtherType (or 802.3 length) of what follows. 802.1ad
// puts a service tag (EtherType 0x88a8) in front of the customer's 0x8100 tag.
#include <cstdio>
#include <string>

#include "proto_util.hpp"

namespace wirelab::proto {

extern const ProtocolDef kVlanProto;
extern const ProtocolDef kIeee8021adProto;

namespace {

// Key under which the LLC dissector registers in the ethertype table (see eth.cpp).
constexpr std::uint32_t kLlcKey = 0x10000;

// IEEE 802.1Q-2014 Table I-2: the traffic type each priority is recommended for.
constexpr ValueName kPriorities[] = {
    {0, "Best Effort (default)"}, {1, "Background"}, {2, "Excellent Effort"}, {3, "Critical Applications"},
    {4, "Video, < 100ms latency and jitter"}, {5, "Voice, < 10ms latency and jitter"},
    {6, "Internetwork Control"}, {7, "Network Control"},
};
constexpr ValueName kDei[] = {{0, "Ineligible"}, {1, "Eligible"}};

enum : std::size_t { hf_vlan, hf_priority, hf_dei, hf_id, hf_etype, hf_len, hf_trailer, hf_count };

constinit const FieldDef kFields[] = {
    {"vlan", "802.1Q Virtual LAN", FieldType::protocol, Base::none, 0, {},
     "A VLAN tag: it puts the frame in one of up to 4094 virtual LANs that share the same switches and "
     "cables, and gives it a priority.", &kVlanProto},
    {"vlan.priority", "Priority", FieldType::u16, Base::dec, 0xe000, kPriorities,
     "Priority Code Point (0-7): switches send higher-priority frames first when a port is busy.", &kVlanProto},
    {"vlan.dei", "DEI", FieldType::boolean, Base::none, 0x1000, kDei,
     "Drop Eligible Indicator: set, a congested switch may drop this frame before others.", &kVlanProto},
    {"vlan.id", "ID", FieldType::u16, Base::dec, 0x0fff, {},
     "The VLAN ID (1-4094): which virtual LAN the frame belongs to; 0 means the tag only carries a priority.",
     &kVlanProto},
    {"vlan.etype", "Type", FieldType::u16, Base::hex, 0, kEtherTypeNames,
     "The EtherType of what follows the tag, as in the Ethernet header (0x0800 = IPv4).", &kVlanProto},
    {"vlan.len", "Length", FieldType::u16, Base::dec, 0, {},
     "In an 802.3 frame the field after the tag is a length; an LLC header says what follows.", &kVlanProto},
    {"vlan.trailer", "Trailer", FieldType::bytes, Base::none, 0, {},
     "Bytes after the payload that are neither part of it nor padding.", &kVlanProto},
};
static_assert(std::size(kFields) == hf_count);

enum : std::size_t {
    hf_ad, hf_ad_priority, hf_ad_dei, hf_ad_id, hf_ad_svid, hf_ad_cvid, hf_ah_etype, hf_ah_trailer, hf_ad_count
};

constinit const FieldDef kAdFields[] = {
    {"ieee8021ad", "IEEE 802.1ad", FieldType::protocol, Base::none, 0, {},
     "A provider (service) VLAN tag: a carrier adds it around the customer's own VLAN tag, so customers keep "
     "their VLAN numbers (\"Q-in-Q\").", &kIeee8021adProto},
    {"ieee8021ad.priority", "Priority", FieldType::u16, Base::dec, 0xe000, {},
     "Priority Code Point (0-7) of the provider tag.", &kIeee8021adProto},
    {"ieee8021ad.dei", "DEI", FieldType::u16, Base::dec, 0x1000, {},
     "Drop Eligible Indicator of the provider tag: 1 means drop this frame first under congestion.",
     &kIeee8021adProto},
    {"ieee8021ad.id", "ID", FieldType::u16, Base::dec, 0x0fff, {},
     "The provider's VLAN ID (the service VLAN) the frame travels in.", &kIeee8021adProto},
    {"ieee8021ad.svid", "ID", FieldType::u16, Base::dec, 0x0fff, {},
     "The service VLAN ID, when two provider tags follow each other.", &kIeee8021adProto},
    {"ieee8021ad.cvid", "ID", FieldType::u16, Base::dec, 0x0fff, {},
     "The customer VLAN ID carried in the second provider tag.", &kIeee8021adProto},
    {"ieee8021ah.etype", "Type", FieldType::u16, Base::hex, 0, kEtherTypeNames,
     "The EtherType of what follows the provider tag (0x8100 = the customer's 802.1Q tag).", &kIeee8021adProto},
    {"ieee8021ah.trailer", "Trailer", FieldType::bytes, Base::none, 0, {},
     "Bytes after the payload that are neither part of it nor padding.", &kIeee8021adProto},
};
static_assert(std::size(kAdFields) == hf_ad_count);

// What both tag dissectors do after their tag: hand the rest to the next protocol, then put
// the padding and trailer the payload did not claim into the tag's own layer, as Wireshark does.
class TagBase : public Dissector {
protected:
    // `tag_len` bytes of tag(s) precede the payload; `type` is the EtherType or 802.3 length
    // read from the last two of them.
    void payload(Tvb tvb, Ctx& ctx, Layer& layer, std::size_t tag_len, std::uint16_t type,
                 const FieldDef& trailer, std::string_view tci_info) {
        if (!padding_) padding_ = ctx.registry.field("eth.padding");
        std::size_t insert_at = ctx.tree.nodes().size();
        layer.close();
        // The tag's own Info text stays unless a protocol that writes its own follows.
        if (ctx.want_info) ctx.pinfo.info.assign(tci_info);
        std::size_t end = tvb.size();
        if (type <= 1500) {
            // An 802.3 length: the payload is exactly that long and starts with an LLC header
            // (or, for Novell's raw 802.3, with the 0xffff of an IPX checksum).
            Tvb body = tvb.sub(tag_len, type);
            if (tvb.reported_size() < tag_len + type)
                ctx.note(tvb, tag_len - 2, 2, "Length field value goes past the end of the payload");
            if ((body.u8(0) == 0xff && body.u8(1) == 0xff) || !ctx.registry.find(Table::ethertype, kLlcKey)) {
                ctx.data(body);
            } else {
                ctx.pinfo.info.clear();
                ctx.call(Table::ethertype, kLlcKey, body);
            }
            end = tag_len + type;
        } else {
            ctx.pinfo.protocols.push("ethertype");
            ctx.consumed = 0;
            Tvb body = tvb.tail(tag_len);
            if (ctx.registry.find(Table::ethertype, type)) {
                ctx.pinfo.info.clear();
                ctx.call(Table::ethertype, type, body);
            } else {
                ctx.data(body);
                unknown_type(ctx, type);
            }
            if (ctx.consumed) end = tag_len + ctx.consumed;
        }
        add_link_trailer(ctx, tvb, end, padding_, trailer, insert_at, layer.index());
        // The tag accounted for every byte after it; the Ethernet layer must not add a trailer.
        ctx.consumed = tvb.size();
    }

private:
    // Wireshark's ethertype table, when nothing handles the type, names the type in the
    // Protocol column and, if it has a name, in the Info column.
    void unknown_type(Ctx& ctx, std::uint16_t type) {
        if (!ctx.want_info) return;
        char buf[8];
        std::snprintf(buf, sizeof buf, "0x%04x", type);
        protocol_col_ = buf;
        ctx.pinfo.protocol = protocol_col_;
        for (const ValueName& v : kEtherTypeNames)
            if (v.value == type) ctx.pinfo.info.assign(v.name);
    }

    const FieldDef* padding_ = nullptr;
    std::string protocol_col_;  // the Protocol column must outlive the call
};

// 802.1Q: EtherType 0x8100 (and 0x9100, the pre-standard Q-in-Q type Wireshark also assigns).
class Vlan final : public TagBase {
public:
    void dissect(const Tvb& tvb, Ctx& ctx) override {
        Layer layer(ctx, kVlanProto, tvb, 4);
        Fields h(ctx, tvb, "802.1Q tag");
        std::uint64_t pri = h.uint(kFields[hf_priority], 0, 2);
        std::uint64_t dei = h.uint(kFields[hf_dei], 0, 2);
        std::uint64_t id = h.uint(kFields[hf_id], 0, 2);
        if (!h.fits(2, 2)) return;
        std::uint16_t type = *tvb.be16(2);
        h.uint(kFields[type <= 1500 ? hf_len : hf_etype], 2, 2);
        std::string info;
        if (ctx.want_info) {
            std::string sum = "PRI: ";
            append_uint(sum, pri);
            sum += ", DEI: ";
            append_uint(sum, dei);
            sum += ", ID: ";
            append_uint(sum, id);
            layer.set_summary(sum);
            info = "PRI: ";
            append_uint(info, pri);
            info += "  DEI: ";
            append_uint(info, dei);
            info += "  ID: ";
            append_uint(info, id);
        }
        payload(tvb, ctx, layer, 4, type, kFields[hf_trailer], info);
    }
};

// 802.1ad: EtherType 0x88a8. A second 0x88a8 right after the first makes one layer with both
// IDs (service and customer), as Wireshark shows it.
class Ieee8021ad final : public TagBase {
public:
    void dissect(const Tvb& tvb, Ctx& ctx) override {
        Layer layer(ctx, kIeee8021adProto, tvb, 4);
        Fields h(ctx, tvb, "802.1ad tag");
        if (!h.fits(0, 4)) return;
        std::uint16_t tci = *tvb.be16(0);
        std::uint16_t type = *tvb.be16(2);
        std::size_t tag_len = 4;
        std::string sum;
        // The priority and DEI are shown on the tag's first byte only, as Wireshark does.
        ctx.tree.add(kAdFields[hf_ad_priority], tvb, 0, 1, tci >> 13);
        ctx.tree.add(kAdFields[hf_ad_dei], tvb, 0, 1, (tci >> 12) & 1);
        if (type == 0x88a8) {
            ctx.tree.add(kAdFields[hf_ad_svid], tvb, 0, 2, tci & 0x0fff);
            if (!h.fits(4, 4)) return;
            std::uint16_t ctci = *tvb.be16(4);
            ctx.tree.add(kAdFields[hf_ad_priority], tvb, 4, 1, ctci >> 13);
            ctx.tree.add(kAdFields[hf_ad_dei], tvb, 4, 1, (ctci >> 12) & 1);
            ctx.tree.add(kAdFields[hf_ad_cvid], tvb, 4, 2, ctci & 0x0fff);
            type = *tvb.be16(6);
            tag_len = 8;
            layer.set_length(8);
            sum = "S-VID: ";
            append_uint(sum, tci & 0x0fff);
            sum += ", C-VID: ";
            append_uint(sum, ctci & 0x0fff);
        } else {
            ctx.tree.add(kAdFields[hf_ad_id], tvb, 0, 2, tci & 0x0fff);
            sum = "ID: ";
            append_uint(sum, tci & 0x0fff);
        }
        h.uint(kAdFields[hf_ah_etype], tag_len - 2, 2);
        layer.set_summary(sum);
        std::string info;
        if (ctx.want_info) {
            info = "PRI: ";
            append_uint(info, tci >> 13);
            info += "  DROP: ";
            append_uint(info, (tci >> 12) & 1);
            info += " ID: ";
            append_uint(info, tci & 0x0fff);
        }
        payload(tvb, ctx, layer, tag_len, type, kAdFields[hf_ah_trailer], info);
    }
};

}  // namespace

constinit const ProtocolDef kVlanProto{"vlan", "VLAN", "802.1Q Virtual LAN", OsiLayer::data_link, TcpIpLayer::link,
                                       "IEEE 802.1Q", kFields};
constinit const ProtocolDef kIeee8021adProto{"ieee8021ad", "802.1ad", "IEEE 802.1ad", OsiLayer::data_link,
                                             TcpIpLayer::link, "IEEE 802.1ad (802.1Q-2018 clause 9)", kAdFields};

void register_vlan(Registry& r) {
    r.add_protocol(kVlanProto);
    r.add_protocol(kIeee8021adProto);
    auto& vlan = r.make<Vlan>();
    r.add(Table::ethertype, 0x8100, vlan);
    r.add(Table::ethertype, 0x9100, vlan);
    r.add(Table::ethertype, 0x88a8, r.make<Ieee8021ad>());
}

}  // namespace wirelab::proto
