// A WebSocket client written with Boost.Beast: the reference peer that talks to lab 04's echo
// server in the interop test (RFC 6455).
//
//   wirelab-beast-client --url ws://127.0.0.1:PORT/ [--send TEXT]... [--binary] [--size N]
//
// It opens the connection, sends each --send TEXT as one message (a text message, or binary
// with --binary; --size N sends one more message of N bytes, for the large-frame lengths),
// prints every message that comes back, then does the close handshake and prints the close
// code the server answered with. Exit status 0 only if every message came back unchanged.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

void usage(std::FILE* out) {
    std::fprintf(out,
                 "Usage: wirelab-beast-client --url ws://HOST:PORT/PATH [--send TEXT]... [--binary] [--size N]\n"
                 "  Sends each TEXT as one message, prints what the server sends back, closes with 1000.\n"
                 "Example: wirelab-beast-client --url ws://127.0.0.1:9004/ --send hello --send world\n");
}

int fail(const beast::error_code& ec, const char* what) {
    std::fprintf(stderr, "beast-client: %s: %s\n", what, ec.message().c_str());
    return 1;
}

// Splits ws://host:port/path; anything else is refused (no TLS here).
bool split_url(const std::string& url, std::string& host, std::string& port, std::string& target) {
    const std::string scheme = "ws://";
    if (url.compare(0, scheme.size(), scheme) != 0) return false;
    std::string rest = url.substr(scheme.size());
    std::size_t slash = rest.find('/');
    std::string authority = rest.substr(0, slash);
    target = slash == std::string::npos ? "/" : rest.substr(slash);
    std::size_t colon = authority.rfind(':');
    if (colon == std::string::npos) return false;
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    return !host.empty() && !port.empty();
}

}  // namespace

int main(int argc, char** argv) {
    std::string url;
    std::vector<std::string> messages;
    bool binary = false;
    long size = -1;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--url" && i + 1 < argc) {
            url = argv[++i];
        } else if (a == "--send" && i + 1 < argc) {
            messages.emplace_back(argv[++i]);
        } else if (a == "--binary") {
            binary = true;
        } else if (a == "--size" && i + 1 < argc) {
            size = std::atol(argv[++i]);
        } else if (a == "--help" || a == "-h") {
            usage(stdout);
            return 0;
        } else {
            std::fprintf(stderr, "beast-client: unknown argument %s\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    std::string host, port, target;
    if (!split_url(url, host, port, target)) {
        usage(stderr);
        return 2;
    }
    if (size >= 0) {
        // A pattern a server cannot echo right by accident: the byte at i is 'a' + i mod 26.
        std::string big(static_cast<std::size_t>(size), '\0');
        for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
        messages.push_back(std::move(big));
    }

    asio::io_context ioc;
    tcp::resolver resolver(ioc);
    websocket::stream<tcp::socket> ws(ioc);
    beast::error_code ec;
    auto results = resolver.resolve(host, port, ec);
    if (ec) return fail(ec, "resolve");
    asio::connect(ws.next_layer(), results, ec);
    if (ec) return fail(ec, "connect");
    ws.read_message_max(64u << 20);
    ws.handshake(host + ":" + port, target, ec);
    if (ec) return fail(ec, "handshake");
    std::printf("beast-client: connected to %s\n", url.c_str());

    int mismatches = 0;
    for (const auto& m : messages) {
        ws.binary(binary);
        ws.write(asio::buffer(m), ec);
        if (ec) return fail(ec, "write");
        beast::flat_buffer buffer;
        ws.read(buffer, ec);
        if (ec) return fail(ec, "read");
        std::string back = beast::buffers_to_string(buffer.data());
        bool same = back == m && ws.got_text() == !binary;
        mismatches += !same;
        if (back.size() <= 200)
            std::printf("beast-client: received %s \"%s\"%s\n", ws.got_text() ? "text" : "binary", back.c_str(),
                        same ? "" : " (NOT what was sent)");
        else
            std::printf("beast-client: received %s of %zu bytes%s\n", ws.got_text() ? "text" : "binary", back.size(),
                        same ? ", the same bytes" : " (NOT what was sent)");
    }

    // close() sends our close frame, reads until the server's comes back and then closes TCP
    // (RFC 6455 section 7.1.1), so reason() holds the server's answer.
    ws.close(websocket::close_code::normal, ec);
    if (ec) return fail(ec, "close");
    std::printf("beast-client: closed, server answered with code %u\n", static_cast<unsigned>(ws.reason().code));
    return mismatches == 0 ? 0 : 1;
}
