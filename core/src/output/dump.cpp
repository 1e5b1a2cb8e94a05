// `wirelab dump`: the tshark-compatible command line over the core decoder.
#include "wirelab/dump.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <optional>
#include <string_view>
#include <thread>
#include <unordered_map>

#include "wirelab/capture.hpp"
#include "wirelab/decoder.hpp"
#include "wirelab/filter.hpp"
#include "wirelab/format.hpp"
#include "wirelab/stream.hpp"
#include "wirelab/taps.hpp"

#include "packet_ring.hpp"

namespace wirelab {

namespace {

constexpr std::size_t kFlushAt = 1 << 16;
constexpr std::uint64_t kReleaseEvery = 8u << 20;  // give mapped pages back every 8 MiB read
constexpr std::size_t kRingSlots = 128;      // packets decoded ahead of the writer thread (-V, -x)
constexpr std::size_t kSlotKeeps = 1u << 20;  // reassembled bytes a slot's tree keeps between packets

void flush(OutBuffer& buf, std::FILE* out) {
    if (buf.size()) std::fwrite(buf.view().data(), 1, buf.size(), out);
    buf.clear();
}

// `v` in decimal, right-aligned in `width` columns filled with `pad` (printf's "%5llu" with
// ' ', "%06llu" with '0'), at `w` with room for kValueRoom. snprintf would parse its format
// string for every packet: it was a ninth of the time of the summary lines.
char* put_decimal(char* w, std::uint64_t v, std::size_t width, char pad) {
    char digits[kValueRoom];
    auto n = static_cast<std::size_t>(put_uint(digits, v) - digits);
    if (n < width) {
        std::memset(w, pad, width - n);
        w += width - n;
    }
    std::memcpy(w, digits, n);
    return w + n;
}

// Copies `s` to `w`; a single character (the usual -T fields separator) without a call to memcpy.
char* put_text(char* w, std::string_view s) {
    if (s.size() == 1) {
        *w = s[0];
        return w + 1;
    }
    if (!s.empty()) std::memcpy(w, s.data(), s.size());  // an empty view may have no data()
    return w + s.size();
}

// One tshark-style summary line, written into room made once (it runs per packet).
void summary_line(OutBuffer& o, const PacketInfo& p) {
    // Number, time, two addresses and the length take a kValueRoom each at most, the
    // separators a few characters: 6 * kValueRoom is plenty.
    char* w = o.room(6 * kValueRoom + p.protocol.size() + p.info.size());
    // "%5llu %s%4lld.%06lld ": number, then the time since the first packet in microseconds.
    std::uint64_t ns = p.rel_ns < 0 ? 0 - static_cast<std::uint64_t>(p.rel_ns) : static_cast<std::uint64_t>(p.rel_ns);
    w = put_decimal(w, p.frame->number, 5, ' ');
    *w++ = ' ';
    *w++ = p.rel_ns < 0 ? '-' : ' ';
    w = put_decimal(w, ns / 1'000'000'000, 4, ' ');
    *w++ = '.';
    w = put_decimal(w, ns % 1'000'000'000 / 1000, 6, '0');
    *w++ = ' ';
    w = put_address(w, p.net_src.kind != Address::Kind::none ? p.net_src : p.dl_src);
    constexpr std::string_view kArrow = " \xe2\x86\x92 ";
    std::memcpy(w, kArrow.data(), kArrow.size());
    w += kArrow.size();
    w = put_address(w, p.net_dst.kind != Address::Kind::none ? p.net_dst : p.dl_dst);
    *w++ = ' ';
    std::memcpy(w, p.protocol.data(), p.protocol.size());
    w += p.protocol.size();
    *w++ = ' ';
    w = put_uint(w, p.frame->wire_len);
    *w++ = ' ';
    w = put_text(w, p.info);
    *w++ = '\n';
    o.commit(w);
}

// The layer tag after a protocol's -V line ("    [OSI 4 Transport | TCP/IP Transport]"), built
// once for each pair of layers rather than once a packet.
class LayerTags {
public:
    LayerTags() {
        for (std::size_t osi = 1; osi < tags_.size(); ++osi) {
            for (std::size_t tcpip = 0; tcpip < tags_[osi].size(); ++tcpip) {
                std::string& t = tags_[osi][tcpip];
                t = "    [OSI ";
                append_uint(t, osi);
                t += ' ';
                t += osi_name(static_cast<OsiLayer>(osi));
                t += " | TCP/IP ";
                t += tcpip_name(static_cast<TcpIpLayer>(tcpip));
                t += ']';
            }
        }
    }
    // The tag for node `n`: empty unless it is a layer with an OSI layer.
    std::string_view of(const Node& n) const {
        const FieldDef& f = *n.field;
        if (f.type != FieldType::protocol || !f.proto) return {};
        auto osi = static_cast<std::size_t>(f.proto->osi);
        auto tcpip = static_cast<std::size_t>(f.proto->tcpip);
        if (osi >= tags_.size() || tcpip >= tags_[osi].size()) return {};
        return tags_[osi][tcpip];  // empty for OsiLayer::none
    }

private:
    std::array<std::array<std::string, 5>, 8> tags_;  // [OsiLayer][TcpIpLayer]
};

void verbose_tree(OutBuffer& o, const Tree& tree, const Frame& frame, const LayerTags& tags) {
    for (const Node& n : tree.nodes()) {
        if (n.flags & kHidden) continue;
        append_tree_row(o, tree, frame, n, tags.of(n));
    }
}

void hex_block(std::string& o, Bytes b) {
    static constexpr char kHex[] = "0123456789abcdef";
    for (std::size_t off = 0; off < b.size(); off += 16) {
        char pos[20];
        std::snprintf(pos, sizeof pos, "%04zx", off);
        o += pos;
        o += "  ";
        for (std::size_t i = 0; i < 16; ++i) {
            if (off + i < b.size()) {
                o += kHex[b[off + i] >> 4];
                o += kHex[b[off + i] & 0xf];
                o += ' ';
            } else {
                o += "   ";
            }
            if (i == 7) o += ' ';
        }
        o += ' ';
        for (std::size_t i = 0; i < 16 && off + i < b.size(); ++i) {
            std::uint8_t c = b[off + i];
            o += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '.';
        }
        o += '\n';
    }
}

void hex_dump(std::string& o, const Tree& tree, const Frame& frame) {
    hex_block(o, frame.data);
    for (std::size_t s = 1; s <= tree.source_count(); ++s) {
        const DataSource& src = tree.source(s);
        o += src.name;
        o += " (";
        append_uint(o, src.bytes.size());
        o += " bytes):\n";
        hex_block(o, src.bytes);
    }
}

// One packet as JSON: its layers with their fields nested by depth.
void json_packet(OutBuffer& o, const Tree& tree, const Frame& frame, const PacketInfo& p, bool first) {
    o += first ? "  {\n" : ",\n  {\n";
    o += "    \"frame\": ";
    append_uint(o, frame.number);
    o += ",\n    \"summary\": ";
    append_json_string(o, p.info);
    o += ",\n    \"protocol\": ";
    append_json_string(o, p.protocol);
    o += ",\n    \"layers\": [";
    const auto& nodes = tree.nodes();
    int open_depth = -1;  // depth of the innermost open object
    std::vector<int> stack;
    bool need_comma = false;
    OutBuffer value;  // written without zeroing first: a value may be an HTTP body
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        const Node& n = nodes[i];
        int depth = n.depth;
        while (!stack.empty() && stack.back() >= depth) {
            o += "]}";
            stack.pop_back();
            need_comma = true;
        }
        (void)open_depth;
        if (need_comma) o += ',';
        o += '\n';
        std::size_t indent = 6 + stack.size() * 2;
        char* w = o.room(indent);
        std::memset(w, ' ', indent);
        o.commit(w + indent);
        const FieldDef& f = *n.field;
        o += "{\"name\": ";
        append_json_string(o, f.abbrev);
        o += ", \"label\": ";
        append_json_string(o, f.label);
        if (f.type != FieldType::protocol && f.type != FieldType::none) {
            value.clear();
            append_field_value(value, tree, frame, n);
            o += ", \"value\": ";
            append_json_string(o, value.view());
            value.clear();
            append_display_value(value, tree, frame, n);
            o += ", \"show\": ";
            append_json_string(o, value.view());
        } else if (n.flags & kHasText) {
            o += ", \"show\": ";
            append_json_string(o, tree.text_of(n));
        }
        o += ", \"offset\": ";
        append_uint(o, n.offset);
        o += ", \"length\": ";
        append_uint(o, n.length);
        if (n.source) {
            o += ", \"source\": ";
            append_json_string(o, tree.source(n.source).name);
        }
        if (f.mask) {
            o += ", \"mask\": ";
            char* w = o.room(20);  // "0x" and 16 hex digits, quoted
            *w++ = '"';
            *w++ = '0';
            *w++ = 'x';
            w = std::to_chars(w, w + 16, f.mask, 16).ptr;
            *w++ = '"';
            o.commit(w);
        }
        if (n.flags & kGenerated) o += ", \"generated\": true";
        if (n.flags & kHidden) o += ", \"hidden\": true";
        if (n.flags & kMalformed) o += ", \"malformed\": true";
        if (f.proto) {
            OsiLayer osi = f.proto->osi;
            o += ", \"osi_layer\": ";
            append_uint(o, static_cast<unsigned>(osi));
            o += ", \"osi_name\": ";
            append_json_string(o, osi_name(osi));
            o += ", \"tcpip_layer\": ";
            append_json_string(o, tcpip_name(f.proto->tcpip));
        }
        o += ", \"explain\": ";
        append_json_string(o, f.explain);
        bool has_children = i + 1 < nodes.size() && nodes[i + 1].depth > depth;
        if (has_children) {
            o += ", \"children\": [";
            stack.push_back(depth);
            need_comma = false;
        } else {
            o += '}';
            need_comma = true;
        }
    }
    while (!stack.empty()) {
        o += "]}";
        stack.pop_back();
    }
    o += "\n    ]\n  }";
}

// Field columns for -T fields: each requested name maps to a column; one pass over the nodes
// fills all columns.
struct Columns {
    std::vector<const FieldDef*> defs;
    // Requested fields in a small open-addressed table keyed by the FieldDef's address: every
    // node of every packet is looked up, so a miss must cost one multiply and one compare.
    static constexpr std::size_t kSlots = 256;
    struct Slot {
        const FieldDef* field = nullptr;
        std::vector<std::size_t> columns;
    };
    std::vector<Slot> slots = std::vector<Slot>(kSlots);
    static std::size_t hash(const FieldDef* f) {
        return static_cast<std::size_t>((reinterpret_cast<std::uintptr_t>(f) >> 3) * 0x9e3779b97f4a7c15ull >> 56);
    }
    // A first filter with no multiply: one byte per FieldDef address (a few bits of it), set
    // for the requested fields. Most nodes are not requested, and their byte is clear; a byte
    // rather than a bit is one load and a test, without the shifts that pick a bit out.
    static constexpr std::size_t kFilterSize = 4096;
    std::array<std::uint8_t, kFilterSize> filter{};
    static std::size_t filter_index(const FieldDef* f) {
        return static_cast<std::size_t>(reinterpret_cast<std::uintptr_t>(f) >> 4) % kFilterSize;
    }
    bool maybe(const FieldDef* f) const { return filter[filter_index(f)] != 0; }
    const Slot* find(const FieldDef* f) const {
        if (!maybe(f)) return nullptr;
        for (std::size_t i = hash(f);; i = (i + 1) % kSlots) {
            if (slots[i].field == f) return &slots[i];
            if (!slots[i].field) return nullptr;
        }
    }
    void add(const FieldDef* f, std::size_t column) {
        std::size_t i = hash(f);
        while (slots[i].field && slots[i].field != f) i = (i + 1) % kSlots;
        slots[i].field = f;
        slots[i].columns.push_back(column);
        filter[filter_index(f)] = 1;
    }
    std::vector<OutBuffer> cells;  // values are written into them with no zeroing or copy
    std::vector<unsigned> counts;
};

// Like tshark, a value never breaks the line: tab, CR and LF in cell[from...] are written escaped.
void escape_line_breaks(OutBuffer& cell, std::size_t from) {
    std::string_view added = cell.view().substr(from);
    if (added.find_first_of("\t\r\n") == std::string_view::npos) return;
    std::string copy(added);
    cell.truncate(from);
    for (char ch : copy) {
        if (ch != '\t' && ch != '\r' && ch != '\n') {
            cell += ch;
            continue;
        }
        cell += '\\';
        cell += ch == '\t' ? 't' : ch == '\r' ? 'r' : 'n';
    }
}

// Only text can hold those characters: numbers, addresses, times and hex bytes never do.
bool may_hold_text(const Node& n) { return (n.flags & kHasText) || n.field->type == FieldType::string; }

void fields_line(OutBuffer& o, Columns& c, const Tree& tree, const Frame& frame, const DumpOptions& opt) {
    for (auto& cell : c.cells) cell.clear();
    std::fill(c.counts.begin(), c.counts.end(), 0u);
    for (const Node& n : tree.nodes()) {
        const Columns::Slot* slot = c.find(n.field);
        if (!slot) continue;
        for (std::size_t col : slot->columns) {
            OutBuffer& cell = c.cells[col];
            if (opt.occurrence == 'f' && c.counts[col] > 0) continue;
            if (opt.occurrence == 'l') cell.clear();
            else if (c.counts[col] > 0) cell += opt.aggregator;
            std::size_t from = cell.size();
            append_field_value(cell, tree, frame, n);
            if (may_hold_text(n)) escape_line_breaks(cell, from);
            ++c.counts[col];
        }
    }
    // The line is written into room made once for all its cells.
    std::size_t room = 1;
    for (const OutBuffer& cell : c.cells) room += opt.separator.size() + 2 + cell.size();
    char* w = o.room(room);
    char quote = opt.quote == 'd' ? '"' : '\'';
    for (std::size_t i = 0; i < c.cells.size(); ++i) {
        std::string_view cell = c.cells[i].view();
        if (i) w = put_text(w, opt.separator);
        bool quoted = opt.quote && !cell.empty();
        if (quoted) *w++ = quote;
        w = put_text(w, cell);
        if (quoted) *w++ = quote;
    }
    *w++ = '\n';
    o.commit(w);
}

}  // namespace

// Whether a field's value can change with what is decoded above TCP and UDP. Link, network
// and transport fields cannot, except TCP's reassembly fields (an application protocol says
// where its messages end) and frame.protocols (it names every layer).
bool needs_application_layer(const FieldDef& f) {
    static constexpr std::string_view kBelow[] = {
        "frame", "eth", "vlan", "ieee8021ad", "llc", "arp", "sll", "null", "raw", "ip", "ipv6", "ipv6.hopopts",
        "ipv6.routing", "ipv6.fraghdr", "ipv6.dstopts", "icmp", "icmpv6", "tcp", "udp"};
    if (!f.proto || std::find(std::begin(kBelow), std::end(kBelow), f.proto->abbrev) == std::end(kBelow)) return true;
    return f.abbrev == "frame.protocols" || f.abbrev.starts_with("tcp.segment") ||
           f.abbrev.starts_with("tcp.reassembled") || f.abbrev.starts_with("tcp.pdu");
}

int run_dump(const DumpOptions& opt, std::FILE* out, std::FILE* err) {
    Decoder decoder;
    Columns cols;
    if (opt.format == DumpOptions::Format::fields) {
        if (opt.fields.empty()) {
            std::fprintf(err, "wirelab dump: -T fields needs at least one -e FIELD\n");
            return 1;
        }
        for (std::size_t i = 0; i < opt.fields.size(); ++i) {
            const FieldDef* f = decoder.registry().field(opt.fields[i]);
            if (!f) {
                std::fprintf(err,
                             "wirelab dump: unknown field '%s': wirelab does not decode it "
                             "(`wirelab dump -G fields` lists the fields it knows)\n",
                             opt.fields[i].c_str());
                return 1;
            }
            cols.defs.push_back(f);
            if (opt.fields.size() >= Columns::kSlots / 2) {
                std::fprintf(err, "wirelab dump: at most %zu -e fields\n", Columns::kSlots / 2 - 1);
                return 1;
            }
            cols.add(f, i);
        }
        cols.cells.resize(opt.fields.size());
        cols.counts.resize(opt.fields.size());
        // Fields that nothing above the transport layer can change, with no filter or report
        // that looks further: the application layers are not decoded at all (the output is
        // the same; tshark's -T fields decodes them anyway).
        bool below = opt.filter.empty() && opt.taps.empty();
        for (const FieldDef* f : cols.defs) below = below && !needs_application_layer(*f);
        decoder.set_transport_only(below);
    }

    for (const auto& [port, name] : opt.decode_as) {
        StreamProtocol* p = decoder.registry().stream_by_name(name);
        if (!p) {
            std::string names;
            for (const char* n : {"http", "websocket", "dns"})
                if (decoder.registry().stream_by_name(n)) names += names.empty() ? n : std::string(", ") + n;
            std::fprintf(err, "wirelab dump: -d: '%s' is not a protocol wirelab can decode on a TCP port (accepted: %s)\n",
                         name.c_str(), names.c_str());
            return 1;
        }
        decoder.registry().decode_tcp_port_as(port, *p);
    }
    std::vector<std::unique_ptr<Tap>> taps;
    for (const std::string& z : opt.taps) {
        std::string error;
        auto tap = make_tap(decoder.registry(), z, error);
        if (!tap) {
            std::fprintf(err, "wirelab dump: -z: %s\n", error.c_str());
            return 1;
        }
        taps.push_back(std::move(tap));
    }

    // -Y is compiled once, before the first packet; a mistake is shown with its column.
    Filter filter;
    if (!opt.filter.empty()) {
        FilterError ferr;
        auto compiled = Filter::compile(opt.filter, decoder.registry(), ferr);
        if (!compiled) {
            std::fprintf(err, "wirelab dump: bad display filter (-Y): %s\n%s\n", ferr.str().c_str(),
                         filter_error_marker(opt.filter, ferr).c_str());
            return 1;
        }
        filter = std::move(*compiled);
        // Protocols no passing packet can hold need no decoding; reports (-z) see every
        // packet, so they keep everything.
        if (opt.taps.empty()) decoder.narrow_to(filter);
        // Only the packets that pass need their Info column.
        if (opt.taps.empty()) decoder.set_info_on_demand(true);
    }

    // Arguments are checked before the file is opened, so a typo is reported as such.
    CaptureError cerr;
    auto cap = CaptureFile::open(opt.file, cerr);
    if (!cap) {
        std::fprintf(err, "wirelab dump: %s\n", cerr.message().c_str());
        return 2;
    }
    cap->read_ahead();

    bool want_info = opt.format != DumpOptions::Format::fields && !opt.decode_only;
    // Layer summaries appear only in the -V tree and in JSON; summary lines need the Info column alone.
    bool want_tree_text = opt.verbose || opt.format == DumpOptions::Format::json;
    OutBuffer buf;
    std::string scratch;  // -x and -z reports are built here, then copied to buf
    if (opt.format == DumpOptions::Format::fields && opt.header) {
        for (std::size_t i = 0; i < opt.fields.size(); ++i) {
            if (i) buf += opt.separator;
            buf += opt.fields[i];
        }
        buf += '\n';
    }
    if (opt.format == DumpOptions::Format::json) buf += "[\n";

    LayerTags layer_tags;
    // When nothing shows the whole tree (-V, -x, JSON, the -z reports read it), it keeps only
    // what is read of it: the layers, the -e fields and the filter's fields. Summary lines are
    // made from the packet's info, not from the tree.
    bool whole_tree = opt.verbose || opt.hex || opt.format == DumpOptions::Format::json || !opt.taps.empty();
    std::optional<std::vector<const FieldDef*>> keep;
    if (auto k = filter.sparse_fields(); k && !whole_tree) {
        k->insert(k->end(), cols.defs.begin(), cols.defs.end());
        keep = std::move(*k);
    }
    // A packet's output, in `o` (`scratch` for -x's hex dump).
    auto write_packet = [&](OutBuffer& o, std::string& scratch, const Tree& tree, const Frame& frame,
                            const PacketInfo& pinfo, bool first) {
        switch (opt.format) {
            case DumpOptions::Format::fields: fields_line(o, cols, tree, frame, opt); break;
            case DumpOptions::Format::json: json_packet(o, tree, frame, pinfo, first); break;
            case DumpOptions::Format::text:
                if (opt.verbose) {
                    verbose_tree(o, tree, frame, layer_tags);
                } else {
                    summary_line(o, pinfo);
                }
                if (opt.hex) {
                    if (opt.verbose) o += '\n';
                    scratch.clear();
                    hex_dump(scratch, tree, frame);
                    o += scratch;
                }
                if (opt.verbose || opt.hex) o += '\n';
                break;
        }
    };
    auto link_of = [&](const Frame& frame) {
        return frame.interface < cap->interfaces().size() ? cap->interfaces()[frame.interface].link_type
                                                          : kLinkEthernet;
    };
    long long n = 0;      // packets read (-c counts these, as tshark does)
    long long shown = 0;  // packets that passed -Y
    std::uint64_t next_release = kReleaseEvery;
    // -V and -x spend about three quarters of their time writing text: with two cores, a
    // second thread writes each packet while the next ones are decoded (PacketRing). The
    // writer reads every node and byte of a packet after the other core wrote them; for JSON,
    // whose text is longer still, that cost as much as it saved, so JSON takes the writer
    // thread only when asked (--threads 2).
    bool heavy_output = (opt.verbose || opt.hex || opt.format == DumpOptions::Format::json) && !opt.decode_only &&
                        !opt.quiet && opt.taps.empty();
    bool by_default = opt.format == DumpOptions::Format::text && std::thread::hardware_concurrency() >= 2;
    bool writer_thread = heavy_output && (opt.threads == 2 || (opt.threads == 0 && by_default));
    if (writer_thread) {
        flush(buf, out);  // what comes before the first packet
        PacketRing ring(kRingSlots);
        std::thread writer([&] {
            OutBuffer text;
            std::string hex;
            while (PacketRing::Slot* s = ring.next()) {
                write_packet(text, hex, s->tree, s->frame, s->pinfo, s->first);
                s->tree.trim_sources(kSlotKeeps);
                if (text.size() >= kFlushAt) flush(text, out);
            }
            flush(text, out);
        });
        while (opt.count < 0 || n < opt.count) {
            PacketRing::Slot& s = ring.slot();
            if (!cap->next(s.frame)) break;
            ++n;
            decoder.decode(s.frame, link_of(s.frame), s.tree, s.pinfo, want_info, want_tree_text);
            // A packet the writer may still read keeps its pages.
            if (s.frame.file_offset >= next_release) {
                cap->release_before(ring.oldest_offset(s.frame.file_offset));
                next_release = s.frame.file_offset + kReleaseEvery;
            }
            if (!filter.match(s.tree, s.frame)) continue;  // the slot is filled again
            ++shown;
            s.pinfo.settle_info();
            s.first = shown == 1;
            ring.publish();
        }
        ring.close();
        writer.join();
    } else {
        Tree tree;
        PacketInfo pinfo;
        if (keep) tree.keep_only(*keep);
        Frame frame;
        while ((opt.count < 0 || n < opt.count) && cap->next(frame)) {
            ++n;
            decoder.decode(frame, link_of(frame), tree, pinfo, want_info, want_tree_text);
            for (auto& tap : taps) tap->packet(tree, frame, pinfo);
            bool pass = filter.match(tree, frame);  // the empty filter passes everything
            shown += pass;
            if (pass) pinfo.settle_info();
            if (pass && !opt.decode_only && !opt.quiet) write_packet(buf, scratch, tree, frame, pinfo, shown == 1);
            if (buf.size() >= kFlushAt) flush(buf, out);
            if (frame.file_offset >= next_release) {
                cap->release_before(frame.file_offset);
                next_release = frame.file_offset + kReleaseEvery;
            }
        }
    }
    if (opt.format == DumpOptions::Format::json) buf += "\n]\n";
    for (auto& tap : taps) {
        scratch.clear();
        tap->report(scratch);
        buf += scratch;
    }
    flush(buf, out);
    std::fflush(out);
    if (cap->error()) {
        std::fprintf(err, "wirelab dump: %s (%lld packets before it were decoded)\n",
                     cap->error()->message().c_str(), n);
        return 2;
    }
    return 0;
}

namespace {
constexpr const char* kDumpUsage =
    "Usage: wirelab dump -r FILE [-Y FILTER] [-T text|fields|json] [-V] [-x] [-c N] [-n] [-e FIELD ...] [-E opt=value]\n"
    "  -r FILE        capture file to read (pcap or pcapng)\n"
    "  -Y FILTER      display filter in Wireshark's syntax: only packets that match are printed\n"
    "                 (tcp.port == 80, ip.addr == 10.0.0.0/8 and not arp, http contains \"GET\")\n"
    "  -T text        one summary line per packet (default); -V adds the layer tree, -x a hex dump\n"
    "  -T fields      the values of the fields given with -e, tab-separated, as tshark prints them\n"
    "  -T json        every layer and field with value, byte range, OSI and TCP/IP layer\n"
    "  -e FIELD       a field to print with -T fields (Wireshark's names: ip.src, tcp.srcport...)\n"
    "  -E separator=S|aggregator=S|occurrence=f|l|a|header=y|n|quote=d|s|n\n"
    "  -c N           stop after N packets\n"
    "  -z follow,tcp,ascii,N | follow,tcp,hex,N   the bytes of TCP stream N, as tshark prints them\n"
    "  -z follow,websocket,N                      the WebSocket messages of TCP stream N\n"
    "  -z flow,tcp    a ladder diagram of the TCP segments (add -q to print only the diagram)\n"
    "  -q             no per-packet lines (with -z)\n"
    "  -d tcp.port==N,PROTO   decode TCP port N as PROTO (http, websocket)\n"
    "  -n             no name resolution (wirelab never resolves names; accepted for tshark users)\n"
    "  -G fields      list every field wirelab decodes\n"
    "  --threads 1|2  -V, -x, JSON: write the text on a second thread while the next packets\n"
    "                 decode (2; the default for -V and -x on two cores), or not (1)\n"
    "  --decode-only  decode every layer and print nothing (for benchmarks)\n"
    "Example: wirelab dump -r captures/http_loopback.pcapng -T fields -e ip.src -e tcp.dstport\n";
}

bool parse_dump_args(int argc, char** argv, DumpOptions& opt, std::FILE* err) {
    auto need = [&](int& i, const char* flag) -> const char* {
        if (i + 1 >= argc) {
            std::fprintf(err, "wirelab dump: %s needs a value\n%s", flag, kDumpUsage);
            return nullptr;
        }
        return argv[++i];
    };
    for (int i = 0; i < argc; ++i) {
        std::string_view a = argv[i];
        if (a == "-r") {
            const char* v = need(i, "-r");
            if (!v) return false;
            opt.file = v;
        } else if (a == "-T") {
            const char* v = need(i, "-T");
            if (!v) return false;
            std::string_view t = v;
            if (t == "text") opt.format = DumpOptions::Format::text;
            else if (t == "fields") opt.format = DumpOptions::Format::fields;
            else if (t == "json") opt.format = DumpOptions::Format::json;
            else {
                std::fprintf(err, "wirelab dump: unknown output format '%s' (accepted: text, fields, json)\n", v);
                return false;
            }
        } else if (a == "-Y") {
            const char* v = need(i, "-Y");
            if (!v) return false;
            opt.filter = v;
        } else if (a == "-e") {
            const char* v = need(i, "-e");
            if (!v) return false;
            opt.fields.emplace_back(v);
        } else if (a == "-E") {
            const char* v = need(i, "-E");
            if (!v) return false;
            std::string_view e = v;
            auto eq = e.find('=');
            std::string_view key = e.substr(0, eq), val = eq == std::string_view::npos ? "" : e.substr(eq + 1);
            if (key == "separator") {
                opt.separator = val == "/t" ? "\t" : val == "/s" ? " " : std::string(val);
            } else if (key == "aggregator") {
                opt.aggregator = val == "/s" ? " " : std::string(val);
            } else if (key == "occurrence" && (val == "f" || val == "l" || val == "a")) {
                opt.occurrence = val[0];
            } else if (key == "header" && (val == "y" || val == "n")) {
                opt.header = val == "y";
            } else if (key == "quote" && (val == "d" || val == "s" || val == "n")) {
                opt.quote = val == "n" ? '\0' : val[0];
            } else {
                std::fprintf(err,
                             "wirelab dump: bad -E option '%s' (accepted: separator=S, aggregator=S, "
                             "occurrence=f|l|a, header=y|n, quote=d|s|n)\n",
                             v);
                return false;
            }
        } else if (a == "-c") {
            const char* v = need(i, "-c");
            if (!v) return false;
            char* end = nullptr;
            opt.count = std::strtoll(v, &end, 10);
            if (!end || *end || opt.count <= 0) {
                std::fprintf(err, "wirelab dump: -c needs a positive number of packets, not '%s'\n", v);
                return false;
            }
        } else if (a == "-z") {
            const char* v = need(i, "-z");
            if (!v) return false;
            opt.taps.emplace_back(v);
        } else if (a == "-q") {
            opt.quiet = true;
        } else if (a == "-d") {
            // tshark's form: tcp.port==N,PROTO
            const char* v = need(i, "-d");
            if (!v) return false;
            std::string_view d = v;
            std::size_t eq = d.find("=="), comma = d.find(',');
            unsigned long port = 0;
            char* end = nullptr;
            if (d.substr(0, 8) == "tcp.port" && eq == 8 && comma != std::string_view::npos && comma > eq + 2) {
                std::string num(d.substr(eq + 2, comma - eq - 2));
                port = std::strtoul(num.c_str(), &end, 10);
            }
            if (!end || *end || port == 0 || port > 65535) {
                std::fprintf(err, "wirelab dump: -d needs tcp.port==PORT,PROTOCOL (for example tcp.port==8000,http), not '%s'\n", v);
                return false;
            }
            opt.decode_as.emplace_back(static_cast<std::uint32_t>(port), std::string(d.substr(comma + 1)));
        } else if (a == "-V") {
            opt.verbose = true;
        } else if (a == "-x") {
            opt.hex = true;
        } else if (a == "-n") {
            // Names are never resolved; accepted so tshark command lines work unchanged.
        } else if (a == "--threads") {
            const char* v = need(i, "--threads");
            if (!v) return false;
            std::string_view t(v);
            if (t != "1" && t != "2") {
                std::fprintf(err, "wirelab dump: --threads takes 1 or 2, not '%s'\n", v);
                return false;
            }
            opt.threads = t == "1" ? 1 : 2;
        } else if (a == "--decode-only") {
            opt.decode_only = true;
        } else if (a == "-h" || a == "--help") {
            std::fputs(kDumpUsage, stdout);
            std::exit(0);
        } else {
            std::fprintf(err, "wirelab dump: unknown option '%s'\n%s", argv[i], kDumpUsage);
            return false;
        }
    }
    if (opt.file.empty()) {
        std::fprintf(err, "wirelab dump: no capture file given (-r FILE)\n%s", kDumpUsage);
        return false;
    }
    return true;
}

}  // namespace wirelab
