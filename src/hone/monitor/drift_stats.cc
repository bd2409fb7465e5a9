// The drift statistics other than Kolmogorov–Smirnov (drift_stats_ks.cc): chi-square
// homogeneity with the chi-square survival function, PSI, Jensen–Shannon, Wasserstein and Holm.
#include "hone/monitor/drift_stats.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numeric>
#include <span>
#include <utility>
#include <vector>

#include "hone/core/error.h"
#include "hone/monitor/drift_stats_internal.h"

namespace hone::monitor {
namespace {

using internal::ValidCounts;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kShareFloor = 1e-4;  // PSI's floor on a bin's share

/// Q(a, x) = Γ(a, x) / Γ(a), the regularised upper incomplete gamma function, for a > 0: the
/// series for P = 1 - Q below x = a + 1 and Legendre's continued fraction (modified Lentz)
/// above, as Numerical Recipes' gammq, in long double. The prefactor x^a e^-x / Γ(a) goes
/// through its logarithm, so a tail far below DBL_MIN underflows to 0 instead of overflowing
/// in between; below x = a + 1, Q >= ~0.08, so 1 - P loses nothing. Against the closed form
/// for even degrees of freedom (computed to 60 digits) the error is ~2e-16 relative up to
/// a = 1000 and ~1e-14 at a = 50000, where log Γ(a) ~ 5e5 costs the digits; cephes' igamc,
/// SciPy's, is itself off by up to ~1.5e-12 in the far tail for a ~ 1000.
double RegularizedUpperGamma(double a, double x) {
  if (std::isnan(a) || std::isnan(x) || !(a > 0)) return kNaN;
  if (x <= 0) return 1.0;
  if (std::isinf(x)) return 0.0;
  constexpr long double kEpsilon = LDBL_EPSILON;
  constexpr long double kTiny = LDBL_MIN / LDBL_EPSILON;
  // Both expansions need O(sqrt(a)) terms near x = a; this bound is never reached for the
  // degrees of freedom a histogram can have.
  constexpr int kMaxIterations = 1000000;
  const long double la = a;
  const long double lx = x;
  int sign = 0;
  const long double log_prefactor = la * std::log(lx) - lx - ::lgammal_r(la, &sign);
  if (x < a + 1) {
    long double ap = la;
    long double term = 1 / la;
    long double sum = term;
    for (int i = 0; i < kMaxIterations && term >= sum * kEpsilon; ++i) {
      ap += 1;
      term *= lx / ap;
      sum += term;
    }
    return static_cast<double>(std::clamp(1 - sum * std::exp(log_prefactor), 0.0L, 1.0L));
  }
  long double b = lx + 1 - la;
  long double c = 1 / kTiny;
  long double d = 1 / b;
  long double h = d;
  for (int i = 1; i < kMaxIterations; ++i) {
    const long double an = -i * (i - la);
    b += 2;
    d = an * d + b;
    if (std::abs(d) < kTiny) d = kTiny;
    c = b + an / c;
    if (std::abs(c) < kTiny) c = kTiny;
    d = 1 / d;
    const long double delta = d * c;
    h *= delta;
    if (std::abs(delta - 1) < kEpsilon) break;
  }
  return static_cast<double>(std::clamp(std::exp(log_prefactor) * h, 0.0L, 1.0L));
}

}  // namespace

namespace internal {

double ChiSquareSf(double x, double dof) {
  // chi2.sf(x, dof) is cephes' chdtrc: igamc(dof / 2, x / 2).
  return RegularizedUpperGamma(dof / 2.0, x / 2.0);
}

}  // namespace internal

namespace {

/// x * log(x / y), scipy.special.rel_entr for x >= 0 and y > 0 where x > 0.
double RelativeEntropy(double x, double y) { return x > 0 ? x * std::log(x / y) : 0.0; }

/// (value, weight) pairs sorted by value.
std::vector<std::pair<double, double>> SortedPairs(std::span<const double> values,
                                                   std::span<const double> weights) {
  std::vector<std::pair<double, double>> pairs;
  pairs.reserve(values.size());
  for (size_t i = 0; i < values.size(); ++i) pairs.emplace_back(values[i], weights[i]);
  std::sort(pairs.begin(), pairs.end(),
            [](const auto& l, const auto& r) { return l.first < r.first; });
  return pairs;
}

}  // namespace

TestResult ChiSquareHomogeneity(std::span<const double> a_counts,
                                std::span<const double> b_counts) {
  HONE_CHECK(a_counts.size() == b_counts.size());
  if (!ValidCounts(a_counts) || !ValidCounts(b_counts)) return {kNaN, kNaN};
  std::vector<std::pair<double, double>> kept;  // categories not empty in both rows
  double row_a = 0, row_b = 0;
  for (size_t i = 0; i < a_counts.size(); ++i) {
    if (a_counts[i] == 0 && b_counts[i] == 0) continue;
    kept.emplace_back(a_counts[i], b_counts[i]);
    row_a += a_counts[i];
    row_b += b_counts[i];
  }
  if (kept.size() < 2 || row_a == 0 || row_b == 0) return {0.0, 1.0};
  const double total = row_a + row_b;
  const size_t dof = kept.size() - 1;
  long double statistic = 0;
  for (const auto& [oa, ob] : kept) {
    const double column = oa + ob;
    for (const auto& [observed, row] : {std::pair{oa, row_a}, std::pair{ob, row_b}}) {
      const double expected = row * column / total;
      double o = observed;
      if (dof == 1) {  // Yates: move each count up to 0.5 towards its expectation
        const double diff = expected - o;
        if (diff != 0) o += std::copysign(std::min(0.5, std::abs(diff)), diff);
      }
      statistic += static_cast<long double>(o - expected) * (o - expected) / expected;
    }
  }
  const auto chi2 = static_cast<double>(statistic);
  return {chi2, internal::ChiSquareSf(chi2, static_cast<double>(dof))};
}

double PopulationStabilityIndex(std::span<const double> expected, std::span<const double> actual) {
  HONE_CHECK(expected.size() == actual.size());
  if (!ValidCounts(expected) || !ValidCounts(actual)) return kNaN;
  const double total_e = std::accumulate(expected.begin(), expected.end(), 0.0);
  const double total_a = std::accumulate(actual.begin(), actual.end(), 0.0);
  if (total_e == 0 || total_a == 0) return 0.0;
  double psi = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    const double e = std::max(expected[i] / total_e, kShareFloor);
    const double a = std::max(actual[i] / total_a, kShareFloor);
    psi += (a - e) * std::log(a / e);
  }
  return psi;
}

double JensenShannonDistance(std::span<const double> p_counts, std::span<const double> q_counts) {
  HONE_CHECK(p_counts.size() == q_counts.size());
  if (!ValidCounts(p_counts) || !ValidCounts(q_counts)) return kNaN;
  const double total_p = std::accumulate(p_counts.begin(), p_counts.end(), 0.0);
  const double total_q = std::accumulate(q_counts.begin(), q_counts.end(), 0.0);
  if (total_p == 0 || total_q == 0) return 0.0;
  double left = 0, right = 0;
  for (size_t i = 0; i < p_counts.size(); ++i) {
    const double p = p_counts[i] / total_p;
    const double q = q_counts[i] / total_q;
    const double m = (p + q) / 2.0;
    left += RelativeEntropy(p, m);
    right += RelativeEntropy(q, m);
  }
  const double js = (left + right) / std::log(2.0);
  // Rounding can leave a hair below 0 for near-identical inputs, where SciPy answers NaN.
  return std::sqrt(std::max(js / 2.0, 0.0));
}

double WassersteinDistance(std::span<const double> u_values, std::span<const double> u_weights,
                           std::span<const double> v_values, std::span<const double> v_weights) {
  HONE_CHECK(u_values.size() == u_weights.size());
  HONE_CHECK(v_values.size() == v_weights.size());
  if (!ValidCounts(u_weights) || !ValidCounts(v_weights)) return kNaN;
  const auto is_nan = [](double x) { return std::isnan(x); };
  if (std::any_of(u_values.begin(), u_values.end(), is_nan) ||
      std::any_of(v_values.begin(), v_values.end(), is_nan)) {
    return kNaN;
  }
  const auto u = SortedPairs(u_values, u_weights);
  const auto v = SortedPairs(v_values, v_weights);
  double total_u = 0, total_v = 0;
  for (const auto& [value, weight] : u) total_u += weight;
  for (const auto& [value, weight] : v) total_v += weight;
  if (total_u == 0 || total_v == 0) return 0.0;
  // The integral of |U(x) - V(x)| over the merged values, each CDF a step function that
  // counts the weight at values <= x.
  double distance = 0, cum_u = 0, cum_v = 0;
  size_t i = 0, j = 0;
  while (i < u.size() || j < v.size()) {
    const double x =
        j == v.size() || (i < u.size() && u[i].first <= v[j].first) ? u[i].first : v[j].first;
    for (; i < u.size() && u[i].first == x; ++i) cum_u += u[i].second;
    for (; j < v.size() && v[j].first == x; ++j) cum_v += v[j].second;
    if (i == u.size() && j == v.size()) break;
    const double next =
        j == v.size() || (i < u.size() && u[i].first <= v[j].first) ? u[i].first : v[j].first;
    distance += std::abs(cum_u / total_u - cum_v / total_v) * (next - x);
  }
  return distance;
}

std::vector<double> HolmAdjust(std::span<const double> p_values) {
  std::vector<double> adjusted(p_values.begin(), p_values.end());  // NaNs stay as they are
  std::vector<size_t> order;
  for (size_t i = 0; i < p_values.size(); ++i) {
    if (!std::isnan(p_values[i])) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t l, size_t r) { return p_values[l] < p_values[r]; });
  const auto m = static_cast<double>(order.size());
  double running = -std::numeric_limits<double>::infinity();
  for (size_t j = 0; j < order.size(); ++j) {
    const double scaled = (m - static_cast<double>(j)) * p_values[order[j]];
    running = std::max(running, std::min(1.0, scaled));
    adjusted[order[j]] = running;
  }
  return adjusted;
}

}  // namespace hone::monitor
