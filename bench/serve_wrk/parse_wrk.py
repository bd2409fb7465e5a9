#!/usr/bin/python3
"""Helpers of bench/serve_vs_python.sh: response checks and the report of the wrk runs.

  parse_wrk.py check --kind mlflow|oip --rows N RESPONSE_FILE
      RESPONSE_FILE holds one response body; prints the number of predictions and the first
      few, exits 1 (with the reason) unless it holds exactly N numeric predictions.
  parse_wrk.py compare --expected FILE LABEL=RESPONSE[:KIND] ...
      Prints the first rows' predictions side by side (sklearn computed offline, then each
      server's answer).
  parse_wrk.py cpu PGID
      Prints the CPU seconds (user + system) used so far by the live processes of process
      group PGID (a server and its workers), from /proc.
  parse_wrk.py report --manifest TSV --meta JSON --out JSON
      TSV lines: server, request path, rows per request, round, wrk output file, server CPU
      seconds during the run. Reads the
      "WRK_JSON" line that bench/serve_wrk/post.lua writes (wrk's text report as a fallback),
      prints the Markdown table (medians over rounds) and the hone/FastAPI ratios, writes
      every run and the aggregates to JSON.
"""
import argparse
import json
import os
import re
import statistics
import sys


def predictions_of(doc, kind):
    """The list of predictions in an MLflow or OIP v2 response body."""
    if kind == "mlflow":
        if not isinstance(doc, dict) or not isinstance(doc.get("predictions"), list):
            raise ValueError('no "predictions" list in the response')
        return doc["predictions"]
    outputs = doc.get("outputs") if isinstance(doc, dict) else None
    if not isinstance(outputs, list) or not outputs:
        raise ValueError('no "outputs" list in the OIP response')
    named = [o for o in outputs if isinstance(o, dict) and o.get("name") == "predictions"]
    output = (named or outputs)[0]
    if not isinstance(output.get("data"), list):
        raise ValueError('OIP output has no "data" list')
    return output["data"]


def load_predictions(path, kind):
    with open(path, "rb") as f:
        raw = f.read()
    try:
        doc = json.loads(raw)
    except ValueError as e:
        raise ValueError(f"response is not JSON ({e}): {raw[:200]!r}") from e
    return predictions_of(doc, kind)


def cmd_check(args):
    try:
        values = load_predictions(args.response, args.kind)
    except ValueError as e:
        print(f"FAIL: {e}")
        return 1
    if len(values) != args.rows:
        print(f"FAIL: {len(values)} predictions for {args.rows} rows")
        return 1
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        print(f"FAIL: a prediction is not a number: {values[:5]}")
        return 1
    print(f"ok: {len(values)} predictions, first {[round(v, 1) for v in values[:3]]}")
    return 0


def cmd_compare(args):
    with open(args.expected) as f:
        columns = [("sklearn (offline)", json.load(f)["predictions"])]
    for spec in args.responses:
        label, _, rest = spec.partition("=")
        path, _, kind = rest.rpartition(":") if rest.endswith((":oip", ":mlflow")) else (
            rest, "", "mlflow")
        columns.append((label, load_predictions(path, kind)))
    n = min(args.rows, *(len(v) for _, v in columns))
    print("| row | " + " | ".join(label for label, _ in columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for i in range(n):
        print(f"| {i} | " + " | ".join(f"{v[i]:.0f}" for _, v in columns) + " |")
    return 0


def cmd_cpu(args):
    ticks = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue  # gone meanwhile
        fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) "
        if int(fields[2]) == args.pgid:  # field 5, pgrp
            ticks += int(fields[11]) + int(fields[12])  # fields 14, 15: utime, stime
    print(f"{ticks / os.sysconf('SC_CLK_TCK'):.2f}")
    return 0


def parse_run(path):
    """Figures of one wrk run: requests/s, latency percentiles in ms, errors."""
    with open(path) as f:
        text = f.read()
    match = re.search(r"^WRK_JSON (\{.*\})$", text, re.M)
    if match:
        w = json.loads(match.group(1))
        errors = w["errors"]
        return {"requests": w["requests"], "seconds": w["duration_us"] / 1e6,
                "requests_per_s": w["requests"] / (w["duration_us"] / 1e6),
                "p50_ms": w["latency_us"]["p50"] / 1e3, "p90_ms": w["latency_us"]["p90"] / 1e3,
                "p99_ms": w["latency_us"]["p99"] / 1e3, "max_ms": w["latency_us"]["max"] / 1e3,
                "non_2xx": errors["status"],
                "socket_errors": errors["connect"] + errors["read"] + errors["write"] +
                errors["timeout"]}
    # Fallback: wrk's text report (--latency).
    unit = {"us": 1e-3, "ms": 1.0, "s": 1e3}

    def ms(label):
        m = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
        return float(m.group(1)) * unit[m.group(2)] if m else float("nan")

    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    if not rps:
        raise ValueError(f"{path}: no wrk report in it:\n{text[-500:]}")
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                     text)
    return {"requests": None, "seconds": None, "requests_per_s": float(rps.group(1)),
            "p50_ms": ms("50%"), "p90_ms": ms("90%"), "p99_ms": ms("99%"), "max_ms": None,
            "non_2xx": int(non2xx.group(1)) if non2xx else 0,
            "socket_errors": sum(int(g) for g in sock.groups()) if sock else 0}


def cmd_report(args):
    with open(args.meta) as f:
        meta = json.load(f)
    runs = []
    with open(args.manifest) as f:
        for line in f:
            if not line.strip():
                continue
            server, path, rows, round_, output, cpu = line.rstrip("\n").split("\t")
            run = {"server": server, "request": path, "rows": int(rows), "round": int(round_),
                   "wrk_output": os.path.relpath(output, args.relative_to)}
            run.update(parse_run(output))
            run["server_cpu_s"] = float(cpu)
            run["server_cpu_ms_per_request"] = (
                float(cpu) * 1e3 / run["requests"] if run["requests"] else None)
            runs.append(run)
    groups = {}
    for run in runs:
        groups.setdefault((run["server"], run["request"], run["rows"]), []).append(run)
    results = []
    for (server, path, rows), rs in groups.items():
        rps = statistics.median(r["requests_per_s"] for r in rs)
        results.append({
            "server": server, "request": path, "rows": rows, "runs": len(rs),
            "requests_per_s": rps, "rows_per_s": rps * rows,
            "p50_ms": statistics.median(r["p50_ms"] for r in rs),
            "p99_ms": statistics.median(r["p99_ms"] for r in rs),
            "server_cpu_ms_per_request": statistics.median(
                r["server_cpu_ms_per_request"] or float("nan") for r in rs),
            "requests_per_s_each_run": [round(r["requests_per_s"], 1) for r in rs],
            "non_2xx": sum(r["non_2xx"] for r in rs),
            "socket_errors": sum(r["socket_errors"] for r in rs)})
    results.sort(key=lambda r: (r["rows"], list(groups).index(
        (r["server"], r["request"], r["rows"]))))

    print("| server | request | rows/request | requests/s | rows/s | p50 ms | p99 ms "
          "| server CPU ms/request | req/s each run |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---|")
    for r in results:
        print(f"| {r['server']} | {r['request']} | {r['rows']} | {r['requests_per_s']:.0f} | "
              f"{r['rows_per_s']:.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | "
              f"{r['server_cpu_ms_per_request']:.2f} | "
              f"{', '.join(f'{x:.0f}' for x in r['requests_per_s_each_run'])} |")
    bad = [r for r in results if r["non_2xx"] or r["socket_errors"]]
    if bad:
        print()
    for r in bad:
        print(f"WARNING: {r['server']} {r['request']} {r['rows']} rows: {r['non_2xx']} "
              f"non-2xx responses, {r['socket_errors']} socket errors (figures count them)")

    ratios = {}

    def find(prefix, path, rows):
        for r in results:
            if r["server"].startswith(prefix) and r["request"] == path and r["rows"] == rows:
                return r
        return None

    for rows in sorted({r["rows"] for r in results}):
        fastapi = find("fastapi", "/invocations", rows)
        for path in ("/invocations", "/v2/models/house_prices/infer"):
            hone = find("hone", path, rows)
            if hone and fastapi:
                key = f"hone {path} / fastapi, {rows} row(s)"
                ratios[key] = {"requests_per_s": hone["requests_per_s"] / fastapi["requests_per_s"],
                               "p50_ms": hone["p50_ms"] / fastapi["p50_ms"],
                               "p99_ms": hone["p99_ms"] / fastapi["p99_ms"],
                               "server_cpu_ms_per_request":
                                   hone["server_cpu_ms_per_request"] /
                                   fastapi["server_cpu_ms_per_request"]}
    if ratios:
        print()
        for key, r in ratios.items():
            print(f"- {key}: {r['requests_per_s']:.1f}x the requests/s, "
                  f"p50 {r['p50_ms']:.3f}x, p99 {r['p99_ms']:.3f}x, "
                  f"server CPU per request {r['server_cpu_ms_per_request']:.3f}x")
    else:
        print("\n(no hone rows: ratio hone/FastAPI not computed)")

    meta["results"] = results
    meta["ratios_hone_over_fastapi"] = ratios
    meta["runs"] = runs
    with open(args.out, "w") as f:
        json.dump(meta, f, indent=1)
    print(f"\nwrote {args.out}")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check")
    check.add_argument("--kind", choices=["mlflow", "oip"], required=True)
    check.add_argument("--rows", type=int, required=True)
    check.add_argument("response")
    compare = sub.add_parser("compare")
    compare.add_argument("--expected", required=True)
    compare.add_argument("--rows", type=int, default=5)
    compare.add_argument("responses", nargs="+", metavar="LABEL=FILE[:oip|:mlflow]")
    cpu = sub.add_parser("cpu")
    cpu.add_argument("pgid", type=int)
    report = sub.add_parser("report")
    report.add_argument("--manifest", required=True)
    report.add_argument("--meta", required=True)
    report.add_argument("--out", required=True)
    report.add_argument("--relative-to", default=".")
    args = parser.parse_args()
    return {"check": cmd_check, "compare": cmd_compare, "cpu": cmd_cpu,
            "report": cmd_report}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
