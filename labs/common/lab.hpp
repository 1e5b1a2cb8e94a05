// What every lab shares: its command line (mode, --port, --bind, --capture, --view, --help and
// the lab's own options), the narrated transcript, and recording the lab's own traffic from the
// loopback interface into a pcapng file that the viewer opens.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "wirelab/capture.hpp"
#include "wirelab/live.hpp"

namespace wirelab::lab {

// A lab's command line: `MODE [options]`. Options are declared with the variable they fill, so
// --help is generated from the same list that parses.
class Options {
public:
    Options(std::string program, std::string summary, std::vector<std::string> modes, std::string example);

    void add(std::string name, std::string* value, std::string help);
    void add(std::string name, int* value, std::string help);
    void add(std::string name, double* value, std::string help);
    void flag(std::string name, bool* value, std::string help);

    // Parses argv[1..]. On --help prints usage and returns false with exit code 0; on a bad
    // argument prints what is wrong, the usage and returns false with exit code 2.
    bool parse(int argc, char** argv);
    int exit_code() const { return exit_code_; }
    const std::string& mode() const { return mode_; }
    void print_usage(std::FILE* out) const;

private:
    struct Opt {
        std::string name, help;
        std::string* s = nullptr;
        int* i = nullptr;
        double* d = nullptr;
        bool* b = nullptr;
    };
    std::string program_, summary_, example_, mode_;
    std::vector<std::string> modes_;
    std::vector<Opt> opts_;
    int exit_code_ = 0;
};

// Prints the transcript: "  0.012 server: accept() gave us a new socket, fd 5". One mutex, so
// lines from the server and client threads of a demo never interleave.
class Narrator {
public:
    static Narrator& get();
    void say(std::string_view who, std::string_view text);
    void quiet(bool q) { quiet_ = q; }
    double elapsed() const;

private:
    Narrator();
    std::chrono::steady_clock::time_point start_;
    bool quiet_ = false;
};

template <typename... A>
void say(std::string_view who, const char* fmt, A... args) {
    char buf[2048];
    std::snprintf(buf, sizeof buf, fmt, args...);
    Narrator::get().say(who, buf);
}
inline void say(std::string_view who, const char* text) { Narrator::get().say(who, text); }

// Records the lab's own traffic: libpcap on the loopback interface, filtered with a BPF
// expression ("tcp port 5001"), written as pcapng by core's CaptureWriter from a thread.
class Recorder {
public:
    Recorder() = default;
    ~Recorder();
    Recorder(const Recorder&) = delete;
    Recorder& operator=(const Recorder&) = delete;

    // Starts capturing. Returns false (and says why, including how to get the permission) if
    // it cannot; the lab then runs without a capture.
    bool start(const std::string& path, const std::string& bpf_filter, const std::string& iface = "lo");
    // Waits for the last packets to come through, stops, closes the file and says how many
    // packets it holds. Returns the packet count.
    std::uint64_t stop();
    bool running() const { return thread_.joinable(); }
    const std::string& path() const { return path_; }

private:
    void run();
    std::unique_ptr<LiveSource> source_;
    std::unique_ptr<CaptureWriter> writer_;
    std::string path_;
    std::atomic<bool> stop_{false};
    std::atomic<std::uint64_t> packets_{0};
    std::thread thread_;
};

// Replaces this process with the viewer on `path` (for --view). Returns only on failure.
int open_viewer(const std::string& path);

// Servers bind 127.0.0.1 unless --bind names another address; then this warns that everyone
// on the class network can reach the server.
void warn_if_not_loopback(const std::string& bind);

// The directory of this executable (build/bin), to find the other wirelab programs.
std::string program_dir();

// A lab's main() is `return lab::run_main("03", argc, argv, lab_main);`. An exception nothing
// else caught (a std::system_error from a socket call, std::bad_alloc) then ends the lab with
// one line on stderr and exit code 1, where it would reach std::terminate and abort.
inline int run_main(const char* lab, int argc, char** argv, int (*body)(int, char**)) {
    try {
        return body(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "wirelab lab %s: %s\n", lab, e.what());
        return 1;
    }
}

}  // namespace wirelab::lab
