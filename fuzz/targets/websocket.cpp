// Fuzz target: the WebSocket dissector (RFC 6455, RFC 7692 permessage-deflate). A valid
// opening handshake is sent first (with or without permessage-deflate, as the first input byte
// says); after the 101 the rest of the input is segments of frames, as TcpConversation
// describes (fuzz_support.hpp).
#include <string>

#include "fuzz_support.hpp"
#include "wirelab/websocket.hpp"

namespace wirelab::fuzz {

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Input in(data, size);
    std::uint8_t mode = in.u8();
    bool deflate = mode & 1;
    // Engine.IO's path makes the messages go on to the Engine.IO dissector too.
    std::string path = (mode & 2) ? "/socket.io/?EIO=4&transport=websocket" : "/chat";
    static const std::string kKey = "dGhlIHNhbXBsZSBub25jZQ==";  // RFC 6455 section 1.3
    std::string request = "GET " + path + " HTTP/1.1\r\nHost: lab\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Key: " + kKey + "\r\nSec-WebSocket-Version: 13\r\n";
    std::string response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           "Sec-WebSocket-Accept: " + wirelab::ws::accept_key(kKey) + "\r\n";
    if (deflate) {
        request += "Sec-WebSocket-Extensions: permessage-deflate\r\n";
        response += "Sec-WebSocket-Extensions: permessage-deflate\r\n";
    }
    request += "\r\n";
    response += "\r\n";

    TcpConversation conn(80);
    conn.send_data(true, bytes_of(request));
    conn.send_data(false, bytes_of(response));
    conn.play(in);
    return 0;
}

}  // namespace wirelab::fuzz
