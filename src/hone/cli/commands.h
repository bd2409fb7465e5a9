// The subcommands of `hone`, each registered on the CLI11 app by its own file.
#ifndef HONE_CLI_COMMANDS_H_
#define HONE_CLI_COMMANDS_H_

#include <functional>
#include <ostream>
#include <string>

#include <CLI/CLI.hpp>

namespace hone::cli {

/// Where a command prints, and how it reports the exit code it decided on.
struct Io {
  std::ostream& out;
  std::ostream& err;
  std::string command_line;  // as the user typed it, for the run a command records
};

/// A parsed subcommand's action; returns the exit code.
using Action = std::function<int(Io&)>;

/// Each adds its subcommand to `app` and returns the action to run when it is chosen.
Action AddTrainCommand(CLI::App& app);
Action AddEvalCommand(CLI::App& app);
Action AddPredictCommand(CLI::App& app);
Action AddRunsCommand(CLI::App& app);
Action AddModelsCommand(CLI::App& app);
Action AddPromoteCommand(CLI::App& app);
Action AddRollbackCommand(CLI::App& app);
Action AddAliasCommand(CLI::App& app);
Action AddStoreCommand(CLI::App& app);
Action AddGcCommand(CLI::App& app);
Action AddAuditCommand(CLI::App& app);
Action AddRunCommand(CLI::App& app);
Action AddInitCommand(CLI::App& app);
Action AddServeCommand(CLI::App& app);
Action AddServerCommand(CLI::App& app);
Action AddTokenCommand(CLI::App& app);
Action AddUiCommand(CLI::App& app);
Action AddWatchCommand(CLI::App& app);
Action AddMonitorCommand(CLI::App& app);
Action AddFeedbackCommand(CLI::App& app);
Action AddExecTrialCommand(CLI::App& app);
Action AddExecTrainCommand(CLI::App& app);

}  // namespace hone::cli

#endif  // HONE_CLI_COMMANDS_H_
