// Stage 5: what the gates look at besides the holdout metrics: the same metrics per slice of a
// categorical column, single-row prediction latency, and the model's size.
#ifndef HONE_PIPELINE_EVALUATE_STAGE_H_
#define HONE_PIPELINE_EVALUATE_STAGE_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hone/core/table.h"
#include "hone/learn/bundle.h"
#include "hone/learn/metrics.h"
#include "hone/learn/model.h"

namespace hone::pipeline {

struct SliceMetrics {
  std::string column;
  std::string value;
  size_t rows = 0;
  learn::MetricList metrics;
};

struct Latency {
  size_t rows = 0;  // rows timed
  double p50_us = 0;
  double p99_us = 0;
};

/// Metrics of the holdout rows grouped by each value of each `columns` entry (a column's cell
/// text; missing values form the group "(missing)"). `holdout` is the table's holdout rows,
/// `y` and `outputs` their labels and the model's outputs. Fails naming a column the table
/// lacks.
Result<std::vector<SliceMetrics>> SliceMetricsOf(const learn::TargetInfo& target,
                                                 const core::Table& holdout,
                                                 std::span<const float> y,
                                                 std::span<const float> outputs,
                                                 std::span<const std::string> columns);

/// Times Model::PredictRow one row at a time on up to `max_rows` rows of `holdout` (encoded
/// first: the figure is the model's, not the parser's), after a warm-up pass.
Result<Latency> MeasureLatency(const learn::Model& model, const learn::FeatureSchema& schema,
                               const core::Table& holdout, size_t max_rows);

nlohmann::json SlicesJson(std::span<const SliceMetrics> slices);

}  // namespace hone::pipeline

#endif  // HONE_PIPELINE_EVALUATE_STAGE_H_
