// Live metrics from labelled predictions.
#include "hone/monitor/live_metrics.h"

#include <cmath>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

namespace hone::monitor {
namespace {

using nlohmann::json;

std::optional<json> ParseValue(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return std::nullopt;
  // A one-element array is the value of a one-output row.
  if (j.is_array() && j.size() == 1) return j[0];
  return j;
}

std::optional<double> Number(const json& j) {
  if (j.is_number()) return j.get<double>();
  if (j.is_boolean()) return j.get<bool>() ? 1.0 : 0.0;
  return std::nullopt;
}

// A class label as text: strings as they are, whole numbers without a fraction.
std::optional<std::string> ClassText(const json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_boolean()) return j.get<bool>() ? "true" : "false";
  if (j.is_number()) {
    const double v = j.get<double>();
    if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15) {
      return std::to_string(static_cast<long long>(v));
    }
    return j.dump();
  }
  return std::nullopt;
}

}  // namespace

std::optional<double> LiveMetrics::Get(std::string_view metric) const {
  auto it = values.find(std::string(metric));
  if (it == values.end()) return std::nullopt;
  return it->second;
}

json LiveMetrics::ToJson() const {
  return {{"labels", labels}, {"unusable", unusable}, {"metrics", values}};
}

LiveMetrics ComputeLiveMetrics(std::span<const store::LabelledPrediction> pairs,
                               bool classification) {
  LiveMetrics m;
  if (classification) {
    uint64_t right = 0;
    for (const store::LabelledPrediction& p : pairs) {
      auto out = ParseValue(p.prediction.output);
      auto label = ParseValue(p.label);
      std::optional<std::string> a = out ? ClassText(*out) : std::nullopt;
      std::optional<std::string> b = label ? ClassText(*label) : std::nullopt;
      if (!a || !b) {
        ++m.unusable;
        continue;
      }
      ++m.labels;
      right += *a == *b;
    }
    if (m.labels > 0) {
      m.values["accuracy"] = static_cast<double>(right) / static_cast<double>(m.labels);
    }
    return m;
  }
  std::vector<double> y, yhat;
  for (const store::LabelledPrediction& p : pairs) {
    auto out = ParseValue(p.prediction.output);
    auto label = ParseValue(p.label);
    std::optional<double> a = out ? Number(*out) : std::nullopt;
    std::optional<double> b = label ? Number(*label) : std::nullopt;
    if (!a || !b || !std::isfinite(*a) || !std::isfinite(*b)) {
      ++m.unusable;
      continue;
    }
    yhat.push_back(*a);
    y.push_back(*b);
  }
  m.labels = y.size();
  if (y.empty()) return m;
  double se = 0, ae = 0, mean = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    se += (y[i] - yhat[i]) * (y[i] - yhat[i]);
    ae += std::fabs(y[i] - yhat[i]);
    mean += y[i];
  }
  const double n = static_cast<double>(y.size());
  mean /= n;
  m.values["rmse"] = std::sqrt(se / n);
  m.values["mae"] = ae / n;
  double ss = 0;
  for (double v : y) ss += (v - mean) * (v - mean);
  if (y.size() >= 2 && ss > 0) m.values["r2"] = 1 - se / ss;
  return m;
}

std::string PrimaryLiveMetric(bool classification) { return classification ? "accuracy" : "rmse"; }

}  // namespace hone::monitor
