// Fuzz target: the IPv6 dissector (RFC 8200) and what it hands on. The input is a
// sequence of packets, each [2-byte length][bytes], decoded as raw IP frames (LINKTYPE_RAW) by
// one Decoder; the version nibble is forced to 6 so that every packet reaches IPv6.
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    wirelab::fuzz::Input in(data, size);
    wirelab::fuzz::feed_ip_packets(in, 6);
    return 0;
}
