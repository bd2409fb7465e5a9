#include "hone/learn/xgb/linear_encoding.h"

#include <limits>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hone/learn/xgb/test_problems.h"

namespace hone::learn::xgb {
namespace {

using testing::Categorical;
using ::testing::HasSubstr;
using testing::Numeric;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// A numeric feature (2, 4, NaN, 6) and a 6-category feature whose rows use categories
// 0 ×3, 1 ×2, 2 ×1, 3 ×1 (4 and 5 never appear).
struct Fixture {
  FeatureSchema schema{{Numeric("n"), Categorical("c", 6)}};
  FeatureMatrix x{7, 2};
  Fixture() {
    const float n[] = {2, 4, kNaN, 6, 4, 4, 4};
    const float c[] = {0, 0, 0, 1, 1, 2, 3};
    std::copy(std::begin(n), std::end(n), x.mutable_column(0).begin());
    std::copy(std::begin(c), std::end(c), x.mutable_column(1).begin());
  }
};

using Entries = std::vector<std::pair<uint32_t, float>>;
Entries EncodeOne(const LinearEncoding& e, size_t feature, float value) {
  Entries out;
  e.Encode(feature, value, [&](uint32_t column, float v) { out.emplace_back(column, v); });
  return out;
}

TEST(LinearEncodingTest, StandardisesNumericFeatures) {
  Fixture f;
  auto e = LinearEncoding::Fit(f.schema, f.x, 100);
  ASSERT_TRUE(e);
  // Mean 4, population standard deviation sqrt(8/6).
  Entries at6 = EncodeOne(*e, 0, 6);
  ASSERT_EQ(at6.size(), 1u);
  EXPECT_EQ(at6[0].first, 0u);
  EXPECT_NEAR(at6[0].second, 2 / std::sqrt(8.0 / 6), 1e-6);
  EXPECT_TRUE(EncodeOne(*e, 0, kNaN).empty());
}

TEST(LinearEncodingTest, OneHotWithMissingAndUnseenAsTrainingFrequencies) {
  Fixture f;
  auto e = LinearEncoding::Fit(f.schema, f.x, 100);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->width(), 1u + 4u);  // categories 4 and 5 had no rows
  for (float c : {0.0f, 1.0f, 2.0f, 3.0f}) {
    EXPECT_EQ(EncodeOne(*e, 1, c), (Entries{{1 + static_cast<uint32_t>(c), 1.0f}})) << c;
  }
  Entries mean = {{1, 3 / 7.0f}, {2, 2 / 7.0f}, {3, 1 / 7.0f}, {4, 1 / 7.0f}};
  for (float c : {4.0f, 5.0f, 6.0f, -1.0f, kNaN}) EXPECT_EQ(EncodeOne(*e, 1, c), mean) << c;
}

TEST(LinearEncodingTest, CapKeepsTheMostFrequentAndSharesTheRest) {
  Fixture f;
  auto e = LinearEncoding::Fit(f.schema, f.x, 2);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->width(), 1u + 3u);  // 0, 1, and "other" for 2 and 3
  EXPECT_EQ(EncodeOne(*e, 1, 1), (Entries{{2, 1.0f}}));
  EXPECT_EQ(EncodeOne(*e, 1, 2), (Entries{{3, 1.0f}}));
  EXPECT_EQ(EncodeOne(*e, 1, 3), (Entries{{3, 1.0f}}));
  EXPECT_EQ(e->ToJson()[1]["columns"], nlohmann::json::parse("[[0], [1], [2, 3]]"));
}

TEST(LinearEncodingTest, IdentifyKeepsEveryPrediction) {
  Fixture f;
  auto e = LinearEncoding::Fit(f.schema, f.x, 100);
  ASSERT_TRUE(e);
  std::vector<double> raw = {0.5, 1, 2, 3, 4, 10};  // numeric, 4 categories, bias
  std::vector<double> identified = raw;
  e->Identify(identified, 1);
  auto margin = [&](const std::vector<double>& w, float n, float c) {
    double m = w.back();
    for (size_t j = 0; j < 2; ++j) {
      e->Encode(j, j == 0 ? n : c, [&](uint32_t column, float v) { m += w[column] * v; });
    }
    return m;
  };
  for (float c : {0.0f, 1.0f, 3.0f, kNaN}) {
    EXPECT_NEAR(margin(identified, 6, c), margin(raw, 6, c), 1e-6) << c;
  }
  // The categorical weights now have frequency-weighted mean 0.
  EXPECT_NEAR(3 * identified[1] + 2 * identified[2] + identified[3] + identified[4], 0, 1e-6);
}

TEST(LinearEncodingTest, JsonRoundTripAndValidation) {
  Fixture f;
  auto e = LinearEncoding::Fit(f.schema, f.x, 2);
  ASSERT_TRUE(e);
  auto back = LinearEncoding::FromJson(e->ToJson(), f.schema);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->ToJson(), e->ToJson());
  EXPECT_EQ(back->width(), e->width());

  nlohmann::json bad = e->ToJson();
  bad[1]["columns"] = nlohmann::json::parse("[[0], [0], [1]]");
  EXPECT_THAT(LinearEncoding::FromJson(bad, f.schema).error().message(), HasSubstr("used twice"));
  bad = e->ToJson();
  bad[1]["frequencies"][0] = 0.9;
  EXPECT_THAT(LinearEncoding::FromJson(bad, f.schema).error().message(),
              HasSubstr("do not sum to 1"));
  bad = e->ToJson();
  bad[0]["scale"] = 0;
  EXPECT_THAT(LinearEncoding::FromJson(bad, f.schema).error().message(),
              HasSubstr("unusable mean or scale"));
  EXPECT_FALSE(LinearEncoding::FromJson(nlohmann::json::array(), f.schema));
  EXPECT_FALSE(LinearEncoding::FromJson("text", f.schema));
}

TEST(LinearEncodingTest, ConstantAndEmptyFeaturesKeepScaleOne) {
  FeatureSchema schema({Numeric("constant"), Numeric("empty")});
  FeatureMatrix x(3, 2);
  std::fill(x.mutable_column(0).begin(), x.mutable_column(0).end(), 5.0f);
  std::fill(x.mutable_column(1).begin(), x.mutable_column(1).end(), kNaN);
  auto e = LinearEncoding::Fit(schema, x, 10);
  ASSERT_TRUE(e);
  EXPECT_EQ(EncodeOne(*e, 0, 5), (Entries{{0, 0.0f}}));
  EXPECT_EQ(EncodeOne(*e, 0, 7), (Entries{{0, 2.0f}}));
  EXPECT_EQ(EncodeOne(*e, 1, 7), (Entries{{1, 7.0f}}));
}

}  // namespace
}  // namespace hone::learn::xgb
