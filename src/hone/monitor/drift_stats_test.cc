#include "hone/monitor/drift_stats.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <limits>
#include <string>
#include <tuple>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "hone/monitor/drift_stats_internal.h"

namespace hone::monitor {
namespace {

using ::testing::DoubleNear;
using ::testing::ElementsAre;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// ---- SciPy fixtures (testdata/make_drift_fixtures.py) ----

// Tolerances, relative unless the expected value is below kUnderflow.
//
// The KS statistic is i/n - j/m (or SciPy's h/lcm) computed with the same correctly rounded
// operations as NumPy, and the exact p-value repeats SciPy's operations in SciPy's order
// (drift_stats_ks.cc), so both must agree to the bit. The asymptotic p-value runs SciPy's
// algorithms with other rounding (matrix products, convolutions, and smirnov's terms in long
// double where cephes uses double-double); the chi-square p-value is Numerical Recipes' gammq in
// long double against cephes' igamc, which is accurate to ~1e-14 itself; the distances sum in
// another order than NumPy's pairwise sum.
constexpr double kExact = 0;
constexpr double kAsymptoticP = 1e-12;
constexpr double kChiSquareP = 1e-12;
constexpr double kSum = 1e-12;
// SciPy's p-values below this are subnormal or 0, where relative error is meaningless; there
// both sides must be within kUnderflow of each other (and hone's never negative).
constexpr double kUnderflow = 1e-300;

struct Tally {
  int comparisons = 0;
  double worst_relative = 0;  // reported, to show how much of the tolerance is used
};

void ExpectClose(double actual, const nlohmann::json& expected, double tolerance,
                 const std::string& what, Tally& tally) {
  ++tally.comparisons;
  if (expected.is_null()) {
    EXPECT_TRUE(std::isnan(actual)) << what << " = " << actual << ", SciPy answers NaN";
    return;
  }
  const double want = expected.get<double>();
  if (std::abs(want) < kUnderflow) {
    EXPECT_THAT(actual, DoubleNear(want, kUnderflow)) << what;
    EXPECT_GE(actual, 0) << what;
    return;
  }
  const double relative = std::abs(actual - want) / std::abs(want);
  tally.worst_relative = std::max(tally.worst_relative, relative);
  EXPECT_LE(relative, tolerance) << what << ": hone " << actual << ", SciPy " << want;
}

void Report(const std::string& group, const Tally& tally) {
  std::cout << group << ": " << tally.comparisons << " comparisons, worst relative error "
            << tally.worst_relative << "\n";
}

const nlohmann::json& Fixtures() {
  static const auto* fixtures = [] {
    std::ifstream in(std::string(HONE_SOURCE_DIR) +
                     "/src/hone/monitor/testdata/drift_fixtures.json");
    return new nlohmann::json(nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false));
  }();
  return *fixtures;
}

const nlohmann::json& Group(const std::string& name) {
  const nlohmann::json& fixtures = Fixtures();
  EXPECT_FALSE(fixtures.is_discarded()) << "testdata/drift_fixtures.json is missing or invalid";
  static const nlohmann::json kEmpty = nlohmann::json::array();
  if (fixtures.is_discarded() || !fixtures.contains(name)) return kEmpty;
  EXPECT_GE(fixtures[name].size(), 9u) << name;
  return fixtures[name];
}

std::vector<double> Values(const nlohmann::json& list) {
  std::vector<double> out;
  for (const auto& v : list) out.push_back(v.is_null() ? kNaN : v.get<double>());
  return out;
}

// make_drift_fixtures.py's generate(), bit for bit: a 64-bit LCG whose draws become values
// through +, *, / and floor only.
std::vector<double> Generate(const nlohmann::json& spec) {
  uint64_t state = spec["seed"].get<uint64_t>();
  auto draw = [&state] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(state >> 11) * 0x1p-53;
  };
  const bool uniform = spec["kind"] == "uniform";
  const double loc = spec["loc"].get<double>();
  const double scale = spec["scale"].get<double>();
  const double grid = spec["grid"].get<double>();
  std::vector<double> out;
  for (int i = 0; i < spec["n"].get<int>(); ++i) {
    double z = 0.0;
    if (uniform) {
      z = draw();
    } else {
      for (int k = 0; k < 12; ++k) z += draw();
      z -= 6.0;
    }
    double value = loc + scale * z;
    if (grid != 0) value = std::floor(value * grid) / grid;
    out.push_back(value);
  }
  return out;
}

std::vector<double> Sample(const nlohmann::json& j) {
  return j.is_object() ? Generate(j) : Values(j);
}

TEST(DriftStatsKs, TwoSampleMatchesScipy) {
  Tally exact, asymptotic;
  for (const auto& c : Group("ks_2samp")) {
    const std::string name = c["name"];
    const std::vector<double> a = Sample(c["a"]), b = Sample(c["b"]);
    const TestResult r = KsTwoSample(a, b);
    EXPECT_EQ(r.statistic, c["statistic"].get<double>()) << name;
    const bool is_exact =
        c["branch"].get<std::string>().starts_with("exact_") || c["branch"] == "hone_empty";
    ExpectClose(r.p_value, c["p_value"], is_exact ? kExact : kAsymptoticP, name,
                is_exact ? exact : asymptotic);
    // The test is symmetric in its samples, to the bit (checked where that is quick).
    if (a.size() * b.size() <= 10'000'000 || !is_exact) {
      const TestResult swapped = KsTwoSample(b, a);
      EXPECT_EQ(swapped.statistic, r.statistic) << name;
      EXPECT_EQ(swapped.p_value, r.p_value) << name;
    }
  }
  Report("ks_2samp exact", exact);
  Report("ks_2samp asymptotic", asymptotic);
}

TEST(DriftStatsKs, PValueMatchesScipyInEveryBranch) {
  Tally exact, asymptotic;
  for (const auto& c : Group("ks_pvalue")) {
    const std::string name =
        c["name"].get<std::string>() + " (" + c["branch"].get<std::string>() + ")";
    const double p = KsPValue(c["d"].get<double>(), c["n"].get<uint64_t>(), c["m"].get<uint64_t>());
    const bool is_exact =
        c["branch"].get<std::string>().starts_with("exact_") || c["branch"] == "hone_empty";
    ExpectClose(p, c["p_value"], is_exact ? kExact : kAsymptoticP, name,
                is_exact ? exact : asymptotic);
  }
  Report("ks_pvalue exact", exact);
  Report("ks_pvalue asymptotic", asymptotic);
}

TEST(DriftStatsKs, BinnedMatchesScipyOnBinIndices) {
  Tally tally;
  for (const auto& c : Group("ks_binned")) {
    const std::string name = c["name"];
    const TestResult r = KsBinned(Values(c["a"]), Values(c["b"]));
    EXPECT_EQ(r.statistic, c["statistic"].get<double>()) << name;
    ExpectClose(r.p_value, c["p_value"], kAsymptoticP, name, tally);
  }
  Report("ks_binned", tally);
}

TEST(DriftStatsKs, BinnedEqualsRawSamplesOnTheBins) {
  const std::vector<double> a_counts = {4, 0, 7, 1, 0, 9, 3}, b_counts = {1, 2, 8, 0, 0, 3, 12};
  std::vector<double> a, b;
  for (size_t bin = 0; bin < a_counts.size(); ++bin) {
    a.insert(a.end(), static_cast<size_t>(a_counts[bin]), static_cast<double>(bin));
    b.insert(b.end(), static_cast<size_t>(b_counts[bin]), static_cast<double>(bin));
  }
  const TestResult binned = KsBinned(a_counts, b_counts);
  const TestResult raw = KsTwoSample(a, b);
  EXPECT_EQ(binned.statistic, raw.statistic);
  EXPECT_EQ(binned.p_value, raw.p_value);
}

TEST(DriftStatsKs, DegenerateInputs) {
  const std::vector<double> some = {1.0, 2.0, 3.0};
  for (const TestResult& r : {KsTwoSample({}, some), KsTwoSample(some, {}), KsTwoSample({}, {}),
                              KsTwoSample(std::vector<double>{kNaN}, some)}) {
    EXPECT_EQ(r.statistic, 0);
    EXPECT_EQ(r.p_value, 1);
  }
  // NaNs are dropped as missing values.
  const TestResult with_nan = KsTwoSample(std::vector<double>{kNaN, 0.5, 4.0, kNaN}, some);
  const TestResult without = KsTwoSample(std::vector<double>{0.5, 4.0}, some);
  EXPECT_EQ(with_nan.statistic, without.statistic);
  EXPECT_EQ(with_nan.p_value, without.p_value);
  // Infinite values are ordinary, extreme values.
  const TestResult inf = KsTwoSample(std::vector<double>{-INFINITY, 0.0, INFINITY}, some);
  EXPECT_DOUBLE_EQ(inf.statistic, 2.0 / 3.0);
  EXPECT_EQ(KsPValue(0.5, 0, 10), 1);
  EXPECT_EQ(KsPValue(0.5, 10, 0), 1);
  EXPECT_TRUE(std::isnan(KsPValue(kNaN, 10, 20)));
  EXPECT_EQ(KsPValue(-0.5, 10, 20), 1);                     // clamped to 0
  EXPECT_EQ(KsPValue(7.0, 10, 20), KsPValue(1.0, 10, 20));  // clamped to 1

  const std::vector<double> zeros = {0, 0, 0}, counts = {1, 2, 3};
  for (const TestResult& r : {KsBinned({}, {}), KsBinned(zeros, counts), KsBinned(counts, zeros),
                              KsBinned(std::vector<double>{5}, std::vector<double>{2})}) {
    EXPECT_EQ(r.statistic, 0);
    EXPECT_EQ(r.p_value, 1);
  }
  // Fractional totals below one still make samples of one, not empty ones; the exact branch
  // then snaps D = 1/3 to a multiple of 1/lcm(1, 1).
  const TestResult tiny = KsBinned(std::vector<double>{0.1, 0.2}, std::vector<double>{0.2, 0.1});
  EXPECT_EQ(tiny.statistic, 0.0);
  EXPECT_EQ(tiny.p_value, 1.0);
  const TestResult negative = KsBinned(std::vector<double>{1, -1, 3}, counts);
  EXPECT_TRUE(std::isnan(negative.statistic));
  EXPECT_TRUE(std::isnan(negative.p_value));
}

// Every branch, at the edges of SciPy's selection, answers a probability: never NaN, never
// outside [0, 1], and the exact p-value never rises with D. (The exact path count costs
// O(m * D n), so the large unequal sizes stop at a small D.)
TEST(DriftStatsKs, PValueIsAProbabilityEverywhere) {
  struct Sweep {
    uint64_t n, m;
    double d_max;
    int steps;
  };
  const Sweep sweeps[] = {{1, 1, 1, 200},
                          {1, 2, 1, 200},
                          {2, 2, 1, 200},
                          {3, 7, 1, 200},
                          {7, 7, 1, 200},
                          {50, 50, 1, 200},
                          {37, 50, 1, 200},
                          {10000, 10000, 1, 200},
                          {10000, 9999, 0.004, 4},
                          {140, 10001, 1, 200},
                          {1, 20000, 1, 200},
                          {280, 20000, 1, 200},
                          {10001, 10001, 1, 200},
                          {141, 200000, 1, 200},
                          {200000, 200000, 0.02, 20},
                          {3000000, 2000000, 1, 200}};
  for (const Sweep& s : sweeps) {
    double last = 1.0;
    for (int step = 0; step <= s.steps; ++step) {
      const double d = s.d_max * step / s.steps;
      const double p = KsPValue(d, s.n, s.m);
      ASSERT_TRUE(p >= 0 && p <= 1) << "n=" << s.n << " m=" << s.m << " d=" << d << " p=" << p;
      if (std::max(s.n, s.m) <= 10000) {
        EXPECT_LE(p, last) << "n=" << s.n << " m=" << s.m << " d=" << d;
        last = p;
      }
    }
  }
}

TEST(DriftStatsKs, ExactLargeSampleTiming) {
  // 1000 against 10000 values, as a monitor window against its reference sample; the exact
  // path count runs over a band of width ~2 D n per column. Reported, not asserted: this test
  // runs under sanitizers on a shared machine.
  nlohmann::json reference = {{"seed", 7},  {"n", 10000},   {"kind", "normal"},
                              {"loc", 0.0}, {"scale", 1.0}, {"grid", 0}};
  nlohmann::json window = reference;
  window["seed"] = 8;
  window["n"] = 1000;
  window["loc"] = 0.25;
  const std::vector<double> a = Generate(window), b = Generate(reference);
  const auto start = std::chrono::steady_clock::now();
  const TestResult r = KsTwoSample(a, b);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  std::cout << "KsTwoSample(1000, 10000): D=" << r.statistic << " p=" << r.p_value << " in "
            << std::chrono::duration<double, std::milli>(elapsed).count() << " ms\n";
  EXPECT_GT(r.statistic, 0);
  EXPECT_LT(r.p_value, 0.05);
}

// ---- chi-square ----

TEST(DriftStatsChiSquare, MatchesScipyChi2Contingency) {
  Tally statistic, p_value;
  for (const auto& c : Group("chi2_contingency")) {
    const std::string name = c["name"];
    const TestResult r = ChiSquareHomogeneity(Values(c["a"]), Values(c["b"]));
    ExpectClose(r.statistic, c["statistic"], kSum, name + " statistic", statistic);
    ExpectClose(r.p_value, c["p_value"], kChiSquareP, name + " p-value", p_value);
  }
  Report("chi2_contingency statistic", statistic);
  Report("chi2_contingency p-value", p_value);
}

// The chi-square survival function against closed forms, from the body down past 1e-300:
// Q(1, x/2) = exp(-x/2) for two degrees of freedom, and Q(1/2, x/2) = erfc(sqrt(x/2)) for one.
// The rounding of sqrt(x/2) alone moves erfc by up to ~x * 1.1e-16 relative, so the reference
// for one degree of freedom is that much less certain.
TEST(DriftStatsChiSquare, SurvivalFunctionMatchesClosedForms) {
  double worst[2] = {0, 0};
  for (double x = 1e-8; x < 1500; x *= 1.07) {
    const double one = std::erfc(std::sqrt(x / 2));
    const double two = std::exp(-x / 2);
    for (const auto& [dof, want, tolerance] :
         {std::tuple{1, one, 1e-14 + x * 1.2e-16}, std::tuple{2, two, 1e-14}}) {
      const double got = internal::ChiSquareSf(x, dof);
      if (want < kUnderflow) {
        EXPECT_THAT(got, DoubleNear(want, kUnderflow)) << "x=" << x << " dof=" << dof;
        continue;
      }
      worst[dof - 1] = std::max(worst[dof - 1], std::abs(got - want) / want);
      EXPECT_THAT(got, DoubleNear(want, tolerance * want)) << "x=" << x << " dof=" << dof;
    }
  }
  std::cout << "chi2.sf against erfc (1 dof): worst relative error " << worst[0]
            << "; against exp (2 dof): " << worst[1] << "\n";
}

TEST(DriftStatsChiSquare, SurvivalFunctionIsAProbabilityEverywhere) {
  for (double dof : {1.0, 2.0, 3.0, 9.0, 199.0, 599.0, 5000.0, 100000.0}) {
    double last = 1.0;
    for (double x = 0; x < 1e7; x = x * 1.3 + 0.01) {
      const double p = internal::ChiSquareSf(x, dof);
      ASSERT_TRUE(p >= 0 && p <= 1) << "dof=" << dof << " x=" << x << " p=" << p;
      EXPECT_LE(p, last * (1 + 1e-14)) << "dof=" << dof << " x=" << x;
      last = p;
    }
  }
  EXPECT_EQ(internal::ChiSquareSf(0, 3), 1);
  EXPECT_EQ(internal::ChiSquareSf(INFINITY, 3), 0);
  EXPECT_TRUE(std::isnan(internal::ChiSquareSf(kNaN, 3)));
}

TEST(DriftStatsChiSquare, DegenerateInputs) {
  const std::vector<double> zeros = {0, 0, 0}, counts = {4, 0, 2};
  for (const TestResult& r :
       {ChiSquareHomogeneity({}, {}), ChiSquareHomogeneity(zeros, zeros),
        ChiSquareHomogeneity(zeros, counts), ChiSquareHomogeneity(counts, zeros),
        ChiSquareHomogeneity(std::vector<double>{3, 0}, std::vector<double>{5, 0})}) {
    EXPECT_EQ(r.statistic, 0);
    EXPECT_EQ(r.p_value, 1);
  }
  const TestResult bad = ChiSquareHomogeneity(std::vector<double>{1, kNaN, 3}, counts);
  EXPECT_TRUE(std::isnan(bad.statistic));
  EXPECT_TRUE(std::isnan(bad.p_value));
  // A statistic far beyond any p-value a double holds underflows to 0, not below.
  const TestResult far =
      ChiSquareHomogeneity(std::vector<double>{1e7, 0}, std::vector<double>{0, 1e7});
  EXPECT_GT(far.statistic, 1e6);
  EXPECT_EQ(far.p_value, 0);
}

// ---- distances and Holm ----

TEST(DriftStatsDistances, PsiMatchesNumpy) {
  Tally tally;
  for (const auto& c : Group("psi")) {
    ExpectClose(PopulationStabilityIndex(Values(c["expected"]), Values(c["actual"])), c["value"],
                kSum, c["name"], tally);
  }
  Report("psi", tally);
}

TEST(DriftStatsDistances, JensenShannonMatchesScipy) {
  Tally tally;
  for (const auto& c : Group("jensenshannon")) {
    ExpectClose(JensenShannonDistance(Values(c["p"]), Values(c["q"])), c["value"], kSum, c["name"],
                tally);
  }
  Report("jensenshannon", tally);
}

TEST(DriftStatsDistances, WassersteinMatchesScipy) {
  Tally tally;
  for (const auto& c : Group("wasserstein")) {
    ExpectClose(WassersteinDistance(Values(c["u_values"]), Values(c["u_weights"]),
                                    Values(c["v_values"]), Values(c["v_weights"])),
                c["value"], kSum, c["name"], tally);
  }
  Report("wasserstein", tally);
}

TEST(DriftStatsDistances, HolmMatchesHandComputation) {
  for (const auto& c : Group("holm")) {
    const std::vector<double> got = HolmAdjust(Values(c["p_values"]));
    const std::vector<double> want = Values(c["adjusted"]);
    ASSERT_EQ(got.size(), want.size()) << c["name"];
    for (size_t i = 0; i < got.size(); ++i) {
      if (std::isnan(want[i])) {
        EXPECT_TRUE(std::isnan(got[i])) << c["name"] << " [" << i << "]";
      } else {
        EXPECT_EQ(got[i], want[i]) << c["name"] << " [" << i << "]";
      }
    }
  }
}

TEST(DriftStatsDistances, DegenerateInputs) {
  const std::vector<double> zeros = {0, 0}, counts = {3, 1}, bad = {1, -2};
  EXPECT_EQ(PopulationStabilityIndex({}, {}), 0);
  EXPECT_EQ(PopulationStabilityIndex(zeros, counts), 0);
  EXPECT_EQ(PopulationStabilityIndex(counts, counts), 0);
  EXPECT_TRUE(std::isnan(PopulationStabilityIndex(counts, bad)));
  EXPECT_EQ(JensenShannonDistance({}, {}), 0);
  EXPECT_EQ(JensenShannonDistance(counts, zeros), 0);
  EXPECT_TRUE(std::isnan(JensenShannonDistance(bad, counts)));
  // Disjoint supports are as far apart as base 2 allows.
  EXPECT_DOUBLE_EQ(JensenShannonDistance(std::vector<double>{1, 0}, std::vector<double>{0, 5}), 1);
  const std::vector<double> values = {1, 2};
  EXPECT_EQ(WassersteinDistance({}, {}, values, counts), 0);
  EXPECT_EQ(WassersteinDistance(values, zeros, values, counts), 0);
  EXPECT_TRUE(std::isnan(WassersteinDistance(values, bad, values, counts)));
  EXPECT_TRUE(
      std::isnan(WassersteinDistance(std::vector<double>{kNaN, 1}, counts, values, counts)));
  EXPECT_TRUE(HolmAdjust({}).empty());
  const std::vector<double> adjusted = HolmAdjust(std::vector<double>{0.01, kNaN, 0.04});
  EXPECT_EQ(adjusted[0], 0.02);
  EXPECT_TRUE(std::isnan(adjusted[1]));
  EXPECT_EQ(adjusted[2], 0.04);
  EXPECT_THAT(HolmAdjust(std::vector<double>{0.5, 0.5}), ElementsAre(1.0, 1.0));
}

TEST(DriftStatsDeathTest, MismatchedLengthsAreAProgrammerError) {
  const std::vector<double> two = {1, 2}, three = {1, 2, 3};
  EXPECT_DEATH(KsBinned(two, three), "internal check failed");
  EXPECT_DEATH(ChiSquareHomogeneity(two, three), "internal check failed");
  EXPECT_DEATH(PopulationStabilityIndex(two, three), "internal check failed");
  EXPECT_DEATH(JensenShannonDistance(two, three), "internal check failed");
  EXPECT_DEATH(WassersteinDistance(two, three, two, two), "internal check failed");
}

}  // namespace
}  // namespace hone::monitor
