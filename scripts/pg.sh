#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for hone's tests (the `postgres` ctest label), on a free
# loopback port, with all its state in one folder. Adapted from the infra recipe proven on
# Debian 12 (initdb refuses root, so the server runs as the `postgres` OS user; start/stop
# therefore need root).
#
#   scripts/pg.sh start   # initdb, start, create role + database, health check (twice: no-op)
#   scripts/pg.sh env     # print the URL: postgresql://hone:...@127.0.0.1:PORT/hone
#   scripts/pg.sh check   # health check: pg_isready + SELECT 1 through the URL
#   scripts/pg.sh stop    # pg_ctl stop -m fast, then remove the state folder
#
# Knobs: PG_STATE_DIR (default /tmp/hone-pg-$USER; scripts/test.sh uses one per run),
#        PG_PORT (default: a free port), PG_DB / PG_USER / PG_PASSWORD (hone / hone / hone-test),
#        PG_KEEP=1 keeps the folder on stop (to read postgres.log).
# Packages: postgresql-15 postgresql-client-15 (scripts/install-deps.sh installs them).
set -euo pipefail

PG_STATE_DIR=${PG_STATE_DIR:-/tmp/hone-pg-$(id -un)}
PG_DB=${PG_DB:-hone}
PG_USER=${PG_USER:-hone}
PG_PASSWORD=${PG_PASSWORD:-hone-test}
PGBIN=/usr/lib/postgresql/15/bin
DATA=$PG_STATE_DIR/data
SOCK=$PG_STATE_DIR/sock
LOG=$PG_STATE_DIR/postgres.log

log() { echo "[pg.sh] $*" >&2; }
die() { log "error: $*"; exit 1; }

require_root() {
  [ "$(id -u)" -eq 0 ] || die "'$1' must run as root: the server runs as the 'postgres' OS user" \
    "(initdb refuses root) and only root can switch to it; try: sudo $0 $1"
  [ -x "$PGBIN/initdb" ] || die "$PGBIN/initdb not found: install postgresql-15" \
    "(bash scripts/install-deps.sh)"
  id postgres >/dev/null 2>&1 || die "no 'postgres' OS user: install postgresql-15"
}

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

as_pg() { runuser -u postgres -- "$@"; }

port() {
  [ -f "$PG_STATE_DIR/port" ] || die "no server under $PG_STATE_DIR: run '$0 start' first"
  cat "$PG_STATE_DIR/port"
}

url() {
  local p
  p=$(port)  # a plain assignment, so a missing server stops the script (set -e)
  echo "postgresql://$PG_USER:$PG_PASSWORD@127.0.0.1:$p/$PG_DB"
}

# Explicit returns: callers use it in conditions, where `set -e` does not stop a function.
do_check() {
  local p u
  p=$(port) || return 1
  u=$(url) || return 1
  "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$p" -t 10 || return 1
  [ "$(psql "$u" -XAtqc 'select 1')" = 1 ]
}

do_start() {
  require_root start
  if [ -f "$PG_STATE_DIR/port" ] && do_check 2>/dev/null; then
    log "already running: $(url | sed 's/:[^:@]*@/:***@/')"
    return 0
  fi
  [ -d "$DATA" ] && PG_KEEP='' do_stop 2>/dev/null  # the leftovers of a crashed run
  rm -rf "$PG_STATE_DIR"
  mkdir -p "$PG_STATE_DIR" "$SOCK"
  # The postgres user must reach the data folder: a root-owned 0700 folder would stop initdb.
  chown -R postgres:postgres "$PG_STATE_DIR"
  chmod 700 "$PG_STATE_DIR"
  local port=${PG_PORT:-$(free_port)}
  echo "$port" >"$PG_STATE_DIR/port"
  # Superuser 'postgres' by peer auth on the private socket only; TCP needs a password.
  as_pg "$PGBIN/initdb" -D "$DATA" -U postgres -E UTF8 --locale=C.UTF-8 \
    --auth-local=peer --auth-host=scram-sha-256 -N >"$PG_STATE_DIR/initdb.log" 2>&1 \
    || { cat "$PG_STATE_DIR/initdb.log" >&2; die "initdb failed"; }
  cat >>"$DATA/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$SOCK'
fsync = off                 # a throwaway test cluster: speed over durability
synchronous_commit = off
full_page_writes = off
max_connections = 200       # the concurrency tests open one connection per process
EOF
  as_pg "$PGBIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start >/dev/null \
    || { cat "$LOG" >&2; die "the server did not start"; }
  # The test role may create schemas in its database: each test gets a schema of its own.
  as_pg psql -X -q -h "$SOCK" -p "$port" -d postgres -v ON_ERROR_STOP=1 <<EOF
CREATE ROLE "$PG_USER" LOGIN PASSWORD '$PG_PASSWORD';
CREATE DATABASE "$PG_DB" OWNER "$PG_USER";
EOF
  do_check || die "the server started but does not answer through $(url)"
  log "up on 127.0.0.1:$port, state in $PG_STATE_DIR"
}

do_stop() {
  require_root stop
  if [ -d "$DATA" ]; then
    as_pg "$PGBIN/pg_ctl" -D "$DATA" -m fast -w -t 60 stop >/dev/null 2>&1 || true
  fi
  [ -n "${PG_KEEP:-}" ] || rm -rf "$PG_STATE_DIR"
  log "stopped"
}

case "${1:-}" in
  start) do_start ;;
  stop) do_stop ;;
  env | url) url ;;
  check) do_check && echo ok ;;
  *) echo "usage: $0 start|stop|env|check" >&2; exit 2 ;;
esac
