#include "hone/monitor/drift_report.h"

#include <cmath>
#include <functional>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "hone/core/random.h"
#include "hone/core/table.h"
#include "hone/monitor/drift_stats.h"

namespace hone::monitor {
namespace {

using core::ColumnType;
using ::testing::HasSubstr;

// Live (or reference) data: a ~ bell-shaped (sum of three uniforms on [0, 2), sd 1) + shift_a;
// b uniform on [0, 10) with 5% missing, + shift_b; c red/green/blue 50/30/20, a share
// `violet` of a category the reference never had; y (the target) no/yes 30/70.
struct Spec {
  double shift_a = 0;
  double shift_b = 0;
  double violet = 0;
};

core::Table MakeTable(size_t rows, uint64_t seed, Spec spec = {}) {
  core::Rng rng(seed);
  std::vector<float> a, b;
  std::vector<int32_t> c, y;
  for (size_t r = 0; r < rows; ++r) {
    a.push_back(static_cast<float>(rng.Uniform() * 2 + rng.Uniform() * 2 + rng.Uniform() * 2 - 3 +
                                   spec.shift_a));
    b.push_back(rng.Below(20) == 0 ? NAN : static_cast<float>(rng.Uniform() * 10 + spec.shift_b));
    const double u = rng.Uniform();
    c.push_back(rng.Uniform() < spec.violet ? 3 : u < 0.5 ? 2 : u < 0.8 ? 1 : 0);
    y.push_back(rng.Uniform() < 0.7 ? 1 : 0);
  }
  std::vector<core::Column> columns;
  columns.push_back(core::Column::Numeric("a", a));
  columns.push_back(core::Column::Numeric("b", b));
  columns.push_back(core::Column::Categorical("c", c, {"blue", "green", "red", "violet"}));
  columns.push_back(core::Column::Categorical("y", y, {"no", "yes"}));
  return *core::Table::Create(std::move(columns));
}

const core::DataProfile& Reference() {
  static const core::DataProfile profile = core::ProfileTable(MakeTable(20000, 1));
  return profile;
}

// The live table as the model's rows: the model's dictionary of c knows "violet"; predictions
// are the target's class indices.
WindowSummary Window(const core::Table& live) {
  std::vector<MonitoredColumn> features = {
      {"a", ColumnType::kNumeric, {}},
      {"b", ColumnType::kNumeric, {}},
      {"c", ColumnType::kCategorical, {"blue", "green", "red", "violet"}}};
  WindowAccumulator acc(features, Reference(), MonitoredPrediction{"y", {"no", "yes"}});
  EXPECT_TRUE(acc.skipped().empty());
  EXPECT_FALSE(acc.prediction_skipped());
  auto codes = [](const core::Column& column) {
    std::vector<float> v;
    for (int32_t code : column.codes()) v.push_back(code < 0 ? NAN : static_cast<float>(code));
    return v;
  };
  const std::vector<float> c = codes(live.column(2)), y = codes(live.column(3));
  const std::vector<std::span<const float>> columns = {live.column(0).values(),
                                                       live.column(1).values(), c};
  acc.AddBatch(columns);
  acc.AddPredictions(y);
  return acc.Take();
}

DriftReport Report(const WindowSummary& live, const DriftOptions& options = {}) {
  auto report = ComputeDrift(Reference(), live, options);
  EXPECT_TRUE(report) << report.error().message();
  return report ? *report : DriftReport{};
}

TEST(DriftReportTest, AnUnshiftedSampleIsOk) {
  DriftReport r = Report(Window(MakeTable(800, 2)));
  EXPECT_EQ(r.status, "ok");
  EXPECT_EQ(r.rows, 800u);
  EXPECT_EQ(r.reference_rows, 20000u);
  ASSERT_EQ(r.columns.size(), 3u);
  EXPECT_EQ(r.columns[0].method, "ks");
  EXPECT_EQ(r.columns[1].method, "ks");
  EXPECT_EQ(r.columns[2].method, "chi_square");
  for (const ColumnDrift& c : r.columns) {
    EXPECT_EQ(c.status, "ok") << c.name;
    EXPECT_FALSE(c.drifted) << c.name;
    EXPECT_EQ(c.psi_level, "ok") << c.name;
    EXPECT_GE(c.p_adjusted, 0.05) << c.name;
    EXPECT_EQ(c.rows, 800u);
  }
  EXPECT_GT(r.columns[1].missing, 0u);
  EXPECT_TRUE(std::isnan(r.columns[2].wasserstein));
  EXPECT_EQ(r.columns_compared, 3u);
  EXPECT_EQ(r.columns_drifted, 0u);
  EXPECT_FALSE(r.any_adjusted_p_below);
  ASSERT_TRUE(r.prediction);
  EXPECT_EQ(r.prediction->name, "y");
  EXPECT_EQ(r.prediction->method, "chi_square");
  EXPECT_EQ(r.prediction->status, "ok");
}

TEST(DriftReportTest, AShiftedColumnDriftsAlone) {
  DriftReport r = Report(Window(MakeTable(800, 3, {.shift_a = 1.0})));
  EXPECT_EQ(r.status, "drift");
  EXPECT_EQ(r.columns[0].status, "drift");
  EXPECT_TRUE(r.columns[0].drifted);
  EXPECT_LT(r.columns[0].p_adjusted, 1e-6);
  EXPECT_EQ(r.columns[0].psi_level, "alert");
  EXPECT_NEAR(r.columns[0].wasserstein, 1.0, 0.15);
  EXPECT_EQ(r.columns[1].status, "ok");
  EXPECT_EQ(r.columns[2].status, "ok");
  EXPECT_EQ(r.columns_drifted, 1u);
  EXPECT_DOUBLE_EQ(r.drifted_share, 1.0 / 3);
  // One drifted column of three is below the share, but its adjusted p-value decides.
  EXPECT_TRUE(r.any_adjusted_p_below);
  EXPECT_EQ(r.prediction->status, "ok");  // not part of the verdict, and did not move
}

TEST(DriftReportTest, HolmAdjustsOverTheTestedColumns) {
  DriftReport r = Report(Window(MakeTable(600, 4, {.shift_a = 0.25})));
  std::vector<double> p;
  for (const ColumnDrift& c : r.columns) p.push_back(c.p_value);
  const std::vector<double> adjusted = HolmAdjust(p);
  for (size_t i = 0; i < r.columns.size(); ++i) {
    EXPECT_DOUBLE_EQ(r.columns[i].p_adjusted, adjusted[i]) << r.columns[i].name;
    EXPECT_GE(r.columns[i].p_adjusted, r.columns[i].p_value);
  }
  // The smallest p-value is multiplied by the number of tests.
  EXPECT_DOUBLE_EQ(r.columns[0].p_adjusted, std::min(1.0, 3 * r.columns[0].p_value));
}

TEST(DriftReportTest, LargeSamplesAreJudgedByDistances) {
  // A shift of 0.06 standard deviations over 20000 rows: KS calls it significant, the
  // normalised Wasserstein distance calls it trivial.
  const WindowSummary live = Window(MakeTable(20000, 5, {.shift_a = 0.06}));
  DriftReport r = Report(live);
  EXPECT_EQ(r.status, "ok");
  EXPECT_EQ(r.columns[0].method, "wasserstein");
  EXPECT_EQ(r.columns[2].method, "jensen_shannon");
  EXPECT_TRUE(std::isnan(r.columns[0].p_value));
  EXPECT_TRUE(std::isnan(r.columns[0].p_adjusted));
  EXPECT_DOUBLE_EQ(r.columns[0].statistic, r.columns[0].wasserstein);
  EXPECT_DOUBLE_EQ(r.columns[2].statistic, r.columns[2].jensen_shannon);
  EXPECT_GT(r.columns[0].wasserstein, 0.03);
  EXPECT_LT(r.columns[0].wasserstein, 0.1);
  EXPECT_FALSE(r.columns[0].drifted);

  DriftReport by_test = Report(live, {.large_sample = 1000000});
  EXPECT_EQ(by_test.columns[0].method, "ks");
  EXPECT_LT(by_test.columns[0].p_adjusted, 0.05);
  EXPECT_EQ(by_test.status, "drift");
}

TEST(DriftReportTest, OnLargeSamplesTheShareOfDriftedColumnsDecides) {
  DriftReport one = Report(Window(MakeTable(5000, 6, {.shift_a = 1.0})));
  EXPECT_TRUE(one.columns[0].drifted);
  EXPECT_GE(one.columns[0].wasserstein, 0.1);
  EXPECT_EQ(one.columns_drifted, 1u);
  EXPECT_FALSE(one.any_adjusted_p_below);
  EXPECT_EQ(one.status, "ok");  // 1/3 < 0.5

  DriftReport two = Report(Window(MakeTable(5000, 6, {.shift_a = 1.0, .shift_b = 3})));
  EXPECT_TRUE(two.columns[1].drifted);
  EXPECT_EQ(two.columns_drifted, 2u);
  EXPECT_EQ(two.status, "drift");
  EXPECT_EQ(two.columns[2].status, "ok");
}

TEST(DriftReportTest, NewCategoriesCountAsOtherAndDrift) {
  const WindowSummary live = Window(MakeTable(800, 7, {.violet = 0.3}));
  // The reference's top is red, green, blue; violet lands in "other".
  ASSERT_EQ(live.columns[2].bins.size(), 4u);
  EXPECT_NEAR(static_cast<double>(live.columns[2].bins[3]) / 800, 0.3, 0.05);
  DriftReport r = Report(live);
  EXPECT_EQ(r.columns[2].method, "chi_square");
  EXPECT_EQ(r.columns[2].status, "drift");
  EXPECT_EQ(r.columns[2].psi_level, "alert");
  EXPECT_EQ(r.columns[0].status, "ok");
  EXPECT_EQ(r.columns[1].status, "ok");
  EXPECT_EQ(r.status, "drift");
}

TEST(DriftReportTest, TooFewRowsIsInsufficientData) {
  DriftReport r = Report(Window(MakeTable(10, 8, {.shift_a = 3})));
  EXPECT_EQ(r.status, "insufficient data");
  EXPECT_EQ(r.columns_compared, 0u);
  EXPECT_DOUBLE_EQ(r.drifted_share, 0);
  for (const ColumnDrift& c : r.columns) {
    EXPECT_EQ(c.status, "insufficient data") << c.name;
    EXPECT_FALSE(c.drifted);
    EXPECT_TRUE(std::isnan(c.p_adjusted));
    EXPECT_FALSE(std::isnan(c.statistic));  // the figures are still given
  }
  EXPECT_EQ(r.prediction->status, "insufficient data");
  EXPECT_EQ(Report(Window(MakeTable(10, 8)), {.min_rows = 5}).status, "ok");
}

// A hand-made profile whose figures can be worked out on paper: n has edges 1, 2, 3 over
// [0, 4] with 25 values per bin; k has a 50, b 30, other 20.
core::DataProfile HandProfile() {
  core::DataProfile p;
  p.rows = 100;
  core::ColumnProfile n{"n", ColumnType::kNumeric, 100, 0, {}, {}};
  n.numeric = {0, 4, 2, 1.25, {}, {1, 2, 3}, {25, 25, 25, 25}};
  core::ColumnProfile k{"k", ColumnType::kCategorical, 100, 0, {}, {}};
  k.categorical = {5, {{"a", 50}, {"b", 30}}, 20};
  p.columns = {n, k};
  return p;
}

WindowSummary HandWindow() {
  WindowSummary w;
  w.rows = 100;
  w.columns = {{"n", ColumnType::kNumeric, {10, 20, 30, 40}, 0},
               {"k", ColumnType::kCategorical, {30, 30, 40}, 0}};
  return w;
}

TEST(DriftReportTest, FiguresMatchTheStatisticsOnHandMadeCounts) {
  auto r = ComputeDrift(HandProfile(), HandWindow());
  ASSERT_TRUE(r) << r.error().message();
  const ColumnDrift& n = r->columns[0];
  const std::vector<double> ref_n{25, 25, 25, 25}, live_n{10, 20, 30, 40};
  // D: the CDFs differ most at edge 2 (0.5 against 0.3).
  EXPECT_NEAR(n.statistic, 0.2, 1e-12);
  EXPECT_DOUBLE_EQ(n.p_value, KsBinned(ref_n, live_n).p_value);
  // scipy.stats.ks_2samp(np.repeat([1, 2, 3, 4], 25), np.repeat([1, 2, 3, 4], [10, 20, 30, 40]))
  EXPECT_NEAR(n.p_value, 0.03638428787491733, 1e-9);
  // PSI by hand; the missing bin is empty on both sides (floored shares, no contribution).
  const double psi =
      -0.15 * std::log(0.4) - 0.05 * std::log(0.8) + 0.05 * std::log(1.2) + 0.15 * std::log(1.6);
  EXPECT_NEAR(n.psi, psi, 1e-12);
  EXPECT_EQ(n.psi_level, "warn");  // 0.228
  // W: the CDFs differ by 0.15, 0.2 and 0.15 over the unit gaps between the midpoints 0.5,
  // 1.5, 2.5, 3.5: 0.5, over the reference's sd 1.25.
  EXPECT_NEAR(n.wasserstein, 0.4, 1e-12);
  EXPECT_DOUBLE_EQ(n.jensen_shannon, JensenShannonDistance(ref_n, live_n));
  // scipy.spatial.distance.jensenshannon([25] * 4, [10, 20, 30, 40], base=2)
  EXPECT_NEAR(n.jensen_shannon, 0.2005033225314282, 1e-9);

  const ColumnDrift& k = r->columns[1];
  const std::vector<double> ref_k{50, 30, 20}, live_k{30, 30, 40};
  const TestResult chi = ChiSquareHomogeneity(ref_k, live_k);
  EXPECT_EQ(k.method, "chi_square");
  EXPECT_DOUBLE_EQ(k.statistic, chi.statistic);
  EXPECT_DOUBLE_EQ(k.p_value, chi.p_value);
  EXPECT_DOUBLE_EQ(k.jensen_shannon, JensenShannonDistance(ref_k, live_k));
  EXPECT_NEAR(k.jensen_shannon, 0.2067308603321408, 1e-9);
  EXPECT_DOUBLE_EQ(k.psi, PopulationStabilityIndex(std::vector<double>{50, 30, 20, 0},
                                                   std::vector<double>{30, 30, 40, 0}));
  // scipy.stats.chi2_contingency([[50, 30, 20], [30, 30, 40]]): chi2 = 11.667, p = 0.002928
  EXPECT_NEAR(k.statistic, 35.0 / 3, 1e-9);
  EXPECT_NEAR(k.p_value, 0.0029282996948181853, 1e-9);

  auto large = ComputeDrift(HandProfile(), HandWindow(), {.large_sample = 50});
  ASSERT_TRUE(large);
  EXPECT_EQ(large->columns[0].method, "wasserstein");
  EXPECT_NEAR(large->columns[0].statistic, 0.4, 1e-12);
  EXPECT_TRUE(large->columns[0].drifted);
  EXPECT_EQ(large->columns[1].method, "jensen_shannon");
  EXPECT_DOUBLE_EQ(large->columns[1].statistic, k.jensen_shannon);
}

TEST(DriftReportTest, MissingValuesMoveThePsiOnly) {
  WindowSummary w = HandWindow();
  w.columns[0].bins = {5, 5, 5, 5};
  w.columns[0].missing = 80;
  auto r = ComputeDrift(HandProfile(), w);
  ASSERT_TRUE(r);
  EXPECT_NEAR(r->columns[0].statistic, 0, 1e-12);  // the values are spread as before
  EXPECT_EQ(r->columns[0].missing, 80u);
  EXPECT_EQ(r->columns[0].psi_level, "alert");
  // On a small sample the test decides; on a large one PSI's alert is drift.
  EXPECT_FALSE(r->columns[0].drifted);
  r = ComputeDrift(HandProfile(), w, {.large_sample = 10});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->columns[0].method, "wasserstein");
  EXPECT_NEAR(r->columns[0].statistic, 0, 1e-12);
  EXPECT_TRUE(r->columns[0].drifted);
}

// Sampling noise puts PSI at the alert level on small samples; it must not call drift there.
TEST(DriftReportTest, PsiNoiseOnSmallSamplesIsNotDrift) {
  DriftReport r = Report(Window(MakeTable(40, 12)));
  EXPECT_EQ(r.columns[0].psi_level, "alert");
  EXPECT_EQ(r.columns[0].status, "ok");
  EXPECT_EQ(r.status, "ok");
}

TEST(DriftReportTest, AWindowOfAnotherProfileIsAnError) {
  struct Case {
    std::function<void(WindowSummary&)> edit;
    std::string message;
  };
  const std::vector<Case> cases = {
      {[](auto& w) { w.columns[0].name = "m"; }, "column 'm' is not in the reference profile"},
      {[](auto& w) { w.columns[0].bins.push_back(1); }, "'n' has 5 bins in the window but 4"},
      {[](auto& w) { w.columns[1].type = ColumnType::kNumeric; },
       "'k' is numeric in the window but categorical in the profile"},
      {[](auto& w) {
         w.prediction = ColumnCounts{"y", ColumnType::kNumeric, {1}, 0};
       },
       "prediction target 'y' is not in the reference profile"},
  };
  for (const Case& c : cases) {
    WindowSummary w = HandWindow();
    c.edit(w);
    auto r = ComputeDrift(HandProfile(), w);
    ASSERT_FALSE(r) << c.message;
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_THAT(r.error().message(), HasSubstr(c.message));
  }
}

TEST(DriftReportTest, AMalformedProfileIsAnError) {
  core::DataProfile profile = HandProfile();
  profile.columns[0].numeric.edges.pop_back();
  auto r = ComputeDrift(profile, HandWindow());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidData);
  EXPECT_THAT(r.error().message(), HasSubstr("histogram of 'n' has counts that do not match"));
}

TEST(DriftReportTest, OptionsOutOfRangeAreRejected) {
  EXPECT_TRUE(DriftOptions{}.Validate());
  auto message = [](DriftOptions o) {
    auto r = ComputeDrift(HandProfile(), HandWindow(), o);
    return r ? std::string() : r.error().message();
  };
  EXPECT_THAT(message({.p_value = 0}), HasSubstr("p_value = 0.0 must be in (0, 1]"));
  EXPECT_THAT(message({.distance = -1}), HasSubstr("distance"));
  EXPECT_THAT(message({.psi_warn = 0.3, .psi_alert = 0.2}), HasSubstr("psi_alert"));
  EXPECT_THAT(message({.drift_share = 1.5}), HasSubstr("drift_share"));
  EXPECT_THAT(message({.psi_warn = NAN}), HasSubstr("psi_warn"));
}

TEST(DriftReportTest, WindowsCompareWithEachOther) {
  const WindowSummary production = Window(MakeTable(3000, 9));
  const WindowSummary canary = Window(MakeTable(3000, 10));
  const WindowSummary shifted = Window(MakeTable(3000, 11, {.violet = 0.4}));
  auto same = CompareWindows(Reference(), production, canary);
  ASSERT_TRUE(same) << same.error().message();
  EXPECT_EQ(same->status, "ok");
  EXPECT_EQ(same->reference_rows, 3000u);
  auto moved = CompareWindows(Reference(), production, shifted);
  ASSERT_TRUE(moved);
  EXPECT_EQ(moved->columns[2].status, "drift");

  auto psi = PredictionPsi(production, production);
  ASSERT_TRUE(psi);
  EXPECT_DOUBLE_EQ(*psi, 0);
  psi = PredictionPsi(production, canary);
  ASSERT_TRUE(psi);
  EXPECT_GT(*psi, 0);
  EXPECT_LT(*psi, 0.01);

  WindowSummary without = canary;
  without.prediction.reset();
  EXPECT_THAT(PredictionPsi(production, without).error().message(),
              HasSubstr("the actual window does not count predictions"));
  EXPECT_FALSE(CompareWindows(Reference(), production, without));
  WindowSummary other = canary;
  other.prediction->bins.push_back(0);
  EXPECT_THAT(PredictionPsi(production, other).error().message(),
              HasSubstr("the windows differ at prediction 'y'"));
  WindowSummary fewer = canary;
  fewer.columns.pop_back();
  EXPECT_THAT(CompareWindows(Reference(), production, fewer).error().message(),
              HasSubstr("3 columns expected, 2 actual"));
  WindowSummary empty = canary;
  empty.prediction->bins.assign(empty.prediction->bins.size(), 0);
  empty.prediction->missing = 0;
  EXPECT_TRUE(std::isnan(*PredictionPsi(production, empty)));
}

TEST(DriftReportTest, JsonGivesNullForAbsentFigures) {
  auto r = ComputeDrift(HandProfile(), HandWindow(), {.large_sample = 50});
  ASSERT_TRUE(r);
  const nlohmann::json j = nlohmann::json::parse(r->ToJson().dump());
  EXPECT_EQ(j["status"], r->status);
  EXPECT_EQ(j["rows"], 100);
  EXPECT_EQ(j["options"]["large_sample"], 50);
  EXPECT_TRUE(j["prediction"].is_null());
  EXPECT_EQ(j["columns"][0]["method"], "wasserstein");
  EXPECT_TRUE(j["columns"][0]["p_value"].is_null());
  EXPECT_TRUE(j["columns"][1]["wasserstein"].is_null());
  EXPECT_NEAR(j["columns"][0]["wasserstein"].get<double>(), 0.4, 1e-12);
  EXPECT_EQ(j["columns"][0]["drifted"], true);
  EXPECT_EQ(j["columns"][0]["psi_level"], "warn");
}

}  // namespace
}  // namespace hone::monitor
