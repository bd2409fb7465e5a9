#include "hone/core/schema.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace hone::core {
namespace {

TEST(SchemaTest, RejectsDuplicateAndEmptyNames) {
  EXPECT_FALSE(Schema::Create({{"a", ColumnType::kNumeric}, {"a", ColumnType::kNumeric}}));
  EXPECT_FALSE(Schema::Create({{"", ColumnType::kNumeric}}));
}

TEST(SchemaTest, JsonRoundTrip) {
  auto s = Schema::Create({{"x", ColumnType::kNumeric}, {"c", ColumnType::kCategorical}});
  ASSERT_TRUE(s);
  auto back = Schema::FromJson(s->ToJson());
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, *s);
  EXPECT_EQ(back->Find("c"), 1u);
  EXPECT_EQ(back->Find("z"), std::nullopt);
}

TEST(SchemaTest, BadJsonNamesTheEntry) {
  auto r = Schema::FromJson(nlohmann::json::parse(R"([{"name":"x","type":"text"}])"));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("schema entry 0"), std::string::npos);
  EXPECT_NE(r.error().message().find("known: numeric, categorical"), std::string::npos);
}

}  // namespace
}  // namespace hone::core
