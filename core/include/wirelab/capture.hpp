// Capture files: classic pcap and pcapng, read through a memory map (packets are views into
// the mapped file, never copies) and written by the labs to record their own traffic.
//
// Formats: pcap (https://www.tcpdump.org/manpages/pcap-savefile.5.html, draft-ietf-opsawg-pcap)
// and pcapng (draft-ietf-opsawg-pcapng).
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wirelab/bytes.hpp"

namespace wirelab {

// Link-layer header types (https://www.tcpdump.org/linktypes.html).
enum LinkType : std::uint32_t {
    kLinkNull = 0,        // BSD loopback: 4-byte address family in host byte order
    kLinkEthernet = 1,
    kLinkRawAlt = 12,     // DLT_RAW on some BSDs
    kLinkRaw = 101,
    kLinkLoop = 108,      // OpenBSD loopback: address family in network byte order
    kLinkLinuxSll = 113,
    kLinkLinuxSll2 = 276,
};
std::string_view link_type_name(std::uint32_t link_type);  // "EN10MB", "LINUX_SLL2", "USER13"...

struct Interface {
    std::uint32_t link_type = kLinkEthernet;
    std::uint32_t snaplen = 0;
    std::string name;         // if_name option, may be empty
    std::string description;  // if_description
    std::uint64_t ts_units_per_sec = 1'000'000;  // from if_tsresol
    std::int64_t ts_offset_sec = 0;              // if_tsoffset
};

// One packet: a view into the mapped file.
struct Frame {
    std::uint64_t number = 0;        // 1-based, as tshark counts
    std::int64_t ts_ns = 0;          // nanoseconds since the Unix epoch
    std::uint32_t wire_len = 0;      // length on the wire (frame.len)
    Bytes data;                      // captured bytes (frame.cap_len = data.size())
    std::uint32_t interface = 0;     // index into CaptureFile::interfaces() (all sections)
    std::uint64_t file_offset = 0;   // where the record starts, for error messages
    std::string_view comment;        // first opt_comment of an EPB, if any (view into the file)
    // pcapng blocks that are not packets but that tshark lists as frames (custom blocks,
    // systemd journal entries): `data` is their content and they have no link layer.
    std::uint32_t block_type = 0;    // 0 for packets, else the pcapng block type
};

// What went wrong with a file: it names the file, the offset and the problem.
struct CaptureError {
    std::string file;
    std::uint64_t offset = 0;
    std::string what;
    std::string message() const;  // "FILE: offset N: WHAT"
};

class CaptureFile {
public:
    // Opens and maps the file and reads its header. Returns nullptr and fills `err` if the
    // file cannot be opened or its header is not pcap/pcapng.
    static std::unique_ptr<CaptureFile> open(const std::string& path, CaptureError& err);
    virtual ~CaptureFile();

    enum class Format { pcap, pcapng };
    Format format() const { return format_; }
    const std::string& path() const { return path_; }
    std::uint64_t size() const { return size_; }

    // Reads the next packet. Returns false at the end of the file or at the first damage;
    // error() then says which (std::nullopt means a clean end).
    bool next(Frame& frame);
    const std::optional<CaptureError>& error() const { return error_; }

    // Interfaces seen so far (pcap: exactly one). Grows while reading pcapng.
    const std::vector<Interface>& interfaces() const { return interfaces_; }
    // Section header comments and other file-level notes seen so far.
    const std::vector<std::string>& comments() const { return comments_; }
    // Name resolution records (NRB) seen so far: address bytes as text -> name.
    const std::vector<std::pair<std::string, std::string>>& names() const { return names_; }

    // Where `bytes` (a Frame's data or comment) starts in the file; ~0 if they are not a view
    // into this file's map.
    std::uint64_t offset_of(Bytes bytes) const;

    // Tells the kernel it may drop mapped pages before `offset` (sequential readers call this
    // so that resident memory does not grow with the file).
    void release_before(std::uint64_t offset);
    // For a reader that goes through the whole file on one core while another is free (dump,
    // the viewer's index pass): a helper thread enters the next few MiB into the page tables
    // ahead of the reader, and does release_before's unmapping, so that neither the page
    // faults of a first touch nor the unmapping stop the reader. What next() returns is the
    // same. Resident memory grows by at most the 4 MiB read ahead.
    void read_ahead();

    // Starts reading again from the first packet.
    void rewind();

    CaptureFile(const CaptureFile&) = delete;  // owns the map
    CaptureFile& operator=(const CaptureFile&) = delete;

private:
    CaptureFile() = default;
    bool next_pcap(Frame& frame);
    bool next_pcapng(Frame& frame);
    bool next_plain_packet(Frame& frame);
    void prefetch_next() const;
    void scout();
    bool scout_step();
    bool fail(std::uint64_t offset, std::string what);
    bool read_file_header();
    bool read_pcap_header(bool big_endian, bool nanosecond);
    bool read_section_header(std::uint64_t at);
    bool check_block(std::uint64_t at, std::uint32_t type, std::uint64_t& length);
    bool read_interface_block(std::uint64_t at, std::uint64_t length);
    bool read_packet_block(std::uint32_t type, std::uint64_t at, std::uint64_t length, Frame& frame);
    bool read_name_block(std::uint64_t at, std::uint64_t length);
    void tell_ahead();
    void stop_ahead();

    struct ReadAhead;                  // the helper thread of read_ahead() and what it is told
    static void ahead_loop(ReadAhead* a, std::uint8_t* map, std::uint64_t size, std::uint64_t page,
                           std::uint64_t released);
    std::unique_ptr<ReadAhead> ahead_;
    std::uint64_t tell_ahead_at_ = ~std::uint64_t(0);  // next() tells the helper at this offset

    Format format_ = Format::pcap;
    std::string path_;
    const std::uint8_t* map_ = nullptr;
    std::uint64_t size_ = 0;
    std::uint64_t pos_ = 0;
    std::uint64_t first_record_ = 0;
    std::uint64_t released_ = 0;
    std::uint64_t count_ = 0;
    bool swapped_ = false;           // file byte order differs from the host's
    bool nanosecond_ = false;        // pcap only
    std::uint32_t section_first_if_ = 0;  // pcapng: interface index base of the current section
    // pcap files before version 2.3 stored the original length before the captured one; 2.3
    // files may do either (libpcap and tshark swap them when captured > original).
    enum class LengthOrder : std::uint8_t { normal, swapped, swapped_if_caplen_larger };
    LengthOrder length_order_ = LengthOrder::normal;
    std::uint32_t max_caplen_ = 0;        // pcap: the largest record tshark reads for the link type
    // scout(): the start of a record `scout_lead_` records past pos_, whose first lines are
    // asked for; `scout_stopped_` when the walk stopped there until the reader passes it.
    std::uint64_t scout_at_ = 0;
    std::uint32_t scout_lead_ = 0;
    std::uint64_t scout_lines_ = 0;  // lines before this offset were asked for
    bool scout_stopped_ = false;
    // pcapng: what this pass has met so far. rewind() reads the blocks again; anything already
    // in interfaces_/comments_/names_ is not added twice, so indices stay the same.
    std::uint32_t interfaces_seen_ = 0;
    std::size_t comments_seen_ = 0;
    std::size_t names_seen_ = 0;
    std::vector<Interface> interfaces_;
    std::vector<std::uint32_t> if_max_caplen_;  // pcapng: the largest packet tshark reads, per interface
    std::vector<std::string> comments_;
    std::vector<std::pair<std::string, std::string>> names_;
    std::optional<CaptureError> error_;
};

// Writes pcap or pcapng. Files written open in tshark and capinfos without a warning.
class CaptureWriter {
public:
    enum class Format { pcap, pcapng };
    // Creates (truncates) the file. Returns nullptr and sets `err` on failure.
    static std::unique_ptr<CaptureWriter> create(const std::string& path, Format format, std::uint32_t link_type,
                                                 std::uint32_t snaplen, std::string& err,
                                                 std::string_view application = "wirelab");
    ~CaptureWriter();
    bool write(std::int64_t ts_ns, Bytes data, std::uint32_t wire_len, std::string_view comment = {});
    bool flush();
    bool close();  // also called by the destructor
    std::uint64_t packets() const { return packets_; }

    CaptureWriter(const CaptureWriter&) = delete;  // owns the FILE
    CaptureWriter& operator=(const CaptureWriter&) = delete;

private:
    CaptureWriter() = default;
    bool put(const void* p, std::size_t n);
    bool put_u16(std::uint16_t v);
    bool put_u32(std::uint32_t v);
    bool put_option(std::uint16_t code, std::string_view value);
    bool put_padding(std::size_t n);
    std::FILE* f_ = nullptr;
    Format format_ = Format::pcap;
    std::uint32_t link_type_ = kLinkEthernet;
    std::uint32_t snaplen_ = 0;
    std::uint64_t packets_ = 0;
    bool ok_ = true;
};

}  // namespace wirelab
