#include "hone/monitor/drift_report.h"

#include <algorithm>
#include <cmath>
#include <string_view>

#include <nlohmann/json.hpp>

#include "hone/monitor/drift_stats.h"

namespace hone::monitor {
namespace {

using nlohmann::json;

constexpr const char* kOk = "ok";
constexpr const char* kDrift = "drift";
constexpr const char* kInsufficient = "insufficient data";

json Number(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

const core::ColumnProfile* FindProfile(const core::DataProfile& profile, std::string_view name) {
  for (const core::ColumnProfile& c : profile.columns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

size_t ReferenceBins(const core::ColumnProfile& ref) {
  if (ref.type == core::ColumnType::kCategorical) return ref.categorical.top.size() + 1;
  return ref.numeric.counts.empty() ? 1 : ref.numeric.counts.size();
}

// The profile column that `counts` was counted on, or an error naming it.
Result<const core::ColumnProfile*> Geometry(const core::DataProfile& profile,
                                            const ColumnCounts& counts, const char* what) {
  const core::ColumnProfile* ref = FindProfile(profile, counts.name);
  auto fail = [&](const std::string& why) {
    return Fail(ErrorCode::kInvalidArgument, std::string(what) + " '" + counts.name + "' " + why +
                                                 ": the window was not counted on this profile");
  };
  if (ref == nullptr) return fail("is not in the reference profile");
  if (ref->type != counts.type) {
    return fail(std::string("is ") + core::ColumnTypeName(counts.type) + " in the window but " +
                core::ColumnTypeName(ref->type) + " in the profile");
  }
  if (ref->type == core::ColumnType::kNumeric && !ref->numeric.counts.empty() &&
      ref->numeric.counts.size() != ref->numeric.edges.size() + 1) {
    return Fail(ErrorCode::kInvalidData, "the reference profile's histogram of '" + counts.name +
                                             "' has counts that do not match its edges");
  }
  if (ReferenceBins(*ref) != counts.bins.size()) {
    return fail("has " + std::to_string(counts.bins.size()) + " bins in the window but " +
                std::to_string(ReferenceBins(*ref)) + " in the profile");
  }
  return ref;
}

ColumnCounts ReferenceCounts(const core::ColumnProfile& ref) {
  ColumnCounts c;
  c.name = ref.name;
  c.type = ref.type;
  if (ref.type == core::ColumnType::kCategorical) {
    for (const auto& [text, count] : ref.categorical.top) c.bins.push_back(count);
    c.bins.push_back(ref.categorical.other);
  } else if (ref.numeric.counts.empty()) {
    c.bins.push_back(ref.count);
  } else {
    c.bins = ref.numeric.counts;
  }
  c.missing = ref.missing;
  return c;
}

// The point each numeric bin stands for: the midpoint of its edges, the outer bins reaching
// to the reference's min and max.
std::vector<double> Midpoints(const core::NumericProfile& n, size_t bins) {
  std::vector<double> lower{n.min}, upper;
  if (bins > 1) {
    lower.insert(lower.end(), n.edges.begin(), n.edges.end());
    upper.assign(n.edges.begin(), n.edges.end());
  }
  upper.push_back(n.max);
  std::vector<double> mid;
  for (size_t i = 0; i < bins; ++i) mid.push_back((lower[i] + upper[i]) / 2);
  return mid;
}

std::vector<double> Doubles(const ColumnCounts& c, bool with_missing) {
  std::vector<double> v(c.bins.begin(), c.bins.end());
  if (with_missing) v.push_back(static_cast<double>(c.missing));
  return v;
}

double Psi(const ColumnCounts& expected, const ColumnCounts& actual) {
  if (expected.total() == 0 || actual.total() == 0) return kNoValue;
  return PopulationStabilityIndex(Doubles(expected, true), Doubles(actual, true));
}

// Every figure of one column except the Holm adjustment and the verdict.
ColumnDrift Measure(const core::ColumnProfile& ref, const ColumnCounts& expected,
                    const ColumnCounts& actual, const DriftOptions& o) {
  ColumnDrift d;
  d.name = actual.name;
  d.type = core::ColumnTypeName(actual.type);
  d.rows = actual.total();
  d.missing = actual.missing;
  d.reference_rows = expected.total();
  const std::vector<double> e = Doubles(expected, false), a = Doubles(actual, false);
  const bool large = d.rows - d.missing > o.large_sample;
  d.psi = Psi(expected, actual);
  d.psi_level = d.psi >= o.psi_alert ? "alert" : d.psi >= o.psi_warn ? "warn" : kOk;
  d.jensen_shannon = JensenShannonDistance(e, a);
  if (actual.type == core::ColumnType::kNumeric) {
    const std::vector<double> mid = Midpoints(ref.numeric, e.size());
    const double w = WassersteinDistance(mid, e, mid, a);
    // A constant reference has a single bin, where W is 0 whatever the live values.
    d.wasserstein = ref.numeric.stddev > 0 ? w / ref.numeric.stddev : 0;
  }
  TestResult test;
  if (actual.type == core::ColumnType::kNumeric) {
    d.method = large ? "wasserstein" : "ks";
    test = large ? TestResult{d.wasserstein, kNoValue} : KsBinned(e, a);
  } else {
    d.method = large ? "jensen_shannon" : "chi_square";
    test = large ? TestResult{d.jensen_shannon, kNoValue} : ChiSquareHomogeneity(e, a);
  }
  d.statistic = test.statistic;
  d.p_value = test.p_value;
  if (std::min(d.rows, d.reference_rows) < o.min_rows) d.status = kInsufficient;
  return d;
}

// The verdict of a measured column whose p_adjusted is set.
void Judge(ColumnDrift& d, const DriftOptions& o) {
  if (d.status == kInsufficient) return;
  // PSI counts only on large samples: below a few hundred rows its alert level is sampling
  // noise (see the header), and the test has the last word.
  const bool large = std::isnan(d.p_value);
  d.drifted = large ? d.statistic >= o.distance || d.psi_level == std::string("alert")
                    : d.p_adjusted < o.p_value;
  d.status = d.drifted ? kDrift : kOk;
}

Result<void> SameShape(const ColumnCounts& e, const ColumnCounts& a, const char* what) {
  if (e.name != a.name || e.type != a.type || e.bins.size() != a.bins.size()) {
    return Fail(ErrorCode::kInvalidArgument,
                std::string("the windows differ at ") + what + " '" + a.name + "' (expected '" +
                    e.name + "', " + core::ColumnTypeName(e.type) + ", " +
                    std::to_string(e.bins.size()) + " bins; actual " +
                    core::ColumnTypeName(a.type) + ", " + std::to_string(a.bins.size()) + " bins)");
  }
  return {};
}

}  // namespace

Result<void> DriftOptions::Validate() const {
  auto bad = [](const std::string& name, double v, const char* range) {
    return Fail(ErrorCode::kInvalidArgument,
                "drift option " + name + " = " + json(v).dump() + " must be " + range);
  };
  if (!(p_value > 0 && p_value <= 1)) return bad("p_value", p_value, "in (0, 1]");
  if (!(distance >= 0 && distance <= 1e9)) return bad("distance", distance, "at least 0");
  if (!(psi_warn >= 0 && psi_warn <= 1e9)) return bad("psi_warn", psi_warn, "at least 0");
  if (!(psi_alert >= psi_warn && psi_alert <= 1e9)) {
    return bad("psi_alert", psi_alert, "at least psi_warn");
  }
  if (!(drift_share > 0 && drift_share <= 1)) return bad("drift_share", drift_share, "in (0, 1]");
  return {};
}

json DriftOptions::ToJson() const {
  return {{"min_rows", min_rows},      {"large_sample", large_sample}, {"p_value", p_value},
          {"distance", distance},      {"psi_warn", psi_warn},         {"psi_alert", psi_alert},
          {"drift_share", drift_share}};
}

json ColumnDrift::ToJson() const {
  return {{"name", name},
          {"type", type},
          {"rows", rows},
          {"missing", missing},
          {"reference_rows", reference_rows},
          {"method", method},
          {"statistic", Number(statistic)},
          {"p_value", Number(p_value)},
          {"p_adjusted", Number(p_adjusted)},
          {"psi", Number(psi)},
          {"psi_level", psi_level},
          {"jensen_shannon", Number(jensen_shannon)},
          {"wasserstein", Number(wasserstein)},
          {"drifted", drifted},
          {"status", status}};
}

json DriftReport::ToJson() const {
  json cols = json::array();
  for (const ColumnDrift& c : columns) cols.push_back(c.ToJson());
  return {{"status", status},
          {"rows", rows},
          {"reference_rows", reference_rows},
          {"columns_compared", columns_compared},
          {"columns_drifted", columns_drifted},
          {"drifted_share", drifted_share},
          {"any_adjusted_p_below", any_adjusted_p_below},
          {"options", options.ToJson()},
          {"columns", std::move(cols)},
          {"prediction", prediction ? prediction->ToJson() : json(nullptr)}};
}

Result<WindowSummary> ReferenceWindow(const core::DataProfile& reference,
                                      const WindowSummary& live) {
  WindowSummary expected;
  expected.rows = reference.rows;
  for (const ColumnCounts& c : live.columns) {
    HONE_ASSIGN_OR_RETURN(const core::ColumnProfile* ref, Geometry(reference, c, "column"));
    expected.columns.push_back(ReferenceCounts(*ref));
  }
  if (live.prediction) {
    HONE_ASSIGN_OR_RETURN(const core::ColumnProfile* ref,
                          Geometry(reference, *live.prediction, "prediction target"));
    expected.prediction = ReferenceCounts(*ref);
  }
  return expected;
}

Result<DriftReport> ComputeDrift(const core::DataProfile& reference, const WindowSummary& live,
                                 const DriftOptions& options) {
  HONE_ASSIGN_OR_RETURN(WindowSummary expected, ReferenceWindow(reference, live));
  return CompareWindows(reference, expected, live, options);
}

Result<DriftReport> CompareWindows(const core::DataProfile& bins, const WindowSummary& expected,
                                   const WindowSummary& actual, const DriftOptions& options) {
  HONE_TRY(options.Validate());
  if (expected.columns.size() != actual.columns.size()) {
    return Fail(ErrorCode::kInvalidArgument,
                "the windows differ: " + std::to_string(expected.columns.size()) +
                    " columns expected, " + std::to_string(actual.columns.size()) + " actual");
  }
  if (expected.prediction.has_value() != actual.prediction.has_value()) {
    return Fail(ErrorCode::kInvalidArgument, "the windows differ: only one counts predictions");
  }
  DriftReport report;
  report.rows = actual.rows;
  report.reference_rows = expected.rows;
  report.options = options;
  std::vector<double> p_values;
  for (size_t i = 0; i < actual.columns.size(); ++i) {
    HONE_TRY(SameShape(expected.columns[i], actual.columns[i], "column"));
    HONE_ASSIGN_OR_RETURN(const core::ColumnProfile* ref,
                          Geometry(bins, actual.columns[i], "column"));
    ColumnDrift d = Measure(*ref, expected.columns[i], actual.columns[i], options);
    p_values.push_back(d.status == kInsufficient ? kNoValue : d.p_value);
    report.columns.push_back(std::move(d));
  }
  // Holm over the columns judged by a test; distances and insufficient columns pass NaN.
  const std::vector<double> adjusted = HolmAdjust(p_values);
  for (size_t i = 0; i < report.columns.size(); ++i) {
    ColumnDrift& d = report.columns[i];
    d.p_adjusted = adjusted[i];
    Judge(d, options);
    if (d.status == kInsufficient) continue;
    ++report.columns_compared;
    if (d.drifted) ++report.columns_drifted;
    if (d.p_adjusted < options.p_value) report.any_adjusted_p_below = true;
  }
  if (actual.prediction) {
    HONE_TRY(SameShape(*expected.prediction, *actual.prediction, "prediction"));
    HONE_ASSIGN_OR_RETURN(const core::ColumnProfile* ref,
                          Geometry(bins, *actual.prediction, "prediction target"));
    ColumnDrift d = Measure(*ref, *expected.prediction, *actual.prediction, options);
    d.p_adjusted = d.status == kInsufficient ? kNoValue : d.p_value;  // a family of one
    Judge(d, options);
    report.prediction = std::move(d);
  }
  report.drifted_share = report.columns_compared == 0
                             ? 0
                             : static_cast<double>(report.columns_drifted) /
                                   static_cast<double>(report.columns_compared);
  if (std::min(actual.rows, expected.rows) < options.min_rows) {
    report.status = kInsufficient;
  } else if ((report.columns_compared > 0 && report.drifted_share >= options.drift_share) ||
             report.any_adjusted_p_below) {
    report.status = kDrift;
  } else {
    report.status = kOk;
  }
  return report;
}

Result<double> PredictionPsi(const WindowSummary& expected, const WindowSummary& actual) {
  if (!expected.prediction || !actual.prediction) {
    return Fail(ErrorCode::kInvalidArgument, std::string("prediction PSI: the ") +
                                                 (expected.prediction ? "actual" : "expected") +
                                                 " window does not count predictions");
  }
  HONE_TRY(SameShape(*expected.prediction, *actual.prediction, "prediction"));
  return Psi(*expected.prediction, *actual.prediction);
}

}  // namespace hone::monitor
