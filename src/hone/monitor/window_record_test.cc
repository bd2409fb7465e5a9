#include "hone/monitor/window_record.h"

#include <cmath>
#include <limits>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace hone::monitor {
namespace {

using ::testing::HasSubstr;

WindowRecord Record(uint64_t ok, uint64_t errors, std::vector<uint64_t> latency) {
  WindowRecord r;
  r.traffic.rows = ok;
  r.traffic.columns.push_back({"x", core::ColumnType::kNumeric, {ok, 0}, 0});
  r.latency_bounds = {0.001, 0.01, 0.1};
  r.latency_counts = std::move(latency);
  r.statuses["200"] = ok;
  if (errors > 0) r.statuses["500"] = errors;
  r.statuses["400"] = 1;
  r.alias = "canary";
  return r;
}

TEST(WindowRecordTest, CountsAndQuantiles) {
  WindowRecord r = Record(98, 2, {90, 9, 1, 1});
  EXPECT_EQ(r.requests(), 101u);
  EXPECT_EQ(r.errors(), 2u);
  EXPECT_DOUBLE_EQ(*r.LatencyQuantileMs(0.5), 1.0);
  EXPECT_DOUBLE_EQ(*r.LatencyQuantileMs(0.95), 10.0);
  EXPECT_DOUBLE_EQ(*r.LatencyQuantileMs(0.99), 100.0);
  EXPECT_TRUE(std::isinf(*r.LatencyQuantileMs(1.0)));
  WindowRecord empty;
  EXPECT_FALSE(empty.LatencyQuantileMs(0.99).has_value());
}

TEST(WindowRecordTest, JsonRoundTripAndErrors) {
  const WindowRecord r = Record(10, 1, {5, 3, 2, 1});
  auto back = WindowRecord::Parse(r.ToJson().dump());
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->traffic, r.traffic);
  EXPECT_EQ(back->latency_bounds, r.latency_bounds);
  EXPECT_EQ(back->latency_counts, r.latency_counts);
  EXPECT_EQ(back->statuses, r.statuses);
  EXPECT_EQ(back->alias, "canary");

  EXPECT_THAT(WindowRecord::Parse("{").error().message(), HasSubstr("is not JSON"));
  nlohmann::json j = r.ToJson();
  j["latency"]["counts"] = {1, 2};
  EXPECT_THAT(WindowRecord::FromJson(j).error().message(), HasSubstr("'latency.counts'"));
  j = r.ToJson();
  j["latency"]["bounds"] = {0.1, 0.01, 1};
  EXPECT_THAT(WindowRecord::FromJson(j).error().message(), HasSubstr("'latency.bounds[1]'"));
  j = r.ToJson();
  j["statuses"]["200"] = -3;
  EXPECT_THAT(WindowRecord::FromJson(j).error().message(), HasSubstr("'statuses.200'"));
  j = r.ToJson();
  j.erase("traffic");
  EXPECT_THAT(WindowRecord::FromJson(j).error().message(), HasSubstr("'traffic' is missing"));
  EXPECT_EQ(WindowRecord::FromJson(j).error().code(), ErrorCode::kInvalidData);
}

TEST(WindowRecordTest, MergeAddsEverythingOrNothing) {
  WindowRecord sum;
  ASSERT_TRUE(sum.Merge(Record(10, 1, {5, 3, 2, 1})));
  ASSERT_TRUE(sum.Merge(Record(20, 0, {10, 5, 5, 1})));
  EXPECT_EQ(sum.requests(), 10u + 1 + 1 + 20 + 1);
  EXPECT_EQ(sum.errors(), 1u);
  EXPECT_EQ(sum.latency_counts, (std::vector<uint64_t>{15, 8, 7, 2}));
  EXPECT_EQ(sum.traffic.rows, 30u);
  EXPECT_EQ(sum.alias, "canary");

  WindowRecord other = Record(1, 0, {1, 0, 0, 0});
  other.latency_bounds = {0.002, 0.01, 0.1};
  const WindowRecord before = sum;
  EXPECT_FALSE(sum.Merge(other));
  EXPECT_EQ(sum.latency_counts, before.latency_counts);
  EXPECT_EQ(sum.traffic, before.traffic);
}

core::ColumnProfile Numeric(double min, double max, std::vector<double> edges) {
  core::ColumnProfile p;
  p.name = "x";
  p.numeric.min = min;
  p.numeric.max = max;
  p.numeric.edges = std::move(edges);
  p.numeric.counts.assign(p.numeric.edges.size() + 1, 1);
  p.count = p.numeric.counts.size();
  return p;
}

TEST(RebinTest, NumericSpreadsByOverlapAndKeepsTheTotal) {
  // From bins [0,10], (10,20], (20,40] onto [.., 5], (5, 30], (30, ..).
  const core::ColumnProfile from = Numeric(0, 40, {10, 20});
  const core::ColumnProfile to = Numeric(0, 40, {5, 30});
  ColumnCounts counts{"x", core::ColumnType::kNumeric, {100, 50, 40}, 7};
  auto out = Rebin(from, counts, to);
  ASSERT_TRUE(out) << out.error().message();
  // 100 over [0,10]: 50 below 5, 50 in (5,30]; 50 over (10,20] all in (5,30]; 40 over (20,40]:
  // 20 in (5,30], 20 above 30.
  EXPECT_EQ(out->bins, (std::vector<uint64_t>{50, 120, 20}));
  EXPECT_EQ(out->missing, 7u);

  // The same profile on both sides changes nothing.
  auto same = Rebin(from, counts, from);
  ASSERT_TRUE(same);
  EXPECT_EQ(same->bins, counts.bins);

  // Rounding keeps the total: thirds.
  ColumnCounts thirds{"x", core::ColumnType::kNumeric, {0, 0, 10}, 0};
  auto split = Rebin(Numeric(0, 3, {1, 2}), thirds, Numeric(0, 3, {2.5, 2.75}));
  ASSERT_TRUE(split);
  EXPECT_EQ(split->bins[0] + split->bins[1] + split->bins[2], 10u);
}

TEST(RebinTest, NumericPointMassAndErrors) {
  const core::ColumnProfile constant = Numeric(3, 3, {});
  ColumnCounts counts{"x", core::ColumnType::kNumeric, {9}, 0};
  auto out = Rebin(constant, counts, Numeric(0, 10, {2, 5}));
  ASSERT_TRUE(out);
  EXPECT_EQ(out->bins, (std::vector<uint64_t>{0, 9, 0}));

  ColumnCounts wrong{"x", core::ColumnType::kNumeric, {1, 2}, 0};
  EXPECT_THAT(Rebin(constant, wrong, constant).error().message(), HasSubstr("has 2 bins"));
  core::ColumnProfile cat;
  cat.type = core::ColumnType::kCategorical;
  EXPECT_FALSE(Rebin(constant, counts, cat));
}

TEST(RebinTest, CategoricalByName) {
  core::ColumnProfile from, to;
  from.type = to.type = core::ColumnType::kCategorical;
  from.categorical.top = {{"a", 5}, {"b", 4}, {"c", 3}};
  to.categorical.top = {{"c", 9}, {"a", 1}};
  ColumnCounts counts{"k", core::ColumnType::kCategorical, {10, 20, 30, 5}, 2};
  auto out = Rebin(from, counts, to);
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(out->bins, (std::vector<uint64_t>{30, 10, 25}));  // c, a, other (b + other)
  EXPECT_EQ(out->missing, 2u);
}

}  // namespace
}  // namespace hone::monitor
