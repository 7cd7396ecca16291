"""What a run of the local engine costs, row by row, for one or more checkouts side by side.

    python benchmarks/overhead.py [--trees PATH[,PATH...]] [--rounds N] [--only ROW[,ROW...]]
                                  [--json OUT]

Rows (each measurement is a fresh process; rounds go round-robin over the trees, so a loaded
machine hits them alike; the table shows the median of the rounds):

* ``import``: ``python -X importtime -c "import dflow_nb"``, dflow_nb's cumulative time;
  every other row also gives the CPU time (user + system) of the engine's process and its
  workers over the same span, which a loaded machine stretches much less than wall time;
* ``cold``: a one-step workflow (``Inc``) in a fresh process, ``submit()`` to result
  (the state database, the engine thread, the two workers' start-up are all in it);
* ``warm``: the same one-step workflow run again in a process that has run one already (a
  notebook kernel's case): the median of 30 runs;
* ``chain``: the marginal cost of one more chained step: (chain of 101 - chain of 1) / 100,
  warm, median of 3;
* ``fan1k``, ``fan10k``, ``fan100k``: ``square`` over n slices, then ``CheckSquares`` on the
  stacked outputs (the reduce); wall of ``submit()`` + ``wait()``, peak RSS of the process tree
  (engine and workers, sampled every 20 ms), and ``query_step(key=...)`` of one slice.

``--trees`` takes checkouts of dflow_nb (e.g. ``git worktree add /tmp/before <commit>``); each
child imports dflow_nb from its tree. The default is this checkout.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sampled import run_sampled  # noqa: E402

HERE = Path(__file__).resolve().parent
ROWS = ("import", "cold", "warm", "chain", "fan1k", "fan10k", "fan100k")
FANS = {"fan1k": 1_000, "fan10k": 10_000, "fan100k": 100_000}


# -- the children --------------------------------------------------------------------------

def _quiet(run: Callable[[], Any]) -> Any:
    with contextlib.redirect_stdout(io.StringIO()):
        return run()


def _one_step(tag: str) -> Any:
    from bench_ops import Inc

    import dflow_nb
    from dflow_nb.python import PythonOPTemplate
    wf = dflow_nb.Workflow(f"one-{tag}")
    wf.add(dflow_nb.Step("inc", PythonOPTemplate(Inc), parameters={"x": 0}))
    return wf


def _chain(n: int) -> Any:
    from bench_ops import Inc

    import dflow_nb
    from dflow_nb.python import PythonOPTemplate
    wf = dflow_nb.Workflow("chain")
    template, previous = PythonOPTemplate(Inc), None
    for i in range(n):
        step = dflow_nb.Step(f"s{i}", template, parameters={
            "x": 0 if previous is None else previous.outputs.parameters["y"]})
        wf.add(step)
        previous = step
    return wf


def _cpu() -> Tuple[float, float]:
    """CPU seconds (user + system) of this process (the engine) and of its children (the
    workers) so far."""
    import psutil
    me = psutil.Process()
    workers = 0.0
    for c in me.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            workers += sum(c.cpu_times()[:2])
    return sum(me.cpu_times()[:2]), workers


CPU: List[float] = []   # CPU of each timed run: a loaded machine stretches wall, much less CPU
WORKERS_CPU: List[float] = []   # the workers' part of it


def _timed(wf: Any) -> float:
    engine, workers = _cpu()
    began = time.perf_counter()
    _quiet(wf.submit)
    phase = wf.wait(interval=0.01)
    took = time.perf_counter() - began
    engine_after, workers_after = _cpu()
    WORKERS_CPU.append(workers_after - workers)
    CPU.append(engine_after - engine + WORKERS_CPU[-1])
    assert phase == "Succeeded", phase
    return took


def child(row: str) -> Dict[str, Any]:
    import dflow_nb
    dflow_nb.config["mode"] = "debug"
    if row == "cold":
        return {"value": _timed(_one_step("cold")), "cpu": CPU[-1]}
    if row == "warm":
        _timed(_one_step("first"))
        CPU.clear()   # CPU time comes in 10 ms ticks: the mean over the runs, not a median
        return {"value": statistics.median(_timed(_one_step(str(i))) for i in range(30)),
                "cpu": sum(CPU) / len(CPU)}
    if row == "chain":
        _timed(_one_step("first"))
        marginal, cpu = [], []
        for _ in range(3):
            marginal.append(-_timed(_chain(1)) + _timed(_chain(101)))
            cpu.append(CPU[-1] - CPU[-2])
        return {"value": statistics.median(marginal) / 100, "cpu": sum(cpu) / len(cpu) / 100}
    n = FANS[row]
    from bench_ops import CheckSquares, square

    from dflow_nb.python import PythonOPTemplate, Slices
    wf = dflow_nb.Workflow("fan")
    fan = dflow_nb.Step("fan", PythonOPTemplate(square, slices=Slices(
        "{{item}}", input_parameter=["x"], output_parameter=["y"])),
        parameters={"x": list(range(n))}, key="sq-{{item}}")
    wf.add(fan)
    wf.add(dflow_nb.Step("check", PythonOPTemplate(CheckSquares),
                         parameters={"ys": fan.outputs.parameters["y"], "n": n}))
    wall = _timed(wf)
    began = time.perf_counter()
    (found,) = wf.query_step(key=f"sq-{n // 2}")
    query = time.perf_counter() - began
    assert found.key == f"sq-{n // 2}" and found.phase == "Succeeded", found
    return {"value": wall, "query_key": query, "cpu": CPU[-1], "workers_cpu": WORKERS_CPU[-1]}


# -- the runner ----------------------------------------------------------------------------

def tree_env(tree: Path) -> Dict[str, str]:
    env = dict(os.environ, BENCH_IMPL="dflow_nb",
               PYTHONPATH=os.pathsep.join([str(tree), str(HERE)]))
    env.pop("VIRTUAL_ENV", None)
    return env


def import_ms(tree: Path) -> Dict[str, Any]:
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", "import dflow_nb"],
                         env=tree_env(tree), capture_output=True, text=True, cwd=tempfile.gettempdir())
    for line in out.stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \| dflow_nb$", line)
        if m:
            return {"value": int(m.group(1)) / 1e6}
    return {"error": out.stderr[-300:]}


def measure(tree: Path, row: str, timeout: float) -> Dict[str, Any]:
    """One measurement of ``row`` with ``tree``'s dflow_nb, in a fresh process tree."""
    if row == "import":
        return import_ms(tree)
    with tempfile.TemporaryDirectory(prefix=f"overhead-{row}-") as tmp:
        out = Path(tmp) / "result.json"
        return run_sampled([sys.executable, str(Path(__file__).resolve()), "--child", row,
                            str(out), str(tree)], out, cwd=tmp, env=tree_env(tree),
                            timeout=timeout)


def fmt(row: str, r: Dict[str, Any]) -> str:
    if "timeout" in r:
        return f">{r['timeout']:.0f} s (timeout)"
    if "error" in r:
        return "failed: " + r["error"].strip().splitlines()[-1][:60]
    v = r["value"]
    if row == "import":
        return f"{v * 1e3:.1f} ms"
    cpu = f"CPU {r['cpu'] * 1e3:.2f} ms" if row != "cold" else f"CPU {r['cpu']:.3f} s"
    if row in ("warm", "chain"):
        return f"{v * 1e3:.2f} ms ({cpu})"
    if row == "cold":
        return f"{v:.3f} s ({cpu})"
    return (f"{v:.2f} s (CPU {r['cpu']:.2f} s, workers {r['workers_cpu']:.2f} s), "
            f"{r['peak_rss'] / 2**20:.0f} MB, key {r['query_key'] * 1e3:.1f} ms")


def reference_ms() -> float:
    """The best of three timings of a plain Python loop: how fast the machine is right now
    (a VM's speed moves with its neighbours; figures taken at different times compare only
    through this)."""
    best = float("inf")
    for _ in range(3):
        began, total = time.perf_counter(), 0
        for i in range(1_000_000):
            total += i
        best = min(best, time.perf_counter() - began)
    return best * 1e3


def median_of(runs: List[Dict[str, Any]]) -> Dict[str, Any]:
    ok = [r for r in runs if "value" in r]
    if not ok:
        return runs[0]
    keys = [k for k in ok[0] if isinstance(ok[0][k], (int, float))]
    return {k: statistics.median(r[k] for r in ok) for k in keys}


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--trees", default=str(HERE.parent))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--only", default="import,cold,warm,chain,fan1k,fan10k")
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--json", default=None)
    ap.add_argument("--child", nargs=3, metavar=("ROW", "OUT", "TREE"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        row, out, tree = args.child
        sys.path[:0] = [tree, str(HERE)]
        import dflow_nb
        assert dflow_nb.__file__ is not None and dflow_nb.__file__.startswith(tree), \
            f"dflow_nb from {dflow_nb.__file__}, not {tree}"
        Path(out).write_text(json.dumps(child(row)))
        return 0
    trees = [Path(t).resolve() for t in args.trees.split(",")]
    rows = [r for r in args.only.split(",") if r]
    unknown = set(rows) - set(ROWS)
    if unknown:
        ap.error(f"unknown rows {sorted(unknown)}; choose from {ROWS}")
    runs: Dict[str, Dict[str, List[Dict[str, Any]]]] = {r: {str(t): [] for t in trees}
                                                        for r in rows}
    for _ in range(args.rounds):
        for row in rows:
            for tree in trees:
                result = measure(tree, row, args.timeout)
                runs[row][str(tree)].append(result)
                print(f"  {row} {tree.name}: {fmt(row, result)}", file=sys.stderr)
    print("| row | " + " | ".join(t.name for t in trees) + " |")
    print("|---|" + "---:|" * len(trees))
    for row in rows:
        print(f"| {row} | " + " | ".join(fmt(row, median_of(runs[row][str(t)]))
                                        for t in trees) + " |")
    print(f"\nmedian of {args.rounds} round(s), trees interleaved; load average at the end: "
          f"{os.getloadavg()[0]:.1f}; this machine's speed now: {reference_ms():.0f} ms for "
          "1,000,000 additions in a Python function (compare runs taken at other times by it)")
    if args.json:
        Path(args.json).write_text(json.dumps(runs, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
