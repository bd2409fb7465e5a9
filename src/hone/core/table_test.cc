#include "hone/core/table.h"

#include <cmath>

#include <gtest/gtest.h>

namespace hone::core {
namespace {

TEST(TableTest, CreateChecksLengthsAndNames) {
  std::vector<Column> ragged;
  ragged.push_back(Column::Numeric("a", {1, 2}));
  ragged.push_back(Column::Numeric("b", {1}));
  auto r = Table::Create(std::move(ragged));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("'b'"), std::string::npos);

  std::vector<Column> dup;
  dup.push_back(Column::Numeric("a", {1}));
  dup.push_back(Column::Numeric("a", {1}));
  EXPECT_FALSE(Table::Create(std::move(dup)));
}

TEST(TableTest, TakeAndDrop) {
  std::vector<Column> cols;
  cols.push_back(Column::Numeric("x", {10, NAN, 30}));
  cols.push_back(Column::Categorical("c", {0, kMissingCode, 1}, {"u", "v"}));
  Table t = *Table::Create(std::move(cols));
  EXPECT_EQ(t.column(0).CountMissing(), 1u);
  EXPECT_EQ(t.column(1).CellText(2), "v");
  EXPECT_EQ(t.column(1).CellText(1), "");
  EXPECT_EQ(t.column(0).CellText(0), "10");

  std::vector<uint32_t> rows = {2, 0};
  Table s = t.Take(rows);
  ASSERT_EQ(s.num_rows(), 2u);
  EXPECT_EQ(s.column(0).values()[0], 30);
  EXPECT_EQ(s.column(1).CellText(1), "u");

  Table d = t.Drop("x");
  EXPECT_EQ(d.num_columns(), 1u);
  EXPECT_EQ(d.FindColumn("c"), 0u);
  EXPECT_EQ(d.FindColumn("x"), std::nullopt);
  EXPECT_EQ(d.schema().fields()[0].type, ColumnType::kCategorical);
}

}  // namespace
}  // namespace hone::core
