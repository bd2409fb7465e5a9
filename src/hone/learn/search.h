// Hyperparameter search: grid or seeded random search over declared ranges, each trial
// cross-validated on the training rows, trials run in parallel on the local cores, the best
// chosen by the mean cross-validated metric.
#ifndef HONE_LEARN_SEARCH_H_
#define HONE_LEARN_SEARCH_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "hone/core/table.h"
#include "hone/learn/metrics.h"
#include "hone/learn/training.h"

namespace hone::learn {

/// One searched parameter: a list of choices, or a numeric range [low, high] (random search
/// only), sampled uniformly or log-uniformly, as integers when `integer`.
struct SearchDimension {
  std::string param;
  std::vector<std::string> choices;
  std::optional<double> low;
  std::optional<double> high;
  bool log = false;
  bool integer = false;
  /// Where it is written in hone.yaml ("hone.yaml:30:5"), for messages; may be empty.
  std::string where;
};

enum class SearchMethod { kGrid, kRandom };

struct SearchRequest {
  SearchMethod method = SearchMethod::kRandom;
  std::vector<SearchDimension> space;
  /// Random: trials drawn. Grid: the grid's size must not exceed it (0 = no limit).
  int trials = 10;
  /// Cross-validation folds per trial, at least 2.
  int folds = 3;
  /// The metric that picks the best trial; empty = HeadlineMetric(task).
  std::string metric;
  /// Trials run at once; 0 = one per core. The cores are shared out among them.
  unsigned parallel = 0;
  uint64_t seed = 42;
};

using ParamAssignments = std::vector<std::pair<std::string, std::string>>;

/// The trials' parameter assignments, in trial order. Grid: the Cartesian product of every
/// dimension's choices (a range is an error naming the dimension). Random: `trials` draws from
/// core::Rng(seed). Fails naming the dimension for an empty choice list or a bad range.
Result<std::vector<ParamAssignments>> PlanTrials(const SearchRequest& request);

struct TrialResult {
  size_t index = 0;
  ParamAssignments params;  // the trial's own assignments (added to the base request's)
  /// Mean over folds; empty when the trial failed.
  MetricList cv_mean;
  double score = 0;  // cv_mean[metric]
  std::optional<std::string> error;
  double seconds = 0;
};

struct SearchOutcome {
  std::string metric;
  bool higher_is_better = false;
  std::vector<TrialResult> trials;  // in trial order
  size_t best = 0;                  // index into trials
};

/// The metric a search picks by when none is named: rmse for regression, log_loss for
/// classification (it rewards calibrated probabilities, which accuracy does not see).
std::string HeadlineMetric(Task task);

/// Runs every planned trial on `table` with `base` (test_size and cv_folds of `base` are
/// ignored: each trial is cross-validated with request.folds on all of `table`'s labelled rows,
/// which should be the training rows only). `on_trial` is called after each trial, from the
/// calling thread, in completion order. Fails when the request is invalid or every trial
/// failed; a failing trial alone is recorded with its error.
Result<SearchOutcome> RunSearch(const core::Table& table, const TrainRequest& base,
                                const SearchRequest& request,
                                const std::function<void(const TrialResult&)>& on_trial = {});

/// One trial of a search, run on its own (by an executor that runs each trial elsewhere):
/// exactly what RunSearch computes for trial `index`, on base.threads threads, with the metric
/// that judges it.
struct OneTrial {
  TrialResult trial;
  std::string metric;
  bool higher_is_better = false;
};
Result<OneTrial> RunOneTrial(const core::Table& table, const TrainRequest& base,
                             const SearchRequest& request, size_t index);

/// The best of `trials` (in trial order) as RunSearch picks it: the best score, ties to the
/// earlier trial, failed trials skipped; fails with `first_error` naming the first trial's
/// error when every trial failed.
Result<SearchOutcome> ChooseBest(std::string metric, bool higher_is_better,
                                 std::vector<TrialResult> trials,
                                 ErrorCode first_error = ErrorCode::kInternal);

}  // namespace hone::learn

#endif  // HONE_LEARN_SEARCH_H_
