// Lab 07 as a student runs it: the missed-events demo with each fix, and the chaos run (50
// official socket.io-client clients, transports cut at random during 5,000 broadcasts).
#include "lab_support.hpp"

#include <regex>

namespace {

// The numbers on the report's "total:" line.
struct Totals {
    long cuts = -1, lost = -1, away = -1, duplicates = -1, reorders = -1;
};

Totals totals(const std::string& out) {
    std::smatch m;
    static const std::regex re(R"(total: (\d+) cuts, (\d+) ticks lost, (\d+) broadcast while a client was away, (\d+) duplicates, (\d+) out of order)");
    Totals t;
    if (std::regex_search(out, m, re)) {
        t.cuts = std::stol(m[1]);
        t.lost = std::stol(m[2]);
        t.away = std::stol(m[3]);
        t.duplicates = std::stol(m[4]);
        t.reorders = std::stol(m[5]);
    }
    return t;
}

// Runs `wirelab lab 7 chaos ARGS`: it must finish with exit code 0; its output for checks.
std::string chaos(const std::string& args, Totals& t) {
    labtest::Run r = labtest::run(labtest::lab(7) + " chaos " + args, 120);
    INFO(r.out.substr(r.out.size() > 4000 ? r.out.size() - 4000 : 0));
    REQUIRE(r.status == 0);
    t = totals(r.out);
    return r.out;
}

}  // namespace

TEST_CASE("lab 07 demo without a fix: the cut client misses exactly the ticks sent while it was away", "[lab][lab07]") {
    labtest::Run r = labtest::run(labtest::lab(7) + " demo --fix none", 60);
    INFO(r.out);
    REQUIRE(r.status == 0);
    Totals t = totals(r.out);
    CHECK(t.cuts == 1);
    CHECK(t.lost > 0);
    CHECK(t.lost >= t.away);
    CHECK(r.out.find("never got ") != std::string::npos);
    CHECK(r.out.find("a new socket: what it missed is gone") != std::string::npos);
    CHECK(r.out.find("add up to 40 ticks for every client: yes") != std::string::npos);
}

TEST_CASE("lab 07 demo with connection state recovery: the same cut, nothing missed, the capture shows the offsets",
          "[lab][lab07]") {
    std::string dir = labtest::temp_dir("lab07");
    std::string cap = dir + "/lab07.pcapng";
    labtest::Run r = labtest::run(labtest::lab(7) + " demo --fix recovery --capture " + cap, 60);
    INFO(r.out);
    REQUIRE(r.status == 0);
    Totals t = totals(r.out);
    CHECK(t.cuts == 1);
    CHECK(t.away > 0);
    CHECK(t.lost == 0);
    CHECK(t.duplicates == 0);
    CHECK(r.out.find("missed ticks replayed") != std::string::npos);
    // Every broadcast tick carries its offset as a second argument, a string. (A polling
    // response or a replay can hold several ticks: their values come comma-separated.)
    auto ticks = labtest::fields(cap, "socketio.event == \"tick\"", {"socketio.event", "socketio.args"});
    REQUIRE(!ticks.empty());
    int checked = 0;
    for (const auto& row : ticks) {
        if (!std::regex_match(row.at(0), std::regex("tick(,tick)*"))) continue;  // mixed with other events
        CHECK(std::regex_match(row.at(1), std::regex(R"(\d+,"\d+"(,\d+,"\d+")*)")));
        ++checked;
    }
    CHECK(checked > 0);
    // The CONNECT replies carry a pid next to the socket id.
    CHECK(!labtest::fields(cap, "socketio.data contains \"pid\"", {"frame.number"}).empty());
    CHECK(labtest::tshark_problems(cap) == "");
    std::filesystem::remove_all(dir);
}

TEST_CASE("lab 07 chaos without recovery: 50 clients cut at random during 5,000 broadcasts, the loss is counted",
          "[lab][lab07][chaos]") {
    Totals t;
    std::string out = chaos("--fix none", t);
    CHECK(t.cuts > 50);
    CHECK(t.lost > 0);
    CHECK(t.lost >= t.away);
    CHECK(out.find("add up to 5000 ticks for every client: yes") != std::string::npos);
}

TEST_CASE("lab 07 chaos with recovery: nothing lost, nothing duplicated, order kept", "[lab][lab07][chaos]") {
    Totals t;
    std::string out = chaos("--fix recovery", t);
    CHECK(t.cuts > 50);
    CHECK(t.away > 0);
    CHECK(t.lost == 0);
    CHECK(t.duplicates == 0);
    CHECK(t.reorders == 0);
    CHECK(out.find("nothing lost, nothing duplicated, order kept") != std::string::npos);
}

TEST_CASE("lab 07 chaos with acks and retry: nothing lost, duplicates dropped by the clients", "[lab][lab07][chaos]") {
    Totals t;
    std::string out = chaos("--fix ack --clients 20 --ticks 1000 --rate 500", t);
    CHECK(t.cuts > 10);
    CHECK(t.lost == 0);
    CHECK(out.find("acks and retry: nothing lost") != std::string::npos);
}
