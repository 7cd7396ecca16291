"""The same fan-out + reduce on dflow_nb, Dask (LocalCluster) and Parsl, side by side.

    python benchmarks/compare.py [--sizes 1000,10000] [--engines dflow_nb,dask,parsl]
                                 [--rounds N] [--timeout SECONDS] [--json OUT]

The workload is what a user fanning out many small tasks writes in each: ``square(x) = x*x``
over ``range(n)``, then one task that checks the ``n`` results and sums them.

* dflow_nb: ``PythonOPTemplate(square, slices=Slices(...))`` then ``CheckSquares`` on the stacked
  outputs (``workloads.py``'s fan-out), local engine, 2 warm workers; every slice gets a state
  record and a step directory (inputs, outputs, log).
* Dask: ``distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True)``,
  ``client.map(square, range(n))`` then ``client.submit(check, futures, n)``. Nothing is kept.
* Parsl: one ``HighThroughputExecutor`` with ``max_workers_per_node=2`` on a ``LocalProvider``;
  ``square`` and ``check`` are ``python_app``s. Its task records stay in memory.

Each (engine, size, round) is a fresh process; rounds go round-robin over the engines, so a
loaded machine hits them alike; the table gives the median of the rounds. **wall** is the
submit-to-result time of the workload; Dask's and Parsl's cluster start-up is left out of it
(shown as **start**), dflow_nb's worker start-up is in it (its pool starts with the run).
**peak RSS** is the maximum of the summed RSS of the process tree (the child and everything
it started, workers and Parsl's interchange included), sampled every 20 ms.

Dask and Parsl run in ``benchmarks/.venv-compare`` (gitignored), made on first use with the
versions pinned in pyproject.toml's ``bench`` extra; they are never dflow_nb dependencies.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sampled import run_sampled  # noqa: E402

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
VENV = HERE / ".venv-compare"
ENGINES = ("dflow_nb", "dask", "parsl")


# -- the children (one per engine; each writes {"wall": s, "start": s, "total": n}) ------------

def child_dflow_nb(n: int) -> Dict[str, Any]:
    os.environ.setdefault("BENCH_IMPL", "dflow_nb")
    sys.path.insert(0, str(HERE))
    from bench_ops import CheckSquares, square

    import dflow_nb
    from dflow_nb.python import PythonOPTemplate, Slices
    dflow_nb.config["mode"] = "debug"
    wf = dflow_nb.Workflow("compare")
    fan = dflow_nb.Step("fan", PythonOPTemplate(square, slices=Slices(
        "{{item}}", input_parameter=["x"], output_parameter=["y"])),
        parameters={"x": list(range(n))}, key="sq-{{item}}")
    check = dflow_nb.Step("check", PythonOPTemplate(CheckSquares),
                          parameters={"ys": fan.outputs.parameters["y"], "n": n})
    wf.add(fan)
    wf.add(check)
    began = time.perf_counter()
    wf.submit()
    phase = wf.wait(interval=0.01)
    wall = time.perf_counter() - began
    assert phase == "Succeeded", phase
    (step,) = wf.query_step(name="check")
    return {"wall": wall, "start": 0.0,
            "total": int(step.outputs.parameters["total"].value)}


def _square(x: int) -> int:
    return x * x


def _check(ys: List[int], n: int) -> int:
    if list(ys) != [i * i for i in range(n)]:
        raise ValueError("wrong results")
    return sum(ys)


def child_dask(n: int) -> Dict[str, Any]:
    from distributed import Client, LocalCluster
    began = time.perf_counter()
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None)
    client = Client(cluster)
    client.wait_for_workers(2)
    start = time.perf_counter() - began
    began = time.perf_counter()
    futures = client.map(_square, range(n))
    total = client.submit(_check, futures, n).result()
    wall = time.perf_counter() - began
    client.close()
    cluster.close()
    return {"wall": wall, "start": start, "total": total}


def child_parsl(n: int) -> Dict[str, Any]:
    import parsl
    from parsl.app.app import python_app
    from parsl.config import Config
    from parsl.executors import HighThroughputExecutor
    from parsl.providers import LocalProvider

    @python_app
    def square(x: int) -> int:
        return x * x

    @python_app
    def check(n: int, inputs: List[int] = ()) -> int:  # type: ignore[assignment]
        if list(inputs) != [i * i for i in range(n)]:
            raise ValueError("wrong results")
        return sum(inputs)

    began = time.perf_counter()
    run_dir = tempfile.mkdtemp(prefix="parsl-")
    parsl.load(Config(executors=[HighThroughputExecutor(
        label="htex", max_workers_per_node=2,
        provider=LocalProvider(init_blocks=1, min_blocks=1, max_blocks=1))],
        run_dir=run_dir))
    square(0).result()   # the workers are up
    start = time.perf_counter() - began
    began = time.perf_counter()
    futures = [square(i) for i in range(n)]
    total = check(n, inputs=futures).result()
    wall = time.perf_counter() - began
    parsl.dfk().cleanup()
    return {"wall": wall, "start": start, "total": total}


CHILDREN = {"dflow_nb": child_dflow_nb, "dask": child_dask, "parsl": child_parsl}


# -- the runner ------------------------------------------------------------------------------

def bench_pins() -> List[str]:
    """The ``bench`` extra of pyproject.toml (the one place the versions are pinned)."""
    text = (PROJECT / "pyproject.toml").read_text()
    block = re.search(r"^bench = \[(.*?)^\]", text, re.S | re.M)
    if block is None:
        sys.exit("pyproject.toml has no [project.optional-dependencies] bench extra")
    return re.findall(r'"([^"]+)"', block.group(1))


def ensure_venv() -> str:
    """``benchmarks/.venv-compare`` with the bench extra's pins (made once, then reused)."""
    python = VENV / "bin" / "python"
    mark = VENV / ".bench-pins"
    pins = bench_pins()
    if python.exists() and mark.exists() and mark.read_text() == "\n".join(pins):
        return str(python)
    print(f"installing {' '.join(pins)} into {VENV} ...", file=sys.stderr)
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", *pins], check=True)
    mark.write_text("\n".join(pins))
    return str(python)


def run_one(engine: str, n: int, timeout: float, python: str) -> Dict[str, Any]:
    """One run in a fresh process tree, its summed RSS sampled every 20 ms."""
    with tempfile.TemporaryDirectory(prefix=f"compare-{engine}-") as tmp:
        out = Path(tmp) / "result.json"
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(PROJECT), str(HERE)]),
                   BENCH_IMPL="dflow_nb")
        # Parsl starts its interchange and workers as commands of its venv's bin directory.
        env["PATH"] = os.pathsep.join([os.path.dirname(python), env.get("PATH", "")])
        result = run_sampled([python, str(Path(__file__).resolve()), "--child", engine,
                              str(n), str(out)], out, cwd=tmp, env=env, timeout=timeout)
        if "total" not in result:
            return result
        if result["total"] != sum(i * i for i in range(n)):
            return {"error": f"wrong total {result['total']}"}
        return result


def median_of(runs: List[Dict[str, Any]]) -> Dict[str, Any]:
    ok = [r for r in runs if "wall" in r]
    if not ok:
        return runs[0] if runs else {"error": "not run"}
    return {k: statistics.median(r[k] for r in ok) for k in ("wall", "start", "peak_rss")} | \
        {"runs": len(ok)}


def cell(r: Dict[str, Any], n: int) -> str:
    if "timeout" in r:
        return f"> {r['timeout']:.0f} s (timeout) | | |"
    if "error" in r:
        return f"failed: {r['error'].strip().splitlines()[-1][:60]} | | |"
    return (f"{r['wall']:.2f} s ({r['wall'] / n * 1e3:.2f} ms/task) | "
            f"{r['start']:.2f} s | {r['peak_rss'] / 2**20:.0f} MB |")


def table(results: Dict[str, Dict[int, Dict[str, Any]]], sizes: List[int],
          engines: List[str]) -> str:
    head = "| tasks | " + " | ".join(f"{e} wall | {e} start | {e} peak RSS" for e in engines)
    lines = [head + " | faster other's wall / dflow_nb's |",
             "|" + "---:|" * (1 + 3 * len(engines) + 1)]
    for n in sizes:
        row = f"| {n:,} | " + " ".join(cell(results[e][n], n) for e in engines)
        others = [results[e][n]["wall"] for e in engines
                  if e != "dflow_nb" and "wall" in results[e][n]]
        mine = results.get("dflow_nb", {}).get(n, {})
        ratio = f"{min(others) / mine['wall']:.2f}" if others and "wall" in mine else ""
        lines.append(row + f" {ratio} |")
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--json", default=None)
    ap.add_argument("--child", nargs=3, metavar=("ENGINE", "N", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        engine, n, out = args.child
        Path(out).write_text(json.dumps(CHILDREN[engine](int(n))))
        return 0
    sizes = [int(s) for s in args.sizes.split(",")]
    engines = [e for e in args.engines.split(",") if e]
    unknown = set(engines) - set(ENGINES)
    if unknown:
        ap.error(f"unknown engines {sorted(unknown)}; choose from {ENGINES}")
    other = ensure_venv() if set(engines) - {"dflow_nb"} else sys.executable
    runs: Dict[str, Dict[int, List[Dict[str, Any]]]] = {e: {n: [] for n in sizes}
                                                          for e in engines}
    for _ in range(args.rounds):
        for n in sizes:
            for e in engines:
                r = run_one(e, n, args.timeout, sys.executable if e == "dflow_nb" else other)
                runs[e][n].append(r)
                print(f"  {e} n={n}: " + (f"{r['wall']:.2f} s" if "wall" in r else str(r)[:200]),
                      file=sys.stderr)
    results = {e: {n: median_of(runs[e][n]) for n in sizes} for e in engines}
    print(table(results, sizes, engines))
    if args.json:
        Path(args.json).write_text(json.dumps({"runs": runs, "median": {
            e: {str(n): r for n, r in v.items()} for e, v in results.items()}}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
