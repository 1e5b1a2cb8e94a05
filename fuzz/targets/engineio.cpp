// Fuzz target: the Engine.IO and Socket.IO dissectors, reached the way a capture reaches them.
// The first input byte picks the transport:
//   even: WebSocket. After the upgrade of /socket.io/?EIO=4&transport=websocket, each message
//         [kind][length][bytes] becomes one frame: kind bit 0 says who sends it (the client
//         masks), bit 1 text or binary.
//   odd:  long polling. Each message [kind][length][bytes] becomes the body of a POST from the
//         client (bit 0 = 0) or of the 200 answering a GET poll (bit 0 = 1).
#include <string>

#include "fuzz_support.hpp"
#include "wirelab/websocket.hpp"

namespace wirelab::fuzz {

namespace {
void over_websocket(Input& in) {
    static const std::string kKey = "dGhlIHNhbXBsZSBub25jZQ==";
    TcpConversation conn(3000);
    conn.send_data(true, bytes_of("GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: lab\r\n"
                                  "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " +
                                  kKey + "\r\nSec-WebSocket-Version: 13\r\n\r\n"));
    conn.send_data(false, bytes_of("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                   "Sec-WebSocket-Accept: " + wirelab::ws::accept_key(kKey) + "\r\n\r\n"));
    while (!in.empty()) {
        std::uint8_t kind = in.u8();
        auto message = in.take(in.u8());
        bool from_client = (kind & 1) == 0;
        std::uint8_t opcode = (kind & 2) ? wirelab::ws::kBinary : wirelab::ws::kText;
        std::vector<std::uint8_t> frame;
        std::optional<std::array<std::uint8_t, 4>> mask;
        if (from_client) mask = std::array<std::uint8_t, 4>{0x12, 0x34, 0x56, 0x78};
        wirelab::ws::encode_frame(frame, opcode, message, true, mask);
        conn.send_data(from_client, frame);
    }
}

void over_polling(Input& in) {
    TcpConversation conn(3000);
    while (!in.empty()) {
        std::uint8_t kind = in.u8();
        auto message = in.take(in.u8());
        std::string body(message.begin(), message.end());
        if ((kind & 1) == 0) {
            conn.send_data(true, bytes_of("POST /socket.io/?EIO=4&transport=polling&sid=abc HTTP/1.1\r\nHost: lab\r\n"
                                          "Content-Type: text/plain;charset=UTF-8\r\nContent-Length: " +
                                          std::to_string(body.size()) + "\r\n\r\n" + body));
            conn.send_data(false, bytes_of("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        } else {
            conn.send_data(true, bytes_of("GET /socket.io/?EIO=4&transport=polling&sid=abc HTTP/1.1\r\nHost: lab\r\n\r\n"));
            conn.send_data(false, bytes_of("HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=UTF-8\r\n"
                                           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body));
        }
    }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Input in(data, size);
    if (in.u8() & 1)
        over_polling(in);
    else
        over_websocket(in);
    return 0;
}

}  // namespace wirelab::fuzz
