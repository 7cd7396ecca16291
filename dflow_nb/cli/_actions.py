"""Acting on a run: ``retry``, ``resubmit``, ``resume``, ``stop``, ``terminate``, ``suspend``.

Every action goes through ``Workflow``. A local run that is retried, resumed or resubmitted
runs on in a detached engine process, so it outlives this command.
"""
from __future__ import annotations

import argparse

from dflow_nb.cli._context import open_run
from dflow_nb.cli._files import quiet_stdout, set_parameters
from dflow_nb.cli._options import Subparsers, add_follow, add_output, add_parameters, add_verb
from dflow_nb.cli._output import emit
from dflow_nb.cli._watch import follow
from dflow_nb.cli.exit_codes import OK
from dflow_nb.config import local_mode
from dflow_nb.hub.workflow import Workflow

PAST = {"stop": "stopped", "terminate": "terminated", "suspend": "suspended",
        "resume": "resumed"}


def cmd_retry(args: argparse.Namespace) -> int:
    wf = open_run(args.run)
    with quiet_stdout():
        wf.retry(detach=local_mode())   # an unfinished or Succeeded run: a clear error
    return follow(wf, args.follow, args.output, args.collapse)


def cmd_resubmit(args: argparse.Namespace) -> int:
    old = open_run(args.run)
    wf: Workflow = old.model()   # a fresh copy of the run's model: safe to change
    wf.workdir = old.workdir
    set_parameters(wf, args.parameter, args.parameter_file)
    with quiet_stdout():
        wf.submit(wait=False, detach=local_mode())
    return follow(wf, args.follow, args.output, args.collapse)


def cmd_resume(args: argparse.Namespace) -> int:
    wf = open_run(args.run)
    with quiet_stdout():
        wf.resume(detach=True if local_mode() else None)
    if args.follow:
        return follow(wf, args.follow, args.output, args.collapse)
    emit(str(wf.id) if args.output == "name" else f"workflow {wf.id} resumed")
    return OK


def cmd_control(args: argparse.Namespace) -> int:
    for ref in args.runs:
        wf = open_run(ref)
        getattr(wf, args.verb)()
        emit(str(wf.id) if args.output == "name" else f"workflow {wf.id} {PAST[args.verb]}")
    return OK


def register(sub: Subparsers) -> None:
    p = add_verb(sub, "retry", "re-run the failed steps of an ended run (same id)", """
        Re-run what did not succeed in a Failed or Error run, in place (same id): Succeeded
        steps keep their outputs and are not run again. Locally the retried run goes on in a
        detached engine.""", """
        dflow-nb retry double-x7k2p
        dflow-nb retry @latest --watch
        dflow-nb retry double-x7k2p --wait -o json""", cmd_retry)
    p.add_argument("run", metavar="RUN", help="a run id, or @latest")
    add_follow(p)
    add_output(p)

    p = add_verb(sub, "resubmit", "start a new run of a run's workflow", """
        Submit the workflow a run was started from again, as a new run (new id); -p changes
        parameters of the new run.""", """
        dflow-nb resubmit double-x7k2p
        dflow-nb resubmit @latest -p n=20 --wait
        NEW=$(dflow-nb resubmit double-x7k2p -o name)""", cmd_resubmit)
    p.add_argument("run", metavar="RUN", help="a run id, or @latest")
    add_parameters(p)
    add_follow(p)
    add_output(p)

    p = add_verb(sub, "resume", "resume a suspended run (or one whose engine died)", """
        Resume a suspended run. A local run whose engine died (its phase says Error, "the
        engine ... is gone") goes on in a new detached engine: Succeeded steps are kept.""", """
        dflow-nb resume double-x7k2p
        dflow-nb resume @latest --watch""", cmd_resume)
    p.add_argument("run", metavar="RUN", help="a run id, or @latest")
    add_follow(p)
    add_output(p)

    for verb, summary, description in (
            ("stop", "stop runs; their exit handlers run",
             "Stop running steps and start no new ones; exit handlers still run (Argo's stop)."),
            ("terminate", "terminate runs at once; no exit handlers",
             "Kill running steps at once; exit handlers do not run (Argo's terminate). Waits "
             "until the run has ended."),
            ("suspend", "start no new steps until resume",
             "Start no new steps until `dflow-nb resume`; running steps finish.")):
        p = add_verb(sub, verb, summary, description, f"""
            dflow-nb {verb} double-x7k2p
            dflow-nb {verb} @latest
            dflow-nb list --running -o name | xargs dflow-nb {verb}""", cmd_control)
        p.add_argument("runs", nargs="+", metavar="RUN", help="run ids, or @latest")
        add_output(p, ("name",))
