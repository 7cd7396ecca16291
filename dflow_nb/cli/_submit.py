"""``submit``: start a run of a workflow file (Python or Argo manifest), as ``argo submit``.

On the local engine the run goes on in a detached engine process, so it outlives the command
(as an Argo run outlives ``argo submit``) and Ctrl-C under ``--wait``/``--watch`` stops only the
watching. Reusing steps (``--reuse``) locally runs in this process, which then waits for the end.
"""
from __future__ import annotations

import argparse
import sys
from typing import List

from dflow_nb.cli._context import open_run, parse_labels
from dflow_nb.cli._files import load, quiet_stdout, set_parameters
from dflow_nb.cli._options import Subparsers, add_follow, add_output, add_parameters, add_verb
from dflow_nb.cli._watch import follow
from dflow_nb.cli.exit_codes import CLIError
from dflow_nb.config import local_mode
from dflow_nb.hub.records import StepRecord
from dflow_nb.model.names import check_workflow_name


def reuse_steps(specs: List[str]) -> List[StepRecord]:
    """The steps ``--reuse RUN:KEY1,KEY2`` names (``RUN`` alone: its Succeeded keyed steps)."""
    out: List[StepRecord] = []
    for spec in specs:
        ref, sep, keys = spec.partition(":")
        old = open_run(ref)
        if not sep:
            out.extend(s for s in old.query_step(phase="Succeeded") if s.key)
            continue
        wanted = [k for k in keys.split(",") if k]
        if not wanted:
            raise CLIError(f"--reuse {spec}: name the keys after the colon (RUN:KEY1,KEY2)")
        found = old.query_step(key=wanted)
        missing = sorted(set(wanted) - {s.key for s in found})
        if missing:
            raise CLIError(f"--reuse: run {old.id} has no step keyed {', '.join(missing)}")
        out.extend(found)
    return out


def cmd_submit(args: argparse.Namespace) -> int:
    wf = load(args.file, args.var).workflow
    if wf.id:
        if args.parameter or args.parameter_file or args.reuse or args.name or args.labels:
            raise CLIError(f"{args.file} submitted its workflow itself while it was run: drop "
                           "-p/--reuse/--name/-l, or put its submit() under "
                           "`if __name__ == \"__main__\":`")
        return follow(wf, args.follow, args.output, args.collapse)
    if args.name:
        wf.name = check_workflow_name(args.name)
    wf.labels.update(args.labels or {})
    set_parameters(wf, args.parameter, args.parameter_file)
    reuse = reuse_steps(args.reuse)
    how = args.follow
    with quiet_stdout():   # the engines announce the run on stdout; scripts read ours only
        if reuse and local_mode():
            print("dflow-nb submit: reusing steps on the local engine runs the workflow in this "
                  "process; waiting for it to end", file=sys.stderr)
            wf.submit(reuse_step=reuse, wait=True)
            how = how or "wait"
        else:
            wf.submit(reuse_step=reuse or None, wait=False, detach=local_mode())
    return follow(wf, how, args.output, args.collapse)


def register(sub: Subparsers) -> None:
    p = add_verb(sub, "submit", "run a workflow file (Python or Argo manifest)", """
        Submit the workflow a file builds: a Python file (run as a module; the Workflow it
        leaves at top level is submitted, or the one --var names) or an Argo Workflow manifest
        (YAML or JSON; - reads standard input). Prints the new run (-o name: its id).
        Notebooks are not submitted directly: run one as a step with NotebookOPTemplate.""", """
        dflow-nb submit pipeline.py                      # returns at once; the run goes on
        dflow-nb submit pipeline.py --watch              # live view until the end
        dflow-nb submit pipeline.py -p n=10 --wait -o json > run.json
        dflow-nb submit workflow.yaml --argo --host https://argo:2746
        dflow-nb submit pipeline.py --reuse double-x7k2p:prep,split   # keep those steps
        RUN=$(dflow-nb submit pipeline.py -o name -l team=md)""", cmd_submit)
    p.add_argument("file", metavar="FILE", help="a .py file, or a .yaml/.yml/.json manifest "
                                                "(- for standard input)")
    p.add_argument("--var", metavar="NAME",
                   help="the variable holding the Workflow, when the file builds several")
    add_parameters(p)
    p.add_argument("--name", help="the workflow's name (the run id is NAME-<suffix>)")
    p.add_argument("-l", "--labels", type=parse_labels, metavar="KEY=VALUE,...",
                   help="labels of the run (list -l selects by them)")
    p.add_argument("--reuse", action="append", default=[], metavar="RUN[:KEYS]",
                   help="reuse the outputs of those keyed steps of RUN instead of running "
                        "them (RUN alone: all its Succeeded keyed steps); repeatable")
    add_follow(p)
    add_output(p)
