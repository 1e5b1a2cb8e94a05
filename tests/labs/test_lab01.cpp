// Lab 01 as a student runs it: the demo with --capture, then the capture read back with
// `wirelab dump` and tshark; the server fed bad input by hand.
#include <sys/socket.h>
#include <unistd.h>

#include "lab_support.hpp"

namespace {

struct Segment {
    int src = 0, dst = 0, len = 0;
    long seq = 0;
    bool syn = false, ack = false, fin = false, rst = false;
};

std::vector<Segment> segments(const std::string& capture) {
    std::vector<Segment> out;
    for (const auto& row : labtest::fields(capture, "tcp", {"tcp.srcport", "tcp.dstport", "tcp.len", "tcp.flags.syn",
                                                            "tcp.flags.ack", "tcp.flags.fin", "tcp.flags.reset",
                                                            "tcp.seq"})) {
        REQUIRE(row.size() == 8);
        Segment s;
        s.src = std::stoi(row[0]);
        s.dst = std::stoi(row[1]);
        s.len = std::stoi(row[2]);
        s.syn = row[3] == "1" || row[3] == "True";
        s.ack = row[4] == "1" || row[4] == "True";
        s.fin = row[5] == "1" || row[5] == "True";
        s.rst = row[6] == "1" || row[6] == "True";
        s.seq = std::stol(row[7]);
        out.push_back(s);
    }
    return out;
}

// Runs the demo and checks everything its last line promises about the capture.
void check_demo(const std::string& api, const std::string& framing, const std::vector<int>& round1,
                int round2) {
    std::string dir = labtest::temp_dir("lab01");
    std::string cap = dir + "/lab01.pcapng";
    labtest::Run r = labtest::run(labtest::lab(1) + " demo --api " + api + " --framing " + framing + " --capture " + cap);
    INFO(r.out);
    REQUIRE(r.status == 0);
    // The server's first read holds all three writes of round 1.
    int round1_bytes = round1[0] + round1[1] + round1[2];
    CHECK(labtest::count_lines(r.out, "= " + std::to_string(round1_bytes) + " bytes from") +
              labtest::count_lines(r.out, "read " + std::to_string(round1_bytes) + " bytes from") >= 1);

    auto segs = segments(cap);
    REQUIRE(segs.size() >= 12);
    // The three-way handshake opens the capture.
    const int server = segs[0].dst, client = segs[0].src;
    CHECK((segs[0].syn && !segs[0].ack));
    CHECK((segs[1].syn && segs[1].ack && segs[1].src == server));
    CHECK((segs[2].ack && !segs[2].syn && segs[2].src == client && segs[2].len == 0));

    // Client data: round 1 as three segments (TCP_NODELAY), round 2 as one (TCP_CORK).
    std::vector<int> sent;
    long next_seq = 0;
    std::size_t client_fin = 0, server_fin = 0, last_server_data = 0;
    for (std::size_t i = 0; i < segs.size(); ++i) {
        const Segment& s = segs[i];
        // New data only: a busy machine can make TCP send a segment again (a tail loss probe
        // when the ACK is late), which carries bytes already counted.
        if (s.src == client && s.dst == server && s.len > 0 && s.seq >= next_seq) {
            sent.push_back(s.len);
            next_seq = s.seq + s.len;
        }
        if (s.src == client && s.dst == server && s.fin) client_fin = i + 1;
        if (s.src == server && s.dst == client && s.fin) server_fin = i + 1;
        if (s.src == server && s.dst == client && s.len > 0) last_server_data = i + 1;
    }
    std::vector<int> expected = round1;
    expected.push_back(round2);
    CHECK(sent == expected);
    // Half-close: the client's FIN comes first, the server still sends data after it, then its FIN.
    REQUIRE(client_fin > 0);
    REQUIRE(server_fin > 0);
    CHECK(client_fin < last_server_data);
    CHECK(last_server_data < server_fin);

    // The closed port: a SYN answered by RST+ACK, nothing else.
    bool refused = false;
    for (std::size_t i = 1; i < segs.size(); ++i)
        if (segs[i - 1].syn && !segs[i - 1].ack && segs[i - 1].dst != server && segs[i].rst && segs[i].ack &&
            segs[i].src == segs[i - 1].dst)
            refused = true;
    CHECK(refused);
    CHECK(labtest::tshark_problems(cap) == "");
    std::filesystem::remove_all(dir);
}

}  // namespace

TEST_CASE("lab 01 POSIX demo: three writes, one read, the handshake, half-close, FIN and RST on the wire",
          "[lab][lab01]") {
    check_demo("posix", "newline", {4, 4, 6}, 14);
}

TEST_CASE("lab 01 Boost.Asio demo shows the same stream on the wire", "[lab][lab01]") {
    check_demo("asio", "newline", {4, 4, 6}, 14);
}

TEST_CASE("lab 01 length-prefix framing: 4 length bytes before each message", "[lab][lab01]") {
    check_demo("posix", "length", {7, 7, 9}, 8 + 8 + 7);
}

TEST_CASE("lab 01 server refuses an over-long message and keeps serving", "[lab][lab01]") {
    for (const char* api : {"posix", "asio"}) {
        INFO(api);
        labtest::Server server(labtest::lab(1) + " server --port 0 --max-message 16 --api " + api);
        int fd = labtest::connect_local(server.port());
        std::string junk(40, 'x');
        REQUIRE(::send(fd, junk.data(), junk.size(), 0) == 40);
        std::string reply = labtest::read_until_close(fd);
        ::close(fd);
        CHECK(reply.find("error: message longer than 16 bytes") != std::string::npos);

        fd = labtest::connect_local(server.port());
        REQUIRE(::send(fd, "ping\n", 5, 0) == 5);
        ::shutdown(fd, SHUT_WR);
        reply = labtest::read_until_close(fd);
        ::close(fd);
        CHECK(reply == "ping\nbye: you sent 1 messages, 4 bytes\n");
        CHECK(server.stop() == 0);
    }
}

TEST_CASE("lab 01 server turns away clients over --max-connections", "[lab][lab01]") {
    for (const char* api : {"posix", "asio"}) {
        INFO(api);
        labtest::Server server(labtest::lab(1) + " server --port 0 --max-connections 1 --api " + api);
        int first = labtest::connect_local(server.port());
        REQUIRE(::send(first, "hello\n", 6, 0) == 6);
        char buf[16];
        REQUIRE(::recv(first, buf, sizeof buf, 0) == 6);  // served: its echo came back
        int second = labtest::connect_local(server.port());
        std::string reply = labtest::read_until_close(second);
        CHECK(reply == "error: server full (1 connections)\n");
        ::close(second);
        ::close(first);
    }
}

TEST_CASE("lab 01 rejects bad options with usage and an example", "[lab][lab01]") {
    labtest::Run r = labtest::run(labtest::lab(1) + " demo --framing carrier-pigeon");
    CHECK(r.status == 2);
    CHECK(r.out.find("--framing must be none, newline or length") != std::string::npos);
    r = labtest::run(labtest::lab(1) + " --help");
    CHECK(r.status == 0);
    CHECK(r.out.find("Example:") != std::string::npos);
    r = labtest::run(labtest::lab(1) + " sideways");
    CHECK(r.status == 2);
    CHECK(r.out.find("unknown mode 'sideways'") != std::string::npos);
}
