"""Where a slice's time goes: the engine thread and a worker, profiled, by kind of work.

    python benchmarks/profile_slice.py [--slices 1000] [--top 12]

Runs a fan-out of ``Inc`` over n slices in this process (after a warm-up run) with cProfile on
the engine's thread, counting that thread's CPU time (``time.thread_time``), so waiting on a
worker or on the machine's other jobs is not counted. Then drives one warm worker
(``python -m dflow_nb.local.worker``, profiled the same way) with the same n tasks the engine
sends. Each function's own time is put in one bucket:

* SQLite: statements and commits of the state database;
* file system: mkdir, open, read/write of files, rename, stat;
* IPC: pickling the task and the reply, the pipe to and from the worker;
* Python (engine) / Python (OP runner): the rest, the engine's or the worker's own code.

cProfile adds a cost to every Python call, so Python's share is overstated (by ~2x); the
buckets say where to look, the absolute figures are in overhead.py.
"""
from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import os
import pickle
import pstats
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Dict, List

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]
os.environ.setdefault("BENCH_IMPL", "dflow_nb")

SQLITE = ("sqlite3.", "'execute' of 'sqlite3", "'commit' of", "'fetchone' of", "'fetchall' of")
FILES = ("posix.mkdir", "io.open", "posix.replace", "posix.stat", "posix.open",
         "posix.listdir", "posix.rmdir", "posix.chdir", "posix.dup2", "posix.close",
         "'read' of '_io.TextIOWrapper", "'write' of '_io.TextIOWrapper",
         "'__exit__' of '_io", "posix.scandir", "'flush' of '_io.TextIOWrapper")
IPC = ("_pickle.", "posix.write", "posix.read", "'read' of '_io.BufferedReader",
       "'write' of '_io.BufferedWriter", "'flush' of '_io.BufferedWriter", "select.epoll",
       "'recv' of", "'send' of")


def bucket(name: str, python: str) -> str:
    if any(k in name for k in SQLITE):
        return "SQLite"
    if any(k in name for k in IPC):
        return "IPC"
    if any(k in name for k in FILES):
        return "file system"
    return python


def buckets(stats: pstats.Stats, python: str) -> Dict[str, float]:
    out: Dict[str, float] = {}
    for (file, line, func), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        name = f"{file}:{line}({func})" if file != "~" else func
        key = bucket(name, python)
        out[key] = out.get(key, 0.0) + tottime
    return out


def fan_out(n: int, tag: str) -> None:
    from bench_ops import Inc

    import dflow_nb
    from dflow_nb.python import PythonOPTemplate, Slices
    wf = dflow_nb.Workflow(f"profile-{tag}")
    wf.add(dflow_nb.Step("fan", PythonOPTemplate(Inc, slices=Slices(
        input_parameter=["x"], output_parameter=["y"])), parameters={"x": list(range(n))},
        key="fan-{{item}}"))
    with contextlib.redirect_stdout(io.StringIO()):
        wf.submit()
    assert wf.wait(interval=0.01) == "Succeeded"


def profile_engine(n: int) -> pstats.Stats:
    from dflow_nb.local.runtime import LocalRuntime
    fan_out(4, "warm-up")
    loop = LocalRuntime.get().loop
    prof = cProfile.Profile(time.thread_time)
    ready = threading.Event()
    loop.call_soon_threadsafe(lambda: (prof.enable(), ready.set()))
    ready.wait()
    fan_out(n, "run")
    ready.clear()
    loop.call_soon_threadsafe(lambda: (prof.disable(), ready.set()))
    ready.wait()
    return pstats.Stats(prof)


WORKER = ("import cProfile, runpy, sys, time\n"
          "p = cProfile.Profile(time.thread_time)\n"
          "p.enable()\n"
          "try:\n"
          "    runpy.run_module('dflow_nb.local.worker', run_name='__main__')\n"
          "finally:\n"
          "    p.disable(); p.dump_stats(sys.argv[1])\n")


def profile_worker(n: int, root: Path) -> pstats.Stats:
    """One worker, fed the tasks the engine sends for a fan-out of ``Inc`` (first one
    carries the OP, then its digest)."""
    import cloudpickle
    from bench_ops import Inc

    from dflow_nb.local.worker import HEADER
    from dflow_nb.python.op_runner import OPCall, SliceSpec
    out = root / "worker.prof"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE.parent), str(HERE)]))
    root.mkdir()
    worker = subprocess.Popen([sys.executable, "-c", WORKER, str(out)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, env=env)
    assert worker.stdin is not None and worker.stdout is not None
    blob = cloudpickle.dumps(Inc)
    for i in range(n):
        d = root / f"fan-{i}"
        call = OPCall(step=f"fan({i}:{i})", parameters={"x": f"[{i}]"}, artifacts={},
                      workdir=str(d / "workdir"), outputs=str(d / ".outputs"),
                      slice=SliceSpec(index=0, input_parameter=["x"], output_parameter=["y"],
                                      order=i),
                      key=f"fan-{i}", workflow_name="profile", progress_file=str(d / "progress"))
        task = {"op_key": "inc", "op": blob if i == 0 else None, "call": call,
                "log": str(d / "log.txt"), "dir": str(d), "made": False,
                "inputs": {"x": f"[{i}]"}, "slice": json.dumps({"index": 0, "order": i})}
        data = pickle.dumps(task, protocol=pickle.HIGHEST_PROTOCOL)
        worker.stdin.write(HEADER.pack(len(data)) + data)
        worker.stdin.flush()
        (size,) = HEADER.unpack(worker.stdout.read(HEADER.size))
        reply = pickle.loads(worker.stdout.read(size))
        assert reply["ok"], reply
    worker.stdin.close()
    worker.wait()
    return pstats.Stats(str(out))


def report(title: str, stats: pstats.Stats, python: str, n: int, top: int) -> List[str]:
    parts = buckets(stats, python)
    total = sum(parts.values())
    lines = [f"\n{title}: {total / n * 1e3:.3f} ms CPU per slice (profiled)\n",
             "| bucket | per slice | share |", "|---|---:|---:|"]
    for key, value in sorted(parts.items(), key=lambda kv: -kv[1]):
        lines.append(f"| {key} | {value / n * 1e6:.0f} µs | {value / total:.0%} |")
    lines += ["", f"top {top} functions by own time:", "```"]
    buf = io.StringIO()
    stats.stream = buf  # type: ignore[attr-defined]
    stats.sort_stats("tottime").print_stats(top)
    lines += [ln for ln in buf.getvalue().splitlines() if ln.strip()][-top - 1:]
    lines.append("```")
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--slices", type=int, default=1000)
    ap.add_argument("--top", type=int, default=12)
    args = ap.parse_args()
    import dflow_nb
    root = Path(tempfile.mkdtemp(prefix="profile-slice-"))
    os.chdir(root)
    dflow_nb.config["mode"] = "debug"
    engine = profile_engine(args.slices)
    worker = profile_worker(args.slices, root / "worker")
    out: List[str] = [f"{args.slices} slices of Inc, load average {os.getloadavg()[0]:.1f}"]
    out += report("engine thread", engine, "Python (engine)", args.slices, args.top)
    out += report("one worker", worker, "Python (OP runner)", args.slices, args.top)
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
