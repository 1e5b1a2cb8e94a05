// Tests for the capture reader and writer (core/src/capture): the real captures of the shared
// corpus checked against capinfos and tshark, generated files for each kind of damage (wirelab
// must stop exactly where tshark stops), write-then-read round trips that Wireshark's tools
// must open without a warning, and a large file read with release_before().
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "wirelab/capture.hpp"

namespace wl = wirelab;
namespace fs = std::filesystem;

namespace {

std::string corpus(std::string_view relative) { return std::string(WIRELAB_SHARED_CAPTURES) + "/" + std::string(relative); }

// ---- running tshark and capinfos -----------------------------------------------------------

struct CommandResult {
    int status = -1;
    std::string output;
};

CommandResult run(const std::string& command) {
    CommandResult result;
    std::FILE* pipe = ::popen(command.c_str(), "r");
    REQUIRE(pipe != nullptr);
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) result.output.append(buf, n);
    const int status = ::pclose(pipe);
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

std::string shell_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

// tshark and capinfos come with the set-up; a missing tool is a broken machine, not a skip.
void require_tool(const std::string& tool) {
    INFO(tool << " must be installed (Wireshark's command-line tools)");
    REQUIRE(run("command -v " + tool + " >/dev/null 2>&1").status == 0);
}

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> parts;
    std::string part;
    std::istringstream in(s);
    while (std::getline(in, part, sep)) parts.push_back(part);
    if (!s.empty() && s.back() == sep) parts.emplace_back();
    return parts;
}

// "1340954905.298858000" or "-99.500000000" -> nanoseconds.
std::int64_t epoch_to_ns(const std::string& text) {
    const bool negative = !text.empty() && text[0] == '-';
    const std::string t = negative ? text.substr(1) : text;
    const std::size_t dot = t.find('.');
    const std::int64_t sec = std::stoll(t.substr(0, dot));
    std::string frac = dot == std::string::npos ? "" : t.substr(dot + 1);
    frac.resize(9, '0');
    const std::int64_t ns = sec * 1'000'000'000 + std::stoll(frac);
    return negative ? -ns : ns;
}

// One line of `tshark -T fields`: the frames tshark lists, including the non-packet records
// (custom blocks) that it numbers like packets.
struct TsharkFrame {
    std::uint64_t number = 0;
    std::optional<std::int64_t> ts_ns;  // SPBs have no time
    std::uint32_t len = 0, cap_len = 0;
    bool packet = false;                // has an encapsulation: a packet, not another record
    std::string comment;
};

struct TsharkRead {
    bool failed = false;  // tshark said the file is damaged, cut short or not a capture
    std::vector<TsharkFrame> frames;
    std::vector<TsharkFrame> packets() const {
        std::vector<TsharkFrame> out;
        std::copy_if(frames.begin(), frames.end(), std::back_inserter(out), [](const TsharkFrame& f) { return f.packet; });
        return out;
    }
};

TsharkRead tshark_read(const std::string& path) {
    // stderr goes into the output too so that a damaged file cannot pass unnoticed; the fields
    // lines are told apart by their leading frame number.
    const CommandResult r = run("tshark -r " + shell_quote(path) +
                                " -T fields -E separator=/t -e frame.number -e frame.time_epoch -e frame.len"
                                " -e frame.cap_len -e frame.encap_type -e frame.comment 2>&1");
    TsharkRead read;
    read.failed = r.status != 0;
    for (const std::string& line : split(r.output, '\n')) {
        const std::vector<std::string> f = split(line, '\t');
        if (f.size() != 6 || f[0].empty() || !std::isdigit(static_cast<unsigned char>(f[0][0]))) continue;
        TsharkFrame frame;
        frame.number = std::stoull(f[0]);
        if (!f[1].empty()) frame.ts_ns = epoch_to_ns(f[1]);
        frame.len = static_cast<std::uint32_t>(std::stoul(f[2]));
        frame.cap_len = static_cast<std::uint32_t>(std::stoul(f[3]));
        frame.packet = !f[4].empty();
        frame.comment = f[5];
        read.frames.push_back(frame);
    }
    return read;
}

// capinfos and tshark both open the file and say nothing that sounds like trouble.
void require_tools_read_cleanly(const std::string& path) {
    for (const std::string& command : {"capinfos " + shell_quote(path) + " 2>&1", "tshark -r " + shell_quote(path) + " 2>&1"}) {
        const CommandResult r = run(command);
        std::string lower = r.output;
        std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
        INFO(command << "\n" << r.output);
        CHECK(r.status == 0);
        CHECK(lower.find("warning") == std::string::npos);
        CHECK(lower.find("appears to be damaged") == std::string::npos);
        CHECK(lower.find("cut short") == std::string::npos);
    }
}

// ---- files -----------------------------------------------------------------------------------

// A file in the temporary directory that removes itself.
class TempFile {
public:
    explicit TempFile(std::string_view name) {
        static std::atomic<unsigned> counter{0};
        path_ = (fs::temp_directory_path() / ("wirelab_test_capture_" + std::to_string(::getpid()) + "_" +
                                              std::to_string(counter++) + "_" + std::string(name)))
                    .string();
    }
    TempFile(const std::vector<std::uint8_t>& bytes, std::string_view name) : TempFile(name) { write(bytes); }
    ~TempFile() {
        std::error_code ec;
        fs::remove(path_, ec);
    }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
    void write(const std::vector<std::uint8_t>& bytes) const {
        std::ofstream out(path_, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
        REQUIRE(out.good());
    }
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

std::vector<std::uint8_t> file_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Everything wirelab reads from a file. Keeps the file open: frames are views into its map.
struct Read {
    std::unique_ptr<wl::CaptureFile> file;
    wl::CaptureError open_error;
    std::vector<wl::Frame> frames;
    std::vector<wl::Frame> blocks;  // non-packet pcapng blocks listed as frames
    std::optional<wl::CaptureError> error;  // from next(), or from open() if that failed
    bool failed() const { return error.has_value(); }
    std::vector<std::uint64_t> numbers() const {
        std::vector<std::uint64_t> out;
        for (const auto& f : frames) out.push_back(f.number);
        return out;
    }
};

Read read_all(const std::string& path) {
    Read read;
    read.file = wl::CaptureFile::open(path, read.open_error);
    if (!read.file) {
        read.error = read.open_error;
        return read;
    }
    wl::Frame frame;
    // Packets only: the pcapng blocks tshark also lists as frames (custom blocks) are kept
    // apart, in `blocks`.
    while (read.file->next(frame)) (frame.block_type ? read.blocks : read.frames).push_back(frame);
    read.error = read.file->error();
    return read;
}

std::string text_of(wl::Bytes b) { return std::string(reinterpret_cast<const char*>(b.data()), b.size()); }

// ---- building pcap and pcapng files byte by byte -----------------------------------------

class Builder {
public:
    explicit Builder(bool big_endian = false) : big_(big_endian) {}
    Builder& u8(std::uint8_t v) {
        out_.push_back(v);
        return *this;
    }
    Builder& u16(std::uint16_t v) { return big_ ? u8(v >> 8).u8(v & 0xff) : u8(v & 0xff).u8(v >> 8); }
    Builder& u32(std::uint32_t v) {
        return big_ ? u16(static_cast<std::uint16_t>(v >> 16)).u16(v & 0xffff)
                    : u16(v & 0xffff).u16(static_cast<std::uint16_t>(v >> 16));
    }
    Builder& u64(std::uint64_t v) {
        return big_ ? u32(static_cast<std::uint32_t>(v >> 32)).u32(static_cast<std::uint32_t>(v))
                    : u32(static_cast<std::uint32_t>(v)).u32(static_cast<std::uint32_t>(v >> 32));
    }
    Builder& bytes(const std::vector<std::uint8_t>& b) {
        out_.insert(out_.end(), b.begin(), b.end());
        return *this;
    }
    Builder& text(std::string_view s) {
        out_.insert(out_.end(), s.begin(), s.end());
        return *this;
    }
    Builder& zeros(std::size_t n) {
        out_.insert(out_.end(), n, 0);
        return *this;
    }
    Builder& pad4() { return zeros((4 - out_.size() % 4) % 4); }
    std::vector<std::uint8_t> done() const { return out_; }

private:
    bool big_;
    std::vector<std::uint8_t> out_;
};

std::vector<std::uint8_t> operator+(std::vector<std::uint8_t> a, const std::vector<std::uint8_t>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

std::vector<std::uint8_t> cut(std::vector<std::uint8_t> v, std::size_t n) {
    v.resize(std::min(n, v.size()));
    return v;
}

// A minimum-size Ethernet frame (broadcast, IPv4 ethertype, zero payload).
std::vector<std::uint8_t> ether_frame(std::uint8_t fill = 0) {
    std::vector<std::uint8_t> f = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x08, 0x00};
    f.resize(60, fill);
    return f;
}

struct PcapHeader {
    std::uint32_t magic = 0xa1b2c3d4;
    std::uint16_t major = 2, minor = 4;
    std::uint32_t snaplen = 65535;
    std::uint32_t link_type = 1;
    bool big = false;
};
std::vector<std::uint8_t> pcap_header(const PcapHeader& h = {}) {
    return Builder(h.big).u32(h.magic).u16(h.major).u16(h.minor).u32(0).u32(0).u32(h.snaplen).u32(h.link_type).done();
}
std::vector<std::uint8_t> pcap_record(std::uint32_t caplen, std::uint32_t wire, const std::vector<std::uint8_t>& data,
                                      std::uint32_t sec = 1000, std::uint32_t frac = 5, bool big = false) {
    return Builder(big).u32(sec).u32(frac).u32(caplen).u32(wire).bytes(data).done();
}
std::vector<std::uint8_t> pcap_packet(const std::vector<std::uint8_t>& data, std::uint32_t frac = 5) {
    const auto n = static_cast<std::uint32_t>(data.size());
    return pcap_record(n, n, data, 1000, frac);
}

// pcapng pieces (draft-ietf-opsawg-pcapng section 3).
using Options = std::vector<std::pair<std::uint16_t, std::vector<std::uint8_t>>>;
std::vector<std::uint8_t> bytes_of(std::string_view s) { return std::vector<std::uint8_t>(s.begin(), s.end()); }

std::vector<std::uint8_t> options(const Options& opts, bool big = false) {
    Builder b(big);
    for (const auto& [code, value] : opts) b.u16(code).u16(static_cast<std::uint16_t>(value.size())).bytes(value).pad4();
    if (!opts.empty()) b.u16(0).u16(0);  // opt_endofopt
    return b.done();
}

// `trailing` overrides the trailing total length, to damage the block.
std::vector<std::uint8_t> block(std::uint32_t type, std::vector<std::uint8_t> body, bool big = false,
                                std::optional<std::uint32_t> trailing = {}) {
    body.resize((body.size() + 3) / 4 * 4, 0);
    const auto total = static_cast<std::uint32_t>(12 + body.size());
    return Builder(big).u32(type).u32(total).bytes(body).u32(trailing.value_or(total)).done();
}
std::vector<std::uint8_t> shb(bool big = false, const Options& opts = {}, std::uint16_t major = 1, std::uint16_t minor = 0,
                              std::uint32_t byte_order_magic = 0x1a2b3c4d) {
    return block(0x0A0D0D0A,
                 Builder(big).u32(byte_order_magic).u16(major).u16(minor).u64(~0ull).bytes(options(opts, big)).done(), big);
}
std::vector<std::uint8_t> idb(std::uint16_t link_type = 1, std::uint32_t snaplen = 65535, const Options& opts = {},
                              bool big = false) {
    return block(1, Builder(big).u16(link_type).u16(0).u32(snaplen).bytes(options(opts, big)).done(), big);
}
// An Enhanced Packet Block, described fluently: epb(Epb().iface(1).time(2000)).
struct Epb {
    std::uint32_t interface = 0;
    std::uint64_t ts = 1000;
    std::vector<std::uint8_t> data = ether_frame();
    std::optional<std::uint32_t> caplen, wire;  // what the header claims; default data.size()
    Options opts;
    bool big = false;

    Epb& iface(std::uint32_t v) { interface = v; return *this; }
    Epb& time(std::uint64_t v) { ts = v; return *this; }
    Epb& bytes(std::vector<std::uint8_t> v) { data = std::move(v); return *this; }
    Epb& claim_caplen(std::uint32_t v) { caplen = v; return *this; }
    Epb& claim_wire(std::uint32_t v) { wire = v; return *this; }
    Epb& big_endian() { big = true; return *this; }
};
std::vector<std::uint8_t> epb(const Epb& e) {
    const auto n = static_cast<std::uint32_t>(e.data.size());
    Builder b(e.big);
    b.u32(e.interface).u32(static_cast<std::uint32_t>(e.ts >> 32)).u32(static_cast<std::uint32_t>(e.ts));
    b.u32(e.caplen.value_or(n)).u32(e.wire.value_or(n)).bytes(e.data).pad4().bytes(options(e.opts, e.big));
    return block(6, b.done(), e.big);
}
std::vector<std::uint8_t> spb(const std::vector<std::uint8_t>& data, std::optional<std::uint32_t> wire = {}) {
    return block(3, Builder().u32(wire.value_or(static_cast<std::uint32_t>(data.size()))).bytes(data).done());
}
std::vector<std::uint8_t> le64(std::int64_t v) { return Builder().u64(static_cast<std::uint64_t>(v)).done(); }

// Where each record or block of a file ends, walking the lengths only (test-side, independent
// of the reader): pcap record headers, or pcapng block lengths in each section's byte order.
std::vector<std::uint64_t> record_ends(const std::vector<std::uint8_t>& f) {
    auto rd32 = [&](std::size_t at, bool big) {
        return big ? std::uint32_t(f[at]) << 24 | std::uint32_t(f[at + 1]) << 16 | std::uint32_t(f[at + 2]) << 8 | f[at + 3]
                   : std::uint32_t(f[at + 3]) << 24 | std::uint32_t(f[at + 2]) << 16 | std::uint32_t(f[at + 1]) << 8 | f[at];
    };
    std::vector<std::uint64_t> ends;
    if (rd32(0, false) == 0x0A0D0D0A) {
        bool big = false;
        for (std::size_t at = 0; at + 12 <= f.size();) {
            if (rd32(at, false) == 0x0A0D0D0A) big = rd32(at + 8, true) == 0x1a2b3c4d;
            at += rd32(at + 4, big);
            ends.push_back(at);
        }
    } else {
        const bool big = rd32(0, true) == 0xa1b2c3d4 || rd32(0, true) == 0xa1b23c4d;
        ends.push_back(24);
        for (std::size_t at = 24; at + 16 <= f.size();) {
            at += 16 + rd32(at + 8, big);
            ends.push_back(at);
        }
    }
    return ends;
}

}  // namespace

// ===== real captures ===========================================================================

TEST_CASE("pcap files from the corpus read completely with the packet counts capinfos gives", "[capture][pcap]") {
    struct Expect {
        const char* file;
        std::uint64_t packets;
        std::uint32_t link_type;
    };
    // Counts and link types from SOURCES.md (capinfos -c).
    const Expect expected[] = {
        {"link/ether_http_loopback.pcap", 24, wl::kLinkEthernet},
        {"link/null_loopback_udp.pcap", 3, wl::kLinkNull},
        {"link/rawip_dns.pcap", 1, wl::kLinkRaw},
        {"link/sll_arp.pcap", 12, wl::kLinkLinuxSll},
        {"link/sll2_http_loopback.pcap", 24, wl::kLinkLinuxSll2},
        {"link/sll_tcp_handshake_nanosec.pcap", 3, wl::kLinkLinuxSll},
        {"http/mixed_lan_wikipedia.pcap", 136, wl::kLinkEthernet},
        {"tcp/tcp_reassembly_gaps.pcap", 117, wl::kLinkEthernet},
        {"arp_icmp/icmpv6_echo.pcap", 8, wl::kLinkEthernet},
        {"malformed/trunc_tcp_snaplen_smtp.pcap", 24, wl::kLinkEthernet},
        // The link-type field is 0x30000001: FCS bits above a plain Ethernet link type.
        {"malformed/bad_udp_length.pcap", 1, wl::kLinkEthernet},
        {"malformed/unsupported_linktype_user13.pcap", 1, 160},
    };
    for (const Expect& e : expected) {
        INFO(e.file);
        const Read r = read_all(corpus(e.file));
        REQUIRE(r.file);
        CHECK_FALSE(r.failed());
        CHECK(r.file->format() == wl::CaptureFile::Format::pcap);
        CHECK(r.frames.size() == e.packets);
        REQUIRE(r.file->interfaces().size() == 1);
        CHECK(r.file->interfaces()[0].link_type == e.link_type);
        for (std::size_t i = 0; i < r.frames.size(); ++i) {
            CHECK(r.frames[i].number == i + 1);
            CHECK(r.frames[i].interface == 0);
        }
    }
}

TEST_CASE("pcap timestamps and lengths agree with tshark to the nanosecond", "[capture][pcap][tshark]") {
    require_tool("tshark");
    for (const char* file : {"link/ether_http_loopback.pcap", "link/sll_tcp_handshake_nanosec.pcap",
                             "malformed/trunc_tcp_snaplen_smtp.pcap", "malformed/bad_udp_length.pcap"}) {
        INFO(file);
        const Read r = read_all(corpus(file));
        const TsharkRead t = tshark_read(corpus(file));
        REQUIRE_FALSE(t.failed);
        REQUIRE(r.frames.size() == t.frames.size());
        for (std::size_t i = 0; i < r.frames.size(); ++i) {
            INFO("frame " << i + 1);
            CHECK(r.frames[i].number == t.frames[i].number);
            CHECK(r.frames[i].ts_ns == t.frames[i].ts_ns);
            CHECK(r.frames[i].wire_len == t.frames[i].len);
            CHECK(r.frames[i].data.size() == t.frames[i].cap_len);
        }
    }
}

TEST_CASE("nanosecond pcap keeps the nanoseconds", "[capture][pcap]") {
    const Read r = read_all(corpus("link/sll_tcp_handshake_nanosec.pcap"));
    REQUIRE(r.frames.size() == 3);
    CHECK(r.file->interfaces()[0].ts_units_per_sec == 1'000'000'000);
    // Each timestamp is a whole number of nanoseconds that is not a whole microsecond.
    for (const auto& f : r.frames) CHECK(f.ts_ns % 1000 != 0);
}

TEST_CASE("pcapng basic files read the same in both byte orders", "[capture][pcapng]") {
    const Read le = read_all(corpus("pcapng/pcapng_le_test001_basic.pcapng"));
    const Read be = read_all(corpus("pcapng/pcapng_be_test001_basic.pcapng"));
    REQUIRE(le.file);
    REQUIRE(be.file);
    CHECK(le.file->format() == wl::CaptureFile::Format::pcapng);
    CHECK_FALSE(le.failed());
    CHECK_FALSE(be.failed());
    REQUIRE(le.frames.size() == 4);
    REQUIRE(be.frames.size() == 4);
    const std::uint32_t lengths[] = {314, 342, 314, 342};
    for (std::size_t i = 0; i < 4; ++i) {
        CHECK(le.frames[i].number == i + 1);
        CHECK(le.frames[i].wire_len == lengths[i]);
        CHECK(le.frames[i].data.size() == lengths[i]);
        CHECK(be.frames[i].wire_len == lengths[i]);
        CHECK(text_of(le.frames[i].data) == text_of(be.frames[i].data));
        CHECK(le.frames[i].ts_ns == be.frames[i].ts_ns);
    }
    for (const Read* r : {&le, &be}) {
        REQUIRE(r->file->interfaces().size() == 1);
        CHECK(r->file->interfaces()[0].name == "silly ethernet interface");
        CHECK(r->file->interfaces()[0].link_type == wl::kLinkEthernet);
    }
}

TEST_CASE("pcapng simple packet blocks belong to interface 0 and have no timestamp", "[capture][pcapng]") {
    const Read r = read_all(corpus("pcapng/pcapng_le_test010_spb.pcapng"));
    REQUIRE(r.file);
    CHECK_FALSE(r.failed());
    REQUIRE(r.frames.size() == 4);
    const std::uint32_t lengths[] = {314, 342, 314, 342};
    for (std::size_t i = 0; i < 4; ++i) {
        CHECK(r.frames[i].ts_ns == 0);
        CHECK(r.frames[i].interface == 0);
        CHECK(r.frames[i].wire_len == lengths[i]);
        CHECK(r.frames[i].data.size() == lengths[i]);
    }
}

TEST_CASE("offset_of names where a frame's bytes are in the file, for pcap, EPB and SPB records", "[capture]") {
    struct Case {
        const char* file;
        std::uint64_t header;  // record header before the packet bytes
    };
    const Case cases[] = {{"http/http_pipelined.pcap", 16},
                          {"pcapng/pcapng_le_test009_epb_all_options.pcapng", 28},
                          {"pcapng/pcapng_be_test001_basic.pcapng", 28},
                          {"pcapng/pcapng_le_test010_spb.pcapng", 12}};
    for (const Case& c : cases) {
        INFO(c.file);
        const std::string path = corpus(c.file);
        const Read r = read_all(path);
        REQUIRE(r.file);
        REQUIRE_FALSE(r.frames.empty());
        std::ifstream in(path, std::ios::binary);
        const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        for (const wl::Frame& f : r.frames) {
            const std::uint64_t at = r.file->offset_of(f.data);
            CHECK(at == f.file_offset + c.header);
            REQUIRE(at + f.data.size() <= bytes.size());
            CHECK(bytes.compare(at, f.data.size(), text_of(f.data)) == 0);
        }
    }
    // Bytes that are not in the file's map have no offset.
    const Read r = read_all(corpus("pcapng/pcapng_le_test001_basic.pcapng"));
    REQUIRE(r.file);
    const std::vector<std::uint8_t> elsewhere(64);
    CHECK(r.file->offset_of(wl::Bytes(elsewhere.data(), elsewhere.size())) == ~std::uint64_t(0));
}

TEST_CASE("pcapng with every block type: frames numbered as tshark numbers them", "[capture][pcapng][tshark]") {
    require_tool("tshark");
    const std::string path = corpus("pcapng/pcapng_le_test102_all_blocks.pcapng");
    const Read r = read_all(path);
    REQUIRE(r.file);
    CHECK_FALSE(r.failed());
    // capinfos counts 5 packets; tshark also lists the three custom blocks as frames 1, 3, 8.
    REQUIRE(r.frames.size() == 5);
    CHECK(r.numbers() == std::vector<std::uint64_t>{2, 4, 5, 6, 7});
    // The custom blocks come as frames of their own, numbered where tshark lists them.
    REQUIRE(r.blocks.size() == 3);
    CHECK(r.blocks[0].number == 1);
    CHECK(r.blocks[1].number == 3);
    CHECK(r.blocks[2].number == 8);
    CHECK(r.blocks[0].data.size() == 24);
    const TsharkRead t = tshark_read(path);
    const auto packets = t.packets();
    REQUIRE(packets.size() == 5);
    for (std::size_t i = 0; i < 5; ++i) {
        CHECK(r.frames[i].number == packets[i].number);
        CHECK(r.frames[i].wire_len == packets[i].len);
        CHECK(r.frames[i].data.size() == packets[i].cap_len);
        CHECK(r.frames[i].ts_ns == packets[i].ts_ns.value_or(0));
    }
    const auto& ifs = r.file->interfaces();
    REQUIRE(ifs.size() == 3);
    CHECK(ifs[0].name == "eth0");
    CHECK(ifs[1].name == "null1");
    CHECK(ifs[1].link_type == 0);
    CHECK(ifs[2].name == "silly!\r\nethernet interface 2");  // a name with a line break
    CHECK(r.frames[1].interface == 2);  // EPB on interface 2
    CHECK(r.frames[2].interface == 0);  // SPB
    CHECK(r.frames[4].interface == 1);
    CHECK(r.file->comments() == std::vector<std::string>{"test102"});
    const auto& names = r.file->names();
    REQUIRE(names.size() == 11);
    CHECK(names[0] == std::pair<std::string, std::string>{"192.168.1.2", "a"});
    CHECK(names[3] == std::pair<std::string, std::string>{"fc01:dead::beef", "example.com"});
    CHECK(names[10] == std::pair<std::string, std::string>{"10.1.2.4", "bar.example.org"});
}

TEST_CASE("pcapng with three sections of mixed byte order: interface indices are global", "[capture][pcapng][tshark]") {
    require_tool("tshark");
    const std::string path = corpus("pcapng/pcapng_le_test202_multi_section_mixed_endian.pcapng");
    const Read r = read_all(path);
    REQUIRE(r.file);
    CHECK_FALSE(r.failed());
    REQUIRE(r.frames.size() == 8);  // capinfos -c
    CHECK(r.numbers() == std::vector<std::uint64_t>{2, 3, 4, 5, 6, 8, 9, 11});
    const TsharkRead t = tshark_read(path);
    const auto packets = t.packets();
    REQUIRE(packets.size() == 8);
    for (std::size_t i = 0; i < 8; ++i) {
        INFO("packet " << i);
        CHECK(r.frames[i].number == packets[i].number);
        CHECK(r.frames[i].wire_len == packets[i].len);
        CHECK(r.frames[i].data.size() == packets[i].cap_len);
        CHECK(r.frames[i].ts_ns == packets[i].ts_ns.value_or(0));
    }
    // Section 0: interfaces 0 (eth0), 1 (null1); section 1 (big-endian): 2; section 2: 3, 4.
    const auto& ifs = r.file->interfaces();
    REQUIRE(ifs.size() == 5);
    CHECK(ifs[2].name == "silly ethernet interface 2");
    CHECK(ifs[2].snaplen == 128);
    CHECK(ifs[3].name == "eth0");
    CHECK(ifs[4].name == "null1");
    const std::uint32_t expected_if[] = {0, 0, 1, 2, 2, 2, 2, 4};
    for (std::size_t i = 0; i < 8; ++i) CHECK(r.frames[i].interface == expected_if[i]);
    CHECK(r.file->comments() == std::vector<std::string>{"test202 SHB-0", "test202 SHB-1", "test202 SHB-2"});
    CHECK(r.file->names().size() == 16);
}

TEST_CASE("pcapng merged from two machines has two interfaces in nanoseconds and microseconds", "[capture][pcapng][tshark]") {
    require_tool("tshark");
    const std::string path = corpus("pcapng/pcapng_two_interfaces_merged.pcapng");
    const Read r = read_all(path);
    REQUIRE(r.file);
    CHECK_FALSE(r.failed());
    REQUIRE(r.frames.size() == 6);
    const auto& ifs = r.file->interfaces();
    REQUIRE(ifs.size() == 2);
    CHECK(ifs[0].name == "eth0");
    CHECK(ifs[0].ts_units_per_sec == 1'000'000'000);
    CHECK(ifs[1].name == "\\Device\\NPF_{5AE6EDB4-EFF9-46B3-A3C2-EE50C688A9E6}");
    CHECK(ifs[1].description == "Ethernet 2");
    CHECK(ifs[1].ts_units_per_sec == 1'000'000);
    CHECK(ifs[0].snaplen == 262144);
    const TsharkRead t = tshark_read(path);
    REQUIRE(t.frames.size() == 6);
    const std::uint32_t expected_if[] = {0, 0, 1, 1, 1, 1};
    for (std::size_t i = 0; i < 6; ++i) {
        INFO("frame " << i + 1);
        CHECK(r.frames[i].interface == expected_if[i]);
        CHECK(r.frames[i].ts_ns == t.frames[i].ts_ns);
        CHECK(r.frames[i].wire_len == t.frames[i].len);
        CHECK(r.frames[i].data.size() == t.frames[i].cap_len);
    }
    CHECK(r.frames[0].ts_ns == 1767663089500330493);  // tshark: 1767663089.500330493
}

TEST_CASE("pcapng packet and section comments", "[capture][pcapng]") {
    const Read r = read_all(corpus("pcapng/pcapng_le_test009_epb_all_options.pcapng"));
    REQUIRE(r.frames.size() == 2);
    CHECK(r.frames[0].comment == "test009-1");
    CHECK(r.frames[1].comment == "test009-2");
    const Read shb = read_all(corpus("pcapng/pcapng_le_test007_shb_all_options.pcapng"));
    CHECK(shb.frames.size() == 1);
    CHECK(shb.file->comments() == std::vector<std::string>{"test007"});
}

TEST_CASE("more pcapng files from the corpus agree with tshark", "[capture][pcapng][tshark]") {
    require_tool("tshark");
    for (const char* file : {"pcapng/pcapng_le_test006_two_linktypes.pcapng", "tcp/tcp_handshake.pcapng",
                             "http/http_get_google.pcapng", "link/qinq_pcp_dei.pcapng", "arp_icmp/icmp_traceroute.pcapng"}) {
        INFO(file);
        const Read r = read_all(corpus(file));
        REQUIRE(r.file);
        CHECK_FALSE(r.failed());
        const TsharkRead t = tshark_read(corpus(file));
        REQUIRE_FALSE(t.failed);
        REQUIRE(r.frames.size() == t.frames.size());
        for (std::size_t i = 0; i < r.frames.size(); ++i) {
            CHECK(r.frames[i].number == t.frames[i].number);
            CHECK(r.frames[i].ts_ns == t.frames[i].ts_ns);
            CHECK(r.frames[i].wire_len == t.frames[i].len);
            CHECK(r.frames[i].data.size() == t.frames[i].cap_len);
        }
    }
}

// ===== damage ==================================================================================

TEST_CASE("a pcap cut in the middle of a record gives 15 packets then an error naming the offset", "[capture][pcap][malformed]") {
    const std::string path = corpus("malformed/derived_truncated_midrecord.pcap");
    const Read r = read_all(path);
    REQUIRE(r.file);
    CHECK(r.frames.size() == 15);
    REQUIRE(r.failed());
    // Record 16 starts at byte 1979, promises 514 bytes and the file ends 5 bytes later.
    CHECK(r.error->offset == 1979);
    CHECK(r.error->file == path);
    CHECK(r.error->what == "truncated record: header says 514 captured bytes but only 5 remain");
    CHECK(r.error->message() == path + ": offset 1979: truncated record: header says 514 captured bytes but only 5 remain");
    // Once damaged, the reader stays stopped.
    wl::Frame frame;
    CHECK_FALSE(r.file->next(frame));
}

TEST_CASE("files with a header and no packets are not errors", "[capture][malformed]") {
    for (const char* file : {"malformed/empty.pcap", "malformed/empty.pcapng"}) {
        INFO(file);
        const Read r = read_all(corpus(file));
        REQUIRE(r.file);
        CHECK(r.frames.empty());
        CHECK_FALSE(r.failed());
        CHECK(r.file->interfaces().size() == 1);
    }
}

TEST_CASE("every file in malformed/ stops exactly where tshark stops", "[capture][malformed][tshark]") {
    require_tool("tshark");
    for (const auto& entry : fs::directory_iterator(corpus("malformed"))) {
        const std::string path = entry.path().string();
        INFO(path);
        const Read r = read_all(path);
        const TsharkRead t = tshark_read(path);
        CHECK(r.failed() == t.failed);
        std::vector<std::uint64_t> tshark_numbers;
        for (const auto& f : t.packets()) tshark_numbers.push_back(f.number);
        CHECK(r.numbers() == tshark_numbers);
    }
}

TEST_CASE("open() refuses what is not a capture file and says why", "[capture][malformed]") {
    wl::CaptureError err;

    SECTION("missing file") {
        CHECK_FALSE(wl::CaptureFile::open("/nonexistent/wirelab.pcap", err));
        CHECK(err.file == "/nonexistent/wirelab.pcap");
        CHECK(err.what == "cannot open: No such file or directory");
    }
    SECTION("a directory") {
        CHECK_FALSE(wl::CaptureFile::open(fs::temp_directory_path().string(), err));
        CHECK(err.what.find("not a regular file") != std::string::npos);
    }
    SECTION("an empty file (tshark calls it a capture with no packets; wirelab says it is empty)") {
        const TempFile f(std::vector<std::uint8_t>{}, "empty.pcap");
        CHECK_FALSE(wl::CaptureFile::open(f.path(), err));
        CHECK(err.what == "empty file (0 bytes): not a pcap or pcapng file");
    }
    SECTION("bad magic") {
        const TempFile f(Builder(true).u32(0x12345678).zeros(40).done(), "badmagic.pcap");
        CHECK_FALSE(wl::CaptureFile::open(f.path(), err));
        CHECK(err.offset == 0);
        CHECK(err.what == "bad magic 0x12345678: not a pcap or pcapng file");
    }
    SECTION("a pcap file header cut short") {
        // The first 10 of the 24 header bytes.
        const std::vector<std::uint8_t> header = {
            0xd4, 0xc3, 0xb2, 0xa1,  // magic 0xa1b2c3d4, little-endian
            0x02, 0x00, 0x04, 0x00,  // version 2.4
            0x00, 0x00,              // first half of thiszone, then the file ends
        };
        const TempFile f(header, "short_header.pcap");
        CHECK_FALSE(wl::CaptureFile::open(f.path(), err));
        CHECK(err.what == "truncated pcap file header: the file has 10 bytes, the header needs 24");
    }
    SECTION("three bytes: not even a magic number") {
        const TempFile f(std::vector<std::uint8_t>{0xd4, 0xc3, 0xb2}, "three.pcap");
        CHECK_FALSE(wl::CaptureFile::open(f.path(), err));
        CHECK(err.what.find("truncated file header") == 0);
    }
    SECTION("a pcapng section header cut short") {
        const TempFile f(cut(shb(), 20), "short_shb.pcapng");
        CHECK_FALSE(wl::CaptureFile::open(f.path(), err));
        CHECK(err.what == "truncated section header block: block total length says 28 bytes but only 20 remain");
    }
    SECTION("an unsupported pcap version") {
        PcapHeader h;
        h.major = 1;
        const TempFile f(pcap_header(h) + pcap_packet(ether_frame()), "v1.pcap");
        CHECK_FALSE(wl::CaptureFile::open(f.path(), err));
        CHECK(err.what == "unsupported pcap version 1.4 (only 2.0 and later are readable)");
    }
}

TEST_CASE("a pcapng block whose two lengths disagree stops the reader after the packets before it",
          "[capture][pcapng][malformed]") {
    const auto good = shb() + idb() + epb(Epb()) + epb(Epb().time(2000));
    // An EPB whose trailing length says 999 instead of its real 92.
    const auto broken = block(6, Builder().u32(0).u32(0).u32(3000).u32(60).u32(60).bytes(ether_frame()).done(), false,
                              999);
    const TempFile f(good + broken + epb(Epb().time(4000)), "mismatch.pcapng");
    const Read r = read_all(f.path());
    CHECK(r.frames.size() == 2);
    REQUIRE(r.failed());
    CHECK(r.error->offset == good.size());
    CHECK(r.error->what == "block length mismatch: leading 92, trailing 999");
}

TEST_CASE("pcapng length checks name the problem", "[capture][pcapng][malformed]") {
    const auto head = shb() + idb() + epb(Epb());
    // Appends `tail` after one good packet; returns what the reader says about it.
    auto damage_after_one_packet = [&](const std::vector<std::uint8_t>& tail) {
        const TempFile f(head + tail, "damaged.pcapng");
        const Read r = read_all(f.path());
        CHECK(r.frames.size() == 1);
        REQUIRE(r.failed());
        return std::pair<std::uint64_t, std::string>{r.error->offset - head.size(), r.error->what};
    };
    using Said = std::pair<std::uint64_t, std::string>;  // offset from the damaged block, text
    CHECK(damage_after_one_packet(Builder().u32(0x77).u32(10).zeros(8).done()) ==
          Said{0, "block total length 10 is too small: every pcapng block has at least 12 bytes"});
    CHECK(damage_after_one_packet(Builder().u32(6).u32(16).zeros(8).done()) ==
          Said{0, "block total length 16 is too small: an enhanced packet block has at least 32 bytes"});
    CHECK(damage_after_one_packet(cut(epb(Epb()), 50)) ==
          Said{0, "truncated enhanced packet block: block total length says 92 bytes but only 50 remain"});
    CHECK(damage_after_one_packet({0, 0, 0}) == Said{0, "truncated block: only 3 bytes remain, the smallest block is 12"});
    CHECK(damage_after_one_packet(epb(Epb().claim_caplen(100))) ==
          Said{0, "enhanced packet block of 92 bytes is too small for its 100 captured bytes"});
    CHECK(damage_after_one_packet(epb(Epb().iface(1))) ==
          Said{0, "interface id 1 is not defined: this section has 1 interface so far"});
    // The byte-order magic sits 8 bytes into the section header block.
    CHECK(damage_after_one_packet(shb(false, {}, 1, 0, 0x11223344)) ==
          Said{8, "bad byte-order magic 0x44332211 in a section header block (expected 1a2b3c4d in either byte order)"});
    // An option (code 1, 200 bytes) that claims more than the 4 bytes left in its EPB.
    const auto overrun = block(6, Builder().u32(0).u32(0).u32(1000).u32(60).u32(60).bytes(ether_frame())
                                      .u16(1).u16(200).text("abcd").done());
    CHECK(damage_after_one_packet(overrun) == Said{88, "option 1 says 200 bytes but only 4 remain in the block"});
}

TEST_CASE("a pcap microsecond field of a second or more adds to the seconds", "[capture][pcap]") {
    // tshark accepts this record too but prints its time as "1000.2000000000".
    const TempFile f(pcap_header() + pcap_record(60, 60, ether_frame(), 1000, 2'000'000), "usec.pcap");
    const Read r = read_all(f.path());
    REQUIRE(r.frames.size() == 1);
    CHECK(r.frames[0].ts_ns == 1'002'000'000'000);
}

TEST_CASE("captured length policy: what tshark accepts over the snaplen", "[capture][pcap][malformed]") {
    // tshark reads records bigger than the file's snaplen; it refuses only records bigger
    // than the largest packet it handles for the link type (262144 for Ethernet).
    const auto big = [](std::uint32_t n) { return pcap_record(n, n, std::vector<std::uint8_t>(n, 0x41)); };
    SECTION("70000 bytes with a snaplen of 65535 is read") {
        const TempFile f(pcap_header() + pcap_packet(ether_frame()) + big(70000), "cap70000.pcap");
        const Read r = read_all(f.path());
        CHECK_FALSE(r.failed());
        REQUIRE(r.frames.size() == 2);
        CHECK(r.frames[1].data.size() == 70000);
    }
    SECTION("262145 bytes is a damaged header") {
        const TempFile f(pcap_header() + pcap_packet(ether_frame()) + big(262145), "cap262145.pcap");
        const Read r = read_all(f.path());
        CHECK(r.frames.size() == 1);
        REQUIRE(r.failed());
        CHECK(r.error->offset == 24 + 16 + 60);
        CHECK(r.error->what ==
              "captured length 262145 is larger than 262144, the largest packet tshark accepts for link type EN10MB "
              "(snaplen 65535): the record header is damaged");
    }
    SECTION("USB captures may be much bigger") {
        PcapHeader h;
        h.link_type = 189;  // USB_LINUX
        const TempFile f(pcap_header(h) + big(300000), "usb.pcap");
        const Read r = read_all(f.path());
        CHECK_FALSE(r.failed());
        CHECK(r.frames.size() == 1);
    }
}

namespace {

struct Case {
    std::string name;
    std::vector<std::uint8_t> bytes;
};

// Damaged and unusual files, each one small. For every one wirelab must return the same
// packets as tshark and fail if and only if tshark fails.
std::vector<Case> tshark_cases() {
    const auto e = ether_frame();
    const auto five = pcap_packet(e, 1) + pcap_packet(e, 2) + pcap_packet(e, 3) + pcap_packet(e, 4) + pcap_packet(e, 5);
    const auto big = [](std::uint32_t n) { return pcap_record(n, n, std::vector<std::uint8_t>(n, 0x41)); };
    const auto header_only = [](std::uint32_t n) { return pcap_record(n, n, {}); };
    const auto with_link = [](std::uint32_t lt) {
        PcapHeader h;
        h.link_type = lt;
        return pcap_header(h);
    };
    PcapHeader be;
    be.big = true;
    PcapHeader be_nano = be;
    be_nano.magic = 0xa1b23c4d;
    PcapHeader v22, v23, snap0, fcs;
    v22.minor = 2;
    v23.minor = 3;
    snap0.snaplen = 0;
    fcs.link_type = 0x14000001;
    const auto pcapng_ok = shb() + idb() + epb(Epb()) + epb(Epb().time(2000));
    const auto epb_with_raw_options = [&](const std::vector<std::uint8_t>& raw) {
        return block(6, Builder().u32(0).u32(0).u32(1000).u32(60).u32(60).bytes(e).bytes(raw).done());
    };

    std::vector<Case> cases = {
        // pcap
        {"ok.pcap", pcap_header() + five},
        {"big_endian.pcap", pcap_header(be) + pcap_record(60, 60, e, 1000, 5, true)},
        {"big_endian_nano.pcap", pcap_header(be_nano) + pcap_record(60, 60, e, 1000, 999999999, true)},
        {"caplen_70000.pcap", pcap_header() + five + big(70000)},
        {"caplen_262144.pcap", pcap_header() + five + big(262144)},
        {"caplen_262145.pcap", pcap_header() + five + big(262145)},
        {"caplen_262145_snaplen_0.pcap", pcap_header(snap0) + five + big(262145)},
        {"caplen_262145_first.pcap", pcap_header() + big(262145) + five},
        {"usb_300000.pcap", with_link(189) + five + big(300000)},
        {"dbus_over_128MiB.pcap", with_link(231) + five + header_only(128u * 1024 * 1024 + 1)},
        {"dbus_128MiB_cut.pcap", with_link(231) + five + header_only(128u * 1024 * 1024)},
        {"ebhscr_8MiB_plus_1.pcap", with_link(279) + five + header_only(8u * 1024 * 1024 + 1)},
        {"caplen_above_wire.pcap", pcap_header() + five + pcap_record(60, 40, e)},
        {"record_header_cut.pcap", pcap_header() + five + std::vector<std::uint8_t>(10, 1)},
        {"record_data_cut.pcap", pcap_header() + five + cut(pcap_packet(e), 30)},
        {"version_2_2_lengths_swapped.pcap", pcap_header(v22) + pcap_record(60, 100, e)},
        {"version_2_3_lengths_swapped.pcap", pcap_header(v23) + five + pcap_record(100, 60, e)},
        {"fcs_bits_in_link_type.pcap", pcap_header(fcs) + five},
        {"header_10_bytes.pcap", cut(pcap_header(), 10)},
        // pcapng
        {"ok.pcapng", pcapng_ok},
        {"big_endian.pcapng", shb(true) + idb(1, 65535, {}, true) + epb(Epb().big_endian())},
        {"length_8.pcapng", pcapng_ok + Builder().u32(6).u32(8).zeros(8).done()},
        {"length_10.pcapng", pcapng_ok + Builder().u32(6).u32(10).zeros(12).done()},
        {"length_not_multiple_of_4.pcapng", pcapng_ok + Builder().u32(0x12345).u32(22).zeros(14).done()},
        {"trailer_mismatch.pcapng", pcapng_ok + block(0x77, std::vector<std::uint8_t>(8), false, 999)},
        {"block_cut.pcapng", pcapng_ok + cut(epb(Epb()), 50)},
        {"block_header_cut.pcapng", pcapng_ok + cut(epb(Epb()), 6)},
        {"three_trailing_bytes.pcapng", pcapng_ok + std::vector<std::uint8_t>(3, 0)},
        {"twelve_zero_bytes.pcapng", pcapng_ok + std::vector<std::uint8_t>(12, 0)},
        {"epb_caplen_above_block.pcapng", pcapng_ok + epb(Epb().claim_caplen(100))},
        {"epb_caplen_above_snaplen.pcapng", shb() + idb(1, 40) + epb(Epb()) + epb(Epb())},
        {"epb_caplen_262144.pcapng", shb() + idb() + epb(Epb()) + epb(Epb().bytes(std::vector<std::uint8_t>(262144)))},
        {"epb_caplen_262145.pcapng", shb() + idb() + epb(Epb()) + epb(Epb().bytes(std::vector<std::uint8_t>(262145)))},
        {"epb_usb_300000.pcapng", shb() + idb(189) + epb(Epb().bytes(std::vector<std::uint8_t>(300000)))},
        {"epb_caplen_above_wire.pcapng", pcapng_ok + epb(Epb().claim_wire(20))},
        {"epb_bad_interface.pcapng", pcapng_ok + epb(Epb().iface(1))},
        {"epb_before_idb.pcapng", shb() + epb(Epb())},
        {"epb_empty.pcapng", pcapng_ok + epb(Epb().bytes({}))},
        {"spb_snaplen_0.pcapng", shb() + idb(1, 0) + spb(e)},
        {"spb_before_idb.pcapng", shb() + spb(e)},
        {"spb_too_small.pcapng", pcapng_ok + block(3, {})},
        {"second_section_bad_byte_order.pcapng", pcapng_ok + shb(false, {}, 1, 0, 0x11223344)},
        {"version_2_0.pcapng", shb(false, {}, 2, 0) + idb() + epb(Epb())},
        {"version_1_1.pcapng", shb(false, {}, 1, 1) + idb() + epb(Epb())},
        {"version_1_2.pcapng", shb(false, {}, 1, 2) + idb() + epb(Epb())},
        {"second_section_version_2_0.pcapng", pcapng_ok + shb(false, {}, 2, 0) + idb() + epb(Epb())},
        {"second_section_without_idb.pcapng", pcapng_ok + shb() + epb(Epb())},
        {"sections_restart_interface_ids.pcapng",
         pcapng_ok + shb(true) + idb(101, 100, {}, true) + idb(1, 0, {}, true) + epb(Epb().iface(1).big_endian())},
        {"unknown_block.pcapng", pcapng_ok + block(0x1234567, std::vector<std::uint8_t>(20)) + epb(Epb())},
        {"custom_blocks.pcapng",
         pcapng_ok + block(0xBAD, Builder().u32(32473).text("abc").done()) +
             block(0x40000BAD, Builder().u32(99999).done()) + epb(Epb())},
        {"custom_block_too_small.pcapng", pcapng_ok + block(0xBAD, {})},
        {"decryption_secrets.pcapng", pcapng_ok + block(10, Builder().text("TLSK").u32(4).text("abcd").done()) + epb(Epb())},
        {"decryption_secrets_too_small.pcapng", pcapng_ok + block(10, bytes_of("TLSK"))},
        {"statistics_too_small.pcapng", pcapng_ok + block(5, {})},
        {"interface_too_small.pcapng", shb() + block(1, {1, 0}) + epb(Epb())},
        {"section_header_too_small.pcapng",
         block(0x0A0D0D0A, Builder().u32(0x1a2b3c4d).u16(1).u16(0).done()) + idb() + epb(Epb())},
        {"obsolete_packet_block.pcapng",
         shb() + idb() + block(2, Builder().u16(0).u16(0).u32(0).u32(7).u32(60).u32(60).bytes(e).done())},
        {"obsolete_packet_block_too_small.pcapng", pcapng_ok + block(2, std::vector<std::uint8_t>(8))},
        {"option_runs_past_block.pcapng", shb() + idb() + epb_with_raw_options(Builder().u16(1).u16(200).text("abcd").done())},
        {"option_without_end.pcapng", shb() + idb() + epb_with_raw_options(Builder().u16(1).u16(5).text("hello").pad4().done())},
        {"option_header_cut.pcapng",
         shb() + idb() + epb_with_raw_options(Builder().u16(1).u16(5).text("hello").pad4().u16(1).done())},
        {"tsresol_of_wrong_length.pcapng", shb() + idb(1, 65535, {{9, {6, 6}}}) + epb(Epb())},
        {"name_record_past_block.pcapng", pcapng_ok + block(4, Builder().u16(1).u16(200).zeros(8).done()) + epb(Epb())},
        {"name_block_too_small.pcapng", pcapng_ok + block(4, {})},
        {"name_record_without_nul.pcapng",
         pcapng_ok + block(4, Builder().u16(1).u16(8).u8(10).u8(0).u8(0).u8(1).text("abc").u8(0).done()) + epb(Epb())},
        {"idb_after_packets.pcapng", pcapng_ok + idb(101) + epb(Epb().iface(1))},
        {"statistics_for_unknown_interface.pcapng", pcapng_ok + block(5, Builder().u32(7).u32(0).u32(0).done())},
        {"first_block_not_shb.pcapng", idb() + epb(Epb())},
    };
    return cases;
}

}  // namespace

TEST_CASE("wirelab stops exactly where tshark stops and reads what tshark reads", "[capture][malformed][tshark]") {
    require_tool("tshark");
    for (const Case& c : tshark_cases()) {
        const TempFile f(c.bytes, c.name);
        const Read r = read_all(f.path());
        const TsharkRead t = tshark_read(f.path());
        std::vector<std::uint64_t> tshark_numbers;
        for (const auto& p : t.packets()) tshark_numbers.push_back(p.number);
        INFO(c.name << (r.error ? ": wirelab says " + r.error->message() : ": wirelab reads it"));
        CHECK(r.failed() == t.failed);
        CHECK(r.numbers() == tshark_numbers);
        // Where both read packets, the lengths agree too.
        const auto packets = t.packets();
        for (std::size_t i = 0; i < std::min(r.frames.size(), packets.size()); ++i) {
            CHECK(r.frames[i].wire_len == packets[i].len);
            CHECK(r.frames[i].data.size() == packets[i].cap_len);
            if (packets[i].ts_ns) CHECK(r.frames[i].ts_ns == *packets[i].ts_ns);
        }
    }
}

TEST_CASE("pcapng timestamp resolutions and offsets", "[capture][pcapng]") {
    auto first_ts = [](const Options& idb_options, std::uint64_t ticks) {
        const TempFile f(shb() + idb(1, 65535, idb_options) + epb(Epb().time(ticks)), "tsresol.pcapng");
        const Read r = read_all(f.path());
        REQUIRE(r.frames.size() == 1);
        return r.frames[0].ts_ns;
    };
    CHECK(first_ts({}, 1'500'000) == 1'500'000'000);                          // default: microseconds
    CHECK(first_ts({{9, {9}}}, 1'500'000'001) == 1'500'000'001);              // 10^-9
    CHECK(first_ts({{9, {3}}}, 1'500) == 1'500'000'000);                      // 10^-3
    CHECK(first_ts({{9, {0x80 | 10}}}, 5 * 1024 + 512) == 5'500'000'000);     // 2^-10
    CHECK(first_ts({{9, {0x80 | 63}}}, 3ull << 62) == 1'500'000'000);         // 2^-63, exact
    CHECK(first_ts({{9, {19}}}, 9'999'999'999'999'999'999ull) == 999'999'999);  // 10^-19
    CHECK(first_ts({{9, {30}}}, 1) == 0);                                     // finer than 64 bits
    CHECK(first_ts({{14, le64(100)}}, 1'500'000) == 101'500'000'000);         // if_tsoffset
    CHECK(first_ts({{14, le64(-100)}}, 1'500'000) == -98'500'000'000);
}

TEST_CASE("every truncation of a capture ends in truncated and never in a crash", "[capture][malformed]") {
    for (const char* file : {"udp_dns_dhcp/dns_udp_query_response.pcap", "tcp/tcp_handshake.pcapng",
                             "pcapng/pcapng_le_test202_multi_section_mixed_endian.pcapng"}) {
        INFO(file);
        const std::vector<std::uint8_t> whole = file_bytes(corpus(file));
        const Read full = read_all(corpus(file));
        REQUIRE_FALSE(full.failed());
        const std::vector<std::uint64_t> ends = record_ends(whole);
        REQUIRE(ends.back() == whole.size());
        for (std::size_t len = 1; len < whole.size(); ++len) {
            INFO("first " << len << " bytes");
            const TempFile f(cut(whole, len), "cut");
            const Read r = read_all(f.path());
            const bool at_boundary = std::find(ends.begin(), ends.end(), len) != ends.end();
            if (r.file) {
                // The packets of every whole record, exactly as in the full file.
                std::size_t expect = 0;
                for (const auto& frame : full.frames)
                    if (*std::upper_bound(ends.begin(), ends.end(), frame.file_offset) <= len) ++expect;
                REQUIRE(r.frames.size() == expect);
                for (std::size_t i = 0; i < expect; ++i) {
                    CHECK(r.frames[i].file_offset == full.frames[i].file_offset);
                    CHECK(text_of(r.frames[i].data) == text_of(full.frames[i].data));
                }
            }
            CHECK(r.failed() == !at_boundary);
            if (r.failed()) CHECK(r.error->what.find("truncated") != std::string::npos);
        }
    }
}

// ===== rewind ==================================================================================

TEST_CASE("rewind reads the same frames again with the same interface indices", "[capture]") {
    for (const char* file : {"link/ether_http_loopback.pcap", "pcapng/pcapng_le_test202_multi_section_mixed_endian.pcapng"}) {
        INFO(file);
        Read r = read_all(corpus(file));
        REQUIRE(r.file);
        const auto interfaces = r.file->interfaces().size();
        const auto comments = r.file->comments().size();
        const auto names = r.file->names().size();
        for (int partial : {0, 3}) {
            r.file->rewind();
            wl::Frame frame;
            for (int i = 0; i < partial; ++i) REQUIRE(r.file->next(frame));
            r.file->rewind();
            std::vector<wl::Frame> again;
            while (r.file->next(frame))
                if (!frame.block_type) again.push_back(frame);
            CHECK_FALSE(r.file->error());
            REQUIRE(again.size() == r.frames.size());
            for (std::size_t i = 0; i < again.size(); ++i) {
                CHECK(again[i].number == r.frames[i].number);
                CHECK(again[i].file_offset == r.frames[i].file_offset);
                CHECK(again[i].interface == r.frames[i].interface);
                CHECK(again[i].ts_ns == r.frames[i].ts_ns);
                CHECK(again[i].data.data() == r.frames[i].data.data());
            }
            CHECK(r.file->interfaces().size() == interfaces);
            CHECK(r.file->comments().size() == comments);
            CHECK(r.file->names().size() == names);
        }
    }
}

TEST_CASE("rewind after damage reads the good packets again", "[capture][malformed]") {
    wl::CaptureError err;
    auto file = wl::CaptureFile::open(corpus("malformed/derived_truncated_midrecord.pcap"), err);
    REQUIRE(file);
    wl::Frame frame;
    int n = 0;
    while (file->next(frame)) ++n;
    CHECK(n == 15);
    REQUIRE(file->error());
    file->rewind();
    CHECK_FALSE(file->error());
    REQUIRE(file->next(frame));
    CHECK(frame.number == 1);
    CHECK(frame.file_offset == 24);
}

// ===== writing =================================================================================

TEST_CASE("pcap written by wirelab reads back and opens cleanly in capinfos and tshark", "[capture][writer][tshark]") {
    require_tool("tshark");
    require_tool("capinfos");
    const TempFile f("roundtrip.pcap");
    const auto small = ether_frame(0x11);
    const std::vector<std::uint8_t> large(1000, 0x22);
    {
        std::string err;
        auto w = wl::CaptureWriter::create(f.path(), wl::CaptureWriter::Format::pcap, wl::kLinkEthernet, 200, err);
        REQUIRE(w);
        CHECK(w->write(1'700'000'000'123'456'789, small, 60));
        CHECK(w->write(1'700'000'001'000'000'000, large, 1000, "pcap has no comments"));  // cut to the snaplen
        CHECK(w->write(1'700'000'002'000'001'000, small, 1514));                          // captured part of 1514
        CHECK_FALSE(w->write(-1, small, 60));  // before 1970: pcap cannot say
        CHECK(w->packets() == 3);
        CHECK(w->close());
    }
    const Read r = read_all(f.path());
    REQUIRE(r.file);
    CHECK_FALSE(r.failed());
    REQUIRE(r.frames.size() == 3);
    CHECK(r.file->interfaces()[0].snaplen == 200);
    CHECK(r.file->interfaces()[0].link_type == wl::kLinkEthernet);
    CHECK(r.frames[0].ts_ns == 1'700'000'000'123'456'000);  // microseconds: the last 3 digits go
    CHECK(r.frames[0].wire_len == 60);
    CHECK(text_of(r.frames[0].data) == text_of(small));
    CHECK(r.frames[1].ts_ns == 1'700'000'001'000'000'000);
    CHECK(r.frames[1].data.size() == 200);
    CHECK(r.frames[1].wire_len == 1000);
    CHECK(text_of(r.frames[1].data) == std::string(200, '\x22'));
    CHECK(r.frames[1].comment.empty());
    CHECK(r.frames[2].ts_ns == 1'700'000'002'000'001'000);
    CHECK(r.frames[2].wire_len == 1514);
    require_tools_read_cleanly(f.path());
    const TsharkRead t = tshark_read(f.path());
    REQUIRE(t.frames.size() == 3);
    for (std::size_t i = 0; i < 3; ++i) {
        CHECK(t.frames[i].ts_ns == r.frames[i].ts_ns);
        CHECK(t.frames[i].len == r.frames[i].wire_len);
        CHECK(t.frames[i].cap_len == r.frames[i].data.size());
    }
}

TEST_CASE("pcapng written by wirelab reads back and opens cleanly in capinfos and tshark", "[capture][writer][tshark]") {
    require_tool("tshark");
    require_tool("capinfos");
    const TempFile f("roundtrip.pcapng");
    const std::vector<std::uint8_t> odd = {1, 2, 3, 4, 5, 6, 7};  // needs padding
    const auto frame = ether_frame(0x33);
    {
        std::string err;
        auto w = wl::CaptureWriter::create(f.path(), wl::CaptureWriter::Format::pcapng, wl::kLinkRaw, 0, err, "wirelab-test 1.0");
        REQUIRE(w);
        CHECK(w->write(1'700'000'000'123'456'789, frame, 60, "first packet, with a comment"));
        CHECK(w->write(1'700'000'000'123'456'790, odd, 7));
        CHECK(w->write(0, {}, 0, "empty, at the epoch"));
        CHECK(w->flush());
        CHECK(w->packets() == 3);
    }  // the destructor closes
    const Read r = read_all(f.path());
    REQUIRE(r.file);
    CHECK_FALSE(r.failed());
    REQUIRE(r.frames.size() == 3);
    const auto& iface = r.file->interfaces().at(0);
    CHECK(iface.link_type == wl::kLinkRaw);
    CHECK(iface.ts_units_per_sec == 1'000'000'000);
    CHECK(iface.snaplen == 262144);  // 0 asks for the link type's maximum
    CHECK(r.frames[0].ts_ns == 1'700'000'000'123'456'789);
    CHECK(text_of(r.frames[0].data) == text_of(frame));
    CHECK(r.frames[0].comment == "first packet, with a comment");
    CHECK(r.frames[1].ts_ns == 1'700'000'000'123'456'790);
    CHECK(text_of(r.frames[1].data) == text_of(odd));
    CHECK(r.frames[1].comment.empty());
    CHECK(r.frames[2].ts_ns == 0);
    CHECK(r.frames[2].data.empty());
    CHECK(r.frames[2].comment == "empty, at the epoch");
    require_tools_read_cleanly(f.path());
    const TsharkRead t = tshark_read(f.path());
    REQUIRE(t.frames.size() == 3);
    for (std::size_t i = 0; i < 3; ++i) {
        CHECK(t.frames[i].ts_ns == r.frames[i].ts_ns);
        CHECK(t.frames[i].len == r.frames[i].wire_len);
        CHECK(t.frames[i].cap_len == r.frames[i].data.size());
        CHECK(t.frames[i].comment == r.frames[i].comment);
    }
    const CommandResult info = run("capinfos " + shell_quote(f.path()) + " 2>&1");
    CHECK(info.output.find("Capture application: wirelab-test 1.0") != std::string::npos);
}

TEST_CASE("writer refuses what the format cannot hold", "[capture][writer]") {
    std::string err;
    CHECK_FALSE(wl::CaptureWriter::create("/nonexistent/dir/x.pcap", wl::CaptureWriter::Format::pcap, 1, 0, err));
    CHECK(err == "/nonexistent/dir/x.pcap: cannot create: No such file or directory");
    const TempFile f("refuse.pcapng");
    CHECK_FALSE(wl::CaptureWriter::create(f.path(), wl::CaptureWriter::Format::pcapng, 0x10001, 0, err));
    auto w = wl::CaptureWriter::create(f.path(), wl::CaptureWriter::Format::pcapng, 1, 0, err);
    REQUIRE(w);
    CHECK_FALSE(w->write(1, ether_frame(), 60, std::string(70000, 'x')));  // comment over 65535 bytes
    CHECK_FALSE(w->write(-5, ether_frame(), 60));
    CHECK(w->packets() == 0);
    CHECK(w->close());
}

// ===== large files =============================================================================

namespace {

// Resident file-backed memory of this process (mapped pages of files), in bytes.
std::uint64_t rss_file_bytes() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("RssFile:", 0) == 0) return std::stoull(line.substr(8)) * 1024;
    FAIL("no RssFile line in /proc/self/status");
    return 0;
}

struct SequentialRead {
    std::uint64_t packets = 0, byte_sum = 0, peak_growth = 0;
};

SequentialRead read_sequentially(const std::string& path, bool release, bool ahead = false) {
    wl::CaptureError err;
    auto file = wl::CaptureFile::open(path, err);
    REQUIRE(file);
    if (ahead) file->read_ahead();
    SequentialRead out;
    const std::uint64_t base = rss_file_bytes();
    wl::Frame frame;
    while (file->next(frame)) {
        ++out.packets;
        for (std::uint8_t b : frame.data) out.byte_sum += b;  // touch every byte
        if (out.packets % 256 == 0) {
            if (release) file->release_before(frame.file_offset);
            const std::uint64_t now = rss_file_bytes();
            out.peak_growth = std::max(out.peak_growth, now > base ? now - base : 0);
        }
    }
    CHECK_FALSE(file->error());
    return out;
}

}  // namespace

TEST_CASE("a large file read with release_before() keeps resident memory flat", "[capture][large]") {
    constexpr std::uint64_t kPackets = 32'000;
    constexpr std::size_t kSize = 1500;  // 32000 x 1516 bytes: about 48 MB
    const TempFile f("large.pcap");
    std::uint64_t expected_sum = 0;
    {
        std::string err;
        auto w = wl::CaptureWriter::create(f.path(), wl::CaptureWriter::Format::pcap, wl::kLinkEthernet, 0, err);
        REQUIRE(w);
        std::vector<std::uint8_t> data(kSize);
        for (std::uint64_t i = 0; i < kPackets; ++i) {
            std::fill(data.begin(), data.end(), static_cast<std::uint8_t>(i));
            expected_sum += static_cast<std::uint8_t>(i) * kSize;
            REQUIRE(w->write(static_cast<std::int64_t>(i) * 1000, data, kSize));
        }
        REQUIRE(w->close());
    }
    const std::uint64_t file_size = fs::file_size(f.path());
    REQUIRE(file_size > 45'000'000);

    const SequentialRead released = read_sequentially(f.path(), true);
    CHECK(released.packets == kPackets);
    CHECK(released.byte_sum == expected_sum);
    // Without release_before() the whole file ends up resident; this shows the measurement
    // sees the mapping at all.
    const SequentialRead kept = read_sequentially(f.path(), false);
    CHECK(kept.byte_sum == expected_sum);
    INFO("growth with release_before: " << released.peak_growth << ", without: " << kept.peak_growth);
    CHECK(released.peak_growth < 16'000'000);
    CHECK(kept.peak_growth > file_size / 2);

    // With the helper thread of read_ahead(): the same bytes, and its 4 MiB ahead on top.
    const SequentialRead ahead = read_sequentially(f.path(), true, true);
    CHECK(ahead.packets == kPackets);
    CHECK(ahead.byte_sum == expected_sum);
    INFO("growth with read_ahead: " << ahead.peak_growth);
    CHECK(ahead.peak_growth < 20'000'000);
}

TEST_CASE("read_ahead() changes nothing a reader sees, through a rewind", "[capture]") {
    const std::string path = std::string(WIRELAB_REPO_DIR) + "/captures/http_get_loopback.pcapng";
    wl::CaptureError err;
    auto plain = wl::CaptureFile::open(path, err);
    auto ahead = wl::CaptureFile::open(path, err);
    REQUIRE((plain && ahead));
    ahead->read_ahead();
    ahead->read_ahead();  // a second call is harmless
    for (int pass = 0; pass < 2; ++pass) {
        wl::Frame a, b;
        std::size_t n = 0;
        while (plain->next(a)) {
            REQUIRE(ahead->next(b));
            ++n;
            CHECK(b.number == a.number);
            CHECK(b.ts_ns == a.ts_ns);
            CHECK(b.file_offset == a.file_offset);
            CHECK(std::equal(a.data.begin(), a.data.end(), b.data.begin(), b.data.end()));
            ahead->release_before(b.file_offset);
        }
        CHECK_FALSE(ahead->next(b));
        CHECK(n > 5);
        plain->rewind();
        ahead->rewind();
    }
}

// ===== link types ==============================================================================

TEST_CASE("link type names are the DLT short names", "[capture][linktype]") {
    const std::pair<std::uint32_t, std::string_view> expected[] = {
        {0, "NULL"},          {1, "EN10MB"},         {6, "IEEE802"},        {8, "SLIP"},       {9, "PPP"},
        {10, "FDDI"},         {12, "RAW"},           {101, "RAW"},          {104, "C_HDLC"},   {105, "IEEE802_11"},
        {108, "LOOP"},        {113, "LINUX_SLL"},    {127, "IEEE802_11_RADIO"}, {147, "USER0"}, {160, "USER13"},
        {162, "USER15"},      {192, "PPI"},          {220, "USB_LINUX_MMAPPED"}, {228, "IPV4"}, {229, "IPV6"},
        {239, "NFLOG"},       {276, "LINUX_SLL2"},
    };
    for (const auto& [value, name] : expected) {
        INFO(value);
        CHECK(wl::link_type_name(value) == name);
    }
    for (std::uint32_t user = 0; user < 16; ++user)
        CHECK(wl::link_type_name(147 + user) == "USER" + std::to_string(user));
    CHECK(wl::link_type_name(4711) == "LINKTYPE_4711");
    CHECK(wl::link_type_name(65535) == "LINKTYPE_65535");
    // The made-up name is kept: the view stays valid and is the same each time.
    CHECK(wl::link_type_name(4711).data() == wl::link_type_name(4711).data());
}
