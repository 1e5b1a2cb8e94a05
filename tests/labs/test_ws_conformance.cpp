// Lab 04's echo server against the WebSocket conformance driver (cases modelled on the Autobahn
// test suite: categories 1-7, 9 at reduced sizes, 10, and the 16 MiB message limit). The same
// driver first runs against Boost.Beast's echo server, which passes Autobahn: if Beast failed
// a case, the case would be wrong, not the lab.
#include <cstdio>
#include <regex>

#include "lab_support.hpp"
#include "ws_conformance/server_process.hpp"

namespace {

struct Tally {
    int ok = -1, total = -1;
};

// The driver's last line: `N / M cases OK (...)`.
Tally tally(const std::string& out) {
    static const std::regex kLine("([0-9]+) / ([0-9]+) cases OK");
    Tally t;
    std::smatch m;
    if (std::regex_search(out, m, kLine)) {
        t.ok = std::stoi(m[1].str());
        t.total = std::stoi(m[2].str());
    }
    return t;
}

// Runs every case against the server on `port` and prints the driver's tally line
// (`N / M cases OK`) into the test's output, as the issue asks.
labtest::Run run_driver(const char* server, int port) {
    labtest::Run r = labtest::run("'" + labtest::bin("wirelab-ws-conformance") + "' --host 127.0.0.1 --port " +
                                      std::to_string(port) + " --reduced",
                                  60);
    std::smatch m;
    static const std::regex kLine("[0-9]+ / [0-9]+ cases OK[^\n]*");
    std::printf("WebSocket conformance, %s: %s\n", server,
                std::regex_search(r.out, m, kLine) ? m[0].str().c_str() : "no tally line");
    return r;
}

// Every case the driver knows (so a filter or an empty table cannot pass by accident).
int case_count() {
    labtest::Run r = labtest::run("'" + labtest::bin("wirelab-ws-conformance") + "' --list --reduced");
    REQUIRE(r.status == 0);
    return labtest::count_lines(r.out, " ");
}

}  // namespace

TEST_CASE("the conformance driver passes Boost.Beast's echo server on every case", "[lab][lab04][ws_conformance]") {
    labtest::ServerProcess beast({labtest::bin("wirelab-beast-echo-server"), "--port", "0", "--quiet"});
    INFO(beast.output());
    REQUIRE(beast.port() > 0);
    labtest::Run r = run_driver("Boost.Beast echo server", beast.port());
    INFO(r.out);
    Tally t = tally(r.out);
    int cases = case_count();
    CHECK(cases > 280);  // categories 1-7, 9 (reduced), 10 and the limits
    CHECK(t.total == cases);
    CHECK(t.ok == t.total);
    CHECK(labtest::count_lines(r.out, "FAIL ") == 0);
    CHECK(r.status == 0);
    CHECK(beast.running());
}

TEST_CASE("the conformance driver names the cases a server fails", "[lab][lab04][ws_conformance]") {
    // Beast with a 64 KiB limit: the driver must report the larger messages as failures, by
    // case, with the close code it got (its verdicts can go both ways).
    labtest::ServerProcess beast(
        {labtest::bin("wirelab-beast-echo-server"), "--port", "0", "--quiet", "--max-message", "65536"});
    REQUIRE(beast.port() > 0);
    labtest::Run r = labtest::run("'" + labtest::bin("wirelab-ws-conformance") + "' --port " +
                                  std::to_string(beast.port()) + " --reduced --cases '1.1.*,9.1.*'");
    INFO(r.out);
    CHECK(r.status == 1);
    CHECK(labtest::count_lines(r.out, "FAIL ") == 2);  // 9.1.2 (256 KiB) and 9.1.3 (1 MiB)
    CHECK(r.out.find("FAIL 9.1.2") != std::string::npos);
    CHECK(r.out.find("got close 1009") != std::string::npos);
    Tally t = tally(r.out);
    CHECK(t.total == 11);
    CHECK(t.ok == 9);
}

TEST_CASE("lab 04's echo server passes every conformance case", "[lab][lab04][ws_conformance]") {
    labtest::ServerProcess lab({labtest::lab(4), "echo-server", "--port", "0", "--quiet"});
    INFO(lab.output());
    REQUIRE(lab.port() > 0);
    labtest::Run r = run_driver("lab 04 echo-server", lab.port());
    INFO(r.out);  // one line per failing case
    Tally t = tally(r.out);
    CHECK(t.total == case_count());
    CHECK(t.ok == t.total);
    CHECK(labtest::count_lines(r.out, "FAIL ") == 0);
    CHECK(r.status == 0);
    // Every bad frame above was answered with a close, never a crash: the server still runs.
    CHECK(lab.running());
}
