// hone exec-trial and hone exec-train: the work of a Slurm job of the Slurm executor
// (pipeline/exec): one task of a search's job array, or the train stage's fit. Not for people:
// the executor writes these command lines; the store comes from HONE_STORE and HONE_ARTIFACTS,
// which the job inherits from sbatch.
#include <cstdlib>
#include <iostream>
#include <optional>

#include "hone/cli/commands.h"
#include "hone/cli/report.h"
#include "hone/cli/store_report.h"
#include "hone/core/parallel.h"
#include "hone/pipeline/exec/slurm_search.h"
#include "hone/registry/registry.h"

namespace hone::cli {
namespace {

struct ExecTrialFlags {
  std::string file = "hone.yaml";
  std::string run;
  std::string data;
  std::optional<size_t> trial;
  StoreFlags store;
};

// A whole number from the environment (Slurm's SLURM_ARRAY_TASK_ID, SLURM_CPUS_PER_TASK).
std::optional<size_t> FromEnv(const char* name) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return std::nullopt;
  char* end = nullptr;
  const unsigned long long n = std::strtoull(text, &end, 10);
  if (*end != '\0') return std::nullopt;
  return static_cast<size_t>(n);
}

int RunExecTrial(Io& io, const ExecTrialFlags& f) {
  const std::optional<size_t> index = f.trial ? f.trial : FromEnv("SLURM_ARRAY_TASK_ID");
  if (!index) {
    return ReportError(io, "exec-trial",
                       Error{ErrorCode::kInvalidArgument,
                             "no trial: pass --trial N or run as a Slurm array task "
                             "(SLURM_ARRAY_TASK_ID)"},
                       false);
  }
  auto spec = pipeline::LoadSpec(f.file);
  if (!spec) return ReportError(io, "exec-trial", spec.error(), false);
  auto store = OpenStoreFrom(f.store, /*create=*/false);
  if (!store) return ReportError(io, "exec-trial", store.error(), false);
  pipeline::exec::TrialRunInfo info{f.run, spec->model, f.data,
                                    io.command_line + " (trial " + std::to_string(*index) + ")",
                                    registry::DefaultActor().name};
  // The CPUs Slurm gave the task, else every core.
  const unsigned threads = static_cast<unsigned>(FromEnv("SLURM_CPUS_PER_TASK").value_or(0));
  auto trial = pipeline::exec::RunTrialTask(*spec, *store, info, *index, threads);
  if (!trial) return ReportError(io, "exec-trial", trial.error(), false);
  io.out << "trial " << *index << ": "
         << (trial->error ? "failed: " + *trial->error : "score " + std::to_string(trial->score))
         << " (" << trial->seconds << " s)\n";
  return kExitOk;
}

struct ExecTrainFlags {
  std::string file = "hone.yaml";
  std::string run;
  std::string data;
  std::vector<std::string> params;
  StoreFlags store;
};

int RunExecTrain(Io& io, const ExecTrainFlags& f) {
  learn::ParamAssignments params;
  for (const std::string& p : f.params) {
    const size_t eq = p.find('=');
    if (eq == std::string::npos || eq == 0) {
      return ReportError(
          io, "exec-train",
          Error{ErrorCode::kInvalidArgument, "--param must be KEY=VALUE, got '" + p + "'"}, false);
    }
    params.emplace_back(p.substr(0, eq), p.substr(eq + 1));
  }
  auto spec = pipeline::LoadSpec(f.file);
  if (!spec) return ReportError(io, "exec-train", spec.error(), false);
  auto store = OpenStoreFrom(f.store, /*create=*/false);
  if (!store) return ReportError(io, "exec-train", store.error(), false);
  pipeline::exec::TrialRunInfo info{f.run, spec->model, f.data, io.command_line,
                                    registry::DefaultActor().name};
  const unsigned threads = static_cast<unsigned>(FromEnv("SLURM_CPUS_PER_TASK").value_or(0));
  auto digest = pipeline::exec::RunTrainTask(*spec, *store, info, params, threads);
  if (!digest) return ReportError(io, "exec-train", digest.error(), false);
  io.out << "trained " << spec->model << ": bundle " << *digest << "\n";
  return kExitOk;
}

}  // namespace

Action AddExecTrainCommand(CLI::App& app) {
  auto f = std::make_shared<ExecTrainFlags>();
  CLI::App* cmd = app.add_subcommand(
      "exec-train", "The train stage's fit of a run, as a Slurm job runs it (internal)");
  cmd->group("");  // not listed in --help: the Slurm executor writes this command line
  cmd->add_option("-f,--file", f->file, "The pipeline spec")->capture_default_str();
  cmd->add_option("--run", f->run, "The run whose model this is")->required();
  cmd->add_option("--data", f->data, "The SHA-256 of the run's data snapshot")->required();
  cmd->add_option("--param", f->params, "KEY=VALUE added to train.params (repeatable)");
  AddStoreFlags(cmd, f->store);
  return [f](Io& io) { return RunExecTrain(io, *f); };
}

Action AddExecTrialCommand(CLI::App& app) {
  auto f = std::make_shared<ExecTrialFlags>();
  CLI::App* cmd = app.add_subcommand(
      "exec-trial", "One search trial of a run, as a Slurm array task runs it (internal)");
  cmd->group("");  // not listed in --help: the Slurm executor writes this command line
  cmd->add_option("-f,--file", f->file, "The pipeline spec")->capture_default_str();
  cmd->add_option("--run", f->run, "The run whose search this trial belongs to")->required();
  cmd->add_option("--data", f->data, "The SHA-256 of the run's data snapshot")->required();
  cmd->add_option("--trial", f->trial, "The trial's index (default: SLURM_ARRAY_TASK_ID)");
  AddStoreFlags(cmd, f->store);
  return [f](Io& io) { return RunExecTrial(io, *f); };
}

}  // namespace hone::cli
