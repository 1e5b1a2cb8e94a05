// Builds Ethernet/IPv4/TCP frames for tests: real header layouts, correct IPv4 checksums.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace wirelab::test {

struct TcpSeg {
    std::uint8_t src_host = 1, dst_host = 2;  // 10.0.0.N
    std::uint16_t sport = 40000, dport = 8000;
    std::uint32_t seq = 0, ack = 0;
    std::uint8_t flags = 0x18;  // PSH, ACK
    std::string_view payload;
};

inline std::vector<std::uint8_t> tcp_frame(const TcpSeg& s) {
    std::vector<std::uint8_t> f = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00};
    std::size_t total = 20 + 20 + s.payload.size();
    std::uint8_t ip[20] = {0x45, 0, static_cast<std::uint8_t>(total >> 8), static_cast<std::uint8_t>(total), 0, 1,
                           0x40, 0, 64, 6, 0, 0, 10, 0, 0, s.src_host, 10, 0, 0, s.dst_host};
    std::uint32_t sum = 0;
    for (int i = 0; i < 20; i += 2) sum += static_cast<std::uint32_t>(ip[i] << 8 | ip[i + 1]);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    ip[10] = static_cast<std::uint8_t>(~sum >> 8);
    ip[11] = static_cast<std::uint8_t>(~sum);
    f.insert(f.end(), ip, ip + 20);
    std::uint8_t tcp[20] = {static_cast<std::uint8_t>(s.sport >> 8), static_cast<std::uint8_t>(s.sport),
                            static_cast<std::uint8_t>(s.dport >> 8), static_cast<std::uint8_t>(s.dport),
                            static_cast<std::uint8_t>(s.seq >> 24), static_cast<std::uint8_t>(s.seq >> 16),
                            static_cast<std::uint8_t>(s.seq >> 8), static_cast<std::uint8_t>(s.seq),
                            static_cast<std::uint8_t>(s.ack >> 24), static_cast<std::uint8_t>(s.ack >> 16),
                            static_cast<std::uint8_t>(s.ack >> 8), static_cast<std::uint8_t>(s.ack),
                            0x50, s.flags, 0xff, 0xff, 0, 0, 0, 0};
    f.insert(f.end(), tcp, tcp + 20);
    f.insert(f.end(), s.payload.begin(), s.payload.end());
    return f;
}

}  // namespace wirelab::test
