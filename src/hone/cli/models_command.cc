// hone models list | show | versions | diff | lineage: what the registry holds.
#include <cstdio>

#include "hone/cli/commands.h"
#include "hone/cli/report.h"
#include "hone/cli/store_report.h"
#include "hone/registry/lineage.h"
#include "hone/registry/registry.h"

namespace hone::cli {
namespace {

struct ModelsFlags {
  StoreFlags store;
  bool json = false;
  std::string name;
  std::vector<std::string> refs;
  size_t limit = 0;
  bool newest_first = false;
};

std::string AliasList(const std::map<std::string, int64_t>& aliases) {
  std::string out;
  for (const auto& [alias, version] : aliases) {
    out += (out.empty() ? "" : ", ") + alias + "=" + std::to_string(version);
  }
  return out.empty() ? "-" : out;
}

Result<nlohmann::json> List(Io& io, store::Store& s, const ModelsFlags& f) {
  HONE_ASSIGN_OR_RETURN(std::vector<store::Model> models, s.meta->ListModels());
  nlohmann::json j = {{"models", nlohmann::json::array()}};
  for (const store::Model& m : models) j["models"].push_back(ModelJson(m));
  if (!f.json) {
    char line[256];
    std::snprintf(line, sizeof(line), "%-24s %7s  %-24s  %s\n", "MODEL", "LATEST", "CREATED",
                  "ALIASES");
    io.out << line;
    for (const store::Model& m : models) {
      std::snprintf(line, sizeof(line), "%-24s %7lld  %-24s  ", m.name.c_str(),
                    static_cast<long long>(m.latest_version), FormatTime(m.created_ms).c_str());
      io.out << line << AliasList(m.aliases) << "\n";
    }
  }
  return j;
}

Result<nlohmann::json> Show(Io& io, store::Store& s, const ModelsFlags& f) {
  HONE_ASSIGN_OR_RETURN(store::Model m, s.meta->GetModel(f.name));
  HONE_ASSIGN_OR_RETURN(store::ModelVersion latest, s.meta->GetVersion(m.name, m.latest_version));
  nlohmann::json j = ModelJson(m);
  j["latest"] = VersionJson(latest);
  if (!f.json) {
    io.out << "model    " << m.name << "\n"
           << "created  " << FormatTime(m.created_ms) << "\n"
           << "versions 1.." << m.latest_version << "\n"
           << "aliases  " << AliasList(m.aliases) << "\n"
           << "latest   " << m.name << "/" << latest.version << " (digest "
           << latest.bundle_digest.substr(0, 16) << ", " << FormatTime(latest.created_ms) << ")\n";
    for (const auto& [key, value] : latest.metrics) {
      io.out << "  " << key << " " << FormatMetric(value) << "\n";
    }
  }
  return j;
}

Result<nlohmann::json> Versions(Io& io, store::Store& s, const ModelsFlags& f) {
  HONE_ASSIGN_OR_RETURN(
      std::vector<store::ModelVersion> versions,
      s.meta->ListVersions(f.name,
                           {.limit = f.limit, .offset = 0, .newest_first = f.newest_first}));
  nlohmann::json j = {{"model", f.name}, {"versions", nlohmann::json::array()}};
  for (const store::ModelVersion& v : versions) j["versions"].push_back(VersionJson(v));
  if (!f.json) {
    char line[256];
    std::snprintf(line, sizeof(line), "%7s  %-16s  %-24s  %-10s  %s\n", "VERSION", "DIGEST",
                  "CREATED", "RUN", "ALIASES");
    io.out << line;
    for (const store::ModelVersion& v : versions) {
      std::string aliases;
      for (const std::string& a : v.aliases) aliases += (aliases.empty() ? "" : ", ") + a;
      std::snprintf(line, sizeof(line), "%7lld  %-16s  %-24s  %-10s  %s\n",
                    static_cast<long long>(v.version), v.bundle_digest.substr(0, 16).c_str(),
                    FormatTime(v.created_ms).c_str(),
                    v.run_id ? v.run_id->substr(0, 10).c_str() : "-",
                    aliases.empty() ? "-" : aliases.c_str());
      io.out << line;
    }
  }
  return j;
}

/// The version a registry reference names.
Result<store::ModelVersion> VersionOf(store::Store& s, const std::string& text) {
  HONE_ASSIGN_OR_RETURN(registry::ModelRef ref, registry::ParseModelRef(text));
  registry::Registry r(*s.meta, s.artifacts, registry::DefaultActor());
  HONE_ASSIGN_OR_RETURN(int64_t version, r.ResolveVersion(ref));
  return s.meta->GetVersion(ref.model, version);
}

std::string Side(const std::optional<std::string>& value) { return value ? *value : "(none)"; }

Result<nlohmann::json> Diff(Io& io, store::Store& s, const ModelsFlags& f) {
  if (f.refs.size() != 2) {
    return Fail(ErrorCode::kInvalidArgument, "diff takes two versions, e.g. churn/3 churn/4");
  }
  HONE_ASSIGN_OR_RETURN(store::ModelVersion a, VersionOf(s, f.refs[0]));
  HONE_ASSIGN_OR_RETURN(store::ModelVersion b, VersionOf(s, f.refs[1]));
  registry::VersionDiff d = registry::DiffVersions(std::move(a), std::move(b));
  auto opt = [](const auto& v) { return v ? nlohmann::json(*v) : nlohmann::json(); };
  nlohmann::json params = nlohmann::json::array();
  for (const auto& c : d.params)
    params.push_back({{"key", c.key}, {"a", opt(c.a)}, {"b", opt(c.b)}});
  nlohmann::json metrics = nlohmann::json::array();
  for (const auto& c : d.metrics) {
    nlohmann::json m = {{"key", c.key},
                        {"a", c.a ? MetricValue(*c.a) : nlohmann::json()},
                        {"b", c.b ? MetricValue(*c.b) : nlohmann::json()}};
    m["delta"] = c.a && c.b ? MetricValue(*c.b - *c.a) : nlohmann::json();
    metrics.push_back(std::move(m));
  }
  auto side = [](const store::ModelVersion& v) {
    return nlohmann::json{
        {"model", v.model},
        {"version", v.version},
        {"digest", v.bundle_digest},
        {"data_digest", v.data_digest ? nlohmann::json(*v.data_digest) : nullptr},
        {"code_commit", v.code_commit ? nlohmann::json(*v.code_commit) : nullptr},
        {"config_digest", v.config_digest ? nlohmann::json(*v.config_digest) : nullptr}};
  };
  nlohmann::json j = {{"a", side(d.a)},
                      {"b", side(d.b)},
                      {"params", params},
                      {"metrics", metrics},
                      {"same",
                       {{"bundle", d.same_bundle},
                        {"data", d.same_data},
                        {"code", d.same_code},
                        {"config", d.same_config}}}};
  if (!f.json) {
    const std::string an = d.a.model + "/" + std::to_string(d.a.version);
    const std::string bn = d.b.model + "/" + std::to_string(d.b.version);
    io.out << "diff " << an << " → " << bn << "\n";
    auto line = [&](const char* what, bool same, const std::optional<std::string>& x,
                    const std::optional<std::string>& y) {
      io.out << "  " << what << (same ? "  same" : "  differs") << "  " << Side(x).substr(0, 24);
      if (!same) io.out << " → " << Side(y).substr(0, 24);
      io.out << "\n";
    };
    line("data  ", d.same_data, d.a.data_digest, d.b.data_digest);
    auto code = [](const store::ModelVersion& v) -> std::optional<std::string> {
      if (!v.code_commit) return std::nullopt;
      return v.code_commit->substr(0, 16) + (v.code_dirty.value_or(false) ? " (dirty)" : "");
    };
    line("code  ", d.same_code, code(d.a), code(d.b));
    line("config", d.same_config, d.a.config_digest, d.b.config_digest);
    line("bundle", d.same_bundle, d.a.bundle_digest, d.b.bundle_digest);
    io.out << "  params" << (d.params.empty() ? "  same\n" : "\n");
    for (const auto& c : d.params) {
      io.out << "    " << c.key << ": " << Side(c.a) << " → " << Side(c.b) << "\n";
    }
    io.out << "  metrics\n";
    for (const auto& c : d.metrics) {
      io.out << "    " << c.key << ": " << (c.a ? FormatMetric(*c.a) : "(none)") << " → "
             << (c.b ? FormatMetric(*c.b) : "(none)");
      if (c.a && c.b)
        io.out << " (" << (*c.b >= *c.a ? "+" : "") << FormatMetric(*c.b - *c.a) << ")";
      io.out << "\n";
    }
  }
  return j;
}

Result<nlohmann::json> Lineage(Io& io, store::Store& s, const ModelsFlags& f) {
  if (f.refs.size() != 1) {
    return Fail(ErrorCode::kInvalidArgument, "lineage takes one version, e.g. churn/3");
  }
  HONE_ASSIGN_OR_RETURN(store::ModelVersion v, VersionOf(s, f.refs[0]));
  HONE_ASSIGN_OR_RETURN(registry::Lineage l, registry::TraceLineage(*s.meta, v.model, v.version));
  nlohmann::json j = VersionJson(l.version);
  j["run"] = l.run ? RunJson(*l.run) : nlohmann::json();
  j["parents"] = nlohmann::json::array();
  for (const store::ModelVersion& p : l.ancestors) j["parents"].push_back(VersionJson(p));
  j["releases"] = nlohmann::json::array();
  for (const store::AliasMove& m : l.releases) j["releases"].push_back(MoveJson(m));
  if (!f.json) {
    const store::ModelVersion& x = l.version;
    io.out << x.model << "/" << x.version << "  digest " << x.bundle_digest << "\n"
           << "  created  " << FormatTime(x.created_ms) << " by " << x.created_by << "\n"
           << "  data     " << Side(x.data_digest) << "\n"
           << "  code     " << Side(x.code_commit)
           << (x.code_dirty.value_or(false) ? " (dirty)" : "") << "\n"
           << "  config   " << Side(x.config_digest) << "\n";
    if (l.run) {
      io.out << "  run      " << l.run->id << " (" << store::RunStatusName(l.run->status) << ", "
             << l.run->start.user << "@" << l.run->start.host << ")\n"
             << "           " << l.run->start.command << "\n";
    } else {
      io.out << "  run      (none)\n";
    }
    io.out << "  parents ";
    if (l.ancestors.empty()) io.out << " (none)";
    for (const store::ModelVersion& p : l.ancestors) io.out << " ← " << p.model << "/" << p.version;
    io.out << "\n  releases\n";
    for (const store::AliasMove& m : l.releases) {
      io.out << "    " << FormatTime(m.ts_ms) << "  " << m.action << " " << m.alias << ": "
             << (m.from ? std::to_string(*m.from) : "-") << " → "
             << (m.to ? std::to_string(*m.to) : "-") << " by " << m.actor << "\n";
    }
  }
  return j;
}

int RunModels(Io& io, CLI::App* cmd, const ModelsFlags& f) {
  return RunOnStore<ModelsFlags>(io, cmd, f,
                                 {{"list", List},
                                  {"show", Show},
                                  {"versions", Versions},
                                  {"diff", Diff},
                                  {"lineage", Lineage}});
}

}  // namespace

Action AddModelsCommand(CLI::App& app) {
  auto f = std::make_shared<ModelsFlags>();
  CLI::App* cmd = app.add_subcommand("models", "Registered models and their versions");
  cmd->require_subcommand(1);
  AddStoreCommandFlags(cmd->add_subcommand("list", "Every registered model with its aliases"),
                       f->store, f->json);
  CLI::App* show = cmd->add_subcommand("show", "A model, its aliases and latest version");
  show->add_option("NAME", f->name, "Model name")->required();
  AddStoreCommandFlags(show, f->store, f->json);
  CLI::App* versions = cmd->add_subcommand("versions", "A model's versions");
  versions->add_option("NAME", f->name, "Model name")->required();
  versions->add_option("--limit", f->limit, "At most this many (0 = all)");
  versions->add_flag("--newest-first", f->newest_first, "Newest version first");
  AddStoreCommandFlags(versions, f->store, f->json);
  CLI::App* diff = cmd->add_subcommand("diff", "Parameter, metric, data and code differences");
  diff->add_option("A B", f->refs, "Two versions: NAME/VERSION, NAME@ALIAS, models:/…")
      ->required()
      ->expected(2);
  AddStoreCommandFlags(diff, f->store, f->json);
  CLI::App* lineage = cmd->add_subcommand(
      "lineage", "Where a version came from: run, data, code, parents, releases");
  lineage->add_option("VERSION", f->refs, "NAME/VERSION, NAME@ALIAS or models:/…")
      ->required()
      ->expected(1);
  AddStoreCommandFlags(lineage, f->store, f->json);
  return [f, cmd](Io& io) { return RunModels(io, cmd, *f); };
}

}  // namespace hone::cli
