#include "hone/learn/search.h"

#include <charconv>
#include <cmath>
#include <map>
#include <set>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hone/core/random.h"

namespace hone::learn {
namespace {

using core::Column;
using core::Table;
using ::testing::HasSubstr;

SearchDimension Choices(std::string param, std::vector<std::string> choices,
                        std::string where = "") {
  SearchDimension d;
  d.param = std::move(param);
  d.choices = std::move(choices);
  d.where = std::move(where);
  return d;
}

SearchDimension Range(std::string param, double low, double high, bool log = false,
                      bool integer = false) {
  SearchDimension d;
  d.param = std::move(param);
  d.low = low;
  d.high = high;
  d.log = log;
  d.integer = integer;
  return d;
}

SearchRequest Grid(std::vector<SearchDimension> space) {
  SearchRequest r;
  r.method = SearchMethod::kGrid;
  r.space = std::move(space);
  r.trials = 0;
  return r;
}

double Parse(const std::string& text) {
  double v = NAN;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  EXPECT_TRUE(ec == std::errc() && end == text.data() + text.size()) << text;
  return v;
}

// y = 10 x0 + 5 x1² + a group effect + noise; `levels` distinct values per numeric feature
// (0 = continuous).
Table Regression(size_t n, uint64_t seed, int levels = 0) {
  core::Rng rng(seed);
  std::vector<float> x0(n), x1(n), y(n);
  std::vector<int32_t> group(n);
  auto draw = [&] {
    double u = rng.Uniform();
    return static_cast<float>(levels > 0 ? std::floor(u * levels) / levels : u);
  };
  for (size_t i = 0; i < n; ++i) {
    x0[i] = draw();
    x1[i] = draw();
    group[i] = static_cast<int32_t>(rng.Below(3));
    y[i] = 10 * x0[i] + 5 * x1[i] * x1[i] + static_cast<float>(group[i]) +
           static_cast<float>(rng.Uniform());
  }
  std::vector<Column> cols;
  cols.push_back(Column::Numeric("x0", x0));
  cols.push_back(Column::Numeric("x1", x1));
  cols.push_back(Column::Categorical("group", group, {"a", "b", "c"}));
  cols.push_back(Column::Numeric("y", y));
  return *Table::Create(std::move(cols));
}

// label "yes" when x0 + x1 + noise > 1.
Table Classification(size_t n, uint64_t seed) {
  core::Rng rng(seed);
  std::vector<float> x0(n), x1(n);
  std::vector<int32_t> label(n);
  for (size_t i = 0; i < n; ++i) {
    x0[i] = static_cast<float>(rng.Uniform());
    x1[i] = static_cast<float>(rng.Uniform());
    label[i] = x0[i] + x1[i] + 0.4 * (rng.Uniform() - 0.5) > 1 ? 1 : 0;
  }
  std::vector<Column> cols;
  cols.push_back(Column::Numeric("x0", x0));
  cols.push_back(Column::Numeric("x1", x1));
  cols.push_back(Column::Categorical("label", label, {"no", "yes"}));
  return *Table::Create(std::move(cols));
}

TrainRequest Base(std::string target, std::string model = "random_forest") {
  TrainRequest r;
  r.target = std::move(target);
  r.model = std::move(model);
  r.params = {{"n_estimators", "4"}};
  r.threads = 2;
  return r;
}

double MetricOf(const MetricList& metrics, const std::string& name) {
  for (const auto& [k, v] : metrics) {
    if (k == name) return v;
  }
  ADD_FAILURE() << "no metric " << name;
  return NAN;
}

// The trial each search should pick, from the trials' own scores.
size_t ExpectedBest(const SearchOutcome& out) {
  std::optional<size_t> best;
  for (const TrialResult& t : out.trials) {
    if (t.error) continue;
    if (!best || (out.higher_is_better ? t.score > out.trials[*best].score
                                       : t.score < out.trials[*best].score)) {
      best = t.index;
    }
  }
  return best.value_or(SIZE_MAX);
}

TEST(SearchPlanTest, GridIsTheProductWithTheLastDimensionFastest) {
  auto plan = PlanTrials(Grid({Choices("a", {"1", "2"}), Choices("b", {"x", "y", "z"})}));
  ASSERT_TRUE(plan) << plan.error().message();
  std::vector<ParamAssignments> expected;
  for (std::string a : {"1", "2"}) {
    for (std::string b : {"x", "y", "z"}) expected.push_back({{"a", a}, {"b", b}});
  }
  EXPECT_EQ(*plan, expected);
}

TEST(SearchPlanTest, GridLargerThanTheTrialsStatesItsSize) {
  SearchRequest r = Grid({Choices("a", {"1", "2"}), Choices("b", {"x", "y", "z"})});
  r.trials = 4;
  auto plan = PlanTrials(r);
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(plan.error().message(), HasSubstr("grid has 6 points, more than the 4 trials"));
  r.trials = 6;
  EXPECT_TRUE(PlanTrials(r));
}

TEST(SearchPlanTest, GridNeedsListsNotRanges) {
  SearchDimension d = Range("learning_rate", 0.01, 0.3);
  d.where = "hone.yaml:31";
  auto plan = PlanTrials(Grid({Choices("max_depth", {"3"}), d}));
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().message(),
            "grid search needs a list of values for 'learning_rate' (hone.yaml:31)");
}

TEST(SearchPlanTest, RandomIsReproducibleFromTheSeed) {
  SearchRequest r;
  r.space = {Choices("kind", {"a", "b", "c"}), Range("rate", 0.001, 1, true)};
  r.trials = 20;
  auto a = PlanTrials(r), b = PlanTrials(r);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->size(), 20u);
  EXPECT_EQ(*a, *b);
  r.seed = 43;
  EXPECT_NE(*PlanTrials(r), *a);
}

TEST(SearchPlanTest, RandomDrawsStayInTheirRangesAndSpreadAsDeclared) {
  SearchRequest r;
  r.space = {Choices("kind", {"a", "b", "c"}), Range("rate", 1e-4, 1, /*log=*/true),
             Range("depth", 1, 4, false, /*integer=*/true),
             Range("leaves", 2, 1024, /*log=*/true, /*integer=*/true), Range("frac", 0.25, 0.75)};
  r.trials = 400;
  auto plan = PlanTrials(r);
  ASSERT_TRUE(plan) << plan.error().message();
  std::set<std::string> kinds, depths;
  int small_rate = 0, small_leaves = 0, large_leaves = 0;
  for (const ParamAssignments& t : *plan) {
    ASSERT_EQ(t.size(), 5u);
    kinds.insert(t[0].second);
    const double rate = Parse(t[1].second);
    EXPECT_TRUE(rate >= 1e-4 && rate <= 1) << rate;
    small_rate += rate < 1e-2;
    // Floats are written in their shortest round-trip form.
    char buffer[32];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, rate);
    EXPECT_EQ(std::string(buffer, end), t[1].second);
    depths.insert(t[2].second);
    EXPECT_EQ(t[3].second.find_first_not_of("0123456789"), std::string::npos) << t[3].second;
    const double leaves = Parse(t[3].second);
    EXPECT_TRUE(leaves >= 2 && leaves <= 1024) << leaves;
    small_leaves += leaves < 16;
    large_leaves += leaves > 128;
    const double frac = Parse(t[4].second);
    EXPECT_TRUE(frac >= 0.25 && frac <= 0.75) << frac;
  }
  EXPECT_EQ(kinds, (std::set<std::string>{"a", "b", "c"}));
  // Integer ranges include both ends and are written without decimals.
  EXPECT_EQ(depths, (std::set<std::string>{"1", "2", "3", "4"}));
  // Log-uniform: half the draws below the middle of the log scale (1e-2; for leaves, ~45),
  // where a uniform draw would put 1%.
  EXPECT_GT(small_rate, 140);
  EXPECT_LT(small_rate, 260);
  EXPECT_GT(small_leaves, 80);  // expected ~120 (3 of 9 octaves)
  EXPECT_GT(large_leaves, 80);  // expected ~120
}

TEST(SearchPlanTest, BadRequestsNameTheDimension) {
  auto error = [](SearchRequest r) {
    auto plan = PlanTrials(r);
    EXPECT_FALSE(plan);
    if (plan) return std::string();
    EXPECT_EQ(plan.error().code(), ErrorCode::kInvalidArgument);
    return plan.error().message();
  };
  SearchRequest r;
  r.space = {Choices("kind", {}, "hone.yaml:7:5")};
  EXPECT_THAT(error(r), HasSubstr("'kind' (hone.yaml:7:5): the list of values is empty"));
  r.space = {Range("rate", 0.5, 0.5)};
  EXPECT_THAT(error(r), HasSubstr("'rate': low (0.5) must be below high (0.5)"));
  r.space = {Range("rate", 0, 1, /*log=*/true)};
  EXPECT_THAT(error(r), HasSubstr("a log range needs low > 0, got 0"));
  r.space = {Range("depth", 1.5, 4, false, /*integer=*/true)};
  EXPECT_THAT(error(r), HasSubstr("integer range needs whole-number bounds"));
  SearchDimension half;
  half.param = "rate";
  half.low = 0.1;
  r.space = {half};
  EXPECT_THAT(error(r), HasSubstr("'rate': the range lacks its high"));
  SearchDimension both = Choices("rate", {"0.1"});
  both.high = 1;
  r.space = {both};
  EXPECT_THAT(error(r), HasSubstr("not both"));
  r.space = {Choices("rate", {"1"}), Choices("rate", {"2"})};
  EXPECT_THAT(error(r), HasSubstr("'rate' is declared twice"));
  r.space = {};
  EXPECT_THAT(error(r), HasSubstr("search space is empty"));
  r.space = {Choices("rate", {"1"})};
  r.trials = 0;
  EXPECT_THAT(error(r), HasSubstr("at least 1 trial, got 0"));
  r.trials = 5;
  r.folds = 1;
  EXPECT_THAT(error(r), HasSubstr("folds must be at least 2, got 1"));
}

TEST(SearchTest, RegressionPicksTheLowestCrossValidatedRmse) {
  Table table = Regression(240, 1);
  SearchRequest r =
      Grid({Choices("max_depth", {"1", "3", "0"}), Choices("min_samples_leaf", {"1", "30"})});
  const auto caller = std::this_thread::get_id();
  std::map<size_t, int> calls;
  auto out = RunSearch(table, Base("y"), r, [&](const TrialResult& t) {
    EXPECT_EQ(std::this_thread::get_id(), caller);
    EXPECT_EQ(t.params.size(), 2u);
    ++calls[t.index];
  });
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(out->metric, "rmse");
  EXPECT_FALSE(out->higher_is_better);
  ASSERT_EQ(out->trials.size(), 6u);
  EXPECT_EQ(calls, (std::map<size_t, int>{{0, 1}, {1, 1}, {2, 1}, {3, 1}, {4, 1}, {5, 1}}));
  EXPECT_EQ(out->best, ExpectedBest(*out));
  EXPECT_EQ(out->trials[out->best].params[0].second, "0");  // stumps do worse than full trees

  // Each trial is cross-validated on the same folds CrossValidate draws from the seed.
  for (const TrialResult& t : out->trials) {
    EXPECT_EQ(t.index, static_cast<size_t>(&t - out->trials.data()));
    ASSERT_FALSE(t.error) << *t.error;
    EXPECT_EQ(t.score, MetricOf(t.cv_mean, "rmse"));
    TrainRequest single = Base("y");
    single.test_size = 0;
    single.params.insert(single.params.end(), t.params.begin(), t.params.end());
    auto data = PrepareTraining(table, single);
    ASSERT_TRUE(data);
    auto cv = CrossValidate(*data, r.folds, r.seed, 1);
    ASSERT_TRUE(cv);
    EXPECT_EQ(cv->summary[1].first, "rmse");
    EXPECT_EQ(t.score, cv->summary[1].second.first);
  }
}

TEST(SearchTest, ATrialRunOnItsOwnIsTheSearchsTrialAndTheBestIsChosenAlike) {
  Table table = Regression(200, 3);
  SearchRequest r =
      Grid({Choices("max_depth", {"1", "4"}), Choices("min_samples_leaf", {"1", "20"})});
  auto out = RunSearch(table, Base("y"), r);
  ASSERT_TRUE(out) << out.error().message();
  std::vector<TrialResult> alone;
  for (size_t i = 0; i < out->trials.size(); ++i) {
    TrainRequest base = Base("y");
    base.threads = 1;  // another machine, other cores: the same figures
    auto one = RunOneTrial(table, base, r, i);
    ASSERT_TRUE(one) << one.error().message();
    EXPECT_EQ(one->metric, "rmse");
    EXPECT_EQ(one->trial.index, i);
    EXPECT_EQ(one->trial.params, out->trials[i].params);
    EXPECT_EQ(one->trial.cv_mean, out->trials[i].cv_mean);
    EXPECT_EQ(one->trial.score, out->trials[i].score);
    alone.push_back(one->trial);
  }
  auto chosen = ChooseBest("rmse", false, alone);
  ASSERT_TRUE(chosen) << chosen.error().message();
  EXPECT_EQ(chosen->best, out->best);
  auto missing = RunOneTrial(table, Base("y"), r, 4);
  ASSERT_FALSE(missing);
  EXPECT_THAT(missing.error().message(), HasSubstr("trial 4 does not exist: the search has 4"));
  // Every trial failed: the first one's error is named.
  alone[0].error = "out of memory";
  for (TrialResult& t : alone) t.error = t.error.value_or("killed");
  auto none = ChooseBest("rmse", false, alone, ErrorCode::kIo);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code(), ErrorCode::kIo);
  EXPECT_THAT(none.error().message(), HasSubstr("all 4 search trials failed"));
  EXPECT_THAT(none.error().message(), HasSubstr("out of memory"));
}

TEST(SearchTest, ClassificationPicksByTheNamedMetricOrLogLoss) {
  Table table = Classification(240, 2);
  SearchRequest r = Grid({Choices("max_depth", {"1", "2", "0"})});
  r.metric = "accuracy";
  auto out = RunSearch(table, Base("label"), r);
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_TRUE(out->higher_is_better);
  EXPECT_EQ(out->best, ExpectedBest(*out));
  for (const TrialResult& t : out->trials) EXPECT_EQ(t.score, MetricOf(t.cv_mean, "accuracy"));

  r.metric = "";
  out = RunSearch(table, Base("label"), r);
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(out->metric, "log_loss");
  EXPECT_FALSE(out->higher_is_better);
  EXPECT_EQ(out->best, ExpectedBest(*out));
}

TEST(SearchTest, EveryReportedMetricHasADirection) {
  const std::map<std::string, bool> higher = {{"r2", true},
                                              {"rmse", false},
                                              {"mae", false},
                                              {"mape", false},
                                              {"accuracy", true},
                                              {"precision", true},
                                              {"recall", true},
                                              {"f1", true},
                                              {"precision_macro", true},
                                              {"recall_macro", true},
                                              {"f1_macro", true},
                                              {"precision_weighted", true},
                                              {"recall_weighted", true},
                                              {"f1_weighted", true},
                                              {"roc_auc", true},
                                              {"log_loss", false}};
  const float y[] = {0, 1};
  const int labels[] = {0, 1};
  const float proba[] = {0.5f, 0.5f, 0.5f, 0.5f};
  std::vector<std::pair<Table, MetricList>> cases;
  cases.emplace_back(Regression(60, 3), RegressionMetrics(y, y));
  cases.emplace_back(Classification(60, 4), ClassificationMetrics(labels, proba, 2));
  for (const auto& [table, metrics] : cases) {
    const std::string target = table.FindColumn("y") ? "y" : "label";
    for (const auto& [name, value] : metrics) {
      ASSERT_TRUE(higher.contains(name)) << name << " is missing from this test's table";
      SearchRequest r = Grid({Choices("max_depth", {"2"})});
      r.folds = 2;
      r.metric = name;
      auto out = RunSearch(table, Base(target), r);
      ASSERT_TRUE(out) << name << ": " << out.error().message();
      EXPECT_EQ(out->higher_is_better, higher.at(name)) << name;
    }
  }
}

TEST(SearchTest, AMetricTheTaskDoesNotReportFailsBeforeAnyTrial) {
  Table table = Classification(80, 5);
  SearchRequest r = Grid({Choices("max_depth", {"1", "2"})});
  int calls = 0;
  for (std::string metric : {"rmse", "acuracy"}) {
    r.metric = metric;
    auto out = RunSearch(table, Base("label"), r, [&](const TrialResult&) { ++calls; });
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_THAT(out.error().message(), HasSubstr("search metric '" + metric +
                                                 "' is not reported for a binary target; "
                                                 "choose one of: accuracy, "));
    EXPECT_THAT(out.error().message(), HasSubstr("log_loss"));
  }
  EXPECT_EQ(calls, 0);
}

TEST(SearchTest, ParametersTheTrainerRefusesFailBeforeAnyTrial) {
  Table table = Regression(80, 6);
  int calls = 0;
  auto on_trial = [&](const TrialResult&) { ++calls; };
  SearchRequest r =
      Grid({Choices("max_depth", {"1", "2"}), Choices("n_trees", {"5", "10"}, "hone.yaml:12:7")});
  auto out = RunSearch(table, Base("y"), r, on_trial);
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(out.error().message(),
              HasSubstr("search space (hone.yaml:12:7): unknown parameter 'n_trees' for "
                        "random_forest; valid: n_estimators, max_depth"));

  // A bad value in the last trial only also stops the search before the first trial.
  r = Grid({Choices("max_depth", {"1", "2", "-1"})});
  out = RunSearch(table, Base("y"), r, on_trial);
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().message(),
            "search space: parameter 'max_depth' of random_forest: '-1' is outside [0, 1000]");

  // So do a bad target and too many folds for the rows.
  r = Grid({Choices("max_depth", {"1"})});
  out = RunSearch(table, Base("price"), r, on_trial);
  ASSERT_FALSE(out);
  EXPECT_THAT(out.error().message(), HasSubstr("target column 'price' is not in the data"));
  r.folds = 81;
  out = RunSearch(table, Base("y"), r, on_trial);
  ASSERT_FALSE(out);
  EXPECT_THAT(out.error().message(), HasSubstr("search folds 81 exceed the 80 labelled rows"));
  EXPECT_EQ(calls, 0);
}

// The linear trainer refuses shotgun with the greedy selector only when it trains: a trial
// that fails after the parameters resolved.
TEST(SearchTest, AFailingTrialIsRecordedAndTheOthersGoOn) {
  Table table = Regression(120, 7);
  TrainRequest base = Base("y", "linear");
  base.params = {{"n_estimators", "20"}};
  SearchRequest r = Grid({Choices("updater", {"coord_descent", "shotgun"}),
                          Choices("feature_selector", {"cyclic", "greedy"})});
  int calls = 0;
  auto out = RunSearch(table, base, r, [&](const TrialResult&) { ++calls; });
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(calls, 4);
  ASSERT_EQ(out->trials.size(), 4u);
  for (size_t i = 0; i < 3; ++i) EXPECT_FALSE(out->trials[i].error) << *out->trials[i].error;
  ASSERT_TRUE(out->trials[3].error);
  EXPECT_THAT(*out->trials[3].error, HasSubstr("needs updater coord_descent"));
  EXPECT_TRUE(out->trials[3].cv_mean.empty());
  EXPECT_NE(out->best, 3u);
  EXPECT_EQ(out->best, ExpectedBest(*out));

  r = Grid({Choices("updater", {"shotgun"}), Choices("feature_selector", {"greedy", "thrifty"})});
  calls = 0;
  out = RunSearch(table, base, r, [&](const TrialResult&) { ++calls; });
  ASSERT_FALSE(out);
  EXPECT_EQ(calls, 2);
  EXPECT_THAT(out.error().message(),
              HasSubstr("all 2 search trials failed; the first (updater=shotgun, "
                        "feature_selector=greedy): linear: feature_selector 'greedy'"));
}

TEST(SearchTest, TiesGoToTheEarlierTrial) {
  // Ten distinct values per feature: any max_bins from 10 up bins them alike.
  Table table = Regression(120, 8, /*levels=*/10);
  SearchRequest r = Grid({Choices("max_bins", {"255", "100", "20"})});
  auto out = RunSearch(table, Base("y"), r);
  ASSERT_TRUE(out) << out.error().message();
  ASSERT_EQ(out->trials[1].score, out->trials[0].score);
  ASSERT_EQ(out->trials[2].score, out->trials[0].score);
  EXPECT_EQ(out->best, 0u);
  r.metric = "r2";
  out = RunSearch(table, Base("y"), r);
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(out->best, 0u);
}

TEST(SearchTest, TheOutcomeDoesNotDependOnHowManyTrialsRunAtOnce) {
  Table table = Regression(200, 9);
  SearchRequest r;
  r.space = {Range("max_depth", 1, 8, false, true), Range("max_samples", 0.3, 1.0),
             Choices("max_features", {"all", "sqrt"})};
  r.trials = 5;
  r.parallel = 1;
  auto one = RunSearch(table, Base("y"), r);
  ASSERT_TRUE(one) << one.error().message();
  for (unsigned parallel : {2u, 0u}) {
    r.parallel = parallel;
    auto many = RunSearch(table, Base("y"), r);
    ASSERT_TRUE(many) << many.error().message();
    EXPECT_EQ(many->best, one->best);
    ASSERT_EQ(many->trials.size(), one->trials.size());
    for (size_t i = 0; i < one->trials.size(); ++i) {
      EXPECT_EQ(many->trials[i].params, one->trials[i].params);
      EXPECT_EQ(many->trials[i].cv_mean, one->trials[i].cv_mean);
    }
  }
}

}  // namespace
}  // namespace hone::learn
