"""Argo's node naming and ids (SEMANTICS.md §4.10), and the per-node step directories."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, Set

from dflow_nb.model.names import node_id


def item_description(item: Any) -> str:
    """``(i:desc)`` text of a loop item: maps as sorted ``k:v`` pairs, parentheses removed."""
    from dflow_nb.expressions import format_value
    if isinstance(item, dict):
        desc = ",".join(f"{k}:{format_value(item[k])}" for k in sorted(item))
    else:
        desc = format_value(item)
    return desc.replace("(", "").replace(")", "")


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class StepDirs:
    """Human-browsable step directories, one per executed node, named after the step."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._taken: Set[str] = set()

    def allocate(self, display_name: str, key: Any = None) -> Path:
        base = _UNSAFE.sub("-", str(key) if key else display_name).strip("-.") or "step"
        name, n = base, 1
        while name in self._taken or (self.root / name).exists():
            n += 1
            name = f"{base}-{n}"
        self._taken.add(name)
        path = self.root / name
        path.mkdir(parents=True)
        return path


def node(wf: str, name: str, display: str, type_: str, *, template: Any = None,
         boundary: str = "", phase: str = "Pending", key: Any = None,
         parent: str = "") -> Dict[str, Any]:
    """A fresh node dict shaped like Argo's NodeStatus (plus ``key`` and ``dir``)."""
    return {"id": node_id(wf, name), "name": name, "display_name": display, "type": type_,
            "template": template, "phase": phase, "boundary_id": boundary, "parent_id": parent,
            "message": None, "started_at": None, "finished_at": None, "key": key,
            "inputs": None, "outputs": None, "progress": None, "dir": None, "depends_on": None,
            "executor": None}
