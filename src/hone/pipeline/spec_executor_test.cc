// hone.yaml's `executor:` section: the short forms, every Slurm key for both stages and per
// stage. (Its errors are among spec_test.cc's bad-spec cases.)
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "hone/pipeline/spec.h"
#include "hone/pipeline/spec_test_util.h"

namespace hone::pipeline {
namespace {

Spec Parse(std::string_view rest) {
  auto spec = testing::Parse(testing::Head(rest));
  EXPECT_TRUE(spec) << spec.error().message();
  return spec ? *spec : Spec{};
}

TEST(SpecExecutorTest, ShortFormsAndDefaults) {
  EXPECT_EQ(Parse("").executor, "local");
  EXPECT_EQ(Parse("executor: local\n").executor, "local");
  const Spec slurm = Parse("executor: slurm\n");
  EXPECT_EQ(slurm.executor, "slurm");
  EXPECT_EQ(slurm.slurm.train.cpus, 0);
  EXPECT_EQ(slurm.slurm.search.time_minutes, 0);
  EXPECT_EQ(slurm.slurm.poll_ms, 500);
  EXPECT_EQ(Parse("executor: {slurm: }\n").executor, "slurm");
}

TEST(SpecExecutorTest, ResourcesForBothStagesAndPerStage) {
  const Spec s = Parse(R"(executor:
  slurm:
    partition: cpu
    time: 90s
    cpus: 2
    memory: 4G
    poll: 0.25
    train: {partition: big, time: 2h, cpus: 8, memory: 32000}
    search: {max_running: 6, memory: 512M}
)");
  EXPECT_EQ(s.executor, "slurm");
  EXPECT_EQ(s.slurm.train.partition, "big");
  EXPECT_EQ(s.slurm.train.time_minutes, 120);
  EXPECT_EQ(s.slurm.train.cpus, 8);
  EXPECT_EQ(s.slurm.train.memory, "32000");
  EXPECT_EQ(s.slurm.train.max_running, 0);
  EXPECT_EQ(s.slurm.search.partition, "cpu");
  EXPECT_EQ(s.slurm.search.time_minutes, 2);  // 90 s, rounded up to whole minutes
  EXPECT_EQ(s.slurm.search.cpus, 2);
  EXPECT_EQ(s.slurm.search.memory, "512M");
  EXPECT_EQ(s.slurm.search.max_running, 6);
  EXPECT_EQ(s.slurm.poll_ms, 250);
}

}  // namespace
}  // namespace hone::pipeline
