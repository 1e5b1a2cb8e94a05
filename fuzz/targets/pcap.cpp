// Fuzz target: the capture file reader (capture.hpp) on classic pcap files; fuzz-pcapng runs
// the same code from pcapng seeds. The input is a whole file: it is written to a memory-backed
// file (memfd) because CaptureFile maps a path, and every packet is read to the end or to the
// first damage. Then the reader is rewound and read again.
#include "capture_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    wirelab::fuzz::read_capture(data, size);
    return 0;
}
