// Fuzz target: the WebSocket frame reader the lab servers use (websocket.hpp): header parsing,
// the RFC 6455 section 5 checks on each frame, unmasking, close payloads and incremental
// UTF-8 validation. The first byte sets the reader's situation (server or client side, inside
// a fragmented message, permessage-deflate allowed); the rest is a stream of frames read one
// after another as a server's do_read loop would.
#include "fuzz_support.hpp"
#include "wirelab/websocket.hpp"

namespace wirelab {

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Input in(data, size);
    std::uint8_t setup = in.u8();
    bool from_client = setup & 1, rsv1_allowed = setup & 2;
    bool in_message = setup & 4;
    auto stream = in.rest();
    ws::Utf8Validator utf8;
    std::size_t pos = 0;
    while (pos < stream.size()) {
        ws::FrameHeader h;
        std::string error;
        if (ws::parse_header(stream.subspan(pos), h, &error) != ws::Parse::complete) break;
        if (ws::check_frame(h, from_client, in_message, rsv1_allowed)) break;
        std::size_t avail = stream.size() - pos - h.header_length;
        if (h.payload_length > avail) break;
        std::vector<std::uint8_t> payload(stream.begin() + static_cast<std::ptrdiff_t>(pos + h.header_length),
                                          stream.begin() + static_cast<std::ptrdiff_t>(pos + h.header_length + h.payload_length));
        if (h.masked) ws::apply_mask(payload, h.mask);
        if (h.opcode == ws::kClose) {
            (void)ws::check_close_payload(payload);
        } else if (h.opcode == ws::kText || (h.opcode == ws::kContinuation && in_message)) {
            if (!utf8.feed(payload)) break;
            (void)ws::valid_utf8(payload);
        }
        if (h.opcode < 8) in_message = !h.fin;
        if (h.fin && !in_message) utf8.reset();
        pos += h.header_length + h.payload_length;
    }
    return 0;
}

}  // namespace wirelab
