// Application protocols over a TCP byte stream, and the reassembly that feeds them whole
// messages (RFC 9293 section 3.10: TCP delivers bytes, not messages; the application must find
// the message boundaries itself).
//
// The TCP dissector keeps, per connection and direction, the next expected sequence number,
// the bytes of a message that is not complete yet, and segments that arrived early. A
// StreamProtocol says how long the message starting at a boundary is; the TCP dissector calls
// dissect_message() once the whole message is there, from the frame's own bytes when it fits
// in one segment, or from a "Reassembled TCP" data source listing the frames it came from.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "wirelab/dissect.hpp"

namespace wirelab {

class StreamProtocol;

// Per-connection state an application protocol keeps (HTTP: the request methods waiting for
// their responses; WebSocket: a fragmented message being collected).
struct StreamState {
    virtual ~StreamState() = default;
};

// What a StreamProtocol knows about the connection a message belongs to.
struct StreamCtx {
    std::uint32_t stream = 0;   // tcp.stream
    int direction = 0;          // 0: from the side that opened (or first spoke), 1: the reverse
    std::uint32_t server_port = 0;
    std::unique_ptr<StreamState>* state = nullptr;  // the protocol's state for this connection
    StreamProtocol* next = nullptr;  // set by a protocol to hand the rest of the stream over (101 Upgrade)
    std::uint32_t frame = 0;    // the frame completing the message
    bool at_close = false;      // the sending side closed: no more bytes will come
    // Set by message_length() when the length it returned, larger than the data, will not
    // change as more bytes of the message come (as long as no other message of the connection
    // is decoded meanwhile): the TCP dissector then waits for them without asking again.
    bool length_settled = false;
    // Set with length_settled when the protocol never reads the message's bytes from this
    // offset on if the tree keeps no field (Tree::keeps_fields): an HTTP body that nothing
    // decodes. Reassembly then counts those bytes instead of copying them (they read as
    // zeros). Only for a length that cannot change, whatever else the connection carries
    // meanwhile. 0: every byte may be read.
    std::size_t unread_from = 0;
    // Set with `next` by HTTP's 101 response: what the new protocol needs to know.
    std::string upgrade_uri;
    std::string upgrade_extensions;

    template <class S>
    S& get() {
        if (!*state) *state = std::make_unique<S>();
        return static_cast<S&>(**state);
    }
};

class StreamProtocol {
public:
    static constexpr std::int64_t kNeedMore = 0;   // cannot tell the length yet: wait for bytes
    static constexpr std::int64_t kNotMine = -1;   // these bytes are not this protocol

    virtual ~StreamProtocol() = default;
    virtual const ProtocolDef& protocol() const = 0;
    // Heuristic: do the first bytes a side sent look like this protocol?
    virtual bool detect(const Tvb& first, const StreamCtx& s) const {
        (void)first;
        (void)s;
        return false;
    }
    // Length of the message starting at byte 0 of `data` (all the bytes seen so far from that
    // boundary on). May be larger than data.size(): the TCP dissector waits for the rest.
    virtual std::int64_t message_length(const Tvb& data, StreamCtx& s) = 0;
    // Decodes one whole message.
    virtual void dissect_message(const Tvb& msg, Ctx& ctx, StreamCtx& s) = 0;
    // As Dissector::sole_protocols: what the protocol can put in a segment that begins in it,
    // when no other application protocol can then be in that segment (WebSocket after the
    // 101: frames and what they carry); empty when another can (HTTP: a 101 and the first
    // frames may share a segment). The TCP dissector leaves a protocol out only for segments
    // that begin in it, so the segment in which HTTP hands over is still decoded in full.
    virtual std::span<const ProtocolDef* const> sole_protocols() const { return {}; }
    bool left_out() const { return left_out_; }

private:
    friend class Registry;
    bool left_out_ = false;
};

}  // namespace wirelab
