// Display filter compiler: Wireshark 4.0's grammar (epan/dfilter/grammar.lemon) parsed by
// recursive descent into relations over FieldDefs. Field names are looked up and every value
// is converted to its field's type here, once, so that matching only compares.
//
// Precedence, loosest first: or, and, not, then a relation (field, comparison, value).
#include <algorithm>

#include "filter_impl.hpp"

namespace wirelab {

namespace filter_impl {

namespace {

std::string type_phrase(const FieldRef& f) {
    if (f.fn != Fn::none) return "an integer";
    if (f.sliced) return "a byte sequence";
    switch (f.defs[0]->type) {
        case FieldType::none: return "a label without a value";
        case FieldType::protocol: return "a protocol";
        case FieldType::boolean: return "a boolean";
        case FieldType::u8: return "an unsigned 8-bit integer";
        case FieldType::u16: return "an unsigned 16-bit integer";
        case FieldType::u24: return "an unsigned 24-bit integer";
        case FieldType::u32: return "an unsigned 32-bit integer";
        case FieldType::u64: return "an unsigned 64-bit integer";
        case FieldType::i32: return "a signed 32-bit integer";
        case FieldType::framenum: return "a frame number";
        case FieldType::reltime: return "a time offset in seconds";
        case FieldType::abstime: return "an absolute time";
        case FieldType::ether: return "an Ethernet (MAC) address";
        case FieldType::ipv4: return "an IPv4 address";
        case FieldType::ipv6: return "an IPv6 address";
        case FieldType::bytes: return "a byte sequence";
        case FieldType::string: return "a character string";
    }
    return "a value";
}

std::uint64_t max_of(FieldType t) {
    switch (t) {
        case FieldType::u8: return 0xff;
        case FieldType::u16: return 0xffff;
        case FieldType::u24: return 0xffffff;
        case FieldType::u32:
        case FieldType::framenum: return 0xffffffff;
        default: return UINT64_MAX;
    }
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

bool bytes_like(Kind k) { return k == Kind::ether || k == Kind::bytes || k == Kind::protocol; }

bool comparable(Kind a, Kind b) { return a == b || (bytes_like(a) && bytes_like(b)); }

bool is_relop(Tok t) {
    switch (t) {
        case Tok::eq:
        case Tok::ne:
        case Tok::all_eq:
        case Tok::any_ne:
        case Tok::lt:
        case Tok::le:
        case Tok::gt:
        case Tok::ge:
        case Tok::contains:
        case Tok::matches: return true;
        default: return false;
    }
}

// One side of a relation: a field (with its layer, slice, mask or function), or a value
// token still in its written form (its meaning depends on the field on the other side).
struct Operand {
    bool is_field = false;
    FieldRef field;
    Token tok;
    std::size_t pos = 0;
};

class Compiler {
public:
    Compiler(std::string_view text, const Registry& reg, Filter::Program& prog, FilterError& err)
        : text_(text), reg_(reg), prog_(prog), err_(err) {}

    bool run() {
        if (!lex(text_, toks_, err_)) return false;
        if (toks_.size() == 1) return true;  // blank: the empty filter
        int root = parse_or();
        if (root < 0) return false;
        if (cur().kind != Tok::end) {
            if (cur().kind == Tok::rparen) return fail(cur(), "this ')' closes no '('");
            return fail(cur(), "expected 'and', 'or' or the end of the filter, found " + found(cur()));
        }
        prog_.root = root;
        return true;
    }

private:
    const Token& cur() const { return toks_[i_]; }
    const Token& peek() const { return toks_[std::min(i_ + 1, toks_.size() - 1)]; }
    void next() {
        if (i_ + 1 < toks_.size()) ++i_;
    }
    std::size_t prev_end() const { return i_ == 0 ? 0 : toks_[i_ - 1].pos + toks_[i_ - 1].len; }

    bool fail(const Token& at, std::string msg) { return fail_at(at.pos, at.len, std::move(msg)); }
    bool fail_at(std::size_t pos, std::size_t len, std::string msg) {
        if (!failed_) err_ = error_at(text_, pos, len, std::move(msg));
        failed_ = true;
        return false;
    }
    // The same, for the parse functions that return an expression index (-1: failed).
    int reject(const Token& at, std::string msg) {
        fail(at, std::move(msg));
        return -1;
    }
    int reject_at(std::size_t pos, std::size_t len, std::string msg) {
        fail_at(pos, len, std::move(msg));
        return -1;
    }
    int reject_not_a_field(const Operand& o) {
        not_a_field(o);
        return -1;
    }
    std::string written(const Token& t) const { return std::string(text_.substr(t.pos, t.len)); }
    std::string found(const Token& t) const {
        if (t.kind == Tok::end) return "end of filter";
        if (t.kind == Tok::string) return written(t);
        return "'" + written(t) + "'";
    }

    int add_expr(Expr::Type type, int a) {
        prog_.exprs.push_back(Expr{type, a, 0, 0});
        return static_cast<int>(prog_.exprs.size() - 1);
    }
    int add_chain(Expr::Type type, const std::vector<int>& operands) {
        if (operands.size() == 1) return operands[0];
        Expr e{type, -1, static_cast<std::uint32_t>(prog_.operands.size()),
               static_cast<std::uint32_t>(operands.size())};
        prog_.operands.insert(prog_.operands.end(), operands.begin(), operands.end());
        prog_.exprs.push_back(e);
        return static_cast<int>(prog_.exprs.size() - 1);
    }
    // Counts one more level of nesting; false (with an error) past kMaxNesting.
    bool enter(const Token& at) {
        if (++depth_ <= kMaxNesting) return true;
        return fail(at, "the filter nests deeper than " + std::to_string(kMaxNesting) + " levels");
    }
    int add_relation(Relation r) {
        for (const FieldRef* f : {&r.lhs, &r.rhs})
            for (const FieldDef* d : f->defs)
                if (std::find(prog_.fields.begin(), prog_.fields.end(), d) == prog_.fields.end())
                    prog_.fields.push_back(d);
        prog_.rels.push_back(std::move(r));
        return add_expr(Expr::Type::rel, static_cast<int>(prog_.rels.size() - 1));
    }

    // or_expr := and_expr { ("or" | "||") and_expr }
    int parse_or() {
        std::vector<int> terms;
        do {
            if (!terms.empty()) next();
            int t = parse_and();
            if (t < 0) return -1;
            terms.push_back(t);
        } while (cur().kind == Tok::kw_or);
        return add_chain(Expr::Type::or_, terms);
    }

    // and_expr := not_expr { ("and" | "&&") not_expr }
    int parse_and() {
        std::vector<int> terms;
        do {
            if (!terms.empty()) next();
            int t = parse_not();
            if (t < 0) return -1;
            terms.push_back(t);
        } while (cur().kind == Tok::kw_and);
        return add_chain(Expr::Type::and_, terms);
    }

    // not_expr := ("not" | "!") not_expr | "(" or_expr ")" | relation
    int parse_not() {
        if (cur().kind == Tok::kw_not) {
            if (!enter(cur())) return -1;
            next();
            int a = parse_not();
            --depth_;
            return a < 0 ? -1 : add_expr(Expr::Type::not_, a);
        }
        if (cur().kind == Tok::lparen) {
            const Token& open = cur();
            if (!enter(open)) return -1;
            std::size_t open_col = error_at(text_, open.pos, 1, "").column;
            next();
            int e = parse_or();
            if (e < 0) return -1;
            if (cur().kind != Tok::rparen)
                return reject(cur(), "expected ')' to close the '(' at column " + std::to_string(open_col) +
                                         ", found " + found(cur()));
            next();
            --depth_;
            return e;
        }
        return parse_relation();
    }

    // relation := ["any" | "all"] operand [ relop operand | ["not"] "in" set ]
    int parse_relation() {
        bool quantified = false, all = false;
        Token quant;
        if (cur().kind == Tok::kw_any || cur().kind == Tok::kw_all) {
            quantified = true;
            all = cur().kind == Tok::kw_all;
            quant = cur();
            next();
        }
        Operand lhs;
        if (!parse_operand(lhs, quantified ? "expected a field after '" + quant.text + "'"
                                           : "expected a field, a protocol, 'not' or '('"))
            return -1;
        Tok k = cur().kind;
        if (is_relop(k)) {
            Token op = cur();
            next();
            Operand rhs;
            if (!parse_operand(rhs, "expected a value after '" + op.text + "'")) return -1;
            return comparison(lhs, op, rhs, quantified, all);
        }
        if (k == Tok::kw_in || (k == Tok::kw_not && peek().kind == Tok::kw_in)) {
            bool negated = k == Tok::kw_not;
            if (negated) next();
            next();
            return membership(lhs, negated, quantified && all);
        }
        if (quantified)
            return reject(quant, "'" + quant.text + "' needs a comparison after it, as in all tcp.port > 1024");
        return presence(lhs);
    }

    bool not_a_field(const Operand& o) {
        if (o.tok.kind == Tok::word) return fail(o.tok, "\"" + o.tok.text + "\" is neither a protocol nor a field");
        return fail(o.tok, "expected a field or a protocol, found " + found(o.tok));
    }

    int presence(const Operand& lhs) {
        if (!lhs.is_field) return reject_not_a_field(lhs);
        if (cur().kind == Tok::word || cur().kind == Tok::string || cur().kind == Tok::charconst)
            return reject(cur(), "expected an operator after " + lhs.field.text +
                                     " (==, !=, <, >, contains, matches, in...), found " + found(cur()));
        Relation r;
        r.lhs = lhs.field;
        r.op = Op::exists;
        return add_relation(std::move(r));
    }

    int comparison(const Operand& lhs, const Token& op_tok, Operand rhs, bool quantified, bool all) {
        Op op = Op::eq;
        bool all_by_default = false;
        switch (op_tok.kind) {
            case Tok::eq: op = Op::eq; break;
            case Tok::ne:  // Wireshark 4.0: "a != b" is "!(a == b)", so every occurrence differs
                op = Op::ne;
                all_by_default = true;
                break;
            case Tok::all_eq:
                op = Op::eq;
                all_by_default = true;
                break;
            case Tok::any_ne: op = Op::ne; break;
            case Tok::lt: op = Op::lt; break;
            case Tok::le: op = Op::le; break;
            case Tok::gt: op = Op::gt; break;
            case Tok::ge: op = Op::ge; break;
            case Tok::contains: op = Op::contains; break;
            case Tok::matches: op = Op::matches; break;
            default: break;
        }
        if (!lhs.is_field && rhs.is_field)  // Wireshark 4.0 wants the field first
            return reject(lhs.tok, "the left side of '" + op_tok.text + "' must be a field, not " + found(lhs.tok) +
                                       " (write " + rhs.field.text + " " + op_tok.text + " " + written(lhs.tok) + ")");
        if (!lhs.is_field) return reject_not_a_field(lhs);

        Relation r;
        r.lhs = lhs.field;
        r.op = op;
        r.all = quantified ? all : all_by_default;
        Kind k = r.lhs.kind();
        const std::string& name = r.lhs.text;
        if (k == Kind::none)
            return reject_at(lhs.pos, r.lhs.text.size(),
                             name + " is a label without a value: test its presence alone (" + name + "), without '" +
                                 op_tok.text + "'");
        if (op == Op::contains && !(k == Kind::string || bytes_like(k)))
            return reject(op_tok, "'contains' searches strings and bytes; " + name + " is " + type_phrase(r.lhs));
        if (op == Op::matches && !(k == Kind::string || k == Kind::bytes || k == Kind::protocol))
            return reject(op_tok, "'matches' applies to strings and bytes; " + name + " is " + type_phrase(r.lhs));

        if (rhs.is_field) {
            if (op == Op::matches)
                return reject_at(rhs.pos, rhs.field.text.size(), "'matches' needs a regular expression in quotes");
            if (!comparable(k, rhs.field.kind()))
                return reject(op_tok, name + " (" + type_phrase(r.lhs) + ") and " + rhs.field.text + " (" +
                                          type_phrase(rhs.field) + ") cannot be compared");
            r.rhs_is_field = true;
            r.rhs = std::move(rhs.field);
            return add_relation(std::move(r));
        }
        if (op == Op::matches) {
            if (rhs.tok.kind == Tok::charconst)
                return reject(rhs.tok, "'matches' needs a regular expression in quotes");
            if (!compile_regex(rhs.tok, r)) return -1;
            return add_relation(std::move(r));
        }
        // contains looks for any run of bytes, not a whole address.
        Kind want = op == Op::contains && bytes_like(k) ? Kind::bytes : k;
        if (!literal(rhs.tok, want, r.lhs, r.value)) return -1;
        return add_relation(std::move(r));
    }

    // set := "{" member { "," member } "}",  member := value [ ".." value ]
    int membership(const Operand& lhs, bool negated, bool all) {
        if (!lhs.is_field) return reject_not_a_field(lhs);
        Relation r;
        r.lhs = lhs.field;
        r.op = Op::in;
        r.all = all;
        Kind k = r.lhs.kind();
        if (k == Kind::none)
            return reject_at(lhs.pos, r.lhs.text.size(),
                             r.lhs.text + " is a label without a value: test its presence alone");
        if (cur().kind != Tok::lbrace) return reject(cur(), "expected '{' after 'in', found " + found(cur()));
        next();
        while (true) {
            SetMember m;
            if (!set_value(r.lhs, m.lo)) return -1;
            if (cur().kind == Tok::dotdot) {
                next();
                if (!set_value(r.lhs, m.hi)) return -1;
                m.range = true;
            }
            r.set.push_back(std::move(m));
            if (cur().kind == Tok::comma) {
                next();
                continue;
            }
            if (cur().kind == Tok::rbrace) {
                next();
                break;
            }
            bool value = cur().kind == Tok::word || cur().kind == Tok::string || cur().kind == Tok::charconst;
            return reject(cur(), "expected ',' or '}' in the set, found " + found(cur()) +
                                     (value ? " (set members are separated by commas)" : ""));
        }
        int e = add_relation(std::move(r));
        return negated ? add_expr(Expr::Type::not_, e) : e;
    }

    bool set_value(const FieldRef& f, Literal& out) {
        const Token& t = cur();
        if (t.kind != Tok::word && t.kind != Tok::string && t.kind != Tok::charconst)
            return fail(t, "expected a value in the set, found " + found(t));
        if (!literal(t, f.kind(), f, out)) return false;
        next();
        return true;
    }

    // operand := field [ "#" N ] [ "[" slice "]" ] [ "&" N ] | ("len" | "count") "(" field ")" | value
    bool parse_operand(Operand& o, const std::string& expected) {
        const Token& t = cur();
        o.pos = t.pos;
        if (t.kind == Tok::word && peek().kind == Tok::lparen) return function(o);
        if (t.kind == Tok::word && lookup(t.text, o.field)) {
            o.is_field = true;
            next();
            return suffixes(o);
        }
        if (t.kind == Tok::word || t.kind == Tok::string || t.kind == Tok::charconst) {
            o.tok = t;
            next();
            Tok k = cur().kind;
            if (k == Tok::hash || k == Tok::lbracket || (k == Tok::bitand_ && t.kind == Tok::word))
                return not_a_field(o);
            return true;
        }
        return fail(t, expected + ", found " + found(t));
    }

    bool lookup(std::string_view name, FieldRef& f) {
        if (!reg_.field(name)) return false;
        f = FieldRef{};
        f.name = std::string(name);
        f.text = f.name;
        for (const ProtocolDef* p : reg_.protocols())
            for (const FieldDef& d : p->fields) {
                if (d.abbrev != name || std::find(f.defs.begin(), f.defs.end(), &d) != f.defs.end()) continue;
                // A name declared twice keeps one type: the first declaration's.
                if (!f.defs.empty() && kind_of(d.type) != kind_of(f.defs[0]->type)) continue;
                f.defs.push_back(&d);
            }
        if (f.defs.empty()) f.defs.push_back(reg_.field(name));
        f.field_kind = kind_of(f.defs[0]->type);
        f.is_signed = f.defs[0]->type == FieldType::i32;
        return true;
    }

    bool function(Operand& o) {
        const Token& name = cur();
        if (name.text != "len" && name.text != "count") {
            static constexpr std::string_view kOthers[] = {"upper", "lower", "string", "max", "min", "abs"};
            bool wireshark = std::find(std::begin(kOthers), std::end(kOthers), name.text) != std::end(kOthers);
            return fail(name, wireshark ? "wirelab does not have Wireshark's function " + name.text +
                                              "() (it has len() and count())"
                                        : "\"" + name.text + "\" is not a function (there are len() and count())");
        }
        Fn fn = name.text == "len" ? Fn::len : Fn::count;
        std::string fname = name.text;
        if (!enter(name)) return false;
        next();
        next();
        Operand inner;
        if (!parse_operand(inner, "expected a field inside " + fname + "()")) return false;
        --depth_;
        if (!inner.is_field) return fail(inner.tok, fname + "() takes a field, found " + found(inner.tok));
        if (inner.field.fn != Fn::none) return fail_at(inner.pos, inner.field.text.size(), fname + "() takes a field");
        if (cur().kind != Tok::rparen)
            return fail(cur(), "expected ')' after " + fname + "(" + inner.field.text + ", found " + found(cur()));
        next();
        Kind k = inner.field.kind();
        if (fn == Fn::len && !(k == Kind::string || k == Kind::ipv4 || k == Kind::ipv6 || bytes_like(k)))
            return fail_at(inner.pos, inner.field.text.size(),
                           "len() measures strings and bytes; " + inner.field.text + " is " + type_phrase(inner.field));
        o.is_field = true;
        o.field = std::move(inner.field);
        o.field.fn = fn;
        o.field.text = std::string(text_.substr(o.pos, prev_end() - o.pos));
        return true;
    }

    bool suffixes(Operand& o) {
        FieldRef& f = o.field;
        if (cur().kind == Tok::hash) {
            next();
            const Token& n = cur();
            Int v;
            if (n.kind != Tok::word || !parse_integer(n.text, v) || v.neg || v.mag == 0 || v.mag > 255)
                return fail(n,
                            "expected a layer number after '#' (ip.src#2: the source of the second IP header), found " +
                                found(n));
            f.layer = static_cast<unsigned>(v.mag);
            f.layer_self = f.defs[0]->proto ? &f.defs[0]->proto->self() : f.defs[0];
            next();
        }
        if (cur().kind == Tok::lbracket) {
            Token open = cur();
            next();
            std::string spec;
            Token first = cur();
            while (cur().kind != Tok::rbracket) {
                if (cur().kind == Tok::end) return fail(open, "this '[' has no ']'");
                if (cur().kind == Tok::comma) return fail(cur(), "wirelab takes one range per slice: [0:3]");
                if (cur().kind != Tok::word)
                    return fail(cur(), "expected a range such as 0:3 inside [ ], found " + found(cur()));
                spec += cur().text;
                next();
            }
            next();
            Kind k = f.field_kind;
            if (!(k == Kind::string || k == Kind::ipv4 || k == Kind::ipv6 || bytes_like(k)))
                return fail(open, "only byte-valued fields can be sliced; " + f.name + " is " + type_phrase(f));
            if (!slice(spec, f))
                return fail_at(first.pos, prev_end() - 1 - first.pos,
                               "expected a byte range: [i:len], [i-j], [i], [:len] or [i:]");
        }
        if (cur().kind == Tok::bitand_) {
            Token amp = cur();
            next();
            if (f.sliced || !(f.field_kind == Kind::integer || f.field_kind == Kind::boolean))
                return fail(amp, "'&' masks integers; " + f.name + " is " + type_phrase(f));
            const Token& v = cur();
            Int m;
            if (v.kind == Tok::charconst)
                m = Int::of(static_cast<std::uint8_t>(v.text[0]));
            else if (v.kind != Tok::word || !parse_integer(v.text, m) || m.neg)
                return fail(v, "expected a number after '&', found " + found(v));
            f.masked = true;
            f.mask = m.mag;
            next();
        }
        f.text = std::string(text_.substr(o.pos, prev_end() - o.pos));
        return true;
    }

    static bool slice(std::string_view s, FieldRef& f) {
        Int a, b;
        auto colon = s.find(':');
        if (colon != std::string_view::npos) {
            std::string_view l = s.substr(0, colon), r = s.substr(colon + 1);
            if (!l.empty() && !parse_integer(l, a)) return false;
            if (!r.empty() && (!parse_integer(r, b) || b.neg)) return false;
            f.slice_start = a.neg ? -static_cast<std::int64_t>(a.mag) : static_cast<std::int64_t>(a.mag);
            f.slice_len = r.empty() ? -1 : static_cast<std::int64_t>(b.mag);
        } else if (auto dash = s.find('-', 1); dash != std::string_view::npos) {
            // i-j: from byte i to byte j, both included.
            if (!parse_integer(s.substr(0, dash), a) || !parse_integer(s.substr(dash + 1), b) || a.neg || b.neg ||
                b.mag < a.mag)
                return false;
            f.slice_start = static_cast<std::int64_t>(a.mag);
            f.slice_len = static_cast<std::int64_t>(b.mag - a.mag + 1);
        } else {
            if (!parse_integer(s, a)) return false;
            f.slice_start = a.neg ? -static_cast<std::int64_t>(a.mag) : static_cast<std::int64_t>(a.mag);
            f.slice_len = 1;
        }
        if (a.mag > (1u << 30) || b.mag > (1u << 30)) return false;
        f.sliced = true;
        return true;
    }

    bool compile_regex(const Token& t, Relation& r) {
        // Wireshark's matches is caseless unless the pattern starts with (?-i); (?i) is
        // accepted too. ECMAScript has no inline flags, so the prefix is read here.
        std::string pattern = t.text;
        auto flags = std::regex::ECMAScript | std::regex::icase;
        if (pattern.rfind("(?i)", 0) == 0) {
            pattern.erase(0, 4);
        } else if (pattern.rfind("(?-i)", 0) == 0) {
            pattern.erase(0, 5);
            flags = std::regex::ECMAScript;
        }
        try {
            std::regex check(pattern, flags);
            (void)check;
            for (std::size_t i = 0; i + 1 < pattern.size(); ++i) {
                if (pattern[i] != '\\') continue;
                if (pattern[i + 1] >= '1' && pattern[i + 1] <= '9')
                    return fail(t, "wirelab's regular expressions have no back-references (\\" +
                                       std::string(1, pattern[i + 1]) + ")");
                ++i;  // the escaped character
            }
#ifdef __GLIBCXX__
            // libstdc++'s default matcher backtracks recursively, one stack frame per byte: a
            // long HTTP body could overflow the stack. Its Thompson-NFA mode (no
            // back-references) runs in bounded stack, and a lazy lead-in turns the search into
            // one anchored pass instead of a new attempt at every byte.
            r.re = std::regex("[\\s\\S]*?(?:" + pattern + ")", flags | std::regex_constants::__polynomial);
            r.re_flags = std::regex_constants::match_continuous;
#else
            r.re = std::move(check);
#endif
        } catch (const std::regex_error& e) {
            return fail(t, std::string("not a regular expression wirelab can use (ECMAScript syntax): ") + e.what());
        }
        return true;
    }

    bool value_name(const FieldRef& f, std::string_view word, Int& out) const {
        if (f.fn != Fn::none || f.masked || f.sliced) return false;
        for (const FieldDef* d : f.defs)
            for (const ValueName& n : d->names)
                if (iequals(n.name, word)) {
                    out = Int::of(n.value);
                    return true;
                }
        return false;
    }

    // Converts a value token to the kind of the field it is compared with.
    bool literal(const Token& t, Kind want, const FieldRef& f, Literal& out) {
        out = Literal{};
        out.kind = want;
        std::string shown = written(t);
        auto bad = [&](const std::string& why) { return fail(t, f.text + " is " + type_phrase(f) + "; " + why); };
        bool has_names = f.fn == Fn::none && !f.masked && !f.sliced && !f.defs[0]->names.empty();
        switch (want) {
            case Kind::none: return bad("it has no value to compare");
            case Kind::integer: {
                Int v;
                if (t.kind == Tok::charconst) {
                    v = Int::of(static_cast<std::uint8_t>(t.text[0]));
                } else if (t.kind == Tok::word && parse_integer(t.text, v)) {
                } else if (value_name(f, t.text, v)) {
                    out.num = v;
                    return true;
                } else if (t.kind == Tok::string) {
                    return bad(shown + " is a quoted string, not a number" +
                               std::string(has_names ? " nor one of its value names" : ""));
                } else {
                    return bad(shown + " is not a number" +
                               std::string(has_names ? " nor one of its value names" : ""));
                }
                if (f.fn == Fn::none && !f.masked) {
                    FieldType type = f.defs[0]->type;
                    if (f.is_signed) {
                        if (v.mag > (v.neg ? 0x80000000ull : 0x7fffffffull))
                            return bad(shown + " is out of its range, -2147483648 to 2147483647");
                    } else if (v.neg || v.mag > max_of(type)) {
                        return bad(shown + " is out of its range, 0 to " + std::to_string(max_of(type)));
                    }
                }
                out.num = v;
                return true;
            }
            case Kind::boolean: {
                Int v;
                if (t.text == "True" || t.text == "False") {
                    out.num = Int::of(t.text == "True");
                    return true;
                }
                if ((t.kind == Tok::word && parse_integer(t.text, v)) || value_name(f, t.text, v)) {
                    out.num = Int::of(v.mag != 0);
                    return true;
                }
                // wirelab shows booleans without value names as Set / Not set.
                if (!has_names && (iequals(t.text, "Set") || iequals(t.text, "Not set"))) {
                    out.num = Int::of(iequals(t.text, "Set"));
                    return true;
                }
                return bad(shown + " is not a boolean: write 1, 0, True or False");
            }
            case Kind::time: {
                Int v;
                bool absolute = f.fn == Fn::none && f.defs[0]->type == FieldType::abstime;
                if ((t.kind == Tok::word && parse_seconds(t.text, v)) || (absolute && parse_date(t.text, v))) {
                    out.num = v;
                    return true;
                }
                return bad(shown + (absolute ? " is neither seconds since 1970 nor a date such as "
                                               "\"2024-05-01 12:00:00\" (UTC)"
                                             : " is not a number of seconds, such as 1.5"));
            }
            case Kind::ipv4: {
                std::uint8_t a[4];
                std::string why;
                if (t.kind == Tok::word && parse_ipv4(t.text, a, out.prefix, &why)) {
                    out.bytes.assign(reinterpret_cast<const char*>(a), 4);
                    return true;
                }
                if (!why.empty()) return bad(why);
                if (t.kind == Tok::string && parse_ipv4(t.text, a, out.prefix, nullptr))
                    return bad("write the address without quotes, not " + shown);
                return bad(shown +
                           " is not an IPv4 address (write a.b.c.d or a.b.c.d/n; wirelab does not look up "
                           "host names)");
            }
            case Kind::ipv6: {
                std::uint8_t a[16];
                std::string why;
                if (t.kind == Tok::word && parse_ipv6(t.text, a, out.prefix, &why)) {
                    out.bytes.assign(reinterpret_cast<const char*>(a), 16);
                    return true;
                }
                if (!why.empty()) return bad(why);
                if (t.kind == Tok::string && parse_ipv6(t.text, a, out.prefix, nullptr))
                    return bad("write the address without quotes, not " + shown);
                return bad(shown +
                           " is not an IPv6 address (write fe80::1 or 2001:db8::/32; wirelab does not look "
                           "up host names)");
            }
            case Kind::ether: {
                std::uint8_t a[6];
                if (t.kind == Tok::word && parse_ether(t.text, a)) {
                    out.bytes.assign(reinterpret_cast<const char*>(a), 6);
                    return true;
                }
                std::string b;
                if (t.kind == Tok::word && parse_byte_string(t.text, b))
                    return bad(shown + " has " + std::to_string(b.size()) + " bytes; a MAC address has 6");
                return bad(shown + " is not a MAC address (write aa:bb:cc:dd:ee:ff)");
            }
            case Kind::bytes:
            case Kind::protocol:
                if (t.kind == Tok::word) {
                    if (parse_byte_string(t.text, out.bytes)) return true;
                    return bad(shown + " is not a byte string (write aa:bb:cc, or text in quotes)");
                }
                out.bytes = t.text;  // a quoted string or character stands for its bytes
                return true;
            case Kind::string:
                out.bytes = t.text;  // bare words are strings too: http.request.method == GET
                return true;
        }
        return false;
    }

    std::string_view text_;
    const Registry& reg_;
    Filter::Program& prog_;
    FilterError& err_;
    std::vector<Token> toks_;
    std::size_t i_ = 0;
    int depth_ = 0;
    bool failed_ = false;
};

}  // namespace

Kind FieldRef::kind() const {
    if (fn != Fn::none) return Kind::integer;
    if (sliced) return Kind::bytes;
    return field_kind;
}

}  // namespace filter_impl

std::optional<Filter> Filter::compile(std::string_view text, const Registry& reg, FilterError& err) {
    auto prog = std::make_shared<Program>();
    prog->text = std::string(text);
    filter_impl::Compiler c(prog->text, reg, *prog, err);
    if (!c.run()) return std::nullopt;
    return Filter(std::move(prog));
}

std::string FilterError::str() const {
    if (column == 0) return message;
    return "column " + std::to_string(column) + ": " + message;
}

std::string filter_error_marker(std::string_view text, const FilterError& err) {
    std::string out = "    ";
    for (char c : text)
        out += (c == '\n' || c == '\t') ? ' ' : c;
    out += "\n    ";
    if (err.column == 0) return out;
    out.append(err.column - 1, ' ');
    out += '^';
    if (err.length > 1) out.append(err.length - 1, '~');
    return out;
}

}  // namespace wirelab
