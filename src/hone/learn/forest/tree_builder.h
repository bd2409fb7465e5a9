// Growing one CART tree on binned data, as scikit-learn grows the trees of a random forest:
// bootstrap sample, a random subset of features tried at each node, best split by impurity
// decrease (variance for regression, Gini for classification), grown until pure unless limited.
#ifndef HONE_LEARN_FOREST_TREE_BUILDER_H_
#define HONE_LEARN_FOREST_TREE_BUILDER_H_

#include <span>
#include <vector>

#include "hone/core/random.h"
#include "hone/learn/forest/binning.h"
#include "hone/learn/forest/tree.h"

namespace hone::learn::forest {

struct TreeParams {
  int max_depth = 0;  // 0: unlimited
  int min_samples_split = 2;
  int min_samples_leaf = 1;
  int max_features = 1;  // features tried per node (resolved count, >= 1)
  bool bootstrap = true;
  double max_samples = 1.0;  // bootstrap draws as a fraction of the rows
};

struct TreeInput {
  const BinnedMatrix& x;
  /// Regression values, or class indices for classification.
  std::span<const float> y;
  /// 0 for regression; the number of classes otherwise.
  int num_classes = 0;
};

/// Grows one tree. `importance` (one entry per feature) gains each split's weighted impurity
/// decrease. Deterministic given `rng`'s state.
Tree BuildTree(const TreeInput& input, const TreeParams& params, core::Rng rng,
               std::vector<double>& importance);

}  // namespace hone::learn::forest

#endif  // HONE_LEARN_FOREST_TREE_BUILDER_H_
