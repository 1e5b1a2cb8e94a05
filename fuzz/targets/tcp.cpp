// Fuzz target: TCP and its stream reassembly. The input picks the server port (HTTP, DNS over
// TCP, the labs' 3000, or a port only the heuristics can claim) and then is a sequence of
// segments in the format TcpConversation describes (fuzz_support.hpp): in order, out of
// order, overlapping, retransmitted, with FIN, RST and new SYNs.
#include "fuzz_support.hpp"

namespace wirelab::fuzz {

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Input in(data, size);
    static constexpr std::uint16_t kPorts[] = {80, 53, 3000, 12345};
    TcpConversation conn(kPorts[in.u8() & 3]);
    conn.play(in);
    return 0;
}

}  // namespace wirelab::fuzz
