// ICMPv6 (RFC 4443) with Neighbor Discovery (RFC 4861, RFC 4191 route information, RFC 8106
// DNS servers) and Multicast Listener Discovery (RFC 2710, RFC 3810).
//
// IPv6 relies on ICMPv6 far more than IPv4 on ICMP: besides errors and ping, it replaces ARP
// (neighbor solicitation and advertisement), finds routers and prefixes (router
// advertisements) and manages multicast group membership (MLD).
#include <cstdio>
#include <string>

#include "proto_util.hpp"

namespace wirelab::proto {

extern const ProtocolDef kIcmpv6Proto;

namespace {

enum : std::size_t {
    hf_icmpv6, hf_type, hf_code, hf_checksum, hf_checksum_status, hf_reserved, hf_data, hf_unknown_data, hf_mtu,
    hf_pointer, hf_length, hf_echo_id, hf_echo_seq, hf_resp_to, hf_resptime, hf_ra_hop_limit, hf_ra_flag,
    hf_ra_flag_m, hf_ra_flag_o, hf_ra_flag_h, hf_ra_flag_prf, hf_ra_flag_p, hf_ra_flag_rsv, hf_ra_lifetime,
    hf_ra_reachable, hf_ra_retrans, hf_ns_target, hf_na_flag, hf_na_flag_r, hf_na_flag_s, hf_na_flag_o,
    hf_na_flag_rsv, hf_na_target, hf_rd_target, hf_rd_destination, hf_opt, hf_opt_type, hf_opt_length,
    hf_opt_linkaddr, hf_opt_src_linkaddr, hf_opt_target_linkaddr, hf_opt_linkaddr_eui64, hf_opt_src_linkaddr_eui64,
    hf_opt_target_linkaddr_eui64, hf_opt_padding, hf_opt_reserved, hf_opt_prefix_len, hf_opt_prefix_flag,
    hf_opt_prefix_flag_l, hf_opt_prefix_flag_a, hf_opt_prefix_flag_r, hf_opt_prefix_flag_reserved,
    hf_opt_prefix_valid, hf_opt_prefix_preferred, hf_opt_prefix, hf_opt_redirected, hf_opt_mtu,
    hf_opt_adv_interval, hf_opt_route_flag, hf_opt_route_pref, hf_opt_route_reserved, hf_opt_route_lifetime,
    hf_opt_rdnss_lifetime, hf_opt_rdnss, hf_mld_mrd, hf_mld_mcast, hf_mld_mrc, hf_mld_flag, hf_mld_flag_s,
    hf_mld_flag_qrv, hf_mld_flag_rsv, hf_mld_qqi, hf_mld_nb_sources, hf_mld_source, hf_mldr_nb_records,
    hf_mldr_mar, hf_mldr_record_type, hf_mldr_aux_len, hf_mldr_nb_sources, hf_mldr_mcast, hf_mldr_source,
    hf_mldr_aux_data, hf_count
};

enum : std::uint8_t {
    kDstUnreach = 1, kPacketTooBig = 2, kTimeExceeded = 3, kParamProblem = 4, kEchoRequest = 128,
    kEchoReply = 129, kMldQuery = 130, kMldReport = 131, kMldDone = 132, kRouterSolicit = 133,
    kRouterAdvert = 134, kNeighborSolicit = 135, kNeighborAdvert = 136, kRedirect = 137, kRouterRenumbering = 138,
    kNodeInfoQuery = 139, kNodeInfoReply = 140, kMldv2Report = 143, kRplControl = 155, kExtEcho = 160,
    kExtEchoReply = 161
};

// IANA "ICMPv6 Type Numbers", as Wireshark names them.
constexpr ValueName kTypes[] = {
    {1, "Destination Unreachable"}, {2, "Packet Too Big"}, {3, "Time Exceeded"}, {4, "Parameter Problem"},
    {100, "Private experimentation"}, {101, "Private experimentation"},
    {127, "Reserved for expansion of ICMPv6 error messages"}, {128, "Echo (ping) request"},
    {129, "Echo (ping) reply"}, {130, "Multicast Listener Query"}, {131, "Multicast Listener Report"},
    {132, "Multicast Listener Done"}, {133, "Router Solicitation"}, {134, "Router Advertisement"},
    {135, "Neighbor Solicitation"}, {136, "Neighbor Advertisement"}, {137, "Redirect"},
    {138, "Router Renumbering"}, {139, "Node Information Query"}, {140, "Node Information Reply"},
    {141, "Inverse Neighbor Discovery Solicitation"}, {142, "Inverse Neighbor Discovery Advertisement"},
    {143, "Multicast Listener Report Message v2"}, {144, "Home Agent Address Discovery Request"},
    {145, "Home Agent Address Discovery Reply"}, {146, "Mobile Prefix Solicitation"},
    {147, "Mobile Prefix Advertisement"}, {148, "Certification Path Solicitation"},
    {149, "Certification Path Advertisement"}, {150, "Experimental Mobility"},
    {151, "Multicast Router Advertisement"}, {152, "Multicast Router Solicitation"},
    {153, "Multicast Router Termination"}, {154, "FMIPv6"}, {155, "RPL Control"}, {156, "Locator Update"},
    {157, "Duplicate Address Request"}, {158, "Duplicate Address Confirmation"}, {159, "MPL Control Message"},
    {160, "Extended Echo request"}, {161, "Extended Echo reply"}, {200, "Private experimentation"},
    {201, "Private experimentation"}, {255, "Reserved for expansion of ICMPv6 informational messages"},
};
constexpr ValueName kUnreachCodes[] = {
    {0, "no route to destination"}, {1, "Administratively prohibited"}, {2, "Beyond scope of source address"},
    {3, "Address unreachable"}, {4, "Port unreachable"}, {5, "Source address failed ingress/egress policy"},
    {6, "Reject route to destination"}, {7, "Error in Source Routing Header"},
};
constexpr ValueName kTimeExceededCodes[] = {{0, "hop limit exceeded in transit"},
                                            {1, "fragment reassembly time exceeded"}};
constexpr ValueName kParamProblemCodes[] = {{0, "erroneous header field encountered"},
                                            {1, "unrecognized Next Header type encountered"},
                                            {2, "unrecognized IPv6 option encountered"},
                                            {3, "IPv6 First Fragment has incomplete IPv6 Header Chain"}};
constexpr ValueName kRouterRenumberingCodes[] = {{0, "Command"}, {1, "Result"}, {255, "Sequence number reset"}};
constexpr ValueName kNodeInfoQueryCodes[] = {{0, "Query subject = IPv6 addresses"},
                                             {1, "Query subject = DNS name or empty"},
                                             {2, "Query subject = IPv4 addresses"}};
constexpr ValueName kNodeInfoReplyCodes[] = {{0, "Successful"}, {1, "Refused"}, {2, "Unknown query type"}};
constexpr ValueName kRplCodes[] = {
    {0x00, "DODAG Information Solicitation"}, {0x01, "DODAG Information Object"},
    {0x02, "Destination Advertisement Object"}, {0x03, "Destination Advertisement Object Acknowledgment"},
    {0x04, "P2P Discovery Reply Object"}, {0x05, "P2P Discovery Reply Object Acknowledgement"},
    {0x80, "Secure DODAG Information Solicitation"}, {0x81, "Secure DODAG Information Object"},
    {0x82, "Secure Destination Advertisement Object"},
    {0x83, "Secure Destination Advertisement Object Acknowledgment"}, {0x8a, "Consistency Check"},
    {0x84, "P2P Secure Discovery Reply Object"}, {0x85, "P2P Secure Discovery Reply Object Acknowledgement"},
};
constexpr ValueName kExtEchoCodes[] = {{0, "No error"}};
constexpr ValueName kExtEchoReplyCodes[] = {{0, "No error"}, {1, "Malformed Query"}, {2, "No Such Interface"},
                                            {3, "No Such Table Entry"}, {4, "Multiple Interfaces Satisfy Query"}};

// IANA "IPv6 Neighbor Discovery Option Formats", as Wireshark names them.
constexpr ValueName kOptTypes[] = {
    {1, "Source link-layer address"}, {2, "Target link-layer address"}, {3, "Prefix information"},
    {4, "Redirected header"}, {5, "MTU"}, {6, "NBMA Shortcut Limit Option"}, {7, "Advertisement Interval"},
    {8, "Home Agent Information"}, {9, "Source Address List"}, {10, "Target Address List"}, {11, "CGA"},
    {12, "RSA Signature"}, {13, "Timestamp"}, {14, "Nonce"}, {15, "Trust Anchor"}, {16, "Certificate"},
    {17, "IP Address/Prefix Option"}, {18, "New Router Prefix Information"}, {19, "Link-layer Address"},
    {20, "Neighbor Advertisement Acknowledgment"}, {23, "MAP"}, {24, "Route Information"},
    {25, "Recursive DNS Server"}, {26, "RA Flags Extension"}, {27, "Handover Key Request"},
    {28, "Handover Key Reply"}, {29, "Handover Assist Information"}, {30, "Mobile Node Identifier Option"},
    {31, "DNS Search List Option"}, {32, "Proxy Signature (PS)"}, {33, "Address Registration Option"},
    {34, "6LoWPAN Context Option"}, {35, "Authoritative Border Router"},
    {36, "6LoWPAN Capability Indication Option"}, {37, "DHCP Captive-Portal"}, {38, "PREF64 Option"},
    {138, "CARD Request"}, {139, "CARD Reply"}, {253, "RFC3692-style Experiment 1"},
    {254, "RFC3692-style Experiment 2"},
};
enum : std::uint8_t {
    kOptSrcLinkAddr = 1, kOptTargetLinkAddr = 2, kOptPrefixInfo = 3, kOptRedirected = 4, kOptMtu = 5,
    kOptAdvInterval = 7, kOptRouteInfo = 24, kOptRdnss = 25
};
constexpr ValueName kRouterPref[] = {{0, "Medium"}, {1, "High"}, {2, "Reserved"}, {3, "Low"}};
constexpr ValueName kInfinity[] = {{0xffffffff, "Infinity"}};
constexpr ValueName kRecordTypes[] = {{1, "Include"}, {2, "Exclude"}, {3, "Changed to include"},
                                      {4, "Changed to exclude"}, {5, "Allow new sources"}, {6, "Block old sources"}};

constinit const FieldDef kFields[] = {
    {"icmpv6", "Internet Control Message Protocol v6", FieldType::protocol, Base::none, 0, {},
     "IPv6's control protocol: error reports and ping, but also address resolution (neighbor discovery), "
     "router discovery and multicast membership.", &kIcmpv6Proto},
    {"icmpv6.type", "Type", FieldType::u8, Base::dec, 0, kTypes,
     "The kind of message (128/129 = ping, 135/136 = neighbor solicitation/advertisement, 134 = router "
     "advertisement).", &kIcmpv6Proto},
    {"icmpv6.code", "Code", FieldType::u8, Base::dec, 0, {},
     "Refines the type; for destination unreachable, why (4 = port unreachable).", &kIcmpv6Proto},
    {"icmpv6.checksum", "Checksum", FieldType::u16, Base::hex, 0, {},
     "A checksum over the message and the IPv6 addresses (a pseudo-header), mandatory in ICMPv6.",
     &kIcmpv6Proto},
    {"icmpv6.checksum.status", "Checksum Status", FieldType::u8, Base::none, 0, kChecksumStatus,
     "Whether the checksum matches the message.", &kIcmpv6Proto},
    {"icmpv6.reserved", "Reserved", FieldType::bytes, Base::none, 0, {}, "Must be zero.", &kIcmpv6Proto},
    {"icmpv6.data", "Data", FieldType::bytes, Base::none, 0, {}, "The body of a message wirelab does not decode.",
     &kIcmpv6Proto},
    {"icmpv6.unknown_data", "Unknown Data", FieldType::bytes, Base::none, 0, {},
     "Bytes of an option beyond what its format uses.", &kIcmpv6Proto},
    {"icmpv6.mtu", "MTU", FieldType::u32, Base::dec, 0, {},
     "The largest packet the next link can carry: IPv6 routers never fragment, so the sender must send "
     "smaller packets.", &kIcmpv6Proto},
    {"icmpv6.pointer", "Pointer", FieldType::u32, Base::dec, 0, {},
     "Which byte of the quoted packet was wrong.", &kIcmpv6Proto},
    {"icmpv6.length", "Length of original datagram", FieldType::u8, Base::dec, 0, {},
     "Length of the quoted packet in 64-bit words, when extensions follow it (RFC 4884).", &kIcmpv6Proto},
    {"icmpv6.echo.identifier", "Identifier", FieldType::u16, Base::hex, 0, {},
     "Identifies the ping session, so replies find the right program.", &kIcmpv6Proto},
    {"icmpv6.echo.sequence_number", "Sequence", FieldType::u16, Base::dec, 0, {},
     "Counts the echo requests, so each reply can be matched to its request.", &kIcmpv6Proto},
    {"icmpv6.resp_to", "Response To", FieldType::framenum, Base::none, 0, {},
     "The frame holding the echo request this reply answers.", &kIcmpv6Proto},
    {"icmpv6.resptime", "Response Time", FieldType::string, Base::none, 0, {},
     "Milliseconds between the request and this reply: the round-trip time ping reports.", &kIcmpv6Proto},
    {"icmpv6.nd.ra.cur_hop_limit", "Cur hop limit", FieldType::u8, Base::dec, 0, {},
     "The hop limit hosts on this link should put in the packets they send.", &kIcmpv6Proto},
    {"icmpv6.nd.ra.flag", "Flags", FieldType::u8, Base::hex, 0, {},
     "How hosts should configure themselves: with DHCPv6 (M, O) or on their own.", &kIcmpv6Proto},
    {"icmpv6.nd.ra.flag.m", "Managed address configuration", FieldType::boolean, Base::none, 0x80, {},
     "Set: addresses are handed out by DHCPv6.", &kIcmpv6Proto},
    {"icmpv6.nd.ra.flag.o", "Other configuration", FieldType::boolean, Base::none, 0x40, {},
     "Set: other settings (like DNS servers) are available from DHCPv6.", &kIcmpv6Proto},
    {"icmpv6.nd.ra.flag.h", "Home Agent", FieldType::boolean, Base::none, 0x20, {},
     "Set: the router is also a Mobile IPv6 home agent.", &kIcmpv6Proto},
    {"icmpv6.nd.ra.flag.prf", "Prf (Default Router Preference)", FieldType::u8, Base::dec, 0x18, kRouterPref,
     "Whether hosts should prefer this router over other default routers (RFC 4191).", &kIcmpv6Proto},
    {"icmpv6.nd.ra.flag.p", "Proxy", FieldType::boolean, Base::none, 0x04, {},
     "Set: the router proxies neighbor discovery (RFC 4389).", &kIcmpv6Proto},
    {"icmpv6.nd.ra.flag.rsv", "Reserved", FieldType::u8, Base::dec, 0x03, {}, "Must be zero.", &kIcmpv6Proto},
    {"icmpv6.nd.ra.router_lifetime", "Router lifetime (s)", FieldType::u16, Base::dec, 0, {},
     "How long hosts may use this router as their default router (0: not a default router).", &kIcmpv6Proto},
    {"icmpv6.nd.ra.reachable_time", "Reachable time (ms)", FieldType::u32, Base::dec, 0, {},
     "How long a neighbor counts as reachable after it was last confirmed.", &kIcmpv6Proto},
    {"icmpv6.nd.ra.retrans_timer", "Retrans timer (ms)", FieldType::u32, Base::dec, 0, {},
     "How long to wait before resending a neighbor solicitation.", &kIcmpv6Proto},
    {"icmpv6.nd.ns.target_address", "Target Address", FieldType::ipv6, Base::none, 0, {},
     "The address whose link-layer (MAC) address the sender asks for: IPv6's \"who has?\".", &kIcmpv6Proto},
    {"icmpv6.nd.na.flag", "Flags", FieldType::u32, Base::hex, 0, {},
     "Router, Solicited and Override flags of a neighbor advertisement.", &kIcmpv6Proto},
    {"icmpv6.nd.na.flag.r", "Router", FieldType::boolean, Base::none, 0x80000000, {},
     "Set: the sender is a router.", &kIcmpv6Proto},
    {"icmpv6.nd.na.flag.s", "Solicited", FieldType::boolean, Base::none, 0x40000000, {},
     "Set: this answers a neighbor solicitation (clear: an unsolicited announcement).", &kIcmpv6Proto},
    {"icmpv6.nd.na.flag.o", "Override", FieldType::boolean, Base::none, 0x20000000, {},
     "Set: receivers should replace the link-layer address they had cached.", &kIcmpv6Proto},
    {"icmpv6.nd.na.flag.rsv", "Reserved", FieldType::u32, Base::dec, 0x1fffffff, {}, "Must be zero.",
     &kIcmpv6Proto},
    {"icmpv6.nd.na.target_address", "Target Address", FieldType::ipv6, Base::none, 0, {},
     "The address being advertised: \"this address is at the link-layer address below\".", &kIcmpv6Proto},
    {"icmpv6.nd.rd.target_address", "Target Address", FieldType::ipv6, Base::none, 0, {},
     "A better first hop (or the destination itself) for the packets to the destination below.",
     &kIcmpv6Proto},
    {"icmpv6.rd.na.destination_address", "Destination Address", FieldType::ipv6, Base::none, 0, {},
     "The destination whose packets should go to the target instead.", &kIcmpv6Proto},
    {"icmpv6.opt", "ICMPv6 Option", FieldType::none, Base::none, 0, {},
     "One option of a neighbor discovery message: a type, a length in 8-byte units and a value.",
     &kIcmpv6Proto},
    {"icmpv6.opt.type", "Type", FieldType::u8, Base::dec, 0, kOptTypes,
     "Which option this is (1 = source link-layer address, 3 = prefix information).", &kIcmpv6Proto},
    {"icmpv6.opt.length", "Length", FieldType::u8, Base::dec, 0, {},
     "Length of the option, type and length included, in units of 8 bytes.", &kIcmpv6Proto},
    {"icmpv6.opt.linkaddr", "Link-layer address", FieldType::ether, Base::none, 0, {},
     "A link-layer (MAC) address: the answer neighbor discovery is about.", &kIcmpv6Proto},
    {"icmpv6.opt.src_linkaddr", "Source Link-layer address", FieldType::ether, Base::none, 0, {},
     "The sender's own MAC address, so the receiver can answer without asking.", &kIcmpv6Proto},
    {"icmpv6.opt.target_linkaddr", "Target Link-layer address", FieldType::ether, Base::none, 0, {},
     "The MAC address of the target address.", &kIcmpv6Proto},
    {"icmpv6.opt.linkaddr_eui64", "Link-layer address", FieldType::bytes, Base::none, 0, {},
     "A 64-bit (EUI-64) link-layer address.", &kIcmpv6Proto},
    {"icmpv6.opt.src_linkaddr_eui64", "Source Link-layer address", FieldType::bytes, Base::none, 0, {},
     "The sender's own 64-bit link-layer address.", &kIcmpv6Proto},
    {"icmpv6.opt.target_linkaddr_eui64", "Target Link-layer address", FieldType::bytes, Base::none, 0, {},
     "The 64-bit link-layer address of the target address.", &kIcmpv6Proto},
    {"icmpv6.opt.padding", "Padding", FieldType::none, Base::none, 0, {}, "Padding (zeros).", &kIcmpv6Proto},
    {"icmpv6.opt.reserved", "Reserved", FieldType::none, Base::none, 0, {}, "Must be zero.", &kIcmpv6Proto},
    {"icmpv6.opt.prefix.length", "Prefix Length", FieldType::u8, Base::dec, 0, {},
     "How many leading bits of the prefix are the network part (64 for SLAAC).", &kIcmpv6Proto},
    {"icmpv6.opt.prefix.flag", "Flag", FieldType::u8, Base::hex, 0, {}, "What hosts may do with the prefix.",
     &kIcmpv6Proto},
    {"icmpv6.opt.prefix.flag.l", "On-link flag(L)", FieldType::boolean, Base::none, 0x80, {},
     "Set: addresses with this prefix are on this link (reach them directly, not via a router).",
     &kIcmpv6Proto},
    {"icmpv6.opt.prefix.flag.a", "Autonomous address-configuration flag(A)", FieldType::boolean, Base::none, 0x40,
     {}, "Set: hosts may build their own address from this prefix (SLAAC).", &kIcmpv6Proto},
    {"icmpv6.opt.prefix.flag.r", "Router address flag(R)", FieldType::boolean, Base::none, 0x20, {},
     "Set: the prefix field holds the router's complete address.", &kIcmpv6Proto},
    {"icmpv6.opt.prefix.flag.reserved", "Reserved", FieldType::u8, Base::dec, 0x1f, {}, "Must be zero.",
     &kIcmpv6Proto},
    {"icmpv6.opt.prefix.valid_lifetime", "Valid Lifetime", FieldType::u32, Base::dec, 0, kInfinity,
     "How many seconds the prefix stays valid for on-link decisions.", &kIcmpv6Proto},
    {"icmpv6.opt.prefix.preferred_lifetime", "Preferred Lifetime", FieldType::u32, Base::dec, 0, kInfinity,
     "How many seconds addresses made from the prefix stay preferred for new connections.", &kIcmpv6Proto},
    {"icmpv6.opt.prefix", "Prefix", FieldType::ipv6, Base::none, 0, {},
     "The network prefix the router announces.", &kIcmpv6Proto},
    {"icmpv6.opt.redirected_packet", "Redirected Packet", FieldType::none, Base::none, 0, {},
     "The start of the packet that triggered the redirect.", &kIcmpv6Proto},
    {"icmpv6.opt.mtu", "MTU", FieldType::u32, Base::dec, 0, {}, "The MTU hosts should use on this link.",
     &kIcmpv6Proto},
    {"icmpv6.opt.advertisement_interval", "Advertisement Interval", FieldType::u32, Base::dec, 0, {},
     "The longest time (ms) between this router's unsolicited advertisements.", &kIcmpv6Proto},
    {"icmpv6.opt.route_info.flag", "Flag", FieldType::u8, Base::hex, 0, {}, "The route's flags.", &kIcmpv6Proto},
    {"icmpv6.opt.route_info.flag.route_preference", "Route Preference", FieldType::u8, Base::dec, 0x18,
     kRouterPref, "How much this route is preferred over others.", &kIcmpv6Proto},
    {"icmpv6.opt.route_info.flag.reserved", "Reserved", FieldType::u8, Base::dec, 0xe7, {}, "Must be zero.",
     &kIcmpv6Proto},
    {"icmpv6.opt.route_lifetime", "Route Lifetime", FieldType::u32, Base::dec, 0, kInfinity,
     "How many seconds the route stays valid.", &kIcmpv6Proto},
    {"icmpv6.opt.rdnss.lifetime", "Lifetime", FieldType::u32, Base::dec, 0, kInfinity,
     "How many seconds the DNS server addresses may be used.", &kIcmpv6Proto},
    {"icmpv6.opt.rdnss", "Recursive DNS Servers", FieldType::ipv6, Base::none, 0, {},
     "A DNS server the hosts on this link may use (RFC 8106).", &kIcmpv6Proto},
    {"icmpv6.mld.maximum_response_delay", "Maximum Response Delay [ms]", FieldType::u16, Base::dec, 0, {},
     "How long listeners may wait before answering the query (they wait a random part of it).",
     &kIcmpv6Proto},
    {"icmpv6.mld.multicast_address", "Multicast Address", FieldType::ipv6, Base::none, 0, {},
     "The multicast group this message is about (:: in a general query: all groups).", &kIcmpv6Proto},
    {"icmpv6.mld.maximum_response_code", "Maximum Response Code", FieldType::u16, Base::dec, 0, {},
     "The maximum response delay of an MLDv2 query, in milliseconds (decoded from its floating-point form).",
     &kIcmpv6Proto},
    {"icmpv6.mld.flag", "Flags", FieldType::u8, Base::hex, 0, {}, "Flags of an MLDv2 query.", &kIcmpv6Proto},
    {"icmpv6.mld.flag.s", "Suppress Router-Side Processing", FieldType::boolean, Base::none, 0x08, {},
     "Set: other routers should not update their timers on hearing this query.", &kIcmpv6Proto},
    {"icmpv6.mld.flag.qrv", "QRV (Querier's Robustness Variable)", FieldType::u8, Base::dec, 0x07, {},
     "How many times messages are repeated to survive packet loss.", &kIcmpv6Proto},
    {"icmpv6.mld.flag.reserved", "Reserved", FieldType::u8, Base::dec, 0xf0, {}, "Must be zero.", &kIcmpv6Proto},
    {"icmpv6.mld.qqi", "QQIC (Querier's Query Interval Code)", FieldType::u8, Base::dec, 0, {},
     "Seconds between the querier's general queries.", &kIcmpv6Proto},
    {"icmpv6.mld.nb_sources", "Number of Sources", FieldType::u16, Base::dec, 0, {},
     "How many source addresses the query lists.", &kIcmpv6Proto},
    {"icmpv6.mld.source_address", "Source Address", FieldType::ipv6, Base::none, 0, {},
     "A source the query asks about (source-specific multicast).", &kIcmpv6Proto},
    {"icmpv6.mldr.nb_mcast_records", "Number of Multicast Address Records", FieldType::u16, Base::dec, 0, {},
     "How many groups this MLDv2 report talks about.", &kIcmpv6Proto},
    {"icmpv6.mldr.mar", "Multicast Address Record", FieldType::none, Base::none, 0, {},
     "What the host listens to for one multicast group.", &kIcmpv6Proto},
    {"icmpv6.mldr.mar.record_type", "Record Type", FieldType::u8, Base::dec, 0, kRecordTypes,
     "Include or exclude the sources listed, or a change to that state (4 with no sources = join the group, "
     "3 with no sources = leave it).", &kIcmpv6Proto},
    {"icmpv6.mldr.mar.aux_data_len", "Aux Data Len", FieldType::u8, Base::dec, 0, {},
     "Length of the auxiliary data, in 32-bit words.", &kIcmpv6Proto},
    {"icmpv6.mldr.mar.nb_sources", "Number of Sources", FieldType::u16, Base::dec, 0, {},
     "How many source addresses the record lists.", &kIcmpv6Proto},
    {"icmpv6.mldr.mar.multicast_address", "Multicast Address", FieldType::ipv6, Base::none, 0, {},
     "The multicast group this record is about.", &kIcmpv6Proto},
    {"icmpv6.mldr.mar.source_address", "Source Address", FieldType::ipv6, Base::none, 0, {},
     "A source included or excluded for the group.", &kIcmpv6Proto},
    {"icmpv6.mldr.mar.auxiliary_data", "Auxiliary Data", FieldType::bytes, Base::none, 0, {},
     "Extra data of the record (none is defined).", &kIcmpv6Proto},
};
static_assert(std::size(kFields) == hf_count);

std::span<const ValueName> code_names(std::uint8_t type) {
    switch (type) {
        case kDstUnreach: return kUnreachCodes;
        case kTimeExceeded: return kTimeExceededCodes;
        case kParamProblem: return kParamProblemCodes;
        case kRouterRenumbering: return kRouterRenumberingCodes;
        case kNodeInfoQuery: return kNodeInfoQueryCodes;
        case kNodeInfoReply: return kNodeInfoReplyCodes;
        case kRplControl: return kRplCodes;
        case kExtEcho: return kExtEchoCodes;
        case kExtEchoReply: return kExtEchoReplyCodes;
        default: return {};
    }
}

class Icmpv6 final : public Dissector {
public:
    void reset() override { echoes_.clear(); }

    void dissect(const Tvb& tvb, Ctx& ctx) override {
        Layer layer(ctx, kIcmpv6Proto, tvb, tvb.size());
        Fields h(ctx, tvb, "ICMPv6 header");
        std::uint64_t type = h.uint(kFields[hf_type], 0, 1);
        if (!h.ok()) return;
        if (ctx.want_info) {
            std::string_view name = value_name(kFields[hf_type], type);
            if (name.empty()) {
                ctx.pinfo.info = "Unknown (";
                append_uint(ctx.pinfo.info, type);
                ctx.pinfo.info += ')';
            } else {
                ctx.pinfo.info.assign(name);
            }
        }
        std::uint64_t code = h.uint(kFields[hf_code], 1, 1);
        if (!h.ok()) return;
        auto codes = code_names(static_cast<std::uint8_t>(type));
        if (!codes.empty() && ctx.want_info) {
            std::string_view name;
            for (const ValueName& v : codes)
                if (v.value == code) name = v.name;
            ctx.pinfo.info += " (";
            if (!name.empty()) {
                ctx.pinfo.info += name;
            } else if (type == kDstUnreach) {
                ctx.pinfo.info += "Unknown";
            } else {
                ctx.pinfo.info += "Unknown (";
                append_uint(ctx.pinfo.info, code);
                ctx.pinfo.info += ')';
            }
            ctx.pinfo.info += ')';
        }
        std::uint64_t checksum = h.uint(kFields[hf_checksum], 2, 2);
        if (!h.ok()) return;
        verify_checksum(ctx, h, tvb, checksum);

        switch (type) {
            case kDstUnreach:
            case kTimeExceeded: {
                // RFC 4884: a non-zero length means extensions follow the quoted packet.
                if (!h.fits(4, 4)) return;
                std::uint8_t words = tvb.data()[4];
                if (words) {
                    h.uint(kFields[hf_length], 4, 1);
                    h.raw(kFields[hf_reserved], 5, 3);
                } else {
                    h.raw(kFields[hf_reserved], 4, 4);
                }
                contained(ctx, tvb.tail(8));
                return;
            }
            case kPacketTooBig:
                h.uint(kFields[hf_mtu], 4, 4);
                if (h.ok()) contained(ctx, tvb.tail(8));
                return;
            case kParamProblem:
                h.uint(kFields[hf_pointer], 4, 4);
                if (h.ok()) contained(ctx, tvb.tail(8));
                return;
            case kEchoRequest:
            case kEchoReply: echo(ctx, h, tvb, static_cast<std::uint8_t>(type), checksum); return;
            case kMldQuery:
            case kMldReport:
            case kMldDone: mld(ctx, h, tvb, static_cast<std::uint8_t>(type)); return;
            case kRouterSolicit:
                h.raw(kFields[hf_reserved], 4, 4);
                if (h.ok()) options(ctx, tvb, 8);
                return;
            case kRouterAdvert: router_advert(ctx, h, tvb); return;
            case kNeighborSolicit:
                h.raw(kFields[hf_reserved], 4, 4);
                if (const std::uint8_t* target = h.raw(kFields[hf_ns_target], 8, 16)) {
                    if (ctx.want_info) {
                        ctx.pinfo.info += " for ";
                        append_ipv6(ctx.pinfo.info, target);
                    }
                    options(ctx, tvb, 24);
                }
                return;
            case kNeighborAdvert: neighbor_advert(ctx, h, tvb); return;
            case kRedirect:
                h.raw(kFields[hf_reserved], 4, 4);
                h.raw(kFields[hf_rd_target], 8, 16);
                h.raw(kFields[hf_rd_destination], 24, 16);
                if (h.ok()) options(ctx, tvb, 40);
                return;
            case kMldv2Report: mldv2_report(ctx, h, tvb); return;
            default:
                if (tvb.size() > 4) {
                    h.raw(kFields[hf_data], 4, tvb.size() - 4);
                    ctx.note(tvb, 0, 1, "Dissector for this ICMPv6 type is not implemented in wirelab");
                }
                return;
        }
    }

private:
    // RFC 4443 section 2.3: the checksum covers a pseudo-header of the IPv6 addresses, the
    // upper-layer length and the next header value 58, then the message.
    static void verify_checksum(Ctx& ctx, Fields& h, const Tvb& tvb, std::uint64_t checksum) {
        const PacketInfo& p = ctx.pinfo;
        bool cut = tvb.size() < tvb.reported_size();
        if (p.fragmented || cut || p.in_error_packet || p.net_src.kind != Address::Kind::ipv6) {
            h.generated(kFields[hf_checksum_status], 2, 2, 2);
            return;
        }
        std::uint32_t len = static_cast<std::uint32_t>(tvb.reported_size());
        std::uint8_t pseudo[8] = {std::uint8_t(len >> 24), std::uint8_t(len >> 16), std::uint8_t(len >> 8),
                                  std::uint8_t(len), 0, 0, 0, 58};
        std::uint32_t pseudo_sum = checksum_add(0, Bytes(p.net_src.bytes.data(), 16));
        pseudo_sum = checksum_add(pseudo_sum, Bytes(p.net_dst.bytes.data(), 16));
        pseudo_sum = checksum_add(pseudo_sum, Bytes(pseudo, 8));
        bool good = checksum_fold(checksum_add(pseudo_sum, tvb.bytes())) == 0;
        h.generated(kFields[hf_checksum_status], 2, 2, good ? 1 : 0);
        if (!good) {
            // What the field should have held: the sum with the checksum field taken as 0.
            std::uint32_t sum = checksum_add(pseudo_sum, tvb.bytes().first(2));
            sum = checksum_add(sum, tvb.bytes().subspan(4));
            char buf[80];
            std::snprintf(buf, sizeof buf, "Bad checksum [should be 0x%04x] (the packet has 0x%04x)",
                          checksum_fold(sum), static_cast<unsigned>(checksum));
            ctx.note(tvb, 2, 2, buf);
        }
    }

    // The start of the packet an error message is about (RFC 4443 section 3), decoded as IPv6
    // if it is one, without changing what the summary line shows.
    static void contained(Ctx& ctx, Tvb inner) {
        if (inner.empty()) return;
        dissect_quoted(ctx, [&] {
            if ((inner.data()[0] & 0xf0) == 0x60)
                ctx.call(Table::ethertype, 0x86dd, inner);
            else
                ctx.data(inner);
        });
    }

    void echo(Ctx& ctx, Fields& h, const Tvb& tvb, std::uint8_t type, std::uint64_t checksum) {
        std::uint64_t id = h.uint(kFields[hf_echo_id], 4, 2);
        std::uint64_t seq = h.uint(kFields[hf_echo_seq], 6, 2);
        if (!h.ok()) return;
        PacketInfo& p = ctx.pinfo;
        if (ctx.want_info) {
            char buf[64];
            std::snprintf(buf, sizeof buf, " id=0x%04x, seq=%u, hop limit=%u", static_cast<unsigned>(id),
                          static_cast<unsigned>(seq), p.ttl);
            p.info += buf;
        }
        if (!p.in_error_packet) {
            std::uint32_t k1 = static_cast<std::uint32_t>(id << 16 | seq);
            const Frame& frame = *p.frame;
            if (type == kEchoRequest) {
                std::uint32_t k0 = checksum == 0xffff ? 0 : static_cast<std::uint32_t>(checksum);
                echoes_.request(p.net_src, p.net_dst, k0, k1, frame.number, frame.ts_ns);
            } else {
                // The request's checksum differs from the reply's only by the type byte (129 -> 128).
                std::uint32_t k0 = checksum_fold((~checksum & 0xffff) + (~0x0100u & 0xffff));
                if (const auto* req = echoes_.reply(p.net_src, p.net_dst, k0, k1, frame.number)) {
                    ctx.tree.add(kFields[hf_resp_to], tvb, 0, 0, req->frame, kGenerated);
                    ctx.tree.add_text(kFields[hf_resptime], tvb, 0, 0,
                                      EchoTransactions::response_ms(frame.ts_ns - req->ts_ns), kGenerated);
                    if (ctx.want_info) {
                        p.info += " (request in ";
                        append_uint(p.info, req->frame);
                        p.info += ')';
                    }
                }
            }
        }
        ctx.data(tvb.tail(8));
    }

    // MLDv1 (RFC 2710) and MLDv2 queries (RFC 3810 section 5.1, at least 28 bytes).
    static void mld(Ctx& ctx, Fields& h, const Tvb& tvb, std::uint8_t type) {
        if (type == kMldQuery && tvb.size() >= 28) {
            if (!h.fits(4, 2)) return;
            std::uint32_t mrc = *tvb.be16(4);
            if (mrc >= 32768) mrc = ((mrc & 0x0fff) | 0x1000) << (((mrc & 0x7000) >> 12) + 3);
            ctx.tree.add(kFields[hf_mld_mrc], tvb, 4, 2, mrc);
            h.raw(kFields[hf_reserved], 6, 2);
            h.raw(kFields[hf_mld_mcast], 8, 16);
            h.uint(kFields[hf_mld_flag], 24, 1);
            h.uint(kFields[hf_mld_flag_s], 24, 1);
            h.uint(kFields[hf_mld_flag_qrv], 24, 1);
            h.uint(kFields[hf_mld_flag_rsv], 24, 1);
            if (!h.fits(25, 1)) return;
            std::uint32_t qqi = tvb.data()[25];
            if (qqi >= 128) qqi = ((qqi & 0x0f) | 0x10) << (((qqi & 0x70) >> 4) + 3);
            ctx.tree.add(kFields[hf_mld_qqi], tvb, 25, 1, qqi);
            std::uint64_t n = h.uint(kFields[hf_mld_nb_sources], 26, 2);
            for (std::size_t i = 0; i < n && h.ok(); ++i) h.raw(kFields[hf_mld_source], 28 + 16 * i, 16);
            return;
        }
        h.uint(kFields[hf_mld_mrd], 4, 2);
        h.raw(kFields[hf_reserved], 6, 2);
        h.raw(kFields[hf_mld_mcast], 8, 16);
    }

    // MLDv2 report (RFC 3810 section 5.2): multicast address records.
    static void mldv2_report(Ctx& ctx, Fields& h, const Tvb& tvb) {
        h.raw(kFields[hf_reserved], 4, 2);
        h.uint(kFields[hf_mldr_nb_records], 6, 2);
        std::size_t off = 8;
        while (h.ok() && off < tvb.reported_size()) {
            std::size_t rec = ctx.tree.open(kFields[hf_mldr_mar], tvb, off, 20);
            h.uint(kFields[hf_mldr_record_type], off, 1);
            std::uint64_t aux = h.uint(kFields[hf_mldr_aux_len], off + 1, 1);
            std::uint64_t n = h.uint(kFields[hf_mldr_nb_sources], off + 2, 2);
            h.raw(kFields[hf_mldr_mcast], off + 4, 16);
            std::size_t p = off + 20;
            for (std::size_t i = 0; i < n && h.ok(); ++i, p += 16) h.raw(kFields[hf_mldr_source], p, 16);
            if (aux && h.ok()) h.raw(kFields[hf_mldr_aux_data], p, aux * 4);
            p += aux * 4;
            ctx.tree.close(rec, std::min(p, tvb.size()) - std::min(off, tvb.size()));
            off = p;
        }
    }

    static void router_advert(Ctx& ctx, Fields& h, const Tvb& tvb) {
        h.uint(kFields[hf_ra_hop_limit], 4, 1);
        h.uint(kFields[hf_ra_flag], 5, 1);
        for (std::size_t f = hf_ra_flag_m; f <= hf_ra_flag_rsv; ++f) h.uint(kFields[f], 5, 1);
        h.uint(kFields[hf_ra_lifetime], 6, 2);
        h.uint(kFields[hf_ra_reachable], 8, 4);
        h.uint(kFields[hf_ra_retrans], 12, 4);
        if (h.ok()) options(ctx, tvb, 16);
    }

    static void neighbor_advert(Ctx& ctx, Fields& h, const Tvb& tvb) {
        std::uint64_t flags = h.uint(kFields[hf_na_flag], 4, 4);
        for (std::size_t f = hf_na_flag_r; f <= hf_na_flag_rsv; ++f) h.uint(kFields[f], 4, 4);
        const std::uint8_t* target = h.raw(kFields[hf_na_target], 8, 16);
        if (!target) return;
        if (ctx.want_info) {
            std::string f;
            if (flags & 0x80000000) f += "rtr, ";
            if (flags & 0x40000000) f += "sol, ";
            if (flags & 0x20000000) f += "ovr, ";
            if (f.empty())
                f = "none";
            else
                f.resize(f.size() - 2);
            ctx.pinfo.info += ' ';
            append_ipv6(ctx.pinfo.info, target);
            ctx.pinfo.info += " (" + f + ')';
        }
        options(ctx, tvb, 24);
    }

    // Neighbor discovery options (RFC 4861 section 4.6), from `off` to the end of the message.
    static void options(Ctx& ctx, const Tvb& tvb, std::size_t off) {
        Fields h(ctx, tvb, "ICMPv6 option");
        while (off < tvb.reported_size() && h.fits(off, 2)) {
            std::uint8_t type = tvb.data()[off];
            std::size_t len = std::size_t(tvb.data()[off + 1]) * 8;
            std::size_t opt = ctx.tree.open(kFields[hf_opt], tvb, off, std::max<std::size_t>(len, 2));
            h.uint(kFields[hf_opt_type], off, 1);
            h.uint(kFields[hf_opt_length], off + 1, 1);
            if (len == 0) {
                ctx.tree.close(opt);
                ctx.malformed(tvb, off + 1, 1, "Invalid option length (Zero)");
                return;
            }
            std::size_t used = option(ctx, h, tvb, off, type, len);
            if (!h.ok()) {
                ctx.tree.close(opt);
                return;
            }
            if (used < len) {
                h.raw(kFields[hf_unknown_data], off + used, len - used);
                ctx.note(tvb, off + used, len - used, "Unknown Data (not interpreted)");
            }
            ctx.tree.close(opt);
            off += len;
        }
    }

    // One option's value; returns how many bytes of the option it used.
    static std::size_t option(Ctx& ctx, Fields& h, const Tvb& tvb, std::size_t off, std::uint8_t type,
                              std::size_t len) {
        const std::size_t v = off + 2;
        switch (type) {
            case kOptSrcLinkAddr:
            case kOptTargetLinkAddr: {
                // Wireshark shows a 6-byte address as a MAC address and any other as plain bytes,
                // under the same field names; the other kinds get their text here.
                bool src = type == kOptSrcLinkAddr;
                const FieldDef& own = kFields[src ? hf_opt_src_linkaddr : hf_opt_target_linkaddr];
                if (len == 8) {
                    const std::uint8_t* mac = h.raw(kFields[hf_opt_linkaddr], v, 6);
                    h.hidden(own, v, 6);
                    if (mac && ctx.want_info) {
                        ctx.pinfo.info += src ? " from " : " is at ";
                        append_ether(ctx.pinfo.info, mac);
                    }
                } else if (len == 16 && tvb.has(v + 8, 6) && load_be32(tvb.data() + v + 8) == 0 &&
                           load_be16(tvb.data() + v + 12) == 0) {
                    // An EUI-64 link-layer address (IEEE 802.15.4, FireWire), padded with 6 zeros.
                    if (!h.fits(v, 8)) return len;
                    std::string text = hex(tvb, v, 8, ':');
                    ctx.tree.add_text(kFields[hf_opt_linkaddr_eui64], tvb, v, 8, text);
                    ctx.tree.add_text(kFields[src ? hf_opt_src_linkaddr_eui64 : hf_opt_target_linkaddr_eui64], tvb,
                                      v, 8, text, kHidden);
                    if (src) {
                        ctx.tree.add_text(kFields[hf_opt_linkaddr], tvb, v, 8, hex(tvb, v, 8, 0), kHidden);
                        ctx.tree.add_text(own, tvb, v, 8, hex(tvb, v, 8, 0), kHidden);
                    }
                    ctx.tree.add(kFields[hf_opt_padding], tvb, v + 8, 6, 0);
                    // (Wireshark says "from" for a target EUI-64 address too.)
                    if (ctx.want_info) ctx.pinfo.info += " from " + text;
                } else if (h.fits(v, len - 2)) {
                    ctx.tree.add_text(kFields[hf_opt_linkaddr], tvb, v, len - 2, hex(tvb, v, len - 2, 0));
                    ctx.tree.add_text(own, tvb, v, len - 2, hex(tvb, v, len - 2, 0), kHidden);
                }
                return len;
            }
            case kOptPrefixInfo:
                h.uint(kFields[hf_opt_prefix_len], v, 1);
                h.uint(kFields[hf_opt_prefix_flag], v + 1, 1);
                for (std::size_t f = hf_opt_prefix_flag_l; f <= hf_opt_prefix_flag_reserved; ++f)
                    h.uint(kFields[f], v + 1, 1);
                h.uint(kFields[hf_opt_prefix_valid], v + 2, 4);
                h.uint(kFields[hf_opt_prefix_preferred], v + 6, 4);
                if (h.fits(v + 10, 4)) ctx.tree.add(kFields[hf_opt_reserved], tvb, v + 10, 4, 0);
                h.raw(kFields[hf_opt_prefix], v + 14, 16);
                return 32;
            case kOptRedirected:
                if (h.fits(v, 6)) ctx.tree.add(kFields[hf_opt_reserved], tvb, v, 6, 0);
                if (len > 8) {
                    ctx.tree.add(kFields[hf_opt_redirected], tvb, off + 8, len - 8, 0);
                    contained(ctx, tvb.sub(off + 8, len - 8));
                }
                return len;
            case kOptMtu:
                if (h.fits(v, 2)) ctx.tree.add(kFields[hf_opt_reserved], tvb, v, 2, 0);
                h.uint(kFields[hf_opt_mtu], v + 2, 4);
                return 8;
            case kOptAdvInterval:
                if (h.fits(v, 2)) ctx.tree.add(kFields[hf_opt_reserved], tvb, v, 2, 0);
                h.uint(kFields[hf_opt_adv_interval], v + 2, 4);
                return 8;
            case kOptRouteInfo: {
                h.uint(kFields[hf_opt_prefix_len], v, 1);
                h.uint(kFields[hf_opt_route_flag], v + 1, 1);
                h.uint(kFields[hf_opt_route_pref], v + 1, 1);
                h.uint(kFields[hf_opt_route_reserved], v + 1, 1);
                h.uint(kFields[hf_opt_route_lifetime], v + 2, 4);
                // The prefix is sent only as long as it needs to be (0, 8 or 16 bytes).
                if (len == 16 && h.fits(v + 6, 8)) {
                    std::uint8_t prefix[16] = {};
                    std::copy(tvb.data() + v + 6, tvb.data() + v + 14, prefix);
                    std::string text;
                    append_ipv6(text, prefix);
                    ctx.tree.add_text(kFields[hf_opt_prefix], tvb, v + 6, 8, text);
                } else if (len == 24) {
                    h.raw(kFields[hf_opt_prefix], v + 6, 16);
                }
                return len;
            }
            case kOptRdnss: {
                if (h.fits(v, 2)) ctx.tree.add(kFields[hf_opt_reserved], tvb, v, 2, 0);
                h.uint(kFields[hf_opt_rdnss_lifetime], v + 2, 4);
                std::size_t p = off + 8;
                for (; p < off + len && h.ok(); p += 16) h.raw(kFields[hf_opt_rdnss], p, 16);
                return p - off;
            }
            default:
                h.raw(kFields[hf_data], v, len - 2);
                if (h.ok()) ctx.note(tvb, off, 1, "Dissector for this ICMPv6 option is not implemented in wirelab");
                return len;
        }
    }

    // Bytes as hex, with `sep` between them (0: none).
    static std::string hex(const Tvb& tvb, std::size_t off, std::size_t len, char sep) {
        std::string s;
        char buf[4];
        for (std::size_t i = 0; i < len; ++i) {
            if (i && sep) s += sep;
            std::snprintf(buf, sizeof buf, "%02x", tvb.data()[off + i]);
            s += buf;
        }
        return s;
    }

    EchoTransactions echoes_;
};
}  // namespace

constinit const ProtocolDef kIcmpv6Proto{"icmpv6", "ICMPv6", "Internet Control Message Protocol v6",
                                         OsiLayer::network, TcpIpLayer::internet, "RFC 4443, RFC 4861, RFC 3810",
                                         kFields};

void register_icmpv6(Registry& r) {
    r.add_protocol(kIcmpv6Proto);
    r.add(Table::ip_proto, 58, r.make<Icmpv6>());
}

}  // namespace wirelab::proto
