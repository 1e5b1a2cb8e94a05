// The display filter as the viewer uses it: a thin adapter over the core filter engine
// (wirelab/filter.hpp), so that the filter bar, the filter pass and the tests have one type
// to hold. Built without the engine (WIRELAB_HAVE_FILTER_ENGINE unset: its sources are not in
// core yet), it understands a small subset: field or protocol names, `==`, `!=`, `contains`
// against a field's printed value, `and`/`or`/`not` and parentheses.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "wirelab/capture.hpp"
#include "wirelab/decoder.hpp"
#include "wirelab/dissect.hpp"
#include "wirelab/tree.hpp"
#ifdef WIRELAB_HAVE_FILTER_ENGINE
#include "wirelab/filter.hpp"
#endif

namespace wirelab::viewer {

#ifdef WIRELAB_HAVE_FILTER_ENGINE
using FilterError = wirelab::FilterError;
#else
// What wirelab/filter.hpp's FilterError holds, until that header is in core.
struct FilterError {
    std::size_t column = 0;  // 1-based position in the filter text, in characters; 0: nowhere
    std::size_t length = 0;  // characters the problem spans
    std::string message;
};
#endif

class DisplayFilter {
public:
    DisplayFilter();  // the empty filter: every packet passes
    // Compiles `text`; on error returns nothing and says where (column, 1-based) and why.
    static std::optional<DisplayFilter> compile(std::string_view text, const Registry& reg, FilterError& err);
    bool match(const Tree& tree, const Frame& frame) const;
    bool empty() const;
    const std::string& text() const { return text_; }
    // Whether the full engine is behind this adapter (the Help window says so).
    static bool full_engine();
    // Lets `decoder` leave out protocols no passing packet can hold (Decoder::narrow_to), for
    // a pass that only asks which packets pass.
    void narrow(Decoder& decoder) const;
    // Lets `tree` keep only the nodes match() reads (Tree::keep_only), for the same pass.
    void sparse(Tree& tree) const;

    struct Impl;

private:
    std::string text_;
    std::shared_ptr<const Impl> impl_;
};

}  // namespace wirelab::viewer
