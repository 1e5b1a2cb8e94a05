// How values print: tshark's -T fields text, the -V tree lines, summary lines and JSON.
#pragma once

#include <string>
#include <string_view>

#include "wirelab/capture.hpp"
#include "wirelab/dissect.hpp"
#include "wirelab/tree.hpp"

namespace wirelab {

// Appends the value of `n` exactly as `tshark -T fields` prints it.
void append_field_value(std::string& out, const Tree& tree, const Frame& frame, const Node& n);
// Appends the tree line shown by -V ("Source Port: 443", ".... ..1. = Syn: Set").
void append_tree_line(std::string& out, const Tree& tree, const Frame& frame, const Node& n);
// Appends the value as display text (value names resolved), used by the line and JSON.
void append_display_value(std::string& out, const Tree& tree, const Frame& frame, const Node& n);

void append_ipv4(std::string& out, const std::uint8_t* p);
void append_ipv6(std::string& out, const std::uint8_t* p);
void append_ether(std::string& out, const std::uint8_t* p);
void append_address(std::string& out, const Address& a);
// "2026-11-26 01:08:41.997391230 UTC" from nanoseconds since the Unix epoch.
void append_utc(std::string& out, std::int64_t ns);
void append_uint(std::string& out, std::uint64_t v);
void append_hex(std::string& out, std::uint64_t v, int digits);
void append_json_string(std::string& out, std::string_view s);
// "1.234567890" style seconds with `decimals` digits from nanoseconds.
void append_seconds(std::string& out, std::int64_t ns, int decimals);

}  // namespace wirelab
