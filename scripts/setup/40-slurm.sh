#!/usr/bin/env bash
# Slurm and munge for the DispatcherExecutor tests (a one-node cluster on 127.0.0.1).
# Idempotent: installs only what is missing. The daemons are started by the test fixtures
# (tests/plugins/conftest.py through scripts/services/slurm.sh), never here.
set -euo pipefail
need=()
for cmd in slurmctld slurmd sbatch munged mungekey; do
  command -v "$cmd" >/dev/null 2>&1 || need+=("$cmd")
done
if [ "${#need[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
fi
