#!/usr/bin/env bash
# Builds hone's libFuzzer targets with clang, AddressSanitizer and UndefinedBehaviorSanitizer in
# build/fuzz (or $HONE_FUZZ_BUILD), and runs each from its seed corpus for a bounded time: the
# CSV reader (csv: hone_csv_fuzz), model bundles (bundle: hone_bundle_fuzz, seeded with freshly
# trained bundles), the requests of `hone serve` (serve: hone_serve_fuzz, HTTP requests and
# OIP / MLflow bodies) and the requests of `hone server` (server: hone_server_fuzz, sessions of
# hone API and MLflow API requests answered in process on an SQLite store, seeded with
# src/hone/server/testdata/mlflow/*.json). Fails on the first crash, sanitizer report, leak or
# hang; the input is left in <build>/artifacts/ and the fuzzer's log in <build>/<target>.log.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET [TARGET...]]   default 60 and every target; 0 runs each
#                                                      seed once and stops
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
shift || true
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then targets=(csv bundle serve server); fi
build="${HONE_FUZZ_BUILD:-build/fuzz}"
corpus="$build/corpus"
artifacts="$build/artifacts"
wants() { [[ " ${targets[*]} " == *" $1 "* ]]; }

# -O1 without NDEBUG: fast enough to fuzz, with every assertion left in.
cmake -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE= \
  -DCMAKE_CXX_FLAGS="-O1 -g" -DHONE_SANITIZE=ON -DHONE_BUILD_FUZZ=ON \
  -DHONE_BUILD_TESTS=OFF -DHONE_BUILD_BENCH=OFF
build_targets=()
if wants csv; then build_targets+=(hone_csv_fuzz); fi
if wants bundle; then build_targets+=(hone_bundle_fuzz hone_bundle_fuzz_corpus); fi
if wants serve; then build_targets+=(hone_serve_fuzz); fi
if wants server; then build_targets+=(hone_server_fuzz); fi
cmake --build "$build" --target "${build_targets[@]}"

mkdir -p "$corpus/csv" "$corpus/bundle" "$corpus/serve" "$corpus/server" "$artifacts"
# CSV seeds. The first byte picks the fuzzer's options (see csv_fuzz.cc): chunk size, and with
# 0x80 a schema that forces column types.
printf '\001price,size,city\n1.5,2,"a,b"\n,NA,"say ""hi"""\n3,4e2,x\n' >"$corpus/csv/quoted"
printf '\205a,b\r\n1,x\r\n2,\r\nnull,None\r\n' >"$corpus/csv/crlf_typed"
printf '\003\357\273\277a,b,c\n"multi\nline",3,NaN\n-1,,z\n' >"$corpus/csv/bom_multiline"
{ printf '\020'; head -n 30 examples/churn/churn.csv; } >"$corpus/csv/churn_head"
if wants bundle; then cp "$build"/src/hone/learn/bundle_fuzz_corpus/*.hone "$corpus/bundle/"; fi
# Serve seeds: HTTP requests carrying OIP, MLflow JSON and CSV bodies, bare bodies, and the
# hostile cases (deep nesting, huge numbers, truncation, malformed HTTP). The schema is
# serve_fuzz.cc's: x, y (numeric), color, zip (categorical), target "label".
serve_seed() { printf '%s' "$2" >"$corpus/serve/$1"; }
http_seed() {
  printf 'POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s' \
    "$2" "$3" "${#4}" "$4" >"$corpus/serve/$1"
}
oip='{"id":"r1","inputs":[{"name":"x","shape":[2],"datatype":"FP32","data":[1.5,null]},{"name":"color","shape":[2,1],"datatype":"BYTES","data":[["red"],["pink"]]},{"name":"zip","shape":[2],"datatype":"INT64","data":[3,2134]},{"name":"label","shape":[2],"datatype":"BYTES","data":["no","yes"]}],"outputs":[{"name":"predictions"}]}'
tensor='{"inputs":[{"name":"input-0","shape":[2,4],"datatype":"FP64","data":[[1,2,0,3],[4,5,1,7.5]]}]}'
split='{"dataframe_split":{"index":[0,1],"columns":["x","color","label"],"data":[[1,"red","no"],[2,null,"yes"]]}}'
records='{"dataframe_records":[{"x":1,"y":true,"color":"blue","zip":"02134"},{"y":2}]}'
instances='{"instances":[[1,2,"green",3],{"x":4}]}'
inputs='{"inputs":{"x":[1,2],"zip":[3,"7.5"]}}'
csv=$'label,x,"color",zip\r\nno,1.5,"red, dark",02134\r\nyes,,"say ""hi""",3\n'
http_seed oip_http /v2/models/m/infer application/json "$oip"
http_seed tensor_http /v2/models/m/infer application/json "$tensor"
http_seed split_http /invocations 'application/json; charset=utf-8' "$split"
http_seed csv_http /invocations text/csv "$csv"
serve_seed oip "$oip"
serve_seed tensor "$tensor"
serve_seed split "$split"
serve_seed records "$records"
serve_seed instances "$instances"
serve_seed inputs "$inputs"
serve_seed csv "$csv"
serve_seed deep "{\"instances\":$(printf '[%.0s' {1..80})$(printf ']%.0s' {1..80})}"
serve_seed huge '{"instances":[[1e39,-1e400,18446744073709551616,1e-50]]}'
serve_seed truncated "${oip:0:70}"
printf 'POST /invocations HTTP/1.1\r\nContent-Length: 100\r\n\r\n{"instances":' \
  >"$corpus/serve/truncated_http"
printf 'POST /v2/models/m/infer HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"inp\r\nzz\r\n' \
  >"$corpus/serve/bad_chunk_http"
printf 'GET / HTTP/1.1\r\nHost\r\n\r\n' >"$corpus/serve/bad_header_http"
# Server seeds (the format is server_fuzz.cc's: "METHOD TARGET\nBODY", requests joined by the
# byte 0x1e; ${run} and ${exp} name a run and an experiment the fuzzer's store holds): every
# recorded MLflow request alone, each recorded sequence as sessions, and hone API sessions.
/usr/bin/python3 - "$corpus/server" src/hone/server/testdata/mlflow/*.json <<'PY'
import json, pathlib, sys
out = pathlib.Path(sys.argv[1])
def request(method, target, body=""):
    return f"{method} {target}\n{body if isinstance(body, str) else json.dumps(body)}"
def session(name, *requests):
    (out / name).write_text("\x1e".join(request(*r) for r in requests))
for name in sys.argv[2:]:
    steps = [("%s" % s["method"], "/api/2.0/mlflow/" + s["path"], s.get("body", ""))
             for s in json.load(open(name))["steps"]]
    stem = pathlib.Path(name).stem
    for i, step in enumerate(steps):
        session(f"{stem}_{i:02d}", step)
    for k in range(0, len(steps), 8):
        session(f"{stem}_session_{k:02d}", *steps[k:k + 8])
m = "/api/2.0/mlflow/"
session("mlflow_search", ("POST", m + "runs/search", {
    "experiment_ids": ["${exp}"], "max_results": 100, "run_view_type": "ALL",
    "filter": "metrics.rmse < 0.5 AND params.model = 'x' AND tags.`team` LIKE 'a%' AND "
              "attributes.run_id IN ('${run}', 'b') AND run_name ILIKE '_AS%'",
    "order_by": ["metrics.rmse ASC", "params.model DESC", "attributes.end_time"]}))
session("mlflow_search_get", ("GET", "/ajax-api/2.0/mlflow/runs/search?filter=attributes.status"
                              "%3D%27RUNNING%27&order_by=start_time&page_token=1"))
h = "/api/hone/v1/"
session("hone_runs",
        ("POST", h + "runs", {"command": "train", "start_ms": 1700000000000, "user": "ada"}),
        ("POST", h + "runs/${run}/metrics",
         {"metrics": [{"key": "rmse", "value": 0.3, "step": 1, "timestamp_ms": 1}]}),
        ("POST", h + "runs/${run}/params", {"params": {"lr": "0.1"}}),
        ("POST", h + "runs/${run}/tags", {"tags": {"team": "b"}}),
        ("POST", h + "runs/${run}/end", {"status": "finished", "end_ms": 1700000000500}),
        ("GET", h + "runs?limit=5&offset=0&tag_key=team&tag_value=b"),
        ("GET", h + "runs/${run}"))
session("hone_models",
        ("POST", h + "models/m/aliases/canary", {"to": 1, "action": "promote"}),
        ("GET", h + "models/m/aliases/canary/history"),
        ("GET", h + "models/m%2Fx/versions?limit=2&newest_first=true"),
        ("GET", h + "audit?after_seq=0&limit=3"),
        ("POST", h + "leases", {"name": "m", "holder": "w", "ttl_ms": 1000}),
        ("DELETE", h + "leases?name=m&holder=w"))
session("hone_monitor",
        ("POST", h + "monitor/windows", {"model": "m", "version": 1, "start_ms": 0, "end_ms": 10}),
        ("GET", h + "monitor/windows?model=m&since_ms=0&limit=2"),
        ("GET", h + "predictions/count?model=m"),
        ("POST", h + "feedback?model=m", {"feedback": [{"request_id": "r", "label": "1"}]}))
session("bad_escapes", ("GET", h + "runs/%zz?x=%4"), ("GET", m + "runs/get?run_id=%"),
        ("PUT", h + "artifacts/00?x=+%20", "bytes"))
PY

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

if wants csv; then fuzz csv "$build/src/hone/core/hone_csv_fuzz"; fi
if wants bundle; then fuzz bundle "$build/src/hone/learn/hone_bundle_fuzz"; fi
if wants serve; then fuzz serve "$build/src/hone/serve/hone_serve_fuzz"; fi
if wants server; then fuzz server "$build/src/hone/server/hone_server_fuzz"; fi
