// The split search of regression nodes so small that histograms cost more than they save:
// at most kSmallNode samples. Pure functions on a node's samples, used by the tree builder.
// Internal to forest/; header-only because they run once per feature of most nodes.
#ifndef HONE_LEARN_FOREST_SMALL_NODE_H_
#define HONE_LEARN_FOREST_SMALL_NODE_H_

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <span>

#include "hone/learn/forest/histograms.h"

namespace hone::learn::forest {

// GroupByBin's keys are a bin and a sample index below kSmallNode: 12 bits, ranked in two
// vectors of eight 16-bit lanes (one SSE2 register each, through GCC's vector extension).
inline constexpr uint32_t kSmallNodeShift = 4;
inline constexpr uint32_t kSmallNode = 1u << kSmallNodeShift;
using SmallNodeLanes = int16_t __attribute__((vector_size(16)));
static_assert(kSmallNode == 2 * sizeof(SmallNodeLanes) / sizeof(int16_t));

// A key that sorts categories by `mean` (its bits made to order like the number: negatives
// flipped), `tie` in the low byte breaking ties.
inline uint64_t MeanOrderKey(double mean, uint8_t tie) {
  auto bits = std::bit_cast<uint64_t>(mean);
  bits = (bits >> 63) ? ~bits : bits | (uint64_t{1} << 63);
  return (bits & ~uint64_t{0xff}) | tie;
}

// The records a histogram of feature f would hold for a node of n <= kSmallNode samples, in
// ascending bin order and summed in the same order: `rows[i]` holds sample i's bins (row-major)
// and `samples[i]` its record. Writes the distinct bins to `bins`, their records to `groups`,
// and returns how many. Sorted by rank and merged by masking, without data-dependent
// branches, which cost more than comparisons at these sizes.
inline size_t GroupByBin(const uint8_t* const* rows, const RegressionBin* samples, uint32_t n,
                         uint32_t f, uint8_t* bins, RegressionBin* groups) {
  alignas(16) int16_t keys[kSmallNode];
  for (uint32_t i = 0; i < kSmallNode; ++i) {  // padding sorts last
    keys[i] = i < n ? static_cast<int16_t>(rows[i][f] << kSmallNodeShift | i) : INT16_MAX;
  }
  SmallNodeLanes lo, hi, rank_lo{}, rank_hi{};
  std::memcpy(&lo, keys, sizeof lo);
  std::memcpy(&hi, keys + 8, sizeof hi);
  for (uint32_t j = 0; j < n; ++j) {
    rank_lo -= lo > keys[j];  // a true lane is -1
    rank_hi -= hi > keys[j];
  }
  int16_t sorted[kSmallNode];
  for (uint32_t i = 0; i < n; ++i) sorted[i < 8 ? rank_lo[i] : rank_hi[i - 8]] = keys[i];
  // Running totals, reset by masking where a new bin starts, stored at their group's index on
  // every step.
  uint32_t g = 0;
  uint32_t previous = sorted[0] >> kSmallNodeShift;
  uint32_t count = 0, weight = 0;
  uint64_t sum_bits = 0;
  for (uint32_t j = 0; j < n; ++j) {
    const RegressionBin& s = samples[sorted[j] & (kSmallNode - 1)];
    const uint32_t bin = sorted[j] >> kSmallNodeShift;
    const bool fresh = bin != previous;
    g += fresh;
    previous = bin;
    const uint64_t keep = fresh ? 0 : ~uint64_t{0};
    count = (count & static_cast<uint32_t>(keep)) + s.count;
    weight = (weight & static_cast<uint32_t>(keep)) + s.weight;
    const double sum = std::bit_cast<double>(sum_bits & keep) + s.sum;
    sum_bits = std::bit_cast<uint64_t>(sum);
    bins[g] = static_cast<uint8_t>(bin);
    groups[g] = {count, weight, sum};
  }
  return g + 1;
}

// Reorders the first m groups (in ascending bin order) by mean label, ties by bin: the order
// in which the best prefix split is the best subset split of a categorical feature. Placed by
// rank (the keys are distinct), as in GroupByBin.
inline void OrderByMean(size_t m, uint8_t* bins, RegressionBin* groups) {
  uint64_t keys[kSmallNode];
  for (size_t p = 0; p < m; ++p) {
    keys[p] = MeanOrderKey(groups[p].sum / groups[p].weight, static_cast<uint8_t>(p));
  }
  RegressionBin old_groups[kSmallNode];
  uint8_t old_bins[kSmallNode];
  std::copy_n(groups, m, old_groups);
  std::copy_n(bins, m, old_bins);
  for (size_t p = 0; p < m; ++p) {
    size_t rank = 0;
    for (size_t q = 0; q < m; ++q) rank += keys[q] < keys[p];
    groups[rank] = old_groups[p];
    bins[rank] = old_bins[p];
  }
}

// An upper bound on the score (sum over both sides of sum^2 / weight) of any split of
// `samples` (at most kSmallNode), whatever the features: the best split of the samples ordered
// by label. For squared error the best two-way partition is contiguous in label order, and
// never parts equal labels: the score is convex in the weight of a tied group sent left, so
// the maximum lies at an end. Slightly lowered, so that a split scoring the same up to
// rounding counts as reaching it.
inline double AttainableScore(std::span<const RegressionSample> samples, double total_sum,
                              double total_weight) {
  struct Labelled {
    double y, w, wy;
  };
  Labelled by_label[kSmallNode];
  const size_t n = std::min<size_t>(samples.size(), kSmallNode);
  for (size_t i = 0; i < n; ++i) {
    const RegressionSample& s = samples[i];
    by_label[i] = {s.wy / s.w, static_cast<double>(s.w), s.wy};
  }
  std::sort(by_label, by_label + n, [](const Labelled& a, const Labelled& b) { return a.y < b.y; });
  double best = 0, weight = 0, sum = 0;
  for (size_t i = 0; i + 1 < n; ++i) {
    weight += by_label[i].w;
    sum += by_label[i].wy;
    if (by_label[i].y == by_label[i + 1].y) continue;
    double right = total_sum - sum, right_weight = total_weight - weight;
    best = std::max(best, sum * sum / weight + right * right / right_weight);
  }
  return best * (1 - 1e-9);
}

}  // namespace hone::learn::forest

#endif  // HONE_LEARN_FOREST_SMALL_NODE_H_
