// Fuzz target: the Engine.IO and Socket.IO codecs the lab servers use (socketio.hpp): JSON,
// Engine.IO packets and polling payloads, Socket.IO packets, and the Reassembler that puts
// binary packets back together from their attachments. The first byte picks the entry point;
// for the Reassembler the rest is messages [kind][length][bytes] (kind bit 0: binary).
#include <string_view>

#include "fuzz_support.hpp"
#include "wirelab/socketio.hpp"

namespace wirelab {

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Input in(data, size);
    std::uint8_t which = in.u8();
    auto rest_bytes = in.rest();
    std::string_view text(reinterpret_cast<const char*>(rest_bytes.data()), rest_bytes.size());
    CodecError err;
    switch (which % 5) {
    case 0:
        if (auto v = json::parse(text, &err)) (void)json::to_string(*v);  // what parses must print
        break;
    case 1: {
        std::vector<eio::Packet> packets;
        if (eio::decode_payload(text, packets, &err)) (void)eio::encode_payload(packets);
        break;
    }
    case 2: {
        sio::Packet p;
        sio::Spans spans;
        if (sio::decode(text, p, &err, &spans)) (void)sio::encode(p);
        break;
    }
    case 3: {
        eio::Handshake h;
        if (eio::parse_handshake(text, h, &err)) (void)eio::encode_handshake(h);
        break;
    }
    case 4: {
        fuzz::Input messages(rest_bytes.data(), rest_bytes.size());
        sio::Reassembler r;
        while (!messages.empty()) {
            std::uint8_t kind = messages.u8();
            auto m = messages.take(messages.u8());
            if (kind & 1)
                r.add_binary(m);
            else
                r.add_text(std::string_view(reinterpret_cast<const char*>(m.data()), m.size()));
        }
        break;
    }
    }
    return 0;
}

}  // namespace wirelab
