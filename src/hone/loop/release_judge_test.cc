#include "hone/loop/release_judge.h"

#include <cmath>

#include <gtest/gtest.h>

namespace hone::loop {
namespace {

/// Defaults: min_requests 200, min_seconds 30, max_seconds 3600, max_error_rate 0.01,
/// p99_ratio 2, metric_margin 0.05, max_prediction_psi 0.25.
pipeline::ReleaseSpec Spec() { return pipeline::ReleaseSpec{}; }

/// A candidate that passes everything: 250 requests, no error, p99 12 ms vs 10 ms, rmse 4.1 vs
/// 4.2 over 60 labels each, prediction PSI 0.02.
ReleaseEvidence Good() {
  ReleaseEvidence ev;
  ev.metric = "rmse";
  ev.higher_is_better = false;
  ev.candidate = {.requests = 250, .errors = 0, .p99_ms = 12, .labels = 60, .metric = 4.1};
  ev.production = {.requests = 2250, .errors = 1, .p99_ms = 10, .labels = 540, .metric = 4.2};
  ev.prediction_psi = 0.02;
  return ev;
}

Judgment Judge(const ReleaseEvidence& ev, double elapsed = 60,
               const pipeline::ReleaseSpec& spec = Spec()) {
  return JudgeRelease(spec, elapsed, &ev);
}

TEST(WilsonTest, MatchesScipy) {
  // scipy.stats.binomtest(k, n).proportion_ci(method="wilson").low
  EXPECT_NEAR(WilsonLowerBound(1, 20), 0.008881448800795402, 1e-12);
  EXPECT_NEAR(WilsonLowerBound(2, 20), 0.027866481213768224, 1e-12);
  EXPECT_EQ(WilsonLowerBound(0, 50), 0.0);
  EXPECT_EQ(WilsonLowerBound(0, 0), 0.0);
  EXPECT_FALSE(std::isnan(WilsonLowerBound(9, 3)));  // more errors than requests: clamped
}

TEST(ReleaseJudgeTest, NoEvidenceWaitsThenRollsBack) {
  Judgment j = JudgeRelease(Spec(), 10, nullptr);
  EXPECT_EQ(j.verdict, ReleaseVerdict::kWait);
  EXPECT_EQ(j.reason, "waiting for the first live evidence");
  j = JudgeRelease(Spec(), 3600, nullptr);
  EXPECT_EQ(j.verdict, ReleaseVerdict::kRollback);
  EXPECT_EQ(j.reason, "no live evidence after 3600 s (max_seconds 3600)");
}

TEST(ReleaseJudgeTest, MissingOrUnloadableCandidateRollsBack) {
  ReleaseEvidence ev = Good();
  ev.candidate_status = CandidateStatus::kMissing;
  EXPECT_EQ(Judge(ev).verdict, ReleaseVerdict::kRollback);
  EXPECT_EQ(Judge(ev).reason, "the candidate is gone from the registry");
  ev.candidate_status = CandidateStatus::kLoadFailed;
  ev.status_detail = "bundle digest mismatch";
  EXPECT_EQ(Judge(ev).verdict, ReleaseVerdict::kRollback);
  EXPECT_EQ(Judge(ev).reason, "the candidate failed to load: bundle digest mismatch");
}

TEST(ReleaseJudgeTest, PromotesWhenEverythingHolds) {
  const Judgment j = Judge(Good());
  EXPECT_EQ(j.verdict, ReleaseVerdict::kPromote);
  EXPECT_EQ(j.reason,
            "all criteria met over 250 requests in 60 s: error rate 0 (0/250) <= 0.01; p99 12 ms "
            "<= 2 x production's 10 ms; rmse 4.1 within 5% of production's 4.2");
  // The evidence holds each figure with its limit.
  bool saw_metric = false;
  for (const nlohmann::json& check : j.evidence["checks"]) {
    if (check["name"] == "metric") {
      saw_metric = true;
      EXPECT_DOUBLE_EQ(check["value"].get<double>(), 4.1);
      EXPECT_DOUBLE_EQ(check["limit"].get<double>(), 4.2 * 1.05);
      EXPECT_EQ(check["passed"], true);
    }
  }
  EXPECT_TRUE(saw_metric);
  EXPECT_EQ(j.evidence["candidate"]["requests"], 250);
  EXPECT_EQ(j.evidence["sufficient"]["sufficient"], true);
}

TEST(ReleaseJudgeTest, ErrorRateNeedsAHandfulOfRequestsToRollBackAtOnce) {
  ReleaseEvidence ev = Good();
  ev.candidate = {.requests = 1, .errors = 1, .p99_ms = 12};
  EXPECT_EQ(Judge(ev, 5).verdict, ReleaseVerdict::kWait);  // 1 in 1: too few to judge
  ev.candidate = {.requests = 20, .errors = 1, .p99_ms = 12};
  EXPECT_EQ(Judge(ev, 5).verdict, ReleaseVerdict::kWait);  // 1 in 20: could be 0.9%
  ev.candidate = {.requests = 20, .errors = 2, .p99_ms = 12};
  const Judgment j = Judge(ev, 5);
  EXPECT_EQ(j.verdict, ReleaseVerdict::kRollback);
  EXPECT_EQ(j.reason, "at once: error rate 2/20 (at least 0.02787 at 95% confidence) > 0.01");
}

TEST(ReleaseJudgeTest, AbsoluteP99RollsBackAtOnceFromAHundredRequests) {
  pipeline::ReleaseSpec spec = Spec();
  spec.max_p99_ms = 50;
  ReleaseEvidence ev = Good();
  ev.production.p99_ms = 50;  // the ratio limit (100 ms) holds
  ev.candidate = {.requests = 99, .errors = 0, .p99_ms = 80};
  EXPECT_EQ(Judge(ev, 5, spec).verdict, ReleaseVerdict::kWait);
  ev.candidate.requests = 100;
  const Judgment j = Judge(ev, 5, spec);
  EXPECT_EQ(j.verdict, ReleaseVerdict::kRollback);
  EXPECT_EQ(j.reason, "at once: p99 80 ms > 50 ms");
}

TEST(ReleaseJudgeTest, P99RatioRollsBackAtOnceWithEnoughRequestsOnBothSides) {
  ReleaseEvidence ev = Good();
  ev.candidate = {.requests = 120, .errors = 0, .p99_ms = 25};
  ev.production.requests = 99;
  EXPECT_EQ(Judge(ev, 5).verdict, ReleaseVerdict::kWait);
  ev.production.requests = 1000;
  const Judgment j = Judge(ev, 5);
  EXPECT_EQ(j.verdict, ReleaseVerdict::kRollback);
  EXPECT_EQ(j.reason, "at once: p99 25 ms > 2 x production's 10 ms");
  pipeline::ReleaseSpec no_ratio = Spec();
  no_ratio.p99_ratio = 0;  // disabled
  EXPECT_EQ(Judge(ev, 5, no_ratio).verdict, ReleaseVerdict::kWait);
}

TEST(ReleaseJudgeTest, WaitsForRequestsSecondsAndLabels) {
  ReleaseEvidence ev = Good();
  ev.candidate.requests = 120;
  EXPECT_EQ(Judge(ev, 25).reason, "waiting for evidence: 120/200 requests, 25/30 s");
  pipeline::ReleaseSpec spec = Spec();
  spec.min_labels = 100;
  EXPECT_EQ(Judge(Good(), 60, spec).reason, "waiting for evidence: 60/100 candidate labels");
  ev = Good();
  ev.candidate.labels = 100;
  ev.production.labels = 90;
  EXPECT_EQ(Judge(ev, 60, spec).reason, "waiting for evidence: 90/100 production labels");
  ev.production.labels = 100;
  EXPECT_EQ(Judge(ev, 60, spec).verdict, ReleaseVerdict::kPromote);
}

TEST(ReleaseJudgeTest, RollsBackWithoutEnoughEvidenceAtMaxSeconds) {
  ReleaseEvidence ev = Good();
  ev.candidate.requests = 150;
  EXPECT_EQ(Judge(ev, 3599.9).verdict, ReleaseVerdict::kWait);
  const Judgment j = Judge(ev, 3600);
  EXPECT_EQ(j.verdict, ReleaseVerdict::kRollback);
  EXPECT_EQ(j.reason, "not enough evidence after 3600 s (max_seconds 3600): 150/200 requests");
  ev.candidate_status = CandidateStatus::kLoading;
  ev.candidate = {};
  EXPECT_EQ(Judge(ev, 4000).reason,
            "not enough evidence after 4000 s (max_seconds 3600): 0/200 requests, candidate "
            "loading");
}

TEST(ReleaseJudgeTest, ErrorRateAtTheVerdict) {
  ReleaseEvidence ev = Good();
  ev.candidate.errors = 3;  // 1.2% of 250, not enough to be sure at once (lower bound 0.4%)
  const Judgment j = Judge(ev);
  EXPECT_EQ(j.verdict, ReleaseVerdict::kRollback);
  EXPECT_EQ(j.reason, "error rate 0.012 (3/250) > 0.01");
}

TEST(ReleaseJudgeTest, LatencyAtTheVerdict) {
  pipeline::ReleaseSpec spec = Spec();
  spec.min_requests = 50;  // below kMinRequestsForLatency: only the verdict looks at p99
  spec.max_p99_ms = 20;
  ReleaseEvidence ev = Good();
  ev.candidate.requests = 60;
  ev.candidate.p99_ms = 30;
  const Judgment j = Judge(ev, 60, spec);
  EXPECT_EQ(j.verdict, ReleaseVerdict::kRollback);
  EXPECT_EQ(j.reason, "p99 30 ms > 20 ms; p99 30 ms > 2 x production's 10 ms");
}

TEST(ReleaseJudgeTest, MetricLowerIsBetter) {
  ReleaseEvidence ev = Good();
  ev.candidate.metric = 4.4;  // 4.2 * 1.05 = 4.41
  EXPECT_EQ(Judge(ev).verdict, ReleaseVerdict::kPromote);
  ev.candidate.metric = 4.5;
  const Judgment j = Judge(ev);
  EXPECT_EQ(j.verdict, ReleaseVerdict::kRollback);
  EXPECT_EQ(j.reason, "rmse 4.5 more than 5% worse than production's 4.2");
}

TEST(ReleaseJudgeTest, MetricHigherIsBetter) {
  ReleaseEvidence ev = Good();
  ev.metric = "accuracy";
  ev.higher_is_better = true;
  ev.production.metric = 0.9;
  ev.candidate.metric = 0.86;  // 0.9 - 0.045 = 0.855
  EXPECT_EQ(Judge(ev).verdict, ReleaseVerdict::kPromote);
  ev.candidate.metric = 0.85;
  EXPECT_EQ(Judge(ev).reason, "accuracy 0.85 more than 5% worse than production's 0.9");
  ev.candidate.metric = 0.99;
  EXPECT_EQ(Judge(ev).verdict, ReleaseVerdict::kPromote);
}

TEST(ReleaseJudgeTest, MetricSkippedWithFewLabels) {
  ReleaseEvidence ev = Good();
  ev.candidate.metric = 9.9;  // terrible, but over too few labels to count
  ev.candidate.labels = 29;
  const Judgment j = Judge(ev);
  EXPECT_EQ(j.verdict, ReleaseVerdict::kPromote);
  EXPECT_EQ(j.evidence["skipped"][0],
            "metric: 29 candidate and 540 production labels (30 needed on each side)");
  ev.candidate.labels = 30;
  EXPECT_EQ(Judge(ev).verdict, ReleaseVerdict::kRollback);
  ev.candidate.metric = std::nan("");
  EXPECT_EQ(Judge(ev).verdict, ReleaseVerdict::kPromote);
}

TEST(ReleaseJudgeTest, PredictionPsiJudgesOnlyWithoutLabels) {
  ReleaseEvidence ev = Good();
  ev.candidate.labels = 0;  // no metric to judge by: the prediction distribution decides
  ev.prediction_psi = 0.25;
  const Judgment j = Judge(ev);
  EXPECT_EQ(j.verdict, ReleaseVerdict::kRollback);
  EXPECT_EQ(j.reason, "prediction PSI 0.25 vs production >= 0.25");
  ev.prediction_psi.reset();
  EXPECT_EQ(Judge(ev).verdict, ReleaseVerdict::kPromote);

  // With labels on both sides the metric decides: a candidate trained on data that moved is
  // meant to answer differently from production.
  ev = Good();
  ev.prediction_psi = 3.5;
  const Judgment labelled = Judge(ev);
  EXPECT_EQ(labelled.verdict, ReleaseVerdict::kPromote);
  EXPECT_THAT(labelled.evidence.dump(),
              ::testing::HasSubstr("not judged, the live metric decides"));
}

TEST(ReleaseJudgeTest, NamesEveryFailingCriterion) {
  ReleaseEvidence ev = Good();
  ev.candidate.errors = 3;
  ev.candidate.metric = 5;
  ev.prediction_psi = 0.4;  // not judged: the metric could be
  EXPECT_EQ(Judge(ev).reason,
            "error rate 0.012 (3/250) > 0.01; rmse 5 more than 5% worse than production's 4.2");
}

}  // namespace
}  // namespace hone::loop
