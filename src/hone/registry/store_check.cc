#include "hone/registry/store_check.h"

#include "hone/store/audit.h"

namespace hone::registry {

Result<std::vector<std::string>> VerifyAudit(store::MetaStore& meta, size_t* records) {
  // The head first: a record appended after it was read is then simply beyond it.
  HONE_ASSIGN_OR_RETURN(std::optional<store::AuditHead> head, meta.GetAuditHead());
  HONE_ASSIGN_OR_RETURN(std::vector<store::AuditRecord> log, meta.ListAudit({}));
  if (head) {
    while (!log.empty() && log.back().seq > head->seq) log.pop_back();
  }
  if (records != nullptr) *records = log.size();
  return store::VerifyAuditChain(log, head);
}

Result<CheckReport> CheckStore(store::MetaStore& meta, const store::ArtifactStore& artifacts) {
  CheckReport report;
  auto check_blob = [&](const std::string& digest, const std::string& owner) {
    auto bytes = artifacts.Get(digest);
    if (!bytes) report.problems.push_back(owner + ": " + bytes.error().message());
  };
  HONE_ASSIGN_OR_RETURN(std::vector<store::Model> models, meta.ListModels());
  report.models = models.size();
  for (const store::Model& m : models) {
    HONE_ASSIGN_OR_RETURN(std::vector<store::ModelVersion> versions, meta.ListVersions(m.name, {}));
    report.versions += versions.size();
    for (size_t i = 0; i < versions.size(); ++i) {
      const store::ModelVersion& v = versions[i];
      const std::string name = m.name + "/" + std::to_string(v.version);
      if (v.version != static_cast<int64_t>(i + 1)) {
        report.problems.push_back(name + ": versions of '" + m.name + "' are not numbered 1.." +
                                  std::to_string(versions.size()));
      }
      check_blob(v.bundle_digest, "bundle of " + name);
    }
    if (static_cast<size_t>(m.latest_version) != versions.size()) {
      report.problems.push_back("model '" + m.name + "': latest version " +
                                std::to_string(m.latest_version) + " but " +
                                std::to_string(versions.size()) + " versions stored");
    }
    for (const auto& [alias, version] : m.aliases) {
      if (version < 1 || version > static_cast<int64_t>(versions.size())) {
        report.problems.push_back(m.name + "@" + alias + ": points at missing version " +
                                  std::to_string(version));
      }
    }
  }
  // Run artifacts, page by page.
  for (size_t offset = 0;; offset += 500) {
    HONE_ASSIGN_OR_RETURN(std::vector<store::Run> runs,
                          meta.ListRuns({.limit = 500, .offset = offset}));
    for (const store::Run& run : runs) {
      for (const store::RunArtifact& a : run.artifacts) {
        check_blob(a.digest, "artifact '" + a.name + "' of run " + run.id);
      }
    }
    if (runs.size() < 500) break;
  }
  HONE_ASSIGN_OR_RETURN(std::vector<std::string> blobs, artifacts.List());
  report.blobs = blobs.size();
  HONE_ASSIGN_OR_RETURN(std::vector<std::string> damaged, artifacts.Verify());
  for (const std::string& digest : damaged) {
    report.problems.push_back("blob " + artifacts.PathOf(digest).string() +
                              " no longer hashes to its name");
  }
  HONE_ASSIGN_OR_RETURN(std::vector<std::string> audit, VerifyAudit(meta, &report.audit_records));
  report.problems.insert(report.problems.end(), audit.begin(), audit.end());
  return report;
}

Result<store::ArtifactStore::Removed> CollectGarbage(store::MetaStore& meta,
                                                     const store::ArtifactStore& artifacts,
                                                     std::chrono::seconds grace) {
  // A folder shared with another store holds blobs this store knows nothing of.
  HONE_ASSIGN_OR_RETURN(std::string store_id, meta.StoreId());
  HONE_ASSIGN_OR_RETURN(auto stores, artifacts.Claimants());
  std::string others;
  for (const std::string& id : stores) {
    if (id != store_id) others += (others.empty() ? "" : ", ") + id;
  }
  if (!others.empty()) {
    return Fail(ErrorCode::kConflict,
                "artifact folder '" + artifacts.root().string() +
                    "' also keeps the bundles of other stores (" + others + "; this store is " +
                    store_id + "): collecting it would delete theirs, so nothing was removed");
  }
  HONE_TRY(artifacts.Claim(store_id));
  HONE_ASSIGN_OR_RETURN(auto keep, meta.ReferencedDigests());
  return artifacts.RemoveExcept(keep, grace);
}

}  // namespace hone::registry
