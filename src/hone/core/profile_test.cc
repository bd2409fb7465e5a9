#include "hone/core/profile.h"

#include <cmath>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace hone::core {
namespace {

Table Sample() {
  std::vector<float> x;
  for (int i = 1; i <= 100; ++i) x.push_back(static_cast<float>(i));
  x.push_back(NAN);
  std::vector<int32_t> codes;
  for (int i = 0; i < 101; ++i) codes.push_back(i % 10 == 0 ? kMissingCode : (i % 3 == 0 ? 0 : 1));
  std::vector<Column> cols;
  cols.push_back(Column::Numeric("x", x));
  cols.push_back(Column::Categorical("c", codes, {"red", "blue", "unused"}));
  return *Table::Create(std::move(cols));
}

TEST(ProfileTest, NumericColumn) {
  DataProfile p = ProfileTable(Sample());
  ASSERT_EQ(p.rows, 101u);
  const ColumnProfile& x = p.columns[0];
  EXPECT_EQ(x.count, 100u);
  EXPECT_EQ(x.missing, 1u);
  EXPECT_DOUBLE_EQ(x.numeric.min, 1);
  EXPECT_DOUBLE_EQ(x.numeric.max, 100);
  EXPECT_DOUBLE_EQ(x.numeric.mean, 50.5);
  EXPECT_NEAR(x.numeric.stddev, 28.866, 1e-3);
  // numpy.quantile(range(1, 101), 0.25) == 25.75
  EXPECT_DOUBLE_EQ(x.numeric.quantiles[4], 25.75);
  EXPECT_DOUBLE_EQ(x.numeric.quantiles[5], 50.5);
  uint64_t total = 0;
  for (uint64_t c : x.numeric.counts) total += c;
  EXPECT_EQ(total, 100u);
  EXPECT_EQ(x.numeric.counts.size(), x.numeric.edges.size() + 1);
  EXPECT_EQ(x.numeric.counts.size(), static_cast<size_t>(kProfileHistogramBins));
  for (uint64_t c : x.numeric.counts) EXPECT_EQ(c, 5u);
}

TEST(ProfileTest, CategoricalColumn) {
  DataProfile p = ProfileTable(Sample());
  const ColumnProfile& c = p.columns[1];
  EXPECT_EQ(c.missing, 11u);
  EXPECT_EQ(c.count, 90u);
  EXPECT_EQ(c.categorical.distinct, 2u);  // "unused" never occurs
  ASSERT_EQ(c.categorical.top.size(), 2u);
  EXPECT_EQ(c.categorical.top[0].first, "blue");
  EXPECT_EQ(c.categorical.top[0].second + c.categorical.top[1].second, 90u);
}

TEST(ProfileTest, JsonRoundTrip) {
  DataProfile p = ProfileTable(Sample());
  auto back = DataProfile::FromJson(p.ToJson());
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->ToJson(), p.ToJson());
  EXPECT_EQ(back->columns[0].numeric.quantiles, p.columns[0].numeric.quantiles);
  auto bad = p.ToJson();
  bad["columns"][0].erase("histogram");
  EXPECT_FALSE(DataProfile::FromJson(bad));
}

TEST(ProfileTest, AllMissingAndConstantColumns) {
  std::vector<Column> cols;
  cols.push_back(Column::Numeric("gone", {NAN, NAN}));
  cols.push_back(Column::Numeric("same", {3, 3}));
  DataProfile p = ProfileTable(*Table::Create(std::move(cols)));
  EXPECT_EQ(p.columns[0].count, 0u);
  EXPECT_EQ(p.columns[1].numeric.counts, std::vector<uint64_t>{2});
  EXPECT_TRUE(DataProfile::FromJson(p.ToJson()));
}

}  // namespace
}  // namespace hone::core
