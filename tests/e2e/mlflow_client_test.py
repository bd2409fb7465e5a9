#!/usr/bin/env python3
"""MLflow's Python client, as it speaks on the wire, against a real `hone server`.

A team points MLFLOW_TRACKING_URI at hone and keeps its code, so this test sends exactly what
MLflow's client sends (mlflow/utils/rest_utils.py: GET requests carry their fields as query
parameters, every other method as a JSON body; a Bearer token from MLFLOW_TRACKING_TOKEN or
HTTP basic auth from MLFLOW_TRACKING_USERNAME/PASSWORD; the bodies are the protobuf messages of
service.proto and model_registry.proto as JSON) for the calls behind mlflow.set_experiment,
mlflow.start_run, log_param, log_metric, log_batch, set_tag, end_run, search_runs,
mlflow.log_input and MlflowClient's experiment, registry and alias calls. Then it asks hone's
own CLI what it recorded.

Only the standard library and `requests` (python3-requests). Run by CTest:
    mlflow_client_test.py --hone build/apps/hone/hone
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

import requests

API = "/api/2.0/mlflow"
USER_AGENT = "mlflow-python-client/2.16.2"
HONE = os.environ.get("HONE_BINARY", "")


class RestException(Exception):
    """What MLflow's client raises for a non-200 answer with a JSON body."""

    def __init__(self, status, body):
        super().__init__(f"{status} {body}")
        self.status = status
        self.error_code = body.get("error_code")
        self.message = body.get("message")


class MlflowRest:
    """mlflow.utils.rest_utils.call_endpoint and http_request, reduced to what hone needs."""

    def __init__(self, url, token=None, username=None, password=None):
        self.url = url
        self.token = token
        self.basic = (username, password) if username is not None else None
        self.session = requests.Session()

    def call(self, method, endpoint, body=None):
        headers = {"User-Agent": USER_AGENT}
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        kwargs = {"headers": headers, "timeout": 60}
        if self.basic:
            kwargs["auth"] = self.basic
        body = body or {}
        if method == "GET":
            kwargs["params"] = body
        else:
            kwargs["json"] = body
        r = self.session.request(method, self.url + API + "/" + endpoint, **kwargs)
        try:
            js = json.loads(r.text)
        except ValueError as e:
            raise AssertionError(
                f"{method} {endpoint}: not JSON ({r.status_code}): {r.text!r}") from e
        if r.status_code != 200:
            if not isinstance(js, dict) or "error_code" not in js or "message" not in js:
                raise AssertionError(f"{method} {endpoint}: not MLflow's error shape: {r.text}")
            raise RestException(r.status_code, js)
        return js


class Mlflow:
    """The fluent API and MlflowClient calls of MLflow 2.x, each as the requests it makes."""

    def __init__(self, rest):
        self.rest = rest

    # mlflow.set_experiment(name): get-by-name, else create and get.
    def set_experiment(self, name):
        try:
            exp = self.rest.call("GET", "experiments/get-by-name", {"experiment_name": name})
            exp = exp["experiment"]
        except RestException as e:
            if e.error_code != "RESOURCE_DOES_NOT_EXIST":
                raise
            created = self.rest.call("POST", "experiments/create", {"name": name})
            exp = self.rest.call("GET", "experiments/get",
                                 {"experiment_id": created["experiment_id"]})["experiment"]
        if exp["lifecycle_stage"] != "active":
            raise AssertionError(f"experiment {name} is deleted")
        return exp

    # mlflow.start_run(run_name=…): MlflowClient.create_run with the context's tags.
    def start_run(self, experiment_id, run_name):
        body = {
            "experiment_id": experiment_id,
            "user_id": "ada",
            "start_time": int(time.time() * 1000),
            "tags": [
                {"key": "mlflow.user", "value": "ada"},
                {"key": "mlflow.source.name", "value": "train.py"},
                {"key": "mlflow.source.type", "value": "LOCAL"},
            ],
            "run_name": run_name,
        }
        return self.rest.call("POST", "runs/create", body)["run"]

    def log_param(self, run_id, key, value):
        return self.rest.call("POST", "runs/log-parameter",
                              {"run_uuid": run_id, "run_id": run_id, "key": key,
                               "value": str(value)})

    def log_metric(self, run_id, key, value, step=0):
        return self.rest.call("POST", "runs/log-metric",
                              {"run_uuid": run_id, "run_id": run_id, "key": key, "value": value,
                               "timestamp": int(time.time() * 1000), "step": step})

    def log_batch(self, run_id, metrics=(), params=(), tags=()):
        now = int(time.time() * 1000)
        return self.rest.call("POST", "runs/log-batch", {
            "run_id": run_id,
            "metrics": [{"key": k, "value": v, "timestamp": now, "step": s} for k, v, s in metrics],
            "params": [{"key": k, "value": str(v)} for k, v in params],
            "tags": [{"key": k, "value": str(v)} for k, v in tags],
        })

    def set_tag(self, run_id, key, value):
        return self.rest.call("POST", "runs/set-tag",
                              {"run_uuid": run_id, "run_id": run_id, "key": key,
                               "value": str(value)})

    # mlflow.end_run(): update_run_info with FINISHED and the time.
    def end_run(self, run_id, status="FINISHED"):
        return self.rest.call("POST", "runs/update",
                              {"run_uuid": run_id, "run_id": run_id, "status": status,
                               "end_time": int(time.time() * 1000)})["run_info"]

    # mlflow.search_runs: pages of NUM_RUNS_PER_PAGE_PANDAS (10000).
    def search_runs(self, experiment_ids, filter_string="", order_by=()):
        runs, token = [], None
        while True:
            body = {"experiment_ids": experiment_ids, "filter": filter_string,
                    "run_view_type": "ACTIVE_ONLY", "max_results": 10000,
                    "order_by": list(order_by)}
            if token:
                body["page_token"] = token
            page = self.rest.call("POST", "runs/search", body)
            runs += page.get("runs", [])
            token = page.get("next_page_token")
            if not token:
                return runs

    # mlflow.log_input(dataset, context="training"): one DatasetInput with its context tag.
    def log_input(self, run_id, dataset, context):
        return self.rest.call("POST", "runs/log-inputs", {
            "run_id": run_id,
            "datasets": [{"tags": [{"key": "mlflow.data.context", "value": context}],
                          "dataset": dataset}],
        })

    def get_run(self, run_id):
        return self.rest.call("GET", "runs/get", {"run_uuid": run_id, "run_id": run_id})["run"]

    def delete_tag(self, run_id, key):
        return self.rest.call("POST", "runs/delete-tag", {"run_id": run_id, "key": key})

    def rename_experiment(self, experiment_id, new_name):
        return self.rest.call("POST", "experiments/update",
                              {"experiment_id": experiment_id, "new_name": new_name})

    def set_experiment_tag(self, experiment_id, key, value):
        return self.rest.call("POST", "experiments/set-experiment-tag",
                              {"experiment_id": experiment_id, "key": key, "value": value})

    def delete_experiment(self, experiment_id):
        return self.rest.call("POST", "experiments/delete", {"experiment_id": experiment_id})

    def restore_experiment(self, experiment_id):
        return self.rest.call("POST", "experiments/restore", {"experiment_id": experiment_id})

    def get_latest_versions(self, name, stages=()):
        body = {"name": name}
        if stages:
            body["stages"] = list(stages)
        return self.rest.call("POST", "registered-models/get-latest-versions",
                              body)["model_versions"]

    def get_model_version_download_uri(self, name, version):
        return self.rest.call("GET", "model-versions/get-download-uri",
                              {"name": name, "version": str(version)})["artifact_uri"]

    def rename_registered_model(self, name, new_name):
        return self.rest.call("POST", "registered-models/rename",
                              {"name": name, "new_name": new_name})["registered_model"]

    def create_registered_model(self, name):
        return self.rest.call("POST", "registered-models/create",
                              {"name": name})["registered_model"]

    def create_model_version(self, name, source, run_id):
        return self.rest.call("POST", "model-versions/create",
                              {"name": name, "source": source, "run_id": run_id})["model_version"]

    def set_registered_model_alias(self, name, alias, version):
        return self.rest.call("POST", "registered-models/alias",
                              {"name": name, "alias": alias, "version": str(version)})

    def get_model_version_by_alias(self, name, alias):
        return self.rest.call("GET", "registered-models/alias",
                              {"name": name, "alias": alias})["model_version"]

    def delete_registered_model_alias(self, name, alias):
        return self.rest.call("DELETE", "registered-models/alias", {"name": name, "alias": alias})


# Where the server keeps its store: "sqlite" (a file in the test's folder) or "postgres" (a
# schema of its own in the database of HONE_TEST_PG_URL).
STORE_KIND = "sqlite"


def psql(url, sql):
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c",
                    "SET client_min_messages = warning; " + sql], check=True, timeout=60)


class HoneServer:
    """`hone server` on 127.0.0.1 with a free port, over an SQLite store in `workdir` or a
    PostgreSQL schema of its own."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.proc = None
        self.url = None
        self.pg_url = None
        self.schema = None
        if STORE_KIND == "postgres":
            self.pg_url = os.environ["HONE_TEST_PG_URL"]
            self.schema = f"hone_mlflow_client_{os.getpid()}_{os.path.basename(workdir)}".lower()
            self.schema = "".join(c if c.isalnum() else "_" for c in self.schema)
            psql(self.pg_url, f"DROP SCHEMA IF EXISTS {self.schema} CASCADE; "
                              f"CREATE SCHEMA {self.schema}")
            self.store = (self.pg_url + ("&" if "?" in self.pg_url else "?") +
                          "options=-c%20search_path%3D" + self.schema)
        else:
            self.store = os.path.join(workdir, "hone.db")

    def hone(self, *args):
        r = subprocess.run([HONE, *args], capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise AssertionError(f"hone {' '.join(args)} exited {r.returncode}: {r.stderr}")
        return r.stdout

    def token(self, name, role):
        out = os.path.join(self.workdir, name + ".tok")
        self.hone("token", "create", "--store", self.store, "--name", name, "--role", role,
                  "--out", out)
        with open(out, encoding="utf-8") as f:
            return f.read().strip()

    def start(self):
        port_file = os.path.join(self.workdir, "port")
        self.log = open(os.path.join(self.workdir, "server.log"), "w", encoding="utf-8")
        self.proc = subprocess.Popen(
            [HONE, "server", "--store", self.store, "--host", "127.0.0.1", "--port", "0",
             "--port-file", port_file, "--threads", "2",
             "--artifacts", os.path.join(self.workdir, "artifacts")],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"hone server exited {self.proc.returncode}: "
                                     f"{open(self.log.name, encoding='utf-8').read()}")
            if os.path.exists(port_file):
                text = open(port_file, encoding="utf-8").read().strip()
                if text:
                    self.url = f"http://127.0.0.1:{int(text)}"
                    return
            time.sleep(0.05)
        raise AssertionError("hone server wrote no port within 60 s")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.log.close()
        if self.schema:
            psql(self.pg_url, f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")


class ServerTestCase(unittest.TestCase):
    """A hone server of the class's own, with a token for each role."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="hone_mlflow_client_")
        cls.server = HoneServer(cls.tmp.name)
        cls.tokens = {name: cls.server.token(name, role) for name, role in
                      [("ci", "trainer"), ("deploy", "deployer"), ("root", "admin"),
                       ("reader", "viewer")]}
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.tmp.cleanup()

    def client(self, name, basic=False):
        if basic:  # MLFLOW_TRACKING_USERNAME=anything MLFLOW_TRACKING_PASSWORD=token
            return Mlflow(MlflowRest(self.server.url, username="anything",
                                     password=self.tokens[name]))
        return Mlflow(MlflowRest(self.server.url, token=self.tokens[name]))  # MLFLOW_TRACKING_TOKEN

    def hone_json(self, *args):
        return json.loads(self.server.hone(*args, "--json", "--store", self.server.store,
                                           "--artifacts",
                                           os.path.join(self.server.workdir, "artifacts")))


class MlflowClientTest(ServerTestCase):
    def test_tracking_as_the_fluent_api_sends_it(self):
        ml = self.client("ci")
        exp = ml.set_experiment("churn-py")
        self.assertEqual(exp["name"], "churn-py")
        self.assertRegex(exp["experiment_id"], r"^[1-9][0-9]*$")
        # set_experiment again finds it by name and makes no second one.
        self.assertEqual(ml.set_experiment("churn-py")["experiment_id"], exp["experiment_id"])

        run = ml.start_run(exp["experiment_id"], "base-py")
        info = run["info"]
        run_id = info["run_id"]
        self.assertRegex(run_id, r"^[0-9a-f]{32}$")
        self.assertEqual(info["run_uuid"], run_id)
        self.assertEqual(info["experiment_id"], exp["experiment_id"])
        self.assertEqual(info["run_name"], "base-py")
        self.assertEqual(info["status"], "RUNNING")
        self.assertEqual(info["lifecycle_stage"], "active")
        tags = {t["key"]: t["value"] for t in run["data"]["tags"]}
        self.assertEqual(tags["mlflow.runName"], "base-py")
        self.assertEqual(tags["mlflow.source.type"], "LOCAL")

        self.assertEqual(ml.log_param(run_id, "lr", 0.1), {})
        self.assertEqual(ml.log_metric(run_id, "acc", 0.5, step=0), {})
        self.assertEqual(ml.log_metric(run_id, "acc", 0.75, step=1), {})
        self.assertEqual(ml.log_batch(run_id, metrics=[("loss", 0.25, 1), ("loss", 0.125, 2)],
                                      params=[("depth", 6), ("eta", 0.3)],
                                      tags=[("phase", "tune")]), {})
        self.assertEqual(ml.set_tag(run_id, "owner", "ada"), {})
        ended = ml.end_run(run_id)
        self.assertEqual(ended["status"], "FINISHED")
        self.assertIn("end_time", ended)

        found = ml.search_runs([exp["experiment_id"]],
                               "metrics.acc > 0.6 AND params.depth = '6' AND tags.owner = 'ada'",
                               order_by=["metrics.acc DESC"])
        self.assertEqual([r["info"]["run_id"] for r in found], [run_id])
        data = found[0]["data"]
        self.assertEqual({m["key"]: m["value"] for m in data["metrics"]},
                         {"acc": 0.75, "loss": 0.125})
        self.assertEqual({p["key"]: p["value"] for p in data["params"]},
                         {"lr": "0.1", "depth": "6", "eta": "0.3"})
        self.assertEqual(ml.search_runs([exp["experiment_id"]], "metrics.acc > 0.9"), [])

        # A trainer's token may not delete; MLflow's error shape says so.
        with self.assertRaises(RestException) as refused:
            ml.rest.call("POST", "runs/delete", {"run_id": run_id})
        self.assertEqual((refused.exception.status, refused.exception.error_code),
                         (403, "PERMISSION_DENIED"))
        # A missing field is named.
        with self.assertRaises(RestException) as bad:
            ml.rest.call("POST", "runs/log-metric", {"run_id": run_id, "key": "acc"})
        self.assertEqual((bad.exception.status, bad.exception.error_code),
                         (400, "INVALID_PARAMETER_VALUE"))
        self.assertIn("value", bad.exception.message)
        # No token, or a wrong one.
        with self.assertRaises(RestException) as anonymous:
            Mlflow(MlflowRest(self.server.url)).set_experiment("churn-py")
        self.assertEqual((anonymous.exception.status, anonymous.exception.error_code),
                         (401, "UNAUTHENTICATED"))

        # hone's own records hold what MLflow's client logged.
        runs = {r["id"]: r for r in self.hone_json("runs", "list")["runs"]}
        self.assertIn(run_id, runs)
        mine = runs[run_id]
        self.assertEqual(mine["command"], "mlflow")
        self.assertEqual(mine["status"], "finished")
        self.assertEqual(mine["params"], {"lr": "0.1", "depth": "6", "eta": "0.3"})
        self.assertEqual(mine["tags"]["owner"], "ada")
        self.assertEqual(mine["tags"]["phase"], "tune")
        self.assertEqual([v["value"] for v in mine["metrics"]["acc"]], [0.75])

    def test_registry_as_mlflow_client_sends_it(self):
        ml = self.client("ci")
        run_id = ml.start_run("0", "for-registry")["info"]["run_id"]
        model = ml.create_registered_model("churn-py-model")
        self.assertEqual(model["name"], "churn-py-model")
        self.assertEqual(model.get("latest_versions", []), [])
        with self.assertRaises(RestException) as taken:
            ml.create_registered_model("churn-py-model")
        self.assertEqual(taken.exception.error_code, "RESOURCE_ALREADY_EXISTS")

        mv = ml.create_model_version("churn-py-model", f"runs:/{run_id}/model", run_id)
        self.assertEqual((mv["name"], mv["version"], mv["status"], mv["current_stage"]),
                         ("churn-py-model", "1", "READY", "None"))
        self.assertEqual(mv["source"], f"runs:/{run_id}/model")
        self.assertEqual(mv["run_id"], run_id)

        # Moving an alias is a deployer's: a trainer is refused.
        with self.assertRaises(RestException) as refused:
            ml.set_registered_model_alias("churn-py-model", "champion", 1)
        self.assertEqual((refused.exception.status, refused.exception.error_code),
                         (403, "PERMISSION_DENIED"))
        deployer = self.client("deploy", basic=True)
        self.assertEqual(deployer.set_registered_model_alias("churn-py-model", "champion", 1), {})
        got = self.client("reader").get_model_version_by_alias("churn-py-model", "champion")
        self.assertEqual((got["version"], got["aliases"]), ("1", ["champion"]))
        self.assertEqual(deployer.delete_registered_model_alias("churn-py-model", "champion"), {})
        with self.assertRaises(RestException) as gone:
            self.client("reader").get_model_version_by_alias("churn-py-model", "champion")
        self.assertEqual((gone.exception.status, gone.exception.error_code),
                         (404, "RESOURCE_DOES_NOT_EXIST"))

        # hone's audit log names the tokens that did it.
        records = self.hone_json("audit", "list")["records"]
        seen = [(r["actor"], r["action"], r["subject"]) for r in records
                if r["subject"].startswith("churn-py-model")]
        self.assertIn(("ci", "model-create", "churn-py-model"), seen)
        self.assertIn(("ci", "register", "churn-py-model/1"), seen)
        moves = [(a, act) for a, act, s in seen if s == "churn-py-model@champion"]
        self.assertEqual(moves, [("deploy", "promote"), ("deploy", "alias-delete")])


class MlflowLifecycleTest(ServerTestCase):
    """The calls beyond logging: datasets, tags removed, experiments renamed, tagged, deleted and
    restored, latest versions, download URIs and a model renamed."""

    def test_datasets_experiments_and_renames(self):
        ml, admin = self.client("ci"), self.client("root")
        exp = ml.set_experiment("lifecycle-py")["experiment_id"]
        run_id = ml.start_run(exp, "with-data")["info"]["run_id"]
        # What mlflow.data.from_pandas(df, source="/data/train.csv") makes of a small frame.
        dataset = {"name": "train", "digest": "3b5c0f1e", "source_type": "local",
                   "source": '{"uri": "/data/train.csv"}',
                   "schema": '{"mlflow_colspec": [{"type": "double", "name": "x"}]}',
                   "profile": '{"num_rows": 3, "num_elements": 3}'}
        self.assertEqual(ml.log_input(run_id, dataset, "training"), {})
        self.assertEqual(ml.log_input(run_id, dataset, "training"), {})  # once per dataset
        inputs = ml.get_run(run_id)["inputs"]["dataset_inputs"]
        self.assertEqual(len(inputs), 1)
        self.assertEqual(inputs[0]["dataset"], dataset)
        self.assertEqual(inputs[0]["tags"], [{"key": "mlflow.data.context", "value": "training"}])

        ml.set_tag(run_id, "scratch", "1")
        self.assertEqual(ml.delete_tag(run_id, "scratch"), {})
        tags = {t["key"] for t in ml.get_run(run_id)["data"]["tags"]}
        self.assertNotIn("scratch", tags)

        self.assertEqual(ml.rename_experiment(exp, "lifecycle-py-2"), {})
        self.assertEqual(ml.set_experiment_tag(exp, "team", "growth"), {})
        got = ml.set_experiment("lifecycle-py-2")
        self.assertEqual((got["experiment_id"], got["tags"]),
                         (exp, [{"key": "team", "value": "growth"}]))
        with self.assertRaises(RestException) as refused:
            ml.delete_experiment(exp)
        self.assertEqual(refused.exception.error_code, "PERMISSION_DENIED")
        self.assertEqual(admin.delete_experiment(exp), {})
        with self.assertRaises(AssertionError):  # set_experiment refuses a deleted one
            ml.set_experiment("lifecycle-py-2")
        self.assertEqual(ml.search_runs([exp]), [])
        self.assertEqual(admin.restore_experiment(exp), {})
        self.assertEqual([r["info"]["run_id"] for r in ml.search_runs([exp])], [run_id])

        ml.create_registered_model("lifecycle-model")
        ml.create_model_version("lifecycle-model", f"runs:/{run_id}/model", run_id)
        ml.create_model_version("lifecycle-model", f"runs:/{run_id}/model2", run_id)
        latest = ml.get_latest_versions("lifecycle-model")
        self.assertEqual([v["version"] for v in latest], ["2"])
        self.assertEqual(ml.get_latest_versions("lifecycle-model", ["Production"]), [])
        self.assertEqual(ml.get_model_version_download_uri("lifecycle-model", 1),
                         f"runs:/{run_id}/model")
        renamed = admin.rename_registered_model("lifecycle-model", "lifecycle-model-2")
        self.assertEqual(renamed["name"], "lifecycle-model-2")
        self.assertEqual(ml.get_model_version_download_uri("lifecycle-model-2", 2),
                         f"runs:/{run_id}/model2")

        records = self.hone_json("audit", "list")["records"]
        seen = [(r["actor"], r["action"], r["subject"]) for r in records]
        self.assertIn(("ci", "experiment-update", f"experiment:{exp}"), seen)
        self.assertIn(("root", "experiment-delete", f"experiment:{exp}"), seen)
        self.assertIn(("root", "experiment-restore", f"experiment:{exp}"), seen)
        self.assertIn(("root", "model-rename", "lifecycle-model"), seen)


def main():
    global HONE, STORE_KIND
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hone", default=HONE, help="the hone binary (default: $HONE_BINARY)")
    parser.add_argument("--store", choices=["sqlite", "postgres"], default="sqlite",
                        help="the server's store (postgres: a schema in HONE_TEST_PG_URL's "
                             "database)")
    args, rest = parser.parse_known_args()
    if not args.hone or not os.access(args.hone, os.X_OK):
        sys.exit(f"mlflow_client_test: no hone binary at '{args.hone}' (--hone or HONE_BINARY)")
    HONE = args.hone
    STORE_KIND = args.store
    if STORE_KIND == "postgres" and not os.environ.get("HONE_TEST_PG_URL"):
        if os.environ.get("CI") == "true":
            sys.exit("mlflow_client_test: CI=true but HONE_TEST_PG_URL is not set")
        print("mlflow_client_test: skipped: HONE_TEST_PG_URL is not set (scripts/pg.sh)")
        sys.exit(77)
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)


if __name__ == "__main__":
    main()
