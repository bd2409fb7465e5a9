// hone.yaml → Spec. yaml-cpp builds the node tree (and throws, which this file catches); the
// readers walk it with its marks (spec_reader.h), so that every error points at a line and
// column. The top level, data, split, evaluate and promote are read here; checks, train and
// search, gates and bootstrap in spec_checks.cc, spec_train.cc and spec_gates.cc.
#include "hone/pipeline/spec.h"

#include <algorithm>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "hone/core/file.h"
#include "hone/pipeline/spec_reader.h"
#include "hone/pipeline/spec_sections.h"

namespace hone::pipeline {
namespace spec_internal {
namespace {

constexpr std::string_view kTopKeys[] = {
    "model",   "data",     "target", "task",   "ignore",      "split", "test_size",
    "seed",    "checks",   "train",  "search", "evaluate",    "gates", "bootstrap",
    "promote", "executor", "watch",  "pii",    "pii_key_file"};
constexpr std::string_view kDataKeys[] = {"path", "glob", "sql", "snapshot"};
constexpr std::string_view kSqlKeys[] = {"url", "query"};
constexpr std::string_view kSplitKeys[] = {"method", "column", "test_size", "seed"};
constexpr std::string_view kEvaluateKeys[] = {"cv", "slices", "latency_rows"};
constexpr std::string_view kPromoteKeys[] = {"alias", "enabled"};

Result<DataSourceSpec> ReadData(const Context& cx, const Value& v) {
  HONE_ASSIGN_OR_RETURN(Fields f, Fields::Read(cx, v, kDataKeys));
  constexpr std::string_view kSources[] = {"path", "glob", "sql"};
  HONE_ASSIGN_OR_RETURN(const Value* source, OneOf(cx, f, kSources));
  if (source == nullptr) return cx.Fail(v, "data needs one of path, glob, sql");
  DataSourceSpec data;
  if (source->path == "data.sql") {
    data.kind = DataSourceSpec::Kind::kSql;
    HONE_ASSIGN_OR_RETURN(Fields sql, Fields::Read(cx, *source, kSqlKeys));
    HONE_ASSIGN_OR_RETURN(const Value* url, sql.Require(cx, "url"));
    HONE_ASSIGN_OR_RETURN(const Value* query, sql.Require(cx, "query"));
    HONE_ASSIGN_OR_RETURN(data.url, NonEmptyText(cx, *url));
    HONE_ASSIGN_OR_RETURN(data.query, NonEmptyText(cx, *query));
    const bool sqlite = data.url.starts_with("sqlite:") && data.url.size() > 7;
    if (!sqlite && !data.url.starts_with("postgresql://") && !data.url.starts_with("postgres://")) {
      // The URL may hold a password: name only its scheme.
      const size_t colon = data.url.find(':');
      return cx.Fail(*url, "data.sql.url has the unknown scheme '" +
                               data.url.substr(0, std::min(colon, size_t{20})) +
                               "'; use sqlite:RELATIVE.db, sqlite:///ABSOLUTE.db or "
                               "postgresql://USER@HOST/DB");
    }
  } else {
    data.kind =
        source->path == "data.glob" ? DataSourceSpec::Kind::kGlob : DataSourceSpec::Kind::kFile;
    HONE_ASSIGN_OR_RETURN(data.path, NonEmptyText(cx, *source));
  }
  if (const Value* s = f.Find("snapshot")) {
    HONE_ASSIGN_OR_RETURN(data.snapshot, Bool(cx, *s));
  }
  return data;
}

// `split` as a string or a map, and the top-level test_size and seed, which the map may hold.
Result<void> ReadSplit(const Context& cx, const Fields& top, Spec* spec) {
  const Value* test_size = top.Find("test_size");
  const Value* seed = top.Find("seed");
  Fields f;  // the split map's, which test_size and seed may point into
  if (const Value* split = top.Find("split")) {
    if (split->node.IsScalar()) {
      HONE_ASSIGN_OR_RETURN(std::string text, Text(cx, *split));
      auto parsed = learn::ParseSplitSpec(text);
      if (!parsed) return cx.Fail(*split, "split: " + parsed.error().message());
      spec->split = *parsed;
    } else {
      HONE_ASSIGN_OR_RETURN(f, Fields::Read(cx, *split, kSplitKeys));
      std::string method = "random";
      if (const Value* m = f.Find("method")) {
        HONE_ASSIGN_OR_RETURN(method, Text(cx, *m));
      }
      const Value* column = f.Find("column");
      if (method == "time") {
        if (column == nullptr) {
          return cx.Fail(*f.Find("method"),
                         "split.method time needs split.column, the column "
                         "that orders the rows");
        }
        spec->split.kind = learn::SplitSpec::Kind::kTime;
        HONE_ASSIGN_OR_RETURN(spec->split.time_column, NonEmptyText(cx, *column));
      } else if (method == "random" || method == "stratified") {
        spec->split.kind = method == "random" ? learn::SplitSpec::Kind::kRandom
                                              : learn::SplitSpec::Kind::kStratified;
        if (column != nullptr) {
          return cx.Fail(column->key, "split.column applies only to split.method time");
        }
      } else {
        return cx.Fail(*f.Find("method"), "split.method: unknown method '" + method +
                                              "'; valid methods: random, stratified, time");
      }
      const std::pair<const char*, const Value**> shared[] = {{"test_size", &test_size},
                                                              {"seed", &seed}};
      for (auto [key, top_value] : shared) {
        const Value* inner = f.Find(key);
        if (inner == nullptr) continue;
        if (*top_value != nullptr) {
          return cx.Fail(inner->key, std::string(key) +
                                         " is given both in split and at the "
                                         "top level (" +
                                         cx.LineColumn((*top_value)->key) + "); keep one");
        }
        *top_value = inner;
      }
    }
  }
  if (test_size != nullptr) {
    HONE_ASSIGN_OR_RETURN(spec->test_size, Number(cx, *test_size, "a number in [0, 1)",
                                                  [](double x) { return x >= 0 && x < 1; }));
  }
  if (seed != nullptr) {
    HONE_ASSIGN_OR_RETURN(spec->seed, Seed(cx, *seed));
  }
  return {};
}

Result<EvaluateSpec> ReadEvaluate(const Context& cx, const Value& v) {
  HONE_ASSIGN_OR_RETURN(Fields f, Fields::Read(cx, v, kEvaluateKeys));
  EvaluateSpec evaluate;
  if (const Value* cv = f.Find("cv")) {
    HONE_ASSIGN_OR_RETURN(evaluate.cv, Integer<int>(cx, *cv, "0 (none) or an integer >= 2",
                                                    [](int n) { return n == 0 || n >= 2; }));
  }
  if (const Value* s = f.Find("slices")) {
    HONE_ASSIGN_OR_RETURN(evaluate.slices, Strings(cx, *s, /*single=*/true));
  }
  if (const Value* n = f.Find("latency_rows")) {
    HONE_ASSIGN_OR_RETURN(evaluate.latency_rows,
                          Integer<size_t>(cx, *n, "an integer >= 0", [](size_t) { return true; }));
  }
  return evaluate;
}

Result<PromoteSpec> ReadPromote(const Context& cx, const Value& v) {
  PromoteSpec promote;
  if (v.node.IsScalar()) {
    bool enabled = false;
    if (v.node.Tag() != "!" && YAML::convert<bool>::decode(v.node, enabled)) {
      promote.enabled = enabled;
    } else {
      HONE_ASSIGN_OR_RETURN(promote.alias, Name(cx, v));
    }
    return promote;
  }
  if (!v.node.IsMap()) {
    return cx.Fail(v, "promote must be true, false, an alias or a map {alias, enabled}, got " +
                          Describe(v.node));
  }
  HONE_ASSIGN_OR_RETURN(Fields f, Fields::Read(cx, v, kPromoteKeys));
  if (const Value* a = f.Find("alias")) {
    HONE_ASSIGN_OR_RETURN(promote.alias, Name(cx, *a));
  }
  if (const Value* e = f.Find("enabled")) {
    HONE_ASSIGN_OR_RETURN(promote.enabled, Bool(cx, *e));
  }
  return promote;
}

Result<Spec> ReadSpec(const Context& cx, const YAML::Node& root, Spec spec) {
  HONE_ASSIGN_OR_RETURN(Fields top, Fields::Read(cx, cx.Item(root, ""), kTopKeys));
  HONE_ASSIGN_OR_RETURN(const Value* model, top.Require(cx, "model"));
  HONE_ASSIGN_OR_RETURN(const Value* data, top.Require(cx, "data"));
  HONE_ASSIGN_OR_RETURN(const Value* target, top.Require(cx, "target"));
  HONE_ASSIGN_OR_RETURN(spec.model, Name(cx, *model));
  HONE_ASSIGN_OR_RETURN(spec.data, ReadData(cx, *data));
  HONE_ASSIGN_OR_RETURN(spec.target, NonEmptyText(cx, *target));
  if (const Value* t = top.Find("task")) {
    HONE_ASSIGN_OR_RETURN(std::string text, Text(cx, *t));
    auto task = learn::ParseTaskRequest(text);
    if (!task) return cx.Fail(*t, "task: " + task.error().message());
    spec.task = *task;
  }
  if (const Value* i = top.Find("ignore")) {
    HONE_ASSIGN_OR_RETURN(spec.ignore, Strings(cx, *i, /*single=*/true));
  }
  if (const Value* p = top.Find("pii")) HONE_TRY(ReadPii(cx, *p, spec));
  if (const Value* k = top.Find("pii_key_file")) {
    HONE_ASSIGN_OR_RETURN(spec.pii_key_file, NonEmptyText(cx, *k));
  }
  HONE_TRY(ReadSplit(cx, top, &spec));
  if (const Value* c = top.Find("checks")) {
    HONE_ASSIGN_OR_RETURN(spec.checks, ReadChecks(cx, *c));
  }
  if (const Value* t = top.Find("train")) {
    HONE_ASSIGN_OR_RETURN(spec.train, ReadTrain(cx, *t));
  }
  if (const Value* s = top.Find("search")) {
    HONE_ASSIGN_OR_RETURN(spec.search, ReadSearch(cx, *s, spec.train, spec.seed));
  }
  if (const Value* e = top.Find("evaluate")) {
    HONE_ASSIGN_OR_RETURN(spec.evaluate, ReadEvaluate(cx, *e));
  }
  if (const Value* g = top.Find("gates")) {
    HONE_ASSIGN_OR_RETURN(spec.gates, ReadGates(cx, *g));
  }
  spec.bootstrap.seed = spec.seed;
  if (const Value* b = top.Find("bootstrap")) {
    HONE_ASSIGN_OR_RETURN(spec.bootstrap, ReadBootstrap(cx, *b, spec.seed));
  }
  if (const Value* p = top.Find("promote")) {
    HONE_ASSIGN_OR_RETURN(spec.promote, ReadPromote(cx, *p));
  }
  if (const Value* w = top.Find("watch")) {
    HONE_ASSIGN_OR_RETURN(spec.watch, ReadWatch(cx, *w));
  }
  if (const Value* e = top.Find("executor")) HONE_TRY(ReadExecutor(cx, *e, spec));
  HONE_TRY(CheckPii(cx, top, spec));
  return spec;
}

}  // namespace
}  // namespace spec_internal

Result<Spec> ParseSpec(std::string_view text, const std::filesystem::path& file) {
  const spec_internal::Context cx(text, file.string());
  Spec spec;
  spec.file = file;
  spec.dir = file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
  try {
    const std::vector<YAML::Node> docs = YAML::LoadAll(std::string(text));
    if (docs.empty() || docs[0].IsNull()) {
      return cx.Fail(YAML::Mark::null_mark(),
                     "the file is empty; hone.yaml needs at least model, data and target");
    }
    if (docs.size() > 1) {
      return cx.Fail(docs[1].Mark(), "a second YAML document; hone.yaml holds exactly one");
    }
    HONE_TRY(cx.CheckQuotes(docs[0]));
    return spec_internal::ReadSpec(cx, docs[0], std::move(spec));
  } catch (const YAML::Exception& e) {
    std::string message = "YAML syntax error: " + e.msg;
    if (int line = cx.FirstTabIndentedLine(); line > 0) {
      message += " (line " + std::to_string(line) +
                 " is indented with a tab; YAML indents with spaces only)";
    }
    return cx.Fail(e.mark, message);
  } catch (const std::exception& e) {
    return Fail(ErrorCode::kInternal, file.string() + ": reading YAML failed: " + e.what());
  }
}

Result<Spec> LoadSpec(const std::filesystem::path& file) {
  HONE_ASSIGN_OR_RETURN(std::string text, core::ReadFile(file));
  return ParseSpec(text, file);
}

}  // namespace hone::pipeline
