// Decide in the releasing phase: promotion, each way to be rolled back, shadow releases, and a
// human moving production during a release.
#include <gtest/gtest.h>

#include "hone/loop/policy.h"
#include "hone/loop/policy_testing.h"

namespace hone::loop {
namespace {

using testing::Calm;
using testing::GoodEvidence;
using testing::Loop;
using testing::Seconds;
using testing::T0;

/// The release of version 7 starts at T0 + 60 s.
TimeMs Started() { return T0() + Seconds(60); }

Observations WithEvidence(double seconds_in, const ReleaseEvidence& ev) {
  Observations obs = Calm(Started() + Seconds(seconds_in));
  obs.release = ev;
  return obs;
}

TEST(PolicyReleaseTest, WaitsThenPromotes) {
  Loop loop;
  loop.StartRelease(T0());
  ReleaseEvidence early = GoodEvidence();
  early.candidate.requests = 50;
  const Decision wait = loop.Look(WithEvidence(10, early));
  EXPECT_EQ(wait.action, Action::kNone);
  EXPECT_EQ(wait.reason,
            "releasing version 7 (canary): waiting for evidence: 50/200 requests, 10/30 s");
  EXPECT_EQ(wait.state.phase, Phase::kReleasing);
  EXPECT_EQ(wait.evidence["verdict"], "wait");

  const Decision d = loop.Look(WithEvidence(60, GoodEvidence()));
  EXPECT_EQ(d.action, Action::kPromote);
  EXPECT_EQ(d.version, "7");
  EXPECT_EQ(d.production_version, "3");
  EXPECT_EQ(d.reason,
            "promote version 7 over production version 3: all criteria met over 250 requests in "
            "60 s: error rate 0 (0/250) <= 0.01; p99 12 ms <= 2 x production's 10 ms; rmse 4.1 "
            "within 5% of production's 4.2");
  ASSERT_EQ(d.triggers.size(), 1U);  // the promotion's audit record names its cause
  EXPECT_EQ(d.triggers[0].kind, "new_data");
  EXPECT_EQ(d.evidence["judgment"]["candidate"]["requests"], 250);
  EXPECT_EQ(d.evidence["release"]["production_version"], "3");
  EXPECT_EQ(d.state.phase, Phase::kIdle);
  EXPECT_TRUE(d.state.candidate_version.empty());
  EXPECT_TRUE(d.state.HasHandled("data:d2"));  // memory survives the return to idle
}

TEST(PolicyReleaseTest, RollsBackAtOnceOnErrors) {
  Loop loop;
  loop.StartRelease(T0());
  ReleaseEvidence ev = GoodEvidence();
  ev.candidate.requests = 40;
  ev.candidate.errors = 5;
  const Decision d = loop.Look(WithEvidence(5, ev));
  EXPECT_EQ(d.action, Action::kRollback);
  EXPECT_EQ(d.reason,
            "roll back version 7: at once: error rate 5/40 (at least 0.0546 at 95% confidence) > "
            "0.01");
  EXPECT_EQ(d.state.phase, Phase::kIdle);
}

TEST(PolicyReleaseTest, RollsBackOnAWorseMetricAtTheVerdict) {
  Loop loop;
  loop.StartRelease(T0());
  ReleaseEvidence ev = GoodEvidence();
  ev.candidate.metric = 4.6;
  const Decision d = loop.Look(WithEvidence(60, ev));
  EXPECT_EQ(d.action, Action::kRollback);
  EXPECT_EQ(d.reason, "roll back version 7: rmse 4.6 more than 5% worse than production's 4.2");
}

TEST(PolicyReleaseTest, RollsBackWithoutEvidenceAtMaxSeconds) {
  Loop loop;
  loop.StartRelease(T0());
  EXPECT_EQ(loop.Look(Calm(Started() + Seconds(3599))).action, Action::kNone);
  const Decision d = loop.Look(Calm(Started() + Seconds(3600)));
  EXPECT_EQ(d.action, Action::kRollback);
  EXPECT_EQ(d.reason, "roll back version 7: no live evidence after 3600 s (max_seconds 3600)");
}

TEST(PolicyReleaseTest, RollsBackAVanishedOrBrokenCandidate) {
  Loop loop;
  loop.StartRelease(T0());
  ReleaseEvidence ev = GoodEvidence();
  ev.candidate_status = CandidateStatus::kMissing;
  const Decision d = loop.Look(WithEvidence(20, ev));
  EXPECT_EQ(d.action, Action::kRollback);
  EXPECT_EQ(d.reason, "roll back version 7: the candidate is gone from the registry");

  loop.state = InitialLoopState(T0());
  loop.StartRelease(T0());
  ev.candidate_status = CandidateStatus::kLoadFailed;
  ev.status_detail = "unknown model format";
  EXPECT_EQ(loop.Look(WithEvidence(20, ev)).reason,
            "roll back version 7: the candidate failed to load: unknown model format");
}

TEST(PolicyReleaseTest, ShadowIsJudgedTheSameWay) {
  Loop loop;
  loop.spec.release.mode = "shadow";
  const Decision start = loop.StartRelease(T0());
  EXPECT_EQ(start.mode, ReleaseMode::kShadow);
  EXPECT_EQ(start.reason,
            "start shadowing production version 3 with version 7 on a copy of its traffic");
  ReleaseEvidence ev = GoodEvidence();
  ev.candidate.labels = 0;  // shadow answers are not labelled: their distribution is judged
  ev.prediction_psi = 0.3;  // the copies' predictions differ from production's
  const Decision d = loop.Look(WithEvidence(60, ev));
  EXPECT_EQ(d.action, Action::kRollback);
  EXPECT_EQ(d.mode, ReleaseMode::kShadow);
  EXPECT_EQ(d.reason, "roll back version 7: prediction PSI 0.3 vs production >= 0.25");

  // A later shadow release that behaves is promoted.
  Observations obs = Calm(T0() + Seconds(1000));
  obs.inputs.data_digest = "d3";
  ASSERT_EQ(loop.Look(obs).action, Action::kRetrain);
  loop.state.run_id = "r2";
  obs.inputs.now_ms += Seconds(60);
  obs.run = testing::Blessed("8", "r2");
  ASSERT_EQ(loop.Look(obs).action, Action::kStartRelease);
  obs.run.reset();
  obs.inputs.now_ms += Seconds(60);
  obs.release = GoodEvidence();
  const Decision promote = loop.Look(obs);
  EXPECT_EQ(promote.action, Action::kPromote);
  EXPECT_EQ(promote.version, "8");
}

TEST(PolicyReleaseTest, ProductionMovedByHandAbandonsTheRelease) {
  Loop loop;
  loop.StartRelease(T0());
  Observations obs = WithEvidence(60, GoodEvidence());
  obs.inputs.production_version = "5";
  const Decision d = loop.Look(obs);
  EXPECT_EQ(d.action, Action::kAbandon);
  EXPECT_EQ(d.reason,
            "production moved from version 3 to version 5 during the release of version 7; the "
            "release is abandoned and production left as it is");
  EXPECT_EQ(d.version, "7");
  EXPECT_EQ(d.production_version, "5");
  EXPECT_EQ(d.state.phase, Phase::kIdle);
}

TEST(PolicyReleaseTest, CandidatePromotedByHandOrProductionRemoved) {
  Loop loop;
  loop.StartRelease(T0());
  Observations obs = Calm(Started() + Seconds(5));
  obs.inputs.production_version = "7";
  const Decision d = loop.Look(obs);
  EXPECT_EQ(d.action, Action::kAbandon);
  EXPECT_EQ(d.reason, "version 7 was promoted by hand during its release");

  loop.state = InitialLoopState(T0());
  loop.StartRelease(T0());
  obs.inputs.production_version.reset();
  EXPECT_EQ(loop.Look(obs).reason,
            "production moved from version 3 to no version during the release of version 7; the "
            "release is abandoned and production left as it is");
}

TEST(PolicyReleaseTest, TriggersWaitUntilTheReleaseEnds) {
  Loop loop;
  loop.spec.triggers.schedule = "0 3 * * *";
  loop.StartRelease(T0() + Seconds(50 * 60));  // retrain 02:50, release from 02:51
  // 03:05: the schedule is due and the data changed again, but a release is under way.
  Observations obs = Calm(UtcMs(2024, 5, 1, 3, 5));
  obs.inputs.data_digest = "d3";
  ReleaseEvidence slow = GoodEvidence();
  slow.candidate.requests = 20;
  obs.release = slow;
  const Decision busy = loop.Look(obs);
  EXPECT_EQ(busy.action, Action::kNone);
  EXPECT_FALSE(busy.state.HasHandled("data:d3"));
  // 03:20: rolled back; 03:21, idle and out of cooldown: both triggers are acted on together.
  obs.inputs.now_ms = UtcMs(2024, 5, 1, 3, 20);
  obs.release->candidate.requests = 300;
  obs.release->candidate.errors = 30;
  ASSERT_EQ(loop.Look(obs).action, Action::kRollback);
  obs.inputs.now_ms = UtcMs(2024, 5, 1, 3, 21);
  obs.release.reset();
  const Decision d = loop.Look(obs);
  EXPECT_EQ(d.action, Action::kRetrain);
  ASSERT_EQ(d.triggers.size(), 2U);
  EXPECT_EQ(d.triggers[0].key, "data:d3");
  EXPECT_EQ(d.triggers[1].kind, "schedule");
  EXPECT_EQ(d.triggers[1].evidence["due"], "2024-05-01T03:00:00Z");
}

}  // namespace
}  // namespace hone::loop
