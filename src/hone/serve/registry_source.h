// The source of aspired versions: the registry's served aliases, with their traffic weights. It
// notices alias moves by the store's change counter (polled on SQLite; woken at once by
// LISTEN/NOTIFY on PostgreSQL) and only then re-reads the models.
#ifndef HONE_SERVE_REGISTRY_SOURCE_H_
#define HONE_SERVE_REGISTRY_SOURCE_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "hone/core/error.h"
#include "hone/serve/model_manager.h"

namespace hone::serve {

struct RegistrySourceOptions {
  /// The aliases whose versions are served.
  std::vector<std::string> aliases = {"production", "canary"};
  /// Served too: the alias whose version receives copies of requests (ManagerOptions::
  /// shadow_alias). Empty: none.
  std::string shadow_alias = "shadow";
  /// Models to serve; empty: every model with a served alias.
  std::vector<std::string> models;
  /// How often the change counter is read (SQLite), and the longest wait for a notification
  /// before reading it anyway (PostgreSQL).
  std::chrono::milliseconds poll_interval{200};
};

using AspiredCallback = std::function<void(std::vector<AspiredVersion>)>;

/// The versions the served aliases of `models` point at (options.aliases, then the shadow
/// alias), one entry per version with its aliases in that order and their traffic weights, in
/// the order of `models` and then by version; models not in a non-empty options.models are
/// left out.
std::vector<AspiredVersion> AspiredVersionsOf(const std::vector<store::Model>& models,
                                              const RegistrySourceOptions& options);

/// Runs on its own thread until stopped.
class RegistrySource {
 public:
  /// Opens the store, reads the aliases, calls `target` with the aspired versions (before
  /// returning), then starts the thread that calls it again whenever they change. Fails when
  /// the store cannot be opened or read at start; later read errors are logged and retried
  /// with the last aspired versions kept.
  static Result<std::unique_ptr<RegistrySource>> Start(const RegistrySourceOptions& options,
                                                       StoreOpener open, AspiredCallback target);
  virtual ~RegistrySource() = default;
  /// Stops and joins the thread. Idempotent.
  virtual void Stop() = 0;
  /// How many times the change counter was read (for tests).
  virtual uint64_t checks() const = 0;
};

}  // namespace hone::serve

#endif  // HONE_SERVE_REGISTRY_SOURCE_H_
