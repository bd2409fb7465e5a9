#include "hone/learn/forest/binning.h"

#include <cmath>

#include <gtest/gtest.h>

namespace hone::learn::forest {
namespace {

FeatureMatrix OneColumn(const std::vector<float>& values) {
  FeatureMatrix m(values.size(), 1);
  std::copy(values.begin(), values.end(), m.mutable_column(0).begin());
  return m;
}

TEST(BinningTest, FewDistinctValuesEachGetABin) {
  FeatureSchema schema({{"x", core::ColumnType::kNumeric, {}}});
  auto m = OneColumn({3, 1, 2, 2, NAN, 1});
  BinnedMatrix b = BinFeatures(schema, m, 255, 1);
  const FeatureBins& fb = b.features[0];
  ASSERT_EQ(fb.thresholds.size(), 2u);
  EXPECT_EQ(fb.num_bins, 3);
  EXPECT_FLOAT_EQ(fb.thresholds[0], 1.5f);
  EXPECT_FLOAT_EQ(fb.thresholds[1], 2.5f);
  auto col = b.column(0);
  EXPECT_EQ(col[0], 2);
  EXPECT_EQ(col[1], 0);
  EXPECT_EQ(col[2], 1);
  EXPECT_EQ(col[4], kMissingBin);
  // "bin <= b" is "x <= thresholds[b]" for values between training values too.
  EXPECT_EQ(fb.Bin(1.5f), 0);
  EXPECT_EQ(fb.Bin(1.6f), 1);
  EXPECT_EQ(fb.Bin(100.0f), 2);
  EXPECT_EQ(fb.Bin(-100.0f), 0);
}

TEST(BinningTest, AdjacentFloatsStillSplit) {
  FeatureSchema schema({{"x", core::ColumnType::kNumeric, {}}});
  float a = 1.0f, b = std::nextafter(a, 2.0f);
  BinnedMatrix m = BinFeatures(schema, OneColumn({a, b}), 255, 1);
  ASSERT_EQ(m.features[0].thresholds.size(), 1u);
  EXPECT_EQ(m.column(0)[0], 0);
  EXPECT_EQ(m.column(0)[1], 1);
}

TEST(BinningTest, ManyValuesAreGroupedByQuantile) {
  FeatureSchema schema({{"x", core::ColumnType::kNumeric, {}}});
  std::vector<float> values;
  for (int i = 0; i < 10000; ++i) values.push_back(static_cast<float>(i % 1000) * 0.5f);
  BinnedMatrix m = BinFeatures(schema, OneColumn(values), 16, 1);
  EXPECT_LE(m.features[0].num_bins, 16);
  EXPECT_GE(m.features[0].num_bins, 14);
  std::vector<int> counts(16);
  for (uint8_t bin : m.column(0)) counts[bin]++;
  for (int i = 0; i < m.features[0].num_bins; ++i) {
    EXPECT_GT(counts[i], 300) << "bin " << i;
    EXPECT_LT(counts[i], 1000) << "bin " << i;
  }
}

TEST(BinningTest, RareCategoriesShareTheLastBin) {
  FeatureSchema schema({{"c", core::ColumnType::kCategorical, {"a", "b", "c", "d", "e"}}});
  // Category 4 is most frequent, then 3, then 2; 0 and 1 are rare.
  auto m = OneColumn({4, 4, 4, 4, 3, 3, 3, 2, 2, 1, 0, NAN});
  BinnedMatrix b = BinFeatures(schema, m, 3, 1);
  const FeatureBins& fb = b.features[0];
  EXPECT_TRUE(fb.categorical);
  EXPECT_EQ(fb.num_bins, 3);
  EXPECT_EQ(fb.category_bin[4], 0);
  EXPECT_EQ(fb.category_bin[3], 1);
  EXPECT_EQ(fb.category_bin[2], 2);
  EXPECT_EQ(fb.category_bin[1], 2);
  EXPECT_EQ(fb.category_bin[0], 2);
  EXPECT_EQ(b.column(0)[11], kMissingBin);
  EXPECT_EQ(fb.Bin(7.0f), kMissingBin);  // an index the schema does not know
}

TEST(BinningTest, ConstantColumnHasOneBin) {
  FeatureSchema schema({{"x", core::ColumnType::kNumeric, {}}});
  BinnedMatrix m = BinFeatures(schema, OneColumn({5, 5, 5}), 255, 1);
  EXPECT_EQ(m.features[0].num_bins, 1);
  EXPECT_TRUE(m.features[0].thresholds.empty());
}

}  // namespace
}  // namespace hone::learn::forest
