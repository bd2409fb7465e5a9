// What `hone monitor --json` prints and `GET /api/hone/v1/monitor/report` answers: per version
// behind a served alias (production, canary, shadow), its requests, errors, latency, live
// metrics and the drift of its inputs against its reference profile, over a span of time. Also
// the two reads it is made of, which `hone watch` shares: a version's profile from its bundle
// and its live traffic from the store.
#ifndef HONE_MONITOR_SERVED_REPORT_H_
#define HONE_MONITOR_SERVED_REPORT_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>

#include <nlohmann/json.hpp>

#include "hone/core/error.h"
#include "hone/core/profile.h"
#include "hone/learn/target.h"
#include "hone/monitor/live_metrics.h"
#include "hone/monitor/window_record.h"
#include "hone/store/artifact_store.h"
#include "hone/store/meta_store.h"

namespace hone::monitor {

/// The newest monitoring windows read per version: with servers flushing every 5 s, the last
/// hour of one server's traffic (more servers: a shorter span).
inline constexpr size_t kMaxWindowsPerLook = 720;

/// The newest labelled predictions a version's live metrics are computed over.
inline constexpr size_t kMaxLabelsPerLook = 20000;

/// What a version's bundle says its traffic is compared with: its reference profile and target.
struct VersionProfile {
  core::DataProfile profile;
  learn::TargetInfo target;
  bool classification() const { return target.task != learn::Task::kRegression; }
};

/// The live traffic of one version over a span: its windows added up, and its labelled
/// predictions' metrics.
struct LiveTraffic {
  WindowRecord windows;
  size_t window_count = 0;
  LiveMetrics metrics;
};

/// The half-open span [since_ms, until_ms) a report covers.
struct ReportSpan {
  store::TimeMs since_ms = 0;
  store::TimeMs until_ms = std::numeric_limits<store::TimeMs>::max();
};

/// The profile and target kept in the bundle of `model`/`version` (read from `artifacts`).
Result<VersionProfile> ReadVersionProfile(store::MetaStore& meta,
                                          const store::ArtifactStore& artifacts,
                                          std::string_view model, int64_t version);

/// The windows and labelled predictions of `model`/`version` within `span`: the newest
/// kMaxWindowsPerLook windows that overlap it (end_ms > since_ms and start_ms < until_ms) and
/// the newest kMaxLabelsPerLook labelled predictions made in it. An empty span reads nothing.
Result<LiveTraffic> ReadLiveTraffic(store::MetaStore& meta, std::string_view model, int64_t version,
                                    ReportSpan span, bool classification);

/// When `alias` of `model` last moved to where it points now (0 when it has no history).
Result<store::TimeMs> AliasMovedAt(store::MetaStore& meta, std::string_view model,
                                   std::string_view alias);

/// The report of `model`'s served versions within `span`, each from the later of span.since_ms
/// and the moment its alias moved to it:
///   {"model", "since": UTC text, ["until": UTC text, when `with_until`,]
///    "versions": [{"version", "alias", "weight", "windows", "requests", "errors",
///                  "error_rate", "rows", "latency_ms": {"p50", "p99"}, "live", "offline",
///                  "drift": DriftReport JSON | null (no live rows) | {"error"}}]}
/// kNotFound for an unknown model; kInvalidArgument when span.since_ms > span.until_ms.
/// Reads the store and the bundles of the served versions; holds nothing.
Result<nlohmann::json> ServedReport(store::MetaStore& meta, const store::ArtifactStore& artifacts,
                                    std::string_view model, ReportSpan span, bool with_until);

}  // namespace hone::monitor

#endif  // HONE_MONITOR_SERVED_REPORT_H_
