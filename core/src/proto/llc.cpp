// IEEE 802.2 Logical Link Control and SNAP (IEEE 802.2, IEEE 802-2014 clause 10; RFC 1042 for IP).
//
// An 802.3 frame (length instead of EtherType) starts its payload with LLC: a destination and
// source service access point (which protocol), then a control field (the HDLC frame kind). SAP
// 0xAA means a SNAP header follows: an organization code and a protocol number, where
// organization 00-00-00 means "the protocol number is an EtherType" (RFC 1042).
#include <cstdio>
#include <string>

#include "proto_util.hpp"

namespace wirelab::proto {

extern const ProtocolDef kLlcProto;

namespace {

enum : std::size_t {
    hf_llc, hf_dsap, hf_dsap_sap, hf_dsap_ig, hf_ssap, hf_ssap_sap, hf_ssap_cr, hf_control, hf_u_cmd, hf_u_resp,
    hf_poll, hf_final, hf_ftype, hf_n_r, hf_n_s, hf_s_ftype,
    hf_oui, hf_type, hf_pid, hf_cisco_pid, hf_apple_pid, hf_count
};

// Service access points (IEEE registry), named as Wireshark names them.
constexpr ValueName kSaps[] = {
    {0x00, "NULL LSAP"}, {0x02, "LLC Sub-Layer Management"}, {0x04, "SNA Path Control"}, {0x06, "TCP/IP"},
    {0x08, "SNA"}, {0x0c, "SNA"}, {0x0e, "PROWAY (IEC955) Network Management and Initialization"},
    {0x10, "NetWare (unofficial?)"}, {0x14, "ISO Network Layer (OSLAN 1)"}, {0x18, "Texas Instruments"},
    {0x20, "ISO Network Layer (unofficial?)"}, {0x34, "ISO Network Layer (unofficial?)"},
    {0x42, "Spanning Tree BPDU"}, {0x4e, "EIA RS-511 Manufacturing Message Service"},
    {0x54, "ISO Network Layer (OSLAN 2)"}, {0x7e, "ISO 8208 (X.25 over 802.2)"}, {0x80, "XNS"}, {0x82, "BACnet"},
    {0x86, "Nestar"}, {0x8e, "PROWAY (IEC955) Active Station List Maintenance"}, {0x98, "ARP"},
    {0xaa, "SNAP"}, {0xb4, "HP JetDirect Printer"}, {0xba, "Banyan Vines"}, {0xbc, "Banyan Vines"},
    {0xe0, "NetWare"}, {0xf0, "NetBIOS"}, {0xf4, "IBM Net Management"}, {0xf8, "HP Extended LLC"},
    {0xfa, "Ungermann-Bass"}, {0xfc, "Remote Program Load"}, {0xfe, "ISO Network Layer"}, {0xff, "Global LSAP"},
};
constexpr ValueName kIg[] = {{0, "Individual"}, {1, "Group"}};
constexpr ValueName kCr[] = {{0, "Command"}, {1, "Response"}};

// Unnumbered frame kinds (ISO 13239), value = the modifier bits (mask 0xec) shifted down.
constexpr ValueName kUCmd[] = {
    {0x00, "Unnumbered Information"}, {0x08, "Unnumbered Poll"}, {0x10, "Disconnect"},
    {0x18, "Unnumbered Acknowledge"}, {0x20, "Set Normal Response Mode"}, {0x38, "Test"},
    {0x01, "Set Initialization Mode"}, {0x21, "Frame reject"}, {0x31, "Configure"},
    {0x03, "Set Asynchronous Response Mode"}, {0x0b, "Set Asynchronous Balanced Mode"},
    {0x13, "Set Asynchronous Response Mode Extended"}, {0x1b, "Set Asynchronous Balanced Mode Extended"},
    {0x23, "Reset"}, {0x2b, "Exchange identification"}, {0x33, "Set Normal Response Mode Extended"},
    {0x3b, "Beacon"},
};
constexpr ValueName kUResp[] = {
    {0x00, "Unnumbered Information"}, {0x08, "Unnumbered Poll"}, {0x10, "Request Disconnect"},
    {0x18, "Unnumbered Acknowledge"}, {0x20, "Set Normal Response Mode"}, {0x38, "Test"},
    {0x01, "Request Initialization Mode"}, {0x21, "Frame reject"}, {0x31, "Configure"},
    {0x03, "Disconnected mode"}, {0x0b, "Set Asynchronous Balanced Mode"},
    {0x13, "Set Asynchronous Response Mode Extended"}, {0x1b, "Set Asynchronous Balanced Mode Extended"},
    {0x23, "Reset"}, {0x2b, "Exchange identification"}, {0x33, "Set Normal Response Mode Extended"},
    {0x3b, "Beacon"},
};
// The short names the Info column uses for the same modifiers.
constexpr ValueName kUCmdShort[] = {
    {0x00, "UI"}, {0x08, "UP"}, {0x10, "DISC"}, {0x18, "UA"}, {0x20, "SNRM"}, {0x38, "TEST"}, {0x01, "SIM"},
    {0x21, "FRMR"}, {0x31, "CFGR"}, {0x03, "SARM"}, {0x0b, "SABM"}, {0x13, "SARME"}, {0x1b, "SABME"},
    {0x23, "RESET"}, {0x2b, "XID"}, {0x33, "SNRME"}, {0x3b, "BCN"},
};
constexpr ValueName kURespShort[] = {
    {0x00, "UI"}, {0x08, "UP"}, {0x10, "RD"}, {0x18, "UA"}, {0x20, "SNRM"}, {0x38, "TEST"}, {0x01, "RIM"},
    {0x21, "FRMR"}, {0x31, "CFGR"}, {0x03, "DM"}, {0x0b, "SABM"}, {0x13, "SARME"}, {0x1b, "SABME"},
    {0x23, "RESET"}, {0x2b, "XID"}, {0x33, "SNRME"}, {0x3b, "BCN"},
};
constexpr ValueName kSFunc[] = {{0, "Receiver ready"}, {1, "Receiver not ready"}, {2, "Reject"},
                                {3, "Selective reject"}};
constexpr const char* kSFuncShort[] = {"RR", "RNR", "REJ", "SREJ"};
constexpr ValueName kFtype[] = {{0, "Information frame"}, {1, "Supervisory frame"}, {3, "Unnumbered frame"}};
constexpr ValueName kCiscoPids[] = {
    {0x0102, "DRIP"}, {0x0104, "PAgP"}, {0x0105, "MLS Hello"}, {0x010b, "PVSTP+"}, {0x010c, "VLAN Bridge"},
    {0x0111, "UDLD"}, {0x2000, "CDP"}, {0x2001, "CGMP"}, {0x2003, "VTP"}, {0x2004, "DTP"},
    {0x200a, "STP Uplink Fast"},
};

// Organization codes the Info column names (Wireshark takes them from its manuf file).
constexpr ValueName kOuis[] = {
    {0x000000, "Officially Xerox, but 0:0:0:0:0:0 is more common"},
    {0x00000c, "Cisco Systems, Inc"},
    {0x0000f8, "Digital Equipment Corporation"},
    {0x080007, "Apple, Inc."},
};

// SAPs whose protocol wirelab knows by its EtherType: the payload goes to that dissector.
struct SapType {
    std::uint8_t sap;
    std::uint32_t ethertype;
};
constexpr SapType kSapTypes[] = {{0x06, 0x0800}, {0x98, 0x0806}};

constinit const FieldDef kFields[] = {
    {"llc", "Logical-Link Control", FieldType::protocol, Base::none, 0, {},
     "The IEEE 802.2 header of an 802.3 frame: it says which protocol the payload is for, by service access "
     "point (SAP) or, with SNAP, by organization and protocol number.", &kLlcProto},
    {"llc.dsap", "DSAP", FieldType::u8, Base::hex, 0, kSaps,
     "Destination Service Access Point: the protocol the payload is for at the receiver (0x42 = spanning tree, "
     "0xAA = a SNAP header follows).", &kLlcProto},
    {"llc.dsap.sap", "SAP", FieldType::u8, Base::dec, 0xfe, kSaps, "The access point number without the I/G bit.",
     &kLlcProto},
    {"llc.dsap.ig", "IG Bit", FieldType::boolean, Base::none, 0x01, kIg,
     "Set: the frame is for a group of access points rather than one.", &kLlcProto},
    {"llc.ssap", "SSAP", FieldType::u8, Base::hex, 0, kSaps,
     "Source Service Access Point: the protocol that sent the payload.", &kLlcProto},
    {"llc.ssap.sap", "SAP", FieldType::u8, Base::dec, 0xfe, kSaps, "The access point number without the C/R bit.",
     &kLlcProto},
    {"llc.ssap.cr", "CR Bit", FieldType::boolean, Base::none, 0x01, kCr,
     "Set: this frame is a response; clear: a command.", &kLlcProto},
    {"llc.control", "Control", FieldType::u16, Base::hex, 0, {},
     "The HDLC control field: numbered information (I), supervisory (S) or unnumbered (U) frame; almost all "
     "LAN traffic uses U frames of kind UI (connectionless).", &kLlcProto},
    {"llc.control.u_modifier_cmd", "Command", FieldType::u8, Base::hex, 0xec, kUCmd,
     "Which unnumbered command this is (UI = plain data, TEST, XID...).", &kLlcProto},
    {"llc.control.u_modifier_resp", "Response", FieldType::u8, Base::hex, 0xec, kUResp,
     "Which unnumbered response this is.", &kLlcProto},
    {"llc.control.p", "Poll", FieldType::boolean, Base::none, 0x10, {},
     "Set: the sender asks for an answer.", &kLlcProto},
    {"llc.control.f", "Final", FieldType::boolean, Base::none, 0x10, {},
     "Set: this is the final frame of the answer to a poll.", &kLlcProto},
    {"llc.control.ftype", "Frame type", FieldType::u8, Base::hex, 0x03, kFtype,
     "The frame kind from the low bits of the control field.", &kLlcProto},
    {"llc.control.n_r", "N(R)", FieldType::u16, Base::dec, 0xfe00, {},
     "Receive sequence number: the next frame the sender expects from the other side.", &kLlcProto},
    {"llc.control.n_s", "N(S)", FieldType::u16, Base::dec, 0x00fe, {},
     "Send sequence number of this information frame.", &kLlcProto},
    {"llc.control.s_ftype", "Supervisory frame type", FieldType::u16, Base::hex, 0, kSFunc,
     "What a supervisory frame says: ready, not ready, or resend.", &kLlcProto},
    {"llc.oui", "Organization Code", FieldType::u24, Base::dec, 0, kOuis,
     "SNAP organization code: who defined the protocol number that follows (00-00-00: it is an EtherType).",
     &kLlcProto},
    {"llc.type", "Type", FieldType::u16, Base::hex, 0, kEtherTypeNames,
     "The EtherType of the payload, carried in a SNAP header (RFC 1042).", &kLlcProto},
    {"llc.pid", "Protocol ID", FieldType::u16, Base::hex, 0, {},
     "The protocol number, defined by the organization above.", &kLlcProto},
    {"llc.cisco_pid", "PID", FieldType::u16, Base::hex, 0, kCiscoPids,
     "A Cisco protocol number (0x2000 = CDP, 0x010b = per-VLAN spanning tree).", &kLlcProto},
    {"llc.apple_atalk_pid", "PID", FieldType::u16, Base::hex, 0, {},
     "An AppleTalk protocol number.", &kLlcProto},
};
static_assert(std::size(kFields) == hf_count);

class Llc final : public Dissector {
public:
    void dissect(const Tvb& tvb, Ctx& ctx) override {
        Layer layer(ctx, kLlcProto, tvb, 3);
        Fields h(ctx, tvb, "LLC header");
        std::uint64_t dsap = h.uint(kFields[hf_dsap], 0, 1);
        h.uint(kFields[hf_dsap_sap], 0, 1);
        h.uint(kFields[hf_dsap_ig], 0, 1);
        std::uint64_t ssap = h.uint(kFields[hf_ssap], 1, 1);
        h.uint(kFields[hf_ssap_sap], 1, 1);
        h.uint(kFields[hf_ssap_cr], 1, 1);
        if (!h.ok()) return;
        bool response = ssap & 1;
        std::string info;
        std::size_t hdr = control(ctx, h, tvb, response, info);
        if (!h.ok()) return;
        // The Info column describes the LLC header until the payload's protocol replaces it.
        set_info(ctx, info);
        info += "; ";
        if (dsap == 0xaa && ssap == 0xaa) {
            snap(ctx, h, tvb, layer, hdr, info);
            return;
        }
        info += "DSAP ";
        sap_name(info, dsap);
        info += dsap & 1 ? " Group" : " Individual";
        info += ", SSAP ";
        sap_name(info, ssap);
        info += response ? " Response" : " Command";
        set_info(ctx, info);
        layer.set_length(hdr);
        layer.close();
        Tvb body = tvb.tail(hdr);
        for (const SapType& t : kSapTypes) {
            if (t.sap == (dsap & 0xfe) && ctx.registry.find(Table::ethertype, t.ethertype)) {
                ctx.pinfo.info.clear();
                ctx.call(Table::ethertype, t.ethertype, body);
                return;
            }
        }
        ctx.data(body);
    }

private:
    static void sap_name(std::string& s, std::uint64_t sap) {
        std::string_view name = value_name(kFields[hf_dsap], sap & 0xfe);
        if (!name.empty()) {
            s += name;
            return;
        }
        char buf[8];
        std::snprintf(buf, sizeof buf, "0x%02x", static_cast<unsigned>(sap & 0xfe));
        s += buf;
    }

    // The control field (ISO 13239 section 5.3): one byte for U frames, two (little-endian, the
    // "extended" format 802.2 uses) for I and S frames. Returns the header length.
    static std::size_t control(Ctx& ctx, Fields& h, const Tvb& tvb, bool response, std::string& info) {
        auto first = tvb.u8(2);
        if (!first) {
            h.fits(2, 1);
            return 3;
        }
        if ((*first & 0x03) == 0x03) {
            std::uint8_t c = *first;
            std::uint8_t mod = static_cast<std::uint8_t>((c & 0xec) >> 2);
            bool pf = c & 0x10;
            info = pf ? (response ? "U F, func=" : "U P, func=") : "U, func=";
            std::string_view fn;
            for (const ValueName& v : response ? std::span<const ValueName>(kURespShort)
                                               : std::span<const ValueName>(kUCmdShort))
                if (v.value == mod) fn = v.name;
            if (fn.empty()) {
                char buf[16];
                std::snprintf(buf, sizeof buf, "Unknown 0x%02x", c & 0xec);
                info += buf;
            } else {
                info += fn;
            }
            ctx.tree.add(kFields[hf_control], tvb, 2, 1, c);
            h.uint(kFields[response ? hf_u_resp : hf_u_cmd], 2, 1);
            if (pf) h.uint(kFields[response ? hf_final : hf_poll], 2, 1);
            h.uint(kFields[hf_ftype], 2, 1);
            return 3;
        }
        if (!h.fits(2, 2)) return 4;
        std::uint16_t c = *tvb.le16(2);
        bool pf = c & 0x0100;
        const char* pfs = pf ? (response ? " F" : " P") : "";
        ctx.tree.add(kFields[hf_control], tvb, 2, 2, c);
        // Wireshark shows these fields of the two-byte control field with 16-bit types, so they
        // print with four hex digits ("0x0001"); wirelab has one definition per field name and
        // gives them their text directly.
        char buf[64];
        auto text16 = [&](const FieldDef& f, unsigned v) {
            char t[8];
            std::snprintf(t, sizeof t, "0x%04x", v);
            ctx.tree.add_text(f, tvb, 2, 2, t);
        };
        if ((c & 0x01) == 0) {
            std::snprintf(buf, sizeof buf, "I%s, N(R)=%u, N(S)=%u", pfs, (c >> 9) & 0x7f, (c >> 1) & 0x7f);
            ctx.tree.add(kFields[hf_n_r], tvb, 2, 2, (c & 0xfe00) >> 9);
            ctx.tree.add(kFields[hf_n_s], tvb, 2, 2, (c & 0x00fe) >> 1);
            if (pf) ctx.tree.add_text(kFields[response ? hf_final : hf_poll], tvb, 3, 1, "1");
            text16(kFields[hf_ftype], c & 0x0001);
        } else {
            std::snprintf(buf, sizeof buf, "S%s, func=%s, N(R)=%u", pfs, kSFuncShort[(c >> 2) & 3], (c >> 9) & 0x7f);
            ctx.tree.add(kFields[hf_n_r], tvb, 2, 2, (c & 0xfe00) >> 9);
            if (pf) ctx.tree.add_text(kFields[response ? hf_final : hf_poll], tvb, 3, 1, "1");
            text16(kFields[hf_s_ftype], (c & 0x000c) >> 2);
            text16(kFields[hf_ftype], c & 0x0003);
        }
        info = buf;
        return 4;
    }

    // SNAP (IEEE 802-2014 clause 10.3): a 3-byte organization code and a 2-byte protocol ID.
    static void snap(Ctx& ctx, Fields& h, const Tvb& tvb, Layer& layer, std::size_t hdr, std::string& info) {
        std::uint64_t oui = h.uint(kFields[hf_oui], hdr, 3);
        if (!h.fits(hdr + 3, 2)) return;
        std::uint16_t pid = *tvb.be16(hdr + 3);
        bool ethertype = oui == 0x000000 || oui == 0x0000f8;  // RFC 1042, and 802.1H bridge tunnelling
        std::size_t field = ethertype ? hf_type : oui == 0x00000c ? hf_cisco_pid : oui == 0x080007 ? hf_apple_pid
                                                                                                    : hf_pid;
        h.uint(kFields[field], hdr + 3, 2);
        if (ctx.want_info) {
            char buf[48];
            std::snprintf(buf, sizeof buf, "SNAP, OUI 0x%06X (", static_cast<unsigned>(oui));
            info += buf;
            std::string_view name = value_name(kFields[hf_oui], oui);
            info += name.empty() ? "Unknown" : name;
            std::snprintf(buf, sizeof buf, "), PID 0x%04X", pid);
            info += buf;
        }
        set_info(ctx, info);
        layer.set_length(hdr + 5);
        layer.close();
        Tvb body = tvb.tail(hdr + 5);
        if (ethertype && ctx.registry.find(Table::ethertype, pid)) {
            ctx.pinfo.info.clear();
            ctx.call(Table::ethertype, pid, body);
            return;
        }
        ctx.data(body);
    }

    static void set_info(Ctx& ctx, const std::string& info) {
        if (ctx.want_info) ctx.pinfo.info = info;
    }
};
}  // namespace

constinit const ProtocolDef kLlcProto{"llc", "LLC", "Logical-Link Control", OsiLayer::data_link, TcpIpLayer::link,
                                      "IEEE 802.2, RFC 1042", kFields};

void register_llc(Registry& r) {
    r.add_protocol(kLlcProto);
    r.add(Table::ethertype, 0x10000, r.make<Llc>());
}

}  // namespace wirelab::proto
