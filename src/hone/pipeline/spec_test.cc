#include "hone/pipeline/spec.h"

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hone/core/test_temp_dir.h"
#include "hone/pipeline/spec_test_util.h"

namespace hone::pipeline {
namespace {

using testing::ErrorOf;
using ::testing::HasSubstr;
using testing::Head;
using testing::kHead;
using ::testing::Not;
using testing::Parse;
using ::testing::StartsWith;

// Every key, each set to something other than its default. Line numbers matter: checks, gates
// and search dimensions record where they are written.
constexpr std::string_view kFull = R"(# every key
model: house_prices
data:
  path: data/house_prices.csv
  snapshot: true
target: price
task: regression
ignore: [id, listed_at]
split: {method: time, column: listed_at, test_size: 0.25}
seed: 7
checks:
  - row_count: {min: 500, max: 1000000}
  - schema
  - nulls: {max: 0.05}
  - range: {column: sqft, min: 100, max: 20000, severity: warn}
  - categories: {columns: [city], allowed: [a, b, "3"]}
  - unique: {column: id}
  - drift: {max: 0.3, severity: error, columns: [sqft, city]}
train:
  model: gbdt
  params: {max_depth: 6, learning_rate: 0.1, grow_policy: lossguide}
  threads: 4
  timeout: 10m
search:
  method: random
  trials: 16
  folds: 4
  metric: mae
  parallel: 2
  space:
    max_depth: [4, 6, 8]
    learning_rate: {min: 0.01, max: 0.3, log: true}
    n_estimators: {min: 50, max: 500, integer: true}
evaluate: {cv: 5, slices: [city], latency_rows: 200}
gates:
  - r2 >= 0.8
  - rmse: {no_worse_than: champion, margin: 0.01}
  - r2: {better_than: champion, relative_margin: 0.02, severity: warn}
  - p99_latency_us: {max: 500}
  - cv_r2: {min: 0.5}
  - mae<3
bootstrap: {resamples: 500, confidence: 0.9, seed: 11}
promote: {alias: canary, enabled: false}
executor: local
)";

constexpr std::string_view kFullJson = R"({
  "model": "house_prices",
  "data": {"kind": "file", "path": "data/house_prices.csv", "url": "", "query": "",
           "snapshot": true},
  "target": "price",
  "task": "regression",
  "ignore": ["id", "listed_at"],
  "split": "time:listed_at",
  "test_size": 0.25,
  "seed": 7,
  "checks": [
    {"kind": "row_count", "severity": "error", "columns": [], "min": 500, "max": 1000000,
     "allowed": []},
    {"kind": "schema", "severity": "error", "columns": [], "min": null, "max": null,
     "allowed": []},
    {"kind": "nulls", "severity": "error", "columns": [], "min": null, "max": 0.05,
     "allowed": []},
    {"kind": "range", "severity": "warn", "columns": ["sqft"], "min": 100, "max": 20000,
     "allowed": []},
    {"kind": "categories", "severity": "error", "columns": ["city"], "min": null, "max": null,
     "allowed": ["a", "b", "3"]},
    {"kind": "unique", "severity": "error", "columns": ["id"], "min": null, "max": null,
     "allowed": []},
    {"kind": "drift", "severity": "error", "columns": ["sqft", "city"], "min": null,
     "max": 0.3, "allowed": []}
  ],
  "train": {"model": "gbdt",
            "params": [["max_depth", "6"], ["learning_rate", "0.1"],
                       ["grow_policy", "lossguide"]],
            "command": "", "timeout_seconds": 600, "threads": 4},
  "search": {"method": "random", "trials": 16, "folds": 4, "metric": "mae", "parallel": 2,
             "seed": 7,
             "space": [
               {"param": "max_depth", "choices": ["4", "6", "8"], "min": null, "max": null,
                "log": false, "integer": false},
               {"param": "learning_rate", "choices": [], "min": 0.01, "max": 0.3, "log": true,
                "integer": false},
               {"param": "n_estimators", "choices": [], "min": 50, "max": 500, "log": false,
                "integer": true}
             ]},
  "evaluate": {"cv": 5, "slices": ["city"], "latency_rows": 200},
  "gates": [
    {"kind": "absolute", "metric": "r2", "op": ">=", "threshold": 0.8, "margin": 0,
     "relative": false, "severity": "error"},
    {"kind": "no_worse_than", "metric": "rmse", "op": ">=", "threshold": 0, "margin": 0.01,
     "relative": false, "severity": "error"},
    {"kind": "better_than", "metric": "r2", "op": ">=", "threshold": 0, "margin": 0.02,
     "relative": true, "severity": "warn"},
    {"kind": "absolute", "metric": "p99_latency_us", "op": "<=", "threshold": 500, "margin": 0,
     "relative": false, "severity": "error"},
    {"kind": "absolute", "metric": "cv_r2", "op": ">=", "threshold": 0.5, "margin": 0,
     "relative": false, "severity": "error"},
    {"kind": "absolute", "metric": "mae", "op": "<", "threshold": 3, "margin": 0,
     "relative": false, "severity": "error"}
  ],
  "bootstrap": {"resamples": 500, "confidence": 0.9, "seed": 11},
  "promote": {"alias": "canary", "enabled": false},
  "executor": "local"
})";

TEST(SpecTest, FullSpecReadsEveryField) {
  auto parsed = ParseSpec(kFull, "proj/hone.yaml");
  ASSERT_TRUE(parsed) << parsed.error().message();
  const Spec& s = *parsed;
  EXPECT_EQ(s.file, "proj/hone.yaml");
  EXPECT_EQ(s.dir, "proj");
  EXPECT_EQ(s.model, "house_prices");
  EXPECT_EQ(s.data.kind, DataSourceSpec::Kind::kFile);
  EXPECT_EQ(s.data.path, "data/house_prices.csv");
  EXPECT_TRUE(s.data.snapshot);
  EXPECT_EQ(s.target, "price");
  EXPECT_EQ(s.task, learn::TaskRequest::kRegression);
  EXPECT_EQ(s.ignore, (std::vector<std::string>{"id", "listed_at"}));
  EXPECT_EQ(s.split.kind, learn::SplitSpec::Kind::kTime);
  EXPECT_EQ(s.split.time_column, "listed_at");
  EXPECT_DOUBLE_EQ(s.test_size, 0.25);
  EXPECT_EQ(s.seed, 7u);

  ASSERT_EQ(s.checks.size(), 7u);
  using Kind = gate::DataCheck::Kind;
  EXPECT_EQ(s.checks[0].kind, Kind::kRowCount);
  EXPECT_EQ(s.checks[0].min, 500);
  EXPECT_EQ(s.checks[0].max, 1000000);
  EXPECT_EQ(s.checks[0].where, "proj/hone.yaml:12");
  EXPECT_EQ(s.checks[1].kind, Kind::kSchema);
  EXPECT_EQ(s.checks[1].where, "proj/hone.yaml:13");
  EXPECT_EQ(s.checks[2].kind, Kind::kNulls);
  EXPECT_EQ(s.checks[2].max, 0.05);
  EXPECT_TRUE(s.checks[2].columns.empty());
  EXPECT_EQ(s.checks[3].kind, Kind::kRange);
  EXPECT_EQ(s.checks[3].severity, gate::Severity::kWarn);
  EXPECT_EQ(s.checks[3].columns, std::vector<std::string>{"sqft"});
  EXPECT_EQ(s.checks[4].kind, Kind::kCategories);
  EXPECT_EQ(s.checks[4].allowed, (std::vector<std::string>{"a", "b", "3"}));
  EXPECT_EQ(s.checks[5].kind, Kind::kUnique);
  EXPECT_EQ(s.checks[6].kind, Kind::kDrift);
  EXPECT_EQ(s.checks[6].severity, gate::Severity::kError);
  EXPECT_EQ(s.checks[6].max, 0.3);
  EXPECT_EQ(s.checks[6].where, "proj/hone.yaml:18");

  EXPECT_EQ(s.train.model, "gbdt");
  EXPECT_EQ(s.train.params,
            (learn::ParamAssignments{
                {"max_depth", "6"}, {"learning_rate", "0.1"}, {"grow_policy", "lossguide"}}));
  EXPECT_EQ(s.train.threads, 4u);
  EXPECT_DOUBLE_EQ(s.train.timeout_seconds, 600);
  EXPECT_TRUE(s.train.command.empty());

  ASSERT_TRUE(s.search);
  EXPECT_EQ(s.search->method, learn::SearchMethod::kRandom);
  EXPECT_EQ(s.search->trials, 16);
  EXPECT_EQ(s.search->folds, 4);
  EXPECT_EQ(s.search->metric, "mae");
  EXPECT_EQ(s.search->parallel, 2u);
  EXPECT_EQ(s.search->seed, 7u);  // the top-level seed
  ASSERT_EQ(s.search->space.size(), 3u);
  EXPECT_EQ(s.search->space[0].param, "max_depth");
  EXPECT_EQ(s.search->space[0].choices, (std::vector<std::string>{"4", "6", "8"}));
  EXPECT_EQ(s.search->space[0].where, "proj/hone.yaml:31:5");
  EXPECT_EQ(s.search->space[1].low, 0.01);
  EXPECT_EQ(s.search->space[1].high, 0.3);
  EXPECT_TRUE(s.search->space[1].log);
  EXPECT_FALSE(s.search->space[1].integer);
  EXPECT_TRUE(s.search->space[2].integer);

  EXPECT_EQ(s.evaluate.cv, 5);
  EXPECT_EQ(s.evaluate.slices, std::vector<std::string>{"city"});
  EXPECT_EQ(s.evaluate.latency_rows, 200u);

  ASSERT_EQ(s.gates.size(), 6u);
  using GateKind = gate::MetricGate::Kind;
  using Op = gate::MetricGate::Op;
  EXPECT_EQ(s.gates[0].kind, GateKind::kAbsolute);
  EXPECT_EQ(s.gates[0].metric, "r2");
  EXPECT_EQ(s.gates[0].op, Op::kGe);
  EXPECT_EQ(s.gates[0].threshold, 0.8);
  EXPECT_EQ(s.gates[0].text, "r2 >= 0.8");
  EXPECT_EQ(s.gates[0].where, "proj/hone.yaml:36");
  EXPECT_EQ(s.gates[1].kind, GateKind::kNoWorseThan);
  EXPECT_EQ(s.gates[1].metric, "rmse");
  EXPECT_EQ(s.gates[1].margin, 0.01);
  EXPECT_FALSE(s.gates[1].relative);
  EXPECT_EQ(s.gates[1].text, "rmse no_worse_than champion");
  EXPECT_EQ(s.gates[1].where, "proj/hone.yaml:37");
  EXPECT_EQ(s.gates[2].kind, GateKind::kBetterThan);
  EXPECT_TRUE(s.gates[2].relative);
  EXPECT_EQ(s.gates[2].margin, 0.02);
  EXPECT_EQ(s.gates[2].severity, gate::Severity::kWarn);
  EXPECT_EQ(s.gates[2].text, "r2 better_than champion");
  EXPECT_EQ(s.gates[3].op, Op::kLe);
  EXPECT_EQ(s.gates[3].threshold, 500);
  EXPECT_EQ(s.gates[3].text, "p99_latency_us <= 500");
  EXPECT_EQ(s.gates[4].metric, "cv_r2");
  EXPECT_EQ(s.gates[4].text, "cv_r2 >= 0.5");
  EXPECT_EQ(s.gates[5].op, Op::kLt);
  EXPECT_EQ(s.gates[5].text, "mae<3");

  EXPECT_EQ(s.bootstrap.resamples, 500);
  EXPECT_EQ(s.bootstrap.confidence, 0.9);
  EXPECT_EQ(s.bootstrap.seed, 11u);
  EXPECT_EQ(s.promote.alias, "canary");
  EXPECT_FALSE(s.promote.enabled);
  EXPECT_EQ(s.executor, "local");

  EXPECT_EQ(s.ToJson(), nlohmann::json::parse(kFullJson)) << s.ToJson().dump(2);
}

TEST(SpecTest, JsonIgnoresLayoutCommentsAndKeyOrder) {
  auto a = Parse(kFull);
  ASSERT_TRUE(a) << a.error().message();
  // The same settings, in another order, in block style, with other comments and spacing.
  constexpr std::string_view kShuffled = R"(executor: local   # only one for now
promote:
  enabled: false
  alias: canary
bootstrap:
  seed: 11
  confidence: 0.9
  resamples: 500
gates: ["r2>=0.8", {rmse: {margin: 0.01, no_worse_than: champion}},
        {r2: {severity: warn, better_than: champion, relative_margin: 0.02}},
        {p99_latency_us: {max: 500}}, {cv_r2: {min: 0.5}}, "mae < 3"]
evaluate:
  latency_rows: 200
  slices: city
  cv: 5


search:
  space:
    max_depth: ["4", "6", "8"]
    learning_rate: {log: true, max: 0.3, min: 0.01}
    n_estimators: {integer: true, max: 500, min: 50}
  parallel: 2
  metric: mae
  folds: 4
  trials: 16
  method: random
train: {timeout: 600, threads: 4,
        params: {max_depth: 6, learning_rate: 0.1, grow_policy: lossguide}, model: gbdt}
checks: [{row_count: {max: 1000000, min: 500}}, schema, {nulls: {max: 0.05}},
         {range: {severity: warn, max: 20000, min: 100, column: sqft}},
         {categories: {allowed: [a, b, 3], column: city}}, {unique: {columns: id}},
         {drift: {columns: [sqft, city], severity: error, max: 0.3}}]
test_size: 0.25
seed: 7
split: time:listed_at
ignore: [id, listed_at]
task: regression
target: price
data: {snapshot: true, path: data/house_prices.csv}
model: house_prices
)";
  auto b = ParseSpec(kShuffled, "elsewhere/hone.yaml");
  ASSERT_TRUE(b) << b.error().message();
  EXPECT_EQ(a->ToJson(), b->ToJson()) << a->ToJson().dump(2) << "\n" << b->ToJson().dump(2);
  EXPECT_EQ(a->ToJson().dump(), b->ToJson().dump());

  // Any change of a setting changes the JSON.
  std::string changed(kFull);
  changed.replace(changed.find("seed: 7"), 7, "seed: 8");
  auto c = Parse(changed);
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_NE(a->ToJson(), c->ToJson());
}

TEST(SpecTest, Defaults) {
  auto s = ParseSpec("model: churn\ndata: {path: customers.csv}\ntarget: churned\n", "hone.yaml");
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->dir, ".");
  EXPECT_EQ(s->task, learn::TaskRequest::kAuto);
  EXPECT_EQ(s->split.kind, learn::SplitSpec::Kind::kRandom);
  EXPECT_FALSE(s->search);
  EXPECT_DOUBLE_EQ(s->train.timeout_seconds, 3600);
  EXPECT_EQ(s->ToJson(), nlohmann::json::parse(R"({
    "model": "churn",
    "data": {"kind": "file", "path": "customers.csv", "url": "", "query": "",
             "snapshot": false},
    "target": "churned", "task": "auto", "ignore": [], "split": "random", "test_size": 0.2,
    "seed": 42, "checks": [],
    "train": {"model": "random_forest", "params": [], "command": "", "timeout_seconds": 3600,
              "threads": 0},
    "search": null,
    "evaluate": {"cv": 0, "slices": [], "latency_rows": 1000},
    "gates": [],
    "bootstrap": {"resamples": 2000, "confidence": 0.95, "seed": 42},
    "promote": {"alias": "production", "enabled": true},
    "executor": "local"
  })"))
      << s->ToJson().dump(2);
}

TEST(SpecTest, SeedsFollowTheTopLevelSeedUnlessSet) {
  auto s = Parse(Head("seed: 9\nsearch: {space: {max_depth: [2, 3]}}\n"));
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->search->seed, 9u);
  EXPECT_EQ(s->search->trials, 10);  // random search's default
  EXPECT_EQ(s->search->folds, 3);
  EXPECT_EQ(s->bootstrap.seed, 9u);

  s =
      Parse(Head("split: {method: stratified, seed: 5}\n"
                 "search: {seed: 6, method: grid, space: {max_depth: [2, 3]}}\n"));
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->split.kind, learn::SplitSpec::Kind::kStratified);
  EXPECT_EQ(s->seed, 5u);
  EXPECT_EQ(s->search->seed, 6u);
  EXPECT_EQ(s->search->method, learn::SearchMethod::kGrid);
  EXPECT_EQ(s->search->trials, 0);  // grid: no limit
  EXPECT_EQ(s->bootstrap.seed, 5u);
}

TEST(SpecTest, DataSources) {
  auto s = Parse("model: m\ndata: {glob: 'incoming/*.csv'}\ntarget: y\n");
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->data.kind, DataSourceSpec::Kind::kGlob);
  EXPECT_EQ(s->data.path, "incoming/*.csv");

  for (std::string url : {"sqlite:///abs/shop.db", "sqlite:rel.db", "postgresql://u@h/db"}) {
    s = Parse("model: m\ndata:\n  sql: {url: '" + url + "', query: SELECT * FROM t}\ntarget: y\n");
    ASSERT_TRUE(s) << s.error().message();
    EXPECT_EQ(s->data.kind, DataSourceSpec::Kind::kSql);
    EXPECT_EQ(s->data.url, url);
    EXPECT_EQ(s->data.query, "SELECT * FROM t");
    EXPECT_TRUE(s->data.path.empty());
    EXPECT_EQ(s->ToJson()["data"]["kind"], "sql");
  }
}

TEST(SpecTest, BareStringChecksTakeDefaultOptions) {
  auto s =
      Parse(Head("checks:\n  - schema\n  - row_count\n  - nulls\n  - drift\n  - schema:\n"
                 "  - nulls: {column: a}\n"));
  ASSERT_TRUE(s) << s.error().message();
  ASSERT_EQ(s->checks.size(), 6u);
  using Kind = gate::DataCheck::Kind;
  EXPECT_EQ(s->checks[0].kind, Kind::kSchema);
  EXPECT_EQ(s->checks[0].severity, gate::Severity::kError);
  EXPECT_EQ(s->checks[0].where, "hone.yaml:5");
  EXPECT_EQ(s->checks[1].kind, Kind::kRowCount);
  EXPECT_EQ(s->checks[1].min, 1);  // the data is not empty
  EXPECT_FALSE(s->checks[1].max);
  EXPECT_EQ(s->checks[2].kind, Kind::kNulls);
  EXPECT_EQ(s->checks[2].max, 0);
  EXPECT_EQ(s->checks[3].kind, Kind::kDrift);
  EXPECT_EQ(s->checks[3].severity, gate::Severity::kWarn);
  EXPECT_EQ(s->checks[3].max, gate::kPsiAlert);
  EXPECT_EQ(s->checks[4].kind, Kind::kSchema);
  EXPECT_EQ(s->checks[4].where, "hone.yaml:9");
  EXPECT_EQ(s->checks[5].columns, std::vector<std::string>{"a"});
}

TEST(SpecTest, PromoteForms) {
  struct Case {
    std::string yaml;
    std::string alias;
    bool enabled;
  };
  for (const Case& c : std::vector<Case>{
           {"promote: false", "production", false},
           {"promote: true", "production", true},
           {"promote: canary", "canary", true},
           {"promote: 'false'", "false", true},  // quoted: an alias named false
           {"promote: {alias: shadow}", "shadow", true},
           {"promote: {enabled: false}", "production", false},
           {"promote:\n  alias: staging\n  enabled: true", "staging", true},
       }) {
    SCOPED_TRACE(c.yaml);
    auto s = Parse(Head(c.yaml + "\n"));
    ASSERT_TRUE(s) << s.error().message();
    EXPECT_EQ(s->promote.alias, c.alias);
    EXPECT_EQ(s->promote.enabled, c.enabled);
  }
}

TEST(SpecTest, DurationForms) {
  for (const auto& [text, seconds] : std::vector<std::pair<std::string, double>>{{"600", 600},
                                                                                 {"90s", 90},
                                                                                 {"10m", 600},
                                                                                 {"2h", 7200},
                                                                                 {"1.5h", 5400},
                                                                                 {"'45'", 45},
                                                                                 {"0.5", 0.5}}) {
    SCOPED_TRACE(text);
    auto s = Parse(Head("train: {timeout: " + text + "}\n"));
    ASSERT_TRUE(s) << s.error().message();
    EXPECT_DOUBLE_EQ(s->train.timeout_seconds, seconds);
  }
  for (std::string bad : {"0", "-5s", "soon", "10d", "m", "1e400"}) {
    SCOPED_TRACE(bad);
    EXPECT_THAT(ErrorOf(Head("train:\n  timeout: " + bad + "\n")),
                StartsWith("hone.yaml:5:12: train.timeout must be a duration > 0"));
  }
}

TEST(SpecTest, CommandTrainer) {
  auto s = Parse(Head("train:\n  command: python3 train.py --out $HONE_MODEL\n  timeout: 90s\n"));
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->train.command, "python3 train.py --out $HONE_MODEL");
  EXPECT_DOUBLE_EQ(s->train.timeout_seconds, 90);
  EXPECT_EQ(s->ToJson()["train"]["model"], "");
}

// A threshold string is read by gate::ParseThreshold; the spec keeps it trimmed as its text.
TEST(SpecTest, GateThresholdForms) {
  using Op = gate::MetricGate::Op;
  struct Case {
    std::string yaml;
    std::string metric;
    Op op;
    double threshold;
    std::string text;
  };
  for (const Case& c : std::vector<Case>{
           {"r2>=0.8", "r2", Op::kGe, 0.8, "r2>=0.8"},
           {"'  f1  >  +0.5 '", "f1", Op::kGt, 0.5, "f1  >  +0.5"},
           {"\"cv_rmse\\t<= 3\"", "cv_rmse", Op::kLe, 3, "cv_rmse\t<= 3"},
           {"model_bytes < 1e6", "model_bytes", Op::kLt, 1e6, "model_bytes < 1e6"},
           {"r2 >= -0.5", "r2", Op::kGe, -0.5, "r2 >= -0.5"},
       }) {
    SCOPED_TRACE(c.yaml);
    auto s = Parse(Head("gates:\n  - " + c.yaml + "\n"));
    ASSERT_TRUE(s) << s.error().message();
    ASSERT_EQ(s->gates.size(), 1u);
    const gate::MetricGate& g = s->gates[0];
    EXPECT_EQ(g.kind, gate::MetricGate::Kind::kAbsolute);
    EXPECT_EQ(g.metric, c.metric);
    EXPECT_EQ(g.op, c.op);
    EXPECT_DOUBLE_EQ(g.threshold, c.threshold);
    EXPECT_EQ(g.text, c.text);
    EXPECT_EQ(g.where, "hone.yaml:5");
    EXPECT_EQ(g.severity, gate::Severity::kError);
  }
}

class SpecFileTest : public core::testing::TempDirTest {};

TEST_F(SpecFileTest, LoadSpecReadsTheFile) {
  const auto file = dir_ / "hone.yaml";
  std::ofstream(file) << kFull;
  auto s = LoadSpec(file);
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->dir, dir_);
  EXPECT_EQ(s->checks[0].where, file.string() + ":12");

  std::ofstream(file) << "model: m\n";
  auto bad = LoadSpec(file);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(), file.string() + ":1:1: missing required key 'data'");

  auto missing = LoadSpec(dir_ / "nope.yaml");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  EXPECT_THAT(missing.error().message(), HasSubstr((dir_ / "nope.yaml").string()));
}

// The ```yaml blocks of a Markdown file, in order.
std::vector<std::string> YamlBlocks(const std::string& markdown) {
  std::vector<std::string> blocks;
  std::istringstream in(markdown);
  std::string line, block;
  bool inside = false;
  while (std::getline(in, line)) {
    if (!inside && line == "```yaml") {
      inside = true;
      block.clear();
    } else if (inside && line == "```") {
      inside = false;
      blocks.push_back(block);
    } else if (inside) {
      block += line + "\n";
    }
  }
  return blocks;
}

TEST(SpecDocsTest, TheReferenceExamplesParse) {
  std::ifstream in(HONE_SOURCE_DIR "/docs/hone-yaml.md");
  ASSERT_TRUE(in) << "docs/hone-yaml.md is missing";
  std::stringstream text;
  text << in.rdbuf();
  const std::vector<std::string> blocks = YamlBlocks(text.str());
  ASSERT_GE(blocks.size(), 2u);

  auto complete = ParseSpec(blocks[0], "hone.yaml");
  ASSERT_TRUE(complete) << complete.error().message() << "\n" << blocks[0];
  EXPECT_EQ(complete->model, "house_prices");
  EXPECT_EQ(complete->checks.size(), 8u);
  EXPECT_EQ(complete->gates.size(), 4u);
  ASSERT_TRUE(complete->search);
  EXPECT_EQ(complete->search->space.size(), 2u);

  auto minimal = ParseSpec(blocks[1], "hone.yaml");
  ASSERT_TRUE(minimal) << minimal.error().message() << "\n" << blocks[1];
  EXPECT_EQ(minimal->model, "churn");
}

}  // namespace
}  // namespace hone::pipeline
