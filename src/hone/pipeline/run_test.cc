// RunPipeline against a real SQLite store and artifact folder, on the example data `hone init`
// writes.
#include "hone/pipeline/run.h"

#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hone/core/file.h"
#include "hone/core/test_temp_dir.h"
#include "hone/pipeline/init.h"
#include "hone/pipeline/source.h"
#include "hone/pipeline/stage_keys.h"
#include "hone/store/sqlite/sqlite.h"

namespace hone::pipeline {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class RunPipelineTest : public core::testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    fs::create_directories(dir_ / "data");
    WriteData("data/part1.csv", ExampleData(600, 1));
    auto opened = store::OpenStore({.store = (dir_ / ".hone").string(), .create = true});
    ASSERT_TRUE(opened) << opened.error().message();
    store_ = std::make_unique<store::Store>(std::move(*opened));
  }

  void WriteData(const std::string& name, const std::string& csv) {
    ASSERT_TRUE(core::WriteFileAtomic(dir_ / name, csv));
  }

  /// A spec over data/*.csv with the given train and gates sections.
  Spec MakeSpec(const std::string& train, const std::string& gates,
                const std::string& checks = "  - row_count: {min: 100}\n  - schema\n") {
    const std::string text =
        "model: homes\n"
        "data: {glob: data/*.csv, snapshot: true}\n"
        "target: price\n"
        "split: {method: random, test_size: 0.25, seed: 7}\n"
        "checks:\n" +
        checks + "train:\n" + train + "gates:\n" + gates;
    auto spec = ParseSpec(text, dir_ / "hone.yaml");
    EXPECT_TRUE(spec) << spec.error().message();
    return spec ? *spec : Spec{};
  }

  Result<PipelineResult> Run(const Spec& spec, bool force = false) {
    RunOptions options;
    options.force = force;
    options.actor = store::Actor{"ci"};
    options.progress = [this](std::string_view line) { log_ += std::string(line) + "\n"; };
    return RunPipeline(spec, *store_, options);
  }

  const std::string kGbdt = "  model: gbdt\n  params: {n_estimators: 60, max_depth: 4}\n";
  const std::string kGates =
      "  - r2 >= 0.5\n  - rmse: {no_worse_than: champion, relative_margin: 0.02}\n";
  std::unique_ptr<store::Store> store_;
  std::string log_;
};

TEST_F(RunPipelineTest, PromotesThenUnchangedThenBetterDataThenRejectsWorseConfig) {
  const Spec spec = MakeSpec(kGbdt, kGates);
  auto first = Run(spec);
  ASSERT_TRUE(first) << first.error().message() << "\n" << log_;
  EXPECT_EQ(first->outcome, Outcome::kPromoted) << log_;
  EXPECT_EQ(first->ExitCode(), 0);
  ASSERT_TRUE(first->version);
  EXPECT_EQ(*first->version, 1);
  EXPECT_FALSE(first->champion);
  EXPECT_EQ(store_->meta->ResolveAlias("homes", "production").value(), 1);
  auto v1 = store_->meta->GetVersion("homes", 1);
  ASSERT_TRUE(v1);
  EXPECT_EQ(v1->run_id, first->run_id);
  EXPECT_EQ(v1->data_digest, first->report.data_digest);
  EXPECT_TRUE(v1->metrics.contains("rmse"));
  EXPECT_TRUE(v1->metrics.contains("p99_latency_us"));
  auto run = store_->meta->GetRun(first->run_id);
  ASSERT_TRUE(run);
  EXPECT_EQ(run->status, store::RunStatus::kFinished);
  EXPECT_EQ(run->tags.at(kOutcomeTag), "promoted");
  std::set<std::string> artifacts;
  for (const auto& a : run->artifacts) artifacts.insert(a.name);
  EXPECT_EQ(artifacts, (std::set<std::string>{"data.csv", "model.hone", "verdict.json"}));

  // Nothing changed: nothing runs, nothing is registered.
  auto second = Run(spec);
  ASSERT_TRUE(second) << second.error().message();
  EXPECT_EQ(second->outcome, Outcome::kUnchanged);
  EXPECT_EQ(second->ExitCode(), 0);
  EXPECT_EQ(second->run_id, first->run_id);
  EXPECT_EQ(store_->meta->GetModel("homes")->latest_version, 1);
  // The earlier verdict is reported again.
  EXPECT_EQ(second->report.verdict.ToJson(), first->report.verdict.ToJson());

  // New data: a better model (more rows), compared with v1 on the same new holdout.
  WriteData("data/part2.csv", ExampleData(2400, 2));
  auto third = Run(spec);
  ASSERT_TRUE(third) << third.error().message() << "\n" << log_;
  EXPECT_EQ(third->outcome, Outcome::kPromoted) << log_;
  EXPECT_EQ(third->champion, 1);
  EXPECT_EQ(third->version, 2);
  EXPECT_EQ(store_->meta->ResolveAlias("homes", "production").value(), 2);
  EXPECT_EQ(store_->meta->GetVersion("homes", 2)->parent, 1);
  bool compared = false;
  for (const gate::MetricRow& row : third->report.metrics) {
    if (row.name == "rmse" && row.comparison && row.champion) compared = true;
  }
  EXPECT_TRUE(compared);

  // A deliberately weak model: rejected with the reason, nothing registered.
  const Spec weak = MakeSpec("  model: gbdt\n  params: {n_estimators: 2, max_depth: 1}\n", kGates);
  auto fourth = Run(weak);
  ASSERT_TRUE(fourth) << fourth.error().message();
  EXPECT_EQ(fourth->outcome, Outcome::kRejected) << log_;
  EXPECT_EQ(fourth->ExitCode(), 1);
  EXPECT_EQ(store_->meta->GetModel("homes")->latest_version, 2);
  EXPECT_EQ(store_->meta->ResolveAlias("homes", "production").value(), 2);
  std::string failed;
  for (const gate::CheckResult* f : fourth->report.verdict.Failures()) failed += f->name + "; ";
  EXPECT_THAT(failed, HasSubstr("rmse no_worse_than champion")) << failed;
  EXPECT_EQ(store_->meta->GetRun(fourth->run_id)->tags.at(kOutcomeTag), "rejected");

  // The rejection is remembered: the same weak inputs are unchanged, and still exit 1.
  auto fifth = Run(weak);
  ASSERT_TRUE(fifth);
  EXPECT_EQ(fifth->outcome, Outcome::kUnchanged);
  EXPECT_EQ(fifth->ExitCode(), 1);
}

TEST_F(RunPipelineTest, AChangedGateReusesTheTrainedModel) {
  auto first = Run(MakeSpec(kGbdt, "  - r2 >= 0.5\n"));
  ASSERT_TRUE(first) << first.error().message();
  auto second = Run(MakeSpec(kGbdt, "  - r2 >= 0.99\n"));
  ASSERT_TRUE(second) << second.error().message();
  EXPECT_EQ(second->outcome, Outcome::kRejected);
  bool cached = false;
  for (const StageReport& s : second->stages) cached |= s.name == "train" && s.status == "cached";
  EXPECT_TRUE(cached) << log_;
  // The reused model is the same bytes, judged on the same holdout.
  auto a = store_->meta->GetRun(first->run_id), b = store_->meta->GetRun(second->run_id);
  ASSERT_TRUE(a && b);
  auto model_of = [](const store::Run& r) {
    for (const auto& x : r.artifacts) {
      if (x.name == "model.hone") return x.digest;
    }
    return std::string();
  };
  EXPECT_EQ(model_of(*a), model_of(*b));
  // --force trains again.
  auto forced = Run(MakeSpec(kGbdt, "  - r2 >= 0.99\n"), /*force=*/true);
  ASSERT_TRUE(forced);
  for (const StageReport& s : forced->stages) {
    if (s.name == "train") {
      EXPECT_EQ(s.status, "ran");
    }
  }
}

TEST_F(RunPipelineTest, AFailedDataCheckStopsBeforeTraining) {
  auto result = Run(MakeSpec(kGbdt, kGates,
                             "  - row_count: {min: 100000}\n"
                             "  - range: {column: sqft, min: 0, max: 10}\n"
                             "  - nulls: {max: 0.5, severity: warn}\n"));
  ASSERT_TRUE(result) << result.error().message();
  EXPECT_EQ(result->outcome, Outcome::kRejected);
  EXPECT_EQ(result->report.verdict.Failures().size(), 2u);  // both reported together
  for (const StageReport& s : result->stages) EXPECT_NE(s.name, "train");
  auto run = store_->meta->GetRun(result->run_id);
  ASSERT_TRUE(run);
  for (const auto& a : run->artifacts) EXPECT_NE(a.name, "model.hone");
  EXPECT_FALSE(store_->meta->GetModel("homes"));
}

TEST_F(RunPipelineTest, SearchRecordsEveryTrialAsAChildRun) {
  const Spec spec =
      MakeSpec("  model: random_forest\n  params: {n_estimators: 8}\n", "  - r2 >= 0.3\n");
  Spec searched = spec;
  learn::SearchRequest search;
  search.method = learn::SearchMethod::kGrid;
  search.folds = 2;
  search.trials = 0;
  search.space = {{.param = "max_depth", .choices = {"3", "6"}},
                  {.param = "min_samples_leaf", .choices = {"1", "5"}}};
  searched.search = search;
  auto result = Run(searched);
  ASSERT_TRUE(result) << result.error().message() << "\n" << log_;
  EXPECT_EQ(result->outcome, Outcome::kPromoted);
  store::RunQuery children;
  children.tag = std::pair{std::string(kParentRunTag), result->run_id};
  auto trials = store_->meta->ListRuns(children);
  ASSERT_TRUE(trials);
  EXPECT_EQ(trials->size(), 4u);
  ASSERT_TRUE(result->details.contains("search"));
  EXPECT_EQ(result->details["search"]["trials"].size(), 4u);
}

TEST_F(RunPipelineTest, ACommandThatFailsFailsTheRunWithItsLastLines) {
  const Spec spec =
      MakeSpec("  command: echo starting; echo 'bad things' >&2; exit 3\n", "  - r2 >= 0.5\n");
  auto result = Run(spec);
  ASSERT_FALSE(result);
  EXPECT_THAT(result.error().message(), HasSubstr("exit 3"));
  EXPECT_THAT(result.error().message(), HasSubstr("bad things"));
  store::RunQuery query;
  query.tag = std::pair{std::string(kPipelineTag), std::string("homes")};
  auto runs = store_->meta->ListRuns(query);
  ASSERT_TRUE(runs);
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ((*runs)[0].status, store::RunStatus::kFailed);
  bool log_kept = false;
  for (const auto& a : (*runs)[0].artifacts) log_kept |= a.name == "train.log";
  EXPECT_TRUE(log_kept);
}

TEST_F(RunPipelineTest, ASqlQuerySourceSeesNewRowsAsNewData) {
  // A sales table in SQLite, filled from the example data.
  auto db = store::sqlite::Database::Open(dir_ / "shop.db");
  ASSERT_TRUE(db) << db.error().message();
  auto insert = [&](const std::string& csv) {
    auto table = core::ParseCsv(csv, "example");
    ASSERT_TRUE(table);
    std::string sql = "BEGIN;";
    const core::Column& sqft = table->column(*table->FindColumn("sqft"));
    const core::Column& hood = table->column(*table->FindColumn("neighborhood"));
    const core::Column& price = table->column(*table->FindColumn("price"));
    for (size_t row = 0; row < table->num_rows(); ++row) {
      sql += "INSERT INTO sales VALUES (" + sqft.CellText(row) + ", '" + hood.CellText(row) +
             "', " + price.CellText(row) + ");";
    }
    ASSERT_TRUE(db->Exec(sql + "COMMIT;"));
  };
  ASSERT_TRUE(db->Exec("CREATE TABLE sales (sqft REAL, neighborhood TEXT, price REAL)"));
  insert(ExampleData(400, 3));
  auto spec = ParseSpec(
      "model: shop\n"
      "data: {sql: {url: 'sqlite:shop.db', query: 'SELECT * FROM sales ORDER BY rowid'}}\n"
      "target: price\n"
      "train: {model: gbdt, params: {n_estimators: 30}}\n"
      "gates:\n  - r2 >= 0.3\n",
      dir_ / "hone.yaml");
  ASSERT_TRUE(spec) << spec.error().message();
  auto first = Run(*spec);
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_EQ(first->outcome, Outcome::kPromoted) << log_;
  EXPECT_EQ(first->report.rows, 400u);
  EXPECT_THAT(first->report.data_source, HasSubstr("SELECT * FROM sales"));
  auto same = Run(*spec);
  ASSERT_TRUE(same);
  EXPECT_EQ(same->outcome, Outcome::kUnchanged);
  insert(ExampleData(300, 4));
  auto grown = Run(*spec);
  ASSERT_TRUE(grown) << grown.error().message();
  EXPECT_NE(grown->outcome, Outcome::kUnchanged);
  EXPECT_EQ(grown->report.rows, 700u);
  EXPECT_NE(grown->report.data_digest, first->report.data_digest);
}

TEST_F(RunPipelineTest, DryRunPlansWithoutWriting) {
  const Spec spec = MakeSpec(kGbdt, kGates);
  auto plan = PlanPipeline(spec, store_.get());
  ASSERT_TRUE(plan) << plan.error().message();
  ASSERT_GE(plan->lines.size(), 8u);
  EXPECT_THAT(plan->lines[1], HasSubstr("600 rows"));
  EXPECT_THAT(plan->lines.back(), HasSubstr("every stage would run"));
  EXPECT_TRUE(store_->meta->ListRuns({})->empty());
  ASSERT_TRUE(Run(spec));
  auto again = PlanPipeline(spec, store_.get());
  ASSERT_TRUE(again);
  EXPECT_THAT(again->lines.back(), HasSubstr("unchanged"));
}

}  // namespace
}  // namespace hone::pipeline
