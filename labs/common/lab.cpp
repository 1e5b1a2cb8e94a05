// The shared lab plumbing (see lab.hpp).
#include "lab.hpp"

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unistd.h>

namespace wirelab::lab {

Options::Options(std::string program, std::string summary, std::vector<std::string> modes, std::string example)
    : program_(std::move(program)), summary_(std::move(summary)), example_(std::move(example)), modes_(std::move(modes)) {}

void Options::add(std::string name, std::string* value, std::string help) {
    opts_.push_back({std::move(name), std::move(help), value, nullptr, nullptr, nullptr});
}
void Options::add(std::string name, int* value, std::string help) {
    opts_.push_back({std::move(name), std::move(help), nullptr, value, nullptr, nullptr});
}
void Options::add(std::string name, double* value, std::string help) {
    opts_.push_back({std::move(name), std::move(help), nullptr, nullptr, value, nullptr});
}
void Options::flag(std::string name, bool* value, std::string help) {
    opts_.push_back({std::move(name), std::move(help), nullptr, nullptr, nullptr, value});
}

namespace {
std::string format_number(double d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", d);
    return buf;
}
}  // namespace

void Options::print_usage(std::FILE* out) const {
    std::fprintf(out, "%s\n\nUsage: wirelab lab %s", summary_.c_str(), program_.c_str());
    for (std::size_t i = 0; i < modes_.size(); ++i) std::fprintf(out, "%s%s", i ? "|" : " ", modes_[i].c_str());
    std::fprintf(out, " [options]\n\nOptions:\n");
    for (const Opt& o : opts_) {
        std::string left = o.name + (o.b ? "" : o.s ? " TEXT" : o.i ? " N" : " X");
        std::string def = o.s ? (o.s->empty() ? "" : " (default " + *o.s + ")")
                          : o.i ? " (default " + std::to_string(*o.i) + ")"
                          : o.d ? " (default " + format_number(*o.d) + ")"
                                : "";
        std::fprintf(out, "  %-22s %s%s\n", left.c_str(), o.help.c_str(), def.c_str());
    }
    std::fprintf(out, "  %-22s %s\n\nExample:\n  %s\n", "--help", "this text", example_.c_str());
}

bool Options::parse(int argc, char** argv) {
    auto bad = [&](const std::string& what) {
        std::fprintf(stderr, "wirelab lab %s: %s\n\n", program_.c_str(), what.c_str());
        print_usage(stderr);
        exit_code_ = 2;
        return false;
    };
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--help" || a == "-h" || a == "help") {
            print_usage(stdout);
            exit_code_ = 0;
            return false;
        }
        if (a.rfind("--", 0) != 0) {
            if (!mode_.empty()) return bad("unexpected argument '" + a + "' (the mode is already " + mode_ + ")");
            bool known = false;
            for (const auto& m : modes_) known |= m == a;
            if (!known) return bad("unknown mode '" + a + "'");
            mode_ = a;
            continue;
        }
        std::string value;
        bool has_value = false;
        if (auto eq = a.find('='); eq != std::string::npos) {
            value = a.substr(eq + 1);
            a = a.substr(0, eq);
            has_value = true;
        }
        const Opt* o = nullptr;
        for (const Opt& c : opts_) if (c.name == a) o = &c;
        if (!o) return bad("unknown option '" + a + "'");
        if (o->b) {
            *o->b = true;
            continue;
        }
        if (!has_value) {
            if (i + 1 >= argc) return bad(a + " needs a value");
            value = argv[++i];
        }
        if (o->s) {
            *o->s = value;
        } else {
            char* end = nullptr;
            errno = 0;
            if (o->i) {
                long v = std::strtol(value.c_str(), &end, 10);
                if (value.empty() || *end || errno || v < -2147483647L || v > 2147483647L)
                    // NOLINTNEXTLINE(performance-inefficient-string-concatenation): once, then returns
                    return bad(a + " wants a whole number, not '" + value + "'");
                *o->i = static_cast<int>(v);
            } else {
                double v = std::strtod(value.c_str(), &end);
                // NOLINTNEXTLINE(performance-inefficient-string-concatenation): once, then returns
                if (value.empty() || *end || errno) return bad(a + " wants a number, not '" + value + "'");
                *o->d = v;
            }
        }
    }
    if (mode_.empty()) return bad("say which side to run: " + [&] {
        std::string s;
        for (const auto& m : modes_) s += (s.empty() ? "" : ", ") + m;
        return s;
    }());
    return true;
}

Narrator& Narrator::get() {
    static Narrator n;
    return n;
}

Narrator::Narrator() : start_(std::chrono::steady_clock::now()) {}

double Narrator::elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Narrator::say(std::string_view who, std::string_view text) {
    if (quiet_) return;
    static std::mutex m;
    std::lock_guard<std::mutex> lock(m);
    std::printf("%8.3f %-7.*s %.*s\n", elapsed(), int(who.size()), who.data(), int(text.size()), text.data());
    std::fflush(stdout);
}

Recorder::~Recorder() {
    if (running()) stop();
}

bool Recorder::start(const std::string& path, const std::string& bpf_filter, const std::string& iface) {
    std::string err;
    // Not immediate, and a 64 MiB buffer: a burst of thousands of packets is kept, at the cost of
    // up to 100 ms of delay that a recording does not mind.
    source_ = LiveSource::open(iface, bpf_filter, err, program_dir() + "/wirelab-lab*", false, 64 << 20);
    if (!source_) {
        say("capture", "cannot record: %s", err.c_str());
        say("capture", "the lab runs on without a capture");
        return false;
    }
    writer_ = CaptureWriter::create(path, CaptureWriter::Format::pcapng, source_->link_type(), 262144, err,
                                    "wirelab lab");
    if (!writer_) {
        say("capture", "cannot write %s: %s", path.c_str(), err.c_str());
        source_.reset();
        return false;
    }
    path_ = path;
    stop_ = false;
    packets_ = 0;
    thread_ = std::thread([this] { run(); });
    say("capture", "recording %s traffic (%s) to %s", iface.c_str(), bpf_filter.c_str(), path.c_str());
    return true;
}

void Recorder::run() {
    Frame f;
    // Keep reading until asked to stop, and then until the interface has been quiet for two
    // read timeouts in a row: libpcap hands packets over in blocks, retired at the latest
    // after its 100 ms timeout, so the last packets of the exchange come that late. The drain
    // is bounded too (one second): a lab whose background traffic never pauses, such as a
    // Redis client polling every 200 ms, must not keep the recorder reading forever.
    using clock = std::chrono::steady_clock;
    int quiet = 0;
    clock::time_point drain_until{};
    while (true) {
        if (stop_) {
            if (drain_until == clock::time_point{}) drain_until = clock::now() + std::chrono::seconds(1);
            if (quiet >= 2 || clock::now() > drain_until) break;
        }
        LiveSource::Next got = source_->next(f, 150);
        if (got == LiveSource::Next::packet) {
            writer_->write(f.ts_ns, f.data, f.wire_len);
            ++packets_;
            quiet = 0;
            continue;
        }
        if (got == LiveSource::Next::error) {
            say("capture", "capture stopped: %s", source_->error().c_str());
            break;
        }
        if (stop_) ++quiet;
    }
}

std::uint64_t Recorder::stop() {
    if (!running()) return 0;
    stop_ = true;
    thread_.join();
    std::uint64_t dropped = source_->dropped();
    writer_->close();
    writer_.reset();
    source_.reset();
    say("capture", "wrote %llu packets to %s%s", static_cast<unsigned long long>(packets_.load()), path_.c_str(),
        dropped ? (" (" + std::to_string(dropped) + " dropped by the kernel: the recorder fell behind)").c_str() : "");
    say("capture", "look at it: ./wirelab view %s   or   ./wirelab dump -r %s", path_.c_str(), path_.c_str());
    return packets_;
}

std::string program_dir() {
    char buf[4096];
    ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    std::string self = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string(".");
    return self.substr(0, self.rfind('/'));
}

int open_viewer(const std::string& path) {
    std::string viewer = program_dir() + "/wirelab-view";
    std::fflush(stdout);
    char* args[] = {viewer.data(), const_cast<char*>(path.c_str()), nullptr};
    ::execv(viewer.c_str(), args);
    std::fprintf(stderr, "cannot open the viewer %s: %s (open the capture later with ./wirelab view %s)\n",
                 viewer.c_str(), std::strerror(errno), path.c_str());
    return 1;
}

void warn_if_not_loopback(const std::string& bind) {
    if (bind == "127.0.0.1" || bind == "::1" || bind == "localhost") return;
    std::fprintf(stderr,
                 "warning: binding %s, not loopback: anyone on this network (the whole class) can reach this "
                 "server. Use it only on a network you trust.\n",
                 bind.c_str());
}

}  // namespace wirelab::lab
