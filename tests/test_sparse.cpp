// A sparse tree (Tree::keep_only) keeps the layers, every node marked malformed and the fields
// it is given, and drops every other node as it is added. What it keeps must be exactly what
// the full tree holds of those nodes, in the same order, with the same values, depths and byte
// ranges, and the packet's info (Info, Protocol, frame.protocols) must not change: checked on
// every real capture, packet by packet, against a decoder that builds the full tree.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "captures.hpp"
#include "wirelab/capture.hpp"
#include "wirelab/decoder.hpp"
#include "wirelab/filter.hpp"

namespace {

using namespace wirelab;

std::vector<const FieldDef*> fields(const Registry& reg, const std::vector<std::string>& names) {
    std::vector<const FieldDef*> out;
    for (const std::string& n : names) {
        const FieldDef* f = reg.field(n);
        INFO(n);
        REQUIRE(f);
        out.push_back(f);
    }
    return out;
}

bool is_kept(const Node& n, const std::vector<const FieldDef*>& keep) {
    return n.field->type == FieldType::protocol || (n.flags & kMalformed) ||
           std::find(keep.begin(), keep.end(), n.field) != keep.end();
}

struct Sparse {
    std::string name;
    std::vector<const FieldDef*> keep;
    bool info = true;  // whether the decoder is asked for the Info column
    Decoder decoder;
    Tree tree;
    PacketInfo pinfo;
    std::size_t kept = 0, dropped = 0;
};

}  // namespace

TEST_CASE("a sparse tree keeps only layers, malformed nodes and its fields", "[core][tree]") {
    Decoder d;
    const FieldDef* port = d.registry().field("tcp.srcport");
    const FieldDef* seq = d.registry().field("tcp.seq");
    const FieldDef* tcp = d.registry().field("tcp");
    REQUIRE((port && seq && tcp));
    Tree t;
    Bytes none;
    Tvb tvb(none);
    CHECK_FALSE(t.sparse());
    CHECK(t.add(*seq, tvb, 0, 0, 1) == 0);
    std::vector<const FieldDef*> keep{port};
    t.keep_only(keep);
    CHECK(t.sparse());
    CHECK(t.keeps(*port));
    CHECK(t.keeps(*tcp));                 // a layer
    CHECK_FALSE(t.keeps(*seq));
    CHECK(t.keeps(*seq, kMalformed));     // a malformed node always stays
    t.clear();
    std::size_t layer = t.open(*tcp, tvb, 0, 0);
    std::size_t dropped = t.open(*seq, tvb, 0, 0);  // a subtree that is not kept
    CHECK(dropped == Tree::kDropped);
    std::size_t child = t.add(*port, tvb, 0, 0, 80);
    t.set_value(dropped, 7);              // accepted, and changes nothing
    t.set_text(dropped, "text");
    t.close(dropped, 4);
    t.close(layer);
    REQUIRE(t.nodes().size() == 2);
    CHECK(layer == 0);
    CHECK(child == 1);
    CHECK(t.nodes()[1].value == 80);
    CHECK(t.nodes()[1].depth == 2);       // the full tree's depth: under tcp and under seq
    CHECK(t.nodes()[1].length == 0);
    t.keep_all();
    CHECK_FALSE(t.sparse());
    CHECK(t.add(*seq, tvb, 0, 0, 1) != Tree::kDropped);
}

TEST_CASE("a filter says which fields a sparse tree must keep for it", "[core][tree][filter]") {
    Decoder d;
    auto sparse = [&](const std::string& text) {
        FilterError err;
        auto f = Filter::compile(text, d.registry(), err);
        INFO(text << ": " << err.str());
        REQUIRE(f);
        return f->sparse_fields();
    };
    auto names = [](const std::optional<std::vector<const FieldDef*>>& fs) {
        if (!fs) return std::string("whole tree");
        std::string out;
        for (const FieldDef* f : *fs) out += (out.empty() ? "" : " ") + std::string(f->abbrev);
        return out;
    };
    CHECK(names(sparse("http.request.method == \"GET\"")) == "http.request.method");
    CHECK(names(sparse("tcp.port == 80 and http")) == "tcp.port http");
    CHECK(names(sparse("count(ip.addr) > 1")) == "ip.addr");
    CHECK(names(Filter().sparse_fields()).empty());
    // A protocol's bytes run to the last field after its layer: only the whole tree has them.
    CHECK(names(sparse("tcp contains \"GET\"")) == "whole tree");
    CHECK(names(sparse("len(udp) > 8")) == "whole tree");
    CHECK(names(sparse("eth[0:2] == 00:00")) == "whole tree");
}

TEST_CASE("a sparse tree holds exactly the full tree's nodes it keeps, on every real capture", "[core][tree]") {
    const std::vector<std::pair<std::string, std::vector<std::string>>> sets = {
        // --decode-only and summary lines: the layers alone
        {"layers", {}},
        // the viewer's index
        {"index", {"tcp.stream", "tcp.flags", "_ws.short"}},
        // the benchmark's two -T fields sets
        {"transport",
         {"frame.number", "ip.src", "ip.dst", "tcp.srcport", "tcp.dstport", "tcp.seq", "tcp.ack", "tcp.stream",
          "tcp.len", "udp.srcport", "udp.dstport"}},
        {"application",
         {"frame.number", "tcp.stream", "tcp.seq", "http.request.method", "http.request.uri", "http.response.code",
          "http.content_length", "websocket.opcode", "websocket.payload_length", "websocket.fin"}},
        // subtree headings whose value is set after they are added, and link-layer trailers
        // inserted back into their layer
        {"headings",
         {"tcp.option_kind", "ip.opt.type", "ipv6.opt.type", "dns.flags", "dns.resp.z", "eth.trailer",
          "eth.padding", "vlan.trailer", "sll.trailer", "frame.protocols"}},
        // protocols carried in HTTP bodies and WebSocket messages
        {"carried",
         {"dns.qry.name", "engineio.sid", "engineio.packet_type", "socketio.event", "socketio.nsp",
          "_ws.expert.message", "http.file_data"}},
    };
    const std::vector<std::string> files = testing_support::real_captures();
    REQUIRE(files.size() > 50);
    std::vector<std::unique_ptr<Sparse>> all;
    std::size_t packets = 0;
    std::map<std::string_view, std::size_t> seen;  // nodes of each listed field, all files
    for (const std::string& file : files) {
        INFO(file);
        CaptureError err;
        auto cap = CaptureFile::open(file, err);
        if (!cap) continue;  // the damaged files of malformed/ that do not open at all
        Decoder full;
        all.clear();
        for (const auto& [name, names] : sets) {
            auto s = std::make_unique<Sparse>();
            s->name = name;
            s->keep = fields(s->decoder.registry(), names);
            s->tree.keep_only(s->keep);
            all.push_back(std::move(s));
        }
        // --decode-only: the layers, and no Info column either (so no DNS name is spelled out).
        auto bare = std::make_unique<Sparse>();
        bare->name = "layers, no Info";
        bare->info = false;
        bare->tree.keep_only(bare->keep);
        all.push_back(std::move(bare));
        // Every field kept: the same tree as the full one.
        auto every = std::make_unique<Sparse>();
        every->name = "every field";
        for (const ProtocolDef* p : every->decoder.registry().protocols())
            for (const FieldDef& f : p->fields) every->keep.push_back(&f);
        every->tree.keep_only(every->keep);
        all.push_back(std::move(every));

        Tree full_tree;
        PacketInfo full_info;
        Frame frame;
        while (cap->next(frame)) {
            ++packets;
            std::uint32_t link = testing_support::link_type_of(*cap, frame);
            full.decode(frame, link, full_tree, full_info, true, false);
            for (auto& s : all) {
                s->decoder.decode(frame, link, s->tree, s->pinfo, s->info, false);
                INFO(s->name << ", frame " << frame.number);
                if (s->info) CHECK(s->pinfo.info == full_info.info);
                CHECK(s->pinfo.protocol == full_info.protocol);
                CHECK(s->pinfo.protocols == full_info.protocols);
                std::size_t j = 0;
                const auto& got = s->tree.nodes();
                for (std::size_t i = 0; i < full_tree.nodes().size(); ++i) {
                    const Node& a = full_tree.nodes()[i];
                    if (!is_kept(a, s->keep)) {
                        ++s->dropped;
                        continue;
                    }
                    INFO("node " << i << " " << a.field->abbrev);
                    REQUIRE(j < got.size());
                    const Node& b = got[j++];
                    ++s->kept;
                    if (s->name != "every field" && a.field->type != FieldType::protocol) ++seen[a.field->abbrev];
                    REQUIRE(b.field == a.field);
                    CHECK(b.offset == a.offset);
                    CHECK(b.length == a.length);
                    CHECK(b.depth == a.depth);
                    CHECK(b.source == a.source);
                    CHECK(b.flags == a.flags);
                    if (a.flags & kHasText)
                        CHECK(s->tree.text_of(b) == full_tree.text_of(a));
                    else
                        CHECK(b.value == a.value);
                }
                CHECK(j == got.size());
            }
        }
        for (auto& s : all) {
            INFO(s->name);
            if (s->name == "every field") CHECK(s->dropped == 0);
        }
    }
    CHECK(packets > 2000);
    // Every listed field occurs in the captures, so each kind of node above was compared.
    for (const auto& [name, names] : sets)
        for (const std::string& n : names) {
            INFO(name << ": " << n);
            CHECK(seen[n] > 0);
        }
}
