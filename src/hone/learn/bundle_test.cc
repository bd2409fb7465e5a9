#include "hone/learn/bundle.h"

#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hone/core/digest.h"
#include "hone/core/file.h"
#include "hone/core/test_temp_dir.h"
#include "hone/learn/training.h"

namespace hone::learn {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

Bundle Trained() {
  std::vector<float> x, y;
  for (int i = 0; i < 200; ++i) {
    x.push_back(static_cast<float>(i));
    y.push_back(static_cast<float>(i % 7) * 1.5f);
  }
  std::vector<core::Column> cols;
  cols.push_back(core::Column::Numeric("x", x));
  cols.push_back(core::Column::Numeric("y", y));
  TrainRequest r;
  r.target = "y";
  r.params = {{"n_estimators", "5"}};
  r.task = TaskRequest::kRegression;
  auto out = TrainOnTable(*core::Table::Create(std::move(cols)), r);
  EXPECT_TRUE(out) << out.error().message();
  return out->bundle;
}

using BundleTest = core::testing::TempDirTest;

TEST_F(BundleTest, WriteLoadRoundTrip) {
  Bundle b = Trained();
  auto digest = WriteBundle(dir_ / "m.hone", b);
  ASSERT_TRUE(digest) << digest.error().message();
  EXPECT_EQ(digest->sha256.size(), 64u);
  EXPECT_EQ(digest->bytes, EncodeBundle(b).size());
  auto loaded = LoadBundle(dir_ / "m.hone");
  ASSERT_TRUE(loaded) << loaded.error().message();
  EXPECT_EQ(loaded->digest, digest->sha256);
  // The identity is the SHA-256 of the whole file, as any other tool computes it, and the
  // file ends with the SHA-256 of the rest.
  std::string bytes = EncodeBundle(b);
  EXPECT_EQ(digest->sha256, core::Sha256Hex(bytes));
  std::string_view body(bytes.data(), bytes.size() - 32);
  core::Digest trailer = core::Sha256Of(body);
  EXPECT_EQ(bytes.substr(body.size()), std::string(trailer.begin(), trailer.end()));
  EXPECT_EQ(loaded->bundle.model_kind, "random_forest");
  EXPECT_EQ(loaded->bundle.features, b.features);
  EXPECT_EQ(loaded->bundle.target, b.target);
  EXPECT_EQ(loaded->bundle.metrics, b.metrics);
  EXPECT_EQ(loaded->bundle.profile, b.profile);
  EXPECT_EQ(EncodeBundle(loaded->bundle), EncodeBundle(b));
  std::vector<float> row = {3.0f}, out(1);
  ASSERT_TRUE(loaded->model->PredictRow(row, out));
}

TEST_F(BundleTest, AnyAlteredByteIsDetected) {
  std::string bytes = EncodeBundle(Trained());
  for (size_t pos :
       {size_t{9}, size_t{20}, bytes.size() / 2, bytes.size() - 40, bytes.size() - 1}) {
    std::string altered = bytes;
    altered[pos] ^= 0x01;
    auto r = DecodeBundle(altered, "m.hone");
    ASSERT_FALSE(r) << "byte " << pos;
    if (pos >= 8) {
      EXPECT_EQ(r.error().code(), ErrorCode::kCorrupt);
      EXPECT_THAT(r.error().message(), HasSubstr("bundle 'm.hone' is corrupt or was altered"));
    }
  }
}

TEST_F(BundleTest, NotABundleAndTruncated) {
  std::string bytes = EncodeBundle(Trained());
  auto r = DecodeBundle("price,size\n1,2\n", "data.csv");
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message(), HasSubstr("'data.csv' is not a hone model bundle"));
  for (size_t len : {size_t{8}, size_t{12}, size_t{100}, bytes.size() - 1}) {
    EXPECT_FALSE(DecodeBundle(bytes.substr(0, len), "m.hone")) << len;
  }
  auto missing = LoadBundle(dir_ / "absent.hone");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
}

TEST_F(BundleTest, UnknownModelKindIsReported) {
  Bundle b = Trained();
  b.model_kind = "quantum_forest";
  auto r = LoadBundleBytes(EncodeBundle(b), "m.hone");
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message(), HasSubstr("unknown model 'quantum_forest'"));
}

}  // namespace
}  // namespace hone::learn
