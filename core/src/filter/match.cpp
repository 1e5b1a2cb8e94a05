// Display filter matching: each relation scans the packet's flat node list for its field's
// FieldDefs and compares the values in place (nothing is copied or allocated for a packet,
// except by a regular expression or a value a decoder stored as text).
#include <algorithm>

#include "filter_impl.hpp"

#include "wirelab/decoder.hpp"

namespace wirelab {

namespace filter_impl {

namespace {

Bytes node_bytes(const Tree& tree, const Frame& frame, const Node& n) {
    Bytes src = source_bytes(tree, frame, n.source);
    if (n.offset > src.size()) return {};
    return src.subspan(n.offset, std::min<std::size_t>(n.length, src.size() - n.offset));
}

// The bytes a protocol compares as. Wireshark uses the whole buffer the protocol's dissector
// was given (`tcp contains "GET"` looks into the payload too), but a layer node here spans
// only its header, so the layer runs on to the end of the last node after it in the same
// data source, stopping where the next layer of the same protocol begins.
Bytes protocol_bytes(const Tree& tree, const Frame& frame, std::size_t index) {
    const auto& nodes = tree.nodes();
    const Node& n = nodes[index];
    Bytes src = source_bytes(tree, frame, n.source);
    std::size_t begin = n.offset, end = std::size_t(n.offset) + n.length;
    for (std::size_t j = index + 1; j < nodes.size(); ++j) {
        const Node& m = nodes[j];
        if (m.field == n.field) break;
        if (m.source != n.source || m.offset < begin) continue;
        end = std::max<std::size_t>(end, std::size_t(m.offset) + m.length);
    }
    if (begin > src.size()) return {};
    return src.subspan(begin, std::min(end, src.size()) - begin);
}

bool is_def(const FieldRef& f, const FieldDef* d) {
    if (f.defs.size() == 1) return f.defs[0] == d;
    for (const FieldDef* x : f.defs)
        if (x == d) return true;
    return false;
}

// Calls fn(index) for every node of the field (in its layer, with #N); stops and returns true
// as soon as fn does.
template <class F>
bool each_node(const FieldRef& f, const Tree& tree, F&& fn) {
    const auto& nodes = tree.nodes();
    if (f.defs.size() == 1 && !f.layer) {
        // Nearly every filter names one field and no layer: the scan is then a compare of one
        // pointer per node, with nothing else reloaded in the loop (it runs over every node of
        // every packet).
        const FieldDef* want = f.defs[0];
        for (std::size_t i = 0; i < nodes.size(); ++i)
            if (nodes[i].field == want && fn(i)) return true;
        return false;
    }
    unsigned layer = 0;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        const FieldDef* d = nodes[i].field;
        if (f.layer && d == f.layer_self) ++layer;
        if (!is_def(f, d) || (f.layer && layer != f.layer)) continue;
        if (fn(i)) return true;
    }
    return false;
}

// The value of node `index` as `f` sees it, read the way format.cpp prints it: numbers from
// Node::value, addresses, strings and bytes from the data source (or from the text arena when
// a decoder stored the value as text). `buf` holds an address rebuilt from text. Returns
// false when the occurrence has no usable value (an address cut short, a slice past the end).
bool read_value(const FieldRef& f, const Tree& tree, const Frame& frame, std::size_t index, Scalar& out,
                std::uint8_t (&buf)[16]) {
    const Node& n = tree.nodes()[index];
    bool text = n.flags & kHasText;
    std::string_view t = text ? tree.text_of(n) : std::string_view{};
    out = Scalar{};
    out.kind = f.field_kind;
    auto view = [&](std::size_t want) {
        if (text) return false;
        Bytes b = node_bytes(tree, frame, n);
        if (b.size() < want) return false;
        out.p = b.data();
        out.n = want ? want : b.size();
        return true;
    };
    switch (f.field_kind) {
        case Kind::none: return false;
        case Kind::protocol: {
            Bytes b = protocol_bytes(tree, frame, index);
            out.p = b.data();
            out.n = b.size();
            break;
        }
        case Kind::integer:
        case Kind::boolean:
        case Kind::time: {
            if (text) {
                if (!(f.field_kind == Kind::time ? parse_seconds(t, out.num) : parse_integer(t, out.num))) return false;
            } else if (f.field_kind == Kind::time) {
                out.num = Int::of_signed(static_cast<std::int64_t>(n.value));
            } else if (f.is_signed) {
                out.num = Int::of_signed(static_cast<std::int32_t>(n.value));
            } else {
                out.num = Int::of(n.value);
            }
            if (f.masked) {
                std::uint64_t bits = out.num.neg ? 0 - out.num.mag : out.num.mag;
                out.num = Int::of(bits & f.mask);
            }
            if (f.field_kind == Kind::boolean) out.num = Int::of(out.num.mag != 0);
            break;
        }
        case Kind::ipv4:
            out.prefix = 32;
            if (text) {
                unsigned prefix = 0;
                if (!parse_ipv4(t, buf, prefix, nullptr)) return false;
                out.p = buf;
                out.n = 4;
            } else if (!view(4)) {
                return false;
            }
            break;
        case Kind::ipv6:
            out.prefix = 128;
            if (text) {
                unsigned prefix = 0;
                if (!parse_ipv6(t, buf, prefix, nullptr)) return false;
                out.p = buf;
                out.n = 16;
            } else if (!view(16)) {
                return false;
            }
            break;
        case Kind::ether:
            if (text) {
                if (!parse_ether(t, buf)) return false;
                out.p = buf;
                out.n = 6;
            } else if (!view(6)) {
                return false;
            }
            break;
        case Kind::bytes:
        case Kind::string:
            if (text) {
                out.p = reinterpret_cast<const std::uint8_t*>(t.data());
                out.n = t.size();
            } else {
                view(0);
            }
            break;
    }
    if (f.sliced) {
        std::int64_t size = static_cast<std::int64_t>(out.n);
        std::int64_t start = f.slice_start < 0 ? size + f.slice_start : f.slice_start;
        if (start < 0 || start > size) return false;
        std::int64_t len = f.slice_len < 0 ? size - start : f.slice_len;
        if (start + len > size) return false;
        out.p += start;
        out.n = static_cast<std::size_t>(len);
        out.kind = Kind::bytes;
    }
    if (f.fn == Fn::len) out = Scalar{Kind::integer, Int::of(out.n), nullptr, 0, 0};
    return true;
}

// Calls fn(value) for every occurrence that has a value; stops and returns true as soon as
// fn does. count() yields one value, the number of occurrences (none if there are none).
template <class F>
bool each_value(const FieldRef& f, const Tree& tree, const Frame& frame, F&& fn) {
    if (f.fn == Fn::count) {
        std::uint64_t count = 0;
        each_node(f, tree, [&](std::size_t) {
            ++count;
            return false;
        });
        if (count == 0) return false;
        Scalar s{Kind::integer, Int::of(count), nullptr, 0, 0};
        return fn(static_cast<const Scalar&>(s));
    }
    return each_node(f, tree, [&](std::size_t i) {
        std::uint8_t buf[16];
        Scalar s;
        if (!read_value(f, tree, frame, i, s, buf)) return false;
        return fn(static_cast<const Scalar&>(s));
    });
}

bool test(const Relation& r, const Scalar& v, const Scalar& w) {
    switch (r.op) {
        case Op::eq: return compare(v, w) == 0;
        case Op::ne: return compare(v, w) != 0;
        case Op::lt: return compare(v, w) < 0;
        case Op::le: return compare(v, w) <= 0;
        case Op::gt: return compare(v, w) > 0;
        case Op::ge: return compare(v, w) >= 0;
        case Op::contains: return contains(v, w);
        case Op::exists:
        case Op::matches:
        case Op::in: break;
    }
    return false;
}

bool test_value(const Relation& r, const Scalar& v) {
    if (r.op == Op::matches) {
        const char* p = reinterpret_cast<const char*>(v.p);
        return std::regex_search(p, p + v.n, r.re, r.re_flags);
    }
    if (r.op == Op::in) {
        for (const SetMember& m : r.set) {
            if (m.range ? compare(v, m.lo.view()) >= 0 && compare(v, m.hi.view()) <= 0 : compare(v, m.lo.view()) == 0)
                return true;
        }
        return false;
    }
    return test(r, v, r.value.view());
}

bool eval_relation(const Relation& r, const Tree& tree, const Frame& frame) {
    if (r.op == Op::exists) {
        const FieldRef& f = r.lhs;
        if (f.fn == Fn::none && !f.sliced && !f.masked) return each_node(f, tree, [](std::size_t) { return true; });
        // A mask alone tests for a set bit (tcp.flags & 0x02); a slice, that it is in range.
        return each_value(f, tree, frame, [&](const Scalar& v) { return !f.masked || v.num.mag != 0; });
    }
    // Any occurrence passing is enough; with `all` (and for !=, which Wireshark 4.0 defines
    // as "not ==") every occurrence must pass and there must be at least one.
    bool seen = false;
    if (r.rhs_is_field) {
        auto pair = [&](const Scalar& v) {
            return each_value(r.rhs, tree, frame, [&](const Scalar& w) {
                seen = true;
                return test(r, v, w) != r.all;
            });
        };
        bool stopped = each_value(r.lhs, tree, frame, pair);
        return r.all ? seen && !stopped : stopped;
    }
    bool stopped = each_value(r.lhs, tree, frame, [&](const Scalar& v) {
        seen = true;
        return test_value(r, v) != r.all;
    });
    return r.all ? seen && !stopped : stopped;
}

bool eval(const Filter::Program& p, int e, const Tree& tree, const Frame& frame) {
    const Expr& x = p.exprs[static_cast<std::size_t>(e)];
    switch (x.type) {
        case Expr::Type::and_:
            for (std::uint32_t i = 0; i < x.count; ++i)
                if (!eval(p, p.operands[x.first + i], tree, frame)) return false;
            return true;
        case Expr::Type::or_:
            for (std::uint32_t i = 0; i < x.count; ++i)
                if (eval(p, p.operands[x.first + i], tree, frame)) return true;
            return false;
        case Expr::Type::not_: return !eval(p, x.a, tree, frame);
        case Expr::Type::rel: return eval_relation(p.rels[static_cast<std::size_t>(x.a)], tree, frame);
    }
    return false;
}

using Protocols = std::vector<const ProtocolDef*>;

// Filter::required_protocols for expression `e`.
std::optional<Protocols> required(const Filter::Program& p, int e) {
    const Expr& x = p.exprs[static_cast<std::size_t>(e)];
    switch (x.type) {
        case Expr::Type::rel: {
            // Every relation without a function is false when its field is absent: a
            // comparison needs a value, and != is "not ==", which needs one too.
            const Relation& r = p.rels[static_cast<std::size_t>(x.a)];
            if (r.lhs.fn != Fn::none) return std::nullopt;  // count(f) == 0 holds without f
            Protocols out;
            for (const FieldDef* d : r.lhs.defs) {
                if (!d->proto) return std::nullopt;
                if (std::find(out.begin(), out.end(), d->proto) == out.end()) out.push_back(d->proto);
            }
            if (out.empty()) return std::nullopt;
            return out;
        }
        case Expr::Type::not_: return std::nullopt;
        case Expr::Type::and_: {
            // Any operand's requirement holds for the whole; an application protocol's says
            // the most (tcp and http: every match holds http).
            std::optional<Protocols> best;
            auto application = [](const Protocols& ps) {
                return std::all_of(ps.begin(), ps.end(),
                                   [](const ProtocolDef* d) { return d->tcpip == TcpIpLayer::application; });
            };
            for (std::uint32_t i = 0; i < x.count; ++i) {
                auto r = required(p, p.operands[x.first + i]);
                if (r && (!best || (application(*r) && !application(*best)))) best = std::move(r);
            }
            return best;
        }
        case Expr::Type::or_: {
            Protocols out;
            for (std::uint32_t i = 0; i < x.count; ++i) {
                auto r = required(p, p.operands[x.first + i]);
                if (!r) return std::nullopt;
                for (const ProtocolDef* d : *r)
                    if (std::find(out.begin(), out.end(), d) == out.end()) out.push_back(d);
            }
            return out;
        }
    }
    return std::nullopt;
}

}  // namespace

}  // namespace filter_impl

Filter::Filter() : program_(std::make_shared<Program>()) {}

Filter::Filter(std::shared_ptr<const Program> p) : program_(std::move(p)) {}

bool Filter::match(const Tree& tree, const Frame& frame) const {
    if (program_->root < 0) return true;
    return filter_impl::eval(*program_, program_->root, tree, frame);
}

bool Filter::empty() const { return program_->root < 0; }

const std::string& Filter::text() const { return program_->text; }

std::span<const FieldDef* const> Filter::fields() const { return program_->fields; }

std::optional<std::vector<const FieldDef*>> Filter::sparse_fields() const {
    using namespace filter_impl;
    for (const Relation& r : program_->rels) {
        // Presence of a layer needs only the layer's node; anything else of a protocol reads
        // its bytes.
        auto reads_bytes = [&](const FieldRef& f) {
            return f.field_kind == Kind::protocol && (r.op != Op::exists || f.sliced || f.fn == Fn::len);
        };
        if (reads_bytes(r.lhs) || (r.rhs_is_field && r.rhs.field_kind == Kind::protocol)) return std::nullopt;
    }
    return program_->fields;
}

std::optional<std::vector<const ProtocolDef*>> Filter::required_protocols() const {
    if (program_->root < 0) return std::nullopt;
    return filter_impl::required(*program_, program_->root);
}

}  // namespace wirelab
