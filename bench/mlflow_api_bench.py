#!/usr/bin/python3
"""MLflow's REST API, measured through HTTP against several tracking servers in one run.

Started by bench/mlflow_api_bench.sh, which starts the servers. For each phase the servers take
turns (the order reverses every phase), each with the same requests:

  log_metric     one metric per call (runs/log-metric), for --duration seconds: sequentially
                 from one client, then from --clients client processes, each logging to a run
                 of its own
  log_batch      runs/log-batch with 10, 100 and 1000 metrics per call (10 keys, the steps
                 increasing), sequentially, for --duration seconds per size
  seed           --runs runs in a new experiment, made by --clients processes: runs/create then
                 one runs/log-batch (params model in x/y/z, metrics rmse and acc, a tag), the
                 values drawn from one seeded generator so that every server holds the same;
                 for a server given with #DB_URI (bench/mlflow_peer), the same rows written
                 straight into its database, which is much faster than its API
  search         runs/search over those runs, --searches times each: a filter with an order_by
                 and max_results 100, and the newest 100 (no filter); p50 and p99. The servers'
                 answers must agree (the same count and the same rmse order), else it stops.

Clients speak HTTP/1.1 with http.client, keeping the connection alive where the server does.
Prints a table and writes every figure to --out as JSON.

Usage: mlflow_api_bench.py --server NAME=URL[@TOKEN_FILE][#DB_URI] [--server ...] [--duration S]
           [--clients N] [--runs N] [--searches N] [--seed N] [--out FILE]
"""

import argparse
import http.client
import json
import multiprocessing as mp
import pathlib
import random
import statistics
import sys
import time
import urllib.parse

PREFIX = "/api/2.0/mlflow/"
FILTER = "metrics.rmse < 0.5 AND params.model = 'x'"
ORDER_BY = ["metrics.rmse ASC"]


class Client:
    """One keep-alive connection to a server (reopened when the server closes it)."""

    def __init__(self, server):
        self.url = urllib.parse.urlsplit(server["url"])
        self.headers = {"Content-Type": "application/json"}
        if server.get("token"):
            self.headers["Authorization"] = "Bearer " + server["token"]
        self.conn = None

    def call(self, method, path, body=None):
        data = json.dumps(body) if body is not None else None
        for attempt in range(5):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.url.hostname, self.url.port,
                                                       timeout=600)
            try:
                self.conn.request(method, PREFIX + path, body=data, headers=self.headers)
                r = self.conn.getresponse()
                text = r.read()
                if r.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
            except (ConnectionError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt == 4:
                    raise
                continue
            if r.status == 200:
                return json.loads(text)
            if r.status >= 500 and attempt < 4:  # e.g. SQLite's "database is locked"
                time.sleep(0.05 * (attempt + 1))
                continue
            raise RuntimeError(f"{method} {path}: HTTP {r.status}: {text[:300]!r}")
        raise RuntimeError(f"{method} {path}: no answer")


def new_run(client, experiment_id, name):
    out = client.call("POST", "runs/create", {"experiment_id": experiment_id, "run_name": name,
                                              "start_time": int(time.time() * 1000)})
    return out["run"]["info"]["run_id"]


def new_experiment(client, prefix):
    name = f"{prefix}-{time.time_ns()}"
    return client.call("POST", "experiments/create", {"name": name})["experiment_id"]


def percentile(values, p):
    values = sorted(values)
    if not values:
        return float("nan")
    k = min(len(values) - 1, max(0, int(round(p / 100 * (len(values) - 1)))))
    return values[k]


# --- log_metric ---

def _log_metric_worker(args):
    server, run_id, duration = args
    c = Client(server)
    lat, step = [], 0
    t0 = time.perf_counter()
    end = t0 + duration
    while True:
        s = time.perf_counter()
        if s >= end:
            break
        c.call("POST", "runs/log-metric", {"run_id": run_id, "key": "loss", "value": 1.0 / (step + 1),
                                           "timestamp": 1700000000000 + step, "step": step})
        lat.append(time.perf_counter() - s)
        step += 1
    return len(lat), time.perf_counter() - t0, lat


def log_metric(server, experiment_id, duration, clients):
    c = Client(server)
    runs = [new_run(c, experiment_id, f"log-metric-{i}") for i in range(clients)]
    if clients == 1:
        results = [_log_metric_worker((server, runs[0], duration))]
    else:
        with mp.Pool(clients) as pool:
            results = pool.map(_log_metric_worker, [(server, r, duration) for r in runs])
    calls = sum(r[0] for r in results)
    wall = max(r[1] for r in results)
    lat = [x for r in results for x in r[2]]
    return {"calls": calls, "seconds": wall, "calls_per_s": calls / wall,
            "p50_ms": 1000 * percentile(lat, 50), "p99_ms": 1000 * percentile(lat, 99)}


# --- log_batch ---

def log_batch(server, experiment_id, duration, size):
    c = Client(server)
    run_id = new_run(c, experiment_id, f"log-batch-{size}")
    keys = 10
    steps = size // keys
    lat, batch = [], 0
    end = time.perf_counter() + duration
    while time.perf_counter() < end:
        metrics = [{"key": f"m{k}", "value": random.random(), "timestamp": 1700000000000 + batch,
                    "step": batch * steps + s} for s in range(steps) for k in range(keys)]
        s = time.perf_counter()
        c.call("POST", "runs/log-batch", {"run_id": run_id, "metrics": metrics})
        lat.append(time.perf_counter() - s)
        batch += 1
    total = sum(lat)
    return {"batches": len(lat), "metrics_per_s": len(lat) * size / total,
            "p50_ms": 1000 * percentile(lat, 50), "p99_ms": 1000 * percentile(lat, 99)}


# --- seeding and search ---

def run_values(seed, i):
    rng = random.Random(seed * 1_000_003 + i)
    return {"model": rng.choice(["x", "y", "z"]), "rmse": round(rng.random(), 6),
            "acc": round(rng.random(), 6), "lr": rng.choice(["0.1", "0.01", "0.001"])}


def _seed_worker(args):
    server, experiment_id, seed, indexes = args
    c = Client(server)
    for i in indexes:
        v = run_values(seed, i)
        rid = c.call("POST", "runs/create",
                     {"experiment_id": experiment_id, "run_name": f"r{i:05d}",
                      "start_time": 1700000000000 + i,
                      "tags": [{"key": "team", "value": "t%d" % (i % 7)}]})["run"]["info"]["run_id"]
        c.call("POST", "runs/log-batch", {
            "run_id": rid,
            "params": [{"key": "model", "value": v["model"]}, {"key": "lr", "value": v["lr"]}],
            "metrics": [{"key": "rmse", "value": v["rmse"], "timestamp": 1700000000000 + i,
                         "step": 0},
                        {"key": "acc", "value": v["acc"], "timestamp": 1700000000000 + i,
                         "step": 0}]})
    return len(indexes)


def seed_runs(server, runs, clients, seed):
    c = Client(server)
    experiment_id = new_experiment(c, "search")
    t0 = time.perf_counter()
    if server.get("db"):
        # Straight into the peer's tables (bench/mlflow_peer/store.py), the same rows.
        sys.path.insert(0, str(pathlib.Path(__file__).parent / "mlflow_peer"))
        import store as peer_store
        rows = []
        for i in range(runs):
            v = run_values(seed, i)
            t = 1700000000000 + i
            rows.append({"run_name": f"r{i:05d}", "start_time": t, "user_id": "",
                         "tags": {"team": "t%d" % (i % 7)},
                         "params": {"model": v["model"], "lr": v["lr"]},
                         "metrics": {"rmse": (v["rmse"], t, 0), "acc": (v["acc"], t, 0)}})
        peer_store.TrackingStore(server["db"]).bulk_insert_runs(experiment_id, rows)
        how = "written into its database directly"
    else:
        parts = [list(range(k, runs, clients)) for k in range(clients)]
        with mp.Pool(clients) as pool:
            pool.map(_seed_worker, [(server, experiment_id, seed, p) for p in parts])
        how = f"runs/create + runs/log-batch, {clients} clients"
    seconds = time.perf_counter() - t0
    return experiment_id, {"runs": runs, "seconds": seconds, "runs_per_s": runs / seconds,
                           "how": how}


def search(server, experiment_id, searches, query):
    c = Client(server)
    body = {"experiment_ids": [experiment_id], "max_results": 100, **query}
    lat, first = [], None
    for _ in range(searches):
        s = time.perf_counter()
        out = c.call("POST", "runs/search", body)
        lat.append(time.perf_counter() - s)
        first = first or out
    rows = first.get("runs", [])
    answer = []
    for r in rows:
        metrics = {m["key"]: m["value"] for m in r["data"].get("metrics", [])}
        answer.append((r["info"].get("run_name"), metrics.get("rmse")))
    return {"searches": searches, "p50_ms": 1000 * percentile(lat, 50),
            "p99_ms": 1000 * percentile(lat, 99), "mean_ms": 1000 * statistics.mean(lat),
            "returned": len(rows), "has_next_page": "next_page_token" in first}, answer


QUERIES = {
    "filter + order_by": {"filter": FILTER, "order_by": ORDER_BY},
    "newest 100, no filter": {},
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--server", action="append", required=True,
                    help="NAME=URL[@TOKEN_FILE][#DB_URI]; with DB_URI (bench/mlflow_peer's "
                         "database) the search runs are written there directly")
    ap.add_argument("--duration", type=float, default=5.0)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--runs", type=int, default=10000)
    ap.add_argument("--searches", type=int, default=30)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--phases", default="log_metric,log_batch,search")
    ap.add_argument("--out", default=None)
    a = ap.parse_args()

    servers = []
    for spec in a.server:
        name, _, rest = spec.partition("=")
        rest, _, db = rest.partition("#")
        url, _, token_file = rest.partition("@")
        token = open(token_file).read().strip() if token_file else None
        servers.append({"name": name, "url": url, "token": token, "db": db or None})
    phases = a.phases.split(",")
    results = {s["name"]: {} for s in servers}
    experiments = {s["name"]: new_experiment(Client(s), "bench") for s in servers}

    def turns(n):
        return servers if n % 2 == 0 else list(reversed(servers))

    def say(*parts):
        print(*parts, flush=True)

    n = 0
    if "log_metric" in phases:
        for clients in sorted({1, a.clients}):
            for s in turns(n):
                r = log_metric(s, experiments[s["name"]], a.duration, clients)
                results[s["name"]][f"log_metric x{clients}"] = r
                say(f"{s['name']:>12}  log_metric, {clients} client(s): "
                    f"{r['calls_per_s']:9.0f} calls/s  p50 {r['p50_ms']:.2f} ms  "
                    f"p99 {r['p99_ms']:.2f} ms")
            n += 1
    if "log_batch" in phases:
        for size in (10, 100, 1000):
            for s in turns(n):
                r = log_batch(s, experiments[s["name"]], a.duration, size)
                results[s["name"]][f"log_batch {size}"] = r
                say(f"{s['name']:>12}  log_batch of {size}: {r['metrics_per_s']:9.0f} metrics/s  "
                    f"p50 {r['p50_ms']:.2f} ms  p99 {r['p99_ms']:.2f} ms")
            n += 1
    if "search" in phases:
        search_experiments = {}
        for s in turns(n):
            eid, r = seed_runs(s, a.runs, a.clients, a.seed)
            search_experiments[s["name"]] = eid
            results[s["name"]]["seed"] = r
            say(f"{s['name']:>12}  seeded {a.runs} runs: {r['runs_per_s']:.0f} runs/s ({r['how']})")
        n += 1
        for label, query in QUERIES.items():
            answers = {}
            for s in turns(n):
                r, answer = search(s, search_experiments[s["name"]], a.searches, query)
                results[s["name"]][f"search {label}"] = r
                answers[s["name"]] = answer
                say(f"{s['name']:>12}  runs/search, {label}, {a.runs} runs: "
                    f"p50 {r['p50_ms']:.1f} ms  p99 {r['p99_ms']:.1f} ms  ({r['returned']} runs)")
            n += 1
            reference = next(iter(answers.values()))
            for name, answer in answers.items():
                if answer != reference:
                    sys.exit(f"runs/search '{label}': {name} answers differently: "
                             f"{answer[:5]} vs {reference[:5]}")
    if a.out:
        with open(a.out, "w") as f:
            json.dump({"date": time.strftime("%Y-%m-%d %H:%M"), "args": vars(a),
                       "results": results}, f, indent=2)


if __name__ == "__main__":
    main()
