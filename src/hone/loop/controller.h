// The controller behind `hone watch`: at every look it takes (or renews) the model's lease in
// the store, gathers what the policy needs (observe.h), asks Decide (policy.h) for the next
// action and carries it out: a pipeline run, a canary or shadow release, a promotion, a
// rollback. Each action is recorded in the audit log with its evidence and the loop's state
// after it, which is also where a restarted (or another) `hone watch` picks the state up.
#ifndef HONE_LOOP_CONTROLLER_H_
#define HONE_LOOP_CONTROLLER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hone/core/error.h"
#include "hone/loop/policy.h"
#include "hone/pipeline/run.h"
#include "hone/pipeline/spec.h"
#include "hone/store/open_store.h"

namespace hone::loop {

/// The audit actions the controller writes: "watch." + ActionName ("watch.retrain", …).
inline constexpr std::string_view kAuditPrefix = "watch.";

struct ControllerOptions {
  /// Opens the store (the controller opens its own connections: one for its looks, one that
  /// renews the lease while a pipeline runs).
  std::function<Result<store::Store>()> open;
  /// Who holds the lease: unique per process ("host:pid:random").
  std::string holder;
  store::Actor actor{"hone-watch"};
  /// The time of a look (ms since the epoch); null: the system clock.
  std::function<store::TimeMs()> clock;
  /// One line per decision and per problem, for people.
  std::function<void(std::string_view)> log;
  /// Set (by a signal handler) to stop: a pipeline under way is ended and recorded as killed.
  const std::atomic<bool>* cancel = nullptr;
};

/// What one look did.
struct LookResult {
  /// Whether this process holds the lease (it acts only then), and who does.
  bool held = false;
  std::string holder;
  /// The actions carried out, in order, then the final kNone (what the loop waits for).
  std::vector<Decision> decisions;
};

/// Not thread-safe: one Controller per `hone watch` process and model.
class Controller {
 public:
  /// Fails when the spec's `watch:` section is invalid (ValidateWatchSpec).
  static Result<std::unique_ptr<Controller>> Create(pipeline::Spec spec, ControllerOptions options);
  ~Controller();
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  /// One look: lease, observations, decisions and actions until the policy waits.
  Result<LookResult> Look();
  /// Looks every watch.interval until cancelled (errors of a look are logged and the loop goes
  /// on), then gives up the lease.
  Result<void> Run();

  const pipeline::WatchSpec& watch() const;
  /// The state after the last look.
  const LoopState& state() const;

 private:
  struct Impl;
  explicit Controller(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// The latest state `hone watch` recorded for `model` in the audit log, or nullopt when it
/// never acted on it.
Result<std::optional<LoopState>> LatestLoopState(store::MetaStore& meta, std::string_view model);

}  // namespace hone::loop

#endif  // HONE_LOOP_CONTROLLER_H_
