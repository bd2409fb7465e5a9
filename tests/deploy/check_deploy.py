#!/usr/bin/python3
"""Checks that what deploy/ ships fits together and refers only to what exists.

  check_deploy.py --hone BIN --root REPO

- Every YAML file parses (compose.yaml, k8s/*.yaml, prometheus/*.yml).
- Kubernetes: each object names its kind; every container runs the image the Dockerfiles build
  (hone:latest) with a hone subcommand that exists; every probe, Service and HPA points at a
  port, Deployment, Secret, ConfigMap or volume claim that is there; the ConfigMap's hone.yaml is
  a valid spec (`hone run --dry-run` on it, its data path pointed at a real CSV).
- Compose: depends_on names services; hone services run subcommands that exist; nginx.conf's and
  prometheus.yml's targets are compose services on the port hone serve listens on.
- A real `hone serve` answers 200 on every probe path, and its /metrics has every metric the
  Grafana dashboard and the alerting rules use, with the labels they group by.
- prometheus/hone-rules.yml is what `hone monitor rules` writes today; promtool accepts it and
  prometheus.yml; `nginx -t` accepts nginx.conf (service names pointed at 127.0.0.1).
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import yaml

FAILURES = []


def check(ok, what):
    if not ok:
        FAILURES.append(what)
        print("FAIL:", what)
    return ok


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def subcommand_exists(hone, name):
    # CLI11 prints the top-level help for an unknown subcommand; a known one has its own usage.
    r = run([hone, name, "--help"])
    return r.returncode == 0 and re.search(rf"Usage: .*\b{re.escape(name)}\b", r.stdout)


def containers_of(doc):
    spec = doc.get("spec", {})
    if doc["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    pod = spec.get("template", {}).get("spec", {})
    return pod, pod.get("containers", [])


def check_k8s(root, hone, workdir):
    docs = []
    for name in sorted(os.listdir(os.path.join(root, "deploy/k8s"))):
        with open(os.path.join(root, "deploy/k8s", name)) as f:
            for doc in yaml.safe_load_all(f):
                if doc is not None:
                    docs.append((name, doc))
    check(docs, "deploy/k8s holds no manifests")
    by_kind = {}
    for name, doc in docs:
        for key in ("apiVersion", "kind", "metadata"):
            check(key in doc, f"{name}: an object without {key}")
        by_kind.setdefault(doc.get("kind"), {})[doc["metadata"]["name"]] = doc
    for kind in ("Deployment", "Service", "HorizontalPodAutoscaler", "CronJob", "ConfigMap",
                 "Secret", "PersistentVolumeClaim"):
        check(kind in by_kind, f"deploy/k8s has no {kind}")
    probes = set()
    for name, doc in docs:
        if doc["kind"] not in ("Deployment", "CronJob"):
            continue
        pod, containers = containers_of(doc)
        claims = {v["name"]: v for v in pod.get("volumes", [])}
        for c in containers:
            where = f"{name}: {doc['metadata']['name']}/{c['name']}"
            check(c.get("image") == "hone:latest", f"{where}: image {c.get('image')} is not hone:latest")
            args = c.get("args", [])
            check(args and subcommand_exists(hone, args[0]), f"{where}: no hone subcommand {args[:1]}")
            ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
            if args and args[0] == "serve":
                port = args[args.index("--port") + 1] if "--port" in args else None
                check(port is not None and int(port) in ports.values(),
                      f"{where}: serve's --port {port} is not a container port")
            for probe in ("readinessProbe", "livenessProbe"):
                if probe in c:
                    get = c[probe]["httpGet"]
                    check(get["port"] in ports or get["port"] in ports.values(),
                          f"{where}: {probe} port {get['port']} is not a container port")
                    probes.add(get["path"])
            for env in c.get("env", []):
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    secret = by_kind.get("Secret", {}).get(ref["name"])
                    check(secret and ref["key"] in secret.get("stringData", secret.get("data", {})),
                          f"{where}: secret {ref['name']}/{ref['key']} is not defined")
            for mount in c.get("volumeMounts", []):
                check(mount["name"] in claims, f"{where}: mount of undeclared volume {mount['name']}")
        for v in pod.get("volumes", []):
            if "persistentVolumeClaim" in v:
                claim = v["persistentVolumeClaim"]["claimName"]
                check(claim in by_kind.get("PersistentVolumeClaim", {}), f"{name}: no claim {claim}")
            if "configMap" in v:
                check(v["configMap"]["name"] in by_kind.get("ConfigMap", {}),
                      f"{name}: no ConfigMap {v['configMap']['name']}")
    deployments = by_kind.get("Deployment", {})
    for svc in by_kind.get("Service", {}).values():
        selected = [d for d in deployments.values()
                    if all(d["spec"]["template"]["metadata"]["labels"].get(k) == v
                           for k, v in svc["spec"]["selector"].items())]
        check(selected, f"Service {svc['metadata']['name']} selects no Deployment")
        for d in selected:
            names = {p.get("name") for c in d["spec"]["template"]["spec"]["containers"]
                     for p in c.get("ports", [])}
            for p in svc["spec"]["ports"]:
                check(p["targetPort"] in names, f"Service targetPort {p['targetPort']} not in {names}")
    for hpa in by_kind.get("HorizontalPodAutoscaler", {}).values():
        check(hpa["spec"]["scaleTargetRef"]["name"] in deployments,
              f"HPA {hpa['metadata']['name']} targets a Deployment that is not there")
    # The ConfigMap's spec is valid: plan a run of it on a real CSV.
    for cm in by_kind.get("ConfigMap", {}).values():
        if "hone.yaml" not in cm.get("data", {}):
            continue
        spec = yaml.safe_load(cm["data"]["hone.yaml"])
        csv = os.path.join(workdir, "plan.csv")
        shutil.copy(os.path.join(root, "examples/house_prices/house_prices.csv"), csv)
        spec["data"]["path"] = csv
        with open(os.path.join(workdir, "hone.yaml"), "w") as f:
            yaml.safe_dump(spec, f)
        r = run([hone, "run", "--dry-run", "-f", "hone.yaml", "--store", os.path.join(workdir, "plan-store")],
                cwd=workdir)
        check(r.returncode == 0, f"ConfigMap hone.yaml is not a valid spec: {r.stdout}{r.stderr}")
    return probes


def check_compose(root, hone):
    with open(os.path.join(root, "deploy/compose.yaml")) as f:
        compose = yaml.safe_load(f)
    services = compose["services"]
    for name, svc in services.items():
        check("image" in svc, f"compose: {name} has no image")
        for dep in svc.get("depends_on", []):
            check(dep in services, f"compose: {name} depends on unknown service {dep}")
        if svc.get("image") == "hone:latest":
            cmd = svc.get("command", [])
            check(cmd and subcommand_exists(hone, cmd[0]), f"compose: {name} runs no hone subcommand")
    serve_ports = {}
    for name, svc in services.items():
        cmd = svc.get("command", [])
        if cmd[:1] == ["serve"]:
            serve_ports[name] = cmd[cmd.index("--port") + 1]
    check(len(serve_ports) >= 2, "compose: fewer than two serve replicas")
    nginx = open(os.path.join(root, "deploy/nginx.conf")).read()
    upstreams = re.findall(r"^\s*server\s+([\w.-]+):(\d+)", nginx, re.M)
    check(upstreams, "nginx.conf has no upstream servers")
    for host, port in upstreams:
        check(serve_ports.get(host) == port, f"nginx.conf: {host}:{port} is not a compose serve replica")
    with open(os.path.join(root, "deploy/prometheus/prometheus.yml")) as f:
        prom = yaml.safe_load(f)
    targets = [t for job in prom["scrape_configs"] for sc in job["static_configs"] for t in sc["targets"]]
    for t in targets:
        host, port = t.split(":")
        check(serve_ports.get(host) == port, f"prometheus.yml: target {t} is not a serve replica")
    return nginx


def check_dockerfiles(root, hone):
    """The two-stage Dockerfile installs only packages Debian has, its runtime stage has every
    library the binary links (from its packages or theirs), and both Dockerfiles make the same
    image: entry point, command, user and port."""
    multi = open(os.path.join(root, "deploy/Dockerfile")).read()
    prebuilt = open(os.path.join(root, "deploy/Dockerfile.prebuilt")).read()
    stages = re.findall(r"apt-get install -y --no-install-recommends\s*\\?\n?(.*?)&&", multi, re.S)
    check(len(stages) == 2, "deploy/Dockerfile: expected an install in each of its two stages")
    for block in stages:
        for pkg in block.replace("\\", " ").split():
            r = run(["apt-cache", "show", pkg])
            check(r.returncode == 0 and r.stdout.strip(), f"deploy/Dockerfile: Debian has no package {pkg}")
    runtime = stages[-1].replace("\\", " ").split()
    closure = set(runtime) | {"libc6", "libstdc++6", "libgcc-s1"}  # in debian:12-slim already
    deps = run(["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests",
                "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances"] + runtime)
    closure |= {line.split(":")[-1].strip().split(":")[0] for line in deps.stdout.splitlines()}
    closure = {p.split(":")[0] for p in closure}
    for lib in re.findall(r"(/\S+\.so[.\d]*)", run(["ldd", hone]).stdout):
        real = os.path.realpath(lib)
        pkg = None
        # dpkg knows a file by the path its package shipped (/lib or /usr/lib, merged /usr).
        for path in (real, lib, re.sub(r"^/usr", "", real)):
            owner = run(["dpkg", "-S", path])
            if owner.returncode == 0:
                pkg = owner.stdout.split(":")[0]
                break
        if pkg in ("libasan8", "libubsan1"):  # a sanitizer build's runtime, not the image's
            continue
        check(pkg in closure, f"deploy/Dockerfile: the runtime stage lacks {lib} (package {pkg})")
    for key in ("ENTRYPOINT", "CMD", "EXPOSE"):
        a = re.findall(rf"^{key} (.*)$", multi, re.M)[-1:]
        b = re.findall(rf"^{key} (.*)$", prebuilt, re.M)[-1:]
        check(a and a == b, f"the Dockerfiles differ in {key}: {a} and {b}")
    check("useradd --system --uid 10001" in multi and "USER 10001:10001" in prebuilt,
          "the Dockerfiles do not both run as uid 10001")


def start_serve(hone, workdir, root):
    store = os.path.join(workdir, "store")
    r = run([hone, "train", "--data", os.path.join(root, "examples/house_prices/house_prices.csv"),
             "--target", "price", "--param", "n_estimators=5", "--register", "house_prices",
             "--store", store, "--threads", "2"])
    if not check(r.returncode == 0, f"hone train: {r.stderr}"):
        return None, None
    run([hone, "promote", "house_prices", "1", "--store", store], check=True)
    port_file = os.path.join(workdir, "port")
    proc = subprocess.Popen([hone, "serve", "--store", store, "--port", "0", "--port-file", port_file,
                             "--threads", "1"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while time.time() < deadline:
        if os.path.exists(port_file) and open(port_file).read().strip():
            return proc, int(open(port_file).read())
        time.sleep(0.1)
    proc.kill()
    check(False, "hone serve did not start")
    return None, None


def get(port, path, body=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def metric_exprs(root, rules_text):
    with open(os.path.join(root, "deploy/grafana/hone-dashboard.json")) as f:
        dash = json.load(f)
    exprs = [t["expr"] for p in dash["panels"] for t in p["targets"]]
    for group in yaml.safe_load(rules_text)["groups"]:
        exprs += [r["expr"] for r in group["rules"]]
    return exprs


def check_metrics(port, exprs):
    deadline = time.time() + 60
    while time.time() < deadline and get(port, "/v2/health/ready")[0] != 200:
        time.sleep(0.2)
    # One request, so that the per-request series exist.
    with open(os.path.join(ROOT, "examples/house_prices/house_prices.csv")) as f:
        header, first = f.readline().strip().split(","), f.readline().strip().split(",")

    def value(text):
        try:
            return float(text)
        except ValueError:
            return text or None
    columns = [c for c in header if c != "price"]
    row = [value(v) for c, v in zip(header, first) if c != "price"]
    body = json.dumps({"dataframe_split": {"columns": columns, "data": [row]}}).encode()
    status, answer = get(port, "/invocations", body)
    check(status == 200, f"POST /invocations answered {status}: {answer}")
    status, metrics = get(port, "/metrics")
    check(status == 200, "/metrics did not answer 200")
    labels_of = {}
    for line in metrics.splitlines():
        m = re.match(r"# TYPE (\w+) (\w+)", line)
        if m:
            labels_of.setdefault(m.group(1), set())
            continue
        m = re.match(r"(\w+)\{([^}]*)\}", line)
        if m:
            labels_of.setdefault(m.group(1), set()).update(re.findall(r"(\w+)=", m.group(2)))
    for expr in exprs:
        labels, sampled = {"le"}, True
        for name in set(re.findall(r"\b(hone_\w+)", expr)):
            base = re.sub(r"_(bucket|sum|count)$", "", name)
            check(name in labels_of or base in labels_of, f"metric {name} is not on /metrics")
            labels |= labels_of.get(name, set()) | labels_of.get(base, set())
            sampled = sampled and bool(labels_of.get(name) or labels_of.get(base))
        # A family with no series yet (drift before any window) shows no labels to check.
        for group in re.findall(r"by \(([^)]*)\)", expr) if sampled else []:
            for label in (g.strip() for g in group.split(",")):
                check(label in labels, f"{expr!r} groups by {label}, which its metrics lack")
    return labels_of


def main():
    global ROOT
    parser = argparse.ArgumentParser()
    parser.add_argument("--hone", required=True)
    parser.add_argument("--root", required=True)
    args = parser.parse_args()
    ROOT = args.root
    hone = os.path.abspath(args.hone)
    with tempfile.TemporaryDirectory(prefix="hone-deploy-") as workdir:
        probes = check_k8s(ROOT, hone, workdir)
        nginx = check_compose(ROOT, hone)
        check_dockerfiles(ROOT, hone)

        rules = run([hone, "monitor", "rules"])
        check(rules.returncode == 0, f"hone monitor rules: {rules.stderr}")
        shipped = open(os.path.join(ROOT, "deploy/prometheus/hone-rules.yml")).read()
        check(shipped == rules.stdout,
              "deploy/prometheus/hone-rules.yml differs from `hone monitor rules`: regenerate it")
        if shutil.which("promtool"):
            for what in (["check", "rules", "deploy/prometheus/hone-rules.yml"],
                         ["check", "config", "deploy/prometheus/prometheus.yml"]):
                r = run(["promtool"] + what, cwd=ROOT)
                check(r.returncode == 0, f"promtool {' '.join(what)}: {r.stdout}{r.stderr}")
        else:
            check(os.environ.get("CI") != "true", "CI=true but promtool is missing")
            print("promtool not installed: Prometheus files only parsed")
        if shutil.which("nginx") or os.path.exists("/usr/sbin/nginx"):
            conf = os.path.join(workdir, "nginx.conf")
            local = re.sub(r"server\s+serve-\d+:", "server 127.0.0.1:", nginx)
            local = local.replace("http {", f"http {{\n  client_body_temp_path {workdir}/body;", 1)
            open(conf, "w").write(f"pid {workdir}/nginx.pid;\nerror_log {workdir}/error.log;\n" + local)
            r = run(["/usr/sbin/nginx", "-t", "-q", "-p", workdir, "-e", f"{workdir}/error.log", "-c", conf])
            check(r.returncode == 0, f"nginx -t deploy/nginx.conf: {r.stdout}{r.stderr}")
        else:
            check(os.environ.get("CI") != "true", "CI=true but nginx is missing")

        proc, port = start_serve(hone, workdir, ROOT)
        if proc is not None:
            try:
                labels_of = check_metrics(port, metric_exprs(ROOT, rules.stdout))
                for path in sorted(probes):
                    status, _ = get(port, path)
                    check(status == 200, f"probe {path} answered {status}")
                print(f"{len(probes)} probe paths and {len(labels_of)} metric families checked")
            finally:
                proc.terminate()
                proc.wait(timeout=30)
    if FAILURES:
        print(f"{len(FAILURES)} problem(s) in deploy/")
        return 1
    print("deploy/: every file parses and every reference resolves")
    return 0


if __name__ == "__main__":
    sys.exit(main())
