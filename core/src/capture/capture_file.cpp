// Capture file reader: classic pcap and pcapng through a read-only memory map. A packet is a
// view into the map, so reading a multi-gigabyte file copies nothing.
//
// pcap:   https://www.tcpdump.org/manpages/pcap-savefile.5.html, draft-ietf-opsawg-pcap
// pcapng: draft-ietf-opsawg-pcapng (section numbers below are that draft's)
//
// Where the formats leave room for judgement, wirelab does what tshark 4.0 (wiretap) does: it
// stops where tshark reports a file as "damaged" or "cut short", and reads what tshark reads.
#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <limits>
#include <mutex>
#include <system_error>
#include <thread>

#include "wirelab/capture.hpp"
#include "formats.hpp"

namespace wirelab {
namespace {

using namespace capfmt;  // the format's numbers, shared with the writer



// What wirelab knows about each block type: its smallest valid total length (header, fixed
// fields, trailer) and its name for error messages. `tshark_frame` marks the non-packet blocks
// that tshark 4.0 still lists as frames; they use up a frame number so that Frame::number is
// the number Wireshark shows.
struct BlockRule {
    std::uint32_t type;
    std::uint32_t min_length;
    std::string_view name;
    bool tshark_frame;
};
// The enhanced packet block, nearly every block of a file, comes first: find_rule() runs for
// each block.
constexpr std::array kBlockRules = {
    BlockRule{kBlockEnhancedPacket, 32, "enhanced packet block", false},
    BlockRule{kBlockSectionHeader, 28, "section header block", false},
    BlockRule{kBlockInterface, 20, "interface description block", false},
    BlockRule{kBlockPacketObsolete, 32, "packet block", false},
    BlockRule{kBlockSimplePacket, 16, "simple packet block", false},
    BlockRule{kBlockNameResolution, 16, "name resolution block", false},
    BlockRule{kBlockInterfaceStats, 24, "interface statistics block", false},
    BlockRule{kBlockJournalExport, 12, "systemd journal export block", true},
    BlockRule{kBlockDecryptionSecrets, 20, "decryption secrets block", false},
    BlockRule{kBlockSysdigEvent, 12, "sysdig event block", true},
    BlockRule{kBlockSysdigEventV2, 12, "sysdig event block", true},
    BlockRule{kBlockSysdigEventV2Large, 12, "sysdig event block", true},
    BlockRule{kBlockCustom, 16, "custom block", true},
    BlockRule{kBlockCustomNoCopy, 16, "custom block", true},
};
constexpr std::uint32_t kMinBlockLength = 12;  // type, total length, trailing total length
constexpr std::uint32_t kEpbFixedLength = 32;  // and interface id, timestamp, two lengths

const BlockRule* find_rule(std::uint32_t type) {
    for (const BlockRule& rule : kBlockRules)
        if (rule.type == type) return &rule;
    return nullptr;
}

std::string with_article(std::string_view noun) {
    const bool vowel = !noun.empty() && std::string_view("aeiou").find(noun[0]) != std::string_view::npos;
    return (vowel ? "an " : "a ") + std::string(noun);
}

std::string block_name(std::uint32_t type) {
    if (const BlockRule* rule = find_rule(type)) return std::string(rule->name);
    char buf[32];
    std::snprintf(buf, sizeof buf, "block of type 0x%08x", type);
    return buf;
}

// Option codes: the common ones (section 3.5) and those of the Interface Description Block (4.2).

// Name resolution record types (section 4.5).
constexpr std::uint16_t kNrbRecordEnd = 0;
constexpr std::uint16_t kNrbRecordIpv4 = 1;
constexpr std::uint16_t kNrbRecordIpv6 = 2;

constexpr std::uint32_t bswap32(std::uint32_t v) {
    return v >> 24 | (v >> 8 & 0xff00) | (v << 8 & 0xff0000) | v << 24;
}

// Bounds-checked reads from the mapped file in one byte order. Every read checks that it fits;
// past the end it returns 0, and callers check lengths first so they can say what is missing.
class FileReader {
public:
    FileReader(const std::uint8_t* base, std::uint64_t size, bool big_endian)
        : base_(base), size_(size), big_(big_endian), swap_(big_endian != (std::endian::native == std::endian::big)) {}

    bool has(std::uint64_t off, std::uint64_t n) const { return off <= size_ && n <= size_ - off; }
    // One load each, swapped when the file's byte order is not the host's.
    std::uint16_t u16(std::uint64_t off) const {
        if (!has(off, 2)) return 0;
        std::uint16_t v;
        std::memcpy(&v, base_ + off, 2);
        return swap_ ? static_cast<std::uint16_t>(v >> 8 | v << 8) : v;
    }
    std::uint32_t u32(std::uint64_t off) const {
        if (!has(off, 4)) return 0;
        std::uint32_t v;
        std::memcpy(&v, base_ + off, 4);
        return swap_ ? __builtin_bswap32(v) : v;
    }
    std::uint64_t u64(std::uint64_t off) const {
        if (!has(off, 8)) return 0;
        const std::uint64_t a = u32(off), b = u32(off + 4);
        return big_ ? a << 32 | b : b << 32 | a;
    }
    Bytes bytes(std::uint64_t off, std::uint64_t n) const {
        if (!has(off, n)) return {};
        return Bytes(base_ + off, static_cast<std::size_t>(n));
    }
    // Option strings are UTF-8 and not NUL-terminated, but some writers add a NUL anyway.
    std::string_view text(std::uint64_t off, std::uint64_t n) const {
        Bytes b = bytes(off, n);
        std::string_view s(reinterpret_cast<const char*>(b.data()), b.size());
        while (!s.empty() && s.back() == '\0') s.remove_suffix(1);
        return s;
    }

private:
    const std::uint8_t* base_;
    std::uint64_t size_;
    bool big_;
    bool swap_;  // the file's byte order is not the host's
};

constexpr bool kHostBigEndian = std::endian::native == std::endian::big;

FileReader reader_for(const std::uint8_t* map, std::uint64_t size, bool swapped) {
    return FileReader(map, size, swapped != kHostBigEndian);
}

// Walks the options of a block (section 3.5) in [from, to), calling fn(code, value offset,
// value length) for each. Returns an error text if an option runs past the end of the block;
// a block may end without opt_endofopt, and fewer than 4 bytes left over are padding.
struct OptionError {
    std::uint64_t at;
    std::string what;
};
template <class Fn>
std::optional<OptionError> walk_options(const FileReader& r, std::uint64_t from, std::uint64_t to, Fn&& fn) {
    std::uint64_t p = from;
    while (p <= to && to - p >= 4) {
        const std::uint16_t code = r.u16(p);
        const std::uint16_t len = r.u16(p + 2);
        if (code == kOptEndOfOpt) break;
        if (len > to - p - 4)
            return OptionError{p, "option " + std::to_string(code) + " says " + std::to_string(len) +
                                      " bytes but only " + std::to_string(to - p - 4) + " remain in the block"};
        fn(code, p + 4, len);
        p += 4 + pad4(len);
    }
    return std::nullopt;
}

// if_tsresol (section 4.2): the low 7 bits are an exponent; the high bit says base 2, else
// base 10. Resolutions finer than 64 bits can count get UINT64_MAX, as in tshark.
std::uint64_t units_from_tsresol(std::uint8_t tsresol) {
    const unsigned exponent = tsresol & 0x7f;
    if (tsresol & 0x80) return exponent < 64 ? std::uint64_t{1} << exponent : std::numeric_limits<std::uint64_t>::max();
    if (exponent > 19) return std::numeric_limits<std::uint64_t>::max();
    std::uint64_t units = 1;
    for (unsigned i = 0; i < exponent; ++i) units *= 10;
    return units;
}

// Timestamp in the interface's units -> nanoseconds since the epoch. 128-bit arithmetic keeps
// every resolution exact; a time outside int64 nanoseconds (before 1678 or after 2262) is
// clamped rather than wrapped.
__extension__ using Int128 = __int128;
__extension__ using UInt128 = unsigned __int128;
std::int64_t ticks_to_ns(std::uint64_t ticks, const Interface& iface) {
    const std::uint64_t units = iface.ts_units_per_sec;
    // Microseconds or nanoseconds since 1970 (nearly every file): the same value in 64 bits,
    // without the 128-bit division below.
    constexpr std::uint64_t kMax = std::numeric_limits<std::int64_t>::max();
    if (iface.ts_offset_sec == 0) {
        if (units == 1000000 && ticks <= kMax / 1000) return static_cast<std::int64_t>(ticks * 1000);
        if (units == std::uint64_t{kNsPerSec} && ticks <= kMax) return static_cast<std::int64_t>(ticks);
    }
    Int128 ns = Int128(iface.ts_offset_sec) * kNsPerSec;
    ns += Int128(ticks / units) * kNsPerSec;
    ns += Int128(UInt128(ticks % units) * kNsPerSec / units);
    constexpr Int128 lo = std::numeric_limits<std::int64_t>::min(), hi = std::numeric_limits<std::int64_t>::max();
    return static_cast<std::int64_t>(std::clamp(ns, lo, hi));
}

std::string hex32(std::uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08x", v);
    return buf;
}

std::string plural(std::uint64_t n, std::string_view one, std::string_view many) {
    return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

}  // namespace

// ---- opening -------------------------------------------------------------------------------

std::unique_ptr<CaptureFile> CaptureFile::open(const std::string& path, CaptureError& err) {
    err = CaptureError{path, 0, {}};
    // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below anyway).
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        err.what = std::string("cannot open: ") + std::strerror(errno);
        return nullptr;
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        err.what = std::string("cannot stat: ") + std::strerror(errno);
        ::close(fd);
        return nullptr;
    }
    if (!S_ISREG(st.st_mode)) {
        err.what = "not a regular file, so it cannot be memory-mapped";
        ::close(fd);
        return nullptr;
    }
    const std::uint64_t size = static_cast<std::uint64_t>(st.st_size);
    // mmap of 0 bytes fails with EINVAL; an empty file is simply not a capture file.
    if (size == 0) {
        err.what = "empty file (0 bytes): not a pcap or pcapng file";
        ::close(fd);
        return nullptr;
    }
    if (size > std::numeric_limits<std::size_t>::max()) {
        err.what = "file of " + std::to_string(size) + " bytes is too large to map on this system";
        ::close(fd);
        return nullptr;
    }
    // MAP_PRIVATE + PROT_READ: nothing can write through the map, and pages come straight from
    // the page cache. The descriptor is not needed once the map exists. (As with any map, a file
    // cut shorter by someone else while it is open makes later reads past the cut fault.)
    void* map = ::mmap(nullptr, static_cast<std::size_t>(size), PROT_READ, MAP_PRIVATE, fd, 0);
    const int map_errno = errno;
    ::close(fd);
    if (map == MAP_FAILED) {
        err.what = std::string("cannot map: ") + std::strerror(map_errno);
        return nullptr;
    }
    // Readers go front to back: let the kernel read ahead aggressively and drop pages early.
    ::madvise(map, static_cast<std::size_t>(size), MADV_SEQUENTIAL);

    std::unique_ptr<CaptureFile> file(new CaptureFile());
    file->path_ = path;
    file->map_ = static_cast<const std::uint8_t*>(map);
    file->size_ = size;
    if (!file->read_file_header()) {
        err = *file->error_;
        return nullptr;
    }
    return file;
}

CaptureFile::~CaptureFile() {
    stop_ahead();
    if (map_) ::munmap(const_cast<std::uint8_t*>(map_), static_cast<std::size_t>(size_));
}

// ---- read ahead ----------------------------------------------------------------------------

struct CaptureFile::ReadAhead {
    std::thread thread;
    std::mutex mutex;
    std::condition_variable wake;
    // Under `mutex`: where the reader is, what it asked to release, and whether to stop.
    std::uint64_t reader_at = 0;
    std::uint64_t release_to = 0;
    bool stop = false;
};

// The helper thread of read_ahead(): maps up to kAhead past the reader, and releases what the
// reader has passed, until told to stop.
void CaptureFile::ahead_loop(ReadAhead* a, std::uint8_t* map, std::uint64_t size, std::uint64_t page,
                             std::uint64_t released) {
    constexpr std::uint64_t kChunk = 1u << 20, kAhead = 4u << 20;
    std::uint64_t mapped = 0;
    bool populate_works = true;
    std::unique_lock<std::mutex> lock(a->mutex);
    while (!a->stop) {
        const std::uint64_t at = a->reader_at, release_to = a->release_to;
        const bool release = release_to > released;
        const bool populate = populate_works && mapped < std::min(size, at + kAhead);
        if (!release && !populate) {
            // Waking a sleeping thread costs the waker a system call and, on a virtual
            // machine, an interrupt to the other core: telling it every MiB was 2% of a
            // --decode-only pass. The reader only writes where it is; the helper looks every
            // 200 microseconds (half a MiB of reading), well inside the 4 MiB it maps ahead.
            a->wake.wait_for(lock, std::chrono::microseconds(200));
            continue;
        }
        lock.unlock();
        // Releasing first, in the same thread: a page entered after the reader released
        // past it would stay resident, and this order means the next release covers it.
        if (release) {
            ::madvise(map + released, static_cast<std::size_t>(release_to - released), MADV_DONTNEED);
            released = release_to;
        }
        if (populate) {
            const std::uint64_t from = std::max({mapped, at / page * page, released});
            const std::uint64_t len = std::min(kChunk, size - from);
            // Only a hint: a kernel before 5.14 says EINVAL, and pages fault in as read.
            if (len && ::madvise(map + from, static_cast<std::size_t>(len), MADV_POPULATE_READ) != 0 &&
                errno == EINVAL)
                populate_works = false;
            mapped = from + len;
        }
        lock.lock();
    }
}

void CaptureFile::read_ahead() {
    if (ahead_ || !map_) return;
    ahead_ = std::make_unique<ReadAhead>();
    ahead_->reader_at = pos_;
    ahead_->release_to = released_;
    tell_ahead_at_ = pos_;
    const std::uint64_t page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    try {
        ahead_->thread = std::thread(ahead_loop, ahead_.get(), const_cast<std::uint8_t*>(map_), size_, page,
                                     released_);
    } catch (const std::system_error&) {
        // No thread to be had (a process limit): the reader maps and unmaps for itself.
        ahead_.reset();
        tell_ahead_at_ = ~std::uint64_t(0);
    }
}

// Says where the reader is, every MiB it reads (the helper looks for itself).
void CaptureFile::tell_ahead() {
    {
        std::lock_guard<std::mutex> lock(ahead_->mutex);
        ahead_->reader_at = pos_;
    }
    tell_ahead_at_ = pos_ + (1u << 20);
}

void CaptureFile::stop_ahead() {
    if (!ahead_) return;
    {
        std::lock_guard<std::mutex> lock(ahead_->mutex);
        ahead_->stop = true;
    }
    ahead_->wake.notify_one();
    ahead_->thread.join();
    ahead_.reset();
    tell_ahead_at_ = ~std::uint64_t(0);
}

bool CaptureFile::fail(std::uint64_t offset, std::string what) {
    error_ = CaptureError{path_, offset, std::move(what)};
    return false;
}

bool CaptureFile::read_file_header() {
    if (size_ < 4)
        return fail(0, "truncated file header: the file has only " + plural(size_, "byte", "bytes") +
                           ", not even a 4-byte magic number");
    const FileReader le(map_, size_, false);
    const std::uint32_t magic = le.u32(0);
    if (magic == kPcapMagicMicro) return read_pcap_header(false, false);
    if (magic == kPcapMagicNano) return read_pcap_header(false, true);
    if (magic == bswap32(kPcapMagicMicro)) return read_pcap_header(true, false);
    if (magic == bswap32(kPcapMagicNano)) return read_pcap_header(true, true);
    if (magic == kBlockSectionHeader) {
        format_ = Format::pcapng;
        first_record_ = 0;  // rewind() reads the first section header again
        return read_section_header(0);
    }
    // Printed in file order, as a hex dump of the first four bytes shows them.
    const std::uint32_t as_dumped = FileReader(map_, size_, true).u32(0);
    return fail(0, "bad magic " + hex32(as_dumped) + ": not a pcap or pcapng file");
}

// pcap file header (pcap-savefile(5)): magic, version major/minor, thiszone, sigfigs, snaplen,
// link type. thiszone and sigfigs are always 0 in practice and ignored, as by tshark.
bool CaptureFile::read_pcap_header(bool big_endian, bool nanosecond) {
    format_ = Format::pcap;
    nanosecond_ = nanosecond;
    swapped_ = big_endian != kHostBigEndian;
    if (size_ < kPcapFileHeaderLen)
        return fail(0, "truncated pcap file header: the file has " + plural(size_, "byte", "bytes") +
                           ", the header needs 24");
    const FileReader r = reader_for(map_, size_, swapped_);
    const std::uint16_t major = r.u16(4), minor = r.u16(6);
    if (major < 2)
        return fail(4, "unsupported pcap version " + std::to_string(major) + "." + std::to_string(minor) +
                           " (only 2.0 and later are readable)");
    if ((major == 2 && minor < 3) || major == 543)  // 543.0: DG/UX tcpdump
        length_order_ = LengthOrder::swapped;
    else if (major == 2 && minor == 3)
        length_order_ = LengthOrder::swapped_if_caplen_larger;
    else
        length_order_ = LengthOrder::normal;

    Interface iface;
    iface.snaplen = r.u32(16);
    // The upper 16 bits of the link-type field hold FCS information (draft-ietf-opsawg-pcap
    // section 4); the link type itself is the lower 16, as in a pcapng IDB.
    iface.link_type = r.u32(20) & 0xffff;
    iface.ts_units_per_sec = nanosecond ? 1'000'000'000 : 1'000'000;
    interfaces_.assign(1, iface);
    max_caplen_ = detail::max_caplen_for(iface.link_type);
    first_record_ = pos_ = kPcapFileHeaderLen;
    return true;
}

// ---- reading -------------------------------------------------------------------------------

// The next record's header and the packet headers after it (three cache lines: a pcapng
// block header, Ethernet, IPv6 and TCP with options), asked for while this packet is decoded.
// A reader steps from header to header over the payloads, so the CPU's own prefetcher, which
// follows strides within a page, cannot see them coming; without this each packet begins with
// a wait for memory. A prefetch never faults, past the end or on a page not mapped yet.
void CaptureFile::prefetch_next() const {
    const std::uint8_t* p = map_ + pos_;
    __builtin_prefetch(p);
    __builtin_prefetch(p + 64);
    __builtin_prefetch(p + 128);
}

// Records and blocks come one after another, each one's length saying where the next begins,
// so a reader that asks for a record's lines only once it knows where the record is waits for
// memory at every packet: the first touch of a pcapng block's last line, which holds its
// trailing length, was a sixth of --decode-only's time. The scout walks the same chain a few
// records ahead, one step per record read. A step reads a header asked for at an earlier step
// and asks for the lines of the record after it, so the reader finds them in the cache
// (--decode-only on the benchmark capture: 0.306 s to 0.275 s, medians). The scout never
// decides anything: it stops where a length looks wrong, at a section header (the byte order
// may change) and at the end, and the reader finds and reports any problem itself.
void CaptureFile::scout() {
    constexpr std::uint32_t kLead = 4;  // records: at least two packets' decoding ahead of memory
    if (scout_lead_ > 0) --scout_lead_;  // the reader took one
    if (scout_at_ < pos_) {
        // Not started, passed by the reader (a block the scout took for a section header or
        // a bad length), or rewound: it starts again where the reader is.
        scout_at_ = pos_;
        scout_lead_ = 0;
        scout_lines_ = 0;
        scout_stopped_ = false;
    }
    if (scout_stopped_) {
        prefetch_next();
        return;
    }
    // One step keeps the lead; two make it up after a start.
    for (int step = 0; step < 2 && scout_lead_ < kLead; ++step)
        if (!scout_step()) {
            scout_stopped_ = true;
            prefetch_next();
            return;
        }
}

bool CaptureFile::scout_step() {
    const std::uint64_t at = scout_at_;
    const FileReader r = reader_for(map_, size_, swapped_);
    std::uint64_t next = 0;
    if (format_ == Format::pcap) {
        if (!r.has(at, kPcapRecordHeaderLen)) return false;
        std::uint32_t caplen = r.u32(at + 8);
        const std::uint32_t wire = r.u32(at + 12);
        if (length_order_ == LengthOrder::swapped ||
            (length_order_ == LengthOrder::swapped_if_caplen_larger && caplen > wire))
            caplen = wire;
        if (caplen > max_caplen_) return false;
        next = at + kPcapRecordHeaderLen + caplen;
    } else {
        if (!r.has(at, kMinBlockLength)) return false;
        const std::uint32_t total = r.u32(at + 4);
        if (r.u32(at) == kBlockSectionHeader || total < kMinBlockLength || total % 4 != 0) return false;
        next = at + total;
    }
    if (next >= size_) return false;  // the end (or past it: the reader says so)
    // The line with this record's trailing length, then the next record's first 2 KiB: an
    // Ethernet-sized packet whole, and usually the header after it, so that the next step
    // seldom waits either (1.64x the floor's time against 1.69x with only the first three
    // lines, medians of 11 runs). Each line is asked for once, going on from the last one
    // asked for.
    const std::uint64_t to = std::min(next + 2048, size_);
    std::uint64_t line = std::max(scout_lines_, (next - 4) & ~std::uint64_t{63});
    for (; line < to; line += 64) __builtin_prefetch(map_ + line);
    scout_lines_ = line;
    scout_at_ = next;
    ++scout_lead_;
    return true;
}

bool CaptureFile::next(Frame& frame) {
    if (error_ || !map_) return false;
    if (pos_ >= tell_ahead_at_) [[unlikely]] tell_ahead();
    return format_ == Format::pcap ? next_pcap(frame) : next_pcapng(frame);
}

// pcap record: ts_sec, ts_usec (or ts_nsec), captured length, original length, then the data.
bool CaptureFile::next_pcap(Frame& frame) {
    if (pos_ == size_) return false;  // clean end between two records
    const std::uint64_t at = pos_;
    const std::uint64_t remain = size_ - at;
    if (remain < kPcapRecordHeaderLen)
        return fail(at, "truncated record header: only " + plural(remain, "byte remains", "bytes remain") +
                            ", a record header needs 16");
    const FileReader r = reader_for(map_, size_, swapped_);
    const std::uint32_t sec = r.u32(at), frac = r.u32(at + 4);
    std::uint32_t caplen = r.u32(at + 8), wire = r.u32(at + 12);
    if (length_order_ == LengthOrder::swapped ||
        (length_order_ == LengthOrder::swapped_if_caplen_larger && caplen > wire))
        std::swap(caplen, wire);

    // tshark reads a record bigger than the snaplen (wiretap only treats it as a hint), but not
    // one bigger than the largest packet it accepts for the link type: such a header is junk.
    if (caplen > max_caplen_)
        return fail(at, "captured length " + std::to_string(caplen) + " is larger than " +
                            std::to_string(max_caplen_) + ", the largest packet tshark accepts for link type " +
                            std::string(link_type_name(interfaces_[0].link_type)) + " (snaplen " +
                            std::to_string(interfaces_[0].snaplen) + "): the record header is damaged");
    if (caplen > remain - kPcapRecordHeaderLen)
        return fail(at, "truncated record: header says " + std::to_string(caplen) + " captured bytes but only " +
                            std::to_string(remain - kPcapRecordHeaderLen) + " remain");

    frame.number = ++count_;
    // Seconds are unsigned, as tshark reads them; the fraction is not normalised (a usec field
    // of 1000000 or more just adds to the seconds), again like tshark.
    frame.ts_ns = std::int64_t(sec) * kNsPerSec + std::int64_t(frac) * (nanosecond_ ? 1 : 1000);
    frame.wire_len = wire;
    frame.data = r.bytes(at + kPcapRecordHeaderLen, caplen);
    frame.interface = 0;
    frame.file_offset = at;
    frame.comment = {};
    frame.block_type = 0;
    pos_ = at + kPcapRecordHeaderLen + caplen;
    scout();
    return true;
}

// The block nearly every packet comes in: an enhanced packet block without options, whose
// lengths agree, on an interface already described. Its fields are read with one load each
// and no bounds check past the first two, which check_block and read_packet_block would
// otherwise repeat field by field (about 200 instructions a packet of the 440 the reader
// took). Anything else, and every problem, goes the general way, which reports it.
bool CaptureFile::next_plain_packet(Frame& frame) {
    const std::uint64_t at = pos_;
    const std::uint64_t remain = size_ - at;
    if (remain < kEpbFixedLength) return false;
    const std::uint8_t* b = map_ + at;
    const bool swap = swapped_;  // the file's byte order is not the host's
    auto u32 = [swap](const std::uint8_t* q) {
        std::uint32_t v;
        std::memcpy(&v, q, 4);
        return swap ? __builtin_bswap32(v) : v;
    };
    const std::uint32_t total = u32(b + 4);
    if (u32(b) != kBlockEnhancedPacket || total > remain || total % 4 != 0 || total < kEpbFixedLength) return false;
    const std::uint32_t local_if = u32(b + 8), caplen = u32(b + 20);
    // No options: the padded data fills the block (which also bounds caplen).
    if (kEpbFixedLength + pad4(caplen) != total || u32(b + total - 4) != total ||
        local_if >= interfaces_seen_ - section_first_if_)
        return false;
    const std::uint32_t global_if = section_first_if_ + local_if;
    if (caplen > if_max_caplen_[global_if]) return false;
    const std::uint64_t ticks = std::uint64_t{u32(b + 12)} << 32 | u32(b + 16);
    frame.number = ++count_;
    frame.ts_ns = ticks_to_ns(ticks, interfaces_[global_if]);
    frame.wire_len = u32(b + 24);
    frame.data = Bytes(b + kEpbFixedLength - 4, caplen);
    frame.interface = global_if;
    frame.file_offset = at;
    frame.comment = {};
    frame.block_type = 0;
    pos_ = at + total;
    scout();
    return true;
}

bool CaptureFile::next_pcapng(Frame& frame) {
    if (next_plain_packet(frame)) return true;
    for (;;) {
        if (pos_ == size_) return false;  // clean end between two blocks
        const std::uint64_t at = pos_;
        const std::uint64_t remain = size_ - at;
        if (remain < kMinBlockLength)
            return fail(at, "truncated block: only " + plural(remain, "byte remains", "bytes remain") +
                                ", the smallest block is 12");
        const FileReader r = reader_for(map_, size_, swapped_);
        const std::uint32_t type = r.u32(at);
        if (type == kBlockSectionHeader) {
            if (!read_section_header(at)) return false;
            continue;
        }
        std::uint64_t length = 0;
        if (!check_block(at, type, length)) return false;
        pos_ = at + length;
        scout();
        switch (type) {
        case kBlockInterface:
            if (!read_interface_block(at, length)) return false;
            break;
        case kBlockEnhancedPacket:
        case kBlockSimplePacket:
        case kBlockPacketObsolete:
            return read_packet_block(type, at, length, frame);
        case kBlockNameResolution:
            if (!read_name_block(at, length)) return false;
            break;
        default:
            // Statistics, decryption secrets, custom and unknown blocks carry no packets; the
            // total length is enough to step over them (section 3.1).
            if (const BlockRule* rule = find_rule(type); rule && rule->tshark_frame) {
                // tshark lists these blocks as frames of their own; so does wirelab, so that
                // frame numbers and counts agree. A custom block's content follows its
                // Private Enterprise Number.
                ++count_;
                const std::uint64_t skip = (type == kBlockCustom || type == kBlockCustomNoCopy) ? 12 : 8;
                frame = Frame{};
                frame.number = count_;
                frame.block_type = type;
                frame.file_offset = at;
                frame.data = Bytes(map_ + at + skip, static_cast<std::size_t>(length - skip - 4));
                frame.wire_len = static_cast<std::uint32_t>(frame.data.size());
                return true;
            }
            break;
        }
    }
}

// Every block: type, total length, body, total length again (section 3.1). Checks the lengths
// against each other and against the file before anything inside the block is read.
bool CaptureFile::check_block(std::uint64_t at, std::uint32_t type, std::uint64_t& length) {
    const FileReader r = reader_for(map_, size_, swapped_);
    const std::uint32_t total = r.u32(at + 4);
    const BlockRule* rule = find_rule(type);
    if (total < kMinBlockLength)
        return fail(at, "block total length " + std::to_string(total) +
                            " is too small: every pcapng block has at least 12 bytes");
    if (rule && total < rule->min_length)
        return fail(at, "block total length " + std::to_string(total) + " is too small: " + with_article(rule->name) +
                            " has at least " + std::to_string(rule->min_length) + " bytes");
    if (total % 4 != 0)
        return fail(at, "block total length " + std::to_string(total) + " is not a multiple of 4");
    const std::uint64_t remain = size_ - at;
    if (total > remain)
        return fail(at, "truncated " + block_name(type) + ": block total length says " + std::to_string(total) +
                            " bytes but only " + std::to_string(remain) + " remain");
    const std::uint32_t trailing = r.u32(at + total - 4);
    if (trailing != total)
        return fail(at, "block length mismatch: leading " + std::to_string(total) + ", trailing " +
                            std::to_string(trailing));
    length = total;
    return true;
}

// Section Header Block (section 4.1): byte-order magic, version, section length, options. It
// sets the byte order of everything up to the next SHB, and interface ids start again at 0.
bool CaptureFile::read_section_header(std::uint64_t at) {
    const std::uint64_t remain = size_ - at;
    if (remain < 12)
        return fail(at, std::string(at == 0 ? "truncated file header" : "truncated section header block") +
                            ": only " + plural(remain, "byte", "bytes") +
                            " where a section header block needs at least 28");
    const std::uint32_t bom = FileReader(map_, size_, false).u32(at + 8);
    if (bom == kByteOrderMagic)
        swapped_ = kHostBigEndian;
    else if (bom == bswap32(kByteOrderMagic))
        swapped_ = !kHostBigEndian;
    else
        return fail(at + 8, "bad byte-order magic " + hex32(FileReader(map_, size_, true).u32(at + 8)) +
                                " in a section header block (expected 1a2b3c4d in either byte order)");
    std::uint64_t length = 0;
    if (!check_block(at, kBlockSectionHeader, length)) return false;
    const FileReader r = reader_for(map_, size_, swapped_);
    const std::uint16_t major = r.u16(at + 12), minor = r.u16(at + 14);
    // 1.2 is what some writers put in by mistake; tshark and libpcap read it like 1.0.
    if (major != 1 || (minor != 0 && minor != 2))
        return fail(at + 12, "unsupported pcapng version " + std::to_string(major) + "." + std::to_string(minor) +
                                 " (only 1.0 and 1.2 are readable)");
    auto err = walk_options(r, at + 24, at + length - 4, [&](std::uint16_t code, std::uint64_t off, std::uint16_t len) {
        if (code != kOptComment) return;  // shb_hardware/os/userappl are not kept
        if (comments_seen_++ >= comments_.size()) comments_.emplace_back(r.text(off, len));
    });
    if (err) return fail(err->at, err->what);
    section_first_if_ = interfaces_seen_;
    pos_ = at + length;
    return true;
}

// Interface Description Block (section 4.2): link type, reserved, snaplen, options.
bool CaptureFile::read_interface_block(std::uint64_t at, std::uint64_t length) {
    const FileReader r = reader_for(map_, size_, swapped_);
    Interface iface;
    iface.link_type = r.u16(at + 8);
    iface.snaplen = r.u32(at + 12);
    auto err = walk_options(r, at + 16, at + length - 4, [&](std::uint16_t code, std::uint64_t off, std::uint16_t len) {
        switch (code) {
        case kOptIfName: iface.name = r.text(off, len); break;
        case kOptIfDescription: iface.description = r.text(off, len); break;
        case kOptIfTsresol:
            if (len == 1) iface.ts_units_per_sec = units_from_tsresol(r.bytes(off, 1)[0]);
            break;
        case kOptIfTsoffset:
            if (len == 8) iface.ts_offset_sec = static_cast<std::int64_t>(r.u64(off));
            break;
        default: break;
        }
    });
    if (err) return fail(err->at, err->what);
    if (interfaces_seen_++ >= interfaces_.size()) {
        if_max_caplen_.push_back(detail::max_caplen_for(iface.link_type));
        interfaces_.push_back(std::move(iface));
    }
    return true;
}

// Enhanced Packet Block (section 4.3), Simple Packet Block (4.4) and the obsolete Packet Block
// (appendix A). The block has passed check_block, so its fixed fields are inside it.
bool CaptureFile::read_packet_block(std::uint32_t type, std::uint64_t at, std::uint64_t length, Frame& frame) {
    const FileReader r = reader_for(map_, size_, swapped_);
    const std::uint64_t body_end = at + length - 4;
    const std::uint32_t section_interfaces = interfaces_seen_ - section_first_if_;
    std::uint32_t local_if = 0, caplen = 0, wire = 0;
    std::uint64_t ticks = 0, data_at = 0;
    bool has_ts = true;

    if (type == kBlockSimplePacket) {
        // No interface id, no timestamp, no captured length: it belongs to the section's first
        // interface and holds min(original length, snaplen) bytes, never more than the block.
        // (tshark 4.0 calls a block too short for that min() damaged, and one with bytes left
        // over a length mismatch; wirelab keeps the bytes the block holds in both cases.)
        if (section_interfaces == 0)
            return fail(at, "simple packet block before any interface description block in this section");
        wire = r.u32(at + 8);
        data_at = at + 12;
        const std::uint32_t snaplen = interfaces_[section_first_if_].snaplen;
        std::uint64_t n = wire;
        if (snaplen != 0) n = std::min<std::uint64_t>(n, snaplen);
        caplen = static_cast<std::uint32_t>(std::min(n, body_end - data_at));
        has_ts = false;
    } else {
        // EPB: interface id (32 bits). Obsolete PB: interface id (16), drops count (16).
        local_if = type == kBlockEnhancedPacket ? r.u32(at + 8) : r.u16(at + 8);
        ticks = std::uint64_t{r.u32(at + 12)} << 32 | r.u32(at + 16);
        caplen = r.u32(at + 20);
        wire = r.u32(at + 24);
        data_at = at + 28;
        if (caplen > body_end - data_at)
            return fail(at, block_name(type) + " of " + std::to_string(length) + " bytes is too small for its " +
                                std::to_string(caplen) + " captured bytes");
        if (local_if >= section_interfaces)
            return fail(at, "interface id " + std::to_string(local_if) + " is not defined: this section has " +
                                plural(section_interfaces, "interface", "interfaces") + " so far");
    }
    const std::uint32_t global_if = section_first_if_ + local_if;
    const Interface& iface = interfaces_[global_if];
    const std::uint32_t max_caplen = detail::max_caplen_for(iface.link_type);
    if (caplen > max_caplen)
        return fail(at, "captured length " + std::to_string(caplen) + " is larger than " + std::to_string(max_caplen) +
                            ", the largest packet tshark accepts for link type " +
                            std::string(link_type_name(iface.link_type)));

    std::string_view comment;
    if (type != kBlockSimplePacket) {
        const std::uint64_t options_at = std::min(data_at + pad4(caplen), body_end);
        auto err = walk_options(r, options_at, body_end, [&](std::uint16_t code, std::uint64_t off, std::uint16_t len) {
            if (code == kOptComment && comment.empty()) comment = r.text(off, len);
        });
        if (err) return fail(err->at, err->what);
    }

    frame.number = ++count_;
    frame.ts_ns = has_ts ? ticks_to_ns(ticks, iface) : 0;
    frame.wire_len = wire;
    frame.data = r.bytes(data_at, caplen);
    frame.interface = global_if;
    frame.file_offset = at;
    frame.comment = comment;
    frame.block_type = 0;
    return true;
}

// Name Resolution Block (section 4.5): records of (type, length, value), each padded to 32
// bits; an IPv4 or IPv6 record is an address followed by NUL-terminated names.
bool CaptureFile::read_name_block(std::uint64_t at, std::uint64_t length) {
    const FileReader r = reader_for(map_, size_, swapped_);
    const std::uint64_t body_end = at + length - 4;
    std::uint64_t p = at + 8;
    while (body_end - p >= 4) {
        const std::uint16_t record = r.u16(p);
        const std::uint16_t len = r.u16(p + 2);
        if (record == kNrbRecordEnd) break;
        if (len > body_end - p - 4)
            return fail(p, "name resolution record of " + std::to_string(len) + " bytes runs past the end of its block (" +
                               std::to_string(body_end - p - 4) + " bytes left)");
        if (record == kNrbRecordIpv4 || record == kNrbRecordIpv6) {
            const bool v4 = record == kNrbRecordIpv4;
            const std::uint16_t addr_len = v4 ? 4 : 16;
            if (len < addr_len)
                return fail(p, std::string(v4 ? "IPv4" : "IPv6") + " name record of " + std::to_string(len) +
                                   " bytes is too short for an address (" + std::to_string(addr_len) + ")");
            char text[INET6_ADDRSTRLEN] = {};
            ::inet_ntop(v4 ? AF_INET : AF_INET6, r.bytes(p + 4, addr_len).data(), text, sizeof text);
            std::string_view names(reinterpret_cast<const char*>(r.bytes(p + 4 + addr_len, len - addr_len).data()),
                                   len - addr_len);
            while (!names.empty()) {
                const std::size_t nul = names.find('\0');
                const std::string_view name = names.substr(0, nul);
                if (!name.empty() && names_seen_++ >= names_.size()) names_.emplace_back(text, std::string(name));
                names.remove_prefix(nul == std::string_view::npos ? names.size() : nul + 1);
            }
        }
        p += std::min<std::uint64_t>(4 + pad4(len), body_end - p);
    }
    return true;
}

// ---- position ------------------------------------------------------------------------------

std::uint64_t CaptureFile::offset_of(Bytes bytes) const {
    const auto base = reinterpret_cast<std::uintptr_t>(map_);
    const auto at = reinterpret_cast<std::uintptr_t>(bytes.data());
    if (!map_ || at < base || at - base > size_ || bytes.size() > size_ - (at - base)) return ~std::uint64_t(0);
    return at - base;
}

void CaptureFile::release_before(std::uint64_t offset) {
    if (!map_) return;
    const std::uint64_t page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    const std::uint64_t end = std::min(offset, size_) / page * page;
    if (end <= released_) return;
    const std::uint64_t from = released_;
    released_ = end;
    if (ahead_) {
        {
            std::lock_guard<std::mutex> lock(ahead_->mutex);
            ahead_->release_to = end;
        }
        return;
    }
    // The map is read-only and private, so dropping pages loses nothing: touching them again
    // (a Frame kept from earlier) faults them back in from the file.
    ::madvise(const_cast<std::uint8_t*>(map_) + from, static_cast<std::size_t>(end - from), MADV_DONTNEED);
}

void CaptureFile::rewind() {
    // The helper's idea of what is mapped and released belongs to the pass that ends here.
    const bool ahead = ahead_ != nullptr;
    stop_ahead();
    pos_ = first_record_;
    scout_at_ = 0;
    scout_lead_ = 0;
    count_ = 0;
    released_ = 0;
    error_.reset();
    section_first_if_ = 0;
    interfaces_seen_ = 0;
    comments_seen_ = 0;
    names_seen_ = 0;
    if (ahead) read_ahead();
}

}  // namespace wirelab
