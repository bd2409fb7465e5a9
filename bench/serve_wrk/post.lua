-- wrk script: POST one fixed JSON body, read from a file, to one path.
--
--   wrk -t2 -c16 -d10s --latency -s bench/serve_wrk/post.lua http://127.0.0.1:PORT \
--       -- BODY_FILE [PATH]
--
-- BODY_FILE and PATH may also come from the environment (WRK_BODY, WRK_PATH); PATH defaults
-- to the URL's path. Every request is the same bytes, built once per wrk thread. When the run
-- ends, one line "WRK_JSON {...}" gives the figures exactly (latencies in microseconds, from
-- wrk's own histogram) for bench/serve_wrk/parse_wrk.py; wrk's usual text report precedes it.

local body_file, path

local function read_file(name)
  local f, err = io.open(name, "rb")
  if not f then
    error("post.lua: cannot read body file " .. tostring(name) .. ": " .. tostring(err))
  end
  local data = f:read("*a")
  f:close()
  return data
end

-- Sets the request fields once; wrk then formats the request a single time per thread and
-- sends those bytes each time (no request() function: wrk's static fast path, so that the
-- load generator takes as little of the shared CPU as it can).
function init(args)
  body_file = args[1] or os.getenv("WRK_BODY")
  path = args[2] or os.getenv("WRK_PATH") or wrk.path
  if not body_file or body_file == "" then
    error("post.lua: no body file: pass it after -- or set WRK_BODY")
  end
  wrk.method = "POST"
  wrk.path = path
  wrk.body = read_file(body_file)
  wrk.headers["Content-Type"] = "application/json"
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"duration_us":%d,"requests":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"min":%d,"mean":%.1f,"stdev":%.1f,"max":%d,' ..
    '"p50":%d,"p90":%d,"p99":%d,"p999":%d}}\n',
    summary.duration, summary.requests, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.stdev, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9)))
end
