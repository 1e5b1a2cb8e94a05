// Helpers shared by the protocol files: reading a header field by field, stopping cleanly
// at the first one the captured bytes do not hold.
#pragma once

#include <optional>
#include <string_view>

#include "wirelab/dissect.hpp"
#include "wirelab/format.hpp"

namespace wirelab::proto {

// Adds the fields of one header in order. The first field that does not fit marks the layer
// truncated (once) and every later call adds nothing and returns 0, so a dissector reads like
// the header diagram in its RFC and still never reads past the end.
class Fields {
public:
    Fields(Ctx& ctx, const Tvb& tvb, std::string_view what) : ctx_(ctx), tvb_(tvb), what_(what) {}

    bool ok() const { return ok_; }
    const Tvb& tvb() const { return tvb_; }

    // A big-endian integer of `width` bytes; a mask picks bits and shifts them down.
    std::uint64_t uint(const FieldDef& f, std::size_t off, std::size_t width, std::uint8_t flags = 0) {
        if (!fits(off, width)) return 0;
        std::uint64_t v = 0;
        for (std::size_t i = 0; i < width; ++i) v = v << 8 | tvb_.data()[off + i];
        if (f.mask) v = (v & f.mask) >> mask_shift(f.mask);
        if (f.type == FieldType::boolean) v = v != 0;
        ctx_.tree.add(f, tvb_, off, width, v, flags);
        return v;
    }
    std::uint64_t uint_le(const FieldDef& f, std::size_t off, std::size_t width, std::uint8_t flags = 0) {
        if (!fits(off, width)) return 0;
        std::uint64_t v = 0;
        for (std::size_t i = width; i > 0; --i) v = v << 8 | tvb_.data()[off + i - 1];
        if (f.mask) v = (v & f.mask) >> mask_shift(f.mask);
        ctx_.tree.add(f, tvb_, off, width, v, flags);
        return v;
    }
    // Bytes shown as they are: addresses, strings, opaque data.
    const std::uint8_t* raw(const FieldDef& f, std::size_t off, std::size_t len, std::uint8_t flags = 0) {
        if (!fits(off, len)) return nullptr;
        ctx_.tree.add(f, tvb_, off, len, 0, flags);
        return tvb_.data() + off;
    }
    // A value the decoder worked out (not read from the bytes at `off`).
    void generated(const FieldDef& f, std::size_t off, std::size_t len, std::uint64_t v) {
        ctx_.tree.add(f, tvb_, off, len, v, kGenerated);
    }
    void hidden(const FieldDef& f, std::size_t off, std::size_t len, std::uint64_t v = 0) {
        ctx_.tree.add(f, tvb_, off, len, v, kHidden);
    }

    // Checks that [off, off+len) was captured; the first miss marks the layer truncated.
    bool fits(std::size_t off, std::size_t len) {
        if (!ok_) return false;
        if (tvb_.has(off, len)) return true;
        ok_ = false;
        ctx_.truncated(tvb_, off, what_);
        return false;
    }

private:
    Ctx& ctx_;
    Tvb tvb_;
    std::string_view what_;
    bool ok_ = true;
};

// Opens a protocol layer and closes it when the scope ends.
class Layer {
public:
    Layer(Ctx& ctx, const ProtocolDef& p, const Tvb& tvb, std::size_t len)
        : ctx_(ctx), index_(ctx.tree.open(p.self(), tvb, 0, len)) {
        ctx.set_protocol(p);
    }
    ~Layer() { close(); }
    // Ends the layer early, so that the next protocol's layer becomes its sibling.
    void close() {
        if (closed_) return;
        closed_ = true;
        ctx_.tree.close(index_);
    }
    Layer(const Layer&) = delete;
    Layer& operator=(const Layer&) = delete;
    std::size_t index() const { return index_; }
    // Shrinks or grows the layer's byte range once its length is known.
    void set_length(std::size_t len) { ctx_.tree.nodes()[index_].length = static_cast<std::uint32_t>(len); }
    // Text shown after the protocol name on the layer's line ("Src Port: 80, Dst Port: 5000").
    void set_summary(std::string_view text) {
        if (!ctx_.want_info) return;
        ctx_.tree.set_text(index_, text);
    }

private:
    Ctx& ctx_;
    std::size_t index_;
    bool closed_ = false;
};

// Internet checksum (RFC 1071) over `data`, added to `sum`; fold with checksum_fold().
std::uint32_t checksum_add(std::uint32_t sum, Bytes data);
inline std::uint16_t checksum_fold(std::uint32_t sum) {
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum & 0xffff);
}

// Values of the checksum.status fields, as Wireshark numbers them.
inline constexpr ValueName kChecksumStatus[] = {{0, "Bad"}, {1, "Good"}, {2, "Unverified"}};

}  // namespace wirelab::proto
