// The packet index (see packet_index.hpp).
#include "model/packet_index.hpp"

#include <algorithm>
#include <cstring>
#include <zstd.h>

namespace wirelab::viewer {

namespace {
constexpr std::uint32_t kBlockPackets = 256;
// The list shows new rows at this pace while a big file is indexed or a live capture runs.
constexpr auto kPublishEvery = std::chrono::milliseconds(100);
constexpr std::uint16_t kTooMany = 0xffff;  // id shared by everything past 65535 distinct names
}  // namespace

std::uint32_t StringTable::intern(std::string_view s) {
    // Consecutive packets mostly repeat a few names: one compare with the name last seen in
    // the same slot (picked by the length and three bytes) costs less than hashing.
    Recent& slot = recent_[recent_slot(s)];
    if (slot.text.data() && slot.text.size() == s.size() && std::memcmp(slot.text.data(), s.data(), s.size()) == 0)
        return slot.id;
    std::uint32_t id;
    auto it = ids_.find(s);
    if (it != ids_.end()) {
        id = it->second;
    } else {
        id = static_cast<std::uint32_t>(strings_.pending());
        if (!strings_.push_back(std::string(s))) return 0;
        ids_.emplace(std::string(s), id);
    }
    // The stored string does not move (ChunkedVector), so the view stays valid.
    slot = Recent{std::string_view(strings_[id]), id};
    return id;
}

std::uint32_t PacketIndex::address_id(const Address& a) {
    if (a.kind == Address::Kind::none) return 0;
    for (const RecentAddress& r : recent_addresses_)
        if (r.address == a) return r.id;
    std::uint32_t id;
    auto it = address_ids_.find(a);
    if (it != address_ids_.end()) {
        id = it->second;
    } else {
        id = addresses_.intern(a.str());
        address_ids_.emplace(a, id);
    }
    recent_addresses_[next_recent_address_] = RecentAddress{a, id};
    next_recent_address_ = (next_recent_address_ + 1) % recent_addresses_.size();
    return id;
}

PacketIndex::PacketIndex(const Registry& reg) {
    f_tcp_stream_ = reg.field("tcp.stream");
    f_tcp_flags_ = reg.field("tcp.flags");
    f_truncated_ = &expert_truncated_field();
    // Id 0 of every table is the empty string, for packets that have no such column.
    addresses_.intern("");
    protocols_.intern("");
    paths_.intern("");
    last_publish_ = std::chrono::steady_clock::now();
}

std::vector<const FieldDef*> PacketIndex::fields_read() const {
    std::vector<const FieldDef*> out;
    for (const FieldDef* f : {f_tcp_stream_, f_tcp_flags_, f_truncated_})
        if (f) out.push_back(f);
    return out;
}

void PacketIndex::add(const Frame& frame, std::uint32_t link_type, std::uint64_t data_offset, const Tree& tree,
                      const PacketInfo& pinfo) {
    PacketRecord r;
    r.data_offset = data_offset;
    r.ts_ns = frame.ts_ns;
    r.wire_len = frame.wire_len;
    r.cap_len = static_cast<std::uint32_t>(frame.data.size());
    // The Source and Destination columns: network addresses if there are any, else link ones.
    const Address& src = pinfo.net_src.kind != Address::Kind::none ? pinfo.net_src : pinfo.dl_src;
    const Address& dst = pinfo.net_dst.kind != Address::Kind::none ? pinfo.net_dst : pinfo.dl_dst;
    r.src = address_id(src);
    r.dst = address_id(dst);
    r.src_port = static_cast<std::uint16_t>(pinfo.src_port);
    r.dst_port = static_cast<std::uint16_t>(pinfo.dst_port);
    std::uint32_t proto = protocols_.intern(pinfo.protocol);
    r.protocol = proto > kTooMany ? kTooMany : static_cast<std::uint16_t>(proto);
    path_text_.clear();
    pinfo.protocols.append_to(path_text_);
    std::uint32_t path = paths_.intern(path_text_);
    r.path = path > kTooMany ? kTooMany : static_cast<std::uint16_t>(path);
    r.link_type = static_cast<std::uint16_t>(link_type > 0xffff ? 0xffff : link_type);
    r.interface = static_cast<std::uint8_t>(frame.interface > 255 ? 255 : frame.interface);
    if (!frame.comment.empty() || frame.block_type != 0) {
        PacketExtra x;
        x.packet = records_.pending();
        if (!frame.comment.empty()) {
            // The comment lies in the same file as the bytes, after them (a pcapng option).
            r.flags |= kRecComment;
            x.comment_offset = data_offset + static_cast<std::uint64_t>(
                                                 reinterpret_cast<const std::uint8_t*>(frame.comment.data()) -
                                                 frame.data.data());
            x.comment_len = static_cast<std::uint32_t>(frame.comment.size());
        }
        if (frame.block_type != 0) r.flags |= kRecBlock;
        x.block_type = frame.block_type;
        extras_.push_back(x);
    }
    for (const Node& n : tree.nodes()) {
        if (n.flags & kMalformed) r.flags |= kRecMalformed;
        if (n.field == f_truncated_) r.flags |= kRecTruncated;
        if (n.field == f_tcp_stream_ && r.tcp_stream == kNoStream) {
            r.tcp_stream = static_cast<std::uint32_t>(n.value);
            r.flags |= kRecTcp;
        }
        if (n.field == f_tcp_flags_) {
            // RFC 9293 section 3.1: FIN 0x01, SYN 0x02, RST 0x04.
            if (n.value & 0x01) r.flags |= kRecFin;
            if (n.value & 0x02) r.flags |= kRecSyn;
            if (n.value & 0x04) r.flags |= kRecRst;
        }
    }
    if (records_.pending() == 0) first_ts_.store(frame.ts_ns, std::memory_order_release);
    if (!records_.push_back(r)) return;
    if (pending_count_ == 0) pending_first_ = records_.pending() - 1;
    pending_.append(pinfo.info);
    pending_.push_back('\0');
    if (pinfo.deferred.write) {
        DeferredText d;
        d.packet = pending_count_;
        d.info = pinfo.deferred;
        d.bytes_at = static_cast<std::uint32_t>(pending_bytes_.size());
        d.bytes_len = static_cast<std::uint32_t>(pinfo.deferred.tvb.size());
        pending_bytes_.insert(pending_bytes_.end(), pinfo.deferred.tvb.bytes().begin(), pinfo.deferred.tvb.bytes().end());
        d.info.tvb = Tvb();
        pending_deferred_.push_back(d);
    }
    if (++pending_count_ == kBlockPackets) flush_info();
}

PacketIndex::~PacketIndex() {
    {
        std::lock_guard<std::mutex> lock(raw_mutex_);
        stop_packer_ = true;
    }
    raw_cv_.notify_all();
    if (packer_.joinable()) packer_.join();
}

void PacketIndex::flush_info() {
    if (pending_count_ == 0) return;
    RawBlock raw;
    raw.first = pending_first_;
    raw.count = pending_count_;
    raw.text = std::move(pending_);
    pending_ = std::string();
    pending_.reserve(raw.text.size() + raw.text.size() / 4);
    raw.deferred = std::move(pending_deferred_);
    pending_deferred_ = {};
    pending_deferred_.reserve(raw.deferred.size());
    raw.bytes = std::move(pending_bytes_);
    pending_bytes_ = {};
    pending_bytes_.reserve(raw.bytes.size());
    pending_count_ = 0;
    {
        std::unique_lock<std::mutex> lock(raw_mutex_);
        if (!packer_.joinable()) packer_ = std::thread([this] { pack_loop(); });
        // Bounded: if the packer falls behind (one core), the pass waits for it.
        constexpr std::size_t kMaxQueued = 64;
        drained_cv_.wait(lock, [&] { return raw_.size() < kMaxQueued; });
        raw_.push_back(std::move(raw));
    }
    raw_cv_.notify_one();
}

void PacketIndex::settle(RawBlock& raw) {
    if (raw.deferred.empty()) return;
    std::string out;
    out.reserve(raw.text.size() * 2);
    std::size_t at = 0;
    auto d = raw.deferred.begin();
    std::string text;  // one packet's (the writer looks at what its text holds so far)
    for (std::uint32_t k = 0; k < raw.count && at <= raw.text.size(); ++k) {
        std::size_t end = raw.text.find('\0', at);
        if (end == std::string::npos) end = raw.text.size();
        if (d != raw.deferred.end() && d->packet == k) {
            text.assign(raw.text, at, end - at);
            PacketInfo::DeferredInfo info = d->info;
            info.tvb = Tvb(Bytes(raw.bytes.data() + d->bytes_at, d->bytes_len));
            info.write(text, info);
            out += text;
            ++d;
        } else {
            out.append(raw.text, at, end - at);
        }
        out.push_back('\0');
        at = end + 1;
    }
    raw.text = std::move(out);
}

void PacketIndex::pack_loop() {
    for (;;) {
        RawBlock raw;
        {
            std::unique_lock<std::mutex> lock(raw_mutex_);
            raw_cv_.wait(lock, [&] { return !raw_.empty() || stop_packer_; });
            if (raw_.empty()) return;  // stopping, and nothing is left to pack
            raw = std::move(raw_.front());
            raw_.pop_front();
            packing_ = true;
        }
        auto b = std::make_shared<InfoBlock>();
        b->first = raw.first;
        b->count = raw.count;
        settle(raw);
        b->raw_size = static_cast<std::uint32_t>(raw.text.size());
        std::size_t n = ZSTD_compressBound(raw.text.size());
        b->packed.resize(n);
        // Level 1: the index pass must keep up with decoding. zstd's fastest level packs these
        // lines tighter than zlib's and takes a quarter of its time, which on two cores is
        // time the pass and the renderer get back.
        n = ZSTD_compress(b->packed.data(), n, raw.text.data(), raw.text.size(), 1);
        if (ZSTD_isError(n)) {
            n = 0;
            b->raw_size = 0;
        }
        b->packed.resize(n);
        b->packed.shrink_to_fit();
        info_bytes_.fetch_add(n + sizeof(InfoBlock), std::memory_order_relaxed);
        {
            std::lock_guard<std::mutex> lock(blocks_mutex_);
            blocks_.push_back(std::move(b));
        }
        {
            std::lock_guard<std::mutex> lock(raw_mutex_);
            packing_ = false;
        }
        drained_cv_.notify_all();
    }
}

void PacketIndex::publish() {
    flush_info();
    {
        std::unique_lock<std::mutex> lock(raw_mutex_);
        drained_cv_.wait(lock, [&] { return raw_.empty() && !packing_; });
    }
    // Strings first: a reader that sees a record must find the names it refers to.
    addresses_.publish();
    protocols_.publish();
    extras_.publish();
    paths_.publish();
    records_.publish();
    last_publish_ = std::chrono::steady_clock::now();
}

void PacketIndex::maybe_publish() {
    if ((records_.pending() & 63) != 0) return;  // the clock is read every 64 packets
    if (records_.pending() - records_.size() >= 4096 || std::chrono::steady_clock::now() - last_publish_ >= kPublishEvery)
        publish();
}

std::shared_ptr<const InfoBlock> PacketIndex::info_block(std::size_t i) const {
    std::lock_guard<std::mutex> lock(blocks_mutex_);
    auto it = std::upper_bound(blocks_.begin(), blocks_.end(), i,
                               [](std::size_t v, const std::shared_ptr<const InfoBlock>& b) { return v < b->first; });
    if (it == blocks_.begin()) return nullptr;
    --it;
    if (i >= (*it)->first + (*it)->count) return nullptr;
    return *it;
}

const PacketExtra* PacketIndex::extra(std::size_t i) const {
    std::size_t lo = 0, hi = extras_.size();
    while (lo < hi) {
        std::size_t mid = lo + (hi - lo) / 2;
        if (extras_[mid].packet < i)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < extras_.size() && extras_[lo].packet == i ? &extras_[lo] : nullptr;
}

std::size_t PacketIndex::memory() const {
    return records_.memory() + info_bytes_.load(std::memory_order_relaxed);
}

std::string_view InfoCache::get(const PacketIndex& index, std::size_t i) {
    ++clock_;
    for (Entry& e : entries_) {
        if (i >= e.block->first && i < e.block->first + e.block->count) {
            e.used = clock_;
            std::size_t k = i - e.block->first;
            std::string_view text(e.text);
            std::size_t a = e.starts[k], b = text.find('\0', a);
            return text.substr(a, b == std::string_view::npos ? std::string_view::npos : b - a);
        }
    }
    std::shared_ptr<const InfoBlock> block = index.info_block(i);
    if (!block) return {};
    constexpr std::size_t kEntries = 16;
    if (entries_.size() == kEntries) {
        auto lru = std::min_element(entries_.begin(), entries_.end(),
                                    [](const Entry& a, const Entry& b) { return a.used < b.used; });
        entries_.erase(lru);
    }
    Entry e;
    e.block = block;
    e.text.resize(block->raw_size);
    if (block->raw_size == 0 ||
        ZSTD_decompress(e.text.data(), e.text.size(), block->packed.data(), block->packed.size()) != block->raw_size) {
        e.text.assign(block->count, '\0');  // unreadable block: empty Info texts
    }
    e.starts.reserve(block->count);
    std::uint32_t start = 0;
    for (std::uint32_t k = 0; k < block->count; ++k) {
        e.starts.push_back(start);
        std::size_t end = e.text.find('\0', start);
        start = end == std::string::npos ? static_cast<std::uint32_t>(e.text.size()) : static_cast<std::uint32_t>(end + 1);
    }
    e.used = clock_;
    entries_.push_back(std::move(e));
    return get(index, i);
}

}  // namespace wirelab::viewer
