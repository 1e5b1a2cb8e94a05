// Truncation sweep over real captures: every packet cut at every length decodes without
// reading past its end, and when the cut removes bytes a field needed, the decode says so
// ("[Truncated: ...]" or "[Malformed: ...]") instead of inventing them.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "captures.hpp"
#include "wirelab/capture.hpp"
#include "wirelab/decoder.hpp"

namespace {

using namespace wirelab;

bool marked(const Tree& tree) {
    for (const Node& n : tree.nodes())
        if (n.flags & kMalformed) return true;
    return false;
}

// The furthest byte of the frame that a field read from the packet (not generated) covers.
std::size_t furthest_field(const Tree& tree) {
    std::size_t end = 0;
    for (const Node& n : tree.nodes())
        if (n.source == 0 && !(n.flags & kGenerated) && n.field->type != FieldType::protocol &&
            n.field->type != FieldType::none && n.field->abbrev != "data.data" &&
            // Link-layer padding and trailers lie past the packet's own length: cutting them
            // loses nothing the packet said.
            !n.field->abbrev.ends_with(".padding") && !n.field->abbrev.ends_with(".trailer"))
            end = std::max<std::size_t>(end, n.offset + n.length);
    return end;
}

}  // namespace

TEST_CASE("every cut of every packet of the real captures is decoded within bounds and marked",
          "[core][truncation][sweep]") {
    const std::vector<std::string> files = testing_support::real_captures();
    REQUIRE(files.size() > 50);
    std::size_t decodes = 0;
    for (const std::string& file : files) {
        const std::filesystem::path path(file);
        CaptureError err;
        auto cap = CaptureFile::open(file, err);
        if (!cap) continue;  // empty files are covered by the capture tests
        Decoder full_decoder, cut_decoder;
        Tree full, cut;
        PacketInfo pinfo;
        Frame frame;
        for (int i = 0; i < 40 && cap->next(frame); ++i) {
            std::uint32_t link = testing_support::link_type_of(*cap, frame);
            full_decoder.decode(frame, link, full, pinfo, true);
            std::size_t needed = furthest_field(full);
            std::vector<std::uint8_t> bytes(frame.data.begin(), frame.data.end());
            // Every length up to 128 bytes (all the headers), then every 7th.
            for (std::size_t len = 0; len < bytes.size(); len += len < 128 ? 1 : 7) {
                Frame f = frame;
                f.data = Bytes(bytes.data(), len);
                f.wire_len = std::max<std::uint32_t>(frame.wire_len, static_cast<std::uint32_t>(bytes.size()));
                cut_decoder.decode(f, link, cut, pinfo, true);
                ++decodes;
                for (const Node& n : cut.nodes()) {
                    Bytes src = source_bytes(cut, f, n.source);
                    if (std::uint64_t(n.offset) + n.length > src.size()) {
                        FAIL(path.filename().string() << " frame " << frame.number << " cut at " << len << ": "
                                                      << n.field->abbrev << " ends past its data");
                    }
                }
                if (len < needed && !marked(cut)) {
                    FAIL(path.filename().string() << " frame " << frame.number << " cut at " << len
                                                  << " bytes lost fields up to byte " << needed
                                                  << " without a Truncated or Malformed mark");
                }
            }
        }
    }
    INFO("decodes: " << decodes);
    CHECK(decodes > 10000);
}
