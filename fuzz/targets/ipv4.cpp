// Fuzz target: the IPv4 dissector (RFC 791) and what it hands on. The input is a
// sequence of packets, each [2-byte length][bytes], decoded as raw IP frames (LINKTYPE_RAW) by
// one Decoder; the version nibble is forced to 4 so that every packet reaches IPv4.
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    wirelab::fuzz::Input in(data, size);
    wirelab::fuzz::feed_ip_packets(in, 4);
    return 0;
}
