// Application layer: the HTTP and WebSocket codecs, TCP stream reassembly feeding them, and
// stream following, on annotated bytes and on real captures checked against tshark.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <span>
#include <string>

#include "packet_builder.hpp"
#include "wirelab/capture.hpp"
#include "wirelab/decoder.hpp"
#include "wirelab/format.hpp"
#include "wirelab/http.hpp"
#include "wirelab/taps.hpp"
#include "wirelab/websocket.hpp"

namespace {

using namespace wirelab;

// Decodes a sequence of frames with one decoder (so connection state carries over) and
// keeps, per frame, each field's values joined as tshark prints them.
struct Session {
    Decoder decoder;
    std::vector<std::map<std::string, std::string>> frames;
    std::vector<std::vector<std::string>> notes;

    void add(const std::vector<std::uint8_t>& bytes) {
        Frame f;
        f.number = frames.size() + 1;
        f.data = bytes;
        f.wire_len = static_cast<std::uint32_t>(bytes.size());
        Tree tree;
        PacketInfo pinfo;
        decoder.decode(f, kLinkEthernet, tree, pinfo, true);
        std::map<std::string, std::string> values;
        std::vector<std::string> n;
        for (const Node& node : tree.nodes()) {
            std::string v;
            append_field_value(v, tree, f, node);
            std::string& cell = values[std::string(node.field->abbrev)];
            if (!cell.empty()) cell += ',';
            cell += v;
            if (node.flags & kHasText) n.emplace_back(tree.text_of(node));
        }
        frames.push_back(std::move(values));
        notes.push_back(std::move(n));
    }
    std::string get(std::size_t frame, const std::string& field) const {
        auto& m = frames.at(frame - 1);
        auto it = m.find(field);
        return it == m.end() ? "" : it->second;
    }
    bool noted(std::size_t frame, std::string_view text) const {
        for (const auto& s : notes.at(frame - 1))
            if (s.find(text) != std::string::npos) return true;
        return false;
    }
};

std::string run(const std::string& cmd) {
    std::string out;
    std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
    REQUIRE(p);
    char buf[4096];
    std::size_t n;
    while ((n = fread(buf, 1, sizeof buf, p.get())) > 0) out.append(buf, n);
    return out;
}

std::string shared(const std::string& rel) { return std::string(WIRELAB_SHARED_CAPTURES) + "/" + rel; }

}  // namespace

TEST_CASE("HTTP request head parses into method, URI, version and headers", "[codec][http]") {
    std::string req = "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: 127.0.0.1:3000\r\n"
                      "Connection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\nextra";
    http::Message m;
    auto r = http::parse_head(req, m);
    REQUIRE(r.status == http::Status::complete);
    CHECK(m.is_request);
    CHECK(m.method == "GET");
    CHECK(m.uri == "/socket.io/?EIO=4&transport=polling");
    CHECK(m.version == "HTTP/1.1");
    CHECK(m.header("host") == "127.0.0.1:3000");
    CHECK(m.header_has_token("Connection", "upgrade"));
    CHECK(m.head_length == req.size() - 5);
    // Every prefix is incomplete, never an error.
    for (std::size_t n = 0; n < m.head_length; ++n) {
        http::Message part;
        INFO("prefix " << n);
        CHECK(http::parse_head(std::string_view(req).substr(0, n), part).status == http::Status::incomplete);
    }
}

TEST_CASE("HTTP errors name the problem and the status a server should send", "[codec][http]") {
    http::Message m;
    auto bad = http::parse_head("GET / HTTP/1.1\r\nNo colon here\r\n\r\n", m);
    CHECK(bad.status == http::Status::error);
    CHECK(bad.error.find("header line without a name") != std::string::npos);
    http::Limits small;
    small.max_head = 64;
    auto big = http::parse_head("GET / HTTP/1.1\r\nX-Long: " + std::string(100, 'a') + "\r\n\r\n", m, small);
    CHECK(big.status == http::Status::error);
    CHECK(big.http_status == 431);
    auto bad_method = http::parse_head("G(T / HTTP/1.1\r\n\r\n", m);
    CHECK(bad_method.status == http::Status::error);
    std::string err;
    std::uint64_t len = 0;
    REQUIRE(http::parse_head("HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n", m).status == http::Status::complete);
    http::body_kind(m, "GET", len, err);
    CHECK(err.find("invalid Content-Length") != std::string::npos);
}

TEST_CASE("HTTP body framing follows RFC 9112 section 6.3", "[codec][http]") {
    http::Message m;
    std::uint64_t len = 0;
    std::string err;
    REQUIRE(http::parse_head("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", m).status == http::Status::complete);
    CHECK(http::body_kind(m, "GET", len, err) == http::BodyKind::length);
    CHECK(len == 5);
    CHECK(http::body_kind(m, "HEAD", len, err) == http::BodyKind::none);
    REQUIRE(http::parse_head("HTTP/1.0 200 OK\r\n\r\n", m).status == http::Status::complete);
    CHECK(http::body_kind(m, "GET", len, err) == http::BodyKind::until_close);
    REQUIRE(http::parse_head("HTTP/1.1 204 No Content\r\n\r\n", m).status == http::Status::complete);
    CHECK(http::body_kind(m, "GET", len, err) == http::BodyKind::none);
    REQUIRE(http::parse_head("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", m).status ==
            http::Status::complete);
    CHECK(http::body_kind(m, "", len, err) == http::BodyKind::chunked);
}

TEST_CASE("chunked bodies are scanned, split anywhere, and decoded", "[codec][http]") {
    std::string body = "4\r\nWiki\r\n6;ext=1\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\nTrailer: x\r\n\r\nNEXT";
    std::size_t encoded = 0;
    std::vector<http::Chunk> chunks;
    REQUIRE(http::scan_chunked(body, encoded, &chunks).status == http::Status::complete);
    CHECK(encoded == body.size() - 4);
    std::string plain;
    http::dechunk(body, chunks, plain);
    CHECK(plain == "Wikipedia in \r\n\r\nchunks.");
    for (std::size_t n = 0; n < encoded; ++n) {
        std::size_t e = 0;
        INFO("prefix " << n);
        CHECK(http::scan_chunked(std::string_view(body).substr(0, n), e).status == http::Status::incomplete);
    }
    std::size_t e = 0;
    CHECK(http::scan_chunked("zz\r\n", e).status == http::Status::error);
    CHECK(http::scan_chunked("3\r\nabcd\r\n", e).status == http::Status::error);
}

TEST_CASE("WebSocket frames encode and parse at every length boundary", "[codec][websocket]") {
    for (std::size_t n : {0u, 1u, 125u, 126u, 127u, 128u, 65535u, 65536u, 70000u}) {
        std::vector<std::uint8_t> payload(n);
        for (std::size_t i = 0; i < n; ++i) payload[i] = static_cast<std::uint8_t>(i * 7);
        for (bool masked : {false, true}) {
            std::vector<std::uint8_t> out;
            std::array<std::uint8_t, 4> key{0x12, 0x34, 0x56, 0x78};
            ws::encode_frame(out, ws::kBinary, payload, true, masked ? std::optional(key) : std::nullopt);
            ws::FrameHeader h;
            REQUIRE(ws::parse_header(out, h) == ws::Parse::complete);
            CHECK(h.payload_length == n);
            CHECK(h.length_code == (n <= 125 ? n : n <= 65535 ? 126u : 127u));
            CHECK(h.header_length == 2u + (n > 125 ? (n > 65535 ? 8u : 2u) : 0u) + (masked ? 4u : 0u));
            CHECK(out.size() == h.header_length + n);
            std::vector<std::uint8_t> back(out.begin() + static_cast<std::ptrdiff_t>(h.header_length), out.end());
            if (masked) ws::apply_mask(back, h.mask);
            CHECK(back == payload);
            // A header cut anywhere is incomplete.
            for (std::size_t cut = 0; cut < static_cast<std::size_t>(h.header_length); ++cut)
                CHECK(ws::parse_header(std::span(out).first(cut), h) == ws::Parse::incomplete);
        }
    }
}

TEST_CASE("WebSocket handshake key, frame rules and UTF-8", "[codec][websocket]") {
    // RFC 6455 section 1.3's example.
    CHECK(ws::accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    ws::FrameHeader h;
    h.opcode = ws::kText;
    h.masked = true;
    CHECK_FALSE(ws::check_frame(h, true, false, false));
    h.masked = false;
    CHECK(ws::check_frame(h, true, false, false)->code == ws::kProtocolError);  // unmasked client frame
    h.opcode = 3;
    CHECK(ws::check_frame(h, false, false, false)->reason.find("reserved opcode") != std::string::npos);
    h.opcode = ws::kPing;
    h.payload_length = 126;
    CHECK(ws::check_frame(h, false, false, false));
    h.payload_length = 0;
    h.fin = false;
    CHECK(ws::check_frame(h, false, false, false));  // fragmented control frame
    h.fin = true;
    h.rsv2 = true;
    CHECK(ws::check_frame(h, false, false, true));
    h = {};
    h.opcode = ws::kContinuation;
    CHECK(ws::check_frame(h, false, false, false));  // nothing to continue
    const std::uint8_t close_bad[] = {0x03, 0xed};   // 1005 may not be sent
    CHECK(ws::check_close_payload(close_bad));
    const std::uint8_t close_ok[] = {0x03, 0xe8, 'b', 'y', 'e'};
    CHECK_FALSE(ws::check_close_payload(close_ok));

    auto utf8 = [](std::initializer_list<int> b) {
        std::vector<std::uint8_t> v;
        for (int x : b) v.push_back(static_cast<std::uint8_t>(x));
        return v;
    };
    CHECK(ws::valid_utf8(utf8({'h', 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80})));
    CHECK_FALSE(ws::valid_utf8(utf8({0xc0, 0xaf})));        // overlong
    CHECK_FALSE(ws::valid_utf8(utf8({0xed, 0xa0, 0x80})));  // surrogate
    CHECK_FALSE(ws::valid_utf8(utf8({0xf4, 0x90, 0x80, 0x80})));  // past U+10FFFF
    CHECK_FALSE(ws::valid_utf8(utf8({0xe2, 0x82})));        // cut short
    // Fail-fast: the validator rejects at the first impossible byte, before the message ends.
    ws::Utf8Validator v;
    CHECK(v.feed(utf8({'a', 'b'})));
    CHECK_FALSE(v.feed(utf8({0xed, 0xa0})));
}

namespace {
// UTF-8 as RFC 3629 defines it, decoded the plain way: the reference the validator's fast
// paths are checked against.
bool reference_utf8(const std::uint8_t* p, std::size_t n) {
    for (std::size_t i = 0; i < n;) {
        std::uint8_t c = p[i];
        std::uint32_t cp = 0;
        std::size_t k = 0;
        if (c < 0x80) {
            ++i;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            k = 1, cp = c & 0x1fu;
        } else if ((c & 0xf0) == 0xe0) {
            k = 2, cp = c & 0x0fu;
        } else if ((c & 0xf8) == 0xf0) {
            k = 3, cp = c & 0x07u;
        } else {
            return false;
        }
        if (n - i <= k) return false;
        for (std::size_t j = 1; j <= k; ++j) {
            if ((p[i + j] & 0xc0) != 0x80) return false;
            cp = cp << 6 | (p[i + j] & 0x3fu);
        }
        const std::uint32_t least[4] = {0, 0x80, 0x800, 0x10000};
        if (cp < least[k] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
        i += k + 1;
    }
    return true;
}
}  // namespace

TEST_CASE("the UTF-8 validator agrees with a plain decoder, whole and split", "[core][websocket]") {
    // Every sequence of one to three bytes, in ASCII context on both sides so that the
    // validator's 8-byte steps meet it at every alignment.
    std::size_t disagree = 0, checked = 0;
    std::uint8_t buf[16];
    for (std::uint32_t len = 1; len <= 3; ++len)
        for (std::uint32_t x = 0; x < (1u << (8 * len)); ++x) {
            std::size_t pad = x % 9;
            std::memset(buf, 'a', sizeof buf);
            for (std::uint32_t j = 0; j < len; ++j) buf[pad + j] = static_cast<std::uint8_t>(x >> (8 * j));
            std::size_t n = pad + len + (x % 5);
            ++checked;
            if (ws::valid_utf8({buf, n}) != reference_utf8(buf, n)) ++disagree;
        }
    CHECK(disagree == 0);
    CHECK(checked == 256 + 65536 + 16777216);
    // Four-byte sequences: every lead byte with continuation bytes at and around the limits.
    const std::uint8_t edges[] = {0x00, 0x7f, 0x80, 0x81, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc2, 0xe0,
                                  0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff};
    for (int lead = 0; lead < 256; ++lead)
        for (std::uint8_t b1 : edges)
            for (std::uint8_t b2 : edges)
                for (std::uint8_t b3 : edges) {
                    const std::uint8_t seq[] = {'x', static_cast<std::uint8_t>(lead), b1, b2, b3, 'y'};
                    if (ws::valid_utf8(seq) != reference_utf8(seq, sizeof seq)) ++disagree;
                }
    CHECK(disagree == 0);
    // The same in 64 bytes and more, which are checked 16 at a time: every sequence of up to
    // three bytes across the boundary of two blocks, every one of up to two bytes at every
    // place (across the end of the blocks too, where a character left open is checked again
    // from its lead byte), and the four-byte ones at the boundary and the end.
    std::uint8_t wide[96];
    auto wide_check = [&](const std::uint8_t* seq, std::size_t len, std::size_t at, std::size_t n) {
        std::memset(wide, 'a', sizeof wide);
        std::memcpy(wide + at, seq, len);
        ++checked;
        if (ws::valid_utf8({wide, n}) != reference_utf8(wide, n)) ++disagree;
    };
    checked = 0;
    for (std::uint32_t x = 0; x < (1u << 24); ++x) {
        const std::uint8_t seq[] = {static_cast<std::uint8_t>(x), static_cast<std::uint8_t>(x >> 8),
                                    static_cast<std::uint8_t>(x >> 16)};
        wide_check(seq, 3, 14 + x % 2, 64 + x % 3);
    }
    for (std::uint32_t x = 0; x < (1u << 16); ++x)
        for (std::size_t at = 0; at + 2 <= 80; at += 1 + x % 3) {
            const std::uint8_t seq[] = {static_cast<std::uint8_t>(x), static_cast<std::uint8_t>(x >> 8)};
            wide_check(seq, 2, at, at < 64 ? 64 + x % 16 : 80);
        }
    for (int lead = 0xc0; lead < 256; ++lead)
        for (std::uint8_t b1 : edges)
            for (std::uint8_t b2 : edges)
                for (std::uint8_t b3 : edges)
                    for (std::size_t at : {13u, 14u, 15u, 60u, 61u, 62u, 63u}) {
                        const std::uint8_t seq[] = {static_cast<std::uint8_t>(lead), b1, b2, b3};
                        wide_check(seq, 4, at, 64 + (at + b1) % 4);
                    }
    CHECK(disagree == 0);
    CHECK(checked > 16777216 + 65536 * 26);
    // Text with characters of every width, fed whole and in two parts split at every byte: the
    // same answer, and a split never loses a bad byte. It is long enough for the 16-byte blocks.
    const std::string text = "chat: caf\xc3\xa9, na\xc3\xafve \xe2\x9c\x93 \xe2\x86\x92 \xf0\x9f\x98\x80 d\xc3\xa9j\xc3\xa0 vu, "
                             "and a long ASCII run after it to reach the 8-byte steps, then "
                             "\xe2\x9c\x93 \xf0\x9f\x98\x80 \xc3\xa9\xc3\xa9\xc3\xa9 \xe2\x86\x92\xe2\x86\x92 end";
    for (int damage = -1; damage < static_cast<int>(text.size()); damage += 7) {
        std::string t = text;
        if (damage >= 0) t[static_cast<std::size_t>(damage)] = static_cast<char>(0xff - (damage % 3));
        std::span<const std::uint8_t> all(reinterpret_cast<const std::uint8_t*>(t.data()), t.size());
        const bool want = reference_utf8(all.data(), all.size());
        INFO("damage at " << damage);
        CHECK(ws::valid_utf8(all) == want);
        for (std::size_t cut = 0; cut <= all.size(); ++cut) {
            ws::Utf8Validator v;
            bool ok = v.feed(all.first(cut)) && v.feed(all.subspan(cut)) && v.complete();
            if (ok != want) ++disagree;
        }
    }
    CHECK(disagree == 0);
}

TEST_CASE("an HTTP request split over three segments decodes in the frame that completes it",
          "[core][tcp][http][reassembly]") {
    using test::TcpSeg;
    Session s;
    s.add(test::tcp_frame({1, 2, 40000, 8000, 1000, 0, 0x02, ""}));            // SYN
    s.add(test::tcp_frame({2, 1, 8000, 40000, 5000, 1001, 0x12, ""}));        // SYN, ACK
    s.add(test::tcp_frame({1, 2, 40000, 8000, 1001, 5001, 0x10, ""}));        // ACK
    s.add(test::tcp_frame({1, 2, 40000, 8000, 1001, 5001, 0x18, "GET /cha"}));
    s.add(test::tcp_frame({1, 2, 40000, 8000, 1009, 5001, 0x18, "t HTTP/1.1\r\nHost: lab\r\n"}));
    s.add(test::tcp_frame({1, 2, 40000, 8000, 1032, 5001, 0x18, "\r\n"}));
    CHECK(s.get(4, "http.request.method").empty());
    CHECK(s.get(5, "http.request.method").empty());
    CHECK(s.get(6, "http.request.method") == "GET");
    CHECK(s.get(6, "http.request.uri") == "/chat");
    CHECK(s.get(6, "http.host") == "lab");
    CHECK(s.get(6, "tcp.segment") == "4,5,6");
    CHECK(s.get(6, "tcp.reassembled.length") == "33");
    // The response, pipelined with a second response in the same segment.
    s.add(test::tcp_frame({2, 1, 8000, 40000, 5001, 1034, 0x18,
                           "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"}));
    CHECK(s.get(7, "http.response.code") == "200,404");
    CHECK(s.get(7, "http.request_in") == "6");
}

TEST_CASE("a tree that keeps no field gets every HTTP message a full tree gets, bodies counted not copied",
          "[core][tcp][http][reassembly]") {
    // Client 10.0.0.1:40010, server 10.0.0.2:8000. A HEAD response says Content-Length but
    // has no body; a response body arrives over three segments, the last one with the next
    // response; a POST body ends inside the segment that starts the next request, which
    // ends in the segment after.
    std::uint32_t cseq = 101, sseq = 901;
    std::vector<std::vector<std::uint8_t>> frames;
    auto client = [&](const std::string& p) {
        frames.push_back(test::tcp_frame({1, 2, 40010, 8000, cseq, sseq, 0x18, p}));
        cseq += static_cast<std::uint32_t>(p.size());
    };
    auto server = [&](const std::string& p) {
        frames.push_back(test::tcp_frame({2, 1, 8000, 40010, sseq, cseq, 0x18, p}));
        sseq += static_cast<std::uint32_t>(p.size());
    };
    frames.push_back(test::tcp_frame({1, 2, 40010, 8000, 100, 0, 0x02, ""}));
    frames.push_back(test::tcp_frame({2, 1, 8000, 40010, 900, 101, 0x12, ""}));
    client("HEAD /big HTTP/1.1\r\nHost: lab\r\n\r\n");                                  // 3
    client("GET /page HTTP/1.1\r\nHost: lab\r\n\r\n");                                  // 4
    server("HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n");                          // 5: HEAD, no body
    server("HTTP/1.1 200 OK\r\nContent-Length: 2500\r\n\r\n" + std::string(900, 'p'));  // 6
    server(std::string(1000, 'q'));                                                          // 7
    server(std::string(600, 'r') + "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"); // 8
    client("POST /up HTTP/1.1\r\nContent-Length: 3000\r\n\r\n" + std::string(1000, 'a')); // 9
    client(std::string(1500, 'b'));                                                          // 10
    client(std::string(500, 'c') + "GET /aft");                                              // 11
    client("er HTTP/1.1\r\n\r\n");                                                         // 12
    server("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");                         // 13
    server("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nend");                          // 14
    // A body whose middle segment arrives late: the segment after it, which ends the body
    // and starts the next request, is held and then fed from the copy kept of it.
    client("POST /two HTTP/1.1\r\nContent-Length: 2000\r\n\r\n" + std::string(500, 'd')); // 15
    const std::uint32_t middle = cseq;
    cseq += 1000;
    client(std::string(500, 'f') + "GET /la");                                               // 16: held
    const std::uint32_t after = cseq;
    cseq = middle;
    client(std::string(1000, 'e'));                                                          // 17
    cseq = after;
    client("st HTTP/1.1\r\n\r\n");                                                         // 18
    // A connection the capture joined late: the server's bytes come first, so its responses
    // go in direction 0.
    std::uint32_t s2 = 7001, c2 = 3001;
    frames.push_back(test::tcp_frame({2, 1, 8000, 40011, s2, c2, 0x18, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nlate"})); // 19
    s2 += 42;
    const std::string get = "GET /next HTTP/1.1\r\n\r\n";
    frames.push_back(test::tcp_frame({1, 2, 40011, 8000, c2, s2, 0x18, get}));             // 20
    c2 += static_cast<std::uint32_t>(get.size());
    const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 1200\r\n\r\n";
    frames.push_back(test::tcp_frame({2, 1, 8000, 40011, s2, c2, 0x18, head}));            // 21
    s2 += static_cast<std::uint32_t>(head.size());
    frames.push_back(test::tcp_frame({2, 1, 8000, 40011, s2, c2, 0x18, std::string(1200, 's')})); // 22

    Decoder full_decoder, layers_decoder;
    Tree full, layers;
    layers.keep_only({});
    PacketInfo full_info, layers_info;
    std::vector<std::string> infos;
    bool body_counted = false, body_copied = false;
    for (std::size_t i = 0; i < frames.size(); ++i) {
        Frame f;
        f.number = i + 1;
        f.data = frames[i];
        f.wire_len = static_cast<std::uint32_t>(frames[i].size());
        full_decoder.decode(f, kLinkEthernet, full, full_info, true);
        layers_decoder.decode(f, kLinkEthernet, layers, layers_info, true);
        INFO("frame " << f.number);
        CHECK(layers_info.info == full_info.info);
        CHECK(layers_info.protocol == full_info.protocol);
        CHECK(layers_info.protocols == full_info.protocols);
        infos.push_back(full_info.info);
        // The response completing in frame 8 answers a request seen: its body after the
        // first segment was counted.
        if (f.number == 8) {
            REQUIRE(layers.source_count() == 1);
            const auto& counted = layers.source(1).bytes;
            CHECK(std::count(counted.begin(), counted.end(), 'p') == 900);
            CHECK(std::count(counted.begin(), counted.end(), 'q') == 0);
            CHECK(std::count(counted.begin(), counted.end(), 0) == 1600);
            CHECK(std::count(full.source(1).bytes.begin(), full.source(1).bytes.end(), 'q') == 1000);
        }
        if (f.number == 22) {
            REQUIRE(layers.source_count() == 1);
            const auto& counted = layers.source(1).bytes;
            CHECK(std::count(counted.begin(), counted.end(), 0) == 1200);
        }
        // The POST completes in frame 11. The body's first 1000 bytes came with the head and
        // were copied; the rest was copied for the full tree only.
        if (f.number == 11) {
            REQUIRE(full.source_count() == 1);
            REQUIRE(layers.source_count() == 1);
            const auto& kept = full.source(1).bytes;
            const auto& counted = layers.source(1).bytes;
            REQUIRE(kept.size() == counted.size());
            std::size_t head = kept.size() - 3000;
            CHECK(std::equal(kept.begin(), kept.begin() + static_cast<std::ptrdiff_t>(head), counted.begin()));
            body_copied = std::count(kept.begin(), kept.end(), 'b') == 1500;
            CHECK(std::count(counted.begin(), counted.end(), 'a') == 1000);
            body_counted = std::all_of(counted.begin() + static_cast<std::ptrdiff_t>(head + 1000), counted.end(),
                                       [](std::uint8_t b) { return b == 0; });
        }
    }
    CHECK(body_copied);
    CHECK(body_counted);
    CHECK(infos[4].find("HTTP/1.1 200 OK") == 0);
    CHECK(infos[7].find("HTTP/1.1 200 OK") == 0);
    CHECK(infos[7].find("HTTP/1.1 404 Not Found") != std::string::npos);
    CHECK(infos[10].find("POST /up HTTP/1.1") == 0);
    CHECK(infos[11].find("GET /after HTTP/1.1") == 0);
    CHECK(infos[13].find("HTTP/1.1 200 OK") == 0);
    CHECK(infos[16].find("POST /two HTTP/1.1") == 0);
    CHECK(infos[17].find("GET /last HTTP/1.1") == 0);
    CHECK(infos[18].find("HTTP/1.1 200 OK") == 0);
    CHECK(infos[21].find("HTTP/1.1 200 OK") == 0);
}

TEST_CASE("out-of-order segments wait for the gap, retransmissions are not decoded twice",
          "[core][tcp][reassembly]") {
    Session s;
    s.add(test::tcp_frame({1, 2, 40001, 8000, 100, 0, 0x02, ""}));
    s.add(test::tcp_frame({2, 1, 8000, 40001, 900, 101, 0x12, ""}));
    // The second half arrives first.
    s.add(test::tcp_frame({1, 2, 40001, 8000, 117, 901, 0x18, "Host: a\r\n\r\n"}));
    CHECK(s.noted(3, "held until they arrive"));
    CHECK(s.get(3, "http.request.method").empty());
    s.add(test::tcp_frame({1, 2, 40001, 8000, 101, 901, 0x18, "GET / HTTP/1.1\r\n"}));
    // Frame 4 fills the gap: the request completes there, from both frames.
    CHECK(s.get(4, "http.request.method") == "GET");
    CHECK(s.get(4, "http.host") == "a");
    // The same bytes again are a retransmission.
    s.add(test::tcp_frame({1, 2, 40001, 8000, 101, 901, 0x18, "GET / HTTP/1.1\r\n"}));
    CHECK(s.get(5, "http.request.method").empty());
    CHECK(s.noted(5, "Retransmission"));
}

TEST_CASE("a gap the receiver acknowledged is reported, never filled in", "[core][tcp][reassembly]") {
    Session s;
    s.add(test::tcp_frame({1, 2, 40002, 8000, 100, 0, 0x02, ""}));
    s.add(test::tcp_frame({2, 1, 8000, 40002, 900, 101, 0x12, ""}));
    s.add(test::tcp_frame({1, 2, 40002, 8000, 101, 901, 0x18, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"}));
    // 20 bytes (a whole request) are never captured; the next request is held...
    s.add(test::tcp_frame({1, 2, 40002, 8000, 149, 901, 0x18, "GET /c HTTP/1.1\r\n\r\n"}));
    CHECK(s.get(4, "http.request.uri").empty());
    // ...until the server acknowledges past the gap: it got bytes the capture missed.
    s.add(test::tcp_frame({2, 1, 8000, 40002, 901, 168, 0x10, ""}));
    CHECK(s.noted(5, "Gap: 20 bytes of the stream were never captured"));
    CHECK(s.get(5, "http.request.uri") == "/c");
}

TEST_CASE("an unfinished message cannot grow memory without limit", "[core][tcp][reassembly]") {
    Session s;
    s.add(test::tcp_frame({1, 2, 40003, 8000, 100, 0, 0x02, ""}));
    s.add(test::tcp_frame({2, 1, 8000, 40003, 900, 101, 0x12, ""}));
    std::string head = "POST / HTTP/1.1\r\nContent-Length: 100000000\r\n\r\n";
    std::uint32_t seq = 101;
    s.add(test::tcp_frame({1, 2, 40003, 8000, seq, 901, 0x18, head}));
    seq += static_cast<std::uint32_t>(head.size());
    std::string chunk(60000, 'x');
    bool dropped = false;
    for (int i = 0; i < 160 && !dropped; ++i) {
        s.add(test::tcp_frame({1, 2, 40003, 8000, seq, 901, 0x18, chunk}));
        seq += static_cast<std::uint32_t>(chunk.size());
        dropped = s.noted(s.frames.size(), "8 MiB reassembly limit");
    }
    CHECK(dropped);
}

TEST_CASE("real captures: chunked, pipelined, WebSocket fragments and compression", "[core][http][websocket]") {
    auto fields = [](const std::string& file, const std::string& args) {
        return run(std::string(WIRELAB_BIN) + " dump -r " + file + " -T fields " + args);
    };
    std::string chunked = fields(shared("http/http_chunked_response.pcap"), "-e http.chunk_size -e http.response.code");
    CHECK(chunked.find("1024,1024,1024") != std::string::npos);
    CHECK(chunked.find("885,0\t200") != std::string::npos);
    std::string frag = fields(shared("websocket/ws_fragmented_binary.pcap"),
                              "-e websocket.fragment -e websocket.reassembled.length");
    CHECK(frag.find("\t") != std::string::npos);
    std::string deflate = fields(shared("websocket/ws_permessage_deflate.pcap"), "-e websocket.payload.text");
    CHECK(deflate.find("Hello\n") != std::string::npos);
    CHECK(deflate.find("Hello2\n") != std::string::npos);
    std::string accept = fields(shared("websocket/ws_bad_accept_header.pcap"), "-e http.sec_websocket_accept.status");
    CHECK(accept.find('0') != std::string::npos);
    std::string good = fields(shared("websocket/ws_ping_pong_text_close.pcap"), "-e http.sec_websocket_accept.status");
    CHECK(good.find('1') != std::string::npos);
    CHECK(good.find('0') == std::string::npos);
}

TEST_CASE("follow tcp prints exactly what tshark prints", "[core][follow]") {
    for (std::string file : {shared("http/http_pipelined.pcap"), shared("tcp/tcp_sack_fast_retx_http.pcap"),
                             shared("tcp/tcp_netcat_session.pcapng"), std::string(WIRELAB_REPO_DIR) + "/captures/http_get_loopback.pcapng"}) {
        for (std::string mode : {"ascii", "hex"}) {
            std::string z = " -q -z follow,tcp," + mode + ",0";
            INFO(file << z);
            std::string mine = run(std::string(WIRELAB_BIN) + " dump -r " + file + z);
            std::string theirs = run("tshark -n -r " + file + z + " 2>/dev/null");
            CHECK(!mine.empty());
            CHECK(mine == theirs);
        }
    }
}

TEST_CASE("follow websocket lists the messages in order", "[core][follow][websocket]") {
    std::string out = run(std::string(WIRELAB_BIN) + " dump -r " + shared("websocket/ws_ping_pong_text_close.pcap") +
                          " -q -z follow,websocket,0");
    auto ping = out.find("ping (4 bytes)");
    auto text = out.find("text (11 bytes): Hello Zeek!");
    auto reply = out.find("text (12 bytes): Hello there!");
    auto close = out.find("close 1000");
    REQUIRE(ping != std::string::npos);
    REQUIRE(text != std::string::npos);
    REQUIRE(reply != std::string::npos);
    REQUIRE(close != std::string::npos);
    CHECK(ping < text);
    CHECK(text < reply);
    CHECK(reply < close);
}

TEST_CASE("flow tcp draws the handshake as a ladder", "[core][flow]") {
    std::string out = run(std::string(WIRELAB_BIN) + " dump -r " + shared("tcp/tcp_handshake.pcapng") + " -q -z flow,tcp");
    auto syn = out.find("SYN   ");
    auto synack = out.find("SYN, ACK");
    CHECK(syn < synack);
    CHECK(out.find("-------------------->|") != std::string::npos);
    CHECK(out.find("|<--------------------") != std::string::npos);
    CHECK(out.find("Seq = 0 Ack = 1") != std::string::npos);
}

TEST_CASE("forcing a protocol on a port works and bad statistics or decode-as arguments are named", "[core][cli]") {
    std::string out = run(std::string(WIRELAB_BIN) + " dump -r " + shared("websocket/ws_midstream_no_handshake.pcap") +
                          " -d tcp.port==12345,http 2>&1");
    CHECK(!out.empty());
    std::string bad = run(std::string(WIRELAB_BIN) + " dump -r x -z follow,udp 2>&1");
    CHECK(bad.find("accepted: follow,tcp,ascii,N") != std::string::npos);
    std::string badd = run(std::string(WIRELAB_BIN) + " dump -r x -d udp.port==1,http 2>&1");
    CHECK(badd.find("-d needs tcp.port==PORT,PROTOCOL") != std::string::npos);
}
