#!/usr/bin/python3
"""The peer of bench/drift_report_bench.cc: the same drift report computed the way a Python team
would, with NumPy and SciPy on the raw values.

Data of the same shape as hone's benchmark (not the same values: NumPy's generator): a 100k-row
reference and 1M live rows of 16 numeric features (normal, log-normal, uniform, bimodal; 2%
missing; the first four shifted by 0.3) and 4 categorical ones of 5, 12, 30 and 80 levels
(Zipf-like, 2.5% missing; the first tilted towards its last level).

Timed, per feature, as Evidently-style monitoring code does it on pandas/NumPy arrays:
  numeric:      drop NaN; scipy.stats.ks_2samp(reference, live); scipy.stats.wasserstein_distance
                (reference, live) / np.std(reference); PSI over 20 equal-frequency bins
                (np.quantile of the reference, np.histogram of both) + the missing share;
                scipy.spatial.distance.jensenshannon of the two histograms;
  categorical:  counts per category (np.bincount), scipy.stats.chi2_contingency, PSI and
                jensenshannon of the counts.
Data generation is not timed. Prints one JSON object: the median wall-clock and CPU seconds over
--repeats runs, and every run.

Usage: /usr/bin/python3 bench/drift_peer.py [--repeats 3] [--live-rows 1000000]
"""
import argparse
import json
import statistics
import sys
import time

import numpy as np
from scipy.spatial.distance import jensenshannon
from scipy.stats import chi2_contingency, ks_2samp, wasserstein_distance

NUMERIC = 16
LEVELS = [5, 12, 30, 80]
BINS = 20
FLOOR = 1e-4


def numeric_column(rng, n, j, shift):
    kind = j % 4
    if kind == 0:
        v = rng.standard_normal(n)
    elif kind == 1:
        v = np.exp(0.5 * rng.standard_normal(n))
    elif kind == 2:
        v = rng.uniform(0, 3, n)
    else:
        v = np.where(rng.integers(0, 3, n) == 0, 4.0, 0.0) + rng.standard_normal(n)
    if j < 4:
        v = v + shift
    v = (v * (j + 1)).astype(np.float32)
    v[rng.integers(0, 50, n) == 0] = np.nan
    return v


def categorical_column(rng, n, levels, tilt):
    codes = (rng.uniform(0, 1, n) ** 2 * levels).astype(np.int64)
    if tilt > 0:
        codes[rng.uniform(0, 1, n) < tilt] = levels - 1
    codes[rng.integers(0, 40, n) == 0] = -1
    return codes


def make(n, seed, shift, tilt):
    rng = np.random.default_rng(seed)
    numeric = [numeric_column(rng, n, j, shift) for j in range(NUMERIC)]
    categorical = [categorical_column(rng, n, l, tilt if c == 0 else 0) for c, l in enumerate(LEVELS)]
    return numeric, categorical


def psi(expected, actual):
    e = np.maximum(expected / expected.sum(), FLOOR)
    a = np.maximum(actual / actual.sum(), FLOOR)
    return float(np.sum((a - e) * np.log(a / e)))


def numeric_drift(ref, live):
    ref_missing, live_missing = np.isnan(ref), np.isnan(live)
    r, l = ref[~ref_missing], live[~live_missing]
    ks = ks_2samp(r, l)
    w = wasserstein_distance(r, l) / np.std(r)
    edges = np.unique(np.quantile(r, np.linspace(0, 1, BINS + 1)))
    edges[0], edges[-1] = -np.inf, np.inf
    rh, _ = np.histogram(r, edges)
    lh, _ = np.histogram(l, edges)
    p = psi(np.append(rh, ref_missing.sum()), np.append(lh, live_missing.sum()))
    js = jensenshannon(rh, lh, base=2)
    return {"ks": ks.statistic, "p": ks.pvalue, "wasserstein": w, "psi": p, "js": js,
            "drift": bool(w >= 0.1 or p >= 0.25)}


def categorical_drift(ref, live, levels):
    rc = np.bincount(ref + 1, minlength=levels + 1)
    lc = np.bincount(live + 1, minlength=levels + 1)
    present = (rc[1:] + lc[1:]) > 0
    chi2, pvalue, _, _ = chi2_contingency(np.vstack([rc[1:][present], lc[1:][present]]))
    p = psi(rc.astype(float), lc.astype(float))
    js = jensenshannon(rc[1:], lc[1:], base=2)
    return {"chi2": chi2, "p": pvalue, "psi": p, "js": js, "drift": bool(js >= 0.1 or p >= 0.25)}


def report(reference, live):
    out = []
    for ref, liv in zip(reference[0], live[0]):
        out.append(numeric_drift(ref, liv))
    for ref, liv, levels in zip(reference[1], live[1], LEVELS):
        out.append(categorical_drift(ref, liv, levels))
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--live-rows", type=int, default=1_000_000)
    args = parser.parse_args()
    reference = make(100_000, 42, 0.0, 0.0)
    live = make(args.live_rows, 43, 0.3, 0.2)
    runs, cpu = [], []
    for _ in range(args.repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        columns = report(reference, live)
        runs.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    drifted = sum(c["drift"] for c in columns)
    print(json.dumps({"peer": "numpy %s + scipy ks_2samp/wasserstein_distance/chi2_contingency/"
                              "jensenshannon" % np.__version__,
                      "live_rows": args.live_rows, "reference_rows": 100_000,
                      "features": NUMERIC + len(LEVELS), "drifted": drifted,
                      "seconds": statistics.median(runs), "cpu_seconds": statistics.median(cpu),
                      "runs": runs, "cpu_runs": cpu}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
