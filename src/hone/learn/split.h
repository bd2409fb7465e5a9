// Train/test splits and cross-validation folds. Every random split takes a seed; the same seed
// and the same input give the same split on every machine (core::Rng, not std::shuffle,
// whose algorithm the standard leaves open).
#ifndef HONE_LEARN_SPLIT_H_
#define HONE_LEARN_SPLIT_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "hone/core/error.h"

namespace hone::learn {

struct Split {
  std::vector<uint32_t> train;  // row indices, ascending
  std::vector<uint32_t> test;   // row indices, ascending
};

/// Rows in the test set for a fraction: ceil(test_size * n), as scikit-learn's
/// train_test_split. test_size is in [0, 1).
size_t TestCount(size_t n, double test_size);

/// A seeded random split of rows [0, n).
Split RandomSplit(size_t n, double test_size, uint64_t seed);

/// Each class keeps its share in the test set (largest-remainder allocation of TestCount).
/// `labels` are class indices in [0, num_classes).
Split StratifiedSplit(std::span<const float> labels, size_t num_classes, double test_size,
                      uint64_t seed);

/// The latest rows by `order_key` form the test set: TestCount rows, grown so that rows sharing
/// the boundary's key all land in the test set (no instant is on both sides). Fails when that
/// leaves no training rows. `order_key` must have no NaN.
Result<Split> TimeSplit(std::span<const double> order_key, double test_size);

/// K folds over rows [0, n), shuffled with `seed`; fold i's test rows are the i-th part.
/// Requires 2 <= k <= n.
std::vector<Split> KFold(size_t n, size_t k, uint64_t seed);
/// K folds that keep class shares in each fold. Requires 2 <= k <= n.
std::vector<Split> StratifiedKFold(std::span<const float> labels, size_t num_classes, size_t k,
                                   uint64_t seed);

}  // namespace hone::learn

#endif  // HONE_LEARN_SPLIT_H_
