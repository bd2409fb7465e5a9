#include "hone/learn/params.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace hone::learn {
namespace {

using ::testing::HasSubstr;

ParamTable MakeTable() {
  return ParamTable("toy", {
                               {.name = "n_estimators",
                                .type = ParamType::kInt,
                                .default_value = "100",
                                .min = 1,
                                .max = 10000,
                                .doc = "trees"},
                               {.name = "learning_rate",
                                .type = ParamType::kFloat,
                                .default_value = "0.3",
                                .min = 0,
                                .max = 1,
                                .min_exclusive = true,
                                .doc = "shrinkage"},
                               {.name = "bootstrap",
                                .type = ParamType::kBool,
                                .default_value = "true",
                                .doc = "resample"},
                               {.name = "updater",
                                .type = ParamType::kChoice,
                                .default_value = "shotgun",
                                .choices = {"shotgun", "coord_descent"},
                                .doc = "solver"},
                           });
}

TEST(ParamsTest, DefaultsAndOverrides) {
  auto values = MakeTable().Resolve({{"n_estimators", "7"}, {"bootstrap", "false"}});
  ASSERT_TRUE(values) << values.error().message();
  EXPECT_EQ(values->Int("n_estimators"), 7);
  EXPECT_DOUBLE_EQ(values->Float("learning_rate"), 0.3);
  EXPECT_FALSE(values->Bool("bootstrap"));
  EXPECT_EQ(values->Text("updater"), "shotgun");
}

TEST(ParamsTest, UnknownNameListsValidOnes) {
  auto r = MakeTable().Resolve({{"n_trees", "5"}});
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message(), HasSubstr("unknown parameter 'n_trees'"));
  EXPECT_THAT(r.error().message(),
              HasSubstr("valid: n_estimators, learning_rate, bootstrap, updater"));
}

TEST(ParamsTest, OutOfRangeAndBadTypes) {
  auto t = MakeTable();
  auto r = t.Resolve({{"n_estimators", "0"}});
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message(), HasSubstr("outside [1, 10000]"));
  r = t.Resolve({{"learning_rate", "0"}});
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message(), HasSubstr("outside (0, 1]"));
  EXPECT_FALSE(t.Resolve({{"n_estimators", "1.5"}}));
  EXPECT_FALSE(t.Resolve({{"learning_rate", "fast"}}));
  EXPECT_FALSE(t.Resolve({{"learning_rate", "nan"}}));
  EXPECT_FALSE(t.Resolve({{"bootstrap", "maybe"}}));
  r = t.Resolve({{"updater", "sgd"}});
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message(), HasSubstr("shotgun, coord_descent"));
}

TEST(ParamsTest, AssignmentParsing) {
  auto kv = ParseParamAssignment("max_depth=6");
  ASSERT_TRUE(kv);
  EXPECT_EQ(kv->first, "max_depth");
  EXPECT_EQ(kv->second, "6");
  EXPECT_FALSE(ParseParamAssignment("max_depth"));
  EXPECT_FALSE(ParseParamAssignment("=6"));
}

TEST(ParamsTest, JsonRoundTrip) {
  auto t = MakeTable();
  auto values = t.Resolve({{"learning_rate", "0.125"}});
  ASSERT_TRUE(values);
  auto back = t.FromJson(values->ToJson());
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->ToJson(), values->ToJson());
  auto json = values->ToJson();
  json.erase("bootstrap");
  EXPECT_FALSE(t.FromJson(json));
}

TEST(ParamsTest, DescribeListsEveryParameter) {
  std::string text = MakeTable().Describe();
  for (const char* name : {"n_estimators", "learning_rate", "bootstrap", "updater", "shrinkage"}) {
    EXPECT_THAT(text, HasSubstr(name));
  }
  EXPECT_THAT(text, HasSubstr("default 100"));
}

}  // namespace
}  // namespace hone::learn
