"""``debug RUN STEP``: re-run a Python OP step here with its recorded inputs, under pdb.

The re-run is the notebook's ``%dflow debug`` (``dflow_nb.notebook.debug``: the engine's own
``run_op``, inputs from the step directory or, on Argo, from the node and the artifact store).
When the OP raises, pdb opens where it raised (post mortem); ``--break`` stops at the first line
of the OP's ``execute`` (or function) instead; ``--no-pdb`` only prints the traceback.
"""
from __future__ import annotations

import argparse
import bdb
import inspect
import pdb
import sys
import traceback
from pathlib import Path
from typing import Any, Dict, Optional

import dflow_nb
from dflow_nb.cli._context import find_steps, open_run
from dflow_nb.cli._files import load
from dflow_nb.cli._options import Subparsers, add_verb
from dflow_nb.cli.exit_codes import FAILED, OK, CLIError
from dflow_nb.python.op import AnyOP


def _entry(op: AnyOP) -> Optional[Any]:
    """The code object of what the OP runs: its function, else its ``execute``."""
    target = getattr(op, "func", None) or getattr(op, "execute", None)
    return getattr(inspect.unwrap(target), "__code__", None) if target is not None else None


def _op_traceback(exc: BaseException) -> str:
    """The traceback from the OP's code down (without dflow_nb's and the debugger's frames)."""
    tb = exc.__traceback__
    ours = (str(Path(dflow_nb.__file__).parent), bdb.__file__)
    while tb is not None and tb.tb_next is not None and \
            tb.tb_frame.f_code.co_filename.startswith(ours):
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb)).rstrip()


def cmd_debug(args: argparse.Namespace) -> int:
    from dflow_nb.notebook.debug import choose_step, prepare, rerun
    wf = open_run(args.run)
    if args.from_file:   # the OP's code from the file that built the run (needed for Argo runs)
        model = load(args.from_file, args.var).workflow
        if model.id:
            raise CLIError(f"{args.from_file} submitted a workflow while it was run; --from "
                           "needs a file that only builds one")
        model.id, model.workdir = wf.id, wf.workdir
        wf = model
    step = choose_step(find_steps(wf, args.step), args.step)
    op, call = prepare(wf, step)
    shown = ", ".join(f"{k}={v if len(v) < 60 else v[:57] + '...'}"
                      for k, v in call.parameters.items())
    where = f" (slice {call.slice.position})" if call.slice is not None else ""
    print(f"re-running {call.step} of {wf.id}{where} here with its recorded inputs"
          + (f": {shown}" if shown else ""), file=sys.stderr)
    code = _entry(op)
    if code is not None and code.co_filename.startswith("<") and not args.from_file:
        print("(the OP's code comes from the run's stored model, without its source file: "
              "--from FILE shows its source in pdb)", file=sys.stderr)
    debugger = None if args.no_pdb else pdb.Pdb()
    outputs: Optional[Dict[str, str]] = None
    try:
        if debugger is not None and args.break_at_start:
            if code is None:
                raise CLIError(f"cannot find the code of the OP of {call.step!r} to stop in")
            debugger.set_break(code.co_filename, code.co_firstlineno, funcname=code.co_name)
            debugger.rcLines.append("continue")   # run to the breakpoint, not into our code
            outputs = debugger.runcall(rerun, op, call)
        else:
            outputs = rerun(op, call)
    except CLIError:
        raise
    except Exception as exc:   # the OP's own error: its traceback is the point here
        print(_op_traceback(exc), file=sys.stderr)
        if debugger is not None:
            debugger.reset()
            debugger.interaction(None, exc.__traceback__)
        print(f"dflow-nb debug: {call.step} raised {type(exc).__name__} here too", file=sys.stderr)
        return FAILED
    print(f"{call.step} ran without error here; outputs: {outputs}", file=sys.stderr)
    return OK


def register(sub: Subparsers) -> None:
    p = add_verb(sub, "debug", "re-run a Python OP step here under pdb", """
        Re-run one Python OP step of a run in this process with the inputs it was given
        (a loop item re-runs its own slice). If it raises, pdb opens where it raised;
        --break stops at the first line of the OP instead. STEP is a key, name or node id; a
        name matching several steps picks the first that failed. The OP's code is the run's
        stored model (local runs), or the file given with --from (needed on Argo, whose
        manifest holds only the OP's script).""", """
        dflow-nb debug double-x7k2p second
        dflow-nb debug @latest 'square(3:3)' --break
        dflow-nb debug double-x7k2p second --no-pdb         # just the traceback
        dflow-nb debug double-x7k2p second --argo --from pipeline.py""", cmd_debug)
    p.add_argument("run", metavar="RUN", help="a run id, or @latest")
    p.add_argument("step", metavar="STEP", help="a step's key, name or node id")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--break", dest="break_at_start", action="store_true",
                     help="stop at the first line of the OP, not only where it raises")
    how.add_argument("--no-pdb", action="store_true", help="print the traceback; no debugger")
    p.add_argument("--from", dest="from_file", metavar="FILE",
                   help="the Python file that built the run's workflow (its OPs' code)")
    p.add_argument("--var", metavar="NAME",
                   help="the variable holding the Workflow, when the file builds several")
