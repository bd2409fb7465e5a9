#!/usr/bin/env bash
# Installs everything hone needs to build, test and benchmark on Debian 12.
# Idempotent: packages already present are left alone. Run as root (or via sudo).
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config git clang-format
  clang libclang-rt-14-dev   # libFuzzer and the sanitizer runtimes for scripts/fuzz.sh
  # libraries hone links against
  libxgboost-dev       # gradient boosting and linear trainers (XGBoost C API)
  libexpected-dev      # tl::expected: Result<T>
  nlohmann-json3-dev   # JSON for bundles, --json output, fixtures
  libcli11-dev         # command-line parsing
  libfast-float-dev    # number parsing in the CSV reader
  libssl-dev           # SHA-256 (OpenSSL EVP)
  libsqlite3-dev       # the embedded store
  libyaml-cpp-dev      # hone.yaml pipeline specs
  libpqxx-dev          # the PostgreSQL store (libpqxx 6.4, with libpq-dev)
  libboost-dev         # Boost.Beast / Asio: the HTTP server of hone serve
  libsimdjson-dev      # JSON request bodies on the serving path
  # a throwaway PostgreSQL server for the `postgres` tests (scripts/pg.sh)
  postgresql-15 postgresql-client-15
  # tests and benchmarks
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  # reference implementations for metric fixtures and the peer benchmark
  python3 python3-numpy python3-pandas python3-sklearn
  python3-xgboost      # the example `command:` training stage and its tests
  prometheus           # promtool checks the /metrics output of hone serve
  wrk                  # HTTP load for the serving benchmark and the hot-swap test
  slurmctld slurmd slurm-client munge  # a single-node Slurm cluster for the `slurm` tests
  nginx                # the load balancer in front of serve replicas (scale-out test, bench)
  docker.io            # builds and runs the hone image (deploy/, tests/deploy/image_test.sh)
  curl python3-yaml    # the deploy checks
  python3-requests     # the MLflow client test (tests/e2e/mlflow_client_test.py)
  gunicorn python3-flask python3-fastapi python3-uvicorn  # the serving benchmark's peers
  python3-sqlalchemy python3-psycopg2  # the MLflow tracking-server stand-in (bench/mlflow_peer)
)

# the web dashboard (web/, scripts/ui-test.sh): Node.js and npm (skipped where a NodeSource nodejs
# already bundles npm) and the browsers playwright-core drives: Debian's Chromium and Firefox ESR
packages+=(nodejs chromium firefox-esr); command -v npm >/dev/null || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
apt_install() {
  $SUDO apt-get -y -o DPkg::Lock::Timeout=600 install --no-install-recommends "${missing[@]}"
}
echo "install-deps: installing ${missing[*]}"
if ! apt_install; then
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update
  apt_install
fi
