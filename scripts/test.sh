#!/usr/bin/env bash
# Every test of hone, from a fresh clone: installs the Debian packages it needs, fuzzes each
# parser of outside input for a bounded time (scripts/fuzz.sh; HONE_FUZZ_SECONDS per target,
# default 60), then builds and tests twice: with AddressSanitizer + UndefinedBehaviorSanitizer
# (preset dev) and optimised with warnings as errors (preset ci), with a throwaway PostgreSQL
# server for the store's `postgres` tests (scripts/pg.sh) and a single-node Slurm cluster for the
# `slurm` tests (scripts/slurm.sh); then drives the web dashboard in Chromium and Firefox against a
# seeded hone server (scripts/ui-test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

bash scripts/fuzz.sh "${HONE_FUZZ_SECONDS:-60}"

# The `postgres` tests need a server: a throwaway one of this run's own (scripts/pg.sh, which
# needs root), unless HONE_TEST_PG_URL already names one. Only a server started here is stopped,
# on any exit. Without one the tests skip locally and fail under CI=true.
# The same for the `slurm` tests' single-node cluster (scripts/slurm.sh), unless SLURM_CONF
# already names one. Whatever this script started is stopped on exit.
STOP=()
stop_services() {
  local s
  for s in "${STOP[@]}"; do bash "scripts/$s.sh" stop || true; done
}
trap stop_services EXIT
trap 'exit 130' INT TERM
if [ -z "${HONE_TEST_PG_URL:-}" ]; then
  export PG_STATE_DIR=${PG_STATE_DIR:-/tmp/hone-pg-test-$$}
  if [ "$(id -u)" -ne 0 ]; then
    echo "test.sh: not root, so no PostgreSQL (scripts/pg.sh runs it as the postgres user)" >&2
  elif bash scripts/pg.sh check >/dev/null 2>&1; then
    HONE_TEST_PG_URL=$(bash scripts/pg.sh env)  # someone else's server: used, not stopped
    export HONE_TEST_PG_URL
  else
    STOP+=(pg)  # set first, so a half-started server is stopped too
    if bash scripts/pg.sh start; then
      HONE_TEST_PG_URL=$(bash scripts/pg.sh env)
      export HONE_TEST_PG_URL
    else
      echo "test.sh: PostgreSQL did not start: the postgres tests cannot run" >&2
      exit 1
    fi
  fi
fi
if [ -z "${SLURM_CONF:-}" ]; then
  export SLURM_STATE_DIR=${SLURM_STATE_DIR:-/tmp/hone-slurm-test-$$}
  if [ "$(id -u)" -ne 0 ]; then
    echo "test.sh: not root, so no Slurm cluster (slurmd runs jobs as their user)" >&2
  else
    STOP+=(slurm)
    if bash scripts/slurm.sh start; then
      eval "$(bash scripts/slurm.sh env)"
    else
      echo "test.sh: Slurm did not start: the slurm tests cannot run" >&2
      exit 1
    fi
  fi
fi

# The dashboard's files first: the image test puts them in the image and checks it serves them.
echo "=== hone: build the web dashboard (web/dist) ==="
(cd web && npm ci --no-audit --no-fund && npm run build)

for preset in dev ci; do
  echo "=== hone: build and test, preset $preset ==="
  cmake --preset "$preset"
  cmake --build --preset "$preset"
  ctest --preset "$preset"
done

# The dashboard in Debian's Chromium and Firefox against a seeded hone server (the optimised
# build, installed).
echo "=== hone: the web dashboard in a browser ==="
HONE=build/ci/apps/hone/hone bash scripts/ui-test.sh
