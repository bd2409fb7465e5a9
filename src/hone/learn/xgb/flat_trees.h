// hone's own evaluator of an XGBoost 1.7 tree ensemble: the booster's trees flattened into one
// array of 16-byte nodes at load, walked without XGBoost's per-call overhead.
//
// It reproduces XGBoost 1.7's CPU prediction exactly, not approximately:
//  - a numeric split sends x left when x < split_condition, a missing (NaN) x to the default
//    side; XGBoost steps to left_child + 1 for "right", which is why a model whose numeric
//    split has a right child elsewhere is not flattened;
//  - a categorical split (common::Decision) sends a missing value to the default side, a
//    category in the node's set right and any other value left: a category not in the set, a
//    negative value, 2^24 and above, infinities, and a category at or past the end of the
//    node's bit set (32 bits a word, as many words as the largest listed category needs);
//    fractions are truncated (measured against libxgboost 1.7.4's in-place prediction);
//  - every row starts from the base margin (base_score, through logit for binary:logistic) and
//    adds each tree's leaf, in float32 and in tree order, to its tree_info group; then the
//    objective's transform: identity (reg:squarederror), sigmoid (binary:logistic), softmax
//    over the groups (multi:softprob).
// Trees that HeapTrees can lay out (most: see heap_trees.h) are walked there; the others here.
// Anything else (another booster or objective) is refused by Build, so that the caller keeps
// XGBoost's own prediction for it: never a silently different answer.
#ifndef HONE_LEARN_XGB_FLAT_TREES_H_
#define HONE_LEARN_XGB_FLAT_TREES_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include <nlohmann/json.hpp>

#include "hone/core/error.h"
#include "hone/learn/heap_trees.h"

namespace hone::learn::xgb {

/// Immutable after Build; every method may be called from many threads at once. Owns its
/// arrays; keeps no reference to the document it was built from.
class FlatTrees {
 public:
  /// Flattens `model`, an XGBoost 1.7 model document (Booster::Save's JSON, or its UBJSON read
  /// with nlohmann::json::from_ubjson) that has passed CheckModelBytes. `missing[f]`, when not
  /// empty, marks values of feature f to read as missing: a value v with 0 <= v < size and
  /// missing[f][int(v)] != 0 (hone's categories without training rows). Fails with
  /// kUnsupported naming what is not supported (a booster other than gbtree, an objective
  /// other than reg:squarederror, binary:logistic and multi:softprob, a numeric split whose
  /// right child is not left + 1) and with kInvalidData on a document of the wrong shape.
  static Result<FlatTrees> Build(const nlohmann::json& model, size_t num_features,
                                 std::vector<std::vector<uint8_t>> missing = {});

  /// Values per row: the number of classes for multi:softprob, else 1.
  size_t groups() const { return groups_; }
  size_t num_features() const { return num_features_; }
  size_t num_trees() const { return trees_.size(); }
  /// The trees laid out for HeapTrees (the others are walked node by node), by index in
  /// heap_trees().
  const HeapTrees& heap_trees() const { return heap_; }

  /// Predicts one row (num_features() values) into `out` (groups() values), transformed.
  void PredictRow(const float* row, float* out) const;
  /// Predicts `rows` rows, feature j of row r at data[r * row_stride + j * col_stride], into
  /// `out` (rows × groups(), row-major), transformed. Single-threaded.
  void Predict(const float* data, size_t rows, size_t row_stride, size_t col_stride,
               float* out) const;

 private:
  enum class Transform { kIdentity, kSigmoid, kSoftmax };

  /// A split, or a leaf whose children are itself (so that walks run a fixed number of steps).
  struct Node {
    float value;        // split_condition; for a leaf, its value; categorical: set index bits
    uint32_t feature;   // feature index, flags in the top bits
    uint32_t child[2];  // left, right: node indices relative to the tree's first node
  };
  static_assert(sizeof(Node) == 16);
  static constexpr uint32_t kDefaultLeft = 1u << 31;
  static constexpr uint32_t kCategorical = 1u << 30;
  static constexpr uint32_t kFeatureMask = (1u << 30) - 1;

  struct Tree {
    uint32_t first;  // index of its root in nodes_
    uint32_t depth;  // steps from the root to its deepest leaf
    uint32_t group;
    bool categorical;
  };
  /// Words of one categorical split's bit set in category_words_, and the first category
  /// past it (words × 32). Set 0 is empty, for the branch-free walk's numeric nodes.
  struct CategorySet {
    uint32_t begin;
    float end;
  };

  FlatTrees() = default;
  // Appends the tree `tree` of the document to nodes_ and trees_.
  Result<void> AddJsonTree(const nlohmann::json& tree, uint32_t group);
  template <bool kCategories>
  uint32_t Step(const Node* tree, uint32_t at, const float* row) const;
  template <bool kCategories>
  void AddTreeTo(const Tree& tree, const float* rows, size_t count, float* margins) const;

  // Lays out in heap_ every tree it can hold, and records which ones in heap_of_.
  void Compile();
  // Copies rows [0, count) into `buffer` row-major, making `missing_` values NaN.
  void CopyRows(const float* data, size_t count, size_t row_stride, size_t col_stride,
                float* buffer) const;
  void Finish(float* margins, size_t rows) const;

  size_t num_features_ = 0;
  size_t groups_ = 1;
  float base_margin_ = 0;
  Transform transform_ = Transform::kIdentity;
  std::vector<Node> nodes_;
  std::vector<Tree> trees_;
  std::vector<CategorySet> category_sets_;
  std::vector<uint32_t> category_words_;
  std::vector<std::vector<uint8_t>> missing_;
  bool has_missing_ = false;
  bool has_categories_ = false;
  HeapTrees heap_;
  std::vector<int32_t> heap_of_;  // per tree: its index in heap_, or -1 when walked here
};

}  // namespace hone::learn::xgb

#endif  // HONE_LEARN_XGB_FLAT_TREES_H_
