#!/usr/bin/env bash
# podman + runc + a static busybox for the ContainerExecutor tests (images are built locally
# by the test fixtures from a rootfs; no registry is needed). Idempotent.
set -euo pipefail
need=()
command -v podman >/dev/null 2>&1 || need+=(podman)
command -v runc >/dev/null 2>&1 || need+=(runc)
[ -x /bin/busybox ] || command -v busybox >/dev/null 2>&1 || need+=(busybox-static)
if [ "${#need[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends podman runc busybox-static >/dev/null
fi
