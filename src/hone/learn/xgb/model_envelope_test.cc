#include "hone/learn/xgb/model_envelope.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hone/learn/xgb/test_problems.h"

namespace hone::learn::xgb {
namespace {

using testing::Categorical;
using testing::Classes;
using ::testing::HasSubstr;
using testing::Numeric;

const FeatureSchema kSchema({Numeric("a"), Categorical("b", 3)});
const TargetInfo kTarget = Classes(3);

TEST(ModelEnvelopeTest, RoundTrip) {
  nlohmann::json header = BasicHeader("gbdt", kSchema, kTarget);
  header["extra"] = {1, 2};
  std::string payload("\0binary\xff", 8);
  std::string bytes = WriteEnvelope(header, payload);
  EXPECT_TRUE(bytes.starts_with("HONEXGB1"));
  auto read = ReadEnvelope(bytes, "gbdt", kSchema, kTarget);
  ASSERT_TRUE(read) << read.error().message();
  EXPECT_EQ(read->payload, payload);
  EXPECT_EQ(read->header, header);
  EXPECT_EQ(read->header["num_classes"], 3);
  EXPECT_EQ(read->header["feature_types"], nlohmann::json::parse(R"(["q", "c"])"));
}

TEST(ModelEnvelopeTest, EveryTruncationAndFlipIsRefused) {
  std::string bytes = WriteEnvelope(BasicHeader("gbdt", kSchema, kTarget), "payload");
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(ReadEnvelope(bytes.substr(0, n), "gbdt", kSchema, kTarget)) << n;
  }
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string flipped = bytes;
    flipped[i] ^= 1;
    EXPECT_FALSE(ReadEnvelope(flipped, "gbdt", kSchema, kTarget)) << i;
  }
}

TEST(ModelEnvelopeTest, ChecksKindTaskClassesAndFeatures) {
  std::string bytes = WriteEnvelope(BasicHeader("gbdt", kSchema, kTarget), "p");
  auto message = [&](std::string_view kind, const FeatureSchema& s, const TargetInfo& t) {
    auto r = ReadEnvelope(bytes, kind, s, t);
    return r ? std::string("ok") : r.error().message();
  };
  EXPECT_EQ(message("gbdt", kSchema, kTarget), "ok");
  EXPECT_EQ(message("linear", kSchema, kTarget), "linear model: the bytes hold a 'gbdt' model");
  EXPECT_THAT(message("gbdt", kSchema, Classes(4)), HasSubstr("trained for 3 classes"));
  EXPECT_THAT(message("gbdt", kSchema, Classes(2)), HasSubstr("task multiclass"));
  EXPECT_THAT(message("gbdt", FeatureSchema({Numeric("a")}), kTarget),
              HasSubstr("trained on 2 features but the schema has 1"));
  EXPECT_THAT(message("gbdt", FeatureSchema({Numeric("a"), Numeric("b")}), kTarget),
              HasSubstr("feature 'b' has a different type"));
  std::string header_not_json = WriteEnvelope(nlohmann::json::array(), "p");
  EXPECT_THAT(ReadEnvelope(header_not_json, "gbdt", kSchema, kTarget).error().message(),
              HasSubstr("not a JSON object"));
}

}  // namespace
}  // namespace hone::learn::xgb
