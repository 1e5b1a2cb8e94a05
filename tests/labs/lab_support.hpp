// Running the labs from tests as a student would: the lab's program with its arguments, its
// output, its capture decoded by `wirelab dump -T fields` and checked by tshark.
#pragma once

#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace labtest {

struct Run {
    int status = -1;  // exit code, or 128 + signal
    std::string out;  // stdout and stderr together
};

// Runs a shell command with a time limit; a lab that hangs fails the test instead of CI.
inline Run run(const std::string& cmd, int timeout_s = 60) {
    Run r;
    std::string full = "timeout -k 5 " + std::to_string(timeout_s) + " " + cmd + " 2>&1";
    FILE* p = ::popen(full.c_str(), "r");
    REQUIRE(p != nullptr);
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
    int st = ::pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return r;
}

inline std::string bin(const std::string& name) { return std::string(WIRELAB_BIN_DIR) + "/" + name; }
inline std::string lab(int n) {
    char name[32];
    std::snprintf(name, sizeof name, "wirelab-lab%02d", n);
    return bin(name);
}

// A fresh directory for one test's files.
inline std::string temp_dir(const std::string& tag) {
    std::string t = std::filesystem::temp_directory_path().string() + "/wirelab-labtest-" + tag + "-XXXXXX";
    REQUIRE(::mkdtemp(t.data()) != nullptr);
    return t;
}

// `wirelab dump -r FILE -Y FILTER -T fields -e F1 -e F2 ...`, one vector of values per packet.
inline std::vector<std::vector<std::string>> fields(const std::string& capture, const std::string& filter,
                                                    const std::vector<std::string>& names) {
    std::string cmd = "'" + bin("wirelab") + "' dump -r '" + capture + "' -T fields";
    if (!filter.empty()) cmd += " -Y '" + filter + "'";
    for (const auto& f : names) cmd += " -e " + f;
    Run r = run(cmd);
    INFO(cmd << "\n" << r.out);
    REQUIRE(r.status == 0);
    std::vector<std::vector<std::string>> rows;
    std::istringstream in(r.out);
    std::string line;
    while (std::getline(in, line)) {
        std::vector<std::string> row;
        std::size_t start = 0;
        while (true) {
            std::size_t tab = line.find('\t', start);
            row.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
            if (tab == std::string::npos) break;
            start = tab + 1;
        }
        rows.push_back(std::move(row));
    }
    return rows;
}

// The frames tshark marks malformed (or with an error-level expert item) in `capture`.
inline std::string tshark_problems(const std::string& capture) {
    Run r = run("tshark -n -r '" + capture + "' -Y '_ws.malformed || _ws.expert.severity == error'");
    INFO(r.out);
    REQUIRE(r.status == 0);
    return r.out;
}

// Lines of `text` that contain `needle`.
inline int count_lines(const std::string& text, const std::string& needle) {
    int n = 0;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) n += line.find(needle) != std::string::npos;
    return n;
}

}  // namespace labtest
