"""Secrets an object keeps out of its pickles (the local engine stores the pickled model).

An object such as DispatcherExecutor holds its SSH password here, in this process's memory,
under a random reference, and pickles only the reference; the state database never sees the
value. A detached engine is started with ``handover_env()`` in its environment and takes the
values in with ``adopt_env()`` (removing them, so its steps do not inherit them). Any other
process (a run resumed elsewhere) finds nothing under the reference: the owner then reads the
variable the user sets (``DFLOW_NB_SSH_PASSWORD``...) or says which one is missing.
"""
from __future__ import annotations

import os
import secrets
from typing import Dict, Optional

ENV_PREFIX = "DFLOW_NB_HELD_SECRET_"
_HELD: Dict[str, str] = {}


def hold(value: str) -> str:
    """Keep ``value`` in this process; the reference to pickle instead of it."""
    ref = secrets.token_hex(12)
    _HELD[ref] = str(value)
    return ref


def recall(ref: str) -> Optional[str]:
    """The value held under ``ref`` in this process, if it is."""
    return _HELD.get(ref)


def handover_env() -> Dict[str, str]:
    """Environment entries that give a child engine process every value held here."""
    return {ENV_PREFIX + ref: value for ref, value in _HELD.items()}


def adopt_env() -> None:
    """Take the values a parent handed over, and drop them from the environment."""
    for name in [n for n in os.environ if n.startswith(ENV_PREFIX)]:
        _HELD[name[len(ENV_PREFIX):]] = os.environ.pop(name)
