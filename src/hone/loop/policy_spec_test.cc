#include <cmath>

#include <gtest/gtest.h>

#include "hone/loop/policy.h"

namespace hone::loop {
namespace {

std::string ErrorOf(const pipeline::WatchSpec& spec) {
  Result<void> valid = ValidateWatchSpec(spec);
  EXPECT_FALSE(valid.has_value());
  if (valid) return "";
  EXPECT_EQ(valid.error().code(), ErrorCode::kInvalidArgument);
  return valid.error().message();
}

TEST(ValidateWatchSpecTest, DefaultsAreValid) {
  EXPECT_TRUE(ValidateWatchSpec(pipeline::WatchSpec{}).has_value());
  pipeline::WatchSpec spec;
  spec.triggers.schedule = "@daily";
  spec.release.mode = "shadow";
  spec.release.p99_ratio = 0;  // no ratio limit
  spec.release.max_seconds = spec.release.min_seconds;
  EXPECT_TRUE(ValidateWatchSpec(spec).has_value());
}

TEST(ValidateWatchSpecTest, NamesTheField) {
  pipeline::WatchSpec spec;
  spec.triggers.schedule = "0 25 * * *";
  EXPECT_EQ(ErrorOf(spec),
            "watch.triggers.schedule: schedule '0 25 * * *': hour 25 is out of range 0-23");
  spec = {};
  spec.release.mode = "blue-green";
  EXPECT_EQ(ErrorOf(spec),
            "watch.release.mode: release mode 'blue-green' is unknown; known: canary, shadow, "
            "direct");
  spec = {};
  spec.release.weight = 0;
  EXPECT_EQ(ErrorOf(spec), "watch.release.weight 0 is out of range (0, 1]");
  spec = {};
  spec.release.max_seconds = 10;
  EXPECT_EQ(ErrorOf(spec),
            "watch.release.max_seconds 10 is out of range >= release.min_seconds (30)");
  spec = {};
  spec.interval_seconds = 0;
  EXPECT_EQ(ErrorOf(spec), "watch.interval_seconds 0 is out of range > 0");
  spec = {};
  spec.cooldown_seconds = -1;
  EXPECT_EQ(ErrorOf(spec), "watch.cooldown_seconds -1 is out of range >= 0");
  spec = {};
  spec.triggers.drift.share = 1.5;
  EXPECT_EQ(ErrorOf(spec), "watch.triggers.drift.share 1.5 is out of range [0, 1]");
  spec = {};
  spec.release.max_error_rate = -0.1;
  EXPECT_EQ(ErrorOf(spec), "watch.release.max_error_rate -0.1 is out of range [0, 1]");
  spec = {};
  spec.release.max_prediction_psi = 0;
  EXPECT_EQ(ErrorOf(spec), "watch.release.max_prediction_psi 0 is out of range > 0");
}

TEST(ValidateWatchSpecTest, NanFails) {
  pipeline::WatchSpec spec;
  spec.release.metric_margin = std::nan("");
  EXPECT_EQ(ErrorOf(spec), "watch.release.metric_margin nan is out of range >= 0");
  spec = {};
  spec.lease_seconds = std::nan("");
  EXPECT_EQ(ErrorOf(spec), "watch.lease_seconds nan is out of range > 0");
}

}  // namespace
}  // namespace hone::loop
