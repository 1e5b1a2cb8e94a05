// `wirelab dump`: read a capture file and print it the way tshark does (summary lines, -V
// layer trees, -x hex, -T fields, -T json).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace wirelab {

struct DumpOptions {
    std::string file;
    enum class Format { text, fields, json } format = Format::text;
    bool verbose = false;   // -V
    bool hex = false;       // -x
    long long count = -1;   // -c
    std::vector<std::string> fields;  // -e
    std::string separator = "\t";
    std::string aggregator = ",";
    char occurrence = 'a';  // f, l or a
    bool header = false;
    char quote = 0;         // 0, 'd' or 's'
    // --threads: -V, -x and JSON output written on a second thread while the next packets are
    // decoded (2), or on the decoding thread (1); 0 picks 2 for -V and -x on a machine with
    // two cores. The output is the same.
    int threads = 0;
    bool decode_only = false;  // decode every layer, print nothing (benchmarks)
    std::string filter;     // -Y: display filter; only packets that match are printed
    bool quiet = false;        // -q: no per-packet output (with -z)
    std::vector<std::string> taps;  // -z follow,tcp,ascii,N / follow,websocket,N / flow,tcp
    std::vector<std::pair<std::uint32_t, std::string>> decode_as;  // -d tcp.port==N,PROTO
};

// Runs the dump; returns the process exit code (0, 1 for usage errors, 2 for a damaged file).
int run_dump(const DumpOptions& opt, std::FILE* out, std::FILE* err);

// Parses `wirelab dump` arguments; on error writes a message naming the problem to `err`
// and returns false.
bool parse_dump_args(int argc, char** argv, DumpOptions& opt, std::FILE* err);

}  // namespace wirelab
