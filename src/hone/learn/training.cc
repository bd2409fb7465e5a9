#include "hone/learn/training.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <unordered_set>

#include "hone/core/profile.h"
#include "hone/learn/evaluate.h"
#include "hone/learn/split.h"
#include "hone/learn/target.h"

namespace hone::learn {
namespace {

nlohmann::json MetricsJson(const MetricList& metrics) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, value] : metrics) out[name] = value;
  return out;
}

std::string ColumnList(const core::Table& table) {
  std::string list;
  for (const core::Column& c : table.columns()) list += (list.empty() ? "" : ", ") + c.name();
  return list;
}

Result<void> CheckColumn(const core::Table& table, const std::string& name, const char* role) {
  if (table.FindColumn(name)) return {};
  return Fail(ErrorCode::kInvalidData, std::string(role) + " column '" + name +
                                           "' is not in the data; columns: " + ColumnList(table));
}

// Sort keys of the time column: numbers as they are, text (ISO dates sort as text) by rank.
Result<std::vector<double>> TimeKeys(const core::Column& column) {
  std::vector<double> keys(column.size());
  size_t missing = column.CountMissing();
  if (missing > 0) {
    return Fail(ErrorCode::kInvalidData, "time column '" + column.name() + "' has " +
                                             std::to_string(missing) +
                                             " missing value(s); every row needs a time");
  }
  if (column.is_numeric()) {
    for (size_t i = 0; i < keys.size(); ++i) keys[i] = column.values()[i];
    return keys;
  }
  const auto& dict = column.dictionary();
  std::vector<size_t> order(dict.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return dict[a] < dict[b]; });
  std::vector<double> rank(dict.size());
  for (size_t r = 0; r < order.size(); ++r) rank[order[r]] = static_cast<double>(r);
  for (size_t i = 0; i < keys.size(); ++i) keys[i] = rank[static_cast<size_t>(column.codes()[i])];
  return keys;
}

struct Fitted {
  std::unique_ptr<Model> model;
  FeatureSchema schema;
};

Result<Fitted> Fit(const Trainer& trainer, const ParamValues& params, const TargetInfo& target,
                   const core::Table& features, std::span<const float> y,
                   const TrainOptions& options) {
  Fitted f;
  f.schema = FeatureSchema::FromTable(features);
  HONE_ASSIGN_OR_RETURN(FeatureMatrix x, f.schema.Encode(features));
  HONE_ASSIGN_OR_RETURN(f.model, trainer.Train({f.schema, x, y, target}, params, options));
  return f;
}

std::vector<float> Gather(std::span<const float> y, std::span<const uint32_t> rows) {
  std::vector<float> out(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) out[i] = y[rows[i]];
  return out;
}

Result<MetricList> FitAndScore(const Trainer& trainer, const ParamValues& params,
                               const TargetInfo& target, const core::Table& features,
                               std::span<const float> y, const Split& split,
                               const TrainOptions& options) {
  core::Table train = features.Take(split.train);
  std::vector<float> y_train = Gather(y, split.train);
  HONE_ASSIGN_OR_RETURN(Fitted f, Fit(trainer, params, target, train, y_train, options));
  HONE_ASSIGN_OR_RETURN(
      auto outputs, PredictTable(*f.model, f.schema, features.Take(split.test), options.threads));
  return ScorePredictions(target, Gather(y, split.test), outputs);
}

CrossValidation Summarise(int folds, std::vector<MetricList> per_fold) {
  CrossValidation cv;
  cv.folds = folds;
  for (size_t m = 0; m < per_fold[0].size(); ++m) {
    double sum = 0, sq = 0;
    size_t n = 0;
    for (const MetricList& fold : per_fold) {
      // A metric a fold could not compute (roc_auc with one class) is left out of its fold.
      for (const auto& [name, value] : fold) {
        if (name != per_fold[0][m].first) continue;
        sum += value;
        sq += value * value;
        ++n;
      }
    }
    double mean = sum / static_cast<double>(n);
    double var = std::max(0.0, sq / static_cast<double>(n) - mean * mean);
    cv.summary.push_back({per_fold[0][m].first, {mean, std::sqrt(var)}});
  }
  cv.per_fold = std::move(per_fold);
  return cv;
}

}  // namespace

const char* HoneVersion() { return HONE_VERSION; }

std::string SplitSpec::ToString() const {
  switch (kind) {
    case Kind::kRandom:
      return "random";
    case Kind::kStratified:
      return "stratified";
    case Kind::kTime:
      return "time:" + time_column;
  }
  return "random";
}

Result<SplitSpec> ParseSplitSpec(std::string_view text) {
  SplitSpec s;
  if (text == "random") return s;
  if (text == "stratified") {
    s.kind = SplitSpec::Kind::kStratified;
    return s;
  }
  if (text.starts_with("time:") && text.size() > 5) {
    s.kind = SplitSpec::Kind::kTime;
    s.time_column = std::string(text.substr(5));
    return s;
  }
  return Fail(ErrorCode::kInvalidArgument,
              "unknown split '" + std::string(text) + "'; use random, stratified or time:COLUMN");
}

std::vector<uint32_t> PreparedData::TableRows(std::span<const uint32_t> labelled_rows) const {
  std::vector<uint32_t> out(labelled_rows.size());
  for (size_t i = 0; i < labelled_rows.size(); ++i) out[i] = labelled[labelled_rows[i]];
  return out;
}

Result<PreparedData> PrepareTraining(const core::Table& table, const TrainRequest& req) {
  // Everything the user can get wrong is checked before any work starts.
  if (!(req.test_size >= 0 && req.test_size < 1)) {
    return Fail(ErrorCode::kInvalidArgument,
                "--test-size must be in [0, 1), got " + std::to_string(req.test_size));
  }
  if (req.cv_folds < 0 || req.cv_folds == 1) {
    return Fail(ErrorCode::kInvalidArgument,
                "--cv must be 0 (none) or at least 2, got " + std::to_string(req.cv_folds));
  }
  PreparedData d;
  HONE_ASSIGN_OR_RETURN(d.trainer, FindTrainer(req.model));
  HONE_ASSIGN_OR_RETURN(d.params, d.trainer->params().Resolve(req.params));
  HONE_TRY(CheckColumn(table, req.target, "target"));
  std::unordered_set<std::string> excluded = {req.target};
  for (const std::string& name : req.ignore) {
    HONE_TRY(CheckColumn(table, name, "ignored"));
    excluded.insert(name);
  }
  if (req.split.kind == SplitSpec::Kind::kTime) {
    HONE_TRY(CheckColumn(table, req.split.time_column, "time"));
    if (req.split.time_column == req.target) {
      return Fail(ErrorCode::kInvalidArgument, "the time column cannot be the target");
    }
    excluded.insert(req.split.time_column);
  }
  if (table.num_rows() == 0) return Fail(ErrorCode::kInvalidData, "the data has no rows");

  const core::Column& target_column = table.column(*table.FindColumn(req.target));
  HONE_ASSIGN_OR_RETURN(d.target, InferTarget(target_column, req.task));
  if (req.split.kind == SplitSpec::Kind::kStratified && !IsClassification(d.target.task)) {
    return Fail(ErrorCode::kInvalidArgument, "--split stratified needs a classification target; '" +
                                                 d.target.name + "' is a regression target");
  }
  HONE_ASSIGN_OR_RETURN(std::vector<float> y_all, EncodeTarget(target_column, d.target));
  LabelledRows kept = KeepLabelled(y_all);
  d.labelled = std::move(kept.rows);
  d.y = std::move(kept.labels);
  std::vector<core::Column> feature_columns;
  for (const core::Column& c : table.columns()) {
    if (!excluded.contains(c.name())) feature_columns.push_back(c.Take(d.labelled));
  }
  if (feature_columns.empty()) {
    return Fail(ErrorCode::kInvalidData, "no feature columns are left besides the target");
  }
  HONE_ASSIGN_OR_RETURN(d.features, core::Table::Create(std::move(feature_columns)));
  d.rows_total = table.num_rows();

  const size_t num_classes = d.target.num_classes();
  switch (req.split.kind) {
    case SplitSpec::Kind::kRandom:
      d.split = RandomSplit(d.y.size(), req.test_size, req.seed);
      break;
    case SplitSpec::Kind::kStratified:
      d.split = StratifiedSplit(d.y, num_classes, req.test_size, req.seed);
      break;
    case SplitSpec::Kind::kTime: {
      core::Column time = table.column(*table.FindColumn(req.split.time_column)).Take(d.labelled);
      HONE_ASSIGN_OR_RETURN(auto keys, TimeKeys(time));
      HONE_ASSIGN_OR_RETURN(d.split, TimeSplit(keys, req.test_size));
      break;
    }
  }
  if (d.split.train.empty() || (req.test_size > 0 && d.split.test.empty())) {
    return Fail(ErrorCode::kInvalidData, "too few rows (" + std::to_string(d.y.size()) +
                                             ") for --test-size " + std::to_string(req.test_size) +
                                             ": the training or test set would be empty");
  }
  if (IsClassification(d.target.task)) {
    std::unordered_set<float> present;
    for (uint32_t row : d.split.train) present.insert(d.y[row]);
    if (present.size() < 2) {
      return Fail(ErrorCode::kInvalidData,
                  "the training rows hold a single class of '" + d.target.name + "'");
    }
  }
  if (req.cv_folds >= 2 && static_cast<size_t>(req.cv_folds) > d.split.train.size()) {
    return Fail(ErrorCode::kInvalidArgument,
                "--cv " + std::to_string(req.cv_folds) + " needs at least as many training rows");
  }
  return d;
}

Result<CrossValidation> CrossValidate(const PreparedData& data, int folds, uint64_t seed,
                                      unsigned threads, const ParamValues* params) {
  if (folds < 2 || static_cast<size_t>(folds) > data.split.train.size()) {
    return Fail(ErrorCode::kInvalidArgument, "cross-validation needs 2 to " +
                                                 std::to_string(data.split.train.size()) +
                                                 " folds, got " + std::to_string(folds));
  }
  const core::Table train_features = data.features.Take(data.split.train);
  const std::vector<float> y_train = Gather(data.y, data.split.train);
  auto splits = IsClassification(data.target.task)
                    ? StratifiedKFold(y_train, data.target.num_classes(), folds, seed)
                    : KFold(y_train.size(), folds, seed);
  const TrainOptions options{threads, seed};
  std::vector<MetricList> per_fold;
  for (const Split& fold : splits) {
    HONE_ASSIGN_OR_RETURN(auto m, FitAndScore(*data.trainer, params ? *params : data.params,
                                              data.target, train_features, y_train, fold, options));
    per_fold.push_back(std::move(m));
  }
  return Summarise(folds, std::move(per_fold));
}

Result<TrainOutcome> TrainOnTable(const core::Table& table, const TrainRequest& req) {
  HONE_ASSIGN_OR_RETURN(PreparedData data, PrepareTraining(table, req));
  std::optional<CrossValidation> cv;
  if (req.cv_folds >= 2) {
    HONE_ASSIGN_OR_RETURN(cv, CrossValidate(data, req.cv_folds, req.seed, req.threads));
  }
  auto start = std::chrono::steady_clock::now();
  const core::Table train_features = data.features.Take(data.split.train);
  HONE_ASSIGN_OR_RETURN(Fitted fitted,
                        Fit(*data.trainer, data.params, data.target, train_features,
                            Gather(data.y, data.split.train), TrainOptions{req.threads, req.seed}));
  FittedModel model{
      std::move(fitted.model), std::move(fitted.schema), std::string(data.trainer->name()),
      data.params.ToJson(),
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()};
  return FinishTraining(table, req, data, std::move(model), std::move(cv));
}

Result<TrainOutcome> FinishTraining(const core::Table& table, const TrainRequest& req,
                                    const PreparedData& data, FittedModel fitted,
                                    std::optional<CrossValidation> cv) {
  TrainOutcome out;
  out.rows_total = data.rows_total;
  out.rows_dropped = data.rows_total - data.labelled.size();
  out.rows_train = data.split.train.size();
  out.rows_test = data.split.test.size();
  out.train_seconds = fitted.train_seconds;
  out.cv = std::move(cv);
  const core::Table train_features = data.features.Take(data.split.train);

  nlohmann::json metrics = nlohmann::json::object();
  if (!data.split.test.empty()) {
    HONE_ASSIGN_OR_RETURN(out.test_outputs,
                          PredictTable(*fitted.model, fitted.schema,
                                       data.features.Take(data.split.test), req.threads));
    out.test_y = Gather(data.y, data.split.test);
    out.test_rows = data.TableRows(data.split.test);
    out.metrics = ScorePredictions(data.target, out.test_y, out.test_outputs);
    out.evaluated_on = "test";
    metrics["test"] = MetricsJson(out.metrics);
  }
  if (out.cv) {
    nlohmann::json mean = nlohmann::json::object(), stddev = nlohmann::json::object();
    for (const auto& [name, ms] : out.cv->summary) {
      mean[name] = ms.first;
      stddev[name] = ms.second;
    }
    metrics["cv"] = {{"folds", out.cv->folds}, {"mean", mean}, {"std", stddev}};
    if (out.evaluated_on.empty()) {
      for (const auto& [name, ms] : out.cv->summary) out.metrics.push_back({name, ms.first});
      out.evaluated_on = "cv";
    }
  }
  if (out.evaluated_on.empty()) {
    HONE_ASSIGN_OR_RETURN(auto outputs,
                          PredictTable(*fitted.model, fitted.schema, train_features, req.threads));
    out.metrics = ScorePredictions(data.target, Gather(data.y, data.split.train), outputs);
    out.evaluated_on = "train";
    metrics["train"] = MetricsJson(out.metrics);
  }

  // The reference profile covers what the model learned from: the training rows, target too.
  std::vector<core::Column> profiled = train_features.columns();
  const core::Column& target_column = table.column(*table.FindColumn(req.target));
  profiled.push_back(target_column.Take(data.TableRows(data.split.train)));
  HONE_ASSIGN_OR_RETURN(core::Table profile_table, core::Table::Create(std::move(profiled)));

  Bundle& b = out.bundle;
  b.model_kind = std::move(fitted.kind);
  b.target = data.target;
  b.features = std::move(fitted.schema);
  b.params = std::move(fitted.params);
  b.metrics = std::move(metrics);
  b.training = {
      {"data",
       {{"source", req.data_source},
        {"sha256", req.data_sha256},
        {"rows", table.num_rows()},
        {"columns", table.num_columns()}}},
      {"rows_dropped_missing_target", out.rows_dropped},
      {"train_rows", out.rows_train},
      {"test_rows", out.rows_test},
      {"split", req.split.ToString()},
      {"test_size", req.test_size},
      {"cv_folds", out.cv ? out.cv->folds : 0},
      {"seed", req.seed},
      {"ignored_columns", req.ignore},
      {"hone_version", HoneVersion()},
  };
  b.profile = core::ProfileTable(profile_table).ToJson();
  b.pii = req.pii;
  std::vector<double> importance = fitted.model->FeatureImportance();
  for (size_t f = 0; f < importance.size() && f < b.features.size(); ++f) {
    b.feature_importance[b.features.features()[f].name] = importance[f];
  }
  HONE_ASSIGN_OR_RETURN(b.payload, fitted.model->Serialize());
  out.model = std::move(fitted.model);
  return out;
}

}  // namespace hone::learn
