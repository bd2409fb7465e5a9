// The release policy of `hone watch` as a pure function: Decide(state, observations, spec)
// returns the one next action and the state after it. The controller gathers observations,
// executes actions and persists state; it makes no decision of its own.
//
// The controller's look, every watch.interval_seconds:
//   1. state = the persisted LoopState (InitialLoopState(now) the very first time);
//   2. obs   = what it sees now (Observations says which fields each phase reads);
//   3. d     = Decide(state, obs, spec);
//   4. execute d.action (table below); when it succeeded, append d.ToJson() to the audit log
//      (every action but kNone) and persist d.state (also after kNone: the state may still
//      change, e.g. the schedule cursor on the first look). When it failed, persist nothing:
//      the next look decides again from the old state, so each action must be safe to retry.
//
//   action         the controller                                             state after
//   kNone          does nothing; d.reason says what the loop waits for         same phase
//   kRetrain       starts a pipeline run (d.triggers say why) and stores the   kTraining
//                  run's id in d.state.run_id before persisting it
//   kReject        records only: the run failed, the gate did not bless its    kIdle
//                  candidate, or the candidate is production already
//   kStartRelease  points alias "canary" (d.mode kCanary, share d.weight) or   kReleasing
//                  "shadow" (kShadow) at d.version
//   kPromote       moves "production" to d.version, only if it still points   kIdle
//                  at d.production_version (compare-and-swap; nullopt: no
//                  production alias yet), and drops the canary/shadow alias
//   kRollback      drops the canary/shadow alias; production is untouched      kIdle
//   kAbandon       drops the canary/shadow alias; someone moved production     kIdle
//                  by hand during the release and it stays where they put it
#ifndef HONE_LOOP_POLICY_H_
#define HONE_LOOP_POLICY_H_

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hone/core/error.h"
#include "hone/loop/loop_state.h"
#include "hone/loop/release_judge.h"
#include "hone/loop/triggers.h"
#include "hone/pipeline/watch_spec.h"

namespace hone::loop {

/// How the pipeline run the loop started ended.
struct RunOutcome {
  enum class Status {
    kBlessed,   // the gate blessed a candidate and it was registered as `candidate_version`
    kRejected,  // the gate said no (`reason`: its failures)
    kFailed,    // the run failed before a verdict (`reason`: the error)
  };
  Status status = Status::kFailed;
  std::string run_id;
  std::string candidate_version;
  std::string reason;

  nlohmann::json ToJson() const;
};
const char* RunStatusName(RunOutcome::Status status);

/// What the controller sees at one look. Which parts Decide reads depends on the phase; the
/// others may be left empty (gathering them costs queries).
struct Observations {
  /// Every phase: the look's time (inputs.now_ms, from the controller's Clock) and the version
  /// the production alias points at now (inputs.production_version).
  /// kIdle: the rest of the trigger inputs too (see triggers.h).
  TriggerInputs inputs;
  /// kTraining: how the run in state.run_id ended; nullopt while it is still running. A run
  /// that can no longer end (its process died with a previous controller, its Slurm job
  /// vanished) is reported as kFailed, or the loop waits for it forever.
  std::optional<RunOutcome> run;
  /// kReleasing: the live evidence for state.candidate_version and for production since
  /// state.release_started_ms; nullopt when nothing could be gathered yet (max_seconds still
  /// applies).
  std::optional<ReleaseEvidence> release;
};

enum class Action { kNone, kRetrain, kReject, kStartRelease, kPromote, kRollback, kAbandon };
/// "none", "retrain", "reject", "start_release", "promote", "rollback", "abandon".
const char* ActionName(Action action);

struct Decision {
  Action action = Action::kNone;
  /// The candidate the action concerns (kReject with a candidate, kStartRelease, kPromote,
  /// kRollback, kAbandon); empty otherwise.
  std::string version;
  /// The production version when the decision was made (nullopt: none). kPromote moves the
  /// alias only if it still points here.
  std::optional<std::string> production_version;
  /// kStartRelease: the mode (kCanary or kShadow) and watch.release.weight (the canary's share
  /// of requests; passed along unchanged for shadow).
  ReleaseMode mode = ReleaseMode::kCanary;
  double weight = 0;
  /// kRetrain: the new triggers it answers. Every other action: the triggers that started the
  /// retraining it concludes (empty when none, e.g. kNone while idle).
  std::vector<Trigger> triggers;
  /// One line for people: what happens and why, with the deciding figures.
  std::string reason;
  /// Every figure compared, with its limit: the release judgement (release_judge.h), the run's
  /// outcome, the triggers' evidence, the cooldown.
  nlohmann::json evidence = nlohmann::json::object();
  /// The state to persist once the action is carried out.
  LoopState state;

  /// The audit record: {"action", "version", "production_version", "mode", "weight", "reason",
  /// "evidence", "triggers", "phase" (of the state after)}; the state itself is not included.
  nlohmann::json ToJson() const;
};

/// The next action. Pure: the same (state, obs, spec) always gives the same decision, also after
/// a LoopState round trip through JSON. By phase:
///
/// kIdle — EvaluateTriggers (triggers.h) with spec.triggers and state.schedule_after_ms.
///   Triggers whose key is in state.handled_keys are dropped. None left: kNone. Within
///   watch.cooldown_seconds of state.last_retrain_ms: kNone ("cooldown", nothing remembered, so
///   the triggers fire after it). Otherwise kRetrain with all of them: their keys remembered,
///   last_retrain_ms = now, schedule_after_ms = now when a schedule trigger is among them.
///
/// kTraining — no outcome yet: kNone. Failed or rejected: kReject. Blessed: kReject when the
///   candidate is the production version already (nothing changed); kPromote directly when
///   there is no production version (the first model) or release.mode is "direct"; otherwise
///   kStartRelease (phase kReleasing, started now, against the current production version).
///
/// kReleasing — production moved since the release started: kAbandon (also when someone
///   promoted the candidate by hand). Otherwise JudgeRelease (release_judge.h) on
///   obs.release, `now - release_started_ms` into the release: wait → kNone, promote →
///   kPromote, roll back → kRollback.
///
/// A spec that ValidateWatchSpec rejects makes every decision kNone, its reason the error.
Decision Decide(const LoopState& state, const Observations& obs, const pipeline::WatchSpec& spec);

/// Checks the `watch:` section beyond what its types say, naming the field as hone.yaml does:
/// interval_seconds > 0, cooldown_seconds >= 0, lease_seconds > 0; the schedule parses; drift
/// share in [0, 1], psi > 0; decay margin >= 0; release mode canary/shadow/direct, weight in
/// (0, 1], 0 <= min_seconds <= max_seconds, max_error_rate in [0, 1], max_p99_ms >= 0,
/// p99_ratio >= 0 (0: no ratio limit), metric_margin >= 0, max_prediction_psi > 0. NaN fails.
/// kInvalidArgument: "watch.release.weight 1.5 is out of range (0, 1]".
Result<void> ValidateWatchSpec(const pipeline::WatchSpec& spec);

}  // namespace hone::loop

#endif  // HONE_LOOP_POLICY_H_
