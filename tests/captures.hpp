// Every real capture file the tests sweep: the shared corpus (../shared/captures, by protocol)
// and the captures wirelab ships (captures/), sorted by path.
#pragma once

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "wirelab/capture.hpp"

namespace testing_support {

// The link type of the interface `frame` was captured on (Ethernet if the file names none).
inline std::uint32_t link_type_of(const wirelab::CaptureFile& cap, const wirelab::Frame& frame) {
    return frame.interface < cap.interfaces().size() ? cap.interfaces()[frame.interface].link_type
                                                     : wirelab::kLinkEthernet;
}

inline std::vector<std::string> real_captures() {
    std::vector<std::string> files;
    auto take = [&](const std::filesystem::path& p) {
        if (p.extension() == ".pcap" || p.extension() == ".pcapng") files.push_back(p.string());
    };
    for (const auto& e : std::filesystem::recursive_directory_iterator(WIRELAB_SHARED_CAPTURES)) take(e.path());
    for (const auto& e : std::filesystem::directory_iterator(std::string(WIRELAB_REPO_DIR) + "/captures")) take(e.path());
    std::sort(files.begin(), files.end());
    return files;
}

}  // namespace testing_support
