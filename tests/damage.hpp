// Damaged captures made from real ones, for the tests that feed them to `wirelab dump`
// (tests/test_damage.cpp) and to the viewer's loader (tests/viewer/test_loader_damage.cpp).
//
// Each kind of damage is applied at every record (pcap record or pcapng block) of a few real
// captures of ../shared/captures, so both tests see the same files and expect the same thing:
// which error the reader must report, at which offset, and how many frames come before it.
// The generator is deterministic (no randomness): a failure names a file that can be made again.
//
// Formats: pcap-savefile(5) / draft-ietf-opsawg-pcap, and draft-ietf-opsawg-pcapng (section
// 3.1: a block's total length appears at its start and again at its end).
#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "wirelab/capture.hpp"

namespace damage {

// The kinds of damage, in the order the tests report them.
enum class Kind {
    cut_at_boundary,   // the file ends exactly between two records: a shorter, clean file
    cut_inside,        // the file ends inside a record (or inside the file header)
    length_flipped,    // a length field gets its bit 15 set (bigger) or loses one byte (smaller)
    zero_snaplen,      // the file header's / every interface's snaplen is 0
    giant_caplen,      // a packet's captured length is 0xffffffff or 262145
    wrong_magic,       // the file's magic number, or a pcapng byte-order magic, is wrong
    lengths_disagree,  // pcapng: a block's leading and trailing total lengths differ
};
constexpr Kind kKinds[] = {Kind::cut_at_boundary, Kind::cut_inside,   Kind::length_flipped, Kind::zero_snaplen,
                           Kind::giant_caplen,    Kind::wrong_magic, Kind::lengths_disagree};

inline const char* kind_name(Kind k) {
    switch (k) {
    case Kind::cut_at_boundary: return "cut_at_boundary";
    case Kind::cut_inside: return "cut_inside";
    case Kind::length_flipped: return "length_flipped";
    case Kind::zero_snaplen: return "zero_snaplen";
    case Kind::giant_caplen: return "giant_caplen";
    case Kind::wrong_magic: return "wrong_magic";
    case Kind::lengths_disagree: return "lengths_disagree";
    }
    return "?";
}

// What a reader must make of a damaged file.
struct Expect {
    bool error = false;              // it must stop with an error (else: a clean end)
    std::uint64_t offset = 0;        // the offset the error names
    std::vector<std::string> says;   // the error text contains one of these
    std::size_t frames = 0;          // frames listed before the damage (exactly)
    bool opens = true;               // the file header (pcap) or first section header is intact
    // A smaller length puts the next record header inside packet bytes, where anything may be
    // read; there the only promises are: no crash, the frames before the damage are listed,
    // and an error, if any, names an offset at or after the damaged record.
    bool exact = true;
};

struct Damaged {
    Kind kind;
    std::string name;  // file name: source, kind, record, variant
    std::vector<std::uint8_t> bytes;
    Expect expect;
};

// One record of the undamaged file: a pcap record, or a pcapng block.
struct Record {
    std::uint64_t at = 0;
    std::uint64_t length = 0;
    std::uint32_t type = 0;   // pcapng block type; 0 in pcap
    bool big_endian = false;  // byte order of its fields
};

struct Source {
    std::string name;  // short name used in the damaged files' names
    std::vector<std::uint8_t> bytes;
    bool pcapng = false;
    std::uint64_t header = 0;  // pcap: 24 (the file header); pcapng: 0 (the SHB is a record)
    std::vector<Record> records;
    std::vector<std::uint64_t> frame_offsets;  // where each frame of the undamaged file starts

    // Frames that start before `offset`: what a reader lists before damage there.
    std::size_t frames_before(std::uint64_t offset) const {
        return static_cast<std::size_t>(
            std::count_if(frame_offsets.begin(), frame_offsets.end(), [&](std::uint64_t f) { return f < offset; }));
    }
};

// ---- byte access in either order -------------------------------------------------------------

inline std::uint32_t get32(const std::vector<std::uint8_t>& b, std::uint64_t at, bool big) {
    const std::uint8_t* p = b.data() + at;
    return big ? std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 8 | p[3]
               : std::uint32_t(p[3]) << 24 | std::uint32_t(p[2]) << 16 | std::uint32_t(p[1]) << 8 | p[0];
}
inline void put32(std::vector<std::uint8_t>& b, std::uint64_t at, bool big, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) b[at + i] = static_cast<std::uint8_t>(v >> (big ? 24 - 8 * i : 8 * i));
}
inline void swap_bytes(std::vector<std::uint8_t>& b, std::uint64_t at, int n) {
    std::reverse(b.begin() + static_cast<std::ptrdiff_t>(at), b.begin() + static_cast<std::ptrdiff_t>(at + n));
}

inline std::vector<std::uint8_t> file_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// ---- the sources -------------------------------------------------------------------------------

constexpr std::uint32_t kShb = 0x0a0d0d0a;
constexpr std::uint32_t kIdb = 1, kEpb = 6, kObsoletePacket = 2;
constexpr std::uint64_t kPcapHeader = 24, kPcapRecordHeader = 16;

// Walks the records of an undamaged file (it must be well formed: this is not the reader
// under test, only what the generator needs to know where to put the damage).
inline std::vector<Record> walk(const std::vector<std::uint8_t>& b, bool pcapng, bool big) {
    std::vector<Record> out;
    if (!pcapng) {
        for (std::uint64_t at = kPcapHeader; at < b.size();) {
            const std::uint64_t len = kPcapRecordHeader + get32(b, at + 8, big);
            out.push_back({at, len, 0, big});
            at += len;
        }
        return out;
    }
    for (std::uint64_t at = 0; at < b.size();) {
        // Every section header sets the byte order of the blocks up to the next one (4.1).
        if (get32(b, at, false) == kShb) big = get32(b, at + 8, true) == 0x1a2b3c4d;
        const std::uint32_t type = get32(b, at, big);
        const std::uint64_t len = get32(b, at + 4, big);
        out.push_back({at, len, type, big});
        at += len;
    }
    return out;
}

// A little-endian pcap turned big-endian: the same packets, every header field byte-swapped,
// as a big-endian machine's libpcap writes it. (The corpus has no big-endian classic pcap.)
inline std::vector<std::uint8_t> to_big_endian_pcap(std::vector<std::uint8_t> b) {
    swap_bytes(b, 0, 4);                       // magic
    swap_bytes(b, 4, 2);                       // version major
    swap_bytes(b, 6, 2);                       // version minor
    for (int f = 8; f < 24; f += 4) swap_bytes(b, static_cast<std::uint64_t>(f), 4);  // zone, sigfigs, snaplen, link
    for (std::uint64_t at = kPcapHeader; at < b.size();) {
        const std::uint64_t caplen = get32(b, at + 8, false);
        for (int f = 0; f < 16; f += 4) swap_bytes(b, at + static_cast<std::uint64_t>(f), 4);
        at += kPcapRecordHeader + caplen;
    }
    return b;
}

inline Source make_source(const std::string& name, std::vector<std::uint8_t> bytes, const std::string& scratch) {
    Source s;
    s.name = name;
    s.bytes = std::move(bytes);
    s.pcapng = get32(s.bytes, 0, false) == kShb;
    const bool big = !s.pcapng && s.bytes[0] == 0xa1;
    s.header = s.pcapng ? 0 : kPcapHeader;
    s.records = walk(s.bytes, s.pcapng, big);
    // The undamaged file's frames, as the reader lists them (the corpus tests check these
    // against tshark); the damaged file must list the same ones up to the damage.
    const std::string path = scratch + "/" + name + (s.pcapng ? ".pcapng" : ".pcap");
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(s.bytes.data()),
                                                static_cast<std::streamsize>(s.bytes.size()));
    wirelab::CaptureError err;
    auto file = wirelab::CaptureFile::open(path, err);
    if (!file) throw std::runtime_error("source does not open: " + err.message());
    wirelab::Frame f;
    while (file->next(f)) s.frame_offsets.push_back(f.file_offset);
    if (file->error()) throw std::runtime_error("source is damaged: " + file->error()->message());
    return s;
}

// The captures the damage is applied to (chosen from ../shared/captures/SOURCES.md): a
// little-endian microsecond pcap, the same turned big-endian, a nanosecond pcap with Linux
// cooked headers, a pcapng of several sections in both byte orders with every block type, and
// a pcapng merged from two machines (two interfaces, two timestamp resolutions).
inline std::vector<Source> sources(const std::string& corpus, const std::string& scratch) {
    std::vector<Source> out;
    out.push_back(make_source("ether_http_le", file_bytes(corpus + "/link/ether_http_loopback.pcap"), scratch));
    out.push_back(make_source("vlan_arp_be", to_big_endian_pcap(file_bytes(corpus + "/link/vlan123_arp_icmp.pcap")),
                              scratch));
    out.push_back(make_source("sll_nanosec", file_bytes(corpus + "/link/sll_tcp_handshake_nanosec.pcap"), scratch));
    out.push_back(make_source("multi_section",
                              file_bytes(corpus + "/pcapng/pcapng_le_test202_multi_section_mixed_endian.pcapng"),
                              scratch));
    out.push_back(make_source("two_interfaces", file_bytes(corpus + "/pcapng/pcapng_two_interfaces_merged.pcapng"),
                              scratch));
    return out;
}

// ---- the damage --------------------------------------------------------------------------------

// Records damaged per source: all of them up to this many; a bigger file gets this many spread
// evenly over it, always with its first and last (the sources above all have fewer).
constexpr std::size_t kMaxRecords = 64;

inline std::vector<Record> sample(const std::vector<Record>& all) {
    if (all.size() <= kMaxRecords) return all;
    std::vector<Record> out;
    for (std::size_t i = 0; i < kMaxRecords; ++i) out.push_back(all[i * (all.size() - 1) / (kMaxRecords - 1)]);
    return out;
}

// Every damaged file made from `s`.
inline std::vector<Damaged> damage_all(const Source& s) {
    std::vector<Damaged> out;
    const std::string ext = s.pcapng ? ".pcapng" : ".pcap";
    auto add = [&](Kind k, const std::string& where, std::vector<std::uint8_t> bytes, Expect e) {
        out.push_back({k, s.name + "-" + kind_name(k) + "-" + where + ext, std::move(bytes), std::move(e)});
    };
    auto fails = [&](std::uint64_t offset, std::vector<std::string> says, std::uint64_t record) {
        Expect e;
        e.error = true;
        e.offset = offset;
        e.says = std::move(says);
        e.frames = s.frames_before(record);
        e.opens = record != 0;
        return e;
    };
    auto cut = [&](std::uint64_t n) { return std::vector<std::uint8_t>(s.bytes.begin(), s.bytes.begin() + static_cast<std::ptrdiff_t>(n)); };
    const std::vector<Record> records = sample(s.records);
    const bool file_big = s.pcapng ? false : s.bytes[0] == 0xa1;

    // Cut at every record boundary: a clean end after the records before it.
    for (const Record& r : records) {
        Expect e;
        e.frames = s.frames_before(r.at);
        if (r.at > 0) add(Kind::cut_at_boundary, "at" + std::to_string(r.at), cut(r.at), e);
    }

    // Cut inside the pcap file header (in the magic, then after it) and inside every record: one
    // byte in, inside the header fields, just after them, in the middle and one byte short.
    if (!s.pcapng)
        for (std::uint64_t n : {2, 12})
            add(Kind::cut_inside, "header" + std::to_string(n), cut(n), fails(0, {"truncated"}, 0));
    for (const Record& r : records) {
        const std::uint64_t fixed = s.pcapng ? 8 : kPcapRecordHeader;  // type + length / record header
        std::set<std::uint64_t> inside = {1, 4, fixed - 1, fixed, fixed + 1, r.length / 2, r.length - 1};
        for (std::uint64_t in : inside) {
            if (in == 0 || in >= r.length) continue;
            add(Kind::cut_inside, "rec" + std::to_string(r.at) + "+" + std::to_string(in), cut(r.at + in),
                fails(r.at, {"truncated"}, r.at));
        }
    }

    // Length fields flipped. pcap: the captured length with bit 15 set runs past the end of these
    // small files; one byte less makes the reader land inside the packet (no exact promise).
    // pcapng: the leading total length with bit 15 set runs past the end; 4 less points the
    // trailing length check at the block's own bytes.
    for (const Record& r : records) {
        std::vector<std::uint8_t> b = s.bytes;
        const std::string at = "rec" + std::to_string(r.at);
        if (!s.pcapng) {
            const std::uint32_t caplen = get32(b, r.at + 8, r.big_endian);
            put32(b, r.at + 8, r.big_endian, caplen | 0x8000);
            add(Kind::length_flipped, at + "-caplen-bit15", b, fails(r.at, {"truncated record"}, r.at));
            if (caplen == 0) continue;
            b = s.bytes;
            put32(b, r.at + 8, r.big_endian, caplen - 1);
            Expect e = fails(r.at, {}, r.at);
            e.exact = false;
            add(Kind::length_flipped, at + "-caplen-minus1", b, e);
            continue;
        }
        const std::uint32_t total = get32(b, r.at + 4, r.big_endian);
        put32(b, r.at + 4, r.big_endian, total | 0x8000);
        add(Kind::length_flipped, at + "-total-bit15", b, fails(r.at, {"truncated"}, r.at));
        b = s.bytes;
        put32(b, r.at + 4, r.big_endian, total - 4);
        // Too small for its type, or the 4 bytes before the old trailer are not the new length.
        const bool unlucky = get32(b, r.at + total - 8, r.big_endian) == total - 4;
        if (!unlucky)
            add(Kind::length_flipped, at + "-total-minus4", b,
                fails(r.at, {"is too small", "block length mismatch: leading " + std::to_string(total - 4)}, r.at));
    }

    // Zero snaplen: pcap's file header says 0, or every pcapng interface does. pcapng defines 0
    // as "no limit" (4.2); tshark reads a pcap with snaplen 0 too. Nothing is damaged: the whole
    // file must read.
    {
        std::vector<std::uint8_t> b = s.bytes;
        if (!s.pcapng) put32(b, 16, file_big, 0);
        for (const Record& r : s.records)
            if (s.pcapng && r.type == kIdb) put32(b, r.at + 12, r.big_endian, 0);
        Expect e;
        e.frames = s.frame_offsets.size();
        add(Kind::zero_snaplen, "all", b, e);
    }

    // Giant captured lengths in every packet record: 0xffffffff, and 262145 (one more than
    // tshark's largest Ethernet or cooked packet). pcap names the length it refuses; pcapng finds
    // the block too small for it first.
    for (const Record& r : records) {
        const bool packet = !s.pcapng || r.type == kEpb || r.type == kObsoletePacket;
        if (!packet) continue;
        const std::uint64_t field = s.pcapng ? r.at + 20 : r.at + 8;
        for (std::uint32_t giant : {0xffffffffu, 262145u}) {
            std::vector<std::uint8_t> b = s.bytes;
            put32(b, field, r.big_endian, giant);
            const std::string said = s.pcapng ? "too small for its " + std::to_string(giant) + " captured bytes"
                                              : "captured length " + std::to_string(giant) + " is larger than";
            add(Kind::giant_caplen, "rec" + std::to_string(r.at) + "-" + std::to_string(giant), b,
                fails(r.at, {said}, r.at));
        }
    }

    // Wrong magic: each byte of the file's magic number inverted, all zeros, and the text of an
    // HTTP request (a file saved from the wrong place). pcapng: also each section header's
    // byte-order magic with a byte inverted; the reader names the field's own offset.
    for (int i = 0; i < 4; ++i) {
        std::vector<std::uint8_t> b = s.bytes;
        b[static_cast<std::size_t>(i)] ^= 0xff;
        add(Kind::wrong_magic, "byte" + std::to_string(i), b, fails(0, {"bad magic"}, 0));
    }
    {
        std::vector<std::uint8_t> b = s.bytes;
        std::fill(b.begin(), b.begin() + 4, 0);
        add(Kind::wrong_magic, "zeros", b, fails(0, {"bad magic 0x00000000"}, 0));
        b = s.bytes;
        std::copy_n("GET ", 4, b.begin());
        add(Kind::wrong_magic, "http", b, fails(0, {"bad magic 0x47455420"}, 0));
    }
    for (const Record& r : records) {
        if (!s.pcapng || r.type != kShb) continue;
        std::vector<std::uint8_t> b = s.bytes;
        b[r.at + 9] ^= 0xff;
        add(Kind::wrong_magic, "bom" + std::to_string(r.at), b, fails(r.at + 8, {"bad byte-order magic"}, r.at));
    }

    // pcapng blocks whose two total lengths disagree: the trailing one 4 more or 0, the leading
    // one 4 more (the trailer is then looked for in the next block, or past the end), or not a
    // multiple of 4.
    for (const Record& r : records) {
        if (!s.pcapng) break;
        const std::uint32_t total = get32(s.bytes, r.at + 4, r.big_endian);
        const std::string at = "rec" + std::to_string(r.at);
        const std::string mismatch = "block length mismatch: leading " + std::to_string(total) + ", trailing ";
        for (std::uint32_t trailing : {total + 4, 0u}) {
            std::vector<std::uint8_t> b = s.bytes;
            put32(b, r.at + total - 4, r.big_endian, trailing);
            add(Kind::lengths_disagree, at + "-trailing" + std::to_string(trailing), b,
                fails(r.at, {mismatch + std::to_string(trailing)}, r.at));
        }
        std::vector<std::uint8_t> b = s.bytes;
        put32(b, r.at + 4, r.big_endian, total + 4);
        if (r.at + total + 4 > b.size())
            add(Kind::lengths_disagree, at + "-leading-plus4", b, fails(r.at, {"truncated"}, r.at));
        else if (get32(b, r.at + total, r.big_endian) != total + 4)
            add(Kind::lengths_disagree, at + "-leading-plus4", b,
                fails(r.at, {"block length mismatch: leading " + std::to_string(total + 4)}, r.at));
        b = s.bytes;
        put32(b, r.at + 4, r.big_endian, total + 2);
        add(Kind::lengths_disagree, at + "-leading-plus2", b, fails(r.at, {"is not a multiple of 4"}, r.at));
    }
    return out;
}

}  // namespace damage
