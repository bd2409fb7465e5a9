// The kSchema data check: the table's columns and their types against the reference profile
// of the production version.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "hone/gate/data_checks.h"
#include "hone/gate/data_checks_internal.h"

namespace hone::gate::data_checks_internal {

using core::Column;
using core::ColumnProfile;
using core::ColumnType;
using core::Table;

CheckResult CheckSchema(const Table& table, const DataCheck& check,
                        const core::DataProfile* reference) {
  CheckResult r = Start(check, "schema matches production" +
                                   (check.columns.empty() ? "" : " " + CoverText(check, "")));
  if (reference == nullptr) {
    std::vector<std::string> failures = AbsentReasons(table, Resolve(table, check).absent, r);
    Finish(r, failures, "no production version to compare with");
    return r;
  }
  std::vector<std::string> names = check.columns;
  if (names.empty()) {
    for (const ColumnProfile& c : reference->columns) names.push_back(c.name);
    for (const Column& c : table.columns()) {
      if (FindProfile(*reference, c.name()) == nullptr) names.push_back(c.name());
    }
  }
  std::vector<std::string> missing, added, changed, unknown;
  nlohmann::json changes = nlohmann::json::array();
  for (const std::string& name : names) {
    const ColumnProfile* ref = FindProfile(*reference, name);
    std::optional<size_t> i = table.FindColumn(name);
    if (ref != nullptr && i) {
      ColumnType now = table.column(*i).type();
      if (now == ref->type) continue;
      changed.push_back(name + " (" + TypeName(ref->type) + " in production, " + TypeName(now) +
                        " now)");
      changes.push_back(
          {{"column", name}, {"production", TypeName(ref->type)}, {"data", TypeName(now)}});
    } else if (ref != nullptr) {
      missing.push_back(name);
    } else if (i) {
      added.push_back(name);
    } else {
      unknown.push_back(name);
    }
  }
  r.detail["missing"] = missing;
  r.detail["new"] = added;
  r.detail["changed"] = changes;
  std::vector<std::string> failures;
  if (!missing.empty()) {
    std::vector<std::string> have;
    for (const Column& c : table.columns()) have.push_back(c.name());
    failures.push_back("missing columns: " + Join(missing) + " (the data has: " +
                       (have.empty() ? "none" : JoinSome(have, kListedColumns)) + ")");
  }
  if (!added.empty()) failures.push_back("new columns: " + Join(added));
  if (!changed.empty()) failures.push_back("type changed: " + Join(changed));
  for (std::string& f : AbsentReasons(table, unknown, r)) failures.push_back(std::move(f));
  Finish(r, failures,
         names.size() == 1
             ? "1 column matches production in name and type"
             : std::to_string(names.size()) + " columns match production in name and type");
  return r;
}

}  // namespace hone::gate::data_checks_internal
