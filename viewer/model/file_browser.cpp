// Directory listing for File > Open (see file_browser.hpp).
#include "model/file_browser.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace wirelab::viewer {

namespace fs = std::filesystem;

bool looks_like_capture(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    unsigned char m[4] = {};
    if (!in.read(reinterpret_cast<char*>(m), 4)) return false;
    static const unsigned char kMagic[][4] = {
        {0xd4, 0xc3, 0xb2, 0xa1}, {0xa1, 0xb2, 0xc3, 0xd4},  // pcap, microseconds
        {0x4d, 0x3c, 0xb2, 0xa1}, {0xa1, 0xb2, 0x3c, 0x4d},  // pcap, nanoseconds
        {0x0a, 0x0d, 0x0d, 0x0a},                            // pcapng section header block
    };
    for (const auto& k : kMagic)
        if (std::memcmp(m, k, 4) == 0) return true;
    return false;
}

bool FileBrowser::open(const std::string& dir) {
    std::error_code ec;
    fs::path p = fs::absolute(dir.empty() ? "." : dir, ec).lexically_normal();
    std::vector<Entry> list;
    fs::directory_iterator it(p, fs::directory_options::skip_permission_denied, ec);
    if (ec) {
        error_ = p.string() + ": " + ec.message();
        return false;
    }
    for (const fs::directory_entry& e : it) {
        Entry x;
        x.name = e.path().filename().string();
        if (x.name.empty() || x.name[0] == '.') continue;
        std::error_code ec2;
        x.directory = e.is_directory(ec2);
        if (!x.directory) {
            x.size = e.file_size(ec2);
            std::string ext = e.path().extension().string();
            std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
            x.capture = ext == ".pcap" || ext == ".pcapng" || ext == ".cap" || ext == ".dmp" || ext == ".ntar";
            if (!x.capture && !show_all) continue;
        }
        list.push_back(std::move(x));
    }
    std::sort(list.begin(), list.end(), [](const Entry& a, const Entry& b) {
        if (a.directory != b.directory) return a.directory;
        return a.name < b.name;
    });
    dir_ = p.string();
    entries_ = std::move(list);
    error_.clear();
    return true;
}

bool FileBrowser::up() {
    fs::path p(dir_);
    return open(p.has_parent_path() ? p.parent_path().string() : dir_);
}

bool FileBrowser::enter(const Entry& e) { return e.directory && open(path_of(e)); }

std::string FileBrowser::path_of(const Entry& e) const { return (fs::path(dir_) / e.name).string(); }

}  // namespace wirelab::viewer
