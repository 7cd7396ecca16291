"""What a folder per step costs this machine's file system, with no engine at all.

    python benchmarks/step_folders.py [DIR] [--slices 30000] [--every 5000]

Makes, in a new folder under DIR (default: the temporary directory), what the local engine
makes for each slice of a fan-out of a one-input, one-output Python OP: the step's folder with
``inputs/parameters``, ``workdir`` and ``.outputs/parameters`` (six mkdir), the input, the
slice's ``slice.json``, the log and the output (four files), and the rename of ``.outputs`` to
``outputs``; one process, one slice after another. Prints the CPU time and wall time per slice
for each batch of ``--every`` slices: the floor under a fan-out's per-slice cost on that disk
(compare a RAM disk such as /dev/shm with the disk the runs live on).
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time

FILES = ("inputs/parameters/x", "slice.json", "log.txt", ".outputs/parameters/y")
DIRS = ("", "/inputs", "/inputs/parameters", "/workdir", "/.outputs", "/.outputs/parameters")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir", nargs="?", default=None)
    ap.add_argument("--slices", type=int, default=30000)
    ap.add_argument("--every", type=int, default=5000)
    args = ap.parse_args()
    base = tempfile.mkdtemp(prefix="step-folders-", dir=args.dir)
    print(f"| slices | CPU per slice | wall per slice |   ({base})")
    print("|---:|---:|---:|")
    cpu, wall = time.process_time(), time.perf_counter()
    for i in range(args.slices):
        step = f"{base}/sq-{i}"
        for d in DIRS:
            os.mkdir(step + d)
        for name in FILES:
            fd = os.open(f"{step}/{name}", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
            os.write(fd, b"1")
            os.close(fd)
        os.rename(f"{step}/.outputs", f"{step}/outputs")
        if (i + 1) % args.every == 0:
            now_cpu, now_wall = time.process_time(), time.perf_counter()
            print(f"| {i + 1 - args.every:,}–{i + 1:,} | {(now_cpu - cpu) / args.every * 1e6:.0f} µs "
                  f"| {(now_wall - wall) / args.every * 1e6:.0f} µs |")
            cpu, wall = now_cpu, now_wall
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
