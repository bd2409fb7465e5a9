// Running another program: a shell command with extra environment, its output captured to a
// log file, a timeout, and cancellation. The seam for stage executors (a command stage here,
// Slurm's sbatch/squeue later).
#ifndef HONE_CORE_PROCESS_H_
#define HONE_CORE_PROCESS_H_

#include <atomic>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "hone/core/error.h"

namespace hone::core {

struct ProcessRequest {
  /// Run as `/bin/sh -c command`.
  std::string command;
  /// The working directory; empty = the current one.
  std::filesystem::path workdir;
  /// Added to (or replacing in) the inherited environment.
  std::vector<std::pair<std::string, std::string>> env;
  /// Standard output and standard error both go here (created or truncated).
  std::filesystem::path log;
  /// <= 0: no limit. On expiry the whole process group gets SIGTERM, then SIGKILL if the shell
  /// has not exited 5 s later (what it leaves behind is ended as RunProcess says).
  double timeout_seconds = 0;
  /// When set and it becomes true (Ctrl-C), the process group is ended the same way.
  const std::atomic<bool>* cancel = nullptr;
};

struct ProcessResult {
  /// The exit status, or 128 + signal number when a signal ended it.
  int exit_code = 0;
  bool timed_out = false;
  bool cancelled = false;
  double seconds = 0;
  /// The log's last lines (at most 20 lines and 4 KiB), for error messages.
  std::string log_tail;
};

/// Runs the command to completion (or timeout, or cancellation) in its own process group,
/// with standard input from /dev/null. However the shell ends, the processes left in its group
/// when it exits (a `server &` it started) get SIGKILL at once, with no grace period, before
/// RunProcess returns; one that moved to a group of its own (setsid) is not reached. kIo when
/// the command cannot be started (no /bin/sh, log not writable); a non-zero exit is a result,
/// not an error.
Result<ProcessResult> RunProcess(const ProcessRequest& request);

/// The last `max_lines` lines of `text`, at most `max_bytes` bytes.
std::string TailLines(std::string_view text, size_t max_lines, size_t max_bytes);

}  // namespace hone::core

#endif  // HONE_CORE_PROCESS_H_
