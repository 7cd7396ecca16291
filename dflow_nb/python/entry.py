"""Run one OP from files, as a container or a batch job does.

``python -m dflow_nb.python.entry OP_FILE ROOT [--slice JSON] [--key K] [--workflow W]`` reads
the OP (cloudpickle) from OP_FILE, its inputs from ``ROOT/inputs/parameters/<name>`` (text) and
``ROOT/inputs/artifacts/<name>``, runs it in the current directory and writes
``ROOT/outputs/parameters`` and ``ROOT/outputs/artifacts``. Exit code 1 means a retryable
failure (TransientError or any other exception), 2 a FatalError, as in Dflow.
"""
from __future__ import annotations

import argparse
import json
import os
import pickle
import sys
from pathlib import Path
from typing import Dict, List, Optional

from dflow_nb.python.errors import FatalError
from dflow_nb.python.op_runner import OPCall, SliceSpec, run_op
from dflow_nb.python.python_op_template import EXIT_FATAL, EXIT_TRANSIENT
from dflow_nb.python.tracebacks import print_failure


def call_from_root(root: Path, step: str = "step", slice_spec: Optional[SliceSpec] = None,
                   key: Optional[str] = None, workflow: Optional[str] = None) -> OPCall:
    """The OPCall for the inputs laid out under ``root``."""
    params_dir = root / "inputs" / "parameters"
    arts_dir = root / "inputs" / "artifacts"
    params = {p.name: p.read_text() for p in params_dir.iterdir()
              if p.is_file() and not p.name.startswith(".")} if params_dir.is_dir() else {}
    arts: Dict[str, Optional[str]] = {p.name: str(p) for p in arts_dir.iterdir()} \
        if arts_dir.is_dir() else {}
    return OPCall(step=step, parameters=params, artifacts=arts, workdir=os.getcwd(),
                  outputs=str(root / "outputs"), slice=slice_spec, key=key,
                  workflow_name=workflow, progress_file=str(root / "progress"))


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dflow_nb.python.entry")
    parser.add_argument("op_file")
    parser.add_argument("root")
    parser.add_argument("--slice", default=None, help="SliceSpec fields as JSON")
    parser.add_argument("--key", default=None)
    parser.add_argument("--workflow", default=None)
    args = parser.parse_args(argv)
    op = pickle.loads(Path(args.op_file).read_bytes())
    spec = SliceSpec(**json.loads(args.slice)) if args.slice else None
    call = call_from_root(Path(args.root).resolve(), slice_spec=spec, key=args.key,
                          workflow=args.workflow)
    try:
        run_op(op, call)
    except BaseException as exc:
        print_failure(exc)
        return EXIT_FATAL if isinstance(exc, FatalError) else EXIT_TRANSIENT
    return 0


if __name__ == "__main__":
    sys.exit(main())
