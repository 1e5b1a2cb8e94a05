// The selected packet's worker (see packet_decoder.hpp).
#include "model/packet_decoder.hpp"

namespace wirelab::viewer {

PacketDecoder::PacketDecoder() { thread_ = std::thread([this] { run(); }); }

PacketDecoder::~PacketDecoder() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        quit_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

void PacketDecoder::request(std::shared_ptr<const CaptureData> data, std::size_t index) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        want_data_ = std::move(data);
        want_index_ = index;
        pending_ = true;
    }
    wake_.notify_all();
}

std::shared_ptr<const DecodedPacket> PacketDecoder::result() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return result_;
}

bool PacketDecoder::busy() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return pending_ || working_;
}

void PacketDecoder::run() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
        wake_.wait(lock, [this] { return quit_ || pending_; });
        if (quit_) return;
        std::shared_ptr<const CaptureData> data = want_data_;
        std::size_t index = want_index_;
        pending_ = false;
        working_ = true;
        lock.unlock();
        std::shared_ptr<DecodedPacket> p = data ? decode(data, index) : nullptr;
        lock.lock();
        if (p) result_ = std::move(p);
        working_ = false;
    }
}

std::shared_ptr<DecodedPacket> PacketDecoder::decode(const std::shared_ptr<const CaptureData>& shared,
                                                     std::size_t index) {
    const CaptureData& data = *shared;
    if (index >= data.index().size()) return nullptr;
    if (position_data_ != shared || index < next_) {
        // Start again: from packet 1, or from kContext packets back for a far jump.
        decoder_.reset();
        position_data_ = shared;
        next_ = 0;
        exact_ = true;
        if (index > kExactRestart) {
            next_ = index - kContext;
            exact_ = false;
        }
    }
    auto p = std::make_shared<DecodedPacket>();
    PacketInfo pinfo;
    Frame f;
    const PacketIndex& idx = data.index();
    std::uint64_t released = next_ < idx.size() ? idx[next_].data_offset : 0;
    for (; next_ < index; ++next_) {
        // Stop early if a newer request came: its decode continues from here.
        if ((next_ & 1023) == 0) {
            std::lock_guard<std::mutex> lock(mutex_);
            if (pending_ || quit_) return nullptr;
            // A long run forward reads much of the file: let its pages go behind us.
            if (idx[next_].data_offset > released + (16u << 20)) {
                data.bytes().release(released, idx[next_].data_offset - released);
                released = idx[next_].data_offset;
            }
        }
        if (data.frame(next_, f)) decoder_.decode(f, idx[next_].link_type, p->tree, pinfo, false);
    }
    if (!data.frame(index, p->frame)) return nullptr;
    p->index = index;
    p->link_type = idx[index].link_type;
    decoder_.decode(p->frame, p->link_type, p->tree, pinfo, true);
    next_ = index + 1;
    p->protocol = std::string(pinfo.protocol);
    p->info = pinfo.info;
    p->exact = exact_;
    if (!exact_)
        p->context_note = "Decoded with only the " + std::to_string(kContext) +
                          " packets before it as context (a far jump back in a big capture): TCP stream numbers, "
                          "relative sequence numbers and reassembly may differ from the packet list, which is exact.";
    finish_decoded_packet(*p);
    return p;
}

std::shared_ptr<DecodedPacket> PacketDecoder::decode_now(const CaptureData& data, std::size_t index) {
    if (index >= data.index().size()) return nullptr;
    Decoder d;
    auto p = std::make_shared<DecodedPacket>();
    PacketInfo pinfo;
    Frame f;
    for (std::size_t i = 0; i < index; ++i)
        if (data.frame(i, f)) d.decode(f, data.index()[i].link_type, p->tree, pinfo, false);
    if (!data.frame(index, p->frame)) return nullptr;
    p->index = index;
    p->link_type = data.index()[index].link_type;
    d.decode(p->frame, p->link_type, p->tree, pinfo, true);
    p->protocol = std::string(pinfo.protocol);
    p->info = pinfo.info;
    finish_decoded_packet(*p);
    return p;
}

}  // namespace wirelab::viewer
