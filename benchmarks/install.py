"""Time what installing dflow_nb costs on a fresh machine: README command 1's install
(``python3 -m venv .venv && .venv/bin/pip install -e .``), the same with the JupyterLab
extension built (``DFLOW_NB_BUILD_LABEXTENSION=1``), and a wheel built from a clean clone
(``pip wheel --no-deps .``, which always builds the extension). Each run starts from a fresh
``git clone`` of HEAD and a fresh venv; pip downloads what it needs (nothing is cached here).

    python benchmarks/install.py [--runs N] [--only editable,editable-lab,wheel] [--ref REF]

``--ref`` clones another commit (e.g. one from before a packaging change, to compare).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List

ROOT = Path(__file__).resolve().parents[1]


def sh(cmd: List[str], cwd: Path, env: Dict[str, str]) -> None:
    res = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}")


def editable(clone: Path, env: Dict[str, str]) -> None:
    sh([sys.executable, "-m", "venv", ".venv"], clone, env)
    sh([".venv/bin/pip", "install", "-q", "-e", "."], clone, env)


def wheel(clone: Path, env: Dict[str, str]) -> None:
    sh([sys.executable, "-m", "venv", ".venv"], clone, env)
    sh([".venv/bin/pip", "wheel", "-q", "--no-deps", "-w", "dist", "."], clone, env)


CASES: Dict[str, tuple[Callable[[Path, Dict[str, str]], None], Dict[str, str]]] = {
    "editable": (editable, {}),
    "editable-lab": (editable, {"DFLOW_NB_BUILD_LABEXTENSION": "1"}),
    "wheel": (wheel, {}),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--only", default=",".join(CASES))
    ap.add_argument("--ref", default="HEAD", help="the commit to clone (default HEAD)")
    args = ap.parse_args()
    print(f"{'case':14} {'runs (s)':28} median  load(1 min)")
    for name in args.only.split(","):
        step, extra = CASES[name]
        times = []
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory(prefix="dflow-nb-bench-install-") as tmp:
                clone = Path(tmp) / "clone"
                subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
                subprocess.run(["git", "checkout", "-q", args.ref], cwd=clone, check=True)
                env = {**os.environ, **extra}
                start = time.perf_counter()
                step(clone, env)
                times.append(time.perf_counter() - start)
        runs = ", ".join(f"{t:.1f}" for t in times)
        print(f"{name:14} {runs:28} {statistics.median(times):6.1f}  {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
