"""Scale: an N-slice fan-out on the local engine, and how fast it can be queried.

    python benchmarks/scale.py [--slices 10000] [--pydflow] [--timeout 600]
    python benchmarks/scale.py --slices 100000 --workdir DIR                # keep the run
    python benchmarks/scale.py --slices 100000 --workdir DIR --reuse-db --rounds 3 [--cold]

Prints one table. The run's row: wall time and peak RSS of the process tree (engine and
workers, sampled every 20 ms), then the queries in the same process. ``--workdir`` keeps the
run's work directory; ``--reuse-db`` skips the run and queries the run kept there from a fresh
process per round (``--rounds``), after the engine of ``--tree`` (default: this checkout) has
opened the work directory (its schema and indexes); the backend's import is shown apart.
``--cold`` drops the state database's pages from the page cache before each round.

The queries: the first ``query_step(key=...)`` (its first connection), the median of 20 more
keys, ``query_step(name=...)`` of the one reduce step, ``query_step(phase="Failed")`` (none),
``query_status()``, ``query_step(key=[...])`` of 1,000 slices (the records a live view's
refresh reads in the middle of a run), ``query_nodes(since_seq=...)`` of about the last 1,000
changes (what the view's refresh reads at the end of the run, with the groups' records), a
read of every step record, and the first refresh of a live view of the run
(``dflow_nb.notebook.widgets.LiveView``: every record at once).

With ``--pydflow`` the same fan-out runs on pydflow 1.8.134's debug mode (in
benchmarks/.venv-pydflow, made by run.py) under the timeout.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Dict, List, Optional

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from sampled import run_sampled  # noqa: E402

CHILD = textwrap.dedent('''
    import json, os, statistics, sys, time
    impl_name, n, out, workdir, reuse = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], \\
        sys.argv[5] == "1"
    sys.path.insert(0, os.environ["BENCH_DIR"])
    import importlib
    impl = importlib.import_module(impl_name)
    py = importlib.import_module(impl_name + ".python")
    from bench_ops import Inc
    impl.config["mode"] = "debug"
    if impl_name == "dflow_nb":
        impl.config["debug_workdir"] = workdir
    result = {}
    if reuse:
        wf = impl.Workflow(id=open(os.path.join(workdir, "scale-id")).read().strip())
        t = time.perf_counter(); wf.backend; result["open"] = time.perf_counter() - t
    else:
        wf = impl.Workflow("scale")
        wf.add(impl.Step("fan", py.PythonOPTemplate(Inc, slices=py.Slices(
            input_parameter=["x"], output_parameter=["y"])), parameters={"x": list(range(n))},
            key="fan-{{item}}"))
        wf.add(impl.Step("reduce", py.PythonOPTemplate(Inc), parameters={"x": 0}))
        t = time.perf_counter(); wf.submit(); wf.wait(interval=0.01)
        result["wall"] = time.perf_counter() - t
        if impl_name == "dflow_nb":
            open(os.path.join(workdir, "scale-id"), "w").write(wf.id)
    def timed(call):
        t = time.perf_counter(); value = call(); return time.perf_counter() - t, value
    result["query_key"], found = timed(lambda: wf.query_step(key=f"fan-{n // 2}"))
    assert len(found) == 1 and found[0].key == f"fan-{n // 2}", found
    result["query_key_warm"] = statistics.median(
        timed(lambda: wf.query_step(key=f"fan-{i * 4999 % n}"))[0] for i in range(20))
    result["query_name"], found = timed(lambda: wf.query_step(name="reduce"))
    assert len(found) == 1, found
    result["query_phase"], found = timed(lambda: wf.query_step(phase="Failed"))
    assert not found, found
    result["status"], phase = timed(wf.query_status)
    assert phase == "Succeeded", phase
    keys = [f"fan-{i}" for i in range(n // 3, n // 3 + min(1000, n // 2))]
    result["keys_1000"], found = timed(lambda: wf.query_step(key=keys))
    assert len(found) == len(keys), len(found)
    last = max(s.seq for s in wf.query_step(key=f"fan-{n - 1}"))
    result["since_seq"], changed = timed(lambda: wf.query_nodes(since_seq=last - 1000))
    result["all_steps"], steps = timed(wf.query_step)
    result["steps"] = len(steps)
    del steps
    try:
        from dflow_nb.notebook.widgets import LiveView
    except ImportError:   # the notebook extra is not installed
        result["view_first"] = float("nan")
    else:
        result["view_first"] = timed(LiveView(wf).refresh)[0]
    json.dump(result, open(out, "w"))
''')

COLUMNS = ("query_key", "query_key_warm", "query_name", "query_phase", "status", "keys_1000",
           "since_seq", "all_steps", "view_first")


def run(python: str, impl: str, n: int, timeout: float, workdir: Optional[str] = None,
        reuse: bool = False, tree: Path = HERE.parent) -> Dict[str, object]:
    """One run (or, with ``reuse``, the queries alone) in a fresh process tree, sampling its
    summed RSS every 20 ms."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        env = dict(os.environ, BENCH_DIR=str(HERE), BENCH_IMPL=impl,
                   PYTHONPATH=os.pathsep.join([str(tree), os.environ.get("PYTHONPATH", "")]))
        return run_sampled([python, "-c", CHILD, impl, str(n), str(out), workdir or tmp,
                            "1" if reuse else "0"], out, cwd=workdir or tmp, env=env,
                           timeout=timeout)


def evict(workdir: Path) -> None:
    """Drop the state database's pages from the page cache (a cold disk cache, for this file
    only: the machine's other work keeps its cache)."""
    for path in workdir.glob("dflow_nb.db*"):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)   # dirty pages cannot be dropped
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def row(name: str, r: Dict[str, object]) -> str:
    if "timeout" in r:
        return f"| {name} | >{r['timeout']:.0f} s (timeout) |" + " |" * (len(COLUMNS) + 1)
    if "error" in r:
        return f"| {name} | FAILED: {str(r['error']).splitlines()[-1]} |" + " |" * (len(COLUMNS) + 1)
    ms = lambda k: f"{float(r[k]) * 1000:.2f} ms"  # noqa: E731
    wall = f"{float(r['wall']):.1f} s" if "wall" in r else \
        f"(reused; backend import {float(r['open']) * 1000:.1f} ms)"
    rss = f"{int(r['peak_rss']) / 2**20:.0f} MB" if "wall" in r else ""
    return f"| {name} | {wall} | {rss} | " + " | ".join(ms(k) for k in COLUMNS) + " |"


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--slices", type=int, default=10_000)
    parser.add_argument("--workdir", help="keep the run's work directory here")
    parser.add_argument("--reuse-db", action="store_true",
                        help="query the run kept in --workdir instead of running")
    parser.add_argument("--rounds", type=int, default=1, help="query rounds (fresh processes)")
    parser.add_argument("--tree", type=Path, default=HERE.parent,
                        help="the dflow_nb checkout to import (e.g. a worktree of an older commit)")
    parser.add_argument("--cold", action="store_true",
                        help="before each round, drop the state database from the page cache")
    parser.add_argument("--pydflow", action="store_true")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args(argv)
    if args.reuse_db and not args.workdir:
        parser.error("--reuse-db needs --workdir")
    if args.workdir:
        os.makedirs(args.workdir, exist_ok=True)
    print(f"{args.slices}-slice fan-out (targets: query by key <= 20 ms at 100,000 slices, "
          "<= 50 ms at 10,000)\n")
    print("| engine | wall | peak RSS | query_step(key), first | query_step(key), median of 20 "
          "| query_step(name) | query_step(phase) | query_status | query_step(key=[1,000 keys]) "
          "| query_nodes(since_seq), 1,000 changes | all steps | live view's first refresh |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    if args.reuse_db:   # the tree's engine opens the work directory: its schema and indexes
        subprocess.run([sys.executable, "-c", "import pathlib, sys; from dflow_nb.local.state "
                        "import StateStore; StateStore(pathlib.Path(sys.argv[1]))", args.workdir],
                       env=dict(os.environ, PYTHONPATH=str(args.tree)), check=True)
    for i in range(args.rounds):
        reuse = args.reuse_db or i > 0
        if args.cold and args.workdir:
            evict(Path(args.workdir))
        print(row("dflow_nb", run(sys.executable, "dflow_nb", args.slices, args.timeout,
                                  args.workdir, reuse, args.tree)), flush=True)
    if args.pydflow:
        venv = HERE / ".venv-pydflow" / "bin" / "python"
        if not venv.exists():
            print("| pydflow | (run benchmarks/run.py --impl pydflow once to create its venv) |")
        else:
            print(row("pydflow 1.8.134", run(str(venv), "dflow", args.slices, args.timeout)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
