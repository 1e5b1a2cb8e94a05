// How values print: tshark's -T fields text, the -V tree lines, summary lines and JSON.
#pragma once

#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "wirelab/capture.hpp"
#include "wirelab/dissect.hpp"
#include "wirelab/tree.hpp"

namespace wirelab {

// Text on its way to the output file, written through a pointer. -V, the summary lines and
// -T fields ask for room for a whole line (room), write it and say where it ended (commit):
// a std::string would zero that room first (resize) or check its capacity at every piece.
class OutBuffer {
public:
    // At least `n` characters that may be written from the returned pointer on.
    char* room(std::size_t n) {
        if (static_cast<std::size_t>(limit_ - end_) < n) grow(n);
        return end_;
    }
    // The text now ends at `end` (a pointer from room() moved past what was written).
    void commit(char* end) { end_ = end; }
    OutBuffer& operator+=(std::string_view s) {
        if (s.empty()) return *this;  // an empty view may have no data() to copy from
        std::memcpy(room(s.size()), s.data(), s.size());
        end_ += s.size();
        return *this;
    }
    OutBuffer& operator+=(char c) {
        *room(1) = c;
        ++end_;
        return *this;
    }
    std::size_t size() const { return static_cast<std::size_t>(end_ - data_.get()); }
    std::string_view view() const { return {data_.get(), size()}; }
    void clear() { end_ = data_.get(); }
    // Drops the text after its first `n` characters (n <= size()).
    void truncate(std::size_t n) { end_ = data_.get() + n; }

private:
    void grow(std::size_t n);
    std::unique_ptr<char[]> data_;
    char* end_ = nullptr;
    char* limit_ = nullptr;
};

// Writers of a few values at `w`, returning where they end; the caller makes room for
// kValueRoom characters.
constexpr std::size_t kValueRoom = 64;
char* put_uint(char* w, std::uint64_t v);
char* put_address(char* w, const Address& a);

// Appends the value of `n` exactly as `tshark -T fields` prints it.
void append_field_value(std::string& out, const Tree& tree, const Frame& frame, const Node& n);
void append_field_value(OutBuffer& out, const Tree& tree, const Frame& frame, const Node& n);
// Appends the tree line shown by -V ("Source Port: 443", ".... ..1. = Syn: Set").
void append_tree_line(std::string& out, const Tree& tree, const Frame& frame, const Node& n);
// Appends the whole -V row of `n`: four spaces a level of depth, the tree line, `tag` and a
// line feed, with the string grown once.
void append_tree_row(OutBuffer& out, const Tree& tree, const Frame& frame, const Node& n, std::string_view tag);
// Appends the value as display text (value names resolved), used by the line and JSON.
void append_display_value(std::string& out, const Tree& tree, const Frame& frame, const Node& n);
void append_display_value(OutBuffer& out, const Tree& tree, const Frame& frame, const Node& n);

void append_ipv4(std::string& out, const std::uint8_t* p);
void append_ipv6(std::string& out, const std::uint8_t* p);
void append_ether(std::string& out, const std::uint8_t* p);
void append_address(std::string& out, const Address& a);
// "2026-11-26 01:08:41.997391230 UTC" from nanoseconds since the Unix epoch.
void append_utc(std::string& out, std::int64_t ns);
void append_uint(std::string& out, std::uint64_t v);
void append_hex(std::string& out, std::uint64_t v, int digits);
void append_json_string(std::string& out, std::string_view s);
void append_json_string(OutBuffer& out, std::string_view s);
void append_uint(OutBuffer& out, std::uint64_t v);
// "1.234567890" style seconds with `decimals` digits from nanoseconds.
void append_seconds(std::string& out, std::int64_t ns, int decimals);

}  // namespace wirelab
