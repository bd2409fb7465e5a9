#!/usr/bin/env bash
# A 16-trial search and the fit of its best trial on the example's house sales, three ways in
# one go: the local executor (all cores), and `executor: slurm` with 1 and with 2 job slots
# (max_running) of one CPU each on a single-node Slurm cluster (SLURM_CONF, else one started
# here with scripts/slurm.sh, as root): an array of 16 tasks, then the fit as one job. Each way
# runs --rounds times in a fresh SQLite store; the table gives the median seconds of the train
# stage (search and fit) and of the whole `hone run`, and search trials per second of it.
# Every way must choose the same trial. Output: the table and bench/out/slurm_search.json.
#
# Usage: bench/slurm_search.sh [--binary PATH] [--rounds N] [--rows N] [--trees N]
#   --binary  the hone binary (default build/release/apps/hone/hone, or $HONE_BIN)
#   --rows    sales used (default 8000 of the example's 20,000)
#   --trees   n_estimators of every trial and of the fit (default 30): the work per job
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${HONE_BIN:-$ROOT/build/release/apps/hone/hone}
WORK=$ROOT/bench/out/slurm_search
ROUNDS=2
ROWS=8000
TREES=30
die() {
  echo "slurm_search: $*" >&2
  exit 1
}
while [[ $# -gt 0 ]]; do
  case $1 in
    --binary) BIN=${2:?--binary needs a path}; shift ;;
    --rounds) ROUNDS=${2:?--rounds needs a count}; shift ;;
    --rows) ROWS=${2:?--rows needs a count}; shift ;;
    --trees) TREES=${2:?--trees needs a count}; shift ;;
    *) die "unknown argument '$1'" ;;
  esac
  shift
done
for n in "$ROUNDS" "$ROWS" "$TREES"; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || die "--rounds, --rows and --trees: whole numbers above 0"
done
[[ -x $BIN ]] || die "hone binary not found: $BIN"
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")

STARTED=0
cleanup() { if [[ $STARTED == 1 ]]; then SLURM_STATE_DIR=$WORK/slurm bash "$ROOT/scripts/slurm.sh" stop; fi; }
trap cleanup EXIT
rm -rf "$WORK"
mkdir -p "$WORK"
if [[ -z ${SLURM_CONF:-} ]]; then
  SLURM_STATE_DIR=$WORK/slurm bash "$ROOT/scripts/slurm.sh" start
  STARTED=1
  eval "$(SLURM_STATE_DIR=$WORK/slurm bash "$ROOT/scripts/slurm.sh" env)"
fi
head -n $((ROWS + 1)) "$ROOT/examples/house_prices/house_prices.csv" >"$WORK/sales.csv"

spec() {  # spec EXECUTOR-YAML
  cat <<SPEC
model: house_prices
data: {path: $WORK/sales.csv}
target: price
ignore: [sale_date]
split: {method: random, test_size: 0.2, seed: 42}
train:
  model: random_forest
  params: {n_estimators: $TREES}
search:
  method: random
  trials: 16
  folds: 3
  seed: 5
  space:
    max_depth: [4, 8, 12, 16]
    min_samples_leaf: {min: 1, max: 40, integer: true}
$1
SPEC
}

: >"$WORK/runs.tsv"
for round in $(seq "$ROUNDS"); do
  for way in local slurm-1 slurm-2; do
    case $way in
      local) executor="executor: local" ;;
      slurm-1) executor="executor: {slurm: {cpus: 1, max_running: 1, poll: 0.2}}" ;;
      slurm-2) executor="executor: {slurm: {cpus: 1, max_running: 2, poll: 0.2}}" ;;
    esac
    dir=$WORK/$way-$round
    mkdir -p "$dir"
    spec "$executor" >"$dir/hone.yaml"
    start=$(date +%s%N)
    (cd "$dir" && OMP_WAIT_POLICY=passive "$BIN" run --json >run.json) || die "$way failed (see $dir)"
    end=$(date +%s%N)
    printf '%s\t%s\t%s\t%s\n' "$way" "$round" "$(((end - start) / 1000000))" "$dir/run.json" >>"$WORK/runs.tsv"
    echo "$way round $round: done"
  done
done

/usr/bin/python3 - "$WORK/runs.tsv" "$ROOT/bench/out/slurm_search.json" <<'PY'
import json, statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
ways, best = {}, set()
for way, rnd, wall, path in rows:
    run = json.load(open(path))
    train = next(s["seconds"] for s in run["stages"] if s["name"] == "train")
    search = run["details"]["search"]
    chosen = next(t for t in search["trials"] if t["index"] == search["best"])
    best.add(json.dumps(chosen["params"], sort_keys=True))
    ways.setdefault(way, []).append({"wall_s": int(wall) / 1000, "train_s": train})
if len(best) != 1:
    sys.exit(f"slurm_search: the ways chose different trials: {best}")
print("| executor | train stage s (median) | whole run s | search trials/s |")
print("|---|---|---|---|")
out = {}
for way, rs in ways.items():
    train = statistics.median(r["train_s"] for r in rs)
    wall = statistics.median(r["wall_s"] for r in rs)
    out[way] = {"train_s": train, "wall_s": wall, "runs": rs}
    print(f"| {way} | {train:.2f} | {wall:.2f} | {16 / train:.2f} |")
print(f"every way chose {best.pop()}")
json.dump(out, open(sys.argv[2], "w"), indent=1)
PY
