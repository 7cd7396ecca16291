"""The option groups verbs share, and how a verb is declared (help text with examples).

Target options (``--workdir``, ``--host``, ``--local``/``--argo`` ...) are accepted before or after
the verb: both parsers carry them with ``default=SUPPRESS``, so neither overwrites the other.
"""
from __future__ import annotations

import argparse
import textwrap
from typing import Any, Callable, Sequence

from dflow_nb.cli._context import parse_age, parse_labels
from dflow_nb.cli._output import OUTPUTS

Run = Callable[[argparse.Namespace], int]
Subparsers = Any   # argparse's _SubParsersAction (private type)


def target_parent() -> argparse.ArgumentParser:
    """Where runs live (shared by the top-level parser and every verb)."""
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("where runs live")
    g.add_argument("--workdir", metavar="DIR", default=argparse.SUPPRESS,
                   help="the local engine's work directory (default: $DFLOW_DEBUG_WORKDIR, else .)")
    g.add_argument("--host", metavar="URL", default=argparse.SUPPRESS,
                   help="the Argo Server (default: $DFLOW_HOST); its token comes from "
                        "$DFLOW_TOKEN or $ARGO_TOKEN, never from the command line")
    g.add_argument("-n", "--namespace", default=argparse.SUPPRESS,
                   help="the Argo namespace (default: $DFLOW_NAMESPACE, else argo)")
    engine = g.add_mutually_exclusive_group()
    engine.add_argument("--local", dest="engine", action="store_const", const="local",
                        default=argparse.SUPPRESS,
                        help="use the local engine even when an Argo host is configured")
    engine.add_argument("--argo", dest="engine", action="store_const", const="argo",
                        default=argparse.SUPPRESS, help="use the Argo Server")
    g.add_argument("--traceback", action="store_true", default=argparse.SUPPRESS,
                   help="show the full traceback of an error (for bug reports)")
    return p


_TARGET = target_parent()


def add_verb(sub: Subparsers, name: str, summary: str, description: str, examples: str,
             run: Run, aliases: Sequence[str] = ()) -> argparse.ArgumentParser:
    """A verb's parser: one-line summary, a description, and examples after the options."""
    p = sub.add_parser(name, help=summary, aliases=list(aliases), parents=[_TARGET],
                       description=textwrap.dedent(description).strip(),
                       epilog="examples:\n" + textwrap.indent(textwrap.dedent(examples).strip(),
                                                              "  "),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.set_defaults(handler=run, verb=name)
    return p


def add_output(p: argparse.ArgumentParser, choices: Sequence[str] = OUTPUTS) -> None:
    p.add_argument("-o", "--output", choices=list(choices), default="",
                   help="wide: more columns; json/yaml: a document for scripts; name: ids only")


def add_follow(p: argparse.ArgumentParser) -> None:
    how = p.add_mutually_exclusive_group()
    how.add_argument("--wait", dest="follow", action="store_const", const="wait",
                     help="block until the run ends; exit with its phase's code")
    how.add_argument("--watch", dest="follow", action="store_const", const="watch",
                     help="show the run live until it ends; exit with its phase's code")
    add_collapse(p)


def add_collapse(p: argparse.ArgumentParser) -> None:
    p.add_argument("--collapse", type=int, default=8, metavar="N",
                   help="draw a loop of more than N items as one line with counts (default 8)")


def add_parameters(p: argparse.ArgumentParser) -> None:
    p.add_argument("-p", "--parameter", action="append", default=[], metavar="NAME=VALUE",
                   help="set a workflow parameter (or an input of the entrypoint); repeatable")
    p.add_argument("--parameter-file", metavar="FILE",
                   help="workflow parameters from a YAML or JSON mapping (-p wins)")


def add_selection(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("selecting runs")
    g.add_argument("--phase", action="append", metavar="PHASE",
                   help="only runs in this phase (Pending, Running, Succeeded, Failed, Error); "
                        "repeatable or comma-separated")
    g.add_argument("--running", action="store_true", help="only runs that have not ended")
    g.add_argument("--completed", action="store_true", help="only runs that have ended")
    g.add_argument("--prefix", metavar="TEXT", help="only runs whose id or name starts so")
    g.add_argument("-l", "--selector", type=parse_labels, metavar="KEY=VALUE,...",
                   help="only runs carrying these labels")
    g.add_argument("--since", type=parse_age, metavar="AGE",
                   help="only runs created within AGE (90s, 10m, 3h, 7d)")
    g.add_argument("--older-than", type=parse_age, metavar="AGE",
                   help="only runs that ended more than AGE ago")
