#include "hone/monitor/live_metrics.h"

#include <cmath>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace hone::monitor {
namespace {

store::LabelledPrediction Pair(std::string output, std::string label) {
  store::LabelledPrediction p;
  p.prediction.output = std::move(output);
  p.label = std::move(label);
  return p;
}

TEST(LiveMetricsTest, Regression) {
  const std::vector<store::LabelledPrediction> pairs = {
      Pair("1.0", "2"), Pair("[3]", "3"), Pair("5", "4.0"), Pair("\"x\"", "1"), Pair("2", "null")};
  const LiveMetrics m = ComputeLiveMetrics(pairs, /*classification=*/false);
  EXPECT_EQ(m.labels, 3u);
  EXPECT_EQ(m.unusable, 2u);
  EXPECT_DOUBLE_EQ(*m.Get("rmse"), std::sqrt(2.0 / 3));
  EXPECT_DOUBLE_EQ(*m.Get("mae"), 2.0 / 3);
  // y = 2, 3, 4 (mean 3, ss 2); se 2.
  EXPECT_DOUBLE_EQ(*m.Get("r2"), 0.0);
  EXPECT_FALSE(m.Get("accuracy").has_value());
  EXPECT_EQ(m.ToJson()["labels"], 3);
}

TEST(LiveMetricsTest, ClassificationComparesAsText) {
  const std::vector<store::LabelledPrediction> pairs = {
      Pair("\"yes\"", "\"yes\""), Pair("\"no\"", "\"yes\""), Pair("1", "1.0"),
      Pair("[\"1\"]", "1"),       Pair("{}", "1"),           Pair("not json", "1")};
  const LiveMetrics m = ComputeLiveMetrics(pairs, /*classification=*/true);
  EXPECT_EQ(m.labels, 4u);
  EXPECT_EQ(m.unusable, 2u);
  EXPECT_DOUBLE_EQ(*m.Get("accuracy"), 0.75);
}

TEST(LiveMetricsTest, NothingLabelledHasNoMetric) {
  const LiveMetrics m = ComputeLiveMetrics({}, false);
  EXPECT_EQ(m.labels, 0u);
  EXPECT_TRUE(m.values.empty());
  EXPECT_EQ(PrimaryLiveMetric(true), "accuracy");
  EXPECT_EQ(PrimaryLiveMetric(false), "rmse");
}

}  // namespace
}  // namespace hone::monitor
