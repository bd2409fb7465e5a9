#include "hone/cli/cli.h"

#include <map>

#include <CLI/CLI.hpp>

#include "hone/cli/commands.h"
#include "hone/cli/report.h"
#include "hone/learn/training.h"

namespace hone::cli {
namespace {

/// `postgresql://user:secret@host/db` → `postgresql://user:***@host/db`: command lines are
/// kept with runs, passwords must not be.
std::string WithoutPassword(std::string arg) {
  const size_t scheme = arg.find("://");
  if (scheme == std::string::npos) return arg;
  const size_t at = arg.find('@', scheme + 3);
  const size_t colon = arg.find(':', scheme + 3);
  if (at == std::string::npos || colon == std::string::npos || colon > at) return arg;
  return arg.substr(0, colon + 1) + "***" + arg.substr(at);
}

}  // namespace

int Run(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app("hone: continuous training and delivery for machine-learning models", "hone");
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("hone ") + learn::HoneVersion());
  std::map<std::string, Action> actions = {
      {"train", AddTrainCommand(app)},
      {"eval", AddEvalCommand(app)},
      {"predict", AddPredictCommand(app)},
      {"runs", AddRunsCommand(app)},
      {"models", AddModelsCommand(app)},
      {"promote", AddPromoteCommand(app)},
      {"rollback", AddRollbackCommand(app)},
      {"alias", AddAliasCommand(app)},
      {"store", AddStoreCommand(app)},
      {"gc", AddGcCommand(app)},
      {"audit", AddAuditCommand(app)},
      {"run", AddRunCommand(app)},
      {"init", AddInitCommand(app)},
      {"serve", AddServeCommand(app)},
      {"server", AddServerCommand(app)},
      {"token", AddTokenCommand(app)},
      {"ui", AddUiCommand(app)},
      {"watch", AddWatchCommand(app)},
      {"monitor", AddMonitorCommand(app)},
      {"feedback", AddFeedbackCommand(app)},
      {"exec-trial", AddExecTrialCommand(app)},
      {"exec-train", AddExecTrainCommand(app)},
  };
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e, out, err);
    return code == 0 ? kExitOk : kExitError;
  }
  std::string command_line = "hone";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = WithoutPassword(argv[i]);
    const bool plain = !arg.empty() && arg.find_first_of(" \t\"'$\\") == std::string::npos;
    command_line += " " + (plain ? arg : "'" + arg + "'");
  }
  Io io{out, err, std::move(command_line)};
  for (CLI::App* sub : app.get_subcommands()) {
    auto it = actions.find(sub->get_name());
    if (it != actions.end()) return it->second(io);
  }
  return kExitError;
}

}  // namespace hone::cli
