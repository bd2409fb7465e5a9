// ServedReport: the store's windows, prediction log and bundles, made into the figures of each
// served version.
#include "hone/monitor/served_report.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <utility>

#include "hone/core/cron.h"
#include "hone/learn/bundle.h"
#include "hone/monitor/drift_report.h"

namespace hone::monitor {
namespace {

using nlohmann::json;

std::string VersionName(std::string_view model, int64_t version) {
  return std::string(model) + "/" + std::to_string(version);
}

json NumberOrNull(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json QuantileMs(const WindowRecord& w, double q) {
  std::optional<double> ms = w.LatencyQuantileMs(q);
  return ms ? NumberOrNull(*ms) : json(nullptr);
}

// One served version's figures within `span`.
Result<json> VersionReport(store::MetaStore& meta, const store::ArtifactStore& artifacts,
                           const store::ModelVersion& version, const std::string& alias,
                           std::optional<double> weight, ReportSpan span) {
  HONE_ASSIGN_OR_RETURN(VersionProfile profile,
                        ReadVersionProfile(meta, artifacts, version.model, version.version));
  HONE_ASSIGN_OR_RETURN(LiveTraffic traffic, ReadLiveTraffic(meta, version.model, version.version,
                                                             span, profile.classification()));
  const WindowRecord& w = traffic.windows;
  const uint64_t requests = w.requests();
  json j = {
      {"version", version.version},
      {"alias", alias},
      {"weight", weight ? json(*weight) : json()},
      {"windows", traffic.window_count},
      {"requests", requests},
      {"errors", w.errors()},
      {"error_rate", requests > 0
                         ? json(static_cast<double>(w.errors()) / static_cast<double>(requests))
                         : json()},
      {"rows", w.traffic.rows},
      {"latency_ms", {{"p50", QuantileMs(w, 0.5)}, {"p99", QuantileMs(w, 0.99)}}},
      {"live", traffic.metrics.ToJson()},
      {"offline", version.metrics},
  };
  if (traffic.window_count > 0 && w.traffic.rows > 0) {
    auto report = ComputeDrift(profile.profile, w.traffic);
    j["drift"] = report ? report->ToJson() : json{{"error", report.error().message()}};
  } else {
    j["drift"] = nullptr;
  }
  return j;
}

}  // namespace

Result<VersionProfile> ReadVersionProfile(store::MetaStore& meta,
                                          const store::ArtifactStore& artifacts,
                                          std::string_view model, int64_t version) {
  const std::string name = VersionName(model, version);
  HONE_ASSIGN_OR_RETURN(store::ModelVersion v, meta.GetVersion(model, version));
  auto bytes = artifacts.Get(v.bundle_digest);
  if (!bytes) return Fail(bytes.error().WithContext("bundle of " + name));
  HONE_ASSIGN_OR_RETURN(learn::Bundle bundle, learn::DecodeBundle(bytes->view(), name));
  auto profile = core::DataProfile::FromJson(bundle.profile);
  if (!profile) return Fail(profile.error().WithContext("the reference profile of " + name));
  return VersionProfile{std::move(*profile), bundle.target};
}

Result<LiveTraffic> ReadLiveTraffic(store::MetaStore& meta, std::string_view model, int64_t version,
                                    ReportSpan span, bool classification) {
  LiveTraffic traffic;
  if (span.since_ms >= span.until_ms) return traffic;
  // The store's bounds are inclusive. A window covers [start_ms, end_ms): it overlaps the span
  // when it ends after the span starts and starts before the span ends, so that a window lies
  // in only one of two adjacent spans unless it straddles their boundary.
  store::WindowQuery query;
  query.model = std::string(model);
  query.version = version;
  query.since_ms = span.since_ms + 1;
  query.until_ms = span.until_ms - 1;
  query.limit = kMaxWindowsPerLook;
  HONE_ASSIGN_OR_RETURN(std::vector<store::MonitorWindow> windows, meta.ListMonitorWindows(query));
  for (const store::MonitorWindow& w : windows) {
    auto record = WindowRecord::Parse(w.summary);
    if (!record) {
      return Fail(record.error().WithContext("a monitoring window of " +
                                             VersionName(model, version) + " from " + w.server));
    }
    // A window counted on another shape (a server that read another profile) cannot be added:
    // it says so rather than mixing bins.
    if (auto merged = traffic.windows.Merge(*record); !merged) {
      return Fail(merged.error().WithContext("adding the monitoring windows of " +
                                             VersionName(model, version)));
    }
    ++traffic.window_count;
  }
  // A prediction is made at one moment: since_ms <= ts_ms < until_ms.
  query.since_ms = span.since_ms;
  query.limit = kMaxLabelsPerLook;
  HONE_ASSIGN_OR_RETURN(std::vector<store::LabelledPrediction> labelled,
                        meta.ListLabelledPredictions(query));
  traffic.metrics = ComputeLiveMetrics(labelled, classification);
  return traffic;
}

Result<store::TimeMs> AliasMovedAt(store::MetaStore& meta, std::string_view model,
                                   std::string_view alias) {
  auto history = meta.AliasHistory(model, alias);
  if (!history) {
    if (history.error().code() == ErrorCode::kNotFound) return store::TimeMs{0};
    return Fail(history.error());
  }
  return history->empty() ? store::TimeMs{0} : history->back().ts_ms;
}

Result<json> ServedReport(store::MetaStore& meta, const store::ArtifactStore& artifacts,
                          std::string_view model_name, ReportSpan span, bool with_until) {
  if (span.since_ms > span.until_ms) {
    return Fail(ErrorCode::kInvalidArgument,
                "the report's span starts (" + core::FormatUtc(span.since_ms) +
                    ") after it ends (" + core::FormatUtc(span.until_ms) + ")");
  }
  HONE_ASSIGN_OR_RETURN(store::Model model, meta.GetModel(model_name));
  json versions = json::array();
  for (const std::string alias : {"production", "canary", "shadow"}) {
    auto it = model.aliases.find(alias);
    if (it == model.aliases.end()) continue;
    HONE_ASSIGN_OR_RETURN(store::ModelVersion version, meta.GetVersion(model_name, it->second));
    std::optional<double> weight;
    if (auto w = model.alias_weights.find(alias); w != model.alias_weights.end()) {
      weight = w->second;
    }
    HONE_ASSIGN_OR_RETURN(store::TimeMs moved, AliasMovedAt(meta, model_name, alias));
    ReportSpan served = span;
    served.since_ms = std::max(span.since_ms, moved);
    HONE_ASSIGN_OR_RETURN(json report,
                          VersionReport(meta, artifacts, version, alias, weight, served));
    versions.push_back(std::move(report));
  }
  json j = {{"model", std::string(model_name)}, {"since", core::FormatUtc(span.since_ms)}};
  if (with_until) j["until"] = core::FormatUtc(span.until_ms);
  j["versions"] = std::move(versions);
  return j;
}

}  // namespace hone::monitor
