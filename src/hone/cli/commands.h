// The subcommands of `hone`, each registered on the CLI11 app by its own file.
#ifndef HONE_CLI_COMMANDS_H_
#define HONE_CLI_COMMANDS_H_

#include <functional>
#include <ostream>

#include <CLI/CLI.hpp>

namespace hone::cli {

/// Where a command prints, and how it reports the exit code it decided on.
struct Io {
  std::ostream& out;
  std::ostream& err;
};

/// A parsed subcommand's action; returns the exit code.
using Action = std::function<int(Io&)>;

/// Each adds its subcommand to `app` and returns the action to run when it is chosen.
Action AddTrainCommand(CLI::App& app);
Action AddEvalCommand(CLI::App& app);
Action AddPredictCommand(CLI::App& app);

}  // namespace hone::cli

#endif  // HONE_CLI_COMMANDS_H_
