// Decodes the selected packet in full on a worker thread.
//
// Decoding is stateful (TCP stream numbers, relative sequence numbers, reassembly), so packet N
// is decoded by a decoder that has seen the packets before it. The worker keeps its decoder
// and where it stopped: selecting a later packet decodes forward from there (moving down the
// list costs one packet a step); selecting an earlier one starts again from packet 1 when that
// is at most kExactRestart packets of work, and otherwise decodes only the kContext packets
// before it, which gives TCP and HTTP their recent state but may number TCP streams and
// sequence numbers differently from the list (the tree says so in a note). The packet list
// itself always shows the exact columns of the index pass.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "model/capture_data.hpp"
#include "model/decoded_packet.hpp"
#include "wirelab/decoder.hpp"

namespace wirelab::viewer {

class PacketDecoder {
public:
    static constexpr std::size_t kExactRestart = 200000;
    static constexpr std::size_t kContext = 5000;

    PacketDecoder();
    ~PacketDecoder();
    PacketDecoder(const PacketDecoder&) = delete;
    PacketDecoder& operator=(const PacketDecoder&) = delete;

    // Asks for packet `index` of `data` (replacing any request not started yet).
    void request(std::shared_ptr<const CaptureData> data, std::size_t index);
    // The last packet decoded (nullptr before the first).
    std::shared_ptr<const DecodedPacket> result() const;
    bool busy() const;
    // Decodes synchronously on the calling thread (tests).
    static std::shared_ptr<DecodedPacket> decode_now(const CaptureData& data, std::size_t index);

private:
    void run();
    std::shared_ptr<DecodedPacket> decode(const std::shared_ptr<const CaptureData>& data, std::size_t index);
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::shared_ptr<const CaptureData> want_data_;
    std::size_t want_index_ = 0;
    bool pending_ = false, working_ = false, quit_ = false;
    std::shared_ptr<const DecodedPacket> result_;
    // Worker-only state: the decoder and how far it has read.
    Decoder decoder_;
    std::shared_ptr<const CaptureData> position_data_;
    std::size_t next_ = 0;  // the next packet the decoder has not seen
    bool exact_ = true;
    std::thread thread_;
};

}  // namespace wirelab::viewer
