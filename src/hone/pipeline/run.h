// `hone run`: one pass of a pipeline — snapshot, data checks, train (built-in, search or
// command), evaluate, gate against the champion, register, promote — recorded in the store as
// a run with its lineage, its verdict and its stage keys. Inputs that produced a result before
// produce "unchanged" without any work (see stage_keys.h).
#ifndef HONE_PIPELINE_RUN_H_
#define HONE_PIPELINE_RUN_H_

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "hone/core/error.h"
#include "hone/gate/report.h"
#include "hone/pipeline/spec.h"
#include "hone/store/meta_store.h"
#include "hone/store/open_store.h"

namespace hone::pipeline {

struct RunOptions {
  /// Run every stage even when its key matches earlier work.
  bool force = false;
  /// Ctrl-C: a running command stage is ended and the run recorded as killed.
  const std::atomic<bool>* cancel = nullptr;
  /// Called with one line per stage as it finishes ("train     gbdt on 1600 rows (1.2 s)").
  std::function<void(std::string_view)> progress;
  /// Recorded as the run's command.
  std::string command_line = "hone run";
  store::Actor actor;
};

enum class Outcome {
  kPromoted,    // blessed, registered, and the alias moved to it
  kRegistered,  // blessed and registered; promotion is off
  kRejected,    // a data check or a gate said no; recorded as a run, nothing registered
  kUnchanged,   // these inputs were handled before; nothing ran
};
const char* OutcomeName(Outcome outcome);

struct StageReport {
  std::string name;    // snapshot, checks, train, evaluate, gate, register, promote
  std::string status;  // ran, cached, skipped
  double seconds = 0;
  std::string note;  // one line for people
};

struct PipelineResult {
  Outcome outcome = Outcome::kUnchanged;
  /// For kUnchanged, the outcome of the run whose work stands (its exit code is this run's).
  Outcome recorded = Outcome::kUnchanged;
  std::string run_id;  // this run; for kUnchanged, the earlier run
  std::optional<int64_t> version;
  std::optional<int64_t> champion;
  std::string alias;
  gate::RunReport report;
  std::vector<StageReport> stages;
  /// Everything measured: holdout and cross-validation metrics, slices, latency, size, search
  /// trials, the data snapshot.
  nlohmann::json details = nlohmann::json::object();

  /// 0 promoted, registered or unchanged after a pass; 1 rejected (now or, unchanged, before).
  int ExitCode() const;
  nlohmann::json ToJson() const;
};

/// Runs the pipeline on `store`. An error (unreadable data, a failing command, a lost
/// compare-and-swap) is returned as such, after the run is recorded as failed; a "no" from a
/// check or gate is a result with outcome kRejected.
Result<PipelineResult> RunPipeline(const Spec& spec, store::Store& store,
                                   const RunOptions& options);

/// What `hone run --dry-run` shows: the stages in order with what each would do, the
/// champion, and whether the inputs were handled before. Reads the data source (to digest it)
/// and the store (when there is one); trains nothing and writes nothing.
struct Plan {
  std::vector<std::string> lines;
  nlohmann::json json;
};
Result<Plan> PlanPipeline(const Spec& spec, store::Store* store);

}  // namespace hone::pipeline

#endif  // HONE_PIPELINE_RUN_H_
