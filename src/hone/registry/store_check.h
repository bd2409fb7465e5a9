// `hone store check` and `hone gc`: is the store whole, and what can go.
#ifndef HONE_REGISTRY_STORE_CHECK_H_
#define HONE_REGISTRY_STORE_CHECK_H_

#include <chrono>
#include <string>
#include <vector>

#include "hone/core/error.h"
#include "hone/store/artifact_store.h"
#include "hone/store/meta_store.h"

namespace hone::registry {

struct CheckReport {
  size_t models = 0;
  size_t versions = 0;
  size_t blobs = 0;
  size_t audit_records = 0;
  std::vector<std::string> problems;  // one line each, naming what is wrong
  bool ok() const { return problems.empty(); }
};

/// Reads everything: every version's bundle and every run artifact is present and hashes to its
/// digest, every blob in the artifact store is intact, every alias points at a version, and the
/// audit chain is unbroken up to the head the store recorded.
Result<CheckReport> CheckStore(store::MetaStore& meta, const store::ArtifactStore& artifacts);

/// The audit chain alone (`hone audit verify`): its problems, empty when intact.
Result<std::vector<std::string>> VerifyAudit(store::MetaStore& meta, size_t* records = nullptr);

/// Removes blobs no version or run refers to, sparing those younger than `grace`. Refuses
/// (kConflict, removing nothing) when the folder also keeps another store's blobs.
Result<store::ArtifactStore::Removed> CollectGarbage(store::MetaStore& meta,
                                                     const store::ArtifactStore& artifacts,
                                                     std::chrono::seconds grace);

}  // namespace hone::registry

#endif  // HONE_REGISTRY_STORE_CHECK_H_
