// Requests to a model trained under a pii policy: raw values of its hash columns are looked up
// by their keyed hash, its dropped columns may be sent and are ignored, and what the
// prediction log keeps of a row holds neither.
#include <cmath>
#include <memory>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hone/core/pii.h"
#include "hone/serve/infer_codec.h"
#include "hone/serve/monitoring.h"

namespace hone::serve {
namespace {

using core::ColumnType;
using learn::FeatureInfo;
using learn::FeatureSchema;
using ::testing::HasSubstr;
using ::testing::Not;

class InferPiiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto key = core::PiiKey::Create("serve-test-key-0123456789", "test");
    ASSERT_TRUE(key);
    key_ = std::make_shared<const core::PiiKey>(*key);
    // As trained: customer_id's categories are hashes; email was dropped.
    trained_ = FeatureSchema({
        FeatureInfo{"spend", ColumnType::kNumeric, {}},
        FeatureInfo{"customer_id",
                    ColumnType::kCategorical,
                    {key_->Hash("12345"), key_->Hash("CUST-1"), key_->Hash("CUST-2")}},
    });
    const core::PiiPolicy policy{
        {{"email", core::PiiMode::kDrop, ""}, {"customer_id", core::PiiMode::kHash, ""}}};
    raw_ = trained_.ForRawInputs(policy, key_);
  }

  std::shared_ptr<const core::PiiKey> key_;
  FeatureSchema trained_;
  FeatureSchema raw_;
  learn::TargetInfo target_{"churned", learn::Task::kBinary, {"no", "yes"}};
  DecodeLimits limits_;
};

TEST_F(InferPiiTest, OipHashesRawValuesAndIgnoresDroppedColumns) {
  auto rows = DecodeOipRequest(
      R"({"inputs": [
        {"name": "spend", "shape": [3], "datatype": "FP32", "data": [1, 2, 3]},
        {"name": "customer_id", "shape": [3], "datatype": "BYTES",
         "data": ["CUST-2", "CUST-9", null]},
        {"name": "email", "shape": [3], "datatype": "BYTES",
         "data": ["a@rawmail.test", "b@rawmail.test", "c@rawmail.test"]}]})",
      raw_, target_, limits_);
  ASSERT_TRUE(rows) << rows.error().message();
  ASSERT_EQ(rows->rows, 3u);
  EXPECT_EQ(rows->values[1], 2.0f);          // CUST-2
  EXPECT_TRUE(std::isnan(rows->values[3]));  // unseen
  EXPECT_TRUE(std::isnan(rows->values[5]));  // null

  const std::string logged = InputsJson(raw_, std::span<const float>(rows->values.data(), 2));
  EXPECT_THAT(logged, HasSubstr(key_->Hash("CUST-2")));
  EXPECT_THAT(logged, Not(HasSubstr("CUST")));
  EXPECT_THAT(logged, Not(HasSubstr("email")));

  // Without the policy the dropped column is unknown, and raw values are unseen categories.
  auto plain = DecodeOipRequest(
      R"({"inputs": [{"name": "email", "shape": [1], "datatype": "BYTES", "data": ["x"]}]})",
      trained_, target_, limits_);
  ASSERT_FALSE(plain);
  EXPECT_THAT(plain.error().message(), HasSubstr("unknown column 'email'"));
}

TEST_F(InferPiiTest, MlflowJsonAndCsvAndNumbersHashToo) {
  auto records = DecodeMlflowRequest(
      R"({"dataframe_records": [{"spend": 5, "customer_id": "CUST-1", "email": "x@rawmail.test"},
                                {"spend": 6, "customer_id": 12345}]})",
      "application/json", raw_, target_, limits_);
  ASSERT_TRUE(records) << records.error().message();
  EXPECT_EQ(records->values[1], 1.0f);
  EXPECT_EQ(records->values[3], 0.0f);  // the number 12345 is hashed by its text

  auto csv = DecodeMlflowRequest("email,spend,customer_id\nx@rawmail.test,5,CUST-2\n", "text/csv",
                                 raw_, target_, limits_);
  ASSERT_TRUE(csv) << csv.error().message();
  EXPECT_EQ(csv->values[1], 2.0f);
}

}  // namespace
}  // namespace hone::serve
