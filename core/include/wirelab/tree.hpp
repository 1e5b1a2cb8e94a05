// The decoded packet: a flat, pre-order list of nodes (layers and fields) with depths.
//
// A node's offset and length are exactly the bytes the hex pane highlights. Nodes are plain
// values in a vector that is reused from packet to packet, so decoding allocates nothing in
// the steady state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "wirelab/bytes.hpp"
#include "wirelab/field.hpp"

namespace wirelab {

enum NodeFlag : std::uint8_t {
    kGenerated = 1,   // computed by the decoder (like Wireshark's [brackets]), not read from bytes
    kHasText = 2,     // value is (offset << 32 | length) into the tree's text arena
    kMalformed = 4,   // this layer or field could not be decoded as the protocol says
    kHidden = 8,      // present for -e and filters, not shown in the tree
};

struct Node {
    const FieldDef* field = nullptr;
    std::uint64_t value = 0;
    std::uint32_t offset = 0;   // in the data source `source`
    std::uint32_t length = 0;
    std::uint16_t depth = 0;
    std::uint8_t source = 0;    // 0 = the frame, n = reassembled buffer n
    std::uint8_t flags = 0;
};

// The nodes of one packet, in order. It is a std::vector with one difference: Tree::add runs
// for every field of every packet (about 90 times a packet), and std::vector::push_back brings
// its reallocation code into every call, which costs a function call and a dozen register saves
// each time. Here the storage only grows when a packet has more nodes than every packet before
// it, in grow(), out of line; appending is a compare and a copy.
class NodeList {
public:
    NodeList() = default;
    NodeList(const NodeList& o) : storage_(o.begin(), o.end()) { point_at(storage_.size()); }
    NodeList(NodeList&& o) noexcept : storage_(std::move(o.storage_)) {
        point_at(static_cast<std::size_t>(o.end_ - o.first_));
        o.point_at(0);
    }
    NodeList& operator=(const NodeList& o) {
        if (this != &o) {
            storage_.assign(o.begin(), o.end());
            point_at(storage_.size());
        }
        return *this;
    }
    NodeList& operator=(NodeList&& o) noexcept {
        if (this != &o) {
            std::size_t n = o.size();
            storage_ = std::move(o.storage_);
            point_at(n);
            o.storage_.clear();
            o.point_at(0);
        }
        return *this;
    }

    std::size_t size() const { return static_cast<std::size_t>(end_ - first_); }
    bool empty() const { return end_ == first_; }
    Node& operator[](std::size_t i) { return first_[i]; }
    const Node& operator[](std::size_t i) const { return first_[i]; }
    Node* begin() { return first_; }
    Node* end() { return end_; }
    const Node* begin() const { return first_; }
    const Node* end() const { return end_; }
    Node& back() { return end_[-1]; }
    const Node& back() const { return end_[-1]; }

    void clear() { end_ = first_; }
    void push_back(const Node& n) {
        if (end_ == limit_) grow();
        *end_++ = n;
    }
    // Inserts `n` before `at` (a link-layer trailer goes back into its layer); returns where it is.
    Node* insert(Node* at, const Node& n);

private:
    void grow();
    // Points first_, end_ and limit_ into storage_, with `count` nodes in use.
    void point_at(std::size_t count) {
        first_ = storage_.data();
        end_ = first_ + count;
        limit_ = first_ + storage_.size();
    }
    std::vector<Node> storage_;  // its size is the capacity; the nodes are [first_, end_)
    // Pointers rather than a count: appending then compiles to a compare, the stores of the
    // node and one increment, with nothing recomputed from the vector.
    Node* first_ = nullptr;
    Node* end_ = nullptr;
    Node* limit_ = nullptr;
};

// A buffer of bytes the decoder built from several frames (reassembled IP datagram, TCP
// stream segment). `frames` lists which frames contributed.
struct DataSource {
    std::string name;
    std::vector<std::uint8_t> bytes;
    std::vector<std::uint32_t> frames;
};

class Tree {
public:
    void clear() {
        nodes_.clear();
        text_.clear();
        sources_used_ = 0;
        depth_ = 0;
    }

    // Opens a layer; fields added until close() nest under it.
    std::size_t open(const FieldDef& f, const Tvb& tvb, std::size_t off, std::size_t len) {
        std::size_t i = add(f, tvb, off, len, 0);
        ++depth_;
        return i;
    }
    void close(std::size_t index, std::size_t len) {
        nodes_[index].length = static_cast<std::uint32_t>(len);
        if (depth_ > 0) --depth_;
    }
    void close(std::size_t index) {
        if (depth_ > 0) --depth_;
        (void)index;
    }

    std::size_t add(const FieldDef& f, const Tvb& tvb, std::size_t off, std::size_t len, std::uint64_t value,
                    std::uint8_t flags = 0) {
        // A field is clamped to the bytes that exist: a truncated packet never points past its end.
        if (off > tvb.size()) off = tvb.size();
        std::size_t avail = tvb.size() - off;
        if (len > avail) len = avail;
        nodes_.push_back(Node{&f, value, tvb.base() + static_cast<std::uint32_t>(off),
                              static_cast<std::uint32_t>(len), depth_, tvb.source(), flags});
        return nodes_.size() - 1;
    }
    std::size_t add_text(const FieldDef& f, const Tvb& tvb, std::size_t off, std::size_t len,
                         std::string_view text, std::uint8_t flags = 0) {
        std::uint64_t ref = std::uint64_t(text_.size()) << 32 | text.size();
        text_.append(text);
        return add(f, tvb, off, len, ref, static_cast<std::uint8_t>(flags | kHasText));
    }

    // Gives node `index` a text value known only after it was added (frame.protocols).
    void set_text(std::size_t index, std::string_view text) {
        nodes_[index].value = std::uint64_t(text_.size()) << 32 | text.size();
        nodes_[index].flags |= kHasText;
        text_.append(text);
    }

    std::string_view text_of(const Node& n) const {
        return std::string_view(text_).substr(n.value >> 32, n.value & 0xffffffffu);
    }

    // Reassembled buffers live in the tree so that they outlive the decoder call.
    DataSource& new_source() {
        if (sources_used_ == sources_.size()) sources_.emplace_back();
        DataSource& s = sources_[sources_used_++];
        s.name.clear();
        s.bytes.clear();
        s.frames.clear();
        return s;
    }
    std::size_t source_count() const { return sources_used_; }
    const DataSource& source(std::size_t n) const { return sources_[n - 1]; }  // n >= 1

    const NodeList& nodes() const { return nodes_; }
    NodeList& nodes() { return nodes_; }
    std::uint16_t depth() const { return depth_; }
    void set_depth(std::uint16_t d) { depth_ = d; }

private:
    NodeList nodes_;
    std::string text_;
    std::vector<DataSource> sources_;
    std::size_t sources_used_ = 0;
    std::uint16_t depth_ = 0;
};

}  // namespace wirelab
