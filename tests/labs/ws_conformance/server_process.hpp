// A WebSocket server run as a child process for the lab-04 tests: started with its arguments,
// ready once it prints `listening on 127.0.0.1:PORT`, stopped with SIGTERM. Its output is
// drained by a thread (a chatty server never blocks on a full pipe) and kept for the test.
#pragma once

#include <cerrno>
#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <mutex>
#include <poll.h>
#include <regex>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace labtest {

class ServerProcess {
public:
    // Starts `argv` (argv[0] is the program's path) and waits up to `timeout_s` for its
    // `listening on` line; port() is 0 if it never came.
    explicit ServerProcess(std::vector<std::string> argv, int timeout_s = 10) {
        int fds[2];
        if (::pipe(fds) != 0) return;
        pid_ = ::fork();
        if (pid_ == 0) {
            ::dup2(fds[1], 1);
            ::dup2(fds[1], 2);
            ::close(fds[0]);
            ::close(fds[1]);
            std::vector<char*> args;
            for (auto& a : argv) args.push_back(a.data());
            args.push_back(nullptr);
            ::execv(args[0], args.data());
            ::_exit(127);
        }
        ::close(fds[1]);
        fd_ = fds[0];
        reader_ = std::thread([this] { drain(); });
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
        static const std::regex kListening("listening on 127\\.0\\.0\\.1:([0-9]+)");
        while (std::chrono::steady_clock::now() < deadline) {
            std::smatch m;
            std::string out = output();
            if (std::regex_search(out, m, kListening)) {
                port_ = std::stoi(m[1].str());
                return;
            }
            if (!running()) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }

    ServerProcess(const ServerProcess&) = delete;
    ServerProcess& operator=(const ServerProcess&) = delete;
    ~ServerProcess() { stop(); }

    int port() const { return port_; }
    // The server's process id, to read /proc/PID (its memory, its open descriptors).
    pid_t pid() const { return pid_; }

    std::string output() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return out_;
    }

    // Still running (not exited or killed by a signal)?
    bool running() {
        if (pid_ <= 0 || status_ >= 0) return false;
        int st = 0;
        if (::waitpid(pid_, &st, WNOHANG) == pid_) {
            status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            return false;
        }
        return true;
    }

    // SIGTERM, then its exit status (128 + signal if it died of one); SIGKILL after 5 s.
    int stop() {
        if (pid_ > 0 && running()) {
            ::kill(pid_, SIGTERM);
            for (int i = 0; i < 250 && running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
            if (running()) {
                ::kill(pid_, SIGKILL);
                int st = 0;
                ::waitpid(pid_, &st, 0);
                status_ = 128 + SIGKILL;
            }
        }
        if (reader_.joinable()) reader_.join();
        if (fd_ >= 0) {
            ::close(fd_);
            fd_ = -1;
        }
        return status_;
    }

private:
    void drain() {
        char buf[4096];
        while (true) {
            ssize_t n = ::read(fd_, buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return;  // the child closed its end: it has exited
            std::lock_guard<std::mutex> lock(mutex_);
            out_.append(buf, static_cast<std::size_t>(n));
        }
    }

    pid_t pid_ = -1;
    int fd_ = -1;
    int port_ = 0;
    int status_ = -1;
    std::thread reader_;
    mutable std::mutex mutex_;
    std::string out_;
};

}  // namespace labtest
