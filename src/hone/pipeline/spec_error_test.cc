// hone.yaml's errors: every mistake a user can make in a spec is one line, FILE:LINE:COL and a
// message naming the key path and what was expected.
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hone/pipeline/spec.h"
#include "hone/pipeline/spec_test_util.h"

namespace hone::pipeline {
namespace {

using testing::ErrorCase;
using testing::ErrorOf;
using testing::ExpectErrors;
using ::testing::HasSubstr;
using testing::Head;
using testing::Parse;
using ::testing::Not;
using ::testing::StartsWith;

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

}  // namespace
}  // namespace hone::pipeline
