// IPv6 (RFC 8200): the fixed header, the extension headers (hop-by-hop and destination
// options, routing, fragment) and fragment reassembly; address details from RFC 4291 (SLAAC),
// RFC 3056 (6to4), RFC 4380 (Teredo), RFC 5214 (ISATAP) and RFC 6052 (embedded IPv4).
//
// The fixed header is 40 bytes; options that only some packets need live in extension headers
// chained by their Next Header fields, each a multiple of 8 bytes, before the upper-layer
// protocol. Only the source fragments a packet, with a Fragment header.
#include <cstdio>
#include <string>

#include "proto_util.hpp"
#include "wirelab/reassembly.hpp"

namespace wirelab::proto {

extern const ProtocolDef kIpv6Proto;
extern const ProtocolDef kHopoptsProto;
extern const ProtocolDef kRoutingProto;
extern const ProtocolDef kFraghdrProto;
extern const ProtocolDef kDstoptsProto;

namespace {

enum : std::size_t {
    hf_ipv6, hf_version, hf_tclass, hf_dscp, hf_ecn, hf_flow, hf_plen, hf_nxt, hf_hlim, hf_src, hf_addr,
    hf_src_host, hf_host, hf_dst, hf_dst_host, hf_src_slaac, hf_dst_slaac, hf_slaac, hf_src_isatap, hf_dst_isatap,
    hf_isatap, hf_src_6to4_gw, hf_src_6to4_sla, hf_dst_6to4_gw, hf_dst_6to4_sla, hf_6to4_gw, hf_6to4_sla,
    hf_src_ts, hf_src_tc_port, hf_src_tc_ipv4, hf_dst_ts, hf_dst_tc_port, hf_dst_tc_ipv4, hf_ts, hf_tc_port,
    hf_tc_ipv4, hf_embed_prefix, hf_src_embed, hf_dst_embed, hf_embed, hf_opt, hf_opt_type, hf_opt_action,
    hf_opt_change, hf_opt_rest, hf_opt_length, hf_opt_pad1, hf_opt_padn, hf_opt_router_alert, hf_opt_tel,
    hf_opt_jumbo, hf_opt_home_address, hf_opt_experimental, hf_opt_unknown, hf_fragments, hf_fragment,
    hf_fragment_overlap, hf_fragment_count, hf_reassembled_length, hf_reassembled_data, hf_count
};

constexpr ValueName kDscp[] = {
    {0, "Default"}, {1, "Lower Effort"}, {8, "Class Selector 1"}, {10, "Assured Forwarding 11"},
    {12, "Assured Forwarding 12"}, {14, "Assured Forwarding 13"}, {16, "Class Selector 2"},
    {18, "Assured Forwarding 21"}, {20, "Assured Forwarding 22"}, {22, "Assured Forwarding 23"},
    {24, "Class Selector 3"}, {26, "Assured Forwarding 31"}, {28, "Assured Forwarding 32"},
    {30, "Assured Forwarding 33"}, {32, "Class Selector 4"}, {34, "Assured Forwarding 41"},
    {36, "Assured Forwarding 42"}, {38, "Assured Forwarding 43"}, {40, "Class Selector 5"}, {44, "Voice Admit"},
    {46, "Expedited Forwarding"}, {48, "Class Selector 6"}, {56, "Class Selector 7"},
};
constexpr ValueName kEcn[] = {{0, "Not ECN-Capable Transport"}, {1, "ECN-Capable Transport codepoint '01'"},
                              {2, "ECN-Capable Transport codepoint '10'"}, {3, "Congestion Experienced"}};
// IANA "Destination Options and Hop-by-Hop Options" registry, as Wireshark names the types.
constexpr ValueName kOptTypes[] = {
    {0, "Pad1"}, {1, "PadN"}, {4, "Tunnel Encapsulation Limit"}, {5, "Router Alert"}, {7, "CALIPSO"},
    {8, "SMF_DPD"}, {15, "Performance and Diagnostic Metrics"}, {30, "Experimental (0x1E)"},
    {38, "Quick-Start"}, {48, "Path MTU Option"}, {49, "IOAM Option"}, {62, "Experimental (0x3E)"},
    {65, "Tunnel Payload Forwarding (TPF) Information"}, {94, "Experimental (0x5E)"}, {99, "RPL Option"},
    {109, "MPL Option"}, {126, "Experimental (0x7E)"}, {138, "Endpoint Identification"}, {139, "ILNP Nonce"},
    {140, "Line-Identification Option"}, {158, "Experimental (0x9E)"}, {190, "Experimental (0xBE)"},
    {194, "Jumbo Payload"}, {201, "Home Address"}, {222, "Experimental (0xDE)"}, {238, "IP_DFF"},
    {254, "Experimental (0xFE)"},
};
constexpr ValueName kOptActions[] = {{0, "Skip and continue"}, {1, "Discard"},
                                     {2, "Discard and send ICMP Parameter Problem"},
                                     {3, "Discard and send ICMP if not multicast"}};
constexpr ValueName kYesNo[] = {{0, "No"}, {1, "Yes"}};
constexpr ValueName kRouterAlert[] = {{0, "MLD"}, {1, "RSVP"}, {2, "Active Network"}};

enum : std::uint8_t { kOptPad1 = 0, kOptPadN = 1, kOptTel = 4, kOptRouterAlert = 5, kOptJumbo = 0xc2, kOptHomeAddress = 0xc9 };

constinit const FieldDef kFields[] = {
    {"ipv6", "Internet Protocol Version 6", FieldType::protocol, Base::none, 0, {},
     "The network layer with 128-bit addresses: it carries the packet from host to host across networks, like "
     "IPv4, with a simpler fixed header and optional extension headers.", &kIpv6Proto},
    {"ipv6.version", "Version", FieldType::u8, Base::dec, 0xf0, {}, "Which version of IP this header is: 6 here.",
     &kIpv6Proto},
    {"ipv6.tclass", "Traffic Class", FieldType::u32, Base::hex, 0x0ff00000, {},
     "How routers should treat the packet: its priority class (DSCP) and congestion signal (ECN), as in IPv4's "
     "DS field.", &kIpv6Proto},
    {"ipv6.tclass.dscp", "Differentiated Services Codepoint", FieldType::u32, Base::dec, 0x0fc00000, kDscp,
     "The packet's traffic class; networks may give some classes (voice, video) priority.", &kIpv6Proto},
    {"ipv6.tclass.ecn", "Explicit Congestion Notification", FieldType::u32, Base::dec, 0x00300000, kEcn,
     "Lets a congested router mark the packet instead of dropping it, so the sender slows down.", &kIpv6Proto},
    {"ipv6.flow", "Flow Label", FieldType::u24, Base::hex, 0x000fffff, {},
     "A number the sender gives to all packets of one flow, so routers can keep them on the same path.",
     &kIpv6Proto},
    {"ipv6.plen", "Payload Length", FieldType::u16, Base::dec, 0, {},
     "Length of everything after this 40-byte header (extension headers and data), in bytes.", &kIpv6Proto},
    {"ipv6.nxt", "Next Header", FieldType::u8, Base::dec, 0, kIpProtoNames,
     "What follows this header: an extension header or the transport protocol (6 = TCP, 17 = UDP, 58 = "
     "ICMPv6).", &kIpv6Proto},
    {"ipv6.hlim", "Hop Limit", FieldType::u8, Base::dec, 0, {},
     "How many more routers may forward this packet; each subtracts 1 and drops it at 0 (IPv4's TTL).",
     &kIpv6Proto},
    {"ipv6.src", "Source Address", FieldType::ipv6, Base::none, 0, {},
     "The IPv6 address of the host that sent the packet.", &kIpv6Proto},
    {"ipv6.addr", "Source or Destination Address", FieldType::ipv6, Base::none, 0, {},
     "Either address, source or destination (for filters).", &kIpv6Proto},
    {"ipv6.src_host", "Source Host", FieldType::string, Base::none, 0, {},
     "The source address as text (a host name if names were resolved).", &kIpv6Proto},
    {"ipv6.host", "Source or Destination Host", FieldType::string, Base::none, 0, {},
     "Either address as text (for filters).", &kIpv6Proto},
    {"ipv6.dst", "Destination Address", FieldType::ipv6, Base::none, 0, {},
     "The IPv6 address of the host (or, for ff00::/8, the group of hosts) the packet is for.", &kIpv6Proto},
    {"ipv6.dst_host", "Destination Host", FieldType::string, Base::none, 0, {},
     "The destination address as text (a host name if names were resolved).", &kIpv6Proto},
    {"ipv6.src_slaac_mac", "Source SLAAC MAC", FieldType::ether, Base::none, 0, {},
     "The MAC address the source built its address from (stateless autoconfiguration puts it, with ff:fe in "
     "the middle, in the last 64 bits).", &kIpv6Proto},
    {"ipv6.dst_slaac_mac", "Destination SLAAC MAC", FieldType::ether, Base::none, 0, {},
     "The MAC address the destination built its address from.", &kIpv6Proto},
    {"ipv6.slaac_mac", "SLAAC MAC", FieldType::ether, Base::none, 0, {},
     "Either SLAAC MAC address (for filters).", &kIpv6Proto},
    {"ipv6.src_isatap_ipv4", "Source ISATAP IPv4", FieldType::ipv4, Base::none, 0, {},
     "The IPv4 address inside an ISATAP source address (IPv6 tunnelled over an IPv4 site).", &kIpv6Proto},
    {"ipv6.dst_isatap_ipv4", "Destination ISATAP IPv4", FieldType::ipv4, Base::none, 0, {},
     "The IPv4 address inside an ISATAP destination address.", &kIpv6Proto},
    {"ipv6.isatap_ipv4", "ISATAP IPv4", FieldType::ipv4, Base::none, 0, {},
     "Either ISATAP IPv4 address (for filters).", &kIpv6Proto},
    {"ipv6.src_6to4_gw_ipv4", "Source 6to4 Gateway IPv4", FieldType::ipv4, Base::none, 0, {},
     "The IPv4 address of the 6to4 gateway whose 2002::/16 prefix the source address uses.", &kIpv6Proto},
    {"ipv6.src_6to4_sla_id", "Source 6to4 SLA ID", FieldType::u16, Base::dec, 0, {},
     "The subnet number behind the source's 6to4 gateway.", &kIpv6Proto},
    {"ipv6.dst_6to4_gw_ipv4", "Destination 6to4 Gateway IPv4", FieldType::ipv4, Base::none, 0, {},
     "The IPv4 address of the 6to4 gateway whose prefix the destination address uses.", &kIpv6Proto},
    {"ipv6.dst_6to4_sla_id", "Destination 6to4 SLA ID", FieldType::u16, Base::dec, 0, {},
     "The subnet number behind the destination's 6to4 gateway.", &kIpv6Proto},
    {"ipv6.6to4_gw_ipv4", "6to4 Gateway IPv4", FieldType::ipv4, Base::none, 0, {},
     "Either 6to4 gateway address (for filters).", &kIpv6Proto},
    {"ipv6.6to4_sla_id", "6to4 SLA ID", FieldType::u16, Base::dec, 0, {}, "Either 6to4 subnet number (for filters).",
     &kIpv6Proto},
    {"ipv6.src_ts_ipv4", "Source Teredo Server IPv4", FieldType::ipv4, Base::none, 0, {},
     "The Teredo server in the source's 2001::/32 address (IPv6 tunnelled through NAT over UDP).", &kIpv6Proto},
    {"ipv6.src_tc_port", "Source Teredo Port", FieldType::u16, Base::dec, 0, {},
     "The source's public UDP port, stored inverted in its Teredo address.", &kIpv6Proto},
    {"ipv6.src_tc_ipv4", "Source Teredo Client IPv4", FieldType::ipv4, Base::none, 0, {},
     "The source's public IPv4 address, stored inverted in its Teredo address.", &kIpv6Proto},
    {"ipv6.dst_ts_ipv4", "Destination Teredo Server IPv4", FieldType::ipv4, Base::none, 0, {},
     "The Teredo server in the destination's address.", &kIpv6Proto},
    {"ipv6.dst_tc_port", "Destination Teredo Port", FieldType::u16, Base::dec, 0, {},
     "The destination's public UDP port, from its Teredo address.", &kIpv6Proto},
    {"ipv6.dst_tc_ipv4", "Destination Teredo Client IPv4", FieldType::ipv4, Base::none, 0, {},
     "The destination's public IPv4 address, from its Teredo address.", &kIpv6Proto},
    {"ipv6.ts_ipv4", "Teredo Server IPv4", FieldType::ipv4, Base::none, 0, {},
     "Either Teredo server address (for filters).", &kIpv6Proto},
    {"ipv6.tc_port", "Teredo Port", FieldType::u16, Base::dec, 0, {}, "Either Teredo client port (for filters).",
     &kIpv6Proto},
    {"ipv6.tc_ipv4", "Teredo Client IPv4", FieldType::ipv4, Base::none, 0, {},
     "Either Teredo client address (for filters).", &kIpv6Proto},
    {"ipv6.embed_ipv4_prefix", "Embedded IPv4 Prefix", FieldType::bytes, Base::none, 0, {},
     "The 64:ff9b::/96 prefix a NAT64 translator puts in front of an IPv4 address (RFC 6052).", &kIpv6Proto},
    {"ipv6.src_embed_ipv4", "Source Embedded IPv4", FieldType::ipv4, Base::none, 0, {},
     "The IPv4 address carried in a NAT64 source address.", &kIpv6Proto},
    {"ipv6.dst_embed_ipv4", "Destination Embedded IPv4", FieldType::ipv4, Base::none, 0, {},
     "The IPv4 address carried in a NAT64 destination address: the IPv4 host really being talked to.",
     &kIpv6Proto},
    {"ipv6.embed_ipv4", "Embedded IPv4", FieldType::ipv4, Base::none, 0, {},
     "Either embedded IPv4 address (for filters).", &kIpv6Proto},
    {"ipv6.opt", "IPv6 Option", FieldType::none, Base::none, 0, {},
     "One option of a hop-by-hop or destination options header: a type, a length and a value.", &kIpv6Proto},
    {"ipv6.opt.type", "Type", FieldType::u8, Base::hex, 0, kOptTypes,
     "Which option this is (0 = Pad1, 1 = PadN, 5 = Router Alert).", &kIpv6Proto},
    {"ipv6.opt.type.action", "Action", FieldType::u8, Base::dec, 0xc0, kOptActions,
     "What a node that does not know this option must do: skip it or discard the packet (and maybe report).",
     &kIpv6Proto},
    {"ipv6.opt.type.change", "May Change", FieldType::boolean, Base::none, 0x20, kYesNo,
     "Whether routers may change the option's value on the way (it is then left out of IPsec checks).",
     &kIpv6Proto},
    {"ipv6.opt.type.rest", "Low-Order Bits", FieldType::u8, Base::hex, 0x1f, {},
     "The rest of the option type number.", &kIpv6Proto},
    {"ipv6.opt.length", "Length", FieldType::u8, Base::dec, 0, {},
     "Length of the option's value in bytes (type and length not counted).", &kIpv6Proto},
    {"ipv6.opt.pad1", "Pad1", FieldType::none, Base::none, 0, {},
     "One byte of padding, to align the next option or end the header on 8 bytes.", &kIpv6Proto},
    {"ipv6.opt.padn", "PadN", FieldType::bytes, Base::none, 0, {},
     "Several bytes of padding (zeros).", &kIpv6Proto},
    {"ipv6.opt.router_alert", "Router Alert", FieldType::u16, Base::dec, 0, kRouterAlert,
     "Asks every router on the path to look at this packet (0 = MLD multicast membership, 1 = RSVP).",
     &kIpv6Proto},
    {"ipv6.opt.tel", "Tunnel Encapsulation Limit", FieldType::u8, Base::dec, 0, {},
     "How many more levels of tunnel encapsulation the packet may get.", &kIpv6Proto},
    {"ipv6.opt.jumbo", "Payload Length", FieldType::u32, Base::dec, 0, {},
     "The real payload length of a jumbogram (over 65535 bytes), when the header's Payload Length is 0.",
     &kIpv6Proto},
    {"ipv6.opt.mipv6.home_address", "MIPv6 Home Address", FieldType::ipv6, Base::none, 0, {},
     "The permanent (home) address of a mobile host sending from a foreign network.", &kIpv6Proto},
    {"ipv6.opt.experimental", "Experimental Option", FieldType::bytes, Base::none, 0, {},
     "The value of an option type reserved for experiments (RFC 4727).", &kIpv6Proto},
    {"ipv6.opt.unknown", "Unknown Option Payload", FieldType::bytes, Base::none, 0, {},
     "The value of an option wirelab does not decode.", &kIpv6Proto},
    {"ipv6.fragments", "IPv6 Fragments", FieldType::none, Base::none, 0, {},
     "The fragments this packet was rebuilt from.", &kIpv6Proto},
    {"ipv6.fragment", "IPv6 Fragment", FieldType::framenum, Base::none, 0, {},
     "A frame that carried one fragment of this packet.", &kIpv6Proto},
    {"ipv6.fragment.overlap", "Fragment overlap", FieldType::boolean, Base::none, 0, {},
     "Some fragments covered the same bytes, which RFC 8200 forbids (RFC 5722).", &kIpv6Proto},
    {"ipv6.fragment.count", "Fragment count", FieldType::u32, Base::dec, 0, {},
     "How many fragments were put together.", &kIpv6Proto},
    {"ipv6.reassembled.length", "Reassembled IPv6 length", FieldType::u32, Base::dec, 0, {},
     "Length of the payload once all fragments were put together.", &kIpv6Proto},
    {"ipv6.reassembled.data", "Reassembled IPv6 data", FieldType::bytes, Base::none, 0, {},
     "The payload rebuilt from the fragments.", &kIpv6Proto},
};
static_assert(std::size(kFields) == hf_count);

// The three header fields every options header starts with (RFC 8200 section 4.3).
enum : std::size_t { hf_ext, hf_ext_nxt, hf_ext_len, hf_ext_len_oct, hf_ext_count };

constinit const FieldDef kHopFields[] = {
    {"ipv6.hopopts", "IPv6 Hop-by-Hop Option", FieldType::protocol, Base::none, 0, {},
     "Options every router on the path must examine (router alert, jumbo payload); it must come right after "
     "the IPv6 header.", &kHopoptsProto},
    {"ipv6.hopopts.nxt", "Next Header", FieldType::u8, Base::dec, 0, kIpProtoNames,
     "What follows this extension header.", &kHopoptsProto},
    {"ipv6.hopopts.len", "Length", FieldType::u8, Base::dec, 0, {},
     "Length of this header in 8-byte units, not counting the first 8.", &kHopoptsProto},
    {"ipv6.hopopts.len_oct", "Length", FieldType::u16, Base::dec, 0, {}, "Length of this header in bytes.",
     &kHopoptsProto},
};
constinit const FieldDef kDstFields[] = {
    {"ipv6.dstopts", "Destination Options for IPv6", FieldType::protocol, Base::none, 0, {},
     "Options only the destination host examines.", &kDstoptsProto},
    {"ipv6.dstopts.nxt", "Next Header", FieldType::u8, Base::dec, 0, kIpProtoNames,
     "What follows this extension header.", &kDstoptsProto},
    {"ipv6.dstopts.len", "Length", FieldType::u8, Base::dec, 0, {},
     "Length of this header in 8-byte units, not counting the first 8.", &kDstoptsProto},
    {"ipv6.dstopts.len_oct", "Length", FieldType::u16, Base::dec, 0, {}, "Length of this header in bytes.",
     &kDstoptsProto},
};

enum : std::size_t {
    hf_rt, hf_rt_nxt, hf_rt_len, hf_rt_len_oct, hf_rt_type, hf_rt_segleft, hf_rt_unknown, hf_rt_src_reserved,
    hf_rt_src_addr, hf_rt_mip_reserved, hf_rt_mip_home, hf_rt_srh_last, hf_rt_srh_flags, hf_rt_srh_tag,
    hf_rt_srh_addr, hf_rt_count
};
constexpr ValueName kRoutingTypes[] = {
    {0, "Source Route"}, {1, "Nimrod"}, {2, "Type 2 Routing"}, {3, "RPL Source Route"}, {4, "Segment Routing"},
    {5, "Compact Routing Header 16"}, {6, "Compact Routing Header 32"}, {253, "Experiment 1"},
    {254, "Experiment 2"},
};
constinit const FieldDef kRtFields[] = {
    {"ipv6.routing", "Routing Header for IPv6", FieldType::protocol, Base::none, 0, {},
     "Lists routers the packet must visit on its way (source routing); type 0 is deprecated because it allowed "
     "traffic amplification (RFC 5095).", &kRoutingProto},
    {"ipv6.routing.nxt", "Next Header", FieldType::u8, Base::dec, 0, kIpProtoNames,
     "What follows this extension header.", &kRoutingProto},
    {"ipv6.routing.len", "Length", FieldType::u8, Base::dec, 0, {},
     "Length of this header in 8-byte units, not counting the first 8.", &kRoutingProto},
    {"ipv6.routing.len_oct", "Length", FieldType::u16, Base::dec, 0, {}, "Length of this header in bytes.",
     &kRoutingProto},
    {"ipv6.routing.type", "Type", FieldType::u8, Base::dec, 0, kRoutingTypes,
     "Which kind of routing header this is (0 = source route, 2 = Mobile IPv6, 4 = segment routing).",
     &kRoutingProto},
    {"ipv6.routing.segleft", "Segments Left", FieldType::u8, Base::dec, 0, {},
     "How many of the listed routers the packet still has to visit.", &kRoutingProto},
    {"ipv6.routing.unknown_data", "Type-Specific Data", FieldType::bytes, Base::none, 0, {},
     "The rest of a routing header of a type wirelab does not decode.", &kRoutingProto},
    {"ipv6.routing.src.reserved", "Reserved", FieldType::bytes, Base::none, 0, {}, "Must be zero.",
     &kRoutingProto},
    {"ipv6.routing.src.addr", "Address", FieldType::ipv6, Base::none, 0, {},
     "One router the packet must pass through, in order.", &kRoutingProto},
    {"ipv6.routing.mipv6.reserved", "Reserved", FieldType::bytes, Base::none, 0, {}, "Must be zero.",
     &kRoutingProto},
    {"ipv6.routing.mipv6.home_address", "Home Address", FieldType::ipv6, Base::none, 0, {},
     "The home address of the mobile host this packet is finally for (Mobile IPv6, RFC 6275).",
     &kRoutingProto},
    {"ipv6.routing.srh.last_entry", "Last Entry", FieldType::u8, Base::dec, 0, {},
     "Index of the last segment in the list (the list has this many plus one).", &kRoutingProto},
    {"ipv6.routing.srh.flags", "Flags", FieldType::u8, Base::hex, 0, {}, "Flags of the segment routing header.",
     &kRoutingProto},
    {"ipv6.routing.srh.tag", "Tag", FieldType::bytes, Base::none, 0, {},
     "Marks the packet as part of a class or group of packets.", &kRoutingProto},
    {"ipv6.routing.srh.addr", "Address", FieldType::ipv6, Base::none, 0, {},
     "One segment (router or function) of the path, the last one first (RFC 8754).", &kRoutingProto},
};
static_assert(std::size(kRtFields) == hf_rt_count);

enum : std::size_t {
    hf_fh, hf_fh_nxt, hf_fh_reserved_octet, hf_fh_offset, hf_fh_reserved_bits, hf_fh_more, hf_fh_ident,
    hf_fh_count
};
constinit const FieldDef kFhFields[] = {
    {"ipv6.fraghdr", "Fragment Header for IPv6", FieldType::protocol, Base::none, 0, {},
     "Present when the sending host split the packet into fragments (routers never fragment IPv6).",
     &kFraghdrProto},
    {"ipv6.fraghdr.nxt", "Next header", FieldType::u8, Base::dec, 0, kIpProtoNames,
     "The protocol the reassembled payload holds.", &kFraghdrProto},
    {"ipv6.fraghdr.reserved_octet", "Reserved octet", FieldType::u8, Base::hex, 0, {}, "Should always be 0.",
     &kFraghdrProto},
    {"ipv6.fraghdr.offset", "Offset", FieldType::u16, Base::dec, 0xfff8, {},
     "Where this fragment's data goes in the original payload, in units of 8 bytes.", &kFraghdrProto},
    {"ipv6.fraghdr.reserved_bits", "Reserved bits", FieldType::u16, Base::dec, 0x0006, {}, "Should be 0.",
     &kFraghdrProto},
    {"ipv6.fraghdr.more", "More Fragments", FieldType::boolean, Base::none, 0x0001, kYesNo,
     "Set: more fragments of the same packet follow.", &kFraghdrProto},
    {"ipv6.fraghdr.ident", "Identification", FieldType::u32, Base::hex, 0, {},
     "A number shared by all fragments of one packet, so the receiver knows which pieces belong together.",
     &kFraghdrProto},
};
static_assert(std::size(kFhFields) == hf_fh_count);

enum : std::uint8_t { kHopByHop = 0, kRouting = 43, kFragment = 44, kNoNext = 59, kDstOpts = 60 };

class Ipv6 final : public Dissector {
public:
    void reset() override { fragments_.clear(); }

    void dissect(const Tvb& tvb, Ctx& ctx) override {
        std::size_t protocols_before = ctx.pinfo.protocols.size();
        Layer layer(ctx, kIpv6Proto, tvb, 40);
        Fields h(ctx, tvb, "IPv6 header");
        ++ctx.pinfo.ip_depth;
        std::uint64_t version = h.uint(kFields[hf_version], 0, 1);
        if (!h.ok()) return;
        // Wireshark also sets ip.version, so that a filter on it matches both IP versions.
        if (!ip_version_) ip_version_ = ctx.registry.field("ip.version");
        if (ip_version_) ctx.tree.add(*ip_version_, tvb, 0, 1, version, kHidden);
        if (version != 6) {
            ctx.malformed(tvb, 0, 1, "Bogus IPv6 version");
            // Wireshark's ethertype table then takes the packet back: not IPv6 after all.
            ctx.pinfo.protocols.resize(protocols_before);
            layer.close();
            ctx.data(tvb);
            ctx.pinfo.protocol = "0x86dd";
            if (ctx.want_info) {
                std::string reason = std::move(ctx.pinfo.info);
                ctx.pinfo.info = "IPv6";
                if (!reason.empty()) ctx.pinfo.info += ' ' + reason;
            }
            return;
        }
        std::uint64_t plen, nxt, hlim;
        const std::uint8_t* src;
        const std::uint8_t* dst;
        if (ctx.tree.keeps_fields() || !tvb.has(0, 40)) {
            h.uint(kFields[hf_tclass], 0, 4);
            h.uint(kFields[hf_dscp], 0, 4);
            h.uint(kFields[hf_ecn], 0, 4);
            h.uint(kFields[hf_flow], 1, 3);
            plen = h.uint(kFields[hf_plen], 4, 2);
            nxt = h.uint(kFields[hf_nxt], 6, 1);
            hlim = h.uint(kFields[hf_hlim], 7, 1);
            src = address(ctx, h, tvb, 8, hf_src, hf_src_host);
            dst = address(ctx, h, tvb, 24, hf_dst, hf_dst_host);
            if (!h.ok()) return;
            details(ctx, tvb, 8, true);
            details(ctx, tvb, 24, false);
        } else {
            // The fixed header is all there and no field of it is shown: what the decoder needs.
            const std::uint8_t* b = tvb.data();
            plen = load_be16(b + 4);
            nxt = b[6];
            hlim = b[7];
            src = b + 8;
            dst = b + 24;
        }
        ctx.pinfo.net_src.set(Address::Kind::ipv6, src);
        ctx.pinfo.net_dst.set(Address::Kind::ipv6, dst);
        ctx.pinfo.ttl = static_cast<std::uint8_t>(hlim);
        if (ctx.want_tree_text) {  // the layer's heading is shown by -V and JSON only
            std::string sum = "Src: ";
            append_ipv6(sum, src);
            sum += ", Dst: ";
            append_ipv6(sum, dst);
            layer.set_summary(sum);
        }

        std::size_t reported_plen = tvb.reported_size() - 40;
        if (plen == 0) {
            // RFC 2675: a jumbogram says its length in a hop-by-hop option instead.
            if (auto jumbo = jumbo_length(tvb, nxt)) {
                plen = *jumbo;
            } else if (reported_plen > 0) {
                // Segmentation offload hands the capture packets whose length is not filled in yet.
                ctx.note(tvb, 4, 2, "IPv6 payload length equals 0 (maybe because of \"TCP segmentation offload\" (TSO))");
                plen = reported_plen;
            }
        }
        if (!ctx.pinfo.in_error_packet && plen > reported_plen) {
            std::string note = "IPv6 payload length exceeds framing length (";
            append_uint(note, reported_plen);
            note += " bytes)";
            ctx.note(tvb, 4, 2, note);
        }
        if (ctx.pinfo.ip_depth == 1) ctx.consumed = 40 + plen;
        Tvb payload = tvb.sub(40, plen);
        // The snapshot length cut the payload: what follows is decoded as far as it goes.
        if (!ctx.pinfo.in_error_packet && payload.size() < payload.reported_size())
            ctx.truncated(tvb, tvb.size(), "IPv6 payload");

        // The extension header chain (RFC 8200 section 4.1), then the upper-layer protocol.
        std::size_t off = 0;
        bool first = true;
        while (nxt == kHopByHop || nxt == kRouting || nxt == kDstOpts || nxt == kFragment) {
            std::optional<std::size_t> len;
            if (nxt == kFragment) {
                Fragment f;
                len = fragment_header(ctx, payload, off, f);
                if (!len) return finish(layer, 40 + off);
                nxt = f.nxt;
                if (f.offset != 0 || f.more) {
                    layer.set_length(40 + off + *len);
                    reassemble(ctx, layer, payload.tail(off + *len), f);
                    return;
                }
            } else {
                if (nxt == kHopByHop && !first)
                    ctx.note(payload, off, 1,
                             "IPv6 Hop-by-Hop extension header must appear immediately after IPv6 header");
                len = nxt == kRouting ? routing_header(ctx, payload, off, nxt) : options_header(ctx, payload, off, nxt);
                if (!len) return finish(layer, 40 + off);
            }
            off += *len;
            first = false;
        }
        layer.set_length(40 + off);
        layer.close();
        upper_layer(ctx, static_cast<std::uint8_t>(nxt), payload.tail(off));
    }

private:
    struct Fragment {
        std::uint8_t nxt = 0;
        std::uint32_t offset = 0;  // in bytes
        bool more = false;
        std::uint32_t ident = 0;
    };

    static void finish(Layer& layer, std::size_t len) {
        layer.set_length(len);
        layer.close();
    }

    static const std::uint8_t* address(Ctx& ctx, Fields& h, const Tvb& tvb, std::size_t off, std::size_t field,
                                       std::size_t host) {
        const std::uint8_t* p = h.raw(kFields[field], off, 16);
        if (!p) return nullptr;
        h.hidden(kFields[hf_addr], off, 16);
        // The host names (the address as text, since names are never looked up): formatted
        // only for a tree that keeps them.
        if (ctx.tree.keeps(kFields[host]) || ctx.tree.keeps(kFields[hf_host])) {
            std::string text;
            append_ipv6(text, p);
            ctx.tree.add_text(kFields[host], tvb, off, 16, text, kHidden);
            ctx.tree.add_text(kFields[hf_host], tvb, off, 16, text, kHidden);
        }
        return p;
    }

    // What an address reveals about how it was made: an embedded MAC (SLAAC) or IPv4 address
    // (6to4, Teredo, ISATAP, NAT64), as Wireshark lists them after the addresses.
    static void details(Ctx& ctx, const Tvb& tvb, std::size_t off, bool src) {
        const std::uint8_t* a = tvb.data() + off;
        std::uint16_t g0 = load_be16(a);
        std::uint32_t w0 = load_be32(a);
        if (g0 == 0x2002) {
            ctx.tree.add(kFields[src ? hf_src_6to4_gw : hf_dst_6to4_gw], tvb, off + 2, 4, 0);
            ctx.tree.add(kFields[src ? hf_src_6to4_sla : hf_dst_6to4_sla], tvb, off + 6, 2, load_be16(a + 6));
            ctx.tree.add(kFields[hf_6to4_gw], tvb, off + 2, 4, 0, kHidden);
            ctx.tree.add(kFields[hf_6to4_sla], tvb, off + 6, 2, load_be16(a + 6), kHidden);
        } else if (w0 == 0x20010000) {
            // Teredo keeps the client's port and address inverted, so NATs do not rewrite them.
            std::uint16_t port = static_cast<std::uint16_t>(~load_be16(a + 10));
            std::uint8_t client[4] = {std::uint8_t(~a[12]), std::uint8_t(~a[13]), std::uint8_t(~a[14]),
                                      std::uint8_t(~a[15])};
            std::string text;
            append_ipv4(text, client);
            ctx.tree.add(kFields[src ? hf_src_ts : hf_dst_ts], tvb, off + 4, 4, 0);
            ctx.tree.add(kFields[src ? hf_src_tc_port : hf_dst_tc_port], tvb, off + 10, 2, port);
            ctx.tree.add_text(kFields[src ? hf_src_tc_ipv4 : hf_dst_tc_ipv4], tvb, off + 12, 4, text);
            ctx.tree.add(kFields[hf_ts], tvb, off + 4, 4, 0, kHidden);
            ctx.tree.add(kFields[hf_tc_port], tvb, off + 10, 2, port, kHidden);
            ctx.tree.add_text(kFields[hf_tc_ipv4], tvb, off + 12, 4, text, kHidden);
        }
        if (a[11] == 0xff && a[12] == 0xfe && (a[8] & 0x02)) {
            // Modified EUI-64 (RFC 4291 appendix A): ff:fe in the middle, and the universal/local bit
            // (inverted) saying the MAC address was a globally unique one.
            std::uint8_t mac[6] = {std::uint8_t(a[8] ^ 0x02), a[9], a[10], a[13], a[14], a[15]};
            std::string text;
            append_ether(text, mac);
            ctx.tree.add_text(kFields[src ? hf_src_slaac : hf_dst_slaac], tvb, off + 8, 8, text);
            ctx.tree.add_text(kFields[hf_slaac], tvb, off + 8, 8, text, kHidden);
        } else if ((load_be32(a + 8) & 0xfcffffff) == 0x00005efe) {
            ctx.tree.add(kFields[src ? hf_src_isatap : hf_dst_isatap], tvb, off + 12, 4, 0);
            ctx.tree.add(kFields[hf_isatap], tvb, off + 12, 4, 0, kHidden);
        }
        if (w0 == 0x0064ff9b && load_be32(a + 4) == 0 && load_be32(a + 8) == 0) {
            ctx.tree.add(kFields[hf_embed_prefix], tvb, off, 12, 0);
            ctx.tree.add(kFields[src ? hf_src_embed : hf_dst_embed], tvb, off + 12, 4, 0);
            ctx.tree.add(kFields[hf_embed], tvb, off + 12, 4, 0);
        }
    }

    // The Jumbo Payload option's length, when a hop-by-hop header carries it (RFC 2675).
    static std::optional<std::uint32_t> jumbo_length(const Tvb& tvb, std::uint64_t nxt) {
        if (nxt != kHopByHop) return std::nullopt;
        auto len = tvb.u8(41);
        if (!len) return std::nullopt;
        std::size_t end = 40 + (std::size_t(*len) + 1) * 8;
        for (std::size_t off = 42; off < end && tvb.has(off, 1);) {
            std::uint8_t type = tvb.data()[off];
            if (type == kOptPad1) {
                ++off;
                continue;
            }
            auto olen = tvb.u8(off + 1);
            if (!olen) break;
            if (type == kOptJumbo && *olen == 4 && tvb.has(off + 2, 4)) return *tvb.be32(off + 2);
            off += 2 + *olen;
        }
        return std::nullopt;
    }

    // Checks that an extension header of `len` bytes at `off` is there. If not, the capture
    // was cut short (truncated) or the header runs past the payload length (malformed).
    static bool present(Ctx& ctx, const Tvb& t, std::size_t off, std::size_t len, std::string_view what) {
        if (t.has(off, len)) return true;
        if (off + len <= t.reported_size()) {
            ctx.truncated(t, t.size(), what);
        } else {
            std::string reason(what);
            reason += " runs past the end of the payload";
            ctx.malformed(t, off, t.size() > off ? t.size() - off : 0, reason);
        }
        return false;
    }

    // The header of the current sub-layer: Wireshark's Protocol column stays "IPv6".
    static void ext_layer_opened(Ctx& ctx) { ctx.pinfo.protocol = kIpv6Proto.short_name; }

    // Hop-by-hop (0) and destination (60) options headers (RFC 8200 sections 4.3 and 4.6).
    static std::optional<std::size_t> options_header(Ctx& ctx, const Tvb& payload, std::size_t off,
                                                     std::uint64_t& nxt) {
        bool hop = nxt == kHopByHop;
        const FieldDef* f = hop ? kHopFields : kDstFields;
        if (ctx.want_info) ctx.pinfo.info = hop ? "IPv6 hop-by-hop options" : "IPv6 destination options";
        Tvb t = payload.tail(off);
        Layer layer(ctx, *f[hf_ext].proto, t, 8);
        ext_layer_opened(ctx);
        if (!present(ctx, t, 0, 2, hop ? "IPv6 hop-by-hop header" : "IPv6 destination options header"))
            return std::nullopt;
        std::size_t len = (std::size_t(t.data()[1]) + 1) * 8;
        ctx.tree.add(f[hf_ext_nxt], t, 0, 1, t.data()[0]);
        ctx.tree.add(f[hf_ext_len], t, 1, 1, t.data()[1]);
        ctx.tree.add(f[hf_ext_len_oct], t, 1, 1, len);
        layer.set_length(std::min(len, t.size()));
        // Options are shown as far as the bytes go, then a short header is reported.
        bool whole = t.has(0, len);
        if (!options(ctx, t.sub(0, len), len)) return std::nullopt;
        if (!whole) {
            present(ctx, t, 0, len, hop ? "IPv6 hop-by-hop header" : "IPv6 destination options header");
            return std::nullopt;
        }
        nxt = t.data()[0];
        return len;
    }

    // The type-length-value options of an options header of `len` bytes (RFC 8200 section
    // 4.2); `t` may hold fewer bytes when the header is cut short. False if an option is broken.
    static bool options(Ctx& ctx, const Tvb& t, std::size_t len) {
        std::size_t off = 2;
        while (off < len && off < t.size()) {
            std::uint8_t type = t.data()[off];
            std::size_t opt = ctx.tree.open(kFields[hf_opt], t, off, type == kOptPad1 ? 1 : 2);
            std::size_t type_node = ctx.tree.open(kFields[hf_opt_type], t, off, 1);
            ctx.tree.set_value(type_node, type);
            if (type != kOptPad1) {
                // The type's top bits say what a node that does not know the option must do.
                ctx.tree.add(kFields[hf_opt_action], t, off, 1, type >> 6);
                ctx.tree.add(kFields[hf_opt_change], t, off, 1, (type >> 5) & 1);
                ctx.tree.add(kFields[hf_opt_rest], t, off, 1, type & 0x1f);
            }
            ctx.tree.close(type_node);
            if (type == kOptPad1) {
                ctx.tree.add(kFields[hf_opt_pad1], t, off, 1, 0);
                ctx.tree.close(opt);
                ++off;
                continue;
            }
            if (off + 2 > len) {
                ctx.tree.close(opt);
                ctx.malformed(t, off, 1, "IPv6 option length runs past the extension header");
                return false;
            }
            if (off + 2 > t.size()) {
                ctx.tree.close(opt);
                return true;  // the header is cut short; the caller reports it
            }
            std::uint8_t olen = t.data()[off + 1];
            ctx.tree.add(kFields[hf_opt_length], t, off + 1, 1, olen);
            if (off + 2 + olen > len) {
                ctx.tree.close(opt);
                ctx.malformed(t, off + 1, 1, "IPv6 option length runs past the extension header");
                return false;
            }
            if (off + 2 + olen > t.size()) {
                ctx.tree.close(opt);
                return true;
            }
            option_value(ctx, t, off + 2, type, olen);
            ctx.tree.close(opt, 2 + std::size_t(olen));
            off += 2 + olen;
        }
        return true;
    }

    static void empty_or(Ctx& ctx, const FieldDef& f, const Tvb& t, std::size_t off, std::size_t len) {
        if (len == 0)
            ctx.tree.add_text(f, t, off, 0, "<MISSING>");
        else
            ctx.tree.add(f, t, off, len, 0);
    }

    static void option_value(Ctx& ctx, const Tvb& t, std::size_t off, std::uint8_t type, std::uint8_t len) {
        switch (type) {
            case kOptPadN:
                // tshark prints an empty PadN as "<none>" (and other empty values as "<MISSING>").
                if (len == 0) return (void)ctx.tree.add_text(kFields[hf_opt_padn], t, off, 0, "<none>");
                ctx.tree.add(kFields[hf_opt_padn], t, off, len, 0);
                return;
            case kOptRouterAlert:
                if (len == 2) return (void)ctx.tree.add(kFields[hf_opt_router_alert], t, off, 2, load_be16(t.data() + off));
                break;
            case kOptTel:
                if (len == 1) return (void)ctx.tree.add(kFields[hf_opt_tel], t, off, 1, t.data()[off]);
                break;
            case kOptJumbo:
                if (len == 4) return (void)ctx.tree.add(kFields[hf_opt_jumbo], t, off, 4, load_be32(t.data() + off));
                break;
            case kOptHomeAddress:
                if (len == 16) return (void)ctx.tree.add(kFields[hf_opt_home_address], t, off, 16, 0);
                break;
            default:
                // RFC 4727's experimental types: the low five bits are 11110.
                if ((type & 0x1f) == 0x1e) return empty_or(ctx, kFields[hf_opt_experimental], t, off, len);
                empty_or(ctx, kFields[hf_opt_unknown], t, off, len);
                if (len) ctx.note(t, off, len, "Unknown Data (not interpreted)");
                return;
        }
        ctx.note(t, off - 1, 1, "Invalid IPv6 option length");
        if (len) ctx.tree.add(kFields[hf_opt_unknown], t, off, len, 0);
    }

    // The routing header (RFC 8200 section 4.4) and its types 0 (RFC 2460), 2 (RFC 6275) and
    // 4 (RFC 8754).
    static std::optional<std::size_t> routing_header(Ctx& ctx, const Tvb& payload, std::size_t off,
                                                     std::uint64_t& nxt) {
        if (ctx.want_info) ctx.pinfo.info = "IPv6 routing";
        Tvb t = payload.tail(off);
        Layer layer(ctx, kRoutingProto, t, 8);
        ext_layer_opened(ctx);
        if (!present(ctx, t, 0, 4, "IPv6 routing header")) return std::nullopt;
        const std::uint8_t* p = t.data();
        std::size_t len = (std::size_t(p[1]) + 1) * 8;
        std::uint8_t type = p[2], segleft = p[3];
        ctx.tree.add(kRtFields[hf_rt_nxt], t, 0, 1, p[0]);
        ctx.tree.add(kRtFields[hf_rt_len], t, 1, 1, p[1]);
        if (type == 0 && (p[1] & 1))
            ctx.malformed(t, 1, 1, "IPv6 Routing Header extension header length must not be odd");
        ctx.tree.add(kRtFields[hf_rt_len_oct], t, 1, 1, len);
        ctx.tree.add(kRtFields[hf_rt_type], t, 2, 1, type);
        if (type == 0) ctx.note(t, 2, 1, "Routing header type is deprecated");
        ctx.tree.add(kRtFields[hf_rt_segleft], t, 3, 1, segleft);
        layer.set_length(std::min(len, t.size()));
        if (ctx.want_tree_text) {
            std::string_view name = value_name(kRtFields[hf_rt_type], type);
            std::string sum;
            if (name.empty()) {
                sum = "Unknown type ";
                append_uint(sum, type);
            } else {
                sum = name;
            }
            layer.set_summary(sum);
        }
        if (!present(ctx, t, 4, len - 4, "IPv6 routing header")) return std::nullopt;
        switch (type) {
            case 0: {
                ctx.tree.add(kRtFields[hf_rt_src_reserved], t, 4, 4, 0);
                std::size_t count = (len - 8) / 16;
                if (segleft > count) {
                    std::string note = "IPv6 Type 0 Routing Header segments left field must not exceed address count (";
                    append_uint(note, count);
                    note += ')';
                    ctx.note(t, 3, 1, note);
                }
                for (std::size_t i = 0; i < count; ++i) ctx.tree.add(kRtFields[hf_rt_src_addr], t, 8 + 16 * i, 16, 0);
                // The packet is finally for the last address: that is the destination the summary
                // shows and upper-layer checksums use (RFC 8200 section 8.1).
                if (segleft > 0 && count > 0) final_destination(ctx, p + 8 + 16 * (count - 1));
                break;
            }
            case 2:
                ctx.tree.add(kRtFields[hf_rt_mip_reserved], t, 4, 4, 0);
                if (len >= 24) {
                    ctx.tree.add(kRtFields[hf_rt_mip_home], t, 8, 16, 0);
                    if (segleft > 0) final_destination(ctx, p + 8);
                }
                break;
            case 4: {
                std::uint8_t last = p[4];
                ctx.tree.add(kRtFields[hf_rt_srh_last], t, 4, 1, last);
                ctx.tree.add(kRtFields[hf_rt_srh_flags], t, 5, 1, p[5]);
                ctx.tree.add(kRtFields[hf_rt_srh_tag], t, 6, 2, 0);
                std::size_t count = std::min<std::size_t>(std::size_t(last) + 1, (len - 8) / 16);
                for (std::size_t i = 0; i < count; ++i) ctx.tree.add(kRtFields[hf_rt_srh_addr], t, 8 + 16 * i, 16, 0);
                // The segment list is in reverse order: the final segment comes first.
                if (segleft > 0 && count > 0) final_destination(ctx, p + 8);
                break;
            }
            default:
                ctx.tree.add(kRtFields[hf_rt_unknown], t, 4, len - 4, 0);
                ctx.note(t, 4, len - 4, "Undecoded IPv6 routing header field");
                break;
        }
        nxt = p[0];
        return len;
    }

    static void final_destination(Ctx& ctx, const std::uint8_t* addr) {
        ctx.pinfo.net_dst = Address::from(Address::Kind::ipv6, addr);
    }

    // The fragment header (RFC 8200 section 4.5).
    static std::optional<std::size_t> fragment_header(Ctx& ctx, const Tvb& payload, std::size_t off, Fragment& f) {
        Tvb t = payload.tail(off);
        Layer layer(ctx, kFraghdrProto, t, 8);
        ext_layer_opened(ctx);
        if (!present(ctx, t, 0, 8, "IPv6 fragment header")) return std::nullopt;
        const std::uint8_t* p = t.data();
        std::uint16_t word = load_be16(p + 2);
        f.nxt = p[0];
        f.offset = word & 0xfff8u;  // the field counts 8-byte units; masking leaves bytes
        f.more = word & 1;
        f.ident = load_be32(p + 4);
        ctx.tree.add(kFhFields[hf_fh_nxt], t, 0, 1, p[0]);
        ctx.tree.add(kFhFields[hf_fh_reserved_octet], t, 1, 1, p[1]);
        ctx.tree.add(kFhFields[hf_fh_offset], t, 2, 2, word >> 3);
        ctx.tree.add(kFhFields[hf_fh_reserved_bits], t, 2, 2, (word >> 1) & 3);
        ctx.tree.add(kFhFields[hf_fh_more], t, 2, 2, f.more);
        ctx.tree.add(kFhFields[hf_fh_ident], t, 4, 4, f.ident);
        return 8;
    }

    void reassemble(Ctx& ctx, Layer& layer, Tvb data, const Fragment& f) {
        ctx.pinfo.fragmented = true;
        auto unreassembled = [&] {
            if (ctx.want_info) {
                char buf[96];
                std::snprintf(buf, sizeof buf, "IPv6 fragment (off=%u more=%c ident=0x%08x nxt=%u)", f.offset,
                              f.more ? 'y' : 'n', f.ident, f.nxt);
                ctx.pinfo.info = buf;
            }
            layer.close();
            ctx.data(data);
            ctx.pinfo.protocol = kIpv6Proto.short_name;
        };
        if (data.size() < data.reported_size()) {
            // A fragment cut by the snapshot length cannot be reassembled.
            unreassembled();
            return;
        }
        DataSource& out = ctx.tree.new_source();
        FragmentKey key{ctx.pinfo.net_src, ctx.pinfo.net_dst, f.ident, 0};
        auto r = fragments_.add(key, f.offset, data.bytes(), f.more, static_cast<std::uint32_t>(ctx.pinfo.frame->number),
                                out);
        if (r.status != FragmentTable::Status::complete) {
            if (r.status == FragmentTable::Status::error) ctx.malformed(data, 0, data.size(), r.error);
            unreassembled();
            return;
        }
        out.name = "Reassembled IPv6";
        Tvb whole(out.bytes, 0, static_cast<std::uint8_t>(ctx.tree.source_count()));
        std::size_t list = ctx.tree.open(kFields[hf_fragments], whole, 0, whole.size());
        for (std::uint32_t frame : out.frames) ctx.tree.add(kFields[hf_fragment], whole, 0, 0, frame, kGenerated);
        if (r.overlap) ctx.tree.add(kFields[hf_fragment_overlap], whole, 0, 0, 1, kGenerated);
        ctx.tree.add(kFields[hf_fragment_count], whole, 0, 0, out.frames.size(), kGenerated);
        ctx.tree.add(kFields[hf_reassembled_length], whole, 0, 0, whole.size(), kGenerated);
        ctx.tree.add(kFields[hf_reassembled_data], whole, 0, whole.size(), 0, kGenerated);
        ctx.tree.close(list);
        layer.close();
        ctx.pinfo.fragmented = false;
        upper_layer(ctx, f.nxt, whole);
    }

    static void upper_layer(Ctx& ctx, std::uint8_t nxt, Tvb payload) {
        if (nxt == kNoNext) {
            if (ctx.want_info) ctx.pinfo.info = "IPv6 no next header";
            return;
        }
        if (ctx.registry.find(Table::ip_proto, nxt)) {
            // The next protocol writes its own Info column.
            ctx.pinfo.info.clear();
            ctx.call(Table::ip_proto, nxt, payload);
            return;
        }
        if (ctx.want_info) {
            std::string_view name = value_name(kFields[hf_nxt], nxt);
            std::string& s = ctx.pinfo.info;
            s = "Unknown IP Protocol: ";
            s += name.empty() ? "Unknown" : name;
            s += " (";
            append_uint(s, nxt);
            s += ')';
        }
        ctx.data(payload);
        ctx.pinfo.protocol = kIpv6Proto.short_name;
    }

    const FieldDef* ip_version_ = nullptr;
    FragmentTable fragments_;
};
}  // namespace

constinit const ProtocolDef kIpv6Proto{"ipv6", "IPv6", "Internet Protocol Version 6", OsiLayer::network,
                                       TcpIpLayer::internet, "RFC 8200", kFields};
constinit const ProtocolDef kHopoptsProto{"ipv6.hopopts", "IPv6 Hop-by-Hop", "IPv6 Hop-by-Hop Option",
                                          OsiLayer::network, TcpIpLayer::internet, "RFC 8200 section 4.3",
                                          kHopFields};
constinit const ProtocolDef kRoutingProto{"ipv6.routing", "IPv6 Routing", "Routing Header for IPv6",
                                          OsiLayer::network, TcpIpLayer::internet, "RFC 8200 section 4.4",
                                          kRtFields};
constinit const ProtocolDef kFraghdrProto{"ipv6.fraghdr", "IPv6 Fragment", "Fragment Header for IPv6",
                                          OsiLayer::network, TcpIpLayer::internet, "RFC 8200 section 4.5",
                                          kFhFields};
constinit const ProtocolDef kDstoptsProto{"ipv6.dstopts", "IPv6 Destination", "Destination Options for IPv6",
                                          OsiLayer::network, TcpIpLayer::internet, "RFC 8200 section 4.6",
                                          kDstFields};

void register_ipv6(Registry& r) {
    r.add_protocol(kIpv6Proto);
    r.add_protocol(kHopoptsProto);
    r.add_protocol(kRoutingProto);
    r.add_protocol(kFraghdrProto);
    r.add_protocol(kDstoptsProto);
    auto& d = r.make<Ipv6>();
    r.add(Table::ethertype, 0x86dd, d);
    r.add(Table::ip_proto, 41, d);  // IPv6 in IPv4 or IPv6 (RFC 4213, RFC 2473)
}

}  // namespace wirelab::proto
