"""The ``dflow-nb`` parser, and ``main``: run a verb, turn a user's mistake into one line and
an exit code (``exit_codes``), never a traceback (unless ``--traceback`` asks for one)."""
from __future__ import annotations

import argparse
import os
import sys
import textwrap
from typing import Optional, Sequence

from dflow_nb.cli import (
    _actions,
    _completion,
    _debug,
    _logs,
    _manifest,
    _runs,
    _submit,
    _watch,
)
from dflow_nb.cli._context import configure
from dflow_nb.cli._options import target_parent
from dflow_nb.cli.exit_codes import INTERRUPTED, TABLE, UNREACHABLE, USAGE, CLIError
from dflow_nb.errors import DflowNbError

DESCRIPTION = """\
Run and follow dflow_nb workflows from a terminal, a script or CI, on the local engine or an
Argo Server, with the verbs of the Argo CLI."""

EXAMPLES = """\
examples:
  dflow-nb submit pipeline.py --watch          # run a workflow file, watch it live
  dflow-nb list --running
  dflow-nb logs @latest --follow
  dflow-nb retry double-x7k2p --wait
  dflow-nb submit pipeline.py --argo --wait -o json > run.json   # CI: exit code = outcome

where runs live: the local engine's work directory (--workdir, $DFLOW_DEBUG_WORKDIR,
else ./.dflow_nb, or . if it holds a dflow_nb.db from before)
unless an Argo Server is configured (--host or $DFLOW_HOST, token in $DFLOW_TOKEN or
$ARGO_TOKEN); --local/--argo choose explicitly. `dflow-nb VERB --help` shows each verb.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dflow-nb", description=DESCRIPTION, parents=[target_parent()],
        epilog=EXAMPLES + "\n" + TABLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    for module in (_submit, _runs, _watch, _logs, _actions, _manifest, _debug, _completion):
        module.register(sub)
    parser.set_defaults(parser=parser)   # for `completion`, which walks the parser
    return parser


def _one_line(exc: BaseException) -> str:
    text = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc).strip()
    if not text:
        return type(exc).__name__
    lines = text.splitlines()
    return lines[0] if len(lines) == 1 or isinstance(exc, CLIError) else \
        lines[0] + "\n" + textwrap.indent("\n".join(lines[1:]), "  ")


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run ``dflow-nb`` with ``argv`` (default: the command line); returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        configure(args)
        return int(args.handler(args))
    except KeyboardInterrupt:
        print("\ndflow-nb: interrupted (the run, if any, goes on)", file=sys.stderr)
        return INTERRUPTED
    except BrokenPipeError:   # `dflow-nb logs RUN | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:
        if getattr(args, "traceback", False):
            raise
        code = _code(exc)
        if code is None:
            raise
        print(f"dflow-nb {args.verb}: {_one_line(exc)}", file=sys.stderr)
        return code


def _code(exc: BaseException) -> Optional[int]:
    """The exit code of an error a user can cause; None for a bug (its traceback shows)."""
    if isinstance(exc, CLIError):
        return exc.code
    if isinstance(exc, (ConnectionError, TimeoutError, PermissionError)):
        return UNREACHABLE
    if isinstance(exc, (DflowNbError, LookupError, ValueError, OSError)):
        return USAGE
    if type(exc).__module__.startswith(("httpx", "httpcore")):
        return UNREACHABLE
    return None
