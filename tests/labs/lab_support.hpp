// Running the labs from tests as a student would: the lab's program with its arguments, its
// output, its capture decoded by `wirelab dump -T fields` and checked by tshark.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <arpa/inet.h>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
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

// tshark picks a TCP or UDP payload's dissector by port before it tries its heuristics, and
// some protocols claim ports in the kernel's ephemeral range (EtherCAT 34980, TwinCAT ADS
// 48898, ...). When a lab's client happens to get one of those ports, tshark decodes its HTTP
// as that protocol and calls it malformed. The options returned turn off every protocol that
// claims a port seen in `capture`, other than the ones the labs speak; the labs' own traffic
// is then found the way it is otherwise (the server's port, then the heuristics).
inline std::string tshark_port_guard(const std::string& capture) {
    const std::string spoken[] = {"http", "websocket", "resp", "data"};
    // A port number's text as a number, or -1 for anything else.
    auto port_number = [](const std::string& text) {
        if (text.empty() || text.size() > 5 || text.find_first_not_of("0123456789") != std::string::npos) return -1;
        int n = std::stoi(text);
        return n < 65536 ? n : -1;
    };
    Run ports = run("tshark -n -r '" + capture +
                    "' -T fields -e tcp.srcport -e tcp.dstport -e udp.srcport -e udp.dstport");
    REQUIRE(ports.status == 0);
    std::vector<bool> seen(65536);
    std::istringstream in(ports.out);
    for (std::string word; in >> word;)
        if (int port = port_number(word); port >= 0) seen[port] = true;
    static const Run table = run("tshark -G decodes");  // the same for every capture
    REQUIRE(table.status == 0);
    std::vector<std::string> off;
    std::istringstream rows(table.out);
    for (std::string line; std::getline(rows, line);) {
        std::istringstream cols(line);
        std::string key, port, proto;
        if (!std::getline(cols, key, '\t') || !std::getline(cols, port, '\t') || !std::getline(cols, proto)) continue;
        if (key != "tcp.port" && key != "udp.port") continue;
        if (int n = port_number(port); n < 0 || !seen[n]) continue;
        if (std::find(std::begin(spoken), std::end(spoken), proto) != std::end(spoken)) continue;
        if (std::find(off.begin(), off.end(), proto) == off.end()) off.push_back(proto);
    }
    std::string options;
    for (const auto& proto : off) options += " --disable-protocol " + proto;
    return options;
}

// The frames tshark marks malformed (or with an error-level expert item) in `capture`.
inline std::string tshark_problems(const std::string& capture) {
    Run r = run("tshark -n -r '" + capture + "'" + tshark_port_guard(capture) +
                " -Y '_ws.malformed || _ws.expert.severity == error'");
    INFO(r.out);
    REQUIRE(r.status == 0);
    // tshark warns on stderr when run as root; that is not a problem with the capture.
    std::string problems;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);)
        if (line.rfind("Running as user", 0) != 0) problems += line + "\n";
    return problems;
}

// Lines of `text` that contain `needle`.
inline int count_lines(const std::string& text, const std::string& needle) {
    int n = 0;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) n += line.find(needle) != std::string::npos;
    return n;
}

// A lab server running in the background for one test: started through the shell, its output
// read until it prints "listening on ADDRESS:PORT", stopped with SIGTERM when the test ends.
class Server {
public:
    explicit Server(const std::string& cmd, int timeout_s = 10) {
        int fds[2];
        REQUIRE(::pipe(fds) == 0);
        pid_ = ::fork();
        REQUIRE(pid_ >= 0);
        if (pid_ == 0) {
            ::setpgid(0, 0);
            ::dup2(fds[1], 1);
            ::dup2(fds[1], 2);
            ::close(fds[0]);
            ::close(fds[1]);
            ::execl("/bin/sh", "sh", "-c", ("exec " + cmd).c_str(), static_cast<char*>(nullptr));
            ::_exit(127);
        }
        ::close(fds[1]);
        out_fd_ = fds[0];
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
        while (port_ == 0 && std::chrono::steady_clock::now() < deadline) {
            // A slow start (a sanitizer build on a busy machine) is not an exit: wait on until
            // the deadline, and give up early only when the output has ended.
            if (!read_some(200) && eof_) break;
            auto at = output_.find("listening on ");
            if (at == std::string::npos) continue;
            auto colon = output_.find_first_of(" \n", at + 13);
            std::string addr = output_.substr(at + 13, colon == std::string::npos ? std::string::npos : colon - at - 13);
            auto last = addr.rfind(':');
            if (last != std::string::npos && colon != std::string::npos) port_ = std::atoi(addr.c_str() + last + 1);
        }
        if (port_ == 0) stop();  // a failing constructor gets no destructor: stop the child here
        INFO(cmd << "\n" << output_);
        REQUIRE(port_ > 0);
    }
    ~Server() { stop(); }
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    int port() const { return port_; }
    pid_t pid() const { return pid_; }  // the lab program itself (started with exec)
    // Everything it printed so far (reads what is waiting first).
    const std::string& output() {
        while (read_some(0)) {}
        return output_;
    }
    // SIGTERM, then the exit status (128 + signal if it died of one).
    int stop() {
        if (pid_ <= 0) return status_;
        ::kill(pid_, SIGTERM);
        int st = 0;
        for (int i = 0; i < 100 && ::waitpid(pid_, &st, WNOHANG) == 0; ++i) {
            read_some(50);
            if (i == 99) {
                ::kill(-pid_, SIGKILL);
                ::waitpid(pid_, &st, 0);
            }
        }
        while (read_some(0)) {}
        ::close(out_fd_);
        status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        pid_ = -1;
        return status_;
    }

private:
    bool read_some(int timeout_ms) {
        pollfd p{out_fd_, POLLIN, 0};
        if (::poll(&p, 1, timeout_ms) <= 0) return false;
        char buf[4096];
        ssize_t n = ::read(out_fd_, buf, sizeof buf);
        if (n <= 0) {
            eof_ = true;
            return false;
        }
        output_.append(buf, static_cast<std::size_t>(n));
        return true;
    }
    pid_t pid_ = -1;
    int out_fd_ = -1;
    int port_ = 0;
    int status_ = -1;
    bool eof_ = false;
    std::string output_;
};

// A plain TCP connection to 127.0.0.1:port for sending bad input by hand.
inline int connect_local(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    return fd;
}

// Reads until the peer closes or `timeout_ms` passes without data.
inline std::string read_until_close(int fd, int timeout_ms = 3000) {
    std::string out;
    char buf[4096];
    while (true) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, timeout_ms) <= 0) break;
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
}

}  // namespace labtest
