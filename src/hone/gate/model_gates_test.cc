#include "hone/gate/model_gates.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hone/core/random.h"
#include "hone/learn/evaluate.h"

namespace hone::gate {
namespace {

using ::testing::HasSubstr;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double Normal(core::Rng& rng) {
  const double u = 1.0 - rng.Uniform();  // (0, 1]
  return std::sqrt(-2.0 * std::log(u)) * std::cos(6.283185307179586 * rng.Uniform());
}

// ---- fixtures: holdout rows with a candidate's and a champion's predictions ----

struct Holdout {
  learn::TargetInfo target;
  std::vector<float> y;
  std::vector<float> candidate;
  std::vector<float> champion;
  PairedPredictions Pairs() const { return {target, y, candidate, champion}; }
};

learn::TargetInfo Regression() { return {"price", learn::Task::kRegression, {}}; }
learn::TargetInfo Classes(size_t k) {
  learn::TargetInfo t{"label", k == 2 ? learn::Task::kBinary : learn::Task::kMulticlass, {}};
  for (size_t c = 0; c < k; ++c) t.classes.push_back("c" + std::to_string(c));
  return t;
}

// y around 100; the champion's errors have sd `champion_sd`; the candidate's are
// `candidate_scale` times the champion's own errors, shuffled when `shuffle` (so the two
// are unrelated row by row) or kept paired.
Holdout RegressionHoldout(size_t n, double candidate_scale, bool shuffle, uint64_t seed = 7) {
  core::Rng rng(seed);
  Holdout h{Regression(), {}, {}, {}};
  std::vector<double> errors(n);
  for (size_t i = 0; i < n; ++i) {
    h.y.push_back(static_cast<float>(100 + 20 * Normal(rng)));
    errors[i] = 5 * Normal(rng);
  }
  std::vector<double> candidate_errors = errors;
  if (shuffle) rng.Shuffle(candidate_errors);
  for (size_t i = 0; i < n; ++i) {
    h.champion.push_back(static_cast<float>(h.y[i] + errors[i]));
    h.candidate.push_back(static_cast<float>(h.y[i] + candidate_scale * candidate_errors[i]));
  }
  return h;
}

// Labels in [0, k); each model's probability rows put weight on the true class by `skill`.
Holdout ClassificationHoldout(size_t n, size_t k, double candidate_skill, double champion_skill,
                              uint64_t seed = 11) {
  core::Rng rng(seed);
  Holdout h{Classes(k), {}, {}, {}};
  auto row = [&](int label, double skill, std::vector<float>& out) {
    std::vector<double> scores(k);
    double sum = 0;
    for (size_t c = 0; c < k; ++c) {
      scores[c] = std::exp(Normal(rng) + (static_cast<int>(c) == label ? skill : 0.0));
      sum += scores[c];
    }
    for (double s : scores) out.push_back(static_cast<float>(s / sum));
  };
  for (size_t i = 0; i < n; ++i) {
    const int label = static_cast<int>(rng.Below(k));
    h.y.push_back(static_cast<float>(label));
    row(label, candidate_skill, h.candidate);
    row(label, champion_skill, h.champion);
  }
  return h;
}

// ---- an independent reference: the bootstrap done naively, materialising every resample ----

double MetricOf(const learn::TargetInfo& target, std::span<const float> y,
                std::span<const float> outputs, const std::string& metric) {
  for (const auto& [name, value] : learn::ScorePredictions(target, y, outputs)) {
    if (name == metric) return value;
  }
  return kNaN;  // ScorePredictions leaves roc_auc out when one class is present
}

struct Interval {
  double low;
  double high;
};

// Every metric's interval, from one pass over the resamples.
std::map<std::string, Interval> NaiveBootstrap(const PairedPredictions& p,
                                               const BootstrapOptions& options) {
  const size_t n = p.y.size();
  const size_t k = p.candidate.size() / n;
  std::map<std::string, std::vector<double>> deltas;
  for (int r = 0; r < options.resamples; ++r) {
    core::Rng rng = core::Rng::ForTask(options.seed, static_cast<uint64_t>(r));
    std::vector<float> y;
    std::vector<float> candidate;
    std::vector<float> champion;
    for (size_t j = 0; j < n; ++j) {
      const size_t row = rng.Below(n);
      y.push_back(p.y[row]);
      candidate.insert(candidate.end(), p.candidate.begin() + row * k,
                       p.candidate.begin() + (row + 1) * k);
      champion.insert(champion.end(), p.champion.begin() + row * k,
                      p.champion.begin() + (row + 1) * k);
    }
    const learn::MetricList candidate_metrics = learn::ScorePredictions(p.target, y, candidate);
    const learn::MetricList champion_metrics = learn::ScorePredictions(p.target, y, champion);
    // roc_auc is left out of a list when the resample holds one class; then it has no delta.
    for (const auto& [metric, value] : candidate_metrics) {
      for (const auto& [other, champion_value] : champion_metrics) {
        if (other == metric && !std::isnan(value - champion_value)) {
          deltas[metric].push_back(value - champion_value);
        }
      }
    }
  }
  std::map<std::string, Interval> out;
  for (auto& [metric, values] : deltas) {
    std::sort(values.begin(), values.end());
    // numpy.quantile(values, q) with its default linear interpolation.
    auto quantile = [&values](double q) {
      const double position = q * static_cast<double>(values.size() - 1);
      const auto below = static_cast<size_t>(position);
      const double above = below + 1 < values.size() ? values[below + 1] : values[below];
      return values[below] + (position - static_cast<double>(below)) * (above - values[below]);
    };
    const double alpha = (1 - options.confidence) / 2;
    out[metric] = {quantile(alpha), quantile(1 - alpha)};
  }
  return out;
}

void ExpectMatchesReference(const std::vector<std::string>& metrics, const Holdout& h,
                            const BootstrapOptions& options) {
  const std::map<std::string, Interval> reference = NaiveBootstrap(h.Pairs(), options);
  for (const std::string& metric : metrics) {
    SCOPED_TRACE(metric);
    auto c = CompareWithChampion(metric, h.Pairs(), options);
    ASSERT_TRUE(c.has_value()) << c.error().message();
    const double candidate = MetricOf(h.target, h.y, h.candidate, metric);
    const double champion = MetricOf(h.target, h.y, h.champion, metric);
    EXPECT_EQ(c->candidate, candidate);
    EXPECT_EQ(c->champion, champion);
    EXPECT_EQ(c->delta, candidate - champion);
    // Weighted per-row sums and sums over copied rows differ only in the order of additions.
    ASSERT_TRUE(reference.contains(metric));
    const Interval want = reference.at(metric);
    const double tolerance = 1e-9 * std::max(1.0, std::abs(candidate));
    EXPECT_NEAR(c->ci_low, want.low, tolerance);
    EXPECT_NEAR(c->ci_high, want.high, tolerance);
    EXPECT_LT(c->ci_low, c->ci_high);
  }
}

// ---- directions and thresholds ----

TEST(HigherIsBetterTest, KnowsEachMetricsDirection) {
  for (const char* up : {"r2", "accuracy", "precision", "recall_macro", "f1_weighted", "roc_auc",
                         "cv_r2", "cv_accuracy"}) {
    auto d = HigherIsBetter(up);
    ASSERT_TRUE(d.has_value()) << up;
    EXPECT_TRUE(*d) << up;
  }
  for (const char* down : {"rmse", "mae", "mape", "log_loss", "p50_latency_us", "p99_latency_us",
                           "model_bytes", "train_seconds", "cv_rmse", "cv_log_loss"}) {
    auto d = HigherIsBetter(down);
    ASSERT_TRUE(d.has_value()) << down;
    EXPECT_FALSE(*d) << down;
  }
}

TEST(HigherIsBetterTest, UnknownMetricListsTheKnownOnes) {
  auto d = HigherIsBetter("rsme");
  ASSERT_FALSE(d.has_value());
  EXPECT_EQ(d.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(d.error().message(), HasSubstr("'rsme'"));
  EXPECT_THAT(d.error().message(), HasSubstr("rmse"));
  EXPECT_THAT(d.error().message(), HasSubstr("roc_auc"));
  EXPECT_FALSE(HigherIsBetter("cv_").has_value());
}

TEST(ParseThresholdTest, ReadsMetricOperatorAndNumber) {
  struct Case {
    const char* text;
    const char* metric;
    MetricGate::Op op;
    double threshold;
  };
  for (const Case& c : {Case{"r2 >= 0.8", "r2", MetricGate::Op::kGe, 0.8},
                        Case{"p99_latency_us<=500", "p99_latency_us", MetricGate::Op::kLe, 500},
                        Case{"  rmse <  3.5e1  ", "rmse", MetricGate::Op::kLt, 35},
                        Case{"cv_accuracy>0.75", "cv_accuracy", MetricGate::Op::kGt, 0.75},
                        Case{"r2 > -1", "r2", MetricGate::Op::kGt, -1},
                        Case{"model_bytes <= +1000000", "model_bytes", MetricGate::Op::kLe, 1e6}}) {
    auto gate = ParseThreshold(c.text);
    ASSERT_TRUE(gate.has_value()) << c.text << ": " << gate.error().message();
    EXPECT_EQ(gate->kind, MetricGate::Kind::kAbsolute);
    EXPECT_EQ(gate->metric, c.metric);
    EXPECT_EQ(gate->op, c.op);
    EXPECT_EQ(gate->threshold, c.threshold);
    EXPECT_EQ(gate->text, c.text);
  }
  EXPECT_STREQ(OpText(MetricGate::Op::kGe), ">=");
  EXPECT_STREQ(OpText(MetricGate::Op::kLt), "<");
}

TEST(ParseThresholdTest, ErrorsShowTheForm) {
  for (const char* text : {"", "r2", "r2 = 0.8", "r2 == 0.8", ">= 0.8", "r2 >=", "r2 >= abc",
                           "r2 >= 0.8x", "r2 >= 0.8 0.9", "r2 >= nan", "r2 >= inf"}) {
    auto gate = ParseThreshold(text);
    ASSERT_FALSE(gate.has_value()) << text;
    EXPECT_EQ(gate.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_THAT(gate.error().message(), HasSubstr("METRIC OP NUMBER")) << text;
    EXPECT_THAT(gate.error().message(), HasSubstr("'" + std::string(text) + "'"));
  }
  auto unknown = ParseThreshold("rsme <= 3");
  ASSERT_FALSE(unknown.has_value());
  EXPECT_THAT(unknown.error().message(), HasSubstr("unknown metric 'rsme'"));
}

// ---- the paired bootstrap ----

TEST(CompareWithChampionTest, RegressionMatchesANaiveBootstrap) {
  const Holdout h = RegressionHoldout(300, 0.9, /*shuffle=*/true);
  const BootstrapOptions options{.resamples = 300, .confidence = 0.95, .seed = 5};
  ExpectMatchesReference({"rmse", "r2", "mae", "mape"}, h, options);
}

TEST(CompareWithChampionTest, ClassificationMatchesANaiveBootstrap) {
  const BootstrapOptions options{.resamples = 200, .confidence = 0.9, .seed = 3};
  const Holdout binary = ClassificationHoldout(250, 2, 1.5, 1.0);
  ExpectMatchesReference({"accuracy", "log_loss", "roc_auc", "precision", "recall", "f1",
                          "f1_macro", "precision_weighted"},
                         binary, options);
  const Holdout three = ClassificationHoldout(200, 3, 1.2, 1.4);
  ExpectMatchesReference({"accuracy", "log_loss", "roc_auc", "recall_macro", "f1_weighted"}, three,
                         options);
}

TEST(CompareWithChampionTest, RepeatedCallsGiveIdenticalResults) {
  const Holdout h = ClassificationHoldout(300, 2, 1.3, 1.0);
  for (const char* metric : {"rmse", "accuracy", "roc_auc"}) {
    const Holdout& data = std::string(metric) == "rmse" ? RegressionHoldout(200, 1.1, true) : h;
    auto first = CompareWithChampion(metric, data.Pairs(), {});
    auto second = CompareWithChampion(metric, data.Pairs(), {});
    ASSERT_TRUE(first.has_value() && second.has_value()) << metric;
    EXPECT_EQ(first->ci_low, second->ci_low) << metric;
    EXPECT_EQ(first->ci_high, second->ci_high) << metric;
    EXPECT_EQ(first->p_value, second->p_value) << metric;
    // Another seed draws other rows.
    auto other = CompareWithChampion(metric, data.Pairs(), {.seed = 43});
    ASSERT_TRUE(other.has_value());
    EXPECT_NE(first->ci_low, other->ci_low) << metric;
  }
}

TEST(CompareWithChampionTest, DescribesItsMethod) {
  const Holdout h = ClassificationHoldout(100, 2, 1.0, 1.0);
  auto auc = CompareWithChampion("roc_auc", h.Pairs(), {.resamples = 100, .confidence = 0.9});
  ASSERT_TRUE(auc.has_value());
  EXPECT_EQ(auc->method, "paired bootstrap (100 resamples, 90%)");
  EXPECT_FALSE(auc->p_value.has_value());
  auto accuracy = CompareWithChampion("accuracy", h.Pairs(), {.resamples = 100});
  ASSERT_TRUE(accuracy.has_value());
  EXPECT_EQ(accuracy->method, "paired bootstrap (100 resamples, 95%) + McNemar exact");
  EXPECT_TRUE(accuracy->p_value.has_value());
}

TEST(CompareWithChampionTest, IdenticalPredictionsHaveNoDifference) {
  Holdout h = RegressionHoldout(200, 1.0, false);
  h.candidate = h.champion;
  for (const char* metric : {"rmse", "r2", "mape"}) {
    auto c = CompareWithChampion(metric, h.Pairs(), {});
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->delta, 0.0);
    EXPECT_EQ(c->ci_low, 0.0);
    EXPECT_EQ(c->ci_high, 0.0);
  }
}

// Binary rows where exactly b are right only for the candidate and c only for the champion.
Holdout McNemarHoldout(int b, int c, int both_right) {
  Holdout h{Classes(2), {}, {}, {}};
  auto add = [&](bool candidate_right, bool champion_right) {
    const int label = static_cast<int>(h.y.size() % 2);
    h.y.push_back(static_cast<float>(label));
    auto push = [&](bool right, std::vector<float>& out) {
      const float p1 = (label == 1) == right ? 0.8f : 0.2f;
      out.insert(out.end(), {1 - p1, p1});
    };
    push(candidate_right, h.candidate);
    push(champion_right, h.champion);
  };
  for (int i = 0; i < b; ++i) add(true, false);
  for (int i = 0; i < c; ++i) add(false, true);
  for (int i = 0; i < both_right; ++i) add(true, true);
  add(false, false);
  return h;
}

TEST(CompareWithChampionTest, McNemarMatchesScipy) {
  // /usr/bin/python3: scipy.stats.binomtest(min(b, c), b + c, 0.5).pvalue (SciPy 1.10.1).
  struct Case {
    int b;
    int c;
    double p;
  };
  for (const Case& k : {Case{12, 4, 0.076812744140625}, Case{4, 12, 0.076812744140625},
                        Case{600, 520, 0.018207019279300136}, Case{30, 10, 0.0022214337732293643},
                        Case{5, 5, 1.0}, Case{1, 0, 1.0}, Case{0, 0, 1.0}}) {
    const Holdout h = McNemarHoldout(k.b, k.c, 40);
    auto c = CompareWithChampion("accuracy", h.Pairs(), {.resamples = 50});
    ASSERT_TRUE(c.has_value()) << c.error().message();
    ASSERT_TRUE(c->p_value.has_value());
    EXPECT_NEAR(*c->p_value, k.p, 1e-12 * k.p) << "b=" << k.b << " c=" << k.c;
    EXPECT_NEAR(c->delta, static_cast<double>(k.b - k.c) / static_cast<double>(h.y.size()), 1e-15);
  }
}

TEST(CompareWithChampionTest, RejectsBadInput) {
  Holdout h = RegressionHoldout(20, 1.0, false);
  auto unknown = CompareWithChampion("roc_auc", h.Pairs(), {});
  ASSERT_FALSE(unknown.has_value());
  EXPECT_THAT(unknown.error().message(), HasSubstr("r2, rmse, mae, mape"));

  Holdout short_candidate = h;
  short_candidate.candidate.pop_back();
  auto sizes = CompareWithChampion("rmse", short_candidate.Pairs(), {});
  ASSERT_FALSE(sizes.has_value());
  EXPECT_THAT(sizes.error().message(), HasSubstr("candidate has 19 outputs for 20 rows"));

  EXPECT_FALSE(CompareWithChampion("rmse", h.Pairs(), {.resamples = 0}).has_value());
  EXPECT_FALSE(CompareWithChampion("rmse", h.Pairs(), {.confidence = 1.0}).has_value());

  Holdout bad_label = ClassificationHoldout(10, 2, 1, 1);
  bad_label.y[3] = 2;
  auto label = CompareWithChampion("accuracy", bad_label.Pairs(), {});
  ASSERT_FALSE(label.has_value());
  EXPECT_THAT(label.error().message(), HasSubstr("row 4"));

  Holdout empty{Regression(), {}, {}, {}};
  EXPECT_FALSE(CompareWithChampion("rmse", empty.Pairs(), {}).has_value());
}

TEST(CompareWithChampionTest, FailsWhenTheMetricIsMostlyUndefined) {
  // One row: r2 is undefined on every resample.
  Holdout one{Regression(), {3}, {2}, {4}};
  auto c = CompareWithChampion("r2", one.Pairs(), {.resamples = 100});
  ASSERT_FALSE(c.has_value());
  EXPECT_THAT(c.error().message(), HasSubstr("undefined on 100 of 100 bootstrap resamples"));
}

TEST(CompareWithChampionTest, DropsResamplesWhereTheMetricIsUndefined) {
  // A single positive row among 40: about e^-1 of the resamples miss it and have no AUC.
  Holdout h = ClassificationHoldout(40, 2, 2, 1);
  for (float& y : h.y) y = 0;
  h.y[5] = 1;
  const BootstrapOptions options{.resamples = 200};
  ExpectMatchesReference({"roc_auc"}, h, options);
}

// ---- gates ----

// The input refers to `h`, which must outlive it.
GateInput WithPairs(const Holdout& h) {
  GateInput input;
  input.candidate = learn::ScorePredictions(h.target, h.y, h.candidate);
  input.pairs.emplace(h.Pairs());
  input.champion_label = "house_prices/3";
  return input;
}

MetricGate Compare(MetricGate::Kind kind, const std::string& metric, double margin = 0,
                   bool relative = false) {
  MetricGate gate;
  gate.kind = kind;
  gate.metric = metric;
  gate.margin = margin;
  gate.relative = relative;
  return gate;
}

CheckResult RunOne(const MetricGate& gate, const GateInput& input,
                   std::vector<Comparison>* comparisons = nullptr) {
  std::vector<CheckResult> results = RunModelGates({&gate, 1}, input, {}, comparisons);
  EXPECT_EQ(results.size(), 1u);
  return results.empty() ? CheckResult{} : results[0];
}

constexpr auto kBetter = MetricGate::Kind::kBetterThan;
constexpr auto kNoWorse = MetricGate::Kind::kNoWorseThan;

TEST(RunModelGatesTest, AbsoluteThresholds) {
  GateInput input;
  input.candidate = {{"r2", 0.85}, {"rmse", 41.5}, {"model_bytes", 123456}};
  const std::vector<MetricGate> gates = {*ParseThreshold("r2 >= 0.8"), *ParseThreshold("r2 > 0.9"),
                                         *ParseThreshold("rmse < 41.5"),
                                         *ParseThreshold("model_bytes <= 200000")};
  const std::vector<CheckResult> results = RunModelGates(gates, input, {});
  ASSERT_EQ(results.size(), 4u);
  EXPECT_TRUE(results[0].passed);
  EXPECT_EQ(results[0].stage, "model");
  EXPECT_EQ(results[0].name, "r2 >= 0.8");
  EXPECT_EQ(results[0].observed, "0.85");
  EXPECT_EQ(results[0].threshold, ">= 0.8");
  EXPECT_FALSE(results[1].passed);
  EXPECT_EQ(results[1].reason, "r2 0.85 is not > 0.9");
  EXPECT_FALSE(results[2].passed);
  EXPECT_TRUE(results[3].passed);
  EXPECT_EQ(results[3].observed, "123456");
}

TEST(RunModelGatesTest, MissingMetricFailsListingTheAvailableOnes) {
  GateInput input;
  input.candidate = {{"r2", 0.85}, {"rmse", 41.5}};
  MetricGate gate = *ParseThreshold("roc_auc >= 0.7");
  gate.severity = Severity::kWarn;
  gate.where = "hone.yaml:12";
  const CheckResult result = RunOne(gate, input);
  EXPECT_FALSE(result.passed);
  EXPECT_EQ(result.severity, Severity::kWarn);
  EXPECT_EQ(result.reason, "the candidate has no metric 'roc_auc'; it has: r2, rmse");
  EXPECT_EQ(result.detail["where"], "hone.yaml:12");
}

TEST(RunModelGatesTest, WithoutAChampionComparisonsPass) {
  GateInput input;
  input.candidate = {{"rmse", 41.5}};
  for (auto kind : {kBetter, kNoWorse}) {
    const CheckResult result = RunOne(Compare(kind, "rmse", 0.01), input);
    EXPECT_TRUE(result.passed);
    EXPECT_EQ(result.reason, "no champion: only absolute thresholds apply");
  }
  const CheckResult unknown = RunOne(Compare(kNoWorse, "rsme"), input);
  EXPECT_FALSE(unknown.passed);
  EXPECT_THAT(unknown.reason, HasSubstr("unknown metric 'rsme'"));
}

TEST(RunModelGatesTest, IdenticalModelsAreNoWorseButNotBetter) {
  Holdout h = RegressionHoldout(200, 1.0, false);
  h.candidate = h.champion;
  const GateInput input = WithPairs(h);
  const CheckResult no_worse = RunOne(Compare(kNoWorse, "rmse"), input);
  EXPECT_TRUE(no_worse.passed) << no_worse.reason;
  EXPECT_EQ(no_worse.name, "rmse no_worse_than champion");
  EXPECT_THAT(no_worse.reason, HasSubstr("no significant difference"));
  const CheckResult better = RunOne(Compare(kBetter, "r2"), input);
  EXPECT_FALSE(better.passed);
  EXPECT_EQ(better.name, "r2 better_than champion");
  EXPECT_EQ(better.threshold, "improvement CI > 0");
  EXPECT_EQ(better.detail["delta"], 0.0);
  EXPECT_EQ(better.detail["ci_low"], 0.0);
  EXPECT_EQ(better.detail["ci_high"], 0.0);
}

TEST(RunModelGatesTest, AClearlyBetterCandidatePasses) {
  const Holdout h = RegressionHoldout(300, 0.7, false);  // 30% smaller errors on every row
  std::vector<Comparison> comparisons;
  const std::vector<MetricGate> gates = {Compare(kBetter, "rmse"), Compare(kNoWorse, "rmse", 0.01),
                                         Compare(kBetter, "r2")};
  const std::vector<CheckResult> results = RunModelGates(gates, WithPairs(h), {}, &comparisons);
  ASSERT_EQ(results.size(), 3u);
  for (const CheckResult& r : results) EXPECT_TRUE(r.passed) << r.name << ": " << r.reason;
  EXPECT_THAT(results[0].reason, HasSubstr("significantly better"));
  EXPECT_THAT(results[0].reason, HasSubstr("vs champion"));
  EXPECT_THAT(results[0].reason, HasSubstr("95% CI"));
  EXPECT_EQ(results[1].name, "rmse no_worse_than champion (margin 0.01)");
  const nlohmann::json& d = results[0].detail;
  EXPECT_LT(d["delta"].get<double>(), 0);
  EXPECT_LT(d["ci_high"].get<double>(), 0);
  EXPECT_EQ(d["resamples"], 2000);
  EXPECT_EQ(d["confidence"], 0.95);
  EXPECT_EQ(d["method"], "paired bootstrap (2000 resamples, 95%)");
  EXPECT_TRUE(d["p_value"].is_null());
  EXPECT_EQ(d["champion_label"], "house_prices/3");
  // One bootstrap per metric, shared by the two rmse gates.
  ASSERT_EQ(comparisons.size(), 2u);
  EXPECT_EQ(comparisons[0].metric, "rmse");
  EXPECT_EQ(comparisons[1].metric, "r2");
  EXPECT_EQ(comparisons[0].ci_high, d["ci_high"].get<double>());
}

TEST(RunModelGatesTest, NoiseIsNotMistakenForProgress) {
  // The candidate's errors are the champion's, 2% smaller but shuffled across rows: better on
  // paper, by far less than the row-to-row noise.
  const Holdout h = RegressionHoldout(200, 0.98, /*shuffle=*/true);
  const GateInput input = WithPairs(h);
  const CheckResult better = RunOne(Compare(kBetter, "rmse"), input);
  EXPECT_LT(better.detail["delta"].get<double>(), 0);  // a lower rmse
  EXPECT_FALSE(better.passed) << better.reason;
  EXPECT_THAT(better.reason, HasSubstr("not significantly better"));
  const CheckResult no_worse = RunOne(Compare(kNoWorse, "rmse"), input);
  EXPECT_TRUE(no_worse.passed) << no_worse.reason;
  // Nor for regression: 2% larger, shuffled.
  const CheckResult worse_on_paper =
      RunOne(Compare(kNoWorse, "mae"), WithPairs(RegressionHoldout(200, 1.02, true)));
  EXPECT_TRUE(worse_on_paper.passed) << worse_on_paper.reason;
}

TEST(RunModelGatesTest, ASignificantlyWorseCandidateFails) {
  const Holdout h = RegressionHoldout(300, 1.5, false);
  const CheckResult result = RunOne(Compare(kNoWorse, "rmse", 0.1), WithPairs(h));
  EXPECT_FALSE(result.passed);
  EXPECT_THAT(result.reason, HasSubstr("significantly worse by more than the margin 0.1"));
  EXPECT_EQ(result.threshold, "improvement CI upper bound >= -0.1");
  const CheckResult r2 = RunOne(Compare(kNoWorse, "r2"), WithPairs(h));
  EXPECT_FALSE(r2.passed) << r2.reason;
}

TEST(RunModelGatesTest, RelativeMarginScalesWithTheChampion) {
  // Errors 5% larger on every row: rmse is exactly 5% worse, with a tight interval.
  const Holdout five_percent_worse = RegressionHoldout(300, 1.05, false);
  const GateInput worse = WithPairs(five_percent_worse);
  EXPECT_FALSE(RunOne(Compare(kNoWorse, "rmse"), worse).passed);
  EXPECT_FALSE(RunOne(Compare(kNoWorse, "rmse", 0.02, true), worse).passed);
  const CheckResult within = RunOne(Compare(kNoWorse, "rmse", 0.1, true), worse);
  EXPECT_TRUE(within.passed) << within.reason;
  EXPECT_EQ(within.name, "rmse no_worse_than champion (margin 10%)");
  EXPECT_THAT(within.reason, HasSubstr("within the margin"));
  const double champion = within.detail["champion"].get<double>();
  EXPECT_DOUBLE_EQ(within.detail["margin"].get<double>(), 0.1 * champion);

  // Errors 10% smaller: better by more than 5% of the champion, not by more than 20%.
  const Holdout ten_percent_better = RegressionHoldout(300, 0.9, false);
  const GateInput better = WithPairs(ten_percent_better);
  EXPECT_TRUE(RunOne(Compare(kBetter, "rmse", 0.05, true), better).passed);
  const CheckResult not_enough = RunOne(Compare(kBetter, "rmse", 0.2, true), better);
  EXPECT_FALSE(not_enough.passed);
  EXPECT_THAT(not_enough.reason, HasSubstr("not significantly better by more than the margin"));
}

TEST(RunModelGatesTest, AccuracyAlsoAsksMcNemar) {
  // 30 rows right only for the candidate, 10 only for the champion: p = 0.0022.
  const Holdout thirty_to_ten = McNemarHoldout(30, 10, 200);
  const GateInput input = WithPairs(thirty_to_ten);
  const CheckResult better = RunOne(Compare(kBetter, "accuracy"), input);
  EXPECT_TRUE(better.passed) << better.reason;
  EXPECT_NEAR(better.detail["p_value"].get<double>(), 0.0022214337732293643, 1e-15);
  EXPECT_THAT(better.reason, HasSubstr("McNemar p 0.002221"));
  EXPECT_EQ(better.threshold, "improvement CI > 0 and McNemar p < 0.05");
  // The reverse is significantly worse.
  const Holdout ten_to_thirty = McNemarHoldout(10, 30, 200);
  const GateInput reverse = WithPairs(ten_to_thirty);
  const CheckResult no_worse = RunOne(Compare(kNoWorse, "accuracy"), reverse);
  EXPECT_FALSE(no_worse.passed) << no_worse.reason;
  // 12 against 4 (p = 0.077) is not enough, though the bootstrap, which is liberal when so
  // few rows differ, puts the whole interval above 0.
  const CheckResult weak =
      RunOne(Compare(kBetter, "accuracy"), WithPairs(McNemarHoldout(12, 4, 200)));
  EXPECT_GT(weak.detail["ci_low"].get<double>(), 0);
  EXPECT_FALSE(weak.passed);
  EXPECT_THAT(weak.reason,
              HasSubstr("not significantly better: McNemar p 0.07681 is not below 0.05"));
}

TEST(RunModelGatesTest, ComparisonErrorsFailTheGate) {
  const Holdout regression = RegressionHoldout(50, 1.0, false);
  const GateInput input = WithPairs(regression);
  const CheckResult result = RunOne(Compare(kNoWorse, "accuracy"), input);
  EXPECT_FALSE(result.passed);
  EXPECT_THAT(result.reason, HasSubstr("cannot compare 'accuracy'"));
  EXPECT_THAT(result.reason, HasSubstr("rmse"));
}

}  // namespace
}  // namespace hone::gate
