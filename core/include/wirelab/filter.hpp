// Display filters: Wireshark's filter language (`tcp.port == 80 and not arp`), compiled once
// against the Registry's field tables and matched against decoded trees.
//
// The syntax and meaning are Wireshark 4.0's (wireshark-filter(4)):
//   tcp, tcp.options.mss_val  presence of a protocol or field (hidden fields count: ip.addr)
//   tcp.port == 80            true if ANY occurrence matches (tcp.port occurs twice)
//   ip.addr != 10.0.0.1       4.0: "not ==": the field occurs and EVERY occurrence differs;
//                             ~=, !== and any_ne: some occurrence differs; === all_eq: all equal
//   == != < <= > >= and eq ne lt le gt ge; contains; matches or ~ (a regular expression,
//                             caseless unless it starts with (?-i), as in Wireshark)
//   and && or || not ! ( )    not binds tighter than and, and tighter than or
//   tcp.port in {80, 443, 8000..8080}, not in; tcp.flags & 0x02 (alone, or compared);
//   any / all tcp.port > 1024; eth.src[0:3] slices; ip.src#2 (second IP layer);
//   len(http.host), count(ip.addr)
// Values: 80 0x50 0120 0b1010000 'P'; 1 0 True False; value names (ip.proto == TCP);
// "strings" with C escapes and r"raw strings"; 10.0.0.0/8; fe80::/10; aa:bb:cc:dd:ee:ff
// (also - . and no separator); byte strings aa:bb:cc; bare words for strings (== GET).
//
// Where wirelab differs from tshark 4.0:
//   - Names are those of wirelab's Registry (`wirelab dump -G fields`); any other name,
//     even one Wireshark knows, is "neither a protocol nor a field".
//   - Regular expressions are ECMAScript (std::regex), not PCRE2: no look-behind, no
//     back-references, and of the inline flags only a leading (?i) or (?-i).
//   - Host names are never looked up (ip.addr == example.com is an error).
//   - One range per slice ([0:2,4] is an error); only byte-valued fields can be sliced.
//   - Functions are len() and count() only; no arithmetic, no ${field} references, no
//     layer ranges (#[1-2]); set members are values, not fields.
//   - A negative number for an unsigned field is an error (tshark accepts it and never
//     matches); so is a comparison of a field that has no value (a label).
//   - Absolute times compare with seconds since 1970 or "YYYY-MM-DD HH:MM:SS" (UTC).
//   - A protocol's bytes (tcp contains "GET") run from its header to the end of the last
//     field after it in the same buffer, which stands for Wireshark's "rest of the tvb".
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wirelab/capture.hpp"
#include "wirelab/dissect.hpp"
#include "wirelab/tree.hpp"

namespace wirelab {

// Why a filter did not compile, and where.
struct FilterError {
    std::size_t column = 0;  // 1-based position in the filter text, in characters; 0: nowhere
    std::size_t length = 0;  // characters the problem spans (at least 1 when column is set)
    std::string message;     // "expected a value after '==', found end of filter"
    std::string str() const;  // "column 13: expected a value after '==', found end of filter"
};

// The filter text with a marker under the place an error points at, as tshark shows it:
//     tcp.port == 99999
//                 ^~~~~
std::string filter_error_marker(std::string_view text, const FilterError& err);

class Filter {
public:
    // The empty filter: matches every packet.
    Filter();

    // Compiles `text`: field names become FieldDef pointers and values are converted to the
    // field's type once, here. An empty (or blank) text gives the empty filter. On error
    // returns nothing and fills `err`.
    static std::optional<Filter> compile(std::string_view text, const Registry& reg, FilterError& err);

    // Whether the decoded packet passes. `frame` must be the frame `tree` was decoded from
    // (nodes point into its bytes). Safe to call from several threads at once.
    bool match(const Tree& tree, const Frame& frame) const;

    bool empty() const;             // matches everything
    const std::string& text() const;
    // Every field and protocol the filter reads (for a view that highlights them).
    std::span<const FieldDef* const> fields() const;
    // The fields a sparse tree (Tree::keep_only) must keep for match() to answer as it does on
    // the full tree: fields(). Nothing when no sparse tree will do: the filter reads a
    // protocol's bytes (`tcp contains "GET"`, `len(udp)`, `eth[0:2]`), which run to the end of
    // the last field after its layer, whatever field that is.
    std::optional<std::vector<const FieldDef*>> sparse_fields() const;
    // Protocols of which every packet the filter passes holds at least one (as a layer or a
    // field): `http.request.method == "GET" or websocket` gives {http, websocket}. Nothing when
    // the filter can pass a packet whatever protocols it holds (`not dns`, `count(ip.addr) > 1`,
    // the empty filter).
    std::optional<std::vector<const ProtocolDef*>> required_protocols() const;

    struct Program;  // the compiled form (core/src/filter/filter_impl.hpp)

private:
    explicit Filter(std::shared_ptr<const Program> p);
    std::shared_ptr<const Program> program_;  // shared: copies of a filter are cheap
};

}  // namespace wirelab
