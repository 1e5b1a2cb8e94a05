// The dissector registry, the per-packet context, and the expert pseudo-protocol.
#include "wirelab/dissect.hpp"

#include <algorithm>
#include <cstring>

#include "wirelab/format.hpp"
#include "wirelab/stream.hpp"

namespace wirelab {

// ---- expert information and undissected data -------------------------------------------

extern const ProtocolDef kExpertProto;
extern const ProtocolDef kDataProto;

namespace {
constinit const FieldDef kExpertFields[] = {
    {"_ws.expert", "Expert Info", FieldType::protocol, Base::none, 0, {},
     "A remark the decoder adds about this packet: something wrong, unusual or worth knowing.", &kExpertProto},
    {"_ws.malformed", "Malformed Packet", FieldType::string, Base::none, 0, {},
     "The bytes break the protocol's rules here, so decoding stopped; what follows is shown raw.", &kExpertProto},
    {"_ws.short", "Truncated", FieldType::string, Base::none, 0, {},
     "The capture ends before this header does: the snapshot length cut the packet short.", &kExpertProto},
    {"_ws.expert.message", "Note", FieldType::string, Base::none, 0, {},
     "A remark the decoder adds about this packet.", &kExpertProto},
};
constinit const FieldDef kDataFields[] = {
    {"data", "Data", FieldType::protocol, Base::none, 0, {},
     "Bytes no decoder claimed: the payload of the layer below, shown as it is.", &kDataProto},
    {"data.data", "Data", FieldType::bytes, Base::none, 0, {},
     "The payload bytes themselves.", &kDataProto},
    {"data.len", "Length", FieldType::u32, Base::dec, 0, {}, "How many payload bytes there are.", &kDataProto},
};
}  // namespace

constinit const ProtocolDef kExpertProto{"_ws.expert", "Expert", "Expert Info", OsiLayer::none, TcpIpLayer::none,
                                         "", kExpertFields};
constinit const ProtocolDef kDataProto{"data", "Data", "Data", OsiLayer::application, TcpIpLayer::application, "",
                                       kDataFields};

const FieldDef& expert_malformed_field() { return kExpertFields[1]; }
const FieldDef& expert_truncated_field() { return kExpertFields[2]; }
const FieldDef& expert_note_field() { return kExpertFields[3]; }
const FieldDef& data_field() { return kDataFields[0]; }
const ProtocolDef& data_protocol() { return kDataProto; }

// ---- addresses --------------------------------------------------------------------------

std::string Address::str() const {
    std::string s;
    switch (kind) {
        case Kind::ether: append_ether(s, bytes.data()); break;
        case Kind::ipv4: append_ipv4(s, bytes.data()); break;
        case Kind::ipv6: append_ipv6(s, bytes.data()); break;
        case Kind::none: break;
    }
    return s;
}

// ---- registry ---------------------------------------------------------------------------

Registry::Registry() {
    add_protocol(kExpertProto);
    add_protocol(kDataProto);
}
Registry::~Registry() = default;  // here, where StreamProtocol is complete

const FieldDef* Registry::field(std::string_view abbrev) const {
    if (by_name_.empty()) {
        for (const ProtocolDef* p : protocols_)
            for (const FieldDef& f : p->fields) by_name_.emplace(f.abbrev, &f);
    }
    auto it = by_name_.find(abbrev);
    return it == by_name_.end() ? nullptr : it->second;
}

const ProtocolDef* Registry::protocol(std::string_view abbrev) const {
    for (const ProtocolDef* p : protocols_)
        if (p->abbrev == abbrev) return p;
    return nullptr;
}

StreamProtocol* Registry::stream_by_name(std::string_view abbrev) const {
    for (const auto& p : owned_streams_)
        if (p->protocol().abbrev == abbrev) return p.get();
    return nullptr;
}

void Registry::reset() {
    for (auto& d : owned_) d->reset();
}

std::vector<const ProtocolDef*> Registry::leave_out(std::span<const ProtocolDef* const> needed) {
    std::vector<const ProtocolDef*> out;
    // Left out when it can put something in a packet and none of it is needed.
    auto decide = [&](std::span<const ProtocolDef* const> sole) {
        if (sole.empty() || needed.empty()) return false;
        for (const ProtocolDef* p : sole)
            if (std::find(needed.begin(), needed.end(), p) != needed.end()) return false;
        for (const ProtocolDef* p : sole)
            if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
        return true;
    };
    for (auto& d : owned_) d->left_out_ = decide(d->sole_protocols());
    for (auto& s : owned_streams_) s->left_out_ = decide(s->sole_protocols());
    return out;
}

// ---- context ----------------------------------------------------------------------------

bool Ctx::call(Table t, std::uint32_t key, const Tvb& tvb) {
    if (Dissector* d = registry.find(t, key)) {
        if (!d->left_out()) d->dissect(tvb, *this);
        return true;
    }
    data(tvb);
    return false;
}

void Ctx::data(const Tvb& tvb) {
    if (tvb.empty()) return;
    std::size_t layer = tree.open(kDataFields[0], tvb, 0, tvb.size());
    tree.add(kDataFields[1], tvb, 0, tvb.size(), 0);
    tree.add(kDataFields[2], tvb, 0, 0, tvb.size(), kGenerated);
    tree.close(layer);
    pinfo.protocols.push("data");
    if (pinfo.protocol.empty() || pinfo.protocol == "Ethernet") pinfo.protocol = "Data";
}

void Ctx::truncated(const Tvb& tvb, std::size_t off, std::string_view what) {
    pinfo.settle_info();
    std::string msg = "[Truncated: ";
    msg += what;
    msg += ']';
    tree.add_text(kExpertFields[2], tvb, off, 0, msg, kGenerated | kMalformed);
    if (want_info && pinfo.info.find("[Packet size limited during capture]") == std::string::npos)
        pinfo.info += pinfo.info.empty() ? "[Packet size limited during capture]" : " [Packet size limited during capture]";
}

void Ctx::malformed(const Tvb& tvb, std::size_t off, std::size_t len, std::string_view reason) {
    pinfo.settle_info();
    std::string msg = "[Malformed: ";
    msg += reason;
    msg += ']';
    tree.add_text(kExpertFields[1], tvb, off, len, msg, kGenerated | kMalformed);
    if (want_info) {
        if (!pinfo.info.empty()) pinfo.info += ' ';
        pinfo.info += msg;
    }
}

void Ctx::note(const Tvb& tvb, std::size_t off, std::size_t len, std::string_view text) {
    tree.add_text(kExpertFields[3], tvb, off, len, text, kGenerated);
}

void Ctx::set_protocol(const ProtocolDef& p) {
    pinfo.protocol = p.short_name;
    pinfo.protocols.push(p.abbrev);
}

}  // namespace wirelab
