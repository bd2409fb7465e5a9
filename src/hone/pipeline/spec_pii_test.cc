// hone.yaml's `pii:` read and checked, the snapshot transformed, and a whole run on a real
// SQLite store that leaves no raw value of a pii column in any file it writes.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hone/core/file.h"
#include "hone/core/pii.h"
#include "hone/core/test_temp_dir.h"
#include "hone/learn/bundle.h"
#include "hone/pipeline/pipeline_run.h"
#include "hone/pipeline/run.h"
#include "hone/pipeline/source.h"
#include "hone/pipeline/spec.h"
#include "hone/pipeline/stage_keys.h"

namespace hone::pipeline {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kKey[] = "pipeline-pii-test-key-0123";
constexpr std::string_view kHead = "model: churn\ntarget: churned\ndata: {path: d.csv}\n";

std::string ErrorOf(std::string_view rest) {
  auto spec = ParseSpec(std::string(kHead) + std::string(rest), "hone.yaml");
  if (spec) {
    ADD_FAILURE() << "parsed, but should not have:\n" << rest;
    return "";
  }
  EXPECT_EQ(spec.error().code(), ErrorCode::kInvalidArgument) << spec.error().message();
  return spec.error().message();
}

TEST(SpecPiiTest, ReadsAMapOfColumnModes) {
  auto spec = ParseSpec(
      std::string(kHead) + "pii:\n  email: drop\n  customer_id: hash\npii_key_file: pii.key\n",
      "hone.yaml");
  ASSERT_TRUE(spec) << spec.error().message();
  ASSERT_EQ(spec->pii.columns.size(), 2u);
  EXPECT_EQ(spec->pii.columns[0].name, "email");
  EXPECT_EQ(spec->pii.columns[0].mode, core::PiiMode::kDrop);
  EXPECT_EQ(spec->pii.columns[0].where, "hone.yaml:5:3");
  EXPECT_EQ(spec->pii.columns[1].mode, core::PiiMode::kHash);
  EXPECT_EQ(spec->pii_key_file, "pii.key");
  EXPECT_EQ(spec->ToJson()["pii"],
            nlohmann::json::parse(R"({"email":"drop","customer_id":"hash"})"));

  // Without pii the normalised spec (and so every digest of it) is as it was.
  auto plain = ParseSpec(kHead, "hone.yaml");
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->ToJson().contains("pii"));
  const StageKeys with = ComputeStageKeys(*spec, "d", std::nullopt);
  const StageKeys without = ComputeStageKeys(*plain, "d", std::nullopt);
  EXPECT_NE(with.train, without.train);
}

TEST(SpecPiiTest, BadEntriesPointAtTheirLine) {
  EXPECT_THAT(ErrorOf("pii:\n  email: mask\n"),
              HasSubstr("hone.yaml:5:10: pii.email must be drop or hash, got 'mask'"));
  EXPECT_THAT(ErrorOf("pii: [email]\n"), HasSubstr("hone.yaml:4:6: pii must be a map"));
  EXPECT_THAT(ErrorOf("pii: {email: drop, email: hash}\n"), HasSubstr("duplicate key 'email'"));
  EXPECT_THAT(ErrorOf("pii:\n  churned: hash\n"),
              HasSubstr("hone.yaml:5:3: pii.churned: the target column cannot be pii"));
  EXPECT_THAT(ErrorOf("split: time:signup\npii:\n  signup: drop\n"),
              HasSubstr("hone.yaml:6:3: pii.signup: column 'signup' orders the time split"));
  EXPECT_THAT(ErrorOf("checks:\n  - nulls: {column: email}\npii:\n  email: drop\n"),
              HasSubstr("hone.yaml:7:3: pii.email: column 'email' is dropped before the checks, "
                        "but the nulls check at hone.yaml:5 reads it"));
  EXPECT_THAT(ErrorOf("checks:\n  - categories: {column: id, allowed: [a]}\npii: {id: hash}\n"),
              HasSubstr("would compare hashes with raw values"));
  EXPECT_THAT(ErrorOf("evaluate: {slices: [email]}\npii: {email: drop}\n"),
              HasSubstr("evaluate.slices cannot slice by it"));
  // A hashed column may be checked for nulls and uniqueness, and sliced by.
  auto ok = ParseSpec(std::string(kHead) +
                          "checks:\n  - unique: {column: id}\nevaluate: {slices: [id]}\n"
                          "pii: {id: hash}\n",
                      "hone.yaml");
  EXPECT_TRUE(ok) << ok.error().message();
}

class PiiRunTest : public core::testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    unsetenv(core::kPiiKeyEnv);
    unsetenv(core::kPiiKeyFileEnv);
    std::string csv = "email,customer_id,spend,visits,churned\n";
    for (int i = 0; i < 400; ++i) {
      const int customer = i % 40;
      csv += "person" + std::to_string(i) + "@rawmail.test,RAWCUST-" + std::to_string(customer) +
             "," + std::to_string((i * 37) % 100) + "," + std::to_string(i % 9) + "," +
             (customer % 3 == 0 || i % 9 > 6 ? "yes" : "no") + "\n";
    }
    ASSERT_TRUE(core::WriteFileAtomic(dir_ / "d.csv", csv));
  }
  void TearDown() override {
    unsetenv(core::kPiiKeyEnv);
    unsetenv(core::kPiiKeyFileEnv);
    TempDirTest::TearDown();
  }

  Spec MakeSpec(const std::string& rest) {
    auto spec = ParseSpec(
        "model: churn\ntarget: churned\ndata: {path: d.csv, snapshot: true}\n"
        "pii:\n  email: drop\n  customer_id: hash\n" +
            rest,
        dir_ / "hone.yaml");
    EXPECT_TRUE(spec) << spec.error().message();
    return spec ? *spec : Spec{};
  }

  // Every byte of every file under dir_, by file.
  std::vector<std::pair<fs::path, std::string>> AllFiles() {
    std::vector<std::pair<fs::path, std::string>> files;
    for (const auto& entry : fs::recursive_directory_iterator(dir_)) {
      if (!entry.is_regular_file()) continue;
      std::ifstream in(entry.path(), std::ios::binary);
      std::stringstream bytes;
      bytes << in.rdbuf();
      files.emplace_back(entry.path(), bytes.str());
    }
    return files;
  }
};

TEST_F(PiiRunTest, SnapshotHoldsOnlyTheTransform) {
  Spec spec = [&] {
    auto s = ParseSpec(std::string(kHead) + "pii:\n  email: drop\n  customer_id: hash\n",
                       dir_ / "hone.yaml");
    EXPECT_TRUE(s);
    return *s;
  }();
  auto missing = TakeSpecSnapshot(spec);
  ASSERT_FALSE(missing);
  EXPECT_THAT(missing.error().message(), HasSubstr("hone.yaml:6:3: column 'customer_id'"));
  EXPECT_THAT(missing.error().message(), HasSubstr("HONE_PII_KEY"));

  ASSERT_TRUE(core::WriteFileAtomic(dir_ / "pii.key", std::string(kKey) + "\n"));
  spec.pii_key_file = "pii.key";
  auto snapshot = TakeSpecSnapshot(spec);
  ASSERT_TRUE(snapshot) << snapshot.error().message();
  EXPECT_THAT(snapshot->bytes, Not(HasSubstr("rawmail")));
  EXPECT_THAT(snapshot->bytes, Not(HasSubstr("RAWCUST")));
  auto key = core::PiiKey::Create(kKey, "t");
  EXPECT_THAT(snapshot->bytes, HasSubstr(key->Hash("RAWCUST-7")));
  EXPECT_FALSE(snapshot->table.FindColumn("email"));
  EXPECT_EQ(snapshot->pii["key_check"], key->Check());
  EXPECT_EQ(TrainRequestOf(spec, *snapshot).pii, snapshot->pii);

  spec.pii.columns[0].name = "emial";
  auto absent = TakeSpecSnapshot(spec);
  ASSERT_FALSE(absent);
  EXPECT_THAT(absent.error().message(),
              HasSubstr("hone.yaml:5:3: pii column 'emial' is not in the data; its columns are "
                        "email, customer_id, spend, visits, churned"));
}

TEST_F(PiiRunTest, ARunWritesNoRawValueAnywhere) {
  setenv(core::kPiiKeyEnv, kKey, 1);
  const Spec spec = MakeSpec(
      "ignore: [email]\n"
      "split: {method: stratified, test_size: 0.25, seed: 3}\n"
      "checks:\n  - row_count\n  - unique: {column: customer_id, severity: warn}\n  - schema\n"
      "train:\n  model: random_forest\n  params: {n_estimators: 10}\n"
      "evaluate: {slices: [customer_id]}\n");
  auto opened = store::OpenStore({.store = (dir_ / ".hone").string(), .create = true});
  ASSERT_TRUE(opened) << opened.error().message();
  RunOptions options;
  options.actor = store::Actor{"ci"};
  auto result = RunPipeline(spec, *opened, options);
  ASSERT_TRUE(result) << result.error().message();
  ASSERT_TRUE(result->version);

  // What `hone watch` compares to see new data is the digest the version records.
  auto version = opened->meta->GetVersion("churn", 1);
  ASSERT_TRUE(version);
  auto again = TakeSpecSnapshot(spec);
  ASSERT_TRUE(again);
  EXPECT_EQ(version->data_digest, again->digest);
  {
    // The version's bundle records the policy and reads raw rows with the key.
    registry::Registry registry(*opened->meta, opened->artifacts, store::Actor{"t"});
    auto resolved = registry.Resolve("churn/1");
    ASSERT_TRUE(resolved) << resolved.error().message();
    auto loaded = learn::LoadBundleBytes(resolved->bundle.view(), "churn/1");
    ASSERT_TRUE(loaded);
    EXPECT_EQ(loaded->bundle.pii["columns"]["email"], "drop");
    ASSERT_TRUE(learn::UseRawInputs(*loaded, "churn/1"));
    EXPECT_TRUE(loaded->bundle.features.IgnoresColumn("email"));
  }
  opened->meta.reset();  // closes the database, so that its files are complete

  const std::string hashed = core::PiiKey::Create(kKey, "t")->Hash("RAWCUST-7");
  size_t files_with_hash = 0;
  for (const auto& [path, bytes] : AllFiles()) {
    if (path == dir_ / "d.csv") continue;  // the user's own data
    EXPECT_THAT(bytes, Not(HasSubstr("rawmail"))) << path;
    EXPECT_THAT(bytes, Not(HasSubstr("RAWCUST"))) << path;
    EXPECT_THAT(bytes, Not(HasSubstr(kKey))) << path;
    if (bytes.find(hashed) != std::string::npos) ++files_with_hash;
  }
  // The snapshot and the bundle at least hold the hashed values (the slices' metrics too).
  EXPECT_GE(files_with_hash, 2u);
}

}  // namespace
}  // namespace hone::pipeline
