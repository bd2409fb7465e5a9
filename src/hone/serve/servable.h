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
#include "hone/monitor/window.h"
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
  /// Its live inputs and predictions, counted on its reference profile's bins for the
  /// monitoring windows (lock-free); null when the bundle carries no usable profile.
  std::unique_ptr<monitor::WindowAccumulator> window;
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

/// Everything the server knows of one model. The router (router.h) sends a request that names
/// no version to `default_version`, or to `canary` for a `canary_weight` share of them.
struct ModelRoutes {
  /// Answers requests that name no version: the version of the first served alias (in the
  /// order of ManagerOptions::aliases) that is available; when none is, the canary. While a
  /// newly aspired version loads, or after it failed to load, the one before keeps answering.
  /// Null while none is ready.
  ServableHandle default_version;
  /// The served alias `default_version` answers for: "production", or the next alias in the
  /// order of preference when production has no version ready ("canary"). Empty with no
  /// default.
  std::string default_alias;
  /// The canary alias's version once available; while a newly aspired canary version loads, or
  /// after it failed to load, the canary before it. Null without a canary.
  ServableHandle canary;
  /// The canary alias's name (ManagerOptions::canary_alias), for the answers it gives.
  std::string canary_alias;
  /// The share (0–1) of the requests that name no version which the router sends to `canary`
  /// rather than to `default_version`: the canary alias's traffic weight in the registry, 0
  /// when it carries none (then the canary answers only requests that name it, as before
  /// weights existed).
  double canary_weight = 0;
  /// The shadow alias's version (same loading rule as `canary`): it receives copies of the
  /// requests `default_version` answered and is never the answer. Null without a shadow, or
  /// when the shadow alias points at the default version itself.
  ServableHandle shadow;
  /// Whether `shadow` reads the same encoded feature rows as `default_version` (equal feature
  /// schemas), so that a request's decoded rows can be handed to it as they are; otherwise the
  /// shadow decodes the request body itself.
  bool shadow_reads_default_rows = false;
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
