#include "hone/learn/task.h"

#include <string>

namespace hone::learn {

const char* TaskName(Task task) {
  switch (task) {
    case Task::kRegression:
      return "regression";
    case Task::kBinary:
      return "binary";
    case Task::kMulticlass:
      return "multiclass";
  }
  return "unknown";
}

Result<Task> ParseTaskName(std::string_view name) {
  for (Task t : {Task::kRegression, Task::kBinary, Task::kMulticlass}) {
    if (name == TaskName(t)) return t;
  }
  return Fail(ErrorCode::kInvalidData,
              "unknown task '" + std::string(name) + "'; known: regression, binary, multiclass");
}

Result<TaskRequest> ParseTaskRequest(std::string_view name) {
  if (name == "auto") return TaskRequest::kAuto;
  if (name == "regression") return TaskRequest::kRegression;
  if (name == "classification") return TaskRequest::kClassification;
  return Fail(ErrorCode::kInvalidArgument,
              "unknown task '" + std::string(name) + "'; known: auto, regression, classification");
}

}  // namespace hone::learn
