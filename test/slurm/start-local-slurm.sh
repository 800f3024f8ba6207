#!/usr/bin/env bash
# start-local-slurm.sh - start a real single-node Slurm cluster from Debian's
# packages, as root, without systemd, for jobtree's Slurm tests and bench
# (sbatch, squeue, scancel for real). Adapted from the recipe in
# ../shared/slurm: no accounting (jobtree reads job states with squeue), and
# the node declares its TmpDisk, since jobtree maps a job's disk to --tmp.
#
# Idempotent: installs packages only if missing, rewrites the config only if it
# changed (then restarts the daemons it started), leaves healthy daemons alone.
# Stop with stop-local-slurm.sh, which stops only what this script started.
#
# Settings (environment, all optional):
#   LOCAL_SLURM_OVERSUBSCRIBE  jobs allowed per core [8]; 1 = one job per core.
#                              Batch jobs are started on a ~1 s scheduler tick, so
#                              the number of job slots bounds throughput.
#   LOCAL_SLURM_DIR            state, spool, logs, pid files [/var/lib/local-slurm]
#   LOCAL_SLURM_TIMEOUT        seconds to wait for the node to be idle [90]
#   LOCAL_SLURM_NODE           node name [$(hostname -s)]
#   LOCAL_SLURM_CLEAN=1        forget all earlier jobs (slurmctld -c)
#   LOCAL_SLURM_NO_APT=1       never call apt-get (fail if packages are missing)
# The config goes to /etc/slurm/slurm.conf, where every Slurm command looks by
# default, so clients need no SLURM_CONF.
set -euo pipefail

DIR=${LOCAL_SLURM_DIR:-/var/lib/local-slurm}
TIMEOUT=${LOCAL_SLURM_TIMEOUT:-90}
NODE=${LOCAL_SLURM_NODE:-$(hostname -s 2>/dev/null || true)}
NODE=${NODE:-localhost}
OVERSUB=${LOCAL_SLURM_OVERSUBSCRIBE:-8}
CONF=/etc/slurm/slurm.conf
PARTITION=debug
TMPFS=/tmp
T0=$EPOCHREALTIME

log() { awk -v a="$T0" -v b="$EPOCHREALTIME" -v m="$*" 'BEGIN{printf "[local-slurm %5.1fs] %s\n", b-a, m}'; }
die() {
  echo "start-local-slurm: ERROR: $*" >&2
  local f
  for f in "$DIR/log/slurmctld.log" "$DIR/log/slurmd.log" /var/log/munge/munged.log; do
    [ -s "$f" ] && { echo "---- last lines of $f" >&2; tail -n 12 "$f" >&2; }
  done
  exit 1
}
# running PID: exists and is not a zombie (an exited daemon stays a zombie until
# pid 1 reaps it, which some container inits do only every few seconds)
running() { local st; st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) && [ -n "$st" ] && [ "$st" != Z ]; }
# alive NAME: $DIR/run/NAME.pid names a running process whose program is NAME
alive() {
  local f="$DIR/run/$1.pid"
  [ -s "$f" ] && running "$(cat "$f")" && [ "$(cat "/proc/$(cat "$f")/comm" 2>/dev/null)" = "$1" ]
}
stop_ours() {  # stop_ours NAME... : SIGTERM by our pid file, wait up to 15 s, then SIGKILL
  local n pid
  for n in "$@"; do
    alive "$n" || { rm -f "$DIR/run/$n.pid"; continue; }
    pid=$(cat "$DIR/run/$n.pid"); kill "$pid" 2>/dev/null || true
    for _ in $(seq 150); do running "$pid" || break; sleep 0.1; done
    running "$pid" && kill -9 "$pid" 2>/dev/null
    rm -f "$DIR/run/$n.pid"
  done
}
wait_for() {  # wait_for SECONDS CMD... : poll every 0.1 s until CMD succeeds
  local n=$(( $1 * 10 )); shift
  for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}

[ "$(id -u)" = 0 ] || die "must run as root (slurmd must run as root)"

# ------------------------------------------------------------- 1. packages
pkgs=(slurmctld slurmd slurm-client munge)
cmds=(/usr/sbin/slurmctld /usr/sbin/slurmd /usr/bin/sbatch /usr/sbin/munged)
missing=0
for c in "${cmds[@]}"; do [ -x "$c" ] || missing=1; done
if [ $missing = 1 ]; then
  [ "${LOCAL_SLURM_NO_APT:-0}" = 1 ] && die "packages missing (${pkgs[*]}) and LOCAL_SLURM_NO_APT=1"
  log "installing ${pkgs[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  # No systemd here: keep the packages' init scripts from starting daemons with
  # their default config during the install (only if no policy exists yet).
  made_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d; made_policy=1
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  aptlog=$(mktemp /tmp/local-slurm-apt.XXXXXX.log)
  APT=(apt-get -y -q -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3)
  ok=1
  if ! "${APT[@]}" install --no-install-recommends "${pkgs[@]}" >"$aptlog" 2>&1; then
    # package lists missing or stale: update once and retry
    "${APT[@]}" update >>"$aptlog" 2>&1 || true
    "${APT[@]}" install --no-install-recommends "${pkgs[@]}" >>"$aptlog" 2>&1 || ok=0
  fi
  [ $made_policy = 1 ] && { rm -f /usr/sbin/policy-rc.d; trap - EXIT; }
  [ $ok = 1 ] || { tail -n 20 "$aptlog" >&2; die "apt-get install failed (full log: $aptlog)"; }
  rm -f "$aptlog"
  log "packages installed"
fi

mkdir -p "$DIR"/{state,spool,log,run} /etc/slurm
chmod 755 "$DIR" "$DIR"/{state,spool,log,run}

# ------------------------------------------------------------- 2. config
# Take the hardware from slurmd itself, so the node never registers with less
# than configured (that would drain it: "Low RealMemory" etc.).
hw=$(/usr/sbin/slurmd -C 2>/dev/null | head -n1 || true)
field() { sed -n "s/.*\b$1=\([0-9]*\).*/\1/p" <<<"$hw"; }
CPUS=$(field CPUs); SOCK=$(field SocketsPerBoard); CORES=$(field CoresPerSocket)
THREADS=$(field ThreadsPerCore); MEM=$(field RealMemory)
if [ -z "$CPUS" ] || [ -z "$MEM" ] || [ -z "$CORES" ]; then
  CPUS=$(nproc); SOCK=1; CORES=$CPUS; THREADS=1
  MEM=$(( $(awk '/MemTotal/{print $2}' /proc/meminfo) / 1024 ))
fi
# slurmd measures TmpFS itself; declaring more than it finds would drain the
# node like RealMemory does, so declare a little less.
TMPDISK=$(( $(df -Pm "$TMPFS" | awk 'NR==2{print $2}') * 99 / 100 ))
# Memory for jobs that do not ask (without it a job gets the whole node's memory
# and jobs run one at a time).
DEFMEM=$(( MEM / CPUS / 4 )); [ "$DEFMEM" -gt 1024 ] && DEFMEM=1024
PART_OVERSUB=OverSubscribe=NO
[ "$OVERSUB" -gt 1 ] 2>/dev/null && PART_OVERSUB=OverSubscribe=FORCE:$OVERSUB

new_conf=$(cat <<EOF
# Written by jobtree's test/slurm/start-local-slurm.sh: one-node test cluster, no systemd, no cgroups.
ClusterName=localci
SlurmctldHost=$NODE(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=$DEFMEM
# Refuse at submit what can never run (too many CPUs/nodes) instead of pending forever.
EnforcePartLimits=ALL
SchedulerType=sched/backfill
# batch_sched_delay=0: start batch jobs on the next ~1 s scheduler tick (default
# waits up to 3 s); short full-queue and backfill intervals.
SchedulerParameters=batch_sched_delay=0,sched_interval=5,bf_interval=5
PriorityType=priority/basic
ReturnToService=2
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
TmpFS=$TMPFS
# Finished jobs stay in slurmctld for a day (squeue -t all shows them), and
# each one is appended as one line to the jobcomp file.
MinJobAge=86400
MaxJobCount=100000
JobCompType=jobcomp/filetxt
JobCompLoc=$DIR/log/jobcomp.log
AccountingStorageType=accounting_storage/none
# Samples job memory every second and kills a job that uses more than its
# --mem, since there are no cgroups to enforce it.
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=task=1
JobAcctGatherParams=OverMemoryKill
# Quick reactions for a test cluster.
KillWait=5
CompleteWait=0
InactiveLimit=0
SlurmdTimeout=60
MessageTimeout=10
NodeName=$NODE NodeHostname=$NODE NodeAddr=127.0.0.1 CPUs=$CPUS SocketsPerBoard=$SOCK CoresPerSocket=$CORES ThreadsPerCore=$THREADS RealMemory=$MEM TmpDisk=$TMPDISK State=UNKNOWN
PartitionName=$PARTITION Nodes=ALL Default=YES MaxTime=INFINITE State=UP $PART_OVERSUB
EOF
)
if [ ! -f "$CONF" ] || [ "$(cat "$CONF")" != "$new_conf" ]; then
  [ -f "$CONF" ] && cp "$CONF" "$CONF.bak"
  printf '%s\n' "$new_conf" >"$CONF"
  log "wrote $CONF (node $NODE: $CPUS CPUs, $MEM MiB, $TMPDISK MiB of $TMPFS, $PART_OVERSUB)"
  if alive slurmctld || alive slurmd; then
    log "config changed: restarting the slurm daemons started earlier"
    stop_ours slurmd slurmctld
  fi
fi

# ------------------------------------------------------------- 3. munge
munge_ok() { munge -n 2>/dev/null | unmunge >/dev/null 2>&1; }
if munge_ok; then
  if alive munged; then log "munged already running (pid $(cat "$DIR/run/munged.pid"))"
  else rm -f "$DIR/run/munged.pid"; log "munged already running (not ours: left alone)"; fi
else
  if [ ! -s /etc/munge/munge.key ]; then
    mkdir -p /etc/munge
    mungekey --create --keyfile=/etc/munge/munge.key 2>/dev/null ||
      dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  fi
  chown -R munge:munge /etc/munge /var/lib/munge /var/log/munge
  chmod 700 /etc/munge; chmod 400 /etc/munge/munge.key
  install -d -o munge -g munge -m 755 /run/munge
  rm -f /run/munge/munged.pid
  runuser -u munge -- /usr/sbin/munged --force || die "munged failed to start"
  wait_for 5 test -s /run/munge/munged.pid || die "munged wrote no pid file"
  cp /run/munge/munged.pid "$DIR/run/munged.pid"   # marks it as ours for the stop script
  wait_for 5 munge_ok || die "munged started but does not answer"
  log "munged started (pid $(cat "$DIR/run/munged.pid"))"
fi

# ------------------------------------------------------------- 4. slurmctld
ctld_ok() { scontrol ping | grep -q UP; }
if alive slurmctld && ctld_ok 2>/dev/null; then
  log "slurmctld already running (pid $(cat "$DIR/run/slurmctld.pid"))"
else
  stop_ours slurmctld   # a hung one
  flags=(-i)
  [ "${LOCAL_SLURM_CLEAN:-0}" = 1 ] && flags+=(-c)
  /usr/sbin/slurmctld "${flags[@]}" || die "slurmctld failed to start"
  wait_for 15 ctld_ok || die "slurmctld does not answer scontrol ping"
  log "slurmctld started (pid $(cat "$DIR/run/slurmctld.pid"))"
fi

# ------------------------------------------------------------- 5. slurmd
if alive slurmd; then
  log "slurmd already running (pid $(cat "$DIR/run/slurmd.pid"))"
else
  rm -f "$DIR/run/slurmd.pid"
  /usr/sbin/slurmd -N "$NODE" || die "slurmd failed to start"
  wait_for 5 alive slurmd || die "slurmd exited right after start"
  log "slurmd started (pid $(cat "$DIR/run/slurmd.pid"))"
fi

# ------------------------------------------------------------- 6. wait for the node
deadline=$(( $(date +%s) + TIMEOUT )); resumed=0
while :; do
  st=$(sinfo -h -N -n "$NODE" -o '%T' 2>/dev/null | head -n1 || true)
  case "$st" in
    idle|mixed|allocated|completing) break ;;
    drain*|down*|fail*|inval*)   # left over from an earlier run or an unclean stop
      [ $resumed = 0 ] && { scontrol update NodeName="$NODE" State=RESUME >/dev/null 2>&1 || true; resumed=1; } ;;
  esac
  if [ "$(date +%s)" -ge "$deadline" ]; then
    scontrol show node "$NODE" >&2 2>/dev/null || true
    die "node $NODE not idle after ${TIMEOUT}s (state: '${st:-no answer}')"
  fi
  sleep 0.2
done
log "node $NODE is $st: local Slurm cluster ready ($CPUS CPUs, $MEM MiB, partition '$PARTITION'; stop: test/slurm/stop-local-slurm.sh)"
