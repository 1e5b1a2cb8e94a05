// Lab 03's clients: an HTTP/1.1 client on one persistent connection, and on top of it the
// short poller, the long poller and the sender. They count what each delivered message costs.
#pragma once

#include <boost/asio.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lab03 {

namespace asio = boost::asio;

// What one client spent and got: the table the demo prints.
struct ClientStats {
    std::uint64_t messages = 0;  // received (pollers) or posted (sender)
    std::uint64_t requests = 0;
    std::uint64_t empty = 0;  // answers with no new message (204)
    std::uint64_t connections = 0;
    std::uint64_t request_head_bytes = 0;   // request line + header fields + empty line, sent
    std::uint64_t response_head_bytes = 0;  // status line + header fields + empty line, received
    std::uint64_t payload_bytes = 0;        // bodies: the messages themselves (or the posted text)
    std::vector<double> latency_ms;         // per delivered message: received minus posted
    std::int64_t started_us = 0;            // messages posted before this are history, not latency
};

struct Response {
    int status = 0;
    std::string body;
};

// One HTTP/1.1 connection, used for one request after another (keep-alive). Blocking calls:
// the client has nothing else to do while it waits for the answer.
class HttpClient {
public:
    HttpClient(std::string who, std::string host, int port, ClientStats& stats, bool browser_headers);
    // Sends one request and reads its answer, connecting first if there is no connection.
    // Returns an error text, empty on success.
    std::string exchange(std::string_view method, std::string_view target, std::string_view body, Response& out);
    void close();

private:
    std::string connect();
    std::string read_response(Response& out);

    std::string who_, host_;
    int port_;
    ClientStats& stats_;
    bool browser_headers_;
    asio::io_context io_;
    asio::ip::tcp::socket socket_;
    std::string in_;
    std::array<char, 4096> chunk_{};
};

struct PollOptions {
    std::string host = "127.0.0.1";
    int port = 8080;
    int count = 5;          // stop after this many messages; 0: run until interrupted
    int interval_ms = 250;  // short poll: one request every interval
    int wait_s = 10;        // long poll: how long the server may hold a request
    bool browser_headers = false;
    std::chrono::steady_clock::time_point give_up = std::chrono::steady_clock::time_point::max();
};

// Each returns true if it received (or sent) `count` messages.
bool run_short_poller(const PollOptions& o, ClientStats& stats);
bool run_long_poller(const PollOptions& o, ClientStats& stats);
bool run_sender(const PollOptions& o, int every_ms, const std::string& text, ClientStats& stats);

}  // namespace lab03
