// Recent files and filter history on disk (see settings.hpp).
#include "model/settings.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace wirelab::viewer {

namespace {
void push_front_unique(std::vector<std::string>& v, const std::string& s, std::size_t max) {
    v.erase(std::remove(v.begin(), v.end(), s), v.end());
    v.insert(v.begin(), s);
    if (v.size() > max) v.resize(max);
}
}  // namespace

std::string Settings::default_path() {
    if (const char* p = std::getenv("WIRELAB_VIEWER_CONFIG"); p && *p) return p;
    if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x) return std::string(x) + "/wirelab/viewer.conf";
    if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.config/wirelab/viewer.conf";
    return {};
}

void Settings::load(std::string path) {
    path_ = path.empty() ? default_path() : std::move(path);
    recent_.clear();
    history_.clear();
    std::ifstream in(path_);
    std::string line;
    // Lines "recent=PATH" and "filter=TEXT", newest first.
    while (std::getline(in, line)) {
        if (line.rfind("recent=", 0) == 0 && recent_.size() < kMaxRecent) recent_.push_back(line.substr(7));
        else if (line.rfind("filter=", 0) == 0 && history_.size() < kMaxHistory) history_.push_back(line.substr(7));
    }
}

bool Settings::save() const {
    if (path_.empty()) return false;
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path_).parent_path(), ec);
    std::ofstream out(path_, std::ios::trunc);
    if (!out) return false;
    out << "# wirelab viewer: recent files and display filter history\n";
    for (const std::string& r : recent_) out << "recent=" << r << '\n';
    for (const std::string& f : history_) out << "filter=" << f << '\n';
    return static_cast<bool>(out);
}

void Settings::add_recent_file(const std::string& path) {
    std::error_code ec;
    std::filesystem::path abs = std::filesystem::absolute(path, ec);
    push_front_unique(recent_, ec ? path : abs.lexically_normal().string(), kMaxRecent);
}

void Settings::add_filter(const std::string& text) {
    if (text.find_first_not_of(" \t") == std::string::npos || text.find('\n') != std::string::npos) return;
    push_front_unique(history_, text, kMaxHistory);
}

}  // namespace wirelab::viewer
