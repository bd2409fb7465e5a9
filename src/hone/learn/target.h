// The target column: what is predicted, and how its values become training labels.
#ifndef HONE_LEARN_TARGET_H_
#define HONE_LEARN_TARGET_H_

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "hone/core/table.h"
#include "hone/learn/task.h"

namespace hone::learn {

struct TargetInfo {
  std::string name;
  Task task = Task::kRegression;
  /// Classification only: the class labels as text, in index order (numeric labels in numeric
  /// order, text labels in byte order).
  std::vector<std::string> classes;

  size_t num_classes() const { return classes.size(); }
  nlohmann::json ToJson() const;
  static Result<TargetInfo> FromJson(const nlohmann::json& json);
  bool operator==(const TargetInfo&) const = default;
};

/// Decides the task and the class labels from the training target column.
/// kAuto picks classification for a text column, or for a numeric column whose values are all
/// whole numbers with at most `kMaxAutoClasses` distinct values; regression otherwise.
/// Fails when every value is missing, when classification finds fewer than two classes, and
/// when regression is asked of a text column.
inline constexpr size_t kMaxAutoClasses = 20;
Result<TargetInfo> InferTarget(const core::Column& column, TaskRequest request);

/// The column's values as labels: regression values, or class indices for classification.
/// Missing cells are NaN. A class label not in `target.classes` is an error naming the row
/// (1-based) and the known labels.
Result<std::vector<float>> EncodeTarget(const core::Column& column, const TargetInfo& target);

/// The rows whose label is present (not NaN), ascending, and their labels.
struct LabelledRows {
  std::vector<uint32_t> rows;
  std::vector<float> labels;
};
LabelledRows KeepLabelled(const std::vector<float>& y);

}  // namespace hone::learn

#endif  // HONE_LEARN_TARGET_H_
