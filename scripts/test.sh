#!/usr/bin/env bash
# Every test of hone, from a fresh clone: installs the Debian packages it needs, fuzzes each
# parser of outside input for a bounded time (scripts/fuzz.sh; HONE_FUZZ_SECONDS per target,
# default 60), then builds and tests twice: with AddressSanitizer + UndefinedBehaviorSanitizer
# (preset dev) and optimised with warnings as errors (preset ci). The output ends with CTest's
# summary.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

bash scripts/fuzz.sh "${HONE_FUZZ_SECONDS:-60}"

for preset in dev ci; do
  echo "=== hone: build and test, preset $preset ==="
  cmake --preset "$preset"
  cmake --build --preset "$preset"
  ctest --preset "$preset"
done
