// The drift report of `hone monitor`: each monitored column's live window tested against the
// model version's reference profile, and the verdict for the data set as a whole.
//
// The rules follow Evidently's defaults for tabular data drift:
//   - numeric column, at most `large_sample` live values: two-sample Kolmogorov–Smirnov on the
//     reference's equal-frequency bins (KsBinned); drift when the Holm-adjusted p-value is
//     below `p_value`;
//   - numeric column, more live values: the normalised Wasserstein distance, drift at or above
//     `distance`. Each histogram bin stands for the midpoint of its edges, the outer bins
//     reaching to the reference's min and max, so that W is the earth mover's distance between
//     the two binned distributions; it is divided by the reference's standard deviation, which
//     makes it unitless ("the mean moved by a tenth of a standard deviation" is 0.1). Values
//     beyond the reference's range sit at the outer midpoints, so W understates shifts past the
//     range; PSI sees them as mass moving into the outer bins;
//   - categorical column, at most `large_sample`: chi-square homogeneity on the reference's
//     top categories + "other" (Holm-adjusted as above); more: Jensen–Shannon distance at or
//     above `distance`;
//   - every column: PSI over the bins and the missing values (as the pipeline's drift check
//     computes it), always reported; on large samples its alert level counts as drift whatever
//     the distance says. Not on small ones: with the profile's 20 bins, PSI of an unshifted
//     sample is at the alert level by sampling noise alone in every window of 30 rows and in a
//     third of those of 100 (an empty bin alone adds ~0.3), and still "warn" in half of those of
//     200; the test, which knows its sample size, decides there.
// Large samples are judged on distances because on a million rows every p-value is tiny: a
// trivial shift would be "significant". Missing values are outside the tests and distances
// (they compare the value distributions) and inside PSI, so on a small sample a change in the
// missing share shows in the PSI level without deciding.
//
// Pure functions of their arguments: safe from any thread.
#ifndef HONE_MONITOR_DRIFT_REPORT_H_
#define HONE_MONITOR_DRIFT_REPORT_H_

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "hone/core/error.h"
#include "hone/core/profile.h"
#include "hone/monitor/window.h"

namespace hone::monitor {

/// Thresholds of the report, defaults after Evidently's.
struct DriftOptions {
  /// Fewer live rows (in the window, or in a column): "insufficient data".
  uint64_t min_rows = 30;
  /// More live values in a column: distances decide instead of p-values.
  uint64_t large_sample = 1000;
  /// KS / chi-square: a Holm-adjusted p-value below this is drift.
  double p_value = 0.05;
  /// Normalised Wasserstein / Jensen–Shannon at or above this is drift (large samples).
  double distance = 0.1;
  /// PSI at or above psi_warn is "warn", at or above psi_alert "alert"; alert is drift on
  /// large samples.
  double psi_warn = 0.1;
  double psi_alert = 0.25;
  /// The data set drifted when at least this share of the compared columns drifted (or when
  /// any Holm-adjusted p-value is below `p_value`).
  double drift_share = 0.5;

  /// Fails (kInvalidArgument), naming the option, on a threshold out of its range.
  Result<void> Validate() const;
  nlohmann::json ToJson() const;
};

inline constexpr double kNoValue = std::numeric_limits<double>::quiet_NaN();

/// One column's comparison. Figures a column does not have are NaN (null in JSON).
struct ColumnDrift {
  std::string name;
  std::string type;  // "numeric" or "categorical"
  /// Live values counted, missing included, and how many were missing.
  uint64_t rows = 0, missing = 0;
  /// The reference's values (the profile's count + missing, or the expected window's).
  uint64_t reference_rows = 0;
  /// What decided: "ks", "chi_square", "wasserstein" or "jensen_shannon".
  std::string method;
  /// The method's statistic (D, chi-square, or the distance); p-value and Holm-adjusted
  /// p-value for the tests (NaN for distances, and p_adjusted NaN with insufficient data).
  double statistic = kNoValue, p_value = kNoValue, p_adjusted = kNoValue;
  /// Always computed: PSI (NaN when a side has no rows), the Jensen–Shannon distance of the
  /// value bins, and the normalised Wasserstein distance (NaN for categorical columns).
  double psi = kNoValue, jensen_shannon = kNoValue, wasserstein = kNoValue;
  std::string psi_level = "ok";  // "ok", "warn" or "alert"
  bool drifted = false;
  std::string status = "ok";  // "ok", "drift" or "insufficient data"

  nlohmann::json ToJson() const;
};

struct DriftReport {
  std::string status;  // "ok", "drift" or "insufficient data"
  /// Live rows in the window, and the reference's rows.
  uint64_t rows = 0, reference_rows = 0;
  std::vector<ColumnDrift> columns;
  /// The predictions against the target, when the window counted them. Not part of the share
  /// nor of the status: the caller decides what a prediction shift means.
  std::optional<ColumnDrift> prediction;
  /// Columns with enough data to be judged, and how many of them drifted.
  uint64_t columns_compared = 0, columns_drifted = 0;
  double drifted_share = 0;
  /// Whether any compared column's Holm-adjusted p-value is below options.p_value.
  bool any_adjusted_p_below = false;
  DriftOptions options;

  nlohmann::json ToJson() const;
};

/// The live window against the reference profile it was counted on. Fails (kInvalidArgument,
/// naming the column) when a column of the window is not in the profile or has another type
/// or number of bins there, i.e. the window was not counted on this profile; or when the
/// options are invalid.
Result<DriftReport> ComputeDrift(const core::DataProfile& reference, const WindowSummary& live,
                                 const DriftOptions& options = {});

/// Two windows counted on the same profile (`bins`, which gives the numeric bins' geometry):
/// `actual` tested against `expected` as ComputeDrift tests a window against the profile, e.g.
/// a canary's traffic against production's over the same hours. Fails when the windows'
/// shapes differ or do not fit `bins`.
Result<DriftReport> CompareWindows(const core::DataProfile& bins, const WindowSummary& expected,
                                   const WindowSummary& actual, const DriftOptions& options = {});

/// The reference profile's own counts in the shape of `live` (rows: the profile's rows): the
/// `expected` that ComputeDrift compares with. Fails as ComputeDrift does.
Result<WindowSummary> ReferenceWindow(const core::DataProfile& reference,
                                      const WindowSummary& live);

/// PSI of `actual`'s prediction counts against `expected`'s, bins and missing (both must count
/// predictions on the same bins: for a candidate against production, both counted on
/// production's profile). NaN when either side has no predictions. Fails (kInvalidArgument)
/// when a side does not count predictions or the shapes differ.
Result<double> PredictionPsi(const WindowSummary& expected, const WindowSummary& actual);

}  // namespace hone::monitor

#endif  // HONE_MONITOR_DRIFT_REPORT_H_
