"""What ``dflow-nb`` exits with, so scripts and CI can tell how a run (or the command) ended.

A verb that follows a run to its end (``submit --wait``/``--watch``, ``wait``, ``watch``,
``retry``/``resubmit``/``resume`` with ``--wait``/``--watch``) exits with the code of the run's
phase; every other verb exits 0 when it did what was asked.
"""
from __future__ import annotations

from typing import Iterable

OK = 0            #: done; a followed run Succeeded
FAILED = 1        #: a followed run ended Failed; ``lint`` found problems
USAGE = 2         #: the request is wrong: bad option, bad file, invalid workflow, unknown run
                  #: or step, an action the run's state does not allow
ERROR = 3         #: a followed run ended in Error (e.g. its engine died)
UNREACHABLE = 4   #: the engine could not be reached or refused us (connection, TLS, token,
                  #: permission), or ``--timeout`` passed
INTERRUPTED = 130  #: Ctrl-C (the run itself goes on)

TABLE = f"""exit codes:
  {OK:<4} done; a followed run (--wait, --watch, wait, watch) Succeeded
  {FAILED:<4} a followed run ended Failed; lint found problems
  {USAGE:<4} usage error: bad option or file, invalid workflow, unknown run or step
  {ERROR:<4} a followed run ended in Error
  {UNREACHABLE:<4} the engine could not be reached or refused the request; --timeout passed
  {INTERRUPTED:<4} interrupted (Ctrl-C); the run goes on"""


def for_phase(phase: str) -> int:
    """The exit code of a run that ended in ``phase``."""
    return {"Succeeded": OK, "Failed": FAILED}.get(phase, ERROR)


def worst(codes: Iterable[int]) -> int:
    """One code for several runs: Error over Failed over Succeeded."""
    order = [OK, FAILED, ERROR]
    return max(codes, key=order.index, default=OK)


class CLIError(Exception):
    """A mistake the user can fix, said in one line; ``code`` is the exit code."""

    def __init__(self, message: str, code: int = USAGE) -> None:
        super().__init__(message)
        self.code = code
