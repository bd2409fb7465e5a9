#include "hone/learn/xgb/xgb_api.h"

#include <cmath>
#include <limits>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace hone::learn::xgb {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// 4 rows × 2 columns, column-major: x0 = 0..3, x1 = 10..13 with one missing value.
const std::vector<float> kColumns = {0, 1, 2, 3, 10, kNaN, 12, 13};
const std::vector<float> kLabels = {0, 1, 2, 3};

TEST(XgbApiTest, TrainsAndPredictsFromColumnMajorMemory) {
  auto train = DMatrix::FromDense(DenseView::ColumnMajor(kColumns.data(), 4, 2), 1);
  ASSERT_TRUE(train) << train.error().message();
  ASSERT_TRUE(train->SetLabels(kLabels));
  auto booster = Booster::ForTraining(*train);
  ASSERT_TRUE(booster);
  ASSERT_TRUE(booster->SetParam("nthread", "1"));
  ASSERT_TRUE(booster->SetParam("min_child_weight", "0"));
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(booster->UpdateOneIter(i, *train));
  EXPECT_EQ(booster->NumFeatures().value(), 2u);
  auto gain = booster->TotalGain(2);
  ASSERT_TRUE(gain) << gain.error().message();
  ASSERT_EQ(gain->size(), 2u);
  EXPECT_GT((*gain)[0] + (*gain)[1], 0.0);

  std::vector<float> by_columns(4), by_rows(4);
  ASSERT_TRUE(booster->PredictDense(DenseView::ColumnMajor(kColumns.data(), 4, 2),
                                    PredictKind::kValue, by_columns));
  const std::vector<float> rows = {0, 10, 1, kNaN, 2, 12, 3, 13};
  ASSERT_TRUE(
      booster->PredictDense(DenseView::RowMajor(rows.data(), 4, 2), PredictKind::kValue, by_rows));
  EXPECT_EQ(by_columns, by_rows);
  EXPECT_NEAR(by_rows[3], 3.0, 0.1);

  // The prediction must fill exactly the span it is given.
  std::vector<float> wrong(3);
  EXPECT_FALSE(
      booster->PredictDense(DenseView::RowMajor(rows.data(), 4, 2), PredictKind::kValue, wrong));
}

TEST(XgbApiTest, ErrorsCarryXgboostsMessageWithoutNoise) {
  auto train = DMatrix::FromDense(DenseView::ColumnMajor(kColumns.data(), 4, 2), 1);
  ASSERT_TRUE(train);
  ASSERT_TRUE(train->SetLabels(kLabels));
  auto booster = Booster::ForTraining(*train);
  ASSERT_TRUE(booster);
  ASSERT_TRUE(booster->SetParam("max_depth", "deep"));  // XGBoost checks it when training
  auto r = booster->UpdateOneIter(0, *train);
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message(), StartsWith("xgboost: training failed: "));
  EXPECT_THAT(r.error().message(), HasSubstr("max_depth"));
  EXPECT_THAT(r.error().message(), Not(HasSubstr("Stack trace")));
  EXPECT_THAT(r.error().message(), Not(HasSubstr(".cc:")));
  EXPECT_THAT(r.error().message(), Not(HasSubstr("\n")));
}

TEST(XgbApiTest, LoadFailsCleanlyOnGarbage) {
  // The last three crash XGBoost 1.7.4 if they reach it (see ubjson.h): a key of 256 MiB, a
  // float array of 2^20 elements in a few bytes, and nesting two million deep.
  std::string key_256mib =
      std::string("{L") + std::string(4, '\0') + "\x10" + std::string(3, '\0') + "learner}";
  std::string floats_2e20 = std::string("{L") + std::string(7, '\0') + "\x01w[$d#L" +
                            std::string(5, '\0') + "\x10" + std::string(2, '\0') + "abcd}";
  for (std::string bytes :
       {std::string(), std::string("{"), std::string("binf"), std::string(200, '\0'),
        std::string("{\"learner\": []}"), key_256mib, floats_2e20,
        "{L" + std::string(7, '\0') + "\x01a" + std::string(2'000'000, '[')}) {
    auto booster = Booster::Load(bytes);
    ASSERT_FALSE(booster);
    EXPECT_THAT(booster.error().message(), StartsWith("xgboost: loading the model failed: "));
    EXPECT_EQ(booster.error().code(), ErrorCode::kInvalidData);
  }
}

TEST(XgbApiTest, BadLabelsAreInvalidData) {
  auto train = DMatrix::FromDense(DenseView::ColumnMajor(kColumns.data(), 4, 2), 1);
  ASSERT_TRUE(train);
  std::vector<float> labels = {0, kNaN, 1, 2};
  auto r = train->SetLabels(labels);
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message(), HasSubstr("Label contains NaN"));
}

TEST(XgbApiTest, ParamTextReadsBackExactly) {
  EXPECT_EQ(ParamText(0.3), "0.3");
  EXPECT_EQ(ParamText(1e-6), "1e-06");
  EXPECT_EQ(ParamText(100), "100");
  EXPECT_THAT(LibraryVersion(), StartsWith("1."));
}

}  // namespace
}  // namespace hone::learn::xgb
