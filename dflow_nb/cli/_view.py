"""A run as text: the summary ``get`` prints and the step tree ``watch`` redraws, as ``argo get``.

The tree comes from the notebook's ``GraphModel`` fed with ``Workflow.query_nodes(since_seq=)``,
so a redraw reads only what changed and a loop of many items collapses into one line with a
count per phase (``square ×1000  980 Succeeded, 20 Running``). Step groups (``[0]``) are not
drawn: their steps hang from the Steps node, as in Argo's tree.
"""
from __future__ import annotations

import time
from typing import Any, Dict, List, Optional

from dflow_nb.cli._output import elapsed, iso, outputs_text, short, span, table
from dflow_nb.hub.records import StepRecord, WorkflowRecord
from dflow_nb.hub.workflow import Workflow
from dflow_nb.notebook.graph import FINISHED, GraphModel

ICONS = {"Succeeded": "✔", "Failed": "✖", "Error": "⚠", "Running": "●", "Pending": "◷",
         "Skipped": "○", "Omitted": "○"}
GROUPS = ("StepGroup", "TaskGroup")
DEFAULT_COLLAPSE = 8


class RunView:
    """One run's summary and node records, refreshed incrementally."""

    def __init__(self, wf: Workflow, collapse: int = DEFAULT_COLLAPSE) -> None:
        assert wf.id is not None
        self.wf = wf
        self.graph = GraphModel(wf.id, collapse)
        self.records: Dict[str, StepRecord] = {}
        self.summary: Optional[WorkflowRecord] = None
        self.changed = False   # did the last refresh see anything new

    def refresh(self) -> WorkflowRecord:
        """Read the summary, then the nodes changed since the last read (so a run seen as ended
        is drawn with its final nodes)."""
        before = self.summary
        self.summary = self.wf.query()
        changed = self.wf.query_nodes(since_seq=self.graph.cursor)
        self.graph.apply(changed)
        self.records.update((r.id, r) for r in changed)
        self.changed = bool(changed) or before is None or \
            (before.phase, before.message) != (self.summary.phase, self.summary.message)
        return self.summary

    @property
    def ended(self) -> bool:
        return self.summary is not None and self.summary.phase in ("Succeeded", "Failed",
                                                                   "Error")

    def steps(self) -> List[StepRecord]:
        """The steps (no groups, no root), in start order, as ``query_step`` returns them."""
        out = [r for r in self.records.values() if r.id != self.wf.id and r.type not in GROUPS]
        out.sort(key=lambda s: (s.startedAt or float("inf"), s.seq))
        return out

    def progress(self) -> str:
        """Finished Pods over all Pods, as Argo's ``progress``."""
        pods = [r for r in self.records.values() if r.type == "Pod"]
        return f"{sum(r.phase in FINISHED for r in pods)}/{len(pods)}"

    # -- text ----------------------------------------------------------------------------------
    def header(self, now: Optional[float] = None) -> str:
        rec = self.summary
        assert rec is not None
        now = time.time() if now is None else now
        lines = [("Name", rec.id), ("Status", rec.phase)]
        if rec.message:
            lines.append(("Message", rec.message))
        if rec.createdAt is not None:
            lines.append(("Created", f"{iso(rec.createdAt)} ({span(now - rec.createdAt)} ago)"))
        if rec.startedAt is not None:
            lines.append(("Started", iso(rec.startedAt) or ""))
        if rec.finishedAt is not None:
            lines.append(("Finished", iso(rec.finishedAt) or ""))
        lines.append(("Duration", span(elapsed(rec.startedAt, rec.finishedAt, now))))
        lines.append(("Progress", self.progress()))
        if rec.labels:
            lines.append(("Labels", ", ".join(f"{k}={v}" for k, v in rec.labels.items())))
        if rec.dir:
            lines.append(("Directory", rec.dir))
        text = "\n".join(f"{k + ':':<14}{v}" for k, v in lines)
        outputs = outputs_text(rec.outputs, 60)
        return text + (f"\n{'Outputs:':<14}{outputs}" if outputs else "")

    def render(self, wide: bool = False, now: Optional[float] = None) -> str:
        """The header and the step tree."""
        return self.header(now) + "\n\n" + self.tree(wide, now)

    def tree(self, wide: bool = False, now: Optional[float] = None) -> str:
        now = time.time() if now is None else now
        ids, _ = self.graph.structure()
        nodes = {i: self.graph.node(i) for i in ids}

        def shown_parent(node: Dict[str, Any]) -> Optional[str]:
            parent, hops = node["parent"], 0
            while parent in nodes and nodes[parent]["type"] in GROUPS and hops < 64:
                parent, hops = nodes[parent]["parent"], hops + 1
            return parent if parent in nodes else None

        kids: Dict[Optional[str], List[str]] = {}
        for i in ids:
            if nodes[i]["type"] not in GROUPS:
                kids.setdefault(shown_parent(nodes[i]), []).append(i)
        header = ["STEP", "TEMPLATE", "PHASE", "DURATION"]
        header += ["KEY", "STARTED", "ID", "OUTPUTS", "MESSAGE"] if wide else ["MESSAGE"]
        rows: List[List[str]] = [header]

        def walk(i: str, prefix: str, last: bool, depth: int) -> None:
            rows.append(self._row(nodes[i], prefix + ("" if depth == 0 else
                                                      "└─" if last else "├─"), wide, now))
            below = prefix + ("" if depth == 0 else "  " if last else "│ ")
            children = kids.get(i, [])
            for n, child in enumerate(children):
                walk(child, below, n == len(children) - 1, depth + 1)

        roots = kids.get(None, [])
        for n, root in enumerate(roots):
            walk(root, "", n == len(roots) - 1, 0)
        return table(rows)

    def _row(self, node: Dict[str, Any], lead: str, wide: bool, now: float) -> List[str]:
        icon = ICONS.get(node["phase"], "?")
        rec = self.records.get(node["id"])
        group = node.get("group")
        if group:
            name = f"{node['displayName']} ×{group['count']}"
            message = ", ".join(f"{n} {p}" for p, n in group["phases"].items())
        else:
            name = node["displayName"]
            message = node.get("message") or ""
        started = node.get("startedAt")
        cells = [f"{lead}{icon} {name}", (rec.templateName or "") if rec else "", node["phase"],
                 span(elapsed(started, node.get("finishedAt"), now)) if started else "-"]
        if wide:
            cells += [(rec.key or "") if rec else "", iso(started) or "-",
                      node["id"] if rec else "", short(outputs_text(rec.outputs), 60)
                      if rec else "", message]
        else:
            cells.append(short(message, 80))
        return cells
