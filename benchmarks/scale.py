"""Scale: a 10,000-slice fan-out on the local engine, and how fast it can be queried.

    python benchmarks/scale.py [--slices 10000] [--pydflow] [--timeout 600]

Prints one table: wall time and peak RSS (the whole process tree: engine and workers) of the
run, then the time of ``query_step(key=...)``, of ``query_status()`` and of a full read of
every step record. With ``--pydflow`` the same fan-out runs on pydflow 1.8.134's debug mode
(in benchmarks/.venv-pydflow, made by run.py) under the timeout.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Dict, Optional

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from sampled import run_sampled  # noqa: E402

CHILD = textwrap.dedent('''
    import json, os, sys, time
    impl_name, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    sys.path.insert(0, os.environ["BENCH_DIR"])
    import importlib
    impl = importlib.import_module(impl_name)
    py = importlib.import_module(impl_name + ".python")
    from bench_ops import Inc
    impl.config["mode"] = "debug"
    wf = impl.Workflow("scale")
    wf.add(impl.Step("fan", py.PythonOPTemplate(Inc, slices=py.Slices(
        input_parameter=["x"], output_parameter=["y"])), parameters={"x": list(range(n))},
        key="fan-{{item}}"))
    t = time.perf_counter(); wf.submit(); wf.wait(interval=0.01)
    result = {"wall": time.perf_counter() - t, "phase": wf.query_status()}
    t = time.perf_counter(); found = wf.query_step(key=f"fan-{n // 2}")
    result["query_key"] = time.perf_counter() - t
    assert len(found) == 1, found
    t = time.perf_counter(); wf.query_status(); result["status"] = time.perf_counter() - t
    t = time.perf_counter(); steps = wf.query_step(); result["all_steps"] = time.perf_counter() - t
    result["steps"] = len(steps)
    json.dump(result, open(out, "w"))
''')


def run(python: str, impl: str, n: int, timeout: float) -> Dict[str, object]:
    """One run in a fresh process tree, sampling its summed RSS every 20 ms."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        env = dict(os.environ, BENCH_DIR=str(HERE), BENCH_IMPL=impl,
                   PYTHONPATH=os.pathsep.join([str(HERE.parent), os.environ.get("PYTHONPATH", "")]))
        return run_sampled([python, "-c", CHILD, impl, str(n), str(out)], out, cwd=tmp,
                           env=env, timeout=timeout)


def row(name: str, r: Dict[str, object]) -> str:
    if "timeout" in r:
        return f"| {name} | >{r['timeout']:.0f} s (timeout) | | | | |"
    if "error" in r:
        return f"| {name} | FAILED: {str(r['error']).splitlines()[-1]} | | | | |"
    ms = lambda k: f"{float(r[k]) * 1000:.1f} ms"  # noqa: E731
    return (f"| {name} | {float(r['wall']):.1f} s | {int(r['peak_rss']) / 2**20:.0f} MB | "
            f"{ms('query_key')} | {ms('status')} | {ms('all_steps')} |")


def main(argv: Optional[list] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--slices", type=int, default=10_000)
    parser.add_argument("--pydflow", action="store_true")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args(argv)
    print(f"{args.slices}-slice fan-out (targets: wall <= 60 s, peak RSS <= 500 MB, "
          "query by key <= 50 ms, full status read <= 500 ms)\n")
    print("| engine | wall | peak RSS | query_step(key) | query_status | all steps |")
    print("|---|---:|---:|---:|---:|---:|")
    print(row("dflow_nb", run(sys.executable, "dflow_nb", args.slices, args.timeout)))
    if args.pydflow:
        venv = HERE / ".venv-pydflow" / "bin" / "python"
        if not venv.exists():
            print("| pydflow | (run benchmarks/run.py --impl pydflow once to create its venv) |")
        else:
            print(row("pydflow 1.8.134", run(str(venv), "dflow", args.slices, args.timeout)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
