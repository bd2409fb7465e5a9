// The triggers of `hone watch` (new data, a new commit, drift, decay, a schedule, and the first
// model), each a pure function of observations the controller gathers from the store, the data
// source, git and the monitor. Stateless; safe from any thread.
#ifndef HONE_LOOP_TRIGGERS_H_
#define HONE_LOOP_TRIGGERS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hone/core/cron.h"
#include "hone/core/error.h"
#include "hone/pipeline/watch_spec.h"

namespace hone::loop {

// Schedules are core/cron.h's; the loop names them as its own.
using core::CronSchedule;
using core::FormatUtc;
using core::ParseCron;
using core::TimeMs;
using core::UtcMs;

/// What the triggers look at, gathered by the controller at one look. An absent optional means
/// "unknown / not available": the trigger that needs it does not fire.
struct TriggerInputs {
  /// The look's time (the controller's Clock), ms since the epoch.
  TimeMs now_ms = 0;
  /// The version the `production` alias points at now; nullopt when there is none yet.
  std::optional<std::string> production_version;

  /// new_data: the data source's digest now, and the one the production version was trained on.
  std::optional<std::string> data_digest;
  std::optional<std::string> production_data_digest;

  /// commit: the working tree's git commit now, and the one the production version was trained
  /// at.
  std::optional<std::string> code_commit;
  std::optional<std::string> production_code_commit;

  /// drift: the drift report over the production version's live traffic since it started
  /// serving, against its reference profile.
  struct Drift {
    /// Live rows the report covers.
    uint64_t rows = 0;
    /// Share of the features the report calls drifted, 0..1.
    double drifted_share = 0;
    /// The largest PSI of any feature, and that feature.
    double max_psi = 0;
    std::string worst_feature;
    /// Whether any feature's Holm-adjusted p-value is below 0.05 (the report decides).
    bool any_adjusted_p_below = false;
    /// The prediction's own drift: whether the report calls it drifted, and its PSI.
    bool prediction_drifted = false;
    double prediction_psi = 0;
  };
  std::optional<Drift> drift;

  /// decay: the production version's live metric (from feedback) and its offline figure.
  struct Decay {
    /// The metric's name (the spec's, or the task's primary metric when the spec leaves it
    /// empty: the controller resolves it).
    std::string metric;
    bool higher_is_better = false;
    double live = 0;
    double offline = 0;
    /// Labelled predictions behind `live`.
    uint64_t labels = 0;
  };
  std::optional<Decay> decay;
};

/// One reason to retrain.
struct Trigger {
  /// "first_model", "new_data", "commit", "drift", "decay" or "schedule".
  std::string kind;
  /// De-duplication key: a trigger whose key was already acted on is not acted on again.
  ///   first_model  "first_model:<data digest>" ("first_model" when the digest is unknown)
  ///   new_data     "data:<data digest>"
  ///   commit       "commit:<commit>"
  ///   drift        "drift:<production version>"  (once per production version)
  ///   decay        "decay:<production version>"  (once per production version)
  ///   schedule     "schedule:<slot time, ms>"
  std::string key;
  /// One line for people, with the figures: "drift in production version 3 over 1200 live
  /// rows: PSI 0.31 on 'sqft' reaches 0.25".
  std::string reason;
  /// The figures behind it, each with its limit (for the audit log).
  nlohmann::json evidence = nlohmann::json::object();

  nlohmann::json ToJson() const;
  /// Reads what ToJson wrote; kInvalidData naming the bad member.
  static Result<Trigger> FromJson(const nlohmann::json& json);
};

/// Every trigger that fires, in the order first_model, new_data, commit, drift, decay, schedule
/// (de-duplication and cooldown are the policy's business, not this function's):
///  - first_model: no production version at all. Always on, whatever `spec` enables, so that a
///    new project's first `hone watch` trains one.
///  - new_data (spec.new_data): both digests known and different.
///  - commit (spec.commit): both commits known and different.
///  - drift (spec.drift.enabled, a production version, drift known): rows >= min_rows, and
///    drifted_share >= share, or any_adjusted_p_below, or max_psi >= psi, or (spec.prediction)
///    the prediction drifted or its PSI >= psi.
///  - decay (spec.decay.enabled, a production version, decay known): labels >= min_labels and
///    the live metric worse than the offline one by more than margin x |offline| (direction by
///    higher_is_better; a NaN figure never fires).
///  - schedule (`schedule` not null): its first slot after `schedule_after_ms` is <= now; the
///    key names that slot. The caller moves `schedule_after_ms` forward once it acts.
std::vector<Trigger> EvaluateTriggers(const pipeline::TriggerSpec& spec, const TriggerInputs& in,
                                      const CronSchedule* schedule, TimeMs schedule_after_ms);

/// The first 12 characters of a digest or commit, for reasons.
std::string ShortId(const std::string& id);

/// A figure as reasons show it: up to 4 significant digits ("0.3124", "1200", "5.2").
std::string FormatFigure(double value);

}  // namespace hone::loop

#endif  // HONE_LOOP_TRIGGERS_H_
