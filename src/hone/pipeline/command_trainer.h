// The `command:` train stage: a team's own training program (Python, R, a shell script) runs
// as a child process with the data and parameters in its environment and writes back an
// XGBoost model and, optionally, a metrics JSON. hone then treats the model like one it trained
// itself: evaluated on the same holdout, gated, registered and served.
//
// The program's environment (besides the inherited one):
//   HONE_DATA          the whole snapshot as CSV
//   HONE_TRAIN_DATA    the training rows as CSV (every column)
//   HONE_TEST_DATA     the holdout rows as CSV (every column), for the program's own use
//   HONE_TARGET        the target column
//   HONE_TASK          regression, binary or multiclass
//   HONE_CLASSES       classification: JSON array of the class labels; label i is class i
//   HONE_FEATURES      JSON array of the feature columns, in the order the model must read them
//   HONE_CATEGORICAL   JSON array of the categorical ones; a category is coded by its index in
//                      the sorted categories of HONE_TRAIN_DATA (pandas' astype("category"))
//   HONE_PARAMS        JSON object of train.params; also HONE_PARAM_<NAME> per parameter
//   HONE_SEED, HONE_THREADS
//   HONE_MODEL_OUT     where to save the model (Booster.save_model; JSON or UBJSON)
//   HONE_METRICS_OUT   where to write {"metric": number, ...} (optional)
//   HONE_OUTPUT_DIR    a fresh folder for anything else
// Its standard output and error go to train.log in HONE_OUTPUT_DIR.
#ifndef HONE_PIPELINE_COMMAND_TRAINER_H_
#define HONE_PIPELINE_COMMAND_TRAINER_H_

#include <atomic>
#include <filesystem>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "hone/core/error.h"
#include "hone/core/table.h"
#include "hone/learn/search.h"
#include "hone/learn/training.h"

namespace hone::pipeline {

struct CommandTraining {
  std::string command;
  /// train.params, handed to the program as they are written (hone does not know its
  /// parameters).
  learn::ParamAssignments params;
  double timeout_seconds = 3600;
  /// The program runs here (the folder holding hone.yaml).
  std::filesystem::path workdir;
  /// A fresh, empty folder for this run's inputs and outputs.
  std::filesystem::path scratch;
  /// The snapshot's CSV bytes, written as HONE_DATA.
  std::string_view snapshot_csv;
  const std::atomic<bool>* cancel = nullptr;
};

struct CommandOutcome {
  learn::TrainOutcome outcome;
  /// The program's own metrics (HONE_METRICS_OUT), an empty object when it wrote none.
  nlohmann::json metrics = nlohmann::json::object();
  std::filesystem::path log;
};

/// Runs the program for `request` on `table` (already prepared as `data`, with any built-in
/// trainer: its parameters are not used) and builds the
/// outcome from the model it wrote. Fails (kInternal) when the program exits non-zero, times
/// out or is cancelled, with its last log lines; kInvalidData when the model or metrics file is
/// missing or does not fit the data (naming the file).
Result<CommandOutcome> TrainWithCommand(const core::Table& table,
                                        const learn::TrainRequest& request,
                                        const learn::PreparedData& data,
                                        const CommandTraining& command);

}  // namespace hone::pipeline

#endif  // HONE_PIPELINE_COMMAND_TRAINER_H_
