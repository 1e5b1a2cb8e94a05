// The decoded packet: a flat, pre-order list of nodes (layers and fields) with depths.
//
// A node's offset and length are exactly the bytes the hex pane highlights. Nodes are plain
// values in a vector that is reused from packet to packet, so decoding allocates nothing in
// the steady state.
#pragma once

#include <cstdint>
#include <span>
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
    // What add() returns for a node the tree does not keep (see keep_only). Every Tree call
    // that takes a node index accepts it and does nothing with it.
    static constexpr std::size_t kDropped = ~std::size_t{0};

    // A sparse tree: from now on the tree keeps only every layer (the protocol nodes), every
    // node marked malformed, and the nodes of `fields`; add() drops every other node and
    // returns kDropped. Depths stay those of the full tree, so the nodes it keeps are exactly
    // the full tree's nodes of those kinds, in the same order. It is what a reader that looks
    // at a few fields needs (-T fields, a display filter, the viewer's index), and it spares
    // the other ninety-odd nodes a packet has: the dissectors still read every header, keep
    // every conversation and reassemble every stream, as tshark does when no tree is shown.
    void keep_only(std::span<const FieldDef* const> fields) {
        keep_.assign(fields.begin(), fields.end());
        bloom_ = 0;
        for (const FieldDef* f : keep_) bloom_ |= std::uint64_t{1} << bloom_bit(f);
        mode_ = keep_.empty() ? Mode::layers : Mode::sparse;
    }
    void keep_all() {
        mode_ = Mode::full;
        keep_.clear();
        bloom_ = 0;
    }
    bool sparse() const { return mode_ != Mode::full; }
    // False when the tree keeps only the layers (and malformed nodes): a dissector may then
    // skip a group of fields that are only shown, never read, at one test for the group, as
    // Wireshark's dissectors do with `if (tree)`. The bytes under such a group must already be
    // known to be there, so that skipping it cannot skip a truncation or malformed mark.
    bool keeps_fields() const { return mode_ != Mode::layers; }
    // Whether a node of `f` with `flags` would be kept.
    bool keeps(const FieldDef& f, std::uint8_t flags = 0) const { return !drops(f, flags); }

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
        if (index != kDropped) nodes_[index].length = static_cast<std::uint32_t>(len);
        if (depth_ > 0) --depth_;
    }
    void close(std::size_t index) {
        if (depth_ > 0) --depth_;
        (void)index;
    }

    [[gnu::always_inline]] std::size_t add(const FieldDef& f, const Tvb& tvb, std::size_t off, std::size_t len,
                                           std::uint64_t value, std::uint8_t flags = 0) {
        if (drops(f, flags)) return kDropped;
        return append(f, tvb, off, len, value, flags);
    }
    std::size_t add_text(const FieldDef& f, const Tvb& tvb, std::size_t off, std::size_t len,
                         std::string_view text, std::uint8_t flags = 0) {
        if (drops(f, flags)) return kDropped;
        std::uint64_t ref = std::uint64_t(text_.size()) << 32 | text.size();
        text_.append(text);
        return add(f, tvb, off, len, ref, static_cast<std::uint8_t>(flags | kHasText));
    }

    // Gives node `index` a text value known only after it was added (frame.protocols).
    void set_text(std::size_t index, std::string_view text) {
        if (index == kDropped) return;
        nodes_[index].value = std::uint64_t(text_.size()) << 32 | text.size();
        nodes_[index].flags |= kHasText;
        text_.append(text);
    }

    // Gives node `index` a value known only after it was added (a subtree's heading).
    void set_value(std::size_t index, std::uint64_t value) {
        if (index != kDropped) nodes_[index].value = value;
    }
    // Inserts `n` at position `at` (a link-layer trailer goes back into its layer), if the
    // tree keeps nodes of its field; returns the position after it.
    std::size_t insert(std::size_t at, const Node& n) {
        if (drops(*n.field, n.flags)) return at;
        return static_cast<std::size_t>(nodes_.insert(nodes_.begin() + at, n) - nodes_.begin()) + 1;
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
    // Frees every reassembled buffer that holds more than `max_bytes`. A tree that is reused
    // for packet after packet keeps its buffers; one of many kept side by side (dump's writer
    // ring) would otherwise hold on to the largest message it ever carried.
    void trim_sources(std::size_t max_bytes) {
        for (DataSource& s : sources_)
            if (s.bytes.capacity() > max_bytes) std::vector<std::uint8_t>().swap(s.bytes);
    }
    const DataSource& source(std::size_t n) const { return sources_[n - 1]; }  // n >= 1

    const NodeList& nodes() const { return nodes_; }
    NodeList& nodes() { return nodes_; }
    std::uint16_t depth() const { return depth_; }
    void set_depth(std::uint16_t d) { depth_ = d; }

private:
    std::size_t append(const FieldDef& f, const Tvb& tvb, std::size_t off, std::size_t len, std::uint64_t value,
                       std::uint8_t flags) {
        // A field is clamped to the bytes that exist: a truncated packet never points past its end.
        if (off > tvb.size()) off = tvb.size();
        std::size_t avail = tvb.size() - off;
        if (len > avail) len = avail;
        nodes_.push_back(Node{&f, value, tvb.base() + static_cast<std::uint32_t>(off),
                              static_cast<std::uint32_t>(len), depth_, tvb.source(), flags});
        return nodes_.size() - 1;
    }

    // Most fields a dissector adds to a sparse tree are dropped, so this is inlined where a
    // dissector adds a field: there the field's type and the flags are constants, and a tree
    // that keeps only the layers (--decode-only, summary lines) drops a field at a test of
    // mode_. On the bench capture that took 9% off the instructions of --decode-only.
    [[gnu::always_inline]] bool drops(const FieldDef& f, std::uint8_t flags) const {
        if (mode_ == Mode::full || f.type == FieldType::protocol || (flags & kMalformed)) return false;
        if (mode_ == Mode::layers) return true;
        // One bit of a 64-bit mask per kept field: most dropped fields stop here, at a
        // multiply, a shift and a test.
        if (!(bloom_ >> bloom_bit(&f) & 1)) return true;
        for (const FieldDef* k : keep_)
            if (k == &f) return false;
        return true;
    }

    static unsigned bloom_bit(const FieldDef* f) {
        return static_cast<unsigned>((reinterpret_cast<std::uintptr_t>(f) * 0x9e3779b97f4a7c15u) >> 58);
    }

    NodeList nodes_;
    std::string text_;
    // full: every node; layers: the layers and malformed nodes alone; sparse: those and keep_.
    enum class Mode : std::uint8_t { full, layers, sparse } mode_ = Mode::full;
    std::uint64_t bloom_ = 0;
    std::vector<const FieldDef*> keep_;
    std::vector<DataSource> sources_;
    std::size_t sources_used_ = 0;
    std::uint16_t depth_ = 0;
};

}  // namespace wirelab
