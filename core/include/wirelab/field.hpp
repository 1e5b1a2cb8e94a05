// The field model: every protocol and every field is declared once, as data.
//
// A FieldDef is what Wireshark calls a header field (hf): its filter name, label, type,
// display base, bit mask, value names and, here, a plain-language explanation. A ProtocolDef
// groups them and says where the protocol sits in the OSI and TCP/IP models. The text dump,
// the JSON output, the field lookup of `-e`, the viewer and the docs all read these tables.
#pragma once

#include <bit>
#include <cstdint>
#include <span>
#include <string_view>

namespace wirelab {

// OSI reference model layers (ISO/IEC 7498-1).
enum class OsiLayer : std::uint8_t {
    none = 0,
    physical = 1,
    data_link = 2,
    network = 3,
    transport = 4,
    session = 5,
    presentation = 6,
    application = 7,
};

// The four layers of the Internet model (RFC 1122 section 1.1.3).
enum class TcpIpLayer : std::uint8_t { none, link, internet, transport, application };

std::string_view osi_name(OsiLayer l);
std::string_view tcpip_name(TcpIpLayer l);

// Value types, named after Wireshark's ftypes because they decide how a value prints.
enum class FieldType : std::uint8_t {
    none,      // a label with no value (a subtree heading)
    protocol,  // the layer itself
    boolean,
    u8,
    u16,
    u24,
    u32,
    u64,
    i32,
    ether,
    ipv4,
    ipv6,
    bytes,
    string,
    framenum,
    reltime,   // value is nanoseconds
    abstime,   // value is nanoseconds since the epoch
};

enum class Base : std::uint8_t { none, dec, hex, dec_hex, hex_dec, oct };

struct ValueName {
    std::uint64_t value;
    std::string_view name;
};

struct ProtocolDef;

struct FieldDef {
    std::string_view abbrev;   // Wireshark's filter name: "udp.srcport"
    std::string_view label;    // "Source Port"
    FieldType type = FieldType::none;
    Base base = Base::none;
    std::uint64_t mask = 0;    // bits of the containing integer this field occupies; 0 = all
    std::span<const ValueName> names{};
    std::string_view explain;  // one sentence a student understands
    const ProtocolDef* proto = nullptr;
};

struct ProtocolDef {
    std::string_view abbrev;   // "udp"
    std::string_view short_name;  // "UDP": the Protocol column
    std::string_view name;     // "User Datagram Protocol"
    OsiLayer osi;
    TcpIpLayer tcpip;
    std::string_view rfc;      // "RFC 768"
    std::span<const FieldDef> fields;  // fields[0] is the protocol itself (type protocol)
    const FieldDef& self() const { return fields[0]; }
};

// Bit position of the lowest set bit in a mask (0 for an empty mask). One instruction
// (std::countr_zero) rather than a loop a bit at a time: every flag bit of every packet asks,
// and the Ethernet I/G and L/G masks sit 40 bits up.
constexpr unsigned mask_shift(std::uint64_t mask) {
    return mask == 0 ? 0 : static_cast<unsigned>(std::countr_zero(mask));
}

std::string_view value_name(const FieldDef& f, std::uint64_t v);

}  // namespace wirelab
