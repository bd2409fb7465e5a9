#!/usr/bin/env bash
# A throwaway single-node Slurm cluster (Debian 12's slurmctld + slurmd + munge) for hone's
# `slurm` tests, adapted from the infra recipe proven on these machines: configuration, state and
# logs in one folder, free loopback ports, no cgroups or systemd. Needs root.
#
#   scripts/slurm.sh start   # munged (unless one answers), slurmctld, slurmd; waits for the node
#   scripts/slurm.sh env     # print export SLURM_CONF=... (eval it before sbatch/squeue)
#   scripts/slurm.sh stop    # cancel leftover jobs, stop the daemons by PID, remove the folder
#
# Knobs: SLURM_STATE_DIR (default /tmp/hone-slurm-$USER), SLURM_CPUS (default nproc).
# Packages: slurmctld slurmd slurm-client munge (scripts/install-deps.sh installs them).
set -euo pipefail

D=${SLURM_STATE_DIR:-/tmp/hone-slurm-$(id -un)}
CONF=$D/slurm.conf
export SLURM_CONF=$CONF
log() { echo "[slurm.sh] $*" >&2; }
die() { log "error: $*"; exit 1; }

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
alive() {  # running and not a zombie (PID 1 here reaps orphans late)
  local st
  st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [[ $st != Z* ]]
}
wait_for() {  # wait_for SECONDS command...
  local end=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -ge $end ] && return 1
    sleep 0.2
  done
}
kill_pidfile() {
  local f=$1 pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  alive "$pid" || return 0
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 50); do alive "$pid" || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
}
node_idle() { [ "$(sinfo -h -N -o %t 2>/dev/null | head -1)" = idle ]; }

start_munge() {
  if [ ! -s /etc/munge/munge.key ]; then
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
    chown munge:munge /etc/munge/munge.key
    chmod 400 /etc/munge/munge.key
  fi
  install -d -o munge -g munge -m 0755 /run/munge  # systemd-tmpfiles' job, absent here
  if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then return 0; fi
  runuser -u munge -- /usr/sbin/munged
  echo 1 >"$D/started_munge"
  wait_for 10 bash -c 'munge -n | unmunge' || die "munged did not start"
}

do_stop() {
  [ -f "$CONF" ] || return 0
  # slurmd's shutdown leaves running job steps alive: cancel them first.
  local jobs
  jobs=$(squeue -h -o %A 2>/dev/null || true)
  if [ -n "$jobs" ]; then
    # shellcheck disable=SC2086
    scancel $jobs 2>/dev/null || true
    for _ in $(seq 50); do [ -z "$(squeue -h -t R,CG 2>/dev/null)" ] && break; sleep 0.1; done
  fi
  scontrol shutdown >/dev/null 2>&1 || true
  sleep 0.5
  kill_pidfile "$D/slurmd.pid"
  kill_pidfile "$D/slurmctld.pid"
  if [ -f "$D/started_munge" ]; then kill_pidfile /run/munge/munged.pid; fi
  rm -rf "$D"
}

do_start() {
  [ "$(id -u)" -eq 0 ] || die "'start' must run as root (slurmd runs jobs as their user)"
  command -v slurmctld >/dev/null || die "slurmctld not found: install slurmctld slurmd slurm-client munge"
  if [ -f "$D/slurmctld.pid" ] && alive "$(cat "$D/slurmctld.pid")" && scontrol ping >/dev/null 2>&1; then
    return 0
  fi
  do_stop 2>/dev/null || true  # leftovers of a broken run
  mkdir -p "$D/state" "$D/spool"
  local host mem cpus cport sport
  host=$(hostname -s)
  mem=$(free -m | awk '/^Mem:/{print int($2*0.9)}')  # RealMemory above the real one drains the node
  cpus=${SLURM_CPUS:-$(nproc)}
  cport=$(free_port)
  sport=$(free_port)
  while [ "$sport" = "$cport" ]; do sport=$(free_port); done
  cat >"$CONF" <<CONF
ClusterName=hone-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$cport
SlurmdPort=$sport
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
SlurmctldPidFile=$D/slurmctld.pid
SlurmdPidFile=$D/slurmd.pid
SlurmctldLogFile=$D/slurmctld.log
SlurmdLogFile=$D/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0,sched_interval=1
MailProg=/bin/true
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=256
ReturnToService=2
MinJobAge=600
SlurmdTimeout=60
InactiveLimit=0
KillWait=5
Waittime=0
NodeName=$host NodeAddr=127.0.0.1 NodeHostname=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
  start_munge
  /usr/sbin/slurmctld -f "$CONF"
  wait_for 30 scontrol ping || { tail -20 "$D/slurmctld.log" >&2; die "slurmctld did not answer"; }
  /usr/sbin/slurmd -f "$CONF" -N "$host"
  wait_for 60 node_idle || { tail -20 "$D/slurmd.log" >&2; die "the node did not become idle"; }
  log "up: node $host idle, $cpus CPUs (SLURM_CONF=$CONF)"
}

case "${1:-}" in
  start) do_start ;;
  stop) do_stop ;;
  env) echo "export SLURM_CONF=$CONF" ;;
  *) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac
