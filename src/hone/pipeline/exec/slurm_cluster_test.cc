// The Slurm client against a real single-node cluster (slurmctld + slurmd started by
// scripts/slurm.sh, which scripts/test.sh runs; SLURM_CONF names its configuration). Without
// one the tests skip, and under CI=true they fail.
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hone/core/file.h"
#include "hone/core/test_temp_dir.h"
#include "hone/pipeline/exec/slurm.h"

namespace hone::pipeline::exec {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;

class SlurmClusterTest : public core::testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    const char* conf = std::getenv("SLURM_CONF");
    if (conf == nullptr || *conf == '\0') {
      const char* ci = std::getenv("CI");
      if (ci != nullptr && std::string(ci) == "true") {
        FAIL() << "CI=true but no Slurm cluster: SLURM_CONF is not set (scripts/test.sh starts "
                  "one with scripts/slurm.sh)";
      }
      GTEST_SKIP() << "no Slurm cluster: run sudo scripts/slurm.sh start and "
                      "eval \"$(scripts/slurm.sh env)\"";
    }
  }

  std::unique_ptr<CommandRunner> runner_ = SystemCommandRunner();
  Slurm slurm_{*runner_};
};

TEST_F(SlurmClusterTest, AnArrayRunsEveryTaskWithItsIndex) {
  SlurmJob job;
  job.name = "hone-test-array";
  job.array_size = 4;
  job.log = dir_ / "task-%a.log";
  job.workdir = dir_;
  job.resources.cpus = 1;
  job.resources.time_limit = "5:00";
  job.command = "echo \"task $SLURM_ARRAY_TASK_ID\" > done-$SLURM_ARRAY_TASK_ID.txt";
  auto id = slurm_.Submit(job);
  ASSERT_TRUE(id) << id.error().message();
  auto tasks = slurm_.Wait(*id, 4, nullptr, milliseconds(200));
  ASSERT_TRUE(tasks) << tasks.error().message();
  ASSERT_EQ(tasks->size(), 4u);
  EXPECT_TRUE(RequireCompleted(*id, job, *tasks));
  for (int i = 0; i < 4; ++i) {
    auto text = core::ReadFile(dir_ / ("done-" + std::to_string(i) + ".txt"));
    ASSERT_TRUE(text) << text.error().message();
    EXPECT_EQ(*text, "task " + std::to_string(i) + "\n");
  }
}

TEST_F(SlurmClusterTest, AFailingJobIsNamedWithSlurmsStateAndItsLastLogLines) {
  SlurmJob job;
  job.name = "hone-test-fail";
  job.log = dir_ / "fail.log";
  job.command = "echo 'reading the snapshot'; echo 'error: the store is gone' >&2; exit 7";
  auto id = slurm_.Submit(job);
  ASSERT_TRUE(id) << id.error().message();
  auto tasks = slurm_.Wait(*id, 0, nullptr, milliseconds(200));
  ASSERT_TRUE(tasks) << tasks.error().message();
  ASSERT_EQ(tasks->size(), 1u);
  EXPECT_EQ((*tasks)[0].state, "FAILED");
  auto checked = RequireCompleted(*id, job, *tasks);
  ASSERT_FALSE(checked);
  EXPECT_THAT(checked.error().message(), HasSubstr("FAILED"));
  EXPECT_THAT(checked.error().message(), HasSubstr("error: the store is gone"));
}

TEST_F(SlurmClusterTest, CancellingTheWaitCancelsTheJob) {
  SlurmJob job;
  job.name = "hone-test-cancel";
  job.log = dir_ / "cancel.log";
  job.command = "sleep 120";
  auto id = slurm_.Submit(job);
  ASSERT_TRUE(id) << id.error().message();
  std::atomic<bool> cancel{false};
  std::thread interrupt([&] {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    cancel = true;  // what Ctrl-C sets in hone run
  });
  auto tasks = slurm_.Wait(*id, 0, &cancel, milliseconds(200));
  interrupt.join();
  ASSERT_FALSE(tasks);
  EXPECT_THAT(tasks.error().message(), HasSubstr("cancelled"));
  auto after = slurm_.Wait(*id, 0, nullptr, milliseconds(200));
  ASSERT_TRUE(after) << after.error().message();
  EXPECT_THAT((*after)[0].state, HasSubstr("CANCELLED"));
}

TEST_F(SlurmClusterTest, SbatchRefusingAJobIsAClearError) {
  SlurmJob job;
  job.name = "hone-test-refused";
  job.command = "true";
  job.resources.partition = "no-such-partition";
  auto id = slurm_.Submit(job);
  ASSERT_FALSE(id);
  EXPECT_THAT(id.error().message(), HasSubstr("sbatch refused job 'hone-test-refused'"));
  EXPECT_THAT(id.error().message(), HasSubstr("partition"));
}

}  // namespace
}  // namespace hone::pipeline::exec
