// Fuzz target: the display filter language (filter.hpp): lexer, parser and compiler, and the
// matcher on decoded packets. The input is a filter's text; whatever compiles is matched
// against a few packets decoded once (an HTTP request over TCP, a DNS query, an IPv6 packet).
#include <string_view>

#include "fuzz_support.hpp"
#include "wirelab/filter.hpp"

namespace wirelab {

namespace {
struct Packet {
    std::vector<std::uint8_t> bytes;
    Frame frame;
    Tree tree;
};

// The packets every compiled filter is matched against, decoded once per process.
std::vector<Packet>& packets(Decoder& decoder) {
    static std::vector<Packet> all = [&] {
        std::vector<Packet> v(3);
        std::string_view get = "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: lab\r\n\r\n";
        std::span<const std::uint8_t> get_bytes(reinterpret_cast<const std::uint8_t*>(get.data()), get.size());
        v[0].bytes = fuzz::ipv4(6, true, fuzz::tcp(40000, 80, 1000, 5000, fuzz::kAck | fuzz::kPsh, get_bytes));
        static const std::uint8_t kQuery[] = {0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0,
                                              7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1};
        v[1].bytes = fuzz::ipv4(17, true, fuzz::udp(53000, 53, kQuery));
        v[2].bytes = {0x60, 0, 0, 0, 0, 8, 17, 64};
        for (int i = 0; i < 32; ++i) v[2].bytes.push_back(i == 15 || i == 31 ? 1 : 0);  // ::1 to ::1
        auto u = fuzz::udp(1234, 5678, {});
        v[2].bytes.insert(v[2].bytes.end(), u.begin(), u.end());
        std::uint64_t n = 0;
        for (auto& p : v) {
            p.frame.number = ++n;
            p.frame.data = Bytes(p.bytes.data(), p.bytes.size());
            p.frame.wire_len = static_cast<std::uint32_t>(p.bytes.size());
            PacketInfo pinfo;
            decoder.decode(p.frame, kLinkRaw, p.tree, pinfo);
        }
        return v;
    }();
    return all;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static Decoder decoder;
    auto& decoded = packets(decoder);
    std::string_view text(reinterpret_cast<const char*>(data), size);
    FilterError err;
    auto filter = Filter::compile(text, decoder.registry(), err);
    if (!filter) {
        (void)err.str();
        (void)filter_error_marker(text, err);
        return 0;
    }
    for (auto& p : decoded) (void)filter->match(p.tree, p.frame);
    return 0;
}

}  // namespace wirelab
