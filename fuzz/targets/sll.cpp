// Fuzz target: Linux cooked capture v1 (LINKTYPE_LINUX_SLL). The input is a sequence of frames,
// each [2-byte length][bytes], decoded in order by one Decoder so that state kept between
// frames (IP fragments, TCP streams, DNS transactions) is exercised too.
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    wirelab::fuzz::Input in(data, size);
    wirelab::fuzz::FrameFeeder feeder(wirelab::kLinkLinuxSll);
    while (!in.empty()) feeder.feed(in.take(in.u16()));
    return 0;
}
