// hone's random forest model: trees grown by tree_builder, averaged at prediction.
#ifndef HONE_LEARN_FOREST_FOREST_MODEL_H_
#define HONE_LEARN_FOREST_FOREST_MODEL_H_

#include <memory>
#include <string_view>
#include <vector>

#include "hone/learn/forest/tree.h"
#include "hone/learn/heap_trees.h"
#include "hone/learn/model.h"

namespace hone::learn::forest {

/// Immutable after construction; every method may be called from many threads at once.
class ForestModel : public Model {
 public:
  /// `category_bins[f]`: bin of each category of categorical feature f (empty for numeric).
  ForestModel(size_t num_features, size_t num_classes,
              std::vector<std::vector<uint8_t>> category_bins, std::vector<Tree> trees,
              std::vector<double> importance);

  size_t num_outputs() const override { return num_classes_ == 0 ? 1 : num_classes_; }
  Result<void> Predict(const FeatureMatrix& x, std::span<float> out,
                       unsigned threads) const override;
  Result<void> PredictRow(std::span<const float> row, std::span<float> out) const override;
  Result<std::string> Serialize() const override;
  std::vector<double> FeatureImportance() const override { return importance_; }

  /// Reads Serialize's bytes, checking every index so that no input can make prediction read
  /// out of bounds or loop.
  static Result<std::unique_ptr<ForestModel>> Deserialize(std::string_view bytes,
                                                          const FeatureSchema& schema,
                                                          const TargetInfo& target);

  const std::vector<Tree>& trees() const { return trees_; }
  const std::vector<std::vector<uint8_t>>& category_bins() const { return category_bins_; }
  /// Normalised impurity-based importance per feature (sums to 1 unless no split was made).
  const std::vector<double>& importance() const { return importance_; }
  size_t num_nodes() const;
  /// The trees laid out for HeapTrees (the others are walked node by node), by index in
  /// heap_trees().
  const HeapTrees& heap_trees() const { return heap_; }

 private:
  // Lays out in heap_ every tree it can hold, and records which ones in heap_of_.
  void Compile();
  // Adds one tree's vote, the leaf a row reached, to out (num_outputs values).
  void AddLeaf(const Tree& tree, LeafValue leaf, float* out) const;

  size_t num_features_;
  size_t num_classes_;  // 0 for regression
  std::vector<std::vector<uint8_t>> category_bins_;
  std::vector<Tree> trees_;
  std::vector<double> importance_;
  HeapTrees heap_;
  std::vector<int32_t> heap_of_;  // per tree: its index in heap_, or -1 when walked node by node
};

}  // namespace hone::learn::forest

#endif  // HONE_LEARN_FOREST_FOREST_MODEL_H_
