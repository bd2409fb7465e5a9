// ValidateWatchSpec: the `watch:` section's values checked against their meaning.
#include "hone/loop/policy.h"

namespace hone::loop {
namespace {

/// Fails naming `field` unless `ok`; `range` says what is allowed ("(0, 1]", ">= 0").
Result<void> Require(bool ok, const char* field, double value, const std::string& range) {
  if (ok) return {};
  return Fail(ErrorCode::kInvalidArgument, std::string("watch.") + field + " " +
                                               FormatFigure(value) + " is out of range " + range);
}

}  // namespace

Result<void> ValidateWatchSpec(const pipeline::WatchSpec& spec) {
  // Written as !(x < bound) and the like so that NaN fails every check.
  HONE_TRY(Require(spec.interval_seconds > 0, "interval_seconds", spec.interval_seconds, "> 0"));
  HONE_TRY(Require(spec.cooldown_seconds >= 0, "cooldown_seconds", spec.cooldown_seconds, ">= 0"));
  HONE_TRY(Require(spec.lease_seconds > 0, "lease_seconds", spec.lease_seconds, "> 0"));
  const pipeline::TriggerSpec& triggers = spec.triggers;
  if (!triggers.schedule.empty()) {
    Result<CronSchedule> schedule = ParseCron(triggers.schedule);
    if (!schedule) return Fail(schedule.error().WithContext("watch.triggers.schedule"));
  }
  HONE_TRY(Require(triggers.drift.share >= 0 && triggers.drift.share <= 1, "triggers.drift.share",
                   triggers.drift.share, "[0, 1]"));
  HONE_TRY(Require(triggers.drift.psi > 0, "triggers.drift.psi", triggers.drift.psi, "> 0"));
  HONE_TRY(
      Require(triggers.decay.margin >= 0, "triggers.decay.margin", triggers.decay.margin, ">= 0"));
  const pipeline::ReleaseSpec& release = spec.release;
  Result<ReleaseMode> mode = ParseReleaseMode(release.mode);
  if (!mode) return Fail(mode.error().WithContext("watch.release.mode"));
  HONE_TRY(Require(release.weight > 0 && release.weight <= 1, "release.weight", release.weight,
                   "(0, 1]"));
  HONE_TRY(Require(release.min_seconds >= 0, "release.min_seconds", release.min_seconds, ">= 0"));
  HONE_TRY(Require(release.max_seconds >= release.min_seconds, "release.max_seconds",
                   release.max_seconds,
                   ">= release.min_seconds (" + FormatFigure(release.min_seconds) + ")"));
  HONE_TRY(Require(release.max_error_rate >= 0 && release.max_error_rate <= 1,
                   "release.max_error_rate", release.max_error_rate, "[0, 1]"));
  HONE_TRY(Require(release.max_p99_ms >= 0, "release.max_p99_ms", release.max_p99_ms,
                   ">= 0 (0: no limit)"));
  HONE_TRY(Require(release.p99_ratio >= 0, "release.p99_ratio", release.p99_ratio,
                   ">= 0 (0: no limit)"));
  HONE_TRY(
      Require(release.metric_margin >= 0, "release.metric_margin", release.metric_margin, ">= 0"));
  HONE_TRY(Require(release.max_prediction_psi > 0, "release.max_prediction_psi",
                   release.max_prediction_psi, "> 0"));
  return {};
}

}  // namespace hone::loop
