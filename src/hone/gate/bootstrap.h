// Internal to gate/ (model_gates.cc and bootstrap.cc only): the statistics behind a comparison
// with the champion. A seeded paired bootstrap resamples the holdout rows, computes the metric of
// both models on each resample and takes the percentile interval of their difference; for accuracy,
// McNemar's exact test on the rows where exactly one model is right adds a p-value.
//
// Decomposable metrics (mae, mape, rmse, r2, accuracy, log_loss) are summed from per-row terms
// weighted by each row's count in the resample, and ROC AUC from rows sorted once by score;
// anything else (precision, recall, F1) copies the resampled rows out and scores them. Each
// form gives the value learn::ScorePredictions gives on the same rows. Not part of hone's API.
#ifndef HONE_GATE_BOOTSTRAP_H_
#define HONE_GATE_BOOTSTRAP_H_

#include <cstddef>
#include <optional>
#include <string_view>

#include "hone/core/error.h"
#include "hone/gate/model_gates.h"
#include "hone/learn/metrics.h"

namespace hone::gate::bootstrap_internal {

/// The value of the metric called `name` in `metrics`, or null when there is none.
const double* FindMetric(const learn::MetricList& metrics, std::string_view name);

/// What the paired bootstrap finds on one metric.
struct PairedStatistics {
  /// The `confidence` percentile interval (numpy.quantile's linear method) of candidate -
  /// champion over the resamples on which the metric is defined.
  double ci_low = 0;
  double ci_high = 0;
  /// McNemar's exact two-sided p-value, for accuracy on a classification target only.
  std::optional<double> p_value;
};

/// Compares the two models of `pairs` on `metric` over `options.resamples` resamples of the
/// rows. Resample r draws its rows from core::Rng::ForTask(options.seed, r), whichever thread
/// runs it, so the result does not depend on the thread count.
///
/// `pairs` and `options` must be as CompareWithChampion has checked them, and are not checked
/// again: 1 to 2^32 - 1 rows, `width` outputs per row (1 for regression, else the number of
/// classes), each label finite (regression) or a class index below `width`, at least one
/// resample and a confidence strictly between 0 and 1. `metric` is one that
/// learn::ScorePredictions reports for the task (else every resample is undefined).
///
/// Fails with kInvalidData when the metric is undefined (NaN) on more than half of the
/// resamples, or on all of them (too few rows, or of a class).
Result<PairedStatistics> PairedBootstrap(std::string_view metric, const PairedPredictions& pairs,
                                         size_t width, const BootstrapOptions& options);

}  // namespace hone::gate::bootstrap_internal

#endif  // HONE_GATE_BOOTSTRAP_H_
