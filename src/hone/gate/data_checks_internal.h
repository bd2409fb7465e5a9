// What the data checks share across their files (data_checks.cc, drift.cc, schema_check.cc).
// Internal to gate/: nothing outside it includes this header.
#ifndef HONE_GATE_DATA_CHECKS_INTERNAL_H_
#define HONE_GATE_DATA_CHECKS_INTERNAL_H_

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hone/core/profile.h"
#include "hone/core/table.h"
#include "hone/gate/data_checks.h"
#include "hone/gate/verdict.h"

namespace hone::gate {

// ---- Internal to gate/ (data_checks.cc, schema_check.cc, drift.cc only) --------------------
// What data_checks.cc (the check kinds, the simple checks, RunDataChecks) shares with
// schema_check.cc (kSchema) and drift.cc (kDrift). Not part of hone's API.
namespace data_checks_internal {

/// How many of the table's columns a reason names when a named column is absent.
inline constexpr size_t kListedColumns = 30;

/// A bound as the user wrote it: the shortest text that reads back to the same double.
std::string Bound(double value);
/// A computed figure (a fraction, a PSI), to four significant digits.
std::string Figure(double value);
std::string Join(const std::vector<std::string>& parts, std::string_view separator = ", ");
/// At most `limit` of `names`, then "and N more".
std::string JoinSome(const std::vector<std::string>& names, size_t limit);
/// core::ColumnTypeName as a std::string, to build sentences with.
std::string TypeName(core::ColumnType type);
/// The profile of the column called `name`, or null when `profile` has none.
const core::ColumnProfile* FindProfile(const core::DataProfile& profile, std::string_view name);

/// The columns a per-column check covers: the named ones the table has, and the named ones it
/// lacks; with no names, every column `applies` accepts.
struct Targets {
  std::vector<const core::Column*> columns;
  std::vector<std::string> absent;
};

template <typename Applies>
Targets Resolve(const core::Table& table, const DataCheck& check, Applies applies) {
  Targets t;
  if (check.columns.empty()) {
    for (const core::Column& c : table.columns()) {
      if (applies(c)) t.columns.push_back(&c);
    }
    return t;
  }
  for (const std::string& name : check.columns) {
    if (auto i = table.FindColumn(name)) {
      t.columns.push_back(&table.column(*i));
    } else {
      t.absent.push_back(name);
    }
  }
  return t;
}

/// Resolve with every column applying.
Targets Resolve(const core::Table& table, const DataCheck& check);

/// "no column 'sku' in the data (columns: id, price)", and detail["absent_columns"] in
/// `result`; empty when nothing is absent.
std::vector<std::string> AbsentReasons(const core::Table& table,
                                       const std::vector<std::string>& absent, CheckResult& result);
/// "(every column)" or "(sqft, lot)".
std::string CoverText(const DataCheck& check, std::string_view every);
/// A result of stage "data" named `name`, with the check's severity and where.
CheckResult Start(const DataCheck& check, std::string name);
/// Passed with `pass_reason` when there are no failures, else failed with them joined by "; ".
void Finish(CheckResult& r, const std::vector<std::string>& failures, std::string pass_reason);

/// The largest of per-column values, as observed text: "0.12", or "0.3 (city)" over several.
struct Worst {
  double value = -1;
  std::string text;
  std::string column;
  void Add(double v, std::string v_text, const std::string& name) {
    if (v <= value) return;
    value = v;
    text = std::move(v_text);
    column = name;
  }
  std::string Text(size_t columns) const {
    return columns > 1 && !text.empty() ? text + " (" + column + ")" : text;
  }
};

/// The kSchema check (schema_check.cc).
CheckResult CheckSchema(const core::Table& table, const DataCheck& check,
                        const core::DataProfile* reference);
/// The kDrift check (drift.cc).
CheckResult CheckDrift(const core::Table& table, const DataCheck& check,
                       const core::DataProfile* reference);

}  // namespace data_checks_internal

}  // namespace hone::gate

#endif  // HONE_GATE_DATA_CHECKS_INTERNAL_H_
