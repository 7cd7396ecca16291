"""``logs``: what steps printed, as ``argo logs`` (one step, or every step with its name first).

With ``--follow`` the logs are read again every half second through ``Workflow.logs`` until the
steps have ended; lines print once each. A running step's last line is held back until the next
line (or the step's end) shows it is complete.
"""
from __future__ import annotations

import argparse
import time
from typing import Dict, List, Optional, Set

from dflow_nb.cli._context import find_steps, open_run
from dflow_nb.cli._options import Subparsers, add_verb
from dflow_nb.cli._output import emit
from dflow_nb.cli.exit_codes import OK, CLIError
from dflow_nb.hub.records import StepRecord
from dflow_nb.hub.workflow import Workflow
from dflow_nb.notebook.graph import FINISHED

INTERVAL = 0.5


def leaves(wf: Workflow, ref: Optional[str]) -> List[StepRecord]:
    """The Pods a step name stands for (a loop's items, a retried step's attempts, the steps
    inside a Steps/DAG step); every Pod of the run without a name."""
    nodes = wf.query_nodes()
    if ref is None:
        chosen = [n for n in nodes if n.type == "Pod"]
    else:
        below: Dict[str, List[str]] = {}
        for n in nodes:
            below.setdefault(n.parentID or "", []).append(n.id)
        todo = [s.id for s in find_steps(wf, ref)]
        seen: Set[str] = set()
        while todo:
            nid = todo.pop()
            if nid not in seen:
                seen.add(nid)
                todo.extend(below.get(nid, []))
        chosen = [n for n in nodes if n.id in seen and n.type == "Pod"]
        if not chosen:
            raise CLIError(f"step {ref!r} of run {wf.id} ran no container yet, so it has no log")
    chosen.sort(key=lambda s: (s.startedAt or float("inf"), s.seq))
    return chosen


def _named_alone(steps: List[StepRecord], ref: Optional[str]) -> bool:
    """True when ``ref`` named exactly one Pod: its lines print bare, else after step names."""
    return len(steps) == 1 and ref in (steps[0].displayName, steps[0].key, steps[0].id)


def _prefixed(step: StepRecord, lines: List[str], prefix: bool) -> str:
    return "\n".join(f"{step.displayName}: {line}" if prefix else line for line in lines)


def follow(wf: Workflow, ref: Optional[str], grep: Optional[str], tail: Optional[int]) -> None:
    """Print lines as they come until the run ends and every step's log is printed."""
    printed: Dict[str, int] = {}
    done: Set[str] = set()
    prefix: Optional[bool] = True if ref is None else None
    while True:
        phase = wf.query_status()
        try:
            steps = leaves(wf, ref)
        except CLIError:
            if phase in FINISHED:
                raise
            steps = []
        if steps and prefix is None:
            prefix = not _named_alone(steps, ref)
        for s in steps:
            if s.id in done:
                continue
            finished = s.phase in FINISHED   # read before the log: the log read after is whole
            lines = wf.logs(s.id, grep=grep).splitlines()
            start = printed.get(s.id)
            if start is None:
                start = max(0, len(lines) - tail) if tail is not None else 0
            end = len(lines) if finished else max(start, len(lines) - 1)
            emit(_prefixed(s, lines[start:end], bool(prefix)))
            printed[s.id] = end
            if finished:
                done.add(s.id)
        if phase in FINISHED and all(s.id in done for s in steps):
            return
        time.sleep(INTERVAL)


def cmd_logs(args: argparse.Namespace) -> int:
    wf = open_run(args.run)
    if args.tail is not None and args.tail < 0:
        raise CLIError("--tail takes a number of lines (0 or more)")
    if args.follow:
        follow(wf, args.step, args.grep, args.tail)
    elif args.step is None:   # one read for the whole run; each line starts with its step
        emit(wf.logs(None, tail=args.tail, grep=args.grep))
    else:
        steps = leaves(wf, args.step)
        for s in steps:
            lines = wf.logs(s.id, tail=args.tail, grep=args.grep).splitlines()
            emit(_prefixed(s, lines, not _named_alone(steps, args.step)))
    return OK


def register(sub: Subparsers) -> None:
    p = add_verb(sub, "logs", "print what steps printed", """
        Print the log of one step (by key, name or node id; a loop's name gives every item,
        each line after the item's name), or of every step of the run with each line after
        its step's name. --follow keeps printing until the run ends.""", """
        dflow-nb logs double-x7k2p
        dflow-nb logs double-x7k2p second --tail 20
        dflow-nb logs @latest --grep 'ERROR|Traceback'
        dflow-nb logs double-x7k2p train --follow""", cmd_logs)
    p.add_argument("run", metavar="RUN", help="a run id, or @latest")
    p.add_argument("step", metavar="STEP", nargs="?",
                   help="a step's key, name or node id (default: every step)")
    p.add_argument("-f", "--follow", action="store_true",
                   help="keep printing new lines until the run ends")
    p.add_argument("--grep", metavar="REGEX", help="only lines matching this regular expression")
    p.add_argument("--tail", type=int, metavar="N", help="only the last N lines of each step")
