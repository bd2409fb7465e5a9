#include "hone/pipeline/spec.h"

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hone/core/test_temp_dir.h"

namespace hone::pipeline {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

Result<Spec> Parse(std::string_view text) { return ParseSpec(text, "hone.yaml"); }

// The error message of a spec that must not parse.
std::string ErrorOf(std::string_view text) {
  auto spec = Parse(text);
  if (spec) {
    ADD_FAILURE() << "parsed, but should not have:\n" << text;
    return "";
  }
  EXPECT_EQ(spec.error().code(), ErrorCode::kInvalidArgument) << spec.error().message();
  return spec.error().message();
}

// The three required keys, on lines 1-3; cases below add from line 4 on.
constexpr std::string_view kHead = "model: m\ndata: {path: d.csv}\ntarget: y\n";

std::string Head(std::string_view rest) { return std::string(kHead) + std::string(rest); }

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

// An error case: the YAML, the exact "FILE:LINE:COL: " prefix and message fragments.
struct ErrorCase {
  std::string yaml;
  std::string where;
  std::vector<std::string> fragments;
};

void ExpectErrors(const std::vector<ErrorCase>& cases) {
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.yaml);
    const std::string message = ErrorOf(c.yaml);
    EXPECT_THAT(message, StartsWith(c.where + ": "));
    for (const std::string& fragment : c.fragments) EXPECT_THAT(message, HasSubstr(fragment));
  }
}

TEST(SpecErrorTest, UnknownAndMissingKeys) {
  ExpectErrors({
      {"model: m\ndata: {path: d.csv}\ntargte: y\n",
       "hone.yaml:3:1",
       {"unknown key 'targte' at the top level; valid keys: model, data, target, task, ignore, "
        "split, test_size, seed, checks, train, search, evaluate, gates, bootstrap, promote, "
        "executor"}},
      {"model: m\ndata: {path: d.csv}\n", "hone.yaml:1:1", {"missing required key 'target'"}},
      {"# leading comment\ndata: {path: d.csv}\ntarget: y\n",
       "hone.yaml:2:1",
       {"missing required key 'model'"}},
      {"model: m\ndata:\n  pth: d.csv\ntarget: y\n",
       "hone.yaml:3:3",
       {"unknown key 'pth' in data; valid keys: path, glob, sql, snapshot"}},
      {"model: m\ndata:\n  sql: {query: SELECT 1}\ntarget: y\n",
       "hone.yaml:3:8",
       {"missing required key 'url' in data.sql"}},
      {Head("search:\n  trails: 3\n"),
       "hone.yaml:5:3",
       {"unknown key 'trails' in search; valid keys: method, trials, folds, metric, parallel, "
        "space, seed"}},
      {Head("checks:\n  - nulls: {maxx: 0.1}\n"),
       "hone.yaml:5:13",
       {"unknown key 'maxx' in checks[0].nulls; valid keys: severity, column, columns, max"}},
      {Head("gates:\n  - rmse: {no_worse: champion}\n"),
       "hone.yaml:5:12",
       {"unknown key 'no_worse' in gates[0].rmse; valid keys: no_worse_than, better_than"}},
      {Head("[a, b]: 1\n"), "hone.yaml:4:1", {"keys must be plain strings, got a list"}},
  });
}

TEST(SpecErrorTest, DuplicateKeys) {
  ExpectErrors({
      {Head("model: n\n"),
       "hone.yaml:4:1",
       {"duplicate key 'model' at the top level (first at hone.yaml:1:1)"}},
      {"model: m\ndata:\n  path: a.csv\n  path: b.csv\ntarget: y\n",
       "hone.yaml:4:3",
       {"duplicate key 'path' in data (first at hone.yaml:3:3)"}},
      {Head("train: {params: {max_depth: 3, max_depth: 4}}\n"),
       "hone.yaml:4:32",
       {"duplicate key 'max_depth' in train.params"}},
      {Head("search:\n  space:\n    max_depth: [1]\n    max_depth: [2]\n"),
       "hone.yaml:7:5",
       {"duplicate key 'max_depth' in search.space"}},
  });
}

TEST(SpecErrorTest, WrongNodeTypes) {
  ExpectErrors({
      {Head("checks:\n  nulls: {max: 0.1}\n"),
       "hone.yaml:5:3",
       {"checks must be a list, got a map"}},
      {"model: m\ndata: [a.csv]\ntarget: y\n",
       "hone.yaml:2:7",
       {"data must be a map of keys (path, glob, sql, snapshot), got a list"}},
      {Head("ignore: {a: 1}\n"),
       "hone.yaml:4:9",
       {"ignore must be a string or a list of strings, got a map"}},
      {"model: m\ndata: {path: d.csv}\ntarget:\n",
       "hone.yaml:3:1",
       {"target must be a string, got nothing"}},
      {Head("evaluate:\n  slices: [{a: 1}]\n"),
       "hone.yaml:5:12",
       {"evaluate.slices[0] must be a string, got a map"}},
      {Head("ignore: [id, '']\n"), "hone.yaml:4:14", {"ignore[1] must not be empty"}},
      {Head("train:\n  params: {max_depth: [3, 4]}\n"),
       "hone.yaml:5:23",
       {"train.params.max_depth must be a single value, got a list"}},
      {Head("train:\n  params: [max_depth=3]\n"),
       "hone.yaml:5:11",
       {"train.params must be a map of parameter: value, got a list"}},
      {Head("gates: r2 >= 0.8\n"), "hone.yaml:4:8", {"gates must be a list, got 'r2 >= 0.8'"}},
      {Head("gates:\n  - [r2, 0.8]\n"),
       "hone.yaml:5:5",
       {"gates[0] must be 'METRIC OP NUMBER' or a one-key map METRIC: {options}, got a list"}},
      {Head("gates:\n  - r2:\n"),
       "hone.yaml:5:5",
       {"gates[0].r2 must be a map of keys (no_worse_than, better_than, margin, "
        "relative_margin, min, max, severity), got nothing"}},
      {Head("promote: [a]\n"),
       "hone.yaml:4:10",
       {"promote must be true, false, an alias or a map {alias, enabled}, got a list"}},
      {Head("data2: 1\n"), "hone.yaml:4:1", {"unknown key 'data2'"}},
      {Head("search:\n  space: [max_depth]\n"),
       "hone.yaml:5:10",
       {"search.space must be a map of parameter: [choices] or {min, max}, got a list"}},
      {Head("search:\n  space:\n    max_depth: 4\n"),
       "hone.yaml:6:16",
       {"search.space.max_depth must be a list of choices or a range {min, max, log, integer}, "
        "got '4'"}},
      {Head("data: {snapshot: maybe}\n"), "hone.yaml:4:1", {"duplicate key 'data'"}},
      {"model: m\ndata: {path: d.csv, snapshot: maybe}\ntarget: y\n",
       "hone.yaml:2:31",
       {"data.snapshot must be true or false, got 'maybe'"}},
      {"model: m\ndata: {path: d.csv, snapshot: 'true'}\ntarget: y\n",
       "hone.yaml:2:31",
       {"data.snapshot must be true or false, got 'true'"}},
  });
}

TEST(SpecErrorTest, ChoicesAndNames) {
  ExpectErrors({
      {"model: house prices\ndata: {path: d.csv}\ntarget: y\n",
       "hone.yaml:1:8",
       {"model must be a name of 1-128 letters, digits, '_', '-' or '.'", "'house prices'"}},
      {Head("task: regresion\n"),
       "hone.yaml:4:7",
       {"task: unknown task 'regresion'; known: auto, regression, classification"}},
      {Head("split: chrono\n"),
       "hone.yaml:4:8",
       {"split: unknown split 'chrono'; use random, stratified or time:COLUMN"}},
      {Head("split: {method: shuffle}\n"),
       "hone.yaml:4:17",
       {"split.method: unknown method 'shuffle'; valid methods: random, stratified, time"}},
      {Head("split: {method: time}\n"), "hone.yaml:4:17", {"split.method time needs split.column"}},
      {Head("split: {method: random, column: t}\n"),
       "hone.yaml:4:25",
       {"split.column applies only to split.method time"}},
      {Head("executor: kubernetes\n"),
       "hone.yaml:4:11",
       {"executor: unknown executor 'kubernetes'; valid executors: local, slurm"}},
      {Head("executor: {slurm: {cpus: 0}}\n"),
       "hone.yaml:4:26",
       {"executor.slurm.cpus must be a whole number in [1, 4096], got '0'"}},
      {Head("executor: {slurm: {search: {memory: 4GB}}}\n"),
       "hone.yaml:4:37",
       {"executor.slurm.search.memory must be Slurm's --mem", "'4GB'"}},
      {Head("executor: {slurm: {train: {gpus: 1}}}\n"),
       "hone.yaml:4:28",
       {"unknown key 'gpus'", "partition, time, cpus, memory, max_running"}},
      {Head("executor: {kubernetes: {}}\n"), "hone.yaml:4:12", {"unknown key 'kubernetes'"}},
      {Head("executor: {slurm: {time: 1e300}}\n"),
       "hone.yaml:4:26",
       {"executor.slurm.time must be a duration > 0 and at most 366 days", "'1e300'"}},
      {Head("executor: {slurm: {poll: 2h}}\n"),
       "hone.yaml:4:26",
       {"executor.slurm.poll must be a duration > 0 and at most 1h"}},
      {Head("promote: 'prod/x'\n"), "hone.yaml:4:10", {"promote must be a name", "'prod/x'"}},
      {Head("promote: {alias: 'a@b'}\n"), "hone.yaml:4:18", {"promote.alias must be a name"}},
      {Head("train: {model: xgb}\n"),
       "hone.yaml:4:16",
       {"train.model: unknown model 'xgb'; known: ", "gbdt"}},
      {Head("train: {model: gbdt, command: x}\n"),
       "hone.yaml:4:22",
       {"train: give only one of model, command"}},
      {Head("train:\n  model: gbdt\n  params: {max_dept: 6}\n"),
       "hone.yaml:6:12",
       {"train.params.max_dept: unknown parameter 'max_dept' for gbdt; valid: ", "max_depth"}},
      {Head("train:\n  model: gbdt\n  params: {max_depth: deep}\n"),
       "hone.yaml:6:23",
       {"train.params.max_depth: parameter 'max_depth' of gbdt: 'deep'"}},
      {Head("search:\n  method: annealing\n  space: {max_depth: [2]}\n"),
       "hone.yaml:5:11",
       {"search.method: unknown method 'annealing'; valid methods: grid, random"}},
      {Head("search:\n  metric: p99_latency_us\n  space: {max_depth: [2]}\n"),
       "hone.yaml:5:11",
       {"search.metric: unknown metric 'p99_latency_us'; known: r2, rmse"}},
      {Head("search:\n  space:\n    max_dept: [1]\n"),
       "hone.yaml:6:5",
       {"search.space.max_dept: unknown parameter 'max_dept' for random_forest"}},
      {Head("search:\n  space:\n    max_depth: [4, deep]\n"),
       "hone.yaml:6:20",
       {"search.space.max_depth[1]: parameter 'max_depth' of random_forest: 'deep'"}},
      {Head("train: {model: gbdt}\nsearch:\n  space:\n    grow_policy: {min: 1, max: 2}\n"),
       "hone.yaml:7:18",
       {"search.space.grow_policy: a range needs a numeric parameter"}},
      {Head("train: {model: gbdt}\nsearch:\n  space:\n    max_depth: {min: 2, max: 8}\n"),
       "hone.yaml:7:16",
       {"search.space.max_depth: 'max_depth' takes whole numbers; add integer: true"}},
      {Head("train: {model: gbdt}\nsearch:\n  space:\n    learning_rate: {min: 0.1, max: 2}\n"),
       "hone.yaml:7:36",
       {"search.space.learning_rate.max: parameter 'learning_rate' of gbdt: '2'"}},
      {"model: m\ndata: {path: a.csv, glob: '*.csv'}\ntarget: y\n",
       "hone.yaml:2:21",
       {"data: give only one of path, glob, sql"}},
      {"model: m\ndata: {snapshot: true}\ntarget: y\n",
       "hone.yaml:2:7",
       {"data needs one of path, glob, sql"}},
  });
}

TEST(SpecErrorTest, SqlUrlErrorsHideThePassword) {
  const std::string message =
      ErrorOf("model: m\ndata:\n  sql: {url: 'mysql://u:secret@h/db', query: q}\ntarget: y\n");
  EXPECT_THAT(message, StartsWith("hone.yaml:3:14: data.sql.url has the unknown scheme 'mysql'"));
  EXPECT_THAT(message, HasSubstr("postgresql://"));
  EXPECT_THAT(message, Not(HasSubstr("secret")));
}

TEST(SpecErrorTest, NumbersAndRanges) {
  ExpectErrors({
      {Head("split:\n  test_size: abc\n"),
       "hone.yaml:5:14",
       {"split.test_size must be a number in [0, 1), got 'abc'"}},
      {Head("test_size: 1\n"), "hone.yaml:4:12", {"test_size must be a number in [0, 1), got '1'"}},
      {Head("test_size: 0.3\nsplit:\n  test_size: 0.2\n"),
       "hone.yaml:6:3",
       {"test_size is given both in split and at the top level (hone.yaml:4:1); keep one"}},
      {Head("seed: 1\nsplit: {seed: 2}\n"),
       "hone.yaml:5:9",
       {"seed is given both in split and at the top level (hone.yaml:4:1); keep one"}},
      {Head("seed: -1\n"), "hone.yaml:4:7", {"seed must be a whole number >= 0, got '-1'"}},
      {Head("seed: 4.5\n"), "hone.yaml:4:7", {"seed must be a whole number >= 0, got '4.5'"}},
      {Head("evaluate: {cv: 1}\n"),
       "hone.yaml:4:16",
       {"evaluate.cv must be 0 (none) or an integer >= 2, got '1'"}},
      {Head("evaluate: {latency_rows: -3}\n"),
       "hone.yaml:4:26",
       {"evaluate.latency_rows must be an integer >= 0, got '-3'"}},
      {Head("search:\n  folds: 1\n  space: {max_depth: [2, 3]}\n"),
       "hone.yaml:5:10",
       {"search.folds must be an integer >= 2, got '1'"}},
      {Head("search:\n  trials: 0\n  space: {max_depth: [2, 3]}\n"),
       "hone.yaml:5:11",
       {"search.trials must be an integer >= 1, got '0'"}},
      {Head("search:\n  parallel: all\n  space: {max_depth: [2, 3]}\n"),
       "hone.yaml:5:13",
       {"search.parallel must be an integer >= 0 (0 = one per core), got 'all'"}},
      {Head("search:\n  method: random\n"),
       "hone.yaml:5:3",
       {"missing required key 'space' in search"}},
      {Head("search:\n  space: {}\n"),
       "hone.yaml:5:10",
       {"search.space must name at least one parameter"}},
      {Head("search:\n  space:\n    max_depth: []\n"),
       "hone.yaml:6:16",
       {"search.space.max_depth must list at least one choice"}},
      {Head("search:\n  space:\n    max_samples: {min: 0.3, max: 0.01}\n"),
       "hone.yaml:6:24",
       {"search.space.max_samples: min (0.3) must be less than max (0.01)"}},
      {Head("search:\n  space:\n    max_samples: {min: 0, max: 0.3, log: true}\n"),
       "hone.yaml:6:24",
       {"search.space.max_samples: a log range needs min > 0, got '0'"}},
      {Head("search:\n  space:\n    max_samples: {max: 0.3}\n"),
       "hone.yaml:6:18",
       {"missing required key 'min' in search.space.max_samples"}},
      {Head("search:\n  method: grid\n  space:\n    max_samples: {min: 0.1, max: 0.3}\n"),
       "hone.yaml:7:18",
       {"search.space.max_samples: grid search takes a list of choices, not a range"}},
      {Head("search:\n  method: grid\n  trials: 2\n  space: {max_depth: [2, 3, 4]}\n"),
       "hone.yaml:6:11",
       {"search: the grid has 3 combinations, more than search.trials (2)"}},
      {Head("train: {command: python3 train.py}\nsearch:\n  space: {max_depth: [2]}\n"),
       "hone.yaml:5:1",
       {"search needs a built-in trainer (train.model)"}},
      {Head("train:\n  threads: -1\n"),
       "hone.yaml:5:12",
       {"train.threads must be an integer >= 0 (0 = every core), got '-1'"}},
      {Head("bootstrap:\n  resamples: 50\n"),
       "hone.yaml:5:14",
       {"bootstrap.resamples must be an integer >= 100, got '50'"}},
      {Head("bootstrap:\n  confidence: 1\n"),
       "hone.yaml:5:15",
       {"bootstrap.confidence must be a number in (0, 1), got '1'"}},
      {Head("bootstrap:\n  confidence: .nan\n"),
       "hone.yaml:5:15",
       {"bootstrap.confidence must be a number in (0, 1), got '.nan'"}},
  });
}

TEST(SpecErrorTest, Checks) {
  ExpectErrors({
      {Head("checks:\n  - schema\n  - row_count\n  - nul\n"),
       "hone.yaml:7:5",
       {"checks[2]: unknown check 'nul'; valid checks: schema, row_count, nulls, range, "
        "categories, unique, drift"}},
      {Head("checks:\n  - nul: {max: 1}\n"), "hone.yaml:5:5", {"checks[0]: unknown check 'nul'"}},
      {Head("checks:\n  - range:\n    column: x\n"),
       "hone.yaml:5:5",
       {"checks[0] must be a check kind or a one-key map KIND: {options}, got a map with 2 keys "
        "(range, column); indent a check's options under its kind"}},
      {Head("checks:\n  -\n"), "hone.yaml:5:3", {"checks[0] must be a check kind"}},
      {Head("checks:\n  - range: {min: 0}\n"),
       "hone.yaml:5:12",
       {"checks[0].range needs column or columns"}},
      {Head("checks:\n  - range\n"), "hone.yaml:5:5", {"checks[0].range needs min, max or both"}},
      {Head("checks:\n  - unique\n"),
       "hone.yaml:5:5",
       {"checks[0].unique needs column or columns"}},
      {Head("checks:\n  - categories: {column: c}\n"),
       "hone.yaml:5:17",
       {"checks[0].categories needs allowed"}},
      {Head("checks:\n  - categories: {column: c, allowed: []}\n"),
       "hone.yaml:5:38",
       {"checks[0].categories.allowed must list at least one value"}},
      {Head("checks:\n  - row_count: {min: 10, max: 5}\n"),
       "hone.yaml:5:22",
       {"checks[0].row_count: min (10) is greater than max (5)"}},
      {Head("checks:\n  - row_count: {min: -1}\n"),
       "hone.yaml:5:22",
       {"checks[0].row_count.min must be a number >= 0, got '-1'"}},
      {Head("checks:\n  - nulls: {max: 2}\n"),
       "hone.yaml:5:18",
       {"checks[0].nulls.max must be a fraction in [0, 1], got '2'"}},
      {Head("checks:\n  - drift: {severity: fatal}\n"),
       "hone.yaml:5:23",
       {"checks[0].drift.severity: unknown severity 'fatal'; use error or warn"}},
      {Head("checks:\n  - unique: {column: a, columns: [b]}\n"),
       "hone.yaml:5:25",
       {"checks[0].unique: give only one of column, columns"}},
      {Head("checks:\n  - row_count: {column: a}\n"),
       "hone.yaml:5:17",
       {"unknown key 'column' in checks[0].row_count; valid keys: severity, min, max"}},
  });
}

TEST(SpecErrorTest, Gates) {
  ExpectErrors({
      {Head("gates:\n  - r2 > = x\n"),
       "hone.yaml:5:5",
       {"gates[0]: threshold 'r2 > = x' has no valid number after '>'; write METRIC OP NUMBER, "
        "e.g. 'r2 >= 0.8'"}},
      {Head("gates:\n  - r2 = 0.8\n"),
       "hone.yaml:5:5",
       {"gates[0]: threshold 'r2 = 0.8' has no comparison after 'r2'; write METRIC OP NUMBER"}},
      {Head("gates:\n  - r2 >= 0.8\n  - '>= 0.8'\n"),
       "hone.yaml:6:5",
       {"gates[1]: threshold '>= 0.8' does not start with a metric name"}},
      {Head("gates:\n  - rmsee <= 3\n"),
       "hone.yaml:5:5",
       {"gates[0]: threshold 'rmsee <= 3': unknown metric 'rmsee'; known: ", "rmse"}},
      {Head("gates:\n  - rmsee: {max: 3}\n"),
       "hone.yaml:5:5",
       {"gates[0]: unknown metric 'rmsee'"}},
      {Head("gates:\n  - p99_latency_us: {max: 500, margin: 1}\n"),
       "hone.yaml:5:32",
       {"gates[0].p99_latency_us.margin applies only to no_worse_than and better_than"}},
      {Head("gates:\n  - rmse: {no_worse_than: champion, margin: 1, relative_margin: 0.1}\n"),
       "hone.yaml:5:48",
       {"gates[0].rmse: give only one of margin, relative_margin"}},
      {Head("gates:\n  - rmse: {no_worse_than: champion, margin: -1}\n"),
       "hone.yaml:5:45",
       {"gates[0].rmse.margin must be a number >= 0, got '-1'"}},
      {Head("gates:\n  - rmse: {no_worse_than: prod}\n"),
       "hone.yaml:5:27",
       {"gates[0].rmse.no_worse_than must be 'champion'", "got 'prod'"}},
      {Head("gates:\n  - rmse: {max: 3, min: 1}\n"),
       "hone.yaml:5:20",
       {"gates[0].rmse: give only one of no_worse_than, better_than, min, max"}},
      {Head("gates:\n  - rmse: {severity: warn}\n"),
       "hone.yaml:5:11",
       {"gates[0].rmse needs one of no_worse_than, better_than, min, max"}},
      {Head("gates:\n  - rmse: {max: low}\n"),
       "hone.yaml:5:17",
       {"gates[0].rmse.max must be a number, got 'low'"}},
  });
}

TEST(SpecErrorTest, ThresholdNumbers) {
  ExpectErrors({
      {Head("gates:\n  - r2 >= 1e400\n"),
       "hone.yaml:5:5",
       {"gates[0]: threshold 'r2 >= 1e400' has no valid number after '>='"}},
      {Head("gates:\n  - r2 >= 0.8x\n"), "hone.yaml:5:5", {"has no valid number after '>='"}},
      {Head("gates:\n  - r2 >=\n"), "hone.yaml:5:5", {"has no valid number after '>='"}},
      {Head("gates:\n  - 'r2 >= nan'\n"), "hone.yaml:5:5", {"has no valid number after '>='"}},
      {Head("gates:\n  - x\n"),
       "hone.yaml:5:5",
       {"gates[0]: threshold 'x' has no comparison after 'x'"}},
  });
}

// Parameter maps take any name, but still only plain, distinct keys.
TEST(SpecErrorTest, ParameterKeys) {
  ExpectErrors({
      {Head("train:\n  params: {[a]: 1}\n"),
       "hone.yaml:5:12",
       {"keys must be plain strings, got a list in train.params"}},
      {Head("search:\n  space:\n    {a: 1}: [1]\n"),
       "hone.yaml:6:5",
       {"keys must be plain strings, got a map in search.space"}},
      {Head("train:\n  params: {max_depth: 3, nope: 1}\n"),
       "hone.yaml:5:26",
       {"train.params.nope: unknown parameter 'nope' for random_forest; valid: "}},
  });
}

TEST(SpecErrorTest, SyntaxErrors) {
  // yaml-cpp's own message, at its mark.
  ExpectErrors({
      {Head("ignore: [a, b\n"), "hone.yaml:5:1", {"YAML syntax error: end of sequence flow"}},
      {Head("ignore: a: b\n"), "hone.yaml:4:10", {"YAML syntax error: illegal map value"}},
      // A tab in the indentation: the hint names the line.
      {"model: m\ndata:\n\tpath: d.csv\ntarget: y\n",
       "hone.yaml:3:6",
       {"YAML syntax error", "(line 3 is indented with a tab; YAML indents with spaces only)"}},
      {"model: m\ndata:\n  path: x\n\ttarget: y\n",
       "hone.yaml:4:1",
       {"illegal tab when looking for indentation", "line 4 is indented with a tab"}},
      // yaml-cpp 0.7 lets an unclosed quoted string run to the end of the file.
      {Head("executor: \"local\n"),
       "hone.yaml:4:11",
       {"unterminated quoted string: no closing \" before the end of the file"}},
      {"model: 'm\ndata: {path: d.csv}\ntarget: y\n",
       "hone.yaml:1:8",
       {"unterminated quoted string: no closing ' before the end of the file"}},
  });
  // An alias inside its own anchor makes a cycle in yaml-cpp's node graph.
  EXPECT_THAT(ErrorOf(Head("ignore: &x [*x]\n")), HasSubstr("nested more than 64 levels deep"));
  // Nesting deep enough to exhaust the stack is yaml-cpp's error, not a crash.
  EXPECT_THAT(ErrorOf(Head("ignore: " + std::string(20000, '[') + std::string(20000, ']') + "\n")),
              StartsWith("hone.yaml:"));
  // Closed quotes with escapes inside are fine.
  auto s = Parse(Head("ignore: [\"a\\\"b\", 'it''s']\n"));
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->ignore, (std::vector<std::string>{"a\"b", "it's"}));
}

TEST(SpecErrorTest, EmptyAndNonMapFiles) {
  ExpectErrors({
      {"", "hone.yaml:1:1", {"the file is empty; hone.yaml needs at least model, data and target"}},
      {"# only a comment\n\n", "hone.yaml:1:1", {"the file is empty"}},
      {"---\n", "hone.yaml:1:1", {"the file is empty"}},
      {"- model: m\n- target: y\n",
       "hone.yaml:1:1",
       {"the top level must be a map of keys (model, data, target, ", "got a list"}},
      {"hello\n", "hone.yaml:1:1", {"the top level must be a map", "got 'hello'"}},
      {Head("---\nmodel: n\n"),
       "hone.yaml:5:1",
       {"a second YAML document; hone.yaml holds exactly one"}},
  });
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
