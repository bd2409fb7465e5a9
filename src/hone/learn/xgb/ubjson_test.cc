#include "hone/learn/xgb/ubjson.h"

#include <cstdint>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hone/learn/xgb/xgb_api.h"

namespace hone::learn::xgb {
namespace {

using ::testing::HasSubstr;

std::string Length(uint64_t n) {
  std::string out = "L";
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  return out;
}
std::string Key(const std::string& name) { return Length(name.size()) + name; }

// {"a": "xy", "b": [1.5f, 2.5f] as a float32 array, "c": [{}, true, int8 7]}
std::string Document() {
  return "{" + Key("a") + "S" + Length(2) + "xy" + Key("b") + "[$d#" + Length(2) +
         std::string(8, '\x3f') + Key("c") + "[#" + Length(3) + "{}TI" + std::string(2, '\0') + "}";
}

std::string SavedModel(const char* booster_kind) {
  const std::vector<float> x = {0, 1, 2, 3, 10, 11, 12, 13};
  const std::vector<float> y = {0, 1, 2, 3};
  auto train = DMatrix::FromDense(DenseView::ColumnMajor(x.data(), 4, 2), 1);
  EXPECT_TRUE(train && train->SetLabels(y));
  auto booster = Booster::ForTraining(*train);
  EXPECT_TRUE(booster);
  EXPECT_TRUE(booster->SetParam("booster", booster_kind));
  EXPECT_TRUE(booster->SetParam("nthread", "1"));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(booster->UpdateOneIter(i, *train));
  auto bytes = booster->Save("ubj");
  EXPECT_TRUE(bytes);
  return *bytes;
}

void ExpectRejected(const std::string& bytes, const std::string& why) {
  auto r = CheckUbjson(bytes);
  ASSERT_FALSE(r) << why;
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidData);
  EXPECT_THAT(r.error().message(), HasSubstr(why));
}

TEST(UbjsonTest, AcceptsWhatXgboostWrites) {
  EXPECT_TRUE(CheckUbjson(Document()));
  for (const char* kind : {"gbtree", "gblinear"}) {
    std::string model = SavedModel(kind);
    auto r = CheckUbjson(model);
    EXPECT_TRUE(r) << kind << ": " << r.error().message();
  }
}

TEST(UbjsonTest, RejectsEveryTruncation) {
  std::string model = SavedModel("gbtree");
  for (size_t n = 0; n < model.size(); ++n) {
    EXPECT_FALSE(CheckUbjson(model.substr(0, n))) << n;
  }
}

// Each of these crashed XGBoost 1.7.4 itself in a plain build when it reached its reader.
TEST(UbjsonTest, RejectsLengthsBeyondTheBytes) {
  ExpectRejected("{" + Length(uint64_t{1} << 28) + "learner}", "a length of 268435456 overruns");
  ExpectRejected("{" + Key("w") + "[$d#" + Length(uint64_t{1} << 20) + "abcd}",
                 "a length of 1048576 overruns");
  ExpectRejected("{" + Key("w") + "[$L#" + Length(2) + std::string(14, '\0') + "}", "overruns");
  ExpectRejected("{" + Key("w") + "S" + Length(~uint64_t{0}) + "}", "a length of -1 overruns");
  ExpectRejected("{" + Key("w") + "[#" + Length(uint64_t{1} << 62) + "TT}", "overruns");
}

TEST(UbjsonTest, RejectsDeepNesting) {
  std::string objects;
  for (int i = 0; i < 100; ++i) objects += Key("a") + "{";
  ExpectRejected("{" + objects, "nest too deeply");
  std::string arrays;
  for (int i = 0; i < 100; ++i) arrays += "[#" + Length(1);
  ExpectRejected("{" + Key("a") + arrays + "T}", "nest too deeply");
}

TEST(UbjsonTest, RejectsWhatXgboostDoesNotWrite) {
  ExpectRejected("", "not a UBJSON object");
  ExpectRejected("{\"learner\": {}}", "expected an object's key");
  ExpectRejected("[#" + Length(0), "not a UBJSON object");
  ExpectRejected("{}{}", "bytes follow the model");
  ExpectRejected("{" + Key("a") + "[TT]}", "an array without a count");
  ExpectRejected("{" + Key("a") + "[$S#" + Length(0) + "}", "an array of an unknown type");
  ExpectRejected("{" + Key("a") + "N}", "an unknown value type");
  ExpectRejected("{" + Key("a") + "S" + "i" + std::string(1, '\x02') + "xy}", "expected 'L'");
  ExpectRejected("{" + Key("a") + "L" + std::string(7, '\0'), "the bytes end inside a value");
}

}  // namespace
}  // namespace hone::learn::xgb
