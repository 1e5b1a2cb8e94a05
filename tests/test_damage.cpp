// Damaged captures through the real `wirelab dump` program: every kind of damage of
// tests/damage.hpp at every record of five real captures. Each must end in a clear message
// (the file, the offset, the problem) and exit status 2 after listing every frame before the
// damage, or, for a file that is merely shorter, a clean exit with the frames it holds. Never a
// crash: CI runs this under AddressSanitizer and UBSan too (WIRELAB_SANITIZE), where any
// report makes the program exit with 1 instead.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "damage.hpp"

namespace fs = std::filesystem;

namespace {

// A scratch directory for one test case, removed at its end.
struct Scratch {
    std::string dir;
    explicit Scratch(const std::string& tag) {
        std::string t = (fs::temp_directory_path() / ("wirelab-damage-" + tag + "-XXXXXX")).string();
        REQUIRE(::mkdtemp(t.data()) != nullptr);
        dir = t;
    }
    ~Scratch() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
    std::string write(const std::string& name, const std::vector<std::uint8_t>& bytes) const {
        const std::string path = dir + "/" + name;
        std::ofstream(path, std::ios::binary)
            .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
        return path;
    }
};

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct Ran {
    int status = -1;  // exit code, or 128 + signal (a crash, or killed at the time limit)
    std::string out, err;
};

// Runs `args` without a shell (a thousand runs add up), stdout and stderr to files, killed
// after `timeout_s` so that a hang fails the test instead of CI.
Ran run_program(const std::vector<std::string>& args, const std::string& scratch, int timeout_s = 20) {
    const std::string out_path = scratch + "/stdout", err_path = scratch + "/stderr";
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (out < 0 || err < 0) ::_exit(126);
        ::dup2(out, 1);
        ::dup2(err, 2);
        std::vector<char*> argv;
        for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    int st = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
    while (::waitpid(pid, &st, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &st, 0);
            break;
        }
        std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
    Ran r;
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    r.out = slurp(out_path);
    r.err = slurp(err_path);
    return r;
}

std::size_t count_lines(const std::string& text) { return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')); }

// "(N packets before it were decoded)" at the end of dump's error line.
long decoded_before(const std::string& err) {
    const auto end = err.rfind(" packets before it were decoded)");
    const auto at = err.rfind(" (", end);
    if (end == std::string::npos || at == std::string::npos) return -1;
    return std::atol(err.c_str() + at + 2);
}

// Offset N of "FILE: offset N: ...".
long long offset_in(const std::string& err, const std::string& path) {
    const auto at = err.find(path + ": offset ");
    if (at == std::string::npos) return -1;
    return std::atoll(err.c_str() + at + path.size() + 9);
}

bool says_one_of(const std::string& text, const std::vector<std::string>& says) {
    for (const std::string& s : says)
        if (text.find(s) != std::string::npos) return true;
    return says.empty();
}

enum class Formats { both, pcap, pcapng };

// Feeds every damaged file of `kind` to `wirelab dump -T fields -e frame.number` (one line a
// frame) and checks what it printed. Returns how many files were tried. (A run costs about
// 5 ms of CPU, 40 ms in the sanitizer build: the biggest kind is split by format to stay under
// 30 s a case there.)
std::size_t dump_damaged(damage::Kind kind, Formats formats = Formats::both) {
    Scratch scratch(damage::kind_name(kind));
    std::size_t tried = 0;
    for (const damage::Source& source : damage::sources(WIRELAB_SHARED_CAPTURES, scratch.dir)) {
        if (formats != Formats::both && source.pcapng != (formats == Formats::pcapng)) continue;
        for (const damage::Damaged& d : damage::damage_all(source)) {
            if (d.kind != kind) continue;
            ++tried;
            const std::string path = scratch.write(d.name, d.bytes);
            const Ran r = run_program({WIRELAB_BIN, "dump", "-r", path, "-T", "fields", "-e", "frame.number"}, scratch.dir);
            const damage::Expect& e = d.expect;
            INFO(d.name << ": exit " << r.status << ", stderr: " << r.err);
            // Exit 2 names the damage; 0 is a clean end. Anything else (1 from a sanitizer
            // report, 128+ from a signal or the time limit) is a failure.
            REQUIRE((r.status == 0 || r.status == 2));
            if (!e.exact) {
                CHECK(count_lines(r.out) >= e.frames);
                if (r.status == 2) CHECK(offset_in(r.err, path) >= static_cast<long long>(e.offset));
                continue;
            }
            if (!e.error) {
                CHECK(r.status == 0);
                CHECK(r.err.empty());
                CHECK(count_lines(r.out) == e.frames);
                continue;
            }
            CHECK(r.status == 2);
            // One line: "wirelab dump: FILE: offset N: WHAT (K packets before it were decoded)".
            CHECK(r.err.rfind("wirelab dump: " + path + ": offset " + std::to_string(e.offset) + ": ", 0) == 0);
            CHECK(says_one_of(r.err, e.says));
            CHECK(count_lines(r.err) == 1);
            // Every frame before the damage is listed, and counted in the message (a file whose
            // header is damaged does not open: no frames, no count).
            CHECK(count_lines(r.out) == e.frames);
            CHECK(decoded_before(r.err) == (e.opens ? static_cast<long>(e.frames) : -1));
            // The frames listed are the first ones, in order.
            std::istringstream lines(r.out);
            std::string line;
            for (std::size_t n = 1; std::getline(lines, line); ++n) CHECK(line == std::to_string(n));
        }
    }
    return tried;
}

}  // namespace

TEST_CASE("the damage generator finds every record of its real sources", "[capture][damage]") {
    Scratch scratch("sources");
    const auto sources = damage::sources(WIRELAB_SHARED_CAPTURES, scratch.dir);
    REQUIRE(sources.size() == 5);
    for (const damage::Source& s : sources) {
        INFO(s.name);
        REQUIRE_FALSE(s.records.empty());
        // The records tile the file, and every frame the reader lists starts at one of them.
        CHECK(s.records.front().at == s.header);
        CHECK(s.records.back().at + s.records.back().length == s.bytes.size());
        for (std::size_t i = 1; i < s.records.size(); ++i)
            CHECK(s.records[i].at == s.records[i - 1].at + s.records[i - 1].length);
        for (std::uint64_t f : s.frame_offsets)
            CHECK(std::any_of(s.records.begin(), s.records.end(), [&](const damage::Record& r) { return r.at == f; }));
        CHECK_FALSE(s.frame_offsets.empty());
    }
    // The big-endian pcap made from a little-endian one reads as the same packets.
    CHECK(sources[1].bytes[0] == 0xa1);
    CHECK(sources[1].frame_offsets.size() == 15);
    // The pcapng sources have more than one section or more than one interface.
    auto count_type = [](const damage::Source& s, std::uint32_t type) {
        return std::count_if(s.records.begin(), s.records.end(), [&](const damage::Record& r) { return r.type == type; });
    };
    CHECK(count_type(sources[3], damage::kShb) > 1);
    CHECK(count_type(sources[4], damage::kIdb) == 2);
}

TEST_CASE("wirelab dump: a capture cut at a record boundary lists the records before it and exits cleanly",
          "[capture][damage][dump]") {
    CHECK(dump_damaged(damage::Kind::cut_at_boundary) > 50);
}

TEST_CASE("wirelab dump: a pcap cut inside a record says truncated at the record's offset", "[capture][damage][dump]") {
    CHECK(dump_damaged(damage::Kind::cut_inside, Formats::pcap) > 250);
}

TEST_CASE("wirelab dump: a pcapng cut inside a block says truncated at the block's offset", "[capture][damage][dump]") {
    CHECK(dump_damaged(damage::Kind::cut_inside, Formats::pcapng) > 200);
}

TEST_CASE("wirelab dump: flipped length fields are named at the record's offset", "[capture][damage][dump]") {
    CHECK(dump_damaged(damage::Kind::length_flipped) > 80);
}

TEST_CASE("wirelab dump: a snaplen of 0 is no damage", "[capture][damage][dump]") {
    CHECK(dump_damaged(damage::Kind::zero_snaplen) == 5);
}

TEST_CASE("wirelab dump: a giant captured length is refused at its record", "[capture][damage][dump]") {
    CHECK(dump_damaged(damage::Kind::giant_caplen) > 50);
}

TEST_CASE("wirelab dump: a wrong magic number is named with its offset", "[capture][damage][dump]") {
    CHECK(dump_damaged(damage::Kind::wrong_magic) > 30);
}

TEST_CASE("wirelab dump: pcapng blocks whose lengths disagree stop the listing there", "[capture][damage][dump]") {
    CHECK(dump_damaged(damage::Kind::lengths_disagree) > 50);
}
