// A display filter that can only pass packets of some application protocols lets the decoder
// leave out the dissectors of other application protocols that never share a packet with
// them (Filter::required_protocols, Decoder::narrow_to; DNS for `http.request.method == "GET"`).
// What is shown of a packet that passes must not change: checked on every real capture,
// packet by packet, against a decoder that leaves nothing out.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "captures.hpp"
#include "wirelab/capture.hpp"
#include "wirelab/decoder.hpp"
#include "wirelab/filter.hpp"

namespace {

using namespace wirelab;

Filter compile(const Decoder& d, const std::string& text) {
    FilterError err;
    auto f = Filter::compile(text, d.registry(), err);
    INFO(text << ": " << err.str());
    REQUIRE(f);
    return *f;
}

// The abbreviations of a protocol list, sorted, joined by spaces; "-" for no requirement.
std::string names(const std::optional<std::vector<const ProtocolDef*>>& ps) {
    if (!ps) return "-";
    std::vector<std::string> v;
    for (const ProtocolDef* p : *ps) v.emplace_back(p->abbrev);
    std::sort(v.begin(), v.end());
    std::string out;
    for (const std::string& s : v) out += (out.empty() ? "" : " ") + s;
    return out;
}

// What narrow_to left out: "nothing" when it left every dissector in.
std::string names(const std::vector<const ProtocolDef*>& ps) { return ps.empty() ? "nothing" : names(std::optional(ps)); }

bool has_layer(const Tree& t, std::string_view proto) {
    return std::any_of(t.nodes().begin(), t.nodes().end(), [&](const Node& n) { return n.field->abbrev == proto; });
}

}  // namespace

TEST_CASE("a filter names the protocols every packet it passes must hold", "[core][filter]") {
    Decoder d;
    auto req = [&](const std::string& text) { return names(compile(d, text).required_protocols()); };
    CHECK(req("http.request.method == \"GET\"") == "http");
    CHECK(req("http") == "http");
    CHECK(req("http or websocket") == "http websocket");
    CHECK(req("tcp.port == 8080 and http.response.code == 200") == "http");  // the application protocol says most
    CHECK(req("http.host contains \"example\" and tcp.port == 80") == "http");
    CHECK(req("udp.port == 53") == "udp");
    CHECK(req("ip.addr != 10.0.0.1") == "ip");  // "not ==": an address must be there to differ
    CHECK(req("(dns or http) and frame.len > 60") == "dns http");
    // Filters that can pass a packet whatever it holds.
    CHECK(req("not dns") == "-");
    CHECK(req("dns or not http") == "-");
    CHECK(req("count(ip.addr) > 1") == "-");
    CHECK(req("!(http)") == "-");
    CHECK(names(Filter().required_protocols()) == "-");
}

TEST_CASE("the decoder leaves out only application protocols no passing packet can hold", "[core][filter]") {
    Decoder d;
    CHECK(names(d.narrow_to(compile(d, "http.request.method == \"GET\""))) ==
          "dns engineio llmnr mdns socketio websocket");
    CHECK(names(d.narrow_to(compile(d, "websocket or engineio"))) == "dns llmnr mdns");
    // DNS in any flavour keeps DNS, and WebSocket stays for what it carries (Engine.IO and
    // Socket.IO). A filter that asks for a lower layer, for "data" (what is left of any
    // payload), or for nothing in particular keeps every dissector.
    CHECK(names(d.narrow_to(compile(d, "dns.qry.name == \"example.com\""))) == "engineio socketio websocket");
    CHECK(names(d.narrow_to(compile(d, "socketio.event == \"chat message\""))) == "dns llmnr mdns");
    CHECK(names(d.narrow_to(compile(d, "mdns"))) == "engineio socketio websocket");
    CHECK(names(d.narrow_to(compile(d, "http or llmnr"))) == "engineio socketio websocket");
    CHECK(names(d.narrow_to(compile(d, "llmnr or socketio"))) == "nothing");
    CHECK(names(d.narrow_to(compile(d, "udp.port == 53"))) == "nothing");
    CHECK(names(d.narrow_to(compile(d, "data"))) == "nothing");
    CHECK(names(d.narrow_to(compile(d, "not http"))) == "nothing");
    CHECK(names(d.narrow_to(Filter())) == "nothing");
}

TEST_CASE("a narrowed decoder shows every passing packet as a full one does, on every real capture",
          "[core][filter]") {
    const std::vector<std::string> filters = {
        "http.request.method == \"GET\"", "http", "websocket", "http or websocket", "engineio or socketio",
        "tcp.port == 8080 and http", "http.response.code >= 200 and websocket", "http.response.code == 101",
        "dns"};
    const std::vector<std::string> files = testing_support::real_captures();
    REQUIRE(files.size() > 50);
    std::size_t passed = 0, left_out = 0;
    for (const std::string& text : filters) {
        for (const std::string& file : files) {
            INFO(text << " on " << file);
            CaptureError err;
            auto cap = CaptureFile::open(file, err);
            if (!cap) continue;  // the damaged files of malformed/ that do not open at all
            Decoder full, narrow;
            Filter filter = compile(full, text);
            REQUIRE(!narrow.narrow_to(filter).empty());
            Tree full_tree, narrow_tree;
            PacketInfo full_info, narrow_info;
            Frame frame;
            while (cap->next(frame)) {
                std::uint32_t link = testing_support::link_type_of(*cap, frame);
                full.decode(frame, link, full_tree, full_info, true, true);
                narrow.decode(frame, link, narrow_tree, narrow_info, true, true);
                bool pass = filter.match(full_tree, frame);
                REQUIRE(filter.match(narrow_tree, frame) == pass);
                for (std::string_view p : {"dns", "websocket"})
                    if (has_layer(full_tree, p) && !has_layer(narrow_tree, p)) ++left_out;
                if (!pass) continue;
                ++passed;
                INFO("frame " << frame.number);
                CHECK(narrow_info.info == full_info.info);
                CHECK(narrow_info.protocol == full_info.protocol);
                CHECK(narrow_info.protocols == full_info.protocols);
                REQUIRE(narrow_tree.nodes().size() == full_tree.nodes().size());
                for (std::size_t i = 0; i < full_tree.nodes().size(); ++i) {
                    const Node& a = full_tree.nodes()[i];
                    const Node& b = narrow_tree.nodes()[i];
                    INFO("node " << i << " " << a.field->abbrev);
                    CHECK(b.field == a.field);
                    CHECK(b.offset == a.offset);
                    CHECK(b.length == a.length);
                    CHECK(b.depth == a.depth);
                    CHECK(b.flags == a.flags);
                    if (a.flags & kHasText)
                        CHECK(narrow_tree.text_of(b) == full_tree.text_of(a));
                    else
                        CHECK(b.value == a.value);
                }
            }
        }
    }
    CHECK(passed > 500);    // HTTP and WebSocket packets of the captures, for every filter
    CHECK(left_out > 100);  // and DNS and WebSocket packets really were passed over
}

TEST_CASE("an Info column written on demand is the one written at once, on every real capture",
          "[core][filter]") {
    // `dump -Y` reads the Info column of the packets that pass only (Decoder::set_info_on_demand):
    // TCP leaves its text unwritten until PacketInfo::settle_info(). Packets whose Info is never
    // asked for must not change the Info of the ones after them.
    const std::vector<std::string> files = testing_support::real_captures();
    REQUIRE(files.size() > 50);
    std::size_t compared = 0, deferred = 0;
    for (const std::string& file : files) {
        INFO(file);
        CaptureError err;
        auto cap = CaptureFile::open(file, err);
        if (!cap) continue;
        Decoder eager, lazy;
        lazy.set_info_on_demand(true);
        Tree eager_tree, lazy_tree;
        PacketInfo eager_info, lazy_info;
        Frame frame;
        while (cap->next(frame)) {
            std::uint32_t link = testing_support::link_type_of(*cap, frame);
            eager.decode(frame, link, eager_tree, eager_info, true, false);
            lazy.decode(frame, link, lazy_tree, lazy_info, true, false);
            CHECK_FALSE(eager_info.deferred.write);  // a decoder not asked writes it all
            if (lazy_info.deferred.write) ++deferred;
            if (frame.number % 3 == 0) continue;  // left unread, as a packet -Y does not pass
            lazy_info.settle_info();
            INFO("frame " << frame.number);
            CHECK(lazy_info.info == eager_info.info);
            CHECK(lazy_info.protocol == eager_info.protocol);
            ++compared;
        }
    }
    CHECK(compared > 1000);
    CHECK(deferred > 500);  // TCP segments really were left unwritten
}
