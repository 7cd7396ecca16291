"""A detached engine: ``python -m dflow_nb.local.daemon WORKDIR WF_ID [--resume]``.

It runs one recorded workflow in its own session, so it outlives the kernel or script that
submitted it; any process follows and steers it through the work directory's database.
"""
from __future__ import annotations

import argparse
import pickle
import sys
from pathlib import Path
from typing import List, Optional

from dflow_nb.local.runtime import LocalRuntime
from dflow_nb.local.sealed_models import UnsealedModel, unseal
from dflow_nb.local.state import StateReader
from dflow_nb.model._held_secrets import adopt_env


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dflow_nb.local.daemon")
    parser.add_argument("workdir")
    parser.add_argument("wf_id")
    parser.add_argument("--resume", action="store_true")
    args = parser.parse_args(argv)
    adopt_env()   # secrets the parent held (never in the stored model), out of the environment
    workdir = Path(args.workdir)
    blob = StateReader(workdir.resolve()).spec(args.wf_id)
    if blob is None:
        print(f"dflow-nb daemon: workflow {args.wf_id} has no stored model", file=sys.stderr)
        return 2
    try:
        workflow = pickle.loads(unseal(blob, args.wf_id))
    except UnsealedModel as exc:
        print(f"dflow-nb daemon: {exc}", file=sys.stderr)
        return 2
    phase, message = LocalRuntime.get().run(workflow, args.wf_id, workdir,
                                            resume=args.resume).result()
    print(f"workflow {args.wf_id}: {phase}{': ' + message if message else ''}")
    return 0 if phase == "Succeeded" else 1


if __name__ == "__main__":
    sys.exit(main())
