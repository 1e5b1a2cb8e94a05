// The opening handshake (RFC 6455 section 4).
#include "handshake.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <cstdio>

#include "wirelab/websocket.hpp"

namespace lab04 {

namespace http = wirelab::http;

namespace {

std::string base64(const unsigned char* data, int n) {
    // EVP_EncodeBlock writes 4 characters for every 3 bytes, padded with '=', and a NUL.
    std::string out(static_cast<std::size_t>(4 * ((n + 2) / 3) + 1), '\0');
    int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, n);
    out.resize(static_cast<std::size_t>(written));
    return out;
}

// A valid key is the base64 of exactly 16 bytes: 22 characters and "==" (section 4.2.1 item 5).
bool is_key(std::string_view key) {
    if (key.size() != 24 || key.substr(22) != "==") return false;
    unsigned char decoded[24];
    // EVP_DecodeBlock counts the padding as data (18 bytes for 24 characters) and fails on
    // anything that is not base64.
    return EVP_DecodeBlock(decoded, reinterpret_cast<const unsigned char*>(key.data()), 24) == 18;
}

}  // namespace

std::string make_key() {
    unsigned char nonce[16];
    RAND_bytes(nonce, sizeof nonce);
    return base64(nonce, sizeof nonce);
}

std::array<std::uint8_t, 4> make_mask() {
    std::array<std::uint8_t, 4> mask;
    RAND_bytes(mask.data(), static_cast<int>(mask.size()));
    return mask;
}

std::string upgrade_request(std::string_view host, std::string_view path, std::string_view key) {
    std::string r;
    r += "GET " + std::string(path) + " HTTP/1.1\r\n";
    r += "Host: " + std::string(host) + "\r\n";
    r += "Upgrade: websocket\r\n";
    r += "Connection: Upgrade\r\n";
    r += "Sec-WebSocket-Key: " + std::string(key) + "\r\n";
    r += "Sec-WebSocket-Version: 13\r\n";
    r += "User-Agent: wirelab-lab04\r\n\r\n";
    return r;
}

UpgradeCheck check_upgrade(const http::Message& m) {
    UpgradeCheck c;
    auto refuse = [&](int status, std::string reason) {
        c.status = status;
        c.reason = std::move(reason);
        return c;
    };
    // Section 4.2.1 lists what the server must find in the request, in this order.
    if (!m.is_request) return refuse(400, "expected an HTTP request");
    if (m.method != "GET") return refuse(400, "the opening handshake is a GET, not " + std::string(m.method));
    if (m.version != "HTTP/1.1") return refuse(400, "the opening handshake needs HTTP/1.1, not " + std::string(m.version));
    if (!m.header("Host")) return refuse(400, "the request has no Host header");
    // A plain HTTP request to a WebSocket endpoint: 426 tells the client which protocol to
    // upgrade to (RFC 9110 section 15.5.22).
    if (!m.header_has_token("Upgrade", "websocket")) return refuse(426, "this endpoint speaks only WebSocket (Upgrade: websocket)");
    if (!m.header_has_token("Connection", "Upgrade")) return refuse(426, "Connection: Upgrade is missing");
    auto version = m.header("Sec-WebSocket-Version");
    if (!version) return refuse(426, "Sec-WebSocket-Version is missing (this server speaks 13)");
    // Section 4.4: a version the server does not speak gets 426 and the versions it does speak.
    if (*version != "13") return refuse(426, "Sec-WebSocket-Version " + std::string(*version) + " is not supported (13 is)");
    auto key = m.header("Sec-WebSocket-Key");
    if (!key) return refuse(400, "Sec-WebSocket-Key is missing");
    if (!is_key(*key)) return refuse(400, "Sec-WebSocket-Key is not the base64 of 16 bytes");
    c.key = std::string(*key);
    c.accept = wirelab::ws::accept_key(c.key);
    return c;
}

std::string error_response(int status, std::string_view reason) {
    const char* phrase = status == 426 ? "Upgrade Required"
                         : status == 431 ? "Request Header Fields Too Large"
                         : status == 414 ? "URI Too Long"
                         : status == 503 ? "Service Unavailable"
                         : status == 501 ? "Not Implemented"
                                         : "Bad Request";
    std::string body = std::string(reason) + "\n";
    std::string r = "HTTP/1.1 " + std::to_string(status) + " " + phrase + "\r\n";
    if (status == 426) r += "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n";
    r += "Content-Type: text/plain; charset=utf-8\r\n";
    r += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    r += "Connection: close\r\n\r\n";
    return r + body;
}

std::string upgrade_response(const UpgradeCheck& c) {
    if (c.status != 101) return error_response(c.status, c.reason);
    // No Sec-WebSocket-Extensions: whatever the client offered (permessage-deflate), every
    // frame here stays uncompressed and RSV1 stays 0. No Sec-WebSocket-Protocol either.
    return "HTTP/1.1 101 Switching Protocols\r\n"
           "Upgrade: websocket\r\n"
           "Connection: Upgrade\r\n"
           "Sec-WebSocket-Accept: " + c.accept + "\r\n\r\n";
}

std::string check_response(const http::Message& m, std::string_view key) {
    if (m.is_request) return "expected a response, got a request";
    if (m.status != 101)
        return "the server answered " + std::to_string(m.status) + " " + std::string(m.reason) + ", not 101";
    if (!m.header_has_token("Upgrade", "websocket")) return "the 101 response has no Upgrade: websocket";
    if (!m.header_has_token("Connection", "Upgrade")) return "the 101 response has no Connection: Upgrade";
    auto accept = m.header("Sec-WebSocket-Accept");
    if (!accept) return "the 101 response has no Sec-WebSocket-Accept";
    if (*accept != wirelab::ws::accept_key(key))
        return "Sec-WebSocket-Accept " + std::string(*accept) + " is not the hash of our key";
    if (m.header("Sec-WebSocket-Extensions")) return "the server chose an extension we did not offer";
    return {};
}

AcceptSteps accept_steps(std::string_view key) {
    AcceptSteps s;
    s.concatenated = std::string(key) + std::string(kWebSocketGuid);
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(s.concatenated.data()), s.concatenated.size(), digest);
    char hex[3];
    for (unsigned char b : digest) {
        std::snprintf(hex, sizeof hex, "%02x", b);
        s.sha1_hex += hex;
    }
    s.base64 = base64(digest, SHA_DIGEST_LENGTH);
    return s;
}

}  // namespace lab04
