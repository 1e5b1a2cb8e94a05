// The chat under load: 1,000 official socket.io-client clients (half long-polling, the rest
// WebSocket or upgrading) on two lab-08 nodes that share one real redis-server, transports cut
// at random (half the cut clients come back on the other node), Redis restarted once while
// messages flow. Every message is accounted for at every client, and the nodes give back
// their connections, file descriptors and heap afterwards. The clients are
// tests/labs/peers/load_clients.js; docs/reliability.md has the figures.
//
// WIRELAB_LOAD_CLIENTS and WIRELAB_LOAD_SECONDS change the size of the main case (1,000 and 8);
// WIRELAB_LOAD_NODE runs another build's wirelab-lab08 as the nodes (an AddressSanitizer one).
#include "lab_support.hpp"

#include <atomic>
#include <cmath>
#include <fcntl.h>
#include <fstream>
#include <map>
#include <regex>
#include <spawn.h>
#include <thread>

namespace {

const std::string kRepo = WIRELAB_REPO_DIR;

int env_or(const char* name, int fallback) {
    const char* v = std::getenv(name);
    return v && std::atoi(v) > 0 ? std::atoi(v) : fallback;
}

// A loopback port nobody listens on right now (the kernel picks it; we let it go again).
int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    ::close(fd);
    return ntohs(a.sin_port);
}

// True when something on 127.0.0.1:port answers "PING" with "+PONG" (a Redis that has
// finished loading its append-only file; while loading it answers -LOADING).
bool redis_answers(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = false;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && ::send(fd, "PING\r\n", 6, MSG_NOSIGNAL) == 6)
        ok = labtest::read_until_close(fd, 300).rfind("+PONG", 0) == 0;
    ::close(fd);
    return ok;
}

// The test's own redis-server, as lab 08 would be deployed: loopback only, no snapshots, the
// append-only file on, so a restart keeps the stream.
class Redis {
public:
    Redis(std::string dir, int port) : dir_(std::move(dir)), port_(port) { REQUIRE(start()); }
    ~Redis() { stop(); }
    bool start() {
        // posix_spawnp: redis-server from PATH, its output to /dev/null.
        std::string port = std::to_string(port_);
        std::vector<std::string> args = {"redis-server", "--port", port,       "--bind", "127.0.0.1", "--dir",
                                         dir_,           "--save", "",         "--appendonly", "yes"};
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        posix_spawn_file_actions_t io;
        posix_spawn_file_actions_init(&io);
        for (int fd : {0, 1, 2}) posix_spawn_file_actions_addopen(&io, fd, "/dev/null", O_RDWR, 0);
        int rc = ::posix_spawnp(&pid_, "redis-server", &io, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&io);
        if (rc != 0) return false;
        for (int i = 0; i < 200; ++i) {
            if (redis_answers(port_)) return true;
            int st = 0;
            if (::waitpid(pid_, &st, WNOHANG) == pid_) break;  // it exited (not installed?)
            std::this_thread::sleep_for(std::chrono::milliseconds(25));
        }
        return false;
    }
    // SIGTERM: Redis writes out the append-only file and exits.
    void stop() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGTERM);
        ::waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }

private:
    std::string dir_;
    int port_;
    pid_t pid_ = -1;
};

// What a process holds, from /proc: resident memory and open file descriptors.
struct Usage {
    long rss_kib = 0;
    long fds = 0;
};

Usage usage_of(pid_t pid) {
    Usage u;
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(status, line);)
        if (line.rfind("VmRSS:", 0) == 0) u.rss_kib = std::atol(line.c_str() + 6);
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
        ++u.fds;
    return u;
}

// True if the process runs with AddressSanitizer (gcc links it as libasan.so).
bool sanitized(pid_t pid) {
    std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
    for (std::string line; std::getline(maps, line);)
        if (line.find("libasan") != std::string::npos) return true;
    return false;
}

// A node's own account (kill -USR1): connections, Engine.IO sessions, chat clients, heap.
struct Held {
    long connections = -1, sessions = -1, clients = -1, heap = -1;
};

Held held_by(labtest::Server& node) {
    std::size_t before = node.output().size();
    ::kill(node.pid(), SIGUSR1);
    static const std::regex re(R"(usage: (\d+) connections, (\d+) Engine.IO sessions, (\d+) chat clients, (\d+) bytes of heap)");
    for (int i = 0; i < 100; ++i) {
        std::string fresh = node.output().substr(before);
        std::smatch m;
        if (std::regex_search(fresh, m, re))
            return {std::stol(m[1]), std::stol(m[2]), std::stol(m[3]), std::stol(m[4])};
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    FAIL("the node did not answer SIGUSR1");
    return {};
}

// The client script, with its standard input and output on pipes: it asks for the Redis
// restart on its output and waits for "redis-back" on its input.
struct Clients {
    int status = -1;
    std::string out;
    std::map<std::string, long> result;  // the RESULT line, key=value
    int restarts = 0;
};

Clients run_clients(const std::string& args, Redis& redis, int timeout_s) {
    int in[2], out[2];
    REQUIRE(::pipe(in) == 0);
    REQUIRE(::pipe(out) == 0);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::setpgid(0, 0);
        ::dup2(in[0], 0);
        ::dup2(out[1], 1);
        ::dup2(out[1], 2);
        for (int fd : {in[0], in[1], out[0], out[1]}) ::close(fd);
        ::execl("/bin/sh", "sh", "-c", ("exec node " + args).c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    Clients c;
    std::string line;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd p{out[0], POLLIN, 0};
        if (::poll(&p, 1, 200) <= 0) continue;
        char buf[4096];
        ssize_t n = ::read(out[0], buf, sizeof buf);
        if (n <= 0) break;
        for (ssize_t i = 0; i < n; ++i) {
            c.out.push_back(buf[i]);
            if (buf[i] != '\n') {
                line.push_back(buf[i]);
                continue;
            }
            if (line == "restart-redis") {
                redis.stop();
                bool back = redis.start();
                ++c.restarts;
                if (back) REQUIRE(::write(in[1], "redis-back\n", 11) == 11);
            }
            line.clear();
        }
    }
    ::close(in[1]);
    ::close(out[0]);
    int st = 0;
    if (::waitpid(pid, &st, WNOHANG) == 0) {
        ::kill(-pid, SIGKILL);  // out of time: the script and its workers
        ::waitpid(pid, &st, 0);
        c.out += "\n(the clients were stopped after " + std::to_string(timeout_s) + " s)\n";
    }
    c.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    auto at = c.out.rfind("RESULT ");
    if (at != std::string::npos) {
        std::istringstream fields(c.out.substr(at + 7, c.out.find('\n', at) - at - 7));
        for (std::string kv; fields >> kv;) {
            auto eq = kv.find('=');
            if (eq != std::string::npos) c.result[kv.substr(0, eq)] = std::atol(kv.c_str() + eq + 1);
        }
    }
    return c;
}

struct LoadConfig {
    int clients = 1000;
    int seconds = 8;
    double rate = 12.5;
    bool recovery = true;
    bool restart_redis = true;
};

// Both nodes' figures: before any client, the most while the clients ran, after they left.
struct NodeFigures {
    Usage before, peak, after;
    Held held_before, held_after;
    long recovered = -1;
    int exit_status = -1;
    bool asan = false;
};

struct LoadRun {
    Clients clients;
    NodeFigures nodes[2];
    double seconds = 0;
};

LoadRun run_load(const LoadConfig& cfg) {
    auto t0 = std::chrono::steady_clock::now();
    std::string dir = labtest::temp_dir("load");
    int redis_port = free_port();
    Redis redis(dir, redis_port);
    const char* other = std::getenv("WIRELAB_LOAD_NODE");
    std::string program = other && *other ? other : labtest::lab(8);
    std::string node_args = " node --port 0 --quiet --redis 127.0.0.1:" + std::to_string(redis_port) +
                            (cfg.recovery ? "" : " --no-recovery");
    labtest::Server a(program + node_args + " --name A");
    labtest::Server b(program + node_args + " --name B");
    labtest::Server* nodes[2] = {&a, &b};
    LoadRun run;

    // The baseline: the nodes connected to Redis and listening, no client yet.
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    for (int k = 0; k < 2; ++k) {
        run.nodes[k].before = run.nodes[k].peak = usage_of(nodes[k]->pid());
        run.nodes[k].held_before = held_by(*nodes[k]);
        run.nodes[k].asan = sanitized(nodes[k]->pid());
    }
    // The peak, sampled every 100 ms while the clients run.
    std::atomic<bool> sampling{true};
    std::thread sampler([&] {
        while (sampling) {
            for (int k = 0; k < 2; ++k) {
                Usage u = usage_of(nodes[k]->pid());
                run.nodes[k].peak.rss_kib = std::max(run.nodes[k].peak.rss_kib, u.rss_kib);
                run.nodes[k].peak.fds = std::max(run.nodes[k].peak.fds, u.fds);
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    });
    char rate[32];
    std::snprintf(rate, sizeof rate, "%g", cfg.rate);
    std::string args = "'" + kRepo + "/tests/labs/peers/load_clients.js' '" + kRepo + "/tests/peers/node_modules' " +
                       std::to_string(a.port()) + " " + std::to_string(b.port()) + " --clients " +
                       std::to_string(cfg.clients) + " --seconds " + std::to_string(cfg.seconds) + " --rate " + rate +
                       " --recovery " + (cfg.recovery ? "on" : "off") + " --restart-redis " +
                       (cfg.restart_redis ? "on" : "off");
    run.clients = run_clients(args, redis, 180);
    sampling = false;
    sampler.join();

    // After: the clients have left (cleanly, and their processes are gone). The sockets
    // close as the nodes read the ends; give them up to 10 s, then one more to settle.
    for (int i = 0; i < 100; ++i) {
        if (usage_of(a.pid()).fds <= run.nodes[0].before.fds && usage_of(b.pid()).fds <= run.nodes[1].before.fds) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
    static const std::regex stopped(R"((\d+) sessions recovered)");
    for (int k = 0; k < 2; ++k) {
        run.nodes[k].after = usage_of(nodes[k]->pid());
        run.nodes[k].held_after = held_by(*nodes[k]);
        run.nodes[k].exit_status = nodes[k]->stop();  // under ASan, LeakSanitizer runs at this exit
        std::smatch m;
        const std::string& out = nodes[k]->output();
        if (std::regex_search(out, m, stopped)) run.nodes[k].recovered = std::stol(m[1]);
        INFO("node " << "AB"[k] << ":\n" << out.substr(out.size() > 3000 ? out.size() - 3000 : 0));
        CHECK(run.nodes[k].exit_status == 0);
    }
    redis.stop();
    std::filesystem::remove_all(dir);
    run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    // The figures, for the log and for docs/reliability.md.
    std::printf("load test (%d clients, recovery %s%s): %.1f s in all\n", cfg.clients, cfg.recovery ? "on" : "off",
                run.nodes[0].asan ? ", nodes under AddressSanitizer" : "", run.seconds);
    for (int k = 0; k < 2; ++k) {
        const NodeFigures& f = run.nodes[k];
        std::printf("  node %c: RSS %ld / %ld / %ld KiB, fds %ld / %ld / %ld (before / peak / after); heap in use %ld -> %ld "
                    "bytes; after: %ld connections, %ld sessions, %ld chat clients; %ld sessions recovered\n",
                    "AB"[k], f.before.rss_kib, f.peak.rss_kib, f.after.rss_kib, f.before.fds, f.peak.fds, f.after.fds,
                    f.held_before.heap, f.held_after.heap, f.held_after.connections, f.held_after.sessions,
                    f.held_after.clients, f.recovered);
    }
    auto at = run.clients.out.rfind("RESULT ");
    if (at != std::string::npos) std::printf("  %s\n", run.clients.out.substr(at, run.clients.out.find('\n', at) - at).c_str());
    std::fflush(stdout);
    return run;
}

// What every run must show of the nodes afterwards: no connection, session or chat client
// left; every file descriptor given back; the heap back near where it was.
void check_nodes_gave_back(const LoadRun& run) {
    for (int k = 0; k < 2; ++k) {
        const NodeFigures& f = run.nodes[k];
        INFO("node " << "AB"[k]);
        CHECK(f.held_after.connections == 0);
        CHECK(f.held_after.sessions == 0);
        CHECK(f.held_after.clients == 0);
        // Two Redis connections before and after (the Redis restart replaced both): exactly
        // the same descriptors.
        CHECK(f.after.fds == f.before.fds);
        CHECK(f.peak.fds > f.before.fds + 100);  // the clients really were there
        // Heap in use (malloc's count, not the resident size): back within 2 MiB. What stays
        // are caches that fill once: malloc's per-thread caches (counted as in use), Asio's
        // pool of per-socket reactor state (one entry per socket the node ever held at once,
        // kept for reuse) and hash tables sized for a thousand sessions. Measured: +0.7 to
        // +0.9 MiB after a first run of 1,000 clients, then +24, +23, +18, +12 KiB after four
        // more runs on the same nodes, shrinking: caches converging, where a leak would add
        // the same every run. A leak of 1 KiB per client session would not fit.
        CHECK(f.held_after.heap - f.held_before.heap < 2 * 1024 * 1024);
        // Resident memory keeps what malloc keeps for later (freed pages in its arenas), so
        // it does not fall back to the baseline: measured +0 to +10 MiB after a run, the same
        // after four runs in a row (no growth), for a peak of +2 to +12 MiB. The margin is
        // 16 MiB; the heap check above is the exact one. (Under AddressSanitizer the RSS holds
        // its quarantine of freed memory and says nothing.)
        if (!f.asan) CHECK(f.after.rss_kib - f.before.rss_kib < 16 * 1024);
    }
}

}  // namespace

TEST_CASE("load: 1,000 chat clients on two lab-08 nodes, cuts, moves and a Redis restart, nothing lost",
          "[lab][load]") {
    LoadConfig cfg;
    cfg.clients = env_or("WIRELAB_LOAD_CLIENTS", 1000);
    cfg.seconds = env_or("WIRELAB_LOAD_SECONDS", 8);
    LoadRun run = run_load(cfg);
    const Clients& c = run.clients;
    INFO(c.out.substr(c.out.size() > 6000 ? c.out.size() - 6000 : 0));
    REQUIRE(c.status == 0);
    REQUIRE(c.restarts == 1);
    auto r = c.result;
    long messages = std::lround(cfg.seconds * cfg.rate) + 1;
    CHECK(r["clients"] == cfg.clients);
    CHECK(r["polling"] == cfg.clients / 2);
    CHECK(r["websocket"] + r["upgrade"] == cfg.clients - cfg.clients / 2);
    CHECK(r["messages"] == messages);
    // Cuts happened, some clients moved to the other node, and every cut client came back.
    CHECK(r["cuts"] >= cfg.clients / 25);
    CHECK(r["moves"] > 0);
    CHECK(r["reconnects"] == r["cuts"]);
    CHECK(r["all_back"] == 1);
    // With connection state recovery, every reconnect took its session back (on either node),
    // and the nodes say so too.
    CHECK(r["recovered"] == r["reconnects"]);
    CHECK(run.nodes[0].recovered + run.nodes[1].recovered == r["recovered"]);
    // Every message at every client exactly once, in order: nothing missing, no stream entry
    // twice. A retried message can reach a client twice, as two stream entries (a "copy"):
    // when its first attempt got no ack in time, or was answered "not sent" although Redis
    // had appended it (SIGTERM can stop Redis after it applied an XADD and before its reply
    // went out). At most one copy per client for each such attempt.
    // One duplicate is Socket.IO's own: a message in the last read of a cut transport, which
    // socket.io-client hands on only at the next 'connect', after it sent the offset before it
    // in its CONNECT packet, so the recovery replays it (a "buffered replay"; the client saw it
    // before 'connect' and again after a recovered one). At most one such window per recovery.
    CHECK(r["unique"] == r["clients"] * messages);
    CHECK(r["missing"] == 0);
    CHECK(r["duplicates"] == 0);
    CHECK(r["buffered_replays"] <= r["recovered"]);
    CHECK(r["reorders"] == 0);
    CHECK(r["complete"] == 1);
    CHECK(r["copies"] <= r["clients"] * (r["refused"] + r["uncertain"]));
    CHECK(r["deliveries"] == r["unique"] + r["copies"] + r["duplicates"] + r["buffered_replays"]);
    check_nodes_gave_back(run);
}

TEST_CASE("load without recovery: a cut client loses only what was sent while it was away, and says so",
          "[lab][load]") {
    LoadConfig cfg;
    cfg.clients = 200;
    cfg.seconds = 5;
    cfg.recovery = false;
    cfg.restart_redis = false;
    LoadRun run = run_load(cfg);
    const Clients& c = run.clients;
    INFO(c.out.substr(c.out.size() > 6000 ? c.out.size() - 6000 : 0));
    REQUIRE(c.status == 0);
    auto r = c.result;
    long messages = std::lround(cfg.seconds * cfg.rate) + 1;
    CHECK(r["messages"] == messages);
    CHECK(r["cuts"] >= 20);
    CHECK(r["reconnects"] == r["cuts"]);
    CHECK(r["recovered"] == 0);
    // Every (client, message) pair is received or missing; the missing ones exist, belong to
    // clients that were cut, and each lies between the last message before a cut and the
    // first one after the reconnect. A client never cut lost nothing.
    CHECK(r["unique"] + r["missing"] == r["clients"] * messages);
    CHECK(r["missing"] > 0);
    // Nothing is missed outside a cut's gap, on any transport. (Upgrading clients used to miss
    // 8 to 35 messages right after a reconnect: on "upgrade" the server answered a waiting
    // poll with the queued packets, which the client, already on the WebSocket, dropped.
    // Fixed in engineio.cpp; this is its regression check.)
    CHECK(r["unexplained"] == 0);
    CHECK(r["loss_uncut"] == 0);
    CHECK(r["clients_losing"] <= r["clients_cut"]);
    CHECK(r["duplicates"] == 0);
    CHECK(r["complete"] == 1);  // the last message, sent with everyone back, reached everyone
    check_nodes_gave_back(run);
}
