#include "hone/registry/lineage.h"

#include <algorithm>
#include <set>

namespace hone::registry {

Result<Lineage> TraceLineage(store::MetaStore& meta, std::string_view model, int64_t version) {
  Lineage lineage;
  HONE_ASSIGN_OR_RETURN(lineage.version, meta.GetVersion(model, version));
  if (lineage.version.run_id) {
    auto run = meta.GetRun(*lineage.version.run_id);
    if (!run && run.error().code() != ErrorCode::kNotFound) return Fail(run.error());
    if (run) lineage.run = std::move(*run);
  }
  std::set<int64_t> seen = {version};  // parents are older versions, but never loop on bad data
  for (auto parent = lineage.version.parent; parent && seen.insert(*parent).second;) {
    HONE_ASSIGN_OR_RETURN(store::ModelVersion v, meta.GetVersion(model, *parent));
    parent = v.parent;
    lineage.ancestors.push_back(std::move(v));
  }
  HONE_ASSIGN_OR_RETURN(store::Model m, meta.GetModel(model));
  std::set<std::string> aliases;
  for (const auto& [alias, at] : m.aliases) aliases.insert(alias);
  // An alias removed since still has history; the audit log names every alias there ever was.
  HONE_ASSIGN_OR_RETURN(std::vector<store::AuditRecord> audit, meta.ListAudit({}));
  const std::string prefix = std::string(model) + "@";
  for (const store::AuditRecord& r : audit) {
    if (r.subject.starts_with(prefix)) aliases.insert(r.subject.substr(prefix.size()));
  }
  for (const std::string& alias : aliases) {
    HONE_ASSIGN_OR_RETURN(std::vector<store::AliasMove> moves, meta.AliasHistory(model, alias));
    for (store::AliasMove& move : moves) {
      if (move.from == version || move.to == version) lineage.releases.push_back(std::move(move));
    }
  }
  std::sort(lineage.releases.begin(), lineage.releases.end(),
            [](const store::AliasMove& x, const store::AliasMove& y) { return x.id < y.id; });
  return lineage;
}

VersionDiff DiffVersions(store::ModelVersion a, store::ModelVersion b) {
  VersionDiff d;
  std::set<std::string> keys;
  for (const auto& [k, v] : a.params) keys.insert(k);
  for (const auto& [k, v] : b.params) keys.insert(k);
  for (const std::string& k : keys) {
    auto ia = a.params.find(k);
    auto ib = b.params.find(k);
    std::optional<std::string> va, vb;
    if (ia != a.params.end()) va = ia->second;
    if (ib != b.params.end()) vb = ib->second;
    if (va != vb) d.params.push_back({k, va, vb});
  }
  keys.clear();
  for (const auto& [k, v] : a.metrics) keys.insert(k);
  for (const auto& [k, v] : b.metrics) keys.insert(k);
  for (const std::string& k : keys) {
    auto ia = a.metrics.find(k);
    auto ib = b.metrics.find(k);
    Change<double> c{k, std::nullopt, std::nullopt};
    if (ia != a.metrics.end()) c.a = ia->second;
    if (ib != b.metrics.end()) c.b = ib->second;
    d.metrics.push_back(std::move(c));
  }
  d.same_bundle = a.bundle_digest == b.bundle_digest;
  d.same_data = a.data_digest == b.data_digest;
  d.same_code = a.code_commit == b.code_commit && a.code_dirty == b.code_dirty;
  d.same_config = a.config_digest == b.config_digest;
  d.a = std::move(a);
  d.b = std::move(b);
  return d;
}

}  // namespace hone::registry
