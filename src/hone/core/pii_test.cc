#include "hone/core/pii.h"

#include <cmath>
#include <cstdlib>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "hone/core/csv.h"
#include "hone/core/digest.h"
#include "hone/core/test_temp_dir.h"

namespace hone::core {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

constexpr char kKey[] = "0123456789abcdef-test-key";

// RFC 4231's test cases 1, 2 and 6 (a key longer than a block).
TEST(HmacSha256Test, MatchesRfc4231) {
  EXPECT_EQ(ToHex(HmacSha256(std::string(20, '\x0b')).Of("Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(ToHex(HmacSha256("Jefe").Of("what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(ToHex(HmacSha256(std::string(131, '\xaa'))
                      .Of("Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(HmacSha256Test, OneKeyManyMessages) {
  HmacSha256 h("Jefe");
  EXPECT_EQ(h.Of("a"), h.Of("a"));
  EXPECT_NE(h.Of("a"), h.Of("b"));
  EXPECT_EQ(ToHex(h.Of("what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(PiiKeyTest, HashIsKeyedPrefixedAndShort) {
  auto key = PiiKey::Create(kKey, "test");
  ASSERT_TRUE(key) << key.error().message();
  const std::string h = key->Hash("alice@example.com");
  EXPECT_THAT(h, MatchesRegex("h:[0-9a-f]{16}"));
  EXPECT_EQ(h, "h:" + ToHex(HmacSha256(kKey).Of("alice@example.com")).substr(0, 16));
  EXPECT_EQ(h, key->Hash("alice@example.com"));
  auto other = PiiKey::Create(std::string(kKey) + "2", "test");
  ASSERT_TRUE(other);
  EXPECT_NE(h, other->Hash("alice@example.com"));
  EXPECT_NE(key->Check(), other->Check());
}

TEST(PiiKeyTest, ShortKeyIsAnErrorThatDoesNotShowIt) {
  auto key = PiiKey::Create("hunter2", "HONE_PII_KEY");
  ASSERT_FALSE(key);
  EXPECT_THAT(key.error().message(), HasSubstr("HONE_PII_KEY"));
  EXPECT_THAT(key.error().message(), HasSubstr("at least 16"));
  EXPECT_THAT(key.error().message(), Not(HasSubstr("hunter2")));
}

TEST(PiiPolicyTest, JsonRoundTripAndErrors) {
  PiiPolicy p{{{"email", PiiMode::kDrop, "x:1:1"}, {"customer_id", PiiMode::kHash, ""}}};
  EXPECT_EQ(p.ToJson(), nlohmann::json::parse(R"({"email": "drop", "customer_id": "hash"})"));
  auto back = PiiPolicy::FromJson(p.ToJson());
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->HasHash());
  ASSERT_NE(back->Find("email"), nullptr);
  EXPECT_EQ(back->Find("email")->mode, PiiMode::kDrop);
  EXPECT_FALSE(PiiPolicy::FromJson(nlohmann::json::parse(R"({"email": "mask"})")));
  EXPECT_FALSE(PiiPolicy::FromJson(nlohmann::json::array()));
  auto mode = ParsePiiMode("mask");
  ASSERT_FALSE(mode);
  EXPECT_THAT(mode.error().message(), HasSubstr("valid modes: drop, hash"));
}

Table People() {
  auto t = ParseCsv(
      "email,customer_id,age,zip\n"
      "alice@example.com,C-1,30,02134\n"
      "bob@example.com,C-2,,02134\n"
      ",C-1,41,\n",
      "people.csv", CsvReadOptions{});
  EXPECT_TRUE(t) << t.error().message();
  return *t;
}

TEST(ApplyPiiTest, DropsAndHashesKeepingMissingAndEquality) {
  auto key = PiiKey::Create(kKey, "test");
  ASSERT_TRUE(key);
  PiiPolicy p{{{"email", PiiMode::kDrop, ""}, {"customer_id", PiiMode::kHash, ""}}};
  auto out = ApplyPii(People(), p, &*key);
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_FALSE(out->FindColumn("email"));
  ASSERT_EQ(out->num_columns(), 3u);
  EXPECT_EQ(out->column(0).name(), "customer_id");
  const Column& id = out->column(0);
  ASSERT_TRUE(id.is_categorical());
  EXPECT_EQ(id.CellText(0), key->Hash("C-1"));
  EXPECT_EQ(id.CellText(1), key->Hash("C-2"));
  EXPECT_EQ(id.CellText(2), key->Hash("C-1"));
  // Untouched columns keep their cells.
  EXPECT_EQ(out->column(1).CellText(0), "30");
  EXPECT_TRUE(out->column(1).IsMissing(1));
  const std::string csv = FormatCsv(*out);
  EXPECT_THAT(csv, Not(HasSubstr("C-1")));
  EXPECT_THAT(csv, Not(HasSubstr("example.com")));
  // The written table reads back as the same table: hashed values stay categories.
  auto again = ParseCsv(csv, "again", CsvReadOptions{});
  ASSERT_TRUE(again);
  EXPECT_EQ(TableDigest(*again), TableDigest(*out));
}

TEST(ApplyPiiTest, MissingStaysMissingAndNumbersHashByText) {
  auto key = PiiKey::Create(kKey, "test");
  ASSERT_TRUE(key);
  auto t = ParseCsv("id,y\n12345,1\n,2\n12345,3\n", "t", CsvReadOptions{});
  ASSERT_TRUE(t);
  ASSERT_TRUE(t->column(0).is_numeric());
  auto out = ApplyPii(*t, PiiPolicy{{{"id", PiiMode::kHash, ""}}}, &*key);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->column(0).CellText(0), key->Hash("12345"));
  EXPECT_TRUE(out->column(0).IsMissing(1));
  EXPECT_EQ(out->column(0).dictionary().size(), 1u);
}

TEST(ApplyPiiTest, ErrorsNameTheColumnAndWhere) {
  PiiPolicy absent{{{"emial", PiiMode::kDrop, "hone.yaml:9:3"}}};
  auto out = ApplyPii(People(), absent, nullptr);
  ASSERT_FALSE(out);
  EXPECT_THAT(out.error().message(), HasSubstr("hone.yaml:9:3: pii column 'emial' is not in"));
  EXPECT_THAT(out.error().message(), HasSubstr("email, customer_id, age, zip"));

  PiiPolicy hash{{{"customer_id", PiiMode::kHash, "hone.yaml:10:3"}}};
  out = ApplyPii(People(), hash, nullptr);
  ASSERT_FALSE(out);
  EXPECT_THAT(out.error().message(), HasSubstr("hone.yaml:10:3: column 'customer_id'"));
  EXPECT_THAT(out.error().message(), HasSubstr("HONE_PII_KEY"));

  // Drop alone needs no key.
  auto dropped = ApplyPii(People(), PiiPolicy{{{"email", PiiMode::kDrop, ""}}}, nullptr);
  ASSERT_TRUE(dropped);
  EXPECT_EQ(dropped->num_columns(), 3u);
}

class PiiKeyEnvTest : public testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    unsetenv(kPiiKeyEnv);
    unsetenv(kPiiKeyFileEnv);
  }
  void TearDown() override {
    unsetenv(kPiiKeyEnv);
    unsetenv(kPiiKeyFileEnv);
    TempDirTest::TearDown();
  }
  std::filesystem::path WriteKey(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return dir_ / name;
  }
};

TEST_F(PiiKeyEnvTest, NoKeyAnywhereIsNone) {
  auto key = LoadPiiKey(std::nullopt);
  ASSERT_TRUE(key);
  EXPECT_FALSE(key->has_value());
}

TEST_F(PiiKeyEnvTest, EnvironmentThenEnvFileThenSpecFile) {
  auto spec_file = WriteKey("spec.key", "spec-file-key-0123456789\n");
  auto key = LoadPiiKey(spec_file);
  ASSERT_TRUE(key && key->has_value());
  // The file's newline is not part of the key.
  EXPECT_EQ((*key)->Hash("x"), PiiKey::Create("spec-file-key-0123456789", "t")->Hash("x"));

  setenv(kPiiKeyFileEnv, WriteKey("env.key", "env-file-key-0123456789").c_str(), 1);
  key = LoadPiiKey(spec_file);
  ASSERT_TRUE(key && key->has_value());
  EXPECT_EQ((*key)->Hash("x"), PiiKey::Create("env-file-key-0123456789", "t")->Hash("x"));
  EXPECT_THAT((*key)->source(), HasSubstr(kPiiKeyFileEnv));

  setenv(kPiiKeyEnv, "env-key-0123456789abcdef", 1);
  key = LoadPiiKey(spec_file);
  ASSERT_FALSE(key);
  EXPECT_THAT(key.error().message(), HasSubstr("both"));
  EXPECT_THAT(key.error().message(), Not(HasSubstr("env-key-0123456789abcdef")));

  unsetenv(kPiiKeyFileEnv);
  key = LoadPiiKey(spec_file);
  ASSERT_TRUE(key && key->has_value());
  EXPECT_EQ((*key)->Hash("x"), PiiKey::Create("env-key-0123456789abcdef", "t")->Hash("x"));
}

TEST_F(PiiKeyEnvTest, UnreadableOrShortFileIsAnError) {
  auto key = LoadPiiKey(dir_ / "absent.key");
  ASSERT_FALSE(key);
  EXPECT_THAT(key.error().message(), HasSubstr("cannot read the pii key"));
  key = LoadPiiKey(WriteKey("short.key", "shortsecret\n"));
  ASSERT_FALSE(key);
  EXPECT_THAT(key.error().message(), Not(HasSubstr("shortsecret")));
}

}  // namespace
}  // namespace hone::core
