// The node list's slow paths: growing its storage and inserting in the middle (both rare).
#include <algorithm>

#include "wirelab/tree.hpp"

namespace wirelab {

void NodeList::grow() {
    std::size_t used = size();
    storage_.resize(std::max<std::size_t>(64, storage_.size() * 2));
    point_at(used);
}

Node* NodeList::insert(Node* at, const Node& n) {
    auto index = static_cast<std::size_t>(at - begin());
    push_back(n);  // makes room (and may move the storage, so `at` is not used after this)
    Node* first = begin() + index;
    std::rotate(first, end() - 1, end());
    return first;
}

}  // namespace wirelab
