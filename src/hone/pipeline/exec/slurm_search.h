// A hyperparameter search as one Slurm job array: task K runs `hone exec-trial` on trial K of
// the search, against the same store and artifact folder, and records the trial as a child run
// of the pipeline's run; the controller waits for the array and reads the trials back from the
// store. Each trial is computed exactly as the local executor computes it (learn::RunOneTrial),
// so a seed gives the same trials and the same best on either executor.
#ifndef HONE_PIPELINE_EXEC_SLURM_SEARCH_H_
#define HONE_PIPELINE_EXEC_SLURM_SEARCH_H_

#include <atomic>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "hone/core/error.h"
#include "hone/learn/search.h"
#include "hone/pipeline/exec/command_runner.h"
#include "hone/pipeline/spec.h"
#include "hone/store/open_store.h"

namespace hone::pipeline::exec {

/// Who a trial's child run belongs to.
struct TrialRunInfo {
  std::string parent_run;
  std::string model;
  std::string data_digest;
  std::string command;  // recorded as the child run's command
  std::string user;
};

/// Records `trial` as a child run of info.parent_run: its parameters, its cross-validated
/// means as cv_* metrics, tags naming the parent, the trial's index and the metric that judges
/// it, and its error (status failed) when it failed. The child run's id.
Result<std::string> RecordTrialRun(store::MetaStore& meta, const TrialRunInfo& info,
                                   const learn::TrialResult& trial, const std::string& metric,
                                   bool higher_is_better);

/// The trials recorded under `parent_run`, by index, for `planned` (the search's planned
/// assignments); fails naming the first planned trial that has no record.
Result<learn::SearchOutcome> ReadTrialRuns(store::MetaStore& meta, const std::string& parent_run,
                                           const std::vector<learn::ParamAssignments>& planned);

/// What the controller hands to its Slurm jobs.
struct SlurmContext {
  const Spec* spec = nullptr;
  store::Store* store = nullptr;
  /// parent_run: the pipeline's run; data_digest: its snapshot's blob in the artifact store.
  TrialRunInfo run;
  /// The hone binary the jobs run (this one: /proc/self/exe).
  std::filesystem::path hone_binary;
  /// Ctrl-C: the jobs are cancelled.
  const std::atomic<bool>* cancel = nullptr;
  /// The sbatch/squeue/scancel runner; null: the system's.
  CommandRunner* runner = nullptr;
};

/// Submits the search's trials as one array, waits for it, and returns the trials read back
/// from the store with the best one chosen as learn::RunSearch chooses. A task that did not
/// complete fails the stage with Slurm's state and the end of its log; a trial that failed on
/// its own (bad parameters) is recorded as such, like the local executor's.
Result<learn::SearchOutcome> RunSearchOnSlurm(const SlurmContext& context);

/// The work of one array task (`hone exec-trial`): reads the run's data snapshot (blob
/// `data_digest`), prepares the training rows as the pipeline does, runs trial `index` with
/// `threads` threads, and records it as a child run of `run_id`.
Result<learn::TrialResult> RunTrialTask(const Spec& spec, store::Store& store,
                                        const TrialRunInfo& info, size_t index, unsigned threads);

/// Fits the run's model, with `params` (a search's best) added to train.params, as one Slurm
/// job (`hone exec-train`) and returns the digest of the bundle the job put in the artifact
/// folder (and tagged the run with). Fails as RunSearchOnSlurm does.
Result<std::string> RunTrainOnSlurm(const SlurmContext& context,
                                    const learn::ParamAssignments& params);

/// The job's work: fits the spec's model (with `params` added) on the run's snapshot exactly
/// as the local train stage does, puts the bundle in the artifact folder and tags `run_id` with
/// its digest (kSlurmBundleTag); the digest.
Result<std::string> RunTrainTask(const Spec& spec, store::Store& store, const TrialRunInfo& info,
                                 const learn::ParamAssignments& params, unsigned threads);

/// The run tag that names the bundle a Slurm train job wrote.
inline constexpr char kSlurmBundleTag[] = "hone.slurm_bundle";

}  // namespace hone::pipeline::exec

#endif  // HONE_PIPELINE_EXEC_SLURM_SEARCH_H_
