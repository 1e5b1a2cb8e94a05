// The viewer's model without a window: index, selection, byte-to-field mapping, filter,
// follow, ladder, statistics, damaged files, settings and live capture.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../captures.hpp"
#include "model/file_browser.hpp"
#include "model/viewer_model.hpp"
#include "wirelab/decoder.hpp"

namespace wv = wirelab::viewer;

namespace {

const std::string kRepo = WIRELAB_REPO_DIR;
const std::string kShared = WIRELAB_SHARED_CAPTURES;
const std::string kHttp = kRepo + "/captures/http_get_loopback.pcapng";
const std::string kSocketIo = kRepo + "/captures/socketio_websocket.pcapng";

// Settings go to a scratch file, never to the user's ~/.config.
struct ScratchConfig {
    std::string path;
    ScratchConfig() {
        path = (std::filesystem::temp_directory_path() / ("wirelab-viewer-test-" + std::to_string(::getpid()) + ".conf")).string();
        ::setenv("WIRELAB_VIEWER_CONFIG", path.c_str(), 1);
        std::filesystem::remove(path);
    }
    ~ScratchConfig() { std::filesystem::remove(path); }
};

void open_and_wait(wv::ViewerModel& m, const std::string& path) {
    REQUIRE(m.open_file(path));
    REQUIRE(m.wait_idle(30));
}

std::size_t count_packets(const std::string& path) {
    wirelab::CaptureError err;
    auto f = wirelab::CaptureFile::open(path, err);
    if (!f) return 0;
    wirelab::Frame fr;
    std::size_t n = 0;
    while (f->next(fr)) ++n;
    return n;
}

}  // namespace

TEST_CASE("the index holds every packet in 48 bytes plus compressed Info", "[viewer][index]") {
    ScratchConfig cfg;
    STATIC_REQUIRE(sizeof(wv::PacketRecord) == 48);
    wv::ViewerModel m;
    open_and_wait(m, kSocketIo);
    REQUIRE(m.packet_count() == count_packets(kSocketIo));
    REQUIRE(m.row_count() == m.packet_count());
    const wv::PacketIndex& index = m.capture()->index();
    // Every column matches what a fresh sequential decode says.
    wirelab::Decoder d;
    wirelab::Tree tree;
    wirelab::PacketInfo pinfo;
    wirelab::Frame f;
    for (std::size_t i = 0; i < index.size(); ++i) {
        REQUIRE(m.capture()->frame(i, f));
        d.decode(f, index[i].link_type, tree, pinfo, true);
        CHECK(m.cell_text(i, wv::Column::info) == pinfo.info);
        CHECK(m.cell_text(i, wv::Column::protocol) == pinfo.protocol);
        CHECK(m.cell_text(i, wv::Column::length) == std::to_string(f.wire_len));
        CHECK(m.cell_text(i, wv::Column::source) == pinfo.net_src.str());
    }
    CHECK(m.cell_text(0, wv::Column::number) == "1");
    CHECK(m.cell_text(0, wv::Column::time) == "0.000000");
    CHECK(index.memory() < index.size() * 48 + 64 * 1024 * 4 + 16384 * 48);
}

// The index pass leaves TCP's Info text to the thread that packs Info blocks, which writes it
// from a copy of the header (PacketInfo::deferred): on every real capture the list's columns
// must still be those a sequential decode writes at once.
TEST_CASE("the index gives back each frame (comment, block type) and a fresh decode's Info and Protocol, on every real capture",
          "[viewer][index]") {
    ScratchConfig cfg;
    std::size_t packets = 0, deferred = 0, comments = 0, blocks = 0;
    for (const std::string& path : testing_support::real_captures()) {
        INFO(path);
        wv::ViewerModel m;
        open_and_wait(m, path);
        const wv::PacketIndex& index = m.capture()->index();
        wirelab::CaptureError err;
        auto file = wirelab::CaptureFile::open(path, err);
        REQUIRE(file);
        wirelab::Decoder d;
        wirelab::Tree tree;
        wirelab::PacketInfo pinfo;
        wirelab::Frame f, ff;
        for (std::size_t i = 0; i < index.size(); ++i) {
            INFO("packet " << i + 1);
            REQUIRE(m.capture()->frame(i, f));
            // The frame the viewer makes from its index is the file's: bytes, comment, block type.
            REQUIRE(file->next(ff));
            CHECK(std::equal(f.data.begin(), f.data.end(), ff.data.begin(), ff.data.end()));
            CHECK(f.comment == ff.comment);
            CHECK(f.block_type == ff.block_type);
            comments += !f.comment.empty();
            blocks += f.block_type != 0;
            d.decode(f, index[i].link_type, tree, pinfo, true);
            CHECK(m.cell_text(i, wv::Column::info) == pinfo.info);
            CHECK(m.cell_text(i, wv::Column::protocol) == pinfo.protocol);
            if (index[i].flags & wv::kRecTcp) ++deferred;
            ++packets;
        }
    }
    CHECK(packets > 2000);  // the corpus: 2,432 when written
    CHECK(deferred > 500);  // the corpus has TCP segments whose Info text the packer wrote
    CHECK(comments > 0);
    CHECK(blocks > 0);
}

TEST_CASE("selecting a packet decodes it with its layers tagged by OSI and TCP/IP layer", "[viewer][selection]") {
    ScratchConfig cfg;
    wv::ViewerModel m;
    open_and_wait(m, kHttp);
    m.select_packet(3);  // frame 4: GET /index.html
    REQUIRE(m.wait_idle(10));
    const wv::DecodedPacket* p = m.decoded();
    REQUIRE(p);
    CHECK(p->index == 3);
    CHECK(p->protocol == "HTTP");
    CHECK(p->info.find("GET /index.html") != std::string::npos);
    std::vector<std::string> names;
    for (const auto& l : p->layers) names.emplace_back(l.proto->abbrev);
    REQUIRE(names.size() >= 4);
    CHECK(names.front() == "frame");
    CHECK(std::find(names.begin(), names.end(), "ip") != names.end());
    CHECK(std::find(names.begin(), names.end(), "tcp") != names.end());
    CHECK(names.back() == "http");
    for (const auto& l : p->layers) {
        if (l.proto->abbrev == "tcp") {
            CHECK(l.proto->osi == wirelab::OsiLayer::transport);
            CHECK(l.proto->tcpip == wirelab::TcpIpLayer::transport);
            CHECK(l.header_end - l.start == 32);  // 20 bytes + 12 of options (timestamps)
            CHECK(l.end == p->frame.data.size());
        }
        if (l.proto->abbrev == "http") CHECK(l.proto->osi == wirelab::OsiLayer::application);
        CHECK(l.start <= l.header_end);
        CHECK(l.header_end <= l.end);
    }
    // Bands nest: each layer lies inside the one before it (same data source).
    for (std::size_t i = 1; i < p->layers.size(); ++i) {
        if (p->layers[i].source != p->layers[i - 1].source) continue;
        CHECK(p->layers[i].start >= p->layers[i - 1].start);
        CHECK(p->layers[i].end <= p->layers[i - 1].end);
    }
    CHECK(p->lines.size() == p->tree.nodes().size());
}

TEST_CASE("bytes and fields map both ways", "[viewer][bytes]") {
    ScratchConfig cfg;
    wv::ViewerModel m;
    open_and_wait(m, kHttp);
    m.select_packet(0);
    REQUIRE(m.wait_idle(10));
    const wv::DecodedPacket* p = m.decoded();
    REQUIRE(p);
    const auto& nodes = p->tree.nodes();
    // Find ip.ttl and check that hovering its byte names it and clicking selects it.
    const wirelab::FieldDef* ttl = m.registry().field("ip.ttl");
    REQUIRE(ttl);
    std::size_t ttl_node = nodes.size();
    for (std::size_t i = 0; i < nodes.size(); ++i)
        if (nodes[i].field == ttl) ttl_node = i;
    REQUIRE(ttl_node < nodes.size());
    std::uint32_t ttl_byte = nodes[ttl_node].offset;
    m.hover_byte(0, ttl_byte);
    REQUIRE(m.hovered_node());
    CHECK(nodes[*m.hovered_node()].field == ttl);
    CHECK(m.hover_range() == wv::ByteRange{0, ttl_byte, 1});
    m.select_byte(0, ttl_byte);
    REQUIRE(m.selected_node());
    CHECK(*m.selected_node() == ttl_node);
    CHECK(m.highlight() == wv::ByteRange{0, ttl_byte, 1});
    // The tree opens the layers above it.
    std::vector<std::size_t> up = m.ancestors(ttl_node);
    REQUIRE(!up.empty());
    CHECK(nodes[up.front()].field->type == wirelab::FieldType::protocol);
    CHECK(nodes[up.front()].field->proto->abbrev == "ip");
    // Selecting a layer highlights the whole layer node.
    int ip_layer = m.selected_layer();
    REQUIRE(ip_layer >= 0);
    CHECK(p->layers[static_cast<std::size_t>(ip_layer)].proto->abbrev == "ip");
    m.select_layer(static_cast<std::size_t>(ip_layer));
    CHECK(m.highlight().offset == p->layers[static_cast<std::size_t>(ip_layer)].start);
    // Every captured byte has a layer; the bytes of the TCP header belong to TCP fields.
    for (std::size_t b = 0; b < p->frame.data.size(); ++b) CHECK(p->byte_layer[0][b] >= 0);
    // The state JSON names the selection and the highlighted range.
    std::string json = m.state_json("bytes");
    CHECK(json.find("\"number\": 1") != std::string::npos);
    CHECK(json.find("\"abbrev\": \"ip\"") != std::string::npos);
    CHECK(json.find("\"highlight\": {\"source\": 0, \"offset\": " + std::to_string(p->layers[static_cast<std::size_t>(ip_layer)].start)) !=
          std::string::npos);
}

TEST_CASE("keyboard-style navigation moves through the displayed rows", "[viewer][selection]") {
    ScratchConfig cfg;
    wv::ViewerModel m;
    open_and_wait(m, kHttp);
    m.move_selection(1);  // nothing selected: the first row
    CHECK(m.selected_packet() == 0u);
    m.move_selection(2);
    CHECK(m.selected_packet() == 2u);
    m.move_selection(-100);
    CHECK(m.selected_packet() == 0u);
    m.select_last_row();
    CHECK(m.selected_packet() == m.packet_count() - 1);
    CHECK(m.go_to_packet(5));
    CHECK(m.selected_packet() == 4u);
    CHECK_FALSE(m.go_to_packet(999));
    CHECK_FALSE(m.go_to_packet(0));
}

TEST_CASE("the display filter shows its error while typing and filters in the background", "[viewer][filter]") {
    ScratchConfig cfg;
    wv::ViewerModel m;
    open_and_wait(m, kHttp);
    std::size_t all = m.row_count();
    m.edit_filter("http");
    CHECK_FALSE(m.filter_error());
    m.edit_filter("tcp.port ==");
    REQUIRE(m.filter_error());
    CHECK(m.filter_error()->column >= 9);
    CHECK_FALSE(m.filter_error()->message.empty());
    m.edit_filter("nosuchfield");
    REQUIRE(m.filter_error());
    CHECK(m.filter_error()->column == 1);
    CHECK_FALSE(m.apply_filter());
    CHECK(m.applied_filter().empty());

    REQUIRE(m.apply_filter("http"));
    REQUIRE(m.wait_idle(10));
    CHECK(m.row_count() == 2);  // the request and the response
    CHECK(m.packet_at(0) == 3);
    CHECK(m.packet_at(1) == 7);
    CHECK(m.row_of(7) == 1u);
    CHECK_FALSE(m.row_of(0));
    CHECK_FALSE(m.go_to_packet(1));  // hidden by the filter
    CHECK(m.settings().filter_history().front() == "http");

    REQUIRE(m.apply_filter("tcp.flags.syn == 1"));
    REQUIRE(m.wait_idle(10));
    CHECK(m.row_count() == 2);
    REQUIRE(m.apply_filter(""));
    REQUIRE(m.wait_idle(10));
    CHECK(m.row_count() == all);
}

TEST_CASE("columns sort and keep the selection", "[viewer][sort]") {
    ScratchConfig cfg;
    wv::ViewerModel m;
    open_and_wait(m, kHttp);
    m.select_packet(3);
    m.sort(wv::Column::length, false);
    std::size_t n = m.row_count();
    for (std::size_t r = 1; r < n; ++r)
        CHECK(m.capture()->index()[m.packet_at(r - 1)].wire_len >= m.capture()->index()[m.packet_at(r)].wire_len);
    CHECK(m.packet_at(*m.selected_row()) == 3);
    m.sort(wv::Column::protocol, true);
    CHECK(m.cell_text(m.packet_at(0), wv::Column::protocol) == "HTTP");
    m.sort(wv::Column::info, true);
    for (std::size_t r = 1; r < n; ++r)
        CHECK(m.cell_text(m.packet_at(r - 1), wv::Column::info) <= m.cell_text(m.packet_at(r), wv::Column::info));
    m.sort(wv::Column::number, true);
    CHECK(m.packet_at(0) == 0);
}

TEST_CASE("follow a TCP stream: bytes by direction and HTTP messages, each linked to its packet", "[viewer][follow]") {
    ScratchConfig cfg;
    wv::ViewerModel m;
    open_and_wait(m, kHttp);
    m.select_packet(3);
    REQUIRE(m.selected_stream() == 0);
    m.follow_stream(m.selected_stream());
    const wv::FollowData* f = m.follow();
    REQUIRE(f);
    REQUIRE(!f->ascii.empty());
    CHECK(f->ascii.front().text == "GET /index.html HTTP/1.1");
    CHECK(f->ascii.front().dir == 0);
    CHECK(f->ascii.front().packet == 3);
    CHECK(f->bytes[0] == 89);
    bool response = false;
    for (const auto& l : f->ascii)
        if (l.dir == 1 && l.text.find("200 OK") != std::string::npos) response = true;
    CHECK(response);
    CHECK(!f->hex.empty());
    REQUIRE(!f->http.empty());
    CHECK(f->http.front().text.find("GET /index.html") != std::string::npos);
    CHECK(f->endpoint[1] == "127.0.0.1:18080");
}

TEST_CASE("follow WebSocket messages and Socket.IO events", "[viewer][follow][socketio]") {
    ScratchConfig cfg;
    wv::ViewerModel m;
    open_and_wait(m, kSocketIo);
    m.select_packet(11);
    m.follow_stream(m.selected_stream());
    const wv::FollowData* f = m.follow();
    REQUIRE(f);
    CHECK(!f->websocket.empty());
    REQUIRE(!f->socketio.empty());
    bool hello = false;
    for (const auto& l : f->socketio)
        if (l.text.find("\"chat message\"") != std::string::npos && l.packet == 11) hello = true;
    CHECK(hello);
}

TEST_CASE("ladder diagrams: a TCP connection and Socket.IO events, exported as SVG", "[viewer][ladder]") {
    ScratchConfig cfg;
    wv::ViewerModel m;
    open_and_wait(m, kHttp);
    m.select_packet(0);
    m.ladder_tcp(m.selected_stream());
    const wv::Ladder* l = m.ladder();
    REQUIRE(l);
    REQUIRE(l->nodes.size() == 2);
    REQUIRE(l->arrows.size() == m.packet_count());
    CHECK(l->arrows[0].label == "SYN");
    CHECK(l->arrows[0].kind == wv::Ladder::Kind::handshake);
    CHECK(l->arrows[1].label == "SYN, ACK");
    CHECK(l->arrows[1].from == l->arrows[0].to);
    CHECK(l->arrows[0].comment.find("Seq = 0") != std::string::npos);
    bool fin = false;
    for (const auto& a : l->arrows) fin = fin || a.kind == wv::Ladder::Kind::fin;
    CHECK(fin);
    std::string svg = wv::ladder_svg(*l);
    CHECK(svg.rfind("<svg", 0) == 0);
    CHECK(svg.find("SYN, ACK") != std::string::npos);
    CHECK(svg.find("</svg>") != std::string::npos);
    std::string path = (std::filesystem::temp_directory_path() / "wirelab-ladder-test.svg").string();
    std::string err;
    REQUIRE(m.export_ladder_svg(path, err));
    CHECK(std::filesystem::file_size(path) == svg.size());
    std::filesystem::remove(path);

    wv::ViewerModel s;
    open_and_wait(s, kSocketIo);
    s.ladder_socketio();
    const wv::Ladder* sl = s.ladder();
    REQUIRE(sl);
    REQUIRE(sl->nodes.size() == 2);
    bool emit = false, ack = false;
    for (const auto& a : sl->arrows) {
        emit = emit || (a.kind == wv::Ladder::Kind::emit && a.label == "emit \"chat message\"");
        ack = ack || a.kind == wv::Ladder::Kind::ack;
    }
    CHECK(emit);
    CHECK(ack);
}

TEST_CASE("statistics: protocol hierarchy, conversations, packets per second", "[viewer][stats]") {
    ScratchConfig cfg;
    wv::ViewerModel m;
    open_and_wait(m, kHttp);
    m.compute_stats();
    const wv::Stats* s = m.stats();
    REQUIRE(s);
    CHECK(s->packets == m.packet_count());
    REQUIRE(!s->hierarchy.empty());
    CHECK(s->hierarchy[0].depth == 0);
    CHECK(s->hierarchy[0].packets == m.packet_count());
    bool http = false;
    for (const auto& p : s->hierarchy) http = http || (p.name == "http" && p.packets == 2);
    CHECK(http);
    REQUIRE(s->conversations.size() == 1);
    CHECK(s->conversations[0].transport == "TCP");
    CHECK(s->conversations[0].packets_ab + s->conversations[0].packets_ba == m.packet_count());
    std::uint64_t total = 0;
    for (auto n : s->io_packets) total += n;
    CHECK(total == m.packet_count());
}

TEST_CASE("a damaged file opens with what could be read and says what was wrong", "[viewer][errors]") {
    ScratchConfig cfg;
    wv::ViewerModel m;
    open_and_wait(m, kShared + "/malformed/derived_truncated_midrecord.pcap");
    CHECK(m.packet_count() == 15);
    REQUIRE(!m.messages().empty());
    CHECK(m.messages().back().text.find("offset 1979") != std::string::npos);
    CHECK(m.messages().back().text.find("15 packets") != std::string::npos);
    m.select_packet(14);
    REQUIRE(m.wait_idle(10));
    CHECK(m.decoded());

    wv::ViewerModel e;
    open_and_wait(e, kShared + "/malformed/empty.pcapng");
    CHECK(e.packet_count() == 0);
    e.move_selection(1);
    CHECK_FALSE(e.selected_packet());

    // Not a capture at all: no packets and a message, no crash.
    wv::ViewerModel t;
    open_and_wait(t, kRepo + "/viewer/CMakeLists.txt");
    CHECK(t.packet_count() == 0);
    CHECK(!t.messages().empty());

    wv::ViewerModel missing;
    CHECK_FALSE(missing.open_file("/nonexistent/file.pcap"));
    REQUIRE(!missing.messages().empty());
    CHECK(missing.messages().back().text.find("No such file") != std::string::npos);
}

TEST_CASE("every capture of the corpus indexes and decodes its packets without a crash", "[viewer][corpus]") {
    ScratchConfig cfg;
    std::size_t files = 0;
    for (const std::string& dir : {kShared, kRepo + "/captures"}) {
        for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
            std::string ext = e.path().extension().string();
            if (ext != ".pcap" && ext != ".pcapng") continue;
            if (std::filesystem::file_size(e.path()) > (8u << 20)) continue;
            wv::ViewerModel m;
            INFO(e.path().string());
            open_and_wait(m, e.path().string());
            CHECK(m.packet_count() == count_packets(e.path().string()));
            if (m.packet_count()) {
                m.select_packet(m.packet_count() - 1);
                REQUIRE(m.wait_idle(20));
                REQUIRE(m.decoded());
                for (std::size_t s = 0; s < m.decoded()->byte_node.size(); ++s)
                    CHECK(m.decoded()->byte_node[s].size() == m.decoded()->source_bytes(static_cast<std::uint8_t>(s)).size());
            }
            ++files;
        }
    }
    CHECK(files > 40);
}

TEST_CASE("the selection decoder gives the same tree going forward, back, and from scratch", "[viewer][decoder]") {
    ScratchConfig cfg;
    wv::ViewerModel m;
    open_and_wait(m, kSocketIo);
    for (std::size_t target : {std::size_t(20), std::size_t(25), std::size_t(5), std::size_t(31)}) {
        m.select_packet(target);
        REQUIRE(m.wait_idle(10));
        const wv::DecodedPacket* p = m.decoded();
        REQUIRE(p);
        auto fresh = wv::PacketDecoder::decode_now(*m.capture(), target);
        REQUIRE(fresh);
        CHECK(p->exact);
        CHECK(p->lines == fresh->lines);
        CHECK(p->info == fresh->info);
    }
}

TEST_CASE("recent files and filter history persist", "[viewer][settings]") {
    ScratchConfig cfg;
    {
        wv::ViewerModel m;
        open_and_wait(m, kHttp);
        REQUIRE(m.apply_filter("tcp"));
        REQUIRE(m.wait_idle(10));
    }
    wv::Settings s;
    s.load();
    REQUIRE(!s.recent_files().empty());
    CHECK(s.recent_files().front() == std::filesystem::path(kHttp).lexically_normal().string());
    REQUIRE(!s.filter_history().empty());
    CHECK(s.filter_history().front() == "tcp");
}

TEST_CASE("the file browser lists directories and capture files", "[viewer][files]") {
    wv::FileBrowser b;
    REQUIRE(b.open(kRepo + "/captures"));
    bool pcapng = false, dir = false;
    for (const auto& e : b.entries()) {
        pcapng = pcapng || e.name == "http_get_loopback.pcapng";
        dir = dir || e.directory;
        if (!e.directory) CHECK(e.capture);
    }
    CHECK(pcapng);
    CHECK(dir);
    CHECK(wv::looks_like_capture(kHttp));
    CHECK_FALSE(wv::looks_like_capture(kRepo + "/viewer/CMakeLists.txt"));
    REQUIRE(b.up());
    CHECK(b.dir() == std::filesystem::path(kRepo).lexically_normal().string());
}

TEST_CASE("live capture on loopback, or a clear message about the permission", "[viewer][live]") {
    ScratchConfig cfg;
    wv::ViewerModel m;
    if (!m.start_live("lo")) {
        REQUIRE(!m.messages().empty());
        CHECK(m.messages().back().text.find("CAP_NET_RAW") != std::string::npos);
        return;
    }
    // Send a few UDP datagrams to ourselves on 127.0.0.1.
    int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(9);  // discard
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < 5; ++i) {
        ::sendto(fd, "wirelab", 7, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
        ::usleep(20000);
    }
    ::close(fd);
    for (int i = 0; i < 100 && m.packet_count() < 5; ++i) {
        ::usleep(20000);
        m.update();
    }
    m.stop_live();
    m.update();
    CHECK(m.packet_count() >= 5);
    std::string out = (std::filesystem::temp_directory_path() / "wirelab-live-test.pcapng").string();
    REQUIRE(m.save_capture(out));
    CHECK(count_packets(out) == m.packet_count());
    std::filesystem::remove(out);
}
