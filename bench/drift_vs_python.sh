#!/usr/bin/env bash
# The drift report on 1M live rows × 20 features, hone against SciPy, in one run on one core.
#
# hone: bench/drift_report_bench.cc (Google Benchmark), the rows counted on the reference
# profile's bins and the report computed from the counts; the peer: bench/drift_peer.py, SciPy's
# tests and distances on the raw 100k reference and 1M live values. Both are pinned to CPU 0
# with taskset when it is there, with OMP_WAIT_POLICY=passive. Each side's figure is the median
# of --repeats runs (default 3), wall-clock and CPU time: on a shared machine the CPU time moves
# less. Raw outputs go to bench/out/drift_*.json.
#
# Usage: bench/drift_vs_python.sh [--binary PATH] [--repeats N]
#   --binary PATH  hone_bench_drift (default build/release/bench/hone_bench_drift, or
#                  $HONE_BENCH_DRIFT)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=/usr/bin/python3
BIN=${HONE_BENCH_DRIFT:-$ROOT/build/release/bench/hone_bench_drift}
REPEATS=3
while [[ $# -gt 0 ]]; do
  case $1 in
    --binary) BIN=$2; shift 2 ;;
    --repeats) REPEATS=$2; shift 2 ;;
    *) echo "unknown argument: $1 (see the usage at the top of $0)" >&2; exit 2 ;;
  esac
done
if [[ ! -x $BIN ]]; then
  echo "no benchmark binary at $BIN: build the release preset, or pass --binary" >&2
  exit 2
fi
OUT=$ROOT/bench/out
mkdir -p "$OUT"
export OMP_WAIT_POLICY=passive
PIN=()
if command -v taskset >/dev/null; then PIN=(taskset -c 0); fi

"${PIN[@]}" "$BIN" --benchmark_filter='BM_AccumulateAndReport|BM_Accumulate$|BM_Report' \
  --benchmark_repetitions="$REPEATS" --benchmark_report_aggregates_only=true \
  --benchmark_format=json >"$OUT/drift_hone.json"
"${PIN[@]}" "$PY" "$ROOT/bench/drift_peer.py" --repeats "$REPEATS" >"$OUT/drift_peer.json"

"$PY" - "$OUT/drift_hone.json" "$OUT/drift_peer.json" <<'EOF'
import json, sys
hone = json.load(open(sys.argv[1]))
peer = json.load(open(sys.argv[2]))
def median_seconds(name):
    for b in hone["benchmarks"]:
        if b["name"] == name + "_median":
            scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b["time_unit"]]
            return b["real_time"] * scale, b["cpu_time"] * scale
    raise SystemExit("no %s in the benchmark output" % name)
total, total_cpu = median_seconds("BM_AccumulateAndReport")
count, _ = median_seconds("BM_Accumulate")
report, _ = median_seconds("BM_Report")
print("drift report, %d live rows x %d features, reference %d rows (median of runs, one core)"
      % (peer["live_rows"], peer["features"], peer["reference_rows"]))
print("  hone  %.3f s (cpu %.3f s) = count on the profile's bins %.3f s + report %.4f s"
      % (total, total_cpu, count, report))
print("  scipy %.3f s (cpu %.3f s) on the raw values  (%s)"
      % (peer["seconds"], peer["cpu_seconds"], peer["peer"]))
print("  hone is %.0fx faster in wall-clock time, %.0fx in CPU time"
      % (peer["seconds"] / total, peer["cpu_seconds"] / total_cpu))
EOF
