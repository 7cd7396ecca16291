"""``dflow-nb``: list local runs and print a run's step table from a terminal."""
from __future__ import annotations

import argparse
import sys
import time
from typing import List, Optional, Sequence

from dflow_nb.hub.records import StepRecord


def _when(ts: Optional[float]) -> str:
    return time.strftime("%H:%M:%S", time.localtime(ts)) if ts else "-"


def _seconds(rec: StepRecord) -> str:
    return f"{rec.duration:.2f}s" if rec.duration is not None else "-"


def _short(value: object, width: int = 40) -> str:
    text = str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def step_table(steps: Sequence[StepRecord]) -> str:
    """A plain-text table of steps: name, type, phase, duration, outputs, message."""
    rows: List[List[str]] = [["STEP", "TYPE", "PHASE", "TIME", "OUTPUTS", "MESSAGE"]]
    for s in steps:
        outs = ", ".join(f"{k}={_short(p.value, 24)}" for k, p in s.outputs.parameters.items())
        rows.append([s.displayName, s.type, s.phase, _seconds(s), _short(outs), s.message or ""])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)


def main(argv: Optional[Sequence[str]] = None) -> int:
    from dflow_nb.hub.workflow import Workflow, query_workflows
    parser = argparse.ArgumentParser(prog="dflow-nb", description=__doc__)
    parser.add_argument("--workdir", default=None, help="local work directory (default: .)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="workflows run in the work directory")
    steps = sub.add_parser("steps", help="the step table of a workflow")
    steps.add_argument("id")
    args = parser.parse_args(argv)
    if args.command == "list":
        for rec in query_workflows(args.workdir):
            print(f"{rec.id:32} {rec.phase:10} {_when(rec.startedAt)}")
        return 0
    wf = Workflow(id=args.id, workdir=args.workdir)
    try:
        print(f"{wf.id}: {wf.query_status()}")
    except LookupError as exc:
        print(f"dflow-nb: {exc}", file=sys.stderr)
        return 2
    print(step_table(wf.query_step()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
