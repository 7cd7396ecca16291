"""Following a run: ``watch`` (a live view, redrawn in place on a terminal), ``wait``, and the
``--wait``/``--watch`` of ``submit``, ``retry``, ``resubmit`` and ``resume``.

On a terminal the view is redrawn in place with two ANSI sequences (cursor home, clear); piped
into a file or a CI log, a new frame is printed only when something changed. Ctrl-C stops
watching, never the run.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import time
from typing import List, Optional, TextIO

from dflow_nb.cli._context import open_run
from dflow_nb.cli._options import Subparsers, add_collapse, add_output, add_verb
from dflow_nb.cli._output import dump, emit, run_document
from dflow_nb.cli._view import RunView
from dflow_nb.cli.exit_codes import OK, for_phase, worst
from dflow_nb.hub.workflow import Workflow

INTERVAL = 1.0
HOME_CLEAR = "\x1b[H\x1b[2J"


def print_run(view: RunView, output: str) -> None:
    """A run as ``-o`` asks (the view must have been refreshed)."""
    assert view.summary is not None
    if output == "name":
        emit(view.summary.id)
    elif output in ("json", "yaml"):
        emit(dump(run_document(view.summary, view.steps(), view.progress()), output))
    else:
        emit(view.render(wide=output == "wide"))


def live(view: RunView, wide: bool, stream: TextIO, interval: float = INTERVAL) -> str:
    """Redraw the view until the run ends; returns its phase."""
    tty = stream.isatty()
    while True:
        view.refresh()
        if tty:
            size = shutil.get_terminal_size()
            lines = view.render(wide).splitlines()
            if len(lines) > size.lines - 1:
                lines = lines[: size.lines - 2] + [f"… {len(lines) - size.lines + 2} more lines"]
            stream.write(HOME_CLEAR + "\n".join(line[: size.columns] for line in lines) + "\n")
            stream.flush()
        elif view.changed:   # a log gets a frame per change, not one per second
            stream.write(view.render(wide) + "\n\n")
            stream.flush()
        if view.ended:
            assert view.summary is not None
            return view.summary.phase
        time.sleep(interval)


def follow(wf: Workflow, how: Optional[str], output: str, collapse: int) -> int:
    """After an action: wait for or watch the run if asked, print it, exit by its phase."""
    view = RunView(wf, collapse)
    if how == "watch":
        # the live view goes where people look; a document for scripts keeps stdout clean
        stream = sys.stdout if output in ("", "wide") else sys.stderr
        live(view, output == "wide", stream)
        if output not in ("", "wide"):
            print_run(view, output)
    else:
        if how == "wait":
            wf.wait()
        view.refresh()
        print_run(view, output)
    assert view.summary is not None
    return for_phase(view.summary.phase) if how else OK


def cmd_watch(args: argparse.Namespace) -> int:
    wf = open_run(args.run)
    return follow(wf, "watch", args.output, args.collapse)


def cmd_wait(args: argparse.Namespace) -> int:
    codes: List[int] = []
    for ref in args.runs:
        wf = open_run(ref)
        phase = wf.wait(timeout=args.timeout)
        codes.append(for_phase(phase))
        if args.output == "name":
            emit(str(wf.id))
        else:
            emit(f"{wf.id} {phase}")
    return worst(codes)


def register(sub: Subparsers) -> None:
    p = add_verb(sub, "watch", "show a run live until it ends", """
        Show a run live: its summary, progress and step tree, redrawn every second until the
        run ends (on a terminal in place; in a pipe or CI log a new frame only when something
        changed). Exits with the run's phase code; Ctrl-C stops watching, not the run.""", """
        dflow-nb watch @latest
        dflow-nb watch double-x7k2p --collapse 20
        dflow-nb watch double-x7k2p -o json > final.json   # live view on stderr""", cmd_watch)
    p.add_argument("run", metavar="RUN", help="a run id, or @latest")
    add_output(p)
    add_collapse(p)

    p = add_verb(sub, "wait", "block until runs end; exit with their phase", """
        Block until every run named has ended and print each one's phase. Exits 0 when all
        Succeeded, else with the code of the worst one (Error over Failed).""", """
        dflow-nb wait double-x7k2p
        dflow-nb wait @latest && echo passed
        dflow-nb wait run-a run-b --timeout 600""", cmd_wait)
    p.add_argument("runs", nargs="+", metavar="RUN", help="run ids, or @latest")
    p.add_argument("--timeout", type=float, metavar="SECONDS",
                   help="give up after this long (exit 4 while the run goes on)")
    add_output(p, ("name",))
