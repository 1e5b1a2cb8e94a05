// Lab 05 as a student runs it: the demo with --capture, --markdown and --svg; its table checked
// against the capture decoded with `wirelab dump` (what each receiver really got, frame by
// frame, and the wire figures summed independently), and tshark reading the same capture.
// Then the hub and a receiver as two programs, and the hub fed bad requests by hand.
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <numeric>
#include <set>
#include <thread>

#include "lab_support.hpp"

namespace {

const std::vector<std::string> kKinds = {"tcp", "udp", "short", "long", "ws"};

std::vector<std::string> words(const std::string& line) {
    std::istringstream in(line);
    std::vector<std::string> w;
    for (std::string word; in >> word;) w.push_back(word);
    return w;
}

// The table row of one transport: "  tcp  35259  3  140  0  0  0  0.183 ... | 10 0 0".
std::vector<std::string> table_row(const std::string& out, const std::string& kind) {
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) {
        auto w = words(line);
        if (w.size() == 17 && w[0] == kind && w[13] == "|") return w;
    }
    FAIL("no table row for " << kind);
    return {};
}
enum Col { kKind, kPort, kRcv, kDelivered, kMissing, kDup, kReorder, kP50, kP99, kBytes, kPackets, kApp, kConns,
           kBar, kAwayMissed, kAwayLate, kAwayDup };

// "left after message 16 and came back 10 messages later"
std::pair<int, int> away_stretch(const std::string& out) {
    const std::string key = "left after message ";
    std::size_t at = out.find(key);
    REQUIRE(at != std::string::npos);
    int left = std::stoi(out.substr(at + key.size()));
    std::size_t back = out.find("came back ", at);
    REQUIRE(back != std::string::npos);
    return {left, std::stoi(out.substr(back + 10))};
}

std::string hex_to_text(const std::string& hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
    return out;
}

// The sequence number that starts a message ("17 1234 message 17 from the hub").
int seq_of(const std::string& message) { return std::stoi(message); }

// What each receiver got, read from the capture alone: one list of sequence numbers per TCP
// stream (tcp, short, long, ws) or per receiver's UDP port.
std::map<std::string, std::vector<int>> received(const std::string& cap, const std::string& kind, int port) {
    std::map<std::string, std::vector<int>> got;
    std::string p = std::to_string(port);
    if (kind == "ws") {
        for (const auto& row : labtest::fields(cap, "websocket.opcode == 1 && tcp.srcport == " + p,
                                               {"tcp.stream", "websocket.payload.text"})) {
            // Two frames in one segment (the hub wrote twice before the kernel sent) come as
            // one row, their texts joined by commas; a message has no comma in it.
            std::istringstream texts(row[1]);
            for (std::string text; std::getline(texts, text, ',');) got[row[0]].push_back(seq_of(text));
        }
    } else if (kind == "udp") {
        for (const auto& row : labtest::fields(cap, "udp.srcport == " + p, {"udp.dstport", "udp.payload"}))
            got[row[0]].push_back(seq_of(hex_to_text(row[1])));
    } else if (kind == "tcp") {
        // The byte stream per connection, then the 4-byte length prefixes read off it.
        std::map<std::string, std::string> stream;
        for (const auto& row : labtest::fields(cap, "tcp.len > 0 && tcp.srcport == " + p, {"tcp.stream", "tcp.payload"}))
            stream[row[0]] += hex_to_text(row[1]);
        for (auto& [id, bytes] : stream) {
            got[id];
            for (std::size_t at = 0; at + 4 <= bytes.size();) {
                std::size_t n = 0;
                for (int i = 0; i < 4; ++i) n = n << 8 | static_cast<unsigned char>(bytes[at + static_cast<std::size_t>(i)]);
                REQUIRE(at + 4 + n <= bytes.size());
                got[id].push_back(seq_of(bytes.substr(at + 4, n)));
                at += 4 + n;
            }
        }
    } else {
        for (const auto& row : labtest::fields(cap, "http.response.code && tcp.srcport == " + p,
                                               {"tcp.stream", "http.response.code", "http.file_data"})) {
            got[row[0]];
            if (row[1] != "200") continue;
            // wirelab dump shows the body's line breaks as \n.
            std::string body = row[2];
            for (std::size_t at = 0; at < body.size();) {
                std::size_t end = body.find("\\n", at);
                got[row[0]].push_back(seq_of(body.substr(at, end - at)));
                at = end == std::string::npos ? body.size() : end + 2;
            }
        }
    }
    return got;
}

std::vector<int> range(int first, int last) {
    std::vector<int> v;
    for (int i = first; i <= last; ++i) v.push_back(i);
    return v;
}

std::string per_message(long total, long delivered, const char* fmt) {
    char buf[64];
    std::snprintf(buf, sizeof buf, fmt, static_cast<double>(total) / static_cast<double>(delivered));
    return buf;
}

}  // namespace

TEST_CASE("lab 05 demo: five transports side by side, measured from their capture", "[lab][lab05]") {
    std::string dir = labtest::temp_dir("lab05");
    std::string cap = dir + "/lab05.pcapng", md = dir + "/lab05.md", svg = dir + "/lab05.svg";
    const int receivers = 3, messages = 40;
    labtest::Run r = labtest::run(labtest::lab(5) + " demo --receivers 3 --messages 40 --rate 40 --capture " + cap +
                                      " --markdown " + md + " --svg " + svg,
                                  40);
    INFO(r.out);
    REQUIRE(r.status == 0);
    auto [left, away] = away_stretch(r.out);
    CHECK(left == messages / 3);
    CHECK(away == messages / 5);

    std::map<std::string, std::vector<std::string>> rows;
    for (const auto& kind : kKinds) rows[kind] = table_row(r.out, kind);

    for (const auto& kind : kKinds) {
        const auto& row = rows[kind];
        INFO("transport " << kind);
        const int port = std::stoi(row[kPort]);
        bool push = kind == "tcp" || kind == "udp" || kind == "ws";

        // What the README promises about receivers: the ones that stayed got every message,
        // once, in order; the one that went away missed the stretch (push) or nothing (polls).
        CHECK(row[kMissing] == "0");
        CHECK(row[kDup] == "0");
        CHECK(row[kReorder] == "0");
        CHECK(row[kAwayMissed] == (push ? std::to_string(away) : "0"));
        CHECK(row[kAwayLate] == (push ? "0" : std::to_string(away)));
        CHECK(row[kAwayDup] == "0");

        // The same from the capture: one list per connection (per UDP port), and the away
        // receiver's two of them.
        auto got = received(cap, kind, port);
        REQUIRE(got.size() == static_cast<std::size_t>(receivers + 1));
        std::vector<std::vector<int>> lists;
        for (auto& [id, seqs] : got) lists.push_back(seqs);
        auto full = range(1, messages);
        auto before = range(1, left);
        auto after = push ? range(left + away + 1, messages) : range(left + 1, messages);
        CHECK(std::count(lists.begin(), lists.end(), full) == receivers - 1);
        CHECK(std::count(lists.begin(), lists.end(), before) == 1);
        CHECK(std::count(lists.begin(), lists.end(), after) == 1);
        long delivered = (receivers - 1) * messages + static_cast<long>(before.size() + after.size());
        CHECK(row[kDelivered] == std::to_string(delivered));

        // Wire figures summed here from `wirelab dump` fields, compared with the table.
        std::string proto = kind == "udp" ? "udp" : "tcp";
        long bytes = 0, frames = 0, app = 0, syns = 0;
        auto cols = kind == "udp" ? std::vector<std::string>{"frame.len", "udp.length"}
                                  : std::vector<std::string>{"frame.len", "tcp.len", "tcp.flags.syn", "tcp.flags.ack"};
        for (const auto& f : labtest::fields(cap, proto + ".port == " + std::to_string(port), cols)) {
            bytes += std::stol(f[0]);
            ++frames;
            app += kind == "udp" ? std::stol(f[1]) - 8 : std::stol(f[1]);
            if (kind != "udp" && f[2] == "1" && f[3] == "0") ++syns;
        }
        CHECK(row[kBytes] == per_message(bytes, delivered, "%.1f"));
        CHECK(row[kPackets] == per_message(frames, delivered, "%.2f"));
        CHECK(row[kApp] == per_message(app, delivered, "%.1f"));
        CHECK(row[kConns] == std::to_string(syns));
        // UDP has no connections; every TCP transport one per receiver, plus the away one's return.
        CHECK(syns == (kind == "udp" ? 0 : receivers + 1));
    }

    // Short polling repeats an HTTP request and response head for every poll, news or not;
    // WebSocket adds 2 bytes of frame header per message once the handshake is done. (On the
    // wire, with TCP's ACKs, short polling may still come out cheaper: one answer batches all
    // the messages of a poll interval. That is README question 4's point.)
    CHECK(std::stod(rows["short"][kApp]) > std::stod(rows["ws"][kApp]) + 20);
    CHECK(std::stod(rows["long"][kApp]) > std::stod(rows["short"][kApp]));
    // Long polls and WebSocket answer at once; a short poller waits for its next poll.
    CHECK(std::stod(rows["short"][kP50]) > std::stod(rows["ws"][kP50]));
    CHECK(std::stod(rows["short"][kP50]) > std::stod(rows["long"][kP50]));

    // The Markdown and the SVG for the handouts.
    std::ifstream md_in(md);
    std::string md_text((std::istreambuf_iterator<char>(md_in)), std::istreambuf_iterator<char>());
    for (const char* label : {"raw TCP", "UDP", "HTTP/1.1 short polling", "HTTP/1.1 long polling", "WebSocket"})
        CHECK(labtest::count_lines(md_text, std::string("| ") + label) == 2);  // the table and the away table
    CHECK(md_text.find("--capture " + cap) != std::string::npos);  // the command that made it
    labtest::Run xml = labtest::run("python3 -c 'import xml.dom.minidom,sys; xml.dom.minidom.parse(sys.argv[1])' " + svg);
    INFO(xml.out);
    CHECK(xml.status == 0);
    CHECK(labtest::count_lines(r.out, "PROBLEM") == 0);

    CHECK(labtest::tshark_problems(cap) == "");
}

TEST_CASE("lab 05 hub and receive run as two programs, bad requests get an HTTP answer", "[lab][lab05]") {
    labtest::Server hub(labtest::lab(5) + " hub --port 0 --messages 0 --rate 50");
    // The hub prints its five ports in the table's order: tcp udp short long ws.
    std::map<std::string, int> ports;
    for (int i = 0; i < 40 && ports.size() < 5; ++i) {
        std::istringstream in(hub.output());
        for (std::string line; std::getline(in, line);) {
            auto at = line.find("listening on 127.0.0.1:");
            if (at == std::string::npos) continue;
            auto w = words(line.substr(at + 23));  // "35259 (tcp, raw TCP, ...)"
            ports[w[1].substr(1, w[1].size() - 2)] = std::stoi(w[0]);
        }
        if (ports.size() < 5) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    INFO(hub.output());
    REQUIRE(ports.size() == 5);

    for (const auto& kind : kKinds) {
        labtest::Run r = labtest::run(labtest::lab(5) + " receive --transport " + kind + " --port " +
                                          std::to_string(ports[kind]) + " --messages 5",
                                      20);
        INFO(kind << "\n" << r.out);
        CHECK(r.status == 0);
        // A push receiver gets what is published from when it joins; a poller's first answer
        // (since=0) brings what the hub published before, too.
        int got = labtest::count_lines(r.out, " from the hub");
        if (kind == "tcp" || kind == "udp" || kind == "ws") {
            CHECK(got == 5);
        } else {
            CHECK(got >= 5);
        }
    }

    auto ask = [&](const std::string& kind, const std::string& request) {
        int fd = labtest::connect_local(ports[kind]);
        REQUIRE(::send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size()));
        std::string answer = labtest::read_until_close(fd, 2000);
        ::close(fd);
        return answer;
    };
    CHECK(ask("short", "GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").rfind("HTTP/1.1 404", 0) == 0);
    CHECK(ask("short", "GET /messages?since=banana HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
              .rfind("HTTP/1.1 400", 0) == 0);
    CHECK(ask("long", "POST /messages HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi").rfind("HTTP/1.1 400", 0) == 0);
    CHECK(ask("short", "this is not HTTP\r\n\r\n").rfind("HTTP/1.1 4", 0) == 0);
    CHECK(ask("ws", "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: short\r\n\r\n")
              .rfind("HTTP/1.1 400", 0) == 0);
    CHECK(ask("ws", "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Version: 8\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
              .rfind("HTTP/1.1 426", 0) == 0);
    // A head over the limit (8 KiB) is refused, not buffered for ever.
    CHECK(ask("short", "GET /messages?since=0 HTTP/1.1\r\nX: " + std::string(9000, 'a') + "\r\n\r\n")
              .rfind("HTTP/1.1 431", 0) == 0);
    // An unmasked client frame after a good handshake: the hub closes with 1002 (RFC 6455 5.1).
    {
        int fd = labtest::connect_local(ports["ws"]);
        std::string hello = "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                            "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
        hello += std::string("\x89\x00", 2);  // Ping, not masked
        REQUIRE(::send(fd, hello.data(), hello.size(), 0) == static_cast<ssize_t>(hello.size()));
        std::string answer = labtest::read_until_close(fd, 2000);
        ::close(fd);
        CHECK(answer.rfind("HTTP/1.1 101", 0) == 0);
        CHECK(answer.find("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") != std::string::npos);  // RFC 6455 section 1.3's example
        std::size_t close = answer.find('\x88', answer.find("\r\n\r\n"));  // a Close frame after the head
        REQUIRE(close != std::string::npos);
        CHECK(answer.substr(close + 2, 2) == "\x03\xea");  // code 1002, protocol error
    }
    // Still serving after all that.
    labtest::Run again = labtest::run(labtest::lab(5) + " receive --transport long --port " +
                                          std::to_string(ports["long"]) + " --messages 2",
                                      20);
    INFO(again.out);
    CHECK(again.status == 0);
    CHECK(hub.stop() == 0);
}

TEST_CASE("lab 05 hub drops a receiver that stops reading, and the others go on", "[lab][lab05]") {
    // Small send buffers, so that a stalled receiver fills the hub's queue within seconds. The
    // queue still holds 2 s of messages: a good receiver descheduled on a busy machine for a
    // moment is not the one to drop.
    labtest::Server hub(labtest::lab(5) + " hub --port 0 --messages 0 --rate 500 --max-queued 1000 --sndbuf 4096");
    const int tcp_port = hub.port();  // the first port the hub prints is the length-prefixed TCP one
    // The stalled receiver: connects with a small receive buffer and never reads.
    int stalled = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(stalled >= 0);
    int small = 4096;
    REQUIRE(::setsockopt(stalled, SOL_SOCKET, SO_RCVBUF, &small, sizeof small) == 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(tcp_port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(stalled, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);

    labtest::Run good = labtest::run(labtest::lab(5) + " receive --transport tcp --port " + std::to_string(tcp_port) +
                                         " --messages 1500",
                                     30);
    INFO(good.out);
    CHECK(good.status == 0);
    CHECK(labtest::count_lines(good.out, " from the hub") == 1500);
    bool dropped = false;
    for (int i = 0; i < 200 && !dropped; ++i) {
        dropped = labtest::count_lines(hub.output(), "the receiver is not reading: dropping it") == 1;
        if (!dropped) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    INFO(hub.output());
    CHECK(dropped);
    ::close(stalled);
    CHECK(hub.stop() == 0);
}
