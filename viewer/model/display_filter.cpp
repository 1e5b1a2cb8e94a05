// Display filter adapter (see display_filter.hpp).
#include "model/display_filter.hpp"

#include <cctype>
#include <vector>

#include "wirelab/decoder.hpp"
#include "wirelab/format.hpp"

namespace wirelab::viewer {

#ifdef WIRELAB_HAVE_FILTER_ENGINE

struct DisplayFilter::Impl {
    Filter filter;
};

DisplayFilter::DisplayFilter() = default;

std::optional<DisplayFilter> DisplayFilter::compile(std::string_view text, const Registry& reg, FilterError& err) {
    std::optional<Filter> f = Filter::compile(text, reg, err);
    if (!f) return std::nullopt;
    DisplayFilter d;
    d.text_ = std::string(text);
    if (!f->empty()) d.impl_ = std::make_shared<Impl>(Impl{std::move(*f)});
    return d;
}

bool DisplayFilter::match(const Tree& tree, const Frame& frame) const {
    return !impl_ || impl_->filter.match(tree, frame);
}

bool DisplayFilter::full_engine() { return true; }

void DisplayFilter::narrow(Decoder& decoder) const {
    if (impl_) decoder.narrow_to(impl_->filter);
}

void DisplayFilter::sparse(Tree& tree) const {
    if (!impl_) return tree.keep_only({});
    if (auto keep = impl_->filter.sparse_fields()) tree.keep_only(*keep);
}

#else

// The interim subset: a small recursive-descent parser into a tree of terms.
struct DisplayFilter::Impl {
    enum class Op { field, eq, ne, contains, and_, or_, not_ };
    struct Term {
        Op op = Op::field;
        const FieldDef* field = nullptr;
        std::string value;
        int a = -1, b = -1;
    };
    std::vector<Term> terms;
    int root = -1;

    bool eval(int t, const Tree& tree, const Frame& frame) const {
        const Term& x = terms[static_cast<std::size_t>(t)];
        switch (x.op) {
        case Op::and_: return eval(x.a, tree, frame) && eval(x.b, tree, frame);
        case Op::or_: return eval(x.a, tree, frame) || eval(x.b, tree, frame);
        case Op::not_: return !eval(x.a, tree, frame);
        default: break;
        }
        bool any = false, all_differ = true;
        std::string v;
        for (const Node& n : tree.nodes()) {
            if (n.field != x.field) continue;
            if (x.op == Op::field) return true;
            v.clear();
            append_field_value(v, tree, frame, n);
            bool eq = x.op == Op::contains ? v.find(x.value) != std::string::npos : v == x.value;
            if (!eq && x.op != Op::contains) {
                v.clear();
                append_display_value(v, tree, frame, n);
                eq = v == x.value;
            }
            any = any || eq;
            all_differ = all_differ && !eq;
        }
        if (x.op == Op::ne) return all_differ && !v.empty();
        return any;
    }
};

namespace {

struct Parser {
    std::string_view s;
    std::size_t pos = 0;
    const Registry& reg;
    FilterError& err;
    DisplayFilter::Impl& out;

    void skip() {
        while (pos < s.size() && std::isspace(static_cast<unsigned char>(s[pos]))) ++pos;
    }
    bool fail(std::size_t at, std::size_t len, std::string msg) {
        err.column = at + 1;
        err.length = len ? len : 1;
        err.message = std::move(msg);
        return false;
    }
    std::string_view word() {
        skip();
        std::size_t start = pos;
        if (pos < s.size() && s[pos] == '"') {
            ++pos;
            while (pos < s.size() && s[pos] != '"') ++pos;
            if (pos < s.size()) ++pos;
            return s.substr(start, pos - start);
        }
        while (pos < s.size() && !std::isspace(static_cast<unsigned char>(s[pos])) && s[pos] != '(' && s[pos] != ')' &&
               s[pos] != '!' && s[pos] != '=' && s[pos] != '&' && s[pos] != '|')
            ++pos;
        return s.substr(start, pos - start);
    }
    bool accept(std::string_view t) {
        skip();
        if (s.substr(pos, t.size()) != t) return false;
        // Words must end there ("and" is not the start of "android").
        if (std::isalpha(static_cast<unsigned char>(t[0])) && pos + t.size() < s.size() &&
            (std::isalnum(static_cast<unsigned char>(s[pos + t.size()])) || s[pos + t.size()] == '.'))
            return false;
        pos += t.size();
        return true;
    }
    int add(DisplayFilter::Impl::Term t) {
        out.terms.push_back(std::move(t));
        return static_cast<int>(out.terms.size() - 1);
    }
    bool expr(int& t) {
        if (!conj(t)) return false;
        while (accept("or") || accept("||")) {
            int b;
            if (!conj(b)) return false;
            t = add({DisplayFilter::Impl::Op::or_, nullptr, {}, t, b});
        }
        return true;
    }
    bool conj(int& t) {
        if (!unary(t)) return false;
        while (accept("and") || accept("&&")) {
            int b;
            if (!unary(b)) return false;
            t = add({DisplayFilter::Impl::Op::and_, nullptr, {}, t, b});
        }
        return true;
    }
    bool unary(int& t) {
        if (accept("not") || accept("!")) {
            int a;
            if (!unary(a)) return false;
            t = add({DisplayFilter::Impl::Op::not_, nullptr, {}, a, -1});
            return true;
        }
        skip();
        if (accept("(")) {
            if (!expr(t)) return false;
            skip();
            if (!accept(")")) return fail(pos, 1, "expected ')'");
            return true;
        }
        std::size_t at = pos;
        std::string_view name = word();
        if (name.empty()) return fail(at, 1, pos >= s.size() ? "expected a field name, found end of filter"
                                                            : "expected a field name");
        const FieldDef* f = reg.field(name);
        if (!f) {
            if (const ProtocolDef* p = reg.protocol(name)) f = &p->self();
        }
        if (!f) return fail(at, name.size(), "\"" + std::string(name) + "\" is neither a field nor a protocol name");
        DisplayFilter::Impl::Op op = DisplayFilter::Impl::Op::field;
        if (accept("==") || accept("eq")) op = DisplayFilter::Impl::Op::eq;
        else if (accept("!=") || accept("ne")) op = DisplayFilter::Impl::Op::ne;
        else if (accept("contains")) op = DisplayFilter::Impl::Op::contains;
        std::string value;
        if (op != DisplayFilter::Impl::Op::field) {
            std::size_t vat = pos;
            std::string_view v = word();
            if (v.empty()) return fail(vat, 1, "expected a value, found end of filter");
            if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
            value = std::string(v);
        }
        t = add({op, f, std::move(value), -1, -1});
        return true;
    }
};

bool blank(std::string_view t) {
    for (char c : t)
        if (!std::isspace(static_cast<unsigned char>(c))) return false;
    return true;
}

}  // namespace

DisplayFilter::DisplayFilter() = default;

std::optional<DisplayFilter> DisplayFilter::compile(std::string_view text, const Registry& reg, FilterError& err) {
    DisplayFilter d;
    d.text_ = std::string(text);
    if (blank(text)) return d;
    auto impl = std::make_shared<Impl>();
    Parser p{text, 0, reg, err, *impl};
    if (!p.expr(impl->root)) return std::nullopt;
    p.skip();
    if (p.pos != text.size())
        return p.fail(p.pos, text.size() - p.pos, "unexpected text after the end of the filter"), std::nullopt;
    d.impl_ = std::move(impl);
    return d;
}

bool DisplayFilter::match(const Tree& tree, const Frame& frame) const {
    return !impl_ || impl_->eval(impl_->root, tree, frame);
}

bool DisplayFilter::full_engine() { return false; }

void DisplayFilter::narrow(Decoder&) const {}  // the subset does not say what it needs
void DisplayFilter::sparse(Tree&) const {}

#endif

bool DisplayFilter::empty() const { return !impl_; }

}  // namespace wirelab::viewer
