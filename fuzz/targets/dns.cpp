// Fuzz target: the DNS dissector (RFC 1035; mDNS, LLMNR). The input is a sequence of
// messages, each [2-byte length][bytes]; each goes in a UDP datagram to or from port 53 (the
// top bit of the length picks the direction, so queries and responses pair up by id).
#include "fuzz_support.hpp"

namespace wirelab::fuzz {

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Input in(data, size);
    FrameFeeder feeder(wirelab::kLinkRaw);
    while (!in.empty()) {
        std::uint16_t head = in.u16();
        bool from_client = (head & 0x8000) == 0;
        auto message = in.take(head & 0x7fff);
        auto datagram = from_client ? udp(53000, 53, message) : udp(53, 53000, message);
        feeder.feed(ipv4(17, from_client, datagram));
    }
    return 0;
}

}  // namespace wirelab::fuzz
