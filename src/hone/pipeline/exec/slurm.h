// Slurm through its own tools: a job (or a job array) submitted with sbatch, followed with
// squeue until every task has ended, cancelled with scancel. Nothing is parsed from the job's
// output files but their last lines for messages: results travel through the store.
#ifndef HONE_PIPELINE_EXEC_SLURM_H_
#define HONE_PIPELINE_EXEC_SLURM_H_

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hone/core/error.h"
#include "hone/pipeline/exec/command_runner.h"

namespace hone::pipeline::exec {

/// What a job asks of the cluster; an empty or zero field leaves Slurm's default.
struct SlurmResources {
  std::string partition;   // -p
  std::string time_limit;  // -t, Slurm's format: "30" (minutes), "10:00", "1-00:00:00"
  int cpus = 0;            // --cpus-per-task
  std::string memory;      // --mem, "2G", "512M"
};

struct SlurmJob {
  std::string name;  // -J
  /// Run by the job's shell (sbatch --wrap).
  std::string command;
  /// 0: one job. N: an array of N tasks, SLURM_ARRAY_TASK_ID 0..N-1.
  int array_size = 0;
  /// For an array, the most tasks running at once (0: no limit).
  int max_running = 0;
  /// The job's output (stdout and stderr); for an array "%a" in it is the task index.
  std::filesystem::path log;
  std::filesystem::path workdir;  // --chdir
  SlurmResources resources;
  /// Set in the job's environment: given to sbatch's own environment, which Slurm hands on to
  /// the job (--export=ALL, its default), so that secrets never appear on a command line.
  CommandRunner::Env env;
};

/// One task of a job (index 0 for a job that is not an array) and its Slurm state:
/// PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, OUT_OF_MEMORY, NODE_FAIL, ….
struct SlurmTask {
  int index = 0;
  std::string state;
  std::string reason;  // squeue's %r: why it waits or how it ended ("None" when nothing to say)
};

/// Whether Slurm will not change `state` any more.
bool IsFinalSlurmState(std::string_view state);

/// The sbatch command line that submits `job` (for tests and messages).
std::vector<std::string> SbatchArguments(const SlurmJob& job);

class Slurm {
 public:
  explicit Slurm(CommandRunner& runner) : runner_(runner) {}

  /// Submits the job; its id. Fails with sbatch's own message.
  Result<std::string> Submit(const SlurmJob& job);
  /// The job's tasks as squeue shows them (finished ones too, while Slurm remembers them),
  /// by task index; a pending array not yet split shows as the tasks it holds.
  Result<std::vector<SlurmTask>> Poll(const std::string& job_id, int array_size);
  /// Cancels every task of the job that has not ended.
  Result<void> Cancel(const std::string& job_id);
  /// Polls every `interval` until every task has ended, then returns the tasks. When
  /// `cancel` becomes true, cancels the job and fails saying so.
  Result<std::vector<SlurmTask>> Wait(const std::string& job_id, int array_size,
                                      const std::atomic<bool>* cancel,
                                      std::chrono::milliseconds interval);

 private:
  Result<CommandOutput> RunTool(const std::vector<std::string>& argv,
                                const CommandRunner::Env& env = {});
  CommandRunner& runner_;
};

/// Fails naming the first task that did not complete, with its state and the last lines of
/// its log (`log` as given to the job, "%a" replaced by the task index), e.g.
/// "slurm job 42 task 3: FAILED (NonZeroExitCode); its log ends: …".
Result<void> RequireCompleted(const std::string& job_id, const SlurmJob& job,
                              const std::vector<SlurmTask>& tasks);

}  // namespace hone::pipeline::exec

#endif  // HONE_PIPELINE_EXEC_SLURM_H_
