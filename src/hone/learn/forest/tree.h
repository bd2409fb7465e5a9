// A decision tree as a flat array of 16-byte split nodes. Leaves are not nodes: a split holds
// its children's leaf values in place of their indices, so a prediction touches one node per
// level and a forest takes half the memory (prediction is bound by cache misses, not
// arithmetic).
#ifndef HONE_LEARN_FOREST_TREE_H_
#define HONE_LEARN_FOREST_TREE_H_

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

namespace hone::learn::forest {

/// 256 bits: the bins of a categorical feature that go left.
using BinSet = std::array<uint64_t, 4>;
inline bool BinSetHas(const BinSet& set, uint32_t bin) { return (set[bin >> 6] >> (bin & 63)) & 1; }
inline void BinSetAdd(BinSet& set, uint32_t bin) { set[bin >> 6] |= uint64_t{1} << (bin & 63); }

/// What a leaf holds, in 32 bits. Regression: the prediction's float bits. Classification:
/// kPureClass | class for a leaf of one class, else an offset into Tree::distributions.
using LeafValue = uint32_t;
inline constexpr LeafValue kPureClass = 0x80000000u;

struct Node {
  enum Flags : uint32_t {
    kDefaultLeft = 1u << 24,  // missing (and never-seen) values go left
    kCategorical = 1u << 25,  // test a category set, not a threshold
    kLeftLeaf = 1u << 26,     // `left` holds a LeafValue, not a node index
    kRightLeaf = 1u << 27,
  };
  static constexpr uint32_t kFeatureMask = (1u << 24) - 1;

  /// Numeric split: x <= threshold goes left. Categorical split: index into category_sets,
  /// stored in these bits.
  float threshold = 0;
  /// Feature index in the low 24 bits, flags above.
  uint32_t bits = 0;
  uint32_t left = 0;
  uint32_t right = 0;

  uint32_t feature() const { return bits & kFeatureMask; }
  uint32_t set_index() const { return std::bit_cast<uint32_t>(threshold); }
};
static_assert(sizeof(Node) == 16);

/// One tree. Immutable once built; safe to read from many threads.
struct Tree {
  /// Split nodes; nodes[0] is the root and children come after their parent. Empty when the
  /// whole tree is one leaf, `root_leaf`.
  std::vector<Node> nodes;
  LeafValue root_leaf = 0;
  std::vector<BinSet> category_sets;
  /// Class distributions of impure classification leaves, num_classes floats each.
  std::vector<float> distributions;

  /// Where `row` (encoded features) ends: the last split and the side it took (for tests and
  /// tools that need a leaf's identity), or {-1, false} for a one-leaf tree.
  struct Exit {
    int64_t node;
    bool left;
  };
  Exit Walk(std::span<const float> row, std::span<const std::vector<uint8_t>> category_bins) const {
    if (nodes.empty()) return {-1, false};
    uint32_t i = 0;
    for (;;) {
      const Node& n = nodes[i];
      bool go_left = GoesLeft(n, row[n.feature()], category_bins);
      if (n.bits & (go_left ? Node::kLeftLeaf : Node::kRightLeaf)) {
        return {static_cast<int64_t>(i), go_left};
      }
      i = go_left ? n.left : n.right;
    }
  }

  /// One level of a walk: moves `at` from a split node to the child `row` goes to, and returns
  /// true when that child is a leaf (`at` then holds its LeafValue). `row` is indexed by
  /// feature. For walks that interleave several rows or trees.
  bool Step(uint32_t& at, const float* row,
            std::span<const std::vector<uint8_t>> category_bins) const {
    const Node& n = nodes[at];
    const bool left = GoesLeft(n, row[n.feature()], category_bins);
    at = left ? n.left : n.right;
    return n.bits & (left ? Node::kLeftLeaf : Node::kRightLeaf);
  }

  /// The leaf value `row` reaches.
  LeafValue Predict(std::span<const float> row,
                    std::span<const std::vector<uint8_t>> category_bins) const {
    Exit e = Walk(row, category_bins);
    if (e.node < 0) return root_leaf;
    const Node& n = nodes[static_cast<size_t>(e.node)];
    return e.left ? n.left : n.right;
  }

  bool GoesLeft(const Node& n, float x, std::span<const std::vector<uint8_t>> category_bins) const {
    if (std::isnan(x)) return n.bits & Node::kDefaultLeft;
    if (!(n.bits & Node::kCategorical)) return x <= n.threshold;
    const auto& map = category_bins[n.feature()];
    if (x >= 0 && x < static_cast<float>(map.size())) {
      return BinSetHas(category_sets[n.set_index()], map[static_cast<size_t>(x)]);
    }
    return n.bits & Node::kDefaultLeft;  // not a category of the training set
  }
};

}  // namespace hone::learn::forest

#endif  // HONE_LEARN_FOREST_TREE_H_
