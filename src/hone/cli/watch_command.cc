// hone watch: the loop, forever: retrain on triggers, release to a canary (or shadow), promote
// or roll back on live evidence; every decision in the audit log.
#include <iostream>

#include <unistd.h>

#include "hone/cli/commands.h"
#include "hone/cli/interrupt.h"
#include "hone/cli/report.h"
#include "hone/cli/store_report.h"
#include "hone/core/cron.h"
#include "hone/loop/controller.h"
#include "hone/registry/code_state.h"
#include "hone/registry/registry.h"

namespace hone::cli {
namespace {

struct WatchFlags {
  std::string file = "hone.yaml";
  bool once = false;
  bool json = false;
  StoreFlags store;
};

nlohmann::json LookJson(const loop::LookResult& look) {
  nlohmann::json decisions = nlohmann::json::array();
  for (const loop::Decision& d : look.decisions) decisions.push_back(d.ToJson());
  return {{"held", look.held}, {"holder", look.holder}, {"decisions", std::move(decisions)}};
}

int RunWatch(Io& io, const WatchFlags& f) {
  auto spec = pipeline::LoadSpec(f.file);
  if (!spec) return ReportError(io, "watch", spec.error(), f.json);
  const std::filesystem::path dir =
      std::filesystem::absolute(spec->dir.empty() ? std::filesystem::path(".") : spec->dir);
  {  // Made (or found) once here, so that a wrong --store fails at once.
    auto store = OpenStoreFrom(f.store, /*create=*/true, dir);
    if (!store) return ReportError(io, "watch", store.error(), f.json);
  }
  InterruptGuard guard;
  std::ostream& log = f.json ? io.err : io.out;
  loop::ControllerOptions options;
  const StoreFlags store_flags = f.store;
  options.open = [store_flags, dir] { return OpenStoreFrom(store_flags, false, dir); };
  options.holder = registry::HostName() + ":" + std::to_string(::getpid()) + ":" +
                   store::NewRunId().substr(0, 8);
  options.actor = registry::DefaultActor();
  options.actor.name = "hone-watch(" + options.actor.name + ")";
  options.cancel = guard.cancel();
  options.log = [&log](std::string_view line) {
    log << core::FormatUtc(store::NowMs()) << " " << line << "\n" << std::flush;
  };
  auto controller = loop::Controller::Create(std::move(*spec), std::move(options));
  if (!controller) return ReportError(io, "watch", controller.error(), f.json);
  if (f.once) {
    auto look = (*controller)->Look();
    if (!look) return ReportError(io, "watch", look.error(), f.json);
    if (f.json) {
      io.out << DumpJson(LookJson(*look)) << "\n";
    } else if (!look->held) {
      io.out << "the lease is held by " << look->holder << "; nothing done\n";
    } else if (!look->decisions.empty()) {
      io.out << "waiting: " << look->decisions.back().reason << "\n";
    }
    return kExitOk;
  }
  auto ran = (*controller)->Run();
  if (!ran) return ReportError(io, "watch", ran.error(), f.json);
  return kExitOk;
}

}  // namespace

Action AddWatchCommand(CLI::App& app) {
  auto f = std::make_shared<WatchFlags>();
  CLI::App* cmd = app.add_subcommand(
      "watch",
      "The loop: retrain when data, drift, live metrics, a schedule or a commit say so; release "
      "the candidate to a canary or shadow; promote or roll back on live evidence (the `watch:` "
      "section of hone.yaml)");
  cmd->add_option("-f,--file", f->file, "The pipeline spec")->capture_default_str();
  cmd->add_flag("--once", f->once, "Look once, act if needed, and exit");
  cmd->add_flag("--json", f->json, "With --once: print the look's decisions as JSON");
  AddStoreFlags(cmd, f->store);
  return [f](Io& io) { return RunWatch(io, *f); };
}

}  // namespace hone::cli
