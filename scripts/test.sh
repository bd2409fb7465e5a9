#!/usr/bin/env bash
# Every test of hone, from a fresh clone: installs the Debian packages it needs, then builds
# and tests twice: with AddressSanitizer + UndefinedBehaviorSanitizer (preset dev) and
# optimised with warnings as errors (preset ci). The output ends with CTest's summary.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

for preset in dev ci; do
  echo "=== hone: build and test, preset $preset ==="
  cmake --preset "$preset"
  cmake --build --preset "$preset"
  ctest --preset "$preset"
done
