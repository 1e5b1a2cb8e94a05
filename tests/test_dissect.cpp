// Dissector unit tests: annotated packets decoded field by field, malformed values named,
// and a sweep over every truncation length that must end in "truncated", never in a crash.
#include <catch2/catch.hpp>

#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "decoded.hpp"
#include "wirelab/decoder.hpp"
#include "wirelab/format.hpp"

namespace {

using wirelab::Address;
using wirelab::Bytes;
using wirelab::Decoder;
using wirelab::Frame;
using wirelab::PacketInfo;
using wirelab::Tree;
using wirelab::Tvb;

using testing_support::Decoded;
using testing_support::decode;

// A TCP SYN from 10.0.0.1:51000 to 10.0.0.2:80 with MSS, SACK permitted, timestamps, NOP,
// window scale: the handshake's first segment.
const std::vector<std::uint8_t> kTcpSyn = {
    // Ethernet II
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55,  // eth.dst
    0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,  // eth.src
    0x08, 0x00,                          // eth.type = IPv4
    // IPv4
    0x45,                    // version 4, IHL 5 (20 bytes)
    0x00,                    // DSCP 0, ECN 0
    0x00, 0x3c,              // total length 60
    0x1c, 0x46,              // identification
    0x40, 0x00,              // flags DF, fragment offset 0
    0x40,                    // TTL 64
    0x06,                    // protocol TCP
    0x0a, 0x74,              // header checksum (correct for this header)
    0x0a, 0x00, 0x00, 0x01,  // source 10.0.0.1
    0x0a, 0x00, 0x00, 0x02,  // destination 10.0.0.2
    // TCP
    0xc7, 0x38,              // source port 51000
    0x00, 0x50,              // destination port 80
    0x12, 0x34, 0x56, 0x78,  // sequence number
    0x00, 0x00, 0x00, 0x00,  // acknowledgment number
    0xa0, 0x02,              // data offset 10 (40 bytes), flags SYN
    0xfa, 0xf0,              // window 64240
    0x00, 0x00,              // checksum (not verified)
    0x00, 0x00,              // urgent pointer
    0x02, 0x04, 0x05, 0xb4,  // MSS 1460
    0x04, 0x02,              // SACK permitted
    0x08, 0x0a, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,  // timestamps 1, 0
    0x01,                    // NOP
    0x03, 0x03, 0x07,        // window scale 7
};

// A UDP datagram 127.0.0.1:5000 -> 127.0.0.1:6000 carrying "hi".
const std::vector<std::uint8_t> kUdp = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00,  // zero-MAC loopback Ethernet
    0x45, 0x00, 0x00, 0x1e, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x7c, 0xcc,
    0x7f, 0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x01,
    0x13, 0x88,  // source port 5000
    0x17, 0x70,  // destination port 6000
    0x00, 0x0a,  // length 10
    0x00, 0x00,  // checksum none
    'h', 'i',
};

}  // namespace

TEST_CASE("TCP SYN decodes field by field", "[core][tcp][ip][eth]") {
    Decoder d;
    Decoded p;
    decode(d, p, kTcpSyn);
    p.check_bounds();
    CHECK(p.field(d, "eth.dst") == "00:11:22:33:44:55");
    CHECK(p.field(d, "eth.src") == "66:77:88:99:aa:bb");
    CHECK(p.field(d, "eth.type") == "0x0800");
    CHECK(p.field(d, "ip.version") == "4");
    CHECK(p.field(d, "ip.hdr_len") == "20");
    CHECK(p.field(d, "ip.len") == "60");
    CHECK(p.field(d, "ip.id") == "0x1c46");
    CHECK(p.field(d, "ip.flags") == "0x02");
    CHECK(p.field(d, "ip.flags.df") == "1");
    CHECK(p.field(d, "ip.flags.mf") == "0");
    CHECK(p.field(d, "ip.ttl") == "64");
    CHECK(p.field(d, "ip.proto") == "6");
    CHECK(p.field(d, "ip.checksum") == "0x0a74");
    CHECK(p.field(d, "ip.checksum.status") == "1");
    CHECK(p.field(d, "ip.src") == "10.0.0.1");
    CHECK(p.field(d, "ip.dst") == "10.0.0.2");
    CHECK(p.field(d, "ip.addr") == "10.0.0.1,10.0.0.2");
    CHECK(p.field(d, "tcp.srcport") == "51000");
    CHECK(p.field(d, "tcp.dstport") == "80");
    CHECK(p.field(d, "tcp.stream") == "0");
    CHECK(p.field(d, "tcp.seq") == "0");
    CHECK(p.field(d, "tcp.seq_raw") == "305419896");
    CHECK(p.field(d, "tcp.hdr_len") == "40");
    CHECK(p.field(d, "tcp.flags") == "0x0002");
    CHECK(p.field(d, "tcp.flags.syn") == "1");
    CHECK(p.field(d, "tcp.flags.ack") == "0");
    CHECK(p.field(d, "tcp.window_size_value") == "64240");
    CHECK(p.field(d, "tcp.len") == "0");
    CHECK(p.field(d, "tcp.options.mss_val") == "1460");
    CHECK(p.field(d, "tcp.options.wscale.shift") == "7");
    CHECK(p.field(d, "tcp.options.timestamp.tsval") == "1");
    CHECK(p.pinfo.protocol == "TCP");
    CHECK(p.pinfo.info.find("51000 \xe2\x86\x92 80 [SYN] Seq=0 Win=64240 Len=0 MSS=1460 SACK_PERM") == 0);
}

TEST_CASE("every node of a field records its OSI and TCP/IP layer", "[core][field]") {
    Decoder d;
    Decoded p;
    decode(d, p, kTcpSyn);
    for (const auto& n : p.tree.nodes()) {
        REQUIRE(n.field->proto != nullptr);
        REQUIRE(!n.field->explain.empty());
    }
    CHECK(d.registry().field("tcp.srcport")->proto->osi == wirelab::OsiLayer::transport);
    CHECK(d.registry().field("ip.ttl")->proto->tcpip == wirelab::TcpIpLayer::internet);
    CHECK(d.registry().field("eth.src")->proto->osi == wirelab::OsiLayer::data_link);
}

TEST_CASE("PacketInfo::clear sets every member back, keeping the containers' memory", "[core][decoder]") {
    // clear() resets the members one by one. A member added to PacketInfo changes its size:
    // reset it in clear(), check it here, and update the size.
    CHECK(sizeof(PacketInfo) == 336);
    Frame frame;
    PacketInfo p;
    const std::uint8_t mac[6] = {1, 2, 3, 4, 5, 6}, ip[4] = {10, 0, 0, 1};
    p.frame = &frame;
    p.link_type = 113;
    p.rel_ns = 5;
    p.delta_ns = 6;
    p.dl_src.set(Address::Kind::ether, mac);
    p.dl_dst.set(Address::Kind::ether, mac);
    p.net_src.set(Address::Kind::ipv4, ip);
    p.net_dst.set(Address::Kind::ipv4, ip);
    p.src_port = 1;
    p.dst_port = 2;
    p.protocol = "TCP";
    p.info.assign(200, 'x');
    p.in_error_packet = p.fragmented = true;
    p.carrier = PacketInfo::Carrier::websocket_text;
    p.carrier_uri = "/socket.io/";
    p.ip_depth = 2;
    p.ttl = 64;
    for (int i = 0; i < 20; ++i) p.protocols.push("tcp");
    p.deferred.write = [](std::string&, const PacketInfo::DeferredInfo&) {};
    for (auto& v : p.deferred.v) v = 7;
    p.deferred.tvb = Tvb(Bytes(mac, 6));
    p.deferred.suffix = " [TCP Retransmission]";
    const std::size_t info_capacity = p.info.capacity();

    p.clear();
    const PacketInfo fresh;
    CHECK(p.frame == nullptr);
    CHECK(p.link_type == 0);
    CHECK(p.rel_ns == 0);
    CHECK(p.delta_ns == 0);
    CHECK(p.dl_src == fresh.dl_src);
    CHECK(p.dl_dst == fresh.dl_dst);
    CHECK(p.net_src == fresh.net_src);
    CHECK(p.net_dst == fresh.net_dst);
    CHECK(p.src_port == 0);
    CHECK(p.dst_port == 0);
    CHECK(p.protocol.empty());
    CHECK(p.info.empty());
    CHECK(p.info.capacity() == info_capacity);
    CHECK_FALSE(p.in_error_packet);
    CHECK_FALSE(p.fragmented);
    CHECK(p.carrier == PacketInfo::Carrier::none);
    CHECK(p.carrier_uri.empty());
    CHECK(p.ip_depth == 0);
    CHECK(p.ttl == 0);
    CHECK(p.protocols.empty());
    CHECK(p.deferred.write == nullptr);
    for (auto v : p.deferred.v) CHECK(v == 0);
    CHECK(p.deferred.tvb.empty());
    CHECK(p.deferred.suffix.empty());
}

TEST_CASE("a bad IPv4 checksum is detected", "[core][ip]") {
    Decoder d;
    Decoded p;
    auto bytes = kTcpSyn;
    bytes[24] ^= 0xff;  // damage the header checksum
    decode(d, p, bytes);
    CHECK(p.field(d, "ip.checksum.status") == "0");
    CHECK(p.field(d, "ip.checksum_calculated") == "0x0a74");
    CHECK(p.has_text("Bad IPv4 header checksum"));
}

TEST_CASE("UDP on a zero-MAC loopback frame", "[core][udp]") {
    Decoder d;
    Decoded p;
    decode(d, p, kUdp);
    CHECK(p.field(d, "eth.src") == "00:00:00:00:00:00");
    CHECK(p.field(d, "udp.srcport") == "5000");
    CHECK(p.field(d, "udp.dstport") == "6000");
    CHECK(p.field(d, "udp.length") == "10");
    CHECK(p.field(d, "udp.payload") == "6869");
    CHECK(p.pinfo.protocol == "UDP");
}

TEST_CASE("an undersized UDP length is named malformed and the next packet decodes", "[core][udp][malformed]") {
    Decoder d;
    Decoded p;
    auto bytes = kUdp;
    bytes[39] = 4;  // UDP length 4 < 8
    decode(d, p, bytes);
    CHECK(p.has_text("[Malformed: undersized-udplength]"));
    Decoded q;
    decode(d, q, kUdp, wirelab::kLinkEthernet, 2);
    CHECK(q.field(d, "udp.length") == "10");
    CHECK_FALSE(q.has_text("Malformed"));
}

TEST_CASE("relative sequence numbers and stream index follow the connection", "[core][tcp]") {
    Decoder d;
    Decoded syn, synack, second;
    decode(d, syn, kTcpSyn, wirelab::kLinkEthernet, 1);
    // The SYN-ACK: swap addresses and ports, seq 0x01000000, ack = ISN + 1.
    auto b = kTcpSyn;
    std::swap_ranges(b.begin() + 26, b.begin() + 30, b.begin() + 30);
    std::swap_ranges(b.begin() + 34, b.begin() + 36, b.begin() + 36);
    b[38] = 0x01, b[39] = 0, b[40] = 0, b[41] = 0;
    b[42] = 0x12, b[43] = 0x34, b[44] = 0x56, b[45] = 0x79;
    b[47] = 0x12;  // SYN + ACK
    decode(d, synack, b, wirelab::kLinkEthernet, 2);
    CHECK(synack.field(d, "tcp.stream") == "0");
    CHECK(synack.field(d, "tcp.seq") == "0");
    CHECK(synack.field(d, "tcp.ack") == "1");
    // A SYN from another port is a second stream.
    auto c = kTcpSyn;
    c[35] = 0x39;
    decode(d, second, c, wirelab::kLinkEthernet, 3);
    CHECK(second.field(d, "tcp.stream") == "1");
}

TEST_CASE("every truncation of the sample packets ends truncated, never out of bounds", "[core][truncation]") {
    for (const auto* sample : {&kTcpSyn, &kUdp}) {
        for (std::size_t len = 0; len < sample->size(); ++len) {
            Decoder d;
            Decoded p;
            std::vector<std::uint8_t> cut(sample->begin(), sample->begin() + static_cast<std::ptrdiff_t>(len));
            decode(d, p, cut, wirelab::kLinkEthernet, 1, static_cast<std::uint32_t>(sample->size()));
            INFO("length " << len);
            p.check_bounds();
            if (len < 14 || len < sample->size()) CHECK(p.has_text("Truncated"));
        }
    }
}

TEST_CASE("an unsupported link type is named and its bytes still listed", "[core][link]") {
    Decoder d;
    Decoded p;
    decode(d, p, {1, 2, 3, 4}, 160);
    CHECK(p.has_text("USER13 (160) is not supported"));
    CHECK(p.field(d, "data.data") == "01020304");
}

TEST_CASE("UTC times print as gmtime and strftime print them", "[core][format]") {
    std::vector<std::int64_t> samples = {0, 1, 999'999'999, 86'399'999'999'999, 951'782'400'000'000'000,
                                         1'795'999'721'997'391'230, 4'102'444'800'000'000'000, -1'000'000'000,
                                         -86'400'000'000'001};
    for (std::int64_t s = -400; s < 400; ++s) samples.push_back(s * 970'032'110'000'000 + s);  // 11 days apart, over 24 years
    for (std::int64_t ns : samples) {
        std::string mine;
        wirelab::append_utc(mine, ns);
        std::int64_t secs = ns / 1'000'000'000, frac = ns % 1'000'000'000;
        if (frac < 0) {
            frac += 1'000'000'000;
            --secs;
        }
        std::time_t t = static_cast<std::time_t>(secs);
        std::tm tm{};
        gmtime_r(&t, &tm);
        char buf[64];
        std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
        char fr[16];
        std::snprintf(fr, sizeof fr, ".%09lld UTC", static_cast<long long>(frac));
        INFO(ns);
        CHECK(mine == std::string(buf) + fr);
    }
}
