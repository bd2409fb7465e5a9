// The persisted state of `hone watch` for one model: the phase the loop is in, what it waits
// for, and what it remembers across phases (cooldown, trigger keys already acted on, the
// schedule's cursor). Decide (policy.h) reads one and returns the next.
#ifndef HONE_LOOP_LOOP_STATE_H_
#define HONE_LOOP_LOOP_STATE_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "hone/core/cron.h"
#include "hone/core/error.h"
#include "hone/loop/triggers.h"

namespace hone::loop {

// Schedules are core/cron.h's; the loop names them as its own.
using core::CronSchedule;
using core::FormatUtc;
using core::ParseCron;
using core::TimeMs;
using core::UtcMs;

/// kIdle: watching the triggers. kTraining: a pipeline run started by the loop is under way.
/// kReleasing: a blessed candidate is on canary or shadow, being judged.
enum class Phase { kIdle, kTraining, kReleasing };
const char* PhaseName(Phase phase);

/// How a blessed candidate meets live traffic (watch.release.mode).
enum class ReleaseMode { kCanary, kShadow, kDirect };
const char* ReleaseModeName(ReleaseMode mode);
/// "canary", "shadow" or "direct"; kInvalidArgument listing them otherwise.
Result<ReleaseMode> ParseReleaseMode(std::string_view text);

/// How many acted-on trigger keys the state remembers (oldest forgotten first). With the
/// default cooldown of 600 s that is at least 21 hours of back-to-back retrainings.
inline constexpr size_t kMaxHandledKeys = 128;

/// Plain data, copied freely; not synchronised (one controller owns it under its lease). The
/// controller persists ToJson() after each executed decision and reads it back with FromJson()
/// after a restart; Decide on the restored state decides exactly as on the original.
struct LoopState {
  Phase phase = Phase::kIdle;

  // --- Remembered in every phase.
  /// When the last retraining started; the cooldown counts from it. nullopt: never.
  std::optional<TimeMs> last_retrain_ms;
  /// Keys (Trigger::key) of triggers already acted on, oldest first, at most kMaxHandledKeys.
  std::vector<std::string> handled_keys;
  /// The schedule trigger fires for the first cron slot after this. Set to the time of the
  /// first look (a loop does not catch up on slots from before it started) and to the time of
  /// each retraining the schedule caused (slots missed while busy collapse into one).
  std::optional<TimeMs> schedule_after_ms;

  // --- kTraining and kReleasing: the triggers that started this retraining (for the audit
  // record of its promotion or rollback); cleared on return to kIdle.
  std::vector<Trigger> triggers;

  // --- kTraining.
  /// The pipeline run's id. Decide leaves it empty; the controller fills it in once the run has
  /// an id, so that after a restart it knows which run to wait for.
  std::string run_id;

  // --- kReleasing.
  std::string candidate_version;
  /// The production version when the release started; the release is abandoned when the alias
  /// has moved since.
  std::optional<std::string> release_production_version;
  ReleaseMode release_mode = ReleaseMode::kCanary;
  double release_weight = 0;
  /// When the release started (the StartRelease decision); the evidence counts from here.
  TimeMs release_started_ms = 0;

  /// Whether `key` was acted on (and not yet forgotten).
  bool HasHandled(const std::string& key) const;
  /// Remembers `key`, forgetting the oldest beyond kMaxHandledKeys. A key already held moves to
  /// the newest end.
  void RememberKey(const std::string& key);

  /// {"format": 1, "phase", "last_retrain_ms", "handled_keys", "schedule_after_ms", "triggers",
  ///  "run_id", "release": {"candidate_version", "production_version", "mode", "weight",
  ///  "started_ms"}}; absent optionals are null.
  nlohmann::json ToJson() const;
  /// Reads what ToJson wrote. Members other than "format" and "phase" may be missing (they take
  /// their defaults); a member of the wrong type, an unknown phase or mode, or another format
  /// is kInvalidData naming the member.
  static Result<LoopState> FromJson(const nlohmann::json& json);
};

/// The state of a loop that starts at `now_ms`: idle, never retrained, schedule counting from
/// now.
LoopState InitialLoopState(TimeMs now_ms);

}  // namespace hone::loop

#endif  // HONE_LOOP_LOOP_STATE_H_
