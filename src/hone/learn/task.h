// What a model predicts: a number, one of two classes, or one of several.
#ifndef HONE_LEARN_TASK_H_
#define HONE_LEARN_TASK_H_

#include <string_view>

#include "hone/core/error.h"

namespace hone::learn {

enum class Task { kRegression, kBinary, kMulticlass };

/// "regression", "binary", "multiclass".
const char* TaskName(Task task);
Result<Task> ParseTaskName(std::string_view name);
inline bool IsClassification(Task task) { return task != Task::kRegression; }

/// What the user asked for with --task.
enum class TaskRequest { kAuto, kRegression, kClassification };
/// Parses "auto", "regression", "classification"; the error lists them.
Result<TaskRequest> ParseTaskRequest(std::string_view name);

}  // namespace hone::learn

#endif  // HONE_LEARN_TASK_H_
