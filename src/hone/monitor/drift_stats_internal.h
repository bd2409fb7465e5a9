// Pieces of drift_stats shared between its source files; not part of hone_monitor's API.
#ifndef HONE_MONITOR_DRIFT_STATS_INTERNAL_H_
#define HONE_MONITOR_DRIFT_STATS_INTERNAL_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>

namespace hone::monitor::internal {

/// Pr(D_n >= d) for the two-sided one-sample KS statistic D_n, n >= 1, as SciPy 1.10's
/// kstwo.sf(d, n) (drift_stats_kolmogorov.cc). Pure; safe from any thread.
double KolmogorovSf(int64_t n, double d);

/// Pr(X > x) for X chi-square with `dof` > 0 degrees of freedom, as scipy.stats.chi2.sf
/// (drift_stats.cc): 1 for x <= 0, 0 for x = inf, NaN for NaN. Pure; safe from any thread.
double ChiSquareSf(double x, double dof);

/// Whether every count is finite and non-negative; the statistics answer NaN otherwise.
inline bool ValidCounts(std::span<const double> counts) {
  return std::all_of(counts.begin(), counts.end(),
                     [](double c) { return std::isfinite(c) && c >= 0; });
}

}  // namespace hone::monitor::internal

#endif  // HONE_MONITOR_DRIFT_STATS_INTERNAL_H_
