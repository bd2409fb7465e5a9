// Test harness for the policy: a loop driven by hand with a fake clock (plain ms values), which
// checks at every look that a restart (the state through JSON text) decides the same.
// Test-only; header-only; not thread-safe.
#ifndef HONE_LOOP_POLICY_TESTING_H_
#define HONE_LOOP_POLICY_TESTING_H_

#include <gtest/gtest.h>

#include "hone/loop/policy.h"

namespace hone::loop::testing {

/// 2024-05-01T02:00:00Z, a Wednesday.
inline TimeMs T0() { return UtcMs(2024, 5, 1, 2, 0); }
inline TimeMs Seconds(double s) { return static_cast<TimeMs>(s * 1000); }

/// A production version "3" trained on data "d1" at commit "c1"; nothing has changed.
inline Observations Calm(TimeMs now) {
  Observations obs;
  obs.inputs.now_ms = now;
  obs.inputs.production_version = "3";
  obs.inputs.data_digest = obs.inputs.production_data_digest = "d1";
  obs.inputs.code_commit = obs.inputs.production_code_commit = "c1";
  return obs;
}

inline RunOutcome Blessed(std::string version, std::string run_id = "r1") {
  return RunOutcome{.status = RunOutcome::Status::kBlessed,
                    .run_id = std::move(run_id),
                    .candidate_version = std::move(version),
                    .reason = ""};
}

/// Live evidence that passes every default criterion: 250 requests, no error, p99 12 ms vs
/// 10 ms, rmse 4.1 vs 4.2 over 60 labels each, prediction PSI 0.02.
inline ReleaseEvidence GoodEvidence() {
  ReleaseEvidence ev;
  ev.metric = "rmse";
  ev.candidate = {.requests = 250, .errors = 0, .p99_ms = 12, .labels = 60, .metric = 4.1};
  ev.production = {.requests = 2250, .errors = 1, .p99_ms = 10, .labels = 540, .metric = 4.2};
  ev.prediction_psi = 0.02;
  return ev;
}

/// The controller's side, reduced to its bookkeeping: decide, check the restart, keep the state.
struct Loop {
  pipeline::WatchSpec spec;
  LoopState state = InitialLoopState(T0());

  Decision Look(const Observations& obs) {
    Decision d = Decide(state, obs, spec);
    Result<LoopState> restored = LoopState::FromJson(nlohmann::json::parse(state.ToJson().dump()));
    EXPECT_TRUE(restored.has_value());
    if (restored) {
      const Decision again = Decide(*restored, obs, spec);
      EXPECT_EQ(again.ToJson(), d.ToJson()) << "a restart decides differently";
      EXPECT_EQ(again.state.ToJson(), d.state.ToJson()) << "a restart decides differently";
    }
    state = d.state;
    return d;
  }

  /// Idle with new data "d2" at `now`: retrain; the controller starts run `run_id`.
  Decision RetrainOnNewData(TimeMs now, std::string run_id = "r1") {
    Observations obs = Calm(now);
    obs.inputs.data_digest = "d2";
    Decision d = Look(obs);
    EXPECT_EQ(d.action, Action::kRetrain) << d.reason;
    state.run_id = std::move(run_id);
    return d;
  }

  /// From idle: retrain at `now`, the run blesses version 7 at now + 60 s; the release starts.
  Decision StartRelease(TimeMs now) {
    RetrainOnNewData(now);
    Observations obs = Calm(now + Seconds(60));
    obs.run = Blessed("7");
    Decision d = Look(obs);
    EXPECT_EQ(d.action, Action::kStartRelease) << d.reason;
    return d;
  }
};

}  // namespace hone::loop::testing

#endif  // HONE_LOOP_POLICY_TESTING_H_
