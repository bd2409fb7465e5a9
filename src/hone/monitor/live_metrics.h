// Live metrics: how a served version does on the predictions whose ground truth came back
// (`POST /v2/models/{m}/feedback`, `hone feedback`), joined in the store's prediction log.
#ifndef HONE_MONITOR_LIVE_METRICS_H_
#define HONE_MONITOR_LIVE_METRICS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "hone/core/error.h"
#include "hone/store/meta_store.h"

namespace hone::monitor {

struct LiveMetrics {
  /// Labelled predictions used, and those left out (an output or label that is not a value of
  /// the task: text for regression, an array, null).
  uint64_t labels = 0;
  uint64_t unusable = 0;
  /// Regression: rmse, mae, and r2 (with >= 2 labels of some spread). Classification:
  /// accuracy. Named as the offline metrics are (learn/metrics.h), so the two compare.
  std::map<std::string, double> values;

  /// The metric, or nullopt when it was not computed.
  std::optional<double> Get(std::string_view metric) const;
  nlohmann::json ToJson() const;
};

/// The metrics over `pairs`. A prediction's output is what the server answered for that row (a
/// number for regression; the class label, text or number, for classification); its label is
/// the JSON value the feedback carried. Classification compares the two as text, numbers
/// written without a fraction when whole (so 1, 1.0 and "1" are one class).
LiveMetrics ComputeLiveMetrics(std::span<const store::LabelledPrediction> pairs,
                               bool classification);

/// The task's primary metric, which the decay trigger and the release judge use when the spec
/// names none: rmse for regression, accuracy for classification.
std::string PrimaryLiveMetric(bool classification);

}  // namespace hone::monitor

#endif  // HONE_MONITOR_LIVE_METRICS_H_
