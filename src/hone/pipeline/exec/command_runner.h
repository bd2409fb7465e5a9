// Running a cluster's command-line tools (sbatch, squeue, scontrol, scancel) and reading what
// they print: the seam between an executor and the programs it drives, so that unit tests put
// a scripted fake in their place.
#ifndef HONE_PIPELINE_EXEC_COMMAND_RUNNER_H_
#define HONE_PIPELINE_EXEC_COMMAND_RUNNER_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "hone/core/error.h"

namespace hone::pipeline::exec {

struct CommandOutput {
  /// The exit status, or 128 + signal number when a signal ended it.
  int exit_code = 0;
  std::string out;
  std::string err;
};

class CommandRunner {
 public:
  virtual ~CommandRunner() = default;
  using Env = std::vector<std::pair<std::string, std::string>>;
  /// Runs argv[0] (found on PATH) with the other arguments, no shell, standard input from
  /// /dev/null, the inherited environment plus `env` (which wins), and returns what it printed.
  /// kIo when it cannot be started; a non-zero exit is a result.
  virtual Result<CommandOutput> Run(const std::vector<std::string>& argv, const Env& env) = 0;
  Result<CommandOutput> Run(const std::vector<std::string>& argv) { return Run(argv, {}); }
};

/// The real thing: posix_spawnp, both outputs read through pipes.
std::unique_ptr<CommandRunner> SystemCommandRunner();

}  // namespace hone::pipeline::exec

#endif  // HONE_PIPELINE_EXEC_COMMAND_RUNNER_H_
