// Lab 06 with the real peers: the official socket.io-client and engine.io-client (Node.js),
// three pages in headless Chromium, and hand-written bad requests; the demo's capture read
// back with `wirelab dump` and tshark.
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>

#include "lab_support.hpp"

namespace {

const std::string kRepo = WIRELAB_REPO_DIR;
const std::string kModules = kRepo + "/tests/peers/node_modules";

std::string node(const std::string& script, int port, const std::string& mode = {}) {
    return "node '" + kRepo + "/tests/labs/peers/" + script + "' '" + kModules + "' " + std::to_string(port) +
           (mode.empty() ? "" : " " + mode);
}

// Starts the server with `server_args`, runs the JavaScript suite in `mode` against it, and
// checks that exactly `cases` cases ran and all passed.
void run_suite(const std::string& server_args, const std::string& mode, int cases) {
    labtest::Server server(labtest::lab(6) + " server --port 0" + server_args);
    labtest::Run r = labtest::run(node("sio_suite.js", server.port(), mode), 90);
    INFO(r.out);
    CHECK(r.status == 0);
    CHECK(labtest::count_lines(r.out, "ok - ") == cases);
    CHECK(labtest::count_lines(r.out, "not ok") == 0);
}

// Sends one raw HTTP request and returns everything the server answered.
std::string raw_request(int port, const std::string& request) {
    int fd = labtest::connect_local(port);
    REQUIRE(::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size()));
    std::string reply = labtest::read_until_close(fd, 2000);
    ::close(fd);
    return reply;
}

}  // namespace

TEST_CASE("lab 06 demo: three official clients chat over polling, WebSocket and the upgrade", "[lab][lab06]") {
    std::string dir = labtest::temp_dir("lab06");
    std::string cap = dir + "/lab06.pcapng";
    labtest::Run r = labtest::run(labtest::lab(6) + " demo --capture " + cap, 60);
    INFO(r.out);
    REQUIRE(r.status == 0);
    CHECK(labtest::count_lines(r.out, "received 3 chat messages, every one exactly once") == 3);
    CHECK(labtest::count_lines(r.out, "upgraded to websocket") >= 1);

    // In the capture, decoded as Socket.IO: each of the three emits once from its sender (with
    // an ack id) and once to each of the three clients.
    int server_port = 0;
    for (const auto& row : labtest::fields(cap, "tcp.flags.syn == 1 && tcp.flags.ack == 0", {"tcp.dstport"}))
        server_port = std::stoi(row.at(0));
    REQUIRE(server_port > 0);
    // (One TCP segment may carry several WebSocket frames or a polling body several packets:
    // each field then lists every value, comma-separated.)
    auto count = [](const std::string& list, const std::string& value) {
        int n = 0;
        for (std::size_t at = list.find(value); at != std::string::npos; at = list.find(value, at + value.size())) ++n;
        return n;
    };
    int from_clients = 0, to_clients = 0, acks = 0;
    for (const auto& row : labtest::fields(cap, "socketio", {"tcp.srcport", "socketio.event", "socketio.packet_type"})) {
        bool from_server = std::stoi(row.at(0)) == server_port;
        (from_server ? to_clients : from_clients) += count(row.at(1), "chat message");
        if (from_server) acks += count("," + row.at(2) + ",", ",3,");
    }
    CHECK(from_clients == 3);
    CHECK(to_clients == 9);
    CHECK(acks == 3);  // "delivered", once to each sender
    // The upgrade dance is there: the probe ping and the UPGRADE packet (type 5).
    CHECK(!labtest::fields(cap, "engineio.packet_type == 5", {"frame.number"}).empty());
    CHECK(!labtest::fields(cap, "engineio.data == \"probe\"", {"frame.number"}).empty());
    CHECK(labtest::tshark_problems(cap) == "");
    std::filesystem::remove_all(dir);
}

TEST_CASE("lab 06 --test-mode socketio with socket.io-client: transports, auth, binary, acks, namespaces, ping timeout",
          "[lab][lab06]") {
    run_suite(" --test-mode socketio --ping-interval 300 --ping-timeout 200", "socketio", 13);
}

TEST_CASE("lab 06 chat with socket.io-client: broadcast to all with the sender, rooms, typing", "[lab][lab06]") {
    run_suite("", "chat", 3);
}

TEST_CASE("lab 06 --test-mode engineio with engine.io-client: echo on every transport, maxPayload", "[lab][lab06]") {
    run_suite(" --test-mode engineio --max-payload 1000", "engineio", 4);
}

TEST_CASE("lab 06 chat page in headless Chromium: two pages on WebSocket and one on polling chat together",
          "[lab][lab06][browser]") {
    labtest::Server server(labtest::lab(6) + " server --port 0");
    labtest::Run r = labtest::run(node("chat_browser.js", server.port()), 90);
    INFO(r.out);
    CHECK(r.status == 0);
    CHECK(labtest::count_lines(r.out, "ok - ") == 4);
    CHECK(r.out.find("ravi over polling") != std::string::npos);
    CHECK(labtest::count_lines(r.out, "over websocket") == 2);
}

TEST_CASE("lab 06 answers bad Engine.IO requests the way the reference server does", "[lab][lab06]") {
    labtest::Server server(labtest::lab(6) + " server --port 0");
    int port = server.port();
    auto get = [&](const std::string& target, const std::string& extra = {}) {
        return raw_request(port, "GET " + target + " HTTP/1.1\r\nHost: x\r\n" + extra + "Connection: close\r\n\r\n");
    };
    CHECK(get("/socket.io/?EIO=3&transport=polling").find("{\"code\":5,") != std::string::npos);
    CHECK(get("/socket.io/?EIO=4&transport=carrier").find("{\"code\":0,") != std::string::npos);
    CHECK(get("/socket.io/?EIO=4&transport=polling&sid=nope").find("{\"code\":1,") != std::string::npos);
    // A handshake: 200 with the OPEN packet, and CORS headers for a page from another origin.
    std::string open = get("/socket.io/?EIO=4&transport=polling", "Origin: http://class.example\r\n");
    CHECK(open.rfind("HTTP/1.1 200", 0) == 0);
    CHECK(open.find("Access-Control-Allow-Origin: http://class.example") != std::string::npos);
    CHECK(open.find("0{\"sid\":\"") != std::string::npos);
    CHECK(open.find("\"upgrades\":[\"websocket\"]") != std::string::npos);
    // Oversized head, oversized body, garbage.
    CHECK(get("/socket.io/?EIO=4&transport=polling", "X-Big: " + std::string(20000, 'a') + "\r\n").find("HTTP/1.1 431") == 0);
    std::string post = "POST /socket.io/?EIO=4&transport=polling&sid=x HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n";
    CHECK(raw_request(port, post).find("HTTP/1.1 413") == 0);
    CHECK(raw_request(port, "\x16\x03\x01 hello\r\n\r\n").find("HTTP/1.1 400") == 0);
    // Still serving: a good handshake after all that.
    CHECK(get("/socket.io/?EIO=4&transport=polling").rfind("HTTP/1.1 200", 0) == 0);
}

TEST_CASE("lab 06 serves files only from its web folder", "[lab][lab06]") {
    std::string dir = labtest::temp_dir("lab06web");
    std::filesystem::create_directory(dir + "/web");
    std::ofstream(dir + "/web/index.html") << "<p>chat</p>";
    std::ofstream(dir + "/secret.txt") << "SECRET-OUTSIDE";
    std::filesystem::create_symlink(dir + "/secret.txt", dir + "/web/link.txt");
    labtest::Server server(labtest::lab(6) + " server --port 0 --web " + dir + "/web");
    auto get = [&](const std::string& target) {
        return raw_request(server.port(), "GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    };
    CHECK(get("/").find("<p>chat</p>") != std::string::npos);
    // HEAD: the same headers, no body.
    std::string head = raw_request(server.port(), "HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    CHECK(head.rfind("HTTP/1.1 200", 0) == 0);
    CHECK(head.find("Content-Length: 11\r\n") != std::string::npos);
    CHECK(head.find("<p>chat</p>") == std::string::npos);
    for (const char* bad : {"/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E%2Fsecret.txt", "/link.txt",
                            "/..%2f..%2f..%2fetc%2fpasswd", "//etc/passwd", "/web/../../secret.txt"}) {
        INFO(bad);
        std::string reply = get(bad);
        CHECK(reply.find("SECRET-OUTSIDE") == std::string::npos);
        CHECK(reply.find("root:") == std::string::npos);
        bool refused = reply.rfind("HTTP/1.1 403", 0) == 0 || reply.rfind("HTTP/1.1 404", 0) == 0 ||
                       reply.rfind("HTTP/1.1 400", 0) == 0;
        CHECK(refused);
    }
    // The client bundle comes from the npm package.
    CHECK(get("/socket.io/socket.io.js").find("HTTP/1.1 200") == 0);
    std::filesystem::remove_all(dir);
}

TEST_CASE("lab 06 --recovery: a cut socket.io-client comes back with recovered === true and every missed broadcast",
          "[lab][lab06]") {
    run_suite(" --recovery", "recovery", 2);
}

TEST_CASE("lab 06 without recovery: the cut client loses exactly the broadcasts sent while it was away",
          "[lab][lab06]") {
    run_suite("", "no-recovery", 2);
}
