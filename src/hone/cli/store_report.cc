#include "hone/cli/store_report.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace hone::cli {
namespace {

nlohmann::json OrNull(const std::optional<std::string>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json();
}
nlohmann::json OrNull(const std::optional<int64_t>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json();
}
nlohmann::json OrNull(const std::optional<bool>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json();
}

}  // namespace

void AddStoreFlags(CLI::App* command, StoreFlags& flags) {
  command->add_option("--store", flags.store,
                      "Store: a folder (default: .hone here or in a parent folder), its .db file, "
                      "or postgresql://user:pass@host:port/db; or set HONE_STORE");
  command->add_option("--artifacts", flags.artifacts,
                      "Artifact folder (default: artifacts/ in the store folder); or set "
                      "HONE_ARTIFACTS");
}

void AddStoreCommandFlags(CLI::App* command, StoreFlags& flags, bool& json) {
  AddStoreFlags(command, flags);
  command->add_flag("--json", json, "Print one JSON object instead of text");
}

Result<store::Store> OpenStoreFrom(const StoreFlags& flags, bool create,
                                   const std::filesystem::path& cwd) {
  store::StoreOptions options;
  options.store = flags.store;
  options.artifacts = flags.artifacts;
  if (options.store.empty()) {
    if (const char* env = std::getenv("HONE_STORE")) options.store = env;
  }
  if (options.artifacts.empty()) {
    if (const char* env = std::getenv("HONE_ARTIFACTS")) options.artifacts = env;
  }
  options.create = create;
  options.cwd = cwd;
  return store::OpenStore(options);
}

Result<std::unique_ptr<store::MetaStore>> OpenMetaStoreFrom(const StoreFlags& flags) {
  std::string url = flags.store;
  if (url.empty()) {
    if (const char* env = std::getenv("HONE_STORE")) url = env;
  }
  if (store::IsStoreUrl(url)) return store::OpenMetaStore(url, /*create=*/false);
  HONE_ASSIGN_OR_RETURN(store::Store s, OpenStoreFrom(flags, /*create=*/false));
  return std::move(s.meta);
}

std::string FormatTime(store::TimeMs ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[96];
  std::snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(ms % 1000));
  return text;
}

nlohmann::json MetricValue(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  return value;
}

std::string FormatMetric(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.6g", value);
  return text;
}

nlohmann::json RunJson(const store::Run& run) {
  nlohmann::json metrics = nlohmann::json::object();
  for (const store::Metric& m : run.metrics) {
    metrics[m.key].push_back(
        {{"value", MetricValue(m.value)}, {"step", m.step}, {"timestamp", m.timestamp_ms}});
  }
  nlohmann::json artifacts = nlohmann::json::array();
  for (const store::RunArtifact& a : run.artifacts) {
    artifacts.push_back({{"name", a.name}, {"digest", a.digest}, {"bytes", a.bytes}});
  }
  return {{"id", run.id},
          {"command", run.start.command},
          {"status", store::RunStatusName(run.status)},
          {"start", FormatTime(run.start.start_ms)},
          {"start_ms", run.start.start_ms},
          {"end", run.end_ms ? nlohmann::json(FormatTime(*run.end_ms)) : nlohmann::json()},
          {"end_ms", OrNull(run.end_ms)},
          {"host", run.start.host},
          {"user", run.start.user},
          {"code_commit", OrNull(run.start.code_commit)},
          {"code_dirty", OrNull(run.start.code_dirty)},
          {"config_digest", OrNull(run.start.config_digest)},
          {"data_digest", OrNull(run.start.data_digest)},
          {"params", run.params},
          {"tags", run.tags},
          {"metrics", metrics},
          {"artifacts", artifacts}};
}

nlohmann::json VersionJson(const store::ModelVersion& v) {
  nlohmann::json metrics = nlohmann::json::object();
  for (const auto& [key, value] : v.metrics) metrics[key] = MetricValue(value);
  return {{"model", v.model},
          {"version", v.version},
          {"digest", v.bundle_digest},
          {"run", OrNull(v.run_id)},
          {"created", FormatTime(v.created_ms)},
          {"created_ms", v.created_ms},
          {"created_by", v.created_by},
          {"aliases", v.aliases},
          {"parent", OrNull(v.parent)},
          {"data_digest", OrNull(v.data_digest)},
          {"code_commit", OrNull(v.code_commit)},
          {"code_dirty", OrNull(v.code_dirty)},
          {"config_digest", OrNull(v.config_digest)},
          {"params", v.params},
          {"metrics", metrics},
          {"description", v.description}};
}

nlohmann::json ModelJson(const store::Model& m) {
  return {{"name", m.name},
          {"created", FormatTime(m.created_ms)},
          {"created_ms", m.created_ms},
          {"latest_version", m.latest_version},
          {"aliases", m.aliases},
          {"alias_weights", m.alias_weights}};
}

nlohmann::json MoveJson(const store::AliasMove& move) {
  return {{"model", move.model},
          {"alias", move.alias},
          {"from", OrNull(move.from)},
          {"to", OrNull(move.to)},
          {"action", move.action},
          {"time", FormatTime(move.ts_ms)},
          {"actor", move.actor},
          {"weight", move.weight ? nlohmann::json(*move.weight) : nlohmann::json()}};
}

}  // namespace hone::cli
