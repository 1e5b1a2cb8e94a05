// The built-in file browser's model: a directory listing with capture files picked out. The
// File > Open dialog draws it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace wirelab::viewer {

class FileBrowser {
public:
    struct Entry {
        std::string name;
        bool directory = false;
        bool capture = false;      // .pcap, .pcapng, .cap, .dmp (or a pcap/pcapng magic number)
        std::uint64_t size = 0;
    };
    // Lists `dir` (directories first, then files, by name). False and error() if unreadable.
    bool open(const std::string& dir);
    bool up();                                // the parent directory
    bool enter(const Entry& e);               // a directory: list it
    const std::string& dir() const { return dir_; }
    const std::vector<Entry>& entries() const { return entries_; }
    const std::string& error() const { return error_; }
    std::string path_of(const Entry& e) const;
    bool show_all = false;                    // list every file, not only captures

private:
    std::string dir_, error_;
    std::vector<Entry> entries_;
};

// Whether the file starts like a pcap or pcapng file (magic numbers), whatever its name.
bool looks_like_capture(const std::string& path);

}  // namespace wirelab::viewer
