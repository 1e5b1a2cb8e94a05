// Numbers of the pcap and pcapng formats, shared by the reader and the writer.
// pcap: https://www.tcpdump.org/manpages/pcap-savefile.5.html; pcapng: draft-ietf-opsawg-pcapng.
#pragma once

#include <cstdint>

namespace wirelab::capfmt {

inline constexpr std::uint32_t kPcapMagicMicro = 0xa1b2c3d4;
inline constexpr std::uint32_t kPcapMagicNano = 0xa1b23c4d;
inline constexpr std::uint64_t kPcapFileHeaderLen = 24;
inline constexpr std::uint64_t kPcapRecordHeaderLen = 16;
inline constexpr std::uint32_t kByteOrderMagic = 0x1a2b3c4d;  // pcapng section header
inline constexpr std::int64_t kNsPerSec = 1'000'000'000;

// pcapng block types ("Block Type Codes").
enum BlockType : std::uint32_t {
    kBlockSectionHeader = 0x0A0D0D0A,  // the same in both byte orders
    kBlockInterface = 1,
    kBlockPacketObsolete = 2,
    kBlockSimplePacket = 3,
    kBlockNameResolution = 4,
    kBlockInterfaceStats = 5,
    kBlockEnhancedPacket = 6,
    kBlockJournalExport = 9,
    kBlockDecryptionSecrets = 10,
    kBlockSysdigEvent = 0x204,
    kBlockSysdigEventV2 = 0x216,
    kBlockSysdigEventV2Large = 0x221,
    kBlockCustom = 0x00000BAD,
    kBlockCustomNoCopy = 0x40000BAD,
};

// Option codes (section 3.5 and the blocks' own options).
inline constexpr std::uint16_t kOptEndOfOpt = 0;
inline constexpr std::uint16_t kOptComment = 1;
inline constexpr std::uint16_t kOptIfName = 2;
inline constexpr std::uint16_t kOptIfDescription = 3;
inline constexpr std::uint16_t kOptShbUserAppl = 4;
inline constexpr std::uint16_t kOptIfTsresol = 9;
inline constexpr std::uint16_t kOptIfTsoffset = 14;

// Everything in pcapng is padded to 32 bits.
inline constexpr std::uint64_t pad4(std::uint64_t n) { return (n + 3) & ~std::uint64_t{3}; }

}  // namespace wirelab::capfmt

namespace wirelab::detail {
// The largest captured length tshark accepts for a link type (link_types.cpp).
std::uint32_t max_caplen_for(std::uint32_t link_type);
}  // namespace wirelab::detail
