// The `wirelab` program: subcommands for decoding captures, running the labs and opening the viewer.
// The launcher script ./wirelab at the repository root builds this and passes its arguments on.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>

#include "wirelab/decoder.hpp"
#include "wirelab/dump.hpp"

namespace {

constexpr const char* kUsage =
    "Usage: wirelab COMMAND [ARGS...]\n"
    "Commands:\n"
    "  dump -r FILE [options]   decode a capture file, tshark style (wirelab dump --help)\n"
    "  dump -G fields           list every protocol field wirelab decodes\n"
    "  lab list                 list the labs\n"
    "  lab N MODE [options]     run lab N (wirelab lab 1 demo; wirelab lab 1 --help)\n"
    "  view [FILE]              open the packet viewer (wirelab view --help)\n"
    "  help                     this text\n"
    "Example: wirelab dump -r captures/http_get_loopback.pcapng -V\n";

// Like `tshark -G fields`: one line per field, tab-separated, with wirelab's layer columns.
int list_fields() {
    wirelab::Decoder d;
    for (const wirelab::ProtocolDef* p : d.registry().protocols()) {
        for (const wirelab::FieldDef& f : p->fields) {
            std::printf("%s\t%.*s\t%.*s\t%.*s\tOSI %d %.*s\t%.*s\t%.*s\n",
                        f.type == wirelab::FieldType::protocol ? "P" : "F", int(f.label.size()), f.label.data(),
                        int(f.abbrev.size()), f.abbrev.data(), int(p->abbrev.size()), p->abbrev.data(),
                        static_cast<int>(p->osi), int(wirelab::osi_name(p->osi).size()),
                        wirelab::osi_name(p->osi).data(), int(wirelab::tcpip_name(p->tcpip).size()),
                        wirelab::tcpip_name(p->tcpip).data(), int(f.explain.size()), f.explain.data());
        }
    }
    return 0;
}

// The labs, one program each (labs/NN-name/, built as wirelab-labNN beside this program).
struct LabEntry {
    int number;
    const char* folder;
    const char* summary;
};
constexpr LabEntry kLabs[] = {
    {1, "01-tcp-sockets", "TCP sockets: an echo server and client, POSIX calls then Boost.Asio; a byte stream needs framing"},
    {2, "02-udp-datagrams", "UDP datagrams: kept boundaries, no connection; loss, duplicates, reordering, IP fragments"},
    {3, "03-http-polling", "HTTP polling: a chat over short and long polling, and what each message costs"},
    {4, "04-websocket-framing", "WebSocket framing: the opening handshake and every frame bit by bit"},
    {5, "05-side-by-side", "Side by side: the same messages over TCP, UDP, both pollings and WebSocket, measured"},
    {6, "06-chat", "Chat: a Socket.IO-compatible server that the official clients use unchanged"},
    {7, "07-missed-events", "Missed events: what a disconnected client misses; acks, offsets and replay"},
    {8, "08-scale-out", "Scale out: chat servers sharing events through Redis Streams"},
};

std::string sibling_program(const std::string& name) {
    char self[4096];
    ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    std::string path = n > 0 ? std::string(self, static_cast<std::size_t>(n)) : std::string("./");
    return path.substr(0, path.rfind('/') + 1) + name;
}

std::string lab_program(int number) {
    char name[32];
    std::snprintf(name, sizeof name, "wirelab-lab%02d", number);
    return sibling_program(name);
}

int lab_command(int argc, char** argv) {
    if (argc == 0 || std::string_view(argv[0]) == "list") {
        std::printf("Labs (wirelab lab N --help for one; README: labs/NN-name/README.md):\n");
        for (const LabEntry& l : kLabs) {
            bool built = ::access(lab_program(l.number).c_str(), X_OK) == 0;
            std::printf("  %2d  %-22s %s%s\n", l.number, l.folder, l.summary, built ? "" : "  [not built yet]");
        }
        return 0;
    }
    char* end = nullptr;
    long number = std::strtol(argv[0], &end, 10);
    const LabEntry* lab = nullptr;
    for (const LabEntry& l : kLabs)
        if (*argv[0] && !*end && l.number == number) lab = &l;
    if (!lab) {
        std::fprintf(stderr, "wirelab lab: there is no lab '%s' (wirelab lab list shows them)\n", argv[0]);
        return 2;
    }
    std::string program = lab_program(lab->number);
    std::vector<char*> args{program.data()};
    for (int i = 1; i < argc; ++i) args.push_back(argv[i]);
    args.push_back(nullptr);
    ::execv(program.c_str(), args.data());
    std::fprintf(stderr, "wirelab lab %d: not built yet (labs/%s): %s\n", lab->number, lab->folder,
                 std::strerror(errno));
    return 1;
}

// `wirelab view`: the viewer is its own program (it links Dear ImGui and OpenGL), built beside
// this one as wirelab-view; this process becomes it.
int view_command(int argc, char** argv) {
    std::string viewer = sibling_program("wirelab-view");
    std::vector<char*> args{viewer.data()};
    for (int i = 2; i < argc; ++i) args.push_back(argv[i]);
    args.push_back(nullptr);
    ::execv(viewer.c_str(), args.data());
    std::fprintf(stderr, "wirelab view: cannot run %s: %s\n(it is built only when the Debian packages libimgui-dev, "
                 "libglfw3-dev, libstb-dev and libgl-dev are installed; run ./wirelab view to set them up)\n",
                 viewer.c_str(), std::strerror(errno));
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fputs(kUsage, stderr);
        return 1;
    }
    std::string_view cmd = argv[1];
    if (cmd == "dump") {
        if (argc == 4 && std::string_view(argv[2]) == "-G" && std::string_view(argv[3]) == "fields")
            return list_fields();
        wirelab::DumpOptions opt;
        if (!wirelab::parse_dump_args(argc - 2, argv + 2, opt, stderr)) return 1;
        return wirelab::run_dump(opt, stdout, stderr);
    }
    if (cmd == "lab") return lab_command(argc - 2, argv + 2);
    if (cmd == "view") return view_command(argc, argv);
    if (cmd == "help" || cmd == "--help" || cmd == "-h") {
        std::fputs(kUsage, stdout);
        return 0;
    }
    std::fprintf(stderr, "wirelab: unknown command '%s'\n%s", argv[1], kUsage);
    return 1;
}
