#include "hone/pipeline/command_trainer.h"

#include <chrono>
#include <utility>

#include "hone/core/csv.h"
#include "hone/core/file.h"
#include "hone/core/process.h"
#include "hone/learn/xgb/import.h"

namespace hone::pipeline {
namespace {

const char* TaskWord(const learn::TargetInfo& target) {
  switch (target.task) {
    case learn::Task::kRegression:
      return "regression";
    case learn::Task::kBinary:
      return "binary";
    default:
      return "multiclass";
  }
}

/// HONE_PARAM_<NAME>: the name upper-cased, anything but letters and digits as '_'.
std::string ParamVariable(std::string_view name) {
  std::string out = "HONE_PARAM_";
  for (char c : name) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    out += ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) ? c : '_';
  }
  return out;
}

Result<nlohmann::json> ReadMetrics(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return nlohmann::json::object();
  HONE_ASSIGN_OR_RETURN(std::string text, core::ReadFile(path));
  nlohmann::json metrics = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!metrics.is_object()) {
    return Fail(ErrorCode::kInvalidData,
                path.string() + ": the metrics file must hold a JSON object of numbers");
  }
  for (const auto& [name, value] : metrics.items()) {
    if (!value.is_number()) {
      return Fail(ErrorCode::kInvalidData,
                  path.string() + ": metric '" + name + "' is not a number: " + value.dump());
    }
  }
  return metrics;
}

}  // namespace

Result<CommandOutcome> TrainWithCommand(const core::Table& table,
                                        const learn::TrainRequest& request,
                                        const learn::PreparedData& data,
                                        const CommandTraining& command) {
  const std::filesystem::path& dir = command.scratch;
  const std::filesystem::path data_csv = dir / "data.csv", train_csv = dir / "train.csv",
                              test_csv = dir / "test.csv", model_out = dir / "model.json",
                              metrics_out = dir / "metrics.json";
  HONE_TRY(core::WriteFileAtomic(data_csv, command.snapshot_csv));
  HONE_TRY(core::WriteCsv(train_csv, table.Take(data.TableRows(data.split.train))));
  HONE_TRY(core::WriteCsv(test_csv, table.Take(data.TableRows(data.split.test))));

  // The model reads the training rows' features, categories coded as pandas codes them.
  const core::Table train_features = data.features.Take(data.split.train);
  learn::FeatureSchema schema = learn::FeatureSchema::FromTable(train_features);
  nlohmann::json features = nlohmann::json::array(), categorical = nlohmann::json::array();
  for (const learn::FeatureInfo& f : schema.features()) {
    features.push_back(f.name);
    if (f.type == core::ColumnType::kCategorical) categorical.push_back(f.name);
  }
  nlohmann::json params = nlohmann::json::object();
  core::ProcessRequest run;
  for (const auto& [name, value] : command.params) {
    params[name] = value;
    run.env.emplace_back(ParamVariable(name), value);
  }
  run.command = command.command;
  run.workdir = command.workdir;
  run.log = dir / "train.log";
  run.timeout_seconds = command.timeout_seconds;
  run.cancel = command.cancel;
  auto env = [&](std::string name, std::string value) {
    run.env.emplace_back(std::move(name), std::move(value));
  };
  env("HONE_DATA", data_csv.string());
  env("HONE_TRAIN_DATA", train_csv.string());
  env("HONE_TEST_DATA", test_csv.string());
  env("HONE_TARGET", request.target);
  env("HONE_TASK", TaskWord(data.target));
  env("HONE_CLASSES", nlohmann::json(data.target.classes).dump());
  env("HONE_FEATURES", features.dump());
  env("HONE_CATEGORICAL", categorical.dump());
  env("HONE_PARAMS", params.dump());
  env("HONE_SEED", std::to_string(request.seed));
  env("HONE_THREADS", std::to_string(request.threads));
  env("HONE_MODEL_OUT", model_out.string());
  env("HONE_METRICS_OUT", metrics_out.string());
  env("HONE_OUTPUT_DIR", dir.string());

  HONE_ASSIGN_OR_RETURN(core::ProcessResult result, core::RunProcess(run));
  const std::string tail = result.log_tail.empty() ? "(no output)" : result.log_tail;
  if (result.cancelled) {
    return Fail(ErrorCode::kInternal, "train command '" + command.command + "' was cancelled");
  }
  if (result.timed_out) {
    return Fail(ErrorCode::kInternal,
                "train command '" + command.command + "' timed out after " +
                    std::to_string(static_cast<long>(command.timeout_seconds)) +
                    " s; last lines of " + run.log.string() + ":\n" + tail);
  }
  if (result.exit_code != 0) {
    return Fail(ErrorCode::kInternal, "train command '" + command.command + "' failed with exit " +
                                          std::to_string(result.exit_code) + "; last lines of " +
                                          run.log.string() + ":\n" + tail);
  }
  std::error_code ec;
  if (!std::filesystem::exists(model_out, ec)) {
    return Fail(ErrorCode::kInvalidData,
                "train command '" + command.command + "' exited 0 but wrote no model to " +
                    model_out.string() + " ($HONE_MODEL_OUT); last lines of " + run.log.string() +
                    ":\n" + tail);
  }
  HONE_ASSIGN_OR_RETURN(std::string model_bytes, core::ReadFile(model_out));
  HONE_ASSIGN_OR_RETURN(auto model, learn::xgb::ImportXgboostModel(model_bytes, model_out.string(),
                                                                   schema, data.target));
  HONE_ASSIGN_OR_RETURN(nlohmann::json own_metrics, ReadMetrics(metrics_out));

  // The bundle holds the parameters hone's gbdt loader reads; the program's own parameters are
  // kept beside them in the training facts.
  learn::FittedModel fitted{std::move(model), std::move(schema), "gbdt", data.params.ToJson(),
                            result.seconds};
  HONE_ASSIGN_OR_RETURN(learn::TrainOutcome outcome,
                        learn::FinishTraining(table, request, data, std::move(fitted), {}));
  outcome.bundle.training["command"] = command.command;
  outcome.bundle.training["command_params"] = params;
  if (!own_metrics.empty()) outcome.bundle.metrics["command"] = own_metrics;
  return CommandOutcome{std::move(outcome), std::move(own_metrics), run.log};
}

}  // namespace hone::pipeline
