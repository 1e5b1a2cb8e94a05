// The real viewer program, as a person would use it, under a virtual X display (Xvfb, started
// here) with Mesa's software OpenGL: headless screenshots with their state JSON, and one run
// driven by keystrokes through xdotool.
#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <signal.h>
#include <spawn.h>
#include <sstream>
#include <stb_image.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "wirelab/socketio.hpp"  // wirelab::json::parse reads the state files

extern char** environ;

namespace json = wirelab::json;

namespace {

const std::string kRepo = WIRELAB_REPO_DIR;
const std::string kShared = WIRELAB_SHARED_CAPTURES;
const std::string kView = WIRELAB_VIEW_BIN;
const std::string kHttp = kRepo + "/captures/http_get_loopback.pcapng";
const std::string kSocketIo = kRepo + "/captures/socketio_websocket.pcapng";

std::string scratch(const std::string& name) {
    static const std::string dir = [] {
        auto d = std::filesystem::temp_directory_path() / ("wirelab-gui-test-" + std::to_string(::getpid()));
        std::filesystem::create_directories(d);
        return d.string();
    }();
    return dir + "/" + name;
}

pid_t spawn(const std::vector<std::string>& args, const std::vector<std::string>& extra_env, int stdout_fd = -1) {
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::vector<std::string> env_store;
    for (char** e = environ; *e; ++e) {
        std::string kv = *e;
        bool overridden = false;
        for (const auto& x : extra_env)
            if (kv.substr(0, kv.find('=') + 1) == x.substr(0, x.find('=') + 1)) overridden = true;
        if (!overridden) env_store.push_back(kv);
    }
    for (const auto& x : extra_env) env_store.push_back(x);
    std::vector<char*> envp;
    for (auto& e : env_store) envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (stdout_fd >= 0) posix_spawn_file_actions_adddup2(&fa, stdout_fd, 1);
    pid_t pid = -1;
    int rc = posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    return rc == 0 ? pid : -1;
}

// Waits for `pid` up to `seconds`; its exit code, or -1 if it had to be killed.
int wait_for(pid_t pid, double seconds) {
    auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    for (;;) {
        int status = 0;
        pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (std::chrono::steady_clock::now() > end) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            return -1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

// An X server of our own on a free display number (Xvfb -displayfd tells which).
struct VirtualDisplay {
    pid_t pid = -1;
    std::string display;
    VirtualDisplay() {
        int fds[2];
        REQUIRE(::pipe(fds) == 0);
        pid = spawn({"Xvfb", "-displayfd", std::to_string(fds[1]), "-screen", "0", "1600x1000x24", "-nolisten", "tcp"}, {});
        ::close(fds[1]);
        REQUIRE(pid > 0);
        std::string n;
        char c;
        while (::read(fds[0], &c, 1) == 1 && c != '\n') n += c;
        ::close(fds[0]);
        INFO("Xvfb did not start (Debian packages xvfb and xauth)");
        REQUIRE(!n.empty());
        display = ":" + n;
    }
    ~VirtualDisplay() {
        if (pid > 0) {
            ::kill(pid, SIGTERM);
            wait_for(pid, 10);
        }
    }
    std::vector<std::string> env() const {
        std::string cfg = scratch("viewer.conf");
        // Under the sanitizer build, leaks inside Mesa and Xlib are not the viewer's to fix.
        return {"DISPLAY=" + display, "WIRELAB_VIEWER_CONFIG=" + cfg, "LIBGL_ALWAYS_SOFTWARE=1",
                "ASAN_OPTIONS=detect_leaks=0:abort_on_error=1"};
    }
};

json::Value read_json(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    wirelab::CodecError err;
    auto v = json::parse(ss.str(), &err);
    INFO(path << ": " << err.what << " at " << err.offset << "\n" << ss.str());
    REQUIRE(v);
    return *v;
}

struct Image {
    int w = 0, h = 0;
    std::size_t colours = 0;
    double spread = 0;  // standard deviation of brightness
};

Image load_png(const std::string& path) {
    Image img;
    int n = 0;
    unsigned char* px = stbi_load(path.c_str(), &img.w, &img.h, &n, 3);
    REQUIRE(px);
    std::set<std::uint32_t> colours;
    double sum = 0, sum2 = 0;
    std::size_t count = static_cast<std::size_t>(img.w) * static_cast<std::size_t>(img.h);
    for (std::size_t i = 0; i < count; ++i) {
        const unsigned char* p = px + i * 3;
        colours.insert(std::uint32_t(p[0]) << 16 | std::uint32_t(p[1]) << 8 | p[2]);
        double y = 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
        sum += y;
        sum2 += y * y;
    }
    stbi_image_free(px);
    img.colours = colours.size();
    double mean = sum / static_cast<double>(count);
    img.spread = std::sqrt(std::max(0.0, sum2 / static_cast<double>(count) - mean * mean));
    return img;
}

// Runs the viewer headless and returns the state it wrote.
json::Value screenshot(const VirtualDisplay& x, const std::vector<std::string>& args, const std::string& name,
                       Image* image = nullptr) {
    std::string png = scratch(name + ".png"), state = scratch(name + ".json");
    std::filesystem::remove(png);
    std::filesystem::remove(state);
    std::vector<std::string> cmd{kView};
    cmd.insert(cmd.end(), args.begin(), args.end());
    cmd.insert(cmd.end(), {"--screenshot", png, "--state-json", state});
    pid_t pid = spawn(cmd, x.env());
    REQUIRE(pid > 0);
    REQUIRE(wait_for(pid, 120) == 0);
    Image img = load_png(png);
    if (image) *image = img;
    return read_json(state);
}

const json::Value& at(const json::Value& v, const char* key) {
    const json::Value* f = v.find(key);
    INFO("missing key " << key);
    REQUIRE(f);
    return *f;
}

std::vector<std::string> layer_names(const json::Value& selected) {
    std::vector<std::string> out;
    for (const json::Value& l : at(selected, "layers").items) out.push_back(at(l, "abbrev").text);
    return out;
}

}  // namespace

TEST_CASE("screenshot of a selected field: right size, not blank, state names packet, layers and bytes", "[viewer][gui]") {
    VirtualDisplay x;
    Image img;
    json::Value s = screenshot(x, {kHttp, "--select", "4", "--field", "ip.ttl", "--panel", "model"}, "ttl", &img);
    CHECK(img.w == 1400);
    CHECK(img.h == 900);
    CHECK(img.colours > 100);
    CHECK(img.spread > 10);
    CHECK(at(s, "packets").number == 12);
    CHECK(at(s, "panel").text == "model");
    const json::Value& sel = at(s, "selected");
    CHECK(at(sel, "number").number == 4);
    CHECK(at(sel, "protocol").text == "HTTP");
    CHECK(layer_names(sel) == std::vector<std::string>{"frame", "eth", "ip", "tcp", "http"});
    CHECK(at(at(sel, "field"), "abbrev").text == "ip.ttl");
    CHECK(at(at(sel, "field"), "value").text == "64");
    const json::Value& h = at(sel, "highlight");
    CHECK(at(h, "source").number == 0);
    CHECK(at(h, "offset").number == 22);  // 14 bytes of Ethernet + 8 into the IPv4 header
    CHECK(at(h, "length").number == 1);
}

TEST_CASE("screenshots with a filter and each panel", "[viewer][gui]") {
    VirtualDisplay x;
    Image img;
    json::Value f = screenshot(x, {kHttp, "--filter", "http", "--select", "8", "--panel", "follow", "--size", "1200x800"},
                               "follow", &img);
    CHECK(img.w == 1200);
    CHECK(img.h == 800);
    CHECK(img.colours > 100);
    CHECK(at(at(f, "filter"), "text").text == "http");
    CHECK(at(f, "displayed").number == 2);
    CHECK(at(at(f, "selected"), "number").number == 8);
    CHECK(at(at(f, "follow"), "stream").number == 0);
    CHECK(at(at(f, "follow"), "ascii_lines").number > 5);
    CHECK(at(at(f, "window"), "tab").text == "follow");

    json::Value l = screenshot(x, {kSocketIo, "--select", "12", "--panel", "ladder"}, "ladder", &img);
    CHECK(img.spread > 10);
    CHECK(at(at(l, "ladder"), "title").text == "Socket.IO");
    CHECK(at(at(l, "ladder"), "arrows").number >= 15);
    CHECK(at(at(l, "selected"), "protocol").text == "Socket.IO");

    json::Value t = screenshot(x, {kHttp, "--select", "1", "--panel", "ladder"}, "ladder-tcp");
    CHECK(at(at(t, "ladder"), "arrows").number == 12);

    json::Value st = screenshot(x, {kSocketIo, "--panel", "stats", "--presentation"}, "stats", &img);
    CHECK(img.colours > 50);
    CHECK(at(at(st, "window"), "tab").text == "stats");
    CHECK(at(at(st, "window"), "presentation").boolean);
    CHECK(at(st, "selected").is(json::Type::null));
}

TEST_CASE("a damaged file or a bad filter shows what is wrong, never a crash", "[viewer][gui][errors]") {
    VirtualDisplay x;
    Image img;
    json::Value d = screenshot(x, {kShared + "/malformed/derived_truncated_midrecord.pcap", "--select", "15"}, "damaged", &img);
    CHECK(img.spread > 10);
    CHECK(at(d, "packets").number == 15);
    CHECK(at(d, "capture_error").text.find("truncated record") != std::string::npos);
    CHECK(!at(d, "messages").items.empty());
    CHECK(at(at(d, "selected"), "number").number == 15);

    json::Value b = screenshot(x, {kHttp, "--filter", "tcp.port =="}, "badfilter");
    const json::Value& err = at(at(b, "filter"), "error");
    REQUIRE(err.is(json::Type::object));
    CHECK(at(err, "column").number >= 9);
    CHECK(at(b, "displayed").number == 12);  // the filter was not applied

    json::Value e = screenshot(x, {kShared + "/malformed/empty.pcapng"}, "empty");
    CHECK(at(e, "packets").number == 0);

    json::Value n = screenshot(x, {"/nonexistent.pcap"}, "missing");
    CHECK(at(n, "file").is(json::Type::null));
    REQUIRE(!at(n, "messages").items.empty());
    CHECK(at(n, "messages").items[0].text.find("No such file") != std::string::npos);
}

TEST_CASE("the benchmark report: rows before the complete index, and a timed scroll to the list's end", "[viewer][gui][bench]") {
    VirtualDisplay x;
    const std::string file = kShared + "/http/scale_http_espn_browse.pcapng";
    json::Value state = screenshot(x, {file}, "bench-state");
    const double packets = at(state, "packets").number;
    REQUIRE(packets > 500);  // more rows than the window shows: the scroll has somewhere to go

    std::string report = scratch("bench.json");
    std::filesystem::remove(report);
    pid_t pid = spawn({kView, file, "--bench-report", report, "--bench-frames", "20"}, x.env());
    REQUIRE(pid > 0);
    REQUIRE(wait_for(pid, 120) == 0);
    json::Value r = read_json(report);
    CHECK(at(r, "packets").number == packets);
    const double first = at(r, "first_rows_s").number, done = at(r, "index_done_s").number;
    CHECK(first > 0);
    CHECK(first <= done);
    CHECK(at(r, "index_pass_s").number > 0);
    CHECK(at(r, "index_bytes").number > 48 * packets);  // a record a packet, and the Info texts
    CHECK(at(r, "scroll_frames").number == 20);
    CHECK(at(r, "scroll_rows_drawn").number >= 20 * 10);
    CHECK(at(r, "scroll_last_row").number == packets - 1);  // the last frame showed the list's end
    CHECK(at(r, "frame_ms_median").number > 0);
    CHECK(at(r, "frame_ms_max").number >= at(r, "frame_ms_p95").number);
    CHECK(at(r, "frame_ms_p95").number >= at(r, "frame_ms_median").number);
    CHECK(at(r, "peak_rss_kib").number > 1024);

    // Without a file there is nothing to measure: a clear error, not an empty report.
    pid = spawn({kView, "--bench-report", report}, x.env());
    REQUIRE(pid > 0);
    CHECK(wait_for(pid, 60) == 2);
}

TEST_CASE("keystrokes drive the real window: arrows, Enter, typing a filter", "[viewer][gui][keyboard]") {
    VirtualDisplay x;
    std::string state = scratch("interactive.json");
    std::filesystem::remove(state);
    pid_t viewer = spawn({kView, kHttp, "--state-json", state}, x.env());
    REQUIRE(viewer > 0);
    auto xdo = [&](std::vector<std::string> args) {
        args.insert(args.begin(), "xdotool");
        pid_t p = spawn(args, x.env());
        REQUIRE(p > 0);
        return wait_for(p, 30);
    };
    // Waits until the state file says what `ok` wants (the viewer rewrites it on every change).
    auto wait_state = [&](auto&& ok) {
        auto end = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        std::string last;
        while (std::chrono::steady_clock::now() < end) {
            std::ifstream in(state);
            std::stringstream ss;
            ss << in.rdbuf();
            last = ss.str();
            if (auto v = json::parse(last); v && ok(*v)) return *v;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        INFO("last state: " << last);
        FAIL("the viewer did not reach the expected state");
        return json::Value{};
    };
    wait_state([](const json::Value& v) { return v.find("packets") && v.find("packets")->number == 12; });
    // The window has the keyboard focus (there is no window manager to give it).
    REQUIRE(xdo({"search", "--sync", "--name", "^wirelab", "windowfocus", "--sync"}) == 0);

    REQUIRE(xdo({"key", "--delay", "120", "Down", "Down", "Return"}) == 0);
    json::Value s = wait_state([](const json::Value& v) {
        const json::Value* sel = v.find("selected");
        return sel && sel->is(json::Type::object) && sel->find("layers") && sel->find("number")->number == 2 &&
               v.find("window")->find("layers_expanded")->boolean;
    });
    CHECK(layer_names(at(s, "selected")).size() == 4);

    auto typing = [](const json::Value& v) { return v.find("window")->find("typing")->boolean; };
    REQUIRE(xdo({"key", "ctrl+f"}) == 0);
    wait_state(typing);
    REQUIRE(xdo({"type", "--delay", "60", "http"}) == 0);
    REQUIRE(xdo({"key", "Return"}) == 0);
    s = wait_state([](const json::Value& v) {
        const json::Value& f = *v.find("filter");
        return f.find("text")->text == "http" && f.find("done")->boolean && v.find("displayed")->number == 2;
    });
    CHECK(at(at(s, "filter"), "error").is(json::Type::null));

    // Escape leaves the bar; Down moves to the first displayed packet (4, the GET).
    REQUIRE(xdo({"key", "--delay", "120", "Escape", "Down"}) == 0);
    s = wait_state([](const json::Value& v) {
        const json::Value* sel = v.find("selected");
        return sel && sel->is(json::Type::object) && sel->find("number")->number == 4;
    });
    CHECK(at(at(s, "selected"), "protocol").text == "HTTP");

    // A filter with an error shows it while typing.
    REQUIRE(xdo({"key", "ctrl+f"}) == 0);
    wait_state(typing);
    REQUIRE(xdo({"key", "--delay", "100", "ctrl+a", "BackSpace"}) == 0);
    REQUIRE(xdo({"type", "--delay", "60", "tcp.port =="}) == 0);
    s = wait_state([](const json::Value& v) {
        const json::Value& f = *v.find("filter");
        return f.find("editing")->text == "tcp.port ==" && f.find("error")->is(json::Type::object);
    });
    CHECK(at(at(at(s, "filter"), "error"), "column").number >= 9);

    REQUIRE(xdo({"key", "Escape", "ctrl+q"}) == 0);
    CHECK(wait_for(viewer, 20) == 0);
}
