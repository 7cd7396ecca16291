"""``list``, ``get`` and ``delete``: the runs an engine knows, one run in detail, retention."""
from __future__ import annotations

import argparse
import sys
import time
from typing import List

from dflow_nb.cli._context import ENDED, open_run, select, where
from dflow_nb.cli._options import (
    Subparsers,
    add_collapse,
    add_output,
    add_selection,
    add_verb,
)
from dflow_nb.cli._output import dump, elapsed, emit, iso, short, span, table, workflow_dict
from dflow_nb.cli._view import RunView
from dflow_nb.cli._watch import print_run
from dflow_nb.cli.exit_codes import OK, CLIError
from dflow_nb.hub.records import WorkflowRecord
from dflow_nb.hub.workflow import Workflow, query_workflows


def _selected(args: argparse.Namespace) -> List[WorkflowRecord]:
    return select(query_workflows(labels=args.selector), args)


def cmd_list(args: argparse.Namespace) -> int:
    records = _selected(args)
    if args.output == "name":
        emit("\n".join(r.id for r in records))
    elif args.output in ("json", "yaml"):
        emit(dump([workflow_dict(r) for r in records], args.output))
    elif not records:
        print(f"No workflows found {where()}", file=sys.stderr)
    else:
        now = time.time()
        wide = args.output == "wide"
        header = ["NAME", "STATUS", "AGE", "DURATION"]
        header += ["CREATED", "FINISHED", "LABELS", "MESSAGE"] if wide else ["MESSAGE"]
        rows = [header]
        for r in records:
            row = [r.id, r.phase, span(now - r.createdAt) if r.createdAt else "-",
                   span(elapsed(r.startedAt, r.finishedAt, now))]
            if wide:
                row += [iso(r.createdAt) or "-", iso(r.finishedAt) or "-",
                        ",".join(f"{k}={v}" for k, v in r.labels.items()), r.message or ""]
            else:
                row.append(short(r.message or "", 60))
            rows.append(row)
        emit(table(rows))
    return OK


def cmd_get(args: argparse.Namespace) -> int:
    view = RunView(open_run(args.run), args.collapse)
    view.refresh()
    print_run(view, args.output)
    return OK


def cmd_delete(args: argparse.Namespace) -> int:
    selecting = args.all or any(getattr(args, k) for k in (
        "phase", "running", "completed", "prefix", "selector", "since")) or \
        args.older_than is not None
    if args.runs and selecting:
        raise CLIError("name runs or select them (--all, --older-than, ...), not both")
    if args.runs:
        ids = [open_run(ref).id for ref in args.runs]
    elif selecting:   # a selection never takes a run that is still going
        ids = [r.id for r in _selected(args) if r.phase in ENDED]
    else:
        raise CLIError("name the runs to delete, or select them: --all, --older-than AGE, "
                       "--phase, --prefix, -l")
    for wf_id in ids:
        assert wf_id is not None
        if not args.dry_run:
            Workflow(id=wf_id).delete()
        if args.output == "name":
            emit(wf_id)
        else:
            emit(f"workflow {wf_id} {'would be deleted' if args.dry_run else 'deleted'}")
    return OK


def register(sub: Subparsers) -> None:
    p = add_verb(sub, "list", "list runs, newest first", """
        List the runs of the local work directory (or of the Argo namespace), newest first,
        filtered by phase, name prefix, labels or age.""", """
        dflow-nb list
        dflow-nb list --running
        dflow-nb list --phase Failed --since 1d -o wide
        dflow-nb list -l team=md,stage=prod -o name
        dflow-nb list --argo -o json | jq -r '.[] | select(.phase=="Failed") | .id'""", cmd_list,
        aliases=("ls",))
    add_selection(p)
    add_output(p)

    p = add_verb(sub, "get", "show one run: summary and step tree", """
        Show a run: its phase, times, progress and global outputs, and the tree of its steps
        (a loop of many items is one line with counts; --collapse sets when).
        -o json/yaml prints every step with its inputs and outputs.""", """
        dflow-nb get double-x7k2p
        dflow-nb get @latest -o wide
        dflow-nb get double-x7k2p -o json | jq '.steps[] | select(.phase=="Failed")'
        dflow-nb get double-x7k2p -o json | jq -r '.outputs.parameters.total'""", cmd_get,
        aliases=("steps",))
    p.add_argument("run", metavar="RUN", help="a run id, or @latest")
    add_output(p)
    add_collapse(p)

    p = add_verb(sub, "delete", "delete runs (retention with --older-than)", """
        Delete runs: on Argo the Workflow objects; locally the run's records in the state
        database and its step directories. Name runs, or select them: a selection only ever
        takes runs that have ended. A local run whose engine is alive cannot be deleted:
        stop or terminate it first.""", """
        dflow-nb delete double-x7k2p
        dflow-nb delete --older-than 7d                  # retention: ended runs older than a week
        dflow-nb delete --phase Failed --prefix double --dry-run
        dflow-nb delete --all --completed""", cmd_delete, aliases=("rm",))
    p.add_argument("runs", nargs="*", metavar="RUN", help="run ids, or @latest")
    p.add_argument("--all", action="store_true", help="every run the selection keeps")
    p.add_argument("--dry-run", action="store_true", help="say what would be deleted, delete nothing")
    add_selection(p)
    add_output(p, ("name",))
