// The Slurm client against a scripted stand-in for sbatch, squeue and scancel: the command
// lines it sends and how it reads what they print.
#include "hone/pipeline/exec/slurm.h"

#include <deque>
#include <fstream>
#include <map>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hone/core/test_temp_dir.h"

namespace hone::pipeline::exec {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// Answers each tool from its own queue of scripted outputs (the last one repeats) and keeps
// every command line it was given.
class FakeRunner : public CommandRunner {
 public:
  void Script(const std::string& tool, CommandOutput out) { answers_[tool].push_back(out); }
  Result<CommandOutput> Run(const std::vector<std::string>& argv, const Env& env) override {
    calls.push_back(argv);
    envs.push_back(env);
    auto& queue = answers_[argv[0]];
    if (queue.empty()) return Fail(ErrorCode::kIo, "cannot run " + argv[0] + ": not found");
    CommandOutput out = queue.front();
    if (queue.size() > 1) queue.pop_front();
    return out;
  }
  int CallsTo(const std::string& tool) const {
    int n = 0;
    for (const auto& c : calls) n += c[0] == tool;
    return n;
  }
  std::vector<std::vector<std::string>> calls;
  std::vector<Env> envs;

 private:
  std::map<std::string, std::deque<CommandOutput>> answers_;
};

SlurmJob ArrayJob(int n) {
  SlurmJob job;
  job.name = "hone-search";
  job.command = "hone worker trial";
  job.array_size = n;
  return job;
}

TEST(SlurmTest, SbatchGetsTheArrayTheResourcesAndTheCommand) {
  SlurmJob job = ArrayJob(16);
  job.max_running = 4;
  job.log = "/shared/logs/trial-%a.log";
  job.workdir = "/work";
  job.resources = {"gpu", "30:00", 2, "4G"};
  EXPECT_THAT(SbatchArguments(job),
              ElementsAre("sbatch", "--parsable", "--job-name", "hone-search", "--array", "0-15%4",
                          "--output", "/shared/logs/trial-%a.log", "--chdir", "/work",
                          "--partition", "gpu", "--time", "30:00", "--cpus-per-task", "2", "--mem",
                          "4G", "--wrap", "hone worker trial"));
  SlurmJob single;
  single.name = "train";
  single.command = "true";
  EXPECT_THAT(SbatchArguments(single),
              ElementsAre("sbatch", "--parsable", "--job-name", "train", "--wrap", "true"));
}

TEST(SlurmTest, SubmitReadsTheParsableIdAndNamesSbatchsRefusal) {
  FakeRunner runner;
  runner.Script("sbatch", {0, "4242;cluster\n", ""});
  runner.Script("sbatch", {1, "", "sbatch: error: invalid partition specified: nope\n"});
  Slurm slurm(runner);
  SlurmJob job = ArrayJob(2);
  job.env = {{"HONE_STORE", "postgresql://u:secret@db/hone"}};
  auto id = slurm.Submit(job);
  ASSERT_TRUE(id) << id.error().message();
  EXPECT_EQ(*id, "4242");
  // The store's URL goes to sbatch's environment, never onto its command line.
  EXPECT_EQ(runner.envs[0], job.env);
  for (const std::string& arg : runner.calls[0]) EXPECT_THAT(arg, Not(HasSubstr("secret")));
  auto refused = slurm.Submit(ArrayJob(2));
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().message(), HasSubstr("invalid partition specified: nope"));
  EXPECT_THAT(refused.error().message(), HasSubstr("hone-search"));
}

TEST(SlurmTest, AMissingToolIsAnErrorThatSaysWhatToCheck) {
  FakeRunner runner;
  Slurm slurm(runner);
  auto id = slurm.Submit(ArrayJob(2));
  ASSERT_FALSE(id);
  EXPECT_THAT(id.error().message(), HasSubstr("sbatch"));
  EXPECT_THAT(id.error().message(), HasSubstr("SLURM_CONF"));
}

TEST(SlurmTest, PollReadsEachTaskAndAPendingArrayNotYetSplit) {
  FakeRunner runner;
  runner.Script("squeue", {0,
                           "7_0|0|COMPLETED|None\n7_1|1|RUNNING|None\n7_[2-3]|2-3|PENDING|"
                           "Resources\n",
                           ""});
  Slurm slurm(runner);
  auto tasks = slurm.Poll("7", 4);
  ASSERT_TRUE(tasks) << tasks.error().message();
  ASSERT_EQ(tasks->size(), 4u);
  EXPECT_EQ((*tasks)[0].state, "COMPLETED");
  EXPECT_EQ((*tasks)[1].state, "RUNNING");
  EXPECT_EQ((*tasks)[3].state, "PENDING");
  EXPECT_EQ((*tasks)[3].reason, "Resources");
  EXPECT_THAT(runner.calls[0], ElementsAre("squeue", "--noheader", "--states", "all", "--jobs", "7",
                                           "--array", "--format", "%i|%K|%T|%r"));
}

TEST(SlurmTest, WaitPollsUntilEveryTaskHasEnded) {
  FakeRunner runner;
  runner.Script("squeue", {0, "8_[0-1]|0-1|PENDING|Priority\n", ""});
  runner.Script("squeue", {0, "8_0|0|RUNNING|None\n8_1|1|PENDING|Resources\n", ""});
  runner.Script("squeue", {0, "8_0|0|COMPLETED|None\n8_1|1|RUNNING|None\n", ""});
  runner.Script("squeue", {0, "8_0|0|COMPLETED|None\n8_1|1|FAILED|NonZeroExitCode\n", ""});
  Slurm slurm(runner);
  auto tasks = slurm.Wait("8", 2, nullptr, std::chrono::milliseconds(1));
  ASSERT_TRUE(tasks) << tasks.error().message();
  EXPECT_EQ(runner.CallsTo("squeue"), 4);
  ASSERT_EQ(tasks->size(), 2u);
  EXPECT_EQ((*tasks)[1].state, "FAILED");
}

TEST(SlurmTest, ATaskPurgedAfterItFinishedStaysFinished) {
  // Slurm forgets a finished task after MinJobAge while the rest of the array still runs.
  FakeRunner runner;
  runner.Script("squeue", {0, "8_0|0|COMPLETED|None\n8_1|1|RUNNING|None\n", ""});
  runner.Script("squeue", {0, "8_1|1|RUNNING|None\n", ""});
  runner.Script("squeue", {0, "8_1|1|COMPLETED|None\n", ""});
  Slurm slurm(runner);
  auto tasks = slurm.Wait("8", 2, nullptr, std::chrono::milliseconds(1));
  ASSERT_TRUE(tasks) << tasks.error().message();
  ASSERT_EQ(tasks->size(), 2u);
  EXPECT_EQ((*tasks)[0].state, "COMPLETED");
  EXPECT_EQ((*tasks)[1].state, "COMPLETED");
  // Once every task was seen ended, a job squeue has forgotten altogether is done too.
  FakeRunner later;
  later.Script("squeue", {0, "9|N/A|COMPLETED|None\n", ""});
  later.Script("squeue", {0, "", ""});
  Slurm again(later);
  EXPECT_TRUE(again.Wait("9", 0, nullptr, std::chrono::milliseconds(1)));
}

TEST(SlurmTest, WaitCancelsTheJobWhenAskedTo) {
  FakeRunner runner;
  runner.Script("squeue", {0, "9|N/A|RUNNING|None\n", ""});
  runner.Script("scancel", {0, "", ""});
  Slurm slurm(runner);
  std::atomic<bool> cancel{true};
  auto tasks = slurm.Wait("9", 0, &cancel, std::chrono::milliseconds(1));
  ASSERT_FALSE(tasks);
  EXPECT_THAT(tasks.error().message(), HasSubstr("cancelled"));
  ASSERT_EQ(runner.CallsTo("scancel"), 1);
  EXPECT_THAT(runner.calls.back(), ElementsAre("scancel", "9"));
}

TEST(SlurmTest, AJobSqueueNeverShowsIsNotWaitedForForever) {
  FakeRunner runner;
  runner.Script("squeue", {0, "", ""});
  Slurm slurm(runner);
  auto tasks = slurm.Wait("10", 0, nullptr, std::chrono::milliseconds(1));
  ASSERT_FALSE(tasks);
  EXPECT_EQ(tasks.error().code(), ErrorCode::kNotFound);
  EXPECT_THAT(tasks.error().message(), HasSubstr("job 10 is not known to squeue (0 of 1 tasks"));
}

TEST(SlurmTest, FinalStates) {
  for (const char* s : {"COMPLETED", "FAILED", "CANCELLED", "CANCELLED by 0", "TIMEOUT",
                        "OUT_OF_MEMORY", "NODE_FAIL", "PREEMPTED"}) {
    EXPECT_TRUE(IsFinalSlurmState(s)) << s;
  }
  for (const char* s : {"PENDING", "RUNNING", "COMPLETING", "CONFIGURING", "SUSPENDED"}) {
    EXPECT_FALSE(IsFinalSlurmState(s)) << s;
  }
}

class SlurmLogTest : public core::testing::TempDirTest {};

TEST_F(SlurmLogTest, AFailedTaskIsNamedWithItsStateAndTheEndOfItsLog) {
  SlurmJob job = ArrayJob(3);
  job.log = dir_ / "trial-%a.log";
  std::ofstream(dir_ / "trial-2.log") << "loading data\ntraining\nerror: out of luck\n";
  const std::vector<SlurmTask> tasks = {
      {0, "COMPLETED", "None"}, {1, "COMPLETED", "None"}, {2, "TIMEOUT", "TimeLimit"}};
  auto checked = RequireCompleted("11", job, tasks);
  ASSERT_FALSE(checked);
  const std::string m = checked.error().message();
  EXPECT_THAT(m, HasSubstr("slurm job 11 task 2 (hone-search): TIMEOUT (TimeLimit)"));
  EXPECT_THAT(m, HasSubstr("error: out of luck"));
  EXPECT_THAT(m, HasSubstr("trial-2.log"));
  EXPECT_TRUE(RequireCompleted("11", job, {{0, "COMPLETED", "None"}}));
  // A task that never wrote its log says so.
  auto silent = RequireCompleted("11", job, {{1, "FAILED", "NonZeroExitCode"}});
  ASSERT_FALSE(silent);
  EXPECT_THAT(silent.error().message(), HasSubstr("no log at"));
}

TEST(SystemCommandRunnerTest, SeparatesOutputAndErrorAndReportsTheExitStatus) {
  auto runner = SystemCommandRunner();
  auto out = runner->Run({"sh", "-c", "echo out; echo err >&2; exit 3"});
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(out->exit_code, 3);
  EXPECT_EQ(out->out, "out\n");
  EXPECT_EQ(out->err, "err\n");
  auto env = runner->Run({"sh", "-c", "echo \"$HONE_A-$HOME\""}, {{"HONE_A", "x"}, {"HOME", "/h"}});
  ASSERT_TRUE(env) << env.error().message();
  EXPECT_EQ(env->out, "x-/h\n");
  auto missing = runner->Run({"hone-no-such-tool"});
  ASSERT_FALSE(missing);
  EXPECT_THAT(missing.error().message(), HasSubstr("hone-no-such-tool"));
}

}  // namespace
}  // namespace hone::pipeline::exec
