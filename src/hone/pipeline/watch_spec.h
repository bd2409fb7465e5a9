// The `watch:` section of hone.yaml: what makes `hone watch` retrain (triggers), how a candidate
// is released (canary or shadow) and judged on live traffic, and how often the loop looks.
// Plain data with documented defaults; parsed with the rest of hone.yaml (spec_watch.cc) and
// read by the loop's policy. The user's reference is docs/hone-yaml.md.
#ifndef HONE_PIPELINE_WATCH_SPEC_H_
#define HONE_PIPELINE_WATCH_SPEC_H_

#include <cstdint>
#include <string>

namespace hone::pipeline {

/// Retrain when the live inputs (or predictions) of the production version drift from its
/// reference profile.
struct DriftTriggerSpec {
  bool enabled = true;
  /// Drifted when at least this share of the features drift (or any Holm-corrected p-value is
  /// below 0.05, as the drift report decides).
  double share = 0.5;
  /// Also drifted when any feature's PSI reaches this.
  double psi = 0.25;
  /// Count the prediction's drift as a feature's.
  bool prediction = true;
  /// Fewer live rows than this since the production version started serving: no decision.
  uint64_t min_rows = 500;
};

/// Retrain when the production version's live metric (from feedback) is worse than its offline
/// metric by more than a margin.
struct DecayTriggerSpec {
  bool enabled = true;
  /// Empty: the task's primary metric (rmse for regression, accuracy for classification).
  std::string metric;
  /// Relative margin: 0.1 means 10% worse than the offline figure.
  double margin = 0.1;
  /// Fewer labelled predictions than this: no decision.
  uint64_t min_labels = 100;
};

struct TriggerSpec {
  /// The data source's digest differs from the one the production version was trained on.
  bool new_data = true;
  /// The working tree's git commit differs from the one the production version was trained at.
  bool commit = false;
  /// Cron syntax (five fields, UTC: "0 3 * * *"); empty: no schedule.
  std::string schedule;
  DriftTriggerSpec drift;
  DecayTriggerSpec decay;
};

/// How a blessed candidate meets live traffic, and when it is promoted or rolled back.
struct ReleaseSpec {
  /// "canary": the candidate answers `weight` of the requests; "shadow": it receives a copy of
  /// the traffic and its answers are only logged; "direct": promote without a live trial.
  std::string mode = "canary";
  double weight = 0.1;
  /// Evidence needed before a verdict: requests answered by the candidate, time since it
  /// started, and (when > 0) labelled predictions.
  uint64_t min_requests = 200;
  double min_seconds = 30;
  uint64_t min_labels = 0;
  /// A candidate still without enough evidence after this long is rolled back.
  double max_seconds = 3600;
  /// Limits that roll a candidate back at once, whatever its evidence so far: its error rate
  /// (5xx share), its p99 latency in milliseconds (0: no absolute limit), and its p99 as a
  /// multiple of production's.
  double max_error_rate = 0.01;
  double max_p99_ms = 0;
  double p99_ratio = 2.0;
  /// A verdict also requires: the candidate's live metric no worse than production's by more
  /// than this relative margin (when both have labels), and the PSI between the candidate's and
  /// production's prediction distributions below this.
  double metric_margin = 0.05;
  double max_prediction_psi = 0.25;
};

struct WatchSpec {
  /// How often the loop looks at its triggers and at a release under way.
  double interval_seconds = 10;
  /// After a retraining starts, no other starts for this long, whatever the cause.
  double cooldown_seconds = 600;
  /// The lease a `hone watch` process holds on the model; another takes over this long after
  /// the holder stops renewing it.
  double lease_seconds = 30;
  TriggerSpec triggers;
  ReleaseSpec release;
};

}  // namespace hone::pipeline

#endif  // HONE_PIPELINE_WATCH_SPEC_H_
