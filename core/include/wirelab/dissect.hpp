// Dissection: the registry that hands a payload from one protocol to the next, and the
// per-packet context a dissector works in.
//
// Protocols hand off through tables (link type, ethertype, IP protocol, port), never through
// if-chains. Each protocol file registers its dissector in one function listed in
// core/src/proto/all.cpp.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "wirelab/bytes.hpp"
#include "wirelab/capture.hpp"
#include "wirelab/field.hpp"
#include "wirelab/tree.hpp"

namespace wirelab {

class Registry;
class StreamProtocol;
struct Ctx;

// A network-layer address as the packet list shows it.
struct Address {
    enum class Kind : std::uint8_t { none, ether, ipv4, ipv6 } kind = Kind::none;
    std::array<std::uint8_t, 16> bytes{};
    static Address from(Kind k, const std::uint8_t* p) {
        Address a;
        a.set(k, p);
        return a;
    }
    // Sets the address in place, its 16 bytes as two whole words. Every packet sets four, and
    // an address built in a temporary from a 4- or 6-byte copy and then copied as 16 bytes
    // makes the copy wait until the narrow stores have left the store buffer (perf put a
    // third of Ethernet's and IPv4's time on those copies).
    void set(Kind k, const std::uint8_t* p) {
        std::uint64_t w[2] = {0, 0};
        switch (k) {
            case Kind::ether: {
                std::uint32_t head;
                std::uint16_t tail;
                std::memcpy(&head, p, 4);
                std::memcpy(&tail, p + 4, 2);
                if constexpr (std::endian::native == std::endian::little)
                    w[0] = head | std::uint64_t{tail} << 32;
                else
                    w[0] = std::uint64_t{head} << 32 | std::uint64_t{tail} << 16;
                break;
            }
            case Kind::ipv4: {
                std::uint32_t v;
                std::memcpy(&v, p, 4);
                w[0] = std::endian::native == std::endian::little ? std::uint64_t{v} : std::uint64_t{v} << 32;
                break;
            }
            case Kind::ipv6: std::memcpy(w, p, 16); break;
            case Kind::none: break;
        }
        kind = k;
        std::memcpy(bytes.data(), w, 16);
    }
    // The bytes compared as two words (the array's == calls memcmp): conversation tables
    // compare addresses for every packet.
    bool operator==(const Address& o) const {
        std::uint64_t x[2], y[2];
        std::memcpy(x, bytes.data(), 16);
        std::memcpy(y, o.bytes.data(), 16);
        return kind == o.kind && ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0;
    }
    std::string str() const;
};

class Dissector {
public:
    virtual ~Dissector() = default;
    // `tvb` by reference: a Tvb (32 bytes) passed by value is copied through the stack, and a
    // copy of one just built (tvb.tail(14)) waits for its stores to leave the store buffer.
    virtual void dissect(const Tvb& tvb, Ctx& ctx) = 0;
    // Drops all conversation state (a new file is being read).
    virtual void reset() {}
    // The protocols this dissector can put in a packet, if no other application protocol can
    // share a packet with them (DNS: a datagram of its own that carries nothing else); empty
    // otherwise. A display filter that can only pass packets of other application protocols
    // lets the decoder leave such a dissector out (Registry::leave_out).
    virtual std::span<const ProtocolDef* const> sole_protocols() const { return {}; }
    // Set by Registry::leave_out: the packets it would decode are passed over.
    bool left_out() const { return left_out_; }

private:
    friend class Registry;
    bool left_out_ = false;
};

// Tables a protocol registers itself in.
enum class Table : std::uint8_t { link_type, ethertype, ip_proto, udp_port, tcp_port, count };

class Registry {
public:
    Registry();
    ~Registry();
    Registry(const Registry&) = delete;
    Registry& operator=(const Registry&) = delete;

    // Takes ownership of a dissector and returns it, for use in add().
    template <class D, class... A>
    D& make(A&&... args) {
        auto d = std::make_unique<D>(std::forward<A>(args)...);
        D& ref = *d;
        owned_.push_back(std::move(d));
        return ref;
    }
    void add(Table t, std::uint32_t key, Dissector& d) {
        DissectorTable& table = tables_[static_cast<int>(t)];
        for (std::size_t i = 0; i < table.keys.size(); ++i)
            if (table.keys[i] == key) {
                table.dissectors[i] = &d;
                return;
            }
        table.keys.push_back(key);
        table.dissectors.push_back(&d);
    }
    Dissector* find(Table t, std::uint32_t key) const {
        const DissectorTable& table = tables_[static_cast<int>(t)];
        for (std::size_t i = 0; i < table.keys.size(); ++i)
            if (table.keys[i] == key) return table.dissectors[i];
        return nullptr;
    }
    // Dissectors called by name from another protocol (HTTP bodies and WebSocket messages to
    // "engineio").
    void add_named(std::string_view name, Dissector& d) { named_[std::string(name)] = &d; }
    Dissector* find_named(std::string_view name) const {
        auto it = named_.find(std::string(name));
        return it == named_.end() ? nullptr : it->second;
    }
    // Protocols by abbreviation, for `-d` and for naming.
    void add_protocol(const ProtocolDef& p) {
        protocols_.push_back(&p);
        by_name_.clear();
    }
    const std::vector<const ProtocolDef*>& protocols() const { return protocols_; }
    const FieldDef* field(std::string_view abbrev) const;
    const ProtocolDef* protocol(std::string_view abbrev) const;

    void reset();  // forget conversation state in every dissector

    // Leaves out every dissector and stream protocol whose sole_protocols() are all outside
    // `needed`: their packets are passed over (no layer, no Info), and a TCP connection or UDP
    // port they would have claimed stays theirs, so no other protocol decodes it instead.
    // Returns the protocols left out. An empty `needed` puts every dissector back.
    std::vector<const ProtocolDef*> leave_out(std::span<const ProtocolDef* const> needed);

    // Application protocols over TCP byte streams (see stream.hpp): by server port, by
    // content (heuristics, tried in registration order), and forced per port (`-d`).
    template <class P, class... A>
    P& make_stream(A&&... args) {
        auto p = std::make_unique<P>(std::forward<A>(args)...);
        P& ref = *p;
        owned_streams_.push_back(std::move(p));
        return ref;
    }
    void add_stream_port(std::uint32_t port, StreamProtocol& p) { stream_ports_[port] = &p; }
    void add_stream_heuristic(StreamProtocol& p) { stream_heuristics_.push_back(&p); }
    StreamProtocol* stream_for_port(std::uint32_t port) const {
        auto it = stream_ports_.find(port);
        return it == stream_ports_.end() ? nullptr : it->second;
    }
    const std::vector<StreamProtocol*>& stream_heuristics() const { return stream_heuristics_; }
    StreamProtocol* stream_by_name(std::string_view abbrev) const;
    // `-d tcp.port==N,PROTO`: decode TCP port N as PROTO whatever its content.
    void decode_tcp_port_as(std::uint32_t port, StreamProtocol& p) { forced_ports_[port] = &p; }
    StreamProtocol* forced_for_port(std::uint32_t port) const {
        auto it = forced_ports_.find(port);
        return it == forced_ports_.end() ? nullptr : it->second;
    }

private:
    std::vector<std::unique_ptr<StreamProtocol>> owned_streams_;
    std::unordered_map<std::uint32_t, StreamProtocol*> stream_ports_, forced_ports_;
    std::vector<StreamProtocol*> stream_heuristics_;
    std::vector<std::unique_ptr<Dissector>> owned_;
    // Each table holds a few entries (eight ethertypes, seven link types) and is asked at
    // nearly every layer of every packet: a scan of its keys in a row takes no division and
    // no pointer to follow, where std::unordered_map took both (4% of --decode-only's time).
    struct DissectorTable {
        std::vector<std::uint32_t> keys;
        std::vector<Dissector*> dissectors;
    };
    std::array<DissectorTable, static_cast<int>(Table::count)> tables_;
    std::vector<const ProtocolDef*> protocols_;
    std::unordered_map<std::string, Dissector*> named_;
    mutable std::unordered_map<std::string_view, const FieldDef*> by_name_;
};

// Registers every protocol wirelab knows (core/src/proto/all.cpp).
void register_all_protocols(Registry& r);

// frame.protocols ("eth:ethertype:ip:tcp:http"): the layers of a packet, outermost first. Each
// layer adds its name as it is decoded, and most packets are never asked for the joined text
// (summary lines, --decode-only, most -T fields and -Y runs), so the names are kept as views
// of constant strings and joined only when read.
class ProtocolPath {
public:
    void push(std::string_view name) { names_.push_back(name); }  // a string with static storage
    std::size_t size() const { return names_.size(); }
    bool empty() const { return names_.empty(); }
    void resize(std::size_t n) { names_.resize(n); }  // forgets the layers after the first n
    void clear() { names_.clear(); }
    // Appends the names joined with ':'.
    void append_to(std::string& out) const {
        for (std::size_t i = 0; i < names_.size(); ++i) {
            if (i) out += ':';
            out += names_[i];
        }
    }
    std::string str() const {
        std::string s;
        append_to(s);
        return s;
    }
    bool operator==(const ProtocolPath& o) const { return names_ == o.names_; }

private:
    std::vector<std::string_view> names_;
};

// What the decoder knows about the packet while it walks down the layers; the summary line
// is made from it.
struct PacketInfo {
    const Frame* frame = nullptr;
    std::uint32_t link_type = 0;
    std::int64_t rel_ns = 0;    // time since the first packet
    std::int64_t delta_ns = 0;  // time since the previous packet
    Address dl_src, dl_dst, net_src, net_dst;
    std::uint32_t src_port = 0, dst_port = 0;
    std::string_view protocol;  // Protocol column: the highest layer decoded
    std::string info;           // Info column
    bool in_error_packet = false;  // inside the datagram an ICMP error quotes
    bool fragmented = false;       // this frame carries an IP fragment not yet reassembled
    // For protocols carried inside HTTP or WebSocket (Engine.IO): how the bytes travelled.
    enum class Carrier : std::uint8_t { none, http_request, http_response, websocket_text, websocket_binary };
    Carrier carrier = Carrier::none;
    // For a body HTTP hands on: the URI of the request it is (or that it answers).
    std::string_view carrier_uri;
    int ip_depth = 0;
    std::uint8_t ttl = 0;       // of the innermost IP header, for the ICMP Info column
    ProtocolPath protocols;     // frame.protocols

    // An Info text a dissector has worked out but not yet written into `info`: TCP's, whose
    // numbers take longer to format than the rest of its decoding and which is seldom read
    // when a display filter shows one packet in thirty (Decoder::set_info_on_demand). Until
    // it is written, nothing else has touched `info`: Ctx::info, truncated and malformed
    // write it first, and a protocol that replaces the Info column drops it.
    // `write` is a plain function of its arguments, so the text may also be written later on
    // another thread, from a copy of `tvb`'s bytes (the viewer's index does).
    struct DeferredInfo {
        void (*write)(std::string& info, const DeferredInfo& d) = nullptr;  // null: none
        std::uint64_t v[8]{};
        Tvb tvb;                  // only the bytes `write` reads
        std::string_view suffix;  // a constant text (static storage) written after it
    };
    DeferredInfo deferred;
    void settle_info() {
        if (!deferred.write) return;
        auto write = deferred.write;
        deferred.write = nullptr;
        write(info, deferred);
    }

    // Clears for the next packet, keeping the strings' memory. Every member is set back to
    // its initial value here, one by one (a new member goes here too): assigning a fresh
    // PacketInfo built one on the stack and moved both containers out and back, 43
    // instructions and a stall on every packet. tests/test_dissect.cpp checks the result.
    void clear() {
        frame = nullptr;
        link_type = 0;
        rel_ns = delta_ns = 0;
        dl_src = dl_dst = net_src = net_dst = Address{};
        src_port = dst_port = 0;
        protocol = {};
        info.clear();
        in_error_packet = fragmented = false;
        carrier = Carrier::none;
        carrier_uri = {};
        ip_depth = 0;
        ttl = 0;
        protocols.clear();
        deferred = DeferredInfo{};
    }
};

struct Ctx {
    Registry& registry;
    Tree& tree;
    PacketInfo& pinfo;
    bool want_info = true;  // build the Info column (summary lines, -V); off for -T fields
    bool want_tree_text = true;  // build each layer's summary text (-V, JSON, the viewer)
    // TCP and UDP stop at their payload: nothing above the transport layer is decoded. For
    // -T fields that asks only for fields no application protocol can change.
    bool transport_only = false;
    // A dissector may leave its Info text in PacketInfo::deferred (Decoder::set_info_on_demand).
    bool defer_info = false;
    // Bytes the outermost network-layer header says the packet has (IPv4 total length, IPv6
    // 40 + payload length); what the link layer holds beyond that is padding or a trailer.
    std::size_t consumed = 0;

    // Hands `tvb` to the dissector registered for `key`; if none, shows it as data and
    // returns false.
    bool call(Table t, std::uint32_t key, const Tvb& tvb);
    // Shows bytes no dissector claimed.
    void data(const Tvb& tvb);
    // Marks the current layer as truncated at `off` (the packet ends before the header does).
    void truncated(const Tvb& tvb, std::size_t off, std::string_view what);
    // Marks a value that breaks the protocol's rules.
    void malformed(const Tvb& tvb, std::size_t off, std::size_t len, std::string_view reason);
    // Adds an expert note (a remark about the packet that is not an error).
    void note(const Tvb& tvb, std::size_t off, std::size_t len, std::string_view text);
    void set_protocol(const ProtocolDef& p);
    template <class... A>
    void info(A&&... parts) {
        if (!want_info) return;
        pinfo.settle_info();
        (pinfo.info.append(parts), ...);
    }
};

// Fields of the pseudo-protocol that carries expert information, like Wireshark's _ws.*.
const FieldDef& expert_malformed_field();
const FieldDef& expert_truncated_field();
const FieldDef& expert_note_field();
const FieldDef& data_field();
const ProtocolDef& data_protocol();

}  // namespace wirelab
