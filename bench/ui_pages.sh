#!/usr/bin/env bash
# How fast the dashboard's pages load with 10,000 runs and 1,000 versions: a release-built
# `hone server --ui-dir web/dist` on a fresh SQLite store (or PostgreSQL with --postgres and
# HONE_TEST_PG_URL), seeded through MLflow's REST API (runs with params and metrics, versions of
# one model, aliases moved) and with audit records appended through hone's (as `hone watch`
# appends its decisions), then bench/ui_pages.mjs times each page in Debian's Chromium and
# Firefox ESR from navigation until its data shows, each load in a fresh browser context (nothing
# cached).
#
# Usage: bench/ui_pages.sh [--runs N] [--versions N] [--audit N] [--loads N] [--binary PATH]
#                          [--browsers "chromium firefox"]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
RUNS=10000 VERSIONS=1000 AUDIT=20000 LOADS=7 BINARY=$root/build/release/apps/hone/hone BROWSERS="chromium firefox"
while [[ $# -gt 0 ]]; do
  case $1 in
    --runs) RUNS=$2; shift ;;
    --versions) VERSIONS=$2; shift ;;
    --audit) AUDIT=$2; shift ;;
    --loads) LOADS=$2; shift ;;
    --binary) BINARY=$(realpath "$2"); shift ;;
    --browsers) BROWSERS=$2; shift ;;
    *) echo "ui_pages: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
[[ -x $BINARY ]] || { echo "ui_pages: no hone at $BINARY (cmake --build --preset release)" >&2; exit 2; }

work=$(mktemp -d /tmp/hone-ui-bench.XXXXXX)
pid=
cleanup() {
  [[ -n $pid ]] && { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
  rm -rf "$work"
}
trap cleanup EXIT

(cd web && npm ci --no-audit --no-fund --silent && npm run build --silent >/dev/null)
(cd tests/ui && npm ci --no-audit --no-fund --silent)

"$BINARY" token create --store "$work/db" --name root --role admin --out "$work/admin.tok" >/dev/null
"$BINARY" server --store "$work/db" --host 127.0.0.1 --port 0 --port-file "$work/port" \
  --ui-dir web/dist >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do [[ -s $work/port ]] && break; sleep 0.1; done
[[ -s $work/port ]] || { echo "ui_pages: hone server did not start" >&2; cat "$work/server.log" >&2; exit 1; }
api="http://127.0.0.1:$(cat "$work/port")"

echo "ui_pages: seeding $RUNS runs, $VERSIONS versions of model 'big' and $AUDIT loop decisions through $api"
/usr/bin/python3 - "$api" "$work/admin.tok" "$RUNS" "$VERSIONS" "$AUDIT" <<'PY'
import concurrent.futures, json, random, sys, time, urllib.request
api, token_file, runs, versions, audit = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
token = open(token_file).read().strip()
def call(method, path, body):
    req = urllib.request.Request(f"{api}/api/2.0/mlflow/{path}", data=json.dumps(body).encode(),
                                 method=method, headers={"Authorization": f"Bearer {token}",
                                                         "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"{}")
def seed_run(i):
    rng = random.Random(i)
    run = call("POST", "runs/create", {"experiment_id": "0", "run_name": f"run-{i}",
                                       "start_time": 1_700_000_000_000 + i * 1000})["run"]
    rid = run["info"]["run_id"]
    now = int(time.time() * 1000)
    call("POST", "runs/log-batch", {"run_id": rid,
        "params": [{"key": "model", "value": rng.choice("xyz")}, {"key": "lr", "value": str(rng.random())}],
        "metrics": [{"key": k, "value": rng.random(), "timestamp": now, "step": s}
                    for k in ("rmse", "acc") for s in range(5)],
        "tags": [{"key": "registered_model", "value": "big"}]})
    call("POST", "runs/update", {"run_id": rid, "status": "FINISHED", "end_time": now})
    return rid
start = time.time()
with concurrent.futures.ThreadPoolExecutor(4) as pool:
    ids = list(pool.map(seed_run, range(runs)))
call("POST", "registered-models/create", {"name": "big"})
for v in range(versions):
    call("POST", "model-versions/create", {"name": "big", "source": f"s3://models/big/{v}",
                                           "run_id": ids[v % len(ids)]})
for v in (versions // 2, versions):
    call("POST", "registered-models/alias", {"name": "big", "alias": "canary", "version": str(v)})
def decide(i):  # what one look of `hone watch` appends when it decides nothing new
    body = {"action": "watch.wait", "subject": f"model-{i % 50}", "before": "{}",
            "after": json.dumps({"decision": {"action": "wait", "reason": f"look {i}: nothing to do"}})}
    req = urllib.request.Request(f"{api}/api/hone/v1/audit", data=json.dumps(body).encode(), method="POST",
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    urllib.request.urlopen(req).read()
with concurrent.futures.ThreadPoolExecutor(4) as pool:
    list(pool.map(decide, range(audit)))
print(f"ui_pages: seeded in {time.time() - start:.0f} s")
PY

mkdir -p "$root/bench/out"
for browser in $BROWSERS; do
  case $browser in
    chromium) version=$(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}') ;;
    firefox) version=$(/usr/bin/firefox-esr --version 2>/dev/null | awk '{print $3}') ;;
    *) echo "ui_pages: unknown browser $browser (chromium, firefox)" >&2; exit 2 ;;
  esac
  echo "ui_pages: $LOADS loads of each page, $browser $version, load average $(cut -d' ' -f1-3 /proc/loadavg)"
  UI_URL="$api/ui/" TOKEN_FILE="$work/admin.tok" MODEL=big VERSION=$((VERSIONS / 2)) LOADS=$LOADS \
    UI_BROWSER=$browser OUT="$root/bench/out/ui_pages-$browser.json" timeout 900 node bench/ui_pages.mjs
done
