// Observer: the store's windows, prediction log and registry, made into the policy's inputs.
#include "hone/loop/observe.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "hone/gate/model_gates.h"

namespace hone::loop {

std::string WatchedMetric(const pipeline::WatchSpec& spec, bool classification) {
  return spec.triggers.decay.metric.empty() ? monitor::PrimaryLiveMetric(classification)
                                            : spec.triggers.decay.metric;
}

VersionEvidence EvidenceOf(const LiveTraffic& traffic, const std::string& metric) {
  VersionEvidence e;
  e.requests = traffic.windows.requests();
  e.errors = traffic.windows.errors();
  e.p99_ms = traffic.windows.LatencyQuantileMs(0.99);
  if (e.p99_ms && !std::isfinite(*e.p99_ms)) e.p99_ms.reset();
  e.labels = traffic.metrics.labels;
  e.metric = traffic.metrics.Get(metric);
  return e;
}

Result<const VersionProfile*> Observer::Profile(std::string_view model, int64_t version) {
  auto key = std::make_pair(std::string(model), version);
  if (auto it = profiles_.find(key); it != profiles_.end()) return it->second.get();
  HONE_ASSIGN_OR_RETURN(
      VersionProfile profile,
      monitor::ReadVersionProfile(*store_.meta, store_.artifacts, model, version));
  auto kept = std::make_unique<VersionProfile>(std::move(profile));
  const VersionProfile* out = kept.get();
  profiles_.emplace(std::move(key), std::move(kept));
  return out;
}

Result<LiveTraffic> Observer::Traffic(std::string_view model, int64_t version,
                                      store::TimeMs since_ms, bool classification) {
  monitor::ReportSpan span;
  span.since_ms = since_ms;
  return monitor::ReadLiveTraffic(*store_.meta, model, version, span, classification);
}

Result<store::TimeMs> Observer::AliasSince(std::string_view model, std::string_view alias) {
  return monitor::AliasMovedAt(*store_.meta, model, alias);
}

Result<TriggerInputs::Drift> Observer::Drift(std::string_view model, int64_t version,
                                             const LiveTraffic& traffic) {
  HONE_ASSIGN_OR_RETURN(const VersionProfile* profile, Profile(model, version));
  TriggerInputs::Drift drift;
  drift.rows = traffic.windows.traffic.rows;
  if (traffic.window_count == 0 || drift.rows == 0) return drift;
  HONE_ASSIGN_OR_RETURN(monitor::DriftReport report,
                        monitor::ComputeDrift(profile->profile, traffic.windows.traffic));
  drift.drifted_share = report.drifted_share;
  drift.any_adjusted_p_below = report.any_adjusted_p_below;
  for (const monitor::ColumnDrift& c : report.columns) {
    if (std::isfinite(c.psi) && c.psi > drift.max_psi) {
      drift.max_psi = c.psi;
      drift.worst_feature = c.name;
    }
  }
  if (report.prediction) {
    drift.prediction_drifted = report.prediction->drifted;
    drift.prediction_psi = std::isfinite(report.prediction->psi) ? report.prediction->psi : 0;
  }
  return drift;
}

Result<std::optional<TriggerInputs::Decay>> Observer::Decay(const store::ModelVersion& version,
                                                            const std::string& metric,
                                                            const LiveTraffic& traffic) {
  auto offline = version.metrics.find(metric);
  std::optional<double> live = traffic.metrics.Get(metric);
  if (offline == version.metrics.end() || !live) return std::optional<TriggerInputs::Decay>();
  HONE_ASSIGN_OR_RETURN(bool higher, gate::HigherIsBetter(metric));
  TriggerInputs::Decay decay;
  decay.metric = metric;
  decay.higher_is_better = higher;
  decay.live = *live;
  decay.offline = offline->second;
  decay.labels = traffic.metrics.labels;
  return std::optional<TriggerInputs::Decay>(decay);
}

Result<ReleaseEvidence> Observer::Release(std::string_view model, int64_t candidate,
                                          std::optional<int64_t> production, store::TimeMs since_ms,
                                          const std::string& metric) {
  ReleaseEvidence evidence;
  evidence.metric = metric;
  HONE_ASSIGN_OR_RETURN(evidence.higher_is_better, gate::HigherIsBetter(metric));
  if (auto v = store_.meta->GetVersion(model, candidate); !v) {
    if (v.error().code() != ErrorCode::kNotFound) return Fail(v.error());
    evidence.candidate_status = CandidateStatus::kMissing;
    evidence.status_detail = v.error().message();
    return evidence;
  }
  HONE_ASSIGN_OR_RETURN(const VersionProfile* candidate_profile, Profile(model, candidate));
  HONE_ASSIGN_OR_RETURN(LiveTraffic ct,
                        Traffic(model, candidate, since_ms, candidate_profile->classification()));
  evidence.candidate_status =
      ct.window_count == 0 ? CandidateStatus::kLoading : CandidateStatus::kServing;
  evidence.candidate = EvidenceOf(ct, metric);
  if (!production) return evidence;
  HONE_ASSIGN_OR_RETURN(const VersionProfile* production_profile, Profile(model, *production));
  HONE_ASSIGN_OR_RETURN(
      LiveTraffic pt, Traffic(model, *production, since_ms, production_profile->classification()));
  evidence.production = EvidenceOf(pt, metric);

  // The candidate's predictions were counted on its own profile's bins: spread them onto
  // production's so that the two distributions compare.
  const auto& cp = ct.windows.traffic.prediction;
  const auto& pp = pt.windows.traffic.prediction;
  if (cp && pp && cp->total() > 0 && pp->total() > 0) {
    const core::ColumnProfile* from = nullptr;
    const core::ColumnProfile* to = nullptr;
    for (const auto& c : candidate_profile->profile.columns) {
      if (c.name == cp->name) from = &c;
    }
    for (const auto& c : production_profile->profile.columns) {
      if (c.name == pp->name) to = &c;
    }
    if (from != nullptr && to != nullptr) {
      auto rebinned = monitor::Rebin(*from, *cp, *to);
      if (rebinned && rebinned->bins.size() == pp->bins.size()) {
        monitor::WindowSummary expected, actual;
        expected.prediction = *pp;
        actual.prediction = *rebinned;
        auto psi = monitor::PredictionPsi(expected, actual);
        if (psi && std::isfinite(*psi)) evidence.prediction_psi = *psi;
      }
    }
  }
  return evidence;
}

}  // namespace hone::loop
