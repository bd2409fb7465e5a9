// Model gates: absolute thresholds on the candidate's metrics, and comparisons with the
// champion (the version the target alias points to) on the same holdout rows, decided by a
// seeded paired bootstrap (McNemar's exact test for accuracy), so that noise is not mistaken
// for progress nor for regression.
#ifndef HONE_GATE_MODEL_GATES_H_
#define HONE_GATE_MODEL_GATES_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hone/gate/verdict.h"
#include "hone/learn/metrics.h"
#include "hone/learn/target.h"

namespace hone::gate {

/// Whether a larger value of `metric` is better (r2, accuracy, f1, roc_auc, …) or worse
/// (rmse, mae, mape, log_loss, latency, size). kInvalidArgument for an unknown metric, listing
/// the known ones.
Result<bool> HigherIsBetter(std::string_view metric);

struct MetricGate {
  enum class Kind {
    kAbsolute,     // metric OP threshold
    kNoWorseThan,  // not significantly worse than the champion by more than the margin
    kBetterThan,   // significantly better than the champion by more than the margin
  };
  enum class Op { kGe, kGt, kLe, kLt };
  Kind kind = Kind::kAbsolute;
  std::string metric;
  Op op = Op::kGe;
  double threshold = 0;
  /// Comparisons: the allowed (kNoWorseThan) or required (kBetterThan) difference, in the
  /// metric's units, or as a fraction of the champion's value when `relative`.
  double margin = 0;
  bool relative = false;
  Severity severity = Severity::kError;
  /// As written in hone.yaml ("r2 >= 0.8"), and where ("hone.yaml:21").
  std::string text;
  std::string where;
};

/// ">=", ">", "<=", "<".
const char* OpText(MetricGate::Op op);
/// Parses "METRIC OP NUMBER" ("r2 >= 0.8", "p99_latency_us<=500"); the error shows the form.
Result<MetricGate> ParseThreshold(std::string_view text);

struct BootstrapOptions {
  int resamples = 2000;
  double confidence = 0.95;
  uint64_t seed = 42;
};

/// Candidate minus champion for one metric on the same rows.
struct Comparison {
  std::string metric;
  double candidate = 0;
  double champion = 0;
  double delta = 0;  // candidate - champion
  /// The `confidence` interval of delta from the paired bootstrap (percentile method).
  double ci_low = 0;
  double ci_high = 0;
  /// McNemar's exact two-sided p-value (accuracy only).
  std::optional<double> p_value;
  std::string method;  // "paired bootstrap (2000 resamples, 95%)" or "McNemar exact"
};

/// Predictions of both models on the same holdout rows: labels `y` (values or class indices)
/// and outputs row-major (1 per row for regression, num_classes for classification).
struct PairedPredictions {
  const learn::TargetInfo& target;
  std::span<const float> y;
  std::span<const float> candidate;
  std::span<const float> champion;
};

/// Compares candidate and champion on `metric` (any metric ScorePredictions reports).
/// Resample i draws rows from core::Rng(seed, i), so the interval does not depend on threads.
Result<Comparison> CompareWithChampion(std::string_view metric, const PairedPredictions& pairs,
                                       const BootstrapOptions& options);

struct GateInput {
  /// The candidate's figures: holdout metrics, "cv_<metric>" means, "p50_latency_us",
  /// "p99_latency_us", "model_bytes".
  learn::MetricList candidate;
  /// The champion's predictions on the same rows, when there is a champion; a gate comparing
  /// with the champion then uses them, else passes with the reason "no champion".
  std::optional<PairedPredictions> pairs;
  std::string champion_label;  // "house_prices/3"
};

/// Evaluates every gate. An absolute gate on a metric the candidate lacks fails, listing the
/// metrics it has. Comparisons also return their Comparison in `comparisons` (for reports).
std::vector<CheckResult> RunModelGates(std::span<const MetricGate> gates, const GateInput& input,
                                       const BootstrapOptions& options,
                                       std::vector<Comparison>* comparisons = nullptr);

}  // namespace hone::gate

#endif  // HONE_GATE_MODEL_GATES_H_
