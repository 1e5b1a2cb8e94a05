// Lab 04, WebSocket framing: the demo with its capture read back by `wirelab dump` and tshark,
// the lab's programs against real peers (the npm `ws` package's client and server, a page in
// headless Chromium), and the echo-server fed bad handshakes and frames that break RFC 6455
// over raw sockets.
#include "lab_support.hpp"
#include "ws_conformance/server_process.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <map>
#include <regex>

#include "wirelab/websocket.hpp"

namespace {

namespace ws = wirelab::ws;

const std::string kRepo = WIRELAB_REPO_DIR;
const std::string kPeers = kRepo + "/tests/peers";         // node_modules: ws, playwright-core
const std::string kScripts = kRepo + "/tests/labs/peers";  // this lab's node scripts

std::string node() {
    labtest::Run r = labtest::run("sh -c 'command -v node'");
    REQUIRE(r.status == 0);
    return r.out.substr(0, r.out.find('\n'));
}

std::string url(int port) { return "ws://127.0.0.1:" + std::to_string(port) + "/"; }

// tshark says it runs as root on stderr; that is not a problem with the capture.
std::string without_root_warning(const std::string& out) {
    std::string kept;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);)
        if (line.rfind("Running as user", 0) != 0) kept += line + "\n";
    return kept;
}

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> parts;
    if (s.empty()) return parts;
    std::size_t start = 0;
    while (true) {
        std::size_t at = s.find(sep, start);
        parts.push_back(s.substr(start, at == std::string::npos ? std::string::npos : at - start));
        if (at == std::string::npos) return parts;
        start = at + 1;
    }
}

// The frames one side sent, as a capture decoder saw them. A TCP segment may carry several
// frames (each field then lists one value per frame, comma-separated), and the optional fields
// (extended lengths, masking key) appear only in the frames that have them.
struct Frames {
    std::vector<std::string> opcode, fin, mask, length_code, ext16, ext64, key;
    std::vector<std::uint64_t> lengths() const {  // each frame's real payload length
        std::vector<std::uint64_t> out;
        std::size_t i16 = 0, i64 = 0;
        for (const std::string& code : length_code) {
            if (code == "126") out.push_back(i16 < ext16.size() ? std::stoull(ext16[i16++]) : ~0ull);
            else if (code == "127") out.push_back(i64 < ext64.size() ? std::stoull(ext64[i64++]) : ~0ull);
            else out.push_back(std::stoull(code));
        }
        return out;
    }
};

const std::vector<std::string> kFrameFields = {"tcp.srcport",
                                               "websocket.opcode",
                                               "websocket.fin",
                                               "websocket.mask",
                                               "websocket.payload_length",
                                               "websocket.payload_length_ext_16",
                                               "websocket.payload_length_ext_64",
                                               "websocket.masking_key"};

// Rows of tcp.srcport and the websocket fields above, split by sending port.
std::map<std::string, Frames> by_port(const std::vector<std::vector<std::string>>& rows) {
    std::map<std::string, Frames> out;
    for (const auto& row : rows) {
        REQUIRE(row.size() == kFrameFields.size());
        Frames& f = out[row[0]];
        auto add = [](std::vector<std::string>& to, const std::string& cell) {
            for (auto& v : split(cell, ',')) to.push_back(v);
        };
        add(f.opcode, row[1]);
        add(f.fin, row[2]);
        add(f.mask, row[3]);
        add(f.length_code, row[4]);
        add(f.ext16, row[5]);
        add(f.ext64, row[6]);
        add(f.key, row[7]);
    }
    return out;
}

// What the transcript says a side sent: "client  sends Text 5 bytes FIN MASK c9 1b 19 7f:".
struct Sent {
    std::vector<std::uint64_t> lengths;
    std::vector<std::string> keys;  // "c91b197f"
};
Sent sent_by(const std::string& transcript, const std::string& who) {
    Sent s;
    std::regex re(who + " +sends [A-Za-z ]+? ([0-9]+) bytes(?: FIN)?(?: MASK ([0-9a-f]{2}) ([0-9a-f]{2}) ([0-9a-f]{2}) ([0-9a-f]{2}))?:");
    for (std::sregex_iterator i(transcript.begin(), transcript.end(), re), end; i != end; ++i) {
        s.lengths.push_back(std::stoull((*i)[1]));
        if ((*i)[2].matched) s.keys.push_back((*i)[2].str() + (*i)[3].str() + (*i)[4].str() + (*i)[5].str());
    }
    return s;
}

// The server's output once it contains `needle` (it logs asynchronously), or after 5 s.
std::string output_with(labtest::ServerProcess& p, const std::string& needle) {
    for (int i = 0; i < 250 && p.output().find(needle) == std::string::npos; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return p.output();
}

std::vector<std::string> strings(std::initializer_list<const char*> l) { return {l.begin(), l.end()}; }

// A TCP connection for hand-made bytes: what a broken client would send.
class RawClient {
public:
    explicit RawClient(int port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        REQUIRE(fd_ >= 0);
        timeval tv{5, 0};  // no test waits longer than this for an answer
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<std::uint16_t>(port));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    }
    ~RawClient() { ::close(fd_); }
    void send(const std::string& bytes) { REQUIRE(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == ssize_t(bytes.size())); }
    void send(const std::vector<std::uint8_t>& bytes) { send(std::string(bytes.begin(), bytes.end())); }
    // Everything the server sends until it closes the connection (or 5 s pass: then
    // `closed` stays false).
    std::string read_all() {
        std::string got;
        char buf[65536];
        while (true) {
            ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
            if (n == 0) {
                closed = true;
                break;
            }
            if (n < 0) break;
            got.append(buf, static_cast<std::size_t>(n));
        }
        return got;
    }
    // Reads until the head of the HTTP response is complete.
    std::string read_head() {
        std::string got;
        char c;
        while (got.find("\r\n\r\n") == std::string::npos && ::recv(fd_, &c, 1, 0) == 1) got += c;
        return got;
    }
    bool closed = false;

private:
    int fd_ = -1;
};

const std::string kRfcKey = "dGhlIHNhbXBsZSBub25jZQ==";  // RFC 6455 section 1.3's example

std::string handshake(const std::string& key = kRfcKey) {
    return "GET /chat HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
}

// A client frame: masked with a fixed key unless `masked` is false. The header is written out
// byte by byte here, not with core's encoder, so a bug there cannot hide one in the server.
std::vector<std::uint8_t> frame(std::uint8_t first_byte, const std::string& payload, bool masked = true) {
    std::vector<std::uint8_t> f{first_byte};
    const std::uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
    std::uint8_t m = masked ? 0x80 : 0;
    if (payload.size() < 126) {
        f.push_back(static_cast<std::uint8_t>(m | payload.size()));
    } else {
        f.push_back(m | 126);
        f.push_back(static_cast<std::uint8_t>(payload.size() >> 8));
        f.push_back(static_cast<std::uint8_t>(payload.size()));
    }
    if (masked) f.insert(f.end(), key, key + 4);
    for (std::size_t i = 0; i < payload.size(); ++i)
        f.push_back(static_cast<std::uint8_t>(payload[i]) ^ (masked ? key[i % 4] : 0));
    return f;
}

// The server frames in `bytes` (after the 101 response), decoded by core.
struct ServerFrame {
    ws::FrameHeader h;
    std::string payload;
};
std::vector<ServerFrame> server_frames(const std::string& bytes) {
    std::vector<ServerFrame> out;
    std::size_t pos = bytes.find("\r\n\r\n");
    REQUIRE(pos != std::string::npos);
    pos += 4;
    while (pos < bytes.size()) {
        ServerFrame f;
        auto data = std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()) + pos, bytes.size() - pos);
        if (ws::parse_header(data, f.h) != ws::Parse::complete) break;
        if (data.size() < f.h.header_length + f.h.payload_length) break;
        f.payload = bytes.substr(pos + f.h.header_length, f.h.payload_length);
        pos += f.h.header_length + f.h.payload_length;
        out.push_back(std::move(f));
    }
    return out;
}

// The close code the server answered `bytes_sent` with (0 if it sent no close frame).
int close_code_for(int port, const std::vector<std::uint8_t>& bytes_sent, bool* tcp_closed = nullptr) {
    RawClient c(port);
    std::string hs = handshake();
    c.send(hs + std::string(bytes_sent.begin(), bytes_sent.end()));
    std::string got = c.read_all();
    if (tcp_closed) *tcp_closed = c.closed;
    INFO(got.substr(0, 200));
    REQUIRE(got.rfind("HTTP/1.1 101", 0) == 0);
    for (const ServerFrame& f : server_frames(got)) {
        CHECK(!f.h.masked);
        if (f.h.opcode == ws::kClose) return f.payload.size() >= 2 ? (std::uint8_t(f.payload[0]) << 8 | std::uint8_t(f.payload[1])) : 0;
    }
    return 0;
}

}  // namespace

TEST_CASE("lab 04 --help prints usage and an example, bad options are refused", "[lab][lab04]") {
    labtest::Run r = labtest::run("'" + labtest::lab(4) + "' --help");
    CHECK(r.status == 0);
    CHECK(r.out.find("Usage: wirelab lab 4 demo|server|client|echo-server") != std::string::npos);
    CHECK(r.out.find("Example:") != std::string::npos);
    r = labtest::run("'" + labtest::lab(4) + "' client --url http://127.0.0.1:1/");
    CHECK(r.status == 2);
    CHECK(r.out.find("ws://") != std::string::npos);
    r = labtest::run("'" + labtest::lab(4) + "' echo-server --threads 0");
    CHECK(r.status == 2);
}

TEST_CASE("lab 04 demo: the capture carries the masks and lengths sent", "[lab][lab04][capture]") {
    std::string dir = labtest::temp_dir("lab04");
    std::string cap = dir + "/demo.pcapng";
    labtest::Run r = labtest::run("'" + labtest::lab(4) + "' demo --port 0 --capture '" + cap + "'", 30);
    INFO(r.out);
    REQUIRE(r.status == 0);
    // The handshake computed step by step agrees with core's accept_key, and the close ended cleanly.
    CHECK(r.out.find("(core's ws::accept_key agrees)") != std::string::npos);
    CHECK(labtest::count_lines(r.out, "connection closed cleanly") == 2);
    REQUIRE(r.out.find("wrote ") != std::string::npos);  // the recorder ran

    std::smatch m;
    REQUIRE(std::regex_search(r.out, m, std::regex("listening on 127\\.0\\.0\\.1:([0-9]+)")));
    const std::string server_port = m[1].str();
    REQUIRE(std::regex_search(r.out, m, std::regex("connect\\(\\): TCP connection from port ([0-9]+)")));
    const std::string client_port = m[1].str();

    SECTION("the handshake in the capture is the one in the transcript") {
        REQUIRE(std::regex_search(r.out, m, std::regex("base64 = ([A-Za-z0-9+/=]{24})")));
        std::string key = m[1].str();
        auto req = labtest::fields(cap, "http.request", {"http.sec_websocket_key", "http.sec_websocket_version"});
        REQUIRE(req.size() == 1);
        CHECK(req[0] == strings({key.c_str(), "13"}));
        auto resp = labtest::fields(cap, "http.response", {"http.response.code", "http.sec_websocket_accept"});
        REQUIRE(resp.size() == 1);
        CHECK(resp[0] == std::vector<std::string>{"101", ws::accept_key(key)});
    }

    auto sides = by_port(labtest::fields(cap, "websocket", kFrameFields));
    REQUIRE(sides.count(client_port) == 1);
    REQUIRE(sides.count(server_port) == 1);
    const Frames& client = sides[client_port];
    const Frames& server = sides[server_port];

    SECTION("client frames: masked, with the keys and lengths the transcript printed") {
        Sent sent = sent_by(r.out, "client");
        // 5, 125 (7-bit), 126 and 65535 (16-bit), 65536 (64-bit); three fragments; ping;
        // three messages during the pushes; close.
        const std::vector<std::uint64_t> want = {5, 125, 126, 65535, 65536, 7, 11, 6, 14, 21, 21, 21, 15};
        CHECK(sent.lengths == want);
        CHECK(client.lengths() == want);
        CHECK(client.length_code == strings({"5", "125", "126", "126", "127", "7", "11", "6", "14", "21", "21", "21", "15"}));
        CHECK(client.ext16 == strings({"126", "65535"}));
        CHECK(client.ext64 == strings({"65536"}));
        CHECK(client.opcode == strings({"1", "1", "1", "2", "2", "1", "0", "0", "9", "1", "1", "1", "8"}));
        CHECK(client.fin == strings({"1", "1", "1", "1", "1", "0", "0", "1", "1", "1", "1", "1", "1"}));
        CHECK(client.mask == std::vector<std::string>(want.size(), "1"));
        CHECK(client.key.size() == want.size());
        CHECK(client.key == sent.keys);  // each frame's own random key, as printed
    }

    SECTION("server frames: never masked; echoes, the pong, three pushes and the close") {
        Sent sent = sent_by(r.out, "server");
        CHECK(sent.keys.empty());
        CHECK(server.lengths() == sent.lengths);
        CHECK(server.mask == std::vector<std::string>(sent.lengths.size(), "0"));
        CHECK(server.key.empty());
        const std::vector<std::uint64_t> lengths = server.lengths();
        REQUIRE(lengths.size() == 14);
        // The first seven: the five echoes, the reassembled 24-byte message, the pong.
        CHECK(std::vector<std::uint64_t>(lengths.begin(), lengths.begin() + 7) ==
              std::vector<std::uint64_t>{5, 125, 126, 65535, 65536, 24, 14});
        CHECK(server.opcode == strings({"1", "1", "1", "2", "2", "1", "10", "1", "1", "1", "1", "1", "1", "8"}));
        auto pushes = labtest::fields(cap, "websocket.payload.text contains \"push #\"", {"websocket.payload.text"});
        CHECK(pushes.size() == 3);
    }

    SECTION("the closing handshake: 1000 with the reason, answered with 1000") {
        auto closes = labtest::fields(cap, "websocket.opcode == 8",
                                      {"tcp.srcport", "websocket.payload.close.status_code", "websocket.payload.close.reason"});
        REQUIRE(closes.size() == 2);
        CHECK(closes[0] == std::vector<std::string>{client_port, "1000", "demo finished"});
        CHECK(closes[1] == std::vector<std::string>{server_port, "1000", ""});
        // The server sends the first FIN (RFC 6455 section 7.1.1).
        auto fins = labtest::fields(cap, "tcp.flags.fin == 1", {"tcp.srcport"});
        REQUIRE(fins.size() == 2);
        CHECK(fins[0][0] == server_port);
    }

    SECTION("tshark decodes the same frames, nothing malformed") {
        CHECK(without_root_warning(labtest::tshark_problems(cap)).empty());
        // tshark finds HTTP (and so the WebSocket upgrade) by port; tell it the demo's.
        std::string decode = " -d tcp.port==" + server_port + ",http ";
        labtest::Run t = labtest::run("tshark -n -r '" + cap + "'" + decode +
                                      "-Y '_ws.malformed || _ws.expert.severity == error'");
        CHECK(t.status == 0);
        CHECK(without_root_warning(t.out).empty());
        std::string cmd = "tshark -n -r '" + cap + "'" + decode + "-Y websocket -T fields";
        for (const auto& f : kFrameFields) cmd += " -e " + f;
        t = labtest::run(cmd);
        REQUIRE(t.status == 0);
        std::vector<std::vector<std::string>> rows;
        std::istringstream in(without_root_warning(t.out));
        for (std::string line; std::getline(in, line);) rows.push_back(split(line, '\t'));
        auto theirs = by_port(rows);
        CHECK(theirs[client_port].lengths() == client.lengths());
        CHECK(theirs[client_port].key == client.key);
        CHECK(theirs[server_port].lengths() == server.lengths());
        CHECK(theirs[server_port].mask == server.mask);
    }
}

TEST_CASE("lab 04 echo-server against the npm ws client", "[lab][lab04][ws]") {
    labtest::ServerProcess server({labtest::lab(4), "echo-server", "--port", "0"});
    INFO(server.output());
    REQUIRE(server.port() > 0);
    labtest::Run r = labtest::run(node() + " '" + kScripts + "/ws_client.js' '" + kPeers + "' " + url(server.port()), 40);
    INFO(r.out);
    CHECK(r.status == 0);
    for (const char* c : {"ok handshake without extensions", "ok text echo", "ok utf-8 text echo", "ok empty text echo",
                          "ok binary 0 bytes", "ok binary 125 bytes", "ok binary 126 bytes", "ok binary 65535 bytes",
                          "ok binary 65536 bytes", "ok binary 1048576 bytes", "ok fragmented message reassembled",
                          "ok pong carries the ping payload", "ok 2000 messages echoed in order",
                          "ok close handshake echoes the code"})
        CHECK(labtest::count_lines(r.out, c) == 1);
    CHECK(r.out.find("RESULT 14 passed, 0 failed") != std::string::npos);
    // The peer's close was answered with the same code, and SIGTERM ends the server with 0.
    CHECK(output_with(server, "peer closes").find("peer closes with 1000") != std::string::npos);
    CHECK(server.stop() == 0);
}

TEST_CASE("lab 04 echo-server serves many ws clients at once, on one thread and on two", "[lab][lab04][ws]") {
    // Two threads give each connection a strand; the ThreadSanitizer run of the suite checks
    // that nothing is shared without one.
    std::string threads = GENERATE("1", "2");
    INFO("--threads " << threads);
    labtest::ServerProcess server({labtest::lab(4), "echo-server", "--port", "0", "--quiet", "--threads", threads});
    REQUIRE(server.port() > 0);
    labtest::Run r = labtest::run(node() + " '" + kScripts + "/ws_many.js' '" + kPeers + "' " + url(server.port()) + " 300 50", 40);
    INFO(r.out);
    CHECK(r.status == 0);
    CHECK(r.out.find("RESULT 300 connections, 15000 echoes, 0 wrong") != std::string::npos);
    CHECK(server.running());
}

TEST_CASE("lab 04 client against the npm ws server", "[lab][lab04][ws]") {
    labtest::ServerProcess peer({node(), kScripts + "/ws_server.js", kPeers});
    INFO(peer.output());
    REQUIRE(peer.port() > 0);
    labtest::Run r = labtest::run("'" + labtest::lab(4) + "' client --url " + url(peer.port()) +
                                      " --send hello --send '/binary 70000' --send '/frag a|b|c' --send '/ping hi'",
                                  30);
    INFO(r.out);
    CHECK(r.status == 0);
    // The client drew each frame it sent: the 70000-byte one needs the 64-bit length.
    CHECK(r.out.find("payload len=1111111 (127: the length is in the next 64 bits)") != std::string::npos);
    CHECK(r.out.find("extended payload length (64 bits) = 70000") != std::string::npos);
    CHECK(r.out.find("got a text message of 5 bytes: \"hello\"") != std::string::npos);
    CHECK(r.out.find("got a binary message of 70000 bytes") != std::string::npos);
    CHECK(r.out.find("got a text message of 3 bytes: \"abc\"") != std::string::npos);
    CHECK(r.out.find("pong \"hi\"") != std::string::npos);
    CHECK(r.out.find("connection closed cleanly") != std::string::npos);
    // And the ws server (which rejects unmasked or malformed client frames) got all of it.
    std::string log = output_with(peer, "ws server close");
    CHECK(log.find("ws server got text 5 bytes: hello") != std::string::npos);
    CHECK(log.find("ws server got binary 70000 bytes") != std::string::npos);
    CHECK(log.find("ws server got text 3 bytes: abc") != std::string::npos);
    CHECK(log.find("ws server got ping: hi") != std::string::npos);
    CHECK(log.find("ws server close 1000 done") != std::string::npos);
    CHECK(log.find("error") == std::string::npos);
}

TEST_CASE("headless Chromium talks to lab 04's server while it pushes, and to the echo-server", "[lab][lab04][browser]") {
    SECTION("the narrated server, pushing every 0.1 s while the page sends") {
        labtest::ServerProcess server({labtest::lab(4), "server", "--port", "0", "--push-every", "0.1"});
        REQUIRE(server.port() > 0);
        labtest::Run r = labtest::run(node() + " '" + kScripts + "/browser_echo.js' '" + kPeers + "' " + url(server.port()) + " 3", 60);
        INFO(r.out);
        INFO(server.output().substr(0, 4000));
        CHECK(r.status == 0);
        CHECK(r.out.find("RESULT 12 passed, 0 failed") != std::string::npos);
        CHECK(std::regex_search(r.out, std::regex("ok [0-9]+ messages sent while the server pushed [3-9]")));
        // The server saw a real browser: its handshake offered permessage-deflate, which the
        // lab declines, and every frame from it was masked.
        std::string log = output_with(server, "connection closed");
        CHECK(log.find("Sec-WebSocket-Extensions: permessage-deflate") != std::string::npos);
        CHECK(log.find("HeadlessChrome") != std::string::npos);
        CHECK(log.find("Sec-WebSocket-Accept: ") != std::string::npos);
        CHECK(log.find("received Binary 65536 bytes FIN MASK") != std::string::npos);
        CHECK(labtest::count_lines(log, "pushes a message of its own") >= 3);
        CHECK(log.find("connection closed cleanly") != std::string::npos);
    }
    SECTION("the echo-server") {
        labtest::ServerProcess server({labtest::lab(4), "echo-server", "--port", "0"});
        REQUIRE(server.port() > 0);
        labtest::Run r = labtest::run(node() + " '" + kScripts + "/browser_echo.js' '" + kPeers + "' " + url(server.port()), 60);
        INFO(r.out);
        CHECK(r.status == 0);
        CHECK(r.out.find("RESULT 12 passed, 0 failed") != std::string::npos);
    }
}

TEST_CASE("lab 04 servers refuse bad opening handshakes with 400 or 426 and a reason", "[lab][lab04]") {
    struct Bad {
        std::string request;
        const char* status;
        const char* reason;
    };
    const std::string up = "Upgrade: websocket\r\nConnection: Upgrade\r\n";
    const std::string v13 = "Sec-WebSocket-Version: 13\r\n";
    const std::string key = "Sec-WebSocket-Key: " + kRfcKey + "\r\n";
    const std::vector<Bad> cases = {
        {"POST / HTTP/1.1\r\nHost: x\r\n" + up + key + v13 + "\r\n", "400", "is a GET"},
        {"GET / HTTP/1.0\r\nHost: x\r\n" + up + key + v13 + "\r\n", "400", "needs HTTP/1.1"},
        {"GET / HTTP/1.1\r\n" + up + key + v13 + "\r\n", "400", "no Host"},
        {"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "426", "only WebSocket"},
        {"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n" + key + v13 + "\r\n", "426", "Connection: Upgrade"},
        {"GET / HTTP/1.1\r\nHost: x\r\n" + up + key + "Sec-WebSocket-Version: 8\r\n\r\n", "426", "13 is"},
        {"GET / HTTP/1.1\r\nHost: x\r\n" + up + v13 + "\r\n", "400", "Sec-WebSocket-Key is missing"},
        {"GET / HTTP/1.1\r\nHost: x\r\n" + up + "Sec-WebSocket-Key: c2hvcnQ=\r\n" + v13 + "\r\n", "400", "16 bytes"},
        {"GET / HTTP/1.1\r\nHost: x\r\n" + up + "Sec-WebSocket-Key: !!!!!!!!!!!!!!!!!!!!!!==\r\n" + v13 + "\r\n", "400", "16 bytes"},
        {"HELLO\r\n\r\n", "400", "request line"},
        {"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n", "431", "larger than"},
    };
    for (const char* mode : {"echo-server", "server"}) {
        labtest::ServerProcess server({labtest::lab(4), mode, "--port", "0", "--push-every", "0"});
        REQUIRE(server.port() > 0);
        for (const Bad& b : cases) {
            RawClient c(server.port());
            c.send(b.request);
            std::string got = c.read_all();
            INFO(mode << ": " << b.request.substr(0, 80) << "\n->\n" << got);
            CHECK(got.rfind(std::string("HTTP/1.1 ") + b.status + " ", 0) == 0);
            CHECK(got.find(b.reason) != std::string::npos);
            CHECK(got.find("Connection: close") != std::string::npos);
            CHECK(c.closed);
            if (std::string(b.status) == "426") CHECK(got.find("Sec-WebSocket-Version: 13\r\n") != std::string::npos);
        }
        // And a good one still gets RFC 6455's own example answer (section 1.3).
        RawClient c(server.port());
        c.send(handshake());
        std::string head = c.read_head();
        INFO(head);
        CHECK(head.rfind("HTTP/1.1 101 Switching Protocols\r\n", 0) == 0);
        CHECK(head.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") != std::string::npos);
        CHECK(head.find("Sec-WebSocket-Extensions") == std::string::npos);
        CHECK(server.running());
    }
}

TEST_CASE("lab 04 echo-server closes with the code RFC 6455 asks for when a frame breaks it", "[lab][lab04]") {
    labtest::ServerProcess server({labtest::lab(4), "echo-server", "--port", "0", "--max-message", "1000"});
    REQUIRE(server.port() > 0);
    const int port = server.port();
    auto cat = [](std::vector<std::uint8_t> a, const std::vector<std::uint8_t>& b) {
        a.insert(a.end(), b.begin(), b.end());
        return a;
    };
    // Protocol errors: 1002 (section 7.4.1).
    CHECK(close_code_for(port, frame(0x81, "hello", false)) == 1002);             // unmasked client frame
    CHECK(close_code_for(port, frame(0x83, "x")) == 1002);                        // reserved opcode 3
    CHECK(close_code_for(port, frame(0x8b, "")) == 1002);                         // reserved control opcode 11
    CHECK(close_code_for(port, frame(0xc1, "x")) == 1002);                        // RSV1 without an extension
    CHECK(close_code_for(port, frame(0x09, "x")) == 1002);                        // a fragmented ping
    CHECK(close_code_for(port, frame(0x89, std::string(126, 'p'))) == 1002);      // a ping over 125 bytes
    CHECK(close_code_for(port, frame(0x80, "x")) == 1002);                        // continuation of nothing
    CHECK(close_code_for(port, cat(frame(0x01, "a"), frame(0x81, "b"))) == 1002); // new message inside one
    CHECK(close_code_for(port, frame(0x88, "\x03")) == 1002);                     // 1-byte close payload
    CHECK(close_code_for(port, frame(0x88, "\x03\xed")) == 1002);                 // close code 1005 may not be sent
    // Invalid UTF-8: 1007, also in the middle of a message that never ends (fail fast).
    CHECK(close_code_for(port, frame(0x81, "\xc0\xaf")) == 1007);
    CHECK(close_code_for(port, frame(0x01, "ok \xed\xa0\x80")) == 1007);           // a surrogate, FIN=0
    CHECK(close_code_for(port, frame(0x88, "\x03\xe8\xff")) == 1007);             // close reason not UTF-8
    // Too big for --max-message 1000: 1009 as soon as the header says so, in one frame or fragments.
    CHECK(close_code_for(port, {0x82, 0xfe, 0x07, 0xd0, 1, 2, 3, 4}) == 1009);
    CHECK(close_code_for(port, cat(frame(0x02, std::string(600, 'x')), frame(0x80, std::string(600, 'y')))) == 1009);
    CHECK(server.running());

    SECTION("a clean close is answered with the same code, then the server closes TCP") {
        bool closed = false;
        CHECK(close_code_for(port, frame(0x88, "\x0b\xb8 app-defined"), &closed) == 3000);
        CHECK(closed);
    }
    SECTION("ping and messages on one connection: pong first, then the echo, same bytes") {
        RawClient c(port);
        c.send(handshake());
        c.send(cat(cat(frame(0x89, "beat"), frame(0x01, "split ")), cat(frame(0x8a, "unasked"), frame(0x80, "message"))));
        c.send(frame(0x88, "\x03\xe8"));
        auto frames = server_frames(c.read_all());
        REQUIRE(frames.size() == 3);
        CHECK(frames[0].h.opcode == ws::kPong);
        CHECK(frames[0].payload == "beat");
        CHECK(frames[1].h.opcode == ws::kText);
        CHECK(frames[1].h.fin);
        CHECK(frames[1].payload == "split message");
        CHECK(frames[2].h.opcode == ws::kClose);
        CHECK(c.closed);
    }
}
