#include "hone/registry/model_ref.h"

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hone/core/test_temp_dir.h"

namespace hone::registry {
namespace {

using Kind = ModelRef::Kind;
using ::testing::HasSubstr;

TEST(ModelRefTest, ParsesEveryRegistryForm) {
  struct Case {
    const char* text;
    Kind kind;
    const char* model;
    const char* alias;
    int64_t version;
  };
  for (const Case& c : {Case{"churn@production", Kind::kAlias, "churn", "production", 0},
                        Case{"models:/churn@canary", Kind::kAlias, "churn", "canary", 0},
                        Case{"churn/3", Kind::kVersion, "churn", "", 3},
                        Case{"models:/fraud-v2/12", Kind::kVersion, "fraud-v2", "", 12},
                        Case{"churn/latest", Kind::kLatest, "churn", "", 0},
                        Case{"models:/churn/latest", Kind::kLatest, "churn", "", 0}}) {
    auto ref = ParseModelRef(c.text);
    ASSERT_TRUE(ref) << c.text << ": " << ref.error().message();
    EXPECT_EQ(ref->kind, c.kind) << c.text;
    EXPECT_EQ(ref->model, c.model) << c.text;
    EXPECT_EQ(ref->alias, c.alias) << c.text;
    EXPECT_EQ(ref->version, c.version) << c.text;
  }
  EXPECT_EQ(ParseModelRef("models:/churn/3")->ToString(), "churn/3");
}

TEST(ModelRefTest, MalformedReferencesNameTheAcceptedForms) {
  for (const char* text :
       {"", "churn@", "@production", "churn/0", "churn/-1", "models:/churn", "models:/churn@a/b",
        "chu rn@production", "churn@prod uction", "churn/99999999999999999999999", "churn"}) {
    auto ref = ParseModelRef(text);
    ASSERT_FALSE(ref) << text;
    EXPECT_EQ(ref.error().code(), ErrorCode::kInvalidArgument) << text;
    EXPECT_THAT(ref.error().message(), HasSubstr("NAME@ALIAS")) << text;
  }
}

class ModelRefFileTest : public core::testing::TempDirTest {};

TEST_F(ModelRefFileTest, AnExistingFileIsABundlePathAndAMissingOneIsNotFound) {
  std::filesystem::path bundle = dir_ / "model.hone";
  std::ofstream(bundle) << "bytes";
  auto ref = ParseModelRef(bundle.string());
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->kind, Kind::kFile);
  EXPECT_EQ(ref->path, bundle.string());
  auto missing = ParseModelRef((dir_ / "missing.hone").string());
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  EXPECT_THAT(missing.error().message(), HasSubstr("no bundle file"));
}

}  // namespace
}  // namespace hone::registry
