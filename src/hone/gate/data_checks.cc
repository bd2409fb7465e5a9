#include "hone/gate/data_checks.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "hone/gate/data_checks_internal.h"

namespace hone::gate {
namespace data_checks_internal {
namespace {

using core::Column;
using core::ColumnProfile;
using core::ColumnType;
using core::Table;

constexpr size_t kListedValues = 5;    // unexpected categories named in a reason
constexpr size_t kListedAllowed = 10;  // allowed categories named in a threshold
constexpr size_t kDetailValues = 20;   // unexpected categories counted in detail

// The shortest text that reads back to the same value: a bound as the user wrote it (a double),
// or a cell as a CSV file holds it (a float).
template <typename T>
std::string Shortest(T value) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  return std::string(buf, end);
}

// A float cell as the double its text reads as, so JSON shows 0.1, not 0.10000000149011612.
double CellDouble(float value) { return std::strtod(Shortest(value).c_str(), nullptr); }

std::string Quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

// "in [100, 20000]", ">= 100", "<= 20000", or "" with no bound; and what breaks them.
std::string BoundsText(const std::optional<double>& min, const std::optional<double>& max) {
  if (min && max) return "in [" + Bound(*min) + ", " + Bound(*max) + "]";
  if (min) return ">= " + Bound(*min);
  if (max) return "<= " + Bound(*max);
  return "";
}

std::string BreachText(const std::optional<double>& min, const std::optional<double>& max) {
  if (min && max) return "values outside [" + Bound(*min) + ", " + Bound(*max) + "]";
  return min ? "values below " + Bound(*min) : "values above " + Bound(max.value_or(0));
}

}  // namespace

std::string Bound(double value) { return Shortest(value); }

// A computed figure (a fraction, a PSI), to four significant digits.
std::string Figure(double value) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.4g", value);
  return buf;
}

std::string Join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += separator;
    out += parts[i];
  }
  return out;
}

// At most `limit` of `names`, then "and N more".
std::string JoinSome(const std::vector<std::string>& names, size_t limit) {
  if (names.size() <= limit) return Join(names);
  std::vector<std::string> some(names.begin(), names.begin() + static_cast<ptrdiff_t>(limit));
  return Join(some) + " and " + std::to_string(names.size() - limit) + " more";
}

std::string TypeName(ColumnType type) { return core::ColumnTypeName(type); }

const ColumnProfile* FindProfile(const core::DataProfile& profile, std::string_view name) {
  for (const ColumnProfile& c : profile.columns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

Targets Resolve(const Table& table, const DataCheck& check) {
  return Resolve(table, check, [](const Column&) { return true; });
}

// "no column 'sku' in the data (columns: id, price)"; empty when nothing is absent.
std::vector<std::string> AbsentReasons(const Table& table, const std::vector<std::string>& absent,
                                       CheckResult& result) {
  if (absent.empty()) return {};
  std::vector<std::string> quoted, have;
  for (const std::string& name : absent) quoted.push_back(Quoted(name));
  for (const Column& c : table.columns()) have.push_back(c.name());
  result.detail["absent_columns"] = absent;
  return {std::string(absent.size() == 1 ? "no column " : "no columns ") + Join(quoted) +
          " in the data (columns: " + (have.empty() ? "none" : JoinSome(have, kListedColumns)) +
          ")"};
}

// "(every column)" or "(sqft, lot)".
std::string CoverText(const DataCheck& check, std::string_view every) {
  return "(" + (check.columns.empty() ? std::string(every) : Join(check.columns)) + ")";
}

CheckResult Start(const DataCheck& check, std::string name) {
  CheckResult r;
  r.stage = "data";
  r.name = std::move(name);
  r.severity = check.severity;
  if (!check.where.empty()) r.detail["where"] = check.where;
  return r;
}

void Finish(CheckResult& r, const std::vector<std::string>& failures, std::string pass_reason) {
  r.passed = failures.empty();
  r.reason = r.passed ? std::move(pass_reason) : Join(failures, "; ");
}

namespace {

CheckResult CheckRowCount(const Table& table, const DataCheck& check) {
  const std::string bounds = BoundsText(check.min, check.max);
  CheckResult r = Start(check, bounds.empty() ? "row_count" : "row_count " + bounds);
  const auto rows = static_cast<double>(table.num_rows());
  r.observed = std::to_string(table.num_rows());
  r.threshold = bounds;
  r.detail["rows"] = table.num_rows();
  std::vector<std::string> failures;
  if (check.min && rows < *check.min) {
    failures.push_back(r.observed + " rows, fewer than " + Bound(*check.min));
  }
  if (check.max && rows > *check.max) {
    failures.push_back(r.observed + " rows, more than " + Bound(*check.max));
  }
  Finish(r, failures, bounds.empty() ? "no bound given" : r.observed + " rows");
  return r;
}

CheckResult CheckNulls(const Table& table, const DataCheck& check) {
  const double max = check.max.value_or(0);
  CheckResult r = Start(check, "nulls <= " + Bound(max) + " " + CoverText(check, "every column"));
  r.threshold = "<= " + Bound(max);
  Targets targets = Resolve(table, check);
  std::vector<std::string> failures = AbsentReasons(table, targets.absent, r);
  std::vector<std::string> above;
  Worst worst;
  r.detail["columns"] = nlohmann::json::object();
  for (const Column* c : targets.columns) {
    // An empty table has nothing missing.
    double fraction = c->size() == 0
                          ? 0.0
                          : static_cast<double>(c->CountMissing()) / static_cast<double>(c->size());
    r.detail["columns"][c->name()] = fraction;
    worst.Add(fraction, Figure(fraction), c->name());
    if (fraction > max) above.push_back(c->name() + " (" + Figure(fraction) + ")");
  }
  if (!above.empty()) failures.push_back("nulls above " + Bound(max) + " in " + Join(above));
  r.observed = worst.Text(targets.columns.size());
  Finish(r, failures, "every column has at most " + Bound(max) + " missing");
  return r;
}

// The data is float32: a bound is rounded to that precision, so that a value written exactly as
// the bound ("0.1") is within it. A bound beyond float's range stays as it is.
double AtDataPrecision(double bound) {
  return std::abs(bound) <= std::numeric_limits<float>::max() ? static_cast<float>(bound) : bound;
}

CheckResult CheckRange(const Table& table, const DataCheck& check) {
  const std::string bounds = BoundsText(check.min, check.max);
  CheckResult r =
      Start(check, check.columns.empty() ? "range " + bounds + " (every numeric column)"
                                         : "range " + Join(check.columns) + " " + bounds);
  r.threshold = bounds;
  Targets targets = Resolve(table, check, [](const Column& c) { return c.is_numeric(); });
  std::vector<std::string> failures = AbsentReasons(table, targets.absent, r);
  std::vector<std::string> observed, outside;
  const double lo = check.min ? AtDataPrecision(*check.min) : -INFINITY;
  const double hi = check.max ? AtDataPrecision(*check.max) : INFINITY;
  r.detail["columns"] = nlohmann::json::object();
  for (const Column* c : targets.columns) {
    const std::string prefix = targets.columns.size() > 1 ? c->name() + " " : "";
    if (!c->is_numeric()) {
      failures.push_back(Quoted(c->name()) + " is not numeric");
      r.detail["columns"][c->name()] = {{"error", "not numeric"}};
      continue;
    }
    float min = INFINITY, max = -INFINITY;
    size_t count = 0, out = 0;
    for (float v : c->values()) {
      if (std::isnan(v)) continue;
      ++count;
      min = std::min(min, v);
      max = std::max(max, v);
      out += static_cast<double>(v) < lo || static_cast<double>(v) > hi;
    }
    if (count == 0) {
      observed.push_back(prefix + "no values");
      r.detail["columns"][c->name()] = {{"min", nullptr}, {"max", nullptr}, {"outside", 0}};
      continue;
    }
    const std::string span = "[" + Shortest(min) + ", " + Shortest(max) + "]";
    observed.push_back(prefix + span);
    r.detail["columns"][c->name()] = {
        {"min", CellDouble(min)}, {"max", CellDouble(max)}, {"outside", out}};
    if (out > 0) {
      outside.push_back(c->name() + " (observed " + span + ", " + std::to_string(out) +
                        (out == 1 ? " row)" : " rows)"));
    }
  }
  if (!outside.empty())
    failures.push_back(BreachText(check.min, check.max) + " in " + Join(outside));
  r.observed = Join(observed);
  Finish(r, failures, bounds.empty() ? "no bound given" : "every value is " + bounds);
  return r;
}

// The distinct non-missing values of a column: ids[row] (kMissingCode when missing) and, per
// id, its number of rows and the first row holding it. A categorical column's ids are its codes.
struct DistinctValues {
  std::vector<int32_t> ids;
  std::vector<size_t> rows;
  std::vector<size_t> first_row;
};

DistinctValues Distinct(const Column& column) {
  DistinctValues d;
  size_t distinct = column.dictionary().size();
  if (column.is_categorical()) {
    d.ids.assign(column.codes().begin(), column.codes().end());
  } else {
    std::unordered_map<float, int32_t> id_of;
    d.ids.reserve(column.size());
    for (float v : column.values()) {
      if (std::isnan(v)) {
        d.ids.push_back(core::kMissingCode);
        continue;
      }
      d.ids.push_back(id_of.try_emplace(v, static_cast<int32_t>(id_of.size())).first->second);
    }
    distinct = id_of.size();
  }
  d.rows.assign(distinct, 0);
  d.first_row.assign(distinct, 0);
  for (size_t row = d.ids.size(); row-- > 0;) {  // backwards, so first_row ends at the first
    if (d.ids[row] == core::kMissingCode) continue;
    const auto id = static_cast<size_t>(d.ids[row]);
    ++d.rows[id];
    d.first_row[id] = row;
  }
  return d;
}

CheckResult CheckCategories(const Table& table, const DataCheck& check) {
  CheckResult r = Start(check, "categories " + Join(check.columns));
  std::vector<std::string> allowed_quoted;
  for (const std::string& a : check.allowed) allowed_quoted.push_back(Quoted(a));
  r.threshold = "0 rows outside {" + JoinSome(allowed_quoted, kListedAllowed) + "}";
  Targets targets = Resolve(table, check);
  std::vector<std::string> failures = AbsentReasons(table, targets.absent, r);
  if (check.columns.empty()) failures.push_back("names no column; list the columns to check");
  const std::unordered_set<std::string_view> allowed(check.allowed.begin(), check.allowed.end());
  Worst worst;
  r.detail["columns"] = nlohmann::json::object();
  for (const Column* c : targets.columns) {
    // Compared as Column::CellText shows each value, so a numeric column works too.
    const DistinctValues values = Distinct(*c);
    std::vector<std::pair<std::string, size_t>> unexpected;
    size_t rows = 0;
    for (size_t id = 0; id < values.rows.size(); ++id) {
      if (values.rows[id] == 0) continue;
      std::string text = c->CellText(values.first_row[id]);
      if (allowed.count(text) > 0) continue;
      rows += values.rows[id];
      unexpected.emplace_back(std::move(text), values.rows[id]);
    }
    // Most frequent first, ties by text.
    std::sort(unexpected.begin(), unexpected.end(), [](const auto& a, const auto& b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    nlohmann::json counts = nlohmann::json::object();
    std::vector<std::string> listed;
    for (const auto& [text, n] : unexpected) {
      if (counts.size() < kDetailValues) counts[text] = n;
      listed.push_back(Quoted(text) + " (" + std::to_string(n) + ")");
    }
    r.detail["columns"][c->name()] = {{"unexpected_rows", rows}, {"unexpected", counts}};
    worst.Add(static_cast<double>(rows), std::to_string(rows), c->name());
    if (rows > 0) {
      failures.push_back(c->name() + " has " + std::to_string(rows) +
                         (rows == 1 ? " row" : " rows") +
                         " with values not allowed: " + JoinSome(listed, kListedValues));
    }
  }
  r.observed = worst.Text(targets.columns.size());
  Finish(r, failures, "every value is allowed");
  return r;
}

CheckResult CheckUnique(const Table& table, const DataCheck& check) {
  CheckResult r = Start(check, "unique " + Join(check.columns));
  r.threshold = "0 rows with a repeated value";
  Targets targets = Resolve(table, check);
  std::vector<std::string> failures = AbsentReasons(table, targets.absent, r);
  if (check.columns.empty()) failures.push_back("names no column; list the columns to check");
  Worst worst;
  r.detail["columns"] = nlohmann::json::object();
  for (const Column* c : targets.columns) {
    // As Great Expectations counts: every row whose value occurs more than once, the first
    // occurrence included; the example is the first such value in row order.
    const DistinctValues values = Distinct(*c);
    size_t duplicated = 0;
    std::optional<size_t> example;
    for (size_t row = 0; row < values.ids.size(); ++row) {
      const int32_t id = values.ids[row];
      if (id == core::kMissingCode || values.rows[static_cast<size_t>(id)] <= 1) continue;
      ++duplicated;
      if (!example) example = row;
    }
    r.detail["columns"][c->name()] = {{"duplicated_rows", duplicated}};
    worst.Add(static_cast<double>(duplicated), std::to_string(duplicated), c->name());
    if (example) {
      const std::string text = c->CellText(*example);
      r.detail["columns"][c->name()]["example"] = text;
      failures.push_back(c->name() + " has " + std::to_string(duplicated) +
                         " rows with a repeated value (e.g. " + Quoted(text) + " appears " +
                         std::to_string(values.rows[static_cast<size_t>(values.ids[*example])]) +
                         " times)");
    }
  }
  r.observed = worst.Text(targets.columns.size());
  Finish(r, failures, "no value repeats");
  return r;
}

CheckResult RunOne(const Table& table, const DataCheck& check, const core::DataProfile* reference) {
  switch (check.kind) {
    case DataCheck::Kind::kSchema:
      return CheckSchema(table, check, reference);
    case DataCheck::Kind::kRowCount:
      return CheckRowCount(table, check);
    case DataCheck::Kind::kNulls:
      return CheckNulls(table, check);
    case DataCheck::Kind::kRange:
      return CheckRange(table, check);
    case DataCheck::Kind::kCategories:
      return CheckCategories(table, check);
    case DataCheck::Kind::kUnique:
      return CheckUnique(table, check);
    case DataCheck::Kind::kDrift:
      return CheckDrift(table, check, reference);
  }
  HONE_CHECK(false && "unknown data check kind");
  return {};
}

}  // namespace
}  // namespace data_checks_internal

namespace {

constexpr std::pair<DataCheck::Kind, const char*> kKindNames[] = {
    {DataCheck::Kind::kSchema, "schema"},         {DataCheck::Kind::kRowCount, "row_count"},
    {DataCheck::Kind::kNulls, "nulls"},           {DataCheck::Kind::kRange, "range"},
    {DataCheck::Kind::kCategories, "categories"}, {DataCheck::Kind::kUnique, "unique"},
    {DataCheck::Kind::kDrift, "drift"},
};

}  // namespace

const char* DataCheckKindName(DataCheck::Kind kind) {
  for (const auto& [k, name] : kKindNames) {
    if (k == kind) return name;
  }
  return "unknown";
}

Result<DataCheck::Kind> ParseDataCheckKind(std::string_view name) {
  std::vector<std::string> known;
  for (const auto& [kind, text] : kKindNames) {
    if (name == text) return kind;
    known.push_back(text);
  }
  return Fail(ErrorCode::kInvalidArgument, "unknown data check '" + std::string(name) +
                                               "'; known: " + data_checks_internal::Join(known));
}

std::vector<CheckResult> RunDataChecks(const core::Table& table, std::span<const DataCheck> checks,
                                       const core::DataProfile* reference) {
  std::vector<CheckResult> results;
  results.reserve(checks.size());
  for (const DataCheck& check : checks) {
    results.push_back(data_checks_internal::RunOne(table, check, reference));
  }
  return results;
}

}  // namespace hone::gate
