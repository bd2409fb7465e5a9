// Decision trees laid out as complete binary trees in heap order, for fast batch and
// single-row prediction of tree ensembles (hone's random forest and XGBoost's gbdt).
//
// A tree of depth D is stored as its 2^D - 1 splits, node i's children at 2i + 1 (left) and
// 2i + 2 (right), and its 2^D leaves after them in order. A leaf shallower than D is padded
// with splits that always go left, its value stored at its leftmost descendant on the last
// level. So a walk is exactly D steps of `i = 2i + 1 + right`, with no child index to load,
// no test for "is this a leaf" and no branch: the split's direction is a coin toss for the
// branch predictor, so it is computed and used as a number. A split is 8 bytes, half of a
// node with child links; a depth-8 tree takes 3 KB, and a 100-tree model fits in L2.
//
// Every split, numeric or categorical, is the same test on one 32-bit word of an encoded row:
// `(word & mask) >= bound`, unsigned. Rows are encoded once per block before any tree is
// walked (EncodeRows):
//  - every feature becomes two words, its value as an order-preserving integer key with NaN
//    made the smallest key in one and the largest in the other. A numeric split reads the
//    first when missing values go left and the second when they go right; its mask is all
//    ones and its bound the key of its threshold (plus one for "x <= threshold goes left").
//    So "x < threshold goes left, NaN to the default side" is one unsigned comparison, with no
//    test for NaN;
//  - a categorical feature has a third word, one bit: 1 << c for a category c below
//    kCategoryLimit, kUnknownBit for any other value (negative, past the limit, infinite),
//    kMissingBit for NaN. A categorical split's mask holds the bits that go right, its bound
//    is 1. The model's rules for unseen and missing categories are written into the mask
//    when the tree is added.
//
// Trees the layout cannot hold (deeper than kMaxDepth, a categorical split that tells apart
// categories at or past kCategoryLimit, a threshold that is NaN, a categorical split on a
// feature not declared categorical) are refused by Add; the caller keeps its own evaluator
// for them, so that no prediction is ever silently different.
#ifndef HONE_LEARN_HEAP_TREES_H_
#define HONE_LEARN_HEAP_TREES_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace hone::learn {

class HeapTrees {
 public:
  /// Trees deeper than this are refused: a complete tree of depth 10 is 12 KB.
  static constexpr uint32_t kMaxDepth = 10;
  /// Categories 0 .. kCategoryLimit - 1 have a bit of their own in an encoded row.
  static constexpr uint32_t kCategoryLimit = 30;
  static constexpr uint32_t kUnknownBit = 1u << 30;
  static constexpr uint32_t kMissingBit = 1u << 31;
  /// Rows a block walk takes at most.
  static constexpr size_t kMaxBlockRows = 256;

  /// A tree as the caller has it, node 0 its root.
  struct Node {
    bool leaf = false;
    /// For a leaf: what Leaves returns for it (a float's bits or the caller's own code).
    uint32_t value = 0;
    uint32_t feature = 0;
    bool categorical = false;
    /// Numeric split: a value x goes left when x < threshold (x <= threshold when
    /// left_if_equal), NaN to the default side.
    float threshold = 0;
    bool left_if_equal = false;
    bool default_left = false;
    /// Categorical split: bit c set when category c (below kCategoryLimit) goes right; bits
    /// kUnknownBit and kMissingBit for a value that is no such category and for NaN.
    uint32_t right_mask = 0;
    uint32_t left = 0;
    uint32_t right = 0;
  };

  HeapTrees() = default;
  /// `categorical[f]`: whether feature f is also encoded as a category (see EncodeRows).
  explicit HeapTrees(std::vector<bool> categorical);

  /// Lays out a tree given as nodes (children indices within `nodes`, each node reached once
  /// from the root). Returns its index, or -1 without adding anything when the layout cannot
  /// hold it exactly (see the file comment) or `nodes` is not a tree.
  int64_t Add(std::span<const Node> nodes);

  size_t num_trees() const { return trees_.size(); }
  size_t num_features() const { return categorical_.size(); }
  /// Words per encoded row.
  size_t encoded_width() const { return encoded_width_; }
  uint32_t depth(size_t tree) const { return trees_[tree].depth; }

  /// Encodes `count` rows (feature j of row r at data[r * row_stride + j * col_stride]) into
  /// `out`, row-major, encoded_width() words per row.
  void EncodeRows(const float* data, size_t count, size_t row_stride, size_t col_stride,
                  uint32_t* out) const;
  /// The leaf value each of `count` (at most kMaxBlockRows) encoded rows reaches in `tree`.
  void Leaves(size_t tree, const uint32_t* rows, size_t count, uint32_t* leaves) const;
  /// The leaf value one encoded row reaches in every tree, in tree order.
  void LeavesOfRow(const uint32_t* row, uint32_t* leaves) const;

 private:
  /// A split: a row goes right when (row[word] & mask) >= bound.
  struct Split {
    uint32_t word;
    uint32_t mask;
    uint32_t bound;
  };
  static_assert(sizeof(Split) == 12);

  static uint32_t Step(const Split* splits, uint32_t at, const uint32_t* row);

  struct Tree {
    uint32_t first_split;
    uint32_t first_leaf;
    uint32_t depth;
  };

  std::vector<bool> categorical_;
  std::vector<uint32_t> first_word_;  // per feature: its first word in an encoded row
  size_t encoded_width_ = 0;
  std::vector<Split> splits_;
  std::vector<uint32_t> leaves_;
  std::vector<Tree> trees_;
};

}  // namespace hone::learn

#endif  // HONE_LEARN_HEAP_TREES_H_
