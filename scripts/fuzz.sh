#!/usr/bin/env bash
# Builds hone's libFuzzer targets with clang, AddressSanitizer and UndefinedBehaviorSanitizer in
# build/fuzz, and runs each from its seed corpus for a bounded time: the CSV reader
# (hone_csv_fuzz) and model bundles (hone_bundle_fuzz, seeded with freshly trained bundles).
# Fails on the first crash, sanitizer report, leak or hang; the input is left in
# build/fuzz/artifacts/ and the fuzzer's log in build/fuzz/<target>.log.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]   default 60; 0 runs each seed once and stops
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
build=build/fuzz
corpus="$build/corpus"
artifacts="$build/artifacts"

# -O1 without NDEBUG: fast enough to fuzz, with every assertion left in.
cmake -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE= \
  -DCMAKE_CXX_FLAGS="-O1 -g" -DHONE_SANITIZE=ON -DHONE_BUILD_FUZZ=ON \
  -DHONE_BUILD_TESTS=OFF -DHONE_BUILD_BENCH=OFF
cmake --build "$build" --target hone_csv_fuzz hone_bundle_fuzz hone_bundle_fuzz_corpus

mkdir -p "$corpus/csv" "$corpus/bundle" "$artifacts"
# CSV seeds. The first byte picks the fuzzer's options (see csv_fuzz.cc): chunk size, and with
# 0x80 a schema that forces column types.
printf '\001price,size,city\n1.5,2,"a,b"\n,NA,"say ""hi"""\n3,4e2,x\n' >"$corpus/csv/quoted"
printf '\205a,b\r\n1,x\r\n2,\r\nnull,None\r\n' >"$corpus/csv/crlf_typed"
printf '\003\357\273\277a,b,c\n"multi\nline",3,NaN\n-1,,z\n' >"$corpus/csv/bom_multiline"
{ printf '\020'; head -n 30 examples/churn/churn.csv; } >"$corpus/csv/churn_head"
cp "$build"/src/hone/learn/bundle_fuzz_corpus/*.hone "$corpus/bundle/"

# fuzz NAME BINARY: runs one target on its corpus; prints libFuzzer's summary, or the report.
fuzz() {
  local name="$1" binary="$2" log="$build/$1.log" limit=(-max_total_time="$seconds")
  if [ "$seconds" -eq 0 ]; then limit=(-runs=0); fi
  echo "=== hone: fuzz $name (${seconds}s) ==="
  # allocator_may_return_null: malloc (XGBoost's C side) returns null on a huge request
  # rather than aborting; operator new still reports it, as it should.
  if ! ASAN_OPTIONS=allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "$binary" "${limit[@]}" -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts/$name-" "$corpus/$name" >"$log" 2>&1; then
    tail -n 80 "$log"
    echo "fuzz: $name failed; the input is in $artifacts/, the log in $log" >&2
    exit 1
  fi
  grep -E '^#[0-9]+ +(INITED|DONE)|^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' "$log"
}

fuzz csv "$build/src/hone/core/hone_csv_fuzz"
fuzz bundle "$build/src/hone/learn/hone_bundle_fuzz"
