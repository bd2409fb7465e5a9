#include "hone/learn/xgb/objective.h"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <string>

#include <nlohmann/json.hpp>

namespace hone::learn::xgb {
namespace {

// The value at `path` of `json`, or null when any step is absent.
const nlohmann::json* Find(const nlohmann::json& json, std::initializer_list<const char*> path) {
  const nlohmann::json* at = &json;
  for (const char* key : path) {
    if (!at->is_object() || !at->contains(key)) return nullptr;
    at = &(*at)[key];
  }
  return at;
}

std::string TextAt(const nlohmann::json& json, std::initializer_list<const char*> path) {
  const nlohmann::json* v = Find(json, path);
  return v != nullptr && v->is_string() ? v->get<std::string>() : std::string("(absent)");
}

}  // namespace

const char* ObjectiveName(Task task) {
  switch (task) {
    case Task::kRegression:
      return "reg:squarederror";
    case Task::kBinary:
      return "binary:logistic";
    case Task::kMulticlass:
      return "multi:softprob";
  }
  return "reg:squarederror";
}

size_t OutputGroups(const TargetInfo& target) {
  return target.task == Task::kMulticlass ? target.num_classes() : 1;
}

size_t NumOutputs(const TargetInfo& target) {
  return IsClassification(target.task) ? target.num_classes() : 1;
}

Result<void> CheckTrainingData(const TrainingData& data, std::string_view who) {
  auto bad = [&](const std::string& why) {
    return Fail(ErrorCode::kInvalidArgument, std::string(who) + ": " + why);
  };
  if (data.x.num_rows() == 0) return bad("no training rows");
  if (data.x.num_features() == 0) return bad("no features to train on");
  if (data.x.num_features() != data.schema.size()) {
    return bad("the feature matrix has " + std::to_string(data.x.num_features()) +
               " columns but the schema " + std::to_string(data.schema.size()));
  }
  if (data.y.size() != data.x.num_rows()) {
    return bad(std::to_string(data.y.size()) + " labels for " + std::to_string(data.x.num_rows()) +
               " rows");
  }
  if (IsClassification(data.target.task) &&
      (data.target.num_classes() < 2 ||
       (data.target.task == Task::kBinary && data.target.num_classes() != 2))) {
    return bad("target '" + data.target.name + "' has " +
               std::to_string(data.target.num_classes()) + " classes for task " +
               TaskName(data.target.task));
  }
  float classes = static_cast<float>(data.target.num_classes());
  for (size_t i = 0; i < data.y.size(); ++i) {
    float v = data.y[i];
    bool ok = std::isfinite(v);
    if (ok && IsClassification(data.target.task)) ok = v >= 0 && v < classes && v == std::floor(v);
    if (!ok) {
      return bad("label " + ParamText(v) + " of row " + std::to_string(i + 1) +
                 (IsClassification(data.target.task) ? " is not a class index" : " is not finite"));
    }
  }
  return {};
}

Result<void> SetThreadsAndSeed(Booster& booster, unsigned threads, uint64_t seed) {
  HONE_TRY(booster.SetParam("nthread", std::to_string(threads)));
  uint64_t folded = (seed ^ (seed >> 31) ^ (seed >> 62)) & 0x7fffffff;
  return booster.SetParam("seed", std::to_string(folded));
}

Result<void> SetObjective(Booster& booster, const TargetInfo& target, std::span<const float> y) {
  HONE_TRY(booster.SetParam("objective", ObjectiveName(target.task)));
  if (target.task == Task::kMulticlass) {
    return booster.SetParam("num_class", std::to_string(target.num_classes()));
  }
  double mean = 0;
  for (float v : y) mean += v;
  mean /= static_cast<double>(y.size());
  // The logistic link needs a probability strictly inside (0, 1).
  if (target.task == Task::kBinary) mean = std::clamp(mean, 1e-6, 1 - 1e-6);
  return booster.SetParam("base_score", ParamText(static_cast<float>(mean)));
}

Result<void> CheckBoosterFits(const Booster& booster, std::string_view booster_name,
                              const TargetInfo& target, size_t num_features, std::string_view who) {
  auto bad = [&](const std::string& why) {
    return Fail(ErrorCode::kInvalidData, std::string(who) + " model: " + why);
  };
  HONE_ASSIGN_OR_RETURN(std::string text, booster.SaveConfig());
  nlohmann::json config = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  std::string kind = TextAt(config, {"learner", "learner_train_param", "booster"});
  if (kind != booster_name) return bad("XGBoost booster is '" + kind + "'");
  std::string objective = TextAt(config, {"learner", "learner_train_param", "objective"});
  if (objective != ObjectiveName(target.task)) {
    return bad("XGBoost objective is '" + objective + "', expected '" + ObjectiveName(target.task) +
               "'");
  }
  std::string num_class = TextAt(config, {"learner", "learner_model_param", "num_class"});
  size_t want = target.task == Task::kMulticlass ? target.num_classes() : 0;
  if (num_class != std::to_string(want)) {
    return bad("XGBoost num_class is " + num_class + ", expected " + std::to_string(want));
  }
  HONE_ASSIGN_OR_RETURN(size_t features, booster.NumFeatures());
  if (features != num_features) {
    return bad("XGBoost model reads " + std::to_string(features) + " features, expected " +
               std::to_string(num_features));
  }
  return {};
}

void ExpandOutputs(const TargetInfo& target, size_t rows, std::span<float> values) {
  if (target.task != Task::kBinary) return;
  // Back to front: row i's two outputs land at 2i and 2i + 1, never on a p not yet read.
  for (size_t i = rows; i-- > 0;) {
    float p = values[i];
    values[2 * i + 1] = p;
    values[2 * i] = 1.0f - p;
  }
}

}  // namespace hone::learn::xgb
