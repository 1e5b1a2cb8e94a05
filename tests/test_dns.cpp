// DNS dissector tests: one annotated response per record type decoded field by field, name
// compression gone wrong (loops, pointers past the end) named malformed, mDNS and LLMNR, a
// query matched to its response, DNS over TCP split across two segments, and sweeps over every
// truncation of a sample message that must stay in bounds.
#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "packet_builder.hpp"
#include "decoded.hpp"
#include "wirelab/decoder.hpp"
#include "wirelab/format.hpp"

namespace {

using Bytes = std::vector<std::uint8_t>;

using testing_support::Decoded;

// DNS frames are Ethernet; what varies here is the frame number, length and time.
void decode_dns(wirelab::Decoder& d, Decoded& out, Bytes bytes, std::uint64_t number = 1, std::uint32_t wire_len = 0,
            std::int64_t ts_ns = 0) {
    testing_support::decode(d, out, std::move(bytes), wirelab::kLinkEthernet, number, wire_len, ts_ns);
}

// Ethernet, IPv4 10.0.0.1 -> 10.0.0.2 (or back), UDP around a DNS message; correct IPv4 checksum.
Bytes udp_frame(const Bytes& dns, std::uint16_t sport = 40000, std::uint16_t dport = 53, bool reverse = false) {
    Bytes f = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00};
    std::size_t udp_len = 8 + dns.size(), total = 20 + udp_len;
    std::uint8_t src = reverse ? 2 : 1, dst = reverse ? 1 : 2;
    Bytes ip = {0x45, 0, std::uint8_t(total >> 8), std::uint8_t(total), 0, 1, 0, 0, 64, 17, 0, 0,
                10, 0, 0, src, 10, 0, 0, dst};
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i < 20; i += 2) sum += std::uint32_t(ip[i] << 8 | ip[i + 1]);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    ip[10] = std::uint8_t(~sum >> 8);
    ip[11] = std::uint8_t(~sum);
    f.insert(f.end(), ip.begin(), ip.end());
    Bytes udp = {std::uint8_t(sport >> 8), std::uint8_t(sport), std::uint8_t(dport >> 8), std::uint8_t(dport),
                 std::uint8_t(udp_len >> 8), std::uint8_t(udp_len), 0, 0};
    f.insert(f.end(), udp.begin(), udp.end());
    f.insert(f.end(), dns.begin(), dns.end());
    return f;
}

Bytes operator+(Bytes a, const Bytes& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

// A response header and the question "example.com, type `qtype`, class IN" (12 + 17 bytes).
Bytes response_to(std::uint8_t qtype, std::uint8_t answers = 1) {
    return {
        0x12, 0x34,              // dns.id
        0x81, 0x80,              // flags: response, standard query, RD, RA, no error
        0x00, 0x01,              // 1 question
        0x00, answers,           // answer RRs
        0x00, 0x00,              // authority RRs
        0x00, 0x00,              // additional RRs
        // question, at offset 12 (compressed names below point here with c0 0c)
        7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
        0x00, qtype,             // type
        0x00, 0x01,              // class IN
    };
}

// The answer records; each starts with the owner name as a pointer to the question's name.
const Bytes kA = {
    0xc0, 0x0c,              // name: pointer to offset 12, example.com
    0x00, 0x01,              // type A
    0x00, 0x01,              // class IN
    0x00, 0x00, 0x0e, 0x10,  // TTL 3600
    0x00, 0x04,              // RDLENGTH 4
    93, 184, 216, 34,        // address
};
const Bytes kAaaa = {
    0xc0, 0x0c, 0x00, 0x1c, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10,  // example.com AAAA IN 3600
    0x00, 0x10,                                                  // RDLENGTH 16
    0x26, 0x06, 0x28, 0x00, 0x02, 0x20, 0x00, 0x01,              // 2606:2800:220:1:
    0x02, 0x48, 0x18, 0x93, 0x25, 0xc8, 0x19, 0x46,              // 248:1893:25c8:1946
};
const Bytes kCname = {
    0xc0, 0x0c, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c,  // example.com CNAME IN 300
    0x00, 0x06,                                                  // RDLENGTH 6
    3, 'w', 'w', 'w', 0xc0, 0x0c,                                // www + pointer: www.example.com
};
const Bytes kMx = {
    0xc0, 0x0c, 0x00, 0x0f, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c,  // example.com MX IN 300
    0x00, 0x09,                                                  // RDLENGTH 9
    0x00, 0x0a,                                                  // preference 10
    4, 'm', 'a', 'i', 'l', 0xc0, 0x0c,                           // mail.example.com
};
const Bytes kTxt = {
    0xc0, 0x0c, 0x00, 0x10, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c,  // example.com TXT IN 300
    0x00, 0x12,                                                  // RDLENGTH 18: two strings
    11, 'v', '=', 's', 'p', 'f', '1', ' ', '-', 'a', 'l', 'l',   // "v=spf1 -all"
    5, 'h', 'e', 'l', 'l', 'o',                                  // "hello"
};
const Bytes kNs = {
    0xc0, 0x0c, 0x00, 0x02, 0x00, 0x01, 0x00, 0x01, 0x51, 0x80,  // example.com NS IN 86400
    0x00, 0x06,                                                  // RDLENGTH 6
    3, 'n', 's', '1', 0xc0, 0x0c,                                // ns1.example.com
};
const Bytes kPtr = {
    0xc0, 0x0c, 0x00, 0x0c, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c,  // example.com PTR IN 300
    0x00, 0x07,                                                  // RDLENGTH 7
    4, 'h', 'o', 's', 't', 0xc0, 0x0c,                           // host.example.com
};
const Bytes kSoa = {
    0xc0, 0x0c, 0x00, 0x06, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10,  // example.com SOA IN 3600
    0x00, 0x25,                                                  // RDLENGTH 37
    3, 'n', 's', '1', 0xc0, 0x0c,                                // MNAME ns1.example.com
    10, 'h', 'o', 's', 't', 'm', 'a', 's', 't', 'e', 'r', 0xc0, 0x0c,  // RNAME hostmaster.example.com
    0x78, 0xa3, 0xf1, 0x75,                                      // serial 2024010101 (YYYYMMDDnn)
    0x00, 0x00, 0x1c, 0x20,                                      // refresh 7200
    0x00, 0x00, 0x0e, 0x10,                                      // retry 3600
    0x00, 0x12, 0x75, 0x00,                                      // expire 1209600
    0x00, 0x00, 0x0e, 0x10,                                      // minimum 3600
};

// A query with an EDNS OPT record in the additional section (RFC 6891 section 6.1.2).
const Bytes kQueryWithOpt = {
    0xab, 0xcd, 0x01, 0x20,  // id; flags: query, RD, AD
    0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,  // 1 question, 1 additional
    7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0x00, 0x01, 0x00, 0x01,  // example.com A IN
    0x00,                    // name: the root
    0x00, 0x29,              // type OPT
    0x04, 0xd0,              // UDP payload size 1232 (in the class field)
    0x00,                    // extended RCODE
    0x00,                    // EDNS version 0
    0x80, 0x00,              // flags: DO
    0x00, 0x0c,              // RDLENGTH 12
    0x00, 0x0a,              // option COOKIE
    0x00, 0x08,              // option length 8: a client cookie, no server cookie yet
    0x42, 0xf5, 0xd0, 0x09, 0x96, 0xf9, 0x0b, 0x13,
};

// The DNS message of malformed/bad_dns_compression_loop.pcap: its question's name is a pointer
// to itself (offset 12).
const Bytes kLoop = {
    0xed, 0x69, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xc0, 0x0c,              // name: pointer to offset 12, where this pointer is
    0xc0, 0x07,              // read as the type
    0xc0, 0x10, 0xc0, 0x17, 0xc0, 0x20, 0xc0, 0x27, 0xc0, 0x30, 0xc0, 0xff, 0xcf, 0x00, 0x00, 0x00, 0x01, 0x00,
    0x01,
};

}  // namespace

TEST_CASE("DNS A response decodes field by field", "[core][dns]") {
    wirelab::Decoder d;
    Decoded p;
    decode_dns(d, p, udp_frame(response_to(1) + kA, 53, 40000, true));
    p.check_bounds();
    CHECK(p.pinfo.protocol == "DNS");
    CHECK(p.pinfo.info == "Standard query response 0x1234 A example.com A 93.184.216.34");
    CHECK(p.field(d, "dns.id") == "0x1234");
    CHECK(p.field(d, "dns.flags") == "0x8180");
    CHECK(p.field(d, "dns.flags.response") == "1");
    CHECK(p.field(d, "dns.flags.opcode") == "0");
    CHECK(p.field(d, "dns.flags.authoritative") == "0");
    CHECK(p.field(d, "dns.flags.truncated") == "0");
    CHECK(p.field(d, "dns.flags.recdesired") == "1");
    CHECK(p.field(d, "dns.flags.recavail") == "1");
    CHECK(p.field(d, "dns.flags.z") == "0");
    CHECK(p.field(d, "dns.flags.rcode") == "0");
    CHECK(p.field(d, "dns.count.queries") == "1");
    CHECK(p.field(d, "dns.count.answers") == "1");
    CHECK(p.field(d, "dns.count.auth_rr") == "0");
    CHECK(p.field(d, "dns.count.add_rr") == "0");
    CHECK(p.field(d, "dns.qry.name") == "example.com");
    CHECK(p.field(d, "dns.qry.name.len") == "11");
    CHECK(p.field(d, "dns.count.labels") == "2");
    CHECK(p.field(d, "dns.qry.type") == "1");
    CHECK(p.field(d, "dns.qry.class") == "0x0001");
    CHECK(p.field(d, "dns.resp.name") == "example.com");
    CHECK(p.field(d, "dns.resp.type") == "1");
    CHECK(p.field(d, "dns.resp.class") == "0x0001");
    CHECK(p.field(d, "dns.resp.ttl") == "3600");
    CHECK(p.field(d, "dns.resp.len") == "4");
    CHECK(p.field(d, "dns.a") == "93.184.216.34");
    // No query was seen: tshark calls the response unsolicited.
    CHECK(p.field(d, "dns.unsolicited") == "1");
    for (const auto& n : p.tree.nodes()) {
        if (n.field->proto->abbrev != "dns") continue;
        CHECK(n.field->proto->osi == wirelab::OsiLayer::application);
        CHECK(n.field->proto->tcpip == wirelab::TcpIpLayer::application);
        CHECK_FALSE(n.field->explain.empty());
    }
}

TEST_CASE("DNS AAAA, CNAME, MX, TXT, NS, PTR and SOA records", "[core][dns]") {
    wirelab::Decoder d;
    Decoded p;
    SECTION("AAAA") {
        decode_dns(d, p, udp_frame(response_to(28) + kAaaa, 53, 40000, true));
        CHECK(p.field(d, "dns.resp.type") == "28");
        CHECK(p.field(d, "dns.resp.len") == "16");
        CHECK(p.field(d, "dns.aaaa") == "2606:2800:220:1:248:1893:25c8:1946");
        CHECK(p.pinfo.info == "Standard query response 0x1234 AAAA example.com AAAA 2606:2800:220:1:248:1893:25c8:1946");
    }
    SECTION("CNAME") {
        decode_dns(d, p, udp_frame(response_to(5) + kCname, 53, 40000, true));
        CHECK(p.field(d, "dns.cname") == "www.example.com");
        CHECK(p.field(d, "dns.resp.ttl") == "300");
        CHECK(p.pinfo.info == "Standard query response 0x1234 CNAME example.com CNAME www.example.com");
    }
    SECTION("MX") {
        decode_dns(d, p, udp_frame(response_to(15) + kMx, 53, 40000, true));
        CHECK(p.field(d, "dns.mx.preference") == "10");
        CHECK(p.field(d, "dns.mx.mail_exchange") == "mail.example.com");
        CHECK(p.pinfo.info == "Standard query response 0x1234 MX example.com MX 10 mail.example.com");
    }
    SECTION("TXT") {
        decode_dns(d, p, udp_frame(response_to(16) + kTxt, 53, 40000, true));
        CHECK(p.field(d, "dns.txt.length") == "11,5");
        CHECK(p.field(d, "dns.txt") == "v=spf1 -all,hello");
        CHECK(p.pinfo.info == "Standard query response 0x1234 TXT example.com TXT");
    }
    SECTION("NS") {
        decode_dns(d, p, udp_frame(response_to(2) + kNs, 53, 40000, true));
        CHECK(p.field(d, "dns.ns") == "ns1.example.com");
        CHECK(p.field(d, "dns.resp.ttl") == "86400");
    }
    SECTION("PTR") {
        decode_dns(d, p, udp_frame(response_to(12) + kPtr, 53, 40000, true));
        CHECK(p.field(d, "dns.ptr.domain_name") == "host.example.com");
        CHECK(p.pinfo.info == "Standard query response 0x1234 PTR example.com PTR host.example.com");
    }
    SECTION("SOA") {
        decode_dns(d, p, udp_frame(response_to(6) + kSoa, 53, 40000, true));
        CHECK(p.field(d, "dns.soa.mname") == "ns1.example.com");
        CHECK(p.field(d, "dns.soa.rname") == "hostmaster.example.com");
        CHECK(p.field(d, "dns.soa.serial_number") == "2024010101");
        CHECK(p.field(d, "dns.soa.refresh_interval") == "7200");
        CHECK(p.field(d, "dns.soa.retry_interval") == "3600");
        CHECK(p.field(d, "dns.soa.expire_limit") == "1209600");
        CHECK(p.field(d, "dns.soa.minimum_ttl") == "3600");
        CHECK(p.pinfo.info == "Standard query response 0x1234 SOA example.com SOA ns1.example.com");
    }
    p.check_bounds();
    CHECK_FALSE(p.has_text("Malformed"));
}

TEST_CASE("DNS query with an EDNS OPT record", "[core][dns]") {
    wirelab::Decoder d;
    Decoded p;
    decode_dns(d, p, udp_frame(kQueryWithOpt));
    p.check_bounds();
    CHECK(p.pinfo.info == "Standard query 0xabcd A example.com OPT");
    // A query shows no AA, RA or RCODE; the AD bit only because it is set.
    CHECK(p.field(d, "dns.flags.authoritative").empty());
    CHECK(p.field(d, "dns.flags.rcode").empty());
    CHECK(p.field(d, "dns.flags.authenticated") == "1");
    CHECK(p.field(d, "dns.resp.name") == "<Root>");
    CHECK(p.field(d, "dns.resp.type") == "41");
    CHECK(p.field(d, "dns.rr.udp_payload_size") == "1232");
    CHECK(p.field(d, "dns.resp.ext_rcode") == "0x00");
    CHECK(p.field(d, "dns.resp.edns0_version") == "0");
    CHECK(p.field(d, "dns.resp.z") == "0x8000");
    CHECK(p.field(d, "dns.resp.z.do") == "1");
    CHECK(p.field(d, "dns.resp.len") == "12");
    CHECK(p.field(d, "dns.resp.ttl").empty());  // OPT has no TTL: those bytes are EDNS fields
    CHECK(p.field(d, "dns.opt.code") == "10");
    CHECK(p.field(d, "dns.opt.len") == "8");
    CHECK(p.field(d, "dns.opt.cookie.client") == "42f5d00996f90b13");
    CHECK(p.field(d, "dns.opt.cookie.server") == "<MISSING>");  // empty, as tshark prints it
}

TEST_CASE("a DNS query and its response are matched", "[core][dns]") {
    wirelab::Decoder d;
    Bytes query = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                   7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0x00, 0x01, 0x00, 0x01};
    Decoded q, r;
    decode_dns(d, q, udp_frame(query), 1, 0, 1'000'000'000);
    CHECK(q.pinfo.info == "Standard query 0x1234 A example.com");
    CHECK(q.field(d, "dns.response_in").empty());  // one pass, like tshark: the answer is not seen yet
    decode_dns(d, r, udp_frame(response_to(1) + kA, 53, 40000, true), 2, 0, 1'025'000'000);
    CHECK(r.field(d, "dns.response_to") == "1");
    CHECK(r.field(d, "dns.time") == "0.025000000");
    CHECK(r.field(d, "dns.unsolicited").empty());
}

// The table of open queries grows from 1,024 slots and moves every entry each time: 5,000
// queries open at once (distinct IDs and ports), then their responses in the other order, must
// each find their own query, and a response to nothing stays unsolicited.
TEST_CASE("thousands of open DNS queries are each matched to their response", "[core][dns]") {
    wirelab::Decoder d;
    constexpr unsigned kOpen = 5000;
    auto message = [](unsigned i, bool response) {
        Bytes m = response ? response_to(1) + kA
                           : Bytes{0, 0, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                   7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0x00, 0x01, 0x00, 0x01};
        m[0] = std::uint8_t(i * 7919 >> 8);  // IDs spread over the 16 bits
        m[1] = std::uint8_t(i * 7919);
        return m;
    };
    auto port = [](unsigned i) { return std::uint16_t(20000 + i % 3000); };  // ports repeat: IDs tell them apart
    Decoded p;
    std::uint64_t number = 0;
    for (unsigned i = 0; i < kOpen; ++i)
        decode_dns(d, p, udp_frame(message(i, false), port(i), 53), ++number, 0, 1'000'000'000 + i);
    std::size_t matched = 0;
    for (unsigned k = kOpen; k-- > 0;) {
        decode_dns(d, p, udp_frame(message(k, true), 53, port(k), true), ++number, 0, 2'000'000'000);
        INFO("response to query " << k + 1);
        CHECK(p.field(d, "dns.response_to") == std::to_string(k + 1));
        matched += p.field(d, "dns.response_to") == std::to_string(k + 1);
    }
    CHECK(matched == kOpen);
    // An ID no query used, from a port that did: no partner.
    Bytes stray = message(kOpen + 1, true);
    stray[0] = 0xff;
    stray[1] = 0xfe;
    decode_dns(d, p, udp_frame(stray, 53, port(0), true), ++number, 0, 2'000'000'000);
    CHECK(p.field(d, "dns.response_to").empty());
    CHECK(p.field(d, "dns.unsolicited") == "1");
}

TEST_CASE("a DNS compression loop is named malformed and decoding goes on like tshark", "[core][dns][malformed]") {
    wirelab::Decoder d;
    Decoded p;
    decode_dns(d, p, udp_frame(kLoop));
    p.check_bounds();
    CHECK(p.has_text("[Malformed: dns-pointer-loop"));
    CHECK(p.field(d, "dns.qry.name") == "<Name contains a pointer that loops>");
    CHECK(p.field(d, "dns.qry.type") == "49159");  // the 2 bytes after the pointer
    CHECK(p.field(d, "dns.qry.class") == "0xc010");

    SECTION("two pointers pointing at each other") {
        Bytes pair = {0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                      0xc0, 0x0e,  // offset 12: pointer to 14
                      0xc0, 0x0c,  // offset 14: pointer to 12
                      0x00, 0x01, 0x00, 0x01};
        Decoded q;
        decode_dns(d, q, udp_frame(pair), 2);
        CHECK(q.has_text("[Malformed: dns-pointer-loop"));
        CHECK(q.field(d, "dns.qry.name") == "<Name contains a pointer that loops>");
    }
}

TEST_CASE("a DNS pointer past the end is named malformed and nothing past it is read", "[core][dns][malformed]") {
    wirelab::Decoder d;
    Decoded p;
    Bytes past = {0x00, 0x04, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                  0xc1, 0x00,  // pointer to offset 256: the message has 18 bytes
                  0x00, 0x01, 0x00, 0x01};
    decode_dns(d, p, udp_frame(past));
    p.check_bounds();
    CHECK(p.has_text("[Malformed: dns-pointer-past-end"));
    CHECK(p.field(d, "dns.id") == "0x0004");
    CHECK(p.field(d, "dns.qry.name").empty());
    CHECK(p.field(d, "dns.qry.type").empty());

    SECTION("a label past the end") {
        Bytes label = {0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                       0x3f, 'a', 'b', 'c'};  // a 63-byte label with 3 bytes left
        Decoded q;
        decode_dns(d, q, udp_frame(label), 2);
        q.check_bounds();
        CHECK(q.has_text("[Malformed: dns-label-past-end"));
        CHECK(q.field(d, "dns.qry.name").empty());
    }
    SECTION("a name longer than 255 bytes") {
        Bytes head = {0x00, 0x06, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
        for (int i = 0; i < 5; ++i) {  // 5 labels of 63: 320 bytes
            head.push_back(63);
            head.insert(head.end(), 63, 'a');
        }
        head.insert(head.end(), {0, 0x00, 0x01, 0x00, 0x01});
        Decoded q;
        decode_dns(d, q, udp_frame(head), 3);
        CHECK(q.has_text("[Malformed: dns-name-too-long"));
        CHECK(q.field(d, "dns.qry.name") == "<Name too long>");
        CHECK(q.field(d, "dns.qry.type") == "1");
    }
}

TEST_CASE("mDNS and LLMNR use the DNS fields under their own protocol", "[core][dns][mdns][llmnr]") {
    wirelab::Decoder d;
    Decoded m, l;
    Bytes mdns = {
        0x00, 0x00, 0x84, 0x00,  // id 0; response, authoritative
        0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,  // 1 answer
        4, 'h', 'o', 's', 't', 5, 'l', 'o', 'c', 'a', 'l', 0,
        0x00, 0x01,              // type A
        0x80, 0x01,              // class IN with the cache-flush bit (RFC 6762 section 10.2)
        0x00, 0x00, 0x00, 0x78, 0x00, 0x04, 10, 0, 0, 9,
    };
    decode_dns(d, m, udp_frame(mdns, 5353, 5353));
    CHECK(m.pinfo.protocol == "MDNS");
    CHECK(m.pinfo.protocols.str().find(":mdns") != std::string::npos);
    CHECK(m.pinfo.info == "Standard query response 0x0000 A, cache flush 10.0.0.9");
    CHECK(m.field(d, "dns.resp.class") == "0x0001");
    CHECK(m.field(d, "dns.resp.cache_flush") == "1");
    CHECK(m.field(d, "dns.a") == "10.0.0.9");

    Bytes llmnr = {0x46, 0x20, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                   3, 'p', 'c', '1', 0, 0x00, 0x01, 0x00, 0x01};
    decode_dns(d, l, udp_frame(llmnr, 50000, 5355), 2);
    CHECK(l.pinfo.protocol == "LLMNR");
    CHECK(l.field(d, "dns.flags.conflict") == "0");
    CHECK(l.field(d, "dns.flags.tentative") == "0");
    CHECK(l.field(d, "dns.flags.z").empty());  // LLMNR's flags are C, TC, T (RFC 4795 section 2.1.1)
    CHECK(l.field(d, "dns.qry.name") == "pc1");
}

TEST_CASE("DNS over TCP split across two segments is reassembled", "[core][dns][tcp]") {
    wirelab::Decoder d;
    Bytes msg = response_to(1) + kA;
    std::string stream(2, '\0');
    stream[0] = static_cast<char>(msg.size() >> 8);  // the 2-byte length prefix (RFC 1035 section 4.2.2)
    stream[1] = static_cast<char>(msg.size());
    stream.append(msg.begin(), msg.end());
    std::string first = stream.substr(0, 20), second = stream.substr(20);
    Decoded a, b;
    decode_dns(d, a, wirelab::test::tcp_frame({2, 1, 53, 40000, 5001, 1001, 0x18, first}), 1);
    CHECK(a.field(d, "dns.id").empty());
    CHECK(a.pinfo.info.find("[TCP segment of a reassembled PDU]") != std::string::npos);
    decode_dns(d, b, wirelab::test::tcp_frame({2, 1, 53, 40000, 5021, 1001, 0x18, second}), 2);
    b.check_bounds();
    CHECK(b.pinfo.protocol == "DNS");
    CHECK(b.field(d, "dns.length") == std::to_string(msg.size()));
    CHECK(b.field(d, "dns.id") == "0x1234");
    CHECK(b.field(d, "dns.qry.name") == "example.com");
    CHECK(b.field(d, "dns.a") == "93.184.216.34");
    CHECK(b.field(d, "tcp.reassembled.length") == std::to_string(stream.size()));
    CHECK(b.pinfo.info == "Standard query response 0x1234 A example.com A 93.184.216.34");
}

TEST_CASE("every truncation of a DNS message stays in bounds", "[core][dns][truncation]") {
    const Bytes samples[] = {response_to(6) + kSoa, kQueryWithOpt, response_to(16) + kTxt, kLoop};
    for (const Bytes& dns : samples) {
        bool well_formed = &dns != &samples[3];
        Bytes whole = udp_frame(dns);
        std::size_t dns_at = whole.size() - dns.size();
        // The capture's snapshot length cut the frame: the DNS layer says "truncated".
        for (std::size_t len = dns_at; len < whole.size(); ++len) {
            wirelab::Decoder d;
            Decoded p;
            decode_dns(d, p, Bytes(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(len)), 1,
                   static_cast<std::uint32_t>(whole.size()));
            INFO("captured " << len << " of " << whole.size());
            p.check_bounds();
            if (len > dns_at) CHECK(p.pinfo.protocol == "DNS");
            CHECK(p.has_text("Truncated"));
            if (well_formed) CHECK_FALSE(p.has_text("Malformed: dns-"));
        }
        // The message itself is short (the datagram ends early): "malformed", never a read past it.
        for (std::size_t len = 1; len < dns.size(); ++len) {
            wirelab::Decoder d;
            Decoded p;
            decode_dns(d, p, udp_frame(Bytes(dns.begin(), dns.begin() + static_cast<std::ptrdiff_t>(len))));
            INFO("message of " << len << " of " << dns.size() << " bytes");
            p.check_bounds();
            CHECK(p.has_text("[Malformed: dns-"));
            CHECK_FALSE(p.has_text("Truncated"));
        }
    }
}
