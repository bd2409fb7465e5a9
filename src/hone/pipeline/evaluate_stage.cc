#include "hone/pipeline/evaluate_stage.h"

#include <algorithm>
#include <chrono>
#include <map>

#include "hone/learn/evaluate.h"

namespace hone::pipeline {

Result<std::vector<SliceMetrics>> SliceMetricsOf(const learn::TargetInfo& target,
                                                 const core::Table& holdout,
                                                 std::span<const float> y,
                                                 std::span<const float> outputs,
                                                 std::span<const std::string> columns) {
  const size_t width = y.empty() ? 0 : outputs.size() / y.size();
  std::vector<SliceMetrics> out;
  for (const std::string& name : columns) {
    auto index = holdout.FindColumn(name);
    if (!index) {
      return Fail(ErrorCode::kNotFound, "slice column '" + name + "' is not in the data");
    }
    const core::Column& column = holdout.column(*index);
    std::map<std::string, std::vector<size_t>> groups;
    for (size_t row = 0; row < column.size(); ++row) {
      groups[column.IsMissing(row) ? "(missing)" : column.CellText(row)].push_back(row);
    }
    for (const auto& [value, rows] : groups) {
      std::vector<float> group_y(rows.size()), group_out(rows.size() * width);
      for (size_t i = 0; i < rows.size(); ++i) {
        group_y[i] = y[rows[i]];
        std::copy_n(outputs.begin() + static_cast<ptrdiff_t>(rows[i] * width), width,
                    group_out.begin() + static_cast<ptrdiff_t>(i * width));
      }
      out.push_back(
          {name, value, rows.size(), learn::ScorePredictions(target, group_y, group_out)});
    }
  }
  return out;
}

Result<Latency> MeasureLatency(const learn::Model& model, const learn::FeatureSchema& schema,
                               const core::Table& holdout, size_t max_rows) {
  Latency latency;
  latency.rows = std::min(max_rows, holdout.num_rows());
  if (latency.rows == 0) return latency;
  std::vector<uint32_t> rows(latency.rows);
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<uint32_t>(i);
  HONE_ASSIGN_OR_RETURN(learn::FeatureMatrix x, schema.Encode(holdout.Take(rows)));
  std::vector<float> row(x.num_features()), out(model.num_outputs());
  std::vector<double> micros(latency.rows);
  for (int pass = 0; pass < 2; ++pass) {  // the first pass warms caches and is not kept
    for (size_t i = 0; i < latency.rows; ++i) {
      x.CopyRow(i, row);
      auto start = std::chrono::steady_clock::now();
      HONE_TRY(model.PredictRow(row, out));
      micros[i] =
          std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
              .count();
    }
  }
  std::sort(micros.begin(), micros.end());
  auto quantile = [&](double q) {
    return micros[std::min(micros.size() - 1, static_cast<size_t>(q * (micros.size() - 1) + 0.5))];
  };
  latency.p50_us = quantile(0.5);
  latency.p99_us = quantile(0.99);
  return latency;
}

nlohmann::json SlicesJson(std::span<const SliceMetrics> slices) {
  nlohmann::json out = nlohmann::json::array();
  for (const SliceMetrics& s : slices) {
    nlohmann::json metrics = nlohmann::json::object();
    for (const auto& [name, value] : s.metrics) metrics[name] = value;
    out.push_back(
        {{"column", s.column}, {"value", s.value}, {"rows", s.rows}, {"metrics", metrics}});
  }
  return out;
}

}  // namespace hone::pipeline
