// Where a version came from and how two versions differ: the answers to "what is in
// production, where did it come from".
#ifndef HONE_REGISTRY_LINEAGE_H_
#define HONE_REGISTRY_LINEAGE_H_

#include <optional>
#include <string>
#include <vector>

#include "hone/core/error.h"
#include "hone/store/meta_store.h"

namespace hone::registry {

/// A version's lineage: the run that produced it (with its data, code and config), the chain of
/// versions it descends from, and every alias move that released or withdrew it.
struct Lineage {
  store::ModelVersion version;
  std::optional<store::Run> run;
  std::vector<store::ModelVersion> ancestors;  // parent first
  std::vector<store::AliasMove> releases;      // moves to or from this version, oldest first
};
Result<Lineage> TraceLineage(store::MetaStore& meta, std::string_view model, int64_t version);

/// One named value on both sides; a missing side is nullopt.
template <typename T>
struct Change {
  std::string key;
  std::optional<T> a;
  std::optional<T> b;
};

/// What differs between versions `a` and `b` (of the same or different models).
struct VersionDiff {
  store::ModelVersion a;
  store::ModelVersion b;
  std::vector<Change<std::string>> params;  // only keys whose values differ
  std::vector<Change<double>> metrics;      // every key of either side
  bool same_bundle = false;
  bool same_data = false;
  bool same_code = false;
  bool same_config = false;
};
VersionDiff DiffVersions(store::ModelVersion a, store::ModelVersion b);

}  // namespace hone::registry

#endif  // HONE_REGISTRY_LINEAGE_H_
