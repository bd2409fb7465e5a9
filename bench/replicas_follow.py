#!/usr/bin/python3
"""Helper of bench/replicas.sh: how long a promotion takes to reach every `hone serve` replica.

  replicas_follow.py --hone BIN --store-flags JSON --body OIP_FILE --model M --promotions N
                     PORT [PORT ...]

Alternates the model's production alias between versions 2 and 1, N times (`hone promote`).
After each move, one thread per replica sends the body to /v2/models/M/infer every 2 ms until
the answer's model_version is the new one. Two figures per replica and move: from the start of
the `hone promote` process (an upper bound: it includes the CLI's start and its connection to
PostgreSQL) and from its exit (a lower bound: the move was committed before it exited). Prints
one JSON object: the samples and their median, p90 and max, in milliseconds.
"""
import argparse
import http.client
import json
import statistics
import subprocess
import sys
import threading
import time


def served_version(conn, path, body):
    conn.request("POST", path, body, {"Content-Type": "application/json"})
    response = conn.getresponse()
    data = response.read()
    if response.status != 200:
        raise RuntimeError(f"HTTP {response.status}: {data[:200]!r}")
    return json.loads(data)["model_version"]


def wait_for(port, path, body, version, deadline, out, index):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    while time.monotonic() < deadline:
        if served_version(conn, path, body) == version:
            out[index] = time.monotonic()
            return
        time.sleep(0.002)


def summary(samples):
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered), 2),
        "p90_ms": round(ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))], 2),
        "max_ms": round(ordered[-1], 2),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--hone", required=True)
    parser.add_argument("--store-flags", required=True, help="JSON list of store flags")
    parser.add_argument("--body", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--promotions", type=int, default=20)
    parser.add_argument("ports", type=int, nargs="+")
    args = parser.parse_args()
    store_flags = json.loads(args.store_flags)
    body = open(args.body, "rb").read()
    path = f"/v2/models/{args.model}/infer"

    from_start, from_exit = [], []
    for i in range(args.promotions):
        version = "2" if i % 2 == 0 else "1"
        arrived = [None] * len(args.ports)
        started = time.monotonic()
        subprocess.run([args.hone, "promote", args.model, version] + store_flags, check=True,
                       stdout=subprocess.DEVNULL)
        exited = time.monotonic()
        deadline = exited + 30
        threads = [threading.Thread(target=wait_for,
                                    args=(port, path, body, version, deadline, arrived, k))
                   for k, port in enumerate(args.ports)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if any(a is None for a in arrived):
            sys.exit(f"replicas_follow: a replica did not serve version {version} within 30 s")
        last = max(arrived)
        from_start.append((last - started) * 1000)
        from_exit.append((last - exited) * 1000)
        time.sleep(0.3)
    print(json.dumps({
        "replicas": len(args.ports),
        "promotions": args.promotions,
        "all_replicas_from_command_start": summary(from_start),
        "all_replicas_from_command_exit": summary(from_exit),
        "samples_from_command_start_ms": [round(x, 2) for x in from_start],
        "samples_from_command_exit_ms": [round(x, 2) for x in from_exit],
    }))


if __name__ == "__main__":
    main()
