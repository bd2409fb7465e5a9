#!/usr/bin/env bash
# Every test of hone, from a fresh clone: installs the Debian packages it needs, fuzzes each
# parser of outside input for a bounded time (scripts/fuzz.sh; HONE_FUZZ_SECONDS per target,
# default 60), then builds and tests twice: with AddressSanitizer + UndefinedBehaviorSanitizer
# (preset dev) and optimised with warnings as errors (preset ci), with a throwaway PostgreSQL
# server for the store's `postgres` tests (scripts/pg.sh). The output ends with CTest's summary.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

bash scripts/fuzz.sh "${HONE_FUZZ_SECONDS:-60}"

# The `postgres` tests need a server: a throwaway one of this run's own (scripts/pg.sh, which
# needs root), unless HONE_TEST_PG_URL already names one. Only a server started here is stopped,
# on any exit. Without one the tests skip locally and fail under CI=true.
if [ -z "${HONE_TEST_PG_URL:-}" ]; then
  export PG_STATE_DIR=${PG_STATE_DIR:-/tmp/hone-pg-test-$$}
  if [ "$(id -u)" -ne 0 ]; then
    echo "test.sh: not root, so no PostgreSQL (scripts/pg.sh runs it as the postgres user)" >&2
  elif bash scripts/pg.sh check >/dev/null 2>&1; then
    HONE_TEST_PG_URL=$(bash scripts/pg.sh env)  # someone else's server: used, not stopped
    export HONE_TEST_PG_URL
  else
    trap 'bash scripts/pg.sh stop' EXIT  # set first, so a half-started server is stopped too
    trap 'exit 130' INT TERM
    if bash scripts/pg.sh start; then
      HONE_TEST_PG_URL=$(bash scripts/pg.sh env)
      export HONE_TEST_PG_URL
    else
      echo "test.sh: PostgreSQL did not start: the postgres tests cannot run" >&2
      exit 1
    fi
  fi
fi

for preset in dev ci; do
  echo "=== hone: build and test, preset $preset ==="
  cmake --preset "$preset"
  cmake --build --preset "$preset"
  ctest --preset "$preset"
done
