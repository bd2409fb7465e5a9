#!/usr/bin/env bash
# MLflow's REST API on `hone server` against an MLflow-style tracking server, side by side in
# one run: log_metric calls/s (one client, then --clients), log_batch metrics/s (10, 100, 1000
# metrics per call) and runs/search latency over --runs runs (bench/mlflow_api_bench.py).
#
# Servers, each on a free port of 127.0.0.1, each on a fresh store under bench/out/mlflow_api/:
#   hone         `hone server` (release build, its defaults: 8 threads) on SQLite, with an admin
#                token made by `hone token create`
#   hone-pg      the same on PostgreSQL, in a schema of its own, when HONE_TEST_PG_URL is set
#                (scripts/pg.sh env)
#   mlflow-peer  bench/mlflow_peer: a stand-in for MLflow's tracking server written here
#                (MLflow is not in Debian and nothing can be downloaded): Flask under gunicorn
#                with `mlflow server`'s defaults (4 sync workers), SQLAlchemy's ORM on SQLite
#                with MLflow's tables, following MLflow's SqlAlchemyStore. Its 10,000 search
#                runs are written straight into its database: through its API they take many
#                minutes.
#   mlflow-peer-pg  the same on PostgreSQL (psycopg2), in a schema of its own, when
#                HONE_TEST_PG_URL is set
#
# Every server is started in its own session (setsid), its PID kept in bench/out/mlflow_api/
# *.pid, and its process group stopped at exit.
#
# Usage: bench/mlflow_api_bench.sh [--quick] [--duration S] [--clients N] [--runs N]
#            [--searches N] [--phases LIST] [--binary PATH]
#   --quick   1 s phases, 1,000 runs, 5 searches: a smoke test, not a measurement
#   --phases  a comma-separated subset of log_metric,log_batch,search (default: all)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=/usr/bin/python3  # Debian's flask, gunicorn, sqlalchemy
BIN=${HONE_BIN:-$ROOT/build/release/apps/hone/hone}
WORK=$ROOT/bench/out/mlflow_api
DURATION=5
CLIENTS=4
RUNS=10000
SEARCHES=30
PHASES=log_metric,log_batch,search

die() {
  echo "mlflow_api_bench: $*" >&2
  exit 1
}

while [[ $# -gt 0 ]]; do
  case $1 in
    --quick) DURATION=1 RUNS=1000 SEARCHES=5 ;;
    --duration) DURATION=$2; shift ;;
    --clients) CLIENTS=$2; shift ;;
    --runs) RUNS=$2; shift ;;
    --searches) SEARCHES=$2; shift ;;
    --phases) PHASES=$2; shift ;;
    --binary) BIN=$2; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1'" ;;
  esac
  shift
done

[[ -x $BIN ]] || die "no hone binary at $BIN: cmake --preset release && cmake --build --preset release"
$PY -c 'import flask, sqlalchemy' 2>/dev/null ||
  die "the peer needs python3-flask and python3-sqlalchemy (bash scripts/install-deps.sh)"
command -v gunicorn >/dev/null || die "the peer needs gunicorn (bash scripts/install-deps.sh)"

SCHEMA=mlflow_bench_$$
PG_URL=${HONE_TEST_PG_URL:-}
sep='?'
[[ $PG_URL == *\?* ]] && sep='&'
stop_all() {
  local f
  for f in "$WORK"/*.pid; do
    [[ -f $f ]] || continue
    kill -TERM -- "-$(cat "$f")" 2>/dev/null || true
    rm -f "$f"
  done
  if [[ -n $PG_URL ]]; then
    psql -X -q -d "$PG_URL" -c "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" >/dev/null 2>&1 || true
    psql -X -q -d "$PG_URL" -c "DROP SCHEMA IF EXISTS ${SCHEMA}_peer CASCADE" >/dev/null 2>&1 ||
      true
  fi
}
trap stop_all EXIT

rm -rf "$WORK"
mkdir -p "$WORK"

free_port() {
  $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_ready() {  # URL NAME
  for _ in $(seq 1 100); do
    if $PY -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=1)" \
      "$1" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  die "$2 did not answer $1"
}

servers=()

# hone_server NAME STORE_ARGS...: a store with an admin token, then the server on it.
hone_server() {
  local name=$1
  shift
  "$BIN" token create "$@" --name bench --role admin --out "$WORK/$name.token" >/dev/null
  local port
  port=$(free_port)
  setsid "$BIN" server "$@" --port "$port" >"$WORK/$name.log" 2>&1 &
  echo $! >"$WORK/$name.pid"
  wait_ready "http://127.0.0.1:$port/health" "$name"
  servers+=(--server "$name=http://127.0.0.1:$port@$WORK/$name.token")
}

mkdir -p "$WORK/hone"
hone_server hone --store "$WORK/hone/hone.db"
if [[ -n $PG_URL ]]; then
  psql -X -q -v ON_ERROR_STOP=1 -d "$PG_URL" -c "CREATE SCHEMA $SCHEMA" >/dev/null
  hone_server hone-pg --store "${PG_URL}${sep}options=-c%20search_path%3D$SCHEMA" \
    --artifacts "$WORK/hone-pg-artifacts"
fi

peer_db="sqlite:///$WORK/peer.db"
peer_port=$(free_port)
# The tables first, so that gunicorn's workers do not race to create them.
peer_tables() { (cd "$ROOT/bench/mlflow_peer" && $PY -c 'import store, sys; store.TrackingStore(sys.argv[1])' "$1"); }
peer_tables "$peer_db"
(cd "$ROOT/bench/mlflow_peer" &&
  PEER_DB_URI=$peer_db exec setsid gunicorn -b "127.0.0.1:$peer_port" -w 4 app:app \
    >"$WORK/peer.log" 2>&1) &
echo $! >"$WORK/peer.pid"
wait_ready "http://127.0.0.1:$peer_port/health" mlflow-peer
servers+=(--server "mlflow-peer=http://127.0.0.1:$peer_port#$peer_db")

if [[ -n $PG_URL ]]; then
  $PY -c 'import psycopg2' 2>/dev/null ||
    die "the peer on PostgreSQL needs python3-psycopg2 (bash scripts/install-deps.sh)"
  psql -X -q -v ON_ERROR_STOP=1 -d "$PG_URL" -c "CREATE SCHEMA ${SCHEMA}_peer" >/dev/null
  peer_pg="postgresql+psycopg2://${PG_URL#postgresql://}${sep}options=-csearch_path%3D${SCHEMA}_peer"
  peer_pg_port=$(free_port)
  peer_tables "$peer_pg"
  (cd "$ROOT/bench/mlflow_peer" &&
    PEER_DB_URI=$peer_pg exec setsid gunicorn -b "127.0.0.1:$peer_pg_port" -w 4 app:app \
      >"$WORK/peer-pg.log" 2>&1) &
  echo $! >"$WORK/peer-pg.pid"
  wait_ready "http://127.0.0.1:$peer_pg_port/health" mlflow-peer-pg
  servers+=(--server "mlflow-peer-pg=http://127.0.0.1:$peer_pg_port#$peer_pg")
fi

echo "mlflow_api_bench: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg);" \
  "phases of ${DURATION}s, $CLIENTS clients, $RUNS runs"
$PY "$ROOT/bench/mlflow_api_bench.py" "${servers[@]}" --duration "$DURATION" \
  --clients "$CLIENTS" --runs "$RUNS" --searches "$SEARCHES" --phases "$PHASES" --out "$WORK/results.json"
echo "mlflow_api_bench: figures in $WORK/results.json; load average now $(cut -d' ' -f1-3 /proc/loadavg)"
