#include "hone/learn/metrics.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>

#include "hone/core/error.h"

namespace hone::learn {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// sklearn's MAPE guard: np.finfo(np.float64).eps.
constexpr double kMapeFloor = std::numeric_limits<double>::epsilon();
// The header's contract (and sklearn's default up to 1.1). sklearn 1.2's default eps="auto"
// is np.finfo(y_pred.dtype).eps instead, which would make the loss depend on whether the caller
// handed sklearn float32 or float64; the fixtures pass eps=1e-15 explicitly.
constexpr double kLogLossEps = 1e-15;

// Per-label counts over labels [0, max label]. A label is "present" (in sklearn's default
// label set) when it occurs in y_true or y_pred.
struct LabelCounts {
  std::vector<int64_t> tp;
  std::vector<int64_t> predicted;
  std::vector<int64_t> actual;
  bool Present(size_t label) const { return predicted[label] > 0 || actual[label] > 0; }
};

LabelCounts CountLabels(std::span<const int> y_true, std::span<const int> y_pred) {
  HONE_CHECK(y_true.size() == y_pred.size());
  int max_label = -1;
  for (size_t i = 0; i < y_true.size(); ++i) {
    HONE_CHECK(y_true[i] >= 0 && y_pred[i] >= 0);
    max_label = std::max({max_label, y_true[i], y_pred[i]});
  }
  const size_t size = static_cast<size_t>(max_label + 1);
  LabelCounts counts{std::vector<int64_t>(size), std::vector<int64_t>(size),
                     std::vector<int64_t>(size)};
  for (size_t i = 0; i < y_true.size(); ++i) {
    ++counts.actual[y_true[i]];
    ++counts.predicted[y_pred[i]];
    if (y_true[i] == y_pred[i]) ++counts.tp[y_true[i]];
  }
  return counts;
}

// zero_division=0: an empty denominator scores 0, as sklearn's default (after its warning).
double Ratio(int64_t numerator, int64_t denominator) {
  return denominator == 0 ? 0.0 : static_cast<double>(numerator) / denominator;
}

// sklearn derives F1 from the rounded precision and recall, not from the counts; doing the same
// keeps results bit-close rather than merely mathematically equal.
double F1(double precision, double recall) {
  const double denominator = precision + recall;
  return denominator == 0.0 ? 0.0 : 2.0 * precision * recall / denominator;
}

// Maps a float to an unsigned key with the same order, so scores sort as plain integers.
// -0.0 is folded into +0.0 first because the two compare equal and so must tie.
uint32_t OrderedBits(float score) {
  const uint32_t bits = std::bit_cast<uint32_t>(score == 0.0f ? 0.0f : score);
  return (bits & 0x80000000u) != 0 ? ~bits : (bits | 0x80000000u);
}

// Sorts keys ascending: an LSD radix sort in three stable 11-bit counting passes. Linear time
// and several times faster than std::sort on a million scores, which is what keeps one-vs-rest
// AUC over many classes cheap.
void RadixSort(std::vector<uint32_t>& keys) {
  constexpr int kBits = 11;
  constexpr size_t kBuckets = size_t{1} << kBits;
  constexpr int kPasses = 3;  // 33 bits cover the 32 of a key
  std::vector<size_t> counts(kPasses * kBuckets);
  for (uint32_t key : keys) {
    for (int pass = 0; pass < kPasses; ++pass) {
      ++counts[pass * kBuckets + ((key >> (pass * kBits)) & (kBuckets - 1))];
    }
  }
  std::vector<uint32_t> buffer(keys.size());
  for (int pass = 0; pass < kPasses; ++pass) {
    size_t* const count = counts.data() + pass * kBuckets;
    // A digit every key shares (the sign and exponent of probabilities, say) needs no pass.
    if (std::find(count, count + kBuckets, keys.size()) != count + kBuckets) continue;
    size_t offset = 0;
    for (size_t bucket = 0; bucket < kBuckets; ++bucket) {
      offset += std::exchange(count[bucket], offset);
    }
    for (uint32_t key : keys) buffer[count[(key >> (pass * kBits)) & (kBuckets - 1)]++] = key;
    keys.swap(buffer);
  }
}

// ROC AUC from the OrderedBits keys of the positive and of the negative rows (sorted in place).
// The trapezoidal area under sklearn's ROC curve equals the Mann–Whitney statistic, with a
// positive tied with a negative counting one half. It is accumulated doubled, in integers, so
// the only rounding is the final division.
double AucOfKeys(std::vector<uint32_t>& positives, std::vector<uint32_t>& negatives) {
  if (positives.empty() || negatives.empty()) return kNaN;
  RadixSort(positives);
  RadixSort(negatives);
  size_t below = 0;      // negatives scoring strictly below the current positive
  size_t not_above = 0;  // negatives scoring at most the current positive
  uint64_t twice_u = 0;
  for (uint32_t key : positives) {
    while (below < negatives.size() && negatives[below] < key) ++below;
    not_above = std::max(not_above, below);
    while (not_above < negatives.size() && negatives[not_above] == key) ++not_above;
    twice_u += below + not_above;  // 2 * below + (not_above - below) tied
  }
  return static_cast<double>(twice_u) /
         (2.0 * static_cast<double>(positives.size()) * static_cast<double>(negatives.size()));
}

// Binary AUC of column `column` of a row-major score matrix against "y_true == positive".
// A NaN score makes the ranking undefined, and so the AUC.
double AucOneVsRest(std::span<const int> y_true, std::span<const float> scores, size_t stride,
                    size_t column, int positive) {
  std::vector<uint32_t> positives;
  std::vector<uint32_t> negatives;
  negatives.reserve(y_true.size());
  for (size_t i = 0; i < y_true.size(); ++i) {
    const float score = scores[i * stride + column];
    if (std::isnan(score)) return kNaN;
    (y_true[i] == positive ? positives : negatives).push_back(OrderedBits(score));
  }
  return AucOfKeys(positives, negatives);
}

}  // namespace

double R2(std::span<const float> y_true, std::span<const float> y_pred) {
  HONE_CHECK(y_true.size() == y_pred.size());
  // sklearn returns NaN below two samples: the variance of one value says nothing.
  if (y_true.size() < 2) return kNaN;
  double sum = 0;
  for (float y : y_true) sum += y;
  const double mean = sum / static_cast<double>(y_true.size());
  double residual = 0;
  double total = 0;
  for (size_t i = 0; i < y_true.size(); ++i) {
    const double error = static_cast<double>(y_true[i]) - y_pred[i];
    const double deviation = y_true[i] - mean;
    residual += error * error;
    total += deviation * deviation;
  }
  // sklearn's force_finite=True: perfect predictions score 1 even for a constant target, and
  // imperfect predictions of a constant target score 0 rather than -inf.
  if (residual == 0) return 1.0;
  if (total == 0) return 0.0;
  return 1.0 - residual / total;
}

double Rmse(std::span<const float> y_true, std::span<const float> y_pred) {
  HONE_CHECK(y_true.size() == y_pred.size());
  if (y_true.empty()) return kNaN;
  double sum = 0;
  for (size_t i = 0; i < y_true.size(); ++i) {
    const double error = static_cast<double>(y_true[i]) - y_pred[i];
    sum += error * error;
  }
  return std::sqrt(sum / static_cast<double>(y_true.size()));
}

double Mae(std::span<const float> y_true, std::span<const float> y_pred) {
  HONE_CHECK(y_true.size() == y_pred.size());
  if (y_true.empty()) return kNaN;
  double sum = 0;
  for (size_t i = 0; i < y_true.size(); ++i) {
    sum += std::abs(static_cast<double>(y_true[i]) - y_pred[i]);
  }
  return sum / static_cast<double>(y_true.size());
}

double Mape(std::span<const float> y_true, std::span<const float> y_pred) {
  HONE_CHECK(y_true.size() == y_pred.size());
  if (y_true.empty()) return kNaN;
  double sum = 0;
  for (size_t i = 0; i < y_true.size(); ++i) {
    const double truth = y_true[i];
    sum += std::abs(y_pred[i] - truth) / std::max(std::abs(truth), kMapeFloor);
  }
  return sum / static_cast<double>(y_true.size());
}

MetricList RegressionMetrics(std::span<const float> y_true, std::span<const float> y_pred) {
  return {{"r2", R2(y_true, y_pred)},
          {"rmse", Rmse(y_true, y_pred)},
          {"mae", Mae(y_true, y_pred)},
          {"mape", Mape(y_true, y_pred)}};
}

double Accuracy(std::span<const int> y_true, std::span<const int> y_pred) {
  HONE_CHECK(y_true.size() == y_pred.size());
  if (y_true.empty()) return kNaN;
  size_t correct = 0;
  for (size_t i = 0; i < y_true.size(); ++i) correct += y_true[i] == y_pred[i] ? 1 : 0;
  return static_cast<double>(correct) / static_cast<double>(y_true.size());
}

PrecisionRecallF1 PrecisionRecallF1Score(std::span<const int> y_true, std::span<const int> y_pred,
                                         Average average) {
  if (y_true.empty()) return {kNaN, kNaN, kNaN};
  const LabelCounts counts = CountLabels(y_true, y_pred);
  PrecisionRecallF1 sums;
  double total_weight = 0;
  for (size_t label = 0; label < counts.tp.size(); ++label) {
    if (!counts.Present(label)) continue;
    const double precision = Ratio(counts.tp[label], counts.predicted[label]);
    const double recall = Ratio(counts.tp[label], counts.actual[label]);
    // Macro weighs each present label equally; weighted by its support in y_true.
    const double weight =
        average == Average::kMacro ? 1.0 : static_cast<double>(counts.actual[label]);
    sums.precision += weight * precision;
    sums.recall += weight * recall;
    sums.f1 += weight * F1(precision, recall);
    total_weight += weight;
  }
  return {sums.precision / total_weight, sums.recall / total_weight, sums.f1 / total_weight};
}

PrecisionRecallF1 BinaryPrecisionRecallF1(std::span<const int> y_true,
                                          std::span<const int> y_pred) {
  HONE_CHECK(y_true.size() == y_pred.size());
  int64_t tp = 0;
  int64_t predicted = 0;
  int64_t actual = 0;
  for (size_t i = 0; i < y_true.size(); ++i) {
    const bool is_true = y_true[i] == 1;
    const bool is_pred = y_pred[i] == 1;
    tp += is_true && is_pred ? 1 : 0;
    actual += is_true ? 1 : 0;
    predicted += is_pred ? 1 : 0;
  }
  const double precision = Ratio(tp, predicted);
  const double recall = Ratio(tp, actual);
  return {precision, recall, F1(precision, recall)};
}

double RocAucBinary(std::span<const int> y_true, std::span<const float> score_of_class1) {
  HONE_CHECK(y_true.size() == score_of_class1.size());
  return AucOneVsRest(y_true, score_of_class1, 1, 0, 1);
}

double RocAucOvr(std::span<const int> y_true, std::span<const float> proba, size_t num_classes) {
  HONE_CHECK(proba.size() == y_true.size() * num_classes);
  std::vector<size_t> support(num_classes);
  for (int label : y_true) {
    HONE_CHECK(label >= 0 && static_cast<size_t>(label) < num_classes);
    ++support[label];
  }
  // A class absent from y_true has no positives and so no AUC; sklearn would raise, hone
  // averages over the classes that can be scored.
  double sum = 0;
  size_t present = 0;
  for (size_t c = 0; c < num_classes; ++c) {
    if (support[c] == 0) continue;
    if (support[c] == y_true.size()) return kNaN;  // one class only
    sum += AucOneVsRest(y_true, proba, num_classes, c, static_cast<int>(c));
    ++present;
  }
  return present < 2 ? kNaN : sum / static_cast<double>(present);
}

double LogLoss(std::span<const int> y_true, std::span<const float> proba, size_t num_classes) {
  HONE_CHECK(proba.size() == y_true.size() * num_classes);
  if (y_true.empty()) return kNaN;
  double total = 0;
  for (size_t i = 0; i < y_true.size(); ++i) {
    HONE_CHECK(y_true[i] >= 0 && static_cast<size_t>(y_true[i]) < num_classes);
    const std::span<const float> row = proba.subspan(i * num_classes, num_classes);
    // Clip first, then renormalise the clipped row, in sklearn's order.
    double row_sum = 0;
    for (float p : row) row_sum += std::clamp<double>(p, kLogLossEps, 1.0 - kLogLossEps);
    const double p_true = std::clamp<double>(row[y_true[i]], kLogLossEps, 1.0 - kLogLossEps);
    total -= std::log(p_true / row_sum);
  }
  return total / static_cast<double>(y_true.size());
}

MetricList ClassificationMetrics(std::span<const int> y_true, std::span<const float> proba,
                                 size_t num_classes) {
  HONE_CHECK(proba.size() == y_true.size() * num_classes);
  const std::vector<int> y_pred = ArgmaxRows(proba, num_classes);
  const PrecisionRecallF1 macro = PrecisionRecallF1Score(y_true, y_pred, Average::kMacro);
  const PrecisionRecallF1 weighted = PrecisionRecallF1Score(y_true, y_pred, Average::kWeighted);
  MetricList metrics = {{"accuracy", Accuracy(y_true, y_pred)},
                        {"precision_macro", macro.precision},
                        {"recall_macro", macro.recall},
                        {"f1_macro", macro.f1},
                        {"precision_weighted", weighted.precision},
                        {"recall_weighted", weighted.recall},
                        {"f1_weighted", weighted.f1}};
  // Binary AUC scores class 1's column, as sklearn's roc_auc_score(y, proba[:, 1]).
  const double auc = num_classes == 2 ? AucOneVsRest(y_true, proba, 2, 1, 1)
                                      : RocAucOvr(y_true, proba, num_classes);
  if (!std::isnan(auc)) metrics.emplace_back("roc_auc", auc);
  metrics.emplace_back("log_loss", LogLoss(y_true, proba, num_classes));
  if (num_classes == 2) {
    const PrecisionRecallF1 binary = BinaryPrecisionRecallF1(y_true, y_pred);
    metrics.emplace_back("precision", binary.precision);
    metrics.emplace_back("recall", binary.recall);
    metrics.emplace_back("f1", binary.f1);
  }
  return metrics;
}

std::vector<int> ArgmaxRows(std::span<const float> proba, size_t num_classes) {
  HONE_CHECK(num_classes > 0 && proba.size() % num_classes == 0);
  std::vector<int> labels(proba.size() / num_classes);
  for (size_t i = 0; i < labels.size(); ++i) {
    const float* row = proba.data() + i * num_classes;
    size_t best = 0;
    for (size_t c = 1; c < num_classes; ++c) {
      if (row[c] > row[best]) best = c;  // strict: the lowest index wins ties
    }
    labels[i] = static_cast<int>(best);
  }
  return labels;
}

}  // namespace hone::learn
