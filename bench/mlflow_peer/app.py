"""The HTTP side of bench/mlflow_peer: MLflow's REST API endpoints that the benchmark uses, as
MLflow's tracking server serves them (Flask under gunicorn; each handler parses the JSON body,
calls the store, returns MLflow's JSON). Start it as MLflow's `mlflow server` does:

    PEER_DB_URI=sqlite:////tmp/peer.db gunicorn -b 127.0.0.1:5000 -w 4 app:app

It checks no token (MLflow's server has no authentication by default).
"""

import os

from flask import Flask, jsonify, request

from store import StoreError, TrackingStore, now_ms

app = Flask(__name__)
_store = None
PREFIX = "/api/2.0/mlflow"


def store():
    # One store (one SQLAlchemy engine) per worker process, made after gunicorn forks.
    global _store
    if _store is None:
        _store = TrackingStore(os.environ.get("PEER_DB_URI", "sqlite:///peer.db"))
    return _store


@app.errorhandler(StoreError)
def store_error(e):
    return jsonify({"error_code": e.code, "message": e.message}), e.status


def body():
    data = request.get_json(silent=True) or {}
    for k, v in request.args.items():
        data.setdefault(k, v)
    return data


def run_id_of(d):
    rid = d.get("run_id") or d.get("run_uuid")
    if not rid:
        raise StoreError("INVALID_PARAMETER_VALUE", "Missing value for required parameter 'run_id'")
    return rid


def number(v):
    return float(v) if not isinstance(v, str) else float(v.replace("Infinity", "inf"))


@app.route(PREFIX + "/experiments/create", methods=["POST"])
def create_experiment():
    return jsonify({"experiment_id": store().create_experiment(body()["name"])})


@app.route(PREFIX + "/experiments/get-by-name", methods=["GET"])
def get_experiment_by_name():
    return jsonify({"experiment": store().get_experiment_by_name(body()["experiment_name"])})


@app.route(PREFIX + "/runs/create", methods=["POST"])
def create_run():
    d = body()
    tags = {t["key"]: t.get("value", "") for t in d.get("tags", [])}
    run = store().create_run(d.get("experiment_id", "0"), d.get("user_id", ""),
                             int(d.get("start_time", now_ms())), d.get("run_name"), tags)
    return jsonify({"run": run})


@app.route(PREFIX + "/runs/get", methods=["GET"])
def get_run():
    return jsonify({"run": store().get_run(run_id_of(body()))})


@app.route(PREFIX + "/runs/log-metric", methods=["POST"])
def log_metric():
    d = body()
    store().log_metric(run_id_of(d), (d["key"], number(d["value"]),
                                      int(d.get("timestamp", now_ms())), int(d.get("step", 0))))
    return jsonify({})


@app.route(PREFIX + "/runs/log-batch", methods=["POST"])
def log_batch():
    d = body()
    metrics = [(m["key"], number(m["value"]), int(m.get("timestamp", now_ms())),
                int(m.get("step", 0))) for m in d.get("metrics", [])]
    params = [(p["key"], str(p.get("value", ""))) for p in d.get("params", [])]
    tags = [(t["key"], str(t.get("value", ""))) for t in d.get("tags", [])]
    store().log_batch(run_id_of(d), metrics, params, tags)
    return jsonify({})


@app.route(PREFIX + "/runs/search", methods=["POST"])
def search_runs():
    d = body()
    max_results = int(d.get("max_results", 1000))
    if max_results > 50000:
        raise StoreError("INVALID_PARAMETER_VALUE", "max_results must be at most 50000")
    runs, token = store().search_runs(
        d.get("experiment_ids", ["0"]), d.get("filter", ""), d.get("run_view_type", "ACTIVE_ONLY"),
        max_results, d.get("order_by", []), int(d.get("page_token") or 0))
    out = {"runs": runs}
    if token:
        out["next_page_token"] = token
    return jsonify(out)


@app.route("/health")
def health():
    return "OK"
