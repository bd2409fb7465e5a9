#include "hone/learn/target.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <unordered_map>

#include <nlohmann/json.hpp>

namespace hone::learn {

nlohmann::json TargetInfo::ToJson() const {
  nlohmann::json out = {{"name", name}, {"task", TaskName(task)}};
  if (IsClassification(task)) out["classes"] = classes;
  return out;
}

Result<TargetInfo> TargetInfo::FromJson(const nlohmann::json& json) {
  if (!json.is_object() || !json.contains("name") || !json["name"].is_string() ||
      !json.contains("task") || !json["task"].is_string()) {
    return Fail(ErrorCode::kInvalidData, "target must be {\"name\": ..., \"task\": ...}");
  }
  TargetInfo t;
  t.name = json["name"].get<std::string>();
  HONE_ASSIGN_OR_RETURN(t.task, ParseTaskName(json["task"].get<std::string>()));
  if (IsClassification(t.task)) {
    if (!json.contains("classes") || !json["classes"].is_array()) {
      return Fail(ErrorCode::kInvalidData, "target '" + t.name + "' has no classes");
    }
    for (const auto& c : json["classes"]) {
      if (!c.is_string()) return Fail(ErrorCode::kInvalidData, "a class label is not a string");
      t.classes.push_back(c.get<std::string>());
    }
    std::set<std::string> distinct(t.classes.begin(), t.classes.end());
    size_t want = t.task == Task::kBinary ? 2 : 3;
    if (distinct.size() != t.classes.size() || t.classes.size() < want ||
        (t.task == Task::kBinary && t.classes.size() != 2)) {
      return Fail(ErrorCode::kInvalidData,
                  "target '" + t.name + "' has invalid classes for task " + TaskName(t.task));
    }
  }
  return t;
}

namespace {

// Distinct non-missing labels of a column as text, in class order.
std::vector<std::string> ClassLabels(const core::Column& column) {
  if (column.is_categorical()) {
    std::vector<bool> used(column.dictionary().size());
    for (int32_t c : column.codes()) {
      if (c != core::kMissingCode) used[c] = true;
    }
    std::vector<std::string> labels;
    for (size_t c = 0; c < used.size(); ++c) {
      if (used[c]) labels.push_back(column.dictionary()[c]);
    }
    std::sort(labels.begin(), labels.end());
    return labels;
  }
  std::set<float> values;
  for (float v : column.values()) {
    if (!std::isnan(v)) values.insert(v);
  }
  std::vector<std::string> labels;
  core::Column probe = core::Column::Numeric("", std::vector<float>(values.begin(), values.end()));
  for (size_t i = 0; i < probe.size(); ++i) labels.push_back(probe.CellText(i));
  return labels;
}

// True when every value is a whole number and there are at most `limit` distinct values.
bool LooksLikeClassLabels(std::span<const float> values, size_t limit) {
  std::set<float> distinct;
  for (float v : values) {
    if (std::isnan(v)) continue;
    if (v != std::floor(v)) return false;
    if (distinct.insert(v).second && distinct.size() > limit) return false;
  }
  return true;
}

}  // namespace

Result<TargetInfo> InferTarget(const core::Column& column, TaskRequest request) {
  size_t missing = column.CountMissing();
  if (missing == column.size()) {
    return Fail(ErrorCode::kInvalidData, "target column '" + column.name() +
                                             "' has no values (all " +
                                             std::to_string(column.size()) + " rows are missing)");
  }
  bool classification = request == TaskRequest::kClassification;
  if (request == TaskRequest::kAuto) {
    classification =
        column.is_categorical() || LooksLikeClassLabels(column.values(), kMaxAutoClasses);
  }
  if (request == TaskRequest::kRegression && column.is_categorical()) {
    size_t row = 0;
    while (column.IsMissing(row)) ++row;
    return Fail(ErrorCode::kInvalidData,
                "target column '" + column.name() + "' is not numeric ('" + column.CellText(row) +
                    "' in data row " + std::to_string(row + 1) +
                    "); regression needs numbers, or use --task classification");
  }
  TargetInfo target;
  target.name = column.name();
  if (!classification) {
    target.task = Task::kRegression;
    return target;
  }
  target.classes = ClassLabels(column);
  if (target.classes.size() < 2) {
    return Fail(ErrorCode::kInvalidData, "target column '" + column.name() +
                                             "' has a single class ('" + target.classes[0] +
                                             "'); classification needs at least two");
  }
  target.task = target.classes.size() == 2 ? Task::kBinary : Task::kMulticlass;
  return target;
}

Result<std::vector<float>> EncodeTarget(const core::Column& column, const TargetInfo& target) {
  constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> out(column.size());
  if (target.task == Task::kRegression) {
    if (column.is_categorical()) {
      return Fail(ErrorCode::kInvalidData,
                  "target column '" + column.name() + "' must be numeric for regression");
    }
    std::copy(column.values().begin(), column.values().end(), out.begin());
    return out;
  }
  std::unordered_map<std::string, float> index;
  for (size_t c = 0; c < target.classes.size(); ++c) {
    index.emplace(target.classes[c], static_cast<float>(c));
  }
  auto known = [&] {
    std::string list;
    for (const auto& c : target.classes) list += (list.empty() ? "" : ", ") + c;
    return list;
  };
  // Resolve each distinct label once.
  auto lookup = [&](size_t row) -> Result<float> {
    auto it = index.find(column.CellText(row));
    if (it == index.end()) {
      return Fail(ErrorCode::kInvalidData,
                  "target column '" + column.name() + "' has label '" + column.CellText(row) +
                      "' in data row " + std::to_string(row + 1) +
                      " that the model was not trained on; known: " + known());
    }
    return it->second;
  };
  if (column.is_categorical()) {
    std::vector<float> remap(column.dictionary().size(), kNaN);
    std::vector<bool> done(remap.size());
    auto codes = column.codes();
    for (size_t r = 0; r < codes.size(); ++r) {
      if (codes[r] == core::kMissingCode) {
        out[r] = kNaN;
        continue;
      }
      if (!done[codes[r]]) {
        HONE_ASSIGN_OR_RETURN(remap[codes[r]], lookup(r));
        done[codes[r]] = true;
      }
      out[r] = remap[codes[r]];
    }
    return out;
  }
  std::unordered_map<float, float> seen;
  for (size_t r = 0; r < column.size(); ++r) {
    float v = column.values()[r];
    if (std::isnan(v)) {
      out[r] = kNaN;
      continue;
    }
    auto it = seen.find(v);
    if (it == seen.end()) {
      HONE_ASSIGN_OR_RETURN(float label, lookup(r));
      it = seen.emplace(v, label).first;
    }
    out[r] = it->second;
  }
  return out;
}

LabelledRows KeepLabelled(const std::vector<float>& y) {
  LabelledRows out;
  for (size_t i = 0; i < y.size(); ++i) {
    if (std::isnan(y[i])) continue;
    out.rows.push_back(static_cast<uint32_t>(i));
    out.labels.push_back(y[i]);
  }
  return out;
}

}  // namespace hone::learn
