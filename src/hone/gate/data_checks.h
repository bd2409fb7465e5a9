// Data checks (TFDV / Great Expectations vocabulary) run on a snapshot before training: schema
// against the production version's reference profile, row count, null fraction, value ranges,
// allowed categories, uniqueness, and drift of each feature against the reference profile.
// Every check runs and reports; none stops the others.
//
// Each check gives one CheckResult (stage "data"); a check over several columns gives one result
// whose detail["columns"] holds the per-column figures and whose reason names every failing
// column with its value ("nulls above 0.05 in sqft (0.12), city (0.3)"). Failures of one check
// are joined with "; ". detail["where"] is the check's `where` when it has one.
#ifndef HONE_GATE_DATA_CHECKS_H_
#define HONE_GATE_DATA_CHECKS_H_

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hone/core/profile.h"
#include "hone/core/table.h"
#include "hone/gate/verdict.h"

namespace hone::gate {

struct DataCheck {
  enum class Kind {
    // Columns and types (numeric / categorical) match the reference profile; missing, new and
    // retyped columns are all named. detail: "missing", "new", "changed".
    kSchema,
    // min <= rows <= max (either bound may be absent; with neither the check passes).
    kRowCount,
    // Missing fraction <= max (0 when max is unset), per column. An empty table has none.
    kNulls,
    // min <= value <= max for every non-missing value, per numeric column (empty `columns`: every
    // numeric column); a named categorical column fails as "not numeric". Bounds are compared at
    // the data's float32 precision, so a value written as the bound ("0.1") is within it.
    // observed: the observed [min, max]; detail: per column min, max and rows outside.
    kRange,
    // Every non-missing value, as Column::CellText shows it, is in `allowed`, per column
    // (`columns` is required). The reason lists up to 5 unexpected values with their counts.
    kCategories,
    // No non-missing value repeats, per column (`columns` is required). Counted as Great
    // Expectations does: every row holding a value that occurs more than once; the reason gives
    // the first such value in row order as the example.
    kUnique,
    // Population stability index against the reference profile <= max (kPsiAlert when unset),
    // per column present in both (empty `columns`: every shared column). A column the reference
    // lacks, one whose type changed (the schema check reports it), one the reference saw no rows
    // of, or an empty table is skipped with a note in detail["skipped"]; detail["columns"] has
    // each compared column's PSI.
    kDrift,
  };
  Kind kind = Kind::kRowCount;
  Severity severity = Severity::kError;
  /// Columns the check covers; empty means every column it applies to (nulls, schema; drift:
  /// every column the reference has too; range: every numeric column).
  std::vector<std::string> columns;
  /// kRowCount: rows; kRange: values; kNulls: the fraction (max only); kDrift: PSI (max only).
  std::optional<double> min;
  std::optional<double> max;
  /// kCategories: the allowed values.
  std::vector<std::string> allowed;
  /// Where the check is written in hone.yaml ("hone.yaml:14"), for reports; may be empty.
  std::string where;
};

/// The check kind's name in hone.yaml: "schema", "row_count", "nulls", "range", "categories",
/// "unique", "drift".
const char* DataCheckKindName(DataCheck::Kind kind);
/// The kind called `name`; the error lists the known names.
Result<DataCheck::Kind> ParseDataCheckKind(std::string_view name);

/// The default PSI bounds: 0.1 is worth a look, 0.25 is a shift.
inline constexpr double kPsiWarn = 0.1;
inline constexpr double kPsiAlert = 0.25;

/// Population stability index of `column` against its reference profile, on the reference's
/// bins: numeric, the histogram's bins (bin i holds edges[i-1] < v <= edges[i]; a reference
/// without values has one bin for every value); categorical, each of categorical.top and then
/// "other" for every other category; plus one bin of missing values. With
///   e_i = reference count in bin i / (reference.count + reference.missing),
///   a_i = column's rows in bin i / column.size(),
/// both floored at 1e-4 (an empty bin would make the log infinite),
///   PSI = sum_i (a_i - e_i) * ln(a_i / e_i).
/// 0 when the column or the reference has no rows. The column's type must be the reference's
/// (checked: callers compare types first, as RunDataChecks does).
double PopulationStabilityIndex(const core::Column& column, const core::ColumnProfile& reference);

/// Runs every check on `table`. `reference` is the profile kept in the production version's
/// bundle (features and target); without one, schema and drift checks pass with the reason
/// "no production version to compare with". A column named by a check that `table` lacks
/// fails that check, naming the column and the table's columns (the schema check, given a
/// reference, reports a named reference column the table lacks as a missing column). A
/// categories or unique check naming no column fails, asking for one. Returns one result per
/// check, in order; `severity` is copied from each check.
std::vector<CheckResult> RunDataChecks(const core::Table& table, std::span<const DataCheck> checks,
                                       const core::DataProfile* reference);

}  // namespace hone::gate

#endif  // HONE_GATE_DATA_CHECKS_H_
