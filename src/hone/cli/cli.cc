#include "hone/cli/cli.h"

#include <map>

#include <CLI/CLI.hpp>

#include "hone/cli/commands.h"
#include "hone/cli/report.h"
#include "hone/learn/training.h"

namespace hone::cli {

int Run(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app("hone: continuous training and delivery for machine-learning models", "hone");
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("hone ") + learn::HoneVersion());
  std::map<std::string, Action> actions = {
      {"train", AddTrainCommand(app)},
      {"eval", AddEvalCommand(app)},
      {"predict", AddPredictCommand(app)},
  };
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e, out, err);
    return code == 0 ? kExitOk : kExitError;
  }
  Io io{out, err};
  for (CLI::App* sub : app.get_subcommands()) {
    auto it = actions.find(sub->get_name());
    if (it != actions.end()) return it->second(io);
  }
  return kExitError;
}

}  // namespace hone::cli
