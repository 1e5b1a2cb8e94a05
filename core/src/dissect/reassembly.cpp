// IP fragment reassembly shared by IPv4 and IPv6.
#include "wirelab/reassembly.hpp"

#include <algorithm>

namespace wirelab {

std::size_t FragmentKeyHash::operator()(const FragmentKey& k) const {
    std::size_t h = k.id * 0x9e3779b97f4a7c15ull ^ k.proto;
    for (std::uint8_t b : k.src.bytes) h = h * 31 + b;
    for (std::uint8_t b : k.dst.bytes) h = h * 31 + b;
    return h;
}

void FragmentTable::clear() {
    pending_.clear();
    age_.clear();
    bytes_ = 0;
}

void FragmentTable::evict_oldest() {
    while (!age_.empty()) {
        auto [serial, key] = age_.front();
        age_.pop_front();
        auto it = pending_.find(key);
        if (it != pending_.end() && it->second.serial == serial) {
            bytes_ -= it->second.bytes;
            pending_.erase(it);
            ++dropped_;
            return;
        }
    }
}

FragmentTable::Result FragmentTable::add(const FragmentKey& key, std::uint32_t offset, Bytes data, bool more,
                                         std::uint32_t frame, DataSource& out) {
    Result r;
    if (offset + data.size() > kMaxDatagram) {
        r.status = Status::error;
        r.error = "fragment ends past the largest possible datagram (65535 bytes)";
        return r;
    }
    auto [it, fresh] = pending_.try_emplace(key);
    Datagram& d = it->second;
    if (fresh) {
        d.serial = ++serial_;
        age_.emplace_back(d.serial, key);
    }
    if (!more) {
        d.have_last = true;
        d.total = offset + static_cast<std::uint32_t>(data.size());
    }
    d.pieces.push_back(Piece{offset, frame, std::vector<std::uint8_t>(data.begin(), data.end())});
    d.bytes += data.size();
    bytes_ += data.size();

    if (d.have_last) {
        // Complete when the pieces, sorted by offset, cover [0, total) without a hole.
        std::sort(d.pieces.begin(), d.pieces.end(),
                  [](const Piece& a, const Piece& b) { return a.offset < b.offset; });
        std::uint32_t covered = 0;
        for (const Piece& p : d.pieces) {
            if (p.offset > covered) break;
            if (p.offset < covered) r.overlap = true;
            covered = std::max<std::uint32_t>(covered, p.offset + static_cast<std::uint32_t>(p.bytes.size()));
        }
        if (covered >= d.total) {
            out.bytes.assign(d.total, 0);
            std::vector<bool> filled(d.total, false);
            // Pieces in arrival order would be more faithful for overlaps; offset order keeps the
            // first byte at each position, which is what most stacks (and Wireshark) do.
            for (const Piece& p : d.pieces) {
                for (std::size_t i = 0; i < p.bytes.size() && p.offset + i < d.total; ++i) {
                    if (!filled[p.offset + i]) {
                        out.bytes[p.offset + i] = p.bytes[i];
                        filled[p.offset + i] = true;
                    }
                }
                if (std::find(out.frames.begin(), out.frames.end(), p.frame) == out.frames.end())
                    out.frames.push_back(p.frame);
            }
            std::sort(out.frames.begin(), out.frames.end());
            bytes_ -= d.bytes;
            pending_.erase(it);
            r.status = Status::complete;
            return r;
        }
    }
    while (pending_.size() > kMaxPending || bytes_ > kMaxBytes) evict_oldest();
    return r;
}

}  // namespace wirelab
