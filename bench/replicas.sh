#!/usr/bin/env bash
# Serving replicas on one PostgreSQL store behind nginx, measured in one go:
#   1. requests/s through nginx with 1 and with 2 `hone serve` replicas (and 1 replica direct,
#      for the cost of the proxy hop), wrk -c16 with 1-row OIP requests, --rounds rounds;
#   2. promotion to all replicas: --promotions moves of production between two versions, each
#      timed until both replicas answer with the new version (bench/replicas_follow.py).
#
# The model: hone's random forest (n_estimators=100, max_depth=8) on the example's house sales
# (rows written by bench/serve_peers/train_peer.py), two versions registered in a schema of
# its own in PostgreSQL: the server HONE_TEST_PG_URL names, else a throwaway one started here
# with scripts/pg.sh (root). Each replica runs `hone serve --threads 1`; nginx (Debian's
# package) runs a worker per CPU with keep-alive to the replicas. On a machine with 2 CPUs every
# process shares them, so the replicas' figure shows what the proxy and a second process cost
# or win on that machine, not what two machines would do.
#
# Every process is started here in its own session, its PID kept, and stopped by that PID at
# exit. Output: a table, and bench/out/replicas.json.
#
# Usage: bench/replicas.sh [--binary PATH] [--duration S] [--rounds N] [--promotions N] [--quick]
#   --binary PATH  the hone binary (default build/release/apps/hone/hone, or $HONE_BIN)
#   --quick        3 s runs, one round, 6 promotions: a smoke test, not a measurement
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=/usr/bin/python3
BIN=${HONE_BIN:-$ROOT/build/release/apps/hone/hone}
OUT=$ROOT/bench/out
WORK=$OUT/replicas
DURATION=10
ROUNDS=2
PROMOTIONS=20
MODEL=houses

die() {
  echo "replicas: $*" >&2
  exit 1
}
while [[ $# -gt 0 ]]; do
  case $1 in
    --binary) BIN=${2:?--binary needs a path}; shift ;;
    --duration) DURATION=${2:?--duration needs seconds}; shift ;;
    --rounds) ROUNDS=${2:?--rounds needs a count}; shift ;;
    --promotions) PROMOTIONS=${2:?--promotions needs a count}; shift ;;
    --quick) DURATION=3; ROUNDS=1; PROMOTIONS=6 ;;
    -h | --help) sed -n '/^# Usage:/,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1'" ;;
  esac
  shift
done
for n in "$DURATION" "$ROUNDS" "$PROMOTIONS"; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || die "expected a whole number above 0, got '$n'"
done
[[ -x $BIN ]] || die "hone binary not found: $BIN (cmake --preset release && cmake --build --preset release)"
for tool in wrk nginx psql curl; do
  command -v "$tool" >/dev/null || die "$tool not found (bash scripts/install-deps.sh)"
done

rm -rf "$WORK"
mkdir -p "$WORK/nginx/tmp"
PIDS=()
SCHEMA=bench_replicas_$$
PG_STARTED=0
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  [[ -f $WORK/nginx/nginx.pid ]] && kill -QUIT "$(cat "$WORK/nginx/nginx.pid")" 2>/dev/null
  [[ -n ${PG_URL:-} ]] && psql -X -q -d "$PG_URL" -c "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" >/dev/null 2>&1
  if [[ $PG_STARTED == 1 ]]; then PG_STATE_DIR=$WORK/pg bash "$ROOT/scripts/pg.sh" stop; fi
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- The store: PostgreSQL --------------------------------------------------------------------
PG_URL=${HONE_TEST_PG_URL:-}
if [[ -z $PG_URL ]]; then
  PG_STATE_DIR=$WORK/pg bash "$ROOT/scripts/pg.sh" start >/dev/null
  PG_STARTED=1
  PG_URL=$(PG_STATE_DIR=$WORK/pg bash "$ROOT/scripts/pg.sh" env)
fi
psql -X -q -v ON_ERROR_STOP=1 -d "$PG_URL" -c "CREATE SCHEMA $SCHEMA" >/dev/null
sep='?'
[[ $PG_URL == *\?* ]] && sep='&'
STORE=(--store "${PG_URL}${sep}options=-c%20search_path%3D$SCHEMA" --artifacts "$WORK/artifacts")

echo "== two versions of $MODEL"
$PY "$ROOT/bench/serve_peers/train_peer.py" --out "$WORK" --rows 1 >/dev/null
for seed in 1 2; do
  "$BIN" train --data "$WORK/train.csv" --target price --model random_forest \
    --param n_estimators=100 --param max_depth=8 --seed "$seed" --threads 2 \
    --test-size 0 --register "$MODEL" "${STORE[@]}" >/dev/null || die "hone train failed"
done
"$BIN" promote "$MODEL" 1 "${STORE[@]}" >/dev/null
BODY=$WORK/oip_1.json

free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_replica N: hone serve on a free port, its port in REPLICA_PORT[N]
declare -a REPLICA_PORT
start_replica() {
  local port
  port=$(free_port)
  OMP_WAIT_POLICY=passive setsid "$BIN" serve "${STORE[@]}" --host 127.0.0.1 --port "$port" \
    --threads 1 >"$WORK/serve-$1.log" 2>&1 &
  PIDS+=("$!")
  REPLICA_PORT[$1]=$port
  local deadline=$((SECONDS + 60))
  until [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/health/ready") == 200 ]]; do
    [[ $SECONDS -lt $deadline ]] || die "replica $1 not ready (log: $WORK/serve-$1.log)"
    sleep 0.2
  done
}

NGINX_PORT=$(free_port)
# start_nginx PORT...: (re)starts nginx in front of the given replica ports
start_nginx() {
  local d=$WORK/nginx servers="" p
  for p in "$@"; do servers+="    server 127.0.0.1:$p;"$'\n'; done
  [[ -f $d/nginx.pid ]] && kill -QUIT "$(cat "$d/nginx.pid")" 2>/dev/null && sleep 1
  cat >"$d/nginx.conf" <<EOF
$([[ $(id -u) == 0 ]] && echo "user root root;")
pid $d/nginx.pid;
error_log $d/error.log warn;
worker_processes auto;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $d/tmp/body;
  proxy_temp_path $d/tmp/proxy;
  fastcgi_temp_path $d/tmp/fastcgi;
  uwsgi_temp_path $d/tmp/uwsgi;
  scgi_temp_path $d/tmp/scgi;
  upstream hone_serve {
$servers    keepalive 32;
  }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / {
      proxy_pass http://hone_serve;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
EOF
  nginx -p "$d" -e "$d/error.log" -c "$d/nginx.conf" || die "nginx did not start ($d/error.log)"
}

# run_wrk LABEL URL ROUND: one measured wrk run after a 1 s warm-up, into the manifest
run_wrk() {
  local out=$WORK/wrk-$3-${1// /_}.txt
  wrk -t1 -c16 -d1s -s "$ROOT/bench/serve_wrk/post.lua" "$2/v2/models/$MODEL/infer" -- "$BODY" >/dev/null
  wrk -t1 -c16 -d"${DURATION}s" --latency -s "$ROOT/bench/serve_wrk/post.lua" \
    "$2/v2/models/$MODEL/infer" -- "$BODY" >"$out"
  printf '%s\t%s\t%s\n' "$1" "$3" "$out" >>"$WORK/manifest.tsv"
}

start_replica 1
start_replica 2
: >"$WORK/manifest.tsv"
echo "== requests/s (wrk -t1 -c16, ${DURATION} s, $ROUNDS round(s))"
for round in $(seq "$ROUNDS"); do
  run_wrk "1 replica, direct" "http://127.0.0.1:${REPLICA_PORT[1]}" "$round"
  start_nginx "${REPLICA_PORT[1]}"
  run_wrk "1 replica via nginx" "http://127.0.0.1:$NGINX_PORT" "$round"
  start_nginx "${REPLICA_PORT[1]}" "${REPLICA_PORT[2]}"
  run_wrk "2 replicas via nginx" "http://127.0.0.1:$NGINX_PORT" "$round"
done

echo "== promotion to all replicas ($PROMOTIONS moves)"
STORE_JSON=$($PY -c 'import json, sys; print(json.dumps(sys.argv[1:]))' "${STORE[@]}")
$PY "$ROOT/bench/replicas_follow.py" --hone "$BIN" --store-flags "$STORE_JSON" --body "$BODY" \
  --model "$MODEL" --promotions "$PROMOTIONS" "${REPLICA_PORT[1]}" "${REPLICA_PORT[2]}" \
  >"$WORK/follow.json"

$PY - "$WORK/manifest.tsv" "$WORK/follow.json" "$OUT/replicas.json" <<'EOF'
import json, re, statistics, sys
manifest, follow_file, out_file = sys.argv[1:]
runs = {}
for line in open(manifest):
    label, rnd, path = line.rstrip("\n").split("\t")
    text = open(path).read()
    m = re.search(r"^WRK_JSON (.*)$", text, re.M)
    if not m:
        sys.exit(f"replicas: no WRK_JSON line in {path}")
    w = json.loads(m.group(1))
    errors = sum(w["errors"].values())
    runs.setdefault(label, []).append({
        "rps": w["requests"] / (w["duration_us"] / 1e6), "errors": errors,
        "p50_ms": w["latency_us"]["p50"] / 1000, "p99_ms": w["latency_us"]["p99"] / 1000})
follow = json.load(open(follow_file))
print("| setup | requests/s (median) | p50 ms | p99 ms | errors |")
print("|---|---|---|---|---|")
table = {}
for label, rs in runs.items():
    row = {k: statistics.median(r[k] for r in rs) for k in ("rps", "p50_ms", "p99_ms")}
    row["errors"] = sum(r["errors"] for r in rs)
    table[label] = row
    print(f"| {label} | {row['rps']:.0f} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f} | {row['errors']} |")
s, e = follow["all_replicas_from_command_start"], follow["all_replicas_from_command_exit"]
print(f"\npromotion reaches both replicas ({follow['promotions']} moves): from `hone promote`'s "
      f"start median {s['median_ms']} ms, p90 {s['p90_ms']} ms, max {s['max_ms']} ms; "
      f"from its exit median {e['median_ms']} ms, p90 {e['p90_ms']} ms, max {e['max_ms']} ms")
json.dump({"throughput": table, "runs": runs, "promotion": follow}, open(out_file, "w"), indent=1)
print(f"(every run: {out_file})")
EOF
