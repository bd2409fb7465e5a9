// The two-sample Kolmogorov–Smirnov test as SciPy 1.10's ks_2samp(method="auto") computes it:
// the statistic from the two empirical CDFs; the exact p-value by counting lattice paths
// (Hodges 1958; scipy/stats/_stats_py.py and _stats_pythran.py) when max(n, m) <= 10000; the
// asymptotic one, kstwo.sf(D, round(nm / (n + m))), otherwise or when SciPy rejects the exact
// sum. kstwo.sf, with its choice among Simard & L'Ecuyer's algorithms, is in
// drift_stats_kolmogorov.cc.
//
// The exact branch performs SciPy's floating-point operations in SciPy's order, so its p-values
// are bit-identical to SciPy's; that matters because SciPy's acceptance test of the exact sum
// (0 <= p <= 1) decides, at the last bit, whether the asymptotic p-value is used instead.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <limits>
#include <numeric>
#include <span>
#include <type_traits>
#include <vector>

#include "hone/core/error.h"
#include "hone/monitor/drift_stats.h"
#include "hone/monitor/drift_stats_internal.h"

namespace hone::monitor {
namespace {

constexpr uint64_t kMaxExactSize = 10000;  // ks_2samp's MAX_AUTO_N
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// _compute_prob_outside_square: Pr(D_{n,n} >= h/n) as 2 * A0 * (1 - A1 * (1 - A2 * ...)),
/// Horner-like, each A_k a product of h ratios.
double ProbOutsideSquare(int64_t n, int64_t h) {
  double total = 0.0;
  for (auto k = static_cast<int64_t>(std::floor(static_cast<double>(n) / static_cast<double>(h)));
       k >= 0; --k) {
    double p1 = 1.0;
    // Once a factor is zero the product stays zero (SciPy multiplies on; only the sign of the
    // zero could change, and (1 - P) below does not see it).
    for (int64_t j = 0; j < h && p1 != 0.0; ++j) {
      p1 = static_cast<double>(n - k * h - j) * p1 / static_cast<double>(n + k * h + j + 1);
    }
    total = p1 * (1.0 - total);
  }
  return 2 * total;
}

/// The rows [lo, hi) of column i of the path table that lie inside the band; SciPy's
/// minj and maxj. Both bounds never decrease with i.
struct Band {
  int64_t lo;
  int64_t hi;
};

Band BandOfColumn(int64_t i, int64_t mg, int64_t ng, int64_t n, int64_t h) {
  const auto lo =
      static_cast<int64_t>(std::floor(static_cast<double>(ng * i - h) / static_cast<double>(mg))) +
      1;
  const auto hi =
      static_cast<int64_t>(std::ceil(static_cast<double>(ng * i + h) / static_cast<double>(mg)));
  return {std::min(std::max<int64_t>(lo, 0), n), std::min(hi, n + 1)};
}

/// Columns i0 .. i0 + kLanes - 1 of the path table, advanced together row by row: column
/// k + 1 at row j needs column k at row j, so the columns' dependency chains (a multiply-add
/// and a division per entry) overlap in the pipeline instead of running one after another.
/// `column` holds column i0 - 1 on entry and column i0 + kLanes - 1 on exit, rows outside a
/// column's band reading as 1. Each entry is computed exactly as SciPy computes it.
template <int kLanes>
void AdvanceColumns(int64_t i0, const Band (&bands)[kLanes], std::vector<double>& column) {
  double value[kLanes];
  double di[kLanes];
  for (int k = 0; k < kLanes; ++k) {
    value[k] = 1.0;  // the row below the band; SciPy's 0 for lo == 0 is multiplied by j = 0
    di[k] = static_cast<double>(i0 + k);
  }
  double* col = column.data();
  const auto row = [&](int64_t j, auto in_every_band) {
    const auto dj = static_cast<double>(j);
    double left = col[j];
    for (int k = 0; k < kLanes; ++k) {
      if (in_every_band || (bands[k].lo <= j && j < bands[k].hi)) {
        value[k] = (left * di[k] + value[k] * dj) / static_cast<double>(i0 + k + j);
      } else {
        value[k] = 1.0;
      }
      left = value[k];
    }
    col[j] = left;
  };
  // The rows inside every column's band need no test; only the few at the edges do.
  const int64_t inner_lo = std::min(bands[kLanes - 1].lo, bands[0].hi);
  const int64_t inner_hi = std::max(inner_lo, bands[0].hi);
  int64_t j = bands[0].lo;
  for (; j < inner_lo; ++j) row(j, std::false_type{});
  for (; j < inner_hi; ++j) row(j, std::true_type{});
  for (; j < bands[kLanes - 1].hi; ++j) row(j, std::false_type{});
}

/// _compute_outer_prob_inside_method: the share of lattice paths from (0, 0) to (m, n) that
/// leave the band |x/m - y/n| < h/lcm, by Viehmann's recursion for 1 - p:
/// A(x, y) = (A(x-1, y) x + A(x, y-1) y) / (x + y) inside the band, 1 outside. One column is
/// kept (O(n) memory); the work is O(m * band width), the band 2 D n rows wide.
double OuterProbInside(int64_t m, int64_t n, int64_t g, int64_t h) {
  if (m < n) std::swap(m, n);
  const int64_t mg = m / g;
  const int64_t ng = n / g;
  std::vector<double> column(static_cast<size_t>(n + 1), 1.0);
  const int64_t first_hi = std::min(
      static_cast<int64_t>(std::ceil(static_cast<double>(h) / static_cast<double>(mg))), n + 1);
  std::fill(column.begin(), column.begin() + first_hi, 0.0);  // column 0
  constexpr int kLanes = 4;
  int64_t last_hi = first_hi;
  int64_t i = 1;
  for (; i + kLanes - 1 <= m; i += kLanes) {
    Band bands[kLanes];
    for (int k = 0; k < kLanes; ++k) {
      bands[k] = BandOfColumn(i + k, mg, ng, n, h);
      if (bands[k].hi <= bands[k].lo) return 1.0;  // no path stays inside
    }
    AdvanceColumns<kLanes>(i, bands, column);
    last_hi = bands[kLanes - 1].hi;
  }
  for (; i <= m; ++i) {
    const Band bands[1] = {BandOfColumn(i, mg, ng, n, h)};
    if (bands[0].hi <= bands[0].lo) return 1.0;
    AdvanceColumns<1>(i, bands, column);
    last_hi = bands[0].hi;
  }
  return column[static_cast<size_t>(last_hi - 1)];
}

/// The two-sided test for statistic d and sizes n1, n2 > 0: ks_2samp from the point where it
/// has D. Returns D as SciPy reports it (snapped to h/lcm by the exact branch) and the p-value.
TestResult KsTest(double d, uint64_t n1, uint64_t n2) {
  if (std::isnan(d)) return {d, d};
  d = std::clamp(d, 0.0, 1.0);
  if (std::max(n1, n2) <= kMaxExactSize) {
    // _attempt_exact_2kssamp
    const auto a = static_cast<int64_t>(n1);
    const auto b = static_cast<int64_t>(n2);
    const int64_t g = std::gcd(a, b);
    const int64_t lcm = (a / g) * b;
    const auto h = static_cast<int64_t>(std::nearbyint(d * static_cast<double>(lcm)));
    d = static_cast<double>(h) / static_cast<double>(lcm);
    if (h == 0) return {d, 1.0};
    const double p = a == b ? ProbOutsideSquare(a, h) : OuterProbInside(a, b, g, h);
    // SciPy's acceptance test; a rejected sum (1.0000000000000002 for some h = 1) falls
    // through to the asymptotic p-value with the snapped D.
    if (0 <= p && p <= 1) return {d, p};
  }
  // The one-sided formula is not symmetric in the sizes, hence SciPy sorts them.
  const double big = static_cast<double>(std::max(n1, n2));
  const double small = static_cast<double>(std::min(n1, n2));
  const double en = big * small / (big + small);
  return {
      d, std::clamp(internal::KolmogorovSf(static_cast<int64_t>(std::nearbyint(en)), d), 0.0, 1.0)};
}

}  // namespace

TestResult KsTwoSample(std::span<const double> a, std::span<const double> b) {
  std::vector<double> x, y;
  x.reserve(a.size());
  y.reserve(b.size());
  std::copy_if(a.begin(), a.end(), std::back_inserter(x), [](double v) { return !std::isnan(v); });
  std::copy_if(b.begin(), b.end(), std::back_inserter(y), [](double v) { return !std::isnan(v); });
  if (x.empty() || y.empty()) return {0.0, 1.0};
  std::sort(x.begin(), x.end());
  std::sort(y.begin(), y.end());
  // cdf1 - cdf2 at every value of either sample, each CDF counting the values <= it (SciPy's
  // searchsorted(side="right") / n); evaluating once per distinct value gives the same extremes.
  const double n1 = static_cast<double>(x.size());
  const double n2 = static_cast<double>(y.size());
  double max_diff = 0;  // the CDFs meet at the largest value, so both extremes reach 0
  double min_diff = 0;
  size_t i = 0, j = 0;
  while (i < x.size() || j < y.size()) {
    const double v = j == y.size() || (i < x.size() && x[i] <= y[j]) ? x[i] : y[j];
    while (i < x.size() && x[i] == v) ++i;
    while (j < y.size() && y[j] == v) ++j;
    const double diff = static_cast<double>(i) / n1 - static_cast<double>(j) / n2;
    max_diff = std::max(max_diff, diff);
    min_diff = std::min(min_diff, diff);
  }
  const double d = std::min(-min_diff, 1.0) > max_diff ? std::min(-min_diff, 1.0) : max_diff;
  return KsTest(d, x.size(), y.size());
}

double KsPValue(double d, uint64_t n, uint64_t m) {
  if (n == 0 || m == 0) return 1.0;
  return KsTest(d, n, m).p_value;
}

TestResult KsBinned(std::span<const double> a_counts, std::span<const double> b_counts) {
  HONE_CHECK(a_counts.size() == b_counts.size());
  if (!internal::ValidCounts(a_counts) || !internal::ValidCounts(b_counts)) return {kNaN, kNaN};
  double total_a = 0, total_b = 0;
  for (size_t k = 0; k < a_counts.size(); ++k) {
    total_a += a_counts[k];
    total_b += b_counts[k];
  }
  if (!std::isfinite(total_a) || !std::isfinite(total_b)) return {kNaN, kNaN};  // overflow
  if (!(total_a > 0) || !(total_b > 0)) return {0.0, 1.0};
  double cum_a = 0, cum_b = 0, max_diff = 0, min_diff = 0;
  for (size_t k = 0; k < a_counts.size(); ++k) {
    cum_a += a_counts[k];
    cum_b += b_counts[k];
    const double diff = cum_a / total_a - cum_b / total_b;
    max_diff = std::max(max_diff, diff);
    min_diff = std::min(min_diff, diff);
  }
  const double d = std::min(-min_diff, 1.0) > max_diff ? std::min(-min_diff, 1.0) : max_diff;
  // Sample sizes for the p-value: fractional totals round, but never to an empty sample.
  const auto size = [](double total) {
    return static_cast<uint64_t>(std::clamp(std::round(total), 1.0, 1e18));
  };
  return KsTest(d, size(total_a), size(total_b));
}

}  // namespace hone::monitor
