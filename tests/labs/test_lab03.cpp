// Lab 03 as a student runs it: the demo with --capture, its capture read back with `wirelab
// dump` (and tshark) to check what the README promises about short and long polling; then the
// server alone, fed bad requests over raw loopback sockets.
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "lab_support.hpp"

namespace {

// One HTTP message in the capture.
struct HttpRow {
    long frame = 0;
    double time = 0;  // frame.time_epoch, seconds
    std::string stream, method, uri;
    int code = 0;
    long request_in = 0;  // for a response: the frame of its request
};

std::vector<HttpRow> http_rows(const std::string& capture) {
    std::vector<HttpRow> out;
    for (const auto& row : labtest::fields(capture, "http", {"frame.number", "frame.time_epoch", "tcp.stream",
                                                             "http.request.method", "http.request.uri",
                                                             "http.response.code", "http.request_in"})) {
        REQUIRE(row.size() == 7);
        HttpRow h;
        h.frame = std::stol(row[0]);
        h.time = std::stod(row[1]);
        h.stream = row[2];
        h.method = row[3];
        h.uri = row[4];
        h.code = row[5].empty() ? 0 : std::stoi(row[5]);
        h.request_in = row[6].empty() ? 0 : std::stol(row[6]);
        out.push_back(h);
    }
    return out;
}

// A row of the demo's table: "  short-poll  5  149.7  249.8  18  13  1  1872 ..." split on blanks.
std::vector<std::string> table_row(const std::string& out, const std::string& name) {
    std::istringstream in(out);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream words(line);
        std::vector<std::string> w;
        std::string word;
        while (words >> word) w.push_back(word);
        if (w.size() == 11 && w[0] == name) return w;
    }
    FAIL("no table row " << name);
    return {};
}

int listening_port(const std::string& out) {
    const std::string key = "listening on 127.0.0.1:";
    std::size_t at = out.find(key);
    REQUIRE(at != std::string::npos);
    return std::stoi(out.substr(at + key.size()));
}

bool is_long_poll(const std::string& uri) { return uri.find("wait=") != std::string::npos; }

}  // namespace

TEST_CASE("lab 03 demo: long polls are held until a message arrives, short polls mostly come back empty",
          "[lab][lab03]") {
    std::string dir = labtest::temp_dir("lab03");
    std::string cap = dir + "/lab03.pcapng";
    // The demo's defaults: 5 messages every 800 ms, a short poll every 250 ms, long polls of 10 s.
    labtest::Run r = labtest::run(labtest::lab(3) + " demo --port 0 --capture " + cap, 40);
    INFO(r.out);
    REQUIRE(r.status == 0);
    const int port = listening_port(r.out);
    auto short_row = table_row(r.out, "short-poll");
    auto long_row = table_row(r.out, "long-poll");
    auto sender_row = table_row(r.out, "sender");
    // Columns: client messages p50 max requests empty conns req-head resp-head payload head/msg.
    CHECK(short_row[1] == "5");
    CHECK(long_row[1] == "5");
    CHECK(sender_row[1] == "5");

    std::vector<HttpRow> rows = http_rows(cap);
    std::map<long, HttpRow> by_frame;
    for (const HttpRow& h : rows) by_frame[h.frame] = h;
    std::vector<HttpRow> short_requests, long_requests, posts, short_answers, long_answers;
    for (const HttpRow& h : rows) {
        if (h.method == "GET") (is_long_poll(h.uri) ? long_requests : short_requests).push_back(h);
        if (h.method == "POST") posts.push_back(h);
        if (h.code != 0) {
            REQUIRE(by_frame.count(h.request_in) == 1);
            const HttpRow& req = by_frame[h.request_in];
            CHECK(req.stream == h.stream);  // an answer comes back on its request's connection
            if (req.method == "GET") (is_long_poll(req.uri) ? long_answers : short_answers).push_back(h);
        }
    }

    {  // the demo's counts are the capture's counts
        CHECK(std::to_string(short_requests.size()) == short_row[4]);
        CHECK(std::to_string(long_requests.size()) == long_row[4]);
        CHECK(std::to_string(posts.size()) == sender_row[4]);
        long empty_short = std::count_if(short_answers.begin(), short_answers.end(),
                                         [](const HttpRow& h) { return h.code == 204; });
        CHECK(std::to_string(empty_short) == short_row[5]);
        // Every request got its answer.
        CHECK(short_answers.size() == short_requests.size());
        CHECK(long_answers.size() == long_requests.size());
    }

    {  // keep-alive: one TCP connection per client, however many requests
        std::set<std::string> streams;
        for (const HttpRow& h : rows) streams.insert(h.stream);
        CHECK(streams.size() == 3);
        CHECK(short_row[6] == "1");
        CHECK(long_row[6] == "1");
        CHECK(sender_row[6] == "1");
        CHECK(rows.size() >= 2 * (short_requests.size() + long_requests.size() + posts.size()));
    }

    {  // short polls go out on the interval, are answered at once, and most bring nothing
        REQUIRE(short_requests.size() >= 10);
        std::vector<double> gaps;
        for (std::size_t i = 1; i < short_requests.size(); ++i)
            gaps.push_back(short_requests[i].time - short_requests[i - 1].time);
        std::sort(gaps.begin(), gaps.end());
        double median = gaps[gaps.size() / 2];
        CHECK(median > 0.2);
        CHECK(median < 0.32);
        int empty = 0;
        for (const HttpRow& a : short_answers) {
            CHECK(a.time - by_frame[a.request_in].time < 0.1);
            CHECK((a.code == 204 || a.code == 200));
            empty += a.code == 204;
        }
        CHECK(empty * 2 > static_cast<int>(short_answers.size()));
    }

    {  // each long poll is held at the server until a POST, then answered within moments of it
        REQUIRE(posts.size() == 5);
        REQUIRE(long_answers.size() >= 5);
        int delivered = 0;
        double longest_hold = 0;
        for (const HttpRow& a : long_answers) {
            if (a.code != 200) continue;
            ++delivered;
            const HttpRow& req = by_frame[a.request_in];
            // The latest POST before the answer, and how long the request was held.
            const HttpRow* post = nullptr;
            for (const HttpRow& p : posts)
                if (p.frame < a.frame) post = &p;
            REQUIRE(post != nullptr);
            CHECK(a.time - post->time < 0.1);
            CHECK(post->time > req.time);  // the request was waiting before the message existed
            CHECK(a.time - req.time > 0.3);
            longest_hold = std::max(longest_hold, a.time - req.time);
        }
        CHECK(delivered == 5);
        CHECK(longest_hold > 0.7);
        // And the latency the demo printed agrees: long polling delivers in milliseconds,
        // short polling takes on the order of the interval.
        CHECK(std::stod(long_row[3]) < 50);
        CHECK(std::stod(short_row[2]) > std::stod(long_row[2]));
    }

    {  // tshark reads the same requests and finds nothing malformed
        CHECK(labtest::tshark_problems(cap) == "");
        // tshark dissects HTTP by port; tell it which one the demo used.
        labtest::Run t = labtest::run("tshark -n -r '" + cap + "' -d tcp.port==" + std::to_string(port) +
                                      ",http -Y http.request -T fields -e http.request.method");
        REQUIRE(t.status == 0);
        CHECK(labtest::count_lines(t.out, "GET") == static_cast<int>(short_requests.size() + long_requests.size()));
        CHECK(labtest::count_lines(t.out, "POST") == static_cast<int>(posts.size()));
    }
}

namespace {

int connect_to(int port) {
    int fd = labtest::connect_local(port);
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

// Reads until the server closes the connection; `closed` says whether it did (or the 5 s
// receive timeout ran out first).
std::string read_all(int fd, bool& closed) {
    std::string got;
    char buf[4096];
    closed = false;
    while (true) {
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n == 0) closed = true;
        if (n <= 0) break;
        got.append(buf, static_cast<std::size_t>(n));
    }
    return got;
}

// Sends `bytes` on a new connection and returns everything the server answers before closing.
// With `half_close` the client then says it has nothing more to send (FIN), so the server
// need not wait for the rest of a cut-off request.
std::string send_raw(int port, const std::string& bytes, bool& closed, bool half_close = false) {
    int fd = connect_to(port);
    ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (half_close) ::shutdown(fd, SHUT_WR);
    std::string got = read_all(fd, closed);
    ::close(fd);
    return got;
}

std::string status_line(const std::string& response) { return response.substr(0, response.find("\r\n")); }

}  // namespace

TEST_CASE("lab 03 server: bad requests are answered 400, 413, 431, 404, 405, 503 and the server carries on",
          "[lab][lab03]") {
    labtest::Server server(labtest::lab(3) +
                           " server --port 0 --max-head 1024 --max-body 64 --idle-s 2 --max-connections 3");
    const int port = server.port();
    bool closed = false;

    // A header section past --max-head: 431, then the server closes.
    std::string big = "GET /messages?since=0 HTTP/1.1\r\nHost: x\r\nX-Padding: " + std::string(2000, 'a') + "\r\n\r\n";
    std::string got = send_raw(port, big, closed);
    CHECK(status_line(got) == "HTTP/1.1 431 Request Header Fields Too Large");
    CHECK(closed);
    // A body past --max-body, refused from its Content-Length before it is sent.
    got = send_raw(port, "POST /messages HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n", closed);
    CHECK(status_line(got) == "HTTP/1.1 413 Content Too Large");
    CHECK(closed);
    // Not HTTP at all (a TLS ClientHello's first bytes, then text).
    got = send_raw(port, std::string("\x16\x03\x01\x02\x05 hello there\r\n\r\n"), closed);
    CHECK(status_line(got) == "HTTP/1.1 400 Bad Request");
    CHECK(closed);
    got = send_raw(port, "GET /messages?since=0 HTTP/1.1\r\nno colon here\r\n\r\n", closed);
    CHECK(status_line(got) == "HTTP/1.1 400 Bad Request");
    got = send_raw(port, "POST /messages HTTP/1.1\r\nHost: x\r\nContent-Length: 12abc\r\n\r\n", closed);
    CHECK(status_line(got) == "HTTP/1.1 400 Bad Request");
    // Well-formed requests the server will not serve keep the connection usable; these ask
    // it to close so that read_all ends.
    got = send_raw(port, "GET /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", closed);
    CHECK(status_line(got) == "HTTP/1.1 404 Not Found");
    got = send_raw(port, "DELETE /messages HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", closed);
    CHECK(status_line(got) == "HTTP/1.1 405 Method Not Allowed");
    CHECK(got.find("Allow: GET, POST\r\n") != std::string::npos);
    got = send_raw(port, "GET /messages?since=x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", closed);
    CHECK(status_line(got) == "HTTP/1.1 400 Bad Request");
    got = send_raw(port, "GET /messages?since=0 HTTP/1.1\r\nConnection: close\r\n\r\n", closed);
    CHECK(status_line(got) == "HTTP/1.1 400 Bad Request");  // no Host
    got = send_raw(port, "POST /messages HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
                   closed);
    CHECK(status_line(got) == "HTTP/1.1 411 Length Required");

    // Random bytes, and every cut of a good request followed by a close: no crash.
    std::mt19937 rng(3);
    for (int i = 0; i < 40; ++i) {
        std::string junk(static_cast<std::size_t>(rng() % 300 + 1), '\0');
        for (char& c : junk) c = static_cast<char>(rng() % 256);
        if (i % 2) junk += "\r\n\r\n";
        send_raw(port, junk, closed, true);
        CHECK(closed);
    }
    const std::string good_post = "POST /messages HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";
    for (std::size_t cut = 1; cut < good_post.size(); ++cut) {
        send_raw(port, good_post.substr(0, cut), closed, true);
        CHECK(closed);
    }

    // Too many connections: with three open, the fourth is told 503 and closed.
    std::vector<int> held;
    for (int i = 0; i < 3; ++i) held.push_back(connect_to(port));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    got = send_raw(port, "", closed);
    CHECK(status_line(got) == "HTTP/1.1 503 Service Unavailable");
    CHECK(closed);
    // The idle timeout (--idle-s 2) closes those silent connections.
    auto t0 = std::chrono::steady_clock::now();
    for (int fd : held) {
        std::string rest = read_all(fd, closed);
        CHECK(closed);
        CHECK(rest.empty());
        ::close(fd);
    }
    double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    CHECK(waited > 1.0);
    CHECK(waited < 4.5);

    // After all that, the chat works: two requests on one kept-alive connection.
    int fd = connect_to(port);
    std::string two = good_post + "GET /messages?since=0 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    ::send(fd, two.data(), two.size(), MSG_NOSIGNAL);
    got = read_all(fd, closed);
    ::close(fd);
    CHECK(closed);
    INFO(got);
    REQUIRE(got.rfind("HTTP/1.1 201 Created\r\n", 0) == 0);
    std::size_t second = got.find("HTTP/1.1 200 OK\r\n");
    REQUIRE(second != std::string::npos);
    std::string body = got.substr(got.find("\r\n\r\n", second) + 4);
    // id TAB microseconds TAB text LF: the only message so far is number 1.
    CHECK(body.rfind("1\t", 0) == 0);
    CHECK(body.size() > 10);
    CHECK(body.substr(body.size() - 7) == "\thello\n");

    // 150 more messages, pipelined on one connection; a poll then gets at most 100 a time and
    // the rest when it asks again after the last id it got.
    std::string many;
    for (int i = 0; i < 150; ++i) many += good_post;
    many += "GET /messages?since=0 HTTP/1.1\r\nHost: x\r\n\r\n";
    many += "GET /messages?since=100 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    fd = connect_to(port);
    ::send(fd, many.data(), many.size(), MSG_NOSIGNAL);
    got = read_all(fd, closed);
    ::close(fd);
    CHECK(closed);
    CHECK(labtest::count_lines(got, "HTTP/1.1 201 Created") == 150);
    std::size_t first = got.find("HTTP/1.1 200 OK");
    std::size_t last = got.rfind("HTTP/1.1 200 OK");
    REQUIRE(first != std::string::npos);
    REQUIRE(last != first);
    std::string page1 = got.substr(first, last - first), page2 = got.substr(last);
    CHECK(labtest::count_lines(page1, "\thello") == 100);
    CHECK(page1.find("\n100\t") != std::string::npos);
    CHECK(labtest::count_lines(page2, "\thello") == 51);
    CHECK(page2.find("\n101\t") != std::string::npos);
    CHECK(page2.find("\n151\t") != std::string::npos);

    std::string log = server.output();
    CHECK(labtest::count_lines(log, "-> 431") == 1);
    CHECK(labtest::count_lines(log, "idle for 2 s") == 3);
    // Still running after all of it: SIGTERM ends it cleanly (exit 0), not a crash.
    CHECK(server.stop() == 0);
}

TEST_CASE("lab 03 --help prints usage and an example, bad options exit 2", "[lab][lab03]") {
    labtest::Run r = labtest::run(labtest::lab(3) + " --help");
    CHECK(r.status == 0);
    CHECK(r.out.find("Usage: wirelab lab 03 server|short-client|long-client|send|demo") != std::string::npos);
    CHECK(r.out.find("Example:") != std::string::npos);
    r = labtest::run(labtest::lab(3) + " demo --wait 0");
    CHECK(r.status == 2);
    r = labtest::run(labtest::lab(3) + " short-client --port 0");
    CHECK(r.status == 2);
}

TEST_CASE("lab 03 in separate processes: a long poll whose wait runs out gets 204 and asks again", "[lab][lab03]") {
    std::string dir = labtest::temp_dir("lab03-wait");
    std::string cap = dir + "/wait.pcapng";
    labtest::Server server(labtest::lab(3) + " server --port 0");
    const std::string port = std::to_string(server.port());
    // Terminal 2: a long poller allowed to be held 1 s; terminal 3, 2.5 s later: one message.
    labtest::Run r = labtest::run("sh -c \"'" + labtest::lab(3) + "' long-client --port " + port +
                                      " --wait 1 --count 1 --capture '" + cap + "' > '" + dir + "/long.txt' 2>&1 & " +
                                      "sleep 2.5; '" + labtest::lab(3) + "' send --port " + port +
                                      " --count 1 --text late; wait $!\"",
                                  30);
    std::string long_out = labtest::run("cat '" + dir + "/long.txt'").out;
    INFO(r.out << "\n" << long_out);
    REQUIRE(r.status == 0);
    CHECK(labtest::count_lines(long_out, "204: the wait ran out") >= 2);
    CHECK(labtest::count_lines(long_out, "message 1 \"late 1\" arrived") == 1);

    std::vector<HttpRow> rows = http_rows(cap);
    std::map<long, HttpRow> by_frame;
    for (const HttpRow& h : rows) by_frame[h.frame] = h;
    int timed_out = 0, released = 0;
    for (const HttpRow& a : rows) {
        if (a.code == 0) continue;
        REQUIRE(by_frame.count(a.request_in) == 1);
        const HttpRow& req = by_frame[a.request_in];
        if (req.method != "GET") continue;
        CHECK(req.uri.rfind("/messages?since=", 0) == 0);
        CHECK(is_long_poll(req.uri));
        double held = a.time - req.time;
        if (a.code == 204) {
            // Held for the whole wait= second, then answered "nothing".
            ++timed_out;
            CHECK(held > 0.95);
            CHECK(held < 2.0);
        } else {
            CHECK(a.code == 200);
            ++released;
            CHECK(held < 1.0);
        }
    }
    CHECK(timed_out >= 2);
    CHECK(released == 1);
    CHECK(labtest::tshark_problems(cap) == "");
    CHECK(labtest::count_lines(server.output(), "no message: 204") == timed_out);
}

TEST_CASE("the tshark checks read a lab's HTTP as HTTP when the client's port is one tshark gives EtherCAT",
          "[lab][lab03]") {
    // The kernel hands out client ports from 32768 up, and tshark's port tables claim a few of
    // them (34980 for EtherCAT). A lab client that gets one is still the lab's HTTP.
    std::string dir = labtest::temp_dir("lab03-port");
    std::string cap = dir + "/port.pcapng";
    labtest::Server server(labtest::lab(3) + " server --port 0 --capture '" + cap + "'");
    // The recording starts once the server has its port, a moment after "listening on".
    for (int i = 0; i < 100 && server.output().find("capture recording") == std::string::npos; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    REQUIRE(server.output().find("capture recording") != std::string::npos);
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(34980);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        WARN("127.0.0.1:34980 is in use here; the check is not run");
        return;
    }
    a.sin_port = htons(static_cast<std::uint16_t>(server.port()));
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    std::string request = "GET /messages?since=0 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    bool closed = false;
    std::string got = read_all(fd, closed);
    ::close(fd);
    CHECK(status_line(got) == "HTTP/1.1 204 No Content");  // no message yet
    CHECK(server.stop() == 0);

    std::string guard = labtest::tshark_port_guard(cap);
    CHECK(guard.find(" --disable-protocol ecatf") != std::string::npos);
    CHECK(labtest::tshark_problems(cap) == "");
    labtest::Run t = labtest::run("tshark -n -r '" + cap + "'" + guard +
                                  " -Y http.request -T fields -e tcp.srcport -e http.request.uri");
    REQUIRE(t.status == 0);
    INFO(t.out);
    CHECK(labtest::count_lines(t.out, "34980\t/messages?since=0") == 1);
    std::filesystem::remove_all(dir);
}
