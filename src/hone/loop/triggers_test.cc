#include "hone/loop/triggers.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

namespace hone::loop {
namespace {

/// A production version with matching digests and commits and no drift or decay data: nothing
/// fires.
TriggerInputs Quiet() {
  TriggerInputs in;
  in.now_ms = UtcMs(2024, 5, 1, 12);
  in.production_version = "3";
  in.data_digest = in.production_data_digest = "aaaabbbbccccdddd";
  in.code_commit = in.production_code_commit = "1111222233334444";
  return in;
}

pipeline::TriggerSpec Spec() {
  pipeline::TriggerSpec spec;
  spec.commit = true;
  return spec;
}

std::vector<Trigger> Evaluate(const pipeline::TriggerSpec& spec, const TriggerInputs& in) {
  return EvaluateTriggers(spec, in, nullptr, 0);
}

TEST(TriggersTest, NothingFiresWhenNothingChanged) {
  EXPECT_TRUE(Evaluate(Spec(), Quiet()).empty());
}

TEST(TriggersTest, FirstModelWhenThereIsNoProduction) {
  TriggerInputs in = Quiet();
  in.production_version.reset();
  in.data_digest = "0123456789abcdef0123";
  pipeline::TriggerSpec spec;
  spec.new_data = false;  // first_model is always on
  const std::vector<Trigger> fired = Evaluate(spec, in);
  ASSERT_EQ(fired.size(), 1U);
  EXPECT_EQ(fired[0].kind, "first_model");
  EXPECT_EQ(fired[0].key, "first_model:0123456789abcdef0123");
  EXPECT_EQ(fired[0].reason, "no production version yet: train the first one (data 0123456789ab)");
  in.data_digest.reset();
  EXPECT_EQ(Evaluate(spec, in).at(0).key, "first_model");
}

TEST(TriggersTest, NewData) {
  TriggerInputs in = Quiet();
  in.data_digest = "ffffeeeeddddcccc";
  std::vector<Trigger> fired = Evaluate(Spec(), in);
  ASSERT_EQ(fired.size(), 1U);
  EXPECT_EQ(fired[0].kind, "new_data");
  EXPECT_EQ(fired[0].key, "data:ffffeeeeddddcccc");
  EXPECT_EQ(fired[0].reason,
            "new data: digest ffffeeeedddd differs from aaaabbbbcccc, which production version 3 "
            "was trained on");
  EXPECT_EQ(fired[0].evidence["production_data_digest"], "aaaabbbbccccdddd");
  // Disabled, or a digest unknown: nothing.
  pipeline::TriggerSpec off = Spec();
  off.new_data = false;
  EXPECT_TRUE(Evaluate(off, in).empty());
  in.production_data_digest.reset();
  EXPECT_TRUE(Evaluate(Spec(), in).empty());
}

TEST(TriggersTest, Commit) {
  TriggerInputs in = Quiet();
  in.code_commit = "9999888877776666";
  std::vector<Trigger> fired = Evaluate(Spec(), in);
  ASSERT_EQ(fired.size(), 1U);
  EXPECT_EQ(fired[0].kind, "commit");
  EXPECT_EQ(fired[0].key, "commit:9999888877776666");
  EXPECT_EQ(fired[0].reason,
            "new commit 999988887777 differs from 111122223333, at which production version 3 "
            "was trained");
  pipeline::TriggerSpec off;  // commit is off by default
  EXPECT_TRUE(Evaluate(off, in).empty());
  in.code_commit.reset();
  EXPECT_TRUE(Evaluate(Spec(), in).empty());
}

TriggerInputs::Drift Calm() {
  return {.rows = 1200,
          .drifted_share = 0.2,
          .max_psi = 0.1,
          .worst_feature = "sqft",
          .any_adjusted_p_below = false,
          .prediction_drifted = false,
          .prediction_psi = 0.05};
}

TEST(TriggersTest, DriftBySharePsiPValueAndPrediction) {
  TriggerInputs in = Quiet();
  in.drift = Calm();
  EXPECT_TRUE(Evaluate(Spec(), in).empty());

  in.drift->drifted_share = 0.6;
  std::vector<Trigger> fired = Evaluate(Spec(), in);
  ASSERT_EQ(fired.size(), 1U);
  EXPECT_EQ(fired[0].kind, "drift");
  EXPECT_EQ(fired[0].key, "drift:3");
  EXPECT_EQ(fired[0].reason,
            "drift in production version 3 over 1200 live rows: 60% of the features drifted "
            "(limit 50%)");

  in.drift = Calm();
  in.drift->max_psi = 0.31;
  EXPECT_EQ(Evaluate(Spec(), in).at(0).reason,
            "drift in production version 3 over 1200 live rows: PSI 0.31 on 'sqft' reaches 0.25");

  in.drift = Calm();
  in.drift->any_adjusted_p_below = true;
  EXPECT_EQ(Evaluate(Spec(), in).at(0).reason,
            "drift in production version 3 over 1200 live rows: a Holm-adjusted p-value is below "
            "0.05");

  in.drift = Calm();
  in.drift->prediction_psi = 0.4;
  EXPECT_EQ(Evaluate(Spec(), in).at(0).reason,
            "drift in production version 3 over 1200 live rows: the prediction drifted (PSI "
            "0.4)");
  pipeline::TriggerSpec no_prediction = Spec();
  no_prediction.drift.prediction = false;
  EXPECT_TRUE(Evaluate(no_prediction, in).empty());
}

TEST(TriggersTest, DriftNeedsRowsAndProduction) {
  TriggerInputs in = Quiet();
  in.drift = Calm();
  in.drift->drifted_share = 1.0;
  in.drift->rows = 499;  // min_rows 500
  EXPECT_TRUE(Evaluate(Spec(), in).empty());
  in.drift->rows = 500;
  EXPECT_EQ(Evaluate(Spec(), in).size(), 1U);
  pipeline::TriggerSpec off = Spec();
  off.drift.enabled = false;
  EXPECT_TRUE(Evaluate(off, in).empty());
}

TEST(TriggersTest, DecayLowerIsBetter) {
  TriggerInputs in = Quiet();
  in.decay = TriggerInputs::Decay{
      .metric = "rmse", .higher_is_better = false, .live = 4.38, .offline = 4.0, .labels = 250};
  EXPECT_TRUE(Evaluate(Spec(), in).empty());  // 9.5% worse: within the 10% margin
  in.decay->live = 5.2;
  std::vector<Trigger> fired = Evaluate(Spec(), in);
  ASSERT_EQ(fired.size(), 1U);
  EXPECT_EQ(fired[0].kind, "decay");
  EXPECT_EQ(fired[0].key, "decay:3");
  EXPECT_EQ(fired[0].reason,
            "decay of production version 3: live rmse 5.2 is 30% worse than offline 4 (margin "
            "10%) over 250 labels");
  in.decay->labels = 99;  // min_labels 100
  EXPECT_TRUE(Evaluate(Spec(), in).empty());
  in.decay->labels = 100;
  in.decay->live = std::numeric_limits<double>::quiet_NaN();
  EXPECT_TRUE(Evaluate(Spec(), in).empty());
}

TEST(TriggersTest, DecayHigherIsBetter) {
  TriggerInputs in = Quiet();
  in.decay = TriggerInputs::Decay{
      .metric = "accuracy", .higher_is_better = true, .live = 0.95, .offline = 0.9, .labels = 400};
  EXPECT_TRUE(Evaluate(Spec(), in).empty());  // better live than offline
  in.decay->live = 0.72;
  EXPECT_EQ(Evaluate(Spec(), in).at(0).reason,
            "decay of production version 3: live accuracy 0.72 is 20% worse than offline 0.9 "
            "(margin 10%) over 400 labels");
  pipeline::TriggerSpec off = Spec();
  off.decay.enabled = false;
  EXPECT_TRUE(Evaluate(off, in).empty());
}

TEST(TriggersTest, ScheduleFiresForTheFirstDueSlot) {
  const CronSchedule daily = *ParseCron("0 3 * * *");
  TriggerInputs in = Quiet();
  in.now_ms = UtcMs(2024, 5, 1, 2, 59, 59);
  const TimeMs after = UtcMs(2024, 4, 30, 3, 0);  // the last slot handled
  EXPECT_TRUE(EvaluateTriggers(Spec(), in, &daily, after).empty());
  in.now_ms = UtcMs(2024, 5, 1, 3, 0);
  std::vector<Trigger> fired = EvaluateTriggers(Spec(), in, &daily, after);
  ASSERT_EQ(fired.size(), 1U);
  EXPECT_EQ(fired[0].kind, "schedule");
  EXPECT_EQ(fired[0].key, "schedule:" + std::to_string(UtcMs(2024, 5, 1, 3, 0)));
  EXPECT_EQ(fired[0].reason, "schedule '0 3 * * *' was due at 2024-05-01T03:00:00Z");
  // Days later (the loop was down), the first missed slot is the one named.
  in.now_ms = UtcMs(2024, 5, 9);
  EXPECT_EQ(EvaluateTriggers(Spec(), in, &daily, after).at(0).evidence["due"],
            "2024-05-01T03:00:00Z");
  // Impossible schedule: never.
  const CronSchedule never = *ParseCron("0 0 30 2 *");
  EXPECT_TRUE(EvaluateTriggers(Spec(), in, &never, after).empty());
}

TEST(TriggersTest, SeveralFireInOrder) {
  TriggerInputs in = Quiet();
  in.data_digest = "new-data";
  in.code_commit = "new-commit";
  in.drift = Calm();
  in.drift->max_psi = 0.9;
  in.decay = TriggerInputs::Decay{
      .metric = "rmse", .higher_is_better = false, .live = 9, .offline = 4, .labels = 250};
  const CronSchedule hourly = *ParseCron("@hourly");
  std::vector<Trigger> fired = EvaluateTriggers(Spec(), in, &hourly, in.now_ms - 3'600'000);
  std::vector<std::string> kinds;
  for (const Trigger& t : fired) kinds.push_back(t.kind);
  EXPECT_EQ(kinds, (std::vector<std::string>{"new_data", "commit", "drift", "decay", "schedule"}));
}

TEST(TriggersTest, JsonRoundTrip) {
  TriggerInputs in = Quiet();
  in.data_digest = "new-data";
  const Trigger t = Evaluate(Spec(), in).at(0);
  Result<Trigger> back = Trigger::FromJson(t.ToJson());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->ToJson(), t.ToJson());
  Result<Trigger> bad = Trigger::FromJson({{"kind", "drift"}, {"key", 3}});
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message(), "trigger lacks a text 'key'");
}

}  // namespace
}  // namespace hone::loop
