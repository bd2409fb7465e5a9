#!/usr/bin/env bash
# End-to-end tests of the web dashboard: builds web/ (npm ci, vite), starts a hone server on a
# fresh store that serves web/dist under /ui/, seeds it (tests/ui/seed.py), and drives Debian's
# Chromium through every page with playwright-core (tests/ui/ui.test.mjs). Screenshots land in
# docs/images/.
#   HONE=path/to/hone (default build/dev/apps/hone/hone)   KEEP=1 keeps the temporary folder
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
hone=${HONE:-$root/build/dev/apps/hone/hone}
[[ -x $hone ]] || { echo "ui-test: no hone binary at $hone (build it, or set HONE)" >&2; exit 2; }
hone=$(realpath "$hone")  # the seed runs it from other folders
[[ -x /usr/bin/chromium ]] || { echo "ui-test: /usr/bin/chromium is missing (scripts/install-deps.sh)" >&2; exit 2; }

work=$(mktemp -d /tmp/hone-ui-test.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  [[ ${KEEP:-0} == 1 ]] && echo "ui-test: kept $work" || rm -rf "$work"
}
trap cleanup EXIT

wait_for_file() {  # FILE PID: until FILE is non-empty, or the process has died
  for _ in $(seq 1 200); do
    [[ -s $1 ]] && return 0
    kill -0 "$2" 2>/dev/null || { echo "ui-test: process $2 died" >&2; return 1; }
    sleep 0.1
  done
  echo "ui-test: timed out waiting for $1" >&2
  return 1
}

echo "== build web/"
(cd web && npm ci --no-audit --no-fund && npm run build)
(cd tests/ui && npm ci --no-audit --no-fund)

echo "== hone server on a fresh store"
"$hone" token create --store "$work/db" --name root --role admin --out "$work/admin.tok" >/dev/null
"$hone" server --store "$work/db" --host 127.0.0.1 --port 0 --port-file "$work/hone.port" \
  --ui-dir web/dist >"$work/server.log" 2>&1 &
pids+=($!)
wait_for_file "$work/hone.port" "${pids[-1]}"
api="http://127.0.0.1:$(cat "$work/hone.port")"

echo "== seed"
/usr/bin/python3 tests/ui/seed.py --url "$api" --token-file "$work/admin.tok" --hone "$hone" \
  --work "$work/seed"

echo "== browser tests"
status=0
(cd tests/ui && UI_URL="$api/ui/" \
  ADMIN_TOKEN_FILE="$work/admin.tok" DEPLOYER_TOKEN_FILE="$work/seed/deployer.tok" \
  SCREENSHOT_DIR="$root/docs/images" timeout 600 node --test ui.test.mjs) || status=$?
if [[ $status != 0 ]]; then
  echo "ui-test: FAILED (server log: $work/server.log)" >&2
  tail -20 "$work/server.log" >&2 || true
  exit 1
fi
echo "ui-test: passed; screenshots in docs/images/ui-*.png"
