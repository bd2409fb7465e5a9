#include "hone/learn/features.h"

#include <cmath>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace hone::learn {
namespace {

using core::Column;
using core::kMissingCode;
using core::Table;
using ::testing::HasSubstr;

Table TrainingTable() {
  std::vector<Column> cols;
  cols.push_back(Column::Numeric("x", {1.5f, NAN, 3.0f}));
  cols.push_back(Column::Categorical("city", {0, 1, kMissingCode}, {"rome", "oslo"}));
  return *Table::Create(std::move(cols));
}

TEST(FeatureSchemaTest, FromTableSortsCategories) {
  FeatureSchema s = FeatureSchema::FromTable(TrainingTable());
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s.features()[1].categories, (std::vector<std::string>{"oslo", "rome"}));
}

TEST(FeatureSchemaTest, EncodeMapsByNameAndText) {
  FeatureSchema s = FeatureSchema::FromTable(TrainingTable());
  // Different column order, a different dictionary, an unseen category and an extra column.
  std::vector<Column> cols;
  cols.push_back(Column::Categorical("city", {0, 1, 2}, {"oslo", "paris", "rome"}));
  cols.push_back(Column::Numeric("extra", {0, 0, 0}));
  cols.push_back(Column::Numeric("x", {9, 8, NAN}));
  auto m = s.Encode(*Table::Create(std::move(cols)));
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->num_features(), 2u);
  EXPECT_EQ(m->at(0, 0), 9);
  EXPECT_TRUE(std::isnan(m->at(2, 0)));
  EXPECT_EQ(m->at(0, 1), 0);             // oslo
  EXPECT_TRUE(std::isnan(m->at(1, 1)));  // paris: unseen → missing
  EXPECT_EQ(m->at(2, 1), 1);             // rome
  std::vector<float> row(2);
  m->CopyRow(2, row);
  EXPECT_EQ(row[1], 1);
}

TEST(FeatureSchemaTest, EncodeNamesMissingAndMistypedColumns) {
  FeatureSchema s = FeatureSchema::FromTable(TrainingTable());
  auto r = s.Encode(*Table::Create({Column::Numeric("y", {1})}));
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message(), HasSubstr("'x', 'city'"));

  std::vector<Column> cols;
  cols.push_back(Column::Categorical("x", {kMissingCode, 0}, {"abc"}));
  cols.push_back(Column::Categorical("city", {0, 0}, {"rome"}));
  r = s.Encode(*Table::Create(std::move(cols)));
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message(), HasSubstr("'x' must be numeric"));
  EXPECT_THAT(r.error().message(), HasSubstr("'abc' in data row 2"));
}

TEST(FeatureSchemaTest, CategoricalReadAsNumbersIsLookedUpByText) {
  FeatureSchema s({{"zip", core::ColumnType::kCategorical, {"10", "20"}}});
  auto m = s.Encode(*Table::Create({Column::Numeric("zip", {20, 30, NAN})}));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->at(0, 0), 1);
  EXPECT_TRUE(std::isnan(m->at(1, 0)));
  EXPECT_TRUE(std::isnan(m->at(2, 0)));
}

TEST(FeatureSchemaTest, JsonRoundTripAndValidation) {
  FeatureSchema s = FeatureSchema::FromTable(TrainingTable());
  auto back = FeatureSchema::FromJson(s.ToJson());
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, s);
  EXPECT_EQ(back->EncodeCategory(1, "rome"), 1);

  auto dup =
      nlohmann::json::parse(R"([{"name":"a","type":"numeric"},{"name":"a","type":"numeric"}])");
  EXPECT_FALSE(FeatureSchema::FromJson(dup));
  auto repeat =
      nlohmann::json::parse(R"([{"name":"a","type":"categorical","categories":["u","u"]}])");
  EXPECT_FALSE(FeatureSchema::FromJson(repeat));
  auto no_cats = nlohmann::json::parse(R"([{"name":"a","type":"categorical"}])");
  EXPECT_FALSE(FeatureSchema::FromJson(no_cats));
}

TEST(FeatureMatrixTest, Take) {
  FeatureMatrix m(3, 2);
  for (size_t i = 0; i < 3; ++i) {
    m.mutable_column(0)[i] = static_cast<float>(i);
    m.mutable_column(1)[i] = static_cast<float>(10 * i);
  }
  std::vector<uint32_t> rows = {2, 2, 0};
  FeatureMatrix t = m.Take(rows);
  EXPECT_EQ(t.num_rows(), 3u);
  EXPECT_EQ(t.at(0, 1), 20);
  EXPECT_EQ(t.at(2, 0), 0);
}

}  // namespace
}  // namespace hone::learn
