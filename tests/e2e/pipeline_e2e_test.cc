// `hone run` and `hone init` through the real binary: the example pipeline promoting, standing
// still, promoting on better data and rejecting a worse config; CI outputs (JSON, JUnit,
// Markdown); the spec's errors; a team's own Python training code; and the git post-receive
// hook training on a push.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "hone_runner.h"

namespace hone::e2e {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

const fs::path kExamples = fs::path(HONE_SOURCE_DIR) / "examples" / "house_prices";

/// The example's sales split by line into a first batch and a later one (header on both).
void SplitSales(const Workspace& w, size_t first_rows) {
  std::ifstream in(kExamples / "house_prices.csv");
  std::string header, line, first, later;
  std::getline(in, header);
  size_t n = 0;
  while (std::getline(in, line)) (n++ < first_rows ? first : later) += line + "\n";
  fs::create_directories(w.Path("data"));
  w.Write("data/2021.csv", header + "\n" + first);
  w.Write("data/2022.csv.later", header + "\n" + later);
}

/// The example spec reading data/*.csv, with `train` in place of its train section.
std::string ExampleSpecOverGlob(const std::string& train) {
  std::ifstream in(kExamples / "hone.yaml");
  std::stringstream text;
  text << in.rdbuf();
  std::string spec = text.str();
  auto replace = [&](const std::string& from, const std::string& to) {
    const size_t at = spec.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) spec.replace(at, from.size(), to);
  };
  replace("  path: house_prices.csv\n", "  glob: data/*.csv\n");
  replace("row_count: {min: 1000}", "row_count: {min: 500}");
  const size_t train_at = spec.find("train:\n");
  const size_t evaluate_at = spec.find("evaluate:\n");
  spec.replace(train_at, evaluate_at - train_at, train + "\n");
  return spec;
}

const std::string kTrain =
    "train:\n  model: gbdt\n  params: {n_estimators: 150, max_depth: 6, learning_rate: 0.1}\n";

TEST(PipelineE2eTest, PromotesThenUnchangedThenNewDataThenRejectsAWorseConfig) {
  Workspace w;
  SplitSales(w, 2000);
  w.Write("hone.yaml", ExampleSpecOverGlob(kTrain));

  RunResult first = w.Hone({"run", "--json", "--junit", "junit1.xml"});
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  json j1 = json::parse(first.out);
  EXPECT_EQ(j1["outcome"], "promoted");
  EXPECT_EQ(j1["version"], 1);
  EXPECT_TRUE(j1["champion"].is_null());
  EXPECT_EQ(j1["data"]["rows"], 2000);
  EXPECT_THAT(w.Read("junit1.xml"), HasSubstr("<testsuites"));
  RunResult models = w.Hone({"models", "show", "house_prices", "--json"});
  ASSERT_EQ(models.exit_code, 0) << models.err;
  EXPECT_THAT(models.out, HasSubstr("\"production\""));

  RunResult second = w.Hone({"run", "--json"});
  ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
  json j2 = json::parse(second.out);
  EXPECT_EQ(j2["outcome"], "unchanged");
  EXPECT_EQ(j2["run"], j1["run"]);
  RunResult text = w.Hone({"run"});
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_THAT(text.out, HasSubstr("unchanged"));

  // New sales land in the folder: more data, a better model, compared on the same holdout.
  fs::rename(w.Path("data/2022.csv.later"), w.Path("data/2022.csv"));
  RunResult third = w.Hone({"run", "--json", "--report", "report.md"});
  ASSERT_EQ(third.exit_code, 0) << third.out << third.err;
  json j3 = json::parse(third.out);
  EXPECT_EQ(j3["outcome"], "promoted");
  EXPECT_EQ(j3["version"], 2);
  EXPECT_EQ(j3["champion"], 1);
  const std::string report = w.Read("report.md");
  EXPECT_THAT(report, HasSubstr("house_prices/1"));
  EXPECT_THAT(report, HasSubstr("rmse"));
  EXPECT_THAT(report, HasSubstr("report.svg"));
  EXPECT_THAT(w.Read("report.svg"), HasSubstr("<svg"));

  // A deliberately weak config is rejected, with the reason in the JUnit file.
  w.Write("hone.yaml", ExampleSpecOverGlob(
                           "train:\n  model: gbdt\n  params: {n_estimators: 3, max_depth: 1}\n"));
  RunResult fourth = w.Hone({"run", "--junit", "junit4.xml"});
  EXPECT_EQ(fourth.exit_code, 1) << fourth.out << fourth.err;
  EXPECT_THAT(fourth.out, HasSubstr("rejected"));
  const std::string junit = w.Read("junit4.xml");
  EXPECT_THAT(junit, HasSubstr("<failure"));
  EXPECT_THAT(junit, HasSubstr("rmse no_worse_than champion"));
  RunResult production = w.Hone({"models", "show", "house_prices", "--json"});
  EXPECT_THAT(production.out, HasSubstr("\"production\""));
  RunResult versions = w.Hone({"models", "versions", "house_prices", "--json"});
  EXPECT_EQ(json::parse(versions.out).size(), 2u) << versions.out;
}

TEST(PipelineE2eTest, InitThenRunWorksAtOnceAndTheSecondRunIsUnchanged) {
  Workspace w;
  RunResult init = w.Hone({"init"});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  EXPECT_TRUE(w.Exists("hone.yaml"));
  RunResult dry = w.Hone({"run", "--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_THAT(dry.out, HasSubstr("snapshot"));
  EXPECT_THAT(dry.out, HasSubstr("every stage would run"));
  EXPECT_FALSE(w.Exists(".hone"));  // a dry run writes nothing

  RunResult run = w.Hone({"run"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_THAT(run.out, HasSubstr("promoted house_prices/1 to production"));
  RunResult again = w.Hone({"run"});
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_THAT(again.out, HasSubstr("unchanged"));
  RunResult twice = w.Hone({"init"});
  EXPECT_EQ(twice.exit_code, 2);
  EXPECT_THAT(twice.err, HasSubstr("already exists"));
}

TEST(PipelineE2eTest, SpecErrorsNameLineColumnAndValidKeys) {
  Workspace w;
  w.Write("hone.yaml", "model: m\ndata: {path: x.csv}\ntarget: y\ntrian:\n  model: gbdt\n");
  RunResult r = w.Hone({"run", "--junit", "junit.xml"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("hone.yaml:4:1"));
  EXPECT_THAT(r.err, HasSubstr("trian"));
  EXPECT_THAT(r.err, HasSubstr("train"));
  RunResult missing = w.Hone({"run", "--file", "nope.yaml"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("nope.yaml"));
}

TEST(PipelineE2eTest, ATeamsOwnPythonTrainingIsGatedRegisteredAndUsable) {
  Workspace w;
  fs::copy_file(kExamples / "train_xgboost.py", w.Path("train_xgboost.py"));
  SplitSales(w, 3000);
  std::ifstream in(kExamples / "hone-command.yaml");
  std::stringstream text;
  text << in.rdbuf();
  std::string spec = text.str();
  spec.replace(spec.find("  path: house_prices.csv"), 24, "  path: data/2021.csv");
  spec.replace(spec.find("{min: 1000}"), 11, "{min: 500}");
  w.Write("hone.yaml", spec);
  RunResult r = w.Hone({"run", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["outcome"], "promoted");
  EXPECT_GT(j["details"]["metrics"]["r2"].get<double>(), 0.8);
  EXPECT_EQ(j["details"]["command_metrics"]["train_rows"], 2400);
  // The imported model is served by hone like its own.
  RunResult scored = w.Hone(
      {"eval", "--model", "house_prices_py@production", "--data", "data/2021.csv", "--json"});
  ASSERT_EQ(scored.exit_code, 0) << scored.err;
  EXPECT_GT(json::parse(scored.out)["metrics"]["r2"].get<double>(), 0.8);

  // A training program that fails: the stage fails with its last lines, exit 2.
  w.Write("hone.yaml", spec.replace(spec.find("/usr/bin/python3 train_xgboost.py"), 33,
                                    "/usr/bin/python3 -c 'raise SystemExit(\"no GPU here\")'"));
  RunResult failed = w.Hone({"run"});
  EXPECT_EQ(failed.exit_code, 2);
  EXPECT_THAT(failed.err, HasSubstr("no GPU here"));
}

TEST(PipelineE2eTest, APushToTheBareRepositoryTrainsAndRegisters) {
  Workspace w;
  const std::string bare = w.Path("project.git").string();
  const std::string clone = w.Path("clone").string();
  const std::string git =
      "git -c user.name=ci -c user.email=ci@example.com "
      "-c init.defaultBranch=main";
  ShellResult setup =
      Shell(git + " init --quiet --bare " + Quote(bare) + " && cp " +
            Quote(fs::path(HONE_SOURCE_DIR) / "examples/ci/post-receive") + " " +
            Quote(bare + "/hooks/post-receive") + " && git --git-dir=" + Quote(bare) +
            " config hone.bin " + Quote(HONE_BINARY) + " && " + git + " clone --quiet " +
            Quote(bare) + " " + Quote(clone) + " 2>&1");
  ASSERT_EQ(setup.exit_code, 0) << setup.out;
  Workspace scratch;
  RunResult init = scratch.Hone({"init"});
  ASSERT_EQ(init.exit_code, 0);
  fs::copy(scratch.dir(), clone, fs::copy_options::recursive);
  ShellResult push =
      Shell("cd " + Quote(clone) + " && " + git + " add hone.yaml data && " + git +
            " commit --quiet -m 'a pipeline' && " + git + " push --quiet origin main 2>&1");
  ASSERT_EQ(push.exit_code, 0) << push.out;
  EXPECT_THAT(push.out, HasSubstr("hone: running the pipeline"));
  EXPECT_THAT(push.out, HasSubstr("promoted house_prices/1 to production"));
  // The version is in the repository's store, with the pushed commit as its code.
  RunResult show = w.Hone({"models", "versions", "house_prices", "--store",
                           (fs::path(bare) / "hone").string(), "--json"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  ShellResult head = Shell("git -C " + Quote(clone) + " rev-parse HEAD");
  EXPECT_THAT(show.out, HasSubstr(head.out.substr(0, 40)));
  EXPECT_FALSE(Shell("ls " + Quote(bare + "/hone/reports") + "/*.xml").out.empty());
}

}  // namespace
}  // namespace hone::e2e
