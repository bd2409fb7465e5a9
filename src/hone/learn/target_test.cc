#include "hone/learn/target.h"

#include <cmath>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace hone::learn {
namespace {

using core::Column;
using core::kMissingCode;
using ::testing::HasSubstr;

TEST(InferTargetTest, AutoPicksRegressionForRealValues) {
  auto t = InferTarget(Column::Numeric("price", {1.5f, 2.25f, NAN}), TaskRequest::kAuto);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->task, Task::kRegression);
  EXPECT_TRUE(t->classes.empty());
}

TEST(InferTargetTest, AutoPicksClassificationForLabels) {
  auto text = InferTarget(Column::Categorical("y", {1, 0, 1}, {"yes", "no"}), TaskRequest::kAuto);
  ASSERT_TRUE(text);
  EXPECT_EQ(text->task, Task::kBinary);
  EXPECT_EQ(text->classes, (std::vector<std::string>{"no", "yes"}));

  auto ints = InferTarget(Column::Numeric("y", {10, 2, 3, 2}), TaskRequest::kAuto);
  ASSERT_TRUE(ints);
  EXPECT_EQ(ints->task, Task::kMulticlass);
  EXPECT_EQ(ints->classes, (std::vector<std::string>{"2", "3", "10"}));  // numeric order
}

TEST(InferTargetTest, ManyWholeNumbersAreRegression) {
  std::vector<float> v;
  for (int i = 0; i < 50; ++i) v.push_back(static_cast<float>(i));
  auto t = InferTarget(Column::Numeric("age", v), TaskRequest::kAuto);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->task, Task::kRegression);
  auto forced = InferTarget(Column::Numeric("age", v), TaskRequest::kClassification);
  ASSERT_TRUE(forced);
  EXPECT_EQ(forced->num_classes(), 50u);
}

TEST(InferTargetTest, Errors) {
  auto all_missing = InferTarget(Column::Numeric("y", {NAN, NAN}), TaskRequest::kAuto);
  ASSERT_FALSE(all_missing);
  EXPECT_THAT(all_missing.error().message(), HasSubstr("all 2 rows are missing"));

  auto one = InferTarget(Column::Categorical("y", {0, 0}, {"a"}), TaskRequest::kAuto);
  ASSERT_FALSE(one);
  EXPECT_THAT(one.error().message(), HasSubstr("single class"));

  auto text =
      InferTarget(Column::Categorical("y", {kMissingCode, 0}, {"abc"}), TaskRequest::kRegression);
  ASSERT_FALSE(text);
  EXPECT_THAT(text.error().message(), HasSubstr("'abc' in data row 2"));
}

TEST(EncodeTargetTest, ClassIndicesAndUnknownLabels) {
  TargetInfo t{"y", Task::kBinary, {"no", "yes"}};
  auto y = EncodeTarget(Column::Categorical("y", {1, kMissingCode, 0}, {"no", "yes"}), t);
  ASSERT_TRUE(y);
  EXPECT_EQ((*y)[0], 1);
  EXPECT_TRUE(std::isnan((*y)[1]));
  EXPECT_EQ((*y)[2], 0);

  auto bad = EncodeTarget(Column::Categorical("y", {0, 1}, {"no", "maybe"}), t);
  ASSERT_FALSE(bad);
  EXPECT_THAT(bad.error().message(), HasSubstr("'maybe' in data row 2"));
  EXPECT_THAT(bad.error().message(), HasSubstr("known: no, yes"));

  TargetInfo numeric{"y", Task::kBinary, {"0", "1"}};
  auto n = EncodeTarget(Column::Numeric("y", {1, 0, 1}), numeric);
  ASSERT_TRUE(n);
  EXPECT_EQ((*n)[0], 1);
}

TEST(TargetInfoTest, JsonRoundTrip) {
  TargetInfo t{"species", Task::kMulticlass, {"a", "b", "c"}};
  auto back = TargetInfo::FromJson(t.ToJson());
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, t);
  auto bad = t.ToJson();
  bad["task"] = "binary";
  EXPECT_FALSE(TargetInfo::FromJson(bad));
}

TEST(TargetTest, KeepLabelledDropsMissingLabelsAndKeepsRowOrder) {
  LabelledRows kept = KeepLabelled({1.5f, NAN, 0.0f, NAN, -2.0f});
  EXPECT_EQ(kept.rows, (std::vector<uint32_t>{0, 2, 4}));
  EXPECT_EQ(kept.labels, (std::vector<float>{1.5f, 0.0f, -2.0f}));
  EXPECT_TRUE(KeepLabelled({NAN, NAN}).rows.empty());
}

}  // namespace
}  // namespace hone::learn
