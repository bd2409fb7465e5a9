#include "hone/pipeline/exec/slurm.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <optional>
#include <thread>

#include "hone/core/file.h"
#include "hone/core/process.h"

namespace hone::pipeline::exec {
namespace {

std::string Trimmed(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  while (!text.empty() && (text.front() == '\n' || text.front() == ' ')) text.remove_prefix(1);
  return std::string(text);
}

std::optional<int> ToInt(std::string_view text) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Task indices of squeue's %K for a pending array that is not split yet: "0-15", "3,5-7%2".
std::vector<int> ExpandIndices(std::string_view spec) {
  std::vector<int> out;
  if (size_t limit = spec.find('%'); limit != std::string_view::npos) spec = spec.substr(0, limit);
  while (!spec.empty()) {
    const size_t comma = spec.find(',');
    std::string_view part = spec.substr(0, comma);
    spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
    const size_t dash = part.find('-');
    auto low = ToInt(part.substr(0, dash));
    auto high = dash == std::string_view::npos ? low : ToInt(part.substr(dash + 1));
    if (!low || !high) continue;
    for (int i = *low; i <= *high; ++i) out.push_back(i);
  }
  return out;
}

}  // namespace

bool IsFinalSlurmState(std::string_view state) {
  for (std::string_view final_state :
       {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL", "BOOT_FAIL",
        "DEADLINE", "PREEMPTED", "REVOKED", "SPECIAL_EXIT"}) {
    if (state == final_state) return true;
  }
  // squeue shows "CANCELLED by 0" for a job someone cancelled.
  return state.starts_with("CANCELLED");
}

std::vector<std::string> SbatchArguments(const SlurmJob& job) {
  std::vector<std::string> args = {"sbatch", "--parsable", "--job-name", job.name};
  if (job.array_size > 0) {
    std::string array = "0-" + std::to_string(job.array_size - 1);
    if (job.max_running > 0) array += "%" + std::to_string(job.max_running);
    args.insert(args.end(), {"--array", array});
  }
  if (!job.log.empty()) args.insert(args.end(), {"--output", job.log.string()});
  if (!job.workdir.empty()) args.insert(args.end(), {"--chdir", job.workdir.string()});
  const SlurmResources& r = job.resources;
  if (!r.partition.empty()) args.insert(args.end(), {"--partition", r.partition});
  if (!r.time_limit.empty()) args.insert(args.end(), {"--time", r.time_limit});
  if (r.cpus > 0) args.insert(args.end(), {"--cpus-per-task", std::to_string(r.cpus)});
  if (!r.memory.empty()) args.insert(args.end(), {"--mem", r.memory});
  args.insert(args.end(), {"--wrap", job.command});
  return args;
}

Result<CommandOutput> Slurm::RunTool(const std::vector<std::string>& argv,
                                     const CommandRunner::Env& env) {
  auto ran = runner_.Run(argv, env);
  if (!ran) {
    return Fail(ran.error().WithContext("running " + argv[0] +
                                        " (is Slurm's client installed and SLURM_CONF set?)"));
  }
  return ran;
}

Result<std::string> Slurm::Submit(const SlurmJob& job) {
  HONE_ASSIGN_OR_RETURN(CommandOutput out, RunTool(SbatchArguments(job), job.env));
  // --parsable prints "ID" or "ID;CLUSTER".
  std::string id = Trimmed(out.out);
  if (size_t semi = id.find(';'); semi != std::string::npos) id.resize(semi);
  if (out.exit_code != 0 || id.empty() || !ToInt(id)) {
    return Fail(ErrorCode::kIo, "sbatch refused job '" + job.name + "' (exit " +
                                    std::to_string(out.exit_code) +
                                    "): " + Trimmed(out.err.empty() ? out.out : out.err));
  }
  return id;
}

Result<std::vector<SlurmTask>> Slurm::Poll(const std::string& job_id, int array_size) {
  HONE_ASSIGN_OR_RETURN(CommandOutput out,
                        RunTool({"squeue", "--noheader", "--states", "all", "--jobs", job_id,
                                 "--array", "--format", "%i|%K|%T|%r"}));
  if (out.exit_code != 0) {
    return Fail(ErrorCode::kIo, "squeue on job " + job_id + " failed (exit " +
                                    std::to_string(out.exit_code) + "): " + Trimmed(out.err));
  }
  std::map<int, SlurmTask> tasks;
  size_t start = 0;
  const std::string& text = out.out;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = Trimmed(std::string_view(text).substr(start, end - start));
    start = end + 1;
    std::vector<std::string> fields;
    size_t from = 0;
    for (size_t bar; (bar = line.find('|', from)) != std::string::npos; from = bar + 1) {
      fields.push_back(line.substr(from, bar - from));
    }
    fields.push_back(line.substr(from));
    if (fields.size() != 4) continue;
    std::vector<int> indices;
    if (array_size == 0) {
      indices = {0};
    } else if (auto one = ToInt(fields[1])) {
      indices = {*one};
    } else {
      indices = ExpandIndices(fields[1]);  // a pending array not yet split: "0-15"
    }
    for (int index : indices) tasks[index] = {index, fields[2], fields[3]};
  }
  std::vector<SlurmTask> result;
  for (auto& [index, task] : tasks) result.push_back(std::move(task));
  return result;
}

Result<void> Slurm::Cancel(const std::string& job_id) {
  HONE_ASSIGN_OR_RETURN(CommandOutput out, RunTool({"scancel", job_id}));
  if (out.exit_code != 0) {
    return Fail(ErrorCode::kIo, "scancel " + job_id + " failed (exit " +
                                    std::to_string(out.exit_code) + "): " + Trimmed(out.err));
  }
  return {};
}

Result<std::vector<SlurmTask>> Slurm::Wait(const std::string& job_id, int array_size,
                                           const std::atomic<bool>* cancel,
                                           std::chrono::milliseconds interval) {
  const size_t expected = array_size > 0 ? static_cast<size_t>(array_size) : 1;
  // Every task seen so far, in its latest state. Slurm purges a finished task's record after
  // MinJobAge (5 minutes by default) even while the rest of its array runs: a task seen in a
  // final state stays so here.
  std::map<int, SlurmTask> known;
  // A job squeue does not show at all, polls in a row: it is gone (purged, or never known).
  int unseen = 0;
  constexpr int kMaxUnseen = 20;
  while (true) {
    if (cancel != nullptr && cancel->load()) {
      (void)Cancel(job_id);
      return Fail(ErrorCode::kInternal, "slurm job " + job_id + " was cancelled");
    }
    HONE_ASSIGN_OR_RETURN(std::vector<SlurmTask> tasks, Poll(job_id, array_size));
    for (SlurmTask& task : tasks) known[task.index] = std::move(task);
    const bool done =
        known.size() >= expected && std::all_of(known.begin(), known.end(), [](const auto& entry) {
          return IsFinalSlurmState(entry.second.state);
        });
    if (done) {
      std::vector<SlurmTask> result;
      for (auto& [index, task] : known) result.push_back(std::move(task));
      return result;
    }
    unseen = tasks.empty() ? unseen + 1 : 0;
    if (unseen >= kMaxUnseen) {
      return Fail(ErrorCode::kNotFound, "slurm job " + job_id + " is not known to squeue (" +
                                            std::to_string(known.size()) + " of " +
                                            std::to_string(expected) + " tasks seen)");
    }
    // Sleep in slices, so that a cancellation is acted on within 50 ms.
    const auto until = std::chrono::steady_clock::now() + interval;
    while (std::chrono::steady_clock::now() < until && !(cancel != nullptr && cancel->load())) {
      std::this_thread::sleep_for(std::min(interval, std::chrono::milliseconds(50)));
    }
  }
}

Result<void> RequireCompleted(const std::string& job_id, const SlurmJob& job,
                              const std::vector<SlurmTask>& tasks) {
  for (const SlurmTask& task : tasks) {
    if (task.state == "COMPLETED") continue;
    std::string where = "slurm job " + job_id;
    std::string log = job.log.string();
    if (job.array_size > 0) {
      where += " task " + std::to_string(task.index);
      for (size_t at; (at = log.find("%a")) != std::string::npos;) {
        log.replace(at, 2, std::to_string(task.index));
      }
    }
    std::string message = where + " (" + job.name + "): " + task.state;
    if (!task.reason.empty() && task.reason != "None") message += " (" + task.reason + ")";
    if (!log.empty()) {
      if (auto text = core::ReadFile(log); text && !text->empty()) {
        message += "; its log " + log + " ends:\n" + core::TailLines(*text, 10, 2048);
      } else {
        message += "; no log at " + log;
      }
    }
    return Fail(ErrorCode::kIo, message);
  }
  return {};
}

}  // namespace hone::pipeline::exec
