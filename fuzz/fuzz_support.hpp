// Helpers the fuzz targets share: reading the fuzzer's bytes a piece at a time, and wrapping
// them in the headers a dissector expects above it (IPv4, UDP, TCP), so each target can aim at
// one parser while the decoder still walks down to it the way it does for a real capture.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wirelab/capture.hpp"
#include "wirelab/decoder.hpp"
#include "wirelab/tree.hpp"

namespace wirelab::fuzz {

// The fuzzer's input, consumed from the front. Running out is not an error: every read past
// the end returns zeros or an empty span, so any input is a valid (if short) test case.
class Input {
public:
    Input(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
    bool empty() const { return pos_ >= size_; }
    std::size_t left() const { return size_ - pos_; }
    std::uint8_t u8() { return pos_ < size_ ? data_[pos_++] : 0; }
    std::uint16_t u16() { return static_cast<std::uint16_t>(u8() << 8 | u8()); }
    std::span<const std::uint8_t> take(std::size_t n) {
        if (n > left()) n = left();
        std::span<const std::uint8_t> s(data_ + pos_, n);
        pos_ += n;
        return s;
    }
    std::span<const std::uint8_t> rest() { return take(left()); }

private:
    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t pos_ = 0;
};

inline std::span<const std::uint8_t> bytes_of(const std::string& s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

inline void put16(std::vector<std::uint8_t>& v, std::size_t at, std::uint16_t x) {
    v[at] = static_cast<std::uint8_t>(x >> 8);
    v[at + 1] = static_cast<std::uint8_t>(x);
}
inline void put32(std::vector<std::uint8_t>& v, std::size_t at, std::uint32_t x) {
    put16(v, at, static_cast<std::uint16_t>(x >> 16));
    put16(v, at + 2, static_cast<std::uint16_t>(x));
}

// 10.0.0.1 is the client, 10.0.0.2 the server, in every frame the targets build.
constexpr std::array<std::uint8_t, 4> kClientAddr{10, 0, 0, 1};
constexpr std::array<std::uint8_t, 4> kServerAddr{10, 0, 0, 2};

// An IPv4 header (RFC 791, no options) in front of `l4`; checksums are left zero, which the
// decoder reports as unverified rather than rejecting.
inline std::vector<std::uint8_t> ipv4(std::uint8_t proto, bool from_client, std::span<const std::uint8_t> l4) {
    std::vector<std::uint8_t> p(20);
    p[0] = 0x45;
    put16(p, 2, static_cast<std::uint16_t>(20 + l4.size()));
    p[8] = 64;
    p[9] = proto;
    const auto& src = from_client ? kClientAddr : kServerAddr;
    const auto& dst = from_client ? kServerAddr : kClientAddr;
    for (int i = 0; i < 4; ++i) p[12 + i] = src[i], p[16 + i] = dst[i];
    p.insert(p.end(), l4.begin(), l4.end());
    return p;
}

inline std::vector<std::uint8_t> udp(std::uint16_t sport, std::uint16_t dport, std::span<const std::uint8_t> payload) {
    std::vector<std::uint8_t> u(8);
    put16(u, 0, sport);
    put16(u, 2, dport);
    put16(u, 4, static_cast<std::uint16_t>(8 + payload.size()));
    u.insert(u.end(), payload.begin(), payload.end());
    return u;
}

enum TcpFlags : std::uint8_t { kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10 };

inline std::vector<std::uint8_t> tcp(std::uint16_t sport, std::uint16_t dport, std::uint32_t seq, std::uint32_t ack,
                                     std::uint8_t flags, std::span<const std::uint8_t> payload) {
    std::vector<std::uint8_t> t(20);
    put16(t, 0, sport);
    put16(t, 2, dport);
    put32(t, 4, seq);
    put32(t, 8, ack);
    t[12] = 5 << 4;  // data offset: 5 words, no options
    t[13] = flags;
    put16(t, 14, 65535);
    t.insert(t.end(), payload.begin(), payload.end());
    return t;
}

// Decodes frames one after another through one Decoder, as `wirelab dump` does for a file
// (conversation and reassembly state carry from frame to frame). The decoder is built once per
// process; reset() before each input makes every input start from a fresh file.
class FrameFeeder {
public:
    explicit FrameFeeder(std::uint32_t link_type) : link_type_(link_type) {
        static Decoder decoder;
        decoder_ = &decoder;
        decoder_->reset();
    }
    void feed(std::span<const std::uint8_t> in) {
        // Frames stay alive for the whole input, as packets in a mapped capture file do.
        const auto& bytes = frames_.emplace_back(in.begin(), in.end());
        Frame f;
        f.number = ++count_;
        f.ts_ns = static_cast<std::int64_t>(count_) * 1'000'000;
        f.wire_len = static_cast<std::uint32_t>(bytes.size());
        f.data = Bytes(bytes.data(), bytes.size());
        decoder_->decode(f, link_type_, tree_, pinfo_);
    }
    Decoder& decoder() { return *decoder_; }
    Tree& tree() { return tree_; }
    PacketInfo& pinfo() { return pinfo_; }

private:
    Decoder* decoder_;
    std::uint32_t link_type_;
    std::uint64_t count_ = 0;
    std::deque<std::vector<std::uint8_t>> frames_;
    Tree tree_;
    PacketInfo pinfo_;
};

// The ipv4 and ipv6 targets: the rest of `in` is packets [2-byte length][bytes], decoded as
// raw IP frames (LINKTYPE_RAW) with the version nibble forced to `version`, so that every
// packet reaches that dissector whatever the fuzzer put there.
inline void feed_ip_packets(Input& in, std::uint8_t version) {
    FrameFeeder feeder(kLinkRaw);
    while (!in.empty()) {
        auto bytes = in.take(in.u16());
        std::vector<std::uint8_t> packet(bytes.begin(), bytes.end());
        if (!packet.empty()) packet[0] = static_cast<std::uint8_t>(version << 4 | (packet[0] & 0x0f));
        feeder.feed(packet);
    }
}

// One TCP connection between kClientAddr:kClientPort and kServerAddr:`server_port`, opened
// with a three-way handshake; then the fuzzer's segments in the format below, each wrapped in
// TCP and IPv4 and fed to the decoder as a raw IP frame.
//
// A segment is [control byte][length byte][length bytes of payload]. The control byte:
//   bit 0     direction: 0 client to server, 1 server to client
//   bits 1-2  flags: 0 ACK|PSH, 1 ACK|FIN, 2 RST, 3 SYN (a new handshake on the same ports)
//   bits 3-7  where the segment sits: 0 next in order; otherwise (k - 16) * 7 bytes from the
//             next expected byte, which gives retransmissions, overlaps and gaps.
class TcpConversation {
public:
    static constexpr std::uint16_t kClientPort = 40000;

    explicit TcpConversation(std::uint16_t server_port) : feeder_(kLinkRaw), server_port_(server_port) {
        handshake();
    }

    void handshake() {
        next_[0] = 1000, next_[1] = 5000;
        send(true, next_[0] - 1, kSyn, {});
        send(false, next_[1] - 1, kSyn | kAck, {});
        send(true, next_[0], kAck, {});
    }

    // Sends `payload` in order in one direction (for a fixed prefix such as a handshake).
    void send_data(bool from_client, std::span<const std::uint8_t> payload) {
        int d = from_client ? 0 : 1;
        send(from_client, next_[d], kAck | kPsh, payload);
        next_[d] += static_cast<std::uint32_t>(payload.size());
    }

    // Plays the rest of `in` as segments.
    void play(Input& in) {
        while (!in.empty()) {
            std::uint8_t control = in.u8();
            std::size_t len = in.u8();
            auto payload = in.take(len);
            bool from_client = (control & 1) == 0;
            int d = from_client ? 0 : 1;
            int where = control >> 3;
            std::uint32_t seq = next_[d] + (where == 0 ? 0u : static_cast<std::uint32_t>((where - 16) * 7));
            switch ((control >> 1) & 3) {
            case 0:
                send(from_client, seq, kAck | kPsh, payload);
                break;
            case 1:
                send(from_client, seq, kAck | kFin, payload);
                break;
            case 2:
                send(from_client, seq, kRst, {});
                break;
            case 3:
                handshake();
                continue;
            }
            std::uint32_t end = seq + static_cast<std::uint32_t>(payload.size());
            if (static_cast<std::int32_t>(end - next_[d]) > 0) next_[d] = end;
        }
    }

    FrameFeeder& feeder() { return feeder_; }

private:
    void send(bool from_client, std::uint32_t seq, std::uint8_t flags, std::span<const std::uint8_t> payload) {
        std::uint32_t ack = (flags & kAck) ? next_[from_client ? 1 : 0] : 0;
        auto seg = from_client ? tcp(kClientPort, server_port_, seq, ack, flags, payload)
                               : tcp(server_port_, kClientPort, seq, ack, flags, payload);
        feeder_.feed(ipv4(6, from_client, seg));
    }

    FrameFeeder feeder_;
    std::uint16_t server_port_;
    std::uint32_t next_[2] = {1000, 5000};
};

}  // namespace wirelab::fuzz
