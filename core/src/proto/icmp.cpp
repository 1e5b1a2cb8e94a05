// ICMP, the Internet Control Message Protocol (RFC 792; RFC 1191 for "fragmentation needed",
// RFC 1256 router discovery, RFC 4884 and RFC 4950 extensions).
//
// IP's error and diagnostic messages: a router that drops a packet tells the sender why
// (destination unreachable, time exceeded) and quotes the start of the dropped packet; ping
// is an echo request answered by an echo reply.
#include <cstdio>
#include <ctime>
#include <string>

#include "proto_util.hpp"

namespace wirelab::proto {

extern const ProtocolDef kIcmpProto;

namespace {

enum : std::size_t {
    hf_icmp, hf_type, hf_code, hf_checksum, hf_checksum_status, hf_unused, hf_length, hf_length_orig, hf_mtu,
    hf_pointer, hf_redir_gw, hf_ident, hf_ident_le, hf_seq, hf_seq_le, hf_num_addrs, hf_addr_entry_size,
    hf_lifetime, hf_router_address, hf_pref_level, hf_originate_ts, hf_receive_ts, hf_transmit_ts,
    hf_address_mask, hf_resp_to, hf_resptime, hf_data_time, hf_data_time_relative, hf_ext, hf_ext_version,
    hf_ext_res, hf_ext_checksum, hf_ext_checksum_status, hf_ext_length, hf_ext_class, hf_ext_ctype, hf_ext_data,
    hf_mpls_label, hf_mpls_exp, hf_mpls_s, hf_mpls_ttl, hf_mpls_data, hf_count
};

enum : std::uint8_t {
    kEchoReply = 0, kUnreach = 3, kSourceQuench = 4, kRedirect = 5, kAltHost = 6, kEcho = 8, kRouterAdvert = 9,
    kTimeExceeded = 11, kParamProblem = 12, kTimestamp = 13, kTimestampReply = 14, kInfoRequest = 15,
    kInfoReply = 16, kMaskRequest = 17, kMaskReply = 18, kPhoturis = 40, kExtEcho = 42, kExtEchoReply = 43
};

// IANA "ICMP Type Numbers", as Wireshark names them.
constexpr ValueName kTypes[] = {
    {0, "Echo (ping) reply"}, {1, "Reserved"}, {2, "Reserved"}, {3, "Destination unreachable"},
    {4, "Source quench (flow control)"}, {5, "Redirect"}, {6, "Alternate host address"},
    {8, "Echo (ping) request"}, {9, "Router advertisement"}, {10, "Router solicitation"},
    {11, "Time-to-live exceeded"}, {12, "Parameter problem"}, {13, "Timestamp request"},
    {14, "Timestamp reply"}, {15, "Information request"}, {16, "Information reply"},
    {17, "Address mask request"}, {18, "Address mask reply"}, {19, "Reserved (for security)"},
    {30, "Traceroute"}, {31, "Datagram Conversion Error"}, {32, "Mobile Host Redirect"},
    {33, "IPv6 Where-Are-You"}, {34, "IPv6 I-Am-Here"}, {35, "Mobile Registration Request"},
    {36, "Mobile Registration Reply"}, {37, "Domain Name Request"}, {38, "Domain Name Reply"}, {39, "SKIP"},
    {40, "Photuris"}, {41, "Experimental mobility protocols"}, {42, "Extended Echo request"},
    {43, "Extended Echo reply"},
};
constexpr ValueName kUnreachCodes[] = {
    {0, "Network unreachable"}, {1, "Host unreachable"}, {2, "Protocol unreachable"}, {3, "Port unreachable"},
    {4, "Fragmentation needed"}, {5, "Source route failed"}, {6, "Destination network unknown"},
    {7, "Destination host unknown"}, {8, "Source host isolated"}, {9, "Network administratively prohibited"},
    {10, "Host administratively prohibited"}, {11, "Network unreachable for TOS"},
    {12, "Host unreachable for TOS"}, {13, "Communication administratively filtered"},
    {14, "Host precedence violation"}, {15, "Precedence cutoff in effect"},
};
constexpr ValueName kRedirectCodes[] = {{0, "Redirect for network"}, {1, "Redirect for host"},
                                        {2, "Redirect for TOS and network"}, {3, "Redirect for TOS and host"}};
constexpr ValueName kAltHostCodes[] = {{0, "Alternate address for host"}};
constexpr ValueName kRouterAdvertCodes[] = {{0, "Normal router advertisement"}, {16, "Does not route common traffic"}};
constexpr ValueName kTimeExceededCodes[] = {{0, "Time to live exceeded in transit"},
                                            {1, "Fragment reassembly time exceeded"}};
constexpr ValueName kParamProblemCodes[] = {{0, "Pointer indicates the error"}, {1, "Required option missing"},
                                            {2, "Bad length"}};
constexpr ValueName kPhoturisCodes[] = {{0, "Bad SPI"}, {1, "Authentication Failed"}, {2, "Decompression Failed"},
                                        {3, "Decryption Failed"}, {4, "Need Authentication"},
                                        {5, "Need Authorization"}};
constexpr ValueName kExtEchoCodes[] = {{0, "No error"}};
constexpr ValueName kExtEchoReplyCodes[] = {{0, "No error"}, {1, "Malformed Query"}, {2, "No Such Interface"},
                                            {3, "No Such Table Entry"}, {4, "Multiple Interfaces Satisfy Query"}};
constexpr ValueName kExtClasses[] = {{1, "MPLS Label Stack Class"}, {2, "Interface Information Object"},
                                     {3, "Interface Identification Object"}};

constinit const FieldDef kFields[] = {
    {"icmp", "Internet Control Message Protocol", FieldType::protocol, Base::none, 0, {},
     "IP's messenger: routers and hosts use it to report errors (unreachable, time exceeded) and for "
     "diagnostics like ping.", &kIcmpProto},
    {"icmp.type", "Type", FieldType::u8, Base::dec, 0, kTypes,
     "The kind of message (8 = echo request, 0 = echo reply, 3 = destination unreachable, 11 = time "
     "exceeded).", &kIcmpProto},
    {"icmp.code", "Code", FieldType::u8, Base::dec, 0, {},
     "Refines the type; for destination unreachable, why (3 = port unreachable: nothing listens there).",
     &kIcmpProto},
    {"icmp.checksum", "Checksum", FieldType::u16, Base::hex, 0, {},
     "A checksum over the whole ICMP message, to detect damage.", &kIcmpProto},
    {"icmp.checksum.status", "Checksum Status", FieldType::u8, Base::none, 0, kChecksumStatus,
     "Whether the checksum matches the message.", &kIcmpProto},
    {"icmp.unused", "Unused", FieldType::bytes, Base::none, 0, {}, "Bytes the message type does not use (zeros).",
     &kIcmpProto},
    {"icmp.length", "Length", FieldType::u8, Base::dec, 0, {},
     "Length of the quoted original datagram in 32-bit words, when extensions follow it (RFC 4884).",
     &kIcmpProto},
    {"icmp.length.original_datagram", "Length of original datagram", FieldType::u8, Base::dec, 0, {},
     "The same length in bytes.", &kIcmpProto},
    {"icmp.mtu", "MTU of next hop", FieldType::u16, Base::dec, 0, {},
     "The largest packet the next link can carry: the sender should send smaller packets (Path MTU Discovery, "
     "RFC 1191).", &kIcmpProto},
    {"icmp.pointer", "Pointer", FieldType::u32, Base::dec, 0, {},
     "Which byte of the quoted header was wrong.", &kIcmpProto},
    {"icmp.redir_gw", "Gateway Address", FieldType::ipv4, Base::none, 0, {},
     "The better router the sender should use for this destination.", &kIcmpProto},
    {"icmp.ident", "Identifier (BE)", FieldType::u16, Base::dec_hex, 0, {},
     "Identifies the ping session (often the process ID), read big-endian.", &kIcmpProto},
    {"icmp.ident_le", "Identifier (LE)", FieldType::u16, Base::dec_hex, 0, {},
     "The same identifier read little-endian, as some systems write it.", &kIcmpProto},
    {"icmp.seq", "Sequence Number (BE)", FieldType::u16, Base::dec_hex, 0, {},
     "Counts the echo requests of a ping session, so each reply can be matched to its request.", &kIcmpProto},
    {"icmp.seq_le", "Sequence Number (LE)", FieldType::u16, Base::dec_hex, 0, {},
     "The same sequence number read little-endian (Windows ping counts in this byte order).", &kIcmpProto},
    {"icmp.num_addrs", "Number of addresses", FieldType::u8, Base::dec, 0, {},
     "How many router addresses the advertisement lists.", &kIcmpProto},
    {"icmp.addr_entry_size", "Address entry size", FieldType::u8, Base::dec, 0, {},
     "Size of each entry in 32-bit words (2: an address and a preference).", &kIcmpProto},
    {"icmp.lifetime", "Lifetime", FieldType::u16, Base::dec, 0, {},
     "How many seconds the advertised addresses stay valid.", &kIcmpProto},
    {"icmp.router_address", "Router address", FieldType::ipv4, Base::none, 0, {},
     "A router the host may use as its default gateway.", &kIcmpProto},
    {"icmp.pref_level", "Preference level", FieldType::i32, Base::dec, 0, {},
     "How much this router is preferred over others (higher is better).", &kIcmpProto},
    {"icmp.originate_timestamp", "Originate Timestamp", FieldType::u32, Base::dec, 0, {},
     "When the request was sent, in milliseconds since midnight UTC.", &kIcmpProto},
    {"icmp.receive_timestamp", "Receive Timestamp", FieldType::u32, Base::dec, 0, {},
     "When the request arrived, in milliseconds since midnight UTC.", &kIcmpProto},
    {"icmp.transmit_timestamp", "Transmit Timestamp", FieldType::u32, Base::dec, 0, {},
     "When the reply was sent, in milliseconds since midnight UTC.", &kIcmpProto},
    {"icmp.address_mask", "Address Mask", FieldType::ipv4, Base::none, 0, {}, "The subnet mask of the network.",
     &kIcmpProto},
    {"icmp.resp_to", "Request frame", FieldType::framenum, Base::none, 0, {},
     "The frame holding the echo request this reply answers.", &kIcmpProto},
    {"icmp.resptime", "Response time", FieldType::string, Base::none, 0, {},
     "Milliseconds between the request and this reply: the round-trip time ping reports.", &kIcmpProto},
    {"icmp.data_time", "Timestamp from icmp data", FieldType::abstime, Base::none, 0, {},
     "The time the sender wrote into the echo data when it sent the request (ping does this).", &kIcmpProto},
    {"icmp.data_time_relative", "Timestamp from icmp data (relative)", FieldType::reltime, Base::none, 0, {},
     "How long after that time this packet was captured.", &kIcmpProto},
    {"icmp.ext", "ICMP Extensions", FieldType::none, Base::none, 0, {},
     "Extra information after the quoted datagram (RFC 4884), such as MPLS labels (RFC 4950).", &kIcmpProto},
    {"icmp.ext.version", "Version", FieldType::u8, Base::dec, 0, {}, "Version of the extension structure (2).",
     &kIcmpProto},
    {"icmp.ext.res", "Reserved", FieldType::u16, Base::hex, 0x0fff, {}, "Must be zero.", &kIcmpProto},
    {"icmp.ext.checksum", "Checksum", FieldType::u16, Base::hex, 0, {}, "A checksum over the extensions.",
     &kIcmpProto},
    {"icmp.ext.checksum.status", "Checksum Status", FieldType::u8, Base::none, 0, kChecksumStatus,
     "Whether the extension checksum matches.", &kIcmpProto},
    {"icmp.ext.length", "Length", FieldType::u16, Base::dec, 0, {}, "Length of this extension object in bytes.",
     &kIcmpProto},
    {"icmp.ext.class", "Class", FieldType::u8, Base::dec, 0, kExtClasses,
     "What the object describes (1 = the MPLS label stack the packet had).", &kIcmpProto},
    {"icmp.ext.ctype", "C-Type", FieldType::u8, Base::dec, 0, {}, "The object's format within its class.",
     &kIcmpProto},
    {"icmp.ext.data", "Data", FieldType::bytes, Base::none, 0, {}, "An extension object wirelab does not decode.",
     &kIcmpProto},
    {"icmp.mpls.label", "Label", FieldType::u24, Base::dec, 0xfffff0, {},
     "An MPLS label the dropped packet carried when the error happened.", &kIcmpProto},
    {"icmp.mpls.exp", "Experimental", FieldType::u24, Base::dec, 0x0e, {},
     "The label's traffic class bits.", &kIcmpProto},
    {"icmp.mpls.s", "Stack bit", FieldType::boolean, Base::none, 0x01, {},
     "Set on the last label of the stack.", &kIcmpProto},
    {"icmp.mpls.ttl", "Time to live", FieldType::u8, Base::dec, 0, {}, "The label's time to live.", &kIcmpProto},
    {"icmp.mpls.data", "Data", FieldType::bytes, Base::none, 0, {}, "Bytes of the object after the labels.",
     &kIcmpProto},
};
static_assert(std::size(kFields) == hf_count);

// The code names that go with each type (Wireshark's per-type tables).
std::span<const ValueName> code_names(std::uint8_t type) {
    switch (type) {
        case kUnreach: return kUnreachCodes;
        case kRedirect: return kRedirectCodes;
        case kAltHost: return kAltHostCodes;
        case kRouterAdvert: return kRouterAdvertCodes;
        case kTimeExceeded: return kTimeExceededCodes;
        case kParamProblem: return kParamProblemCodes;
        case kPhoturis: return kPhoturisCodes;
        case kExtEcho: return kExtEchoCodes;
        case kExtEchoReply: return kExtEchoReplyCodes;
        default: return {};
    }
}

// An absolute time as Wireshark shows FT_ABSOLUTE_TIME ("Aug 15, 2022 03:30:49.000000000 UTC").
std::string absolute_time(std::int64_t secs, std::int64_t nsecs) {
    static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::time_t t = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s %2d, %d %02d:%02d:%02d.%09lld UTC", kMonths[tm.tm_mon % 12], tm.tm_mday,
                  tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(nsecs));
    return buf;
}

class Icmp final : public Dissector {
public:
    void reset() override { echoes_.clear(); }

    void dissect(const Tvb& tvb, Ctx& ctx) override {
        Layer layer(ctx, kIcmpProto, tvb, tvb.size());
        Fields h(ctx, tvb, "ICMP header");
        std::uint64_t type = h.uint(kFields[hf_type], 0, 1);
        std::uint64_t code = h.uint(kFields[hf_code], 1, 1);
        if (!h.ok()) return;
        // RFC 4884: the length of the quoted datagram, in 32-bit words (0: no extensions).
        std::uint8_t orig_words = type == kAltHost ? 0 : tvb.u8(5).value_or(0);

        std::string_view type_str = value_name(kFields[hf_type], type);
        if (type_str.empty()) type_str = "Unknown ICMP (obsolete or malformed?)";
        if (type == kRouterAdvert && (code == 0 || code == 16)) type_str = "Mobile IP Advertisement";
        std::string code_str;
        auto codes = code_names(static_cast<std::uint8_t>(type));
        if (!codes.empty()) {
            for (const ValueName& v : codes)
                if (v.value == code) code_str = v.name;
            if (code_str.empty()) {
                code_str = "Unknown code: ";
                append_uint(code_str, code);
            }
        }
        if (ctx.want_info) {
            std::string& s = ctx.pinfo.info;
            s.assign(type_str);
            if (s.size() < 20) s.resize(20, ' ');  // tshark's "%-20s"
            if (!code_str.empty()) s += " (" + code_str + ')';
        }

        std::uint64_t checksum = h.uint(kFields[hf_checksum], 2, 2);
        if (!h.ok()) return;
        bool cut = tvb.size() < tvb.reported_size();
        if (!ctx.pinfo.fragmented && !cut && !ctx.pinfo.in_error_packet) {
            // Summing a correct message, checksum included, gives 0 (RFC 1071).
            std::uint16_t calc = checksum_fold(checksum_add(0, tvb.bytes()));
            h.generated(kFields[hf_checksum_status], 2, 2, calc == 0 ? 1 : 0);
            if (calc != 0) ctx.note(tvb, 2, 2, expected_checksum(tvb, checksum));
        } else {
            h.generated(kFields[hf_checksum_status], 2, 2, 2);
        }

        second_word(ctx, h, tvb, static_cast<std::uint8_t>(type), static_cast<std::uint8_t>(code), orig_words);
        if (!h.ok()) return;
        switch (type) {
            case kUnreach:
            case kTimeExceeded:
            case kParamProblem:
            case kSourceQuench:
            case kRedirect: quoted(ctx, tvb, static_cast<std::uint8_t>(type), orig_words); break;
            case kEcho:
            case kEchoReply: echo(ctx, tvb, static_cast<std::uint8_t>(type), checksum); break;
            case kRouterAdvert: router_advert(ctx, tvb); break;
            case kTimestamp:
            case kTimestampReply:
                h.uint(kFields[hf_originate_ts], 8, 4);
                h.uint(kFields[hf_receive_ts], 12, 4);
                h.uint(kFields[hf_transmit_ts], 16, 4);
                break;
            case kMaskRequest:
            case kMaskReply: h.raw(kFields[hf_address_mask], 8, 4); break;
            default: break;
        }
    }

private:
    static std::string expected_checksum(const Tvb& tvb, std::uint64_t checksum) {
        // The checksum the message should carry: the sum with the checksum field taken as 0.
        std::uint32_t sum = checksum_add(0, tvb.bytes().first(2));
        sum = checksum_add(sum, tvb.bytes().subspan(4));
        char buf[64];
        std::snprintf(buf, sizeof buf, "Bad checksum [should be 0x%04x] (the packet has 0x%04x)", checksum_fold(sum),
                      static_cast<unsigned>(checksum));
        return buf;
    }

    // Bytes 4 to 7, whose meaning depends on the type (RFC 792).
    static void second_word(Ctx& ctx, Fields& h, const Tvb& tvb, std::uint8_t type, std::uint8_t code,
                            std::uint8_t orig_words) {
        switch (type) {
            case kEchoReply:
            case kEcho:
            case kTimestamp:
            case kTimestampReply:
            case kInfoRequest:
            case kInfoReply:
            case kMaskRequest:
            case kMaskReply: {
                std::uint64_t id = h.uint(kFields[hf_ident], 4, 2);
                h.uint_le(kFields[hf_ident_le], 4, 2);
                std::uint64_t seq = h.uint(kFields[hf_seq], 6, 2);
                std::uint64_t seq_le = h.uint_le(kFields[hf_seq_le], 6, 2);
                if (!h.ok() || !ctx.want_info) return;
                char buf[64];
                std::snprintf(buf, sizeof buf, " id=0x%04x, seq=%u/%u, ttl=%u", static_cast<unsigned>(id),
                              static_cast<unsigned>(seq), static_cast<unsigned>(seq_le), ctx.pinfo.ttl);
                ctx.pinfo.info += buf;
                return;
            }
            case kUnreach:
                if (orig_words) {
                    h.raw(kFields[hf_unused], 4, 1);
                    original_length(ctx, h, tvb, orig_words);
                    if (code == 4)
                        h.uint(kFields[hf_mtu], 6, 2);
                    else
                        h.raw(kFields[hf_unused], 6, 2);
                } else if (code == 4) {
                    h.raw(kFields[hf_unused], 4, 2);
                    h.uint(kFields[hf_mtu], 6, 2);
                } else {
                    h.raw(kFields[hf_unused], 4, 4);
                }
                return;
            case kRouterAdvert:
                h.uint(kFields[hf_num_addrs], 4, 1);
                h.uint(kFields[hf_addr_entry_size], 5, 1);
                h.uint(kFields[hf_lifetime], 6, 2);
                return;
            case kParamProblem:
                h.uint(kFields[hf_pointer], 4, 1);
                if (orig_words) {
                    original_length(ctx, h, tvb, orig_words);
                    h.raw(kFields[hf_unused], 6, 2);
                } else {
                    h.raw(kFields[hf_unused], 5, 3);
                }
                return;
            case kRedirect: h.raw(kFields[hf_redir_gw], 4, 4); return;
            case kTimeExceeded:
                if (orig_words) {
                    h.raw(kFields[hf_unused], 4, 1);
                    original_length(ctx, h, tvb, orig_words);
                    h.raw(kFields[hf_unused], 6, 2);
                } else {
                    h.raw(kFields[hf_unused], 4, 4);
                }
                return;
            default: return;
        }
    }

    static void original_length(Ctx& ctx, Fields& h, const Tvb& tvb, std::uint8_t words) {
        h.uint(kFields[hf_length], 5, 1);
        if (h.ok()) ctx.tree.add(kFields[hf_length_orig], tvb, 5, 1, std::uint64_t(words) * 4, kGenerated);
    }

    // An error message quotes the IP header and at least 8 bytes of the datagram that caused it
    // (RFC 792); that datagram is decoded as IP, without touching what the summary shows.
    void quoted(Ctx& ctx, const Tvb& tvb, std::uint8_t type, std::uint8_t orig_words) {
        Tvb inner = tvb.tail(8);
        auto inner_total = tvb.be16(10);
        std::uint8_t ihl_words = tvb.u8(8).value_or(0) & 0x0f;
        if (type == kRedirect) {
            // A redirect quotes exactly the header and 64 bits of data.
            inner = tvb.sub(8, std::size_t(ihl_words) * 4 + 8);
        } else if (orig_words && tvb.reported_size() > 8 + std::size_t(orig_words) * 4 && inner_total &&
                   *inner_total > std::size_t(orig_words) * 4) {
            // RFC 4884: the quote is padded to the length given, extensions follow it. Wireshark
            // counts the quoted header's length on top of that length.
            inner = tvb.sub(8, (std::size_t(ihl_words) + orig_words) * 4);
        }
        if (!inner.empty())
            dissect_quoted(ctx, [&] { ctx.call(Table::ethertype, 0x0800, inner); });
        // RFC 4950 MPLS (and other RFC 4884) extensions sit after the first 128 bytes, or after
        // the length RFC 4884 gave, when the quoted datagram is not longer than that.
        if (tvb.reported_size() > 8 + 128 && inner_total && *inner_total <= 128) {
            std::size_t ext = (orig_words ? std::size_t(orig_words) * 4 : 128) + 8;
            if (ext > tvb.reported_size()) {
                ctx.malformed(tvb, tvb.size(), 0, "ICMP extensions start past the end of the message");
                return;
            }
            extensions(ctx, tvb.tail(ext));
        }
    }

    // RFC 4884 section 7: a 4-byte header (version, checksum) and objects (length, class, type).
    static void extensions(Ctx& ctx, const Tvb& t) {
        if (t.reported_size() < 4) {
            ctx.note(t, 0, t.size(), "ICMP Extensions (truncated)");
            return;
        }
        std::size_t tree = ctx.tree.open(kFields[hf_ext], t, 0, t.size());
        Fields h(ctx, t, "ICMP extension header");
        if (h.fits(0, 4)) {
            ctx.tree.add(kFields[hf_ext_version], t, 0, 1, t.data()[0] >> 4);
            h.uint(kFields[hf_ext_res], 0, 2);
            h.uint(kFields[hf_ext_checksum], 2, 2);
            if (t.size() == t.reported_size())
                h.generated(kFields[hf_ext_checksum_status], 2, 2, checksum_fold(checksum_add(0, t.bytes())) == 0);
            else
                h.generated(kFields[hf_ext_checksum_status], 2, 2, 2);
            std::uint8_t version = t.data()[0] >> 4;
            std::size_t off = 4;
            while (version >= 1 && version <= 2 && t.reported_size() >= off + 4 && h.fits(off, 4)) {
                std::uint16_t len = *t.be16(off);
                std::size_t obj_end = off + std::min<std::size_t>(len, t.reported_size() - off);
                h.uint(kFields[hf_ext_length], off, 2);
                std::uint8_t cls = t.data()[off + 2];
                h.uint(kFields[hf_ext_class], off + 2, 1);
                if (len < 4) {
                    ctx.note(t, off, 2, "Object with bad length");
                    break;
                }
                h.uint(kFields[hf_ext_ctype], off + 3, 1);
                std::uint8_t ctype = t.data()[off + 3];
                std::size_t p = off + 4;
                if (cls == 1 && ctype == 1) {
                    // MPLS label stack entries (RFC 4950): label 20 bits, traffic class 3, S 1, TTL 8.
                    for (; p + 4 <= obj_end && h.fits(p, 4); p += 4) {
                        std::uint32_t label = std::uint32_t(load_be16(t.data() + p)) << 4 | t.data()[p + 2] >> 4;
                        ctx.tree.add(kFields[hf_mpls_label], t, p, 3, label);
                        ctx.tree.add(kFields[hf_mpls_exp], t, p + 2, 1, (t.data()[p + 2] >> 1) & 7);
                        ctx.tree.add(kFields[hf_mpls_s], t, p + 2, 1, t.data()[p + 2] & 1);
                        h.uint(kFields[hf_mpls_ttl], p + 3, 1);
                    }
                    if (p < obj_end) h.raw(kFields[hf_mpls_data], p, obj_end - p);
                } else if (obj_end > p) {
                    h.raw(kFields[hf_ext_data], p, obj_end - p);
                }
                off = obj_end;
            }
        }
        ctx.tree.close(tree);
    }

    void echo(Ctx& ctx, const Tvb& tvb, std::uint8_t type, std::uint64_t checksum) {
        const PacketInfo& p = ctx.pinfo;
        std::uint32_t k1 = static_cast<std::uint32_t>(*tvb.be16(4)) << 16 | *tvb.be16(6);
        if (!p.in_error_packet) {
            const Frame& frame = *p.frame;
            if (type == kEchoReply) {
                std::uint32_t k0 = checksum == 0xffff ? 0 : static_cast<std::uint32_t>(checksum);
                if (const auto* req = echoes_.reply(p.net_src, p.net_dst, k0, k1, frame.number)) {
                    ctx.tree.add(kFields[hf_resp_to], tvb, 0, 0, req->frame, kGenerated);
                    ctx.tree.add_text(kFields[hf_resptime], tvb, 0, 0,
                                      EchoTransactions::response_ms(frame.ts_ns - req->ts_ns), kGenerated);
                    if (ctx.want_info) {
                        ctx.pinfo.info += " (request in ";
                        append_uint(ctx.pinfo.info, req->frame);
                        ctx.pinfo.info += ')';
                    }
                }
            } else {
                // The reply's checksum differs from the request's only by the type byte (8 -> 0).
                std::uint32_t k0 = checksum_fold((~checksum & 0xffff) + (~0x0800u & 0xffff));
                echoes_.request(p.net_src, p.net_dst, k0, k1, frame.number, frame.ts_ns);
            }
        }
        if (tvb.size() <= 8) return;
        if (tvb.size() < 16) {
            ctx.data(tvb.tail(8));
            return;
        }
        // Ping usually puts the time it sent the request in the first 8 bytes (a struct timeval);
        // use it when it looks like one, in either byte order (within a day of the capture time).
        std::int64_t now = p.frame->ts_ns;
        std::int64_t now_secs = now >= 0 ? now / 1'000'000'000 : -((-now + 999'999'999) / 1'000'000'000);
        // (Wireshark compares the difference as an int and the microseconds as a signed int.)
        auto plausible = [&](std::uint32_t secs, std::uint32_t usecs) {
            auto diff = static_cast<std::int32_t>(static_cast<std::uint32_t>(std::int64_t(secs) - now_secs));
            return (diff < 0 ? -std::int64_t(diff) : std::int64_t(diff)) < 86400 &&
                   static_cast<std::int32_t>(usecs) < 1000000;
        };
        std::uint32_t secs = *tvb.be32(8), usecs = *tvb.be32(12);
        if (!plausible(secs, usecs)) {
            secs = *tvb.le32(8);
            usecs = *tvb.le32(12);
        }
        if (plausible(secs, usecs)) {
            std::int64_t nsecs = std::int64_t(static_cast<std::int32_t>(usecs)) * 1000;
            ctx.tree.add_text(kFields[hf_data_time], tvb, 8, 8, absolute_time(secs, nsecs));
            std::int64_t sent = std::int64_t(secs) * 1'000'000'000 + nsecs;
            ctx.tree.add(kFields[hf_data_time_relative], tvb, 8, 8, static_cast<std::uint64_t>(now - sent), kGenerated);
            ctx.data(tvb.tail(16));
            return;
        }
        ctx.data(tvb.tail(8));
    }

    // RFC 1256 section 3: entries of router address and preference.
    static void router_advert(Ctx& ctx, const Tvb& tvb) {
        std::uint8_t count = tvb.data()[4], size = tvb.data()[5];
        if (size != 2) {
            ctx.data(tvb.tail(8));
            return;
        }
        Fields h(ctx, tvb, "router advertisement");
        for (std::size_t i = 0; i < count && h.ok(); ++i) {
            h.raw(kFields[hf_router_address], 8 + 8 * i, 4);
            h.uint(kFields[hf_pref_level], 12 + 8 * i, 4);
        }
    }

    EchoTransactions echoes_;
};
}  // namespace

constinit const ProtocolDef kIcmpProto{"icmp", "ICMP", "Internet Control Message Protocol", OsiLayer::network,
                                       TcpIpLayer::internet, "RFC 792", kFields};

void register_icmp(Registry& r) {
    r.add_protocol(kIcmpProto);
    r.add(Table::ip_proto, 1, r.make<Icmp>());
}

}  // namespace wirelab::proto
