#!/usr/bin/python3
"""Seeds a running `hone server` with what the dashboard's tests look at.

  seed.py --url http://127.0.0.1:PORT --token-file admin.tok --hone BIN --work DIR

- house_prices: two `hone run`s of examples/house_prices in a git repository of its own (gate
  verdicts, blessed; a code commit, the second with uncommitted changes), v1 then v2 promoted to
  production, so that a rollback has somewhere to go;
- houses_loop: the same pipeline in production, then new data and one look of `hone watch`,
  which retrains and rejects the candidate (watch.retrain and watch.reject in the audit log);
- churn: two versions from `hone train --register` (no gate verdict, so not blessed: the
  protected production alias refuses them to a deployer), v1 forced to production by the admin;
- three MLflow runs in experiment "0" with a loss logged over 20 steps, for compare's charts;
- monitoring windows of house_prices v2 (production) and v1 (canary share) over the last 30
  minutes, as `hone serve` writes them;
- live traffic of churn through a real `hone serve` on this server's store, v1 in production and
  v2 as a canary: rows of churn.csv with monthly_charges raised by half and support calls by 4
  (so those two features drift and the others do not), then feedback with each row's true label
  (live accuracy);
- a deployer token, written to DIR/deployer.tok.
Prints a JSON summary on stdout.
"""
import argparse
import csv
import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import time

import requests

REPO = pathlib.Path(__file__).resolve().parents[2]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--token-file", required=True)
    ap.add_argument("--hone", required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    work = pathlib.Path(a.work)
    work.mkdir(parents=True, exist_ok=True)
    admin = pathlib.Path(a.token_file).read_text().strip()
    env = dict(os.environ, HONE_TOKEN=admin, HONE_STORE=a.url)
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {admin}"

    def hone(*args, cwd=None):
        r = subprocess.run([a.hone, *args], cwd=cwd, env=env, capture_output=True, text=True)
        if r.returncode != 0:
            sys.stderr.write(f"hone {' '.join(args)} failed ({r.returncode}):\n{r.stdout}{r.stderr}")
            raise SystemExit(2)
        return r.stdout

    def api(method, path, body=None, ok=(200, 201)):
        r = s.request(method, a.url + path, json=body)
        if r.status_code not in ok:
            raise SystemExit(f"{method} {path}: HTTP {r.status_code} {r.text}")
        return r.json()

    hone("token", "create", "--store", a.url, "--name", "release", "--role", "deployer",
         "--out", str(work / "deployer.tok"))

    # house_prices: the pipeline twice, the second with other parameters.
    hp = work / "house_prices"
    if hp.exists():
        shutil.rmtree(hp)
    shutil.copytree(REPO / "examples" / "house_prices", hp)
    # A repository of its own, so that runs record a code commit (and the second, a dirty tree).
    for git in (["init", "-q"], ["add", "-A"],
                ["-c", "user.name=seed", "-c", "user.email=seed@localhost", "commit", "-qm", "seed"]):
        subprocess.run(["git", *git], cwd=hp, check=True, capture_output=True)
    hone("run", "--store", a.url, cwd=hp)
    spec = (hp / "hone.yaml").read_text().replace("n_estimators: 300", "n_estimators: 320")
    (hp / "hone.yaml").write_text(spec)
    hone("run", "--store", a.url, cwd=hp)
    model = api("GET", "/api/hone/v1/models/house_prices")
    if model["aliases"].get("production") != 2:
        hone("promote", "house_prices", "2", "--store", a.url)

    # houses_loop: the same pipeline under `hone watch`: production v1, then new sales appended
    # to the data, and one look of the loop, which retrains on them and rejects the candidate
    # (its rmse is significantly worse than production's): two automatic decisions with evidence.
    loop = work / "houses_loop"
    if loop.exists():
        shutil.rmtree(loop)
    shutil.copytree(REPO / "examples" / "house_prices", loop)
    spec = (loop / "hone.yaml").read_text().replace("model: house_prices", "model: houses_loop")
    (loop / "hone.yaml").write_text(spec + "\nwatch:\n  release: {mode: canary, weight: 0.2}\n")
    hone("run", "--store", a.url, cwd=loop)
    with open(loop / "house_prices.csv", "a") as data:
        data.write("".join((loop / "new_sales.csv").read_text().splitlines(True)[1:]))
    looked = json.loads(hone("watch", "--once", "--json", "--store", a.url, cwd=loop))
    actions = [d["action"] for d in looked["decisions"]]
    if actions[:2] != ["retrain", "reject"]:
        raise SystemExit(f"hone watch --once decided {actions}, not retrain then reject")

    # churn: trained and registered without a pipeline, so without a gate verdict.
    churn = str(REPO / "examples" / "churn" / "churn.csv")
    for trees in ("50", "80"):
        hone("train", "--data", churn, "--target", "churned", "--register", "churn",
             "--param", f"n_estimators={trees}", "--store", a.url, "--out", str(work / "churn.hone"))
    api("POST", "/api/hone/v1/models/churn/aliases/production",
        {"to": 1, "expect": None, "action": "promote", "force": True})

    # MLflow runs with a metric over steps.
    now = int(time.time() * 1000)
    for i, lr in enumerate(("0.3", "0.1", "0.03")):
        run = api("POST", "/api/2.0/mlflow/runs/create",
                  {"experiment_id": "0", "run_name": f"sweep-lr-{lr}", "start_time": now - 60000 + i,
                   "tags": [{"key": "registered_model", "value": "sweep"}]})["run"]
        rid = run["info"]["run_id"]
        metrics = []
        for step in range(20):
            loss = 1.0 / (1 + float(lr) * 10 * step) + 0.02 * i
            metrics.append({"key": "loss", "value": loss, "timestamp": now, "step": step})
            metrics.append({"key": "val_auc", "value": 0.7 + 0.2 * (1 - loss), "timestamp": now, "step": step})
        api("POST", "/api/2.0/mlflow/runs/log-batch",
            {"run_id": rid, "metrics": metrics,
             "params": [{"key": "learning_rate", "value": lr}, {"key": "max_depth", "value": "6"},
                        {"key": "batch_size", "value": str(64 * (i + 1))}]})
        api("POST", "/api/2.0/mlflow/runs/update",
            {"run_id": rid, "status": "FINISHED", "end_time": now - 30000 + i * 1000})

    # Monitoring windows: one a minute for 30 minutes, production v2 and a canary v1.
    bounds = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05]
    windows = []
    for minute in range(30, 0, -1):
        start = now - minute * 60000
        for version, alias, rps, slow in ((2, "production", 40, 0), (1, "canary", 10, 2)):
            n = rps * 60 + (minute % 7) * 20
            errors = (minute % 5) * (2 if alias == "canary" else 1)
            counts = [0] * (len(bounds) + 1)
            counts[1 + slow] = n * 6 // 10
            counts[2 + slow] = n * 3 // 10
            counts[4 + slow] = n - counts[1 + slow] - counts[2 + slow]
            summary = {"traffic": {"rows": n, "columns": [], "prediction": None},
                       "latency": {"bounds": bounds, "counts": counts},
                       "statuses": {"200": n - errors, "500": errors}, "alias": alias}
            windows.append({"model": "house_prices", "version": version, "start_ms": start,
                            "end_ms": start + 60000, "server": "seed:8080", "requests": n,
                            "errors": errors, "rows": n, "summary": json.dumps(summary)})
    api("POST", "/api/hone/v1/monitor/windows", {"windows": windows})
    api("POST", "/api/hone/v1/models/house_prices/aliases/canary",
        {"to": 1, "expect": None, "action": "canary", "weight": 0.2})

    live = serve_churn(a, work, env, api, admin)

    json.dump({"models": [m["name"] for m in api("GET", "/api/hone/v1/models")["models"]],
               "deployer_token": str(work / "deployer.tok"), "churn_live": live}, sys.stdout)
    print()
    return 0


SHIFTED = {"monthly_charges": lambda v: f"{float(v) * 1.5:.2f}" if v else v,
           "support_calls": lambda v: str(int(v) + 4) if v else v}


def serve_churn(a, work, env, api, admin):
    """Real traffic and feedback for churn through `hone serve` on the server's store; returns
    the report's requests and labels per version once the server has them."""
    api("POST", "/api/hone/v1/models/churn/aliases/canary",
        {"to": 2, "expect": None, "action": "canary", "weight": 0.5})
    port_file = work / "serve.port"
    port_file.unlink(missing_ok=True)
    log = open(work / "serve.log", "w")
    serve = subprocess.Popen(
        [a.hone, "serve", "--store", a.url, "--model", "churn", "--host", "127.0.0.1", "--port", "0",
         "--port-file", str(port_file), "--monitor-interval-ms", "300", "--poll-interval-ms", "200"],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        base = None
        for _ in range(600):
            if serve.poll() is not None:
                raise SystemExit(f"hone serve exited ({serve.returncode}): see {work / 'serve.log'}")
            if port_file.exists() and port_file.read_text().strip():
                base = f"http://127.0.0.1:{port_file.read_text().strip()}"
                if all(requests.get(f"{base}/v2/models/churn/versions/{v}/ready").status_code == 200
                       for v in (1, 2)):
                    break
            time.sleep(0.1)
        else:
            raise SystemExit("hone serve did not load churn v1 and v2 within 60 s")

        with open(REPO / "examples" / "churn" / "churn.csv", newline="") as f:
            rows = list(csv.DictReader(f))[:2400]
        columns = [c for c in rows[0] if c != "churned"]
        labels = {}
        per_request = 16  # the prediction log keeps a request's first 16 rows
        for n in range(len(rows) // per_request):
            batch = rows[n * per_request:(n + 1) * per_request]
            data = [[cell(SHIFTED[c](r[c]) if c in SHIFTED else r[c]) for c in columns]
                    for r in batch]
            rid = f"live-{n}"
            r = requests.post(f"{base}/models/churn/invocations", headers={"x-request-id": rid},
                              json={"dataframe_split": {"columns": columns, "data": data}})
            if r.status_code != 200:
                raise SystemExit(f"POST /models/churn/invocations: HTTP {r.status_code} {r.text}")
            for i, row in enumerate(batch):
                labels[f"{rid}#{i}"] = row["churned"]

        # Feedback matches the logged predictions once they have reached the store.
        feedback = [{"id": k, "label": v} for k, v in labels.items()]
        for _ in range(100):
            r = requests.post(f"{base}/v2/models/churn/feedback", json={"feedback": feedback},
                              headers={"Authorization": f"Bearer {admin}"})
            if r.status_code != 200:
                raise SystemExit(f"POST /v2/models/churn/feedback: HTTP {r.status_code} {r.text}")
            if r.json()["matched"] == len(feedback):
                break
            time.sleep(0.2)
        else:
            raise SystemExit(f"feedback: only {r.json()['matched']} of {len(feedback)} matched")

        # Until every request is in a window the server has stored.
        sent = len(labels) // per_request
        for _ in range(200):
            report = api("GET", "/api/hone/v1/monitor/report?model=churn&since_ms=0")
            got = {v["version"]: (v["requests"], v["live"]["labels"]) for v in report["versions"]}
            if sum(n for n, _ in got.values()) >= sent and len(got) == 2:
                return got
            time.sleep(0.2)
        raise SystemExit(f"the report of churn counts {got}, not the {sent} requests sent")
    finally:
        serve.send_signal(signal.SIGTERM)
        try:
            serve.wait(timeout=30)
        except subprocess.TimeoutExpired:
            serve.kill()
            serve.wait()
        log.close()


def cell(text):
    """A CSV field as JSON sends it: null when empty (missing), a number when it reads as one,
    else the text."""
    if text == "":
        return None
    try:
        return float(text)
    except ValueError:
        return text


if __name__ == "__main__":
    sys.exit(main())
