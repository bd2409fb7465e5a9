// A decision tree as a flat array of 16-byte nodes, and the forest model that averages them.
#ifndef HONE_LEARN_FOREST_TREE_H_
#define HONE_LEARN_FOREST_TREE_H_

#include <array>
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

namespace hone::learn::forest {

/// 256 bits: the bins of a categorical feature that go left.
using BinSet = std::array<uint64_t, 4>;
inline bool BinSetHas(const BinSet& set, uint32_t bin) { return (set[bin >> 6] >> (bin & 63)) & 1; }
inline void BinSetAdd(BinSet& set, uint32_t bin) { set[bin >> 6] |= uint64_t{1} << (bin & 63); }

struct Node {
  enum Flags : uint32_t {
    kLeaf = 1,         // a leaf; otherwise a split
    kDefaultLeft = 2,  // split: missing values go left
    kCategorical = 4,  // split: test a category set, not a threshold
    kPureLeaf = 8,     // classification leaf holding one class (in `feature`)
  };
  /// Split: threshold (x <= value goes left). Regression leaf: the prediction.
  float value = 0;
  /// Split: feature index. Classification leaf: class (pure) or offset into distributions.
  uint32_t feature = 0;
  /// Split: index of the left child; the right child is left + 1.
  uint32_t left = 0;
  /// Flags in the low 8 bits; categorical split: index into category_sets << 8.
  uint32_t bits = 0;

  bool is_leaf() const { return bits & kLeaf; }
  uint32_t set_index() const { return bits >> 8; }
};
static_assert(sizeof(Node) == 16);

/// One tree. Immutable once built; safe to read from many threads.
struct Tree {
  std::vector<Node> nodes;  // nodes[0] is the root; children come after their parent
  std::vector<BinSet> category_sets;
  /// Class distributions of impure classification leaves, num_classes floats each.
  std::vector<float> distributions;

  /// The leaf reached by `row` (encoded features). `category_bins[f]` maps category index to
  /// bin for categorical feature f.
  const Node& Leaf(std::span<const float> row,
                   std::span<const std::vector<uint8_t>> category_bins) const {
    const Node* node = &nodes[0];
    while (!node->is_leaf()) {
      float x = row[node->feature];
      bool go_left;
      if (std::isnan(x)) {
        go_left = node->bits & Node::kDefaultLeft;
      } else if (node->bits & Node::kCategorical) {
        const auto& map = category_bins[node->feature];
        if (x >= 0 && x < static_cast<float>(map.size())) {
          go_left = BinSetHas(category_sets[node->set_index()], map[static_cast<size_t>(x)]);
        } else {
          go_left = node->bits & Node::kDefaultLeft;  // not a category of the training set
        }
      } else {
        go_left = x <= node->value;
      }
      node = &nodes[node->left + (go_left ? 0 : 1)];
    }
    return *node;
  }
};

}  // namespace hone::learn::forest

#endif  // HONE_LEARN_FOREST_TREE_H_
