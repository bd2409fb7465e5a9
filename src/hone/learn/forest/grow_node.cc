#include "hone/learn/forest/grow_node.h"

namespace hone::learn::forest {

void Compact(const std::vector<GrowNode>& grown, Tree& tree) {
  if (grown[0].leaf) {
    tree.root_leaf = grown[0].value;
    return;
  }
  tree.nodes.reserve(grown.size() / 2);
  struct Step {
    uint32_t grown;
    int64_t parent;  // compact index of the parent, or -1
    bool left;
  };
  std::vector<Step> stack = {{0, -1, false}};
  while (!stack.empty()) {
    Step s = stack.back();
    stack.pop_back();
    const GrowNode& g = grown[s.grown];
    auto index = static_cast<uint32_t>(tree.nodes.size());
    if (s.parent >= 0) {
      Node& parent = tree.nodes[static_cast<size_t>(s.parent)];
      (s.left ? parent.left : parent.right) = index;
    }
    tree.nodes.push_back({g.threshold, g.bits, 0, 0});
    for (bool left : {false, true}) {  // the right child is pushed first, so left is next
      const GrowNode& child = grown[g.left + (left ? 0 : 1)];
      if (child.leaf) {
        Node& n = tree.nodes[index];
        (left ? n.left : n.right) = child.value;
        n.bits |= left ? Node::kLeftLeaf : Node::kRightLeaf;
      } else {
        stack.push_back({g.left + (left ? 0 : 1), index, left});
      }
    }
  }
}

}  // namespace hone::learn::forest
