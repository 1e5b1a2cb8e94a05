// Bounds-checked access to packet bytes. Every read says whether it fit; nothing past the
// end is ever read, and nothing is copied.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>

namespace wirelab {

using Bytes = std::span<const std::uint8_t>;

// A window onto packet bytes. `base` is where byte 0 of this window sits in its data source
// (the frame, or a reassembled buffer), so a dissector can report frame offsets while only
// seeing its own header.
class Tvb {
public:
    Tvb() = default;
    Tvb(Bytes data, std::uint32_t base = 0, std::uint8_t source = 0)
        : data_(data), reported_(data.size()), base_(base), source_(source) {}

    // The length the bytes had on the wire: larger than size() when the capture's snapshot
    // length cut the packet. Lengths in headers (TCP segment length) are computed from it.
    std::size_t reported_size() const { return reported_; }
    void set_reported_size(std::size_t n) { reported_ = n < data_.size() ? data_.size() : n; }

    std::size_t size() const { return data_.size(); }
    bool empty() const { return data_.empty(); }
    bool has(std::size_t off, std::size_t n) const { return off <= data_.size() && n <= data_.size() - off; }
    Bytes bytes() const { return data_; }
    const std::uint8_t* data() const { return data_.data(); }
    std::uint32_t base() const { return base_; }
    std::uint8_t source() const { return source_; }

    // Everything from `off` on (empty if off is past the end).
    Tvb tail(std::size_t off) const {
        Tvb t = off >= data_.size() ? Tvb(Bytes{}, base_ + static_cast<std::uint32_t>(off), source_)
                                    : Tvb(data_.subspan(off), base_ + static_cast<std::uint32_t>(off), source_);
        t.reported_ = off < reported_ ? reported_ - off : 0;
        if (t.reported_ < t.data_.size()) t.reported_ = t.data_.size();
        return t;
    }
    // At most `n` bytes from `off` (reported length: `n`, as far as the wire had them).
    Tvb sub(std::size_t off, std::size_t n) const {
        Tvb t = tail(off);
        if (n < t.data_.size()) t.data_ = t.data_.first(n);
        if (n < t.reported_) t.reported_ = n;
        return t;
    }

    std::optional<std::uint8_t> u8(std::size_t off) const {
        if (!has(off, 1)) return std::nullopt;
        return data_[off];
    }
    std::optional<std::uint16_t> be16(std::size_t off) const {
        if (!has(off, 2)) return std::nullopt;
        return static_cast<std::uint16_t>(data_[off] << 8 | data_[off + 1]);
    }
    std::optional<std::uint16_t> le16(std::size_t off) const {
        if (!has(off, 2)) return std::nullopt;
        return static_cast<std::uint16_t>(data_[off + 1] << 8 | data_[off]);
    }
    std::optional<std::uint32_t> be24(std::size_t off) const {
        if (!has(off, 3)) return std::nullopt;
        return std::uint32_t(data_[off]) << 16 | std::uint32_t(data_[off + 1]) << 8 | data_[off + 2];
    }
    std::optional<std::uint32_t> be32(std::size_t off) const {
        if (!has(off, 4)) return std::nullopt;
        return std::uint32_t(data_[off]) << 24 | std::uint32_t(data_[off + 1]) << 16 |
               std::uint32_t(data_[off + 2]) << 8 | data_[off + 3];
    }
    std::optional<std::uint32_t> le32(std::size_t off) const {
        if (!has(off, 4)) return std::nullopt;
        return std::uint32_t(data_[off + 3]) << 24 | std::uint32_t(data_[off + 2]) << 16 |
               std::uint32_t(data_[off + 1]) << 8 | data_[off];
    }
    std::optional<std::uint64_t> be64(std::size_t off) const {
        auto hi = be32(off), lo = be32(off + 4);
        if (!hi || !lo) return std::nullopt;
        return std::uint64_t(*hi) << 32 | *lo;
    }
    std::string_view text(std::size_t off, std::size_t n) const {
        Tvb t = sub(off, n);
        return {reinterpret_cast<const char*>(t.data()), t.size()};
    }

private:
    Bytes data_;
    std::size_t reported_ = 0;
    std::uint32_t base_ = 0;
    std::uint8_t source_ = 0;
};

// Unchecked big-endian loads for code that has already checked the length.
inline std::uint16_t load_be16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }
inline std::uint32_t load_be32(const std::uint8_t* p) {
    return std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 8 | p[3];
}

}  // namespace wirelab
