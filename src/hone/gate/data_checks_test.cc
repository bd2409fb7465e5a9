#include "hone/gate/data_checks.h"

#include <cmath>
#include <cstdio>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "hone/core/csv.h"

namespace hone::gate {
namespace {

using ::testing::HasSubstr;
using Kind = DataCheck::Kind;

core::Table Csv(std::string_view text) {
  auto table = core::ParseCsv(text, "test.csv");
  EXPECT_TRUE(table) << table.error().message();
  return table ? *std::move(table) : core::Table();
}

// Ten houses: sqft has one missing value, city two, id repeats 7.
core::Table Houses() {
  return Csv(
      "id,sqft,city,rooms\n"
      "1,1200,paris,3\n"
      "2,850,lyon,2\n"
      "3,,paris,4\n"
      "4,2300,,5\n"
      "5,640,nice,1\n"
      "6,1800,paris,4\n"
      "7,990,,2\n"
      "7,1500,lyon,3\n"
      "9,3100,paris,6\n"
      "10,720,nice,2\n");
}

DataCheck Check(Kind kind, std::vector<std::string> columns = {}) {
  DataCheck c;
  c.kind = kind;
  c.columns = std::move(columns);
  return c;
}

CheckResult RunOne(const core::Table& table, const DataCheck& check,
                   const core::DataProfile* reference = nullptr) {
  std::vector<CheckResult> results = RunDataChecks(table, std::span(&check, 1), reference);
  EXPECT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].stage, "data");
  return results[0];
}

TEST(DataCheckKindTest, NamesRoundTrip) {
  for (Kind k : {Kind::kSchema, Kind::kRowCount, Kind::kNulls, Kind::kRange, Kind::kCategories,
                 Kind::kUnique, Kind::kDrift}) {
    auto parsed = ParseDataCheckKind(DataCheckKindName(k));
    ASSERT_TRUE(parsed) << DataCheckKindName(k);
    EXPECT_EQ(*parsed, k);
  }
  EXPECT_STREQ(DataCheckKindName(Kind::kRowCount), "row_count");
  auto bad = ParseDataCheckKind("nul");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(
      bad.error().message(),
      HasSubstr("'nul'; known: schema, row_count, nulls, range, categories, unique, drift"));
}

TEST(RowCountCheckTest, PassesAndFailsOnEitherBound) {
  core::Table t = Houses();
  DataCheck c = Check(Kind::kRowCount);
  c.min = 5;
  CheckResult r = RunOne(t, c);
  EXPECT_TRUE(r.passed);
  EXPECT_EQ(r.name, "row_count >= 5");
  EXPECT_EQ(r.observed, "10");
  EXPECT_EQ(r.threshold, ">= 5");
  EXPECT_EQ(r.detail["rows"], 10);

  c.min = 500;
  r = RunOne(t, c);
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.reason, "10 rows, fewer than 500");

  c.min = std::nullopt;
  c.max = 8;
  r = RunOne(t, c);
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.name, "row_count <= 8");
  EXPECT_EQ(r.reason, "10 rows, more than 8");

  c.min = 10;
  c.max = 10;
  r = RunOne(t, c);
  EXPECT_TRUE(r.passed);
  EXPECT_EQ(r.name, "row_count in [10, 10]");
}

TEST(NullsCheckTest, EveryColumnNamesEachFailingColumnWithItsFraction) {
  DataCheck c = Check(Kind::kNulls);
  c.max = 0.05;
  CheckResult r = RunOne(Houses(), c);
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.name, "nulls <= 0.05 (every column)");
  EXPECT_EQ(r.threshold, "<= 0.05");
  EXPECT_EQ(r.reason, "nulls above 0.05 in sqft (0.1), city (0.2)");
  EXPECT_EQ(r.observed, "0.2 (city)");
  EXPECT_DOUBLE_EQ(r.detail["columns"]["id"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(r.detail["columns"]["city"].get<double>(), 0.2);

  c.max = 0.2;
  r = RunOne(Houses(), c);
  EXPECT_TRUE(r.passed) << r.reason;  // 0.2 is within "<= 0.2"
  EXPECT_EQ(r.reason, "every column has at most 0.2 missing");
}

TEST(NullsCheckTest, NamedColumnsWithoutMaxAllowNone) {
  CheckResult r = RunOne(Houses(), Check(Kind::kNulls, {"id", "rooms"}));
  EXPECT_TRUE(r.passed) << r.reason;
  EXPECT_EQ(r.name, "nulls <= 0 (id, rooms)");
  r = RunOne(Houses(), Check(Kind::kNulls, {"sqft"}));
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.reason, "nulls above 0 in sqft (0.1)");
  EXPECT_EQ(r.observed, "0.1");
  EXPECT_FALSE(r.detail["columns"].contains("city"));
}

TEST(RangeCheckTest, ReportsObservedRangeAndRowsOutside) {
  DataCheck c = Check(Kind::kRange, {"sqft"});
  c.min = 100;
  c.max = 20000;
  CheckResult r = RunOne(Houses(), c);
  EXPECT_TRUE(r.passed) << r.reason;
  EXPECT_EQ(r.name, "range sqft in [100, 20000]");
  EXPECT_EQ(r.observed, "[640, 3100]");
  EXPECT_EQ(r.threshold, "in [100, 20000]");

  c.min = 700;
  c.max = 3000;
  r = RunOne(Houses(), c);
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.reason, "values outside [700, 3000] in sqft (observed [640, 3100], 2 rows)");
  EXPECT_EQ(r.detail["columns"]["sqft"]["outside"], 2);
  EXPECT_DOUBLE_EQ(r.detail["columns"]["sqft"]["min"].get<double>(), 640);
}

TEST(RangeCheckTest, BoundsHoldAtTheDataPrecision) {
  // 0.1 and 0.7 are not exact in float32; a value written as the bound is still within it.
  core::Table t = Csv("p\n0.1\n0.5\n0.7\n");
  DataCheck c = Check(Kind::kRange, {"p"});
  c.min = 0.1;
  c.max = 0.7;
  CheckResult r = RunOne(t, c);
  EXPECT_TRUE(r.passed) << r.reason;
  EXPECT_EQ(r.observed, "[0.1, 0.7]");
  c.max = std::nullopt;
  c.min = 0.2;
  r = RunOne(t, c);
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.name, "range p >= 0.2");
  EXPECT_EQ(r.reason, "values below 0.2 in p (observed [0.1, 0.7], 1 row)");
  // Bounds beyond float32's range are compared as they are.
  c.min = -1e300;
  c.max = 1e300;
  EXPECT_TRUE(RunOne(t, c).passed);
  c.min = 1e300;
  EXPECT_FALSE(RunOne(t, c).passed);
}

TEST(RangeCheckTest, CategoricalColumnFailsClearlyAndOthersStillRun) {
  DataCheck c = Check(Kind::kRange, {"city", "rooms"});
  c.min = 1;
  c.max = 5;
  CheckResult r = RunOne(Houses(), c);
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.reason,
            "'city' is not numeric; values outside [1, 5] in rooms (observed [1, 6], 1 row)");
  EXPECT_EQ(r.observed, "rooms [1, 6]");
}

TEST(RangeCheckTest, EmptyColumnsMeansEveryNumericColumn) {
  DataCheck c = Check(Kind::kRange);
  c.min = 0;
  CheckResult r = RunOne(Houses(), c);
  EXPECT_TRUE(r.passed) << r.reason;
  EXPECT_EQ(r.name, "range >= 0 (every numeric column)");
  EXPECT_EQ(r.observed, "id [1, 10], sqft [640, 3100], rooms [1, 6]");
  EXPECT_FALSE(r.detail["columns"].contains("city"));
}

TEST(CategoriesCheckTest, PassesWhenEveryValueIsAllowed) {
  DataCheck c = Check(Kind::kCategories, {"city"});
  c.allowed = {"paris", "lyon", "nice", "lille"};
  CheckResult r = RunOne(Houses(), c);
  EXPECT_TRUE(r.passed) << r.reason;  // missing values are not compared
  EXPECT_EQ(r.name, "categories city");
  EXPECT_EQ(r.observed, "0");
  EXPECT_EQ(r.threshold, "0 rows outside {'paris', 'lyon', 'nice', 'lille'}");
}

TEST(CategoriesCheckTest, ListsFiveUnexpectedValuesWithCountsAndTheRows) {
  core::Table t = Csv("c\na\nb\nb\nc\nc\nc\nd\ne\nf\ng\nok\n");
  DataCheck c = Check(Kind::kCategories, {"c"});
  c.allowed = {"ok"};
  CheckResult r = RunOne(t, c);
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.reason,
            "c has 10 rows with values not allowed: 'c' (3), 'b' (2), 'a' (1), 'd' (1), 'e' (1) "
            "and 2 more");
  EXPECT_EQ(r.observed, "10");
  EXPECT_EQ(r.detail["columns"]["c"]["unexpected_rows"], 10);
  EXPECT_EQ(r.detail["columns"]["c"]["unexpected"]["g"], 1);
}

TEST(CategoriesCheckTest, NumericColumnComparesCellText) {
  DataCheck c = Check(Kind::kCategories, {"rooms"});
  c.allowed = {"1", "2", "3", "4", "5"};
  CheckResult r = RunOne(Houses(), c);
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.reason, "rooms has 1 row with values not allowed: '6' (1)");
  c.allowed.push_back("6");
  EXPECT_TRUE(RunOne(Houses(), c).passed);
}

TEST(UniqueCheckTest, CountsRowsWithARepeatedValueAndGivesAnExample) {
  CheckResult r = RunOne(Houses(), Check(Kind::kUnique, {"id"}));
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.name, "unique id");
  EXPECT_EQ(r.reason, "id has 2 rows with a repeated value (e.g. '7' appears 2 times)");
  EXPECT_EQ(r.observed, "2");
  EXPECT_EQ(r.detail["columns"]["id"]["example"], "7");

  r = RunOne(Houses(), Check(Kind::kUnique, {"sqft"}));
  EXPECT_TRUE(r.passed) << r.reason;
  EXPECT_EQ(r.reason, "no value repeats");
  // Missing values are not compared: two missing cells are not a repeat.
  r = RunOne(Csv("c\nx\nNA\ny\nNA\n"), Check(Kind::kUnique, {"c"}));
  EXPECT_TRUE(r.passed) << r.reason;
}

TEST(UniqueCheckTest, CategoricalExampleIsTheFirstRepeatedValue) {
  CheckResult r = RunOne(Houses(), Check(Kind::kUnique, {"city"}));
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.reason, "city has 8 rows with a repeated value (e.g. 'paris' appears 4 times)");
}

TEST(DataChecksTest, NoColumnsForCategoriesOrUniqueFails) {
  CheckResult r = RunOne(Houses(), Check(Kind::kUnique));
  EXPECT_FALSE(r.passed);
  EXPECT_THAT(r.reason, HasSubstr("names no column"));
}

TEST(SchemaCheckTest, WithoutReferencePasses) {
  CheckResult r = RunOne(Houses(), Check(Kind::kSchema));
  EXPECT_TRUE(r.passed);
  EXPECT_EQ(r.name, "schema matches production");
  EXPECT_EQ(r.reason, "no production version to compare with");
}

TEST(SchemaCheckTest, SameColumnsPass) {
  core::DataProfile reference = core::ProfileTable(Houses());
  CheckResult r = RunOne(Houses(), Check(Kind::kSchema), &reference);
  EXPECT_TRUE(r.passed) << r.reason;
  EXPECT_EQ(r.reason, "4 columns match production in name and type");
  EXPECT_EQ(r.observed, "");
}

TEST(SchemaCheckTest, ReportsMissingNewAndChangedColumnsTogether) {
  core::DataProfile reference = core::ProfileTable(Houses());
  // rooms is gone, garden is new, sqft became text and city became numbers.
  core::Table t = Csv("id,sqft,city,garden\n1,big,75001,yes\n2,small,69001,no\n");
  CheckResult r = RunOne(t, Check(Kind::kSchema), &reference);
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.reason,
            "missing columns: rooms (the data has: id, sqft, city, garden); new columns: garden; "
            "type changed: sqft (numeric in production, categorical now), city (categorical in "
            "production, numeric now)");
  EXPECT_EQ(r.detail["missing"], nlohmann::json({"rooms"}));
  EXPECT_EQ(r.detail["new"], nlohmann::json({"garden"}));
  EXPECT_EQ(r.detail["changed"].size(), 2u);
  EXPECT_EQ(r.detail["changed"][0]["production"], "numeric");

  // Only the named columns are compared.
  r = RunOne(t, Check(Kind::kSchema, {"id", "garden"}), &reference);
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.name, "schema matches production (id, garden)");
  EXPECT_EQ(r.reason, "new columns: garden");
  r = RunOne(t, Check(Kind::kSchema, {"id"}), &reference);
  EXPECT_TRUE(r.passed) << r.reason;
}

// The numeric fixture of PopulationStabilityIndexTest, and the script behind its expected value.
//   import numpy as np
//   bins = lambda edges, v: np.searchsorted(edges, v, side="left")  # edges[i-1] < v <= edges[i]
//   psi = lambda e, a: np.sum((np.maximum(a, 1e-4) - np.maximum(e, 1e-4))
//                             * np.log(np.maximum(a, 1e-4) / np.maximum(e, 1e-4)))
//   ref = np.arange(1, 101, dtype=np.float64)          # and 4 missing
//   edges = np.quantile(ref, np.arange(1, 20) / 20)    # 5.95, 10.9, ..., 95.05
//   e = np.append(np.bincount(bins(edges, ref), minlength=20), 4) / 104
//   act = np.array([np.float32("%.1f" % (i * 1.7)) for i in range(50)] + [150.0] * 5,
//                  dtype=np.float64)                   # and 5 missing
//   a = np.append(np.bincount(bins(edges, act), minlength=20), 5) / 60
//   print("%.17g" % psi(e, a))                         # 0.66457174393329843
std::string ReferenceNumbers() {
  std::string csv = "x\n";
  for (int i = 1; i <= 100; ++i) csv += std::to_string(i) + "\n";
  for (int i = 0; i < 4; ++i) csv += "NA\n";
  return csv;
}

std::string ShiftedNumbers() {
  std::string csv = "x\n";
  for (int i = 0; i < 50; ++i) {
    char cell[16];
    std::snprintf(cell, sizeof(cell), "%.1f\n", i * 1.7);
    csv += cell;
  }
  for (int i = 0; i < 5; ++i) csv += "150\n";
  for (int i = 0; i < 5; ++i) csv += "NA\n";
  return csv;
}

TEST(PopulationStabilityIndexTest, NumericMatchesNumpy) {
  core::DataProfile reference = core::ProfileTable(Csv(ReferenceNumbers()));
  ASSERT_EQ(reference.columns[0].missing, 4u);
  core::Table data = Csv(ShiftedNumbers());
  ASSERT_EQ(data.num_rows(), 60u);
  EXPECT_NEAR(PopulationStabilityIndex(data.column(0), reference.columns[0]), 0.66457174393329843,
              1e-12);
  // The same data against itself has no drift.
  core::Table same = Csv(ReferenceNumbers());
  EXPECT_NEAR(PopulationStabilityIndex(same.column(0), reference.columns[0]), 0.0, 1e-15);
}

TEST(PopulationStabilityIndexTest, CategoricalMatchesHandComputation) {
  // Bins a, b, c, other, missing. Reference shares 0.5, 0.3, 0.15, 0 -> 1e-4, 0.05; data shares
  // 0.4, 0.4, 0 -> 1e-4, 0.16 ("d" is other), 0.04. With numpy:
  //   e = np.maximum(np.array([50, 30, 15, 0, 5]) / 100, 1e-4)
  //   a = np.maximum(np.array([20, 20, 0, 8, 2]) / 50, 1e-4)
  //   np.sum((a - e) * np.log(a / e))  # 2.3292693833402147
  std::string ref_csv = "c\n", data_csv = "c\n";
  auto add = [](std::string& csv, const char* value, int n) {
    for (int i = 0; i < n; ++i) csv += std::string(value) + "\n";
  };
  add(ref_csv, "a", 50);
  add(ref_csv, "b", 30);
  add(ref_csv, "c", 15);
  add(ref_csv, "NA", 5);
  add(data_csv, "d", 8);
  add(data_csv, "b", 20);
  add(data_csv, "NA", 2);
  add(data_csv, "a", 20);
  core::DataProfile reference = core::ProfileTable(Csv(ref_csv));
  core::Table data = Csv(data_csv);
  EXPECT_NEAR(PopulationStabilityIndex(data.column(0), reference.columns[0]), 2.3292693833402147,
              1e-12);
}

TEST(DriftCheckTest, FailsAboveTheDefaultAlertAndListsPerColumnPsi) {
  core::DataProfile reference = core::ProfileTable(Csv(ReferenceNumbers()));
  CheckResult r = RunOne(Csv(ShiftedNumbers()), Check(Kind::kDrift), &reference);
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.name, "drift psi <= 0.25 (every column)");
  EXPECT_EQ(r.threshold, "<= 0.25");
  EXPECT_EQ(r.reason, "psi above 0.25 in x (0.6646)");
  EXPECT_EQ(r.observed, "0.6646");
  EXPECT_NEAR(r.detail["columns"]["x"].get<double>(), 0.66457174393329843, 1e-12);

  DataCheck loose = Check(Kind::kDrift, {"x"});
  loose.max = 1;
  r = RunOne(Csv(ShiftedNumbers()), loose, &reference);
  EXPECT_TRUE(r.passed) << r.reason;
  EXPECT_EQ(r.name, "drift psi <= 1 (x)");
  EXPECT_EQ(r.reason, "no column drifted (largest psi 0.6646 in x)");
}

TEST(DriftCheckTest, WithoutReferencePasses) {
  CheckResult r = RunOne(Houses(), Check(Kind::kDrift));
  EXPECT_TRUE(r.passed);
  EXPECT_EQ(r.reason, "no production version to compare with");
}

TEST(DriftCheckTest, SkipsTypeChangesEmptyReferencesAndNewColumnsWithANote) {
  core::DataProfile reference = core::ProfileTable(Csv("a,b,c,d\n1,x,NA,5\n2,y,NA,6\n"));
  ASSERT_EQ(reference.columns[2].count, 0u);
  reference.columns[2].missing = 0;  // c: a reference column with no rows at all
  core::Table t = Csv("a,b,c,d,e\nx,1,3,5,9\ny,2,4,6,9\n");
  CheckResult r = RunOne(t, Check(Kind::kDrift), &reference);
  EXPECT_TRUE(r.passed) << r.reason;
  EXPECT_EQ(r.detail["skipped"]["a"],
            "numeric in production, categorical now (see the schema check)");
  EXPECT_EQ(r.detail["skipped"]["b"],
            "categorical in production, numeric now (see the schema check)");
  EXPECT_EQ(r.detail["skipped"]["c"], "no rows in the production profile");
  EXPECT_FALSE(r.detail["skipped"].contains("e"));  // only shared columns, unless named
  EXPECT_EQ(r.detail["columns"].size(), 1u);
  EXPECT_NEAR(r.detail["columns"]["d"].get<double>(), 0.0, 1e-15);
  EXPECT_EQ(r.reason, "no column drifted (largest psi 0 in d)");

  r = RunOne(t, Check(Kind::kDrift, {"e"}), &reference);
  EXPECT_TRUE(r.passed) << r.reason;
  EXPECT_EQ(r.detail["skipped"]["e"], "not in the production profile");
  EXPECT_EQ(r.reason, "no column compared");
}

TEST(DataChecksTest, AbsentColumnFailsNamingItAndTheTableColumns) {
  DataCheck c = Check(Kind::kNulls, {"sqft", "garden"});
  c.max = 0.5;
  CheckResult r = RunOne(Houses(), c);
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.reason, "no column 'garden' in the data (columns: id, sqft, city, rooms)");
  EXPECT_EQ(r.detail["absent_columns"], nlohmann::json({"garden"}));
  EXPECT_DOUBLE_EQ(r.detail["columns"]["sqft"].get<double>(), 0.1);

  for (Kind k : {Kind::kRange, Kind::kCategories, Kind::kUnique, Kind::kDrift, Kind::kSchema}) {
    r = RunOne(Houses(), Check(k, {"garden"}));
    EXPECT_FALSE(r.passed) << DataCheckKindName(k);
    EXPECT_THAT(r.reason, HasSubstr("no column 'garden' in the data (columns: id, sqft, city"))
        << DataCheckKindName(k);
  }
}

TEST(DataChecksTest, EveryCheckRunsAndEveryFailureIsReported) {
  core::DataProfile reference = core::ProfileTable(Csv(ReferenceNumbers()));
  std::vector<DataCheck> checks;
  checks.push_back(Check(Kind::kRowCount));
  checks.back().min = 100;
  checks.push_back(Check(Kind::kNulls));
  checks.push_back(Check(Kind::kUnique, {"x"}));
  checks.push_back(Check(Kind::kRange, {"x"}));
  checks.back().max = 100;
  checks.push_back(Check(Kind::kDrift));
  checks.push_back(Check(Kind::kSchema));
  std::vector<CheckResult> results = RunDataChecks(Csv(ShiftedNumbers()), checks, &reference);
  ASSERT_EQ(results.size(), 6u);
  EXPECT_EQ(results[0].reason, "60 rows, fewer than 100");
  EXPECT_EQ(results[1].reason, "nulls above 0 in x (0.08333)");
  EXPECT_THAT(results[2].reason, HasSubstr("x has 5 rows with a repeated value (e.g. '150'"));
  EXPECT_THAT(results[3].reason, HasSubstr("observed [0, 150], 5 rows"));
  EXPECT_THAT(results[4].reason, HasSubstr("psi above 0.25 in x"));
  EXPECT_TRUE(results[5].passed) << results[5].reason;
  for (size_t i = 0; i < 5; ++i) EXPECT_FALSE(results[i].passed) << results[i].name;
  EXPECT_FALSE(Decide(results).blessed);
}

TEST(DataChecksTest, SeverityAndWhereAreCopied) {
  DataCheck c = Check(Kind::kRowCount);
  c.min = 500;
  c.severity = Severity::kWarn;
  c.where = "hone.yaml:14";
  std::vector<CheckResult> results = RunDataChecks(Houses(), std::span(&c, 1), nullptr);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_FALSE(results[0].passed);
  EXPECT_EQ(results[0].severity, Severity::kWarn);
  EXPECT_EQ(results[0].detail["where"], "hone.yaml:14");
  // A failed warning does not stop the candidate.
  EXPECT_TRUE(Decide(results).blessed);

  c.where.clear();
  EXPECT_FALSE(RunOne(Houses(), c).detail.contains("where"));
}

TEST(DataChecksTest, EmptyTable) {
  std::vector<core::Column> cols;
  cols.push_back(core::Column::Numeric("x", {}));
  cols.push_back(core::Column::Categorical("c", {}, {}));
  core::Table empty = *core::Table::Create(std::move(cols));
  ASSERT_EQ(empty.num_rows(), 0u);
  DataCheck rows = Check(Kind::kRowCount);
  rows.min = 1;
  EXPECT_EQ(RunOne(empty, rows).reason, "0 rows, fewer than 1");
  CheckResult r = RunOne(empty, Check(Kind::kNulls));
  EXPECT_TRUE(r.passed) << r.reason;
  DataCheck range = Check(Kind::kRange, {"x"});
  range.min = 0;
  r = RunOne(empty, range);
  EXPECT_TRUE(r.passed) << r.reason;
  EXPECT_EQ(r.observed, "no values");
  EXPECT_TRUE(RunOne(empty, Check(Kind::kUnique, {"x", "c"})).passed);
  DataCheck cats = Check(Kind::kCategories, {"c"});
  EXPECT_TRUE(RunOne(empty, cats).passed);

  core::DataProfile reference = core::ProfileTable(Csv("x,c\n1,a\n2,b\n"));
  r = RunOne(empty, Check(Kind::kDrift), &reference);
  EXPECT_TRUE(r.passed) << r.reason;
  EXPECT_EQ(r.reason, "no column compared");
  EXPECT_EQ(r.detail["skipped"]["x"], "the data has no rows");
  EXPECT_EQ(PopulationStabilityIndex(empty.column(1), reference.columns[1]), 0.0);
}

TEST(DataChecksTest, AllMissingColumn) {
  core::Table t = Csv("x,y\nNA,1\nNA,2\nNA,3\nNA,4\n");
  DataCheck nulls = Check(Kind::kNulls);
  nulls.max = 0.5;
  CheckResult r = RunOne(t, nulls);
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.reason, "nulls above 0.5 in x (1)");
  DataCheck range = Check(Kind::kRange, {"x"});
  range.max = 0;
  r = RunOne(t, range);
  EXPECT_TRUE(r.passed) << r.reason;
  EXPECT_EQ(r.observed, "no values");
  EXPECT_TRUE(RunOne(t, Check(Kind::kUnique, {"x"})).passed);

  // Against a reference where x was always 5 (one value bin, no missing), every row moves from
  // the value bin to the missing bin: (1e-4 - 1) * ln(1e-4 / 1) + (1 - 1e-4) * ln(1 / 1e-4)
  // = 2 * 0.9999 * ln(1e4); numpy: 2 * 0.9999 * np.log(1e4) = 18.418838675877971.
  core::DataProfile reference = core::ProfileTable(Csv("x,y\n5,1\n5,2\n5,3\n5,4\n"));
  ASSERT_TRUE(reference.columns[0].numeric.edges.empty());
  r = RunOne(t, Check(Kind::kDrift, {"x"}), &reference);
  EXPECT_FALSE(r.passed);
  EXPECT_NEAR(r.detail["columns"]["x"].get<double>(), 18.418838675877971, 1e-12);
}

}  // namespace
}  // namespace hone::gate
