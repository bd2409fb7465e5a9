#!/usr/bin/env bash
# A private Docker engine for hone's image test (Debian 12's docker.io), adapted from the infra
# recipe proven here: its data, exec root and socket in one folder, and no bridge, NAT or
# iptables changes (containers use --network host or none). Needs root.
#
#   scripts/docker.sh start   # start dockerd (twice: no-op); fails with the reason if it cannot
#   scripts/docker.sh env     # print export DOCKER_HOST=unix://.../docker.sock
#   scripts/docker.sh stop    # end dockerd by its PID, unmount what it left, remove the folder
#
# Knobs: DOCKER_STATE_DIR (default /tmp/hone-docker-$USER).
set -euo pipefail

D=${DOCKER_STATE_DIR:-/tmp/hone-docker-$(id -un)}
export DOCKER_HOST=unix://$D/docker.sock
log() { echo "[docker.sh] $*" >&2; }
alive() { local st; st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1; [[ $st != Z* ]]; }

do_stop() {
  local f pid
  for f in "$D/dockerd.pid" "$D/dockerd.launch.pid"; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    alive "$pid" || continue
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 150); do alive "$pid" || break; sleep 0.1; done
    if alive "$pid"; then kill -9 "$pid" 2>/dev/null || true; fi
  done
  # dockerd leaves an nsfs bind mount (exec/netns/default) and maybe overlay mounts behind.
  if [ -d "$D" ]; then
    grep " $D/" /proc/mounts | awk '{print $2}' | sort -r | while read -r m; do
      umount -l "$m" 2>/dev/null || true
    done
    rm -rf "$D"
  fi
}

do_start() {
  [ "$(id -u)" -eq 0 ] || { log "dockerd needs root"; exit 1; }
  command -v dockerd >/dev/null || { log "dockerd not found: install docker.io"; exit 1; }
  if [ -f "$D/dockerd.pid" ] && alive "$(cat "$D/dockerd.pid")"; then return 0; fi
  do_stop
  mkdir -p "$D"
  setsid /usr/sbin/dockerd --data-root "$D/root" --exec-root "$D/exec" -H "$DOCKER_HOST" \
    --pidfile "$D/dockerd.pid" --bridge=none --iptables=false --ip6tables=false \
    --ip-forward=false --ip-masq=false --log-level=warn >"$D/dockerd.log" 2>&1 </dev/null &
  echo $! >"$D/dockerd.launch.pid"
  local end=$((SECONDS + 60))
  until docker version >/dev/null 2>&1; do
    if [ $SECONDS -ge $end ] || ! alive "$(cat "$D/dockerd.launch.pid")"; then
      log "dockerd did not start:"
      tail -n 20 "$D/dockerd.log" >&2
      do_stop
      exit 1
    fi
    sleep 0.1
  done
}

case "${1:-}" in
  start) do_start ;;
  stop) do_stop ;;
  env) echo "export DOCKER_HOST=$DOCKER_HOST" ;;
  *) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac
