// Fuzz target: the HTTP dissector (RFC 9112) over a reassembled TCP stream to port 80: heads
// split across segments, Content-Length and chunked bodies, pipelining, upgrades. The input is
// a sequence of segments as TcpConversation describes (fuzz_support.hpp).
#include "fuzz_support.hpp"

namespace wirelab::fuzz {

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Input in(data, size);
    TcpConversation conn(80);
    conn.play(in);
    return 0;
}

}  // namespace wirelab::fuzz
