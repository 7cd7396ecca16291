#!/usr/bin/env bash
# Rootful podman confined to one directory, for the ContainerExecutor tests: config, image
# storage and run state all live under DIR, so nothing touches the machine's podman.
#   podman.sh env DIR      write DIR/containers.conf and DIR/storage.conf; print the two
#                          variables to export (CONTAINERS_CONF, CONTAINERS_STORAGE_CONF)
#   podman.sh image DIR NAME   build image NAME from a static busybox rootfs (no registry)
#   podman.sh clean DIR    stop containers started with this storage and remove it
# podman has no daemon: nothing keeps running between commands.
set -euo pipefail
cmd=${1:?usage: podman.sh env|image|clean DIR [NAME]}
dir=$(mkdir -p "${2:?DIR}" && cd "$2" && pwd)
export CONTAINERS_CONF="$dir/containers.conf" CONTAINERS_STORAGE_CONF="$dir/storage.conf"
case "$cmd" in
  env)
    mkdir -p "$dir/storage" "$dir/run"
    cat > "$CONTAINERS_CONF" <<CONF
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
netns = "none"
[engine]
runtime = "runc"
tmp_dir = "$dir/run/tmp"
CONF
    cat > "$CONTAINERS_STORAGE_CONF" <<CONF
[storage]
driver = "vfs"
graphroot = "$dir/storage"
runroot = "$dir/run"
CONF
    echo "CONTAINERS_CONF=$CONTAINERS_CONF"
    echo "CONTAINERS_STORAGE_CONF=$CONTAINERS_STORAGE_CONF"
    ;;
  image)
    name=${3:?usage: podman.sh image DIR NAME}
    busybox=$(command -v busybox)
    root="$dir/rootfs"
    rm -rf "$root"
    mkdir -p "$root/bin" "$root/etc" "$root/tmp"
    cp "$busybox" "$root/bin/busybox"
    for c in sh cat echo tr ls kill sleep mkdir cp mv rm wc head test true false env; do
      ln -sf busybox "$root/bin/$c"
    done
    echo "dflow-nb test image" > "$root/etc/dflow-nb-image"
    tar -C "$root" -cf "$dir/rootfs.tar" .
    podman import -q --change "ENV PATH=/bin" "$dir/rootfs.tar" "$name" >/dev/null
    echo "$name"
    ;;
  clean)
    podman ps -q 2>/dev/null | xargs -r podman kill >/dev/null 2>&1 || true
    rm -rf "$dir/storage" "$dir/run" "$dir/rootfs" "$dir/rootfs.tar"
    ;;
  *) echo "usage: podman.sh env|image|clean DIR [NAME]" >&2; exit 2 ;;
esac
