// kstwo.sf(d, n): the survival function of the two-sided one-sample Kolmogorov–Smirnov
// statistic D_n, as SciPy 1.10 computes it (scipy/stats/_ksstats.py, _kolmogn with cdf=False).
// Simard & L'Ecuyer's (2011) selection picks one of: Ruben–Gambino's closed forms for d near
// 1/(2n) or near 1; Durbin's matrix (Marsaglia, Tsang & Wang 2003); Pomeranz's recursion (1974);
// Pelz–Good's series (1976); or twice the one-sided tail, cephes' smirnov
// (scipy/special/cephes/kolmogorov.c). The selection and its thresholds are SciPy's to the last
// comparison. Within each algorithm only rounding differs: hone multiplies matrices and
// convolves in its own order, and sums smirnov's positive terms in long double where cephes
// uses double-double.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <tuple>
#include <utility>
#include <vector>

#include "hone/monitor/drift_stats_internal.h"

namespace hone::monitor::internal {
namespace {

constexpr long double kTwo128 = 0x1p128L;  // _ksstats' _EP128, the rescaling step
constexpr long double kTwoMinus128 = 0x1p-128L;
constexpr double kPi = std::numbers::pi;
constexpr double kMinLog = -7.451332191019412076235E2;  // cephes' MINLOG, log(2^-1075)
constexpr int64_t kSmirnovMaxComputeN = 1000000;        // cephes' SMIRNOV_MAX_COMPUTE_N

double Clip(long double p) { return static_cast<double>(std::clamp(p, 0.0L, 1.0L)); }

// ---- Durbin's matrix ----

/// A dense row-major square matrix, just enough for Durbin's H^n.
class SquareMatrix {
 public:
  explicit SquareMatrix(int size)
      : size_(size), a_(static_cast<size_t>(size) * static_cast<size_t>(size), 0.0) {}

  double& operator()(int r, int c) { return a_[Index(r, c)]; }
  double operator()(int r, int c) const { return a_[Index(r, c)]; }

  SquareMatrix operator*(const SquareMatrix& b) const {
    SquareMatrix product(size_);
    for (int r = 0; r < size_; ++r) {
      for (int k = 0; k < size_; ++k) {
        const double ark = (*this)(r, k);
        if (ark == 0) continue;
        for (int c = 0; c < size_; ++c) product(r, c) += ark * b(k, c);
      }
    }
    return product;
  }

  void Scale(double factor) {
    for (double& x : a_) x *= factor;
  }

 private:
  size_t Index(int r, int c) const {
    return static_cast<size_t>(r) * static_cast<size_t>(size_) + static_cast<size_t>(c);
  }

  int size_;
  std::vector<double> a_;
};

/// _kolmogn_DMTW: Pr(D_n <= d) as n!/n^n times the k-th diagonal entry of H^n, H of size
/// 2k - 1 with k = ceil(nd), powers rescaled by 2^128 to stay in range.
long double DurbinMatrixCdf(int64_t n, double d) {
  if (d >= 1.0) return 1.0;
  const double nd = static_cast<double>(n) * d;
  if (nd <= 0.5) return 0.0;
  const int k = static_cast<int>(std::ceil(nd));
  const double h = k - nd;
  const int m = 2 * k - 1;
  // v[j] = (1 - h^(j+1)) / (j+1)! except the last; w[j] = 1/j!.
  std::vector<double> v(static_cast<size_t>(m)), w(static_cast<size_t>(m));
  double fac = 1.0;
  for (int j = 1; j <= m; ++j) {
    v[j - 1] = 1.0 - std::pow(h, j);
    w[j - 1] = fac;
    fac /= j;  // may underflow, harmlessly
    v[j - 1] *= fac;
  }
  const double tt = std::pow(std::max(2 * h - 1.0, 0.0), m) - 2 * std::pow(h, m);
  v[m - 1] = (1.0 + tt) * fac;
  SquareMatrix hm(m);
  for (int i = 1; i < m; ++i) {
    for (int r = i - 1; r < m; ++r) hm(r, i) = w[r - i + 1];
  }
  for (int r = 0; r < m; ++r) hm(r, 0) = v[r];
  for (int c = 0; c < m; ++c) hm(m - 1, c) = v[m - 1 - c];

  SquareMatrix power(m);
  for (int i = 0; i < m; ++i) power(i, i) = 1.0;
  int64_t power_exponent = 0;  // power holds H^j * 2^-power_exponent
  int64_t h_exponent = 0;
  for (int64_t nn = n; nn > 0; nn /= 2) {
    if (nn % 2 != 0) {
      power = power * hm;
      power_exponent += h_exponent;
    }
    hm = hm * hm;
    h_exponent *= 2;
    if (std::abs(hm(k - 1, k - 1)) > kTwo128) {
      hm.Scale(static_cast<double>(kTwoMinus128));
      h_exponent += 128;
    }
  }
  long double p = power(k - 1, k - 1);
  for (int64_t i = 1; i <= n; ++i) {  // times n!/n^n
    p = static_cast<long double>(i) * p / static_cast<long double>(n);
    if (std::abs(p) < kTwoMinus128) {
      p *= kTwo128;
      power_exponent -= 128;
    }
  }
  if (power_exponent != 0) p = std::ldexp(p, static_cast<int>(power_exponent));
  return std::clamp(p, 0.0L, 1.0L);
}

// ---- Pomeranz's recursion ----

/// _pomeranz_compute_j1j2: the non-zero stretch of row i.
std::pair<int64_t, int64_t> PomeranzBounds(int64_t i, int64_t n, int64_t ll, int ceilf,
                                           int roundf) {
  int64_t j1, j2;
  if (i == 0) {
    j1 = -ll - ceilf - 1;
    j2 = ll + ceilf - 1;
  } else {
    const int64_t half = (i + 1) / 2;
    if ((i + 1) % 2 == 0) {  // i odd
      if (half == n + 1) {
        j1 = n - ll - ceilf - 1;
        j2 = n + ll + ceilf - 1;
      } else {
        j1 = half - 1 - ll - roundf - 1;
        j2 = half + ll - 1 + ceilf - 1;
      }
    } else {
      j1 = half - 1 - ll - 1;
      j2 = half + ll + roundf - 1;
    }
  }
  return {std::max<int64_t>(j1 + 2, 0), std::min(j2, n)};
}

/// _kolmogn_Pomeranz: Pr(D_n <= x) as n! times the last entry of 2n + 1 convolutions with
/// Poisson-like weights, two rows kept, rescaled by 2^128 against underflow.
long double PomeranzCdf(int64_t n, double x) {
  const double dn = static_cast<double>(n);
  const double t = dn * x;
  const auto ll = static_cast<int64_t>(std::floor(t));
  const double f = t - static_cast<double>(ll);
  const double g = std::min(f, 1.0 - f);
  const int ceilf = f > 0 ? 1 : 0;
  const int roundf = f > 0.5 ? 1 : 0;
  const auto npwrs = static_cast<size_t>(2 * (ll + 1));
  // (g/n)^j/j!, (2g/n)^j/j!, ((1-2g)/n)^j/j!
  std::vector<double> gpower(npwrs), twogpower(npwrs), onem2gpower(npwrs);
  gpower[0] = twogpower[0] = onem2gpower[0] = 1.0;
  const double g_over_n = g / dn, two_g_over_n = 2 * g / dn,
               one_minus_two_g_over_n = (1 - 2 * g) / dn;
  for (size_t j = 1; j < npwrs; ++j) {
    const auto dj = static_cast<double>(j);
    gpower[j] = gpower[j - 1] * g_over_n / dj;
    twogpower[j] = twogpower[j - 1] * two_g_over_n / dj;
    onem2gpower[j] = onem2gpower[j - 1] * one_minus_two_g_over_n / dj;
  }
  std::vector<double> v0(npwrs, 0.0), v1(npwrs, 0.0);
  v1[0] = 1;
  int64_t v0s = 0, v1s = 0;  // the column each row's first entry stands for
  int64_t exponent = 0;
  auto [j1, j2] = PomeranzBounds(0, n, ll, ceilf, roundf);
  for (int64_t i = 1; i < 2 * n + 2; ++i) {
    const int64_t k1 = j1;
    std::swap(v0, v1);
    std::swap(v0s, v1s);
    std::fill(v1.begin(), v1.end(), 0.0);
    std::tie(j1, j2) = PomeranzBounds(i, n, ll, ceilf, roundf);
    const std::vector<double>& pwrs =
        (i == 1 || i == 2 * n + 1) ? gpower : (i % 2 != 0 ? twogpower : onem2gpower);
    const int64_t ln2 = j2 - k1 + 1;
    if (ln2 <= 0) continue;
    // Entries conv_start.. of the full convolution of v0[k1 - v0s, + ln2) with pwrs[0, ln2).
    const double* in = v0.data() + (k1 - v0s);
    const int64_t conv_start = j1 - k1;
    const int64_t conv_len = j2 - j1 + 1;
    double largest = 0;
    for (int64_t c = 0; c < conv_len; ++c) {
      const int64_t at = conv_start + c;
      double sum = 0;
      for (int64_t q = std::max<int64_t>(0, at - (ln2 - 1)); q <= std::min(at, ln2 - 1); ++q) {
        sum += in[q] * pwrs[static_cast<size_t>(at - q)];
      }
      v1[static_cast<size_t>(c)] = sum;
      largest = std::max(largest, sum);
    }
    if (0 < largest && largest < kTwoMinus128) {
      for (double& e : v1) e *= static_cast<double>(kTwo128);
      exponent -= 128;
    }
    v1s = v0s + j1 - k1;
  }
  long double ans = v1[static_cast<size_t>(n - v1s)];
  for (int64_t j = 1; j <= n; ++j) {  // times n!
    if (std::abs(ans) > kTwo128) {
      ans *= kTwoMinus128;
      exponent += 128;
    }
    ans *= static_cast<long double>(j);
  }
  if (exponent != 0) ans = std::ldexp(ans, static_cast<int>(exponent));
  return std::clamp(ans, 0.0L, 1.0L);
}

// ---- Pelz–Good ----

/// _kolmogn_PelzGood: Li-Chien and Korolyuk's expansion K0 + K1/sqrt(n) + K2/n + K3/n^1.5 in
/// z = sqrt(n) x, each term transformed by Jacobi's theta identity for small z.
double PelzGoodCdf(int64_t n, double x) {
  if (x <= 0.0) return 0.0;
  if (x >= 1.0) return 1.0;
  const double pi2 = std::pow(kPi, 2), pi4 = std::pow(kPi, 4), pi6 = std::pow(kPi, 6);
  const double sqrt2pi = std::sqrt(2 * kPi);
  const double z = std::sqrt(static_cast<double>(n)) * x;
  const double z2 = std::pow(z, 2), z3 = std::pow(z, 3), z4 = std::pow(z, 4), z6 = std::pow(z, 6);
  const double qlog = -pi2 / 8 / z2;
  if (qlog < -708) return 0.0;  // _MIN_LOG
  double q = std::exp(qlog);
  const double k1a = -z2;
  const double k1b = pi2 / 4;
  const double k2a = 6 * z6 + 2 * z4;
  const double k2b = (2 * z4 - 5 * z2) * pi2 / 4;
  const double k2c = pi4 * (1 - 2 * z2) / 16;
  const double k3d = pi6 * (5 - 30 * z2) / 64;
  const double k3c = pi4 * (-60 * z2 + 212 * z4) / 16;
  const double k3b = pi2 * (135 * z4 - 96 * z6) / 4;
  const double k3a = -30 * z6 - 90 * std::pow(z, 8);
  double terms[4] = {0, 0, 0, 0};
  // Horner over the odd integers m = 2k - 1: sum c_m q^(m^2).
  const auto maxk = static_cast<int64_t>(std::ceil(16 * z / kPi));
  for (int64_t k = maxk; k > 0; --k) {
    const auto m = static_cast<double>(2 * k - 1);
    const double m2 = m * m, m4 = m2 * m2, m6 = m4 * m2;
    const double qpower = std::pow(q, static_cast<double>(8 * k));
    const double coeffs[4] = {1.0, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4,
                              k3a + k3b * m2 + k3c * m4 + k3d * m6};
    for (int i = 0; i < 4; ++i) terms[i] = terms[i] * qpower + coeffs[i];
  }
  const double divisors[4] = {z, 6 * z4, 72 * std::pow(z, 7), 6480 * std::pow(z, 10)};
  for (int i = 0; i < 4; ++i) terms[i] = terms[i] * q * sqrt2pi / divisors[i];
  // The remaining sums over all integers k, for K2 and K3.
  q = std::exp(-pi2 / 2 / z2);
  const double sqrt3z = std::sqrt(3.0) * z;
  double k2extra = 0, k3extra = 0;
  for (int64_t k = maxk; k > 0; --k) {
    const auto dk = static_cast<double>(k);
    const double qk = std::pow(q, dk * dk);
    k2extra += dk * dk * qk;
    k3extra += (sqrt3z + kPi * dk) * (sqrt3z - kPi * dk) * (dk * dk) * qk;
  }
  terms[2] += k2extra * (pi2 * sqrt2pi / (-36 * z3));
  terms[3] += k3extra * (pi2 * sqrt2pi / (216 * z6));
  const auto dn = static_cast<double>(n);
  return terms[0] + terms[1] / std::pow(dn, 0.5) + terms[2] / dn + terms[3] / std::pow(dn, 1.5);
}

// ---- cephes' smirnov ----

/// Pr(D+_n >= x), the one-sided tail, by Birnbaum–Tingey's sum of positive terms
/// x * sum_{v=0}^{floor(n(1-x))} C(n,v) (x + v/n)^(v-1) (1 - x - v/n)^(n-v), with cephes'
/// special cases, cut-offs and early exit. Cephes evaluates the terms in double-double; here
/// each is exp of its logarithm in long double, log C(n, v) summed with compensation, which
/// agrees with cephes to ~3e-16 relative up to its limit of n = 10^6, beyond which cephes
/// (and hone) approximate.
/// Cephes' "upper sum" alternative only serves x <= 0.5/sqrt(n), which kstwo never asks for.
double SmirnovSf(int64_t n, double x) {
  if (!(n > 0 && x >= 0.0 && x <= 1.0)) return std::numeric_limits<double>::quiet_NaN();
  if (n == 1) return 1 - x;
  if (x == 0.0) return 1.0;
  if (x == 1.0) return 0.0;
  // floor(n x) and whether n x is an integer, exactly (cephes' modNX in double-double, which
  // also counts a fraction within half an ulp of 1 as the next integer).
  const auto dn = static_cast<double>(n);
  const double nx = dn * x;
  const double nx_error = std::fma(dn, x, -nx);  // n x == nx + nx_error exactly
  auto nxfl = static_cast<int64_t>(std::floor(nx));
  bool integral = false;
  if (static_cast<double>(nxfl) == nx) {
    if (nx_error < 0) {
      if (1.0 + nx_error == 1.0) {
        integral = true;
      } else {
        --nxfl;
      }
    } else {
      integral = nx_error == 0;
    }
  }
  if (nxfl == 0 || (nxfl == 1 && integral)) {  // x <= 1/n
    const long double t = std::pow(1.0L + x, static_cast<long double>(n - 1));
    return static_cast<double>(std::clamp(1 - x * t, 0.0L, 1.0L));
  }
  if (-2 * dn * x * x < kMinLog) return 0.0;
  if (nxfl >= n - 1) return static_cast<double>(std::pow(1.0L - x, static_cast<long double>(n)));
  if (n > kSmirnovMaxComputeN) return std::exp(-std::pow(6 * dn * x + 1.0, 2) / 18.0 / dn);

  // v = 0 .. n - floor(n x) - 1: the last v with 1 - x - v/n > 0, n x integral or not.
  const int64_t terms = n - nxfl;
  const long double ln = dn;
  const long double lx = x;
  long double log_binomial = 0;  // log C(n, v), summed with Kahan's compensation
  long double compensation = 0;
  long double sum = 0;
  for (int64_t v = 0; v < terms; ++v) {
    const auto lv = static_cast<long double>(v);
    const long double below = (ln - lv) / ln - lx;  // 1 - x - v/n
    const long double above = lx + lv / ln;         // x + v/n
    const long double term =
        std::exp(log_binomial + (ln - lv) * std::log(below) + (lv - 1) * std::log(above));
    sum += term;
    if (term != 0) {
      if (4 * static_cast<long double>(terms - v) * term < DBL_EPSILON * sum && v != terms - 1) {
        break;
      }
    } else if (v > n / 2) {
      break;
    }
    const long double step = std::log((ln - lv) / (lv + 1)) - compensation;
    const long double next = log_binomial + step;
    compensation = (next - log_binomial) - step;
    log_binomial = next;
  }
  return static_cast<double>(std::clamp(lx * sum, 0.0L, 1.0L));
}

/// _log_nfactorial_div_n_pow_n: log(n!/n^n) by Stirling's series, n*log(n) removed up front.
double LogNFactorialDivNPowN(int64_t n) {
  static constexpr double kStirling[] = {-2.955065359477124183e-2,  6.4102564102564102564e-3,
                                         -1.9175269175269175269e-3, 8.4175084175084175084e-4,
                                         -5.952380952380952381e-4,  7.9365079365079365079e-4,
                                         -2.7777777777777777778e-3, 8.3333333333333333333e-2};
  const auto dn = static_cast<double>(n);
  const double rn = 1.0 / dn;
  double poly = 0;
  for (double c : kStirling) poly = poly * (rn / dn) + c;
  return std::log(dn) / 2 - dn + std::log(2 * kPi) / 2 + rn * poly;
}

}  // namespace

double KolmogorovSf(int64_t n, double x) {
  if (std::isnan(x) || n < 1) return std::numeric_limits<double>::quiet_NaN();
  const auto dn = static_cast<double>(n);
  // rv_continuous.sf outside kstwo's support (0.5/n, 1).
  if (x <= 0.5 / dn) return 1.0;
  if (x >= 1.0) return 0.0;
  const double t = dn * x;
  if (t <= 1.0) {  // Ruben–Gambino: Pr(D_n <= x) = n!/n^n (2t - 1)^n
    if (t <= 0.5) return 1.0;
    double prob = 1.0;
    if (n <= 140) {
      for (int64_t k = 1; k <= n; ++k) prob *= static_cast<double>(k) * (1.0 / dn) * (2 * t - 1);
    } else {
      prob = std::exp(LogNFactorialDivNPowN(n) + dn * std::log(2 * t - 1));
    }
    return Clip(1.0 - prob);
  }
  if (t >= dn - 1) return Clip(2 * std::pow(1.0 - x, dn));  // Ruben–Gambino
  if (x >= 0.5) return Clip(2 * SmirnovSf(n, x));           // exact: the tails cannot overlap
  const double nxsquared = t * x;
  if (n <= 140) {
    if (nxsquared <= 0.754693) return Clip(1.0L - DurbinMatrixCdf(n, x));
    if (nxsquared <= 4) return Clip(1.0L - PomeranzCdf(n, x));
    return Clip(2 * SmirnovSf(n, x));  // Miller's approximation
  }
  if (nxsquared >= 370.0) return 0.0;
  if (nxsquared >= 2.2) return Clip(2 * SmirnovSf(n, x));
  // Here nxsquared < 18, so SciPy does not take the CDF to be 1.
  if (n <= 100000 && dn * std::pow(x, 1.5) <= 1.4) return Clip(1.0L - DurbinMatrixCdf(n, x));
  return Clip(1.0L - PelzGoodCdf(n, x));
}

}  // namespace hone::monitor::internal
