// Lab 04 against Boost.Beast, both ways (RFC 6455): Beast's client talks to the lab's echo
// server, and the lab's client talks to Beast's echo server. Beast is a WebSocket
// implementation that passes the Autobahn test suite, so each side is checked by a peer that
// was not written with it.
#include "lab_support.hpp"
#include "ws_conformance/server_process.hpp"

namespace {

std::string url(int port) { return "ws://127.0.0.1:" + std::to_string(port) + "/"; }

labtest::Run beast_client(int port, const std::string& args) {
    return labtest::run("'" + labtest::bin("wirelab-beast-client") + "' --url " + url(port) + " " + args, 30);
}

}  // namespace

TEST_CASE("Beast's client and Beast's echo server agree (the peers themselves work)", "[lab][lab04][beast]") {
    labtest::ServerProcess beast({labtest::bin("wirelab-beast-echo-server"), "--port", "0", "--log"});
    REQUIRE(beast.port() > 0);
    labtest::Run r = beast_client(beast.port(), "--send hello --size 70000");
    INFO(r.out << "\n--- server:\n" << beast.output());
    CHECK(r.status == 0);
    CHECK(r.out.find("received text \"hello\"") != std::string::npos);
    CHECK(r.out.find("received text of 70000 bytes, the same bytes") != std::string::npos);
    CHECK(r.out.find("server answered with code 1000") != std::string::npos);
}

TEST_CASE("Beast's client against lab 04's echo server", "[lab][lab04][beast]") {
    labtest::ServerProcess lab({labtest::lab(4), "echo-server", "--port", "0"});
    INFO(lab.output());
    REQUIRE(lab.port() > 0);

    SECTION("text messages, one of them UTF-8 beyond ASCII and one 70,000 bytes long (a 64-bit length)") {
        labtest::Run r = beast_client(lab.port(), "--send hello --send '\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5' "
                                                  "--size 70000");
        INFO(r.out << "\n--- lab server:\n" << lab.output());
        CHECK(r.status == 0);
        CHECK(r.out.find("received text \"hello\"") != std::string::npos);
        CHECK(r.out.find("received text \"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\"") != std::string::npos);
        CHECK(r.out.find("received text of 70000 bytes, the same bytes") != std::string::npos);
        CHECK(labtest::count_lines(r.out, "NOT what was sent") == 0);
        // The close handshake: Beast sent 1000 and the lab answered with 1000.
        CHECK(r.out.find("server answered with code 1000") != std::string::npos);
    }
    SECTION("binary messages of 126 bytes (a 16-bit length)") {
        labtest::Run r = beast_client(lab.port(), "--binary --size 126");
        INFO(r.out << "\n--- lab server:\n" << lab.output());
        CHECK(r.status == 0);
        CHECK(r.out.find("received binary \"") != std::string::npos);
        CHECK(labtest::count_lines(r.out, "NOT what was sent") == 0);
        CHECK(r.out.find("server answered with code 1000") != std::string::npos);
    }
    CHECK(lab.running());
}

TEST_CASE("lab 04's client against Beast's echo server", "[lab][lab04][beast]") {
    labtest::ServerProcess beast({labtest::bin("wirelab-beast-echo-server"), "--port", "0", "--log"});
    REQUIRE(beast.port() > 0);
    const std::string text = "interop-check-from-lab04";
    labtest::Run r =
        labtest::run("'" + labtest::lab(4) + "' client --url " + url(beast.port()) + " --wait 1 --send " + text, 30);
    // Let Beast print the close it read before we look at its log.
    for (int i = 0; i < 50 && beast.output().find("closed with code") == std::string::npos; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::string server = beast.output();
    INFO(r.out << "\n--- Beast server:\n" << server);
    CHECK(r.status == 0);
    // Beast read exactly the lab's message (so the lab masked it and framed it right) ...
    CHECK(server.find("echoing a text message of " + std::to_string(text.size()) + " bytes \"" + text + "\"") !=
          std::string::npos);
    // ... the lab's client read the echo back from Beast's unmasked frame ...
    CHECK(r.out.find("got a text message of " + std::to_string(text.size()) + " bytes: \"" + text + "\"") !=
          std::string::npos);
    CHECK(r.out.find("connection closed cleanly") != std::string::npos);
    // ... and closed with a close frame, not by dropping TCP.
    CHECK(server.find("the client closed with code 1000") != std::string::npos);
}
