// Decision trees laid out as complete binary trees in heap order, for fast batch and
// single-row prediction of tree ensembles (hone's random forest and XGBoost's gbdt).
//
// A tree of depth D is stored as its 2^D - 1 splits, node i's children at 2i + 1 (left) and
// 2i + 2 (right), and its 2^D leaves after them in order. A leaf shallower than D is padded
// with splits that always go left, its value stored at its leftmost descendant on the last
// level. So a walk is exactly D steps of `i = 2i + 1 + right`, with no child index to load,
// no test for "is this a leaf" and no branch: the split's direction is a coin toss for the
// branch predictor, so it is computed and used as a number. A depth-8 tree takes 5 KB, a
// 100-tree model about the size of one core's L2 cache.
//
// Every split is the same test on one 32-bit word of an encoded row: `(word & mask) >=
// bound`, unsigned. Rows are encoded once per block before any tree is walked (EncodeRows):
//  - word 0 is always 0: the padding splits read it;
//  - every feature becomes two words, its value as an order-preserving integer key with NaN
//    made the smallest key in one and the largest in the other. A numeric split reads the
//    first when missing values go left and the second when they go right; its mask is all
//    ones and its bound the key of its threshold (plus one for "x <= threshold goes left").
//    So "x < threshold goes left, NaN to the default side" is one unsigned comparison, with no
//    test for NaN;
//  - a categorical feature has a third word, one bit: 1 << code for a category whose code
//    (the category itself, or the code the caller gives it) is below kNarrowCategories,
//    kUnknownBit for any other value (a code past that, negative, infinite, or not a category
//    of the feature), kMissingBit for NaN. A categorical split whose codes past
//    kNarrowCategories all go where unknown values go is "narrow": its mask holds the bits
//    that go right, its bound is 1.
//  - and a fourth word, the code: the category's, or K (the feature's number of codes) for an
//    unknown value, K + 1 for NaN. A "wide" split (any other categorical split) looks the
//    code up in a bit table of K + 2 entries. A tree with a wide split is
//    walked with that lookup added to every step (its other splits then read an empty
//    table); other trees never pay for it.
//
// Trees the layout cannot hold (deeper than kMaxDepth, a wide split on a feature of more than
// kMaxWideCategories codes, a threshold that is NaN, a categorical split on a numeric
// feature) are refused by Add; the caller keeps its own evaluator for them, so that no
// prediction is ever silently different.
#ifndef HONE_LEARN_HEAP_TREES_H_
#define HONE_LEARN_HEAP_TREES_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace hone::learn {

class HeapTrees {
 public:
  /// Trees deeper than this are refused: a complete tree of depth 10 is 20 KB.
  static constexpr uint32_t kMaxDepth = 10;
  /// Categories 0 .. kNarrowCategories - 1 have a bit of their own in an encoded row.
  static constexpr uint32_t kNarrowCategories = 30;
  static constexpr uint32_t kUnknownBit = 1u << 30;
  static constexpr uint32_t kMissingBit = 1u << 31;
  /// A wide split's table has a bit per code: at most this many (520 bytes).
  static constexpr uint32_t kMaxWideCategories = 4096;
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
    /// Categorical split: the codes (below the feature's count of codes) that go right, and
    /// where an unknown value and NaN go.
    std::vector<uint32_t> right_codes = {};
    bool unknown_right = false;
    bool missing_right = false;
    uint32_t left = 0;
    uint32_t right = 0;
  };

  HeapTrees() = default;
  /// `categories[f]`: 0 for a numeric feature; for a categorical one its number of categories
  /// K: a value x with 0 <= x < K is category int(x), any other value but NaN is unknown.
  /// `codes[f]`, when it has K entries, gives each category of feature f its code (categories
  /// that every split treats alike may share one, making wide splits' tables smaller); else a
  /// category is its own code.
  explicit HeapTrees(std::vector<uint32_t> categories,
                     std::vector<std::vector<uint32_t>> codes = {});

  /// Lays out a tree given as nodes (children indices within `nodes`, each node reached once
  /// from the root). Returns its index, or -1 without adding anything when the layout cannot
  /// hold it exactly (see the file comment) or `nodes` is not a tree.
  int64_t Add(std::span<const Node> nodes);

  size_t num_trees() const { return trees_.size(); }
  size_t num_features() const { return categories_.size(); }
  uint32_t depth(size_t tree) const { return trees_[tree].depth; }
  /// Whether the tree has a wide categorical split (see the file comment).
  bool wide(size_t tree) const { return trees_[tree].wide; }
  size_t num_wide_trees() const;
  /// Words per encoded row.
  size_t encoded_width() const { return encoded_width_; }

  /// Encodes `count` rows (feature j of row r at data[r * row_stride + j * col_stride]) into
  /// `out`, row-major, encoded_width() words per row.
  void EncodeRows(const float* data, size_t count, size_t row_stride, size_t col_stride,
                  uint32_t* out) const;
  /// The leaf value each of `count` (at most kMaxBlockRows) encoded rows reaches in `tree`.
  void Leaves(size_t tree, const uint32_t* rows, size_t count, uint32_t* leaves) const;
  /// The leaf value one encoded row reaches in every tree, in tree order.
  void LeavesOfRow(const uint32_t* row, uint32_t* leaves) const;

 private:
  /// A split: a row goes right when (row[word] & mask) >= bound, or, for a wide split (table
  /// is not 0; its mask is 0), when bit row[word] of the table at tables_[table] is set.
  struct Split {
    uint32_t word;
    uint32_t mask;
    uint32_t bound;
    uint32_t table;
  };

  struct Tree {
    uint32_t first_split;
    uint32_t first_leaf;
    uint32_t depth;
    bool wide;
  };

  template <bool kWide>
  uint32_t Step(const Split* splits, uint32_t at, const uint32_t* row) const;
  template <bool kWide>
  void WalkRow(const uint32_t* trees, size_t count, uint32_t depth, const uint32_t* row,
               uint32_t* leaves) const;
  template <bool kWide>
  void WalkBlock(const Tree& tree, const uint32_t* rows, size_t count, uint32_t* leaves) const;
  // The split `n` becomes: narrow when it can be, else wide when `allow_wide`; false when it
  // cannot be laid out.
  bool MakeSplit(const Node& n, bool allow_wide, Split& out);

  std::vector<uint32_t> categories_;
  std::vector<std::vector<uint32_t>> codes_;  // per categorical feature: code of each category
  std::vector<uint32_t> num_codes_;
  std::vector<uint32_t> first_word_;  // per feature: its first word in an encoded row
  size_t encoded_width_ = 1;
  std::vector<Split> splits_;
  std::vector<uint32_t> leaves_;
  std::vector<uint32_t> tables_ = {0};  // the wide splits' bit tables; word 0 is the empty one
  std::vector<Tree> trees_;
  std::vector<uint32_t> by_shape_;  // tree indices ordered by (wide, depth), for LeavesOfRow
};

}  // namespace hone::learn

#endif  // HONE_LEARN_HEAP_TREES_H_
