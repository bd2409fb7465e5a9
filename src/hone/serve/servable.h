// A loaded model version as the server holds it, and the routing table that maps a request's
// model (and version) to one.
#ifndef HONE_SERVE_SERVABLE_H_
#define HONE_SERVE_SERVABLE_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "hone/learn/bundle.h"
#include "hone/serve/request_stats.h"

namespace hone::serve {

/// One version of one model, loaded and warmed up. Immutable except for its counters; shared
/// by every request that uses it.
struct Servable {
  std::string model;
  int64_t version = 0;
  learn::LoadedModel loaded;  // manifest, live model, bundle digest
  std::chrono::system_clock::time_point loaded_at;
  /// Requests answered by this version (thread-safe).
  mutable RequestStats stats;
};

/// What a request holds while it uses a version: the version is freed only after the last
/// handle to it is gone.
using ServableHandle = std::shared_ptr<const Servable>;

enum class VersionState { kLoading, kAvailable, kFailed };
/// "LOADING", "AVAILABLE", "FAILED" (as /v2/models/{m} and /metrics report them).
const char* VersionStateName(VersionState state);

struct VersionStatus {
  int64_t version = 0;
  VersionState state = VersionState::kLoading;
  std::string error;                 // kFailed: why
  std::vector<std::string> aliases;  // the served aliases that point here
};

/// Everything the server knows of one model.
struct ModelRoutes {
  /// Answers requests that name no version: the version of the first served alias (in the
  /// order of ManagerOptions::aliases) that is available. While a newly aspired version loads,
  /// or after it failed to load, the one before keeps answering. Null while none is ready.
  ServableHandle default_version;
  /// Every available version, for /versions/{v}/ requests.
  std::map<int64_t, ServableHandle> versions;
  /// Served alias → the version it points at in the registry (loaded or not).
  std::map<std::string, int64_t, std::less<>> aliases;
  /// Aspired versions that are loading or failed, and the available ones.
  std::vector<VersionStatus> states;
};

/// Immutable once published; requests read it without locks.
struct RoutingTable {
  uint64_t generation = 0;  // increases with every published table
  std::map<std::string, ModelRoutes, std::less<>> models;
};

}  // namespace hone::serve

#endif  // HONE_SERVE_SERVABLE_H_
