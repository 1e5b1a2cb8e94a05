// Damaged captures through the viewer's loader: ViewerModel::open_file, what File > Open and
// `wirelab view FILE` call, with the background index pass that reads the file. The same
// damaged files as `wirelab dump` gets (tests/damage.hpp): the viewer must show every frame
// before the damage and tell the user, in one message, the file, the offset and the problem.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "../damage.hpp"
#include "model/viewer_model.hpp"

namespace wv = wirelab::viewer;
namespace fs = std::filesystem;

namespace {

// Damaged files and the viewer's settings go to a scratch directory, never to ~/.config.
struct Scratch {
    std::string dir;
    Scratch() {
        std::string t = (fs::temp_directory_path() / "wirelab-loader-damage-XXXXXX").string();
        REQUIRE(::mkdtemp(t.data()) != nullptr);
        dir = t;
        ::setenv("WIRELAB_VIEWER_CONFIG", (dir + "/viewer.conf").c_str(), 1);
    }
    ~Scratch() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
};

// Opens every damaged file of `kind` as File > Open does and checks what the viewer shows.
std::size_t load_damaged(damage::Kind kind) {
    Scratch scratch;
    std::size_t tried = 0;
    for (const damage::Source& source : damage::sources(WIRELAB_SHARED_CAPTURES, scratch.dir)) {
        for (const damage::Damaged& d : damage::damage_all(source)) {
            if (d.kind != kind) continue;
            ++tried;
            const std::string path = scratch.dir + "/" + d.name;
            std::ofstream(path, std::ios::binary)
                .write(reinterpret_cast<const char*>(d.bytes.data()), static_cast<std::streamsize>(d.bytes.size()));
            const damage::Expect& e = d.expect;
            wv::ViewerModel m;
            // A damaged file still opens: the user sees what could be read.
            REQUIRE(m.open_file(path));
            REQUIRE(m.wait_idle(30));
            const std::string said = m.messages().empty() ? std::string() : m.messages().back().text;
            INFO(d.name << ": " << m.packet_count() << " packets, message: " << said);
            if (!e.exact) {
                CHECK(m.packet_count() >= e.frames);
                continue;
            }
            CHECK(m.packet_count() == e.frames);
            if (!e.error) {
                CHECK(m.messages().empty());
                continue;
            }
            REQUIRE(m.messages().size() == 1);
            CHECK(m.messages().back().level == wv::UserMessage::Level::warning);
            CHECK(said.find("showing the " + std::to_string(e.frames) + " packets read before the problem") !=
                  std::string::npos);
            CHECK(said.find("\n" + path + ": offset " + std::to_string(e.offset) + ": ") != std::string::npos);
            bool named = e.says.empty();
            for (const std::string& s : e.says) named = named || said.find(s) != std::string::npos;
            CHECK(named);
            // The last packet that was read can be selected and decoded.
            if (e.frames > 0) {
                m.select_packet(e.frames - 1);
                REQUIRE(m.wait_idle(10));
                CHECK(m.decoded());
            }
        }
    }
    return tried;
}

}  // namespace

TEST_CASE("viewer: a capture cut at a record boundary shows the records before it, no message",
          "[viewer][errors][damage]") {
    CHECK(load_damaged(damage::Kind::cut_at_boundary) > 50);
}

TEST_CASE("viewer: a capture cut inside a record shows what was read and says truncated at the offset",
          "[viewer][errors][damage]") {
    CHECK(load_damaged(damage::Kind::cut_inside) > 300);
}

TEST_CASE("viewer: flipped length fields are named at the record's offset", "[viewer][errors][damage]") {
    CHECK(load_damaged(damage::Kind::length_flipped) > 80);
}

TEST_CASE("viewer: a snaplen of 0 is no damage", "[viewer][errors][damage]") {
    CHECK(load_damaged(damage::Kind::zero_snaplen) == 5);
}

TEST_CASE("viewer: a giant captured length is refused at its record", "[viewer][errors][damage]") {
    CHECK(load_damaged(damage::Kind::giant_caplen) > 50);
}

TEST_CASE("viewer: a wrong magic number is named with its offset", "[viewer][errors][damage]") {
    CHECK(load_damaged(damage::Kind::wrong_magic) > 30);
}

TEST_CASE("viewer: pcapng blocks whose lengths disagree stop the index there", "[viewer][errors][damage]") {
    CHECK(load_damaged(damage::Kind::lengths_disagree) > 50);
}
