"""``dflow_nb.record(name, value)``: what a notebook run as a step hands back as an output.

A notebook run by :class:`~dflow_nb.python.notebook_op.NotebookOPTemplate` calls
``record("mean", 3.2)`` in any cell; the step's output parameter ``mean`` then holds ``3.2``
(declared with its type on the template, so ``query_step(...)[0].outputs.parameters["mean"].value``
is a float again). Values must be JSON-able; the last call for a name wins.

Inside a step the runner sets ``DFLOW_NB_RECORDS`` to a JSON-lines file the kernel appends to
(one ``{"name": ..., "value": ...}`` per call), so a value recorded before a failing cell is
still there. Outside a step (a notebook opened by hand) the values are kept in ``recorded()``
of this process, so the same notebook runs interactively unchanged.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict

RECORDS_ENV = "DFLOW_NB_RECORDS"
_IN_PROCESS: Dict[str, Any] = {}


def record(name: str, value: Any) -> None:
    """Record ``value`` as the step's output parameter ``name``."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"record(name, value): name must be a non-empty string, given {name!r}")
    try:
        line = json.dumps({"name": name, "value": value})
    except (TypeError, ValueError) as exc:
        raise TypeError(f"record({name!r}, ...): a {type(value).__name__} is not JSON-able "
                        f"({exc}); record numbers, strings, lists or dicts") from None
    _IN_PROCESS[name] = value
    target = os.environ.get(RECORDS_ENV)
    if target:
        with open(target, "a", encoding="utf-8") as f:
            f.write(line + "\n")


def recorded() -> Dict[str, Any]:
    """What this process recorded so far (for a notebook run by hand)."""
    return dict(_IN_PROCESS)


def read_records(path: Path) -> Dict[str, Any]:
    """The values a step's notebook recorded (last call per name wins); none if no file."""
    values: Dict[str, Any] = {}
    if not path.is_file():
        return values
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            entry = json.loads(line)
            values[entry["name"]] = entry["value"]
    return values
