// The `wirelab` program: subcommands for decoding captures and (later) the labs and viewer.
// The launcher script ./wirelab at the repository root builds this and passes its arguments on.
#include <cerrno>
#include <cstdio>
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

int lab_command(int argc, char** argv) {
    if (argc >= 1 && std::string_view(argv[0]) == "list") {
        std::printf("No labs yet: they arrive with labs/01-tcp-sockets and the others listed in labs/README.md.\n");
        return 0;
    }
    std::fprintf(stderr, "wirelab lab: no labs are built yet (see labs/README.md)\n");
    return 1;
}

// `wirelab view`: the viewer is its own program (it links Dear ImGui and OpenGL), built beside
// this one as wirelab-view; this process becomes it.
int view_command(int argc, char** argv) {
    char self[4096];
    ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    std::string viewer = n > 0 ? std::string(self, static_cast<std::size_t>(n)) : std::string(argv[0]);
    viewer = viewer.substr(0, viewer.rfind('/') + 1) + "wirelab-view";
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
