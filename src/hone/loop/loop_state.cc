#include "hone/loop/loop_state.h"

#include <algorithm>

namespace hone::loop {
namespace {

constexpr int kFormat = 1;

tl::unexpected<Error> BadMember(const std::string& path, const char* expected) {
  return Fail(ErrorCode::kInvalidData,
              "loop state member '" + path + "' is not " + std::string(expected));
}

/// Reads optional member `name` of `object` (path `prefix + name` for errors) into `out` when
/// present and not null; leaves `out` alone when absent.
Result<void> ReadText(const nlohmann::json& object, const std::string& prefix, const char* name,
                      std::string& out) {
  if (!object.contains(name)) return {};
  if (!object[name].is_string()) return BadMember(prefix + name, "a text");
  out = object[name].get<std::string>();
  return {};
}

Result<void> ReadOptionalText(const nlohmann::json& object, const std::string& prefix,
                              const char* name, std::optional<std::string>& out) {
  if (!object.contains(name) || object[name].is_null()) return {};
  if (!object[name].is_string()) return BadMember(prefix + name, "a text or null");
  out = object[name].get<std::string>();
  return {};
}

Result<void> ReadTime(const nlohmann::json& object, const std::string& prefix, const char* name,
                      TimeMs& out) {
  if (!object.contains(name)) return {};
  if (!object[name].is_number_integer()) return BadMember(prefix + name, "an integer (ms)");
  out = object[name].get<TimeMs>();
  return {};
}

Result<void> ReadOptionalTime(const nlohmann::json& object, const char* name,
                              std::optional<TimeMs>& out) {
  if (!object.contains(name) || object[name].is_null()) return {};
  if (!object[name].is_number_integer()) return BadMember(name, "an integer (ms) or null");
  out = object[name].get<TimeMs>();
  return {};
}

nlohmann::json OptionalJson(const std::optional<TimeMs>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

Result<Phase> ParsePhase(const std::string& text) {
  for (Phase phase : {Phase::kIdle, Phase::kTraining, Phase::kReleasing}) {
    if (text == PhaseName(phase)) return phase;
  }
  return Fail(ErrorCode::kInvalidData,
              "loop state phase '" + text + "' is unknown; known: idle, training, releasing");
}

Result<void> ReadRelease(const nlohmann::json& json, LoopState& state) {
  if (!json.contains("release")) return {};
  const nlohmann::json& release = json["release"];
  if (!release.is_object()) return BadMember("release", "an object");
  const std::string prefix = "release.";
  HONE_TRY(ReadText(release, prefix, "candidate_version", state.candidate_version));
  HONE_TRY(
      ReadOptionalText(release, prefix, "production_version", state.release_production_version));
  std::string mode = ReleaseModeName(state.release_mode);
  HONE_TRY(ReadText(release, prefix, "mode", mode));
  Result<ReleaseMode> parsed = ParseReleaseMode(mode);
  if (!parsed) return Fail(ErrorCode::kInvalidData, "loop state: " + parsed.error().message());
  state.release_mode = *parsed;
  if (release.contains("weight")) {
    if (!release["weight"].is_number()) return BadMember("release.weight", "a number");
    state.release_weight = release["weight"].get<double>();
  }
  return ReadTime(release, prefix, "started_ms", state.release_started_ms);
}

}  // namespace

const char* PhaseName(Phase phase) {
  switch (phase) {
    case Phase::kIdle:
      return "idle";
    case Phase::kTraining:
      return "training";
    case Phase::kReleasing:
      return "releasing";
  }
  return "unknown";
}

const char* ReleaseModeName(ReleaseMode mode) {
  switch (mode) {
    case ReleaseMode::kCanary:
      return "canary";
    case ReleaseMode::kShadow:
      return "shadow";
    case ReleaseMode::kDirect:
      return "direct";
  }
  return "unknown";
}

Result<ReleaseMode> ParseReleaseMode(std::string_view text) {
  for (ReleaseMode mode : {ReleaseMode::kCanary, ReleaseMode::kShadow, ReleaseMode::kDirect}) {
    if (text == ReleaseModeName(mode)) return mode;
  }
  return Fail(ErrorCode::kInvalidArgument,
              "release mode '" + std::string(text) + "' is unknown; known: canary, shadow, direct");
}

bool LoopState::HasHandled(const std::string& key) const {
  return std::find(handled_keys.begin(), handled_keys.end(), key) != handled_keys.end();
}

void LoopState::RememberKey(const std::string& key) {
  std::erase(handled_keys, key);
  handled_keys.push_back(key);
  if (handled_keys.size() > kMaxHandledKeys) {
    handled_keys.erase(
        handled_keys.begin(),
        handled_keys.begin() + static_cast<std::ptrdiff_t>(handled_keys.size() - kMaxHandledKeys));
  }
}

nlohmann::json LoopState::ToJson() const {
  nlohmann::json trigger_list = nlohmann::json::array();
  for (const Trigger& t : triggers) trigger_list.push_back(t.ToJson());
  return {{"format", kFormat},
          {"phase", PhaseName(phase)},
          {"last_retrain_ms", OptionalJson(last_retrain_ms)},
          {"handled_keys", handled_keys},
          {"schedule_after_ms", OptionalJson(schedule_after_ms)},
          {"triggers", std::move(trigger_list)},
          {"run_id", run_id},
          {"release",
           {{"candidate_version", candidate_version},
            {"production_version", release_production_version
                                       ? nlohmann::json(*release_production_version)
                                       : nlohmann::json(nullptr)},
            {"mode", ReleaseModeName(release_mode)},
            {"weight", release_weight},
            {"started_ms", release_started_ms}}}};
}

Result<LoopState> LoopState::FromJson(const nlohmann::json& json) {
  if (!json.is_object()) return Fail(ErrorCode::kInvalidData, "a loop state is a JSON object");
  if (!json.contains("format") || !json["format"].is_number_integer() ||
      json["format"].get<int64_t>() != kFormat) {
    return Fail(ErrorCode::kInvalidData, "loop state format is not 1 (written by another hone?)");
  }
  LoopState state;
  std::string phase;
  if (!json.contains("phase")) return BadMember("phase", "present");
  HONE_TRY(ReadText(json, "", "phase", phase));
  HONE_ASSIGN_OR_RETURN(state.phase, ParsePhase(phase));
  HONE_TRY(ReadOptionalTime(json, "last_retrain_ms", state.last_retrain_ms));
  HONE_TRY(ReadOptionalTime(json, "schedule_after_ms", state.schedule_after_ms));
  if (json.contains("handled_keys")) {
    const nlohmann::json& keys = json["handled_keys"];
    if (!keys.is_array()) return BadMember("handled_keys", "a list of texts");
    for (const nlohmann::json& key : keys) {
      if (!key.is_string()) return BadMember("handled_keys", "a list of texts");
      state.RememberKey(key.get<std::string>());
    }
  }
  if (json.contains("triggers")) {
    if (!json["triggers"].is_array()) return BadMember("triggers", "a list");
    for (const nlohmann::json& item : json["triggers"]) {
      Result<Trigger> t = Trigger::FromJson(item);
      if (!t) return Fail(ErrorCode::kInvalidData, "loop state: " + t.error().message());
      state.triggers.push_back(std::move(*t));
    }
  }
  HONE_TRY(ReadText(json, "", "run_id", state.run_id));
  HONE_TRY(ReadRelease(json, state));
  return state;
}

LoopState InitialLoopState(TimeMs now_ms) {
  LoopState state;
  state.schedule_after_ms = now_ms;
  return state;
}

}  // namespace hone::loop
