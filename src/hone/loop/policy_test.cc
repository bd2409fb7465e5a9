// Decide in the idle and training phases: triggers, de-duplication, cooldown, the schedule, and
// what a pipeline run's outcome leads to. The release phase is in policy_release_test.cc.
#include "hone/loop/policy.h"

#include <gtest/gtest.h>

#include "hone/loop/policy_testing.h"

namespace hone::loop {
namespace {

using testing::Blessed;
using testing::Calm;
using testing::Loop;
using testing::Seconds;
using testing::T0;

TEST(PolicyTest, FirstLookStartsTheScheduleCursor) {
  pipeline::WatchSpec spec;
  spec.triggers.schedule = "* * * * *";
  const Decision d = Decide(LoopState{}, Calm(T0()), spec);
  EXPECT_EQ(d.action, Action::kNone);
  EXPECT_EQ(d.reason, "no trigger");
  EXPECT_EQ(d.state.schedule_after_ms, T0());  // earlier slots are not caught up on
}

TEST(PolicyTest, NothingChangedNothingDone) {
  Loop loop;
  const Decision d = loop.Look(Calm(T0() + Seconds(10)));
  EXPECT_EQ(d.action, Action::kNone);
  EXPECT_EQ(d.reason, "no trigger");
  EXPECT_EQ(d.state.phase, Phase::kIdle);
}

TEST(PolicyTest, NewDataRetrainsOnceAndRemembersItsKey) {
  Loop loop;
  const TimeMs t = T0() + Seconds(10);
  const Decision d = loop.RetrainOnNewData(t);
  EXPECT_EQ(d.reason,
            "retrain: new data: digest d2 differs from d1, which production version 3 was "
            "trained on");
  ASSERT_EQ(d.triggers.size(), 1U);
  EXPECT_EQ(d.triggers[0].kind, "new_data");
  EXPECT_EQ(d.evidence["triggers"][0]["key"], "data:d2");
  EXPECT_EQ(d.state.phase, Phase::kTraining);
  EXPECT_EQ(d.state.last_retrain_ms, t);
  EXPECT_TRUE(d.state.HasHandled("data:d2"));
  EXPECT_EQ(d.ToJson()["action"], "retrain");

  Decision waiting = loop.Look(Calm(t + Seconds(30)));
  EXPECT_EQ(waiting.action, Action::kNone);
  EXPECT_EQ(waiting.reason, "training: waiting for run r1");

  Observations done = Calm(t + Seconds(90));
  done.run = RunOutcome{.status = RunOutcome::Status::kRejected,
                        .run_id = "r1",
                        .candidate_version = "",
                        .reason = "rmse 5 > 4.5"};
  const Decision rejected = loop.Look(done);
  EXPECT_EQ(rejected.action, Action::kReject);
  EXPECT_EQ(rejected.reason, "the candidate of run r1 was not blessed: rmse 5 > 4.5");
  EXPECT_EQ(rejected.triggers.size(), 1U);  // the audit record says what it answered
  EXPECT_EQ(rejected.state.phase, Phase::kIdle);
  EXPECT_TRUE(rejected.state.triggers.empty());
  EXPECT_TRUE(rejected.state.run_id.empty());

  // Long after the cooldown, the same data does not retrain again.
  Observations same = Calm(t + Seconds(7200));
  same.inputs.data_digest = "d2";
  const Decision again = loop.Look(same);
  EXPECT_EQ(again.action, Action::kNone);
  EXPECT_EQ(again.reason, "no new trigger; already acted on: data:d2");
}

TEST(PolicyTest, CooldownHoldsEveryTriggerThenLetsThemThrough) {
  Loop loop;
  loop.spec.triggers.commit = true;
  loop.RetrainOnNewData(T0());
  Observations failed = Calm(T0() + Seconds(60));
  failed.run = RunOutcome{.status = RunOutcome::Status::kFailed,
                          .run_id = "r1",
                          .candidate_version = "",
                          .reason = "train stage exited with code 2"};
  EXPECT_EQ(loop.Look(failed).reason, "retraining failed (run r1): train stage exited with code 2");

  Observations commit = Calm(T0() + Seconds(100));
  commit.inputs.code_commit = "c2";
  const Decision held = loop.Look(commit);
  EXPECT_EQ(held.action, Action::kNone);
  EXPECT_EQ(held.reason,
            "cooldown: commit waits 500 s more (600 s after the retraining at "
            "2024-05-01T02:00:00Z)");
  EXPECT_FALSE(held.state.HasHandled("commit:c2"));  // not acted on: it fires later
  EXPECT_EQ(held.evidence["cooldown"]["seconds_left"], 500.0);

  commit.inputs.now_ms = T0() + Seconds(599.999);
  EXPECT_EQ(loop.Look(commit).action, Action::kNone);
  commit.inputs.now_ms = T0() + Seconds(600);
  const Decision go = loop.Look(commit);
  EXPECT_EQ(go.action, Action::kRetrain);
  EXPECT_EQ(go.triggers.at(0).key, "commit:c2");
}

TEST(PolicyTest, SeveralTriggersMakeOneRetraining) {
  Loop loop;
  loop.spec.triggers.commit = true;
  Observations obs = Calm(T0());
  obs.inputs.data_digest = "d2";
  obs.inputs.code_commit = "c2";
  const Decision d = loop.Look(obs);
  EXPECT_EQ(d.action, Action::kRetrain);
  EXPECT_EQ(d.triggers.size(), 2U);
  EXPECT_TRUE(d.state.HasHandled("data:d2"));
  EXPECT_TRUE(d.state.HasHandled("commit:c2"));
  EXPECT_EQ(d.reason,
            "retrain: new data: digest d2 differs from d1, which production version 3 was "
            "trained on; new commit c2 differs from c1, at which production version 3 was "
            "trained");
}

TEST(PolicyTest, ScheduleFiresOncePerSlot) {
  Loop loop;  // started 02:00
  loop.spec.triggers.schedule = "0 3 * * *";
  EXPECT_EQ(loop.Look(Calm(UtcMs(2024, 5, 1, 2, 59, 59))).action, Action::kNone);
  const TimeMs t = UtcMs(2024, 5, 1, 3, 0, 10);
  const Decision d = loop.Look(Calm(t));
  EXPECT_EQ(d.action, Action::kRetrain);
  EXPECT_EQ(d.reason, "retrain: schedule '0 3 * * *' was due at 2024-05-01T03:00:00Z");
  EXPECT_EQ(d.state.schedule_after_ms, t);
  loop.state.run_id = "r1";
  Observations same = Calm(t + Seconds(60));
  same.run = Blessed("3");  // nothing changed: the pipeline registered production again
  const Decision nothing = loop.Look(same);
  EXPECT_EQ(nothing.action, Action::kReject);
  EXPECT_EQ(nothing.reason, "version 3 is production already: nothing to release");
  EXPECT_EQ(loop.Look(Calm(UtcMs(2024, 5, 1, 3, 30))).action, Action::kNone);
  EXPECT_EQ(loop.Look(Calm(UtcMs(2024, 5, 2, 3, 0))).action, Action::kRetrain);
}

TEST(PolicyTest, FirstModelIsPromotedDirectly) {
  Loop loop;
  Observations empty = Calm(T0());
  empty.inputs.production_version.reset();
  empty.inputs.production_data_digest.reset();
  empty.inputs.production_code_commit.reset();
  const Decision d = loop.Look(empty);
  EXPECT_EQ(d.action, Action::kRetrain);
  EXPECT_EQ(d.triggers.at(0).kind, "first_model");
  loop.state.run_id = "r1";
  empty.inputs.now_ms += Seconds(60);
  empty.run = Blessed("1");
  const Decision promote = loop.Look(empty);
  EXPECT_EQ(promote.action, Action::kPromote);
  EXPECT_EQ(promote.version, "1");
  EXPECT_FALSE(promote.production_version.has_value());
  EXPECT_EQ(promote.reason,
            "promote version 1 directly: no production version yet (the first model)");
  EXPECT_EQ(promote.state.phase, Phase::kIdle);
}

TEST(PolicyTest, DirectModePromotesWithoutALiveTrial) {
  Loop loop;
  loop.spec.release.mode = "direct";
  loop.RetrainOnNewData(T0());
  Observations obs = Calm(T0() + Seconds(60));
  obs.run = Blessed("7");
  const Decision d = loop.Look(obs);
  EXPECT_EQ(d.action, Action::kPromote);
  EXPECT_EQ(d.production_version, "3");
  EXPECT_EQ(d.reason,
            "promote version 7 directly: release mode is direct (replacing production version 3)");
}

TEST(PolicyTest, BlessedRunWithoutVersionOrForAnotherRun) {
  Loop loop;
  loop.RetrainOnNewData(T0());
  Observations obs = Calm(T0() + Seconds(60));
  obs.run = Blessed("7", "r0");
  const Decision stale = loop.Look(obs);
  EXPECT_EQ(stale.action, Action::kNone);
  EXPECT_EQ(stale.reason, "training: the outcome of run r0 is not that of run r1");
  obs.run = Blessed("", "r1");
  const Decision d = loop.Look(obs);
  EXPECT_EQ(d.action, Action::kReject);
  EXPECT_EQ(d.reason, "run r1 was blessed but registered no version");
}

TEST(PolicyTest, CanaryStartsAgainstCurrentProduction) {
  Loop loop;
  const Decision d = loop.StartRelease(T0());
  EXPECT_EQ(d.version, "7");
  EXPECT_EQ(d.mode, ReleaseMode::kCanary);
  EXPECT_DOUBLE_EQ(d.weight, 0.1);
  EXPECT_EQ(d.reason,
            "start a canary of version 7 on 10% of requests against production version 3");
  EXPECT_EQ(d.state.phase, Phase::kReleasing);
  EXPECT_EQ(d.state.candidate_version, "7");
  EXPECT_EQ(d.state.release_production_version, "3");
  EXPECT_EQ(d.state.release_started_ms, T0() + Seconds(60));
  EXPECT_EQ(d.state.triggers.size(), 1U);
  EXPECT_EQ(d.ToJson()["action"], "start_release");
  EXPECT_EQ(d.ToJson()["mode"], "canary");
}

TEST(PolicyTest, InvalidSpecHoldsEverything) {
  Loop loop;
  loop.StartRelease(T0());
  const LoopState before = loop.state;
  loop.spec.release.weight = 2;
  const Decision d = loop.Look(Calm(T0() + Seconds(7200)));
  EXPECT_EQ(d.action, Action::kNone);
  EXPECT_EQ(d.reason, "watch.release.weight 2 is out of range (0, 1]");
  EXPECT_EQ(d.state.ToJson(), before.ToJson());
}

}  // namespace
}  // namespace hone::loop
