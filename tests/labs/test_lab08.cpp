// Lab 08 as a student runs it: two chat nodes sharing broadcasts through a real redis-server
// (the demo starts its own on a free loopback port), official socket.io-client clients.
#include "lab_support.hpp"

#include <map>

TEST_CASE("lab 08 demo: across nodes, a client moved from A to B misses nothing, Redis restarts with AOF",
          "[lab][lab08]") {
    std::string dir = labtest::temp_dir("lab08");
    std::string cap = dir + "/lab08.pcapng";
    labtest::Run r = labtest::run(labtest::lab(8) + " demo --capture " + cap, 90);
    INFO(r.out);
    REQUIRE(r.status == 0);
    CHECK(labtest::count_lines(r.out, "ok - ") == 8);
    CHECK(labtest::count_lines(r.out, "not ok") == 0);
    CHECK(r.out.find("the mover got all 60 messages once each, in order") != std::string::npos);
    CHECK(r.out.find("(the append-only file kept them)") != std::string::npos);
    // The moved client's second connection went to node B: in the capture, the balancer's
    // port carries two WebSocket handshakes, and Socket.IO CONNECT replies for the same sid.
    auto sids = labtest::fields(cap, "socketio.sid", {"socketio.sid"});
    std::map<std::string, int> seen;
    for (const auto& row : sids) ++seen[row.at(0)];
    bool reused = false;
    for (const auto& [sid, n] : seen) reused |= n >= 2;
    CHECK(reused);
    CHECK(labtest::tshark_problems(cap) == "");
    std::filesystem::remove_all(dir);
}

TEST_CASE("lab 08 demo without persistence: the stream is gone after the restart, the chat goes on", "[lab][lab08]") {
    labtest::Run r = labtest::run(labtest::lab(8) + " demo --no-aof", 90);
    INFO(r.out);
    REQUIRE(r.status == 0);
    CHECK(r.out.find("the stream has 0 entries (no persistence") != std::string::npos);
    CHECK(labtest::count_lines(r.out, "not ok") == 0);
}

TEST_CASE("lab 08 without Redis: a clear message at once, not a hang", "[lab][lab08]") {
    auto start = std::chrono::steady_clock::now();
    labtest::Run r = labtest::run(labtest::lab(8) + " node --port 0 --redis 127.0.0.1:1", 10);
    CHECK(r.status == 1);
    CHECK(r.out.find("cannot reach Redis at 127.0.0.1:1") != std::string::npos);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
}
