// Judging a candidate on live evidence during a canary or shadow release: wait, promote or roll
// back, with every figure compared and its limit. A pure function used by Decide (policy.h);
// stateless and safe from any thread.
#ifndef HONE_LOOP_RELEASE_JUDGE_H_
#define HONE_LOOP_RELEASE_JUDGE_H_

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "hone/pipeline/watch_spec.h"

namespace hone::loop {

/// Whether the candidate is being served. kLoading: registered but no server has it ready yet
/// (the clock still runs: max_seconds applies). kMissing: the version is gone from the registry.
/// kLoadFailed: a server could not load it.
enum class CandidateStatus { kServing, kLoading, kMissing, kLoadFailed };
const char* CandidateStatusName(CandidateStatus status);

/// The live figures of one version since the release started (the monitor's windows from
/// LoopState::release_started_ms on). For a shadow release the candidate's figures are over
/// the copies it answered.
struct VersionEvidence {
  /// Requests answered, and those answered with a server error (5xx).
  uint64_t requests = 0;
  uint64_t errors = 0;
  /// 99th-percentile latency in ms; nullopt when there is no sample.
  std::optional<double> p99_ms;
  /// Predictions with a label (feedback joined), and the live metric over them (nullopt when
  /// there are none).
  uint64_t labels = 0;
  std::optional<double> metric;

  nlohmann::json ToJson() const;
};

struct ReleaseEvidence {
  CandidateStatus candidate_status = CandidateStatus::kServing;
  /// Why the candidate is missing or failed to load (the server's error), for the reason.
  std::string status_detail;
  /// The live metric's name and direction (the same metric on both sides).
  std::string metric;
  bool higher_is_better = false;
  VersionEvidence candidate;
  VersionEvidence production;
  /// PSI of the candidate's prediction distribution against production's over the same period
  /// (on production's reference bins); nullopt when the monitor has too few predictions.
  std::optional<double> prediction_psi;

  nlohmann::json ToJson() const;
};

/// Rules that the spec leaves implicit, fixed here so they are the same everywhere:
/// A candidate is rolled back at once, before its evidence is sufficient, when
///  - it answered >= kMinRequestsForErrorRate requests and even the optimistic estimate of its
///    error rate (the lower end of the 95% Wilson interval) exceeds max_error_rate: 1 error in
///    1 request, or 1 in 20 with the default 1% limit, does not kill it; 2 in 20 do;
///  - it answered >= kMinRequestsForLatency requests (so that a p99 is more than the slowest
///    request) and its p99 exceeds max_p99_ms (when > 0), or exceeds p99_ratio x production's
///    p99 when production also answered >= kMinRequestsForLatency (p99_ratio 0 disables this).
inline constexpr uint64_t kMinRequestsForErrorRate = 20;
inline constexpr uint64_t kMinRequestsForLatency = 100;
/// When min_labels is 0 the metric is still compared at the verdict if both sides have at least
/// this many labels; fewer are noise, and the verdict goes on without the metric.
inline constexpr uint64_t kMinLabelsForMetric = 30;

/// The Wilson score interval's lower end (z = 1.96) for `errors` out of `requests`, as SciPy's
/// binomtest(errors, requests).proportion_ci(method="wilson").low; 0 when there are no errors.
double WilsonLowerBound(uint64_t errors, uint64_t requests);

enum class ReleaseVerdict { kWait, kPromote, kRollback };
const char* ReleaseVerdictName(ReleaseVerdict verdict);

struct Judgment {
  ReleaseVerdict verdict = ReleaseVerdict::kWait;
  /// One line without the verb (Decide prefixes "promote version 7", "roll back version 7"):
  /// what is awaited ("waiting for evidence: 120/200 requests, 25/30 s"), the criteria met
  /// ("all criteria met over 250 requests in 60 s: error rate 0 (0/250) <= 0.01; ..."), or every
  /// failing criterion with its figure and limit ("at once: error rate 3/20 (at least 0.05 at
  /// 95% confidence) > 0.01", "rmse 5.1 more than 5% worse than production's 4.2").
  std::string reason;
  /// {"elapsed_seconds", "candidate_status", "candidate", "production", "prediction_psi",
  ///  "sufficient": {...needed and found...}, "checks": [{"name", "value", "limit", "passed",
  ///  "rule": "immediate"|"verdict", ...}]}.
  nlohmann::json evidence = nlohmann::json::object();
};

/// Judges a release `elapsed_seconds` after it started. In this order:
///  1. no evidence at all (nullptr): roll back at max_seconds, else wait;
///  2. candidate missing or failed to load: roll back;
///  3. an immediate limit breached (above): roll back;
///  4. evidence sufficient — candidate requests >= min_requests, elapsed >= min_seconds, and when
///     min_labels > 0 both sides have >= min_labels labels — then promote only if all hold:
///     error rate (errors/requests) <= max_error_rate; p99 <= max_p99_ms (when > 0) and
///     <= p99_ratio x production's p99 (when both known and p99_ratio > 0); the metric no worse
///     than production's by more than metric_margin x |production's| (when both sides have
///     enough labels, see kMinLabelsForMetric, and both figures are numbers); prediction PSI
///     < max_prediction_psi (when known, and only when the metric could not be compared: a
///     candidate trained on data that moved is meant to answer differently, and when labels
///     can judge it they decide). Otherwise roll back naming what failed;
///  5. not sufficient at max_seconds: roll back ("not enough evidence"); else wait.
Judgment JudgeRelease(const pipeline::ReleaseSpec& spec, double elapsed_seconds,
                      const ReleaseEvidence* evidence);

}  // namespace hone::loop

#endif  // HONE_LOOP_RELEASE_JUDGE_H_
