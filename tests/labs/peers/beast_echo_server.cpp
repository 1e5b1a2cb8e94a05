// A WebSocket echo server written with Boost.Beast: the reference peer lab 04's tests and
// benchmark compare against (Beast passes the Autobahn test suite). RFC 6455.
//
//   wirelab-beast-echo-server [--port P] [--max-message BYTES] [--log] [--quiet]
//
// It listens on 127.0.0.1 (port 0 picks a free one), prints `listening on 127.0.0.1:PORT`
// once it accepts, echoes every text or binary message as it came (same opcode, one frame),
// and lets Beast answer pings and the close handshake. No permessage-deflate, no automatic
// fragmentation, messages up to 16 MiB: the same rules as the lab's echo server, so the two
// can be compared frame for frame. One thread runs every connection, as the lab's does.
// --log prints one line per message echoed and per close, for the interop test to read.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

bool quiet = false;
bool log_messages = false;

// Every error goes through here. The ones that end a connection normally (the peer closed,
// or failed the connection on purpose, as the conformance driver does) are not news.
void fail(beast::error_code ec, const char* what) {
    if (quiet || ec == websocket::error::closed || ec == asio::error::operation_aborted || ec == asio::error::eof ||
        ec == asio::error::connection_reset)
        return;
    std::fprintf(stderr, "beast-echo: %s: %s\n", what, ec.message().c_str());
}

// One connection: the handshake, then read a message, write it back, read the next.
class Session : public std::enable_shared_from_this<Session> {
public:
    Session(tcp::socket socket, std::size_t max_message) : ws_(std::move(socket)) {
        ws_.read_message_max(max_message);
        ws_.auto_fragment(false);  // one message goes back as one frame
    }

    void run() {
        // Beast's suggested server timeouts: no idle timeout while the peer answers pings,
        // 30 s for the handshake.
        ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
        ws_.set_option(websocket::stream_base::decorator(
            [](websocket::response_type& res) { res.set(beast::http::field::server, "wirelab-beast-echo"); }));
        ws_.async_accept(beast::bind_front_handler(&Session::on_accept, shared_from_this()));
    }

private:
    void on_accept(beast::error_code ec) {
        if (ec) return fail(ec, "accept");
        do_read();
    }

    void do_read() { ws_.async_read(buffer_, beast::bind_front_handler(&Session::on_read, shared_from_this())); }

    void on_read(beast::error_code ec, std::size_t) {
        // Protocol errors (1002), bad UTF-8 (1007) and too-big messages (1009) land here
        // after Beast has already sent the close frame with that code.
        if (ec == websocket::error::closed && log_messages) {
            std::printf("beast-echo: the client closed with code %u\n", static_cast<unsigned>(ws_.reason().code));
            std::fflush(stdout);
        }
        if (ec) return fail(ec, "read");
        if (log_messages) {
            std::string head = beast::buffers_to_string(buffer_.data()).substr(0, 60);
            std::printf("beast-echo: echoing a %s message of %zu bytes \"%s\"\n", ws_.got_text() ? "text" : "binary",
                        buffer_.size(), ws_.got_text() ? head.c_str() : "...");
            std::fflush(stdout);
        }
        ws_.text(ws_.got_text());
        ws_.async_write(buffer_.data(), beast::bind_front_handler(&Session::on_write, shared_from_this()));
    }

    void on_write(beast::error_code ec, std::size_t) {
        if (ec) return fail(ec, "write");
        buffer_.consume(buffer_.size());
        do_read();
    }

    websocket::stream<beast::tcp_stream> ws_;
    beast::flat_buffer buffer_;
};

// Accepts connections for as long as the process runs.
class Listener : public std::enable_shared_from_this<Listener> {
public:
    Listener(asio::io_context& ioc, tcp::endpoint endpoint, std::size_t max_message)
        : ioc_(ioc), acceptor_(ioc, endpoint), max_message_(max_message) {}

    unsigned short port() const { return acceptor_.local_endpoint().port(); }
    void run() { do_accept(); }

private:
    void do_accept() {
        acceptor_.async_accept(asio::make_strand(ioc_),
                               beast::bind_front_handler(&Listener::on_accept, shared_from_this()));
    }

    void on_accept(beast::error_code ec, tcp::socket socket) {
        if (ec) {
            fail(ec, "accept");
        } else {
            // Small messages go out at once instead of waiting for an ACK (Nagle's algorithm).
            socket.set_option(tcp::no_delay(true), ec);
            std::make_shared<Session>(std::move(socket), max_message_)->run();
        }
        do_accept();
    }

    asio::io_context& ioc_;
    tcp::acceptor acceptor_;
    std::size_t max_message_;
};

void usage(std::FILE* out) {
    std::fprintf(out,
                 "Usage: wirelab-beast-echo-server [--port P] [--max-message BYTES] [--log] [--quiet]\n"
                 "  A Boost.Beast WebSocket echo server on 127.0.0.1 (port 0 picks one), until SIGTERM.\n"
                 "Example: wirelab-beast-echo-server --port 0\n");
}

}  // namespace

int main(int argc, char** argv) {
    int port = 0;
    std::size_t max_message = 16u << 20;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--port" && i + 1 < argc) {
            port = std::atoi(argv[++i]);
        } else if (a == "--max-message" && i + 1 < argc) {
            max_message = std::strtoull(argv[++i], nullptr, 10);
        } else if (a == "--log") {
            log_messages = true;
        } else if (a == "--quiet") {
            quiet = true;
        } else if (a == "--help" || a == "-h") {
            usage(stdout);
            return 0;
        } else {
            std::fprintf(stderr, "wirelab-beast-echo-server: unknown argument %s\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (port < 0 || port > 65535) {
        usage(stderr);
        return 2;
    }

    asio::io_context ioc{1};
    auto listener = std::make_shared<Listener>(ioc, tcp::endpoint{asio::ip::make_address("127.0.0.1"),
                                                                  static_cast<unsigned short>(port)},
                                               max_message);
    listener->run();
    std::printf("beast-echo: listening on 127.0.0.1:%u\n", listener->port());
    std::fflush(stdout);

    // SIGTERM or SIGINT stop the loop; the process then exits 0.
    asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](beast::error_code, int) { ioc.stop(); });
    ioc.run();
    return 0;
}
