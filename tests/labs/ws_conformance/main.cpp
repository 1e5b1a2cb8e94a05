// wirelab-ws-conformance: checks a WebSocket server against RFC 6455 with cases modelled on
// the Autobahn test suite (categories 1-7, 9 at reduced sizes, 10, and message-size limits).
//
//   wirelab-ws-conformance --host 127.0.0.1 --port P [--cases 1.*,2.*] [--reduced]
//
// Each case opens its own connection, does the opening handshake, sends its frames (built
// with core's codec; deliberately wrong ones where the case needs them) and judges what the
// server does, as Autobahn's fuzzing client would. One line per failing case, then
// `N / M cases OK`; exit status 0 only if every selected case passed.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "cases.hpp"

namespace {

void usage(std::FILE* out) {
    std::fprintf(out,
                 "Usage: wirelab-ws-conformance --host HOST --port PORT [--cases LIST] [--reduced]\n"
                 "                              [--max-message BYTES] [--list] [--verbose]\n"
                 "  --cases LIST        comma-separated case ids; a trailing * matches a prefix (6.4.*)\n"
                 "  --reduced           category 9 with messages up to 1 MiB (instead of 16 MiB)\n"
                 "  --max-message BYTES the server's message limit, for the L.* cases (default 16 MiB)\n"
                 "  --list              print the cases and exit\n"
                 "  --verbose           one line for every case, passed or not\n"
                 "Example: wirelab-ws-conformance --host 127.0.0.1 --port 9004 --cases '1.*,6.4.*' --reduced\n");
}

// "1.*" selects 1.1.1 and 1.2.8; "5.1" only 5.1 (not 5.10).
bool selected(const std::string& id, const std::vector<std::string>& patterns) {
    if (patterns.empty()) return true;
    for (const auto& p : patterns) {
        if (!p.empty() && p.back() == '*') {
            if (id.compare(0, p.size() - 1, p, 0, p.size() - 1) == 0) return true;
        } else if (id == p) {
            return true;
        }
    }
    return false;
}

}  // namespace

int main(int argc, char** argv) {
    wsconf::Config config;
    std::vector<std::string> patterns;
    bool list = false, verbose = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "wirelab-ws-conformance: %s needs a value\n", a.c_str());
                usage(stderr);
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--host") {
            config.host = value();
        } else if (a == "--port") {
            config.port = std::atoi(value().c_str());
        } else if (a == "--cases") {
            std::string v = value();
            std::size_t start = 0;
            while (start <= v.size()) {
                std::size_t comma = v.find(',', start);
                if (comma == std::string::npos) comma = v.size();
                if (comma > start) patterns.push_back(v.substr(start, comma - start));
                start = comma + 1;
            }
        } else if (a == "--reduced") {
            config.reduced = true;
        } else if (a == "--max-message") {
            config.max_message = std::strtoull(value().c_str(), nullptr, 10);
        } else if (a == "--list") {
            list = true;
        } else if (a == "--verbose") {
            verbose = true;
        } else if (a == "--help" || a == "-h") {
            usage(stdout);
            return 0;
        } else {
            std::fprintf(stderr, "wirelab-ws-conformance: unknown argument %s\n", a.c_str());
            usage(stderr);
            return 2;
        }
    }
    if (!list && (config.port <= 0 || config.port > 65535)) {
        std::fprintf(stderr, "wirelab-ws-conformance: --port is required (1-65535)\n");
        usage(stderr);
        return 2;
    }

    int total = 0, ok = 0;
    auto start = std::chrono::steady_clock::now();
    for (const auto& c : wsconf::all_cases(config)) {
        if (!selected(c.id, patterns)) continue;
        if (list) {
            std::printf("%-8s %s\n", c.id.c_str(), c.what.c_str());
            continue;
        }
        ++total;
        wsconf::Peer peer;
        wsconf::Judge judge(peer);
        std::string error;
        bool passed = peer.open(config.host, config.port, error) ? c.run(judge) : judge.fail(error);
        ok += passed;
        if (!passed)
            std::printf("FAIL %-8s %s: %s\n", c.id.c_str(), c.what.c_str(), judge.why().c_str());
        else if (verbose)
            std::printf("ok   %-8s %s\n", c.id.c_str(), c.what.c_str());
        std::fflush(stdout);
    }
    if (list) return 0;
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%d / %d cases OK (%s:%d, %.1f s)\n", ok, total, config.host.c_str(), config.port, seconds);
    return total > 0 && ok == total ? 0 : 1;
}
