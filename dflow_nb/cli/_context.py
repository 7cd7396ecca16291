"""Where a command's runs live, and the runs and steps its arguments name.

``--workdir``/``--host``/``--namespace``/``--local``/``--argo`` set ``config`` before any
``Workflow`` is made (a Workflow picks its engine from config); ``open_run`` attaches to a run
by id (or ``@latest``), ``find_steps`` names steps by key, node id or name.
"""
from __future__ import annotations

import argparse
import re
import sys
import time
from typing import Dict, List, Optional

from dflow_nb.cli.exit_codes import CLIError
from dflow_nb.config import config, local_mode, work_directory
from dflow_nb.hub.records import StepRecord, WorkflowRecord
from dflow_nb.hub.workflow import Workflow, find_run, query_workflows
from dflow_nb.notebook.graph import loop_base

LATEST = "@latest"
ENDED = ("Succeeded", "Failed", "Error")
_AGE = re.compile(r"(\d+(?:\.\d+)?)(s|m|h|d|w)")
_AGE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def configure(args: argparse.Namespace) -> None:
    """Apply the target options to ``config`` (what every Workflow of this command uses)."""
    if getattr(args, "workdir", None):
        config["debug_workdir"] = args.workdir
    if getattr(args, "host", None):
        config["host"] = args.host
    if getattr(args, "namespace", None):
        config["namespace"] = args.namespace
    engine = getattr(args, "engine", None)
    if engine == "argo":
        if not config["host"]:
            raise CLIError("--argo needs an Argo Server: --host URL or DFLOW_HOST")
        config["mode"] = "default"
    elif engine == "local":
        config["mode"] = "debug"


def open_run(ref: str) -> Workflow:
    """The run with this id (``@latest``: the newest; a workflow's name: its newest run); a
    clear error if there is none."""
    if ref == LATEST:
        runs = query_workflows()
        if not runs:
            raise CLIError(f"{LATEST}: there is no run {where()}")
        ref = runs[0].id
    wf, named = find_run(ref)   # WorkflowNotFound says which run and where
    if len(named) > 1:
        print(f"{ref}: {len(named)} runs of that name; using the newest, {wf.id}",
              file=sys.stderr)
    return wf


def where() -> str:
    """Where runs are looked up, for messages."""
    if local_mode():
        return f"in {work_directory()}"
    return f"on {config['host']} (namespace {config['namespace']})"


def find_steps(wf: Workflow, ref: str) -> List[StepRecord]:
    """Steps named by key, node id or name (a loop's name matches all its items)."""
    found = wf.query_step(key=ref) or wf.query_step(id=ref) or wf.query_step(name=ref)
    if found:
        return found
    known = sorted({s.key or (loop_base(s.displayName) or (s.displayName,))[0]
                    for s in wf.query_step()})
    shown = ", ".join(known[:12]) + (" …" if len(known) > 12 else "")
    raise CLIError(f"run {wf.id} has no step named or keyed {ref!r} (steps: {shown or 'none'})")


def parse_age(text: str) -> float:
    """Seconds in ``90s``, ``10m``, ``3h``, ``7d``, ``2w`` or ``1d12h`` (as Argo's --older)."""
    pos, total = 0, 0.0
    for m in _AGE.finditer(text):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _AGE_UNITS[m.group(2)]
        pos = m.end()
    if not text or pos != len(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration like 90s, 10m, 3h, 7d "
                                         "or 1d12h")
    return total


def parse_labels(text: str) -> Dict[str, str]:
    """``k=v,k2=v2`` as a dict (a label selector of equalities, as ``-l`` takes)."""
    out: Dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        if not sep or not key:
            raise argparse.ArgumentTypeError(f"{part!r} is not KEY=VALUE")
        out[key.strip()] = value.strip()
    return out


def select(records: List[WorkflowRecord], args: argparse.Namespace,
           now: Optional[float] = None) -> List[WorkflowRecord]:
    """The runs the selection options keep (phase, running/completed, prefix, since,
    older-than); labels are matched by ``query_workflows`` itself."""
    now = time.time() if now is None else now
    phases = {p for item in (args.phase or []) for p in item.split(",") if p}
    out = []
    for r in records:
        if phases and r.phase not in phases:
            continue
        if args.running and r.phase in ENDED:
            continue
        if args.completed and r.phase not in ENDED:
            continue
        if args.prefix and not (r.id.startswith(args.prefix) or r.name.startswith(args.prefix)):
            continue
        if args.since is not None and (r.createdAt or 0) < now - args.since:
            continue
        if args.older_than is not None and (r.phase not in ENDED or
                                            (r.finishedAt or now) > now - args.older_than):
            continue
        out.append(r)
    return out
