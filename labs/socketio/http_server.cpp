// HTTP/1.1 and WebSocket connections for the chat server (see http_server.hpp).
#include "http_server.hpp"

#include <array>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "wirelab/http.hpp"

namespace sioserver {

namespace ws = wirelab::ws;
namespace http = wirelab::http;

namespace {

const char* reason_phrase(int status) {
    switch (status) {
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 426: return "Upgrade Required";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    }
    return "Unknown";
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string serialize(const Response& r, bool keep_alive) {
    std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + reason_phrase(r.status) + "\r\n";
    for (const auto& [name, value] : r.headers) out.append(name).append(": ").append(value).append("\r\n");
    if (r.status != 204) {
        out += "Content-Type: " + r.content_type + "\r\n";
        out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
    }
    out += keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
    if (r.status != 204 && !r.head) out += r.body;
    return out;
}

}  // namespace

std::string percent_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
            out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
            i += 2;
        } else if (s[i] == '+') {
            out.push_back(' ');
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

std::string Request::header(std::string_view name) const {
    for (const auto& [n, v] : headers)
        if (n == name) return v;
    return {};
}

std::string Request::param(std::string_view key) const {
    std::string_view q = query;
    while (!q.empty()) {
        std::size_t amp = q.find('&');
        std::string_view pair = q.substr(0, amp);
        std::size_t eq = pair.find('=');
        if (percent_decode(pair.substr(0, eq)) == key)
            return eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1));
        if (amp == std::string_view::npos) break;
        q.remove_prefix(amp + 1);
    }
    return {};
}

Frame make_frame(std::uint8_t opcode, std::string_view payload) {
    std::vector<std::uint8_t> bytes;
    bytes.reserve(payload.size() + 10);
    ws::encode_frame(bytes, opcode,
                     std::span(reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()));
    return std::make_shared<const std::string>(bytes.begin(), bytes.end());
}

Connection::Connection(tcp::socket socket, Handler& handler, const Limits& limits, std::size_t& live)
    : socket_(std::move(socket)), handler_(handler), limits_(limits), live_(live), idle_(socket_.get_executor()) {
    boost::system::error_code ec;
    auto ep = socket_.remote_endpoint(ec);
    peer_ = ec ? "?" : ep.address().to_string() + ":" + std::to_string(ep.port());
    socket_.set_option(tcp::no_delay(true), ec);  // every packet is a message someone waits for
    socket_.non_blocking(true, ec);  // on_read reads what is there and never waits in read_some
    ++live_;
}

Connection::~Connection() { --live_; }

void Connection::start() {
    arm_idle();
    do_read();
}

void Connection::arm_idle() {
    idle_.expires_after(std::chrono::seconds(limits_.idle_timeout_s));
    idle_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
        if (ec || !self->open_) return;
        if (self->websocket_ || self->awaiting_) return;  // Engine.IO's heartbeat watches these
        // Reads do not restart this clock, so it is also the deadline for a whole request: part
        // of one by now (a head sent a byte a second, slowloris) is answered 408 (RFC 9110
        // section 15.5.9) and the connection closed.
        if (!self->in_.empty())
            return self->fail_http(408, "no complete request in " + std::to_string(self->limits_.idle_timeout_s) + " s");
        self->shutdown();
    });
}

void Connection::do_read() {
    // Wait until the socket has bytes, then read them ourselves (on_read). Reading into one
    // 64 KiB buffer shared by every connection, and keeping in in_ only what is left over,
    // means an idle connection holds no read buffer, and nothing is cleared before each read
    // (resizing in_ by 64 KiB zero-filled it: an eighth of the server's time under load).
    socket_.async_wait(tcp::socket::wait_read,
                       [self = shared_from_this()](boost::system::error_code ec) { self->on_read(ec); });
}

void Connection::on_read(boost::system::error_code ec) {
    if (ec || !open_) return shutdown();
    // One thread runs the server, so one scratch buffer per thread is enough: it is filled and
    // emptied here, between two waits.
    thread_local std::array<std::uint8_t, kReadChunk> scratch;
    std::size_t n = socket_.read_some(asio::buffer(scratch), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) return do_read();  // woken for nothing
    if (ec) return shutdown();  // eof: the peer closed; or an error
    in_.insert(in_.end(), scratch.begin(), scratch.begin() + static_cast<std::ptrdiff_t>(n));
    if (websocket_) process_ws();
    else process_http();
    if (!open_) return;
    // Drop what was used so the buffer holds only unprocessed bytes.
    if (in_used_ > 0) {
        in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(in_used_));
        in_used_ = 0;
        // Give back what a large message or request needed once.
        if (in_.empty() && in_.capacity() > kReadChunk) in_.shrink_to_fit();
    }
    // While a request waits for its answer, read on (to notice the peer leaving) but hold at
    // most one more request's worth of bytes.
    if (in_.size() > limits_.max_head + limits_.max_body + kReadChunk) {
        read_paused_ = true;
        return;
    }
    do_read();
}

void Connection::process_http() {
    while (open_ && !websocket_ && !awaiting_ && !closing_) {
        std::string_view data(reinterpret_cast<const char*>(in_.data()) + in_used_, in_.size() - in_used_);
        if (data.empty()) return;
        http::Message m;
        http::Limits lim;
        lim.max_head = limits_.max_head;
        http::Result r = http::parse_head(data, m, lim);
        if (r.status == http::Status::incomplete) {
            if (data.size() > limits_.max_head) fail_http(431, "request head longer than " + std::to_string(limits_.max_head) + " bytes");
            return;
        }
        if (r.status == http::Status::error) return fail_http(r.http_status, r.error);
        if (!m.is_request) return fail_http(400, "expected a request");
        std::uint64_t length = 0;
        std::string err;
        http::BodyKind kind = http::body_kind(m, "", length, err);
        if (!err.empty()) return fail_http(400, err);
        if (kind == http::BodyKind::chunked) return fail_http(411, "chunked request bodies are not accepted; send Content-Length");
        if (kind != http::BodyKind::length) length = 0;
        if (length > limits_.max_body)
            return fail_http(413, "request body of " + std::to_string(length) + " bytes, more than " + std::to_string(limits_.max_body));
        if (data.size() < m.head_length + length) return;  // the body is still coming

        Request req;
        req.method = std::string(m.method);
        req.target = std::string(m.uri);
        std::size_t qm = req.target.find('?');
        req.path = req.target.substr(0, qm);
        if (qm != std::string::npos) req.query = req.target.substr(qm + 1);
        for (const auto& h : m.headers) req.headers.emplace_back(lower(h.name), std::string(h.value));
        req.body.assign(data.substr(m.head_length, length));
        bool http11 = m.version == "HTTP/1.1";
        req.keep_alive = http11 ? !m.header_has_token("Connection", "close") : m.header_has_token("Connection", "keep-alive");
        keep_alive_ = req.keep_alive;
        in_used_ += m.head_length + length;
        awaiting_ = true;
        idle_.cancel();
        handler_.on_request(shared_from_this(), req);
    }
}

void Connection::respond(const Response& r) {
    if (!open_ || !awaiting_) return;
    awaiting_ = false;
    queue(std::make_shared<const std::string>(serialize(r, keep_alive_)));
    if (!keep_alive_) {
        closing_ = true;
        return;
    }
    arm_idle();
    if (read_paused_) {
        read_paused_ = false;
        process_http();
        if (open_ && !awaiting_) do_read();
        return;
    }
    process_http();  // a request that came in meanwhile (pipelining)
}

void Connection::fail_http(int status, const std::string& why) {
    Response r;
    r.status = status;
    r.body = why + "\n";
    awaiting_ = true;
    keep_alive_ = false;
    respond(r);
}

void Connection::accept_websocket(const Request& req) {
    // The opening handshake, RFC 6455 section 4.2.1: check what the client must send.
    std::string key = req.header("sec-websocket-key");
    bool upgrade = lower(req.header("upgrade")) == "websocket";
    bool conn_upgrade = lower(req.header("connection")).find("upgrade") != std::string::npos;
    if (req.method != "GET" || !upgrade || !conn_upgrade || key.size() != 24) {
        Response r;
        r.status = 400;
        r.body = "bad WebSocket handshake: needs GET, Upgrade: websocket, Connection: Upgrade and a 16-byte Sec-WebSocket-Key\n";
        keep_alive_ = false;
        return respond(r);
    }
    if (req.header("sec-websocket-version") != "13") {
        Response r;
        r.status = 426;
        r.headers.emplace_back("Sec-WebSocket-Version", "13");
        r.body = "WebSocket version 13 only\n";
        keep_alive_ = false;
        return respond(r);
    }
    std::string out = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Accept: " + ws::accept_key(key) + "\r\n\r\n";
    awaiting_ = false;
    websocket_ = true;
    idle_.cancel();
    queue(std::make_shared<const std::string>(std::move(out)));
    process_ws();  // frames that came right behind the request
    if (read_paused_ && open_) {
        read_paused_ = false;
        do_read();
    }
}

void Connection::process_ws() {
    while (open_ && websocket_) {
        std::span<std::uint8_t> d(in_.data() + in_used_, in_.size() - in_used_);
        ws::FrameHeader h;
        std::string err;
        ws::Parse p = ws::parse_header(d, h, &err);
        if (p == ws::Parse::incomplete) return;
        if (p == ws::Parse::error) return fail_ws(ws::kProtocolError, err);
        if (auto v = ws::check_frame(h, true, in_message_, false)) return fail_ws(v->code, v->reason);
        bool control = h.opcode & 0x08;
        if (!control && message_.size() + h.payload_length > limits_.max_message)
            return fail_ws(ws::kMessageTooBig, "message longer than " + std::to_string(limits_.max_message) + " bytes");
        if (d.size() < h.header_length + h.payload_length) return;  // the rest of the frame is coming
        auto payload = d.subspan(h.header_length, h.payload_length);
        ws::apply_mask(payload, h.mask);
        in_used_ += h.header_length + h.payload_length;
        std::string_view text(reinterpret_cast<const char*>(payload.data()), payload.size());

        if (h.opcode == ws::kPing) {
            send_frame(make_frame(ws::kPong, text));
        } else if (h.opcode == ws::kClose) {
            if (auto v = ws::check_close_payload(payload)) return fail_ws(v->code, v->reason);
            if (!close_sent_) {
                // Echo the peer's code (section 5.5.1), then close TCP once it is written.
                send_frame(make_frame(ws::kClose, text.substr(0, std::min<std::size_t>(2, text.size()))));
                close_sent_ = true;
            }
            peer_closed_ = true;
            closing_ = true;
            if (out_.empty()) shutdown();
            return;
        } else if (h.opcode == ws::kPong || close_sent_) {
            // Unsolicited pongs are allowed and ignored (section 5.5.3). After our close, data
            // frames are read and dropped (section 5.5.1).
        } else {
            if (h.opcode != ws::kContinuation) {
                in_message_ = true;
                message_opcode_ = h.opcode;
                message_.clear();
                utf8_.reset();
            }
            // Text must be UTF-8; fail as soon as it cannot be (section 8.1).
            if (message_opcode_ == ws::kText && !utf8_.feed(payload))
                return fail_ws(ws::kInvalidPayload, "text message is not valid UTF-8");
            message_.append(text);
            if (h.fin) {
                if (message_opcode_ == ws::kText && !utf8_.complete())
                    return fail_ws(ws::kInvalidPayload, "text message ends inside a UTF-8 sequence");
                in_message_ = false;
                handler_.on_ws_message(shared_from_this(), message_opcode_ == ws::kBinary, std::move(message_));
                message_.clear();
            }
        }
    }
}

void Connection::fail_ws(std::uint16_t code, const std::string& why) {
    close(code, why.substr(0, 120));
}

void Connection::send_frame(Frame f) { queue(std::move(f)); }

void Connection::close(std::uint16_t code, std::string_view reason) {
    if (!open_) return;
    if (websocket_ && !close_sent_) {
        auto payload = ws::close_payload(code, reason);
        queue(make_frame(ws::kClose, std::string_view(reinterpret_cast<const char*>(payload.data()), payload.size())));
        close_sent_ = true;
        // Wait a moment for the peer's close (section 7.1.1), then close TCP anyway.
        idle_.expires_after(std::chrono::seconds(2));
        idle_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
            if (!ec) self->shutdown();
        });
        closing_ = true;
        return;
    }
    closing_ = true;
    if (out_.empty()) shutdown();
}

void Connection::queue(Frame bytes) {
    if (!open_ || dropping_) return;
    queued_bytes_ += bytes->size();
    if (queued_bytes_ > limits_.max_queued) {
        // A client that does not read cannot make the server hold unbounded memory. It is
        // dropped with a reset (abort): a FIN would wait behind the unread bytes in the
        // kernel's buffers for ever, and the client would not learn it was dropped. And it is
        // dropped after the running handler, not now: we may be inside a broadcast's loop over
        // the sockets, and closing tells the handler, which takes this socket out of that list.
        dropping_ = true;
        asio::post(socket_.get_executor(), [self = shared_from_this()] { self->abort(); });
        return;
    }
    out_.push_back(std::move(bytes));
    if (writing_ > 0 || flush_posted_) return;  // on_write or the posted flush takes it
    // Write after the handler that is running now, not at once: a broadcast handled from one
    // read can queue several frames for this connection, and they then leave in one write
    // (one system call) instead of one each.
    flush_posted_ = true;
    asio::post(socket_.get_executor(), [self = shared_from_this()] {
        self->flush_posted_ = false;
        if (self->open_ && self->writing_ == 0 && !self->out_.empty()) self->do_write();
    });
}

void Connection::do_write() {
    bufs_.clear();
    for (std::size_t i = 0; i < out_.size() && i < kMaxWriteBuffers; ++i) bufs_.emplace_back(asio::buffer(*out_[i]));
    writing_ = bufs_.size();
    asio::async_write(socket_, bufs_, [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
        self->on_write(ec, n);
    });
}

void Connection::on_write(boost::system::error_code ec, std::size_t n) {
    queued_bytes_ -= std::min(queued_bytes_, n);
    for (std::size_t i = 0; i < writing_ && !out_.empty(); ++i) out_.pop_front();
    writing_ = 0;
    if (ec) return shutdown();
    if (!out_.empty()) return do_write();
    // HTTP: done after the last response. WebSocket: done once both closes have crossed (or
    // when the timer armed in close() fires).
    if (closing_ && (!websocket_ || peer_closed_)) shutdown();
}

void Connection::abort() {
    if (!open_) return;
    boost::system::error_code ignored;
    socket_.set_option(asio::socket_base::linger(true, 0), ignored);  // close() sends RST, drops unsent data
    socket_.close(ignored);
    open_ = false;
    idle_.cancel();
    handler_.on_close(shared_from_this());
}

void Connection::shutdown() {
    if (!open_) return;
    open_ = false;
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    idle_.cancel();
    handler_.on_close(shared_from_this());
}

Listener::Listener(asio::io_context& io, Handler& handler, Limits limits)
    : acceptor_(io), handler_(handler), limits_(limits) {}

bool Listener::listen(const std::string& address, int port, std::string& err) {
    boost::system::error_code ec;
    tcp::endpoint ep(asio::ip::make_address(address, ec), static_cast<unsigned short>(port));
    if (ec) {
        err = "'" + address + "' is not an IP address";
        return false;
    }
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
        err = "cannot listen on " + address + " port " + std::to_string(port) + ": " + ec.message();
        return false;
    }
    do_accept();
    return true;
}

int Listener::port() const { return acceptor_.local_endpoint().port(); }

void Listener::close() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
}

void Listener::do_accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted) return;
        if (!ec) {
            if (live_ >= limits_.max_connections) {
                static const std::string busy = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
                                                "Content-Length: 21\r\nConnection: close\r\n\r\ntoo many connections\n";
                boost::system::error_code ignored;
                asio::write(socket, asio::buffer(busy), ignored);
            } else {
                std::make_shared<Connection>(std::move(socket), handler_, limits_, live_)->start();
            }
        }
        do_accept();
    });
}

Response static_file(const std::string& root, std::string_view path) {
    namespace fs = std::filesystem;
    Response r;
    std::string rel = percent_decode(path);
    if (rel.find('\0') != std::string::npos || rel.empty() || rel[0] != '/') {
        r.status = 400;
        r.body = "bad path\n";
        return r;
    }
    if (rel.back() == '/') rel += "index.html";
    std::error_code ec;
    fs::path base = fs::canonical(root, ec);
    if (ec) {
        r.status = 404;
        r.body = "no web folder\n";
        return r;
    }
    // Resolve everything (.., symlinks) and check the result is still inside the web folder.
    fs::path want = fs::weakly_canonical(base / fs::path(rel).relative_path(), ec);
    std::string b = base.string() + "/", w = want.string();
    if (ec || w.compare(0, b.size(), b) != 0) {
        r.status = 403;
        r.body = "outside the web folder\n";
        return r;
    }
    std::ifstream f(want, std::ios::binary);
    if (!f || fs::is_directory(want)) {
        r.status = 404;
        r.body = "not found\n";
        return r;
    }
    std::ostringstream s;
    s << f.rdbuf();
    r.body = s.str();
    std::string ext = want.extension().string();
    r.content_type = ext == ".html" ? "text/html; charset=UTF-8"
                     : ext == ".js" ? "application/javascript; charset=UTF-8"
                     : ext == ".css" ? "text/css; charset=UTF-8"
                     : ext == ".svg" ? "image/svg+xml"
                                     : "application/octet-stream";
    return r;
}

}  // namespace sioserver
