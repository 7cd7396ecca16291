#!/usr/bin/env bash
# A one-node Slurm cluster on 127.0.0.1 with everything (config, state, sockets, logs, pid
# files) under one directory, for the DispatcherExecutor tests.
#   slurm.sh start DIR   start munged, slurmctld and slurmd; wait until the node is idle;
#                        print the SLURM_CONF to export
#   slurm.sh stop DIR    stop the daemons started in DIR, by their PIDs
# Ports: SLURMCTLD_PORT / SLURMD_PORT (defaults 16817 / 16818).
set -euo pipefail
cmd=${1:?usage: slurm.sh start|stop DIR}
dir=$(mkdir -p "${2:?usage: slurm.sh start|stop DIR}" && cd "$2" && pwd)

stop() {
  for name in slurmd slurmctld munged; do
    pidfile="$dir/$name.pid"
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
  done
}

if [ "$cmd" = stop ]; then
  stop
  exit 0
fi
[ "$cmd" = start ] || { echo "usage: slurm.sh start|stop DIR" >&2; exit 2; }

mkdir -p "$dir/munge" "$dir/state" "$dir/spool" "$dir/log"
chmod 755 "$dir/munge"
[ -f "$dir/munge.key" ] || mungekey --create --keyfile="$dir/munge.key" >/dev/null 2>&1 || \
  dd if=/dev/urandom of="$dir/munge.key" bs=1024 count=1 status=none
chmod 600 "$dir/munge.key"
cpus=${SLURM_NODE_CPUS:-8}
cat > "$dir/slurm.conf" <<CONF
ClusterName=dflownb
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=${SLURMCTLD_PORT:-16817}
SlurmdPort=${SLURMD_PORT:-16818}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket.2
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/log/jobcomp.txt
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
SlurmdParameters=config_overrides
MinJobAge=600
ReturnToService=2
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=4000 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$dir/slurm.conf"

stop  # leftovers of an earlier start in the same directory
munged --force --socket="$dir/munge/munge.socket.2" --key-file="$dir/munge.key" \
  --pid-file="$dir/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munge.seed"
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF" -N localhost
for _ in $(seq 150); do
  state=$(sinfo -h -o %T 2>/dev/null || true)
  if [ "$state" = idle ]; then
    echo "$SLURM_CONF"
    exit 0
  fi
  sleep 0.1
done
echo "slurm did not become idle (state: ${state:-none}); logs in $dir/log" >&2
stop
exit 1
