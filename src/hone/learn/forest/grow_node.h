// Trees while they grow, and their conversion to the compact form predictions walk.
#ifndef HONE_LEARN_FOREST_GROW_NODE_H_
#define HONE_LEARN_FOREST_GROW_NODE_H_

#include <cstdint>
#include <vector>

#include "hone/learn/forest/tree.h"

namespace hone::learn::forest {

// A node while the tree grows: splits and leaves alike, children allocated in pairs.
struct GrowNode {
  bool leaf = false;
  LeafValue value = 0;  // leaf
  uint32_t bits = 0;    // split: feature and Node flags (kDefaultLeft, kCategorical)
  float threshold = 0;  // split: threshold, or category set index bits
  uint32_t left = 0;    // split: left child; the right child is left + 1
};

// Writes `grown` (grown[0] is the root) into tree.nodes / tree.root_leaf: the split nodes in
// depth-first order, left child first so that a walk going left reads the next node, with each
// leaf stored in its parent's child field.
void Compact(const std::vector<GrowNode>& grown, Tree& tree);

}  // namespace hone::learn::forest

#endif  // HONE_LEARN_FOREST_GROW_NODE_H_
