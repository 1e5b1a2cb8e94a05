// Helpers shared by the protocol files: reading a header field by field, stopping cleanly
// at the first one the captured bytes do not hold.
#pragma once

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "wirelab/conversation.hpp"
#include "wirelab/dissect.hpp"
#include "wirelab/format.hpp"

namespace wirelab::proto {

// Adds the fields of one header in order. The first field that does not fit marks the layer
// truncated (once) and every later call adds nothing and returns 0, so a dissector reads like
// the header diagram in its RFC and still never reads past the end.
class Fields {
public:
    Fields(Ctx& ctx, const Tvb& tvb, std::string_view what) : ctx_(ctx), tvb_(tvb), what_(what) {}

    bool ok() const { return ok_; }
    const Tvb& tvb() const { return tvb_; }

    // A big-endian integer of `width` bytes; a mask picks bits and shifts them down.
    std::uint64_t uint(const FieldDef& f, std::size_t off, std::size_t width, std::uint8_t flags = 0) {
        if (!fits(off, width)) return 0;
        std::uint64_t v = 0;
        for (std::size_t i = 0; i < width; ++i) v = v << 8 | tvb_.data()[off + i];
        if (f.mask) v = (v & f.mask) >> mask_shift(f.mask);
        if (f.type == FieldType::boolean) v = v != 0;
        ctx_.tree.add(f, tvb_, off, width, v, flags);
        return v;
    }
    std::uint64_t uint_le(const FieldDef& f, std::size_t off, std::size_t width, std::uint8_t flags = 0) {
        if (!fits(off, width)) return 0;
        std::uint64_t v = 0;
        for (std::size_t i = width; i > 0; --i) v = v << 8 | tvb_.data()[off + i - 1];
        if (f.mask) v = (v & f.mask) >> mask_shift(f.mask);
        ctx_.tree.add(f, tvb_, off, width, v, flags);
        return v;
    }
    // Bytes shown as they are: addresses, strings, opaque data.
    const std::uint8_t* raw(const FieldDef& f, std::size_t off, std::size_t len, std::uint8_t flags = 0) {
        if (!fits(off, len)) return nullptr;
        ctx_.tree.add(f, tvb_, off, len, 0, flags);
        return tvb_.data() + off;
    }
    // A value the decoder worked out (not read from the bytes at `off`).
    void generated(const FieldDef& f, std::size_t off, std::size_t len, std::uint64_t v) {
        ctx_.tree.add(f, tvb_, off, len, v, kGenerated);
    }
    void hidden(const FieldDef& f, std::size_t off, std::size_t len, std::uint64_t v = 0) {
        ctx_.tree.add(f, tvb_, off, len, v, kHidden);
    }

    // Checks that [off, off+len) was captured; the first miss marks the layer truncated.
    bool fits(std::size_t off, std::size_t len) {
        if (!ok_) return false;
        if (tvb_.has(off, len)) [[likely]] return true;
        return miss(off, len);
    }

private:
    [[gnu::noinline]] bool miss(std::size_t off, std::size_t len) {
        ok_ = false;
        // Bytes cut by the snapshot length existed on the wire: the packet is truncated. Bytes
        // the packet never had: the header claims more than there is, it is malformed.
        if (off + len <= tvb_.reported_size())
            ctx_.truncated(tvb_, off, what_);
        else
            ctx_.malformed(tvb_, off, tvb_.size() > off ? tvb_.size() - off : 0,
                           std::string(what_) + " runs past the end of the packet");
        return false;
    }

    Ctx& ctx_;
    Tvb tvb_;
    std::string_view what_;
    bool ok_ = true;
};

// Opens a protocol layer and closes it when the scope ends.
class Layer {
public:
    Layer(Ctx& ctx, const ProtocolDef& p, const Tvb& tvb, std::size_t len)
        : ctx_(ctx), index_(ctx.tree.open(p.self(), tvb, 0, len)) {
        ctx.set_protocol(p);
    }
    ~Layer() { close(); }
    // Ends the layer early, so that the next protocol's layer becomes its sibling.
    void close() {
        if (closed_) return;
        closed_ = true;
        ctx_.tree.close(index_);
    }
    Layer(const Layer&) = delete;
    Layer& operator=(const Layer&) = delete;
    std::size_t index() const { return index_; }
    // Shrinks or grows the layer's byte range once its length is known.
    void set_length(std::size_t len) {
        Node& n = ctx_.tree.nodes()[index_];
        // Clamped like every node: a layer never covers bytes its data source does not have.
        Bytes src = n.source == 0 ? ctx_.pinfo.frame->data : ctx_.tree.source(n.source).bytes;
        std::size_t avail = n.offset <= src.size() ? src.size() - n.offset : 0;
        n.length = static_cast<std::uint32_t>(std::min(len, avail));
    }
    // Text shown after the protocol name on the layer's line ("Src Port: 80, Dst Port: 5000").
    void set_summary(std::string_view text) {
        if (!ctx_.want_tree_text) return;
        ctx_.tree.set_text(index_, text);
    }

private:
    Ctx& ctx_;
    std::size_t index_;
    bool closed_ = false;
};

// A piece of the Info column built on the stack and appended to the string in one go: one
// capacity check and one copy for the whole piece, instead of one for each number and each
// constant between them. N must hold the longest text the caller can write; each caller
// works out its bound where it declares its buffer.
template <std::size_t N>
class InfoText {
public:
    InfoText& put(std::string_view s) {
        std::memcpy(w_, s.data(), s.size());
        w_ += s.size();
        return *this;
    }
    InfoText& put(char c) {
        *w_++ = c;
        return *this;
    }
    // Decimal. The Info column of a TCP segment alone has eight numbers, most of them sequence
    // numbers and timestamps of ten digits: see put_decimal below.
    InfoText& put_uint(std::uint32_t v) {
        w_ = put_decimal(w_, v);
        return *this;
    }
    InfoText& put_uint(std::uint64_t v) {
        w_ = std::to_chars(w_, w_ + 20, v).ptr;
        return *this;
    }
    // Copies all M characters of a padded text (a fixed-size copy, no memcpy call) but keeps
    // only its first `len`: the buffer needs M characters of room here, not `len`.
    template <std::size_t M>
    InfoText& put_padded(const std::array<char, M>& text, std::size_t len) {
        std::memcpy(w_, text.data(), M);
        w_ += len;
        return *this;
    }
    std::string_view view() const { return {buf_, static_cast<std::size_t>(w_ - buf_)}; }
    void append_to(std::string& s) const { s.append(buf_, static_cast<std::size_t>(w_ - buf_)); }

private:
    // "00" to "99", two characters each.
    static constexpr std::array<char, 200> kPairs = [] {
        std::array<char, 200> t{};
        for (int i = 0; i < 100; ++i) {
            t[2 * i] = static_cast<char>('0' + i / 10);
            t[2 * i + 1] = static_cast<char>('0' + i % 10);
        }
        return t;
    }();

    static char* put_pair(char* w, std::uint64_t pair) {
        std::memcpy(w, &kPairs[2 * pair], 2);
        return w + 2;
    }
    // The leading digit or two of `y`, a fixed-point number with 32 fraction bits.
    static char* put_head(char* w, std::uint64_t y, bool two) {
        if (two) return put_pair(w, y >> 32);
        *w = static_cast<char>('0' + (y >> 32));
        return w + 1;
    }
    // Then `n` more pairs of digits: the fraction times 100, its integer part, and again.
    static char* put_pairs(char* w, std::uint64_t y, int n) {
        for (int i = 0; i < n; ++i) {
            y = (y & 0xffffffffu) * 100;
            w = put_pair(w, y >> 32);
        }
        return w;
    }
    // v / 10^6 as a fixed-point number with 32 fraction bits, for v below 10^8. Multiplying by
    // 2^48 / 10^6 (rounded up) and shifting keeps the result a hair above the true value, never
    // below, so each pair read off the fraction is exact: checked for every v below 10^8.
    static std::uint64_t over_million(std::uint32_t v) {
        return ((std::uint64_t{v} * 281474977u) >> 16) + 1;
    }
    // Writes v in decimal: the number is scaled once to a fixed-point fraction and its digits
    // read off two at a time with a multiplication each, instead of a division by 100 for each
    // pair and a loop to count the digits first. Every 32-bit value was checked against
    // std::to_chars.
    static char* put_decimal(char* w, std::uint32_t v) {
        if (v < 100) {
            if (v >= 10) return put_pair(w, v);
            *w = static_cast<char>('0' + v);
            return w + 1;
        }
        if (v < 10'000) {
            std::uint64_t y = std::uint64_t{v} * 42949673u;  // 2^32 / 100, rounded up
            return put_pairs(put_head(w, y, v >= 1000), y, 1);
        }
        if (v < 1'000'000) {
            std::uint64_t y = std::uint64_t{v} * 429497u;  // 2^32 / 10^4, rounded up
            return put_pairs(put_head(w, y, v >= 100'000), y, 2);
        }
        if (v < 100'000'000) {
            std::uint64_t y = over_million(v);
            return put_pairs(put_head(w, y, v >= 10'000'000), y, 3);
        }
        std::uint32_t high = v / 100'000'000;  // 1 to 42
        std::uint64_t y = over_million(v - high * 100'000'000);
        w = high >= 10 ? put_pair(w, high) : (*w = static_cast<char>('0' + high), w + 1);
        return put_pairs(put_pair(w, y >> 32), y, 3);
    }

    char buf_[N];
    char* w_ = buf_;
};

// Decodes the datagram an ICMP or ICMPv6 error message quotes (RFC 792, RFC 4443 section 2.4):
// as the packet it was, but flagged `in_error_packet`, and without letting its addresses,
// ports, Info or Protocol replace the error message's own in the summary line.
template <class Decode>
void dissect_quoted(Ctx& ctx, Decode&& decode) {
    PacketInfo& p = ctx.pinfo;
    std::string info = p.info;
    std::string_view protocol = p.protocol;
    Address src = p.net_src, dst = p.net_dst;
    std::uint32_t sport = p.src_port, dport = p.dst_port;
    std::uint8_t ttl = p.ttl;
    int depth = p.ip_depth;
    bool in_error = p.in_error_packet, fragmented = p.fragmented;
    p.in_error_packet = true;
    decode();
    p.in_error_packet = in_error;
    p.fragmented = fragmented;
    p.ip_depth = depth;
    p.ttl = ttl;
    p.src_port = sport;
    p.dst_port = dport;
    p.net_src = src;
    p.net_dst = dst;
    p.protocol = protocol;
    p.info = std::move(info);
}

// Internet checksum (RFC 1071) over `data`, added to `sum`; fold with checksum_fold().
std::uint32_t checksum_add(std::uint32_t sum, Bytes data);
inline std::uint16_t checksum_fold(std::uint32_t sum) {
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum & 0xffff);
}

// Values of the checksum.status fields, as Wireshark numbers them.
inline constexpr ValueName kChecksumStatus[] = {{0, "Bad"}, {1, "Good"}, {2, "Unverified"}};

// EtherType names as Wireshark shows them, for the fields that hold an EtherType (vlan.etype,
// sll.etype, llc.type, arp.proto.type, ...).
inline constexpr ValueName kEtherTypeNames[] = {
    {0x0800, "IPv4"},
    {0x0806, "ARP"},
    {0x0842, "Wake on LAN"},
    {0x22f3, "Transparent Interconnection of Lots of Links"},
    {0x6558, "Transparent Ethernet bridging"},
    {0x8035, "RARP"},
    {0x809b, "AppleTalk LLAP bridging"},
    {0x80f3, "AARP"},
    {0x8100, "802.1Q Virtual LAN"},
    {0x8137, "Netware IPX/SPX"},
    {0x86dd, "IPv6"},
    {0x8809, "Slow Protocols"},
    {0x8847, "MPLS label switched packet"},
    {0x8848, "MPLS multicast label switched packet"},
    {0x8863, "PPPoE Discovery"},
    {0x8864, "PPPoE Session"},
    {0x888e, "802.1X Authentication"},
    {0x88a8, "802.1ad Provider Bridge (Q-in-Q)"},
    {0x88cc, "802.1 Link Layer Discovery Protocol (LLDP)"},
    {0x88e5, "802.1AE (MACsec)"},
    {0x88e7, "802.1ah Provider Backbone Bridge (mac-in-mac)"},
    {0x88f7, "PTPv2 over Ethernet (IEEE1588)"},
    {0x894f, "Network Service Header"},
    {0x9000, "Loopback"},
    {0x9100, "QinQ: old non-standard 802.1ad"},
};

// IP protocol numbers (IPv4 Protocol, IPv6 Next Header) as Wireshark names them.
inline constexpr ValueName kIpProtoNames[] = {
    {0, "IPv6 Hop-by-Hop Option"}, {1, "ICMP"}, {2, "IGMP"}, {4, "IPIP"}, {6, "TCP"}, {8, "EGP"},
    {17, "UDP"}, {33, "Datagram Congestion Control Protocol"}, {41, "IPv6"}, {43, "Routing Header for IPv6"},
    {44, "Fragment Header for IPv6"}, {46, "Reservation Protocol"}, {47, "Generic Routing Encapsulation"},
    {50, "Encap Security Payload"}, {51, "Authentication Header"}, {58, "ICMPv6"},
    {59, "No Next Header for IPv6"}, {60, "Destination Options for IPv6"}, {89, "OSPF IGP"}, {103, "PIM"},
    {112, "VRRP"}, {132, "SCTP"}, {135, "Mobile IPv6"}, {136, "UDPLite"}, {139, "HIP"}, {140, "Shim6 header"},
};

// Bytes a link layer holds past the end of its payload (the payload's own length says where
// that is), split the way Wireshark's add_ethernet_trailer() does for a frame without an FCS:
// whatever brings the frame up to Ethernet's 60-byte minimum is padding (`padding`, normally
// eth.padding; nullptr to count it as trailer), the rest is `trailer`. The nodes go at
// `insert_at` in the tree, one level below node `layer`, so that they belong to the link layer
// even though the payload's layers were added after it.
inline void add_link_trailer(Ctx& ctx, const Tvb& tvb, std::size_t end, const FieldDef* padding,
                             const FieldDef& trailer, std::size_t insert_at, std::size_t layer) {
    if (end >= tvb.size()) return;
    std::size_t captured = tvb.size() - end;
    std::size_t pad = 0;
    std::size_t wire = ctx.pinfo.frame ? ctx.pinfo.frame->wire_len : tvb.reported_size();
    if (padding && tvb.source() == 0 && wire >= 60) {
        // Bytes of the frame before the trailer; short of 60 means the sender had to pad.
        std::size_t before = tvb.base() + end;
        if (before < 60) pad = std::min<std::size_t>(60 - before, captured);
    }
    auto depth = static_cast<std::uint16_t>(ctx.tree.nodes()[layer].depth + 1);
    std::size_t at = insert_at;
    if (pad) {
        Node n{padding, 0, tvb.base() + static_cast<std::uint32_t>(end), static_cast<std::uint32_t>(pad), depth,
               tvb.source(), 0};
        at = ctx.tree.insert(at, n);
    }
    if (captured > pad) {
        Node n{&trailer, 0, tvb.base() + static_cast<std::uint32_t>(end + pad),
               static_cast<std::uint32_t>(captured - pad), depth, tvb.source(), 0};
        ctx.tree.insert(at, n);
    }
}

// Echo request/reply matching, as Wireshark's ICMP and ICMPv6 dissectors do it in one pass: a
// request is remembered under its two addresses (in either order) and a key made of its
// checksum, identifier and sequence number; the first reply with the same key answers it.
class EchoTransactions {
public:
    struct Request {
        std::uint64_t frame = 0;
        std::int64_t ts_ns = 0;
        std::uint64_t reply_frame = 0;
    };

    void clear() { map_.clear(); }
    // A new request replaces an unanswered one with the same key, as in Wireshark.
    void request(const Address& a, const Address& b, std::uint32_t k0, std::uint32_t k1, std::uint64_t frame,
                 std::int64_t ts_ns) {
        map_[key(a, b, k0, k1)] = Request{frame, ts_ns, 0};
    }
    // The request this reply answers, if one is waiting.
    const Request* reply(const Address& a, const Address& b, std::uint32_t k0, std::uint32_t k1,
                         std::uint64_t frame) {
        auto it = map_.find(key(a, b, k0, k1));
        if (it == map_.end() || it->second.reply_frame != 0) return nullptr;
        it->second.reply_frame = frame;
        return &it->second;
    }

    // The response time as tshark prints it: milliseconds, a double in "%.15g".
    static std::string response_ms(std::int64_t delta_ns) {
        std::int64_t secs = delta_ns / 1'000'000'000, nsecs = delta_ns % 1'000'000'000;
        double ms = static_cast<double>(secs) * 1000 + static_cast<double>(nsecs) / 1000000;
        char buf[40];
        std::snprintf(buf, sizeof buf, "%.15g", ms);
        return buf;
    }

private:
    struct Key {
        ConversationKey conv;
        std::uint32_t k0, k1;
        bool operator==(const Key&) const = default;
    };
    struct KeyHash {
        std::size_t operator()(const Key& k) const {
            return ConversationKeyHash{}(k.conv) ^ (std::size_t(k.k0) << 32 | k.k1) * 0x9e3779b97f4a7c15ull;
        }
    };
    static Key key(const Address& a, const Address& b, std::uint32_t k0, std::uint32_t k1) {
        bool unused = false;
        return Key{ConversationKey::make(a, 0, b, 0, unused), k0, k1};
    }
    std::unordered_map<Key, Request, KeyHash> map_;
};

}  // namespace wirelab::proto
