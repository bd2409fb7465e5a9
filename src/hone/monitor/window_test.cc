#include "hone/monitor/window.h"

#include <atomic>
#include <cmath>
#include <functional>
#include <limits>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace hone::monitor {
namespace {

using core::ColumnType;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr float kNan = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// x: numeric, inner edges 1, 2, 3 (bins (-inf,1], (1,2], (2,3], (3,inf)).
// city: top paris, lyon, then other. y: categorical target yes, no. score: numeric target with
// edge 0 (0/1 labels).
core::DataProfile Profile() {
  core::DataProfile p;
  p.rows = 40;
  core::ColumnProfile x{"x", ColumnType::kNumeric, 40, 0, {}, {}};
  x.numeric = {0, 4, 2, 1.2, {}, {1, 2, 3}, {10, 10, 10, 10}};
  core::ColumnProfile city{"city", ColumnType::kCategorical, 35, 5, {}, {}};
  city.categorical = {4, {{"paris", 20}, {"lyon", 10}}, 5};
  core::ColumnProfile y{"y", ColumnType::kCategorical, 40, 0, {}, {}};
  y.categorical = {2, {{"yes", 30}, {"no", 10}}, 0};
  core::ColumnProfile score{"score", ColumnType::kNumeric, 40, 0, {}, {}};
  score.numeric = {0, 1, 0.4, 0.5, {}, {0}, {24, 16}};
  p.columns = {x, city, y, score};
  return p;
}

std::vector<MonitoredColumn> Features() {
  return {{"x", ColumnType::kNumeric, {}},
          {"city", ColumnType::kCategorical, {"berlin", "lyon", "paris", "rome"}}};
}

TEST(WindowTest, NumericValuesFallInTheReferenceBins) {
  WindowAccumulator acc(Features(), Profile(), std::nullopt);
  for (float v :
       {1.0f, 0.5f, -100.0f, -kInf, std::nextafter(1.0f, 2.0f), 2.0f, 3.0f, 3.5f, kInf, kNan}) {
    acc.AddRow(std::vector<float>{v, 2});
  }
  WindowSummary w = acc.Take();
  EXPECT_EQ(w.rows, 10u);
  ASSERT_EQ(w.columns.size(), 2u);
  EXPECT_EQ(w.columns[0].name, "x");
  // On an edge counts in the bin below it (edges[i-1] < v <= edges[i]).
  EXPECT_THAT(w.columns[0].bins, ElementsAre(4, 2, 1, 2));
  EXPECT_EQ(w.columns[0].missing, 1u);
  EXPECT_EQ(w.columns[0].total(), 10u);
}

// The batch path compares floats with the edges rounded down to floats; it must bin exactly as
// the row path's comparison in double does, also for edges no float equals.
TEST(WindowTest, BatchAndRowAgreeOnEdgesThatAreNotFloats) {
  core::DataProfile profile = Profile();
  profile.columns[0].numeric.edges = {-1e39, 0.1, 0.2, 1e39};
  profile.columns[0].numeric.counts = {8, 8, 8, 8, 8};
  const float max = std::numeric_limits<float>::max();
  const std::vector<float> x = {
      -kInf, -max, 0,   std::nextafter(0.1f, 0.0f), 0.1f, 0.2f, std::nextafter(0.2f, 0.0f),
      max,   kInf, kNan};
  WindowAccumulator rows(Features(), profile, std::nullopt),
      batch(Features(), profile, std::nullopt);
  for (float v : x) rows.AddRow(std::vector<float>{v, 0});
  const std::vector<float> city(x.size(), 0);
  batch.AddBatch(std::vector<std::span<const float>>{x, city});
  WindowSummary a = rows.Take(), b = batch.Take();
  EXPECT_THAT(a.columns[0].bins, ElementsAre(1, 3, 2, 2, 1));
  EXPECT_EQ(a.columns[0].missing, 1u);
  EXPECT_EQ(a, b);
}

TEST(WindowTest, CategoriesMapToTopOrOther) {
  WindowAccumulator acc(Features(), Profile(), std::nullopt);
  // berlin and rome are in the model's dictionary but not in the reference's top; 7, -1 and
  // 1.5 are no index at all; NaN is missing (the model's encoding of an unseen category).
  for (float code : {0.0f, 1.0f, 2.0f, 2.0f, 3.0f, kNan, 7.0f, -1.0f, 1.5f, kInf}) {
    acc.AddRow(std::vector<float>{1, code});
  }
  WindowSummary w = acc.Take();
  EXPECT_EQ(w.columns[1].name, "city");
  EXPECT_EQ(w.columns[1].type, ColumnType::kCategorical);
  EXPECT_THAT(w.columns[1].bins, ElementsAre(2, 1, 6));  // paris, lyon, other
  EXPECT_EQ(w.columns[1].missing, 1u);
}

TEST(WindowTest, SkipsColumnsTheProfileCannotCompare) {
  std::vector<MonitoredColumn> features = Features();
  features.push_back({"age", ColumnType::kNumeric, {}});
  features.push_back({"y", ColumnType::kNumeric, {}});
  core::DataProfile profile = Profile();
  profile.columns.push_back({"empty", ColumnType::kNumeric, 0, 0, {}, {}});
  features.push_back({"empty", ColumnType::kNumeric, {}});
  WindowAccumulator acc(features, profile, MonitoredPrediction{"target", {}});
  ASSERT_EQ(acc.skipped().size(), 3u);
  EXPECT_EQ(acc.skipped()[0].name, "age");
  EXPECT_EQ(acc.skipped()[0].reason, "not in the reference profile");
  EXPECT_EQ(acc.skipped()[1].reason, "categorical in the reference profile, numeric in the model");
  EXPECT_EQ(acc.skipped()[2].reason, "no rows in the reference profile");
  ASSERT_TRUE(acc.prediction_skipped());
  EXPECT_THAT(*acc.prediction_skipped(), HasSubstr("'target' not in the reference profile"));
  acc.AddRow(std::vector<float>{1, 2, 5, 6, 7});
  acc.AddPrediction(1);
  WindowSummary w = acc.Take();
  EXPECT_EQ(w.rows, 1u);
  EXPECT_EQ(w.columns.size(), 2u);
  EXPECT_FALSE(w.prediction);
}

TEST(WindowTest, ANumericHistogramWithoutValuesIsOneBin) {
  core::DataProfile profile = Profile();
  profile.columns[0].count = 0;
  profile.columns[0].missing = 40;
  profile.columns[0].numeric = {};
  WindowAccumulator acc(Features(), profile, std::nullopt);
  acc.AddRow(std::vector<float>{5, 0});
  acc.AddRow(std::vector<float>{kNan, 0});
  WindowSummary w = acc.Take();
  EXPECT_THAT(w.columns[0].bins, ElementsAre(1));
  EXPECT_EQ(w.columns[0].missing, 1u);
}

TEST(WindowTest, ABrokenHistogramIsSkippedNotTrusted) {
  core::DataProfile profile = Profile();
  profile.columns[0].numeric.edges = {1, 3, 2};
  WindowAccumulator acc(Features(), profile, std::nullopt);
  ASSERT_EQ(acc.skipped().size(), 1u);
  EXPECT_EQ(acc.skipped()[0].reason, "histogram edges not ascending");
  profile.columns[0].numeric.edges = {1, 2};
  WindowAccumulator acc2(Features(), profile, std::nullopt);
  ASSERT_EQ(acc2.skipped().size(), 1u);
  EXPECT_EQ(acc2.skipped()[0].reason, "histogram counts do not match its edges");
}

TEST(WindowTest, ClassIndicesMapToTheTargetsCategories) {
  // Output order no, yes, maybe; the profile's top is yes, no.
  WindowAccumulator acc(Features(), Profile(), MonitoredPrediction{"y", {"no", "yes", "maybe"}});
  EXPECT_FALSE(acc.prediction_skipped());
  for (float p : {0.0f, 1.0f, 1.0f, 2.0f, 5.0f, kNan}) acc.AddPrediction(p);
  WindowSummary w = acc.Take();
  ASSERT_TRUE(w.prediction);
  EXPECT_EQ(w.prediction->name, "y");
  EXPECT_EQ(w.prediction->type, ColumnType::kCategorical);
  EXPECT_THAT(w.prediction->bins, ElementsAre(2, 1, 2));  // yes, no, other
  EXPECT_EQ(w.prediction->missing, 1u);
  EXPECT_EQ(w.rows, 0u);
}

TEST(WindowTest, ClassIndicesOfANumericTargetMapToTheirNumbersBins) {
  WindowAccumulator acc(Features(), Profile(), MonitoredPrediction{"score", {"0", "1"}});
  EXPECT_FALSE(acc.prediction_skipped());
  acc.AddPredictions(std::vector<float>{0, 1, 1, 1, 2, kNan});
  WindowSummary w = acc.Take();
  ASSERT_TRUE(w.prediction);
  EXPECT_EQ(w.prediction->type, ColumnType::kNumeric);
  EXPECT_THAT(w.prediction->bins, ElementsAre(1, 3));
  EXPECT_EQ(w.prediction->missing, 2u);  // no class 2: missing, as NaN

  WindowAccumulator text(Features(), Profile(), MonitoredPrediction{"score", {"0", "one"}});
  ASSERT_TRUE(text.prediction_skipped());
  EXPECT_THAT(*text.prediction_skipped(), HasSubstr("class label 'one' is not a number"));
}

TEST(WindowTest, RegressionPredictionsAreBinnedLikeANumericFeature) {
  WindowAccumulator acc(Features(), Profile(), MonitoredPrediction{"score", {}});
  for (float p : {-1.0f, 0.0f, 0.5f, kNan}) acc.AddPrediction(p);
  WindowSummary w = acc.Take();
  ASSERT_TRUE(w.prediction);
  EXPECT_THAT(w.prediction->bins, ElementsAre(2, 1));
  EXPECT_EQ(w.prediction->missing, 1u);

  WindowAccumulator categorical(Features(), Profile(), MonitoredPrediction{"y", {}});
  ASSERT_TRUE(categorical.prediction_skipped());
  EXPECT_THAT(*categorical.prediction_skipped(), HasSubstr("'y' is categorical"));
  WindowAccumulator none(Features(), Profile(), std::nullopt);
  EXPECT_EQ(none.prediction_skipped(), "predictions not monitored");
}

TEST(WindowTest, TakeResetsTheCounts) {
  WindowAccumulator acc(Features(), Profile(), MonitoredPrediction{"y", {"no", "yes"}});
  acc.AddRow(std::vector<float>{1, 1});
  acc.AddPrediction(1);
  WindowSummary first = acc.Take();
  EXPECT_EQ(first.rows, 1u);
  WindowSummary second = acc.Take();
  EXPECT_EQ(second.rows, 0u);
  EXPECT_EQ(second.columns[0].total(), 0u);
  EXPECT_EQ(second.prediction->total(), 0u);
  EXPECT_EQ(second.columns.size(), first.columns.size());
}

// Row r of a deterministic stream: every bin, NaN and out-of-range codes come up.
std::vector<float> Row(size_t r) {
  const float xs[] = {0.5f, 1, 1.5f, 2.5f, 3, 9, kNan};
  const float codes[] = {0, 1, 2, 3, kNan, 11};
  return {xs[r % 7], codes[r % 6]};
}

TEST(WindowTest, BatchCountsAsRowByRow) {
  WindowAccumulator rows(Features(), Profile(), MonitoredPrediction{"y", {"no", "yes"}});
  WindowAccumulator batch(Features(), Profile(), MonitoredPrediction{"y", {"no", "yes"}});
  std::vector<float> x, city, predictions;
  for (size_t r = 0; r < 100; ++r) {
    std::vector<float> row = Row(r);
    rows.AddRow(row);
    rows.AddPrediction(static_cast<float>(r % 3));
    x.push_back(row[0]);
    city.push_back(row[1]);
    predictions.push_back(static_cast<float>(r % 3));
  }
  std::vector<std::span<const float>> columns{x, city};
  batch.AddBatch(columns);
  batch.AddPredictions(predictions);
  WindowSummary a = rows.Take(), b = batch.Take();
  EXPECT_EQ(a, b);
  EXPECT_EQ(b.rows, 100u);
  EXPECT_EQ(b.columns[0].total(), 100u);
}

TEST(WindowTest, ConcurrentRowsAreNeitherLostNorCountedTwice) {
  constexpr size_t kThreads = 4;
  constexpr size_t kRowsPerThread = 20000;
  WindowAccumulator acc(Features(), Profile(), MonitoredPrediction{"y", {"no", "yes"}});
  std::atomic<size_t> running{kThreads};
  std::vector<std::thread> threads;
  for (size_t t = 0; t < kThreads; ++t) {
    threads.emplace_back([&acc, &running, t] {
      for (size_t r = 0; r < kRowsPerThread; ++r) {
        acc.AddRow(Row(t * kRowsPerThread + r));
        acc.AddPrediction(static_cast<float>(r % 2));
      }
      running.fetch_sub(1);
    });
  }
  // Windows taken while the threads write, until they are done, then the last one.
  WindowSummary merged;
  size_t windows = 0;
  while (running.load() > 0) {
    ASSERT_TRUE(merged.Merge(acc.Take()));
    ++windows;
  }
  for (std::thread& t : threads) t.join();
  ASSERT_TRUE(merged.Merge(acc.Take()));

  WindowAccumulator serial(Features(), Profile(), MonitoredPrediction{"y", {"no", "yes"}});
  for (size_t r = 0; r < kThreads * kRowsPerThread; ++r) {
    serial.AddRow(Row(r));
    serial.AddPrediction(static_cast<float>(r % kRowsPerThread % 2));
  }
  EXPECT_EQ(merged, serial.Take()) << "after " << windows << " windows";
  EXPECT_EQ(merged.rows, kThreads * kRowsPerThread);
}

WindowSummary Sample() {
  WindowAccumulator acc(Features(), Profile(), MonitoredPrediction{"y", {"no", "yes"}});
  for (size_t r = 0; r < 50; ++r) {
    acc.AddRow(Row(r));
    acc.AddPrediction(static_cast<float>(r % 2));
  }
  return acc.Take();
}

TEST(WindowSummaryTest, JsonRoundTrips) {
  WindowSummary w = Sample();
  nlohmann::json j = w.ToJson();
  EXPECT_EQ(j["rows"], 50);
  EXPECT_EQ(j["columns"][1]["type"], "categorical");
  auto back = WindowSummary::FromJson(nlohmann::json::parse(j.dump()));
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(*back, w);

  w.prediction.reset();
  j = w.ToJson();
  EXPECT_TRUE(j["prediction"].is_null());
  back = WindowSummary::FromJson(j);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(*back, w);
  j.erase("prediction");
  EXPECT_EQ(*WindowSummary::FromJson(j), w);
}

TEST(WindowSummaryTest, FromJsonNamesTheBadField) {
  const nlohmann::json good = Sample().ToJson();
  using Edit = std::function<void(nlohmann::json&)>;
  const std::vector<std::pair<Edit, std::string>> cases = {
      {[](auto& j) { j = nlohmann::json::array(); }, "window summary: must be an object"},
      {[](auto& j) { j.erase("rows"); }, "'rows' is missing"},
      {[](auto& j) { j["rows"] = -1; }, "'rows' must be a non-negative integer, not -1"},
      {[](auto& j) { j["rows"] = 1.5; }, "'rows' must be a non-negative integer, not 1.5"},
      {[](auto& j) { j["rows"] = "7"; }, "'rows' must be a non-negative integer"},
      {[](auto& j) { j.erase("columns"); }, "'columns' is missing"},
      {[](auto& j) { j["columns"] = 3; }, "'columns' must be an array"},
      {[](auto& j) { j["columns"][1] = "x"; }, "'columns[1]' must be an object"},
      {[](auto& j) { j["columns"][0].erase("name"); }, "'columns[0].name' is missing"},
      {[](auto& j) { j["columns"][0]["name"] = ""; }, "'columns[0].name' must be a non-empty"},
      {[](auto& j) { j["columns"][0]["name"] = 4; }, "'columns[0].name' must be a non-empty"},
      {[](auto& j) { j["columns"][1]["name"] = "x"; }, "'columns[1].name' repeats 'x'"},
      {[](auto& j) { j["columns"][0].erase("type"); }, "'columns[0].type' is missing"},
      {[](auto& j) { j["columns"][0]["type"] = 1; }, "'columns[0].type' must be \"numeric\""},
      {[](auto& j) { j["columns"][0]["type"] = "text"; }, "'columns[0].type' is invalid"},
      {[](auto& j) { j["columns"][1].erase("bins"); }, "'columns[1].bins' is missing"},
      {[](auto& j) { j["columns"][1]["bins"] = 3; }, "'columns[1].bins' must be a non-empty"},
      {[](auto& j) { j["columns"][1]["bins"] = nlohmann::json::array(); },
       "'columns[1].bins' must be a non-empty array"},
      {[](auto& j) { j["columns"][1]["bins"][2] = -4; },
       "'columns[1].bins[2]' must be a non-negative integer, not -4"},
      {[](auto& j) { j["columns"][1]["bins"][0] = 0.5; }, "'columns[1].bins[0]' must be a non"},
      {[](auto& j) { j["columns"][1]["bins"][0] = nullptr; }, "'columns[1].bins[0]' must be a"},
      {[](auto& j) { j["columns"][0].erase("missing"); }, "'columns[0].missing' is missing"},
      {[](auto& j) { j["columns"][0]["missing"] = true; }, "'columns[0].missing' must be a non"},
      {[](auto& j) { j["prediction"] = 1; }, "'prediction' must be an object"},
      {[](auto& j) { j["prediction"]["bins"][1] = -1; }, "'prediction.bins[1]' must be a non"},
      {[](auto& j) { j["prediction"].erase("type"); }, "'prediction.type' is missing"},
  };
  for (const auto& [edit, message] : cases) {
    nlohmann::json j = good;
    edit(j);
    auto w = WindowSummary::FromJson(j);
    ASSERT_FALSE(w) << j.dump();
    EXPECT_EQ(w.error().code(), ErrorCode::kInvalidData);
    EXPECT_THAT(w.error().message(), HasSubstr(message)) << j.dump();
  }
}

TEST(WindowSummaryTest, MergeAddsWindows) {
  WindowSummary a = Sample(), b = Sample();
  WindowSummary sum;
  ASSERT_TRUE(sum.Merge(a));  // an empty window takes the shape
  EXPECT_EQ(sum, a);
  ASSERT_TRUE(sum.Merge(b));
  EXPECT_EQ(sum.rows, 100u);
  for (size_t i = 0; i < a.columns[0].bins.size(); ++i) {
    EXPECT_EQ(sum.columns[0].bins[i], 2 * a.columns[0].bins[i]);
  }
  EXPECT_EQ(sum.columns[1].missing, 2 * a.columns[1].missing);
  EXPECT_EQ(sum.prediction->bins[0], 2 * a.prediction->bins[0]);
  ASSERT_TRUE(sum.Merge(WindowSummary{}));  // adding nothing
  EXPECT_EQ(sum.rows, 100u);
}

TEST(WindowSummaryTest, MergeRejectsAnotherShapeAndChangesNothing) {
  const WindowSummary base = Sample();
  using Edit = std::function<void(WindowSummary&)>;
  const std::vector<std::pair<Edit, std::string>> cases = {
      {[](auto& w) { w.columns[1].name = "town"; }, "column 'town' where 'city' was expected"},
      {[](auto& w) { w.columns[0].bins.push_back(0); }, "'x' has 5 bins in one window and 4"},
      {[](auto& w) { w.columns[0].type = ColumnType::kCategorical; },
       "'x' is categorical in one window and numeric in the other"},
      {[](auto& w) { w.columns.pop_back(); }, "column 'city' is absent"},
      {[](auto& w) { w.columns.push_back(w.columns[0]); }, "column 'x' is extra"},
      {[](auto& w) { w.prediction.reset(); }, "prediction 'y' is counted in one window only"},
      {[](auto& w) { w.prediction->bins.pop_back(); }, "prediction 'y' has 2 bins in one"},
      {[](auto& w) { w.columns[1].missing = std::numeric_limits<uint64_t>::max(); },
       "column 'city': counts overflow"},
  };
  for (const auto& [edit, message] : cases) {
    WindowSummary other = base;
    edit(other);
    WindowSummary w = base;
    auto merged = w.Merge(other);
    ASSERT_FALSE(merged) << message;
    EXPECT_EQ(merged.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_THAT(merged.error().message(), HasSubstr(message));
    EXPECT_EQ(w, base) << message;
  }
}

}  // namespace
}  // namespace hone::monitor
