// What the viewer remembers between runs: recent files and the display filter history, in a
// small text file ($XDG_CONFIG_HOME/wirelab/viewer.conf, else ~/.config/wirelab/viewer.conf;
// WIRELAB_VIEWER_CONFIG names another, tests use it).
#pragma once

#include <string>
#include <vector>

namespace wirelab::viewer {

class Settings {
public:
    static constexpr std::size_t kMaxRecent = 10;
    static constexpr std::size_t kMaxHistory = 20;

    // Reads the file at `path` (the default place if empty); a missing file is no error.
    void load(std::string path = {});
    bool save() const;
    const std::string& path() const { return path_; }

    const std::vector<std::string>& recent_files() const { return recent_; }
    void add_recent_file(const std::string& path);
    const std::vector<std::string>& filter_history() const { return history_; }
    void add_filter(const std::string& text);
    static std::string default_path();

private:
    std::string path_;
    std::vector<std::string> recent_, history_;
};

}  // namespace wirelab::viewer
