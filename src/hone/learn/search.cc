#include "hone/learn/search.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <string_view>
#include <thread>

#include "hone/core/parallel.h"
#include "hone/core/random.h"

namespace hone::learn {
namespace {

// Integer bounds beyond this lose whole numbers in a double.
constexpr double kMaxIntegerBound = 9007199254740992.0;  // 2^53

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// "'learning_rate' (hone.yaml:31)", or just the quoted name when the place is unknown.
std::string Subject(const SearchDimension& d) {
  return "'" + d.param + "'" + (d.where.empty() ? "" : " (" + d.where + ")");
}

std::string FormatDouble(double v) {
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v);
  HONE_CHECK(ec == std::errc());
  return std::string(buffer, end);
}

Result<void> CheckDimension(const SearchDimension& d, SearchMethod method) {
  auto bad = [&](const std::string& why) {
    return Fail(ErrorCode::kInvalidArgument, "search parameter " + Subject(d) + ": " + why);
  };
  if (d.param.empty()) return bad("the parameter has no name");
  const bool has_range = d.low.has_value() || d.high.has_value();
  if (method == SearchMethod::kGrid && d.choices.empty() && has_range) {
    return Fail(ErrorCode::kInvalidArgument,
                "grid search needs a list of values for " + Subject(d));
  }
  if (!d.choices.empty() && has_range) return bad("give a list of values or a range, not both");
  if (!has_range) {
    if (d.choices.empty()) return bad("the list of values is empty");
    return {};
  }
  if (!d.low || !d.high) return bad(std::string("the range lacks its ") + (d.low ? "high" : "low"));
  const double low = *d.low, high = *d.high;
  if (!std::isfinite(low) || !std::isfinite(high)) return bad("the range's bounds must be finite");
  if (!(low < high)) {
    return bad("low (" + FormatDouble(low) + ") must be below high (" + FormatDouble(high) + ")");
  }
  if (d.log && low <= 0) {
    return bad("a log range needs low > 0, got " + FormatDouble(low));
  }
  if (d.integer && (low != std::floor(low) || high != std::floor(high) ||
                    std::fabs(low) > kMaxIntegerBound || std::fabs(high) > kMaxIntegerBound)) {
    return bad("an integer range needs whole-number bounds, got [" + FormatDouble(low) + ", " +
               FormatDouble(high) + "]");
  }
  return {};
}

Result<void> CheckRequest(const SearchRequest& request) {
  if (request.folds < 2) {
    return Fail(ErrorCode::kInvalidArgument,
                "search folds must be at least 2, got " + std::to_string(request.folds));
  }
  if (request.method == SearchMethod::kRandom && request.trials < 1) {
    return Fail(ErrorCode::kInvalidArgument,
                "random search needs at least 1 trial, got " + std::to_string(request.trials));
  }
  if (request.trials < 0) {
    return Fail(ErrorCode::kInvalidArgument, "search trials must be 0 (no limit) or more, got " +
                                                 std::to_string(request.trials));
  }
  if (request.space.empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                "the search space is empty; declare at least one parameter to search");
  }
  std::set<std::string_view> seen;
  for (const SearchDimension& d : request.space) {
    if (!seen.insert(d.param).second) {
      return Fail(ErrorCode::kInvalidArgument,
                  "search parameter " + Subject(d) + " is declared twice");
    }
    HONE_TRY(CheckDimension(d, request.method));
  }
  return {};
}

Result<std::vector<ParamAssignments>> PlanGrid(const SearchRequest& request) {
  size_t size = 1;
  for (const SearchDimension& d : request.space) {
    // Past the limit (or overflow) the exact size does not matter: it is too large either way.
    size = size > SIZE_MAX / d.choices.size() ? SIZE_MAX : size * d.choices.size();
  }
  const size_t limit = request.trials > 0 ? static_cast<size_t>(request.trials) : 1'000'000;
  if (size > limit) {
    const std::string count = size == SIZE_MAX ? "too many" : std::to_string(size);
    return Fail(ErrorCode::kInvalidArgument, "the search grid has " + count +
                                                 " points, more than the " + std::to_string(limit) +
                                                 " trials allowed; drop values or raise trials");
  }
  std::vector<ParamAssignments> trials;
  trials.reserve(size);
  std::vector<size_t> digit(request.space.size(), 0);  // an odometer, last dimension fastest
  for (size_t t = 0; t < size; ++t) {
    ParamAssignments& a = trials.emplace_back();
    for (size_t i = 0; i < digit.size(); ++i) {
      a.emplace_back(request.space[i].param, request.space[i].choices[digit[i]]);
    }
    for (size_t i = digit.size(); i-- > 0;) {
      if (++digit[i] < request.space[i].choices.size()) break;
      digit[i] = 0;
    }
  }
  return trials;
}

std::string Draw(const SearchDimension& d, core::Rng& rng) {
  if (!d.choices.empty()) return d.choices[rng.Below(d.choices.size())];
  const double low = *d.low, high = *d.high;
  if (d.integer) {
    if (!d.log) {
      const auto span = static_cast<uint64_t>(high - low) + 1;
      return std::to_string(static_cast<int64_t>(low) + static_cast<int64_t>(rng.Below(span)));
    }
    // Log-uniform over [low - 0.5, high + 0.5), rounded: each integer gets the share of the
    // log scale that rounds to it, so the ends are not under-drawn.
    const double a = std::log(low - 0.5), b = std::log(high + 0.5);
    const double v = std::round(std::exp(a + rng.Uniform() * (b - a)));
    return std::to_string(static_cast<int64_t>(std::clamp(v, low, high)));
  }
  const double u = rng.Uniform();
  const double v = d.log ? std::exp(std::log(low) + u * (std::log(high) - std::log(low)))
                         : low + u * (high - low);
  return FormatDouble(std::clamp(v, low, high));  // exp() may round a hair past a bound
}

// Whether a larger value of a learn metric is better. Every metric the tasks report must be
// listed (the tests check that); a new metric without a direction stops here.
bool MetricHigherIsBetter(std::string_view metric) {
  for (std::string_view lower : {"rmse", "mae", "mape", "log_loss"}) {
    if (metric == lower) return false;
  }
  for (std::string_view higher : {"r2", "accuracy", "roc_auc"}) {
    if (metric == higher) return true;
  }
  for (std::string_view prefix : {"precision", "recall", "f1"}) {
    if (metric.starts_with(prefix)) return true;
  }
  HONE_CHECK(false && "a reported metric has no direction");
  return false;
}

// The metrics a task reports, in the metric functions' own order, read off a tiny dummy so
// that this list cannot drift from what cross-validation returns.
std::vector<std::string> ReportedMetrics(Task task) {
  MetricList metrics;
  if (task == Task::kRegression) {
    const float y[] = {0, 1};
    metrics = RegressionMetrics(y, y);
  } else {
    const size_t k = task == Task::kBinary ? 2 : 3;
    std::vector<int> y(k);
    std::vector<float> proba(k * k, 1.0f / static_cast<float>(k));
    for (size_t i = 0; i < k; ++i) y[i] = static_cast<int>(i);
    metrics = ClassificationMetrics(y, proba, k);
  }
  std::vector<std::string> names;
  for (const auto& [name, value] : metrics) names.push_back(name);
  return names;
}

std::string AssignmentText(const ParamAssignments& params) {
  std::string out;
  for (const auto& [k, v] : params) out += (out.empty() ? "" : ", ") + k + "=" + v;
  return out;
}

// Resolves every trial's parameters before any trial runs, so that a name or value the trainer
// refuses fails the search at once, naming the searched parameter and where it is declared.
Result<std::vector<ParamValues>> ResolveTrials(const ParamTable& table, const TrainRequest& base,
                                               const SearchRequest& request,
                                               const std::vector<ParamAssignments>& trials) {
  std::vector<ParamValues> resolved;
  for (const ParamAssignments& trial : trials) {
    ParamAssignments all = base.params;
    all.insert(all.end(), trial.begin(), trial.end());
    auto values = table.Resolve(all);
    if (values) {
      resolved.push_back(std::move(*values));
      continue;
    }
    for (const auto& assignment : trial) {
      ParamAssignments one = base.params;
      one.push_back(assignment);
      if (table.Resolve(one)) continue;
      for (const SearchDimension& d : request.space) {
        if (d.param == assignment.first) {
          // Resolve's message names the parameter; the context says where it is declared.
          return Fail(values.error().WithContext(
              d.where.empty() ? "search space" : "search space (" + d.where + ")"));
        }
      }
    }
    return Fail(values.error().WithContext("search trial " + AssignmentText(trial)));
  }
  return resolved;
}

// A finished trial, with the code of its error (the message goes in the result).
struct Finished {
  TrialResult result;
  ErrorCode code = ErrorCode::kInternal;
};

Finished RunTrial(const PreparedData& data, const SearchRequest& request, const std::string& metric,
                  const ParamValues& params, unsigned threads) {
  Finished f;
  TrialResult& r = f.result;
  const auto start = std::chrono::steady_clock::now();
  auto cv = CrossValidate(data, request.folds, request.seed, threads, &params);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!cv) {
    r.error = cv.error().message();
    f.code = cv.error().code();
    return f;
  }
  for (const auto& [name, mean_sd] : cv->summary) r.cv_mean.emplace_back(name, mean_sd.first);
  auto it = std::find_if(r.cv_mean.begin(), r.cv_mean.end(),
                         [&](const auto& m) { return m.first == metric; });
  if (it == r.cv_mean.end() || std::isnan(it->second)) {
    r.error = "metric '" + metric + "' could not be computed on this trial's folds";
    f.code = ErrorCode::kInvalidData;
    return f;
  }
  r.score = it->second;
  return f;
}

// Runs the trials on `parallel` worker threads; the calling thread hands each finished trial
// to `on_trial` (which may be slow) while the workers go on.
std::vector<Finished> RunTrials(const PreparedData& data, const SearchRequest& request,
                                const std::string& metric,
                                const std::vector<ParamAssignments>& trials,
                                const std::vector<ParamValues>& params, unsigned parallel,
                                unsigned threads_per_trial,
                                const std::function<void(const TrialResult&)>& on_trial) {
  const size_t n = params.size();
  std::vector<Finished> results(n);
  std::mutex mutex;
  std::condition_variable done_cv;
  std::deque<Finished> done;
  std::atomic<size_t> next{0};
  {
    // Declared after the queue it writes to, so it is joined first even on unwinding.
    std::vector<std::jthread> workers;
    for (unsigned w = 0; w < parallel; ++w) {
      workers.emplace_back([&] {
        for (size_t i = next.fetch_add(1); i < n; i = next.fetch_add(1)) {
          Finished f = RunTrial(data, request, metric, params[i], threads_per_trial);
          f.result.index = i;
          f.result.params = trials[i];
          std::lock_guard lock(mutex);
          done.push_back(std::move(f));
          done_cv.notify_one();
        }
      });
    }
    for (size_t received = 0; received < n;) {
      std::deque<Finished> batch;
      {
        std::unique_lock lock(mutex);
        done_cv.wait(lock, [&] { return !done.empty(); });
        batch.swap(done);
      }
      for (Finished& f : batch) {
        ++received;
        const size_t i = f.result.index;
        results[i] = std::move(f);
        if (on_trial) on_trial(results[i].result);
      }
    }
  }
  return results;
}

}  // namespace

std::string HeadlineMetric(Task task) { return task == Task::kRegression ? "rmse" : "log_loss"; }

Result<std::vector<ParamAssignments>> PlanTrials(const SearchRequest& request) {
  HONE_TRY(CheckRequest(request));
  if (request.method == SearchMethod::kGrid) return PlanGrid(request);
  core::Rng rng(request.seed);
  std::vector<ParamAssignments> trials(static_cast<size_t>(request.trials));
  for (ParamAssignments& trial : trials) {
    for (const SearchDimension& d : request.space) trial.emplace_back(d.param, Draw(d, rng));
  }
  return trials;
}

namespace {

// What every trial of a search shares: the planned assignments, the prepared rows, the metric
// that judges and each trial's resolved parameters.
struct SearchSetup {
  std::vector<ParamAssignments> trials;
  PreparedData data;
  std::string metric;
  bool higher_is_better = false;
  std::vector<ParamValues> params;
};

Result<SearchSetup> SetUpSearch(const core::Table& table, const TrainRequest& base,
                                const SearchRequest& request) {
  SearchSetup setup;
  HONE_ASSIGN_OR_RETURN(setup.trials, PlanTrials(request));
  TrainRequest prepare = base;
  prepare.test_size = 0;
  prepare.cv_folds = 0;
  HONE_ASSIGN_OR_RETURN(setup.data, PrepareTraining(table, prepare));
  if (static_cast<size_t>(request.folds) > setup.data.split.train.size()) {
    return Fail(ErrorCode::kInvalidArgument,
                "search folds " + std::to_string(request.folds) + " exceed the " +
                    std::to_string(setup.data.split.train.size()) + " labelled rows");
  }
  const Task task = setup.data.target.task;
  setup.metric = request.metric.empty() ? HeadlineMetric(task) : request.metric;
  const std::vector<std::string> reported = ReportedMetrics(task);
  if (std::find(reported.begin(), reported.end(), setup.metric) == reported.end()) {
    return Fail(ErrorCode::kInvalidArgument, "search metric '" + setup.metric +
                                                 "' is not reported for a " + TaskName(task) +
                                                 " target; choose one of: " + Join(reported));
  }
  setup.higher_is_better = MetricHigherIsBetter(setup.metric);
  HONE_ASSIGN_OR_RETURN(setup.params,
                        ResolveTrials(setup.data.trainer->params(), base, request, setup.trials));
  return setup;
}

}  // namespace

Result<SearchOutcome> ChooseBest(std::string metric, bool higher_is_better,
                                 std::vector<TrialResult> trials, ErrorCode first_error) {
  if (trials.empty()) return Fail(ErrorCode::kInvalidArgument, "a search without trials");
  SearchOutcome outcome;
  outcome.metric = std::move(metric);
  outcome.higher_is_better = higher_is_better;
  outcome.trials = std::move(trials);
  std::optional<size_t> best;
  for (size_t i = 0; i < outcome.trials.size(); ++i) {
    const TrialResult& t = outcome.trials[i];
    if (t.error) continue;
    const double best_score = best ? outcome.trials[*best].score : 0;
    // Strictly better only, so that ties go to the earlier trial.
    if (!best || (outcome.higher_is_better ? t.score > best_score : t.score < best_score)) {
      best = i;
    }
  }
  if (!best) {
    const TrialResult& first = outcome.trials.front();
    return Fail(first_error, "all " + std::to_string(outcome.trials.size()) +
                                 " search trials failed; the first (" +
                                 AssignmentText(first.params) +
                                 "): " + first.error.value_or("no result"));
  }
  outcome.best = *best;
  return outcome;
}

Result<SearchOutcome> RunSearch(const core::Table& table, const TrainRequest& base,
                                const SearchRequest& request,
                                const std::function<void(const TrialResult&)>& on_trial) {
  HONE_ASSIGN_OR_RETURN(SearchSetup setup, SetUpSearch(table, base, request));
  const unsigned cores = core::ResolveThreads(base.threads);
  unsigned parallel = request.parallel == 0 ? cores : request.parallel;
  parallel = static_cast<unsigned>(std::min<size_t>(parallel, setup.trials.size()));
  const unsigned threads_per_trial = std::max(1u, cores / parallel);
  std::vector<Finished> finished = RunTrials(setup.data, request, setup.metric, setup.trials,
                                             setup.params, parallel, threads_per_trial, on_trial);
  const ErrorCode first_error = finished.front().code;
  std::vector<TrialResult> trials;
  for (Finished& f : finished) trials.push_back(std::move(f.result));
  return ChooseBest(setup.metric, setup.higher_is_better, std::move(trials), first_error);
}

Result<OneTrial> RunOneTrial(const core::Table& table, const TrainRequest& base,
                             const SearchRequest& request, size_t index) {
  HONE_ASSIGN_OR_RETURN(SearchSetup setup, SetUpSearch(table, base, request));
  if (index >= setup.trials.size()) {
    return Fail(ErrorCode::kInvalidArgument, "search trial " + std::to_string(index) +
                                                 " does not exist: the search has " +
                                                 std::to_string(setup.trials.size()) + " trials");
  }
  Finished f = RunTrial(setup.data, request, setup.metric, setup.params[index],
                        core::ResolveThreads(base.threads));
  f.result.index = index;
  f.result.params = setup.trials[index];
  return OneTrial{std::move(f.result), setup.metric, setup.higher_is_better};
}

}  // namespace hone::learn
