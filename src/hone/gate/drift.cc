// Drift of each feature against the production version's reference profile: the population
// stability index and the kDrift data check built on it.
#include <algorithm>
#include <cmath>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "hone/gate/data_checks.h"
#include "hone/gate/data_checks_internal.h"

namespace hone::gate {
namespace {

constexpr double kShareFloor = 1e-4;

}  // namespace

double PopulationStabilityIndex(const core::Column& column, const core::ColumnProfile& reference) {
  HONE_CHECK(column.type() == reference.type);
  // Reference and actual counts per bin; the last bin holds the missing values.
  std::vector<double> expected, actual;
  if (column.is_numeric()) {
    const core::NumericProfile& n = reference.numeric;
    // A reference without values has no histogram: one bin for every value.
    HONE_CHECK(n.counts.empty() || n.counts.size() == n.edges.size() + 1);
    if (n.counts.empty()) {
      expected.push_back(static_cast<double>(reference.count));
    } else {
      for (uint64_t count : n.counts) expected.push_back(static_cast<double>(count));
    }
    actual.assign(expected.size() + 1, 0);
    for (float v : column.values()) {
      if (std::isnan(v)) {
        ++actual.back();
        continue;
      }
      // Bin i holds edges[i-1] < v <= edges[i]: the first edge >= v.
      auto bin = std::lower_bound(n.edges.begin(), n.edges.end(), static_cast<double>(v)) -
                 n.edges.begin();
      ++actual[std::min(static_cast<size_t>(bin), expected.size() - 1)];
    }
  } else {
    const core::CategoricalProfile& cat = reference.categorical;
    std::unordered_map<std::string_view, size_t> top_bin;
    for (const auto& [text, count] : cat.top) {
      top_bin.emplace(text, expected.size());
      expected.push_back(static_cast<double>(count));
    }
    const size_t other = expected.size();
    expected.push_back(static_cast<double>(cat.other));
    std::vector<size_t> code_bin;
    for (const std::string& text : column.dictionary()) {
      auto it = top_bin.find(text);
      code_bin.push_back(it == top_bin.end() ? other : it->second);
    }
    actual.assign(expected.size() + 1, 0);
    for (int32_t code : column.codes()) {
      ++actual[code == core::kMissingCode ? expected.size() : code_bin[static_cast<size_t>(code)]];
    }
  }
  expected.push_back(static_cast<double>(reference.missing));

  const double reference_total = static_cast<double>(reference.count + reference.missing);
  const double rows = static_cast<double>(column.size());
  if (reference_total == 0 || rows == 0) return 0;
  double psi = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    const double e = std::max(expected[i] / reference_total, kShareFloor);
    const double a = std::max(actual[i] / rows, kShareFloor);
    psi += (a - e) * std::log(a / e);
  }
  return psi;
}

namespace data_checks_internal {
namespace {

using core::Column;
using core::ColumnProfile;
using core::Table;

// Why a column cannot be compared with its reference, or "" when it can.
std::string DriftSkipReason(const Column& column, const ColumnProfile* ref) {
  if (ref == nullptr) return "not in the production profile";
  if (ref->type != column.type()) {
    return TypeName(ref->type) + " in production, " + TypeName(column.type()) +
           " now (see the schema check)";
  }
  if (ref->count + ref->missing == 0) return "no rows in the production profile";
  if (column.size() == 0) return "the data has no rows";
  return "";
}

}  // namespace

CheckResult CheckDrift(const Table& table, const DataCheck& check,
                       const core::DataProfile* reference) {
  const double max = check.max.value_or(kPsiAlert);
  CheckResult r =
      Start(check, "drift psi <= " + Bound(max) + " " + CoverText(check, "every column"));
  r.threshold = "<= " + Bound(max);
  Targets targets = Resolve(table, check, [reference](const Column& c) {
    return reference != nullptr && FindProfile(*reference, c.name()) != nullptr;
  });
  std::vector<std::string> failures = AbsentReasons(table, targets.absent, r);
  if (reference == nullptr) {
    Finish(r, failures, "no production version to compare with");
    return r;
  }
  std::vector<std::string> above;
  Worst worst;
  r.detail["columns"] = nlohmann::json::object();
  r.detail["skipped"] = nlohmann::json::object();
  for (const Column* c : targets.columns) {
    const ColumnProfile* ref = FindProfile(*reference, c->name());
    if (std::string skip = DriftSkipReason(*c, ref); !skip.empty()) {
      r.detail["skipped"][c->name()] = skip;
      continue;
    }
    const double psi = PopulationStabilityIndex(*c, *ref);
    r.detail["columns"][c->name()] = psi;
    worst.Add(psi, Figure(psi), c->name());
    if (psi > max) above.push_back(c->name() + " (" + Figure(psi) + ")");
  }
  if (!above.empty()) failures.push_back("psi above " + Bound(max) + " in " + Join(above));
  r.observed = worst.Text(r.detail["columns"].size());
  Finish(r, failures,
         worst.text.empty()
             ? "no column compared"
             : "no column drifted (largest psi " + worst.text + " in " + worst.column + ")");
  return r;
}

}  // namespace data_checks_internal
}  // namespace hone::gate
