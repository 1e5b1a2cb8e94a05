// Every lab server listens on loopback unless told otherwise, and says so loudly when told:
// with `--bind` naming any other address it warns that the class network can reach it. Each
// server mode is started as a student starts it, stopped as soon as it says where it listens,
// and the kernel's own socket tables (/proc/net) are read to see where it really listens.
// No packet is sent anywhere: binding 0.0.0.0 only opens a socket.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>

#include "lab_support.hpp"

namespace {

const std::string kWarning = "not loopback: anyone on this network (the whole class) can reach this server";

// One server mode and how to start it (`--port 0` and, for some, what else it needs).
struct Mode {
    std::string name;  // for messages
    std::string command;
    bool ipv6 = true;  // false: an IPv4-only socket, which refuses ::1 with a message
};

// Where the sockets with local port `port` are bound, as the kernel lists them in /proc/net
// (tcp in state 0A, LISTEN; udp in any state): "127.0.0.1", "0.0.0.0", "::1", "::".
std::set<std::string> bound_addresses(int port) {
    std::set<std::string> out;
    for (const char* table : {"tcp", "tcp6", "udp", "udp6"}) {
        std::ifstream in(std::string("/proc/net/") + table);
        std::string line;
        std::getline(in, line);  // the column titles
        const bool tcp = table[0] == 't', v6 = std::string(table).back() == '6';
        while (std::getline(in, line)) {
            std::istringstream f(line);
            std::string slot, local, remote, state;
            f >> slot >> local >> remote >> state;
            const auto colon = local.find(':');
            if (colon == std::string::npos || std::stoi(local.substr(colon + 1), nullptr, 16) != port) continue;
            if (tcp && state != "0A") continue;
            // The address is printed as the 32-bit words of the address in host byte order.
            unsigned char addr[16] = {};
            const std::string hex = local.substr(0, colon);
            for (std::size_t w = 0; w < hex.size() / 8; ++w) {
                std::uint32_t word = static_cast<std::uint32_t>(std::stoul(hex.substr(w * 8, 8), nullptr, 16));
                std::memcpy(addr + 4 * w, &word, 4);
            }
            char text[INET6_ADDRSTRLEN] = {};
            ::inet_ntop(v6 ? AF_INET6 : AF_INET, addr, text, sizeof text);
            out.insert(text);
        }
    }
    return out;
}

// The ports of every "listening on ADDRESS:PORT" line (lab 05's hub has five).
std::vector<int> listening_ports(const std::string& output) {
    std::vector<int> ports;
    for (std::size_t at = output.find("listening on "); at != std::string::npos;
         at = output.find("listening on ", at + 1)) {
        const auto end = output.find_first_of(" \n", at + 13);
        const std::string addr = output.substr(at + 13, end - at - 13);
        const auto colon = addr.rfind(':');
        if (colon != std::string::npos) ports.push_back(std::atoi(addr.c_str() + colon + 1));
    }
    return ports;
}

// A free TCP port on loopback for a Redis server of the test's own.
int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    ::close(fd);
    return ntohs(a.sin_port);
}

// Starts `mode` with `extra` arguments, stops it once it listens, and returns what it printed
// and where the kernel says its sockets were bound.
struct Started {
    std::string output;
    std::set<std::string> bound;
};
Started start(const Mode& mode, const std::string& extra) {
    const std::string cmd = mode.command + " --port 0" + extra;
    INFO(cmd);
    labtest::Server server(cmd, 60);
    Started s;
    s.output = server.output();
    for (int port : listening_ports(s.output))
        for (const std::string& a : bound_addresses(port)) s.bound.insert(a);
    server.stop();
    s.output = server.output();
    return s;
}

}  // namespace

TEST_CASE("lab servers listen on loopback by default and warn when --bind names another address", "[lab][bind]") {
    // Lab 08's nodes need a Redis server: the test runs its own, on loopback.
    const int redis_port = free_port();
    const std::string redis_dir = labtest::temp_dir("bind-redis");
    labtest::Run started = labtest::run("redis-server --port " + std::to_string(redis_port) +
                                        " --bind 127.0.0.1 --save '' --appendonly no --daemonize yes --dir " + redis_dir +
                                        " --pidfile " + redis_dir + "/redis.pid");
    REQUIRE(started.status == 0);
    struct StopRedis {
        std::string dir;
        ~StopRedis() {
            std::ifstream pid_file(dir + "/redis.pid");
            pid_t pid = 0;
            if (pid_file >> pid && pid > 0) ::kill(pid, SIGTERM);
            std::error_code ec;
            std::filesystem::remove_all(dir, ec);
        }
    } stop_redis{redis_dir};
    for (int i = 0; i < 50 && labtest::run("redis-cli -p " + std::to_string(redis_port) + " ping").out != "PONG\n"; ++i)
        ::usleep(100'000);

    const std::vector<Mode> modes = {
        {"lab 1 server (POSIX)", "'" + labtest::lab(1) + "' server --api posix"},
        {"lab 1 server (Asio)", "'" + labtest::lab(1) + "' server --api asio"},
        {"lab 2 receiver", "'" + labtest::lab(2) + "' receiver", false},
        {"lab 3 server", "'" + labtest::lab(3) + "' server"},
        {"lab 4 server", "'" + labtest::lab(4) + "' server"},
        {"lab 4 echo-server", "'" + labtest::lab(4) + "' echo-server"},
        {"lab 5 hub", "'" + labtest::lab(5) + "' hub"},
        {"lab 6 server", "'" + labtest::lab(6) + "' server"},
        {"lab 8 node", "'" + labtest::lab(8) + "' node --redis 127.0.0.1:" + std::to_string(redis_port)},
    };
    for (const Mode& mode : modes) {
        INFO(mode.name);
        {
            const Started s = start(mode, "");
            INFO("default:\n" << s.output);
            CHECK(s.output.find(kWarning) == std::string::npos);
            CHECK(s.output.find("listening on 127.0.0.1:") != std::string::npos);
            CHECK(s.bound == std::set<std::string>{"127.0.0.1"});
        }
        for (const std::string loopback : {"127.0.0.1", "::1"}) {
            if (loopback == "::1" && !mode.ipv6) {
                const labtest::Run r = labtest::run(mode.command + " --port 0 --bind ::1", 20);
                INFO("--bind ::1:\n" << r.out);
                CHECK(r.status == 1);
                CHECK(r.out.find("'::1' port 0 is not an IPv4 address and port") != std::string::npos);
                CHECK(r.out.find(kWarning) == std::string::npos);
                continue;
            }
            const Started s = start(mode, " --bind " + loopback);
            INFO("--bind " << loopback << ":\n" << s.output);
            CHECK(s.output.find(kWarning) == std::string::npos);
            CHECK(s.bound == std::set<std::string>{loopback});
        }
        {
            const Started s = start(mode, " --bind 0.0.0.0");
            INFO("--bind 0.0.0.0:\n" << s.output);
            CHECK(s.output.find("warning: binding 0.0.0.0, " + kWarning) != std::string::npos);
            CHECK(s.bound == std::set<std::string>{"0.0.0.0"});
        }
    }
}

TEST_CASE("lab 7 has no --bind: its server listens on loopback only", "[lab][bind][lab07]") {
    labtest::Server server("'" + labtest::lab(7) + "' demo", 60);
    const std::string output = server.output();
    INFO(output);
    CHECK(output.find("listening on 127.0.0.1:") != std::string::npos);
    CHECK(bound_addresses(server.port()) == std::set<std::string>{"127.0.0.1"});
    CHECK(output.find("warning: binding") == std::string::npos);
    server.stop();
    // And it refuses the option rather than ignoring it.
    const labtest::Run r = labtest::run("'" + labtest::lab(7) + "' demo --bind 0.0.0.0", 20);
    CHECK(r.status != 0);
}
