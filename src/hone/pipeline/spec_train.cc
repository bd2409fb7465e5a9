// hone.yaml's `train:` and `search:` sections: the trainer, its parameters checked against the
// trainer's own parameter table, and the search space over them.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hone/learn/model.h"
#include "hone/learn/params.h"
#include "hone/pipeline/spec_sections.h"

namespace hone::pipeline::spec_internal {
namespace {

constexpr std::string_view kTrainKeys[] = {"model", "params", "threads", "command", "timeout"};
constexpr std::string_view kSearchKeys[] = {"method",   "trials", "folds", "metric",
                                            "parallel", "space",  "seed"};
constexpr std::string_view kRangeKeys[] = {"min", "max", "log", "integer"};

// Metrics a model is scored on (learn::RegressionMetrics, learn::ClassificationMetrics): what a
// search may pick its best trial by. Not gate::HigherIsBetter's list: that one also takes
// latency, size and train time, and cv_<metric>, which no search trial is scored on.
constexpr std::string_view kScoreMetrics[] = {"r2",
                                              "rmse",
                                              "mae",
                                              "mape",
                                              "accuracy",
                                              "precision",
                                              "recall",
                                              "f1",
                                              "precision_macro",
                                              "recall_macro",
                                              "f1_macro",
                                              "precision_weighted",
                                              "recall_weighted",
                                              "f1_weighted",
                                              "roc_auc",
                                              "log_loss"};

// An unknown parameter name is an error at its key, listing the trainer's parameters.
Result<void> CheckParamName(const Context& cx, const learn::Trainer& trainer,
                            std::string_view param, const Value& v) {
  if (trainer.params().Find(param) != nullptr) return {};
  auto resolved = trainer.params().Resolve({{std::string(param), ""}});
  return cx.Fail(v.key,
                 v.path + ": " + (resolved ? "unknown parameter" : resolved.error().message()));
}

// A value the parameter does not take is an error at the value, giving its type and range.
Result<void> CheckParamValue(const Context& cx, const learn::Trainer& trainer,
                             std::string_view param, std::string_view text, const Value& v) {
  auto resolved = trainer.params().Resolve({{std::string(param), std::string(text)}});
  if (resolved) return {};
  return cx.Fail(v, v.path + ": " + resolved.error().message());
}

Result<learn::SearchDimension> ReadDimension(const Context& cx, const Value& v,
                                             std::string_view param,
                                             const learn::Trainer* trainer) {
  learn::SearchDimension dim;
  dim.param = std::string(param);
  dim.where = cx.LineColumn(v.key);
  if (trainer != nullptr) HONE_TRY(CheckParamName(cx, *trainer, param, v));
  if (v.node.IsSequence()) {
    if (v.node.size() == 0) return cx.Fail(v, v.path + " must list at least one choice");
    for (size_t i = 0; i < v.node.size(); ++i) {
      const Value choice = cx.Item(v.node[i], v.path + "[" + std::to_string(i) + "]");
      if (!choice.node.IsScalar()) {
        return cx.Fail(choice,
                       choice.path + " must be a single value, got " + Describe(choice.node));
      }
      HONE_ASSIGN_OR_RETURN(std::string text, Text(cx, choice));
      if (trainer != nullptr) HONE_TRY(CheckParamValue(cx, *trainer, param, text, choice));
      dim.choices.push_back(std::move(text));
    }
    return dim;
  }
  if (!v.node.IsMap()) {
    return cx.Fail(v, v.path +
                          " must be a list of choices or a range {min, max, log, integer}, "
                          "got " +
                          Describe(v.node));
  }
  HONE_ASSIGN_OR_RETURN(Fields f, Fields::Read(cx, v, kRangeKeys));
  HONE_ASSIGN_OR_RETURN(const Value* min, f.Require(cx, "min"));
  HONE_ASSIGN_OR_RETURN(const Value* max, f.Require(cx, "max"));
  auto any = [](double) { return true; };
  HONE_ASSIGN_OR_RETURN(dim.low, Number(cx, *min, "a number", any));
  HONE_ASSIGN_OR_RETURN(dim.high, Number(cx, *max, "a number", any));
  if (const Value* b = f.Find("log")) {
    HONE_ASSIGN_OR_RETURN(dim.log, Bool(cx, *b));
  }
  if (const Value* b = f.Find("integer")) {
    HONE_ASSIGN_OR_RETURN(dim.integer, Bool(cx, *b));
  }
  if (!(*dim.low < *dim.high)) {
    return cx.Fail(*min, v.path + ": min (" + min->node.Scalar() + ") must be less than max (" +
                             max->node.Scalar() + ")");
  }
  if (dim.log && *dim.low <= 0) {
    return cx.Fail(*min, v.path + ": a log range needs min > 0, got " + Describe(min->node));
  }
  if (trainer != nullptr) {
    const learn::ParamSpec* spec = trainer->params().Find(param);
    if (spec->type != learn::ParamType::kInt && spec->type != learn::ParamType::kFloat) {
      return cx.Fail(v, v.path + ": a range needs a numeric parameter; '" + spec->name + "' of " +
                            std::string(trainer->name()) + " is " +
                            learn::ParamTypeName(spec->type) + "; list its choices instead");
    }
    if (spec->type == learn::ParamType::kInt && !dim.integer) {
      return cx.Fail(v, v.path + ": '" + spec->name + "' takes whole numbers; add integer: true");
    }
    HONE_TRY(CheckParamValue(cx, *trainer, param, Trim(min->node.Scalar()), *min));
    HONE_TRY(CheckParamValue(cx, *trainer, param, Trim(max->node.Scalar()), *max));
  }
  return dim;
}

}  // namespace

Result<TrainSpec> ReadTrain(const Context& cx, const Value& v) {
  HONE_ASSIGN_OR_RETURN(Fields f, Fields::Read(cx, v, kTrainKeys));
  constexpr std::string_view kHow[] = {"model", "command"};
  HONE_ASSIGN_OR_RETURN(const Value* how, OneOf(cx, f, kHow));
  TrainSpec train;
  const learn::Trainer* trainer = nullptr;
  if (how != nullptr && how->path == "train.command") {
    HONE_ASSIGN_OR_RETURN(train.command, NonEmptyText(cx, *how));
  } else {
    if (how != nullptr) {
      HONE_ASSIGN_OR_RETURN(train.model, Text(cx, *how));
    }
    auto found = learn::FindTrainer(train.model);
    if (!found) return cx.Fail(how ? *how : v, "train.model: " + found.error().message());
    trainer = *found;
  }
  if (const Value* params = f.Find("params")) {
    if (!params->node.IsMap()) {
      return cx.Fail(
          *params, "train.params must be a map of parameter: value, got " + Describe(params->node));
    }
    HONE_ASSIGN_OR_RETURN(Fields p, Fields::ReadAnyKeys(cx, *params));
    for (const auto& [name, value] : p.entries()) {
      if (!value.node.IsScalar()) {
        return cx.Fail(value, value.path + " must be a single value, got " + Describe(value.node));
      }
      HONE_ASSIGN_OR_RETURN(std::string text, Text(cx, value));
      if (trainer != nullptr) {
        HONE_TRY(CheckParamName(cx, *trainer, name, value));
        HONE_TRY(CheckParamValue(cx, *trainer, name, text, value));
      }
      train.params.emplace_back(name, std::move(text));
    }
  }
  if (const Value* t = f.Find("threads")) {
    HONE_ASSIGN_OR_RETURN(train.threads, Integer<unsigned>(cx, *t,
                                                           "an integer >= 0 (0 = every "
                                                           "core)",
                                                           [](unsigned) { return true; }));
  }
  if (const Value* t = f.Find("timeout")) {
    std::optional<double> seconds;
    if (t->node.IsScalar()) {
      seconds = ToSeconds(Trim(t->node.Scalar()));
    }
    if (!seconds) {
      return cx.Fail(*t,
                     "train.timeout must be a duration > 0: seconds, or a number followed "
                     "by s, m or h ('90s', '10m', '2h'), got " +
                         Describe(t->node));
    }
    train.timeout_seconds = *seconds;
  }
  return train;
}

Result<learn::SearchRequest> ReadSearch(const Context& cx, const Value& v, const TrainSpec& train,
                                        uint64_t seed) {
  HONE_ASSIGN_OR_RETURN(Fields f, Fields::Read(cx, v, kSearchKeys));
  if (!train.command.empty()) {
    return cx.Fail(v.key,
                   "search needs a built-in trainer (train.model); a train.command "
                   "cannot be searched");
  }
  learn::SearchRequest search;
  search.seed = seed;
  search.trials = 0;
  if (const Value* m = f.Find("method")) {
    HONE_ASSIGN_OR_RETURN(std::string method, Text(cx, *m));
    if (method != "grid" && method != "random") {
      return cx.Fail(*m,
                     "search.method: unknown method '" + method + "'; valid methods: grid, random");
    }
    search.method = method == "grid" ? learn::SearchMethod::kGrid : learn::SearchMethod::kRandom;
  }
  if (const Value* t = f.Find("trials")) {
    HONE_ASSIGN_OR_RETURN(search.trials, Count(cx, *t, 1));
  } else if (search.method == learn::SearchMethod::kRandom) {
    search.trials = 10;
  }
  if (const Value* n = f.Find("folds")) {
    HONE_ASSIGN_OR_RETURN(search.folds, Count(cx, *n, 2));
  }
  if (const Value* m = f.Find("metric")) {
    HONE_ASSIGN_OR_RETURN(search.metric, Text(cx, *m));
    if (!Contains(kScoreMetrics, search.metric)) {
      return cx.Fail(*m, "search.metric: unknown metric '" + search.metric +
                             "'; known: " + Join(kScoreMetrics));
    }
  }
  if (const Value* p = f.Find("parallel")) {
    HONE_ASSIGN_OR_RETURN(search.parallel,
                          Integer<unsigned>(cx, *p, "an integer >= 0 (0 = one per core)",
                                            [](unsigned) { return true; }));
  }
  if (const Value* s = f.Find("seed")) {
    HONE_ASSIGN_OR_RETURN(search.seed, Seed(cx, *s));
  }
  HONE_ASSIGN_OR_RETURN(const Value* space, f.Require(cx, "space"));
  if (!space->node.IsMap()) {
    return cx.Fail(*space,
                   "search.space must be a map of parameter: [choices] or {min, max}, "
                   "got " +
                       Describe(space->node));
  }
  if (space->node.size() == 0) {
    return cx.Fail(*space, "search.space must name at least one parameter");
  }
  HONE_ASSIGN_OR_RETURN(Fields dims, Fields::ReadAnyKeys(cx, *space));
  auto trainer = learn::FindTrainer(train.model);
  double grid = 1;
  for (const auto& [param, value] : dims.entries()) {
    HONE_ASSIGN_OR_RETURN(learn::SearchDimension dim,
                          ReadDimension(cx, value, param, trainer ? *trainer : nullptr));
    if (search.method == learn::SearchMethod::kGrid && dim.low) {
      return cx.Fail(value, value.path +
                                ": grid search takes a list of choices, not a range; "
                                "use method: random for ranges");
    }
    grid *= static_cast<double>(dim.choices.size());
    search.space.push_back(std::move(dim));
  }
  if (search.method == learn::SearchMethod::kGrid && search.trials > 0 && grid > search.trials) {
    return cx.Fail(*f.Find("trials"), "search: the grid has " +
                                          std::to_string(static_cast<uint64_t>(grid)) +
                                          " combinations, more than search.trials (" +
                                          std::to_string(search.trials) + ")");
  }
  return search;
}

}  // namespace hone::pipeline::spec_internal
