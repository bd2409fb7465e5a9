#include "hone/learn/forest/binning.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "hone/core/parallel.h"

namespace hone::learn::forest {
namespace {

constexpr size_t kMaxSampleForQuantiles = 200000;

// A threshold t with a <= t < b, as close to the midpoint as float allows, so that values
// between two training values split the way a reader expects.
float SplitPoint(float a, float b) {
  float mid = static_cast<float>((static_cast<double>(a) + static_cast<double>(b)) / 2);
  return (mid >= a && mid < b) ? mid : a;
}

std::vector<float> NumericThresholds(std::span<const float> column, int max_bins) {
  std::vector<float> values;
  values.reserve(column.size());
  for (float v : column) {
    if (!std::isnan(v)) values.push_back(v);
  }
  if (values.size() > kMaxSampleForQuantiles) {
    // An evenly strided sample: deterministic and representative for quantiles.
    std::vector<float> sample(kMaxSampleForQuantiles);
    double stride = static_cast<double>(values.size()) / kMaxSampleForQuantiles;
    for (size_t i = 0; i < sample.size(); ++i) {
      sample[i] = values[static_cast<size_t>(static_cast<double>(i) * stride)];
    }
    values = std::move(sample);
  }
  std::sort(values.begin(), values.end());
  // Distinct values and their counts.
  std::vector<float> distinct;
  std::vector<size_t> counts;
  for (float v : values) {
    if (distinct.empty() || v != distinct.back()) {
      distinct.push_back(v);
      counts.push_back(0);
    }
    ++counts.back();
  }
  std::vector<float> thresholds;
  if (distinct.size() <= 1) return thresholds;
  if (distinct.size() <= static_cast<size_t>(max_bins)) {
    for (size_t i = 0; i + 1 < distinct.size(); ++i) {
      thresholds.push_back(SplitPoint(distinct[i], distinct[i + 1]));
    }
    return thresholds;
  }
  // Quantile cuts: walk the distinct values, closing a bin once it holds its share of rows.
  double per_bin = static_cast<double>(values.size()) / max_bins;
  double filled = 0;
  size_t next_cut = 1;
  for (size_t i = 0; i + 1 < distinct.size(); ++i) {
    filled += static_cast<double>(counts[i]);
    if (filled >= per_bin * static_cast<double>(next_cut)) {
      thresholds.push_back(SplitPoint(distinct[i], distinct[i + 1]));
      while (filled >= per_bin * static_cast<double>(next_cut)) ++next_cut;
      if (thresholds.size() + 1 == static_cast<size_t>(max_bins)) break;
    }
  }
  return thresholds;
}

std::vector<uint8_t> CategoryBins(std::span<const float> column, size_t num_categories,
                                  int max_bins) {
  std::vector<uint8_t> bins(num_categories);
  if (num_categories <= static_cast<size_t>(max_bins)) {
    for (size_t c = 0; c < num_categories; ++c) bins[c] = static_cast<uint8_t>(c);
    return bins;
  }
  std::vector<size_t> counts(num_categories);
  for (float v : column) {
    if (!std::isnan(v)) ++counts[static_cast<size_t>(v)];
  }
  std::vector<size_t> order(num_categories);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return counts[a] > counts[b]; });
  uint8_t shared = static_cast<uint8_t>(max_bins - 1);
  for (size_t rank = 0; rank < order.size(); ++rank) {
    bins[order[rank]] = rank < shared ? static_cast<uint8_t>(rank) : shared;
  }
  return bins;
}

}  // namespace

uint8_t FeatureBins::Bin(float x) const {
  if (std::isnan(x)) return kMissingBin;
  if (categorical) {
    // Category indices come from FeatureSchema::Encode and are in range; be safe anyway.
    if (x < 0 || x >= static_cast<float>(category_bin.size())) return kMissingBin;
    return category_bin[static_cast<size_t>(x)];
  }
  return static_cast<uint8_t>(std::lower_bound(thresholds.begin(), thresholds.end(), x) -
                              thresholds.begin());
}

BinnedMatrix BinFeatures(const FeatureSchema& schema, const FeatureMatrix& x, int max_bins,
                         unsigned threads) {
  BinnedMatrix out;
  out.num_rows = x.num_rows();
  out.features.resize(x.num_features());
  out.bins.resize(x.num_rows() * x.num_features());
  core::ParallelFor(x.num_features(), threads, [&](size_t j) {
    FeatureBins& fb = out.features[j];
    auto column = x.column(j);
    const FeatureInfo& info = schema.features()[j];
    fb.categorical = info.type == core::ColumnType::kCategorical;
    if (fb.categorical) {
      fb.category_bin = CategoryBins(column, info.categories.size(), max_bins);
      fb.num_bins = 1;
      for (uint8_t b : fb.category_bin) fb.num_bins = std::max(fb.num_bins, b + 1);
    } else {
      fb.thresholds = NumericThresholds(column, max_bins);
      fb.num_bins = static_cast<int>(fb.thresholds.size()) + 1;
    }
    uint8_t* dst = out.bins.data() + j * out.num_rows;
    for (size_t i = 0; i < column.size(); ++i) dst[i] = fb.Bin(column[i]);
  });
  const size_t num_features = x.num_features();
  out.rows.resize(out.bins.size());
  for (size_t j = 0; j < num_features; ++j) {
    const uint8_t* src = out.bins.data() + j * out.num_rows;
    for (size_t i = 0; i < out.num_rows; ++i) out.rows[i * num_features + j] = src[i];
  }
  return out;
}

}  // namespace hone::learn::forest
