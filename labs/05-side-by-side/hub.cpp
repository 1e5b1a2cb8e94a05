// Lab 05's hub (see hub.hpp). A Connection owns one TCP socket and its write queue; the
// FanoutSession speaks the length-prefixed protocol, the HttpSession answers polls and, after
// an Upgrade, pushes WebSocket frames. UDP needs no session at all: the hub keeps a set of
// addresses, which is all a "connection" is in UDP.
#include "hub.hpp"

#include <algorithm>
#include <charconv>

#include "lab.hpp"
#include "wirelab/http.hpp"
#include "wirelab/socketio.hpp"  // base64_decode, to check a Sec-WebSocket-Key
#include "wirelab/websocket.hpp"

namespace lab05 {

namespace http = wirelab::http;
namespace ws = wirelab::ws;
using asio::ip::tcp;
using asio::ip::udp;
using wirelab::lab::say;

namespace {

std::string_view status_text(int status) {
    static constexpr std::pair<int, std::string_view> kTexts[] = {
        {101, "Switching Protocols"}, {200, "OK"}, {204, "No Content"}, {400, "Bad Request"},
        {404, "Not Found"}, {405, "Method Not Allowed"}, {408, "Request Timeout"}, {414, "URI Too Long"},
        {426, "Upgrade Required"},
        {431, "Request Header Fields Too Large"}, {501, "Not Implemented"}, {503, "Service Unavailable"},
        {505, "HTTP Version Not Supported"},
    };
    for (const auto& [code, text] : kTexts)
        if (code == status) return text;
    return "Error";
}

}  // namespace

// One TCP connection of any kind: the socket, a queue of byte strings to write in order, and
// the bookkeeping every kind shares (the connection limit, the subscriber sets).
class Connection : public std::enable_shared_from_this<Connection> {
public:
    Connection(tcp::socket socket, HubState& state, Transport kind)
        : socket_(std::move(socket)), state_(state), kind_(kind), number_(++state.accepted) {
        ++state_.open;
    }
    virtual ~Connection() { --state_.open; }

    virtual void start() = 0;
    // A new message, for a subscribed push session or a held long poll.
    virtual void deliver(const Message& m) = 0;

    virtual void close() {
        unsubscribe();
        idle_timer_.cancel();
        boost::system::error_code ignored;
        socket_.close(ignored);
    }

protected:
    // Over the connection limit: the caller answers in its own protocol and closes.
    bool over_limit() const { return state_.open > state_.config.max_connections; }

    void subscribe() {
        state_.subscribers[index_of(kind_)].insert(shared_from_this());
        ++state_.present[index_of(kind_)];
    }
    void unsubscribe() {
        if (state_.subscribers[index_of(kind_)].erase(shared_from_this())) --state_.present[index_of(kind_)];
    }

    // Writes go through a queue: a new message may come while the previous one is still being
    // written, and two async_write calls on one socket at once would interleave their bytes.
    void send(std::string bytes, bool close_after = false) {
        if (queue_.size() >= state_.config.max_queued || queued_bytes_ + bytes.size() > state_.config.max_queued_bytes) {
            // A receiver that does not read fills its TCP window, then our socket's send
            // buffer, then this queue. The hub does not buy memory for it: it lets it go, with
            // a reset (SO_LINGER 0), since a FIN would wait behind the bytes it is not reading.
            say(who(), "%zu messages queued, the receiver is not reading: dropping it", queue_.size());
            boost::system::error_code ignored;
            socket_.set_option(asio::socket_base::linger(true, 0), ignored);
            return close();
        }
        queued_bytes_ += bytes.size();
        queue_.push_back(std::move(bytes));
        close_after_ = close_after_ || close_after;
        if (queue_.size() == 1) do_write();
    }

    // One read at a time; each kind of session says in on_read what the bytes mean.
    void do_read() {
        socket_.async_read_some(asio::buffer(chunk_), [self = shared_from_this()](boost::system::error_code ec,
                                                                                  std::size_t n) { self->on_read(ec, n); });
    }
    virtual void on_read(boost::system::error_code ec, std::size_t n) = 0;

    void do_write() {
        asio::async_write(socket_, asio::buffer(queue_.front()),
                          [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                              self->on_write(ec, n);
                          });
    }

    void on_write(boost::system::error_code ec, std::size_t) {
        if (ec) return fail(ec, "write");
        queued_bytes_ -= queue_.front().size();
        queue_.pop_front();
        if (!queue_.empty()) return do_write();
        if (close_after_) {
            // Half-close, so the last bytes are delivered before our FIN (RFC 9293 section 3.6).
            boost::system::error_code ignored;
            socket_.shutdown(tcp::socket::shutdown_send, ignored);
            close();
        }
    }

    void fail(boost::system::error_code ec, const char* what) {
        if (ec == asio::error::operation_aborted) return;  // we closed the socket ourselves
        if (ec == asio::error::eof) {
            say(who(), "the receiver closed the connection");
        } else {
            say(who(), "%s: %s", what, ec.message().c_str());
        }
        close();
    }

    std::string who() const {
        return "hub " + std::string(transport_name(kind_)) + "#" + std::to_string(number_);
    }

    tcp::socket socket_;
    HubState& state_;
    Transport kind_;
    std::uint64_t number_;
    asio::steady_timer idle_timer_{socket_.get_executor()};
    std::array<char, 4096> chunk_{};
    std::string in_;

private:
    std::deque<std::string> queue_;
    std::size_t queued_bytes_ = 0;  // the bytes in queue_
    bool close_after_ = false;
};

namespace {

// Raw TCP: from the hub's side the protocol is "write length, write bytes" for ever. The
// receiver never speaks; we still read, because reading is how a TCP program learns that the
// peer has gone (read returns end of stream, or an error after an RST).
class FanoutSession : public Connection {
public:
    FanoutSession(tcp::socket socket, HubState& state) : Connection(std::move(socket), state, Transport::tcp) {}

    void start() override {
        if (over_limit()) {
            say(who(), "over the limit of %zu connections: closing", state_.config.max_connections);
            return close();
        }
        subscribe();
        say(who(), "a receiver connected; %d tcp receiver(s) now", state_.present[index_of(kind_)].load());
        do_read();
    }

    void deliver(const Message& m) override {
        // The length prefix is how the receiver finds where each message ends in the byte
        // stream (lab 01): 4 bytes, big-endian ("network byte order").
        std::string body = encode(m);
        auto n = static_cast<std::uint32_t>(body.size());
        std::string record{static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8),
                           static_cast<char>(n)};
        send(record + body);
    }

private:
    void on_read(boost::system::error_code ec, std::size_t n) override {
        if (ec) return fail(ec, "read");
        say(who(), "the receiver sent %zu bytes; nothing is expected on this port, ignoring them", n);
        do_read();
    }
};

// HTTP/1.1 on the polling and WebSocket ports: requests are read with core's parser, one at a
// time on a persistent connection; after a WebSocket Upgrade the same socket carries frames.
class HttpSession : public Connection {
public:
    HttpSession(tcp::socket socket, HubState& state, Transport kind)
        : Connection(std::move(socket), state, kind), wait_timer_(socket_.get_executor()) {}

    void start() override {
        if (over_limit()) return reply(503, "too many connections, try again later\n", "", true);
        await_request();
    }

    void deliver(const Message& m) override {
        if (websocket_) {
            // Server-to-client frames are not masked (RFC 6455 section 5.1): 2 bytes of
            // header for a message under 126 bytes, and the message.
            std::string body = encode(m);
            std::vector<std::uint8_t> frame;
            ws::encode_frame(frame, ws::kText,
                             {reinterpret_cast<const std::uint8_t*>(body.data()), body.size()});
            send(std::string(frame.begin(), frame.end()));
            return;
        }
        if (holding_) release();
    }

private:
    // --- HTTP ---------------------------------------------------------------------------------

    void await_request() {
        // A connection may sit between requests only so long: a receiver that vanished
        // without a FIN must not hold a connection slot for ever.
        idle_timer_.expires_after(std::chrono::seconds(state_.config.idle_timeout_s));
        idle_timer_.async_wait([self = shared_from_this(), this](boost::system::error_code ec) {
            if (ec || !socket_.is_open()) return;
            // Part of a request in that time (a head sent a byte a second: slowloris) is
            // answered 408 (RFC 9110 section 15.5.9); reads do not restart this clock.
            if (!in_.empty()) return refuse(408, "no complete request in " + std::to_string(state_.config.idle_timeout_s) + " s");
            say(who(), "no request for %d s: closing", state_.config.idle_timeout_s);
            close();
        });
        process();
    }

    void on_read(boost::system::error_code ec, std::size_t n) override {
        if (ec) return fail(ec, "read");
        in_.append(chunk_.data(), n);
        if (websocket_) return process_frames();
        process();
    }

    http::Limits head_limits() const {
        http::Limits limits;
        limits.max_head = state_.config.max_head;
        return limits;
    }

    void process() {
        http::Message m;
        http::Result r = http::parse_head(in_, m, head_limits());
        switch (r.status) {
            case http::Status::incomplete: return do_read();
            case http::Status::error: return refuse(r.http_status, r.error);
            case http::Status::complete: break;
        }
        idle_timer_.cancel();
        // Take the request out of the buffer before answering it: what follows in in_ is the
        // next request, or after an Upgrade the first WebSocket frames. The views in `m` move
        // with it (parsing the head again is cheap next to a system call).
        request_.assign(in_, 0, m.head_length);
        in_.erase(0, m.head_length);
        http::parse_head(request_, m, head_limits());
        // Receivers only ever GET. A request that announces a body is refused, since the hub
        // would have to read (and bound) it to find where the next request starts.
        std::uint64_t body_length = 0;
        std::string problem;
        http::body_kind(m, m.method, body_length, problem);
        if (!problem.empty()) return refuse(400, problem);
        if (body_length > 0 || m.header("Transfer-Encoding")) return refuse(400, "this hub takes no request bodies");
        std::string target(m.uri);
        bool keep = m.version == "HTTP/1.1" && !m.header_has_token("Connection", "close");
        if (m.version != "HTTP/1.1" && m.version != "HTTP/1.0") return refuse(505, "this hub speaks HTTP/1.1");
        if (m.method != "GET") return reply(405, "receivers GET /messages or /ws\n", "Allow: GET\r\n", true);
        std::string_view path = std::string_view(target).substr(0, target.find('?'));
        if (path == "/ws") {
            upgrade(m);
        } else if (path == "/messages") {
            keep_alive_ = keep;
            poll(target.size() > path.size() ? std::string_view(target).substr(path.size() + 1) : "");
        } else {
            reply(404, "here are /messages?since=N[&wait=S] and /ws\n", "", !keep);
            if (keep) await_request();
        }
    }

    // since=N (required) and wait=S (optional: a long poll), in any order.
    std::string parse_query(std::string_view query) {
        bool have_since = false;
        wait_s_ = 0;
        while (!query.empty()) {
            std::string_view pair = query.substr(0, query.find('&'));
            query.remove_prefix(std::min(query.size(), pair.size() + 1));
            std::string_view key = pair.substr(0, pair.find('='));
            std::string_view value = pair.substr(std::min(pair.size(), key.size() + 1));
            std::uint64_t number = 0;
            auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
            bool numeric = ec == std::errc() && end == value.data() + value.size() && !value.empty();
            if (key == "since" && numeric) {
                since_ = number;
                have_since = true;
            } else if (key == "wait" && numeric && number >= 1 &&
                       number <= static_cast<std::uint64_t>(state_.config.max_wait_s)) {
                wait_s_ = static_cast<int>(number);
            } else {
                return "bad query part '" + std::string(pair.substr(0, 40)) + "': want since=N and wait=1.." +
                       std::to_string(state_.config.max_wait_s);
            }
        }
        return have_since ? "" : "say since=N: the last message you have (0 for none)";
    }

    void poll(std::string_view query) {
        if (std::string err = parse_query(query); !err.empty()) {
            reply(400, err + "\n", "", !keep_alive_);
            if (keep_alive_) await_request();
            return;
        }
        // The log keeps what was published, so a poller that was away asks with the last
        // number it has and gets everything after it: the server remembers for it.
        if (state_.last_seq > since_ || wait_s_ == 0) return answer();
        // A long poll with nothing to tell: park the request. The receiver waits in its read.
        holding_ = true;
        state_.held.push_back(weak_from_this());
        wait_timer_.expires_after(std::chrono::seconds(wait_s_));
        wait_timer_.async_wait([self = shared_from_this(), this](boost::system::error_code ec) {
            if (ec || !holding_) return;
            release();  // nothing came in wait_s_ seconds: 204, and the receiver asks again
        });
    }

    void release() {
        holding_ = false;
        wait_timer_.cancel();
        answer();
    }

    // 200 with one message a line, or 204 (no body: RFC 9110 section 15.3.5) if none is new.
    void answer() {
        // The log is in seq order: find the first message after since_ from the end, then
        // append forward (inserting each at the front copied the whole body once a message,
        // which made a pipelined since=0 poll cost the hub seconds of CPU).
        auto first = std::find_if(state_.log.rbegin(), state_.log.rend(), [&](const Message& m) {
                         return m.seq <= since_;
                     }).base();
        std::string body;
        for (auto it = first; it != state_.log.end(); ++it) body += encode(*it) + "\n";
        if (body.empty()) {
            reply(204, "", "", !keep_alive_);
        } else {
            reply(200, body, "Content-Type: text/plain; charset=utf-8\r\n", !keep_alive_);
        }
        if (keep_alive_) await_request();
    }

    void reply(int status, const std::string& body, const std::string& extra, bool close_after) {
        std::string out = "HTTP/1.1 " + std::to_string(status) + " " + std::string(status_text(status)) + "\r\n";
        if (status != 204 && status != 101) out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
        if (status != 101) out += "Cache-Control: no-store\r\n";  // a poll answer is stale a moment later
        out += extra;
        if (close_after) out += "Connection: close\r\n";
        out += "\r\n" + body;
        send(std::move(out), close_after);
    }

    // A request we cannot read on from: say why, then close (where would the next one start?).
    void refuse(int status, const std::string& why) {
        say(who(), "bad request -> %d: %s (closing)", status, why.c_str());
        holding_ = false;
        reply(status, why + "\n", "", true);
    }

    // --- WebSocket (RFC 6455 section 4.2: the server's side of the opening handshake) -----------

    void upgrade(const http::Message& m) {
        std::optional<std::string_view> key = m.header("Sec-WebSocket-Key");
        std::vector<std::uint8_t> nonce;
        if (!m.header_has_token("Upgrade", "websocket") || !m.header_has_token("Connection", "upgrade"))
            return reply(426, "GET /ws wants Upgrade: websocket\n", "Upgrade: websocket\r\n", true);
        if (m.header("Sec-WebSocket-Version") != std::optional<std::string_view>("13"))
            return reply(426, "this hub speaks WebSocket version 13\n", "Sec-WebSocket-Version: 13\r\n", true);
        // The key must be 16 random bytes in base64 (section 4.1); the answer proves the server
        // read this request and is not an HTTP cache replaying an old one.
        if (!key || !wirelab::base64_decode(*key, nonce) || nonce.size() != 16)
            return reply(400, "Sec-WebSocket-Key must be 16 bytes in base64\n", "", true);
        reply(101, "",
              "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + ws::accept_key(*key) + "\r\n",
              false);
        websocket_ = true;
        subscribe();
        say(who(), "upgraded to WebSocket; %d ws receiver(s) now", state_.present[index_of(kind_)].load());
        process_frames();
    }

    // The receiver sends only control frames: Ping (we answer Pong) and Close (we answer Close
    // and end the TCP connection, the server's job: section 7.1.1).
    void process_frames() {
        while (true) {
            auto bytes = std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(in_.data()), in_.size());
            ws::FrameHeader h;
            std::string error;
            ws::Parse p = ws::parse_header(bytes, h, &error);
            if (p == ws::Parse::error) return close_ws(ws::kProtocolError, error);
            if (p == ws::Parse::incomplete) return do_read();
            if (auto v = ws::check_frame(h, true, false, false)) return close_ws(v->code, v->reason);
            if (h.opcode < ws::kClose) return close_ws(ws::kPolicyViolation, "this endpoint only pushes");
            if (bytes.size() < h.header_length + h.payload_length) return do_read();
            auto payload = bytes.subspan(h.header_length, h.payload_length);
            ws::apply_mask(payload, h.mask);
            std::vector<std::uint8_t> out;
            if (h.opcode == ws::kClose) {
                say(who(), "the receiver sent Close: answering Close and ending the connection");
                ws::encode_frame(out, ws::kClose, payload.first(std::min<std::size_t>(payload.size(), 2)));
                unsubscribe();
                return send(std::string(out.begin(), out.end()), true);
            }
            if (h.opcode == ws::kPing) {
                ws::encode_frame(out, ws::kPong, payload);
                send(std::string(out.begin(), out.end()));
            }
            in_.erase(0, h.header_length + h.payload_length);
        }
    }

    void close_ws(std::uint16_t code, const std::string& why) {
        say(who(), "WebSocket protocol problem: %s (closing with %u)", why.c_str(), static_cast<unsigned>(code));
        std::vector<std::uint8_t> out;
        ws::encode_frame(out, ws::kClose, ws::close_payload(code, why.substr(0, 100)));
        unsubscribe();
        send(std::string(out.begin(), out.end()), true);
    }

    void close() override {
        holding_ = false;
        wait_timer_.cancel();
        Connection::close();
    }

    asio::steady_timer wait_timer_;
    std::string request_;
    bool websocket_ = false;
    bool keep_alive_ = true;
    bool holding_ = false;
    std::uint64_t since_ = 0;
    int wait_s_ = 0;
};

}  // namespace

Hub::Hub(asio::io_context& io, HubConfig config) : io_(io), udp_(io) { state_.config = std::move(config); }

Hub::~Hub() = default;

std::string Hub::listen() {
    boost::system::error_code ec;
    asio::ip::address address = asio::ip::make_address(state_.config.bind, ec);
    if (ec) return "--bind " + state_.config.bind + " is not an IP address";
    for (Transport t : kTransports) {
        int wanted = state_.config.ports[index_of(t)];
        if (wanted < 0 || wanted > 65535) return "ports are 0..65535";
        auto port = static_cast<unsigned short>(wanted);
        if (t == Transport::udp) {
            // UDP: socket() and bind(), no listen() and no accept(): datagrams from anyone
            // arrive on this one socket, each with the address it came from.
            udp::endpoint at(address, port);
            udp_.open(at.protocol(), ec);
            if (!ec) udp_.bind(at, ec);
            if (ec) return "cannot bind udp " + state_.config.bind + ":" + std::to_string(port) + ": " + ec.message();
            ports_[index_of(t)] = udp_.local_endpoint().port();
        } else {
            tcp::endpoint at(address, port);
            tcp::acceptor& a = acceptors_.emplace_back(io_);
            acceptor_kind_.push_back(t);
            a.open(at.protocol(), ec);
            if (!ec) a.set_option(tcp::acceptor::reuse_address(true), ec);
            if (!ec) a.bind(at, ec);
            if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
            if (ec) return "cannot listen on " + state_.config.bind + ":" + std::to_string(port) + ": " + ec.message();
            ports_[index_of(t)] = a.local_endpoint().port();
        }
        say("hub", "listening on %s:%u (%s, %.*s)", state_.config.bind.c_str(), ports_[index_of(t)],
            std::string(transport_name(t)).c_str(), int(transport_label(t).size()), transport_label(t).data());
    }
    for (std::size_t i = 0; i < acceptors_.size(); ++i) do_accept(i);
    do_receive();
    return {};
}

void Hub::do_accept(std::size_t which) {
    acceptors_[which].async_accept([this, which](boost::system::error_code ec, tcp::socket socket) {
        on_accept(which, ec, std::move(socket));
    });
}

void Hub::on_accept(std::size_t which, boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;  // stop()
    if (ec) {
        say("hub", "accept: %s", ec.message().c_str());  // out of descriptors, say: keep going
        return do_accept(which);
    }
    Transport kind = acceptor_kind_[which];
    // Nagle would hold a small message until the previous one is acknowledged (lab 01); a hub
    // that pushes one small message at a time wants each on the wire at once.
    socket.set_option(tcp::no_delay(true), ec);
    // A small send buffer makes a receiver that stops reading show up in the hub's queue
    // within seconds instead of after megabytes (the kernel's autotuning allows up to 4 MiB).
    if (state_.config.send_buffer > 0)
        socket.set_option(asio::socket_base::send_buffer_size(state_.config.send_buffer), ec);
    std::shared_ptr<Connection> c;
    if (kind == Transport::tcp) {
        c = std::make_shared<FanoutSession>(std::move(socket), state_);
    } else {
        c = std::make_shared<HttpSession>(std::move(socket), state_, kind);
    }
    std::erase_if(state_.all, [](const std::weak_ptr<Connection>& w) { return w.expired(); });
    state_.all.push_back(c);
    c->start();
    do_accept(which);
}

// UDP has no accept(): a receiver makes itself known by sending "hello" from the address it
// wants the messages at, and "bye" when it leaves. A receiver that crashes cannot say bye; the
// hub would go on sending to an address where nobody listens, and never know (the ICMP "port
// unreachable" that comes back is not reported on an unconnected UDP socket).
void Hub::do_receive() {
    udp_.async_receive_from(asio::buffer(datagram_), from_,
                            [this](boost::system::error_code ec, std::size_t n) { on_receive(ec, n); });
}

void Hub::on_receive(boost::system::error_code ec, std::size_t n) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) {
        std::string_view text(datagram_.data(), n);
        std::size_t i = index_of(Transport::udp);
        if (text == "hello" && !udp_receivers_.count(from_)) {
            if (udp_receivers_.size() >= state_.config.max_udp_receivers) {
                say("hub udp", "hello from %s:%u, but %zu receivers is the limit: ignored",
                    from_.address().to_string().c_str(), from_.port(), udp_receivers_.size());
            } else {
                udp_receivers_.insert(from_);
                ++state_.present[i];
                say("hub udp", "hello from %s:%u; %d udp receiver(s) now", from_.address().to_string().c_str(),
                    from_.port(), state_.present[i].load());
            }
        } else if (text == "bye" && udp_receivers_.erase(from_)) {
            --state_.present[i];
            say("hub udp", "bye from %s:%u; %d udp receiver(s) now", from_.address().to_string().c_str(), from_.port(),
                state_.present[i].load());
        } else if (text != "hello") {
            say("hub udp", "%zu-byte datagram from %s:%u that is neither hello nor bye: ignored", n,
                from_.address().to_string().c_str(), from_.port());
        }
    } else {
        say("hub udp", "receive: %s", ec.message().c_str());
    }
    do_receive();
}

void Hub::send_datagram(const std::shared_ptr<const std::string>& bytes, const udp::endpoint& to) {
    // sendto(): each call is one datagram. The shared_ptr keeps the bytes alive until the
    // kernel has them. There is no queue and no retry: if the receiver's buffer is full the
    // datagram is dropped there, and nobody tells us.
    udp_.async_send_to(asio::buffer(*bytes), to, [bytes](boost::system::error_code ec, std::size_t) {
        if (ec && ec != asio::error::operation_aborted) say("hub udp", "sendto: %s", ec.message().c_str());
    });
}

void Hub::publish(std::string text) {
    Message m{0, steady_ns(), std::move(text)};
    asio::post(io_, [this, m = std::move(m)]() mutable {
        m.seq = ++state_.last_seq;
        deliver(m);
    });
}

void Hub::deliver(const Message& m) {
    state_.log.push_back(m);
    if (state_.log.size() > state_.config.max_kept) state_.log.pop_front();
    // Copies of the sets: a delivery may drop a slow receiver, which changes the set.
    for (Transport t : {Transport::tcp, Transport::ws}) {
        auto receivers = state_.subscribers[index_of(t)];
        for (const auto& c : receivers) c->deliver(m);
    }
    auto datagram = std::make_shared<const std::string>(encode(m));
    for (const auto& to : udp_receivers_) send_datagram(datagram, to);
    auto held = std::move(state_.held);
    state_.held.clear();
    for (const auto& w : held)
        if (auto c = w.lock()) c->deliver(m);
}

void Hub::stop() {
    asio::post(io_, [this] {
        boost::system::error_code ignored;
        for (auto& a : acceptors_) a.close(ignored);
        udp_.close(ignored);
        for (const auto& w : state_.all)
            if (auto c = w.lock()) c->close();
        state_.all.clear();
        state_.held.clear();
    });
}

}  // namespace lab05
