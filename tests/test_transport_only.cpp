// `wirelab dump -T fields` with only link, network and transport fields decodes nothing above
// TCP and UDP (Decoder::set_transport_only). The output must be what a full decode prints:
// checked on every real capture against the same fields printed beside an application field,
// which makes the decode go all the way up.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "captures.hpp"
#include "wirelab/capture.hpp"
#include "wirelab/decoder.hpp"
#include "wirelab/dump.hpp"

namespace {

using namespace wirelab;

const std::vector<std::string> kBelowFields = {
    "frame.number", "frame.len",   "frame.time_epoch", "eth.src",      "eth.type",    "vlan.id",
    "arp.opcode",   "ip.src",      "ip.dst",           "ip.ttl",       "ip.flags",    "ip.id",
    "ipv6.src",     "ipv6.dst",    "ipv6.nxt",         "icmp.type",    "icmpv6.type", "tcp.srcport",
    "tcp.dstport",  "tcp.seq",     "tcp.ack",          "tcp.len",      "tcp.stream",  "tcp.flags",
    "tcp.window_size", "tcp.nxtseq", "tcp.options.mss_val", "udp.srcport", "udp.dstport", "udp.length",
    "udp.stream"};

// run_dump's standard output and exit code.
struct Output {
    int code = 0;
    std::string text;
};

Output dump(const std::string& file, const std::vector<std::string>& fields) {
    DumpOptions opt;
    opt.file = file;
    opt.format = DumpOptions::Format::fields;
    opt.fields = fields;
    char* text = nullptr;
    std::size_t size = 0;
    std::FILE* out = open_memstream(&text, &size);
    std::FILE* err = std::fopen("/dev/null", "w");
    REQUIRE(out);
    REQUIRE(err);
    Output o;
    o.code = run_dump(opt, out, err);
    std::fclose(out);
    std::fclose(err);
    o.text.assign(text, size);
    std::free(text);
    return o;
}

// Drops the last tab-separated column of every line.
std::string without_last_column(const std::string& text) {
    std::string out;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(start, end - start);
        out += line.substr(0, line.rfind('\t'));
        out += '\n';
        start = end + 1;
    }
    return out;
}

}  // namespace

TEST_CASE("fields below the application layer print what a full decode prints, on every real capture",
          "[core][dump][fields]") {
    std::vector<std::string> with_app = kBelowFields;
    with_app.push_back("http.request.method");  // an application field: the decode goes all the way up
    const std::vector<std::string> files = testing_support::real_captures();
    REQUIRE(files.size() > 50);
    std::size_t lines = 0;
    for (const std::string& file : files) {
        INFO(file);
        Output below = dump(file, kBelowFields);
        Output full = dump(file, with_app);
        CHECK(below.code == full.code);
        CHECK(below.text == without_last_column(full.text));
        lines += static_cast<std::size_t>(std::count(below.text.begin(), below.text.end(), '\n'));
    }
    CHECK(lines > 2000);  // every packet of every file, about 2,400
}

TEST_CASE("a transport-only decoder stops at TCP and UDP, and a full one does not", "[core][dump][fields]") {
    CaptureError err;
    auto cap = CaptureFile::open(std::string(WIRELAB_REPO_DIR) + "/captures/http_get_loopback.pcapng", err);
    REQUIRE(cap);
    Decoder full, below;
    below.set_transport_only(true);
    Tree full_tree, below_tree;
    PacketInfo pinfo;
    Frame frame;
    bool saw_http = false;
    while (cap->next(frame)) {
        std::uint32_t link = testing_support::link_type_of(*cap, frame);
        full.decode(frame, link, full_tree, pinfo, true);
        below.decode(frame, link, below_tree, pinfo, true);
        auto has = [](const Tree& t, std::string_view proto) {
            for (const Node& n : t.nodes())
                if (n.field->abbrev == proto) return true;
            return false;
        };
        CHECK(has(below_tree, "tcp"));
        CHECK_FALSE(has(below_tree, "http"));
        saw_http = saw_http || has(full_tree, "http");
    }
    CHECK(saw_http);
}
