// A search's trials as the Slurm executor's tasks record them and its controller reads them
// back, on a real SQLite store.
#include "hone/pipeline/exec/slurm_search.h"

#include <chrono>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hone/core/test_temp_dir.h"

namespace hone::pipeline::exec {
namespace {

using ::testing::HasSubstr;

class SlurmSearchTest : public core::testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    auto opened = store::OpenStore({.store = (dir_ / ".hone").string(), .create = true});
    ASSERT_TRUE(opened) << opened.error().message();
    store_.emplace(std::move(*opened));
    auto parent = store_->meta->CreateRun({});
    ASSERT_TRUE(parent) << parent.error().message();
    info_ = {*parent, "houses", "abc", "hone exec-trial", "tester"};
    planned_ = {{{"max_depth", "3"}}, {{"max_depth", "6"}}, {{"max_depth", "9"}}};
  }

  void Record(size_t index, double rmse, std::optional<std::string> error = std::nullopt) {
    learn::TrialResult t;
    t.index = index;
    t.params = planned_[index];
    t.cv_mean = {{"mae", rmse / 2}, {"rmse", rmse}};
    t.seconds = 0.5;
    t.error = std::move(error);
    auto id = RecordTrialRun(*store_->meta, info_, t, "rmse", /*higher_is_better=*/false);
    ASSERT_TRUE(id) << id.error().message();
  }

  std::optional<store::Store> store_;
  TrialRunInfo info_;
  std::vector<learn::ParamAssignments> planned_;
};

TEST_F(SlurmSearchTest, TrialsRecordedInAnyOrderAreReadBackByIndexAndTheBestChosen) {
  Record(2, 110);
  Record(0, 120);
  Record(1, 100);
  auto found = ReadTrialRuns(*store_->meta, info_.parent_run, planned_);
  ASSERT_TRUE(found) << found.error().message();
  EXPECT_EQ(found->metric, "rmse");
  EXPECT_FALSE(found->higher_is_better);
  ASSERT_EQ(found->trials.size(), 3u);
  EXPECT_EQ(found->best, 1u);
  EXPECT_EQ(found->trials[1].params, planned_[1]);
  EXPECT_EQ(found->trials[1].score, 100);
  EXPECT_EQ(found->trials[1].seconds, 0.5);
  EXPECT_THAT(found->trials[0].cv_mean,
              ::testing::Contains(std::pair<std::string, double>("mae", 60)));
}

TEST_F(SlurmSearchTest, AFailedTrialIsSkippedAndATaskRunTwiceCountsOnce) {
  Record(0, 90, "max_depth 3 is not allowed here");
  Record(1, 100);
  Record(2, 130);
  // Requeued by Slurm, the task ran again (seconds later): the later record stands.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  Record(2, 95);
  auto found = ReadTrialRuns(*store_->meta, info_.parent_run, planned_);
  ASSERT_TRUE(found) << found.error().message();
  EXPECT_TRUE(found->trials[0].error);
  EXPECT_EQ(found->best, 2u);
  EXPECT_EQ(found->trials[2].score, 95);
}

TEST_F(SlurmSearchTest, ATrialWithoutARecordIsNamed) {
  Record(0, 90);
  Record(2, 80);
  // A child run someone else tagged with a trial that is not a number is not one of ours.
  auto stray = store_->meta->CreateRun({});
  ASSERT_TRUE(stray) << stray.error().message();
  ASSERT_TRUE(
      store_->meta->SetTags(*stray, {{"hone.parent_run", info_.parent_run}, {"trial", "one"}}));
  auto found = ReadTrialRuns(*store_->meta, info_.parent_run, planned_);
  ASSERT_FALSE(found);
  EXPECT_THAT(found.error().message(),
              HasSubstr("search trial 1 of run " + info_.parent_run + " left no record"));
}

}  // namespace
}  // namespace hone::pipeline::exec
