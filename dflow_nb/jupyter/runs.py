"""Runs as the sidebar reads them: a ``GraphModel`` per open run, kept between requests and
brought up to date with ``query_nodes(since_seq=...)`` (a 10,000-slice run is read once, then
only what changed), and the run list filtered, sorted and paged.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

from dflow_nb.errors import DflowNbError
from dflow_nb.hub.records import WorkflowRecord
from dflow_nb.hub.workflow import Workflow
from dflow_nb.jupyter.sources import Source
from dflow_nb.notebook.graph import GraphModel
from dflow_nb.notebook.plan import planned_nodes
from dflow_nb.notebook.viewdata import run_summary

OPEN_PHASES = ("Pending", "Running")
CACHED_RUNS = 32
SORT_KEYS = ("createdAt", "startedAt", "finishedAt", "name", "phase", "duration")


@dataclass
class _Entry:
    model: GraphModel
    lock: threading.Lock = field(default_factory=threading.Lock)
    planned: bool = False


class RunCache:
    """Up-to-date models of the runs the sidebar looks at (the most recent few)."""

    def __init__(self, size: int = CACHED_RUNS) -> None:
        self.size = size
        self._entries: "OrderedDict[Tuple[str, str], _Entry]" = OrderedDict()
        self._lock = threading.Lock()

    def _entry(self, key: Tuple[str, str]) -> _Entry:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                entry = self._entries[key] = _Entry(GraphModel(key[1]))
                while len(self._entries) > self.size:
                    self._entries.popitem(last=False)
            self._entries.move_to_end(key)
            return entry

    def forget(self, source: Source, wf_id: str) -> None:
        with self._lock:
            self._entries.pop((source.name, wf_id), None)

    def read(self, source: Source, wf: Workflow) -> Tuple[WorkflowRecord, GraphModel]:
        """The run's record and its model, with every change since the last read applied."""
        record = wf.query()
        entry = self._entry((source.name, record.id))
        with entry.lock:
            model = entry.model
            model.apply(wf.query_nodes(since_seq=model.cursor))
            if not entry.planned:
                entry.planned = True
                if record.phase in OPEN_PHASES:
                    _add_planned(model, wf)
            if record.phase not in OPEN_PHASES and not model.ended:
                model.close()
        return record, model


def _add_planned(model: GraphModel, wf: Workflow) -> None:
    """Steps of the run's model not started yet (a run without a readable model: none)."""
    try:
        nodes, edges = planned_nodes(wf.model(), model.workflow_id)
    except Exception:
        return
    model.add_planned(nodes, edges)


# -- the list -----------------------------------------------------------------------------------
@dataclass
class ListQuery:
    """What the sidebar asks of the run list."""

    phases: Sequence[str] = ()
    name: str = ""
    labels: Dict[str, str] = field(default_factory=dict)
    search: str = ""
    sort: str = "-createdAt"
    offset: int = 0
    limit: int = 50

    def check(self) -> None:
        if self.sort.lstrip("-") not in SORT_KEYS:
            raise ValueError(f"sort must be one of {', '.join(SORT_KEYS)} (with - for "
                             f"descending), not {self.sort!r}")
        if self.offset < 0 or not 1 <= self.limit <= 500:
            raise ValueError("offset must be >= 0 and limit between 1 and 500")

    def keep(self, r: WorkflowRecord) -> bool:
        if self.phases and r.phase not in self.phases:
            return False
        if self.name and self.name.lower() not in r.name.lower():
            return False
        if any((r.labels or {}).get(k) != v for k, v in self.labels.items()):
            return False
        needle = self.search.lower()
        return not needle or any(needle in (x or "").lower() for x in (r.id, r.name, r.message))


def _sort_value(r: WorkflowRecord, key: str) -> Any:
    if key == "duration":
        return (r.finishedAt or 0) - (r.startedAt or 0) if r.startedAt else 0
    value = getattr(r, key)
    return value if value is not None else (0 if key.endswith("At") else "")


def list_runs(sources: List[Source], query: ListQuery, cache: RunCache
              ) -> Dict[str, Any]:
    """One page of the runs of every source; a source that cannot be read says why."""
    rows: List[Tuple[Source, WorkflowRecord]] = []
    described = []
    for src in sources:
        info: Dict[str, Any] = {**src.describe(), "runs": 0, "error": None}
        try:
            found = src.list()
        except Exception as exc:   # one unreachable source never hides the others
            text = str(exc) if isinstance(exc, DflowNbError) else f"{type(exc).__name__}: {exc}"
            info["error"] = (text.splitlines() or [""])[0][:1000]
            found = []
        info["runs"] = len(found)
        described.append(info)
        rows.extend((src, r) for r in found if query.keep(r))
    key = query.sort.lstrip("-")
    rows.sort(key=lambda sr: _sort_value(sr[1], key), reverse=query.sort.startswith("-"))
    page = rows[query.offset: query.offset + query.limit]
    out = []
    for src, rec in page:
        model: Optional[GraphModel]
        try:
            rec, model = cache.read(src, src.workflow(rec.id))
        except Exception:
            model = None
        out.append(run_summary(rec, model, src.kind, src.name, src.shown or None,
                               str(src.workdir) if src.workdir else None))
    return {"workflows": out, "total": len(rows), "offset": query.offset, "limit": query.limit,
            "sources": described}
