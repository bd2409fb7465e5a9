#include "hone/learn/split.h"

#include <algorithm>
#include <limits>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace hone::learn {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Rows = std::vector<uint32_t>;

// Train and test are ascending, disjoint, and together exactly rows [0, n).
void ExpectPartition(const Split& split, size_t n) {
  EXPECT_TRUE(std::is_sorted(split.train.begin(), split.train.end()));
  EXPECT_TRUE(std::is_sorted(split.test.begin(), split.test.end()));
  Rows all = split.train;
  all.insert(all.end(), split.test.begin(), split.test.end());
  std::sort(all.begin(), all.end());
  Rows expected(n);
  for (size_t i = 0; i < n; ++i) expected[i] = static_cast<uint32_t>(i);
  EXPECT_EQ(all, expected) << "rows missing, repeated or out of range";
}

size_t CountClass(const Rows& rows, const std::vector<float>& labels, float label) {
  return static_cast<size_t>(
      std::count_if(rows.begin(), rows.end(), [&](uint32_t r) { return labels[r] == label; }));
}

// 50 rows of class 0, 30 of class 1, 20 of class 2, interleaved.
std::vector<float> ThreeClassLabels() {
  std::vector<float> labels;
  for (int i = 0; i < 100; ++i) labels.push_back(i % 10 < 5 ? 0.0f : (i % 10 < 8 ? 1.0f : 2.0f));
  return labels;
}

TEST(SplitTestCount, RoundsUpLikeScikitLearn) {
  EXPECT_EQ(TestCount(10, 0.3), 3u);
  EXPECT_EQ(TestCount(3, 0.5), 2u);
  EXPECT_EQ(TestCount(10, 0.0), 0u);
  EXPECT_EQ(TestCount(0, 0.5), 0u);
  // 0.07 * 100 is 7.000000000000001 in double; sklearn's train_test_split also takes 8.
  EXPECT_EQ(TestCount(100, 0.07), 8u);
}

TEST(RandomSplit, PartitionsAndSizes) {
  const Split split = RandomSplit(1000, 0.25, 7);
  ExpectPartition(split, 1000);
  EXPECT_EQ(split.test.size(), 250u);
}

TEST(RandomSplit, SameSeedSameSplitOtherSeedOtherSplit) {
  EXPECT_EQ(RandomSplit(500, 0.2, 42).test, RandomSplit(500, 0.2, 42).test);
  EXPECT_NE(RandomSplit(500, 0.2, 42).test, RandomSplit(500, 0.2, 43).test);
}

TEST(RandomSplit, GoldenSplitPinsTheAlgorithm) {
  // core::Rng is fully specified, so this holds on every machine and standard library. If it
  // changes, every recorded run's split changes with it: that needs a deliberate decision.
  EXPECT_THAT(RandomSplit(10, 0.3, 42).test, ElementsAre(1u, 4u, 9u));
}

TEST(RandomSplit, EdgeCases) {
  const Split none = RandomSplit(5, 0.0, 1);
  EXPECT_TRUE(none.test.empty());
  EXPECT_EQ(none.train.size(), 5u);
  const Split empty = RandomSplit(0, 0.5, 1);
  EXPECT_TRUE(empty.train.empty() && empty.test.empty());
  // One row and a positive share: ceil rounds the row into the test set.
  EXPECT_EQ(RandomSplit(1, 0.2, 1).test, Rows{0});
}

TEST(StratifiedSplit, KeepsClassShares) {
  const std::vector<float> labels = ThreeClassLabels();
  const Split split = StratifiedSplit(labels, 3, 0.2, 3);
  ExpectPartition(split, labels.size());
  EXPECT_EQ(CountClass(split.test, labels, 0), 10u);
  EXPECT_EQ(CountClass(split.test, labels, 1), 6u);
  EXPECT_EQ(CountClass(split.test, labels, 2), 4u);
}

TEST(StratifiedSplit, LargestRemainderHandsOutTheLeftoverRows) {
  // Shares of 5 test rows over classes of 7, 7 and 6: 1.75, 1.75, 1.5. Floors give 3; the two
  // left over go to the largest remainders.
  std::vector<float> labels;
  for (int c = 0; c < 3; ++c) labels.insert(labels.end(), c == 2 ? 6 : 7, static_cast<float>(c));
  const Split split = StratifiedSplit(labels, 3, 0.25, 9);
  EXPECT_EQ(split.test.size(), 5u);
  EXPECT_EQ(CountClass(split.test, labels, 0), 2u);
  EXPECT_EQ(CountClass(split.test, labels, 1), 2u);
  EXPECT_EQ(CountClass(split.test, labels, 2), 1u);
}

TEST(StratifiedSplit, EveryClassOfTwoKeepsATrainingRow) {
  // test_size 0.9 of 4 rows asks for all 4; class 0 (two rows) and the rest keep what they can.
  const std::vector<float> labels = {0, 0, 1, 2};
  const Split split = StratifiedSplit(labels, 3, 0.9, 5);
  ExpectPartition(split, 4);
  EXPECT_EQ(CountClass(split.train, labels, 0), 1u);
  EXPECT_EQ(CountClass(split.test, labels, 0), 1u);
}

TEST(StratifiedSplit, DeterministicBySeed) {
  const std::vector<float> labels = ThreeClassLabels();
  EXPECT_EQ(StratifiedSplit(labels, 3, 0.3, 11).test, StratifiedSplit(labels, 3, 0.3, 11).test);
  EXPECT_NE(StratifiedSplit(labels, 3, 0.3, 11).test, StratifiedSplit(labels, 3, 0.3, 12).test);
}

TEST(StratifiedSplit, EdgeCases) {
  EXPECT_TRUE(StratifiedSplit(ThreeClassLabels(), 3, 0.0, 1).test.empty());
  const Split empty = StratifiedSplit(std::vector<float>{}, 2, 0.5, 1);
  EXPECT_TRUE(empty.train.empty() && empty.test.empty());
  // An empty class (class 1 of 3) is fine.
  const Split gap = StratifiedSplit(std::vector<float>{0, 0, 2, 2}, 3, 0.5, 1);
  ExpectPartition(gap, 4);
  EXPECT_EQ(gap.test.size(), 2u);
}

TEST(TimeSplit, LatestRowsAreTest) {
  const std::vector<double> keys = {5, 1, 3, 2, 4};
  auto split = TimeSplit(keys, 0.4);
  ASSERT_TRUE(split.has_value()) << split.error().message();
  EXPECT_EQ(split->test, (Rows{0, 4}));
  EXPECT_EQ(split->train, (Rows{1, 2, 3}));
}

TEST(TimeSplit, RowsSharingTheBoundaryKeyAllGoToTest) {
  // ceil(0.3 * 6) = 2 rows wanted: key 4 and one of the three 3s; all three 3s go.
  const std::vector<double> keys = {3, 1, 4, 3, 2, 3};
  auto split = TimeSplit(keys, 0.3);
  ASSERT_TRUE(split.has_value()) << split.error().message();
  EXPECT_EQ(split->test, (Rows{0, 2, 3, 5}));
  EXPECT_EQ(split->train, (Rows{1, 4}));
}

TEST(TimeSplit, FailsWhenNoTrainingRowsRemain) {
  const std::vector<double> keys = {7, 7, 7, 7};
  auto split = TimeSplit(keys, 0.25);
  ASSERT_FALSE(split.has_value());
  EXPECT_EQ(split.error().code(), ErrorCode::kInvalidData);
  EXPECT_THAT(split.error().message(), HasSubstr("no training rows"));
  EXPECT_THAT(split.error().message(), HasSubstr("order key 7"));
}

TEST(TimeSplit, MissingKeyIsAnError) {
  const std::vector<double> keys = {1, std::numeric_limits<double>::quiet_NaN(), 3};
  auto split = TimeSplit(keys, 0.3);
  ASSERT_FALSE(split.has_value());
  EXPECT_THAT(split.error().message(), HasSubstr("row 1"));
}

TEST(TimeSplit, EdgeCases) {
  auto none = TimeSplit(std::vector<double>{1, 1, 1}, 0.0);
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->test.empty());
  EXPECT_EQ(none->train.size(), 3u);
  auto empty = TimeSplit(std::vector<double>{}, 0.5);
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->train.empty() && empty->test.empty());
  auto two = TimeSplit(std::vector<double>{2, 1}, 0.5);
  ASSERT_TRUE(two.has_value());
  EXPECT_EQ(two->test, Rows{0});
}

// Every row is in exactly one test fold, each fold's train is its complement, and the fold
// sizes differ by at most one.
void ExpectFolds(const std::vector<Split>& folds, size_t n, size_t k) {
  ASSERT_EQ(folds.size(), k);
  std::vector<int> times_tested(n, 0);
  size_t smallest = n;
  size_t largest = 0;
  for (const Split& fold : folds) {
    ExpectPartition(fold, n);
    for (uint32_t row : fold.test) ++times_tested[row];
    smallest = std::min(smallest, fold.test.size());
    largest = std::max(largest, fold.test.size());
  }
  EXPECT_EQ(std::count(times_tested.begin(), times_tested.end(), 1), static_cast<ptrdiff_t>(n));
  EXPECT_LE(largest - smallest, 1u);
}

TEST(KFold, CoversEveryRowOnce) {
  ExpectFolds(KFold(10, 3, 1), 10, 3);
  ExpectFolds(KFold(1001, 7, 2), 1001, 7);
  // sklearn's sizes: the first n % k folds hold the extra row.
  const std::vector<Split> folds = KFold(10, 3, 1);
  EXPECT_EQ(folds[0].test.size(), 4u);
  EXPECT_EQ(folds[2].test.size(), 3u);
}

TEST(KFold, LeaveOneOut) {
  const std::vector<Split> folds = KFold(4, 4, 9);
  ExpectFolds(folds, 4, 4);
  for (const Split& fold : folds) EXPECT_EQ(fold.test.size(), 1u);
}

TEST(KFold, DeterministicBySeed) {
  EXPECT_EQ(KFold(100, 5, 3)[2].test, KFold(100, 5, 3)[2].test);
  EXPECT_NE(KFold(100, 5, 3)[2].test, KFold(100, 5, 4)[2].test);
}

TEST(StratifiedKFold, KeepsClassSharesInEveryFold) {
  const std::vector<float> labels = ThreeClassLabels();
  const std::vector<Split> folds = StratifiedKFold(labels, 3, 4, 5);
  ExpectFolds(folds, labels.size(), 4);
  for (float label : {0.0f, 1.0f, 2.0f}) {
    size_t smallest = labels.size();
    size_t largest = 0;
    for (const Split& fold : folds) {
      smallest = std::min(smallest, CountClass(fold.test, labels, label));
      largest = std::max(largest, CountClass(fold.test, labels, label));
    }
    EXPECT_LE(largest - smallest, 1u) << "class " << label;
  }
  // 50, 30 and 20 rows over 4 folds: 12-13, 7-8 and 5 of each.
  EXPECT_EQ(CountClass(folds[3].test, labels, 2), 5u);
}

TEST(StratifiedKFold, UnevenClassesStillGiveEvenFolds) {
  // 7 rows of class 0 and 4 of class 1 over 3 folds: sizes 4, 4, 3.
  std::vector<float> labels(7, 0.0f);
  labels.insert(labels.end(), 4, 1.0f);
  ExpectFolds(StratifiedKFold(labels, 2, 3, 1), labels.size(), 3);
}

TEST(StratifiedKFold, DeterministicBySeed) {
  const std::vector<float> labels = ThreeClassLabels();
  EXPECT_EQ(StratifiedKFold(labels, 3, 5, 8)[1].test, StratifiedKFold(labels, 3, 5, 8)[1].test);
  EXPECT_NE(StratifiedKFold(labels, 3, 5, 8)[1].test, StratifiedKFold(labels, 3, 5, 9)[1].test);
}

}  // namespace
}  // namespace hone::learn
