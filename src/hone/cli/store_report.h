// What the store commands share: the --store and --artifacts flags, opening the store they
// name, and the JSON and text forms of runs, versions, models and alias moves.
#ifndef HONE_CLI_STORE_REPORT_H_
#define HONE_CLI_STORE_REPORT_H_

#include <map>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "hone/cli/commands.h"
#include "hone/cli/report.h"
#include "hone/store/meta_store.h"
#include "hone/store/open_store.h"

namespace hone::cli {

struct StoreFlags {
  std::string store;      // --store, else HONE_STORE
  std::string artifacts;  // --artifacts, else HONE_ARTIFACTS
};
void AddStoreFlags(CLI::App* command, StoreFlags& flags);
/// --store, --artifacts and --json: what every store command takes.
void AddStoreCommandFlags(CLI::App* command, StoreFlags& flags, bool& json);
/// Opens the store the flags (or the environment, or `cwd` or a parent, default the working
/// directory) name.
Result<store::Store> OpenStoreFrom(const StoreFlags& flags, bool create,
                                   const std::filesystem::path& cwd = {});
/// Opens only the MetaStore the flags name, for commands that read no artifact: a
/// postgresql:// or http(s):// store then needs no --artifacts folder.
Result<std::unique_ptr<store::MetaStore>> OpenMetaStoreFrom(const StoreFlags& flags);

/// Runs the subcommand of `command` (e.g. "models") that was chosen, from `bodies` by name, on
/// the store the flags name; prints the JSON it returns with --json, or reports its error.
template <typename Flags>
int RunOnStore(Io& io, CLI::App* command, const Flags& f,
               const std::map<std::string, Result<nlohmann::json> (*)(Io&, store::Store&,
                                                                      const Flags&)>& bodies) {
  const std::string sub = command->get_subcommands().front()->get_name();
  const std::string name = command->get_name() + " " + sub;
  auto s = OpenStoreFrom(f.store, /*create=*/false);
  if (!s) return ReportError(io, name, s.error(), f.json);
  auto j = bodies.at(sub)(io, *s, f);
  if (!j) return ReportError(io, name, j.error(), f.json);
  if (f.json) io.out << DumpJson(*j) << "\n";
  return kExitOk;
}

/// "2026-11-30T03:15:02.123Z".
std::string FormatTime(store::TimeMs ms);

nlohmann::json RunJson(const store::Run& run);
nlohmann::json VersionJson(const store::ModelVersion& version);
nlohmann::json ModelJson(const store::Model& model);
nlohmann::json MoveJson(const store::AliasMove& move);
/// A metric value for JSON: non-finite values become strings ("nan", "inf", "-inf").
nlohmann::json MetricValue(double value);
/// A metric value for text: %.6g.
std::string FormatMetric(double value);

}  // namespace hone::cli

#endif  // HONE_CLI_STORE_REPORT_H_
