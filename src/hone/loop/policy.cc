#include "hone/loop/policy.h"

namespace hone::loop {
namespace {

nlohmann::json TriggersJson(const std::vector<Trigger>& triggers) {
  nlohmann::json out = nlohmann::json::array();
  for (const Trigger& t : triggers) out.push_back(t.ToJson());
  return out;
}

nlohmann::json OptionalText(const std::optional<std::string>& text) {
  return text ? nlohmann::json(*text) : nlohmann::json(nullptr);
}

std::string NameOr(const std::optional<std::string>& version, const char* none) {
  return version ? "version " + *version : none;
}

/// A decision that keeps `state` (kNone) with the production version seen now.
Decision Keep(const LoopState& state, const Observations& obs, std::string reason) {
  Decision d;
  d.production_version = obs.inputs.production_version;
  d.triggers = state.triggers;
  d.reason = std::move(reason);
  d.evidence["phase"] = PhaseName(state.phase);
  d.state = state;
  return d;
}

/// The state back in kIdle, keeping only what is remembered across phases.
LoopState Idle(const LoopState& state) {
  LoopState idle;
  idle.last_retrain_ms = state.last_retrain_ms;
  idle.handled_keys = state.handled_keys;
  idle.schedule_after_ms = state.schedule_after_ms;
  return idle;
}

Decision DecideIdle(const LoopState& state, const Observations& obs,
                    const pipeline::WatchSpec& spec) {
  const TimeMs now = obs.inputs.now_ms;
  std::optional<CronSchedule> cron;
  if (Result<CronSchedule> parsed = ParseCron(spec.triggers.schedule); parsed) {
    cron = std::move(*parsed);  // an empty or bad schedule (ValidateWatchSpec said) never fires
  }
  std::vector<Trigger> fresh;
  std::vector<std::string> already;
  for (Trigger& t : EvaluateTriggers(spec.triggers, obs.inputs, cron ? &*cron : nullptr,
                                     state.schedule_after_ms.value_or(now))) {
    if (state.HasHandled(t.key)) {
      already.push_back(t.key);
    } else {
      fresh.push_back(std::move(t));
    }
  }
  Decision d = Keep(state, obs, "no trigger");
  d.evidence["already_handled"] = already;
  if (fresh.empty()) {
    if (!already.empty()) d.reason = "no new trigger; already acted on: " + already.front();
    for (size_t i = 1; i < already.size(); ++i) d.reason += ", " + already[i];
    return d;
  }
  std::string kinds;
  std::string reasons;
  for (const Trigger& t : fresh) {
    kinds += (kinds.empty() ? "" : ", ") + t.kind;
    reasons += (reasons.empty() ? "" : "; ") + t.reason;
  }
  const double cooldown_ms = spec.cooldown_seconds * 1000;
  if (state.last_retrain_ms && static_cast<double>(now - *state.last_retrain_ms) < cooldown_ms) {
    const double left_s = (cooldown_ms - static_cast<double>(now - *state.last_retrain_ms)) / 1000;
    d.reason = "cooldown: " + kinds + " waits " + FormatFigure(left_s) + " s more (" +
               FormatFigure(spec.cooldown_seconds) + " s after the retraining at " +
               FormatUtc(*state.last_retrain_ms) + ")";
    d.evidence["cooldown"] = {{"cooldown_seconds", spec.cooldown_seconds},
                              {"last_retrain_ms", *state.last_retrain_ms},
                              {"seconds_left", left_s}};
    d.evidence["waiting_triggers"] = TriggersJson(fresh);
    return d;
  }
  d.action = Action::kRetrain;
  d.reason = "retrain: " + reasons;
  d.evidence["triggers"] = TriggersJson(fresh);
  d.evidence["cooldown_seconds"] = spec.cooldown_seconds;
  LoopState& next = d.state;
  next.phase = Phase::kTraining;
  next.last_retrain_ms = now;
  next.run_id.clear();
  for (const Trigger& t : fresh) {
    next.RememberKey(t.key);
    if (t.kind == "schedule") next.schedule_after_ms = now;
  }
  next.triggers = fresh;
  d.triggers = std::move(fresh);
  return d;
}

Decision DecideTraining(const LoopState& state, const Observations& obs,
                        const pipeline::WatchSpec& spec) {
  const std::string run = state.run_id.empty() ? "the pipeline run" : "run " + state.run_id;
  if (!obs.run) return Keep(state, obs, "training: waiting for " + run);
  const RunOutcome& outcome = *obs.run;
  if (!state.run_id.empty() && !outcome.run_id.empty() && outcome.run_id != state.run_id) {
    return Keep(state, obs,
                "training: the outcome of run " + outcome.run_id + " is not that of " + run);
  }
  Decision d = Keep(state, obs, "");
  d.evidence["run"] = outcome.ToJson();
  d.version = outcome.candidate_version;
  d.state = Idle(state);
  d.action = Action::kReject;
  const std::optional<std::string>& production = obs.inputs.production_version;
  const std::string& candidate = outcome.candidate_version;
  switch (outcome.status) {
    case RunOutcome::Status::kFailed:
      d.reason = "retraining failed (" + run + "): " + outcome.reason;
      return d;
    case RunOutcome::Status::kRejected:
      d.reason = "the candidate of " + run + " was not blessed: " + outcome.reason;
      return d;
    case RunOutcome::Status::kBlessed:
      break;
  }
  if (candidate.empty()) {
    d.reason = run + " was blessed but registered no version";
    return d;
  }
  if (production == candidate) {
    d.reason = "version " + candidate + " is production already: nothing to release";
    return d;
  }
  const ReleaseMode mode = ParseReleaseMode(spec.release.mode).value_or(ReleaseMode::kCanary);
  if (!production || mode == ReleaseMode::kDirect) {
    d.action = Action::kPromote;
    d.reason =
        "promote version " + candidate + " directly: " +
        (production ? "release mode is direct (replacing production version " + *production + ")"
                    : std::string("no production version yet (the first model)"));
    return d;
  }
  d.action = Action::kStartRelease;
  d.mode = mode;
  d.weight = spec.release.weight;
  d.reason = mode == ReleaseMode::kCanary
                 ? "start a canary of version " + candidate + " on " +
                       FormatFigure(spec.release.weight * 100) +
                       "% of requests against production version " + *production
                 : "start shadowing production version " + *production + " with version " +
                       candidate + " on a copy of its traffic";
  d.evidence["release"] = {{"mode", ReleaseModeName(mode)}, {"weight", spec.release.weight}};
  LoopState& next = d.state;
  next.phase = Phase::kReleasing;
  next.triggers = state.triggers;
  next.candidate_version = candidate;
  next.release_production_version = production;
  next.release_mode = mode;
  next.release_weight = spec.release.weight;
  next.release_started_ms = obs.inputs.now_ms;
  return d;
}

Decision DecideReleasing(const LoopState& state, const Observations& obs,
                         const pipeline::WatchSpec& spec) {
  const std::string& candidate = state.candidate_version;
  const std::optional<std::string>& production = obs.inputs.production_version;
  Decision d = Keep(state, obs, "");
  d.version = candidate;
  d.mode = state.release_mode;
  d.weight = state.release_weight;
  d.evidence["release"] = {{"candidate_version", candidate},
                           {"production_version", OptionalText(state.release_production_version)},
                           {"mode", ReleaseModeName(state.release_mode)},
                           {"weight", state.release_weight},
                           {"started_ms", state.release_started_ms}};
  if (production != state.release_production_version) {
    d.action = Action::kAbandon;
    d.state = Idle(state);
    d.evidence["production_now"] = OptionalText(production);
    d.reason = production == candidate
                   ? "version " + candidate + " was promoted by hand during its release"
                   : "production moved from " +
                         NameOr(state.release_production_version, "no version") + " to " +
                         NameOr(production, "no version") + " during the release of version " +
                         candidate + "; the release is abandoned and production left as it is";
    return d;
  }
  const double elapsed_s = static_cast<double>(obs.inputs.now_ms - state.release_started_ms) / 1000;
  Judgment j = JudgeRelease(spec.release, elapsed_s, obs.release ? &*obs.release : nullptr);
  d.evidence["judgment"] = std::move(j.evidence);
  d.evidence["verdict"] = ReleaseVerdictName(j.verdict);
  switch (j.verdict) {
    case ReleaseVerdict::kWait:
      d.reason = "releasing version " + candidate + " (" + ReleaseModeName(state.release_mode) +
                 "): " + j.reason;
      return d;
    case ReleaseVerdict::kPromote:
      d.action = Action::kPromote;
      d.reason = "promote version " + candidate + " over production version " +
                 production.value_or("") + ": " + j.reason;
      break;
    case ReleaseVerdict::kRollback:
      d.action = Action::kRollback;
      d.reason = "roll back version " + candidate + ": " + j.reason;
      break;
  }
  d.state = Idle(state);
  return d;
}

}  // namespace

Decision Decide(const LoopState& state, const Observations& obs, const pipeline::WatchSpec& spec) {
  if (Result<void> valid = ValidateWatchSpec(spec); !valid) {
    Decision d = Keep(state, obs, valid.error().message());
    d.evidence["spec_error"] = valid.error().message();
    return d;
  }
  LoopState current = state;
  if (!current.schedule_after_ms) current.schedule_after_ms = obs.inputs.now_ms;
  switch (current.phase) {
    case Phase::kIdle:
      return DecideIdle(current, obs, spec);
    case Phase::kTraining:
      return DecideTraining(current, obs, spec);
    case Phase::kReleasing:
      return DecideReleasing(current, obs, spec);
  }
  return Keep(current, obs, "unknown phase");
}

const char* ActionName(Action action) {
  switch (action) {
    case Action::kNone:
      return "none";
    case Action::kRetrain:
      return "retrain";
    case Action::kReject:
      return "reject";
    case Action::kStartRelease:
      return "start_release";
    case Action::kPromote:
      return "promote";
    case Action::kRollback:
      return "rollback";
    case Action::kAbandon:
      return "abandon";
  }
  return "unknown";
}

const char* RunStatusName(RunOutcome::Status status) {
  switch (status) {
    case RunOutcome::Status::kBlessed:
      return "blessed";
    case RunOutcome::Status::kRejected:
      return "rejected";
    case RunOutcome::Status::kFailed:
      return "failed";
  }
  return "unknown";
}

nlohmann::json RunOutcome::ToJson() const {
  return {{"status", RunStatusName(status)},
          {"run_id", run_id},
          {"candidate_version", candidate_version},
          {"reason", reason}};
}

nlohmann::json Decision::ToJson() const {
  return {{"action", ActionName(action)},
          {"version", version},
          {"production_version", OptionalText(production_version)},
          {"mode", ReleaseModeName(mode)},
          {"weight", weight},
          {"reason", reason},
          {"evidence", evidence},
          {"triggers", TriggersJson(triggers)},
          {"phase", PhaseName(state.phase)}};
}

}  // namespace hone::loop
