// Taps: data gathered across packets for stream following and ladder diagrams. They keep
// plain data (chunks, arrows) that the command line prints and the viewer draws.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "wirelab/capture.hpp"
#include "wirelab/dissect.hpp"
#include "wirelab/tree.hpp"

namespace wirelab {

class Tap {
public:
    virtual ~Tap() = default;
    virtual void packet(const Tree& tree, const Frame& frame, const PacketInfo& pinfo) = 0;
    // Appends the report, as `tshark -q -z ...` prints it.
    virtual void report(std::string& out) const = 0;
};

// The bytes of one TCP connection in the order the application saw them: retransmitted
// bytes once, each segment's new data as a chunk (`-z follow,tcp,ascii|hex,N`).
class FollowTcp final : public Tap {
public:
    enum class Mode { ascii, hex };
    struct Chunk {
        int node = 0;              // 0: the side that sent first, 1: the other
        std::uint64_t frame = 0;
        std::vector<std::uint8_t> bytes;
    };
    FollowTcp(const Registry& reg, std::uint32_t stream, Mode mode);
    void packet(const Tree& tree, const Frame& frame, const PacketInfo& pinfo) override;
    void report(std::string& out) const override;
    const std::vector<Chunk>& chunks() const { return chunks_; }

private:
    const FieldDef *stream_f_, *seq_f_, *payload_f_, *syn_f_;
    std::uint32_t stream_;
    Mode mode_;
    bool have_nodes_ = false;
    Address addr_[2];
    std::uint32_t port_[2] = {0, 0};
    bool next_known_[2] = {false, false};
    std::uint32_t next_[2] = {0, 0};
    std::vector<Chunk> chunks_;
};

// The messages of one WebSocket connection (`-z follow,websocket,N`, N its tcp.stream):
// text as text, binary as hex, control frames named.
class FollowWebSocket final : public Tap {
public:
    struct Message {
        int node = 0;
        std::uint64_t frame = 0;
        std::string kind;   // "text", "binary", "ping", "pong", "close"
        std::vector<std::uint8_t> bytes;
        std::uint32_t close_code = 0;
    };
    FollowWebSocket(const Registry& reg, std::uint32_t stream);
    void packet(const Tree& tree, const Frame& frame, const PacketInfo& pinfo) override;
    void report(std::string& out) const override;
    const std::vector<Message>& messages() const { return messages_; }

private:
    const FieldDef *stream_f_, *text_f_, *binary_f_, *ping_f_, *pong_f_, *close_f_, *opcode_f_;
    std::uint32_t stream_;
    bool have_nodes_ = false;
    Address addr_[2];
    std::uint32_t port_[2] = {0, 0};
    std::vector<Message> messages_;
};

// A ladder (sequence) diagram of TCP segments between hosts (`-z flow,tcp`).
class FlowTcp final : public Tap {
public:
    struct Arrow {
        std::int64_t rel_ns = 0;
        std::uint64_t frame = 0;
        int from = 0, to = 0;          // indexes into nodes()
        std::uint32_t src_port = 0, dst_port = 0;
        std::string label;             // "SYN, ACK"
        std::string comment;           // "Seq = 0 Ack = 1 Len = 0"
    };
    explicit FlowTcp(const Registry& reg);
    void packet(const Tree& tree, const Frame& frame, const PacketInfo& pinfo) override;
    void report(std::string& out) const override;
    const std::vector<Arrow>& arrows() const { return arrows_; }
    // The endpoints (address and port): on loopback every host is 127.0.0.1, so the ports
    // are what tells the two sides apart.
    struct Endpoint {
        Address address;
        std::uint32_t port = 0;
        bool operator==(const Endpoint&) const = default;
        std::string str() const;
    };
    const std::vector<Endpoint>& nodes() const { return nodes_; }

private:
    int node(const Address& a, std::uint32_t port);
    const FieldDef *flags_f_, *seq_f_, *ack_f_, *len_f_;
    std::vector<Endpoint> nodes_;
    std::vector<Arrow> arrows_;
};

// Builds the tap named by a `-z` argument ("follow,tcp,ascii,0", "flow,tcp"); nullptr and a
// message naming what is accepted when the argument is not understood.
std::unique_ptr<Tap> make_tap(const Registry& reg, const std::string& arg, std::string& error);

}  // namespace wirelab
