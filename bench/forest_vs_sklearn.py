#!/usr/bin/python3
"""hone's random forest against scikit-learn's, side by side in one run.

The peer is the program a team would otherwise write: pandas.read_csv, an
OrdinalEncoder + SimpleImputer pipeline (scikit-learn 1.2's forests take neither
text nor missing values), RandomForestRegressor/Classifier(n_estimators=100,
random_state=42). Both sides train on the same rows (scikit-learn's
train_test_split, test_size=0.2, random_state=42, written to CSV for hone) with
the same number of threads, and are scored on the same held-out rows.

Reported per data set and thread count: fit time (hone: the trainer alone, as
scikit-learn's fit; and the whole `hone train` command including reading the
CSV and writing the bundle), batch prediction time per row, single-row latency
(hone: cells -> encoded features -> prediction; scikit-learn: pipeline.predict
on a one-row DataFrame, as a Flask endpoint would, and model.predict on an
already encoded row), R^2 or accuracy, and model size on disk.

Fit times are the median of --repeats fits per side (default 3), the two sides
interleaved so that a burst of load on this shared machine falls on both; every
other figure comes from one run.

Usage: /usr/bin/python3 bench/forest_vs_sklearn.py [--build build/release]
       [--threads 1,2] [--sets house_prices,house_prices_100k,churn,segments_100k]
       [--repeats 3]
"""
import argparse
import json
import os
import pickle
import statistics
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import sklearn
from sklearn.compose import make_column_transformer
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OrdinalEncoder

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "bench", "out")

# name: (generator data set, rows or None for the shipped file, target, task)
SETS = {
    "house_prices": ("house_prices", None, "price", "regression"),
    "house_prices_100k": ("house_prices", 100000, "price", "regression"),
    "churn": ("churn", None, "churned", "classification"),
    "segments_100k": ("segments", 100000, "segment", "classification"),
}


def data_file(name):
    generator, rows, _, _ = SETS[name]
    if rows is None:
        return os.path.join(ROOT, "examples", generator, generator + ".csv")
    path = os.path.join(OUT, f"{name}.csv")
    if not os.path.exists(path):
        subprocess.run([sys.executable, os.path.join(ROOT, "examples", "make_examples.py"),
                        generator, "--rows", str(rows), "--seed", "7", "--out", path],
                       check=True, stdout=subprocess.DEVNULL)
    return path


def split(name):
    """Writes train/test CSVs of the same split for both sides; returns their paths."""
    train_path = os.path.join(OUT, f"{name}.train.csv")
    test_path = os.path.join(OUT, f"{name}.test.csv")
    df = pd.read_csv(data_file(name), keep_default_na=True)
    target = SETS[name][2]
    df = df[df[target].notna()]
    train, test = train_test_split(df, test_size=0.2, random_state=42)
    train.to_csv(train_path, index=False)
    test.to_csv(test_path, index=False)
    return train_path, test_path


def sklearn_side(name, train_path, test_path, threads, fit_only=False):
    target, task = SETS[name][2], SETS[name][3]
    train = pd.read_csv(train_path)
    test = pd.read_csv(test_path)
    y_train, y_test = train.pop(target), test.pop(target)
    if task == "classification":
        y_train, y_test = y_train.astype(str), y_test.astype(str)
    text = [c for c in train.columns if train[c].dtype == object]
    numbers = [c for c in train.columns if c not in text]
    encode = make_column_transformer(
        (make_pipeline(SimpleImputer(strategy="most_frequent"),
                       OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)),
         text),
        (SimpleImputer(strategy="median"), numbers))
    Forest = RandomForestRegressor if task == "regression" else RandomForestClassifier
    model = make_pipeline(encode, Forest(n_estimators=100, random_state=42, n_jobs=threads))
    t0 = time.perf_counter()
    model.fit(train, y_train)
    fit = time.perf_counter() - t0
    if fit_only:
        return {"fit_seconds": fit}
    t0 = time.perf_counter()
    predicted = model.predict(test)
    batch = time.perf_counter() - t0
    score = (r2_score(y_test, predicted) if task == "regression"
             else accuracy_score(y_test, predicted))
    # Single rows, as a web endpoint would see them; n_jobs=1 for prediction (PITFALLS.md:
    # more jobs make single-row prediction several times slower).
    forest = model[-1]
    forest.set_params(n_jobs=1)
    rows = [test.iloc[[i]] for i in range(min(200, len(test)))]
    single = []
    for row in rows:
        t0 = time.perf_counter()
        model.predict(row)
        single.append(time.perf_counter() - t0)
    encoded = model[0].transform(test.iloc[:200])
    raw = []
    for i in range(len(encoded)):
        t0 = time.perf_counter()
        forest.predict(encoded[i:i + 1])
        raw.append(time.perf_counter() - t0)
    size = len(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))
    return {"fit_seconds": fit, "batch_us_per_row": batch / len(test) * 1e6,
            "single_row_us_median": statistics.median(single) * 1e6,
            "single_row_encoded_us_median": statistics.median(raw) * 1e6,
            "score": score, "model_bytes": size}


def hone_side(name, train_path, test_path, threads, build, fit_only=False):
    target, task = SETS[name][2], SETS[name][3]
    hone = os.path.join(build, "apps", "hone", "hone")
    model = os.path.join(OUT, f"{name}.t{threads}.hone")
    args = [hone, "train", "--data", train_path, "--target", target, "--test-size", "0",
            "--model", "random_forest", "--param", "n_estimators=100", "--seed", "42",
            "--threads", str(threads), "--out", model, "--json"]
    if task == "classification":
        args += ["--task", "classification"]
    t0 = time.perf_counter()
    trained = json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout)
    command = time.perf_counter() - t0
    if fit_only:
        return {"fit_seconds": trained["train_seconds"], "command_seconds": command}
    evaluated = json.loads(subprocess.run(
        [hone, "eval", "--model", model, "--data", test_path, "--json"],
        check=True, capture_output=True, text=True).stdout)
    latency = json.loads(subprocess.run(
        [os.path.join(build, "bench", "hone_bench_predict"), model, test_path,
         "--threads", str(threads)],
        check=True, capture_output=True, text=True).stdout)
    metric = "r2" if task == "regression" else "accuracy"
    return {"fit_seconds": trained["train_seconds"], "command_seconds": command,
            "batch_us_per_row": latency["batch_us_per_row"],
            "single_row_us_median": latency["single_row_us_median"],
            "single_row_us_p99": latency["single_row_us_p99"],
            "score": evaluated["metrics"][metric], "model_bytes": os.path.getsize(model)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build", "release"))
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    os.makedirs(OUT, exist_ok=True)
    results = []
    print(f"scikit-learn {sklearn.__version__}, numpy {np.__version__}, "
          f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}, median of {args.repeats} fits")
    header = ("| data set | threads | side | fit s | train cmd s | batch us/row | "
              "1-row us | score | model MB |")
    print(header)
    print("|" + "---|" * 9)
    for name in args.sets.split(","):
        train_path, test_path = split(name)
        for threads in [int(t) for t in args.threads.split(",")]:
            # Interleave the sides and alternate which goes first, so that neither always
            # runs on a warmer or quieter machine.
            h_fits, s_fits = [], []
            for i in range(args.repeats):
                fit_only = i < args.repeats - 1
                sides = [lambda: h_fits.append(hone_side(name, train_path, test_path, threads,
                                                         args.build, fit_only)),
                         lambda: s_fits.append(sklearn_side(name, train_path, test_path,
                                                            threads, fit_only))]
                for run in (sides if i % 2 == 0 else sides[::-1]):
                    run()
            h, s = h_fits[-1], s_fits[-1]
            for side, fits in ((h, h_fits), (s, s_fits)):
                side["fit_seconds_runs"] = [f["fit_seconds"] for f in fits]
                side["fit_seconds"] = statistics.median(side["fit_seconds_runs"])
            h["command_seconds"] = statistics.median(f["command_seconds"] for f in h_fits)
            results.append({"set": name, "threads": threads, "hone": h, "sklearn": s})
            for side, r in (("hone", h), ("scikit-learn", s)):
                print(f"| {name} | {threads} | {side} | {r['fit_seconds']:.2f} | "
                      f"{r.get('command_seconds', float('nan')):.2f} | "
                      f"{r['batch_us_per_row']:.2f} | {r['single_row_us_median']:.1f} | "
                      f"{r['score']:.4f} | {r['model_bytes'] / 1e6:.1f} |")
            print(f"|  |  | ratio | {s['fit_seconds'] / h['fit_seconds']:.1f}x | | "
                  f"{s['batch_us_per_row'] / h['batch_us_per_row']:.1f}x | "
                  f"{s['single_row_us_median'] / h['single_row_us_median']:.0f}x "
                  f"({s['single_row_encoded_us_median'] / h['single_row_us_median']:.0f}x "
                  f"vs encoded) | {h['score'] - s['score']:+.4f} | "
                  f"{s['model_bytes'] / h['model_bytes']:.1f}x smaller |", flush=True)
    with open(os.path.join(OUT, "forest_vs_sklearn.json"), "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
