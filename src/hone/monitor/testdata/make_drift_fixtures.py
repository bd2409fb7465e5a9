#!/usr/bin/python3
"""Writes drift_fixtures.json: inputs and SciPy's answers for hone's drift statistics.

Produced with SciPy 1.10.1 and NumPy 1.24.2 (Debian 12's python3-scipy); the script refuses to
run with another SciPy so that the fixtures stay reproducible.

    /usr/bin/python3 src/hone/monitor/testdata/make_drift_fixtures.py

Every random input comes from a fixed seed. Large KS samples are not stored: they are described
by a generator spec that drift_stats_test.cc replays bit for bit (a 64-bit LCG whose draws are
turned into values with +, *, / and floor only, which IEEE arithmetic rounds the same way in
Python and C++). Small inputs are stored as they are.

Where hone's definition and a bare SciPy call part ways, the fixture follows hone and says how:
  * Degenerate inputs SciPy rejects (an empty sample, a row of zero counts, weights summing to
    zero) get hone's documented answers: statistic 0 and p-value 1 for tests, 0 for distances.
  * ks_2samp: NaNs are dropped before the call (hone drops them as missing values).
  * chi2_contingency: categories empty in both rows are dropped before the call (SciPy raises on
    a zero expected frequency).
  * PSI has no SciPy function; it is computed with NumPy as hone documents it.
  * Holm: statsmodels is not installed; the adjustment is computed by hand below (sort, scale by
    m - j, running maximum, clip at 1), with NaNs passed through and not counted in m.
  * ks_pvalue: the p-value of a given D for sizes n, m, by the tail of ks_2samp (SciPy's
    _attempt_exact_2kssamp, then kstwo.sf(D, round(n*m/(n+m))) if the exact sum is not used or
    fails). `branch` names the algorithm SciPy takes, to show every one is covered.
"""

import json
import math
import pathlib
import warnings

import numpy as np
import scipy
from scipy import stats
from scipy.spatial import distance
from scipy.stats import _stats_py

EXPECTED_SCIPY = "1.10.1"
OUT = pathlib.Path(__file__).with_name("drift_fixtures.json")

MASK64 = (1 << 64) - 1
LCG_MUL = 6364136223846793005
LCG_ADD = 1442695040888963407


def generate(spec):
    """Replays a generator spec; drift_stats_test.cc's Generate() must stay identical.

    state <- state * LCG_MUL + LCG_ADD (mod 2^64); u = (state >> 11) * 2^-53 in [0, 1).
    kind "uniform": z = u; kind "normal": z = ((u1 + u2) + ... + u12) - 6 (Irwin-Hall).
    value = loc + scale * z; with grid > 0, value = floor(value * grid) / grid (ties).
    """
    state = spec["seed"] & MASK64

    def draw():
        nonlocal state
        state = (state * LCG_MUL + LCG_ADD) & MASK64
        return (state >> 11) * 2.0**-53

    out = []
    for _ in range(spec["n"]):
        if spec["kind"] == "uniform":
            z = draw()
        else:
            z = 0.0
            for _ in range(12):
                z += draw()
            z -= 6.0
        value = spec["loc"] + spec["scale"] * z
        if spec.get("grid", 0):
            value = math.floor(value * spec["grid"]) / spec["grid"]
        out.append(value)
    return np.array(out, dtype=np.float64)


def gen(seed, n, kind="normal", loc=0.0, scale=1.0, grid=0):
    return {"seed": seed, "n": n, "kind": kind, "loc": loc, "scale": scale, "grid": grid}


def clean(value):
    """JSON-ready: numpy scalars to Python, NaN to null."""
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [clean(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return None if math.isnan(value) else value
    return value


# ---- Kolmogorov-Smirnov ----

def kolmogn_branch(n, x):
    """The algorithm scipy.stats._ksstats._kolmogn picks for the survival function."""
    if x <= 0.5 / n:
        return "support_below"
    if x >= 1.0:
        return "support_above"
    t = n * x
    if t <= 1.0:
        return "ruben_gambino_low" + ("_prod" if n <= 140 else "_stirling")
    if t >= n - 1:
        return "ruben_gambino_high"
    if x >= 0.5:
        return "smirnov_x_ge_half"
    nxsquared = t * x
    if n <= 140:
        if nxsquared <= 0.754693:
            return "durbin_matrix_small_n"
        if nxsquared <= 4:
            return "pomeranz"
        return "smirnov_small_n"
    if nxsquared >= 370.0:
        return "zero"
    if nxsquared >= 2.2:
        return "smirnov" + ("_approx_n_gt_1e6" if n > 1000000 else "")
    if n <= 100000 and n * x**1.5 <= 1.4:
        return "durbin_matrix"
    return "pelz_good"


def ks_tail(d, n1, n2):
    """(statistic, p-value, branch) as the tail of ks_2samp(method='auto', two-sided)."""
    if max(n1, n2) <= 10000:
        g = math.gcd(n1, n2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ok, d, prob = _stats_py._attempt_exact_2kssamp(n1, n2, g, d, "two-sided")
        if ok:
            return d, float(np.clip(prob, 0, 1)), "exact_" + ("square" if n1 == n2 else "inside")
        failed = "exact_failed_"
    else:
        failed = ""
    m, n = sorted([float(n1), float(n2)], reverse=True)
    en = m * n / (m + n)
    prob = stats.kstwo.sf(d, np.round(en))
    return d, float(np.clip(prob, 0, 1)), failed + kolmogn_branch(int(np.round(en)), d)


def ks_sample_case(name, a, b):
    """a, b: a list of values (None for NaN) or a generator spec."""
    va = generate(a) if isinstance(a, dict) else np.array([np.nan if v is None else v for v in a])
    vb = generate(b) if isinstance(b, dict) else np.array([np.nan if v is None else v for v in b])
    va, vb = va[~np.isnan(va)], vb[~np.isnan(vb)]
    if len(va) == 0 or len(vb) == 0:
        statistic, p, branch = 0.0, 1.0, "hone_empty"
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = stats.ks_2samp(va, vb)
        statistic, p = float(res.statistic), float(res.pvalue)
        # The raw D (before the exact branch snaps it to h/lcm) gives the same answer through
        # ks_tail, which names the branch.
        cdf1 = np.searchsorted(np.sort(va), np.concatenate([va, vb]), side="right") / len(va)
        cdf2 = np.searchsorted(np.sort(vb), np.concatenate([va, vb]), side="right") / len(vb)
        diffs = cdf1 - cdf2
        raw = max(diffs.max(), np.clip(-diffs.min(), 0, 1))
        d2, p2, branch = ks_tail(raw, len(va), len(vb))
        assert (d2, p2) == (statistic, p), (name, d2, p2, statistic, p)
    return {"name": name, "a": a, "b": b, "n": len(va), "m": len(vb), "branch": branch,
            "statistic": statistic, "p_value": p}


def ks_sample_cases():
    yield ks_sample_case("n1_m1", [0.5], [1.5])
    yield ks_sample_case("n1_m2", [1.0], [0.0, 2.0])
    yield ks_sample_case("n2_m3", [0.1, 0.9], [0.3, 0.5, 1.2])
    yield ks_sample_case("n3_m3_ties", [1.0, 2.0, 2.0], [2.0, 2.0, 3.0])
    yield ks_sample_case("n3_m3_disjoint", [1.0, 2.0, 3.0], [4.0, 5.0, 6.0])
    # D = 1/5 with n = m = 5: SciPy's exact sum rounds to 1.0000000000000002 and is rejected;
    # ks_2samp falls back to the asymptotic p-value.
    yield ks_sample_case("n5_m5_exact_fails", [0.0, 2.0, 4.0, 6.0, 8.0],
                         [1.0, 3.0, 5.0, 7.0, 9.0])
    yield ks_sample_case("n7_m7_exact_fails", [0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0],
                         [1.0, 3.0, 5.0, 7.0, 9.0, 11.0, 13.0])
    yield ks_sample_case("identical_n20", gen(101, 20), gen(101, 20))
    yield ks_sample_case("nan_dropped", [0.3, None, 1.7, -0.2, None, 0.9],
                         [None, 1.1, 2.5, 0.4, 3.0])
    yield ks_sample_case("all_nan", [None, None], [1.0, 2.0])
    yield ks_sample_case("empty", [], [1.0, 2.0])
    yield ks_sample_case("ties_integers_30_45", gen(102, 30, grid=1, scale=1.5),
                         gen(103, 45, grid=1, scale=1.5, loc=0.5))
    yield ks_sample_case("equal_50_shifted", gen(104, 50), gen(105, 50, loc=0.5))
    yield ks_sample_case("unequal_50_37", gen(106, 50), gen(107, 37, loc=0.2, scale=1.3))
    yield ks_sample_case("uniform_500_400", gen(108, 500, "uniform"), gen(109, 400, "uniform"))
    yield ks_sample_case("same_500_500", gen(110, 500), gen(111, 500))
    yield ks_sample_case("far_300_200", gen(112, 300), gen(113, 200, loc=1.5))
    yield ks_sample_case("disjoint_40_60", gen(114, 40, "uniform"),
                         gen(115, 60, "uniform", loc=1.0))
    yield ks_sample_case("exact_1000_10000", gen(116, 1000), gen(117, 10000, loc=0.05))
    yield ks_sample_case("exact_9000_8000", gen(118, 9000), gen(119, 8000, loc=0.03))
    yield ks_sample_case("exact_9000_8000_far", gen(120, 9000), gen(121, 8000, loc=0.25))
    yield ks_sample_case("exact_9000_9000_far", gen(122, 9000), gen(123, 9000, loc=0.3))
    yield ks_sample_case("exact_10000_9999", gen(124, 10000), gen(125, 9999))
    yield ks_sample_case("asymp_10001_10000", gen(126, 10001), gen(127, 10000, loc=0.02))
    yield ks_sample_case("asymp_12000_11000_same", gen(128, 12000), gen(129, 11000))
    yield ks_sample_case("asymp_12000_11000_shift", gen(130, 12000), gen(131, 11000, loc=0.06))
    yield ks_sample_case("asymp_12000_500", gen(132, 12000), gen(133, 500, loc=0.1))
    yield ks_sample_case("asymp_20000_100", gen(134, 20000), gen(135, 100, scale=1.2))
    yield ks_sample_case("asymp_20000_60_far", gen(136, 20000), gen(137, 60, loc=0.9))
    yield ks_sample_case("asymp_15000_3", gen(138, 15000), gen(139, 3, loc=0.4))
    yield ks_sample_case("asymp_ties_12000_11000", gen(140, 12000, grid=4),
                         gen(141, 11000, grid=4, loc=0.05))


def ks_pvalue_case(name, d, n, m):
    if n == 0 or m == 0:
        return {"name": name, "d": d, "n": n, "m": m, "branch": "hone_empty",
                "statistic": 0.0, "p_value": 1.0}
    statistic, p, branch = ks_tail(d, n, m)
    return {"name": name, "d": d, "n": n, "m": m, "branch": branch,
            "statistic": statistic, "p_value": p}


def ks_pvalue_cases():
    big = 10**7  # with m this large, round(n*m/(n+m)) == n: kstwo.sf(d, n)
    cases = [
        ("exact_inside", 0.123, 37, 50),
        ("exact_inside_snapped", 0.3141592653589793, 400, 999),
        ("exact_square", 0.25, 64, 64),
        ("exact_square_tiny_p", 0.9, 200, 200),
        ("exact_inside_tiny_p", 0.8, 300, 700),
        ("exact_1000_10000", 0.04, 1000, 10000),
        ("exact_zero_d", 0.0, 30, 40),
        ("exact_failed_square", 0.2, 5, 5),
        ("rg_low_prod", 0.015, 50, big),
        ("rg_low_stirling", 0.0015, 500, big),
        ("rg_high", 0.985, 50, big),
        ("smirnov_x_ge_half", 0.6, 50, big),
        ("smirnov_x_ge_half_big_n", 0.55, 400, big),
        ("durbin_small_n", 0.1, 50, big),
        ("pomeranz", 0.2, 50, big),
        ("pomeranz_n140", 0.12, 140, big),
        ("smirnov_small_n", 0.35, 50, big),
        ("smirnov", 0.1, 1000, big),
        ("smirnov_tiny_p", 0.4, 1500, big),
        ("smirnov_near_1e-300", 0.47, 1500, big),
        ("smirnov_subnormal", 0.48, 1500, big),
        ("smirnov_n1e5", 0.02, 200000, 200000),
        ("zero", 0.45, 2000, big),
        ("pelz_good", 0.02, 1000, big),
        ("durbin", 0.012, 1000, big),
        ("durbin_n1e5", 0.00055, 200000, 200000),
        ("pelz_good_n1e5", 0.0006, 200000, 200000),
        ("pelz_good_n2e5", 0.001, 400000, 400000),
        ("smirnov_approx_n_gt_1e6", 0.0015, 4000000, 4000000),
        ("pelz_good_n_gt_1e6", 0.0005, 3000000, 3000000),
        ("support_below", 0.00001, 20000, 20000),
        ("n1", 0.7, 1, 20000),
        ("n1_small_d", 0.3, 1, 20000),
        ("d_one", 1.0, 30, 20000),
        ("empty_n", 0.5, 0, 100),
    ]
    for name, d, n, m in cases:
        case = ks_pvalue_case(name, d, n, m)
        want = name.split("_n")[0] if name.startswith(("durbin", "pelz_good")) else None
        if want:
            assert case["branch"].startswith(want.replace("durbin", "durbin_matrix")), case
        yield case


def ks_binned_case(name, a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.sum() == 0 or b.sum() == 0:
        statistic, p = 0.0, 1.0
    else:
        bins = np.arange(len(a), dtype=float)
        res = stats.ks_2samp(np.repeat(bins, a.astype(int)), np.repeat(bins, b.astype(int)))
        statistic, p = float(res.statistic), float(res.pvalue)
    return {"name": name, "a": a, "b": b, "statistic": statistic, "p_value": p}


def ks_binned_cases():
    rng = np.random.default_rng(31)
    yield ks_binned_case("four_bins", [3, 0, 2, 5], [1, 4, 0, 2])
    yield ks_binned_case("single_bin", [5], [7])
    yield ks_binned_case("empty_bins_same_shape", [0, 10, 0, 20, 0], [0, 20, 0, 40, 0])
    yield ks_binned_case("one_each", [1, 0], [0, 1])
    yield ks_binned_case("all_zero_a", [0, 0, 0], [1, 2, 3])
    p = rng.dirichlet(np.ones(20))
    yield ks_binned_case("exact_20_bins", rng.multinomial(500, p), rng.multinomial(800, p))
    q = np.roll(p, 1)
    yield ks_binned_case("exact_20_bins_shifted", rng.multinomial(500, p),
                         rng.multinomial(500, q))
    p = rng.dirichlet(np.ones(50) * 3)
    yield ks_binned_case("asymp_50_bins", rng.multinomial(15000, p), rng.multinomial(12000, p))
    yield ks_binned_case("asymp_50_bins_shifted", rng.multinomial(15000, p),
                         rng.multinomial(12000, 0.9 * p + 0.1 * np.roll(p, 3)))


# ---- chi-square, PSI, Jensen-Shannon, Wasserstein, Holm ----

def chi2_case(name, a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    keep = (a + b) > 0
    ka, kb = a[keep], b[keep]
    if len(ka) < 2 or ka.sum() == 0 or kb.sum() == 0:
        statistic, p, dof = 0.0, 1.0, 0
    else:
        res = stats.chi2_contingency(np.array([ka, kb]))
        statistic, p, dof = float(res.statistic), float(res.pvalue), int(res.dof)
    return {"name": name, "a": a, "b": b, "dof": dof, "statistic": statistic, "p_value": p}


def chi2_cases():
    rng = np.random.default_rng(41)
    yield chi2_case("yates_2bins", [30, 10], [20, 25])
    yield chi2_case("yates_small_diff", [10, 10], [10, 11])
    yield chi2_case("yates_diff_above_half", [10, 10], [9, 12])
    yield chi2_case("yates_equal", [5, 5], [5, 5])
    yield chi2_case("three_bins", [12, 7, 30], [15, 3, 22])
    yield chi2_case("zero_in_both_dropped", [4, 0, 6, 3], [5, 0, 2, 8])
    yield chi2_case("zero_in_both_leaves_yates", [10, 0, 5], [3, 0, 9])
    yield chi2_case("zero_in_one_row", [0, 5, 7], [4, 5, 1])
    yield chi2_case("fractional_counts", [2.5, 3.25, 1.0, 7.75], [1.5, 4.0, 2.25, 3.0])
    yield chi2_case("single_bin", [5], [9])
    yield chi2_case("all_zero", [0, 0], [0, 0])
    yield chi2_case("row_empty", [0, 0, 0], [1, 2, 3])
    p = rng.dirichlet(np.ones(200))
    yield chi2_case("same_200_bins", rng.multinomial(5000, p), rng.multinomial(7000, p))
    q = rng.dirichlet(np.ones(200))
    yield chi2_case("far_200_bins", rng.multinomial(5000, p),
                    rng.multinomial(7000, 0.6 * p + 0.4 * q))
    yield chi2_case("tail_200_bins", rng.multinomial(5000, p),
                    rng.multinomial(7000, 0.1 * p + 0.9 * q))
    for w in (0.55, 0.7):
        yield chi2_case(f"tail_200_bins_{w}", rng.multinomial(5000, p),
                        rng.multinomial(7000, (1 - w) * p + w * q))
    p = rng.dirichlet(np.ones(600) * 5)
    yield chi2_case("dof_599_near_mean", rng.multinomial(20000, p), rng.multinomial(30000, p))
    yield chi2_case("dof_599_shifted", rng.multinomial(20000, p),
                    rng.multinomial(30000, 0.85 * p + 0.15 * np.roll(p, 1)))
    # Two bins, growing separation: p-values down to ~1e-300 and one that underflows to 0.
    for k, (x, y) in enumerate([(600, 400), (1800, 1000), (2400, 1000), (2560, 1000),
                                (2580, 1000), (3000, 1000)]):
        yield chi2_case(f"yates_tail_{k}", [x, y], [y, x])
    yield chi2_case("dof_9_tail", [500, 10, 300, 20, 400, 30, 200, 40, 100, 50],
                    [10, 500, 20, 300, 30, 400, 40, 200, 50, 100])


def psi_value(e, a):
    e, a = np.asarray(e, dtype=float), np.asarray(a, dtype=float)
    if len(e) == 0 or e.sum() == 0 or a.sum() == 0:
        return 0.0
    es = np.maximum(e / e.sum(), 1e-4)
    as_ = np.maximum(a / a.sum(), 1e-4)
    return float(np.sum((as_ - es) * np.log(as_ / es)))


def psi_cases():
    rng = np.random.default_rng(51)
    cases = [
        ("ten_bins", rng.integers(1, 100, 10), rng.integers(1, 100, 10)),
        ("zero_actual_bin", [30, 20, 10, 40], [35, 25, 0, 40]),
        ("zero_expected_bin", [30, 0, 10, 40], [35, 25, 5, 40]),
        ("tiny_shares_floored", [100000, 3, 5, 1], [100000, 1, 9, 0]),
        ("single_bin", [7], [3]),
        ("identical_shares", [1, 2, 3], [2, 4, 6]),
        ("empty", [], []),
        ("all_zero_actual", [1, 2], [0, 0]),
    ]
    p = rng.dirichlet(np.ones(200))
    cases.append(("bins_200", rng.multinomial(10000, p), rng.multinomial(8000, p)))
    cases.append(("bins_200_shifted", rng.multinomial(10000, p),
                  rng.multinomial(8000, np.roll(p, 2))))
    for name, e, a in cases:
        yield {"name": name, "expected": np.asarray(e, dtype=float),
               "actual": np.asarray(a, dtype=float), "value": psi_value(e, a)}


def js_cases():
    rng = np.random.default_rng(61)
    cases = [
        ("five_bins", [1, 5, 3, 0, 2], [2, 2, 4, 1, 0]),
        ("disjoint", [1, 2, 0, 0], [0, 0, 3, 4]),
        ("identical_shares", [1, 2, 3], [2, 4, 6]),
        ("single_bin", [4], [9]),
        ("zeros_in_both", [0, 3, 0, 1], [0, 1, 0, 3]),
        ("fractional", [0.25, 0.5, 0.125], [0.5, 0.25, 0.25]),
        ("empty", [], []),
        ("all_zero_p", [0, 0], [1, 1]),
    ]
    p = rng.dirichlet(np.ones(200))
    cases.append(("bins_200", rng.multinomial(10000, p), rng.multinomial(9000, p)))
    cases.append(("bins_200_other", rng.multinomial(10000, p),
                  rng.multinomial(9000, rng.dirichlet(np.ones(200)))))
    for name, p_counts, q_counts in cases:
        pc, qc = np.asarray(p_counts, dtype=float), np.asarray(q_counts, dtype=float)
        if len(pc) == 0 or pc.sum() == 0 or qc.sum() == 0:
            value = 0.0
        else:
            value = float(distance.jensenshannon(pc, qc, base=2))
        yield {"name": name, "p": pc, "q": qc, "value": value}


def wasserstein_cases():
    rng = np.random.default_rng(71)
    cases = [
        ("unweighted", [0.0, 1.0, 3.0], [1] * 3, [5.0, 6.0, 8.0], [1] * 3),
        ("weighted", [0.0, 1.0, 3.0], [1, 2, 3], [0.5, 2.0], [4, 1]),
        ("zero_weights", [0.0, 1.0, 3.0, 9.0], [1, 0, 2, 0], [2.0, 10.0], [1, 0]),
        ("ties", [1.0, 1.0, 2.0, 2.0], [1, 1, 1, 1], [1.0, 2.0, 2.0], [3, 1, 2]),
        ("single_values", [1.5], [1], [4.0], [7]),
        ("same", [0.5, 1.5, 2.5], [3, 1, 2], [2.5, 0.5, 1.5], [2, 3, 1]),
        ("negative_values", [-3.0, -1.0, 2.0], [1, 1, 1], [-2.0, 0.0], [1, 2]),
        ("unsorted_unequal", [4.0, -1.0, 2.5, 0.0, 7.0], [1, 2, 1, 3, 1], [3.0, 1.0], [1, 1]),
        ("empty_u", [], [], [1.0], [1]),
        ("zero_total_weight", [1.0, 2.0], [0, 0], [1.0], [1]),
    ]
    centres = np.arange(30, dtype=float) * 0.5 - 3.0
    p = rng.dirichlet(np.ones(30))
    cases.append(("histogram_30_bins", centres, rng.multinomial(4000, p), centres,
                  rng.multinomial(5000, np.roll(p, 1))))
    u, v = rng.normal(0, 1, 300), rng.normal(0.3, 1.2, 250)
    cases.append(("samples_300_250", u, rng.uniform(0, 2, 300), v, rng.uniform(0, 2, 250)))
    for name, uv, uw, vv, vw in cases:
        uv, uw = np.asarray(uv, dtype=float), np.asarray(uw, dtype=float)
        vv, vw = np.asarray(vv, dtype=float), np.asarray(vw, dtype=float)
        if len(uv) == 0 or len(vv) == 0 or uw.sum() == 0 or vw.sum() == 0:
            value = 0.0
        else:
            value = float(stats.wasserstein_distance(uv, vv, uw, vw))
        yield {"name": name, "u_values": uv, "u_weights": uw, "v_values": vv,
               "v_weights": vw, "value": value}


def holm(pvals):
    """statsmodels' multipletests(method='holm')[1], with NaNs passed through."""
    pvals = np.asarray(pvals, dtype=float)
    out = np.full(len(pvals), np.nan)
    idx = np.flatnonzero(~np.isnan(pvals))
    m = len(idx)
    order = idx[np.argsort(pvals[idx], kind="stable")]
    running = 0.0
    for j, i in enumerate(order):
        running = max(running, min(1.0, (m - j) * pvals[i]))
        out[i] = running
    return out


def holm_cases():
    rng = np.random.default_rng(81)
    nan = float("nan")
    cases = [
        ("four", [0.01, 0.04, 0.03, 0.005]),
        ("ties", [0.02, 0.5, 0.02]),
        ("clipped", [0.3, 0.6, 0.9]),
        ("with_nan", [0.01, nan, 0.04, nan, 0.2]),
        ("single", [0.2]),
        ("all_nan", [nan, nan]),
        ("empty", []),
        ("zeros_and_ones", [0.0, 1.0, 0.0, 0.5]),
        ("random_50", rng.uniform(0, 0.2, 50) ** 2),
    ]
    for name, p in cases:
        yield {"name": name, "p_values": np.asarray(p, dtype=float), "adjusted": holm(p)}


def main():
    if scipy.__version__ != EXPECTED_SCIPY:
        raise SystemExit(f"scipy {scipy.__version__}; these fixtures need {EXPECTED_SCIPY}")
    fixtures = {
        "scipy_version": scipy.__version__,
        "numpy_version": np.__version__,
        "ks_2samp": list(ks_sample_cases()),
        "ks_pvalue": list(ks_pvalue_cases()),
        "ks_binned": list(ks_binned_cases()),
        "chi2_contingency": list(chi2_cases()),
        "psi": list(psi_cases()),
        "jensenshannon": list(js_cases()),
        "wasserstein": list(wasserstein_cases()),
        "holm": list(holm_cases()),
    }
    # One case per line: compact, yet a regenerated file diffs case by case.
    def dump(value):
        return json.dumps(clean(value), allow_nan=False, separators=(",", ":"))

    parts = []
    for key, value in fixtures.items():
        if isinstance(value, list):
            cases = ",\n  ".join(dump(case) for case in value)
            parts.append(f"{dump(key)}: [\n  {cases}\n ]")
        else:
            parts.append(f"{dump(key)}: {dump(value)}")
    OUT.write_text("{\n " + ",\n ".join(parts) + "\n}\n")
    for group, cases in fixtures.items():
        if isinstance(cases, list):
            print(f"{group}: {len(cases)} cases")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
