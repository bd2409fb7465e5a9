// A bundle trained on pii-transformed data records the policy (never the key), and reads raw
// rows through the same transform once UseRawInputs has the key.
#include <cmath>
#include <cstdlib>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hone/core/csv.h"
#include "hone/core/pii.h"
#include "hone/learn/bundle.h"
#include "hone/learn/training.h"

namespace hone::learn {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kKey[] = "bundle-test-key-0123456789";

core::Table RawCustomers() {
  std::string csv = "email,customer_id,spend,churned\n";
  for (int i = 0; i < 120; ++i) {
    csv += "user" + std::to_string(i) + "@example.com,CUST-" + std::to_string(i % 6) + "," +
           std::to_string(i % 13) + "," + (i % 6 < 3 ? "yes" : "no") + "\n";
  }
  core::CsvReadOptions options;
  options.column_types["customer_id"] = core::ColumnType::kCategorical;
  auto table = core::ParseCsv(csv, "customers.csv", options);
  EXPECT_TRUE(table) << table.error().message();
  return *table;
}

const core::PiiPolicy kPolicy{
    {{"email", core::PiiMode::kDrop, ""}, {"customer_id", core::PiiMode::kHash, ""}}};

class BundlePiiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    unsetenv(core::kPiiKeyEnv);
    unsetenv(core::kPiiKeyFileEnv);
    key_ = *core::PiiKey::Create(kKey, "test");
    auto transformed = core::ApplyPii(RawCustomers(), kPolicy, &*key_);
    ASSERT_TRUE(transformed);
    transformed_ = *transformed;
    TrainRequest r;
    r.target = "churned";
    r.params = {{"n_estimators", "5"}};
    r.pii = BundlePiiJson(kPolicy, &*key_);
    auto out = TrainOnTable(transformed_, r);
    ASSERT_TRUE(out) << out.error().message();
    bytes_ = EncodeBundle(out->bundle);
  }
  void TearDown() override { unsetenv(core::kPiiKeyEnv); }

  std::optional<core::PiiKey> key_;
  core::Table transformed_;
  std::string bytes_;
};

TEST_F(BundlePiiTest, ManifestRecordsThePolicyAndACheckNeverTheKey) {
  auto loaded = LoadBundleBytes(bytes_, "m");
  ASSERT_TRUE(loaded) << loaded.error().message();
  const nlohmann::json& pii = loaded->bundle.pii;
  EXPECT_EQ(pii["columns"]["email"], "drop");
  EXPECT_EQ(pii["columns"]["customer_id"], "hash");
  EXPECT_EQ(pii["key_check"], key_->Check());
  EXPECT_THAT(bytes_, Not(HasSubstr(kKey)));
  EXPECT_THAT(bytes_, Not(HasSubstr("CUST-")));
  EXPECT_THAT(bytes_, Not(HasSubstr("example.com")));
  EXPECT_THAT(bytes_, HasSubstr(key_->Hash("CUST-1")));
  EXPECT_EQ(EncodeBundle(loaded->bundle), bytes_);
}

TEST(BundlePiiManifestTest, NoPolicyNoKey) {
  Bundle b;
  EXPECT_FALSE(b.Manifest().contains("pii"));
  EXPECT_TRUE(BundlePiiJson(core::PiiPolicy{}, nullptr).empty());
  auto none = ReadBundlePii(b);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->policy.empty());
}

TEST_F(BundlePiiTest, RawRowsNeedTheKeyTheModelWasTrainedWith) {
  auto loaded = LoadBundleBytes(bytes_, "churn/1");
  ASSERT_TRUE(loaded);
  auto used = UseRawInputs(*loaded, "churn/1");
  ASSERT_FALSE(used);
  EXPECT_THAT(used.error().message(), HasSubstr("model 'churn/1'"));
  EXPECT_THAT(used.error().message(), HasSubstr("'customer_id'"));
  EXPECT_THAT(used.error().message(), HasSubstr("HONE_PII_KEY"));

  setenv(core::kPiiKeyEnv, "another-key-0123456789abcdef", 1);
  used = UseRawInputs(*loaded, "churn/1");
  ASSERT_FALSE(used);
  EXPECT_THAT(used.error().message(), HasSubstr("another key"));
  EXPECT_THAT(used.error().message(), Not(HasSubstr("another-key-0123456789abcdef")));
}

TEST_F(BundlePiiTest, RawRowsEncodeAsTheTransformedOnes) {
  setenv(core::kPiiKeyEnv, kKey, 1);
  auto loaded = LoadBundleBytes(bytes_, "churn/1");
  ASSERT_TRUE(loaded);
  const FeatureSchema trained = loaded->bundle.features;
  ASSERT_TRUE(UseRawInputs(*loaded, "churn/1"));
  const FeatureSchema& raw = loaded->bundle.features;
  EXPECT_TRUE(raw.IgnoresColumn("email"));
  EXPECT_FALSE(raw.IgnoresColumn("spend"));
  EXPECT_FALSE(raw == trained);
  size_t id = 0;
  while (raw.features()[id].name != "customer_id") ++id;
  const float code = raw.EncodeCategory(id, "CUST-1");
  EXPECT_FALSE(std::isnan(code));
  EXPECT_EQ(code, trained.EncodeCategory(id, key_->Hash("CUST-1")));
  EXPECT_TRUE(std::isnan(raw.EncodeCategory(id, "CUST-99")));
  EXPECT_TRUE(std::isnan(raw.EncodeCategory(id, key_->Hash("CUST-1"))));

  auto from_raw = raw.Encode(RawCustomers());
  auto from_transformed = trained.Encode(transformed_);
  ASSERT_TRUE(from_raw && from_transformed);
  for (size_t j = 0; j < raw.size(); ++j) {
    for (size_t r = 0; r < transformed_.num_rows(); ++r) {
      const float a = from_raw->at(r, j), b = from_transformed->at(r, j);
      EXPECT_TRUE(a == b || (std::isnan(a) && std::isnan(b))) << j << "," << r;
    }
  }
}

}  // namespace
}  // namespace hone::learn
