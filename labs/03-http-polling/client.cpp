// Lab 03's clients (see client.hpp). The short poller asks "anything after N?" every interval
// whether or not there is news; the long poller asks once and the server answers when there
// is. Both read the answer with core's HTTP parser.
#include "client.hpp"

#include <thread>

#include "chat_log.hpp"
#include "lab.hpp"
#include "wirelab/http.hpp"

namespace lab03 {

namespace http = wirelab::http;
using asio::ip::tcp;
using wirelab::lab::say;

namespace {

// What a browser adds to every request it makes on its own (fetch() from a chat page):
// none of it is needed for polling, all of it is sent with every poll. Measured from a
// desktop Chrome; the cookie stands for a typical session cookie.
constexpr std::string_view kBrowserHeaders =
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
    "Safari/537.36\r\n"
    "Accept: */*\r\n"
    "Accept-Language: en-US,en;q=0.9\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Referer: http://127.0.0.1/chat.html\r\n"
    "Sec-Fetch-Dest: empty\r\n"
    "Sec-Fetch-Mode: cors\r\n"
    "Sec-Fetch-Site: same-origin\r\n"
    "Cookie: session=6f1c2b7a9e8d3c6b5a4f3e2d1c0b9a8f; theme=dark\r\n";

}  // namespace

HttpClient::HttpClient(std::string who, std::string host, int port, ClientStats& stats, bool browser_headers)
    : who_(std::move(who)), host_(std::move(host)), port_(port), stats_(stats), browser_headers_(browser_headers),
      socket_(io_) {}

std::string HttpClient::connect() {
    boost::system::error_code ec;
    asio::ip::address address = asio::ip::make_address(host_, ec);
    if (ec) return "--host " + host_ + " is not an IP address";
    // connect(): the three-way handshake. It happens once; every poll after it reuses the
    // connection (HTTP/1.1 persistent connections, RFC 9112 section 9.3).
    socket_.connect(tcp::endpoint(address, static_cast<unsigned short>(port_)), ec);
    if (ec) return "connect to " + host_ + ":" + std::to_string(port_) + ": " + ec.message();
    ++stats_.connections;
    in_.clear();
    say(who_, "connected to %s:%d from port %u", host_.c_str(), port_, socket_.local_endpoint(ec).port());
    return {};
}

void HttpClient::close() {
    boost::system::error_code ignored;
    if (socket_.is_open()) socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
}

std::string HttpClient::exchange(std::string_view method, std::string_view target, std::string_view body,
                                 Response& out) {
    if (!socket_.is_open())
        if (std::string err = connect(); !err.empty()) return err;
    // The request head: request line, Host (required in HTTP/1.1), a few fields, an empty
    // line (RFC 9112 sections 3 and 2.1). Every poll pays for all of it again.
    std::string head = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\n";
    head += "Host: " + host_ + ":" + std::to_string(port_) + "\r\n";
    if (browser_headers_) {
        head += kBrowserHeaders;
    } else {
        head += "User-Agent: wirelab-lab03\r\nAccept: text/plain\r\n";
    }
    if (method == "POST") {
        head += "Content-Type: text/plain; charset=utf-8\r\n";
        head += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    }
    head += "\r\n";
    std::string request = head + std::string(body);
    boost::system::error_code ec;
    // write(): one send() call for head and body, so they usually travel in one TCP segment.
    asio::write(socket_, asio::buffer(request), ec);
    if (ec) {
        close();
        return "write: " + ec.message();
    }
    ++stats_.requests;
    stats_.request_head_bytes += head.size();
    if (method == "POST") stats_.payload_bytes += body.size();
    return read_response(out);
}

std::string HttpClient::read_response(Response& out) {
    http::Message m;
    boost::system::error_code ec;
    // read() until the head is complete: TCP hands over bytes, not messages, so the answer
    // may come in pieces (or together with the next one).
    while (true) {
        http::Result r = http::parse_head(in_, m);
        if (r.status == http::Status::error) {
            close();
            return "bad answer from the server: " + r.error;
        }
        if (r.status == http::Status::complete) break;
        std::size_t n = socket_.read_some(asio::buffer(chunk_), ec);
        if (ec) {
            close();
            return ec == asio::error::eof ? "the server closed the connection" : "read: " + ec.message();
        }
        in_.append(chunk_.data(), n);
    }
    std::uint64_t length = 0;
    std::string error;
    http::BodyKind kind = http::body_kind(m, "GET", length, error);
    if (!error.empty() || kind == http::BodyKind::chunked || kind == http::BodyKind::until_close) {
        close();
        return "the server's answer has no Content-Length (this client reads only those)";
    }
    // Then read until the body is complete.
    while (in_.size() < m.head_length + length) {
        std::size_t n = socket_.read_some(asio::buffer(chunk_), ec);
        if (ec) {
            close();
            return "read: " + ec.message() + " in the middle of an answer";
        }
        in_.append(chunk_.data(), n);
    }
    out.status = m.status;
    out.body = in_.substr(m.head_length, length);
    bool server_closes = m.header_has_token("Connection", "close");
    stats_.response_head_bytes += m.head_length;
    in_.erase(0, m.head_length + length);
    if (server_closes) close();
    return {};
}

namespace {

// A poll's answer: take the messages, note how late each one came, move `since` on.
// Returns the number of messages it held, or -1 on an answer that is not a poll's.
int take_messages(const std::string& who, const Response& r, std::uint64_t& since, ClientStats& stats) {
    if (r.status == 204) {
        ++stats.empty;
        return 0;
    }
    std::vector<ChatMessage> got;
    if (r.status != 200 || !parse_messages(r.body, got)) {
        say(who, "unexpected answer %d: %s", r.status, r.body.substr(0, 200).c_str());
        return -1;
    }
    std::int64_t now = now_us();
    stats.payload_bytes += r.body.size();
    for (const ChatMessage& m : got) {
        ++stats.messages;
        since = m.id;
        if (m.sent_us < stats.started_us) {
            // Posted before this client started: history it catches up on, not a delivery
            // whose latency the polling method decides.
            say(who, "message %llu \"%s\" (history: posted before this client started)",
                static_cast<unsigned long long>(m.id), m.text.c_str());
            continue;
        }
        double late_ms = static_cast<double>(now - m.sent_us) / 1000.0;
        stats.latency_ms.push_back(late_ms);
        say(who, "message %llu \"%s\" arrived %.1f ms after the server got it", static_cast<unsigned long long>(m.id),
            m.text.c_str(), late_ms);
    }
    return static_cast<int>(got.size());
}

bool enough(const PollOptions& o, int got) { return o.count > 0 && got >= o.count; }

}  // namespace

namespace {

// The two pollers differ in one thing: when the next request goes out.
bool run_poller(bool long_poll, const PollOptions& o, ClientStats& stats) {
    const std::string who = long_poll ? "long" : "short";
    HttpClient client(who, o.host, o.port, stats, o.browser_headers);
    stats.started_us = now_us();
    std::uint64_t since = 0;
    int got = 0;
    auto next = std::chrono::steady_clock::now();
    while (!enough(o, got) && std::chrono::steady_clock::now() < o.give_up) {
        std::string target = "/messages?since=" + std::to_string(since);
        if (long_poll) {
            // No pause between polls: the request itself is the wait. It goes straight back
            // so that a request is always waiting at the server.
            target += "&wait=" + std::to_string(o.wait_s);
            say(who, "GET %s (the server holds it until there is news)", target.c_str());
        } else {
            // On a fixed beat: a request every interval, whatever happened since.
            std::this_thread::sleep_until(next);
            next = std::max(next + std::chrono::milliseconds(o.interval_ms), std::chrono::steady_clock::now());
        }
        Response r;
        if (std::string err = client.exchange("GET", target, "", r); !err.empty()) {
            say(who, "GET %s: %s", target.c_str(), err.c_str());
            return false;
        }
        int n = take_messages(who, r, since, stats);
        if (n < 0) return false;
        if (n == 0 && long_poll) say(who, "204: the wait ran out with no message; asking again");
        if (n == 0 && !long_poll) say(who, "GET %s -> 204: nothing new", target.c_str());
        got += n;
    }
    client.close();
    return enough(o, got);
}

}  // namespace

bool run_short_poller(const PollOptions& o, ClientStats& stats) { return run_poller(false, o, stats); }
bool run_long_poller(const PollOptions& o, ClientStats& stats) { return run_poller(true, o, stats); }

bool run_sender(const PollOptions& o, int every_ms, const std::string& text, ClientStats& stats) {
    const std::string who = "sender";
    HttpClient client(who, o.host, o.port, stats, o.browser_headers);
    int sent = 0;
    auto next = std::chrono::steady_clock::now();
    while ((o.count == 0 || sent < o.count) && std::chrono::steady_clock::now() < o.give_up) {
        std::this_thread::sleep_until(next);
        next += std::chrono::milliseconds(every_ms);
        std::string body = text + " " + std::to_string(sent + 1);
        Response r;
        if (std::string err = client.exchange("POST", "/messages", body, r); !err.empty()) {
            say(who, "POST /messages: %s", err.c_str());
            return false;
        }
        if (r.status != 201) {
            say(who, "POST /messages \"%s\" -> %d: %s", body.c_str(), r.status, r.body.substr(0, 200).c_str());
            return false;
        }
        ++sent;
        ++stats.messages;
        say(who, "POST /messages \"%s\" -> 201, message %s", body.c_str(),
            r.body.substr(0, r.body.find('\n')).c_str());
    }
    client.close();
    return o.count == 0 || sent >= o.count;
}

}  // namespace lab03
