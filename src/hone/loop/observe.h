// What `hone watch` sees of a model at one look, read from the store: the versions behind its
// aliases, the drift and live metric of production, and the live evidence of a candidate under
// release. The policy (policy.h) decides on these; nothing here decides.
#ifndef HONE_LOOP_OBSERVE_H_
#define HONE_LOOP_OBSERVE_H_

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "hone/core/error.h"
#include "hone/core/profile.h"
#include "hone/learn/target.h"
#include "hone/loop/release_judge.h"
#include "hone/loop/triggers.h"
#include "hone/monitor/drift_report.h"
#include "hone/monitor/live_metrics.h"
#include "hone/monitor/served_report.h"
#include "hone/monitor/window_record.h"
#include "hone/pipeline/watch_spec.h"
#include "hone/store/open_store.h"

namespace hone::loop {

// What a look reads of a version: the same reads as `hone monitor`'s report.
using monitor::kMaxLabelsPerLook;
using monitor::kMaxWindowsPerLook;
using monitor::LiveTraffic;
using monitor::VersionProfile;

/// Reads versions' profiles once and the store at every look. Not thread-safe; does not own the
/// store.
class Observer {
 public:
  explicit Observer(store::Store& store) : store_(store) {}

  /// The version's profile and target, from its bundle (read once, then kept).
  Result<const VersionProfile*> Profile(std::string_view model, int64_t version);

  /// The windows and labelled predictions of `model/version` from `since_ms` on (the newest
  /// kMaxWindowsPerLook windows and kMaxLabelsPerLook labelled predictions).
  Result<LiveTraffic> Traffic(std::string_view model, int64_t version, store::TimeMs since_ms,
                              bool classification);

  /// When `alias` last moved to where it points now (0 when it has no history).
  Result<store::TimeMs> AliasSince(std::string_view model, std::string_view alias);

  /// The drift inputs of the production version over `traffic` (against its profile).
  Result<TriggerInputs::Drift> Drift(std::string_view model, int64_t version,
                                     const LiveTraffic& traffic);

  /// The decay inputs: `metric` live over `traffic` against the version's registered figure
  /// (nullopt when either is missing).
  Result<std::optional<TriggerInputs::Decay>> Decay(const store::ModelVersion& version,
                                                    const std::string& metric,
                                                    const LiveTraffic& traffic);

  /// The evidence for a release of `candidate` against `production` from `since_ms` on:
  /// requests, errors, p99 and the live metric of each, the PSI of the candidate's predictions
  /// against production's (re-binned onto production's profile).
  Result<ReleaseEvidence> Release(std::string_view model, int64_t candidate,
                                  std::optional<int64_t> production, store::TimeMs since_ms,
                                  const std::string& metric);

 private:
  store::Store& store_;
  std::map<std::pair<std::string, int64_t>, std::unique_ptr<VersionProfile>> profiles_;
};

/// The metric the loop watches: the spec's decay metric, or the task's primary one.
std::string WatchedMetric(const pipeline::WatchSpec& spec, bool classification);

/// The evidence figures of one version's traffic.
VersionEvidence EvidenceOf(const LiveTraffic& traffic, const std::string& metric);

}  // namespace hone::loop

#endif  // HONE_LOOP_OBSERVE_H_
