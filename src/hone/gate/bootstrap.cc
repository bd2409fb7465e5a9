#include "hone/gate/bootstrap.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "hone/core/parallel.h"
#include "hone/core/random.h"
#include "hone/learn/evaluate.h"

namespace hone::gate::bootstrap_internal {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// How a resample's metric follows from per-row terms and each row's count in the resample.
enum class Form {
  kMean,         // Σ c·t / n: mae, mape, accuracy, log_loss
  kRootMean,     // √(Σ c·t / n): rmse, t = squared error
  kR2,           // 1 - Σ c·t / Σ c·(y - ȳ)², t = squared error, sklearn's finite forcing
  kAuc,          // ROC AUC from rows presorted by score: a weighted Mann–Whitney count
  kMaterialise,  // the rows are copied and the metric computed from them (F1, …)
};

// One score column of one model, its rows sorted by score, for kAuc. Rows whose score is NaN
// are kept apart: a resample that draws one has no AUC, as learn::RocAucBinary says.
struct SortedScores {
  std::vector<uint32_t> rows;
  std::vector<float> scores;       // of `rows`
  std::vector<uint8_t> positives;  // whether each of `rows` is of the column's class
  std::vector<uint32_t> nan_rows;
};

// Everything a resample needs, computed once from all rows.
struct Plan {
  std::string metric;
  const learn::TargetInfo* target = nullptr;
  std::span<const float> y;
  std::span<const float> outputs[2];  // candidate, champion
  size_t width = 1;                   // outputs per row
  Form form = Form::kMaterialise;
  std::vector<double> terms[2];         // per-row terms of decomposable metrics
  bool finite_terms = true;             // else a row's NaN or infinity must count only where drawn
  std::vector<int> labels;              // classification: y as class indices
  std::vector<int> predicted[2];        // classification: argmax of each model's outputs
  std::vector<SortedScores> sorted[2];  // kAuc: class 1's column (binary) or every column
};

SortedScores SortScores(const Plan& plan, int side, size_t column) {
  SortedScores out;
  for (size_t i = 0; i < plan.y.size(); ++i) {
    const float score = plan.outputs[side][i * plan.width + column];
    (std::isnan(score) ? out.nan_rows : out.rows).push_back(static_cast<uint32_t>(i));
  }
  std::stable_sort(out.rows.begin(), out.rows.end(), [&](uint32_t a, uint32_t b) {
    return plan.outputs[side][a * plan.width + column] <
           plan.outputs[side][b * plan.width + column];
  });
  for (uint32_t row : out.rows) {
    out.scores.push_back(plan.outputs[side][row * plan.width + column]);
    out.positives.push_back(plan.labels[row] == static_cast<int>(column) ? 1 : 0);
  }
  return out;
}

void PrepareTerms(Plan& plan) {
  const std::string& m = plan.metric;
  const size_t n = plan.y.size();
  const bool regression = plan.target->task == learn::Task::kRegression;
  auto per_row = [&](auto term) {
    for (int side = 0; side < 2; ++side) {
      plan.terms[side].resize(n);
      for (size_t i = 0; i < n; ++i) {
        plan.terms[side][i] = term(side, i);
        plan.finite_terms = plan.finite_terms && std::isfinite(plan.terms[side][i]);
      }
    }
  };
  if (regression && (m == "rmse" || m == "r2")) {
    plan.form = m == "rmse" ? Form::kRootMean : Form::kR2;
    per_row([&](int side, size_t i) {
      const double error = static_cast<double>(plan.y[i]) - plan.outputs[side][i];
      return error * error;
    });
  } else if (regression && m == "mae") {
    plan.form = Form::kMean;
    per_row([&](int side, size_t i) {
      return std::abs(static_cast<double>(plan.y[i]) - plan.outputs[side][i]);
    });
  } else if (regression && m == "mape") {
    plan.form = Form::kMean;
    per_row([&](int side, size_t i) {
      const double truth = plan.y[i];
      return std::abs(plan.outputs[side][i] - truth) /
             std::max(std::abs(truth), std::numeric_limits<double>::epsilon());
    });
  } else if (!regression && m == "accuracy") {
    plan.form = Form::kMean;
    per_row(
        [&](int side, size_t i) { return plan.predicted[side][i] == plan.labels[i] ? 1.0 : 0.0; });
  } else if (!regression && m == "roc_auc") {
    plan.form = Form::kAuc;
    for (int side = 0; side < 2; ++side) {
      for (size_t column = plan.width == 2 ? 1 : 0; column < plan.width; ++column) {
        plan.sorted[side].push_back(SortScores(plan, side, column));
      }
    }
  } else if (!regression && m == "log_loss") {
    // As learn::LogLoss: clip to [eps, 1 - eps], then renormalise the clipped row.
    constexpr double kEps = 1e-15;
    plan.form = Form::kMean;
    per_row([&](int side, size_t i) {
      const std::span<const float> row = plan.outputs[side].subspan(i * plan.width, plan.width);
      double row_sum = 0;
      for (float p : row) row_sum += std::clamp<double>(p, kEps, 1.0 - kEps);
      const double p_true = std::clamp<double>(row[plan.labels[i]], kEps, 1.0 - kEps);
      return -std::log(p_true / row_sum);
    });
  }
}

// learn::RocAucBinary of one column against its class on the resample with row `counts`: each
// positive counts the negatives scored below it, and half of those tied with it, accumulated
// doubled in integers as learn does, so the result is the same to the last bit.
double AucFromCounts(const SortedScores& sorted, std::span<const uint32_t> counts) {
  for (uint32_t row : sorted.nan_rows) {
    if (counts[row] > 0) return kNaN;
  }
  uint64_t positives = 0;
  uint64_t negatives = 0;
  uint64_t below = 0;  // weight of the negatives scored below the current score
  uint64_t twice_u = 0;
  for (size_t j = 0; j < sorted.rows.size();) {
    const float score = sorted.scores[j];
    uint64_t tied_positives = 0;
    uint64_t tied_negatives = 0;
    for (; j < sorted.rows.size() && sorted.scores[j] == score; ++j) {
      (sorted.positives[j] != 0 ? tied_positives : tied_negatives) += counts[sorted.rows[j]];
    }
    twice_u += tied_positives * (2 * below + tied_negatives);
    below += tied_negatives;
    positives += tied_positives;
    negatives += tied_negatives;
  }
  if (positives == 0 || negatives == 0) return kNaN;
  return static_cast<double>(twice_u) /
         (2.0 * static_cast<double>(positives) * static_cast<double>(negatives));
}

// ROC AUC as learn::ClassificationMetrics defines it: binary, or one-vs-rest macro averaged
// over the classes present (learn::RocAucOvr).
double AucOfModel(const Plan& plan, int side, std::span<const uint32_t> counts) {
  if (plan.width == 2) return AucFromCounts(plan.sorted[side][0], counts);
  std::vector<uint64_t> support(plan.width);
  for (size_t i = 0; i < counts.size(); ++i) support[plan.labels[i]] += counts[i];
  double sum = 0;
  size_t present = 0;
  for (size_t c = 0; c < plan.width; ++c) {
    if (support[c] == 0) continue;
    if (support[c] == counts.size()) return kNaN;  // one class only
    sum += AucFromCounts(plan.sorted[side][c], counts);
    ++present;
  }
  return present < 2 ? kNaN : sum / static_cast<double>(present);
}

// The metric of each model on the resample whose row counts are `counts` (Σ counts = n).
std::pair<double, double> FromCounts(const Plan& plan, std::span<const uint32_t> counts) {
  const size_t n = counts.size();
  if (plan.form == Form::kAuc) return {AucOfModel(plan, 0, counts), AucOfModel(plan, 1, counts)};
  double sums[2] = {0, 0};
  for (size_t i = 0; i < n; ++i) {
    // Branch-free (about a third of the counts are 0) unless 0 · ∞ would make a NaN.
    if (!plan.finite_terms && counts[i] == 0) continue;
    sums[0] += counts[i] * plan.terms[0][i];
    sums[1] += counts[i] * plan.terms[1][i];
  }
  const double rows = static_cast<double>(n);
  switch (plan.form) {
    case Form::kMean:
      return {sums[0] / rows, sums[1] / rows};
    case Form::kRootMean:
      return {std::sqrt(sums[0] / rows), std::sqrt(sums[1] / rows)};
    case Form::kR2: {
      if (n < 2) return {kNaN, kNaN};
      double sum_y = 0;
      for (size_t i = 0; i < n; ++i) sum_y += counts[i] * static_cast<double>(plan.y[i]);
      const double mean = sum_y / rows;
      double total = 0;
      for (size_t i = 0; i < n; ++i) {
        const double deviation = plan.y[i] - mean;
        total += counts[i] * deviation * deviation;
      }
      auto r2 = [total](double residual) {
        if (residual == 0) return 1.0;
        if (total == 0) return 0.0;
        return 1.0 - residual / total;
      };
      return {r2(sums[0]), r2(sums[1])};
    }
    case Form::kAuc:
    case Form::kMaterialise:
      break;
  }
  HONE_CHECK(false);
  return {kNaN, kNaN};
}

// The metric of one model on the rows `rows` (with repeats), copied out: precision, recall and
// F1 from the predicted labels, anything else from ScorePredictions.
double MetricOfRows(const Plan& plan, int side, std::span<const uint32_t> rows) {
  const std::string& m = plan.metric;
  const size_t n = rows.size();
  const size_t k = plan.width;
  const bool macro = m.ends_with("_macro");
  const bool averaged = macro || m.ends_with("_weighted");
  const std::string_view family = averaged ? std::string_view(m).substr(0, m.rfind('_')) : m;
  if (learn::IsClassification(plan.target->task) &&
      (family == "precision" || family == "recall" || family == "f1")) {
    std::vector<int> labels(n);
    std::vector<int> predicted(n);
    for (size_t j = 0; j < n; ++j) {
      labels[j] = plan.labels[rows[j]];
      predicted[j] = plan.predicted[side][rows[j]];
    }
    // Plain precision, recall and f1 are reported for two classes only: class 1's.
    const learn::PrecisionRecallF1 scores =
        averaged
            ? learn::PrecisionRecallF1Score(
                  labels, predicted, macro ? learn::Average::kMacro : learn::Average::kWeighted)
            : learn::BinaryPrecisionRecallF1(labels, predicted);
    if (family == "precision") return scores.precision;
    return family == "recall" ? scores.recall : scores.f1;
  }
  // Anything else ScorePredictions reports: score the copied rows in full.
  std::vector<float> y(n);
  std::vector<float> outputs(n * k);
  for (size_t j = 0; j < n; ++j) {
    y[j] = plan.y[rows[j]];
    const float* row = plan.outputs[side].data() + rows[j] * k;
    std::copy(row, row + k, outputs.begin() + static_cast<ptrdiff_t>(j * k));
  }
  const double* value = FindMetric(learn::ScorePredictions(*plan.target, y, outputs), m);
  return value != nullptr ? *value : kNaN;
}

// candidate - champion on resample `r`, NaN where the metric is undefined on it. `scratch`
// holds n entries. Only (seed, r) decide the rows, never the thread.
double ResampleDelta(const Plan& plan, uint64_t seed, size_t r, std::vector<uint32_t>& scratch) {
  const size_t n = plan.y.size();
  core::Rng rng = core::Rng::ForTask(seed, r);
  std::pair<double, double> values;
  if (plan.form == Form::kMaterialise) {
    for (size_t j = 0; j < n; ++j) scratch[j] = static_cast<uint32_t>(rng.Below(n));
    values = {MetricOfRows(plan, 0, scratch), MetricOfRows(plan, 1, scratch)};
  } else {
    std::fill(scratch.begin(), scratch.end(), 0);
    for (size_t j = 0; j < n; ++j) ++scratch[rng.Below(n)];
    values = FromCounts(plan, scratch);
  }
  return values.first - values.second;  // NaN when either is
}

// numpy.quantile's default (linear) method on sorted values.
double Quantile(const std::vector<double>& sorted, double q) {
  const double h = q * static_cast<double>(sorted.size() - 1);
  const size_t low = static_cast<size_t>(std::floor(h));
  if (low + 1 >= sorted.size()) return sorted.back();
  return sorted[low] + (h - static_cast<double>(low)) * (sorted[low + 1] - sorted[low]);
}

// P(X <= k) for X ~ Binomial(n, 1/2), k <= n/2. Summed downwards from the largest term, in
// ratios of it, so that no term underflows before it matters.
double BinomialHalfCdf(uint64_t k, uint64_t n) {
  const double nd = static_cast<double>(n);
  const double log_top = std::lgamma(nd + 1) - std::lgamma(static_cast<double>(k) + 1) -
                         std::lgamma(nd - static_cast<double>(k) + 1) - nd * std::log(2.0);
  double ratio = 1;
  double sum = 1;
  for (uint64_t i = k; i > 0 && ratio > 1e-20 * sum; --i) {
    ratio *= static_cast<double>(i) / (nd - static_cast<double>(i) + 1);  // t(i-1) / t(i)
    sum += ratio;
  }
  return std::exp(log_top) * sum;
}

// McNemar's exact two-sided test on the rows where exactly one model is right: with b rows
// where only the candidate is, c where only the champion is, p = 2 P(X <= min(b, c)) for
// X ~ Binomial(b + c, 1/2), at most 1 (1 when the models are right on the same rows).
double McNemarExactPValue(const Plan& plan) {
  uint64_t b = 0;  // candidate right, champion wrong
  uint64_t c = 0;  // the reverse
  for (size_t i = 0; i < plan.labels.size(); ++i) {
    const bool candidate_right = plan.predicted[0][i] == plan.labels[i];
    const bool champion_right = plan.predicted[1][i] == plan.labels[i];
    b += candidate_right && !champion_right ? 1 : 0;
    c += champion_right && !candidate_right ? 1 : 0;
  }
  return b + c == 0 ? 1.0 : std::min(1.0, 2 * BinomialHalfCdf(std::min(b, c), b + c));
}

}  // namespace

const double* FindMetric(const learn::MetricList& metrics, std::string_view name) {
  for (const auto& [metric, value] : metrics) {
    if (metric == name) return &value;
  }
  return nullptr;
}

Result<PairedStatistics> PairedBootstrap(std::string_view metric, const PairedPredictions& pairs,
                                         size_t width, const BootstrapOptions& options) {
  const bool regression = pairs.target.task == learn::Task::kRegression;
  Plan plan;
  plan.metric = std::string(metric);
  plan.target = &pairs.target;
  plan.y = pairs.y;
  plan.outputs[0] = pairs.candidate;
  plan.outputs[1] = pairs.champion;
  plan.width = width;
  if (!regression) {
    plan.labels.assign(pairs.y.begin(), pairs.y.end());
    for (int side = 0; side < 2; ++side) {
      plan.predicted[side] = learn::ArgmaxRows(plan.outputs[side], width);
    }
  }
  PrepareTerms(plan);

  // Resamples in chunks, so each chunk allocates its scratch once; every delta lands in its
  // own slot, so the thread count never changes the result.
  const size_t resamples = static_cast<size_t>(options.resamples);
  constexpr size_t kChunk = 16;
  std::vector<double> deltas(resamples);
  core::ParallelFor((resamples + kChunk - 1) / kChunk, 0, [&](size_t chunk) {
    std::vector<uint32_t> scratch(pairs.y.size());
    for (size_t r = chunk * kChunk; r < std::min(resamples, (chunk + 1) * kChunk); ++r) {
      deltas[r] = ResampleDelta(plan, options.seed, r, scratch);
    }
  });
  std::erase_if(deltas, [](double d) { return std::isnan(d); });
  const size_t dropped = resamples - deltas.size();
  if (deltas.empty() || 2 * dropped > resamples) {
    return Fail(ErrorCode::kInvalidData,
                "cannot compare '" + plan.metric + "' with the champion: it is undefined on " +
                    std::to_string(dropped) + " of " + std::to_string(resamples) +
                    " bootstrap resamples of the " + std::to_string(pairs.y.size()) +
                    " holdout rows (too few rows, or of a class); use more holdout rows or "
                    "another metric");
  }
  std::sort(deltas.begin(), deltas.end());
  const double alpha = (1 - options.confidence) / 2;
  PairedStatistics out;
  out.ci_low = Quantile(deltas, alpha);
  out.ci_high = Quantile(deltas, 1 - alpha);
  if (!regression && plan.metric == "accuracy") out.p_value = McNemarExactPValue(plan);
  return out;
}

}  // namespace hone::gate::bootstrap_internal
