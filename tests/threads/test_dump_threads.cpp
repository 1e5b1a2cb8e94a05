// `wirelab dump -V`, `-x` and `-T json` write each packet's text on a second thread while the
// next packets are decoded (PacketRing, `--threads 2`, the default on two cores). The output,
// the error message and the exit code must be exactly those of one thread (`--threads 1`):
// checked on every real capture, with a display filter, a packet count and a file cut in the
// middle of a block. CI runs these tests under ThreadSanitizer too (./wirelab, tsan_tests).
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "captures.hpp"
#include "wirelab/dump.hpp"

namespace {

using namespace wirelab;

struct Output {
    int code = 0;
    std::string out, err;
};

std::string read_all(std::FILE* f) {
    std::string s;
    std::rewind(f);
    char buf[1 << 14];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
    return s;
}

// run_dump with `args` (after `dump`) and --threads `threads`.
Output dump(const std::string& file, std::vector<std::string> args, int threads) {
    std::vector<std::string> argv_s = {"-r", file};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    argv_s.push_back("--threads");
    argv_s.push_back(std::to_string(threads));
    std::vector<char*> argv;
    for (std::string& a : argv_s) argv.push_back(a.data());
    DumpOptions opt;
    std::FILE* out = std::tmpfile();
    std::FILE* err = std::tmpfile();
    REQUIRE(out);
    REQUIRE(err);
    REQUIRE(parse_dump_args(static_cast<int>(argv.size()), argv.data(), opt, err));
    Output o;
    o.code = run_dump(opt, out, err);
    std::fflush(out);
    std::fflush(err);
    o.out = read_all(out);
    o.err = read_all(err);
    std::fclose(out);
    std::fclose(err);
    return o;
}

void same_with_two_threads(const std::string& file, const std::vector<std::string>& args) {
    Output one = dump(file, args, 1);
    Output two = dump(file, args, 2);
    std::string what = file;
    for (const std::string& a : args) what += " " + a;
    INFO(what);
    CHECK(two.code == one.code);
    CHECK(two.err == one.err);
    CHECK(two.out.size() == one.out.size());
    CHECK(two.out == one.out);
}

const std::vector<std::vector<std::string>> kModes = {
    {"-V"}, {"-T", "json"}, {"-x"}, {"-V", "-x"}, {"-V", "-Y", "tcp or dns"}, {"-T", "json", "-c", "7"},
};

}  // namespace

TEST_CASE("the writer thread: -V, -x and JSON print what one thread prints, on every real capture",
          "[core][dump][threads]") {
    std::size_t files = 0, bytes = 0;
    for (const std::string& file : testing_support::real_captures()) {
        for (const auto& mode : kModes) same_with_two_threads(file, mode);
        bytes += dump(file, {"-V"}, 2).out.size();
        ++files;
    }
    CHECK(files >= 50);
    CHECK(bytes > 1'000'000);  // the comparison saw real trees, not empty output
}

TEST_CASE("the writer thread: a file cut in the middle of a block gives the same packets, error and exit code",
          "[core][dump][threads]") {
    // The largest real capture, cut a little after its middle: a truncated block.
    std::string largest;
    std::uintmax_t size = 0;
    for (const std::string& file : testing_support::real_captures()) {
        if (std::filesystem::file_size(file) > size) {
            size = std::filesystem::file_size(file);
            largest = file;
        }
    }
    REQUIRE(size > 10'000);
    std::ifstream in(largest, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto cut_path = std::filesystem::temp_directory_path() / "wirelab-threads-cut.pcapng";
    if (largest.ends_with(".pcap")) cut_path.replace_extension(".pcap");
    {
        std::ofstream cut(cut_path, std::ios::binary);
        cut.write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2 + 3));
    }
    for (const auto& mode : kModes) same_with_two_threads(cut_path.string(), mode);
    Output two = dump(cut_path.string(), {"-V"}, 2);
    CHECK(two.code == 2);
    CHECK(two.err.find("packets before it were decoded") != std::string::npos);
    CHECK(!two.out.empty());
    std::filesystem::remove(cut_path);
}
