// IPv4 (RFC 791): header, options, header checksum (RFC 1071) and fragment reassembly.
#include "proto_util.hpp"
#include "wirelab/reassembly.hpp"

namespace wirelab::proto {

extern const ProtocolDef kIpProto;

namespace {
enum : std::size_t {
    hf_ip, hf_version, hf_hdr_len, hf_dsfield, hf_dscp, hf_ecn, hf_len, hf_id, hf_flags, hf_flags_rb,
    hf_flags_df, hf_flags_mf, hf_frag_offset, hf_ttl, hf_proto, hf_checksum, hf_checksum_calc, hf_checksum_status,
    hf_src, hf_addr, hf_dst, hf_options, hf_opt_type, hf_opt_copy, hf_opt_class, hf_opt_number, hf_opt_len,
    hf_opt_ra, hf_opt_data, hf_fragments, hf_fragment, hf_fragment_count, hf_reassembled_length,
    hf_fragment_overlap, hf_count
};

constexpr ValueName kProtos[] = {
    {1, "ICMP"}, {2, "IGMP"}, {4, "IPIP"}, {6, "TCP"}, {17, "UDP"}, {41, "IPv6"}, {47, "GRE"},
    {50, "ESP"}, {51, "AH"}, {58, "ICMPv6"}, {89, "OSPF"}, {103, "PIM"}, {112, "VRRP"}, {132, "SCTP"},
};
constexpr ValueName kEcn[] = {{0, "Not-ECT"}, {1, "ECT(1)"}, {2, "ECT(0)"}, {3, "CE"}};
constexpr ValueName kOptTypes[] = {{0, "End of Options List (EOL)"}, {1, "No-Operation (NOP)"},
                                   {7, "Record Route"}, {68, "Time Stamp"}, {130, "Security"},
                                   {131, "Loose Source Route"}, {137, "Strict Source Route"},
                                   {148, "Router Alert"}};
constexpr ValueName kOptClass[] = {{0, "Control"}, {1, "Reserved for future use"}, {2, "Debugging and measurement"},
                                   {3, "Reserved for future use"}};

constinit const FieldDef kFields[] = {
    {"ip", "Internet Protocol Version 4", FieldType::protocol, Base::none, 0, {},
     "The network layer: it carries the packet across networks, from the sending host to the receiving host, "
     "router by router.", &kIpProto},
    {"ip.version", "Version", FieldType::u8, Base::dec, 0xf0, {},
     "Which version of IP this header is: 4 here.", &kIpProto},
    {"ip.hdr_len", "Header Length", FieldType::u8, Base::dec, 0x0f, {},
     "How long this IP header is (20 bytes without options); the field counts 32-bit words, shown here in bytes.",
     &kIpProto},
    {"ip.dsfield", "Differentiated Services Field", FieldType::u8, Base::hex, 0, {},
     "How routers should treat this packet: its priority class (DSCP) and congestion signal (ECN).", &kIpProto},
    {"ip.dsfield.dscp", "Differentiated Services Codepoint", FieldType::u8, Base::dec, 0xfc, {},
     "The packet's traffic class; networks may give some classes (voice, video) priority.", &kIpProto},
    {"ip.dsfield.ecn", "Explicit Congestion Notification", FieldType::u8, Base::dec, 0x03, kEcn,
     "Lets a congested router mark the packet instead of dropping it, so the sender slows down.", &kIpProto},
    {"ip.len", "Total Length", FieldType::u16, Base::dec, 0, {},
     "Length of the whole IP packet, header plus data, in bytes.", &kIpProto},
    {"ip.id", "Identification", FieldType::u16, Base::hex_dec, 0, {},
     "A number shared by all fragments of one packet, so the receiver knows which pieces belong together.",
     &kIpProto},
    {"ip.flags", "Flags", FieldType::u8, Base::hex, 0xe0, {},
     "Three bits about fragmentation: reserved, Don't Fragment and More Fragments.", &kIpProto},
    {"ip.flags.rb", "Reserved bit", FieldType::boolean, Base::none, 0x80, {},
     "Unused; must be 0.", &kIpProto},
    {"ip.flags.df", "Don't fragment", FieldType::boolean, Base::none, 0x40, {},
     "Set: routers must not split this packet; if it is too big for a link they drop it and report back "
     "(that is how Path MTU Discovery works).", &kIpProto},
    {"ip.flags.mf", "More fragments", FieldType::boolean, Base::none, 0x20, {},
     "Set: this is a fragment and more pieces of the same packet follow.", &kIpProto},
    {"ip.frag_offset", "Fragment Offset", FieldType::u16, Base::dec, 0x1fff, {},
     "Where this fragment's data goes in the original packet, in units of 8 bytes.", &kIpProto},
    {"ip.ttl", "Time to Live", FieldType::u8, Base::dec, 0, {},
     "How many more routers may forward this packet; each one subtracts 1 and drops it at 0, so a routing "
     "loop cannot keep it alive forever (traceroute uses this).", &kIpProto},
    {"ip.proto", "Protocol", FieldType::u8, Base::dec, 0, kProtos,
     "Which transport protocol the data holds (6 = TCP, 17 = UDP, 1 = ICMP).", &kIpProto},
    {"ip.checksum", "Header Checksum", FieldType::u16, Base::hex, 0, {},
     "A checksum over the header only, so a router can detect a damaged header; recomputed at every hop "
     "because the TTL changes.", &kIpProto},
    {"ip.checksum_calculated", "Calculated Checksum", FieldType::u16, Base::hex, 0, {},
     "The checksum wirelab computed over the header, to compare with the one in the packet.", &kIpProto},
    {"ip.checksum.status", "Header checksum status", FieldType::u8, Base::none, 0, kChecksumStatus,
     "Whether the checksum in the packet matches the header.", &kIpProto},
    {"ip.src", "Source Address", FieldType::ipv4, Base::none, 0, {},
     "The IP address of the host that sent the packet.", &kIpProto},
    {"ip.addr", "Source or Destination Address", FieldType::ipv4, Base::none, 0, {},
     "Either address, source or destination (for filters).", &kIpProto},
    {"ip.dst", "Destination Address", FieldType::ipv4, Base::none, 0, {},
     "The IP address of the host the packet is for.", &kIpProto},
    {"ip.options", "Options", FieldType::none, Base::none, 0, {},
     "Optional extra header fields (rare today): router alert, source routes, timestamps.", &kIpProto},
    {"ip.opt.type", "Type", FieldType::u8, Base::dec, 0, kOptTypes,
     "Which option this is.", &kIpProto},
    {"ip.opt.type.copy", "Copy on fragmentation", FieldType::boolean, Base::none, 0x80, {},
     "Set: the option is copied into every fragment.", &kIpProto},
    {"ip.opt.type.class", "Class", FieldType::u8, Base::dec, 0x60, kOptClass, "The option's class.", &kIpProto},
    {"ip.opt.type.number", "Number", FieldType::u8, Base::dec, 0x1f, {}, "The option's number within its class.",
     &kIpProto},
    {"ip.opt.len", "Length", FieldType::u8, Base::dec, 0, {}, "Length of the option, type and length included.",
     &kIpProto},
    {"ip.opt.ra", "Router Alert", FieldType::u16, Base::dec, 0, {},
     "Asks every router on the path to look at this packet closely (used by IGMP and RSVP).", &kIpProto},
    {"ip.opt.data", "Data", FieldType::bytes, Base::none, 0, {}, "The option's value.", &kIpProto},
    {"ip.fragments", "Fragments", FieldType::none, Base::none, 0, {},
     "The fragments this packet was rebuilt from.", &kIpProto},
    {"ip.fragment", "Fragment", FieldType::framenum, Base::none, 0, {},
     "A frame that carried one fragment of this packet.", &kIpProto},
    {"ip.fragment.count", "Fragment count", FieldType::u32, Base::dec, 0, {},
     "How many fragments were put together.", &kIpProto},
    {"ip.reassembled.length", "Reassembled IPv4 length", FieldType::u32, Base::dec, 0, {},
     "Length of the data once all fragments were put together.", &kIpProto},
    {"ip.fragment.overlap", "Fragment overlap", FieldType::boolean, Base::none, 0, {},
     "Some fragments covered the same bytes (the teardrop attack abuses this).", &kIpProto},
};
static_assert(std::size(kFields) == hf_count);

class Ipv4 final : public Dissector {
public:
    void reset() override { fragments_.clear(); }

    void dissect(const Tvb& tvb, Ctx& ctx) override {
        Layer layer(ctx, kIpProto, tvb, 20);
        Fields h(ctx, tvb, "IPv4 header");
        ++ctx.pinfo.ip_depth;
        std::uint64_t version = h.uint(kFields[hf_version], 0, 1);
        std::uint64_t ihl = tvb.u8(0).value_or(0) & 0x0f;
        if (!h.ok()) return;
        if (version != 4) {
            ctx.malformed(tvb, 0, 1, "IP version is not 4");
            return;
        }
        std::size_t hdr_len = ihl * 4;
        ctx.tree.add(kFields[hf_hdr_len], tvb, 0, 1, hdr_len);
        if (hdr_len < 20) {
            ctx.malformed(tvb, 0, 1, "bogus IPv4 header length (less than 20 bytes)");
            return;
        }
        // A tree that shows no field needs only the values the decoder goes on with; when the
        // fixed header is all there, they are read straight from it. Otherwise every field
        // goes through Fields, which marks where a truncated header ends.
        const bool show = ctx.tree.keeps_fields() || !tvb.has(0, 20);
        std::uint64_t total, id, frag, ttl, proto, checksum;
        bool more;
        if (show) {
            h.uint(kFields[hf_dsfield], 1, 1);
            h.uint(kFields[hf_dscp], 1, 1);
            h.uint(kFields[hf_ecn], 1, 1);
            total = h.uint(kFields[hf_len], 2, 2);
            id = h.uint(kFields[hf_id], 4, 2);
            h.uint(kFields[hf_flags], 6, 1);
            h.uint(kFields[hf_flags_rb], 6, 1);
            h.uint(kFields[hf_flags_df], 6, 1);
            more = h.uint(kFields[hf_flags_mf], 6, 1);
            frag = h.uint(kFields[hf_frag_offset], 6, 2);
            ttl = h.uint(kFields[hf_ttl], 8, 1);
            proto = h.uint(kFields[hf_proto], 9, 1);
            checksum = h.uint(kFields[hf_checksum], 10, 2);
            if (!h.ok()) return;
        } else {
            const std::uint8_t* b = tvb.data();
            total = load_be16(b + 2);
            id = load_be16(b + 4);
            more = b[6] & 0x20;
            frag = load_be16(b + 6) & 0x1fff;
            ttl = b[8];
            proto = b[9];
            checksum = load_be16(b + 10);
        }
        if (tvb.has(0, hdr_len)) {
            // The header summed without its checksum field gives the checksum it should carry;
            // adding the field to that sum checks it: a correct header sums to 0 (RFC 1071).
            // One pass over the header serves both.
            std::uint32_t without =
                checksum_add(checksum_add(0, tvb.bytes().first(10)), tvb.bytes().subspan(12, hdr_len - 12));
            std::uint16_t expected = checksum_fold(without);
            bool good = checksum_fold(without + static_cast<std::uint32_t>(checksum)) == 0;
            if (show) {
                h.generated(kFields[hf_checksum_calc], 10, 2, expected);
                h.generated(kFields[hf_checksum_status], 10, 2, good ? 1 : 0);
            }
            if (!good) ctx.note(tvb, 10, 2, "Bad IPv4 header checksum: the header was damaged or forged");
            (void)checksum;
        }
        const std::uint8_t* src = tvb.data() + 12;
        const std::uint8_t* dst = tvb.data() + 16;
        if (show) {
            src = h.raw(kFields[hf_src], 12, 4);
            if (src) h.hidden(kFields[hf_addr], 12, 4);
            dst = h.raw(kFields[hf_dst], 16, 4);
            if (dst) h.hidden(kFields[hf_addr], 16, 4);
            if (!h.ok()) return;
        }
        ctx.pinfo.net_src.set(Address::Kind::ipv4, src);
        ctx.pinfo.net_dst.set(Address::Kind::ipv4, dst);
        if (hdr_len > 20) options(ctx, tvb, hdr_len);
        if (!h.fits(0, hdr_len)) return;
        layer.set_length(hdr_len);
        if (total < hdr_len) {
            ctx.malformed(tvb, 2, 2, "bogus IPv4 total length (less than the header length)");
            return;
        }
        if (ctx.pinfo.ip_depth == 1) ctx.consumed = total;
        if (ctx.want_tree_text) layer.set_summary(summary(src, dst));

        // The payload is what the total length covers: bytes past it are link-layer padding,
        // bytes missing from it were cut by the snapshot length.
        Tvb payload = tvb.sub(hdr_len, total - hdr_len);
        if (!ctx.pinfo.in_error_packet) {
            if (tvb.reported_size() < total)
                ctx.malformed(tvb, 2, 2, "IPv4 total length exceeds the packet length");
            else if (tvb.size() < total)
                ctx.truncated(tvb, tvb.size(), "IPv4 payload");
        }
        layer.close();
        std::uint32_t offset_bytes = static_cast<std::uint32_t>(frag) * 8;
        if (more || offset_bytes != 0) {
            reassemble(ctx, payload, FragmentKey{ctx.pinfo.net_src, ctx.pinfo.net_dst,
                                                 static_cast<std::uint32_t>(id), static_cast<std::uint8_t>(proto)},
                       offset_bytes, more, proto, ttl, total - hdr_len);
            return;
        }
        handoff(ctx, proto, payload, ttl);
    }

private:
    static std::string summary(const std::uint8_t* src, const std::uint8_t* dst) {
        std::string s = "Src: ";
        append_ipv4(s, src);
        s += ", Dst: ";
        append_ipv4(s, dst);
        return s;
    }

    void handoff(Ctx& ctx, std::uint64_t proto, Tvb payload, std::uint64_t ttl) {
        ctx.pinfo.ttl = static_cast<std::uint8_t>(ttl);
        ctx.call(Table::ip_proto, static_cast<std::uint32_t>(proto), payload);
    }

    void reassemble(Ctx& ctx, Tvb payload, const FragmentKey& key, std::uint32_t offset, bool more,
                    std::uint64_t proto, std::uint64_t ttl, std::uint64_t expected_len) {
        ctx.pinfo.fragmented = true;
        if (payload.size() < expected_len) {
            // A fragment cut by the snapshot length cannot be reassembled.
            ctx.data(payload);
            return;
        }
        DataSource& out = ctx.tree.new_source();
        auto r = fragments_.add(key, offset, payload.bytes(), more,
                                static_cast<std::uint32_t>(ctx.pinfo.frame->number), out);
        if (r.status != FragmentTable::Status::complete) {
            if (r.status == FragmentTable::Status::error) ctx.malformed(payload, 0, payload.size(), r.error);
            if (ctx.want_info) {
                std::string& info = ctx.pinfo.info;
                info = "Fragmented IP protocol (proto=";
                std::string_view name = value_name(kFields[hf_proto], proto);
                info += name.empty() ? "Unknown" : name;
                info += ' ';
                append_uint(info, proto);
                info += ", off=";
                append_uint(info, offset);
                info += ", ID=";
                char buf[8];
                std::snprintf(buf, sizeof buf, "%04x", key.id);
                info += buf;
                info += ')';
            }
            ctx.pinfo.protocol = "IPv4";
            ctx.data(payload);
            ctx.pinfo.protocol = "IPv4";
            return;
        }
        out.name = "Reassembled IPv4";
        std::uint8_t source = static_cast<std::uint8_t>(ctx.tree.source_count());
        Tvb whole(out.bytes, 0, source);
        // List the fragments, as Wireshark does, under the IP layer that completed the datagram.
        std::size_t list = ctx.tree.open(kFields[hf_fragments], whole, 0, whole.size());
        for (std::uint32_t f : out.frames) ctx.tree.add(kFields[hf_fragment], whole, 0, 0, f, kGenerated);
        ctx.tree.add(kFields[hf_fragment_count], whole, 0, 0, out.frames.size(), kGenerated);
        if (r.overlap) ctx.tree.add(kFields[hf_fragment_overlap], whole, 0, 0, 1, kGenerated);
        ctx.tree.add(kFields[hf_reassembled_length], whole, 0, 0, whole.size(), kGenerated);
        ctx.tree.close(list);
        ctx.pinfo.fragmented = false;
        handoff(ctx, proto, whole, ttl);
    }

    static void options(Ctx& ctx, const Tvb& tvb, std::size_t hdr_len) {
        Tvb opts = tvb.sub(20, hdr_len - 20);
        std::size_t tree = ctx.tree.open(kFields[hf_options], opts, 0, opts.size());
        std::size_t off = 0;
        while (off < opts.size()) {
            std::uint8_t type = opts.data()[off];
            if (type == 0 || type == 1) {  // EOL and NOP are a single byte
                ctx.tree.add(kFields[hf_opt_type], opts, off, 1, type);
                ++off;
                if (type == 0) break;
                continue;
            }
            auto len = opts.u8(off + 1);
            if (!len || *len < 2 || off + *len > opts.size()) {
                ctx.malformed(opts, off, opts.size() - off, "IPv4 option length runs past the header");
                break;
            }
            std::size_t opt = ctx.tree.open(kFields[hf_opt_type], opts, off, *len);
            ctx.tree.set_value(opt, type);
            ctx.tree.add(kFields[hf_opt_copy], opts, off, 1, type >> 7);
            ctx.tree.add(kFields[hf_opt_class], opts, off, 1, (type >> 5) & 3);
            ctx.tree.add(kFields[hf_opt_number], opts, off, 1, type & 0x1f);
            ctx.tree.add(kFields[hf_opt_len], opts, off + 1, 1, *len);
            if (type == 148 && *len == 4)
                ctx.tree.add(kFields[hf_opt_ra], opts, off + 2, 2, *opts.be16(off + 2));
            else if (*len > 2)
                ctx.tree.add(kFields[hf_opt_data], opts, off + 2, *len - 2, 0);
            ctx.tree.close(opt);
            off += *len;
        }
        ctx.tree.close(tree);
    }

    FragmentTable fragments_;
};
}  // namespace

constinit const ProtocolDef kIpProto{"ip", "IPv4", "Internet Protocol Version 4", OsiLayer::network,
                                     TcpIpLayer::internet, "RFC 791", kFields};

std::uint32_t checksum_add(std::uint32_t sum, Bytes data) {
    // Two 16-bit words at a time, added as one 32-bit word into a 64-bit sum: 2^16 is 1
    // modulo 0xffff, so folding gives the same result (RFC 1071 section 2, "parallel
    // summation"), and is 0 only when every word is, as before.
    std::uint64_t acc = sum;
    const std::uint8_t* p = data.data();
    const std::size_t n = data.size();
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4) acc += load_be32(p + i);
    if (i + 2 <= n) {
        acc += load_be16(p + i);
        i += 2;
    }
    if (i < n) acc += std::uint32_t{p[i]} << 8;
    while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
    return static_cast<std::uint32_t>(acc);
}

void register_ip(Registry& r) {
    r.add_protocol(kIpProto);
    auto& d = r.make<Ipv4>();
    r.add(Table::ethertype, 0x0800, d);
    r.add(Table::ip_proto, 4, d);  // IP in IP
}

}  // namespace wirelab::proto
