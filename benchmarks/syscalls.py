"""What one slice of a fan-out costs in system calls and state commits, for checkouts side by side.

    python benchmarks/syscalls.py [--trees PATH[,PATH...]] [--slices 1000]

Counts do not depend on the machine's load, where times on a shared 2-core machine do (see
BENCHMARKS.md). Each tree runs, in a fresh process under ``strace -f -c`` (Debian's strace),
a warm-up run and then a fan-out of ``square`` over n slices and over 50 slices; the table
shows (count at n - count at 50) / (n - 50) per slice for the calls that touch the file
system or the state database, summed over the engine and its workers, and the state
database's transactions per slice (counted in the process, without strace).
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, List, Optional

HERE = Path(__file__).resolve().parent
CALLS = ("mkdir", "openat", "newfstatat", "lseek", "ioctl", "rename", "getdents64", "pwrite64",
         "fdatasync", "fcntl", "read", "write", "close", "chdir", "dup2")


def child(n: int, workdir: str, count_tx: bool) -> Dict[str, int]:
    """One fan-out of ``n`` slices after a warm-up; the state's transactions if asked."""
    from bench_ops import square

    import dflow_nb
    from dflow_nb.local import state
    from dflow_nb.python import PythonOPTemplate, Slices
    tx = [0]
    if count_tx:
        write = state.StateStore._tx

        def counted(self: state.StateStore, statements: object) -> None:
            tx[0] += 1
            write(self, statements)   # type: ignore[arg-type]
        state.StateStore._tx = counted   # type: ignore[method-assign]
    dflow_nb.config["mode"] = "debug"
    dflow_nb.config["debug_workdir"] = workdir
    for size, tag in ((4, "warm-up"), (n, "run")):
        wf = dflow_nb.Workflow(tag)
        wf.add(dflow_nb.Step("sq", PythonOPTemplate(square, slices=Slices(
            input_parameter=["x"], output_parameter=["y"])), parameters={"x": list(range(size))},
            key="sq-{{item}}"))
        before = tx[0]
        with contextlib.redirect_stdout(io.StringIO()):
            wf.submit()
        assert wf.wait(interval=0.01) == "Succeeded"
    return {"transactions": tx[0] - before}


def strace_counts(tree: Path, n: int) -> Dict[str, int]:
    """System calls of a whole child process tree (``strace -f -c``), by name."""
    with tempfile.TemporaryDirectory(prefix="syscalls-") as tmp:
        summary = Path(tmp) / "summary"
        env = dict(os.environ, BENCH_IMPL="dflow_nb",
                   PYTHONPATH=os.pathsep.join([str(tree), str(HERE)]))
        subprocess.run(["strace", "-f", "-c", "-o", str(summary), sys.executable,
                        str(Path(__file__).resolve()), "--child", str(n), str(Path(tmp) / "w"),
                        "0"], env=env, check=True, capture_output=True, cwd=tmp)
        counts = {}
        for line in summary.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 5 and parts[-1] in CALLS and parts[3].isdigit():
                counts[parts[-1]] = int(parts[3])
        return counts


def transactions(tree: Path, n: int) -> int:
    with tempfile.TemporaryDirectory(prefix="syscalls-") as tmp:
        env = dict(os.environ, BENCH_IMPL="dflow_nb",
                   PYTHONPATH=os.pathsep.join([str(tree), str(HERE)]))
        out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", str(n),
                              str(Path(tmp) / "w"), "1"], env=env, check=True,
                             capture_output=True, text=True, cwd=tmp).stdout
        return int(json.loads(out.strip().splitlines()[-1])["transactions"])


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--trees", default=str(HERE.parent))
    ap.add_argument("--slices", type=int, default=1000)
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        n, workdir, count_tx = args.child
        sys.path[:0] = [str(HERE)]
        print(json.dumps(child(int(n), workdir, count_tx == "1")))
        return 0
    trees = [Path(t).resolve() for t in args.trees.split(",")]
    n = args.slices
    table: Dict[str, Dict[str, float]] = {}
    for tree in trees:
        big, small = strace_counts(tree, n), strace_counts(tree, 50)
        table[str(tree)] = {c: (big.get(c, 0) - small.get(c, 0)) / (n - 50) for c in CALLS}
        table[str(tree)]["transactions"] = (transactions(tree, n) - transactions(tree, 50)) \
            / (n - 50)
    print("| per slice | " + " | ".join(t.name for t in trees) + " |")
    print("|---|" + "---:|" * len(trees))
    for key in CALLS + ("transactions",):
        print(f"| {key} | " + " | ".join(f"{table[str(t)][key]:.2f}" for t in trees) + " |")
    print(f"\n{n} and 50 slices of `square`, engine and workers (strace -f -c); state "
          "transactions counted in the engine's process")
    return 0


if __name__ == "__main__":
    sys.exit(main())
