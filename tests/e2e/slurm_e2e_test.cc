// `executor: slurm` as a user runs it: `hone run` sends a 16-trial search to a real
// single-node Slurm cluster (scripts/slurm.sh) as one job array whose tasks run this hone
// binary against the same store; every trial is recorded, the best one is trained and
// registered, and the result is the local executor's for the same seed. A job Slurm refuses
// fails the run with Slurm's own words. Without a cluster the tests skip; under CI=true they
// fail.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "hone/core/test_postgres.h"
#include "hone_runner.h"

namespace hone::e2e {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

const fs::path kExamples = fs::path(HONE_SOURCE_DIR) / "examples" / "house_prices";

// The example's first `rows` sales.
std::string Sales(size_t rows) {
  std::ifstream in(kExamples / "house_prices.csv");
  std::string line, out;
  for (size_t n = 0; n <= rows && std::getline(in, line); ++n) out += line + "\n";
  return out;
}

std::string Spec(const std::string& executor) {
  return R"(model: house_prices
data: {path: sales.csv}
target: price
ignore: [sale_date]
split: {method: random, test_size: 0.2, seed: 42}
train:
  model: random_forest
  params: {n_estimators: 8}
search:
  method: random
  trials: 16
  folds: 3
  seed: 5
  space:
    max_depth: [3, 5, 8, 12]
    min_samples_leaf: {min: 1, max: 40, integer: true}
)" + executor;
}

class SlurmE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* conf = std::getenv("SLURM_CONF");
    if (conf != nullptr && *conf != '\0') return;
    const char* ci = std::getenv("CI");
    if (ci != nullptr && std::string(ci) == "true") {
      FAIL() << "CI=true but no Slurm cluster: SLURM_CONF is not set (scripts/test.sh starts one "
                "with scripts/slurm.sh)";
    }
    GTEST_SKIP() << "no Slurm cluster: sudo scripts/slurm.sh start; eval \"$(scripts/slurm.sh "
                    "env)\"";
  }
};

json RunJson(const Workspace& w) {
  RunResult r = w.Hone({"run", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  json j = json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << r.out << r.err;
  return j.is_discarded() ? json::object() : j;
}

// The newest search job submitted from workspace `w`, or 0. Other tests' jobs share the cluster,
// some at the same time, so a job is told apart by its working directory.
long NewestJobOf(const Workspace& w) {
  const ShellResult q = Shell(
      "squeue --noheader --states all --name hone-search-house_prices --format '%A %Z' | awk "
      "'$2 == \"" +
      fs::canonical(w.dir()).string() + "\" {print $1}' | sort -n | tail -n 1");
  return q.exit_code == 0 ? std::atol(q.out.c_str()) : 0L;
}

TEST_F(SlurmE2e, ASearchRunsAsAJobArrayAndMatchesTheLocalExecutor) {
  Workspace local, slurm;
  for (const Workspace* w : {&local, &slurm}) w->Write("sales.csv", Sales(1500));
  local.Write("hone.yaml", Spec("executor: local\n"));
  slurm.Write("hone.yaml",
              Spec("executor:\n  slurm: {cpus: 1, time: 10m, memory: 1G, poll: 0.2}\n"));
  const json on_local = RunJson(local);
  const json on_slurm = RunJson(slurm);
  ASSERT_EQ(on_slurm["outcome"], "promoted") << on_slurm.dump(1);
  EXPECT_EQ(on_slurm["version"], 1);

  const json& a = on_local["details"]["search"];
  const json& b = on_slurm["details"]["search"];
  EXPECT_EQ(b["executor"], "slurm");
  ASSERT_EQ(b["trials"].size(), 16u);
  EXPECT_EQ(a["metric"], b["metric"]);
  EXPECT_EQ(a["best"], b["best"]);
  // The local executor lists trials as they finish; compare them by index.
  std::map<int, json> local_trials, slurm_trials;
  for (const json& t : a["trials"]) local_trials[t["index"].get<int>()] = t;
  for (const json& t : b["trials"]) slurm_trials[t["index"].get<int>()] = t;
  ASSERT_EQ(local_trials.size(), 16u);
  ASSERT_EQ(slurm_trials.size(), 16u);
  for (int i = 0; i < 16; ++i) {
    EXPECT_EQ(local_trials[i]["params"], slurm_trials[i]["params"]) << i;
    EXPECT_EQ(local_trials[i]["score"], slurm_trials[i]["score"]) << i;
  }
  // The chosen model, trained on the same rows with the same parameters, scores the same.
  for (const char* metric : {"rmse", "mae", "r2", "mape", "model_bytes"}) {
    EXPECT_EQ(on_local["details"]["metrics"][metric], on_slurm["details"]["metrics"][metric])
        << metric;
  }

  // Every trial is a child run of the pipeline's run, written by its array task.
  RunResult runs = slurm.Hone({"runs", "list", "--limit", "50", "--json"});
  ASSERT_EQ(runs.exit_code, 0) << runs.err;
  int trials = 0;
  const json listed = json::parse(runs.out);
  for (const json& run : listed["runs"]) {
    if (run["command"].get<std::string>().find("exec-trial") != std::string::npos) ++trials;
  }
  EXPECT_EQ(trials, 16);
  // The tasks' logs are kept beside the artifacts, the fit's too: it ran as a job of its own,
  // and the registered version is the bundle that job wrote.
  const std::string run_id = on_slurm["run"];
  EXPECT_TRUE(fs::exists(slurm.Path(".hone/artifacts/slurm/" + run_id + "/trial-15.log")));
  EXPECT_THAT(slurm.Read(".hone/artifacts/slurm/" + run_id + "/train.log"),
              HasSubstr("trained house_prices: bundle "));
  RunResult shown = slurm.Hone({"runs", "show", run_id, "--json"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  const json run = json::parse(shown.out);
  const std::string bundle = run["tags"]["hone.slurm_bundle"];
  RunResult version = slurm.Hone({"models", "versions", "house_prices", "--json"});
  ASSERT_EQ(version.exit_code, 0) << version.err;
  EXPECT_THAT(version.out, HasSubstr(bundle));
}

TEST_F(SlurmE2e, AJobSlurmRefusesFailsTheRunWithSlurmsWords) {
  Workspace w;
  w.Write("sales.csv", Sales(600));
  w.Write("hone.yaml", Spec("executor: {slurm: {partition: no-such-partition}}\n"));
  RunResult r = w.Hone({"run"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("sbatch refused job 'hone-search-house_prices'"));
  EXPECT_THAT(r.err, HasSubstr("partition"));
}

TEST_F(SlurmE2e, TheJobsReachAPostgresStoreThroughTheirEnvironment) {
  const std::optional<std::string> url = core::testing::TestPostgresUrl();
  if (!url) GTEST_SKIP() << core::testing::kPostgresMissing;
  PgSchema schema(*url, "hone_slurm");
  ASSERT_TRUE(schema.ok()) << schema.created().out;
  Workspace w;
  w.Write("sales.csv", Sales(800));
  w.Write("hone.yaml", Spec("executor: {slurm: {poll: 0.2}}\n"));
  RunResult r =
      w.Hone({"run", "--json", "--store", schema.StoreUrl(), "--artifacts", "shared-artifacts"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  const json j = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out << r.err;
  EXPECT_EQ(j["outcome"], "promoted");
  EXPECT_EQ(j["details"]["search"]["trials"].size(), 16u);
  // The store's password is not in the job script Slurm keeps (it went through the environment).
  const long id = NewestJobOf(w);
  ASSERT_GT(id, 0);
  ShellResult script = Shell("scontrol write batch_script " + std::to_string(id) + " -");
  ASSERT_EQ(script.exit_code, 0) << script.out;
  EXPECT_THAT(script.out, HasSubstr("exec-trial"));
  const size_t at = url->find('@'), colon = url->find(':', url->find("://") + 3);
  ASSERT_LT(colon, at) << "HONE_TEST_PG_URL has no password";
  EXPECT_THAT(script.out, Not(HasSubstr(url->substr(colon, at - colon + 1))));
}

TEST_F(SlurmE2e, CtrlCCancelsTheRunsJobs) {
  Workspace w;
  w.Write("sales.csv", Sales(800));
  // One trial at a time: the array is still running when the run is interrupted.
  w.Write("hone.yaml", Spec("executor: {slurm: {max_running: 1, poll: 0.2}}\n"));
  HoneProcess run(w, "run", {});
  std::string job;
  for (int i = 0; i < 300 && job.empty(); ++i) {
    if (const long id = NewestJobOf(w); id > 0) {
      job = std::to_string(id);
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  ASSERT_FALSE(job.empty()) << run.Log();
  EXPECT_NE(run.Interrupt(), 0);
  EXPECT_THAT(run.Log(), HasSubstr("cancelled")) << run.Log();
  // Slurm has ended every task; those that had not finished were cancelled.
  ShellResult states =
      Shell("squeue --noheader --states all --jobs " + job + " --array --format %T | sort -u");
  ASSERT_EQ(states.exit_code, 0) << states.out;
  EXPECT_THAT(states.out, HasSubstr("CANCELLED")) << states.out;
  EXPECT_THAT(states.out, ::testing::Not(HasSubstr("PENDING"))) << states.out;
  EXPECT_THAT(states.out, ::testing::Not(HasSubstr("RUNNING"))) << states.out;
  // The run is recorded as killed.
  RunResult runs = w.Hone({"runs", "list", "--json"});
  ASSERT_EQ(runs.exit_code, 0) << runs.err;
  const json listed = json::parse(runs.out);
  ASSERT_FALSE(listed["runs"].empty());
  EXPECT_EQ(listed["runs"].back()["status"], "killed") << runs.out;
}

}  // namespace
}  // namespace hone::e2e
