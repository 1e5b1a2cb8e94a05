// Display filter tests: syntax errors with their columns, precedence, every operator and
// value syntax on an annotated packet, values stored as text, and the frames tshark selects
// with the same filter on real captures.
#include <catch2/catch.hpp>

#include <cstdio>
#include <string>
#include <vector>

#include "wirelab/capture.hpp"
#include "wirelab/decoder.hpp"
#include "wirelab/filter.hpp"

namespace {

using wirelab::Decoder;
using wirelab::Filter;
using wirelab::FilterError;
using wirelab::Frame;
using wirelab::PacketInfo;
using wirelab::Tree;

// Ethernet / IPv4 / TCP with PSH+ACK and a 13-byte payload: 10.0.0.1:1234 -> 10.0.0.2:5000.
const std::vector<std::uint8_t> kTcpPacket = {
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55,  // eth.dst
    0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,  // eth.src
    0x08, 0x00,                          // eth.type: IPv4
    0x45, 0x00,                          // ip.version 4, ip.hdr_len 20, ip.dsfield 0
    0x00, 0x35,                          // ip.len 53
    0x00, 0x01,                          // ip.id
    0x40, 0x00,                          // ip.flags: DF, ip.frag_offset 0
    0x40,                                // ip.ttl 64
    0x06,                                // ip.proto: TCP
    0x00, 0x00,                          // ip.checksum (not checked by filters)
    0x0a, 0x00, 0x00, 0x01,              // ip.src 10.0.0.1
    0x0a, 0x00, 0x00, 0x02,              // ip.dst 10.0.0.2
    0x04, 0xd2,                          // tcp.srcport 1234
    0x13, 0x88,                          // tcp.dstport 5000
    0x00, 0x00, 0x00, 0x01,              // tcp.seq_raw
    0x00, 0x00, 0x00, 0x01,              // tcp.ack_raw
    0x50, 0x18,                          // tcp.hdr_len 20, tcp.flags: PSH, ACK
    0x20, 0x00,                          // tcp.window_size_value 8192
    0x00, 0x00,                          // tcp.checksum
    0x00, 0x00,                          // tcp.urgent_pointer
    'h', 'e', 'l', 'l', 'o', ' ', 'w', 'i', 'r', 'e', 'l', 'a', 'b',  // tcp.payload
};

struct Packet {
    Decoder decoder;
    Tree tree;
    PacketInfo pinfo;
    Frame frame;
    std::vector<std::uint8_t> bytes;

    explicit Packet(std::vector<std::uint8_t> b) : bytes(std::move(b)) {
        frame.number = 1;
        frame.data = bytes;
        frame.wire_len = static_cast<std::uint32_t>(bytes.size());
        decoder.decode(frame, wirelab::kLinkEthernet, tree, pinfo, true);
    }
    bool match(const std::string& text) {
        FilterError err;
        auto f = Filter::compile(text, decoder.registry(), err);
        INFO(text << ": " << err.str());
        REQUIRE(f);
        return f->match(tree, frame);
    }
};

FilterError compile_error(const std::string& text) {
    Decoder d;
    FilterError err;
    auto f = Filter::compile(text, d.registry(), err);
    INFO(text);
    CHECK_FALSE(f);
    return err;
}

// Frame numbers wirelab's filter selects in a capture.
std::vector<std::uint64_t> wirelab_frames(const std::string& path, const std::string& text) {
    Decoder d;
    FilterError err;
    auto f = Filter::compile(text, d.registry(), err);
    INFO(text << ": " << err.str());
    REQUIRE(f);
    wirelab::CaptureError cerr;
    auto cap = wirelab::CaptureFile::open(path, cerr);
    INFO(cerr.message());
    REQUIRE(cap);
    Tree tree;
    PacketInfo pinfo;
    Frame frame;
    std::vector<std::uint64_t> out;
    while (cap->next(frame)) {
        std::uint32_t link = frame.interface < cap->interfaces().size() ? cap->interfaces()[frame.interface].link_type
                                                                         : wirelab::kLinkEthernet;
        d.decode(frame, link, tree, pinfo, true);
        if (f->match(tree, frame)) out.push_back(frame.number);
    }
    return out;
}

std::string shell_quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

// Runs commands two at a time (tshark spends half a second starting up; the machine has two
// cores) and returns the standard output of each.
std::vector<std::string> run_all(const std::vector<std::string>& commands) {
    std::vector<std::string> out(commands.size());
    auto drain = [](std::FILE* p, std::string& into) {
        if (!p) return;
        char buf[4096];
        std::size_t n;
        while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) into.append(buf, n);
        pclose(p);
    };
    for (std::size_t i = 0; i < commands.size(); i += 2) {
        std::FILE* a = popen(commands[i].c_str(), "r");
        std::FILE* b = i + 1 < commands.size() ? popen(commands[i + 1].c_str(), "r") : nullptr;
        drain(a, out[i]);
        if (i + 1 < commands.size()) drain(b, out[i + 1]);
    }
    return out;
}

std::string tshark_command(const std::string& path, const std::string& text) {
    return "tshark -n -r " + shell_quote(path) + " -Y " + shell_quote(text) + " -T fields -e frame.number 2>/dev/null";
}

std::vector<std::uint64_t> frame_numbers(const std::string& lines) {
    std::vector<std::uint64_t> frames;
    std::size_t i = 0;
    while (i < lines.size()) {
        std::size_t j = lines.find('\n', i);
        if (j == std::string::npos) j = lines.size();
        if (j > i) frames.push_back(std::stoull(lines.substr(i, j - i)));
        i = j + 1;
    }
    return frames;
}

}  // namespace

TEST_CASE("filter errors name the column and what was expected", "[filter][syntax]") {
    struct Case {
        const char* text;
        std::size_t column;
        const char* message;  // a part of the message
    };
    const Case cases[] = {
        {"tcp.port ==", 12, "expected a value after '==', found end of filter"},
        {"tcp.port == ", 13, "expected a value after '==', found end of filter"},
        {"foo.bar", 1, "\"foo.bar\" is neither a protocol nor a field"},
        {"tcp and foo.bar == 1", 9, "\"foo.bar\" is neither a protocol nor a field"},
        {"ip.src == \"hello\"", 11, "ip.src is an IPv4 address"},
        {"ip.src == 1.2.3", 11, "1.2.3 is not an IPv4 address"},
        {"ip.src == \"1.2.3.4\"", 11, "without quotes"},
        {"tcp.port == 99999", 13, "tcp.port is an unsigned 16-bit integer; 99999 is out of its range, 0 to 65535"},
        {"tcp.port == -1", 13, "out of its range"},
        {"tcp.port == \"80\"", 13, "a quoted string, not a number"},
        {"tcp.flags.syn == yes", 18, "tcp.flags.syn is a boolean"},
        {"(tcp.port == 80", 16, "expected ')' to close the '(' at column 1, found end of filter"},
        {"tcp.port == 80 and", 19, "expected a field, a protocol, 'not' or '(', found end of filter"},
        {"and tcp", 1, "found 'and'"},
        {"tcp.port == 80 or or udp", 19, "found 'or'"},
        {"tcp.port = 80", 10, "'=' is not an operator"},
        {"tcp.port 80", 10, "expected an operator after tcp.port"},
        {"tcp.flags.syn == 1 tcp", 20, "expected 'and', 'or' or the end of the filter, found 'tcp'"},
        {"tcp)", 4, "this ')' closes no '('"},
        {"()", 2, "found ')'"},
        {"http.host == \"x", 14, "no closing '\"'"},
        {"http.host contains \"\\q\"", 21, "\\q is not a valid escape sequence"},
        {"ip.addr == 10.0.0.0/33", 12, "at most 32 bits, not 33"},
        {"ipv6.addr == fe80::/129", 14, "at most 128 bits"},
        {"eth.src == ff:ff", 12, "ff:ff has 2 bytes; a MAC address has 6"},
        {"http.host matches \"(\"", 19, "not a regular expression"},
        {"http.host matches \"(a)\\\\1\"", 19, "no back-references"},
        {"tcp.port in {80 443}", 17, "separated by commas"},
        {"tcp.port in 80", 13, "expected '{' after 'in'"},
        {"tcp.options.sack_perm == 1", 1, "label without a value"},
        {"ip.proto == udp", 10, "ip.proto (an unsigned 8-bit integer) and udp (a protocol) cannot be compared"},
        {"80 == tcp.port", 1, "must be a field"},
        {"tcp.port contains 80", 10, "'contains' searches strings and bytes"},
        {"ip.src matches \"1\"", 8, "'matches' applies to strings and bytes"},
        {"tcp.port[0:1] == 00", 9, "only byte-valued fields can be sliced"},
        {"len(tcp.port) > 1", 5, "len() measures strings and bytes"},
        {"upper(http.host) == \"X\"", 1, "upper()"},
        {"all tcp", 1, "'all' needs a comparison"},
        {"ip.src#0", 8, "expected a layer number"},
        {"tcp ^^ udp", 5, "no xor"},
        {"frame.time_relative > abc", 23, "not a number of seconds"},
        // Columns count characters: the two-byte "é" is one column.
        {"http.host == \"\xc3\xa9\" and foo", 22, "\"foo\" is neither a protocol nor a field"},
    };
    for (const Case& c : cases) {
        FilterError err = compile_error(c.text);
        INFO(c.text << " -> " << err.str());
        CHECK(err.column == c.column);
        CHECK(err.message.find(c.message) != std::string::npos);
    }

    FilterError err = compile_error("tcp.port == 99999");
    CHECK(err.str() == "column 13: tcp.port is an unsigned 16-bit integer; 99999 is out of its range, 0 to 65535");
    CHECK(wirelab::filter_error_marker("tcp.port == 99999", err) == "    tcp.port == 99999\n                ^~~~~");
}

TEST_CASE("filter precedence: not binds tighter than and, and tighter than or", "[filter][precedence]") {
    Packet p(kTcpPacket);  // has tcp, has no udp
    CHECK(p.match("udp and tcp or tcp"));        // (udp and tcp) or tcp
    CHECK(p.match("tcp or udp and udp"));        // tcp or (udp and udp)
    CHECK_FALSE(p.match("not tcp and udp"));     // (not tcp) and udp
    CHECK(p.match("not udp and tcp"));           // (not udp) and tcp
    CHECK(p.match("not tcp or tcp"));            // (not tcp) or tcp
    CHECK_FALSE(p.match("not (tcp or tcp)"));
    CHECK_FALSE(p.match("udp and (tcp or tcp)"));
    CHECK_FALSE(p.match("! tcp || tcp && udp"));  // (!tcp) || (tcp && udp)
    CHECK(p.match("tcp && !udp || udp"));
    CHECK(p.match("not not tcp"));
    CHECK(p.match("tcp.port == 1234 and not udp or arp"));
    CHECK_FALSE(p.match("tcp.port == 1234 and not (tcp or arp)"));
}

TEST_CASE("filter operators and values on an annotated packet", "[filter]") {
    Packet p(kTcpPacket);

    SECTION("presence") {
        for (const char* yes : {"frame", "eth", "ip", "tcp", "tcp.payload", "ip.flags.df", "tcp.flags.syn"})
            CHECK(p.match(yes));
        for (const char* no : {"udp", "arp", "ipv6", "http", "websocket", "tcp.options.mss_val", "udp.port"})
            CHECK_FALSE(p.match(no));
    }
    SECTION("a field that occurs twice: == any, != all (Wireshark 4.0), ~= any differs") {
        CHECK(p.match("tcp.port == 1234"));
        CHECK(p.match("tcp.port == 5000"));
        CHECK_FALSE(p.match("tcp.port != 1234"));
        CHECK(p.match("tcp.port != 80"));
        CHECK(p.match("tcp.port ~= 1234"));
        CHECK(p.match("tcp.port !== 1234"));
        CHECK(p.match("tcp.port any_ne 1234"));
        CHECK_FALSE(p.match("tcp.port === 1234"));
        CHECK_FALSE(p.match("tcp.port all_eq 1234"));
        CHECK(p.match("ip.addr == 10.0.0.2"));
        CHECK_FALSE(p.match("ip.addr != 10.0.0.1"));
        CHECK(p.match("ip.addr ne 10.9.9.9"));
        // Absent fields: no comparison holds, not even !=.
        CHECK_FALSE(p.match("udp.port == 53"));
        CHECK_FALSE(p.match("udp.port != 53"));
        CHECK(p.match("not udp.port == 53"));
    }
    SECTION("ordering, word forms, integer syntax") {
        CHECK(p.match("frame.len == 67"));
        CHECK(p.match("frame.len eq 0x43"));
        CHECK(p.match("frame.len == 0103"));
        CHECK(p.match("frame.len == 0b1000011"));
        CHECK(p.match("frame.len > 66 and frame.len < 68"));
        CHECK(p.match("frame.len gt 66 and frame.len lt 68"));
        CHECK(p.match("frame.len >= 67 and frame.len <= 67"));
        CHECK(p.match("frame.len ge 67 and frame.len le 67"));
        CHECK_FALSE(p.match("frame.len > 67"));
        CHECK(p.match("tcp.srcport == 0x4d2"));
        CHECK(p.match("tcp.window_size_value == 8192"));
        CHECK(p.match("any tcp.port > 2000"));
        CHECK_FALSE(p.match("all tcp.port > 2000"));
        CHECK(p.match("all tcp.port > 1000"));
    }
    SECTION("booleans and value names") {
        CHECK(p.match("tcp.flags.push == 1"));
        CHECK(p.match("tcp.flags.push == True"));
        CHECK(p.match("tcp.flags.syn == False"));
        CHECK(p.match("tcp.flags.syn == 0"));
        CHECK(p.match("ip.flags.df == 1 and ip.flags.mf == 0"));
        CHECK(p.match("ip.proto == TCP"));
        CHECK(p.match("ip.proto == \"tcp\""));  // value names match without regard to case
        CHECK(p.match("ip.proto == 6"));
        CHECK(p.match("eth.type == IPv4"));
    }
    SECTION("bitwise and") {
        CHECK(p.match("tcp.flags & 0x08"));
        CHECK(p.match("tcp.flags bitwise_and 0x10"));
        CHECK_FALSE(p.match("tcp.flags & 0x02"));
        CHECK(p.match("tcp.flags & 0x18 == 0x18"));
        CHECK_FALSE(p.match("tcp.flags & 0x12 == 0x12"));
    }
    SECTION("addresses") {
        CHECK(p.match("ip.addr == 10.0.0.0/8"));
        CHECK(p.match("ip.src == 10.0.0.1/32"));
        CHECK_FALSE(p.match("ip.src == 10.0.0.2"));
        CHECK_FALSE(p.match("ip.addr == 192.168.0.0/16"));
        CHECK(p.match("ip.src < 10.0.0.2"));
        CHECK(p.match("ip.dst > 10.0.0.1"));
        CHECK(p.match("eth.src == 66:77:88:99:aa:bb"));
        CHECK(p.match("eth.src == 66-77-88-99-AA-BB"));
        CHECK(p.match("eth.src == 6677.8899.aabb"));
        CHECK(p.match("eth.src == 66778899aabb"));
        CHECK(p.match("eth.addr == 00:11:22:33:44:55"));
        CHECK(p.match("eth.src contains 88:99"));
        CHECK(p.match("eth.src[0:3] == 66:77:88"));
        CHECK(p.match("eth.src[-1] == bb"));
        CHECK(p.match("ip.src[3] == 01"));
    }
    SECTION("strings, bytes, protocols: contains, matches, slices") {
        CHECK(p.match("tcp.payload contains \"lo wi\""));
        CHECK(p.match("tcp.payload contains 68:65:6c"));
        CHECK(p.match("tcp.payload == \"hello wirelab\""));
        CHECK(p.match("tcp.payload[0:5] == \"hello\""));
        CHECK(p.match("tcp.payload[-3:] == \"lab\""));
        CHECK(p.match("tcp.payload[1-2] == \"el\""));
        CHECK(p.match("tcp.payload[:1] == 'h'"));
        CHECK_FALSE(p.match("tcp.payload[10:5] == \"lab\""));  // past the end: no value
        CHECK(p.match("tcp contains \"wirelab\""));  // a protocol holds its payload
        CHECK(p.match("ip contains \"wirelab\""));
        CHECK(p.match("frame contains \"hello\""));
        CHECK_FALSE(p.match("eth.src contains \"hello\""));
        CHECK(p.match("frame matches \"HELLO\\\\s+wire\""));  // caseless by default, as Wireshark
        CHECK(p.match("frame matches \"(?i)hello\""));
        CHECK_FALSE(p.match("frame matches \"(?-i)HELLO\""));
        CHECK(p.match("tcp.payload ~ r\"^hel+o\\s\""));
        CHECK_FALSE(p.match("tcp.payload matches \"^wire\""));
        // tcp.flags.str is text the decoder made ("·······AP···"), read from the text arena.
        CHECK(p.match("tcp.flags.str contains \"AP\""));
        CHECK(p.match("tcp.flags.str matches \"^\\\\W+AP\\\\W+$\""));
        CHECK(p.match("frame.protocols contains \"tcp\""));
    }
    SECTION("sets, fields on both sides, layers, functions") {
        CHECK(p.match("tcp.port in {80, 1000..2000}"));
        CHECK(p.match("tcp.dstport in {5000}"));
        CHECK_FALSE(p.match("tcp.port in {80, 443}"));
        CHECK(p.match("tcp.port not in {80, 443}"));
        CHECK(p.match("all tcp.port in {1234, 5000}"));
        CHECK(p.match("ip.src in {10.0.0.0/24}"));
        CHECK(p.match("tcp.srcport < tcp.dstport"));
        CHECK(p.match("ip.src != ip.dst"));
        CHECK_FALSE(p.match("ip.src == ip.dst"));
        CHECK(p.match("ip.src#1 == 10.0.0.1"));
        CHECK_FALSE(p.match("ip.src#2"));
        CHECK(p.match("len(tcp.payload) == 13"));
        CHECK(p.match("count(ip.addr) == 2"));
        CHECK(p.match("count(tcp.port) == 2"));
        CHECK_FALSE(p.match("count(udp.port) == 0"));  // as tshark: count() of nothing has no value
        CHECK(p.match("tcp.port == 'P' or tcp.srcport == 1234"));
    }
    SECTION("times") {
        CHECK(p.match("frame.time_relative == 0"));
        CHECK(p.match("frame.time_relative < 0.5"));
        CHECK(p.match("frame.time_epoch < 1"));
        CHECK(p.match("frame.time_epoch < \"1970-01-02\""));
    }
}

TEST_CASE("filter: the empty filter matches everything", "[filter]") {
    Packet p(kTcpPacket);
    Filter none;
    CHECK(none.empty());
    CHECK(none.match(p.tree, p.frame));
    FilterError err;
    auto blank = Filter::compile("   ", p.decoder.registry(), err);
    REQUIRE(blank);
    CHECK(blank->empty());
    CHECK(blank->match(p.tree, p.frame));
    auto f = Filter::compile("ip.src == 10.0.0.1 and tcp", p.decoder.registry(), err);
    REQUIRE(f);
    CHECK_FALSE(f->empty());
    CHECK(f->text() == "ip.src == 10.0.0.1 and tcp");
    CHECK(f->fields().size() == 2);
    Filter copy = *f;  // copies share the compiled program
    CHECK(copy.match(p.tree, p.frame));
}

TEST_CASE("filter: every prefix of a filter compiles or names a column inside it", "[filter][syntax]") {
    Packet p(kTcpPacket);
    const char* filters[] = {
        "tcp.port in {80, 1000..2000} and not (udp || arp) or eth.src[0:3] == 66:77:88",
        "http.host matches r\"^www\\.\" && len(http.host) > 3 || count(ip.addr) != 2",
        "ip.src#1 == 10.0.0.0/8 and tcp.flags & 0x12 == 0x12 and frame contains \"a\\x41\\101\"",
        "all tcp.port !== 'P' or ipv6.addr == fe80::1/64 or tcp.payload[-3:] ~ \"(?-i)lab\"",
    };
    for (const char* full : filters) {
        std::string text = full;
        for (std::size_t n = 0; n <= text.size(); ++n) {
            std::string prefix = text.substr(0, n);
            FilterError err;
            auto f = Filter::compile(prefix, p.decoder.registry(), err);
            INFO("'" << prefix << "' -> " << err.str());
            if (f) {
                f->match(p.tree, p.frame);
            } else {
                CHECK(err.column >= 1);
                CHECK(err.column <= prefix.size() + 1);
                CHECK_FALSE(err.message.empty());
            }
        }
        FilterError err;
        CHECK(Filter::compile(text, p.decoder.registry(), err));
    }
}

TEST_CASE("filter: long chains are fine, deep nesting is refused", "[filter][syntax]") {
    Packet p(kTcpPacket);
    std::string chain = "udp";
    for (int i = 0; i < 20000; ++i) chain += " or udp";
    chain += " or tcp";
    CHECK(p.match(chain));  // and/or chains are one node each: no recursion per term

    std::string deep(300, '(');
    deep += "tcp";
    deep += std::string(300, ')');
    FilterError err = compile_error(deep);
    CHECK(err.message.find("nests deeper than") != std::string::npos);
    CHECK(err.column == 201);
    err = compile_error(std::string(300, '!') + "tcp");
    CHECK(err.message.find("nests deeper than") != std::string::npos);
    std::string nested_ok = std::string(100, '(') + "tcp" + std::string(100, ')');
    CHECK(p.match(nested_ok));
}

TEST_CASE("filter: values a decoder stored as text, and a long string to search", "[filter]") {
    Decoder d;
    const auto& reg = d.registry();
    Tree tree;
    Frame frame;  // no bytes: every value below lives in the tree's text arena
    std::string body(1 << 20, 'x');
    body += "needle";
    tree.add_text(*reg.field("http.host"), wirelab::Tvb{}, 0, 0, body);
    tree.add_text(*reg.field("ip.src"), wirelab::Tvb{}, 0, 0, "10.1.2.3");
    tree.add_text(*reg.field("eth.src"), wirelab::Tvb{}, 0, 0, "00:11:22:33:44:55");
    auto match = [&](const char* text) {
        FilterError err;
        auto f = Filter::compile(text, reg, err);
        INFO(text << ": " << err.str());
        REQUIRE(f);
        return f->match(tree, frame);
    };
    CHECK(match("ip.src == 10.1.2.0/24"));
    CHECK(match("eth.src == 00:11:22:33:44:55"));
    CHECK(match("http.host contains \"needle\""));
    CHECK(match("len(http.host) == 1048582"));
    // A megabyte searched by a regular expression: linear, and no deep recursion.
    CHECK(match("http.host matches \"x+needle$\""));
    CHECK(match("http.host matches \"NEEDLE\""));
    CHECK_FALSE(match("http.host matches \"^needle\""));
}

TEST_CASE("filter selects the frames tshark selects on real captures", "[filter][tshark]") {
    if (run_all({"tshark -v 2>/dev/null"})[0].find("TShark") == std::string::npos) {
        WARN("tshark is not installed: the comparison with tshark is skipped");
        return;
    }
    const std::string dir = WIRELAB_SHARED_CAPTURES;
    struct Case {
        const char* file;
        const char* filter;
    };
    const Case cases[] = {
        // Mixed LAN traffic: mDNS, STP, ARP, IPv6, DNS, HTTP (136 packets).
        {"http/mixed_lan_wikipedia.pcap", "tcp.port == 80"},
        {"http/mixed_lan_wikipedia.pcap", "tcp.port != 1"},
        {"http/mixed_lan_wikipedia.pcap", "tcp.port ~= 80"},
        {"http/mixed_lan_wikipedia.pcap", "ip.addr == 141.142.0.0/16"},
        {"http/mixed_lan_wikipedia.pcap", "ip.addr != 141.142.220.118"},
        {"http/mixed_lan_wikipedia.pcap", "not arp"},
        {"http/mixed_lan_wikipedia.pcap", "tcp.flags.syn == 1 and tcp.flags.ack == 0"},
        {"http/mixed_lan_wikipedia.pcap", "http.request.method == \"GET\""},
        {"http/mixed_lan_wikipedia.pcap", "udp.port == 53 or tcp.port == 53"},
        {"http/mixed_lan_wikipedia.pcap", "ipv6.addr == fe80::/10"},
        {"http/mixed_lan_wikipedia.pcap", "eth.dst == ff:ff:ff:ff:ff:ff"},
        {"http/mixed_lan_wikipedia.pcap", "eth.src == 00:13:7f:be:8c:ff and eth.dst[0:3] != 01-00-5e"},
        {"http/mixed_lan_wikipedia.pcap", "tcp.stream == 1"},
        {"http/mixed_lan_wikipedia.pcap", "tcp.stream in {0, 2..3}"},
        {"http/mixed_lan_wikipedia.pcap", "http.host matches \"^(upload|bits)\\\\.\""},
        {"http/mixed_lan_wikipedia.pcap", "http.host matches \"WIKIMEDIA\""},
        {"http/mixed_lan_wikipedia.pcap", "frame contains \"wiki\""},
        {"http/mixed_lan_wikipedia.pcap", "frame.len > 1000 or frame.len <= 60"},
        {"http/mixed_lan_wikipedia.pcap", "ip.ttl in {1..10, 255}"},
        {"http/mixed_lan_wikipedia.pcap", "tcp.flags & 0x12 == 0x12"},
        {"http/mixed_lan_wikipedia.pcap", "!(udp or tcp)"},
        {"http/mixed_lan_wikipedia.pcap", "count(ip.addr) == 2 and ip.proto == UDP"},
        {"http/mixed_lan_wikipedia.pcap", "tcp.srcport > tcp.dstport"},
        {"http/mixed_lan_wikipedia.pcap", "frame.time_relative < 1.5 or frame.time_delta > 0.5"},
        {"http/mixed_lan_wikipedia.pcap", "tcp.port not in {80} or tcp contains \"Host:\""},
        // HTTP over TCP with a reassembled response.
        {"http/http_get_google.pcapng", "http contains \"text/html\" or http.response.code == 200"},
        {"http/http_get_google.pcapng", "tcp contains \"google\""},
        // WebSocket.
        {"websocket/ws_ping_pong_text_close.pcap", "websocket.payload.text contains \"Zeek\""},
        {"websocket/ws_ping_pong_text_close.pcap", "websocket.opcode in {9, 10} or http.upgrade == \"websocket\""},
        // Loopback captures on other link types, a handshake, DNS, traceroute.
        {"link/sll2_http_loopback.pcap", "ip.addr == 127.0.0.0/8 and tcp.dstport == 8000"},
        {"tcp/tcp_handshake.pcapng", "tcp.options.mss_val == 1460"},
        {"udp_dns_dhcp/dns_udp_query_response.pcap", "udp.port == 53"},
        {"arp_icmp/icmp_traceroute.pcapng", "ip.ttl < 5 and ip.proto == 1"},
    };
    std::vector<std::string> commands;
    for (const Case& c : cases) commands.push_back(tshark_command(dir + "/" + c.file, c.filter));
    std::vector<std::string> tshark = run_all(commands);
    for (std::size_t i = 0; i < std::size(cases); ++i) {
        const Case& c = cases[i];
        INFO(c.file << "  -Y '" << c.filter << "'");
        auto theirs = frame_numbers(tshark[i]);
        CHECK_FALSE(theirs.empty());  // every filter here selects something, so a failed run shows
        CHECK(wirelab_frames(dir + "/" + c.file, c.filter) == theirs);
    }
}
