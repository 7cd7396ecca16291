"""Run every slice of a merged sliced step in one process (DispatcherExecutor, merge_sliced_step).

``python -m dflow_nb.plugins.slices_run OP_FILE ROOT SLICES_JSON [--workflow W]``: the inputs
are read once from ``ROOT/inputs``; slice ``i`` (the i-th SliceSpec in SLICES_JSON) runs in
``ROOT/slices/<i>/work`` and writes ``ROOT/slices/<i>/outputs``. Every slice runs even when one
fails (as a loop's items do); the exit code is the first failure's (1 retryable, 2 fatal).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import pickle
import sys
from pathlib import Path
from typing import List, Optional

from dflow_nb.python.entry import call_from_root
from dflow_nb.python.errors import FatalError
from dflow_nb.python.op_runner import SliceSpec, run_op
from dflow_nb.python.python_op_template import EXIT_FATAL, EXIT_TRANSIENT
from dflow_nb.python.tracebacks import print_failure


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dflow_nb.plugins.slices_run")
    parser.add_argument("op_file")
    parser.add_argument("root")
    parser.add_argument("slices")
    parser.add_argument("--workflow", default=None)
    args = parser.parse_args(argv)
    op = pickle.loads(Path(args.op_file).read_bytes())
    root = Path(args.root).resolve()
    specs = [SliceSpec(**s) for s in json.loads(Path(args.slices).read_text())]
    base = call_from_root(root, workflow=args.workflow)
    code = 0
    for i, spec in enumerate(specs):
        out = root / "slices" / str(i)
        call = dataclasses.replace(base, step=f"slice {spec.index}", slice=spec,
                                   workdir=str(out / "work"), outputs=str(out / "outputs"),
                                   progress_file=None)
        try:
            run_op(op, call)
            print(f"slice {spec.index}: done", file=sys.stderr, flush=True)
        except BaseException as exc:
            print_failure(exc)
            code = code or (EXIT_FATAL if isinstance(exc, FatalError) else EXIT_TRANSIENT)
    return code


if __name__ == "__main__":
    sys.exit(main())
