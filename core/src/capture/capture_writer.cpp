// Capture file writer: classic pcap (microsecond timestamps, the magic every tool reads) and
// pcapng (nanosecond timestamps, packet comments), so the labs can record their own traffic and
// open it in Wireshark.
//
// pcap:   https://www.tcpdump.org/manpages/pcap-savefile.5.html, draft-ietf-opsawg-pcap
// pcapng: draft-ietf-opsawg-pcapng
//
// Everything is written little-endian whatever the host, so a given run gives the same bytes
// on every machine; readers use the magic numbers to tell the byte order.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

#include "wirelab/capture.hpp"
#include "formats.hpp"

namespace wirelab {
namespace {

using namespace capfmt;  // the format's numbers, shared with the reader

constexpr std::uint8_t kTsresolNanoseconds = 9;  // 10^-9 s
constexpr std::size_t kMaxOptionLength = 0xffff;


// Size of one option with its padding, or nothing if there is no value to write.
constexpr std::size_t option_size(std::size_t value_len) { return value_len == 0 ? 0 : 4 + pad4(value_len); }

}  // namespace

std::unique_ptr<CaptureWriter> CaptureWriter::create(const std::string& path, Format format, std::uint32_t link_type,
                                                     std::uint32_t snaplen, std::string& err,
                                                     std::string_view application) {
    // pcapng has 16 bits for the link type; pcap may carry FCS flags in the upper 16.
    if (format == Format::pcapng && link_type > 0xffff) {
        err = path + ": link type " + std::to_string(link_type) + " does not fit in a pcapng interface block";
        return nullptr;
    }
    if (application.size() > kMaxOptionLength) {
        err = path + ": application name of " + std::to_string(application.size()) +
              " bytes is longer than a pcapng option can hold (65535)";
        return nullptr;
    }
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) {
        err = path + ": cannot create: " + std::strerror(errno);
        return nullptr;
    }
    std::unique_ptr<CaptureWriter> w(new CaptureWriter());
    w->f_ = f;
    w->format_ = format;
    w->link_type_ = link_type;
    // Snaplen 0 means "unknown" to Wireshark but makes tcpdump's filters reject every packet,
    // so write the link type's maximum instead, as Wireshark's writer does.
    w->snaplen_ = snaplen != 0 ? snaplen : detail::max_caplen_for(link_type & 0xffff);

    if (format == Format::pcap) {
        // File header: magic, version 2.4, thiszone, sigfigs, snaplen, link type.
        w->put_u32(kPcapMagicMicro);
        w->put_u16(2);
        w->put_u16(4);
        w->put_u32(0);
        w->put_u32(0);
        w->put_u32(w->snaplen_);
        w->put_u32(link_type);
    } else {
        // Section Header Block (section 4.1): byte-order magic, version 1.0, section length
        // -1 ("not given", so the file can grow), options: shb_userappl.
        const std::size_t opts = application.empty() ? 0 : option_size(application.size()) + 4;
        const auto shb_len = static_cast<std::uint32_t>(28 + opts);
        w->put_u32(kBlockSectionHeader);
        w->put_u32(shb_len);
        w->put_u32(kByteOrderMagic);
        w->put_u16(1);
        w->put_u16(0);
        w->put_u32(0xffffffff);
        w->put_u32(0xffffffff);
        if (!application.empty()) {
            w->put_option(kOptShbUserAppl, application);
            w->put_u32(kOptEndOfOpt);  // code 0, length 0
        }
        w->put_u32(shb_len);

        // Interface Description Block (section 4.2): link type, reserved, snaplen, options:
        // if_tsresol = 9 so the Enhanced Packet Blocks carry nanoseconds.
        const char tsresol = static_cast<char>(kTsresolNanoseconds);
        const auto idb_len = static_cast<std::uint32_t>(20 + option_size(1) + 4);
        w->put_u32(kBlockInterface);
        w->put_u32(idb_len);
        w->put_u16(static_cast<std::uint16_t>(link_type));
        w->put_u16(0);
        w->put_u32(w->snaplen_);
        w->put_option(kOptIfTsresol, std::string_view(&tsresol, 1));
        w->put_u32(kOptEndOfOpt);
        w->put_u32(idb_len);
    }
    if (!w->ok_) {
        err = path + ": cannot write the file header: " + std::strerror(errno);
        return nullptr;
    }
    return w;
}

CaptureWriter::~CaptureWriter() { close(); }

// Writes one packet. Bytes past the snaplen are cut off, as a capture would; the original
// length is never smaller than what was captured. Refuses (returns false without writing)
// a time the format cannot hold (before 1970; pcap: after 2106) or a comment longer than a
// pcapng option; pcap has nowhere to put a comment and drops it.
bool CaptureWriter::write(std::int64_t ts_ns, Bytes data, std::uint32_t wire_len, std::string_view comment) {
    if (!f_ || !ok_) return false;
    const auto caplen = static_cast<std::uint32_t>(std::min<std::size_t>(data.size(), snaplen_));
    if (caplen > detail::max_caplen_for(link_type_ & 0xffff)) return false;  // tshark would not read it
    if (ts_ns < 0) return false;
    const std::uint32_t wire = std::max(wire_len, caplen);

    if (format_ == Format::pcap) {
        const std::int64_t sec = ts_ns / kNsPerSec;
        if (sec > std::numeric_limits<std::uint32_t>::max()) return false;
        // Record header: ts_sec, ts_usec, captured length, original length.
        put_u32(static_cast<std::uint32_t>(sec));
        put_u32(static_cast<std::uint32_t>(ts_ns % kNsPerSec / 1000));
        put_u32(caplen);
        put_u32(wire);
        put(data.data(), caplen);
    } else {
        if (comment.size() > kMaxOptionLength) return false;
        const std::size_t opts = comment.empty() ? 0 : option_size(comment.size()) + 4;
        const auto epb_len = static_cast<std::uint32_t>(32 + pad4(caplen) + opts);
        const auto ticks = static_cast<std::uint64_t>(ts_ns);  // if_tsresol 9: nanoseconds
        // Enhanced Packet Block (section 4.3): interface id, timestamp (high, low), captured
        // length, original length, data padded to 32 bits, options: opt_comment.
        put_u32(kBlockEnhancedPacket);
        put_u32(epb_len);
        put_u32(0);
        put_u32(static_cast<std::uint32_t>(ticks >> 32));
        put_u32(static_cast<std::uint32_t>(ticks));
        put_u32(caplen);
        put_u32(wire);
        put(data.data(), caplen);
        put_padding(pad4(caplen) - caplen);
        if (!comment.empty()) {
            put_option(kOptComment, comment);
            put_u32(kOptEndOfOpt);
        }
        put_u32(epb_len);
    }
    if (ok_) ++packets_;
    return ok_;
}

bool CaptureWriter::flush() {
    if (f_ && std::fflush(f_) != 0) ok_ = false;
    return ok_;
}

bool CaptureWriter::close() {
    if (!f_) return ok_;
    if (std::fclose(f_) != 0) ok_ = false;
    f_ = nullptr;
    return ok_;
}

bool CaptureWriter::put(const void* p, std::size_t n) {
    if (!ok_ || !f_) return false;
    if (n != 0 && std::fwrite(p, 1, n, f_) != n) ok_ = false;
    return ok_;
}

bool CaptureWriter::put_u16(std::uint16_t v) {
    const std::uint8_t b[2] = {static_cast<std::uint8_t>(v), static_cast<std::uint8_t>(v >> 8)};
    return put(b, sizeof b);
}

bool CaptureWriter::put_u32(std::uint32_t v) {
    const std::uint8_t b[4] = {static_cast<std::uint8_t>(v), static_cast<std::uint8_t>(v >> 8),
                               static_cast<std::uint8_t>(v >> 16), static_cast<std::uint8_t>(v >> 24)};
    return put(b, sizeof b);
}

// One pcapng option (section 3.5): code, length, value padded to 32 bits. Callers check that
// the value fits in 16 bits of length.
bool CaptureWriter::put_option(std::uint16_t code, std::string_view value) {
    put_u16(code);
    put_u16(static_cast<std::uint16_t>(value.size()));
    put(value.data(), value.size());
    return put_padding(pad4(value.size()) - value.size());
}

bool CaptureWriter::put_padding(std::size_t n) {
    static constexpr std::uint8_t kZeros[4] = {};
    return put(kZeros, std::min<std::size_t>(n, sizeof kZeros));
}

}  // namespace wirelab
