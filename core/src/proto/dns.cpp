// DNS (RFC 1035, AAAA RFC 3596, EDNS RFC 6891) over UDP and over TCP with its 2-byte length
// prefix (RFC 1035 section 4.2.2, RFC 7766), and the two protocols that reuse its message
// format on ports of their own: mDNS (RFC 6762, udp 5353) and LLMNR (RFC 4795, udp 5355).
//
// Field values follow tshark 4.0 byte for byte, quirks included: names are expanded with the
// same limits (255 octets, 255 pointers), shown the same way ("<Root>", "<Name too long>",
// "<Name contains a pointer that loops>"), and decoding stops where tshark's would.
#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "proto_util.hpp"
#include "wirelab/conversation.hpp"
#include "wirelab/stream.hpp"

namespace wirelab::proto {

extern const ProtocolDef kDnsProto;
extern const ProtocolDef kMdnsProto;
extern const ProtocolDef kLlmnrProto;

namespace {
// What a DNS dissector (any flavour) can put in a packet: its message and nothing else.
constinit const ProtocolDef* const kDnsFamily[] = {&kDnsProto, &kMdnsProto, &kLlmnrProto};

enum : std::size_t {
    hf_dns, hf_length, hf_id, hf_flags, hf_flags_response, hf_flags_opcode, hf_flags_authoritative,
    hf_flags_conflict, hf_flags_truncated, hf_flags_recdesired, hf_flags_tentative, hf_flags_recavail, hf_flags_z,
    hf_flags_authenticated, hf_flags_checkdisable, hf_flags_rcode, hf_count_queries, hf_count_zones,
    hf_count_answers, hf_count_prerequisites, hf_count_auth_rr, hf_count_updates, hf_count_add_rr,
    hf_queries, hf_answers, hf_authorities, hf_additionals, hf_query, hf_rr,
    hf_qry_name, hf_qry_name_len, hf_count_labels, hf_qry_type, hf_qry_class, hf_qry_qu,
    hf_resp_name, hf_srv_service, hf_srv_proto, hf_srv_name, hf_resp_type, hf_resp_class, hf_resp_cache_flush,
    hf_resp_ttl, hf_resp_len, hf_udp_payload_size, hf_ext_rcode, hf_edns0_version, hf_z, hf_z_do, hf_z_reserved,
    hf_a, hf_aaaa, hf_ns, hf_cname, hf_soa_mname, hf_soa_rname, hf_soa_serial, hf_soa_refresh, hf_soa_retry,
    hf_soa_expire, hf_soa_minimum, hf_ptr, hf_hinfo_cpu_length, hf_hinfo_cpu, hf_hinfo_os_length, hf_hinfo_os,
    hf_mx_preference, hf_mx_mail_exchange, hf_txt_length, hf_txt, hf_spf_length, hf_spf, hf_srv_priority, hf_srv_weight, hf_srv_port,
    hf_srv_target, hf_dname, hf_nsec_next, hf_data,
    hf_opt, hf_opt_code, hf_opt_len, hf_opt_data, hf_opt_dau, hf_opt_dhu, hf_opt_n3u, hf_opt_client_family,
    hf_opt_client_netmask, hf_opt_client_scope, hf_opt_client_addr, hf_opt_client_addr4, hf_opt_client_addr6,
    hf_opt_cookie_client, hf_opt_cookie_server, hf_opt_keepalive_timeout, hf_opt_padding, hf_opt_chain_fqdn,
    hf_opt_ext_error_info_code, hf_opt_ext_error_extra_text,
    hf_response_in, hf_response_to, hf_time, hf_retransmit_request_in, hf_retransmit_response_in,
    hf_retransmission, hf_unsolicited, hf_extraneous, hf_extraneous_data, hf_extraneous_length,
    hf_count
};

// RR types (IANA "Resource Record (RR) TYPEs"): the mnemonic for the Info column, the
// description for the tree, as Wireshark names them.
struct RrType {
    std::uint16_t code;
    std::string_view mnemonic;
};
constexpr RrType kTypeMnemonics[] = {
    {0, "Unused"}, {1, "A"}, {2, "NS"}, {3, "MD"}, {4, "MF"}, {5, "CNAME"}, {6, "SOA"}, {7, "MB"}, {8, "MG"},
    {9, "MR"}, {10, "NULL"}, {11, "WKS"}, {12, "PTR"}, {13, "HINFO"}, {14, "MINFO"}, {15, "MX"}, {16, "TXT"},
    {17, "RP"}, {18, "AFSDB"}, {19, "X25"}, {20, "ISDN"}, {21, "RT"}, {22, "NSAP"}, {23, "NSAP-PTR"},
    {24, "SIG"}, {25, "KEY"}, {26, "PX"}, {27, "GPOS"}, {28, "AAAA"}, {29, "LOC"}, {30, "NXT"}, {31, "EID"},
    {32, "NIMLOC"}, {33, "SRV"}, {34, "ATMA"}, {35, "NAPTR"}, {36, "KX"}, {37, "CERT"}, {38, "A6"},
    {39, "DNAME"}, {40, "SINK"}, {41, "OPT"}, {42, "APL"}, {43, "DS"}, {44, "SSHFP"}, {45, "IPSECKEY"},
    {46, "RRSIG"}, {47, "NSEC"}, {48, "DNSKEY"}, {49, "DHCID"}, {50, "NSEC3"}, {51, "NSEC3PARAM"}, {52, "TLSA"},
    {55, "HIP"}, {56, "NINFO"}, {57, "RKEY"}, {58, "TALINK"}, {59, "CDS"}, {60, "CDNSKEY"}, {61, "OPENPGPKEY"},
    {62, "CSYNC"}, {63, "ZONEMD"}, {64, "SVCB"}, {65, "HTTPS"}, {99, "SPF"}, {100, "UINFO"}, {101, "UID"},
    {102, "GID"}, {103, "UNSPEC"}, {104, "NID"}, {105, "L32"}, {106, "L64"}, {107, "LP"}, {108, "EUI48"},
    {109, "EUI64"}, {249, "TKEY"}, {250, "TSIG"}, {251, "IXFR"}, {252, "AXFR"}, {253, "MAILB"}, {254, "MAILA"},
    {255, "ANY"}, {256, "URI"}, {257, "CAA"}, {32768, "TA"}, {32769, "DLV"}, {65281, "WINS"}, {65282, "WINS-R"},
    {65422, "XPF"},
};
constexpr ValueName kTypeNames[] = {
    {0, "Unused"}, {1, "A (Host Address)"}, {2, "NS (authoritative Name Server)"}, {3, "MD (Mail Destination)"},
    {4, "MF (Mail Forwarder)"}, {5, "CNAME (Canonical NAME for an alias)"}, {6, "SOA (Start Of a zone of Authority)"},
    {7, "MB (MailBox domain name)"}, {8, "MG (Mail Group member)"}, {9, "MR (Mail Rename domain)"},
    {10, "NULL RR"}, {11, "WKS (Well Known Service)"}, {12, "PTR (domain name PoinTeR)"},
    {13, "HINFO (host information)"}, {14, "MINFO (Mailbox or mail list information)"},
    {15, "MX (Mail eXchange)"}, {16, "TXT (Text strings)"}, {17, "RP (Responsible Person)"},
    {18, "AFSDB (AFS Data Base location)"}, {19, "X25 (XX.25 PSDN address)"}, {20, "ISDN (ISDN address)"},
    {21, "RT (Route Through)"}, {22, "NSAP (NSAP address)"}, {23, "NSAP-PTR (NSAP domain name pointer)"},
    {24, "SIG (security signature)"}, {25, "KEY (security key)"}, {26, "PX (X.400 mail mapping information)"},
    {27, "GPOS (Geographical Position)"}, {28, "AAAA (IPv6 Address)"}, {29, "LOC (Location Information)"},
    {30, "NXT (Next Domain)"}, {31, "EID (Endpoint Identifier)"}, {32, "NIMLOC (Nimrod Locator)"},
    {33, "SRV (Server Selection)"}, {34, "ATMA (ATM Address)"}, {35, "NAPTR (Naming Authority Pointer)"},
    {36, "KX (Key Exchanger)"}, {37, "CERT"}, {38, "A6 (OBSOLETE - use AAAA)"}, {39, "DNAME"}, {40, "SINK"},
    {41, "OPT"}, {42, "APL"}, {43, "DS (Delegation Signer)"}, {44, "SSHFP (SSH Key Fingerprint)"},
    {45, "IPSECKEY"}, {46, "RRSIG (Resource Record Signature)"}, {47, "NSEC (Next Secure)"},
    {48, "DNSKEY (DNS Public Key)"}, {49, "DHCID"}, {50, "NSEC3"}, {51, "NSEC3PARAM"}, {52, "TLSA"},
    {55, "HIP (Host Identity Protocol)"}, {57, "RKEY"}, {58, "TALINK (Trust Anchor LINK)"}, {59, "CDS (Child DS)"},
    {60, "CDNSKEY (DNSKEY(s) the Child wants reflected in DS)"}, {61, "OPENPGPKEY (OpenPGP Key)"},
    {62, "CSYNC (Child-to-Parent Synchronization)"}, {63, "ZONEMD"},
    {64, "SVCB (General Purpose Service Endpoints)"}, {65, "HTTPS (HTTPS Specific Service Endpoints)"},
    {99, "SPF"}, {100, "UINFO"}, {101, "UID"}, {102, "GID"}, {103, "UNSPEC"}, {104, "NID (NodeID)"},
    {105, "L32 (Locator32)"}, {106, "L64 (Locator64)"}, {107, "LP (Locator FQDN)"}, {108, "EUI48"}, {109, "EUI64"},
    {249, "TKEY (Transaction Key)"}, {250, "TSIG (Transaction Signature)"}, {251, "IXFR (incremental transfer)"},
    {252, "AXFR (transfer of an entire zone)"}, {253, "MAILB (mailbox-related RRs)"},
    {254, "MAILA (mail agent RRs)"}, {255, "* (A request for all records the server/cache has available)"},
    {256, "URI"}, {257, "CAA (Certification Authority Restriction)"}, {32768, "TA (DNSSEC Trust Authorities)"},
    {32769, "DLV (DNSSEC Lookaside Validation)"}, {65281, "WINS"}, {65282, "WINS-R"}, {65422, "XPF"},
};
constexpr ValueName kClasses[] = {{1, "IN"}, {2, "CS"}, {3, "CH"}, {4, "HS"}, {254, "NONE"}, {255, "ANY"}};
constexpr ValueName kOpcodes[] = {{0, "Standard query"}, {1, "Inverse query"}, {2, "Server status request"},
                                  {4, "Zone change notification"}, {5, "Dynamic update"},
                                  {6, "DNS Stateful operations (DSO)"}};
constexpr ValueName kRcodes[] = {
    {0, "No error"}, {1, "Format error"}, {2, "Server failure"}, {3, "No such name"}, {4, "Not implemented"},
    {5, "Refused"}, {6, "Name exists"}, {7, "RRset exists"}, {8, "RRset does not exist"},
    {9, "Not authoritative"}, {10, "Name out of zone"}, {11, "DSO-Type not implemented"},
};
constexpr ValueName kOptCodes[] = {
    {0, "Reserved"}, {1, "LLQ - Long-lived query"}, {2, "UL - Update lease"}, {3, "NSID - Name Server Identifier"},
    {4, "Owner (reserved)"}, {5, "DAU - DNSSEC Algorithm Understood (RFC6975)"},
    {6, "DHU - DS Hash Understood (RFC6975)"}, {7, "N3U - NSEC3 Hash Understood (RFC6975)"},
    {8, "CSUBNET - Client subnet"}, {9, "EDNS EXPIRE (RFC7314)"}, {10, "COOKIE"}, {11, "EDNS TCP Keepalive"},
    {12, "PADDING"}, {13, "CHAIN"}, {15, "Extended DNS Error"}, {20730, "Experimental - CSUBNET - Client subnet"},
};
constexpr ValueName kResponse[] = {{0, "Message is a query"}, {1, "Message is a response"}};
constexpr ValueName kAuthoritative[] = {{0, "Server is not an authority for domain"},
                                        {1, "Server is an authority for domain"}};
constexpr ValueName kConflict[] = {{0, "None"}, {1, "The sender received multiple responses"}};
constexpr ValueName kTruncated[] = {{0, "Message is not truncated"}, {1, "Message is truncated"}};
constexpr ValueName kRecDesired[] = {{0, "Don't do query recursively"}, {1, "Do query recursively"}};
constexpr ValueName kTentative[] = {{0, "Not tentative"}, {1, "Tentative"}};
constexpr ValueName kRecAvail[] = {{0, "Server can't do recursive queries"}, {1, "Server can do recursive queries"}};
constexpr ValueName kZ[] = {{0, "reserved (0)"}, {1, "reserved - incorrect!"}};
constexpr ValueName kAuthenticated[] = {{0, "Answer/authority portion was not authenticated by the server"},
                                        {1, "Answer/authority portion was authenticated by the server (in a "
                                            "query: the client asks to be told)"}};
constexpr ValueName kCheckDisable[] = {{0, "Unacceptable"}, {1, "Acceptable"}};
constexpr ValueName kDo[] = {{0, "Cannot handle DNSSEC security RRs"}, {1, "Accepts DNSSEC security RRs"}};

// The OPT record's options (RFC 6891 section 6.1.2) wirelab takes apart.
enum : std::uint16_t {
    kOptDau = 5, kOptDhu = 6, kOptN3u = 7, kOptClientSubnet = 8, kOptCookie = 10, kOptTcpKeepalive = 11,
    kOptPadding = 12, kOptChain = 13, kOptExtError = 15, kOptClientSubnetOld = 0x50fa
};

#define DNS_FIELD(abbrev, label, type, base, mask, names, explain) \
    {abbrev, label, FieldType::type, Base::base, mask, names, explain, &kDnsProto}

constinit const FieldDef kFields[] = {
    DNS_FIELD("dns", "Domain Name System", protocol, none, 0, {},
              "The Internet's phone book: a client asks a server what a name (www.example.com) maps to, such as "
              "its IPv4 or IPv6 address, and the server answers with resource records."),
    DNS_FIELD("dns.length", "Length", u16, dec, 0, {},
              "Over TCP each DNS message is preceded by its length in 2 bytes, because TCP is a byte stream "
              "that keeps no message boundaries (RFC 1035 section 4.2.2)."),
    DNS_FIELD("dns.id", "Transaction ID", u16, hex, 0, {},
              "A number the client picks for its query; the server copies it into the response so the client "
              "can tell which answer belongs to which question."),
    DNS_FIELD("dns.flags", "Flags", u16, hex, 0, {},
              "Sixteen bits that say whether this is a query or a response, what kind of operation it is and "
              "how it went."),
    DNS_FIELD("dns.flags.response", "Response", boolean, none, 0x8000, kResponse,
              "QR bit: 0 for a query, 1 for a response."),
    DNS_FIELD("dns.flags.opcode", "Opcode", u16, dec, 0x7800, kOpcodes,
              "What kind of request this is; 0 (standard query) is almost always what you see."),
    DNS_FIELD("dns.flags.authoritative", "Authoritative", boolean, none, 0x0400, kAuthoritative,
              "AA bit: the answering server is responsible for this name's zone, not just repeating a cached "
              "answer."),
    DNS_FIELD("dns.flags.conflict", "Conflict", boolean, none, 0x0400, kConflict,
              "LLMNR's C bit: in a query, several hosts answered for this name; in a response, the name is "
              "not known to be unique."),
    DNS_FIELD("dns.flags.truncated", "Truncated", boolean, none, 0x0200, kTruncated,
              "TC bit: the answer did not fit in the UDP datagram and was cut; the client should ask again "
              "over TCP."),
    DNS_FIELD("dns.flags.recdesired", "Recursion desired", boolean, none, 0x0100, kRecDesired,
              "RD bit: the client asks the server to do the whole lookup for it, asking other servers if "
              "needed."),
    DNS_FIELD("dns.flags.tentative", "Tentative", boolean, none, 0x0100, kTentative,
              "LLMNR's T bit: the responder has not finished checking that the name is unique."),
    DNS_FIELD("dns.flags.recavail", "Recursion available", boolean, none, 0x0080, kRecAvail,
              "RA bit: the server is willing to do recursive lookups for clients."),
    DNS_FIELD("dns.flags.z", "Z", boolean, none, 0x0040, kZ, "A reserved bit that must be zero."),
    DNS_FIELD("dns.flags.authenticated", "Answer authenticated", boolean, none, 0x0020, kAuthenticated,
              "AD bit: the server checked the answer's DNSSEC signatures (in a query: the client wants to know "
              "whether it did)."),
    DNS_FIELD("dns.flags.checkdisable", "Non-authenticated data", boolean, none, 0x0010, kCheckDisable,
              "CD bit: the client accepts answers whose DNSSEC signatures the server did not check."),
    DNS_FIELD("dns.flags.rcode", "Reply code", u16, dec, 0x000f, kRcodes,
              "How the query went: 0 no error, 3 the name does not exist (NXDOMAIN), 2 the server failed, 5 it "
              "refused."),
    DNS_FIELD("dns.count.queries", "Questions", u16, dec, 0, {},
              "How many questions follow the header (almost always 1)."),
    DNS_FIELD("dns.count.zones", "Zones", u16, dec, 0, {},
              "In a dynamic update: how many zones are being updated (the question count, renamed)."),
    DNS_FIELD("dns.count.answers", "Answer RRs", u16, dec, 0, {},
              "How many resource records answer the question."),
    DNS_FIELD("dns.count.prerequisites", "Prerequisites", u16, dec, 0, {},
              "In a dynamic update: how many records state what must already be true (the answer count, "
              "renamed)."),
    DNS_FIELD("dns.count.auth_rr", "Authority RRs", u16, dec, 0, {},
              "How many records name the servers responsible for the zone."),
    DNS_FIELD("dns.count.updates", "Updates", u16, dec, 0, {},
              "In a dynamic update: how many records to add or delete (the authority count, renamed)."),
    DNS_FIELD("dns.count.add_rr", "Additional RRs", u16, dec, 0, {},
              "How many extra records come along, such as the addresses of the named servers or the EDNS OPT "
              "record."),
    DNS_FIELD("dns.queries", "Queries", none, none, 0, {},
              "The question section: what the client wants to know."),
    DNS_FIELD("dns.answers", "Answers", none, none, 0, {},
              "The answer section: the records that answer the question."),
    DNS_FIELD("dns.authorities", "Authoritative nameservers", none, none, 0, {},
              "The authority section: records about the servers responsible for the name's zone."),
    DNS_FIELD("dns.additionals", "Additional records", none, none, 0, {},
              "The additional section: records that may help, sent so the client need not ask again."),
    DNS_FIELD("dns.query", "Query", none, none, 0, {},
              "One question: a name, the type of record wanted and a class (IN for the Internet)."),
    DNS_FIELD("dns.rr", "Resource record", none, none, 0, {},
              "One resource record: a name, a type, a class, how long it may be cached and its data."),
    DNS_FIELD("dns.qry.name", "Name", string, none, 0, {},
              "The name being asked about; on the wire each label is preceded by its length and the name ends "
              "with a zero byte."),
    DNS_FIELD("dns.qry.name.len", "Name Length", u16, dec, 0, {},
              "How many characters the name has written out with dots."),
    DNS_FIELD("dns.count.labels", "Label Count", u16, dec, 0, {},
              "How many labels (parts between dots) the name has."),
    DNS_FIELD("dns.qry.type", "Type", u16, dec, 0, kTypeNames,
              "Which kind of record the client wants: A for an IPv4 address, AAAA for IPv6, MX for mail "
              "servers..."),
    DNS_FIELD("dns.qry.class", "Class", u16, hex, 0, kClasses,
              "The network the name belongs to; today always IN, the Internet."),
    DNS_FIELD("dns.qry.qu", "\"QU\" question", boolean, none, 0x8000, {},
              "mDNS: the top bit of the class asks for a unicast answer instead of a multicast one (RFC 6762 "
              "section 5.4)."),
    DNS_FIELD("dns.resp.name", "Name", string, none, 0, {}, "The name this record is about."),
    DNS_FIELD("dns.srv.service", "Service", string, none, 0, {},
              "SRV records are named _service._protocol.domain: this is the service part (RFC 2782)."),
    DNS_FIELD("dns.srv.proto", "Protocol", string, none, 0, {}, "The _protocol part of an SRV record's name."),
    DNS_FIELD("dns.srv.name", "Name", string, none, 0, {}, "The domain part of an SRV record's name."),
    DNS_FIELD("dns.resp.type", "Type", u16, dec, 0, kTypeNames,
              "What kind of data this record holds (A: an IPv4 address, CNAME: another name, ...)."),
    DNS_FIELD("dns.resp.class", "Class", u16, hex, 0, kClasses, "The record's class; IN for the Internet."),
    DNS_FIELD("dns.resp.cache_flush", "Cache flush", boolean, none, 0x8000, {},
              "mDNS: the top bit of the class tells listeners to replace what they cached for this name (RFC "
              "6762 section 10.2)."),
    DNS_FIELD("dns.resp.ttl", "Time to live", u32, dec, 0, {},
              "How many seconds a resolver may keep this record in its cache before asking again."),
    DNS_FIELD("dns.resp.len", "Data length", u16, dec, 0, {},
              "How many bytes of record data (RDATA) follow."),
    DNS_FIELD("dns.rr.udp_payload_size", "UDP payload size", u16, dec, 0, {},
              "EDNS: the largest UDP datagram the sender can receive, so answers may exceed the old 512-byte "
              "limit (RFC 6891 section 6.2.3)."),
    DNS_FIELD("dns.resp.ext_rcode", "Higher bits in extended RCODE", u8, hex, 0, {},
              "EDNS: eight more bits on top of the header's 4-bit reply code."),
    DNS_FIELD("dns.resp.edns0_version", "EDNS0 version", u8, dec, 0, {},
              "The EDNS version the sender speaks (0)."),
    DNS_FIELD("dns.resp.z", "Z", u16, hex, 0, {}, "EDNS flags; only the top bit (DO) is defined."),
    DNS_FIELD("dns.resp.z.do", "DO bit", boolean, none, 0x8000, kDo,
              "DNSSEC OK: the sender wants the DNSSEC signature records with the answer (RFC 3225)."),
    DNS_FIELD("dns.resp.z.reserved", "Reserved", u16, hex, 0x7fff, {}, "EDNS flag bits not yet defined."),
    DNS_FIELD("dns.a", "Address", ipv4, none, 0, {}, "The IPv4 address the name maps to."),
    DNS_FIELD("dns.aaaa", "AAAA Address", ipv6, none, 0, {},
              "The IPv6 address the name maps to (RFC 3596)."),
    DNS_FIELD("dns.ns", "Name Server", string, none, 0, {},
              "A server that holds the authoritative data for the zone."),
    DNS_FIELD("dns.cname", "CNAME", string, none, 0, {},
              "The canonical name: the name asked about is an alias, and the lookup continues with this name."),
    DNS_FIELD("dns.soa.mname", "Primary name server", string, none, 0, {},
              "The zone's primary server, where its data is maintained."),
    DNS_FIELD("dns.soa.rname", "Responsible authority's mailbox", string, none, 0, {},
              "The zone administrator's e-mail address, with the @ written as the first dot."),
    DNS_FIELD("dns.soa.serial_number", "Serial Number", u32, dec, 0, {},
              "The zone's version number; secondary servers copy the zone again when it grows."),
    DNS_FIELD("dns.soa.refresh_interval", "Refresh Interval", u32, dec, 0, {},
              "Seconds between a secondary server's checks for a new serial number."),
    DNS_FIELD("dns.soa.retry_interval", "Retry Interval", u32, dec, 0, {},
              "Seconds a secondary server waits to retry a failed check."),
    DNS_FIELD("dns.soa.expire_limit", "Expire limit", u32, dec, 0, {},
              "Seconds after which a secondary that cannot reach the primary stops answering for the zone."),
    DNS_FIELD("dns.soa.minimum_ttl", "Minimum TTL", u32, dec, 0, {},
              "How long resolvers may cache a 'no such name' answer for this zone (RFC 2308)."),
    DNS_FIELD("dns.ptr.domain_name", "Domain Name", string, none, 0, {},
              "The name a PTR record points to; reverse lookups (x.x.x.x.in-addr.arpa) use it to turn an address "
              "back into a name."),
    DNS_FIELD("dns.hinfo.cpu_length", "CPU Length", u8, dec, 0, {}, "Length of the CPU string."),
    DNS_FIELD("dns.hinfo.cpu", "CPU", string, none, 0, {}, "The host's CPU type, as text."),
    DNS_FIELD("dns.hinfo.os_length", "OS Length", u8, dec, 0, {}, "Length of the OS string."),
    DNS_FIELD("dns.hinfo.os", "OS", string, none, 0, {}, "The host's operating system, as text."),
    DNS_FIELD("dns.mx.preference", "Preference", u16, dec, 0, {},
              "Mail servers with lower numbers are tried first."),
    DNS_FIELD("dns.mx.mail_exchange", "Mail Exchange", string, none, 0, {},
              "A server that accepts e-mail for the domain."),
    DNS_FIELD("dns.txt.length", "TXT Length", u8, dec, 0, {}, "Length of the next text string."),
    DNS_FIELD("dns.txt", "TXT", string, none, 0, {},
              "Free text; used for SPF mail policies, domain ownership checks and, in mDNS, service "
              "key=value pairs."),
    DNS_FIELD("dns.spf.length", "SPF Length", u8, dec, 0, {}, "Length of the next SPF string."),
    DNS_FIELD("dns.spf", "SPF", string, none, 0, {},
              "A Sender Policy Framework rule: which servers may send mail for the domain (RFC 4408; today "
              "published as TXT)."),
    DNS_FIELD("dns.srv.priority", "Priority", u16, dec, 0, {}, "Servers with lower priority are tried first."),
    DNS_FIELD("dns.srv.weight", "Weight", u16, dec, 0, {},
              "Among servers of equal priority, how much of the load this one should get."),
    DNS_FIELD("dns.srv.port", "Port", u16, dec, 0, {}, "The port the service listens on."),
    DNS_FIELD("dns.srv.target", "Target", string, none, 0, {}, "The host that provides the service."),
    DNS_FIELD("dns.dname", "Dname", string, none, 0, {},
              "DNAME redirects a whole subtree of names to another domain (RFC 6672)."),
    DNS_FIELD("dns.nsec.next_domain_name", "Next Domain Name", string, none, 0, {},
              "NSEC: the next name that exists in the zone, which proves the names in between do not (RFC "
              "4034); mDNS uses it to say which record types a name has."),
    DNS_FIELD("dns.data", "Data", bytes, none, 0, {}, "Record data of a type wirelab does not take apart."),
    DNS_FIELD("dns.opt", "Option", none, none, 0, {},
              "One EDNS option: a code, a length and the option's data."),
    DNS_FIELD("dns.opt.code", "Option Code", u16, dec, 0, kOptCodes, "Which EDNS option this is."),
    DNS_FIELD("dns.opt.len", "Option Length", u16, dec, 0, {}, "Length of the option's data."),
    DNS_FIELD("dns.opt.data", "Option Data", bytes, none, 0, {}, "The option's data, as it is."),
    DNS_FIELD("dns.opt.dau", "DAU", u8, dec, 0, {}, "A DNSSEC signing algorithm the client understands."),
    DNS_FIELD("dns.opt.dhu", "DHU", u8, dec, 0, {}, "A DS hash algorithm the client understands."),
    DNS_FIELD("dns.opt.n3u", "N3U", u8, dec, 0, {}, "An NSEC3 hash algorithm the client understands."),
    DNS_FIELD("dns.opt.client.family", "Family", u16, dec, 0, {},
              "Client subnet: the address family (1 IPv4, 2 IPv6) of the client's network (RFC 7871)."),
    DNS_FIELD("dns.opt.client.netmask", "Source Netmask", u8, dec, 0, {},
              "Client subnet: how many leading bits of the client's address are given."),
    DNS_FIELD("dns.opt.client.scope", "Scope Netmask", u8, dec, 0, {},
              "Client subnet: for how many leading bits the answer is valid."),
    DNS_FIELD("dns.opt.client.addr", "Client Subnet", bytes, none, 0, {}, "The client's network, as bytes."),
    DNS_FIELD("dns.opt.client.addr4", "Client Subnet", ipv4, none, 0, {},
              "The client's IPv4 network, so the server can answer with a nearby address."),
    DNS_FIELD("dns.opt.client.addr6", "Client Subnet", ipv6, none, 0, {}, "The client's IPv6 network."),
    DNS_FIELD("dns.opt.cookie.client", "Client Cookie", bytes, none, 0, {},
              "A random value from the client; answers that do not echo it are forged (RFC 7873)."),
    DNS_FIELD("dns.opt.cookie.server", "Server Cookie", bytes, none, 0, {},
              "A value the server gives the client to send back next time, proving it asked before."),
    DNS_FIELD("dns.opt.edns_tcp_keepalive.timeout", "Timeout", u16, dec, 0, {},
              "How long the TCP connection may stay idle, in units of 100 ms (RFC 7828)."),
    DNS_FIELD("dns.opt.padding", "Padding", bytes, none, 0, {},
              "Filler bytes that hide the real length of an encrypted query (RFC 7830)."),
    DNS_FIELD("dns.opt.chain.fqdn", "Closest Trust Point", string, none, 0, {},
              "Where the client's DNSSEC chain of trust starts (RFC 7901)."),
    DNS_FIELD("dns.opt.ext_error.info_code", "Info Code", u16, dec, 0, {},
              "Extended DNS error: a number that says why the query failed in more detail (RFC 8914)."),
    DNS_FIELD("dns.opt.ext_error.extra_text", "Extra Text", string, none, 0, {},
              "Extended DNS error: an explanation for people."),
    DNS_FIELD("dns.response_in", "Response In", framenum, none, 0, {},
              "The frame that carries the answer to this query."),
    DNS_FIELD("dns.response_to", "Request In", framenum, none, 0, {},
              "The frame that carried the query this response answers (same endpoints, same transaction ID)."),
    DNS_FIELD("dns.time", "Time", reltime, none, 0, {},
              "How long the server took to answer: the time between the query and this response."),
    DNS_FIELD("dns.retransmit_request_in", "Retransmitted request. Original request in", framenum, none, 0, {},
              "The client sent this query again without having seen an answer; the first copy is in this "
              "frame."),
    DNS_FIELD("dns.retransmit_response_in", "Retransmitted response. Original response in", framenum, none, 0,
              {}, "The server sent this answer again; the first copy is in this frame."),
    DNS_FIELD("dns.retransmission", "Retransmission", boolean, none, 0, {},
              "This message repeats one sent before."),
    DNS_FIELD("dns.unsolicited", "Unsolicited", boolean, none, 0, {},
              "A response with no query before it in this capture (mDNS announces records this way)."),
    DNS_FIELD("dns.extraneous", "Extraneous Data", none, none, 0, {},
              "Bytes after the last record the header announced: they belong to no part of the message."),
    DNS_FIELD("dns.extraneous.data", "Extraneous Data Bytes", bytes, none, 0, {}, "The bytes left over."),
    DNS_FIELD("dns.extraneous.length", "Extraneous Data Length", i32, dec, 0, {}, "How many bytes are left over."),
};
#undef DNS_FIELD
static_assert(std::size(kFields) == hf_count);

constinit const FieldDef kMdnsFields[] = {
    {"mdns", "Multicast Domain Name System", FieldType::protocol, Base::none, 0, {},
     "DNS without a server: a host asks the whole local network (224.0.0.251 / ff02::fb, port 5353) and the "
     "owner of the name answers; names end in .local.", &kMdnsProto},
};
constinit const FieldDef kLlmnrFields[] = {
    {"llmnr", "Link-local Multicast Name Resolution", FieldType::protocol, Base::none, 0, {},
     "Windows' way to find a host on the local network by name without a DNS server: the question goes to "
     "224.0.0.252 / ff02::1:3, port 5355.", &kLlmnrProto},
};

// ---- text as tshark shows it ---------------------------------------------------------------

constexpr char kHexDigits[] = "0123456789abcdef";

void append_utf8(std::string& out, std::uint32_t uc) {
    if (uc < 0x80) {
        out += static_cast<char>(uc);
    } else if (uc < 0x800) {
        out += static_cast<char>(0xc0 | uc >> 6);
        out += static_cast<char>(0x80 | (uc & 0x3f));
    } else if (uc < 0x10000) {
        out += static_cast<char>(0xe0 | uc >> 12);
        out += static_cast<char>(0x80 | (uc >> 6 & 0x3f));
        out += static_cast<char>(0x80 | (uc & 0x3f));
    } else {
        out += static_cast<char>(0xf0 | uc >> 18);
        out += static_cast<char>(0x80 | (uc >> 12 & 0x3f));
        out += static_cast<char>(0x80 | (uc >> 6 & 0x3f));
        out += static_cast<char>(0x80 | (uc & 0x3f));
    }
}

constexpr std::uint32_t kReplacement = 0xfffd;

// Reads one UTF-8 character at s[i] (advancing i) the permissive way Wireshark's format_text()
// does; kReplacement for what cannot be decoded.
std::uint32_t next_utf8(std::string_view s, std::size_t& i) {
    auto c = static_cast<unsigned char>(s[i++]);
    if (c < 0x80) return c;
    int more = (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : (c & 0xfc) == 0xf8 ? 4
             : (c & 0xfe) == 0xfc ? 5 : -1;
    if (more < 0) return kReplacement;
    std::uint32_t uc = c & (0x3f >> more);
    for (int k = 0; k < more; ++k) {
        if (i >= s.size()) return kReplacement;
        auto d = static_cast<unsigned char>(s[i]);
        if ((d & 0xc0) != 0x80) return kReplacement;  // re-read as the start of the next character
        ++i;
        uc = uc << 6 | (d & 0x3f);
    }
    if (uc >= 0x110000 || (uc >= 0xd800 && uc < 0xe000)) return kReplacement;
    return uc;
}

// Close enough to GLib's g_unichar_isprint() for packet text: controls, format characters,
// surrogates and non-characters are not printable.
bool printable(std::uint32_t uc) {
    if (uc < 0x20 || (uc >= 0x7f && uc < 0xa0) || uc == 0xad) return false;
    if ((uc >= 0x200b && uc <= 0x200f) || (uc >= 0x2028 && uc <= 0x202e) || (uc >= 0x2060 && uc <= 0x206f))
        return false;
    if (uc == 0xfeff || (uc & 0xfffe) == 0xfffe || (uc >= 0xfff9 && uc <= 0xfffb)) return false;
    return true;
}

bool printable_ascii(char c) { return c >= 0x20 && c < 0x7f; }

// Whether every byte of `s` is printable ASCII, eight bytes at a time (every name shown is
// checked). In a 64-bit word x, with L = 0x0101...01 and H = 0x8080...80, some byte is below
// 0x20 exactly when (x - 0x20 * L) & ~x & H is not zero (the subtraction borrows into that
// byte's top bit), and some byte is above 0x7e exactly when ((x + 0x01 * L) | x) & H is not
// zero (0x7f + 1 reaches the top bit; bytes of 0x80 and up have it already).
bool all_printable_ascii(std::string_view s) {
    constexpr std::uint64_t kLow = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
    std::size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
        std::uint64_t x;
        std::memcpy(&x, s.data() + i, 8);
        if (((x - 0x20 * kLow) & ~x & kHigh) | (((x + kLow) | x) & kHigh)) return false;
    }
    for (; i < s.size(); ++i)
        if (!printable_ascii(s[i])) return false;
    return true;
}

// Wireshark's format_text(): printable characters as they are, control characters as C escapes
// (\n, \001), other unprintable characters as \uXXXX. Names go through it before display.
void append_format_text(std::string& out, std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        // Nearly every name is printable ASCII only: copy such a run in one piece.
        std::size_t run = i;
        while (run < s.size() && printable_ascii(s[run])) ++run;
        out.append(s.substr(i, run - i));
        i = run;
        if (i == s.size()) break;
        std::uint32_t uc = next_utf8(s, i);
        if (printable(uc)) {
            append_utf8(out, uc);
            continue;
        }
        if (uc < 0x80) {
            out += '\\';
            switch (uc) {
                case '\a': out += 'a'; break;
                case '\b': out += 'b'; break;
                case '\f': out += 'f'; break;
                case '\n': out += 'n'; break;
                case '\r': out += 'r'; break;
                case '\t': out += 't'; break;
                case '\v': out += 'v'; break;
                default:
                    out += static_cast<char>('0' + (uc >> 6 & 3));
                    out += static_cast<char>('0' + (uc >> 3 & 7));
                    out += static_cast<char>('0' + (uc & 7));
            }
            continue;
        }
        out += uc <= 0xffff ? "\\u" : "\\U";
        for (int shift = uc <= 0xffff ? 12 : 28; shift >= 0; shift -= 4) out += kHexDigits[uc >> shift & 0xf];
    }
}

// A character string of the record data as tshark prints it: up to the first NUL, bytes above
// 0x7f replaced (ASCII) or invalid sequences replaced (UTF-8, mDNS), and tab, CR and LF written
// as \t, \r, \n as tshark's field output does, so that a value never breaks its line.
std::string record_string(Bytes b, bool utf8) {
    std::string out;
    std::string_view s(reinterpret_cast<const char*>(b.data()), b.size());
    s = s.substr(0, s.find('\0'));
    for (std::size_t i = 0; i < s.size();) {
        // ASCII other than tab, CR and LF stays as it is: copy such a run in one piece.
        std::size_t run = i;
        while (run < s.size() && static_cast<unsigned char>(s[run]) < 0x80 && s[run] != '\t' && s[run] != '\r' &&
               s[run] != '\n')
            ++run;
        out.append(s.substr(i, run - i));
        i = run;
        if (i == s.size()) break;
        std::uint32_t uc;
        if (utf8) {
            uc = next_utf8(s, i);
        } else {
            uc = static_cast<unsigned char>(s[i++]);
            if (uc >= 0x80) uc = kReplacement;
        }
        switch (uc) {
            case '\t': out += "\\t"; break;
            case '\r': out += "\\r"; break;
            case '\n': out += "\\n"; break;
            default: append_utf8(out, uc);
        }
    }
    return out;
}

// The mnemonics of the codes below 256 (every common type) by code: every question and record
// asks, and the Info column too.
constexpr auto kSmallTypeMnemonics = [] {
    std::array<std::string_view, 256> t{};
    for (const RrType& r : kTypeMnemonics)
        if (r.code < t.size()) t[r.code] = r.mnemonic;
    return t;
}();

std::string_view type_mnemonic(std::uint16_t type) {
    if (type < kSmallTypeMnemonics.size()) return kSmallTypeMnemonics[type];
    // kTypeMnemonics is sorted by code: a binary search for the rest.
    const RrType* t = std::lower_bound(std::begin(kTypeMnemonics), std::end(kTypeMnemonics), type,
                                       [](const RrType& a, std::uint16_t code) { return a.code < code; });
    return t != std::end(kTypeMnemonics) && t->code == type ? t->mnemonic : std::string_view{};
}

void append_type(std::string& out, std::uint16_t type) {
    std::string_view m = type_mnemonic(type);
    if (!m.empty()) {
        out += m;
        return;
    }
    out += "Unknown (";
    append_uint(out, type);
    out += ')';
}

constexpr std::size_t kLongestMnemonic = [] {
    std::size_t n = 0;
    for (const RrType& r : kTypeMnemonics) n = std::max(n, r.mnemonic.size());
    return n;
}();

// " A" (" A " with `space_after`) for the Info column: a known type in one append.
void append_info_type(std::string& out, std::uint16_t type, bool space_after) {
    std::string_view m = type_mnemonic(type);
    if (m.empty()) {
        out += ' ';
        append_type(out, type);
        if (space_after) out += ' ';
        return;
    }
    char buf[kLongestMnemonic + 2];
    buf[0] = ' ';
    std::memcpy(buf + 1, m.data(), m.size());
    buf[m.size() + 1] = ' ';
    out.append(buf, m.size() + 1 + space_after);
}

std::string_view name_of(std::span<const ValueName> names, std::uint64_t v, std::string_view fallback) {
    for (const ValueName& n : names)
        if (n.value == v) return n.name;
    return fallback;
}

// ---- names (RFC 1035 section 3.1 and 4.1.4) ------------------------------------------------

constexpr int kMaxNameOctets = 255;   // RFC 1035 section 3.1; tshark's MAX_DNAME_LEN
constexpr int kMaxPointers = 255;     // tshark follows at most this many pointers in one name
constexpr int kMinNameWire = 2;       // tshark's MIN_DNAME_LEN
// Bytes of names walked for one message before giving up: legitimate messages stay far below
// (every name is at most 255 octets), while a crafted one could make each of thousands of names
// wander through the whole message.
constexpr std::size_t kNameWorkLimit = std::size_t(16) << 20;

enum class NameError : std::uint8_t {
    none,
    truncated,        // the capture ends inside the name
    label_past_end,   // a label runs past the end of the message
    pointer_past_end, // a compression pointer points past the end of the message
    bad_label_type,   // label type 10 (0x80) is reserved
    bad_extended,     // an unknown extended label where the name starts
    empty,            // a name of several bytes that spells nothing
    work_limit,
};

// The text of an expanded name. It never exceeds 255 octets (read_name stops adding when the
// name's room is used up, RFC 1035 section 3.1), so it lives in a fixed buffer inside the Name:
// reading a name allocates nothing, however long it is. A name whose text nobody reads (no
// field of it shown, no Info column) only counts its octets: its size and first character
// decide the same errors, and view() is then not called.
class NameText {
public:
    explicit NameText(bool copy = true) : copy_(copy) {}
    bool empty() const { return size_ == 0; }
    std::size_t size() const { return size_; }
    char front() const { return first_; }
    std::string_view view() const { return {buf_.data(), size_}; }

    void append(std::string_view s) {
        std::size_t n = std::min(s.size(), buf_.size() - size_);  // never past the buffer
        if (n == 0) return;
        if (size_ == 0) first_ = s[0];
        if (copy_) std::copy_n(s.data(), n, buf_.data() + size_);
        size_ += n;
    }
    void push_back(char c) { append(std::string_view(&c, 1)); }
    void assign(std::string_view s) {
        size_ = 0;
        append(s);
    }

private:
    std::array<char, kMaxNameOctets + 1> buf_;  // left uninitialised: only the first size_ are read
    std::size_t size_ = 0;
    char first_ = 0;
    bool copy_;
};

struct Name {
    explicit Name(bool copy_text = true) : text(copy_text) {}
    NameText text;              // the expanded name (labels joined by '.'), or tshark's <...> text
    std::size_t text_len = 0;   // tshark's name_len: octets of labels and dots
    std::size_t wire = 0;       // octets the name occupies where it is written
    NameError error = NameError::none;
    std::size_t error_at = 0;
    bool loop = false;          // "<Name contains a pointer that loops>"
    bool loop_quirk = false;    // ...said of a pointer to 2 bytes past its own end (tshark's check)
    bool too_long = false;      // "<Name too long>"
    std::size_t forward_at = SIZE_MAX;  // a pointer that does not point back

    // The name as shown (through format_text). Nearly every name is printable ASCII, which
    // format_text leaves as it is: then the name's own text is the answer and nothing is
    // copied; `scratch` holds the escaped text of the others.
    std::string_view display(std::string& scratch) const {
        std::string_view name = text.view().substr(0, text_len);
        if (all_printable_ascii(name)) return name;
        scratch.clear();
        append_format_text(scratch, name);
        return scratch;
    }
    // Labels in the name: dots plus one, 0 for a name of at most one character.
    std::size_t labels() const {
        if (text_len <= 1) return 0;
        std::string_view name = text.view().substr(0, text_len);
        return 1 + static_cast<std::size_t>(std::count(name.begin(), name.end(), '.'));
    }
};

// Expands the name at `start` of message `m`, following compression pointers, with tshark's
// limits and results (epan/dissectors/packet-dns.c, expand_dns_name and get_dns_name).
// Writes into `n`, a fresh Name, rather than returning one: the caller's Name is filled in
// place, and its 256-byte buffer is not copied on the way out.
void expand_name(const Tvb& m, std::size_t start, std::size_t& budget, Name& n) {
    std::size_t off = start;
    long len = -1;  // octets at `start`, known at the first pointer
    int pointers = 0;
    int room = kMaxNameOctets;  // octets left for the expanded name
    // Pointer targets followed so far; only the first `pointers` are read, so the array is
    // left uninitialised (filling its 512 bytes cost more than reading a whole name).
    std::array<std::uint16_t, kMaxPointers + 1> targets;
    bool at_target = false;
    auto fail = [&](NameError e, std::size_t at) {
        n.error = e;
        n.error_at = at;
    };
    auto past = [&](std::size_t at, std::size_t need, NameError beyond) {
        return at + need > m.reported_size() ? beyond : NameError::truncated;
    };
    // Text of a bitstring label, which tshark writes with snprintf into what room is left.
    auto put = [&](std::string_view s) {
        if (room <= 0) return;
        if (static_cast<int>(s.size()) < room) {
            n.text.append(s);
            room -= static_cast<int>(s.size());
        } else if (static_cast<int>(s.size()) == room) {
            n.text.append(s.substr(0, s.size() - 1));
            n.text.push_back('\0');
            room = 0;
        } else {
            room = 0;
        }
    };
    std::size_t walked = 0;
    for (;;) {
        auto c = m.u8(off);
        if (!c) return fail(past(off, 1, at_target ? NameError::pointer_past_end : NameError::label_past_end), off);
        at_target = false;
        ++off;
        if (*c == 0) break;
        switch (*c & 0xc0) {
            case 0x00: {  // a label: length, then that many octets
                if (!n.text.empty()) {
                    if (room > 0) {
                        n.text.push_back('.');
                        ++n.text_len;
                        --room;
                    }
                } else {
                    --room;  // the first label's length octet
                }
                std::size_t count = *c;
                if (!m.has(off, count)) return fail(past(off, count, NameError::label_past_end), off - 1);
                // The label's octets, as many as the room left for the name takes.
                std::size_t take = std::min(count, static_cast<std::size_t>(std::max(room, 0)));
                n.text.append(std::string_view(reinterpret_cast<const char*>(m.data()) + off, take));
                n.text_len += take;
                room -= static_cast<int>(take);
                off += count;
                walked += count + 1;
                break;
            }
            case 0x40: {  // extended label (RFC 6891 section 5); only bitstrings (RFC 2673) are known
                if ((*c & 0x3f) == 0x01) {
                    auto bits = m.u8(off);
                    if (!bits) return fail(past(off, 1, NameError::label_past_end), off);
                    ++off;
                    int bit_count = *bits;
                    int label_len = (bit_count - 1) / 8 + 1;
                    put("\\[x");
                    for (int i = 0; i < label_len; ++i, ++off) {
                        if (room <= 0) continue;
                        auto b = m.u8(off);
                        if (!b) return fail(past(off, 1, NameError::label_past_end), off);
                        char hex[2] = {kHexDigits[*b >> 4], kHexDigits[*b & 0xf]};
                        put(std::string_view(hex, 2));
                    }
                    put("/" + std::to_string(bit_count) + "]");
                    walked += 2 + static_cast<std::size_t>(label_len);
                    break;
                }
                n.text.assign("<Unknown extended label>");
                n.text_len = n.text.size();
                len = static_cast<long>(off) - static_cast<long>(start);
                if (len < kMinNameWire) return fail(NameError::bad_extended, off - 1);
                n.wire = static_cast<std::size_t>(len);
                return;
            }
            case 0x80: return fail(NameError::bad_label_type, off - 1);
            default: {  // 0xc0: a pointer to where the rest of the name is written
                auto low = m.u8(off);
                if (!low) return fail(past(off, 1, NameError::label_past_end), off);
                std::size_t target = std::size_t(*c & 0x3f) << 8 | *low;
                ++off;
                walked += 2;
                if (len < 0) len = static_cast<long>(off - start);
                if (target >= off - 2 && n.forward_at == SIZE_MAX) n.forward_at = off - 2;
                // tshark calls a pointer to 2 bytes past its own end a loop (meaning to catch a
                // pointer to itself), and any name that needs more than 255 pointers. A target
                // seen before is a loop for certain: tshark would go round until the 256th.
                bool seen = false;
                for (int i = 0; i < pointers; ++i) seen |= targets[static_cast<std::size_t>(i)] == target;
                targets[static_cast<std::size_t>(pointers)] = static_cast<std::uint16_t>(target);
                ++pointers;
                if (target == off + 2 || pointers > kMaxPointers || seen) {
                    n.loop = true;
                    n.loop_quirk = target == off + 2 && !seen;
                    n.text.assign("<Name contains a pointer that loops>");
                    n.text_len = n.text.size();
                    n.wire = static_cast<std::size_t>(len);
                    return;
                }
                off = target;
                at_target = true;
                break;
            }
        }
        if (walked > budget) return fail(NameError::work_limit, off);
    }
    budget -= std::min(budget, walked);
    if (room <= 0) {
        n.too_long = true;
        n.text.assign("<Name too long>");
        n.text_len = n.text.size();
    }
    if (len < 0) len = static_cast<long>(off - start);
    n.wire = static_cast<std::size_t>(len);
    bool blank = n.text.empty() || n.text.front() == '\0';
    if (blank && len <= kMinNameWire) {
        n.text.assign("<Root>");
        n.text_len = n.text.size();
        return;
    }
    if (len < kMinNameWire || (len > kMinNameWire && n.text_len == 0)) return fail(NameError::empty, start);
    return;
}

// `text`: whether the name's text is read (see NameText).
Name read_name(const Tvb& m, std::size_t start, std::size_t& budget, bool text) {
    Name n(text);
    expand_name(m, start, budget, n);
    return n;
}

// ---- request/response matching -------------------------------------------------------------

// A query and its response: same conversation (addresses and ports), same transaction ID.
struct TxKey {
    ConversationKey conv;
    std::uint16_t id = 0;
    bool tcp = false;
    bool operator==(const TxKey&) const = default;
};
struct TxKeyHash {
    std::size_t operator()(const TxKey& k) const {
        // Mixed after the ID goes in, so that the low bits (the table's slot) depend on every
        // bit: the ID times an odd number alone leaves the lowest bit to `tcp`, which would
        // leave half the slots unused.
        std::uint64_t h = (ConversationKeyHash{}(k.conv) ^ (std::uint64_t(k.id) << 1 | k.tcp)) * 0x9e3779b97f4a7c15ull;
        return static_cast<std::size_t>(h ^ h >> 32);
    }
};
struct Transaction {
    std::uint32_t req_frame = 0, rep_frame = 0;
    std::int64_t req_ns = 0;
    bool multiple_responds = false;  // AXFR / IXFR: several responses are normal
};

// The open transactions, in an open-addressed table: every DNS message looks one up, and a
// table of nodes (std::unordered_map) cost a cache miss for the bucket and another for the
// node. The table starts small and doubles up to kSlots. Its slots (80 bytes) outgrow the
// caches and are visited at random, so a probe walks a parallel array of 16-bit tags (the
// hash's top bits; 0: empty), which stays in cache, and reads a slot only when its tag matches:
// a new query, the common case, then touches no slot until it is stored.
class Transactions {
public:
    void clear() {
        slots_.clear();
        tags_.clear();
        used_ = 0;
    }
    Transaction* find(const TxKey& k) {
        if (slots_.empty()) return nullptr;
        std::size_t i = probe(k, TxKeyHash{}(k));
        return tags_[i] ? &slots_[i].t : nullptr;
    }
    Transaction& start(const TxKey& k, const Transaction& t) {
        if (used_ >= kMaxTransactions) clear();  // bounded memory on endless captures
        if (2 * (used_ + 1) > slots_.size()) grow();
        const std::size_t h = TxKeyHash{}(k);
        std::size_t i = probe(k, h);
        if (!tags_[i]) {
            tags_[i] = tag_of(h);
            slots_[i].key = k;
            ++used_;
        }
        slots_[i].t = t;
        return slots_[i].t;
    }

private:
    struct Slot {
        TxKey key;
        Transaction t;
    };
    static constexpr std::size_t kMaxTransactions = 1 << 16;
    static constexpr std::size_t kSlots = 2 * kMaxTransactions;  // ~10 MiB at most

    static std::uint16_t tag_of(std::size_t h) { return static_cast<std::uint16_t>(h >> 48 | 1); }
    // The index of the slot holding `k` (whose hash is `h`), or of the free slot where it
    // would go (the table is never full).
    std::size_t probe(const TxKey& k, std::size_t h) const {
        const std::size_t mask = slots_.size() - 1;
        const std::uint16_t tag = tag_of(h);
        for (std::size_t i = h & mask;; i = (i + 1) & mask)
            if (!tags_[i] || (tags_[i] == tag && slots_[i].key == k)) return i;
    }
    void grow() {
        std::vector<Slot> old = std::move(slots_);
        std::vector<std::uint16_t> old_tags = std::move(tags_);
        std::size_t n = std::clamp<std::size_t>(old.size() * 2, 1024, kSlots);
        slots_.assign(n, Slot{});
        tags_.assign(n, 0);
        for (std::size_t j = 0; j < old.size(); ++j) {
            if (!old_tags[j]) continue;
            std::size_t i = probe(old[j].key, TxKeyHash{}(old[j].key));
            tags_[i] = old_tags[j];
            slots_[i] = old[j];
        }
    }

    std::vector<Slot> slots_;
    std::vector<std::uint16_t> tags_;
    std::size_t used_ = 0;
};

// tshark's default "retransmission_timer": the same ID again within this time is a resend.
constexpr std::int64_t kRetransmissionNs = 10'000'000'000;

enum class Flavor : std::uint8_t { dns, mdns, llmnr };

// ---- one message ---------------------------------------------------------------------------

class Message {
public:
    Message(Ctx& ctx, const Tvb& m, Flavor flavor, bool info)
        : ctx_(ctx), m_(m), flavor_(flavor), mdns_(flavor == Flavor::mdns), info_(info),
          show_(ctx.tree.keeps_fields()), names_(show_ || info || ctx.want_tree_text) {}

    void decode(Transactions& tx, bool tcp, proto::Layer& layer) {
        auto id = m_.be16(0), flags = m_.be16(2);
        if (!id || !flags) {
            need(0, 4, "DNS header");  // like tshark, nothing is shown before both are read
            return;
        }
        bool response = *flags & 0x8000;
        unsigned opcode = *flags >> 11 & 0xf, rcode = *flags & 0xf;
        if (info_) {
            // "Standard query response 0x1a2b No such name": opcode and rcode names are under 30
            // characters, the unknown ones under 25.
            InfoText<128> t;
            std::string_view op = name_of(kOpcodes, opcode, {});
            if (op.empty())
                t.put("Unknown operation (").put_uint(opcode).put(')');
            else
                t.put(op);
            if (response) t.put(" response");
            t.put(" 0x");
            for (int shift = 12; shift >= 0; shift -= 4) t.put(kHexDigits[*id >> shift & 0xf]);
            if (response && rcode != 0) {
                t.put(' ');
                std::string_view rc = name_of(kRcodes, rcode, {});
                if (rc.empty())
                    t.put("Unknown error (").put_uint(rcode).put(')');
                else
                    t.put(rc);
            }
            t.append_to(ctx_.pinfo.info);
        }
        layer.set_summary(response ? " (response)" : " (query)");
        Match match = track(tx, tcp, static_cast<std::uint16_t>(*id), response);

        add(hf_id, 0, 2, *id);
        std::size_t flag_tree = ctx_.tree.open(kFields[hf_flags], m_, 2, 2);
        ctx_.tree.set_value(flag_tree, *flags);
        if (show_) flag_bits(*flags, response);
        ctx_.tree.close(flag_tree);
        bool update = opcode == 5;  // RFC 2136: the sections are zone, prerequisites, updates
        std::uint16_t counts[4] = {};
        const std::size_t count_fields[4] = {update ? hf_count_zones : hf_count_queries,
                                             update ? hf_count_prerequisites : hf_count_answers,
                                             update ? hf_count_updates : hf_count_auth_rr, hf_count_add_rr};
        for (std::size_t i = 0; i < 4; ++i) {
            if (!need(4 + 2 * i, 2, "DNS header")) return;
            counts[i] = *m_.be16(4 + 2 * i);
            add(count_fields[i], 4 + 2 * i, 2, counts[i]);
        }

        std::size_t off = 12;
        if (counts[0] > 0) {
            std::size_t section = open(hf_queries, off);
            bool multiple = false;
            for (unsigned i = 0; i < counts[0] && !stopped_; ++i) off += query(off, multiple);
            close(section, off);
            if (stopped_) return;
            match.trans().multiple_responds = multiple;
        }
        const std::size_t sections[3] = {hf_answers, hf_authorities, hf_additionals};
        for (std::size_t k = 0; k < 3; ++k) {
            if (counts[k + 1] == 0) continue;
            std::size_t section = open(sections[k], off);
            for (unsigned i = 0; i < counts[k + 1] && !stopped_; ++i) off += record(off);
            close(section, off);
            if (stopped_) return;
        }

        show_match(match, response);
        // Bytes after the last record the counts announce.
        if (off < m_.reported_size()) {
            std::size_t extra = m_.reported_size() - off;
            if (!need(off, extra, "extraneous data")) return;
            std::size_t sub = ctx_.tree.open(kFields[hf_extraneous], m_, off, extra);
            ctx_.tree.add(kFields[hf_extraneous_data], m_, off, extra, 0);
            ctx_.tree.add(kFields[hf_extraneous_length], m_, 0, 0, static_cast<std::uint32_t>(extra), kGenerated);
            ctx_.tree.close(sub);
        }
    }

private:
    // The flag bits, each a field of its own.
    void flag_bits(std::uint16_t flags, bool response) {
        bits(hf_flags_response, flags);
        bits(hf_flags_opcode, flags);
        if (flavor_ == Flavor::llmnr) {
            bits(hf_flags_conflict, flags);
            bits(hf_flags_truncated, flags);
            bits(hf_flags_tentative, flags);
            if (response) bits(hf_flags_rcode, flags);
        } else {
            if (response) bits(hf_flags_authoritative, flags);
            bits(hf_flags_truncated, flags);
            bits(hf_flags_recdesired, flags);
            if (response) bits(hf_flags_recavail, flags);
            bits(hf_flags_z, flags);
            // In a query the AD bit shows only when set (RFC 6840 section 5.7: "I understand AD").
            if (response || (flags & 0x0020)) bits(hf_flags_authenticated, flags);
            bits(hf_flags_checkdisable, flags);
            if (response) bits(hf_flags_rcode, flags);
        }
    }

    struct Match {
        Transaction* table = nullptr;  // the exchange in the table; none for a message with no partner
        Transaction local;
        bool retransmission = false;
        bool in_error = false;
        Transaction& trans() { return table ? *table : local; }
    };

    // Updates the query/response table the way tshark's single pass does.
    Match track(Transactions& tx, bool tcp, std::uint16_t id, bool response) {
        Match r;
        const PacketInfo& p = ctx_.pinfo;
        r.in_error = p.in_error_packet;
        std::uint32_t frame = p.frame ? static_cast<std::uint32_t>(p.frame->number) : 0;
        std::int64_t now = p.frame ? p.frame->ts_ns : 0;
        r.local.req_ns = now;
        if (r.in_error) return r;  // a DNS message quoted in an ICMP error is no new exchange
        bool src_is_a = true;
        TxKey key{ConversationKey::make(p.net_src, p.src_port, p.net_dst, p.dst_port, src_is_a), id, tcp};
        Transaction* t = tx.find(key);
        if (!response) {
            if (t && t->rep_frame == 0 && now - t->req_ns < kRetransmissionNs) {
                r.retransmission = true;
                r.table = t;
            } else {
                r.table = &tx.start(key, Transaction{frame, 0, now, false});
            }
        } else if (t) {
            r.table = t;
            if (t->rep_frame == 0)
                t->rep_frame = frame;
            else if (!t->multiple_responds)
                r.retransmission = true;
        }
        return r;
    }

    void show_match(Match& r, bool response) {
        const Transaction& t = r.trans();
        auto gen = [&](std::size_t f, std::uint64_t v) { ctx_.tree.add(kFields[f], m_, 0, 0, v, kGenerated); };
        if (!response) {
            if (r.retransmission && t.req_frame && !r.in_error) {
                gen(hf_retransmit_request_in, t.req_frame);
                gen(hf_retransmission, 1);
            } else if (t.rep_frame) {
                gen(hf_response_in, t.rep_frame);
            }
            return;
        }
        if (t.req_frame) {
            if (r.retransmission && t.rep_frame && !r.in_error) {
                gen(hf_retransmit_response_in, t.rep_frame);
                gen(hf_retransmission, 1);
            } else {
                gen(hf_response_to, t.req_frame);
                std::int64_t now = ctx_.pinfo.frame ? ctx_.pinfo.frame->ts_ns : 0;
                gen(hf_time, static_cast<std::uint64_t>(now - t.req_ns));
            }
        } else if (!r.retransmission) {
            gen(hf_unsolicited, 1);
        }
    }

    // One question: name, type, class (RFC 1035 section 4.1.2). Returns its length.
    std::size_t query(std::size_t off, bool& multiple) {
        Name name = read_name(m_, off, budget_, names_);
        if (!name_ok(name, off)) return 0;
        std::size_t at = off + name.wire;
        if (!need(at, 4, "DNS question")) return 0;
        auto type = *m_.be16(at);
        std::uint16_t cls = *m_.be16(at + 2);
        bool qu = mdns_ && (cls & 0x8000);
        if (mdns_) cls &= 0x7fff;
        if (type == 251 || type == 252) multiple = true;  // IXFR, AXFR
        std::string scratch;
        std::string_view shown = names_ ? name.display(scratch) : std::string_view{};
        if (info_) {
            std::string& s = ctx_.pinfo.info;
            append_info_type(s, type, true);
            s += shown;
            if (mdns_) s += qu ? ", \"QU\" question" : ", \"QM\" question";
        }
        name_notes(name, off);
        std::size_t q = ctx_.tree.open(kFields[hf_query], m_, off, name.wire + 4);
        // The heading of the query's subtree (and of each record's, below) is shown only by -V,
        // JSON and the viewer: built only for them.
        if (ctx_.want_tree_text) {
            std::string head(shown);
            head += ": type ";
            append_type(head, type);
            head += ", class ";
            head += name_of(kClasses, cls, "Unknown");
            if (mdns_) head += qu ? ", \"QU\" question" : ", \"QM\" question";
            ctx_.tree.set_text(q, head);
        }
        if (show_) {
            ctx_.tree.add_text(kFields[hf_qry_name], m_, off, name.wire, shown);
            ctx_.tree.add(kFields[hf_qry_name_len], m_, off, name.wire, name.text_len > 1 ? name.text_len : 0,
                          kGenerated);
            ctx_.tree.add(kFields[hf_count_labels], m_, off, name.wire, name.labels(), kGenerated);
            add(hf_qry_type, at, 2, type);
            add(hf_qry_class, at + 2, 2, cls);
            if (mdns_) add(hf_qry_qu, at + 2, 2, qu);
        }
        ctx_.tree.close(q);
        return name.wire + 4;
    }

    // One resource record (RFC 1035 section 4.1.3). Returns its length.
    std::size_t record(std::size_t off) {
        Name name = read_name(m_, off, budget_, names_);
        if (!name_ok(name, off)) return 0;
        std::size_t at = off + name.wire;
        if (!need(at, 10, "DNS resource record")) return 0;
        auto type = *m_.be16(at);
        std::uint16_t cls = *m_.be16(at + 2);
        bool flush = mdns_ && (cls & 0x8000);
        if (mdns_) cls &= 0x7fff;
        std::uint16_t rdlength = *m_.be16(at + 8);
        std::size_t rdata = at + 10;
        if (info_) {
            append_info_type(ctx_.pinfo.info, type, false);
            if (flush) ctx_.pinfo.info += ", cache flush";
        }
        name_notes(name, off);
        // tshark adds the record's subtree with its whole length first: a record that runs past
        // the captured bytes shows nothing but its type in the Info column.
        if (!need(off, name.wire + 10 + rdlength, "DNS resource record")) return 0;
        std::string scratch;
        std::string_view shown = names_ ? name.display(scratch) : std::string_view{};
        std::size_t rr = ctx_.tree.open(kFields[hf_rr], m_, off, name.wire + 10 + rdlength);
        std::string head;
        if (ctx_.want_tree_text) {
            head = shown;
            head += ": type ";
            append_type(head, type);
            if (type != 41) {
                head += ", class ";
                head += name_of(kClasses, cls, "Unknown");
            }
            if (flush) head += ", cache flush";
        }
        if (show_) record_header(type, off, name.wire, shown, at, cls, flush, rdlength);
        if (rdlength > 0) rdata_of(type, rdata, rdlength, head);
        if (ctx_.want_tree_text) ctx_.tree.set_text(rr, head);
        ctx_.tree.close(rr);
        return name.wire + 10 + rdlength;
    }

    // The fields of a record's header, which are only shown: owner, type, class, TTL, length
    // (the OPT pseudo-record reuses class and TTL for its own fields).
    void record_header(std::uint16_t type, std::size_t off, std::size_t wire, std::string_view shown, std::size_t at,
                       std::uint16_t cls, bool flush, std::uint16_t rdlength) {
        if (type == 41) {
            opt_header(off, shown, at);
            return;
        }
        owner(type, off, wire, shown);
        add(hf_resp_type, at, 2, type);
        add(hf_resp_class, at + 2, 2, cls);
        if (mdns_) add(hf_resp_cache_flush, at + 2, 2, flush);
        add(hf_resp_ttl, at + 4, 4, *m_.be32(at + 4));
        add(hf_resp_len, at + 8, 2, rdlength);
    }

    // The record's owner name; SRV owners (_service._proto.name, RFC 2782) are shown in parts.
    void owner(std::uint16_t type, std::size_t off, std::size_t len, std::string_view shown) {
        if (type != 33) {
            ctx_.tree.add_text(kFields[hf_resp_name], m_, off, len, shown);
            return;
        }
        std::size_t dot1 = shown.find('.');
        ctx_.tree.add_text(kFields[hf_srv_service], m_, off, len, shown.substr(0, dot1));
        if (dot1 == std::string_view::npos) return;
        std::size_t dot2 = shown.find('.', dot1 + 1);
        ctx_.tree.add_text(kFields[hf_srv_proto], m_, off, len,
                           shown.substr(dot1 + 1, dot2 == std::string_view::npos ? dot2 : dot2 - dot1 - 1));
        if (dot2 != std::string_view::npos) ctx_.tree.add_text(kFields[hf_srv_name], m_, off, len, shown.substr(dot2 + 1));
    }

    // The OPT pseudo-record reuses the class and TTL fields (RFC 6891 section 6.1.2).
    void opt_header(std::size_t off, std::string_view shown, std::size_t at) {
        ctx_.tree.add_text(kFields[hf_resp_name], m_, off, at - off, shown);
        add(hf_resp_type, at, 2, 41);
        std::uint16_t size = *m_.be16(at + 2);
        if (mdns_) {
            // mDNS keeps the top bit for cache flush; tshark then shows the size in hex.
            std::string hex;
            append_hex(hex, size & 0x7fff, 4);
            ctx_.tree.add_text(kFields[hf_udp_payload_size], m_, at + 2, 2, hex);
            add(hf_resp_cache_flush, at + 2, 2, (size & 0x8000) != 0);
        } else {
            add(hf_udp_payload_size, at + 2, 2, size);
        }
        add(hf_ext_rcode, at + 4, 1, *m_.u8(at + 4));
        add(hf_edns0_version, at + 5, 1, *m_.u8(at + 5));
        std::uint16_t z = *m_.be16(at + 6);
        std::size_t z_tree = ctx_.tree.open(kFields[hf_z], m_, at + 6, 2);
        ctx_.tree.set_value(z_tree, z);
        add(hf_z_do, at + 6, 2, (z & 0x8000) != 0);
        add(hf_z_reserved, at + 6, 2, z & 0x7fff);
        ctx_.tree.close(z_tree);
        add(hf_resp_len, at + 8, 2, *m_.be16(at + 8));
    }

    // The record data. Like tshark, fixed-size data is read at its size whatever RDLENGTH says,
    // and the next record starts RDLENGTH bytes on.
    void rdata_of(std::uint16_t type, std::size_t cur, std::size_t rdlength, std::string& head) {
        // A record data that is one name; returns the octets it occupies, nothing on an error.
        auto name_field = [&](std::size_t field, std::size_t at, std::string_view head_label, bool to_info) {
            Name n = read_name(m_, at, budget_, names_);
            if (!name_ok(n, at)) return std::optional<std::size_t>{};
            std::string scratch;
            std::string_view shown = names_ ? n.display(scratch) : std::string_view{};
            if (to_info) info(" ", shown);
            name_notes(n, at);
            if (!head_label.empty() && ctx_.want_tree_text) {
                head += head_label;
                head += shown;
            }
            ctx_.tree.add_text(kFields[field], m_, at, n.wire, shown);
            return std::optional<std::size_t>{n.wire};
        };
        // An address as text is for the Info column and the heading only, and goes straight to
        // where it is shown: no copy between.
        auto show_address = [&](void (*append)(std::string&, const std::uint8_t*), std::size_t at) {
            if (info_) {
                ctx_.pinfo.info += ' ';
                append(ctx_.pinfo.info, m_.data() + at);
            }
            if (ctx_.want_tree_text) {
                head += ", addr ";
                append(head, m_.data() + at);
            }
        };
        switch (type) {
            case 1: {  // A: an IPv4 address
                if (!need(cur, 4, "A record")) return;
                show_address(append_ipv4, cur);
                add(hf_a, cur, 4, 0);
                return;
            }
            case 28: {  // AAAA: an IPv6 address (RFC 3596)
                if (!need(cur, 16, "AAAA record")) return;
                show_address(append_ipv6, cur);
                add(hf_aaaa, cur, 16, 0);
                return;
            }
            case 2: name_field(hf_ns, cur, ", ns ", true); return;
            case 5: name_field(hf_cname, cur, ", cname ", true); return;
            case 12: name_field(hf_ptr, cur, ", ", true); return;
            case 39: name_field(hf_dname, cur, ", dname ", true); return;
            case 6: {  // SOA (RFC 1035 section 3.3.13)
                auto mname = name_field(hf_soa_mname, cur, ", mname ", true);
                if (!mname) return;
                cur += *mname;
                auto rname = name_field(hf_soa_rname, cur, {}, false);
                if (!rname) return;
                cur += *rname;
                for (std::size_t f : {hf_soa_serial, hf_soa_refresh, hf_soa_retry, hf_soa_expire, hf_soa_minimum}) {
                    if (!need(cur, 4, "SOA record")) return;
                    add(f, cur, 4, *m_.be32(cur));
                    cur += 4;
                }
                return;
            }
            case 13: {  // HINFO: two character strings
                auto cpu_len = m_.u8(cur);
                if (!need(cur, 1, "HINFO record") || !need(cur + 1, *cpu_len, "HINFO record")) return;
                std::size_t os_at = cur + 1 + *cpu_len;
                if (!need(os_at, 1, "HINFO record") || !need(os_at + 1, *m_.u8(os_at), "HINFO record")) return;
                std::size_t os_len = *m_.u8(os_at);
                std::string cpu = record_string(m_.bytes().subspan(cur + 1, *cpu_len), false);
                std::string os = record_string(m_.bytes().subspan(os_at + 1, os_len), false);
                info(" ", cpu + " " + os);
                if (ctx_.want_tree_text) head += ", CPU " + cpu + ", OS " + os;
                add(hf_hinfo_cpu_length, cur, 1, *cpu_len);
                ctx_.tree.add_text(kFields[hf_hinfo_cpu], m_, cur + 1, *cpu_len, cpu);
                add(hf_hinfo_os_length, os_at, 1, os_len);
                ctx_.tree.add_text(kFields[hf_hinfo_os], m_, os_at + 1, os_len, os);
                return;
            }
            case 15: {  // MX (RFC 1035 section 3.3.9)
                if (!need(cur, 2, "MX record")) return;
                std::uint16_t pref = *m_.be16(cur);
                Name n = read_name(m_, cur + 2, budget_, names_);
                if (!name_ok(n, cur + 2)) return;
                std::string scratch;
                std::string_view shown = names_ ? n.display(scratch) : std::string_view{};
                if (info_) {
                    ctx_.pinfo.info += ' ';
                    append_uint(ctx_.pinfo.info, pref);
                    ctx_.pinfo.info += ' ';
                    ctx_.pinfo.info += shown;
                }
                name_notes(n, cur + 2);
                if (ctx_.want_tree_text) {
                    head += ", preference ";
                    append_uint(head, pref);
                    head += ", mx ";
                    head += shown;
                }
                add(hf_mx_preference, cur, 2, pref);
                ctx_.tree.add_text(kFields[hf_mx_mail_exchange], m_, cur + 2, n.wire, shown);
                return;
            }
            case 16:    // TXT: one or more character strings (RFC 1035 section 3.3.14)
            case 99: {  // SPF: the same layout (RFC 4408 section 3.1.1)
                bool spf = type == 99;
                long left = static_cast<long>(rdlength);
                while (left != 0) {
                    if (!need(cur, 1, "TXT record")) return;
                    std::size_t n = *m_.u8(cur);
                    add(spf ? hf_spf_length : hf_txt_length, cur, 1, n);
                    ++cur;
                    if (!need(cur, n, "TXT record")) return;
                    if (show_)
                        ctx_.tree.add_text(kFields[spf ? hf_spf : hf_txt], m_, cur, n,
                                           record_string(m_.bytes().subspan(cur, n), mdns_ && !spf));
                    cur += n;
                    left -= static_cast<long>(n) + 1;
                }
                return;
            }
            case 33: {  // SRV (RFC 2782)
                std::uint16_t v[3] = {};
                const std::size_t f[3] = {hf_srv_priority, hf_srv_weight, hf_srv_port};
                for (std::size_t i = 0; i < 3; ++i, cur += 2) {
                    if (!need(cur, 2, "SRV record")) return;
                    v[i] = *m_.be16(cur);
                    add(f[i], cur, 2, v[i]);
                }
                Name n = read_name(m_, cur, budget_, names_);
                if (!name_ok(n, cur)) return;
                std::string scratch;
                std::string_view shown = names_ ? n.display(scratch) : std::string_view{};
                ctx_.tree.add_text(kFields[hf_srv_target], m_, cur, n.wire, shown);
                if (info_) {
                    for (std::uint16_t x : v) {
                        ctx_.pinfo.info += ' ';
                        append_uint(ctx_.pinfo.info, x);
                    }
                    ctx_.pinfo.info += ' ';
                    ctx_.pinfo.info += shown;
                }
                name_notes(n, cur);
                if (ctx_.want_tree_text)
                    head += ", priority " + std::to_string(v[0]) + ", weight " + std::to_string(v[1]) + ", port " +
                            std::to_string(v[2]) + ", target " + std::string(shown);
                return;
            }
            case 47: {  // NSEC (RFC 4034 section 4): next name, then the type bitmap
                auto n = name_field(hf_nsec_next, cur, ", next domain name ", true);
                if (!n) return;
                cur += *n;
                type_bitmap(cur, static_cast<long>(rdlength) - static_cast<long>(*n));
                return;
            }
            case 41: options(cur, rdlength); return;
            default:
                if (!need(cur, rdlength, "DNS record data")) return;
                add(hf_data, cur, rdlength, 0);
                return;
        }
    }

    // NSEC's type bitmap (RFC 4034 section 4.1.2): each set bit is a type the name has; tshark
    // lists them as more dns.resp.type values.
    void type_bitmap(std::size_t cur, long left) {
        while (left != 0 && !stopped_) {
            if (!need(cur, 2, "NSEC type bitmap")) return;
            unsigned block = *m_.u8(cur), size = *m_.u8(cur + 1);
            cur += 2;
            left -= 2;
            for (unsigned i = 0; i < size; ++i, ++cur, --left) {
                if (!need(cur, 1, "NSEC type bitmap")) return;
                std::uint8_t b = *m_.u8(cur);
                for (unsigned bit = 0; bit < 8; ++bit)
                    if (b & (0x80 >> bit)) add(hf_resp_type, cur, 1, block * 256 + i * 8 + bit);
            }
        }
    }

    // EDNS options (RFC 6891 section 6.1.2), read as tshark reads them.
    void options(std::size_t cur, std::size_t rdlength) {
        long left = static_cast<long>(rdlength);
        while (left > 0 && !stopped_) {
            if (!need(cur, 4, "EDNS option")) return;
            std::uint16_t code = *m_.be16(cur), len = *m_.be16(cur + 2);
            left -= 4;
            if (!need(cur, 4u + len, "EDNS option")) return;
            std::size_t o = ctx_.tree.open(kFields[hf_opt], m_, cur, 4u + len);
            if (ctx_.want_tree_text) {
                std::string_view nm = name_of(kOptCodes, code, {});
                ctx_.tree.set_text(o, nm.empty() ? "Unknown (" + std::to_string(code) + ")" : std::string(nm));
            }
            add(hf_opt_code, cur, 2, code);
            add(hf_opt_len, cur + 2, 2, len);
            cur += 4;
            bytes(hf_opt_data, cur, len);
            if (stopped_) return;
            switch (code) {
                case kOptDau:
                case kOptDhu:
                case kOptN3u: {
                    std::size_t f = code == kOptDau ? hf_opt_dau : code == kOptDhu ? hf_opt_dhu : hf_opt_n3u;
                    for (; len != 0; --len, ++cur, --left) add(f, cur, 1, *m_.u8(cur));
                    break;
                }
                case kOptClientSubnetOld:
                case kOptClientSubnet: {  // RFC 7871
                    std::uint16_t addr_len = static_cast<std::uint16_t>(len - 4);
                    if (!need(cur, 4, "client subnet option")) return;
                    std::uint16_t family = *m_.be16(cur);
                    add(hf_opt_client_family, cur, 2, family);
                    add(hf_opt_client_netmask, cur + 2, 1, *m_.u8(cur + 2));
                    add(hf_opt_client_scope, cur + 3, 1, *m_.u8(cur + 3));
                    cur += 4;
                    if (addr_len > 16) addr_len = 16;
                    if (!need(cur, addr_len, "client subnet option")) return;
                    std::uint8_t ip[16] = {};
                    for (std::size_t i = 0; i < addr_len; ++i) ip[i] = m_.data()[cur + i];
                    std::string shown;
                    if (family == 1) {
                        append_ipv4(shown, ip);
                        ctx_.tree.add_text(kFields[hf_opt_client_addr4], m_, cur, addr_len, shown);
                    } else if (family == 2) {
                        append_ipv6(shown, ip);
                        ctx_.tree.add_text(kFields[hf_opt_client_addr6], m_, cur, addr_len, shown);
                    } else {
                        bytes(hf_opt_client_addr, cur, static_cast<std::uint16_t>(len - 4));
                    }
                    // (a length under 4 steps back, as tshark's int arithmetic does)
                    cur = static_cast<std::size_t>(static_cast<long>(cur) + static_cast<long>(len) - 4);
                    left -= len;
                    break;
                }
                case kOptCookie: {  // RFC 7873: 8 bytes from the client, 8 to 32 from the server
                    bytes(hf_opt_cookie_client, cur, 8);
                    cur += 8;
                    left -= 8;
                    auto server = static_cast<std::uint16_t>(len - 8);
                    bytes(hf_opt_cookie_server, cur, server);
                    cur += server;
                    left -= server;
                    break;
                }
                case kOptTcpKeepalive:
                    if (len == 2) add(hf_opt_keepalive_timeout, cur, 2, *m_.be16(cur));
                    cur += len;
                    left -= len;
                    break;
                case kOptPadding:
                    bytes(hf_opt_padding, cur, len);
                    cur += len;
                    left -= len;
                    break;
                case kOptChain:
                    if (len) ctx_.tree.add_text(kFields[hf_opt_chain_fqdn], m_, cur, len,
                                                record_string(m_.bytes().subspan(cur, len), false));
                    cur += len;
                    left -= len;
                    break;
                case kOptExtError:  // RFC 8914
                    if (len >= 2) {
                        add(hf_opt_ext_error_info_code, cur, 2, *m_.be16(cur));
                        cur += 2;
                        left -= 2;
                        if (len > 2) {
                            ctx_.tree.add_text(kFields[hf_opt_ext_error_extra_text], m_, cur, len - 2u,
                                               record_string(m_.bytes().subspan(cur, len - 2u), true));
                            cur += len - 2u;
                            left -= len - 2;
                        }
                    }
                    break;
                default:
                    cur += len;
                    left -= len;
                    break;
            }
            ctx_.tree.close(o);
        }
    }

    // ---- helpers ----

    void add(std::size_t f, std::size_t off, std::size_t len, std::uint64_t v) {
        ctx_.tree.add(kFields[f], m_, off, len, v);
    }
    void bits(std::size_t f, std::uint16_t flags) {
        const FieldDef& d = kFields[f];
        std::uint64_t v = (flags & d.mask) >> mask_shift(d.mask);
        if (d.type == FieldType::boolean) v = v != 0;
        ctx_.tree.add(d, m_, 2, 2, v);
    }
    // Bytes as they are; tshark shows an empty byte string as "<MISSING>".
    void bytes(std::size_t f, std::size_t off, std::size_t len) {
        if (!need(off, len, "EDNS option")) return;
        if (len == 0)
            ctx_.tree.add_text(kFields[f], m_, off, 0, "<MISSING>");
        else
            ctx_.tree.add(kFields[f], m_, off, len, 0);
    }
    std::size_t open(std::size_t f, std::size_t off) { return ctx_.tree.open(kFields[f], m_, off, 0); }
    void close(std::size_t index, std::size_t end) {
        if (index == Tree::kDropped) return ctx_.tree.close(index);
        const Node& n = ctx_.tree.nodes()[index];
        std::size_t start = n.offset - m_.base();
        std::size_t stop = std::min(end, m_.size());
        ctx_.tree.close(index, stop > start ? stop - start : 0);
    }
    void info(std::string_view a, std::string_view b) {
        if (!info_) return;
        ctx_.pinfo.info += a;
        ctx_.pinfo.info += b;
    }

    // Checks that [off, off+len) was captured. A miss ends the decoding: "truncated" when the
    // capture cut the message, "malformed" when the message itself is shorter than its fields.
    bool need(std::size_t off, std::size_t len, std::string_view what) {
        if (stopped_) return false;
        if (m_.has(off, len)) [[likely]] return true;
        return report_short(off, len, what);
    }
    // need()'s miss, out of line so that the check itself inlines.
    [[gnu::noinline]] bool report_short(std::size_t off, std::size_t len, std::string_view what) {
        stopped_ = true;
        if (off + len > m_.reported_size()) {
            std::string reason = "dns-short-message: ";
            reason += what;
            reason += " runs past the end of the message";
            ctx_.malformed(m_, std::min(off, m_.size()), 0, reason);
        } else {
            ctx_.truncated(m_, off, what);
        }
        return false;
    }

    // Reports what was wrong with a name; false if decoding has to stop there.
    bool name_ok(const Name& n, std::size_t off) {
        if (stopped_) return false;
        std::size_t at = std::min(n.error_at, m_.size());
        switch (n.error) {
            case NameError::none: break;
            case NameError::truncated: stopped_ = true; ctx_.truncated(m_, at, "DNS name"); return false;
            case NameError::label_past_end:
                stopped_ = true;
                ctx_.malformed(m_, at, m_.size() - at, "dns-label-past-end: a label of a name runs past the end of the message");
                return false;
            case NameError::pointer_past_end:
                stopped_ = true;
                ctx_.malformed(m_, off, 0, "dns-pointer-past-end: a compression pointer points past the end of the message");
                return false;
            case NameError::bad_label_type:
                stopped_ = true;
                ctx_.malformed(m_, at, 1, "dns-bad-label-type: label type 0x80 is reserved (RFC 1035 section 4.1.4)");
                return false;
            case NameError::bad_extended:
                stopped_ = true;
                ctx_.malformed(m_, at, 1, "dns-unknown-extended-label: a name starts with an extended label of unknown type");
                return false;
            case NameError::empty:
                stopped_ = true;
                ctx_.malformed(m_, off, 0, "dns-empty-name: a name of several bytes that spells no label");
                return false;
            case NameError::work_limit:
                stopped_ = true;
                ctx_.malformed(m_, off, 0, "dns-name-work-limit: the names of this message point around too much");
                return false;
        }
        return true;
    }

    // Names tshark shows as text and goes on with: the name's own bytes are known, so the rest
    // of the record can still be read. Reported after the record's Info text.
    void name_notes(const Name& n, std::size_t off) {
        // Each kind once a message: one crafted message may hold thousands of such names.
        if (n.loop && !(noted_ & kNotedLoop)) {
            noted_ |= kNotedLoop;
            if (n.loop_quirk)
                ctx_.note(m_, off, n.wire,
                          "A compression pointer to 2 bytes past its own end: tshark 4.0 reports it as a loop, and "
                          "so does wirelab to print the same name");
            else
                ctx_.malformed(m_, off, n.wire,
                               "dns-pointer-loop: the name's compression pointers go round in a loop (RFC 1035 "
                               "section 4.1.4)");
        }
        if (n.too_long && !(noted_ & kNotedTooLong)) {
            noted_ |= kNotedTooLong;
            ctx_.malformed(m_, off, n.wire, "dns-name-too-long: a name longer than 255 bytes (RFC 1035 section 3.1)");
        }
        if (n.forward_at != SIZE_MAX && !n.loop && !(noted_ & kNotedForward)) {
            noted_ |= kNotedForward;
            ctx_.note(m_, n.forward_at, 2,
                      "A compression pointer that points forward: RFC 1035 section 4.1.4 says it points to a prior "
                      "occurrence of the name");
        }
    }

    Ctx& ctx_;
    const Tvb& m_;
    Flavor flavor_;
    bool mdns_;
    bool info_;
    // Whether the tree keeps any field (otherwise the fields that are only shown are skipped:
    // Tree::keeps_fields), and whether anything reads the names' text.
    bool show_, names_;
    bool stopped_ = false;
    std::size_t budget_ = kNameWorkLimit;
    static constexpr unsigned kNotedLoop = 1, kNotedTooLong = 2, kNotedForward = 4;
    unsigned noted_ = 0;
};

const ProtocolDef& protocol_of(Flavor f) {
    return f == Flavor::mdns ? kMdnsProto : f == Flavor::llmnr ? kLlmnrProto : kDnsProto;
}

// Decodes one DNS message. Over TCP, `tvb` starts with the 2-byte length prefix.
void decode_message(Ctx& ctx, const Tvb& tvb, Flavor flavor, Transactions& tx, bool tcp) {
    Layer layer(ctx, protocol_of(flavor), tvb, tvb.size());
    bool info = ctx.want_info && !ctx.pinfo.in_error_packet;
    // The Info column is this message's summary. Like tshark, a TCP segment that carries
    // several messages shows the last one.
    if (info) ctx.pinfo.info.clear();
    Tvb m = tvb;
    if (tcp) {
        if (!tvb.has(0, 2)) return;  // message_length() never hands over less
        ctx.tree.add(kFields[hf_length], tvb, 0, 2, *tvb.be16(0));
        m = tvb.tail(2);
    }
    Message(ctx, m, flavor, info).decode(tx, tcp, layer);
}

class DnsOverUdp final : public Dissector {
public:
    // The plain-DNS dissector owns the query/response table; mDNS and LLMNR share it.
    DnsOverUdp() : own_(std::make_unique<Transactions>()), tx_(*own_) {}
    DnsOverUdp(Flavor f, Transactions& tx) : flavor_(f), tx_(tx) {}
    Transactions& transactions() { return tx_; }

    void reset() override {
        if (own_) own_->clear();
    }
    void dissect(const Tvb& tvb, Ctx& ctx) override { decode_message(ctx, tvb, flavor_, tx_, false); }
    std::span<const ProtocolDef* const> sole_protocols() const override { return kDnsFamily; }

private:
    Flavor flavor_ = Flavor::dns;
    std::unique_ptr<Transactions> own_;
    Transactions& tx_;
};

// DNS over TCP: each message is preceded by its length (RFC 1035 section 4.2.2, RFC 7766).
class DnsOverTcp final : public StreamProtocol {
public:
    explicit DnsOverTcp(Transactions& tx) : tx_(tx) {}
    const ProtocolDef& protocol() const override { return kDnsProto; }
    std::int64_t message_length(const Tvb& data, StreamCtx& s) override {
        auto len = data.be16(0);
        if (!len) return kNeedMore;
        s.length_settled = true;  // the prefix says it all
        return std::int64_t(*len) + 2;
    }
    void dissect_message(const Tvb& msg, Ctx& ctx, StreamCtx&) override {
        decode_message(ctx, msg, Flavor::dns, tx_, true);
    }
    std::span<const ProtocolDef* const> sole_protocols() const override { return kDnsFamily; }

private:
    Transactions& tx_;
};

}  // namespace

constinit const ProtocolDef kDnsProto{"dns", "DNS", "Domain Name System", OsiLayer::application,
                                      TcpIpLayer::application, "RFC 1035, RFC 3596, RFC 6891, RFC 7766", kFields};
constinit const ProtocolDef kMdnsProto{"mdns", "MDNS", "Multicast Domain Name System", OsiLayer::application,
                                       TcpIpLayer::application, "RFC 6762", kMdnsFields};
constinit const ProtocolDef kLlmnrProto{"llmnr", "LLMNR", "Link-local Multicast Name Resolution",
                                        OsiLayer::application, TcpIpLayer::application, "RFC 4795", kLlmnrFields};

void register_dns(Registry& r) {
    r.add_protocol(kDnsProto);
    r.add_protocol(kMdnsProto);
    r.add_protocol(kLlmnrProto);
    auto& dns = r.make<DnsOverUdp>();
    r.add(Table::udp_port, 53, dns);
    r.add(Table::udp_port, 5353, r.make<DnsOverUdp>(Flavor::mdns, dns.transactions()));
    r.add(Table::udp_port, 5355, r.make<DnsOverUdp>(Flavor::llmnr, dns.transactions()));
    auto& tcp = r.make_stream<DnsOverTcp>(dns.transactions());
    r.add_stream_port(53, tcp);
    r.add_stream_port(5353, tcp);  // tshark decodes mDNS over TCP as plain DNS
}

}  // namespace wirelab::proto
