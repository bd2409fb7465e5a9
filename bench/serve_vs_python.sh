#!/usr/bin/env bash
# `hone serve` against the Python servers a team would otherwise deploy, side by side, in one go.
#
# The peers: the same model trained in scikit-learn on the same rows (bench/serve_peers/
# train_peer.py: RandomForestRegressor(n_estimators=100, max_depth=8, random_state=42, n_jobs=1)
# behind an OrdinalEncoder + SimpleImputer pipeline, pickled with joblib), served with MLflow's
# scoring protocol (POST /invocations, {"dataframe_split": ...} -> {"predictions": [...]}) by
#   - Flask under gunicorn, 2 workers: gthread (4 threads each) by default, because it keeps
#     connections alive as uvicorn and hone do, where sync workers close every connection and
#     wrk reconnects per request (--flask-worker sync|both to measure those too), and
#   - FastAPI under uvicorn, 2 workers.
# hone: the same forest trained by `hone train` on the same rows (CSV written by the peer's
# trainer), registered and promoted to production in a fresh store, served by `hone serve` on
# /invocations (same body as the peers) and on the Open Inference Protocol route
# /v2/models/house_prices/infer.
#
# CPUs (--cpus): "split" (the default) gives the servers the first half of the CPUs and the load
# generator the other half, each pinned there with taskset: every server (its master and all its
# workers) gets the same cores, and wrk's own work does not show up as the server's latency.
# hone serve runs one I/O thread per server CPU, wrk one thread per load CPU; on 2 CPUs that is
# hone --threads 1 on CPU 0 and wrk -t1 on CPU 1. "shared" pins nothing: servers and wrk -t2
# share every CPU, hone with --threads 2.
#
# Load: wrk -c16 (bench/serve_wrk/post.lua), 1-row and 100-row requests, a 2 s warm-up then
# a 10 s measured run per (server, request), --rounds rounds (default 2) whose order alternates
# peer and product and reverses every round (PITFALLS.md, "Serving comparisons": uvicorn pins
# each keep-alive connection to one worker, and the cores are shared). The table gives the
# median over rounds; the JSON (bench/out/serve_vs_python.json) keeps every run. Besides
# requests/s and latency it gives the CPU time the server's processes (master and workers,
# from /proc) spent per request during the run: on this shared machine, where other people's
# builds take the cores, that figure moves much less than requests/s does.
#
# Before the load every server answers one request of each size: HTTP 200 and as many
# predictions as rows, else the script stops. hone's and scikit-learn's predictions of the
# first rows are printed side by side: they differ, being two different forests (different
# split search, binning and bootstrap draws), not two copies of one.
#
# Every server is started here in its own session (setsid), its PID saved in bench/out/serve/
# *.pid, and stopped at exit by signalling that PID's process group (TERM, then KILL after 10 s):
# gunicorn's and uvicorn's workers go with their master. Ports are free ports of 127.0.0.1
# picked at start. Everything generated goes to bench/out/ (git-ignored).
#
# Usage: bench/serve_vs_python.sh [--quick] [--peers-only] [--binary PATH] [--duration S]
#            [--warmup S] [--rounds N] [--connections N] [--flask-worker sync|gthread|both]
#            [--cpus split|shared]
#   --quick        3 s runs after a 1 s warm-up, one round: a smoke test, not a measurement
#   --peers-only   only the Python servers (no hone binary needed)
#   --binary PATH  the hone binary (default build/release/apps/hone/hone, or $HONE_BIN)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=/usr/bin/python3  # Debian's stack: sklearn 1.2.1, pandas, flask, fastapi, uvicorn, gunicorn
BIN=${HONE_BIN:-$ROOT/build/release/apps/hone/hone}
OUT=$ROOT/bench/out
WORK=$OUT/serve
DURATION=10
WARMUP=2
ROUNDS=2
CONNECTIONS=16
CPU_LAYOUT=split
FLASK_WORKER=gthread
PEERS_ONLY=0
QUICK=0
READY_TIMEOUT=60
MODEL=house_prices
OIP_PATH=/v2/models/$MODEL/infer

die() {
  echo "serve_vs_python: $*" >&2
  exit 1
}

usage() {
  sed -n '/^# Usage:/,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
}

while [[ $# -gt 0 ]]; do
  case $1 in
    --quick) QUICK=1 ;;
    --peers-only) PEERS_ONLY=1 ;;
    --binary) BIN=${2:?--binary needs a path}; shift ;;
    --duration) DURATION=${2:?--duration needs seconds}; shift ;;
    --warmup) WARMUP=${2:?--warmup needs seconds}; shift ;;
    --rounds) ROUNDS=${2:?--rounds needs a count}; shift ;;
    --connections) CONNECTIONS=${2:?--connections needs a count}; shift ;;
    --flask-worker) FLASK_WORKER=${2:?--flask-worker needs sync, gthread or both}; shift ;;
    --cpus) CPU_LAYOUT=${2:?--cpus needs split or shared}; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument '$1'" ;;
  esac
  shift
done
if [[ $QUICK == 1 ]]; then
  DURATION=3
  WARMUP=1
  ROUNDS=1
fi
for n in "$DURATION" "$WARMUP" "$ROUNDS" "$CONNECTIONS"; do
  [[ $n =~ ^[0-9]+$ ]] || die "expected a whole number, got '$n'"
done
[[ $ROUNDS -ge 1 && $DURATION -ge 1 && $CONNECTIONS -ge 1 ]] ||
  die "--rounds, --duration and --connections must be at least 1"
case $FLASK_WORKER in
  sync | gthread | both) ;;
  *) die "--flask-worker: sync, gthread or both, got '$FLASK_WORKER'" ;;
esac
NCPU=$(nproc)
SERVER_PIN=()  # command prefix that pins a server to its CPUs
LOAD_PIN=()    # and wrk to its own
case $CPU_LAYOUT in
  split)
    [[ $NCPU -ge 2 ]] || die "--cpus split needs at least 2 CPUs (this machine has $NCPU)"
    command -v taskset >/dev/null || die "taskset not found on PATH (util-linux)"
    SERVER_CPUS=$((NCPU / 2))
    HONE_THREADS=$SERVER_CPUS
    WRK_THREADS=$((NCPU - SERVER_CPUS))
    SERVER_PIN=(taskset -c "0-$((SERVER_CPUS - 1))")
    LOAD_PIN=(taskset -c "$SERVER_CPUS-$((NCPU - 1))")
    ;;
  shared)
    HONE_THREADS=2
    WRK_THREADS=2
    ;;
  *) die "--cpus: split or shared, got '$CPU_LAYOUT'" ;;
esac

# --- Tools ---------------------------------------------------------------------------------
command -v wrk >/dev/null || die "wrk not found on PATH (apt-get install wrk)"
command -v curl >/dev/null || die "curl not found on PATH"
[[ -x $PY ]] || die "$PY not found: the Debian Python stack is needed for the peers"
$PY -c 'import sklearn, pandas, joblib, flask, fastapi, uvicorn, gunicorn' 2>/dev/null ||
  die "$PY lacks one of sklearn, pandas, joblib, flask, fastapi, uvicorn, gunicorn"
if [[ $PEERS_ONLY == 0 ]]; then
  [[ -x $BIN ]] || die "hone binary not found or not executable: $BIN (or run with --peers-only)"
  # CLI11 answers `hone serve --help` with the top-level help (exit 0) when there is no such
  # subcommand, so look for the subcommand's own usage line.
  "$BIN" serve --help 2>&1 | grep -q "Usage: .*serve" ||
    die "hone serve not found in $BIN (build it, or run with --peers-only)"
fi

mkdir -p "$WORK" "$WORK/wrk" "$WORK/responses"
rm -f "$WORK"/wrk/*.txt "$WORK"/responses/*.json "$WORK"/*.log

# --- Servers: started here, stopped by PID at exit -----------------------------------------
PIDS=()
NAMES=()
stop_servers() {
  local i pid deadline
  for i in "${!PIDS[@]}"; do
    pid=${PIDS[$i]}
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    fi
  done
  for i in "${!PIDS[@]}"; do
    pid=${PIDS[$i]}
    deadline=$((SECONDS + 10))
    # The group is gone when no process is left in it.
    while kill -0 -- "-$pid" 2>/dev/null && [[ $SECONDS -lt $deadline ]]; do sleep 0.2; done
    if kill -0 -- "-$pid" 2>/dev/null; then
      echo "serve_vs_python: ${NAMES[$i]} (pid $pid) still running after TERM: KILL" >&2
      kill -KILL -- "-$pid" 2>/dev/null || true
    fi
    rm -f "$WORK/${NAMES[$i]}.pid"
  done
  PIDS=()
}
trap stop_servers EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start_server NAME COMMAND...: runs COMMAND in a new session (its PID is its process group),
# output to bench/out/serve/NAME.log, PID to bench/out/serve/NAME.pid.
start_server() {
  local name=$1
  shift
  setsid "$@" >"$WORK/$name.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  # setsid runs COMMAND in place (no fork) as the leader of a new process group; check it.
  sleep 0.1
  [[ $(ps -o pgid= -p "$pid" | tr -d ' ') == "$pid" ]] ||
    echo "serve_vs_python: warning: $name (pid $pid) does not lead its process group" >&2
  NAMES+=("$name")
  echo "$pid" >"$WORK/$name.pid"
  echo "started $name: pid $pid: $*"
}

# wait_ready NAME URL: polls URL until it answers 200, for at most READY_TIMEOUT seconds.
wait_ready() {
  local name=$1 url=$2 pid
  pid=$(cat "$WORK/$name.pid")
  local deadline=$((SECONDS + READY_TIMEOUT))
  until [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true) == 200 ]]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 20 "$WORK/$name.log" >&2
      die "$name exited before it was ready (log: $WORK/$name.log)"
    fi
    if [[ $SECONDS -ge $deadline ]]; then
      tail -n 20 "$WORK/$name.log" >&2
      die "$name not ready after ${READY_TIMEOUT}s: $url (log: $WORK/$name.log)"
    fi
    sleep 0.2
  done
  echo "$name ready ($url)"
}

free_ports() {  # free_ports N: N distinct free TCP ports of 127.0.0.1, one a line
  $PY - "$1" <<'EOF'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print("\n".join(str(s.getsockname()[1]) for s in socks))
EOF
}

# --- Models --------------------------------------------------------------------------------
echo "== training (same rows on both sides: $WORK/train.csv)"
$PY "$ROOT/bench/serve_peers/train_peer.py" --out "$WORK" --rows 1,100 | tee "$WORK/peer_train.json"
if [[ $PEERS_ONLY == 0 ]]; then
  rm -rf "$WORK/store"
  "$BIN" train --data "$WORK/train.csv" --target price --model random_forest \
    --param n_estimators=100 --param max_depth=8 --threads 1 --test-size 0 \
    --register "$MODEL" --store "$WORK/store" --json >"$WORK/hone_train.json" ||
    die "hone train failed"
  "$BIN" promote "$MODEL" 1 --store "$WORK/store" || die "hone promote failed"
fi

# --- Start the servers ---------------------------------------------------------------------
export OMP_WAIT_POLICY=passive
export PEER_MODEL_DIR=$WORK
mapfile -t PORTS < <(free_ports 4)
declare -A URL   # server label -> base URL
declare -A PGID  # server label -> process group (= PID) of the server and its workers
TARGETS=()      # "label|path|body kind" in the order of the first round
FLASK_LABELS=()
if [[ $FLASK_WORKER == sync || $FLASK_WORKER == both ]]; then
  start_server flask_sync "${SERVER_PIN[@]}" env OMP_NUM_THREADS=1 gunicorn --chdir "$ROOT/bench/serve_peers" \
    --workers 2 --worker-class sync --bind "127.0.0.1:${PORTS[0]}" --graceful-timeout 5 \
    --log-level warning flask_app:app
  URL["flask+gunicorn (2 sync workers)"]=http://127.0.0.1:${PORTS[0]}
  PGID["flask+gunicorn (2 sync workers)"]=$(cat "$WORK/flask_sync.pid")
  FLASK_LABELS+=("flask+gunicorn (2 sync workers)|flask_sync")
fi
if [[ $FLASK_WORKER == gthread || $FLASK_WORKER == both ]]; then
  start_server flask_gthread "${SERVER_PIN[@]}" env OMP_NUM_THREADS=1 gunicorn --chdir "$ROOT/bench/serve_peers" \
    --workers 2 --worker-class gthread --threads 4 --bind "127.0.0.1:${PORTS[1]}" \
    --graceful-timeout 5 --log-level warning flask_app:app
  URL["flask+gunicorn (2 gthread workers x4)"]=http://127.0.0.1:${PORTS[1]}
  PGID["flask+gunicorn (2 gthread workers x4)"]=$(cat "$WORK/flask_gthread.pid")
  FLASK_LABELS+=("flask+gunicorn (2 gthread workers x4)|flask_gthread")
fi
start_server fastapi "${SERVER_PIN[@]}" env OMP_NUM_THREADS=1 $PY -m uvicorn --app-dir "$ROOT/bench/serve_peers" \
  --workers 2 --host 127.0.0.1 --port "${PORTS[2]}" --no-access-log --log-level warning \
  fastapi_app:app
FASTAPI="fastapi+uvicorn (2 workers)"
URL[$FASTAPI]=http://127.0.0.1:${PORTS[2]}
PGID[$FASTAPI]=$(cat "$WORK/fastapi.pid")
HONE="hone serve (--threads $HONE_THREADS)"
if [[ $PEERS_ONLY == 0 ]]; then
  start_server hone "${SERVER_PIN[@]}" "$BIN" serve --store "$WORK/store" --host 127.0.0.1 \
    --port "${PORTS[3]}" --threads "$HONE_THREADS"
  URL[$HONE]=http://127.0.0.1:${PORTS[3]}
  PGID[$HONE]=$(cat "$WORK/hone.pid")
fi

for entry in "${FLASK_LABELS[@]}"; do
  wait_ready "${entry#*|}" "${URL[${entry%|*}]}/ping"
done
wait_ready fastapi "${URL[$FASTAPI]}/ping"
[[ $PEERS_ONLY == 1 ]] || wait_ready hone "${URL[$HONE]}/v2/health/ready"

# Alternate peer and product: flask, hone /invocations, fastapi, hone OIP (plus the second
# flask variant, if any, last). Peers-only: the peers in that order.
TARGETS+=("${FLASK_LABELS[0]%|*}|/invocations|mlflow")
[[ $PEERS_ONLY == 1 ]] || TARGETS+=("$HONE|/invocations|mlflow")
TARGETS+=("$FASTAPI|/invocations|mlflow")
[[ $PEERS_ONLY == 1 ]] || TARGETS+=("$HONE|$OIP_PATH|oip")
[[ ${#FLASK_LABELS[@]} -lt 2 ]] || TARGETS+=("${FLASK_LABELS[1]%|*}|/invocations|mlflow")

# --- Check one response of each server and size ---------------------------------------------
response_file() {  # response_file LABEL PATH ROWS: where that server's checked answer is kept
  echo "$WORK/responses/$(echo "$1$2" | tr -c 'a-zA-Z0-9' _)_$3.json"
}
echo "== checking one response per server and request size"
for rows in 1 100; do
  for t in "${TARGETS[@]}"; do
    IFS='|' read -r label path kind <<<"$t"
    response=$(response_file "$label" "$path" "$rows")
    code=$(curl -s -o "$response" -w '%{http_code}' --max-time 30 -X POST \
      -H 'Content-Type: application/json' --data-binary "@$WORK/${kind}_$rows.json" \
      "${URL[$label]}$path") || code=curl-failed
    [[ $code == 200 ]] || die "$label $path ($rows rows): HTTP $code: $(head -c 300 "$response")"
    verdict=$($PY "$ROOT/bench/serve_wrk/parse_wrk.py" check --kind "$kind" --rows "$rows" \
      "$response") || die "$label $path ($rows rows): $verdict"
    echo "  $label $path, $rows row(s): HTTP 200, $verdict"
  done
done
echo "== predictions of the first test rows" \
  "(hone's and scikit-learn's are different forests, so their predictions differ)"
compare=()
for t in "${TARGETS[@]}"; do
  IFS='|' read -r label path kind <<<"$t"
  compare+=("$label $path=$(response_file "$label" "$path" 100):$kind")
done
$PY "$ROOT/bench/serve_wrk/parse_wrk.py" compare --expected "$WORK/expected_100.json" --rows 5 \
  "${compare[@]}"

# --- Load ----------------------------------------------------------------------------------
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
MANIFEST=$WORK/wrk/manifest.tsv
: >"$MANIFEST"
echo "== load: ${LOAD_PIN[*]:+${LOAD_PIN[*]} }wrk -t$WRK_THREADS -c$CONNECTIONS," \
  "${SERVER_PIN[*]:+servers on ${SERVER_PIN[*]}, }${WARMUP}s warm-up + ${DURATION}s per run," \
  "$ROUNDS round(s), load average before: $LOAD_BEFORE"
run=0
for rows in 1 100; do
  for ((round = 1; round <= ROUNDS; round++)); do
    order=("${TARGETS[@]}")
    if ((round % 2 == 0)); then  # reverse every other round
      order=()
      for ((i = ${#TARGETS[@]} - 1; i >= 0; i--)); do order+=("${TARGETS[$i]}"); done
    fi
    for t in "${order[@]}"; do
      IFS='|' read -r label path kind <<<"$t"
      body=$WORK/${kind}_$rows.json
      run=$((run + 1))
      output=$WORK/wrk/run$(printf %03d $run).txt
      if [[ $WARMUP -gt 0 ]]; then
        "${LOAD_PIN[@]}" wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" --timeout 10s \
          -s "$ROOT/bench/serve_wrk/post.lua" "${URL[$label]}$path" -- "$body" >/dev/null
      fi
      cpu0=$($PY "$ROOT/bench/serve_wrk/parse_wrk.py" cpu "${PGID[$label]}")
      "${LOAD_PIN[@]}" wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s --latency \
        -s "$ROOT/bench/serve_wrk/post.lua" "${URL[$label]}$path" -- "$body" >"$output"
      cpu1=$($PY "$ROOT/bench/serve_wrk/parse_wrk.py" cpu "${PGID[$label]}")
      cpu=$($PY -c "print(round($cpu1 - $cpu0, 2))")
      printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$path" "$rows" "$round" "$output" "$cpu" \
        >>"$MANIFEST"
      echo "  $rows row(s), round $round: $label $path: $(grep -m1 'Requests/sec' "$output")"
    done
  done
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# --- Report --------------------------------------------------------------------------------
$PY - "$WORK/meta.json" <<EOF
import json, os, sys, platform
import sklearn, pandas, flask, fastapi, uvicorn, gunicorn
meta = {
    "benchmark": "bench/serve_vs_python.sh",
    "quick": $QUICK == 1, "peers_only": $PEERS_ONLY == 1,
    "cpus": {"layout": "$CPU_LAYOUT", "servers": "${SERVER_PIN[*]:-all}",
             "wrk": "${LOAD_PIN[*]:-all}"},
    "wrk": {"threads": $WRK_THREADS, "connections": $CONNECTIONS, "warmup_s": $WARMUP,
            "duration_s": $DURATION, "rounds": $ROUNDS,
            "aggregate": "median over rounds, rounds alternate peer and product"},
    "machine": {"cpus": os.cpu_count(), "load_before": "$LOAD_BEFORE",
                "load_after": "$LOAD_AFTER", "kernel": platform.release()},
    "versions": {"python": platform.python_version(), "sklearn": sklearn.__version__,
                 "pandas": pandas.__version__, "flask": flask.__version__,
                 "fastapi": fastapi.__version__, "uvicorn": uvicorn.__version__,
                 "gunicorn": gunicorn.__version__},
    "model": "RandomForestRegressor(n_estimators=100, max_depth=8, random_state=42, n_jobs=1) "
             "/ hone random_forest n_estimators=100 max_depth=8, house_prices 80% split",
    "peer_train": json.load(open("$WORK/peer_train.json")),
    "hone_binary": None if $PEERS_ONLY == 1 else "$BIN",
}
json.dump(meta, open(sys.argv[1], "w"), indent=1)
EOF
echo
echo "## hone serve vs Python servers (house_prices, RandomForest 100 trees, depth 8)"
echo
$PY "$ROOT/bench/serve_wrk/parse_wrk.py" report --manifest "$MANIFEST" --meta "$WORK/meta.json" \
  --out "$OUT/serve_vs_python.json" --relative-to "$ROOT"
