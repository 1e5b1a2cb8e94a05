// Link-layer header type names (https://www.tcpdump.org/linktypes.html) and the text of a
// capture-file error.
//
// Names are libpcap's DLT short names ("EN10MB", "LINUX_SLL2"), the ones tcpdump prints after
// "link-type" and `pcap_datalink_val_to_name()` returns, so wirelab's output can be compared
// with tcpdump's. Values that are LINKTYPE_-only (101 RAW, 100 ATM_RFC1483, ...) get the name of
// the DLT_ they stand for.
#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "wirelab/capture.hpp"

namespace wirelab {
namespace {

struct LinkTypeName {
    std::uint32_t value;
    std::string_view name;
};

// Sorted by value (checked below), so a lookup is a binary search.
constexpr std::array kLinkTypeNames = {
    LinkTypeName{0, "NULL"},
    LinkTypeName{1, "EN10MB"},
    LinkTypeName{3, "AX25"},
    LinkTypeName{6, "IEEE802"},  // LINKTYPE_IEEE802_5, Token Ring
    LinkTypeName{7, "ARCNET"},
    LinkTypeName{8, "SLIP"},
    LinkTypeName{9, "PPP"},
    LinkTypeName{10, "FDDI"},
    LinkTypeName{11, "ATM_RFC1483"},
    LinkTypeName{12, "RAW"},  // DLT_RAW where the BSDs put it; files should say 101
    LinkTypeName{15, "SLIP_BSDOS"},
    LinkTypeName{16, "PPP_BSDOS"},
    LinkTypeName{19, "ATM_CLIP"},
    LinkTypeName{50, "PPP_SERIAL"},  // LINKTYPE_PPP_HDLC
    LinkTypeName{51, "PPP_ETHER"},
    LinkTypeName{99, "SYMANTEC_FIREWALL"},
    LinkTypeName{100, "ATM_RFC1483"},
    LinkTypeName{101, "RAW"},  // LINKTYPE_RAW: starts at the IPv4 or IPv6 header
    LinkTypeName{102, "SLIP_BSDOS"},
    LinkTypeName{103, "PPP_BSDOS"},
    LinkTypeName{104, "C_HDLC"},
    LinkTypeName{105, "IEEE802_11"},
    LinkTypeName{106, "ATM_CLIP"},
    LinkTypeName{107, "FRELAY"},
    LinkTypeName{108, "LOOP"},
    LinkTypeName{109, "ENC"},
    LinkTypeName{113, "LINUX_SLL"},
    LinkTypeName{114, "LTALK"},
    LinkTypeName{117, "PFLOG"},
    LinkTypeName{119, "PRISM_HEADER"},
    LinkTypeName{122, "IP_OVER_FC"},
    LinkTypeName{123, "SUNATM"},
    LinkTypeName{127, "IEEE802_11_RADIO"},
    LinkTypeName{129, "ARCNET_LINUX"},
    LinkTypeName{130, "JUNIPER_MLPPP"},
    LinkTypeName{131, "JUNIPER_MLFR"},
    LinkTypeName{132, "JUNIPER_ES"},
    LinkTypeName{133, "JUNIPER_GGSN"},
    LinkTypeName{134, "JUNIPER_MFR"},
    LinkTypeName{135, "JUNIPER_ATM2"},
    LinkTypeName{136, "JUNIPER_SERVICES"},
    LinkTypeName{137, "JUNIPER_ATM1"},
    LinkTypeName{138, "APPLE_IP_OVER_IEEE1394"},
    LinkTypeName{139, "MTP2_WITH_PHDR"},
    LinkTypeName{140, "MTP2"},
    LinkTypeName{141, "MTP3"},
    LinkTypeName{142, "SCCP"},
    LinkTypeName{143, "DOCSIS"},
    LinkTypeName{144, "LINUX_IRDA"},
    LinkTypeName{145, "IBM_SP"},
    LinkTypeName{146, "IBM_SN"},
    // 147..162 are reserved for private use inside an organisation: no dissector can know them.
    LinkTypeName{147, "USER0"},
    LinkTypeName{148, "USER1"},
    LinkTypeName{149, "USER2"},
    LinkTypeName{150, "USER3"},
    LinkTypeName{151, "USER4"},
    LinkTypeName{152, "USER5"},
    LinkTypeName{153, "USER6"},
    LinkTypeName{154, "USER7"},
    LinkTypeName{155, "USER8"},
    LinkTypeName{156, "USER9"},
    LinkTypeName{157, "USER10"},
    LinkTypeName{158, "USER11"},
    LinkTypeName{159, "USER12"},
    LinkTypeName{160, "USER13"},
    LinkTypeName{161, "USER14"},
    LinkTypeName{162, "USER15"},
    LinkTypeName{163, "IEEE802_11_RADIO_AVS"},
    LinkTypeName{164, "JUNIPER_MONITOR"},
    LinkTypeName{165, "BACNET_MS_TP"},
    LinkTypeName{166, "PPP_PPPD"},
    LinkTypeName{167, "JUNIPER_PPPOE"},
    LinkTypeName{168, "JUNIPER_PPPOE_ATM"},
    LinkTypeName{169, "GPRS_LLC"},
    LinkTypeName{170, "GPF_T"},
    LinkTypeName{171, "GPF_F"},
    LinkTypeName{172, "GCOM_T1E1"},
    LinkTypeName{173, "GCOM_SERIAL"},
    LinkTypeName{174, "JUNIPER_PIC_PEER"},
    LinkTypeName{175, "ERF_ETH"},
    LinkTypeName{176, "ERF_POS"},
    LinkTypeName{177, "LINUX_LAPD"},
    LinkTypeName{178, "JUNIPER_ETHER"},
    LinkTypeName{179, "JUNIPER_PPP"},
    LinkTypeName{180, "JUNIPER_FRELAY"},
    LinkTypeName{181, "JUNIPER_CHDLC"},
    LinkTypeName{182, "MFR"},
    LinkTypeName{183, "JUNIPER_VP"},
    LinkTypeName{184, "A429"},
    LinkTypeName{185, "A653_ICM"},
    LinkTypeName{186, "USB_FREEBSD"},
    LinkTypeName{187, "BLUETOOTH_HCI_H4"},
    LinkTypeName{188, "IEEE802_16_MAC_CPS"},
    LinkTypeName{189, "USB_LINUX"},
    LinkTypeName{190, "CAN20B"},
    LinkTypeName{191, "IEEE802_15_4_LINUX"},
    LinkTypeName{192, "PPI"},
    LinkTypeName{193, "IEEE802_16_MAC_CPS_RADIO"},
    LinkTypeName{194, "JUNIPER_ISM"},
    LinkTypeName{195, "IEEE802_15_4"},
    LinkTypeName{196, "SITA"},
    LinkTypeName{197, "ERF"},
    LinkTypeName{198, "RAIF1"},
    LinkTypeName{199, "IPMB_KONTRON"},
    LinkTypeName{200, "JUNIPER_ST"},
    LinkTypeName{201, "BLUETOOTH_HCI_H4_WITH_PHDR"},
    LinkTypeName{202, "AX25_KISS"},
    LinkTypeName{204, "PPP_WITH_DIR"},
    LinkTypeName{205, "C_HDLC_WITH_DIR"},
    LinkTypeName{206, "FRELAY_WITH_DIR"},
    LinkTypeName{207, "LAPB_WITH_DIR"},
    LinkTypeName{209, "IPMB_LINUX"},
    LinkTypeName{210, "FLEXRAY"},
    LinkTypeName{211, "MOST"},
    LinkTypeName{212, "LIN"},
    LinkTypeName{213, "X2E_SERIAL"},
    LinkTypeName{214, "X2E_XORAYA"},
    LinkTypeName{215, "IEEE802_15_4_NONASK_PHY"},
    LinkTypeName{216, "LINUX_EVDEV"},
    LinkTypeName{217, "GSMTAP_UM"},
    LinkTypeName{218, "GSMTAP_ABIS"},
    LinkTypeName{219, "MPLS"},
    LinkTypeName{220, "USB_LINUX_MMAPPED"},
    LinkTypeName{221, "DECT"},
    LinkTypeName{222, "AOS"},
    LinkTypeName{223, "WIHART"},
    LinkTypeName{224, "FC_2"},
    LinkTypeName{225, "FC_2_WITH_FRAME_DELIMS"},
    LinkTypeName{226, "IPNET"},
    LinkTypeName{227, "CAN_SOCKETCAN"},
    LinkTypeName{228, "IPV4"},
    LinkTypeName{229, "IPV6"},
    LinkTypeName{230, "IEEE802_15_4_NOFCS"},
    LinkTypeName{231, "DBUS"},
    LinkTypeName{232, "JUNIPER_VS"},
    LinkTypeName{233, "JUNIPER_SRX_E2E"},
    LinkTypeName{234, "JUNIPER_FIBRECHANNEL"},
    LinkTypeName{235, "DVB_CI"},
    LinkTypeName{236, "MUX27010"},
    LinkTypeName{237, "STANAG_5066_D_PDU"},
    LinkTypeName{238, "JUNIPER_ATM_CEMIC"},
    LinkTypeName{239, "NFLOG"},
    LinkTypeName{240, "NETANALYZER"},
    LinkTypeName{241, "NETANALYZER_TRANSPARENT"},
    LinkTypeName{242, "IPOIB"},
    LinkTypeName{243, "MPEG_2_TS"},
    LinkTypeName{244, "NG40"},
    LinkTypeName{245, "NFC_LLCP"},
    LinkTypeName{246, "PFSYNC"},
    LinkTypeName{247, "INFINIBAND"},
    LinkTypeName{248, "SCTP"},
    LinkTypeName{249, "USBPCAP"},
    LinkTypeName{250, "RTAC_SERIAL"},
    LinkTypeName{251, "BLUETOOTH_LE_LL"},
    LinkTypeName{252, "WIRESHARK_UPPER_PDU"},
    LinkTypeName{253, "NETLINK"},
    LinkTypeName{254, "BLUETOOTH_LINUX_MONITOR"},
    LinkTypeName{255, "BLUETOOTH_BREDR_BB"},
    LinkTypeName{256, "BLUETOOTH_LE_LL_WITH_PHDR"},
    LinkTypeName{257, "PROFIBUS_DL"},
    LinkTypeName{258, "PKTAP"},
    LinkTypeName{259, "EPON"},
    LinkTypeName{260, "IPMI_HPM_2"},
    LinkTypeName{261, "ZWAVE_R1_R2"},
    LinkTypeName{262, "ZWAVE_R3"},
    LinkTypeName{263, "WATTSTOPPER_DLM"},
    LinkTypeName{264, "ISO_14443"},
    LinkTypeName{265, "RDS"},
    LinkTypeName{266, "USB_DARWIN"},
    LinkTypeName{267, "OPENFLOW"},
    LinkTypeName{268, "SDLC"},
    LinkTypeName{269, "TI_LLN_SNIFFER"},
    LinkTypeName{270, "LORATAP"},
    LinkTypeName{271, "VSOCK"},
    LinkTypeName{272, "NORDIC_BLE"},
    LinkTypeName{273, "DOCSIS31_XRA31"},
    LinkTypeName{274, "ETHERNET_MPACKET"},
    LinkTypeName{275, "DISPLAYPORT_AUX"},
    LinkTypeName{276, "LINUX_SLL2"},
    LinkTypeName{277, "SERCOS_MONITOR"},
    LinkTypeName{278, "OPENVIZSLA"},
    LinkTypeName{279, "EBHSCR"},
    LinkTypeName{280, "VPP_DISPATCH"},
    LinkTypeName{281, "DSA_TAG_BRCM"},
    LinkTypeName{282, "DSA_TAG_BRCM_PREPEND"},
    LinkTypeName{283, "IEEE802_15_4_TAP"},
    LinkTypeName{284, "DSA_TAG_DSA"},
    LinkTypeName{285, "DSA_TAG_EDSA"},
    LinkTypeName{286, "ELEE"},
    LinkTypeName{287, "Z_WAVE_SERIAL"},
    LinkTypeName{288, "USB_2_0"},
    LinkTypeName{289, "ATSC_ALP"},
    LinkTypeName{290, "ETW"},
    LinkTypeName{291, "NETANALYZER_NG"},
    LinkTypeName{292, "ZBOSS_NCP"},
};

constexpr bool sorted_by_value() {
    for (std::size_t i = 1; i < kLinkTypeNames.size(); ++i)
        if (kLinkTypeNames[i - 1].value >= kLinkTypeNames[i].value) return false;
    return true;
}
static_assert(sorted_by_value(), "kLinkTypeNames must be sorted by value, without duplicates");

// Names made up for values the table does not know ("LINKTYPE_4711"). The function returns a
// view, so each made-up name has to live somewhere: it is made once per value and kept. The
// set is bounded by the number of distinct link types a program meets (16 bits in a file).
class UnknownNames {
public:
    std::string_view get(std::uint32_t value) {
        std::lock_guard lock(mutex_);
        auto& slot = names_[value];
        if (!slot) slot = std::make_unique<std::string>("LINKTYPE_" + std::to_string(value));
        return *slot;
    }

private:
    std::mutex mutex_;
    std::map<std::uint32_t, std::unique_ptr<std::string>> names_;
};

UnknownNames& unknown_names() {
    static UnknownNames names;
    return names;
}

}  // namespace

std::string_view link_type_name(std::uint32_t link_type) {
    auto it = std::lower_bound(kLinkTypeNames.begin(), kLinkTypeNames.end(), link_type,
                               [](const LinkTypeName& entry, std::uint32_t v) { return entry.value < v; });
    if (it != kLinkTypeNames.end() && it->value == link_type) return it->name;
    return unknown_names().get(link_type);
}

namespace detail {

// The largest captured length tshark 4.0 reads for a link type (wiretap's
// wtap_max_snaplen_for_encap): bigger records are taken as a damaged header. USB and D-Bus
// messages can be far larger than any network frame. Used by the reader to reject such
// records and by the writer so that it never writes one.
std::uint32_t max_caplen_for(std::uint32_t link_type) {
    constexpr std::uint32_t kStandard = 262'144;
    constexpr std::uint32_t kUsbOrDbus = 128u * 1024 * 1024;
    constexpr std::uint32_t kEbhscr = 8u * 1024 * 1024;
    switch (link_type) {
    case 186:  // USB_FREEBSD
    case 189:  // USB_LINUX
    case 220:  // USB_LINUX_MMAPPED
    case 231:  // DBUS
    case 249:  // USBPCAP
    case 266:  // USB_DARWIN
        return kUsbOrDbus;
    case 279:  // EBHSCR
        return kEbhscr;
    default:
        return kStandard;
    }
}

}  // namespace detail

std::string CaptureError::message() const {
    return file + ": offset " + std::to_string(offset) + ": " + what;
}

}  // namespace wirelab
