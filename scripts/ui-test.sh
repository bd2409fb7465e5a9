#!/usr/bin/env bash
# End-to-end tests of the web dashboard: builds web/ (npm ci, vite); then, for each browser,
# starts a hone server on a fresh store that serves web/dist under /ui/, seeds it
# (tests/ui/seed.py) and drives the browser through every page with playwright-core
# (tests/ui/ui.test.mjs): Debian's Chromium, whose screenshots land in docs/images/, then
# Debian's Firefox ESR. When HONE is in a CMake build folder, the server is the installed one
# (cmake --install to a temporary prefix), which finds the dashboard in share/hone/ui by itself.
#   HONE=path/to/hone (default build/dev/apps/hone/hone)   KEEP=1 keeps the temporary folder
#   UI_BROWSERS="chromium firefox" (the default) picks the browsers
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
hone=${HONE:-$root/build/dev/apps/hone/hone}
[[ -x $hone ]] || { echo "ui-test: no hone binary at $hone (build it, or set HONE)" >&2; exit 2; }
hone=$(realpath "$hone")  # the seed runs it from other folders
browsers=(${UI_BROWSERS:-chromium firefox})
for b in "${browsers[@]}"; do
  case $b in
    chromium) bin=/usr/bin/chromium ;;
    firefox) bin=/usr/bin/firefox-esr ;;
    *) echo "ui-test: unknown browser '$b' in UI_BROWSERS (chromium, firefox)" >&2; exit 2 ;;
  esac
  [[ -x $bin ]] || { echo "ui-test: $bin is missing (scripts/install-deps.sh)" >&2; exit 2; }
done

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

# The server as installed: bin/hone and share/hone/ui, no --ui-dir.
server_hone=$hone ui_args=(--ui-dir web/dist)
build_dir=$(dirname "$(dirname "$(dirname "$hone")")")
if [[ -f $build_dir/cmake_install.cmake ]]; then
  echo "== install $build_dir to $work/prefix"
  cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
  [[ -f $work/prefix/share/hone/ui/index.html ]] || { echo "ui-test: the install has no share/hone/ui" >&2; exit 1; }
  server_hone=$work/prefix/bin/hone ui_args=()
fi

# One browser's run: a fresh store and server, seeded, then the tests; they change what they
# look at (a rollback, a stopped canary), so no two browsers share a store.
run_browser() {  # BROWSER
  local b=$1 dir="$work/$1" server status=0 shots=""
  mkdir -p "$dir"
  echo "== $b: hone server on a fresh store"
  "$hone" token create --store "$dir/db" --name root --role admin --out "$dir/admin.tok" >/dev/null
  "$server_hone" server --store "$dir/db" --host 127.0.0.1 --port 0 --port-file "$dir/hone.port" \
    "${ui_args[@]}" >"$dir/server.log" 2>&1 &
  server=$!
  pids+=("$server")
  wait_for_file "$dir/hone.port" "$server"
  api="http://127.0.0.1:$(cat "$dir/hone.port")"

  echo "== $b: seed"
  /usr/bin/python3 tests/ui/seed.py --url "$api" --token-file "$dir/admin.tok" --hone "$hone" \
    --work "$dir/seed"

  echo "== $b: browser tests"
  [[ $b == chromium ]] && shots="$root/docs/images"
  (cd tests/ui && UI_URL="$api/ui/" UI_BROWSER="$b" \
    ADMIN_TOKEN_FILE="$dir/admin.tok" DEPLOYER_TOKEN_FILE="$dir/seed/deployer.tok" \
    SCREENSHOT_DIR="$shots" timeout 600 node --test ui.test.mjs) || status=$?
  if [[ $status != 0 ]]; then
    echo "ui-test: FAILED in $b (server log: $dir/server.log)" >&2
    tail -20 "$dir/server.log" >&2 || true
    return 1
  fi
  kill "$server" && wait "$server" || true
}

for b in "${browsers[@]}"; do run_browser "$b"; done
echo "ui-test: passed in ${browsers[*]}; screenshots in docs/images/ui-*.png"
