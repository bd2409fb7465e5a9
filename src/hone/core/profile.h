// A reference profile of a data set: per column counts, quantiles, a histogram or category
// frequencies. Kept in every model bundle so that drift monitoring can compare live inputs
// with the data the model learned from.
#ifndef HONE_CORE_PROFILE_H_
#define HONE_CORE_PROFILE_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "hone/core/error.h"
#include "hone/core/table.h"

namespace hone::core {

struct NumericProfile {
  double min = 0, max = 0, mean = 0, stddev = 0;
  /// Values at probabilities kProfileQuantiles (linear interpolation, as numpy's default).
  std::vector<double> quantiles;
  /// Histogram with equal-frequency bins: edges (ascending, inner edges only) and counts;
  /// counts.size() == edges.size() + 1. A value v falls in bin i when
  /// edges[i-1] < v <= edges[i].
  std::vector<double> edges;
  std::vector<uint64_t> counts;
};

struct CategoricalProfile {
  uint64_t distinct = 0;
  /// The most frequent categories with their counts, most frequent first (ties by text).
  std::vector<std::pair<std::string, uint64_t>> top;
  /// Rows whose category is not in `top`.
  uint64_t other = 0;
};

struct ColumnProfile {
  std::string name;
  ColumnType type = ColumnType::kNumeric;
  uint64_t count = 0;  // non-missing values
  uint64_t missing = 0;
  NumericProfile numeric;          // when type is numeric and count > 0
  CategoricalProfile categorical;  // when type is categorical
};

struct DataProfile {
  uint64_t rows = 0;
  std::vector<ColumnProfile> columns;

  nlohmann::json ToJson() const;
  static Result<DataProfile> FromJson(const nlohmann::json& json);
};

inline constexpr double kProfileQuantiles[] = {0.0,  0.01, 0.05, 0.1,  0.25, 0.5,
                                               0.75, 0.9,  0.95, 0.99, 1.0};
inline constexpr int kProfileHistogramBins = 20;
inline constexpr size_t kProfileTopCategories = 50;

/// Profiles every column of `table`. Quantiles and bin edges come from at most 200,000
/// evenly spaced values; counts cover every row.
DataProfile ProfileTable(const Table& table);

}  // namespace hone::core

#endif  // HONE_CORE_PROFILE_H_
