// hone promote | rollback | alias: moving aliases, each move one audited transaction.
#include <charconv>

#include "hone/cli/commands.h"
#include "hone/cli/report.h"
#include "hone/cli/store_report.h"
#include "hone/registry/registry.h"

namespace hone::cli {
namespace {

struct ReleaseFlags {
  StoreFlags store;
  bool json = false;
  std::string model;
  std::string version;
  std::string alias = std::string(registry::kProductionAlias);
  std::string expect;
  bool force = false;
};

Result<int64_t> ParseVersionNumber(std::string_view text, std::string_view what) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < 1) {
    return Fail(ErrorCode::kInvalidArgument, std::string(what) + " '" + std::string(text) +
                                                 "' is not a version number (1, 2, 3, …)");
  }
  return value;
}

/// --expect: a version number, or "none" for an alias that must not exist yet.
Result<std::optional<std::optional<int64_t>>> ParseExpect(const std::string& text) {
  if (text.empty()) return std::optional<std::optional<int64_t>>();
  if (text == "none") return std::optional<std::optional<int64_t>>(std::optional<int64_t>());
  HONE_ASSIGN_OR_RETURN(int64_t v, ParseVersionNumber(text, "--expect"));
  return std::optional<std::optional<int64_t>>(v);
}

std::string Position(std::optional<int64_t> v) {
  return v ? "version " + std::to_string(*v) : std::string("nothing");
}

int Report(Io& io, const ReleaseFlags& f, std::string_view action,
           const registry::AliasOutcome& o) {
  if (f.json) {
    auto opt = [](std::optional<int64_t> v) { return v ? nlohmann::json(*v) : nlohmann::json(); };
    io.out << DumpJson({{"command", action},
                        {"model", f.model},
                        {"alias", f.alias},
                        {"from", opt(o.from)},
                        {"to", opt(o.to)},
                        {"changed", o.changed}})
           << "\n";
  } else if (!o.changed) {
    io.out << f.model << "@" << f.alias << " already points at " << Position(o.to) << "\n";
  } else {
    io.out << action << " " << f.model << "@" << f.alias << ": " << Position(o.from) << " → "
           << Position(o.to) << "\n";
  }
  return kExitOk;
}

Result<registry::AliasOutcome> Promote(store::Store& s, const ReleaseFlags& f) {
  HONE_ASSIGN_OR_RETURN(auto expect, ParseExpect(f.expect));
  registry::Registry r(*s.meta, s.artifacts, registry::DefaultActor());
  int64_t version = 0;
  if (f.version == "latest") {
    HONE_ASSIGN_OR_RETURN(store::Model m, s.meta->GetModel(f.model));
    version = m.latest_version;
  } else {
    HONE_ASSIGN_OR_RETURN(version, ParseVersionNumber(f.version, "VERSION"));
  }
  return r.Promote(f.model, version, f.alias, expect, f.force);
}

int RunRelease(Io& io, const std::string& command, const ReleaseFlags& f) {
  auto s = OpenStoreFrom(f.store, /*create=*/false);
  if (!s) return ReportError(io, command, s.error(), f.json);
  registry::Registry r(*s->meta, s->artifacts, registry::DefaultActor());
  Result<registry::AliasOutcome> outcome = Fail(ErrorCode::kInternal, "no action");
  if (command == "promote" || command == "alias set") {
    outcome = Promote(*s, f);
  } else if (command == "rollback") {
    outcome = r.Rollback(f.model, f.alias);
  } else {
    auto expect = ParseExpect(f.expect);
    if (!expect) return ReportError(io, command, expect.error(), f.json);
    outcome = r.DeleteAlias(f.model, f.alias, *expect);
  }
  if (!outcome) return ReportError(io, command, outcome.error(), f.json);
  return Report(io, f, command, *outcome);
}

}  // namespace

Action AddPromoteCommand(CLI::App& app) {
  auto f = std::make_shared<ReleaseFlags>();
  CLI::App* cmd = app.add_subcommand("promote", "Point an alias (production) at a version");
  cmd->add_option("NAME", f->model, "Model name")->required();
  cmd->add_option("VERSION", f->version, "Version number, or latest")->required();
  cmd->add_option("--alias", f->alias, "Alias to move")->capture_default_str();
  cmd->add_option("--expect", f->expect,
                  "Only if the alias points at this version now (or 'none': does not exist); "
                  "otherwise fail, because someone moved it first");
  cmd->add_flag("--force", f->force,
                "On a hone server: move a protected alias to a version without a blessed gate "
                "verdict (admin tokens only; the audit log records it as forced)");
  AddStoreCommandFlags(cmd, f->store, f->json);
  return [f](Io& io) { return RunRelease(io, "promote", *f); };
}

Action AddRollbackCommand(CLI::App& app) {
  auto f = std::make_shared<ReleaseFlags>();
  CLI::App* cmd =
      app.add_subcommand("rollback", "Move an alias back to the version it pointed at before");
  cmd->add_option("NAME", f->model, "Model name")->required();
  cmd->add_option("--alias", f->alias, "Alias to move back")->capture_default_str();
  AddStoreCommandFlags(cmd, f->store, f->json);
  return [f](Io& io) { return RunRelease(io, "rollback", *f); };
}

Action AddAliasCommand(CLI::App& app) {
  auto f = std::make_shared<ReleaseFlags>();
  CLI::App* cmd = app.add_subcommand("alias", "Set or delete any alias (staging, canary, …)");
  cmd->require_subcommand(1);
  CLI::App* set = cmd->add_subcommand("set", "Point ALIAS of NAME at VERSION");
  set->add_option("NAME", f->model, "Model name")->required();
  set->add_option("ALIAS", f->alias, "Alias")->required();
  set->add_option("VERSION", f->version, "Version number, or latest")->required();
  CLI::App* del = cmd->add_subcommand("delete", "Remove ALIAS of NAME");
  del->add_option("NAME", f->model, "Model name")->required();
  del->add_option("ALIAS", f->alias, "Alias")->required();
  for (CLI::App* sub : {set, del}) {
    sub->add_option("--expect", f->expect, "Only if the alias points at this version now");
    AddStoreCommandFlags(sub, f->store, f->json);
  }
  return [f, cmd](Io& io) {
    return RunRelease(io, "alias " + cmd->get_subcommands().front()->get_name(), *f);
  };
}

}  // namespace hone::cli
