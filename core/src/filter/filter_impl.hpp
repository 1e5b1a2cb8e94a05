// Display filter internals shared by the lexer, the compiler and the matcher.
#pragma once

#include <cstdint>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "wirelab/filter.hpp"

namespace wirelab::filter_impl {

// ---- Tokens (lexer.cpp) ----

enum class Tok : std::uint8_t {
    end, lparen, rparen, lbrace, rbrace, lbracket, rbracket, comma, dotdot, hash,
    kw_and, kw_or, kw_not, kw_in, kw_any, kw_all,
    eq, ne, all_eq, any_ne, lt, le, gt, ge, contains, matches, bitand_,
    word,       // anything unquoted: a field name, a number, an address, a bare string
    string,     // "..." or r"...", `text` holds it with escapes resolved
    charconst,  // 'a', '\n': `text` holds the one byte
};

struct Token {
    Tok kind = Tok::end;
    std::size_t pos = 0;  // byte offset in the filter text
    std::size_t len = 0;  // bytes of filter text it spans
    std::string text;
};

// Splits `text` into tokens ending with Tok::end; on a lexical error fills `err`.
bool lex(std::string_view text, std::vector<Token>& out, FilterError& err);

// An error at bytes [pos, pos + len) of `text`, with the column counted in characters.
FilterError error_at(std::string_view text, std::size_t pos, std::size_t len, std::string message);

// ---- Values (value.cpp) ----

// The ways a value compares; each FieldType maps to one.
enum class Kind : std::uint8_t { none, integer, boolean, time, ipv4, ipv6, ether, bytes, string, protocol };

Kind kind_of(FieldType t);

// A signed or unsigned 64-bit number, so that u64 fields and i32 fields compare exactly.
struct Int {
    bool neg = false;       // never set for zero
    std::uint64_t mag = 0;
    static Int of(std::uint64_t v) { return {false, v}; }
    static Int of_signed(std::int64_t v) {
        return v < 0 ? Int{true, 0 - static_cast<std::uint64_t>(v)} : Int{false, static_cast<std::uint64_t>(v)};
    }
};
int compare(Int a, Int b);

// One value, a field occurrence or a literal: a number, or a view of bytes. Never owns.
struct Scalar {
    Kind kind = Kind::none;
    Int num{};
    const std::uint8_t* p = nullptr;
    std::size_t n = 0;
    unsigned prefix = 0;  // ipv4/ipv6: leading bits that count (32/128 for a field)
};

// <0, 0, >0 as Wireshark orders values of that kind: numbers by value, addresses by their
// common prefix, strings lexicographically, byte sequences shorter first, then by content.
int compare(const Scalar& a, const Scalar& b);
bool contains(const Scalar& hay, const Scalar& needle);

// A literal of the filter converted to the kind of the field it is compared with.
struct Literal {
    Kind kind = Kind::none;
    Int num{};
    std::string bytes;  // addresses, byte strings, strings
    unsigned prefix = 0;
    Scalar view() const {
        return Scalar{kind, num, reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), prefix};
    }
};

// Literal syntax. Each returns false if `s` is not that kind of literal; `why` (when given)
// says what is wrong with something that nearly was.
bool parse_integer(std::string_view s, Int& out);
bool parse_ipv4(std::string_view s, std::uint8_t out[4], unsigned& prefix, std::string* why);
bool parse_ipv6(std::string_view s, std::uint8_t out[16], unsigned& prefix, std::string* why);
bool parse_ether(std::string_view s, std::uint8_t out[6]);
bool parse_byte_string(std::string_view s, std::string& out);
bool parse_seconds(std::string_view s, Int& ns);
bool parse_date(std::string_view s, Int& ns);  // "2024-05-01 12:00:00[.frac]" UTC

// ---- The compiled filter (compile.cpp, match.cpp) ----

enum class Fn : std::uint8_t { none, len, count };

// A field as the filter uses it: every FieldDef with that name (a name may be declared
// twice), plus the layer, slice, mask or function applied to it.
struct FieldRef {
    std::string text;                   // as written: "len(http.host)", for messages
    std::string name;                   // "http.host"
    std::vector<const FieldDef*> defs;
    Kind field_kind = Kind::none;       // of the field itself
    bool is_signed = false;             // i32
    unsigned layer = 0;                 // #N: only the Nth layer of the field's protocol
    const FieldDef* layer_self = nullptr;
    bool sliced = false;
    std::int64_t slice_start = 0;       // negative: from the end
    std::int64_t slice_len = -1;        // -1: to the end
    bool masked = false;
    std::uint64_t mask = 0;
    Fn fn = Fn::none;
    Kind kind() const;                  // what comparisons see
};

enum class Op : std::uint8_t { exists, eq, ne, lt, le, gt, ge, contains, matches, in };

struct SetMember {
    Literal lo, hi;
    bool range = false;
};

struct Relation {
    FieldRef lhs;
    Op op = Op::exists;
    bool all = false;          // every occurrence must pass (and one must exist)
    bool rhs_is_field = false;
    FieldRef rhs;
    Literal value;
    std::vector<SetMember> set;
    std::regex re;  // matches
    std::regex_constants::match_flag_type re_flags = std::regex_constants::match_default;
};

// A node of the expression. and/or take any number of operands (a chain of "or" is one
// node, evaluated by a loop), so evaluation only recurses as deep as parentheses and "not"
// nest, which the compiler bounds.
struct Expr {
    enum class Type : std::uint8_t { and_, or_, not_, rel } type = Type::rel;
    int a = -1;         // not_: the operand's expr index; rel: the relation index
    std::uint32_t first = 0, count = 0;  // and_/or_: operands are operands[first, first + count)
};

constexpr int kMaxNesting = 200;  // parentheses, "not" and functions inside each other

}  // namespace wirelab::filter_impl

namespace wirelab {

struct Filter::Program {
    std::string text;
    std::vector<filter_impl::Expr> exprs;
    std::vector<int> operands;  // of and_/or_ nodes
    std::vector<filter_impl::Relation> rels;
    std::vector<const FieldDef*> fields;
    int root = -1;  // -1: the empty filter
};

}  // namespace wirelab
