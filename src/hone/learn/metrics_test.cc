#include "hone/learn/metrics.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "hone/core/random.h"

namespace hone::learn {
namespace {

using ::testing::DoubleNear;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::map<std::string, double> AsMap(const MetricList& list) {
  return std::map<std::string, double>(list.begin(), list.end());
}

std::vector<std::string> Names(const MetricList& list) {
  std::vector<std::string> names;
  for (const auto& [name, value] : list) names.push_back(name);
  return names;
}

// ---- scikit-learn fixtures (testdata/make_metric_fixtures.py) ----

// Both sides compute in double on identical float32 inputs; they differ only in summation order
// (NumPy sums pairwise, hone left to right) and in how sklearn reaches the AUC (trapezoids over
// normalised rates, hone counts ranks in integers), which moves the last few bits. 1e-9
// relative leaves room for that and nothing else; an expected 0 must be matched exactly.
struct Tally {
  int comparisons = 0;
  double worst_relative = 0;  // reported, to show how much of the tolerance is used
};

void ExpectClose(double actual, const nlohmann::json& expected, const std::string& what,
                 Tally& tally) {
  ++tally.comparisons;
  if (expected.is_null()) {
    EXPECT_TRUE(std::isnan(actual)) << what << " = " << actual << ", sklearn leaves it undefined";
    return;
  }
  const double want = expected.get<double>();
  if (want != 0) {
    tally.worst_relative = std::max(tally.worst_relative, std::abs(actual - want) / std::abs(want));
  }
  EXPECT_THAT(actual, DoubleNear(want, 1e-9 * std::abs(want))) << what;
}

nlohmann::json LoadFixtures() {
  std::ifstream in(HONE_SOURCE_DIR "/src/hone/learn/testdata/metric_fixtures.json");
  EXPECT_TRUE(in.good()) << "missing metric_fixtures.json";
  return nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
}

void CheckRegression(const nlohmann::json& c, Tally& comparisons) {
  const auto y_true = c["y_true"].get<std::vector<float>>();
  const auto y_pred = c["y_pred"].get<std::vector<float>>();
  const nlohmann::json& want = c["expected"];
  ExpectClose(R2(y_true, y_pred), want["r2"], "r2", comparisons);
  ExpectClose(Rmse(y_true, y_pred), want["rmse"], "rmse", comparisons);
  ExpectClose(Mae(y_true, y_pred), want["mae"], "mae", comparisons);
  ExpectClose(Mape(y_true, y_pred), want["mape"], "mape", comparisons);
  // The list carries the same numbers, in its documented order.
  const MetricList list = RegressionMetrics(y_true, y_pred);
  ASSERT_EQ(Names(list), (std::vector<std::string>{"r2", "rmse", "mae", "mape"}));
  for (const auto& [name, value] : list)
    ExpectClose(value, want[name], "list " + name, comparisons);
}

void CheckClassification(const nlohmann::json& c, Tally& comparisons) {
  const auto k = c["num_classes"].get<size_t>();
  const auto y_true = c["y_true"].get<std::vector<int>>();
  const auto proba = c["proba"].get<std::vector<float>>();
  const nlohmann::json& want = c["expected"];

  const std::vector<int> y_pred = ArgmaxRows(proba, k);
  EXPECT_EQ(y_pred, c["y_pred"].get<std::vector<int>>()) << "argmax";

  ExpectClose(Accuracy(y_true, y_pred), want["accuracy"], "accuracy", comparisons);
  for (const auto& [average, suffix] :
       {std::pair{Average::kMacro, "_macro"}, std::pair{Average::kWeighted, "_weighted"}}) {
    const PrecisionRecallF1 prf = PrecisionRecallF1Score(y_true, y_pred, average);
    const std::string s = suffix;
    ExpectClose(prf.precision, want["precision" + s], "precision" + s, comparisons);
    ExpectClose(prf.recall, want["recall" + s], "recall" + s, comparisons);
    ExpectClose(prf.f1, want["f1" + s], "f1" + s, comparisons);
  }
  if (k == 2) {
    std::vector<float> score1;
    for (size_t i = 0; i < y_true.size(); ++i) score1.push_back(proba[2 * i + 1]);
    ExpectClose(RocAucBinary(y_true, score1), want["roc_auc"], "roc_auc", comparisons);
    const PrecisionRecallF1 binary = BinaryPrecisionRecallF1(y_true, y_pred);
    ExpectClose(binary.precision, want["precision"], "precision", comparisons);
    ExpectClose(binary.recall, want["recall"], "recall", comparisons);
    ExpectClose(binary.f1, want["f1"], "f1", comparisons);
  } else {
    ExpectClose(RocAucOvr(y_true, proba, k), want["roc_auc"], "roc_auc", comparisons);
  }
  ExpectClose(LogLoss(y_true, proba, k), want["log_loss"], "log_loss", comparisons);

  // The summary list: every defined expected value, nothing more, roc_auc left out when
  // undefined.
  const MetricList list = ClassificationMetrics(y_true, proba, k);
  std::vector<std::string> want_names;
  for (const auto& [name, value] : want.items()) {
    if (!value.is_null()) want_names.push_back(name);
  }
  std::vector<std::string> names = Names(list);
  std::sort(names.begin(), names.end());
  std::sort(want_names.begin(), want_names.end());
  EXPECT_EQ(names, want_names);
  for (const auto& [name, value] : list)
    ExpectClose(value, want[name], "list " + name, comparisons);
}

TEST(MetricsFixture, MatchesScikitLearn) {
  const nlohmann::json fixtures = LoadFixtures();
  ASSERT_FALSE(fixtures.is_discarded()) << "metric_fixtures.json does not parse";
  ASSERT_EQ(fixtures["sklearn"], "1.2.1");
  Tally tally;
  int cases = 0;
  for (const nlohmann::json& c : fixtures["cases"]) {
    SCOPED_TRACE(c["kind"].get<std::string>() + " case " + c["name"].get<std::string>());
    if (c["kind"] == "regression") {
      CheckRegression(c, tally);
    } else {
      CheckClassification(c, tally);
    }
    ++cases;
  }
  // Guards against a fixture file that silently lost its cases.
  EXPECT_GE(cases, 20);
  EXPECT_GE(tally.comparisons, 300);
  RecordProperty("sklearn_comparisons", tally.comparisons);
  std::cout << "[          ] compared " << tally.comparisons << " values in " << cases
            << " scikit-learn cases; largest relative difference " << tally.worst_relative << "\n";
}

// ---- Regression, by hand ----

TEST(MetricsRegression, HandComputed) {
  // sklearn's documentation example: residuals 1.5, total sum of squares 29.1875.
  const std::vector<float> y = {3, -0.5, 2, 7};
  const std::vector<float> p = {2.5, 0.0, 2, 8};
  EXPECT_DOUBLE_EQ(R2(y, p), 1.0 - 1.5 / 29.1875);
  EXPECT_DOUBLE_EQ(Rmse(y, p), std::sqrt(1.5 / 4));
  EXPECT_DOUBLE_EQ(Mae(y, p), 0.5);
  EXPECT_DOUBLE_EQ(Mape(y, p), (0.5 / 3 + 0.5 / 0.5 + 0 + 1.0 / 7) / 4);
}

TEST(MetricsRegression, ConstantTargetFollowsForceFinite) {
  const std::vector<float> y = {2, 2, 2};
  EXPECT_EQ(R2(y, std::vector<float>{2, 2, 2}), 1.0);  // perfect: 1, not NaN
  EXPECT_EQ(R2(y, std::vector<float>{2, 2, 3}), 0.0);  // imperfect: 0, not -inf
}

TEST(MetricsRegression, R2NeedsTwoRows) {
  EXPECT_TRUE(std::isnan(R2(std::vector<float>{1}, std::vector<float>{1})));
  EXPECT_DOUBLE_EQ(Mae(std::vector<float>{1}, std::vector<float>{3}), 2.0);
}

TEST(MetricsRegression, MapeGuardsZeroTargets) {
  const std::vector<float> y = {0, 0, 4};
  const std::vector<float> p = {0, 0.5, 5};
  const double eps = std::numeric_limits<double>::epsilon();
  // A correct zero costs nothing; a wrong one costs |error| / DBL_EPSILON: huge, finite.
  EXPECT_DOUBLE_EQ(Mape(y, p), (0.5 / eps + 0.25) / 3);
  EXPECT_TRUE(std::isfinite(Mape(y, p)));
}

TEST(MetricsRegression, EmptyInputIsNaNNotACrash) {
  const std::vector<float> none;
  for (const auto& [name, value] : RegressionMetrics(none, none)) {
    EXPECT_TRUE(std::isnan(value)) << name;
  }
}

// ---- Classification, by hand ----

TEST(MetricsClassification, PrecisionRecallF1Multiclass) {
  // sklearn's documentation example.
  const std::vector<int> y = {0, 1, 2, 0, 1, 2};
  const std::vector<int> p = {0, 2, 1, 0, 0, 1};
  const PrecisionRecallF1 macro = PrecisionRecallF1Score(y, p, Average::kMacro);
  EXPECT_DOUBLE_EQ(macro.precision, (2.0 / 3) / 3);
  EXPECT_DOUBLE_EQ(macro.recall, 1.0 / 3);
  EXPECT_DOUBLE_EQ(macro.f1, 0.8 / 3);  // class 0: P 2/3, R 1 → F1 0.8; others 0
  EXPECT_DOUBLE_EQ(Accuracy(y, p), 2.0 / 6);
}

TEST(MetricsClassification, LabelsAreTheUnionOfTrueAndPredicted) {
  // Class 2 is only predicted: precision 0 (its one prediction is wrong), recall 0 (0/0).
  const std::vector<int> y = {0, 0, 1};
  const std::vector<int> p = {0, 2, 1};
  const PrecisionRecallF1 macro = PrecisionRecallF1Score(y, p, Average::kMacro);
  EXPECT_DOUBLE_EQ(macro.precision, 2.0 / 3);
  EXPECT_DOUBLE_EQ(macro.recall, 1.5 / 3);
  // Weighted by support in y_true, so the predicted-only class weighs nothing.
  const PrecisionRecallF1 weighted = PrecisionRecallF1Score(y, p, Average::kWeighted);
  EXPECT_DOUBLE_EQ(weighted.precision, 1.0);
  EXPECT_DOUBLE_EQ(weighted.recall, (2 * 0.5 + 1 * 1.0) / 3);
}

TEST(MetricsClassification, BinaryScoresClassOneAndZeroDivisionIsZero) {
  const PrecisionRecallF1 some =
      BinaryPrecisionRecallF1(std::vector<int>{0, 1, 1, 0}, std::vector<int>{1, 1, 0, 0});
  EXPECT_DOUBLE_EQ(some.precision, 0.5);
  EXPECT_DOUBLE_EQ(some.recall, 0.5);
  EXPECT_DOUBLE_EQ(some.f1, 0.5);
  const PrecisionRecallF1 none =
      BinaryPrecisionRecallF1(std::vector<int>{0, 1, 1}, std::vector<int>{0, 0, 0});
  EXPECT_EQ(none.precision, 0.0);
  EXPECT_EQ(none.recall, 0.0);
  EXPECT_EQ(none.f1, 0.0);
}

TEST(MetricsClassification, ArgmaxTakesTheLowestIndexOnTies) {
  const std::vector<float> proba = {0.5f, 0.5f, 0.2f, 0.4f, 0.4f, 0.1f, 0.1f, 0.8f};
  EXPECT_EQ(ArgmaxRows(proba, 2), (std::vector<int>{0, 1, 0, 1}));
  EXPECT_EQ(ArgmaxRows(proba, 4), (std::vector<int>{0, 3}));
}

TEST(MetricsRocAuc, HandComputed) {
  // sklearn's documentation example.
  EXPECT_DOUBLE_EQ(
      RocAucBinary(std::vector<int>{0, 0, 1, 1}, std::vector<float>{0.1f, 0.4f, 0.35f, 0.8f}),
      0.75);
  // A positive tied with a negative counts one half.
  EXPECT_DOUBLE_EQ(
      RocAucBinary(std::vector<int>{0, 1, 0, 1}, std::vector<float>{0.5f, 0.5f, 0.1f, 0.9f}),
      (1 + 0.5 + 1 + 1) / 4);
  // Negative scores sort below positive ones; -0 ties with +0.
  EXPECT_DOUBLE_EQ(
      RocAucBinary(std::vector<int>{0, 1, 0, 1}, std::vector<float>{-2.0f, -1.0f, -3.0f, 5.0f}),
      1.0);
  EXPECT_DOUBLE_EQ(RocAucBinary(std::vector<int>{0, 1}, std::vector<float>{0.0f, -0.0f}), 0.5);
}

// Every positive-negative pair, counted directly: the definition the sorted walk must match.
double PairCountingAuc(const std::vector<int>& y, const std::vector<float>& score) {
  double wins = 0;
  double pairs = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    for (size_t j = 0; j < y.size(); ++j) {
      if (y[i] != 1 || y[j] != 0) continue;
      wins += score[i] > score[j] ? 1.0 : (score[i] == score[j] ? 0.5 : 0.0);
      pairs += 1;
    }
  }
  return wins / pairs;
}

TEST(MetricsRocAuc, MatchesPairCountingOnWideRangingScores) {
  // Scores of both signs over 80 binary orders of magnitude, coarse ties, and both zeros:
  // every digit of the radix sort matters here, unlike with probabilities.
  core::Rng rng(5);
  std::vector<int> y;
  std::vector<float> score;
  for (int i = 0; i < 2000; ++i) {
    y.push_back(static_cast<int>(rng.Below(2)));
    const double u = rng.Uniform() + 0.2 * y.back();
    const double sign = rng.Below(2) == 0 ? 1.0 : -1.0;
    switch (rng.Below(4)) {
      case 0:
        score.push_back(static_cast<float>(std::ldexp(u, static_cast<int>(rng.Below(80)) - 40)));
        break;
      case 1:
        score.push_back(static_cast<float>(sign * std::round(u * 4) / 4));
        break;
      case 2:
        score.push_back(sign > 0 ? 0.0f : -0.0f);
        break;
      default:
        score.push_back(static_cast<float>(sign * u * 1e6));
    }
  }
  EXPECT_NEAR(RocAucBinary(y, score), PairCountingAuc(y, score), 1e-12);
}

TEST(MetricsRocAuc, UndefinedCasesAreNaN) {
  EXPECT_TRUE(std::isnan(RocAucBinary(std::vector<int>{1, 1}, std::vector<float>{0.2f, 0.3f})));
  EXPECT_TRUE(std::isnan(RocAucBinary(std::vector<int>{0, 1}, std::vector<float>{kNaN, 0.3f})));
  EXPECT_TRUE(std::isnan(RocAucOvr(std::vector<int>{2, 2}, std::vector<float>(6, 1.0f / 3), 3)));
  EXPECT_TRUE(std::isnan(RocAucBinary(std::vector<int>{}, std::vector<float>{})));
}

TEST(MetricsRocAuc, OvrAveragesTheClassesPresent) {
  // Class 1 is absent; classes 0 and 2 are ranked perfectly, so each scores 1.
  const std::vector<int> y = {0, 2, 0, 2};
  const std::vector<float> proba = {0.8f, 0.1f, 0.1f, 0.1f, 0.2f, 0.7f,
                                    0.6f, 0.3f, 0.1f, 0.3f, 0.1f, 0.6f};
  EXPECT_DOUBLE_EQ(RocAucOvr(y, proba, 3), 1.0);
}

TEST(MetricsLogLoss, HandComputed) {
  // 0.9f + 0.1f is not exactly 1 in double, so even this row is renormalised.
  const double p0 = double{0.9f} / (double{0.9f} + double{0.1f});
  const double p1 = double{0.8f} / (double{0.2f} + double{0.8f});
  EXPECT_DOUBLE_EQ(LogLoss(std::vector<int>{0, 1}, std::vector<float>{0.9f, 0.1f, 0.2f, 0.8f}, 2),
                   -(std::log(p0) + std::log(p1)) / 2);
}

TEST(MetricsLogLoss, ClipsThenRenormalises) {
  // A zero for the true class is clipped to 1e-15 and the row renormalised.
  const double clipped = LogLoss(std::vector<int>{0}, std::vector<float>{0.0f, 1.0f}, 2);
  EXPECT_DOUBLE_EQ(clipped, -std::log(1e-15 / (1e-15 + (1 - 1e-15))));
  EXPECT_TRUE(std::isfinite(clipped));
  // A row that does not sum to one is scaled to.
  EXPECT_DOUBLE_EQ(LogLoss(std::vector<int>{0}, std::vector<float>{0.25f, 0.25f}, 2),
                   -std::log(0.5));
}

TEST(MetricsList, BinaryOrderAndNames) {
  const std::vector<int> y = {0, 1, 1, 0};
  const std::vector<float> proba = {0.9f, 0.1f, 0.3f, 0.7f, 0.6f, 0.4f, 0.2f, 0.8f};
  const MetricList list = ClassificationMetrics(y, proba, 2);
  EXPECT_EQ(Names(list),
            (std::vector<std::string>{"accuracy", "precision_macro", "recall_macro", "f1_macro",
                                      "precision_weighted", "recall_weighted", "f1_weighted",
                                      "roc_auc", "log_loss", "precision", "recall", "f1"}));
  EXPECT_DOUBLE_EQ(AsMap(list).at("accuracy"), 0.5);
  EXPECT_DOUBLE_EQ(AsMap(list).at("roc_auc"), 0.5);  // 2 of 4 pairs ranked right
}

TEST(MetricsList, MulticlassSingleClassLeavesOutRocAuc) {
  const std::vector<int> y = {1, 1};
  const std::vector<float> proba = {0.2f, 0.5f, 0.3f, 0.6f, 0.3f, 0.1f};
  EXPECT_EQ(Names(ClassificationMetrics(y, proba, 3)),
            (std::vector<std::string>{"accuracy", "precision_macro", "recall_macro", "f1_macro",
                                      "precision_weighted", "recall_weighted", "f1_weighted",
                                      "log_loss"}));
}

}  // namespace
}  // namespace hone::learn
