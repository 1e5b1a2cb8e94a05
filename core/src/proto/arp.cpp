// ARP, the Address Resolution Protocol (RFC 826), and RARP (RFC 903) which shares its format.
//
// A host that wants to send an IP packet to a neighbour on the same link needs the
// neighbour's MAC address: it broadcasts "who has 10.0.0.1?" and the owner answers "10.0.0.1
// is at aa:bb:cc:dd:ee:ff". The header is generic: hardware and protocol address sizes are
// fields, so the same packet format serves any link and network type.
#include <algorithm>
#include <array>
#include <cstdio>
#include <string>
#include <unordered_map>

#include "proto_util.hpp"

namespace wirelab::proto {

extern const ProtocolDef kArpProto;

namespace {

enum : std::size_t {
    hf_arp, hf_hw_type, hf_proto_type, hf_hw_size, hf_proto_size, hf_opcode, hf_isgratuitous, hf_isprobe,
    hf_isannouncement, hf_src_hw_mac, hf_src_hw, hf_src_proto_ipv4, hf_src_proto, hf_dst_hw_mac, hf_dst_hw,
    hf_dst_proto_ipv4, hf_dst_proto, hf_dup_frame, hf_dup_seconds, hf_count
};

// IANA "Hardware Types" (as Wireshark names them; the Linux ARPHRD_ values above 255 too,
// because Linux cooked captures use them).
constexpr ValueName kHwTypes[] = {
    {0, "NET/ROM pseudo"}, {1, "Ethernet"}, {2, "Experimental Ethernet"}, {3, "AX.25"}, {4, "ProNET"},
    {5, "Chaos"}, {6, "IEEE 802"}, {7, "ARCNET"}, {8, "Hyperchannel"}, {9, "Lanstar"},
    {10, "Autonet Short Address"}, {11, "Localtalk"}, {12, "LocalNet"}, {13, "Ultra link"}, {14, "SMDS"},
    {15, "Frame Relay DLCI"}, {16, "ATM"}, {17, "HDLC"}, {18, "Fibre Channel"}, {19, "ATM (RFC 2225)"},
    {20, "Serial Line"}, {21, "ATM"}, {22, "MIL-STD-188-220"}, {23, "Metricom STRIP"}, {24, "IEEE 1394.1995"},
    {25, "MAPOS"}, {26, "Twinaxial"}, {27, "EUI-64"}, {28, "HIPARP"}, {29, "IP and ARP over ISO 7816-3"},
    {30, "ARPSec"}, {31, "IPsec tunnel"}, {32, "InfiniBand"}, {33, "TIA-102 Project 25 CAI"},
    {34, "Wiegand Interface"}, {35, "Pure IP"}, {36, "Experimental 1"}, {37, "HFI"}, {256, "Experimental 2"},
    {257, "AEthernet"}, {512, "PPP"}, {513, "Cisco HDLC"}, {516, "LAPB"}, {519, "Raw IP"}, {768, "IPIP tunnel"},
    {769, "IP6IP6 tunnel"}, {772, "Loopback"}, {774, "Fiber Distributed Data Interface"},
    {776, "sit0 device - IPv6-in-IPv4"}, {778, "GRE over IP"}, {801, "IEEE 802.11"},
    {803, "IEEE 802.11 + radiotap header"}, {804, "IEEE 802.15.4"}, {823, "GRE over IPv6"}, {824, "Netlink"},
    {65534, "zero header length"}, {65535, "Void type, nothing is known"},
};

enum : std::uint16_t {
    kRequest = 1, kReply = 2, kRRequest = 3, kRReply = 4, kDrarpRequest = 5, kDrarpReply = 6, kDrarpError = 7,
    kIRequest = 8, kIReply = 9, kArpNak = 10, kMarsFirst = 11, kMarsLast = 22, kMaposUnarp = 23, kExp1 = 24,
    kExp2 = 25
};

constexpr ValueName kOpcodes[] = {
    {1, "request"}, {2, "reply"}, {3, "reverse request"}, {4, "reverse reply"}, {5, "drarp request"},
    {6, "drarp reply"}, {7, "drarp error"}, {8, "inverse request"}, {9, "inverse reply"}, {10, "arp nak"},
    {11, "mars request"}, {12, "mars multi"}, {13, "mars mserv"}, {14, "mars join"}, {15, "mars leave"},
    {16, "mars nak"}, {17, "mars unserv"}, {18, "mars sjoin"}, {19, "mars sleave"},
    {20, "mars grouplist request"}, {21, "mars grouplist reply"}, {22, "mars redirect map"},
    {23, "mapos unarp"}, {24, "experimental 1"}, {25, "experimental 2"}, {0, "reserved"}, {65535, "reserved"},
};

// The Info text of the MARS messages (RFC 2022), opcodes 11 to 22, before "from HW at PROTO".
constexpr const char* kMarsInfo[] = {
    "MARS request", "MARS MULTI request", "MARS MSERV request", "MARS JOIN request", "MARS LEAVE",
    "MARS NAK", "MARS UNSERV request", "MARS SJOIN request", "MARS SLEAVE", "MARS grouplist request",
    "MARS grouplist reply", "MARS redirect map",
};

constinit const FieldDef kFields[] = {
    {"arp", "Address Resolution Protocol", FieldType::protocol, Base::none, 0, {},
     "ARP finds the MAC address that belongs to an IP address on the local link, so the IP packet can be put "
     "in an Ethernet frame addressed to the right card.", &kArpProto},
    {"arp.hw.type", "Hardware type", FieldType::u16, Base::dec, 0, kHwTypes,
     "The kind of link the hardware addresses belong to (1 = Ethernet).", &kArpProto},
    {"arp.proto.type", "Protocol type", FieldType::u16, Base::hex, 0, kEtherTypeNames,
     "The network protocol whose addresses are being resolved, as an EtherType (0x0800 = IPv4).", &kArpProto},
    {"arp.hw.size", "Hardware size", FieldType::u8, Base::dec, 0, {},
     "Length of a hardware address in bytes (6 for a MAC address).", &kArpProto},
    {"arp.proto.size", "Protocol size", FieldType::u8, Base::dec, 0, {},
     "Length of a protocol address in bytes (4 for an IPv4 address).", &kArpProto},
    {"arp.opcode", "Opcode", FieldType::u16, Base::dec, 0, kOpcodes,
     "What the packet does: 1 = request (\"who has this IP?\"), 2 = reply (\"it is at this MAC\").",
     &kArpProto},
    {"arp.isgratuitous", "Is gratuitous", FieldType::boolean, Base::none, 0, {},
     "The sender asks or announces its own IP address (sender and target IP are equal), to update the "
     "neighbours' caches or detect a conflict.", &kArpProto},
    {"arp.isprobe", "Is probe", FieldType::boolean, Base::none, 0, {},
     "An ARP probe (RFC 5227): sender IP 0.0.0.0, checking that nobody uses an address before taking it.",
     &kArpProto},
    {"arp.isannouncement", "Is announcement", FieldType::boolean, Base::none, 0, {},
     "An ARP announcement (RFC 5227): a host claims an address it has just taken.", &kArpProto},
    {"arp.src.hw_mac", "Sender MAC address", FieldType::ether, Base::none, 0, {},
     "The MAC address of the host that sent this ARP packet.", &kArpProto},
    {"arp.src.hw", "Sender hardware address", FieldType::bytes, Base::none, 0, {},
     "The sender's hardware address, for links other than Ethernet.", &kArpProto},
    {"arp.src.proto_ipv4", "Sender IP address", FieldType::ipv4, Base::none, 0, {},
     "The IP address of the host that sent this ARP packet.", &kArpProto},
    {"arp.src.proto", "Sender protocol address", FieldType::bytes, Base::none, 0, {},
     "The sender's protocol address, for protocols other than IPv4.", &kArpProto},
    {"arp.dst.hw_mac", "Target MAC address", FieldType::ether, Base::none, 0, {},
     "The MAC address being asked for (zeros in a request: it is not known yet) or the one answered to.",
     &kArpProto},
    {"arp.dst.hw", "Target hardware address", FieldType::bytes, Base::none, 0, {},
     "The target's hardware address, for links other than Ethernet.", &kArpProto},
    {"arp.dst.proto_ipv4", "Target IP address", FieldType::ipv4, Base::none, 0, {},
     "The IP address whose owner the sender is looking for (in a request) or answering (in a reply).",
     &kArpProto},
    {"arp.dst.proto", "Target protocol address", FieldType::bytes, Base::none, 0, {},
     "The target's protocol address, for protocols other than IPv4.", &kArpProto},
    {"arp.duplicate-address-frame", "Frame showing earlier use of IP address", FieldType::framenum, Base::none, 0,
     {}, "An earlier frame where a different MAC address claimed the same IP address: two hosts share an "
     "address, or someone is spoofing ARP.", &kArpProto},
    {"arp.seconds-since-duplicate-address-frame", "Seconds since earlier frame seen", FieldType::u32, Base::dec,
     0, {}, "How long ago the other MAC address claimed this IP address.", &kArpProto},
};
static_assert(std::size(kFields) == hf_count);

class Arp final : public Dissector {
public:
    void reset() override { bindings_.clear(); }

    void dissect(const Tvb& tvb, Ctx& ctx) override {
        Layer layer(ctx, kArpProto, tvb, 8);
        Fields h(ctx, tvb, "ARP header");
        std::uint64_t hrd = h.uint(kFields[hf_hw_type], 0, 2);
        std::uint64_t pro = h.uint(kFields[hf_proto_type], 2, 2);
        std::uint64_t hln = h.uint(kFields[hf_hw_size], 4, 1);
        std::uint64_t pln = h.uint(kFields[hf_proto_size], 5, 1);
        std::uint64_t op = h.uint(kFields[hf_opcode], 6, 2);
        if (!h.ok()) return;
        ctx.pinfo.protocol = protocol_column(static_cast<std::uint16_t>(op));
        std::size_t total = 8 + 2 * hln + 2 * pln;
        layer.set_length(std::min(total, tvb.size()));
        // The link layer pads short frames; what follows the ARP packet is not part of it.
        if (ctx.pinfo.ip_depth == 0) ctx.consumed = total;

        const std::size_t sha = 8, spa = sha + hln, tha = spa + pln, tpa = tha + hln;
        bool ether = (hrd == 1 || hrd == 6) && hln == 6;
        bool ipv4 = (pro == 0x0800 || pro == 0xcc) && pln == 4;
        if (!tvb.has(0, total)) {
            // Add what is there, field by field, so the truncation is reported where it happens.
            addresses(h, ether, ipv4, hln, pln, sha, spa, tha, tpa, op);
            return;
        }

        bool gratuitous = false, probe = false, announcement = false;
        if (op == kRequest || op == kReply) {
            gratuitous = std::equal(tvb.data() + spa, tvb.data() + spa + pln, tvb.data() + tpa);
            bool tha_zero = tvb.has(tha, 6) && std::all_of(tvb.data() + tha, tvb.data() + tha + 6,
                                                           [](std::uint8_t b) { return b == 0; });
            if (gratuitous)
                announcement = op == kRequest && tha_zero;
            else
                probe = op == kRequest && tha_zero && tvb.has(spa, 4) && *tvb.be32(spa) == 0;
        }
        if (gratuitous) h.generated(kFields[hf_isgratuitous], 0, 0, 1);
        if (probe) h.generated(kFields[hf_isprobe], 0, 0, 1);
        if (announcement) h.generated(kFields[hf_isannouncement], 0, 0, 1);
        addresses(h, ether, ipv4, hln, pln, sha, spa, tha, tpa, op);

        // Two MAC addresses claiming one IP address: a misconfiguration or ARP spoofing.
        std::uint32_t duplicate = 0;
        bool dup_found = false;
        if ((op == kRequest || op == kReply) && ether && ipv4) {
            std::uint32_t ip = *tvb.be32(spa);
            const std::uint8_t* mac = tvb.data() + sha;
            if ((mac[0] & 1) == 0 && !all_zero(mac) && ip != 0) dup_found = check_duplicate(ctx, tvb, mac, ip, duplicate);
            ip = *tvb.be32(tpa);
            mac = tvb.data() + tha;
            if ((mac[0] & 1) == 0 && !all_zero(mac) && ip != 0 && op != kRequest && duplicate != ip)
                dup_found = check_duplicate(ctx, tvb, mac, ip, duplicate);
        }

        if (ctx.want_info) {
            std::string_view name = value_name(kFields[hf_opcode], op);
            if (name.empty()) {
                char buf[32];
                std::snprintf(buf, sizeof buf, "opcode 0x%04x", static_cast<unsigned>(op));
                layer.set_summary(buf);
            } else {
                layer.set_summary(gratuitous && op == kRequest ? "request/gratuitous ARP"
                                  : gratuitous && op == kReply ? "reply/gratuitous ARP"
                                  : probe                      ? "ARP Probe"
                                  : announcement               ? "ARP Announcement"
                                                               : name);
            }
            std::string& s = ctx.pinfo.info;
            s.clear();
            info(s, tvb, static_cast<std::uint16_t>(op), static_cast<std::uint16_t>(hrd),
                 static_cast<std::uint16_t>(pro), hln, pln, sha, spa, tha, tpa, gratuitous, probe, announcement);
            if (dup_found) {
                std::uint8_t ip[4] = {std::uint8_t(duplicate >> 24), std::uint8_t(duplicate >> 16),
                                      std::uint8_t(duplicate >> 8), std::uint8_t(duplicate)};
                s += " (duplicate use of ";
                append_ipv4(s, ip);
                s += " detected!)";
            }
        }
    }

private:
    struct Binding {
        std::array<std::uint8_t, 6> mac;
        std::uint64_t frame;
        std::int64_t seconds;
    };

    static bool all_zero(const std::uint8_t* mac) {
        return std::all_of(mac, mac + 6, [](std::uint8_t b) { return b == 0; });
    }

    static std::string_view protocol_column(std::uint16_t op) {
        if (op == kRRequest || op == kRReply) return "RARP";
        if (op >= kDrarpRequest && op <= kDrarpError) return "DRARP";
        if (op == kIRequest || op == kIReply) return "Inverse ARP";
        if (op >= kMarsFirst && op <= kMarsLast) return "MARS";
        if (op == kMaposUnarp) return "MAPOS";
        return "ARP";
    }

    static void addresses(Fields& h, bool ether, bool ipv4, std::size_t hln, std::size_t pln, std::size_t sha,
                          std::size_t spa, std::size_t tha, std::size_t tpa, std::uint64_t op) {
        if (hln) h.raw(kFields[ether ? hf_src_hw_mac : hf_src_hw], sha, hln);
        if (pln) h.raw(kFields[ipv4 ? hf_src_proto_ipv4 : hf_src_proto], spa, pln);
        if (hln) h.raw(kFields[ether ? hf_dst_hw_mac : hf_dst_hw], tha, hln);
        // A DRARP error carries an error code where the target address would be; shown raw here.
        if (pln) h.raw(kFields[ipv4 && op != kDrarpError ? hf_dst_proto_ipv4 : hf_dst_proto], tpa, pln);
    }

    // Wireshark's check: the first MAC seen for an IP address is remembered; a later frame with
    // another MAC for it is reported (and the remembered one is kept).
    bool check_duplicate(Ctx& ctx, const Tvb& tvb, const std::uint8_t* mac, std::uint32_t ip,
                         std::uint32_t& duplicate) {
        std::array<std::uint8_t, 6> m;
        std::copy(mac, mac + 6, m.begin());
        const Frame& frame = *ctx.pinfo.frame;
        std::int64_t secs = frame.ts_ns >= 0 ? frame.ts_ns / 1'000'000'000 : -((-frame.ts_ns + 999'999'999) / 1'000'000'000);
        auto [it, fresh] = bindings_.try_emplace(ip, Binding{m, frame.number, secs});
        if (fresh || frame.number <= it->second.frame) return false;
        if (it->second.mac == m) {
            it->second.frame = frame.number;
            it->second.seconds = secs;
            return false;
        }
        ctx.tree.add(kFields[hf_dup_frame], tvb, 0, 0, it->second.frame, kGenerated);
        std::string note = "Duplicate IP address configured (";
        std::uint8_t b[4] = {std::uint8_t(ip >> 24), std::uint8_t(ip >> 16), std::uint8_t(ip >> 8), std::uint8_t(ip)};
        append_ipv4(note, b);
        note += ')';
        ctx.note(tvb, 0, 0, note);
        ctx.tree.add(kFields[hf_dup_seconds], tvb, 0, 0, static_cast<std::uint32_t>(secs - it->second.seconds),
                     kGenerated);
        duplicate = ip;
        return true;
    }

    // Address text as the Info column shows it.
    static void proto_addr(std::string& s, const Tvb& tvb, std::size_t off, std::size_t len, std::uint16_t pro) {
        if (len == 0) {
            s += "<No address>";
        } else if ((pro == 0x0800 || pro == 0xcc) && len == 4) {
            append_ipv4(s, tvb.data() + off);
        } else if (pro == 0x86dd && len == 16) {
            append_ipv6(s, tvb.data() + off);
        } else {
            hex(s, tvb, off, len);
        }
    }
    static void hw_addr(std::string& s, const Tvb& tvb, std::size_t off, std::size_t len, std::uint16_t hrd) {
        if (len == 0)
            s += "<No address>";
        else if ((hrd == 1 || hrd == 6) && len == 6)
            append_ether(s, tvb.data() + off);
        else
            hex(s, tvb, off, len);
    }
    static void hex(std::string& s, const Tvb& tvb, std::size_t off, std::size_t len) {
        char buf[4];
        for (std::size_t i = 0; i < len; ++i) {
            std::snprintf(buf, sizeof buf, "%02x", tvb.data()[off + i]);
            s += buf;
        }
    }

    static void info(std::string& s, const Tvb& tvb, std::uint16_t op, std::uint16_t hrd, std::uint16_t pro,
                     std::size_t hln, std::size_t pln, std::size_t sha, std::size_t spa, std::size_t tha,
                     std::size_t tpa, bool gratuitous, bool probe, bool announcement) {
        switch (op) {
            case kRequest:
                if (gratuitous) {
                    s += announcement ? "ARP Announcement for " : "Gratuitous ARP for ";
                    proto_addr(s, tvb, tpa, pln, pro);
                    if (!announcement) s += " (Request)";
                } else if (probe) {
                    s += "Who has ";
                    proto_addr(s, tvb, tpa, pln, pro);
                    s += "? (ARP Probe)";
                } else {
                    s += "Who has ";
                    proto_addr(s, tvb, tpa, pln, pro);
                    s += "? Tell ";
                    proto_addr(s, tvb, spa, pln, pro);
                }
                return;
            case kReply:
                if (gratuitous) {
                    s += "Gratuitous ARP for ";
                    proto_addr(s, tvb, spa, pln, pro);
                    s += " (Reply)";
                } else {
                    proto_addr(s, tvb, spa, pln, pro);
                    s += " is at ";
                    hw_addr(s, tvb, sha, hln, hrd);
                }
                return;
            case kRRequest:
            case kIRequest:
            case kDrarpRequest:
                s += "Who is ";
                hw_addr(s, tvb, tha, hln, hrd);
                s += "? Tell ";
                hw_addr(s, tvb, sha, hln, hrd);
                return;
            case kRReply:
            case kDrarpReply:
                hw_addr(s, tvb, tha, hln, hrd);
                s += " is at ";
                proto_addr(s, tvb, tpa, pln, pro);
                return;
            case kDrarpError: s += "DRARP Error"; return;
            case kIReply:
                hw_addr(s, tvb, sha, hln, hrd);
                s += " is at ";
                proto_addr(s, tvb, spa, pln, pro);
                return;
            case kArpNak: s += "ARP NAK"; return;
            case kMaposUnarp:
                s += "MAPOS UNARP request from ";
                hw_addr(s, tvb, sha, hln, hrd);
                s += " at ";
                proto_addr(s, tvb, spa, pln, pro);
                return;
            default: break;
        }
        char buf[48];
        if (op >= kMarsFirst && op <= kMarsLast) {
            s += kMarsInfo[op - kMarsFirst];
            s += " from ";
            hw_addr(s, tvb, sha, hln, hrd);
            s += " at ";
            proto_addr(s, tvb, spa, pln, pro);
        } else if (op == kExp1 || op == kExp2) {
            std::snprintf(buf, sizeof buf, "Experimental %d ( opcode %d )", op - kExp1 + 1, op);
            s += buf;
        } else if (op == 0 || op == 65535) {
            std::snprintf(buf, sizeof buf, "Reserved opcode %d", op);
            s += buf;
        } else {
            std::snprintf(buf, sizeof buf, "Unknown ARP opcode 0x%04x", op);
            s += buf;
        }
    }

    std::unordered_map<std::uint32_t, Binding> bindings_;
};
}  // namespace

constinit const ProtocolDef kArpProto{"arp", "ARP", "Address Resolution Protocol", OsiLayer::data_link,
                                      TcpIpLayer::link, "RFC 826, RFC 903", kFields};

void register_arp(Registry& r) {
    r.add_protocol(kArpProto);
    auto& d = r.make<Arp>();
    r.add(Table::ethertype, 0x0806, d);
    r.add(Table::ethertype, 0x8035, d);  // RARP uses the same packet format
}

}  // namespace wirelab::proto
