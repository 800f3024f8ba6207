#!/usr/bin/env bash
# stop-local-slurm.sh - stop the one-node Slurm cluster of start-local-slurm.sh.
# Stops only the daemons named in its pid files (munged only if the start script
# started it). Idempotent.
#
#   LOCAL_SLURM_DIR          as for start-local-slurm.sh [/var/lib/local-slurm]
#   LOCAL_SLURM_KEEP_JOBS=1  do not cancel running/pending jobs first
#                            (their processes would outlive slurmd)
#   LOCAL_SLURM_PURGE=1      also delete that dir and slurm.conf
set -uo pipefail

DIR=${LOCAL_SLURM_DIR:-/var/lib/local-slurm}
[ "$(id -u)" = 0 ] || { echo "stop-local-slurm: must run as root" >&2; exit 1; }

# running PID: exists and is not a zombie (an exited daemon stays a zombie until
# pid 1 reaps it, which some container inits do only every few seconds)
running() { local st; st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) && [ -n "$st" ] && [ "$st" != Z ]; }
# ours NAME: print the pid from $DIR/run/NAME.pid if that process runs program NAME
ours() {
  local f="$DIR/run/$1.pid" pid
  [ -s "$f" ] || return 1
  pid=$(cat "$f")
  running "$pid" && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$1" ] && echo "$pid"
}

stop() {  # stop NAME: SIGTERM, up to 15 s, then SIGKILL
  local pid
  if pid=$(ours "$1"); then
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 150); do running "$pid" || break; sleep 0.1; done
    if running "$pid"; then
      echo "stop-local-slurm: $1 (pid $pid) still there 15 s after SIGTERM: SIGKILL"
      kill -KILL "$pid" 2>/dev/null; sleep 0.2
    fi
    echo "stop-local-slurm: stopped $1 (pid $pid)"
  elif [ -e "$DIR/run/$1.pid" ]; then
    echo "stop-local-slurm: $1 was not running (stale pid file removed)"
  fi
  rm -f "$DIR/run/$1.pid"
}

# 1. cancel jobs while the controller is up, so no job processes are left behind
if [ "${LOCAL_SLURM_KEEP_JOBS:-0}" != 1 ] && ours slurmctld >/dev/null && ours slurmd >/dev/null; then
  jobs=$(squeue -h -t pending,running,suspended,configuring -o %A 2>/dev/null | tr '\n' ' ')
  if [ -n "${jobs// /}" ]; then
    echo "stop-local-slurm: cancelling jobs $jobs"
    # shellcheck disable=SC2086
    scancel $jobs 2>/dev/null
    for _ in $(seq 150); do   # KillWait is 5 s
      [ -z "$(squeue -h -t running,completing,configuring -o %A 2>/dev/null)" ] && break
      sleep 0.1
    done
  fi
fi

# 2. daemons, in reverse start order
nothing=1
for d in slurmd slurmctld munged; do
  [ -e "$DIR/run/$d.pid" ] && nothing=0
  stop "$d"
done
[ $nothing = 1 ] && echo "stop-local-slurm: nothing to stop (no pid files in $DIR/run)"
if [ ! -e "$DIR/run/munged.pid" ] && munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  echo "stop-local-slurm: a munged not started by start-local-slurm.sh is running: left alone"
fi

if [ "${LOCAL_SLURM_PURGE:-0}" = 1 ]; then
  rm -rf "$DIR" /etc/slurm/slurm.conf /etc/slurm/slurm.conf.bak
  echo "stop-local-slurm: removed $DIR and /etc/slurm/slurm.conf"
fi
exit 0
