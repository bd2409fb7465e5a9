#include "hone/loop/loop_state.h"

#include <gtest/gtest.h>

namespace hone::loop {
namespace {

LoopState Releasing() {
  LoopState state;
  state.phase = Phase::kReleasing;
  state.last_retrain_ms = 1'714'564'800'000;
  state.handled_keys = {"data:abc", "drift:3"};
  state.schedule_after_ms = 1'714'560'000'000;
  state.triggers.push_back(Trigger{.kind = "new_data",
                                   .key = "data:abc",
                                   .reason = "new data",
                                   .evidence = {{"data_digest", "abc"}}});
  state.run_id = "r-17";
  state.candidate_version = "7";
  state.release_production_version = "3";
  state.release_mode = ReleaseMode::kShadow;
  state.release_weight = 0.25;
  state.release_started_ms = 1'714'565'000'000;
  return state;
}

std::string ErrorOf(const nlohmann::json& json) {
  Result<LoopState> state = LoopState::FromJson(json);
  EXPECT_FALSE(state.has_value());
  if (state) return "";
  EXPECT_EQ(state.error().code(), ErrorCode::kInvalidData);
  return state.error().message();
}

TEST(LoopStateTest, JsonRoundTrip) {
  const LoopState state = Releasing();
  const nlohmann::json json = state.ToJson();
  EXPECT_EQ(json["phase"], "releasing");
  EXPECT_EQ(json["release"]["mode"], "shadow");
  EXPECT_EQ(json["release"]["production_version"], "3");
  // Through text, as the controller stores it.
  Result<LoopState> back = LoopState::FromJson(nlohmann::json::parse(json.dump()));
  ASSERT_TRUE(back.has_value()) << back.error().message();
  EXPECT_EQ(back->ToJson(), json);
  EXPECT_EQ(back->release_started_ms, 1'714'565'000'000);
  EXPECT_EQ(back->triggers.at(0).evidence["data_digest"], "abc");
}

TEST(LoopStateTest, DefaultsRoundTripWithNulls) {
  const LoopState state;
  const nlohmann::json json = state.ToJson();
  EXPECT_TRUE(json["last_retrain_ms"].is_null());
  EXPECT_TRUE(json["schedule_after_ms"].is_null());
  EXPECT_TRUE(json["release"]["production_version"].is_null());
  Result<LoopState> back = LoopState::FromJson(json);
  ASSERT_TRUE(back.has_value());
  EXPECT_FALSE(back->last_retrain_ms.has_value());
  EXPECT_FALSE(back->release_production_version.has_value());
  // Only format and phase are required.
  Result<LoopState> minimal = LoopState::FromJson({{"format", 1}, {"phase", "training"}});
  ASSERT_TRUE(minimal.has_value());
  EXPECT_EQ(minimal->phase, Phase::kTraining);
}

TEST(LoopStateTest, BadJsonNamesTheMember) {
  EXPECT_EQ(ErrorOf(nlohmann::json::array()), "a loop state is a JSON object");
  EXPECT_EQ(ErrorOf({{"format", 2}, {"phase", "idle"}}),
            "loop state format is not 1 (written by another hone?)");
  EXPECT_EQ(ErrorOf({{"format", 1}}), "loop state member 'phase' is not present");
  EXPECT_EQ(ErrorOf({{"format", 1}, {"phase", "dreaming"}}),
            "loop state phase 'dreaming' is unknown; known: idle, training, releasing");
  EXPECT_EQ(ErrorOf({{"format", 1}, {"phase", "idle"}, {"last_retrain_ms", "soon"}}),
            "loop state member 'last_retrain_ms' is not an integer (ms) or null");
  EXPECT_EQ(ErrorOf({{"format", 1}, {"phase", "idle"}, {"handled_keys", {1, 2}}}),
            "loop state member 'handled_keys' is not a list of texts");
  EXPECT_EQ(ErrorOf({{"format", 1}, {"phase", "idle"}, {"triggers", {{{"kind", "x"}}}}}),
            "loop state: trigger lacks a text 'key'");
  EXPECT_EQ(ErrorOf({{"format", 1}, {"phase", "idle"}, {"release", {{"mode", "blue"}}}}),
            "loop state: release mode 'blue' is unknown; known: canary, shadow, direct");
  EXPECT_EQ(ErrorOf({{"format", 1}, {"phase", "idle"}, {"release", {{"started_ms", 1.5}}}}),
            "loop state member 'release.started_ms' is not an integer (ms)");
  EXPECT_EQ(ErrorOf({{"format", 1}, {"phase", "idle"}, {"release", {{"weight", "all"}}}}),
            "loop state member 'release.weight' is not a number");
}

TEST(LoopStateTest, HandledKeysAreBounded) {
  LoopState state;
  for (int i = 0; i < 200; ++i) state.RememberKey("k" + std::to_string(i));
  EXPECT_EQ(state.handled_keys.size(), kMaxHandledKeys);
  EXPECT_FALSE(state.HasHandled("k71"));  // the oldest 72 are forgotten
  EXPECT_TRUE(state.HasHandled("k72"));
  EXPECT_TRUE(state.HasHandled("k199"));
  // Remembering a key again moves it to the newest end instead of duplicating it.
  state.RememberKey("k72");
  EXPECT_EQ(state.handled_keys.size(), kMaxHandledKeys);
  EXPECT_EQ(state.handled_keys.back(), "k72");
  state.RememberKey("k200");
  EXPECT_TRUE(state.HasHandled("k72"));
  EXPECT_FALSE(state.HasHandled("k73"));
}

TEST(LoopStateTest, InitialState) {
  const LoopState state = InitialLoopState(1234);
  EXPECT_EQ(state.phase, Phase::kIdle);
  EXPECT_EQ(state.schedule_after_ms, 1234);
  EXPECT_FALSE(state.last_retrain_ms.has_value());
}

TEST(LoopStateTest, ReleaseModes) {
  EXPECT_EQ(*ParseReleaseMode("canary"), ReleaseMode::kCanary);
  EXPECT_EQ(*ParseReleaseMode("shadow"), ReleaseMode::kShadow);
  EXPECT_EQ(*ParseReleaseMode("direct"), ReleaseMode::kDirect);
  EXPECT_EQ(ParseReleaseMode("Canary").error().message(),
            "release mode 'Canary' is unknown; known: canary, shadow, direct");
}

}  // namespace
}  // namespace hone::loop
