// wirelab-view: the packet viewer's window. The frame loop is Dear ImGui's example_glfw_opengl3
// (GLFW window, OpenGL 3 context, ImGui backends, NewFrame / draw / Render / swap); what it
// draws is App, over a ViewerModel.
//
// Headless use (CI, docs): --screenshot FILE.png renders the window once everything asked for
// is ready (file indexed, filter applied, packet decoded), writes a PNG and exits.
//
// Benchmark (`./wirelab bench`): --bench-report FILE.json opens FILE as a user would, records
// when the first rows were on screen and when the index was complete (seconds since the
// process started), then scrolls the whole list top to bottom and records every frame's time.
#include <GLFW/glfw3.h>
#include <sys/resource.h>
#include <time.h>
#include <imgui.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <stb_image_write.h>

#include <algorithm>
#include <cfloat>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "model/wake.hpp"
#include "ui/app.hpp"

namespace wv = wirelab::viewer;

namespace {

constexpr const char* kUsage =
    "Usage: wirelab view [FILE] [options]\n"
    "Opens the packet viewer on FILE (pcap or pcapng), or an empty window.\n"
    "Options:\n"
    "  --filter EXPR        apply a display filter\n"
    "  --select N           select packet number N (1-based)\n"
    "  --field NAME         select the first field NAME of that packet (ip.ttl)\n"
    "  --panel NAME         list, tree, model, bytes, explain, follow, ladder or stats\n"
    "  --presentation       start in presentation mode (F5 toggles it)\n"
    "  --live IFACE         capture live on IFACE (lo for the labs) instead of opening a file\n"
    "  --capture-filter BPF with --live: only what matches (tcpdump syntax: \"tcp port 3000\")\n"
    "  --size WxH           window size (default 1400x900)\n"
    "  --screenshot FILE    render the window to a PNG once everything is ready, then exit\n"
    "  --export-svg FILE    with --panel ladder: also write the ladder diagram as SVG\n"
    "  --state-json FILE    write the viewer's state as JSON (with --screenshot: once; else\n"
    "                       whenever it changes)\n"
    "  --bench-report FILE  time the first rows, the complete index and scrolling the whole\n"
    "                       list (--bench-frames N frames), write them as JSON, then exit\n"
    "Example: wirelab view captures/http_get_loopback.pcapng --select 4 --panel model\n";

struct Options {
    std::string file, filter, field, panel, screenshot, state_json, export_svg, live, capture_filter, bench_report;
    long select = 0;
    int bench_frames = 300;
    int width = 1400, height = 900;
    bool presentation = false;
};

bool parse(int argc, char** argv, Options& o) {
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&](std::string& out) {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "wirelab view: %s needs a value\n", a.c_str());
                return false;
            }
            out = argv[++i];
            return true;
        };
        std::string v;
        if (a == "-h" || a == "--help") {
            std::fputs(kUsage, stdout);
            std::exit(0);
        } else if (a == "--filter") {
            if (!value(o.filter)) return false;
        } else if (a == "--field") {
            if (!value(o.field)) return false;
        } else if (a == "--panel") {
            if (!value(o.panel)) return false;
        } else if (a == "--screenshot") {
            if (!value(o.screenshot)) return false;
        } else if (a == "--export-svg") {
            if (!value(o.export_svg)) return false;
        } else if (a == "--state-json") {
            if (!value(o.state_json)) return false;
        } else if (a == "--live") {
            if (!value(o.live)) return false;
        } else if (a == "--capture-filter") {
            if (!value(o.capture_filter)) return false;
        } else if (a == "--bench-report") {
            if (!value(o.bench_report)) return false;
        } else if (a == "--bench-frames") {
            if (!value(v)) return false;
            o.bench_frames = static_cast<int>(std::strtol(v.c_str(), nullptr, 10));
            if (o.bench_frames < 2 || o.bench_frames > 100000) {
                std::fprintf(stderr, "wirelab view: --bench-frames takes a number of frames from 2 to 100000, not '%s'\n", v.c_str());
                return false;
            }
        } else if (a == "--presentation") {
            o.presentation = true;
        } else if (a == "--select") {
            if (!value(v)) return false;
            o.select = std::strtol(v.c_str(), nullptr, 10);
            if (o.select <= 0) {
                std::fprintf(stderr, "wirelab view: --select takes a packet number from 1 on, not '%s'\n", v.c_str());
                return false;
            }
        } else if (a == "--size") {
            if (!value(v) || std::sscanf(v.c_str(), "%dx%d", &o.width, &o.height) != 2 || o.width < 200 || o.height < 150) {
                std::fprintf(stderr, "wirelab view: --size takes WIDTHxHEIGHT, like 1400x900\n");
                return false;
            }
        } else if (!a.empty() && a[0] == '-') {
            std::fprintf(stderr, "wirelab view: unknown option %s\n", a.c_str());
            return false;
        } else if (o.file.empty()) {
            o.file = a;
        } else {
            std::fprintf(stderr, "wirelab view: one file at a time (%s and %s)\n", o.file.c_str(), a.c_str());
            return false;
        }
    }
    if (!o.bench_report.empty() && (o.file.empty() || !o.screenshot.empty())) {
        std::fprintf(stderr, "wirelab view: --bench-report needs a FILE, and no --screenshot\n");
        return false;
    }
    const char* panels[] = {"", "list", "tree", "layers", "model", "bytes", "explain", "follow", "ladder", "stats"};
    if (std::find(std::begin(panels), std::end(panels), o.panel) == std::end(panels)) {
        std::fprintf(stderr, "wirelab view: --panel takes list, tree, model, bytes, explain, follow, ladder or stats\n");
        return false;
    }
    return true;
}

void glfw_error(int code, const char* what) { std::fprintf(stderr, "wirelab view: GLFW error %d: %s\n", code, what); }

// What the GLFW callbacks need: the app (dropped files) and the key releases held back.
//
// Dear ImGui 1.86 reads keys as "down at NewFrame": a key pressed and released between two
// frames (a fast typist, xdotool) would never be seen. Releases of keys pressed since the last
// frame are held back until that frame was drawn, as ImGui 1.87's input queue does.
struct WindowGlue {
    wv::App* app = nullptr;
    std::vector<bool> pressed_this_frame = std::vector<bool>(GLFW_KEY_LAST + 1, false);
    struct Release {
        int key, scancode, mods;
    };
    std::vector<Release> held;
    // Input arrived: draw a few frames at once (focus changes take two frames to show).
    int busy_frames = 0;

    void after_frame(GLFWwindow* window) {
        std::fill(pressed_this_frame.begin(), pressed_this_frame.end(), false);
        std::vector<Release> now;
        now.swap(held);
        for (const Release& r : now) ImGui_ImplGlfw_KeyCallback(window, r.key, r.scancode, GLFW_RELEASE, r.mods);
    }
};

void on_key(GLFWwindow* window, int key, int scancode, int action, int mods) {
    auto* glue = static_cast<WindowGlue*>(glfwGetWindowUserPointer(window));
    glue->busy_frames = 4;
    if (key >= 0 && key <= GLFW_KEY_LAST) {
        if (action == GLFW_RELEASE && glue->pressed_this_frame[static_cast<std::size_t>(key)]) {
            glue->held.push_back({key, scancode, mods});
            return;
        }
        if (action == GLFW_PRESS) glue->pressed_this_frame[static_cast<std::size_t>(key)] = true;
    }
    if (action != GLFW_RELEASE) glue->app->key_event(key, mods);
    ImGui_ImplGlfw_KeyCallback(window, key, scancode, action, mods);
}

void on_char(GLFWwindow* window, unsigned int c) {
    static_cast<WindowGlue*>(glfwGetWindowUserPointer(window))->busy_frames = 4;
    ImGui_ImplGlfw_CharCallback(window, c);
}

void on_mouse_button(GLFWwindow* window, int button, int action, int mods) {
    static_cast<WindowGlue*>(glfwGetWindowUserPointer(window))->busy_frames = 4;
    ImGui_ImplGlfw_MouseButtonCallback(window, button, action, mods);
}

void on_drop(GLFWwindow* window, int count, const char** paths) {
    auto* glue = static_cast<WindowGlue*>(glfwGetWindowUserPointer(window));
    std::vector<std::string> files(paths, paths + count);
    glue->app->drop(files);
}

bool write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::trunc | std::ios::binary);
    out << text;
    return static_cast<bool>(out);
}

// Reads the back buffer (what was just rendered) and writes it as PNG, top row first.
bool write_png(const std::string& path, int w, int h) {
    std::vector<unsigned char> pixels(static_cast<std::size_t>(w) * static_cast<std::size_t>(h) * 3);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadBuffer(GL_BACK);
    glReadPixels(0, 0, w, h, GL_RGB, GL_UNSIGNED_BYTE, pixels.data());
    // OpenGL's rows go bottom-up; PNG's top-down.
    return stbi_write_png(path.c_str(), w, h, 3, pixels.data() + static_cast<std::size_t>(w) * 3 * static_cast<std::size_t>(h - 1),
                          -w * 3) != 0;
}

// Seconds since this process started: the kernel's start time (/proc/self/stat, field 22, in
// clock ticks since boot) against CLOCK_BOOTTIME, so the time to load the program counts too.
double seconds_since_process_start() {
    timespec now{};
    clock_gettime(CLOCK_BOOTTIME, &now);
    const double now_s = static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
    std::ifstream in("/proc/self/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // The command name (field 2) may hold spaces; the fields after its ')' are plain.
    std::size_t close = stat.rfind(')');
    if (close == std::string::npos) return -1;
    unsigned long long start_ticks = 0;
    int field = 2;
    for (std::size_t i = close + 1; i < stat.size() && field < 22; ++i)
        if (stat[i] == ' ' && ++field == 22) start_ticks = std::strtoull(stat.c_str() + i + 1, nullptr, 10);
    return now_s - static_cast<double>(start_ticks) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// What --bench-report measures, in the order it happens.
struct BenchRun {
    int frames_wanted = 300;
    double first_rows = -1;  // the end of the first frame that drew a packet row
    double index_done = -1;  // the end of the first frame drawn with the whole file indexed
    int since_index = -1;    // frames drawn since the index was complete (-1: not yet)
    std::vector<double> frame_ms;
    std::vector<double> build_ms;  // of each timed frame: the views and ImGui, before OpenGL draws it
    double last_build_ms = 0;
    std::chrono::steady_clock::time_point last_frame_end;
    std::size_t rows_seen = 0;
    int last_row = -1;  // the last row drawn by the scroll's last frame (the list's end)

    bool scrolling() const { return since_index >= 0; }
    bool idle_at_frame_start = false;  // the model had nothing left to do when this frame began

    // After a frame was drawn and shown. True when the run is over.
    //
    // A scroll asked for after frame k is set by the list during frame k+1 and shows in frame
    // k+2 (ImGui applies a window's new scroll position when the window begins), so the frames
    // timed are the N that show the positions 0, 1/(N-1), ..., 1 of the list's height.
    bool after_frame(const wv::ViewerModel& m, wv::UiState& ui) {
        const auto now = std::chrono::steady_clock::now();
        if (first_rows < 0 && ui.list_rows_drawn > 0) first_rows = seconds_since_process_start();
        if (since_index < 0) {
            // The first frame built entirely after the index was complete, and showing it.
            if (idle_at_frame_start && (ui.list_rows_drawn > 0 || m.row_count() == 0)) {
                index_done = seconds_since_process_start();
                since_index = 0;
            }
        } else if (++since_index >= 2) {
            frame_ms.push_back(std::chrono::duration<double, std::milli>(now - last_frame_end).count());
            build_ms.push_back(last_build_ms);
            rows_seen += static_cast<std::size_t>(ui.list_rows_drawn);
            last_row = ui.list_last_row;
        }
        last_frame_end = now;
        if (since_index >= frames_wanted + 1) return true;
        if (since_index >= 0)
            ui.list_scroll_to = static_cast<float>(std::min(since_index, frames_wanted - 1)) / static_cast<float>(frames_wanted - 1);
        return false;
    }

    std::string json(const wv::ViewerModel& m) const {
        std::vector<double> sorted = frame_ms;
        std::sort(sorted.begin(), sorted.end());
        std::vector<double> builds = build_ms;
        std::sort(builds.begin(), builds.end());
        const double build_median = builds.empty() ? 0.0 : builds[builds.size() / 2];
        auto pct = [&](double p) {
            if (sorted.empty()) return 0.0;
            return sorted[std::min(sorted.size() - 1, static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5))];
        };
        rusage ru{};
        getrusage(RUSAGE_SELF, &ru);
        char buf[1024];
        std::snprintf(buf, sizeof buf,
                      "{\n  \"packets\": %zu,\n  \"first_rows_s\": %.3f,\n  \"index_done_s\": %.3f,\n"
                      "  \"index_pass_s\": %.3f,\n  \"index_bytes\": %zu,\n  \"scroll_frames\": %zu,\n"
                      "  \"scroll_rows_drawn\": %zu,\n  \"scroll_last_row\": %d,\n  \"frame_ms_median\": %.2f,\n  \"frame_ms_p95\": %.2f,\n"
                      "  \"frame_ms_max\": %.2f,\n  \"frame_build_ms_median\": %.2f,\n  \"peak_rss_kib\": %ld,\n  \"cpu_user_s\": %.3f,\n  \"cpu_system_s\": %.3f\n}\n",
                      m.packet_count(), first_rows, index_done, m.capture() ? m.capture()->index_seconds() : -1.0,
                      m.capture() ? m.capture()->index().memory() : std::size_t{0}, frame_ms.size(), rows_seen, last_row,
                      pct(0.5), pct(0.95), sorted.empty() ? 0.0 : sorted.back(), build_median, ru.ru_maxrss,
                      static_cast<double>(ru.ru_utime.tv_sec) + static_cast<double>(ru.ru_utime.tv_usec) / 1e6,
                      static_cast<double>(ru.ru_stime.tv_sec) + static_cast<double>(ru.ru_stime.tv_usec) / 1e6);
        return buf;
    }
};

// Selects the first node of the decoded packet whose field is `name`.
void select_field(wv::ViewerModel& m, const std::string& name) {
    const wv::DecodedPacket* p = m.decoded();
    if (!p) return;
    const auto& nodes = p->tree.nodes();
    for (std::size_t i = 0; i < nodes.size(); ++i)
        if (nodes[i].field->abbrev == name) {
            m.select_node(i);
            return;
        }
    std::fprintf(stderr, "wirelab view: packet %zu has no field %s\n", p->index + 1, name.c_str());
}

}  // namespace

int main(int argc, char** argv) {
    Options opt;
    if (!parse(argc, argv, opt)) {
        std::fputs(kUsage, stderr);
        return 2;
    }
    const bool headless = !opt.screenshot.empty();
    BenchRun bench;
    bench.frames_wanted = opt.bench_frames;

    // The file's index pass starts first, on its own thread: it runs while the window, the
    // OpenGL context and the fonts are made (about a tenth of a second with llvmpipe).
    wv::ViewerModel model;
    if (!opt.file.empty()) model.open_file(opt.file);

    glfwSetErrorCallback(glfw_error);
    if (!glfwInit()) {
        std::fprintf(stderr, "wirelab view: cannot open a window: %s\n"
                             "Run it on a desktop, or under a virtual display: xvfb-run -s '-screen 0 1600x1000x24' "
                             "./wirelab view FILE --screenshot out.png\n",
                     std::getenv("DISPLAY") ? "the X display did not answer" : "no display (DISPLAY is not set)");
        return 1;
    }
    // OpenGL 3.3 core: what Mesa's llvmpipe gives under Xvfb, and every desktop since 2010.
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
    glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
    glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GL_TRUE);
    glfwWindowHint(GLFW_SCALE_TO_MONITOR, GLFW_TRUE);
    // Dear ImGui draws with blending and scissors only: no depth or stencil buffer to keep
    // (with a software renderer, a window-sized buffer of memory each).
    glfwWindowHint(GLFW_DEPTH_BITS, 0);
    glfwWindowHint(GLFW_STENCIL_BITS, 0);
    std::string title = !opt.file.empty() ? "wirelab \xe2\x80\x94 " + opt.file
                        : !opt.live.empty() ? "wirelab \xe2\x80\x94 live on " + opt.live
                                            : std::string("wirelab");
    GLFWwindow* window = glfwCreateWindow(opt.width, opt.height, title.c_str(), nullptr, nullptr);
    if (!window) {
        std::fprintf(stderr, "wirelab view: cannot create an OpenGL 3.3 window (is Mesa installed? libgl1-mesa-dri)\n");
        glfwTerminate();
        return 1;
    }
    glfwMakeContextCurrent(window);
    wv::set_frame_loop_wake(glfwPostEmptyEvent);  // a background pass that ends wakes the loop
    // The benchmark measures the work of a frame, not the wait for the display's refresh.
    glfwSwapInterval(opt.bench_report.empty() ? 1 : 0);

    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;  // the layout is the program's, not a file in the current directory
    // The backend's callbacks, installed here so that key releases can be held back (WindowGlue).
    ImGui_ImplGlfw_InitForOpenGL(window, false);
    glfwSetWindowFocusCallback(window, ImGui_ImplGlfw_WindowFocusCallback);
    glfwSetCursorEnterCallback(window, ImGui_ImplGlfw_CursorEnterCallback);
    glfwSetMouseButtonCallback(window, on_mouse_button);
    glfwSetScrollCallback(window, ImGui_ImplGlfw_ScrollCallback);
    glfwSetCharCallback(window, on_char);
    glfwSetMonitorCallback(ImGui_ImplGlfw_MonitorCallback);
    glfwSetKeyCallback(window, on_key);
    ImGui_ImplOpenGL3_Init("#version 330 core");

    // DPI: the monitor's content scale (2 on a HiDPI laptop) sizes fonts and spacing.
    float xscale = 1, yscale = 1;
    glfwGetWindowContentScale(window, &xscale, &yscale);
    const float dpi = std::max(1.0f, xscale);
    wv::Theme theme;
    theme.load_fonts(dpi);
    theme.apply_style(opt.presentation, dpi);

    wv::App app(model, theme);
    app.ui().presentation = opt.presentation;
    WindowGlue glue;
    glue.app = &app;
    glfwSetWindowUserPointer(window, &glue);
    glfwSetDropCallback(window, on_drop);

    // What the command line asks for. The headless path waits for each step; the window
    // applies them as the background work finishes.
    if (opt.file.empty() && !opt.live.empty()) model.start_live(opt.live, opt.capture_filter);
    if (!opt.filter.empty() && !model.apply_filter(opt.filter))
        std::fprintf(stderr, "wirelab view: filter: %s\n", model.filter_error() ? model.filter_error()->message.c_str() : "");
    if (headless) model.wait_idle(600);  // the whole file indexed and filtered
    bool pending_select = opt.select > 0, pending_panel = !opt.panel.empty();
    if (!pending_panel) app.ui().panel = "list";

    std::string last_state;
    int ready_frames = 0;
    int exit_code = 0;
    while (!glfwWindowShouldClose(window) && !app.quit_requested()) {
        // Wait for input, but keep drawing while background work shows progress: 10 frames a
        // second are enough for a progress bar and new rows (input still draws at once), and
        // leave the CPU to the work. A software renderer spends as much on a frame, on both
        // cores, as the index pass on 5,000 packets: at 20 frames a second the 1M-packet index
        // took 7% longer. The end of a pass wakes the loop (wake_frame_loop).
        if (headless || bench.scrolling() || !glue.held.empty() || glue.busy_frames > 0) {
            glfwPollEvents();
            if (glue.busy_frames > 0) --glue.busy_frames;
        } else if (model.busy() || model.live_running()) {
            glfwWaitEventsTimeout(0.1);
        } else {
            glfwWaitEventsTimeout(0.25);
        }

        if (pending_select) {
            // Selecting needs the packet indexed (and shown by the filter).
            std::size_t n = static_cast<std::size_t>(opt.select);
            if (model.packet_count() >= n || !model.indexing()) {
                if (!model.go_to_packet(n) && n <= model.packet_count()) model.select_packet(n - 1);
                pending_select = false;
                if (headless) model.wait_idle(600);
                if (!opt.field.empty()) select_field(model, opt.field);
            }
        }
        if (!pending_select && !opt.field.empty() && model.decoded() && !model.selected_node()) select_field(model, opt.field);
        if (pending_panel && !pending_select && (!model.selected_packet() || model.decoded())) {
            app.show_panel(opt.panel);
            pending_panel = false;
            std::string err;
            if (!opt.export_svg.empty() && !model.export_ladder_svg(opt.export_svg, err)) {
                std::fprintf(stderr, "wirelab view: --export-svg: %s\n", err.c_str());
                exit_code = 1;
            }
        }
        if (app.style_dirty()) {
            theme.apply_style(app.ui().presentation, dpi);
            app.style_applied();
        }

        const auto build_start = std::chrono::steady_clock::now();
        bench.idle_at_frame_start = !model.busy();
        ImGui_ImplOpenGL3_NewFrame();
        ImGui_ImplGlfw_NewFrame();
        // A screenshot shows the state asked for, not what the pointer of the virtual
        // display happens to hover (it rests in the middle of the screen).
        if (headless) io.MousePos = ImVec2(-FLT_MAX, -FLT_MAX);
        ImGui::NewFrame();
        app.frame();
        glue.after_frame(window);
        ImGui::Render();
        bench.last_build_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - build_start).count();
        int w, h;
        glfwGetFramebufferSize(window, &w, &h);
        glViewport(0, 0, w, h);
        const ImVec4 bg = ImGui::GetStyle().Colors[ImGuiCol_WindowBg];
        glClearColor(bg.x, bg.y, bg.z, 1.0f);
        glClear(GL_COLOR_BUFFER_BIT);
        ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());

        if (headless) {
            // A few frames once everything is ready: tables and tabs settle their layout.
            bool ready = !model.busy() && !pending_select && !pending_panel;
            ready_frames = ready ? ready_frames + 1 : 0;
            if (ready_frames >= 4) {
                if (!write_png(opt.screenshot, w, h)) {
                    std::fprintf(stderr, "wirelab view: cannot write %s\n", opt.screenshot.c_str());
                    exit_code = 1;
                }
                if (!opt.state_json.empty() && !write_file(opt.state_json, app.state_json())) exit_code = 1;
                break;
            }
        } else if (!opt.state_json.empty()) {
            std::string s = app.state_json();
            if (s != last_state) {
                write_file(opt.state_json + ".tmp", s);
                std::rename((opt.state_json + ".tmp").c_str(), opt.state_json.c_str());
                last_state = std::move(s);
            }
        }
        glfwSwapBuffers(window);
        if (!opt.bench_report.empty()) {
            glFinish();  // the frame is on screen, not only queued to the renderer
            if (bench.after_frame(model, app.ui())) {
                if (!write_file(opt.bench_report, bench.json(model))) {
                    std::fprintf(stderr, "wirelab view: cannot write %s\n", opt.bench_report.c_str());
                    exit_code = 1;
                }
                break;
            }
        }
    }

    wv::set_frame_loop_wake(nullptr);
    model.close();  // no pass may wake a loop that is gone
    ImGui_ImplOpenGL3_Shutdown();
    ImGui_ImplGlfw_Shutdown();
    ImGui::DestroyContext();
    glfwDestroyWindow(window);
    glfwTerminate();
    return exit_code;
}
