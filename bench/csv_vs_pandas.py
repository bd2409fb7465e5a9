#!/usr/bin/python3
"""Times hone's ReadCsv against pandas.read_csv on the same generated file, in one run.

Usage: /usr/bin/python3 bench/csv_vs_pandas.py [BUILD_DIR] [--rows N] [--repeats R]

BUILD_DIR (default build/release) must hold bench/hone_csv_read_time from a Release build. The
file is 20 columns: 15 numeric with about 5% missing cells and 5 categorical, some quoted (an
embedded comma, doubled quotes). It is generated from a fixed seed into bench/out/ and reused.
"""

import argparse
import json
import pathlib
import subprocess
import sys
import time

import numpy as np
import pandas as pd

ROOT = pathlib.Path(__file__).resolve().parent.parent
SEED = 20240611


def generate(path: pathlib.Path, rows: int) -> None:
    rng = np.random.default_rng(SEED)
    columns = {}
    for c in range(15):
        values = np.round((rng.random(rows) - 0.3) * 1000, 4)
        values[rng.random(rows) < 0.05] = np.nan
        columns[f"x{c}"] = values
    cities = np.array(["Oslo", "Lima", "Kyiv", "Pune", "Washington, D.C.", ""], dtype=object)
    columns["city"] = cities[rng.integers(0, len(cities), rows)]
    columns["segment"] = np.char.add("s", rng.integers(0, 40, rows).astype(str)).astype(object)
    columns["plan"] = np.array(["free", "basic", "pro", "team", "enterprise"],
                               dtype=object)[rng.integers(0, 5, rows)]
    columns["channel"] = np.where(rng.random(rows) < 0.5, "web", "store").astype(object)
    notes = np.array(["ok"] * 99 + ['said "call me"'], dtype=object)
    columns["note"] = notes[rng.integers(0, len(notes), rows)]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    pd.DataFrame(columns).to_csv(tmp, index=False, float_format="%.4f")
    tmp.rename(path)


def best_pandas(path: pathlib.Path, repeats: int) -> tuple[float, tuple[int, int]]:
    best, shape = float("inf"), (0, 0)
    for _ in range(repeats):
        start = time.perf_counter()
        frame = pd.read_csv(path)
        best = min(best, time.perf_counter() - start)
        shape = frame.shape
        del frame
    return best, shape


def best_hone(binary: pathlib.Path, path: pathlib.Path, repeats: int) -> dict:
    out = subprocess.run([str(binary), str(path), str(repeats)], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build_dir", nargs="?", default="build/release")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    build = pathlib.Path(args.build_dir)
    if not build.is_absolute():
        build = ROOT / build
    binary = build / "bench" / "hone_csv_read_time"
    if not binary.exists():
        print(f"{binary} not found; build it: cmake --build {build} --target hone_csv_read_time",
              file=sys.stderr)
        return 2
    path = ROOT / "bench" / "out" / f"csv_{args.rows}x20_seed{SEED}.csv"
    if not path.exists():
        print(f"generating {path} ...", file=sys.stderr)
        generate(path, args.rows)

    pandas_seconds, shape = best_pandas(path, args.repeats)
    hone = best_hone(binary, path, args.repeats)
    if (hone["rows"], hone["columns"]) != shape:
        print(f"shape differs: pandas {shape}, hone {hone['rows']}x{hone['columns']}",
              file=sys.stderr)
        return 1
    size_mb = path.stat().st_size / 1e6
    print(f"file: {path.name}, {size_mb:.0f} MB, {shape[0]} rows x {shape[1]} columns")
    print(f"{'reader':<24}{'best of ' + str(args.repeats) + ' (s)':>16}{'MB/s':>10}")
    for name, seconds in (("pandas " + pd.__version__, pandas_seconds),
                          (f"hone ReadCsv ({hone['threads']} thr)", hone["seconds"]),
                          ("  of which ParseCsv", hone["parse_seconds"])):
        print(f"{name:<24}{seconds:>16.3f}{size_mb / seconds:>10.0f}")
    print(f"hone ReadCsv is {pandas_seconds / hone['seconds']:.1f}x faster than pandas.read_csv "
          f"(ParseCsv alone: {pandas_seconds / hone['parse_seconds']:.1f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
