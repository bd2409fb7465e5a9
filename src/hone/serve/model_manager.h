// The model manager, after TensorFlow Serving's: a source tells it which versions should be
// loaded (the aspired versions); it loads them on its own thread, off the request path, warms
// them up, and publishes a new routing table atomically. Requests take a handle from the
// table they read, so a version that leaves the table is freed only after its last request.
#ifndef HONE_SERVE_MODEL_MANAGER_H_
#define HONE_SERVE_MODEL_MANAGER_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hone/core/error.h"
#include "hone/serve/servable.h"
#include "hone/store/open_store.h"

namespace hone::serve {

/// One version that should be served, and the served aliases that point at it.
struct AspiredVersion {
  std::string model;
  int64_t version = 0;
  std::vector<std::string> aliases;
  /// The traffic weights of those of `aliases` that carry one in the registry (alias → share of
  /// the requests that name no version, 0–1). The manager reads the canary alias's; an alias
  /// without a weight is absent.
  std::map<std::string, double> weights = {};

  bool operator==(const AspiredVersion&) const = default;
};

/// Does the expensive part of bringing a version up. Called on the manager's thread only.
class Loader {
 public:
  virtual ~Loader() = default;
  virtual Result<std::shared_ptr<Servable>> Load(std::string_view model, int64_t version) = 0;
};

/// Opens the store a loader or source reads (each opens its own: MetaStore is one per
/// thread).
using StoreOpener = std::function<Result<store::Store>()>;

/// Loads `model/version` from the registry: the bundle fetched from the artifact store by the
/// digest the registry holds and verified against it, decoded, and warmed up with
/// `warmup_rows` predictions (rows of the reference profile's medians, most frequent categories
/// and missing values) so that the first real request does not pay for first-touch page faults
/// and lazy initialisation.
std::unique_ptr<Loader> MakeRegistryLoader(StoreOpener open, size_t warmup_rows = 16);

struct ManagerOptions {
  /// Served aliases in order of preference for requests that name no version.
  std::vector<std::string> aliases = {"production", "canary"};
  /// The alias whose version takes its traffic weight's share of the requests that name no
  /// version (ModelRoutes::canary). Empty: none.
  std::string canary_alias = "canary";
  /// The alias whose version receives copies of requests and never answers them
  /// (ModelRoutes::shadow), even when it is listed in `aliases`. Empty: none.
  std::string shadow_alias = "shadow";
};

/// Counters for /metrics.
struct ManagerStats {
  std::atomic<uint64_t> loads{0};
  std::atomic<uint64_t> load_failures{0};
  std::atomic<uint64_t> swaps{0};  // routing tables published
};

/// Thread-safe.
class ModelManager {
 public:
  ModelManager(ManagerOptions options, std::unique_ptr<Loader> loader);
  /// Stops the load thread (a load under way finishes first).
  ~ModelManager();
  ModelManager(const ModelManager&) = delete;
  ModelManager& operator=(const ModelManager&) = delete;

  /// The complete set of versions that should be served now, for every model; replaces the
  /// previous set. Returns at once. New versions are loaded on the manager's thread, one at a
  /// time, and published as each becomes available; versions no longer aspired leave the table
  /// after the versions replacing them are available (or failed). A version that fails to load
  /// is logged, counted, shown as kFailed, and not retried until the aspired set changes again;
  /// the version before it keeps serving.
  void SetAspiredVersions(std::vector<AspiredVersion> aspired);

  /// The routing table now. Cheap enough for every request: no lock, one atomic load when the
  /// table has not changed since this thread last looked.
  std::shared_ptr<const RoutingTable> Routes() const;

  /// Blocks until every version aspired so far is available or failed, or until `timeout`;
  /// returns whether it is.
  bool WaitIdle(std::chrono::milliseconds timeout) const;
  /// True once the first aspired set has been handled completely.
  bool initial_load_done() const;

  const ManagerStats& stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hone::serve

#endif  // HONE_SERVE_MODEL_MANAGER_H_
