// PipelineRun: the state of one `hone run` as it moves through its stages. Internal to
// pipeline/ (RunPipeline and PlanPipeline are the public surface).
#ifndef HONE_PIPELINE_PIPELINE_RUN_H_
#define HONE_PIPELINE_PIPELINE_RUN_H_

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hone/core/profile.h"
#include "hone/gate/model_gates.h"
#include "hone/learn/bundle.h"
#include "hone/learn/search.h"
#include "hone/learn/training.h"
#include "hone/pipeline/exec/slurm_search.h"
#include "hone/pipeline/run.h"
#include "hone/pipeline/source.h"
#include "hone/pipeline/stage_keys.h"
#include "hone/registry/code_state.h"
#include "hone/registry/registry.h"

namespace hone::pipeline {

/// The version the target alias points to, loaded.
struct Champion {
  store::ModelVersion version;
  learn::LoadedModel loaded;
  std::optional<core::DataProfile> profile;
  std::string label;  // "house_prices/3"
};

/// The model under judgement and its figures on the holdout.
struct Candidate {
  learn::Bundle bundle;
  std::unique_ptr<learn::Model> model;
  std::string bytes;   // the encoded bundle
  std::string digest;  // its SHA-256
  std::vector<uint32_t> test_rows;
  std::vector<float> test_y;
  std::vector<float> test_outputs;
  /// Holdout metrics (else cross-validation means, else training rows: `evaluated_on`).
  learn::MetricList metrics;
  std::string evaluated_on;
  learn::MetricList cv_mean;
  double train_seconds = 0;
};

/// How the spec's data is read (a regression target is read as numbers).
core::CsvReadOptions CsvOptionsOf(const Spec& spec);

/// Builds the train request the spec describes, for a snapshot.
learn::TrainRequest TrainRequestOf(const Spec& spec, const Snapshot& snapshot);

/// The champion of `spec` in `store`, or nullopt when its alias does not exist yet.
Result<std::optional<Champion>> LoadChampion(const Spec& spec, store::MetaStore& meta,
                                             registry::Registry& registry);

/// Fails when the spec asks for something its stages cannot do together (a comparison gate
/// without a holdout, search or cross-validation with a command stage).
Result<void> CheckSpecFits(const Spec& spec);

class PipelineRun {
 public:
  PipelineRun(const Spec& spec, store::Store& store, const RunOptions& options);
  Result<PipelineResult> Execute();

 private:
  Result<void> TakeSnapshotStage();
  Result<bool> CheckUnchanged();
  Result<void> StartRun();
  Result<bool> DataChecksStage();  // false: an error check failed
  Result<void> TrainStage();
  Result<void> TrainModel(const learn::PreparedData& data);
  Result<learn::ParamAssignments> SearchStage(const learn::PreparedData& data);
  void RecordTrial(const learn::TrialResult& trial);
  /// Who a search trial's child run belongs to (this run), recorded with `command`.
  exec::TrialRunInfo TrialInfo(const std::string& command) const;
  Result<void> ReuseModel(const learn::PreparedData& data, const TrainedModel& trained);
  /// The candidate is the bundle `digest` of the artifact store (from `source`, for messages),
  /// scored on this run's holdout.
  Result<void> UseBundle(const learn::PreparedData& data, const std::string& digest,
                         const std::string& source);
  /// The fit as a Slurm job, with a search's `best` assignments added.
  Result<void> TrainOnSlurm(const learn::PreparedData& data, const learn::ParamAssignments& best);
  /// What this run's Slurm jobs (recorded with `command`) get: the snapshot, put in the
  /// artifact store for them to read, this binary, the store and Ctrl-C.
  Result<exec::SlurmContext> SlurmJobs(const std::string& command);
  Result<void> EvaluateStage();
  Result<void> GateStage();
  Result<void> ReleaseStage();
  Result<void> Finish();

  /// The parameters recorded with the run and the version.
  std::map<std::string, std::string> TrainedParams() const;
  void Stage(std::string name, std::string status, double seconds, std::string note);
  double SecondsSince(std::chrono::steady_clock::time_point start) const;

  const Spec& spec_;
  store::Store& store_;
  const RunOptions& options_;
  registry::Registry registry_;
  std::chrono::steady_clock::time_point started_;

  Snapshot snapshot_;
  std::optional<registry::CodeState> code_;
  std::optional<Champion> champion_;
  StageKeys keys_;
  std::string config_digest_;  // of the normalised spec: the run's and the version's
  learn::TrainRequest request_;
  Candidate candidate_;
  learn::MetricList figures_;  // what gates see
  std::vector<gate::CheckResult> checks_;
  std::vector<gate::Comparison> comparisons_;
  learn::MetricList champion_metrics_;
  PipelineResult result_;
};

}  // namespace hone::pipeline

#endif  // HONE_PIPELINE_PIPELINE_RUN_H_
