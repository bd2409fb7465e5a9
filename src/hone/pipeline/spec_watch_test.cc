// hone.yaml's `watch:` section: every key read into WatchSpec, the short forms, the defaults,
// and an error naming the line, the key and what was expected for each kind of mistake.
#include <string>
#include <string_view>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hone/pipeline/spec.h"
#include "hone/pipeline/spec_test_util.h"

namespace hone::pipeline {
namespace {

using ::testing::HasSubstr;

// The spec of the three required keys and `rest`; the error it must give.
Result<Spec> Parse(std::string_view rest) { return testing::Parse(testing::Head(rest)); }
std::string ErrorOf(std::string_view rest) { return testing::ErrorOf(testing::Head(rest)); }

TEST(SpecWatchTest, AbsentMeansNoWatchSection) {
  auto spec = Parse("");
  ASSERT_TRUE(spec) << spec.error().message();
  EXPECT_FALSE(spec->watch.has_value());
  EXPECT_FALSE(spec->ToJson().contains("watch"));
}

TEST(SpecWatchTest, EveryKey) {
  auto spec = Parse(R"(watch:
  interval: 5s
  cooldown: 15m
  lease: 1m
  triggers:
    new_data: false
    commit: true
    schedule: "0 3 * * 1-5"
    drift: {share: 0.3, psi: 0.2, prediction: false, min_rows: 1000}
    decay: {metric: mae, margin: 0.2, min_labels: 50}
  release:
    mode: shadow
    weight: 0.25
    min_requests: 1000
    min_time: 2m
    min_labels: 40
    max_time: 2h
    max_error_rate: 0.02
    max_p99_ms: 50
    p99_ratio: 3
    metric_margin: 0.1
    max_prediction_psi: 0.3
)");
  ASSERT_TRUE(spec) << spec.error().message();
  ASSERT_TRUE(spec->watch.has_value());
  const WatchSpec& w = *spec->watch;
  EXPECT_EQ(w.interval_seconds, 5);
  EXPECT_EQ(w.cooldown_seconds, 900);
  EXPECT_EQ(w.lease_seconds, 60);
  EXPECT_FALSE(w.triggers.new_data);
  EXPECT_TRUE(w.triggers.commit);
  EXPECT_EQ(w.triggers.schedule, "0 3 * * 1-5");
  EXPECT_TRUE(w.triggers.drift.enabled);
  EXPECT_EQ(w.triggers.drift.share, 0.3);
  EXPECT_EQ(w.triggers.drift.psi, 0.2);
  EXPECT_FALSE(w.triggers.drift.prediction);
  EXPECT_EQ(w.triggers.drift.min_rows, 1000u);
  EXPECT_TRUE(w.triggers.decay.enabled);
  EXPECT_EQ(w.triggers.decay.metric, "mae");
  EXPECT_EQ(w.triggers.decay.margin, 0.2);
  EXPECT_EQ(w.triggers.decay.min_labels, 50u);
  const ReleaseSpec& r = w.release;
  EXPECT_EQ(r.mode, "shadow");
  EXPECT_EQ(r.weight, 0.25);
  EXPECT_EQ(r.min_requests, 1000u);
  EXPECT_EQ(r.min_seconds, 120);
  EXPECT_EQ(r.min_labels, 40u);
  EXPECT_EQ(r.max_seconds, 7200);
  EXPECT_EQ(r.max_error_rate, 0.02);
  EXPECT_EQ(r.max_p99_ms, 50);
  EXPECT_EQ(r.p99_ratio, 3);
  EXPECT_EQ(r.metric_margin, 0.1);
  EXPECT_EQ(r.max_prediction_psi, 0.3);

  const nlohmann::json json = spec->ToJson()["watch"];
  EXPECT_EQ(json["release"]["mode"], "shadow");
  EXPECT_EQ(json["triggers"]["schedule"], "0 3 * * 1-5");
  EXPECT_EQ(json["triggers"]["decay"]["metric"], "mae");
}

TEST(SpecWatchTest, EmptySectionAndShortFormsKeepDefaults) {
  auto spec = Parse("watch: {triggers: {drift: false, decay: true}}\n");
  ASSERT_TRUE(spec) << spec.error().message();
  const WatchSpec defaults;
  const WatchSpec& w = *spec->watch;
  EXPECT_FALSE(w.triggers.drift.enabled);
  EXPECT_EQ(w.triggers.drift.share, defaults.triggers.drift.share);
  EXPECT_TRUE(w.triggers.decay.enabled);
  EXPECT_EQ(w.interval_seconds, defaults.interval_seconds);
  EXPECT_EQ(w.release.mode, "canary");
  EXPECT_EQ(w.release.weight, defaults.release.weight);

  auto empty = Parse("watch: {}\n");
  ASSERT_TRUE(empty) << empty.error().message();
  EXPECT_TRUE(empty->watch.has_value());
}

TEST(SpecWatchTest, ErrorsNameTheLineAndTheKey) {
  EXPECT_THAT(ErrorOf("watch:\n  interval: soon\n"),
              HasSubstr("hone.yaml:5:13: watch.interval must be a duration > 0"));
  EXPECT_THAT(ErrorOf("watch:\n  trigers: {}\n"),
              HasSubstr("hone.yaml:5:3: unknown key 'trigers'"));
  EXPECT_THAT(ErrorOf("watch:\n  release: {mode: blue-green}\n"),
              HasSubstr("watch.release.mode must be one of canary, shadow, direct, got "
                        "'blue-green'"));
  EXPECT_THAT(ErrorOf("watch:\n  release: {weight: 0}\n"),
              HasSubstr("watch.release.weight must be a number in (0, 1], got '0'"));
  EXPECT_THAT(ErrorOf("watch:\n  release: {weight: 1.5}\n"),
              HasSubstr("watch.release.weight must be a number in (0, 1]"));
  EXPECT_THAT(ErrorOf("watch:\n  release: {max_error_rate: -1}\n"),
              HasSubstr("watch.release.max_error_rate must be a number in [0, 1]"));
  EXPECT_THAT(ErrorOf("watch:\n  release: {p99_ratio: 0.5}\n"),
              HasSubstr("watch.release.p99_ratio must be a number >= 1"));
  EXPECT_THAT(ErrorOf("watch:\n  release: {min_time: 10m, max_time: 5m}\n"),
              HasSubstr("max_time (300"));
  EXPECT_THAT(ErrorOf("watch:\n  triggers: {decay: {metric: speed}}\n"),
              HasSubstr("watch.triggers.decay.metric: "));
  EXPECT_THAT(ErrorOf("watch:\n  triggers: {drift: {share: 2}}\n"),
              HasSubstr("watch.triggers.drift.share must be a number in [0, 1], got '2'"));
  EXPECT_THAT(ErrorOf("watch:\n  triggers: {drift: maybe}\n"),
              HasSubstr("watch.triggers.drift must be true or false"));
  EXPECT_THAT(ErrorOf("watch:\n  triggers: {schedule: '0 25 * * *'}\n"), HasSubstr("hour 25"));
  EXPECT_THAT(ErrorOf("watch:\n  triggers: {schedule: 'every day'}\n"),
              HasSubstr("watch.triggers.schedule: "));
  EXPECT_THAT(ErrorOf("watch: yes\n"), HasSubstr("watch must be a map"));
}

}  // namespace
}  // namespace hone::pipeline
