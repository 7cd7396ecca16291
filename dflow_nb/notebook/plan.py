"""The steps a run will make, read from its workflow model before they start.

The live view draws them greyed (Pending) so downstream steps are visible from the first
refresh, and counts them toward the planned total. Node names and ids follow Argo's (and the
local engine's) rules: ``<wf>[i].<step>`` for Steps, ``<wf>.<task>`` for a DAG, each id from
``model.names.node_id``, so the real record replaces its placeholder when it arrives.
"""
from __future__ import annotations

from typing import Any, List, Optional, Tuple

from dflow_nb.hub.records import StepRecord
from dflow_nb.model.dag import DAG
from dflow_nb.model.depends import upstream
from dflow_nb.model.names import node_id
from dflow_nb.model.steps import Steps

Edge = Tuple[str, str]
MAX_NODES = 2000   # a model that large is drawn from its records only


class _Plan:
    def __init__(self, wf_id: str) -> None:
        self.wf_id = wf_id
        self.nodes: List[StepRecord] = []
        self.edges: List[Edge] = []

    def node(self, name: str, display: str, type_: str, parent: str,
             template: Optional[str] = None, items: Optional[int] = None) -> str:
        nid = node_id(self.wf_id, name)
        self.nodes.append(StepRecord(nid, name, display, type_, "Pending", self.wf_id,
                                     templateName=template, parentID=parent or None,
                                     progress=None if items is None else f"0/{items}"))
        return nid

    def walk(self, tmpl: Any, name: str, nid: str, depth: int) -> List[str]:
        """Placeholders below node ``nid`` (a call of ``tmpl``); returns its outbound ids."""
        if depth > 8 or len(self.nodes) > MAX_NODES:
            return [nid]
        if isinstance(tmpl, Steps):
            return self._steps(tmpl, name, nid, depth)
        if isinstance(tmpl, DAG):
            return self._dag(tmpl, name, nid, depth)
        return [nid]

    def _call(self, step: Any, name: str, parent: str, depth: int) -> List[str]:
        looped = any(getattr(step, a, None) is not None
                     for a in ("with_param", "with_items", "with_sequence", "slices"))
        tmpl = step.template
        type_ = "Steps" if isinstance(tmpl, Steps) else "DAG" if isinstance(tmpl, DAG) else "Pod"
        sid = self.node(name, step.name, type_, parent, getattr(tmpl, "name", None),
                        _static_items(step) if looped and type_ == "Pod" else None)
        if looped:
            return [sid]
        return self.walk(tmpl, name, sid, depth + 1)

    def _steps(self, tmpl: Steps, name: str, nid: str, depth: int) -> List[str]:
        previous = [nid]
        for i, group in enumerate(tmpl.steps):
            gname = f"{name}[{i}]"
            gid = self.node(gname, f"[{i}]", "StepGroup", nid)
            self.edges.extend((p, gid) for p in previous)
            previous = []
            for s in group:
                sid = node_id(self.wf_id, f"{gname}.{s.name}")
                self.edges.append((gid, sid))
                previous += self._call(s, f"{gname}.{s.name}", gid, depth)
        return previous

    def _dag(self, tmpl: DAG, name: str, nid: str, depth: int) -> List[str]:
        ends: dict = {}
        ids = {t.name: node_id(self.wf_id, f"{name}.{t.name}") for t in tmpl.tasks}
        fed = set()
        for t in tmpl.ordered():
            ups = [u for u in upstream(t) if u in ids]
            for u in ups:
                self.edges.extend((e, ids[t.name]) for e in ends.get(u, [ids[u]]))
                fed.add(u)
            if not ups:
                self.edges.append((nid, ids[t.name]))
            ends[t.name] = self._call(t, f"{name}.{t.name}", nid, depth)
        return [e for t, out in ends.items() if t not in fed for e in out] or [nid]


def _static_items(step: Any) -> Optional[int]:
    """How many items a loop makes when the model says it (a literal list or count)."""
    if isinstance(step.with_items, list):
        return len(step.with_items)
    count = getattr(step.with_sequence, "count", None)
    return count if isinstance(count, int) and getattr(step.with_sequence, "end", None) is None \
        else None


def planned_nodes(model: Any, wf_id: str) -> Tuple[List[StepRecord], List[Edge]]:
    """Placeholders (Pending records) for the steps of ``model`` run as ``wf_id``, and the
    edges between them; nothing when the model has no entrypoint."""
    entry = getattr(model, "entrypoint", None)
    if entry is None:
        return [], []
    plan = _Plan(wf_id)
    root = plan.node(wf_id, wf_id, "Steps" if isinstance(entry, Steps) else "DAG", "")
    plan.walk(entry, wf_id, root, 0)
    return plan.nodes, plan.edges
