// Quantising features into at most 255 bins, so a tree finds splits by scanning small
// histograms instead of sorting values at every node.
#ifndef HONE_LEARN_FOREST_BINNING_H_
#define HONE_LEARN_FOREST_BINNING_H_

#include <cstdint>
#include <span>
#include <vector>

#include "hone/learn/features.h"

namespace hone::learn::forest {

/// The bin of a missing value (and of an unseen category). Value bins are 0..kMaxBins-1.
inline constexpr uint8_t kMissingBin = 255;
inline constexpr int kMaxBins = 255;

/// How one feature maps to bins.
struct FeatureBins {
  bool categorical = false;
  /// Numeric: ascending split points; bin(x) = number of thresholds < x, so "bin <= b" is
  /// exactly "x <= thresholds[b]". A split on bin b stores thresholds[b].
  std::vector<float> thresholds;
  /// Categorical: bin of each category index. With more categories than bins, the most
  /// frequent keep their own bin and the rest share the last one.
  std::vector<uint8_t> category_bin;
  /// Value bins in use: 0..num_bins-1.
  int num_bins = 1;

  uint8_t Bin(float x) const;
};

/// Bins for every feature plus the binned training matrix (column-major, one byte a cell).
struct BinnedMatrix {
  std::vector<FeatureBins> features;
  size_t num_rows = 0;
  std::vector<uint8_t> bins;
  /// The same bins row-major: one row's bins for every feature side by side, for building
  /// many features' histograms in one pass over a node's rows.
  std::vector<uint8_t> rows;

  std::span<const uint8_t> column(size_t j) const { return {bins.data() + j * num_rows, num_rows}; }
  const uint8_t* row(size_t i) const { return rows.data() + i * features.size(); }
};

/// Chooses bins from the training matrix: every distinct value gets its own bin when there
/// are at most `max_bins`; otherwise bins hold about equal numbers of rows (quantiles of up to
/// 200,000 sampled values). Deterministic. Features are binned in parallel on `threads`.
BinnedMatrix BinFeatures(const FeatureSchema& schema, const FeatureMatrix& x, int max_bins,
                         unsigned threads);

}  // namespace hone::learn::forest

#endif  // HONE_LEARN_FOREST_BINNING_H_
