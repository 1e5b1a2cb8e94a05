// Reading a fuzzer input as a capture file (the pcap and pcapng targets).
#pragma once
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <string>

#include "wirelab/capture.hpp"

namespace wirelab::fuzz {

inline void read_capture(const std::uint8_t* data, std::size_t size) {
    // One memfd per process, rewritten for each input: no files on disk, nothing to clean up.
    static int fd = memfd_create("wirelab-fuzz-capture", 0);
    if (fd < 0) __builtin_trap();
    if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != static_cast<ssize_t>(size)) __builtin_trap();
    CaptureError err;
    auto file = CaptureFile::open("/proc/self/fd/" + std::to_string(fd), err);
    if (!file) return;
    Frame frame;
    std::uint64_t bytes = 0;
    for (int pass = 0; pass < 2; ++pass) {
        while (file->next(frame)) {
            // Touch every byte the reader says it has, so ASan checks the views it returns.
            for (std::uint8_t b : frame.data) bytes += b;
            for (char c : frame.comment) bytes += static_cast<std::uint8_t>(c);
            if (frame.interface >= file->interfaces().size() && frame.block_type == 0) __builtin_trap();
        }
        if (file->error()) (void)file->error()->message();
        file->rewind();
    }
    (void)bytes;
}

}  // namespace wirelab::fuzz
