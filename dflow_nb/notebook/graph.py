"""The DAG a face draws, built from step records alone (so a local and an Argo run look alike).

``GraphModel`` takes node records as they arrive (all of them once, then only those changed since
a cursor) and keeps a *view*: the nodes worth drawing and the edges between them. Loop items that
share a parent and a name (``square(0:0)``, ``square(1:1)``, ...) collapse into one group node
with a count per phase once there are more than ``threshold`` of them, and whatever hangs below a
collapsed item is hidden. Updating a phase costs O(1); only new nodes can change the structure,
so a 10,000-slice fan-out redraws nothing and re-sends a handful of states.

Edges: Argo's ``children`` when every record carries them (the local engine sends them on full
reads only, so a node that arrived later switches the view to the tree); otherwise the parent
tree, with the
groups of a Steps template chained in order (every step of group ``[i]`` leads to ``[i+1]``), as
Argo's UI draws them.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Set, Tuple

from dflow_nb.hub.records import StepRecord

DEFAULT_THRESHOLD = 8
FINISHED = ("Succeeded", "Failed", "Error", "Skipped", "Omitted")
FAILED = ("Failed", "Error")
GROUP_TYPES = ("StepGroup", "TaskGroup")
_ITEM = re.compile(r"^(?P<base>.*)\((?P<index>\d+)(?::.*)?\)$", re.S)
_STEP_GROUP = re.compile(r"^\[(\d+)\]$")


def loop_base(display_name: str) -> Optional[Tuple[str, int]]:
    """``square(3:3)`` -> ("square", 3); None for a name that is not a loop item or attempt."""
    m = _ITEM.match(display_name)
    return (m.group("base"), int(m.group("index"))) if m else None


@dataclass(slots=True)
class Rec:
    """The fields of a StepRecord the view needs (small, and no ``__dict__``: 100,000 of them
    are half the objects for Python's cycle collector to walk)."""

    id: str
    name: str
    displayName: str
    type: str
    phase: str
    parent: str
    message: Optional[str] = None
    startedAt: Optional[float] = None
    finishedAt: Optional[float] = None
    progress: Optional[str] = None
    key: Optional[str] = None
    children: Optional[List[str]] = None
    dir: Optional[str] = None
    template: Optional[str] = None
    reused: bool = False
    pending: bool = False      # known from the workflow model only: not started yet

    @classmethod
    def of(cls, r: StepRecord) -> "Rec":
        children = getattr(r, "children", None)
        return cls(r.id, r.name, r.displayName, r.type, r.phase, r.parentID or "", r.message,
                   r.startedAt, r.finishedAt, r.progress, r.key,
                   list(children) if children is not None else None, getattr(r, "dir", None),
                   getattr(r, "templateName", None), is_reused(r))


def is_reused(r: Any) -> bool:
    """A node whose outputs came from an earlier run (``reuse_step``; Argo: a memoization hit)."""
    flag = getattr(r, "reused", None)
    if flag is not None:
        return bool(flag)
    return r.phase == "Succeeded" and (r.message or "") == "reused"


def planned_of(progress: Optional[str]) -> Optional[int]:
    """The total of a ``done/total`` progress text (a loop's owner records its planned items)."""
    if not progress or "/" not in progress:
        return None
    try:
        return int(progress.rsplit("/", 1)[1])
    except ValueError:
        return None


@dataclass
class Bucket:
    """The loop items under one parent with one base name; collapsed past the threshold."""

    id: str
    parent: str
    base: str
    items: Dict[str, str] = field(default_factory=dict)   # item id -> phase
    index: Dict[str, int] = field(default_factory=dict)   # item id -> its loop index
    phases: Counter = field(default_factory=Counter)
    collapsed: bool = False
    first_started: Optional[float] = None
    last_finished: Optional[float] = None
    planned: int = 0                 # items the loop will make (>= len(items)); set by the model
    order: List[str] = field(default_factory=list)   # item ids by loop index (see ordered())
    order_sorted: bool = True

    def add_item(self, item_id: str, phase: str, index: int) -> None:
        if self.order and self.index[self.order[-1]] > index:
            self.order_sorted = False   # items mostly start in index order: rarely re-sorted
        self.items[item_id] = phase
        self.index[item_id] = index
        self.order.append(item_id)

    def ordered(self) -> List[str]:
        """Item ids by loop index (sorted again only when an item came out of order)."""
        if not self.order_sorted:
            self.order.sort(key=self.index.__getitem__)
            self.order_sorted = True
        return self.order

    @property
    def phase(self) -> str:
        """Argo-like: running while any item runs, failed once something failed, else done."""
        p = self.phases
        if p["Running"] or p["Pending"] or self.planned > len(self.items):
            return "Running" if len(self.items) or p["Running"] else "Pending"
        if any(p[x] for x in FAILED):
            return "Failed" if p["Failed"] else "Error"
        if p["Succeeded"]:
            return "Succeeded"
        return "Skipped" if p["Skipped"] else "Omitted" if p["Omitted"] else "Pending"

    @property
    def done(self) -> int:
        return sum(self.phases[x] for x in FINISHED)

    @property
    def total(self) -> int:
        """Planned items: those the loop will make, not only those started."""
        return max(self.planned, len(self.items))

    @property
    def failed(self) -> int:
        return sum(self.phases[x] for x in FAILED)


class GraphModel:
    """Node records in, a collapsed drawable view out; ``apply`` says what changed."""

    def __init__(self, workflow_id: str, threshold: int = DEFAULT_THRESHOLD) -> None:
        self.workflow_id = workflow_id
        self.threshold = threshold
        self.recs: Dict[str, Rec] = {}
        self.kids: Dict[str, List[str]] = {}
        self.buckets: Dict[Tuple[str, str], Bucket] = {}
        self.bucket_by_id: Dict[str, Bucket] = {}
        self.item_bucket: Dict[str, Bucket] = {}
        self.by_phase: Dict[str, Set[str]] = {}
        self.cursor: Optional[int] = None
        self.version = 0                 # bumps when the structure (nodes, edges) changes
        self.planned_under: Dict[str, int] = {}   # loop owner id -> items it plans
        self.plan_edges: List[Tuple[str, str]] = []   # edges to steps known from the model
        self.ended = False
        self.replaced: Dict[str, str] = {}   # model step id -> the group of its loop items
        self.parent_buckets: Dict[str, List[Bucket]] = {}
        self.plain_kids: Counter = Counter()   # parent -> children that are not loop items
        self.mixed: Set[str] = set()           # parents with a child that is not a leaf
        self.pods: Counter = Counter()         # leaf steps (Pods) per phase, kept as they change
        self.pending_pods: Counter = Counter()   # the same for steps known from the model only
        self.reused_pods = 0
        self._structure: Optional[Tuple[List[str], List[Tuple[str, str]]]] = None
        self._children: Dict[str, List[str]] = {}

    # -- input ---------------------------------------------------------------------------------
    def apply(self, records: Iterable[StepRecord]) -> Set[str]:
        """Take new or changed records; returns the ids of view nodes whose state changed."""
        changed: Set[str] = set()
        structural = False
        for r in records:
            seq = getattr(r, "seq", None)
            if seq is not None and (self.cursor is None or seq > self.cursor):
                self.cursor = seq
            rec = Rec.of(r)
            old = self.recs.get(rec.id)
            if rec.children is None and old is not None:
                rec.children = old.children   # incremental reads do not carry children
            self.recs[rec.id] = rec
            if old is not None:
                self._count(old, -1)
            self._count(rec, 1)
            if old is not None:
                self.by_phase.get(old.phase, set()).discard(rec.id)
            self.by_phase.setdefault(rec.phase, set()).add(rec.id)
            if old is None:
                structural |= self._add(rec)
            elif old.children != rec.children or old.parent != rec.parent or old.pending:
                structural = True
                if old.pending and rec.type != "Pod":
                    self.mixed.add(rec.parent)
            planned = planned_of(rec.progress) if rec.type in GROUP_TYPES else None
            if planned is not None and self.planned_under.get(rec.id) != planned:
                self.planned_under[rec.id] = planned
                for b in self._buckets_under(rec.id):
                    self._plan(b)
                    changed.add(b.id)
            bucket = self.item_bucket.get(rec.id)
            if bucket is not None:
                if old is not None:
                    bucket.phases[old.phase] -= 1
                bucket.phases[rec.phase] += 1
                bucket.items[rec.id] = rec.phase
                if rec.startedAt is not None and (bucket.first_started is None
                                                  or rec.startedAt < bucket.first_started):
                    bucket.first_started = rec.startedAt
                if rec.finishedAt is not None and (bucket.last_finished is None
                                                   or rec.finishedAt > bucket.last_finished):
                    bucket.last_finished = rec.finishedAt
                if bucket.collapsed:
                    changed.add(bucket.id)
                    continue
            if not self.hidden(rec.id):
                changed.add(rec.id)
        if structural:
            self.version += 1
            self._structure = None
        return changed

    def _count(self, rec: Rec, k: int) -> None:
        if rec.type != "Pod":
            return
        if rec.pending:   # a loop known from the model counts the items it will make
            self.pending_pods[rec.phase] += k * (planned_of(rec.progress) or 1)
            return
        self.pods[rec.phase] += k
        self.reused_pods += k if rec.reused else 0

    def _add(self, rec: Rec) -> bool:
        """Index a new record; True when the drawn structure changes."""
        self.kids.setdefault(rec.parent, []).append(rec.id)
        if rec.type != "Pod" and not rec.pending:
            self.mixed.add(rec.parent)
        base = loop_base(rec.displayName) if rec.type not in ("StepGroup",) else None
        if base is None:
            self.plain_kids[rec.parent] += 1
            return not self.hidden(rec.id)
        key = (rec.parent, base[0])
        bucket = self.buckets.get(key)
        placeholder = None
        if bucket is None:
            bucket = self.buckets[key] = Bucket(f"{rec.parent}#{base[0]}", rec.parent, base[0])
            self.bucket_by_id[bucket.id] = bucket
            self.parent_buckets.setdefault(rec.parent, []).append(bucket)
            placeholder = self._placeholder(rec.parent, base[0])
            if placeholder is not None:   # the model's looped step: its items stand for it now
                self._drop(placeholder)
                self.replaced[placeholder] = bucket.id
        self.item_bucket[rec.id] = bucket
        bucket.add_item(rec.id, rec.phase, base[1])
        self._plan(bucket)
        if bucket.collapsed:
            return placeholder is not None
        if len(bucket.items) > self.threshold:
            bucket.collapsed = True
        return not self.hidden(rec.id) or bucket.collapsed

    # -- what the model says is still to come --------------------------------------------------
    def add_planned(self, records: Iterable[StepRecord], edges: Iterable[Tuple[str, str]]) -> None:
        """Steps known from the workflow model that have not started: drawn greyed, counted
        as planned, replaced by their records when they arrive."""
        for r in records:
            if r.id in self.recs or (r.parentID or "", r.displayName) in self.buckets:
                continue   # started already (a loop: its items are there)
            rec = Rec.of(r)
            rec.pending = True
            self.recs[rec.id] = rec
            self._count(rec, 1)
            self.by_phase.setdefault(rec.phase, set()).add(rec.id)
            self._add(rec)
        self.plan_edges.extend(edges)
        self.version += 1
        self._structure = None

    def _placeholder(self, parent: str, base: str) -> Optional[str]:
        for k in self.kids.get(parent, ()):
            rec = self.recs.get(k)
            if rec is not None and rec.pending and rec.displayName == base:
                return k
        return None

    def _drop(self, node_id: str) -> None:
        rec = self.recs.pop(node_id)
        self._count(rec, -1)
        self.by_phase.get(rec.phase, set()).discard(node_id)
        self.kids[rec.parent].remove(node_id)
        self.plain_kids[rec.parent] -= 1

    def _buckets_under(self, parent: str) -> List[Bucket]:
        return self.parent_buckets.get(parent, [])

    def _plan(self, bucket: Bucket) -> None:
        """A loop's planned items: what its owner (a step or task group) says it will make,
        less its other children, when they all are leaves (Argo counts pods below a node)."""
        total = self.planned_under.get(bucket.parent)
        if total is None or self.ended or bucket.parent in self.mixed:
            return
        others = self.plain_kids[bucket.parent] + sum(
            b.total for b in self._buckets_under(bucket.parent) if b is not bucket)
        bucket.planned = max(0, total - others)

    def close(self) -> None:
        """The run ended: nothing more will start (planned but never made items are dropped,
        never-started model steps read Omitted)."""
        self.ended = True
        for b in self.buckets.values():
            b.planned = 0
        for rid in list(self.by_phase.get("Pending", ())):
            rec = self.recs[rid]
            if rec.pending:
                self._count(rec, -1)
                self.by_phase["Pending"].discard(rid)
                rec.phase = "Omitted"
                self.by_phase.setdefault("Omitted", set()).add(rid)
                self._count(rec, 1)

    def progress(self) -> Tuple[int, int]:
        """Leaf steps finished, and planned (started, known from the model, or still to come
        in a loop whose size is known)."""
        done = sum(self.pods[p] for p in FINISHED)
        planned = sum(self.pods.values()) + sum(self.pending_pods.values()) + self._to_come()
        return done, planned

    def _to_come(self) -> int:
        return sum(b.total - len(b.items) for b in self.buckets.values())

    def counts(self) -> Dict[str, int]:
        """Leaf steps per phase; planned ones not yet made count as Pending."""
        out = Counter(self.pods)
        out.update(self.pending_pods)
        out["Pending"] += self._to_come()
        return {k: v for k, v in out.items() if v}

    def hidden(self, node_id: str) -> bool:
        """True below a collapsed item (the item itself is drawn as its group)."""
        seen = 0
        rec = self.recs.get(node_id)
        while rec is not None and seen < 64:
            bucket = self.item_bucket.get(rec.id)
            if bucket is not None and bucket.collapsed and rec.id != node_id:
                return True
            rec = self.recs.get(rec.parent) if rec.parent else None
            seen += 1
        return False

    # -- output --------------------------------------------------------------------------------
    def structure(self) -> Tuple[List[str], List[Tuple[str, str]]]:
        """View node ids (records and groups, in first-seen order) and the edges between them."""
        if self._structure is not None:
            return self._structure
        ids: List[str] = []
        alias: Dict[str, str] = {}
        shown: Set[str] = set()
        for rid, rec in self.recs.items():
            bucket = self.item_bucket.get(rid)
            if self.hidden(rid):
                continue
            if bucket is not None and bucket.collapsed:
                if bucket.id not in shown:
                    shown.add(bucket.id)
                    ids.append(bucket.id)
                alias[rid] = bucket.id
                continue
            ids.append(rid)
            alias[rid] = rid
        edges: List[Tuple[str, str]] = []
        seen: Set[Tuple[str, str]] = set()

        def link(a: str, b: str) -> None:
            va, vb = alias.get(a), alias.get(b)
            if va and vb and va != vb and (va, vb) not in seen:
                seen.add((va, vb))
                edges.append((va, vb))

        if self.recs and all(r.children is not None for r in self.recs.values()):
            for rec in self.recs.values():
                for child in rec.children or ():
                    link(rec.id, child)
        else:
            self._tree_edges(link)
        for a, b in self.plan_edges:
            if b not in self.recs or not self.recs[b].pending:
                continue
            for src in self.bucket_items(self.replaced.get(a, a)):
                link(src, b)
        start = {i: (self.recs[i].startedAt if i in self.recs else
                     self.bucket_by_id[i].first_started) for i in ids}
        ids = [i for _, i in sorted(enumerate(ids), key=lambda p: (start[p[1]] is None,
                                                                      start[p[1]] or 0, p[0]))]
        self._children = {}
        for a, b in edges:
            self._children.setdefault(a, []).append(b)
        self._structure = (ids, edges)
        return self._structure

    def _tree_edges(self, link: Any) -> None:
        for parent, kids in self.kids.items():
            if not parent or parent not in self.recs:
                continue
            groups = sorted((int(m.group(1)), k) for k in kids
                            if self.recs[k].type == "StepGroup"
                            for m in [_STEP_GROUP.match(self.recs[k].displayName)] if m)
            if groups and self.recs[parent].type == "Steps":
                link(parent, groups[0][1])
                for (_, prev), (_, nxt) in zip(groups, groups[1:]):
                    for k in self.kids.get(prev, []):
                        for end in self._outbound(k, 0):
                            link(end, nxt)
                others = [k for k in kids if self.recs[k].type != "StepGroup"]
            else:
                others = kids
            for k in others:
                link(parent, k)

    def _outbound(self, node_id: str, depth: int) -> List[str]:
        """Where a step's subtree ends (what the next step group hangs from), as Argo draws it."""
        bucket = self.item_bucket.get(node_id)
        kids = [k for k in self.kids.get(node_id, ()) if k in self.recs]
        if not kids or depth > 32 or (bucket is not None and bucket.collapsed):
            return [node_id]
        if self.recs[node_id].type == "Steps":
            groups = sorted((int(m.group(1)), k) for k in kids
                            for m in [_STEP_GROUP.match(self.recs[k].displayName)] if m)
            if groups:
                kids = self.kids.get(groups[-1][1], []) or [groups[-1][1]]
        return [end for k in kids for end in self._outbound(k, depth + 1)]

    def node(self, view_id: str) -> Dict[str, Any]:
        """One view node in the bundle's shape (see display.py)."""
        rec = self.recs.get(view_id)
        self.structure()
        children = list(self._children.get(view_id, ()))
        if rec is not None:
            parent = self.item_bucket[rec.parent].id if rec.parent in self.item_bucket and \
                self.item_bucket[rec.parent].collapsed else rec.parent
            return {"id": rec.id, "name": rec.name, "displayName": rec.displayName,
                    "type": rec.type, "phase": rec.phase, "parent": parent or None,
                    "children": children, "message": rec.message, "startedAt": rec.startedAt,
                    "finishedAt": rec.finishedAt, "progress": rec.progress, "key": rec.key,
                    "templateName": rec.template, "pending": rec.pending, "reused": rec.reused,
                    "group": None}
        bucket = self.bucket_by_id[view_id]
        return {"id": bucket.id, "name": bucket.base, "displayName": bucket.base,
                "type": "Group", "phase": bucket.phase, "parent": bucket.parent or None,
                "children": children, "message": None, "startedAt": bucket.first_started,
                "finishedAt": bucket.last_finished if bucket.phase in FINISHED else None,
                "progress": f"{bucket.done}/{bucket.total}", "key": None,
                "templateName": None, "pending": False, "reused": False,
                "group": self._group_state(bucket)}

    @staticmethod
    def _group_state(bucket: Bucket) -> Dict[str, Any]:
        return {"count": len(bucket.items), "planned": bucket.total, "done": bucket.done,
                "phases": {k: v for k, v in sorted(bucket.phases.items()) if v}}

    def state(self, view_id: str) -> Dict[str, Any]:
        """What changes while a run goes on, per view node: phase, progress and group counts."""
        rec = self.recs.get(view_id)
        if rec is not None:
            out: Dict[str, Any] = {"phase": rec.phase, "progress": rec.progress}
            if rec.pending:
                out["pending"] = True
            return out
        bucket = self.bucket_by_id.get(view_id)
        if bucket is None:
            return {"phase": "Pending", "progress": None}
        group = self._group_state(bucket)
        return {"phase": bucket.phase, "progress": f"{bucket.done}/{bucket.total}",
                **{k: group[k] for k in ("count", "planned", "phases")}}

    def bucket_items(self, view_id: str) -> List[str]:
        """The record ids a group node stands for (or the node itself)."""
        bucket = self.bucket_by_id.get(view_id)
        if bucket is not None:
            return list(bucket.items)
        return [view_id] if view_id in self.recs else []

    def leaves(self, phases: Iterable[str], limit: Optional[int] = None) -> List[str]:
        """Ids of work nodes (Pods) in these phases, for tables and the log pane (the first
        ``limit``: a table of 60 rows does not walk 1,000 failed slices)."""
        out: List[str] = []
        for p in phases:
            for i in self.by_phase.get(p, ()):
                if limit is not None and len(out) >= limit:
                    return out
                rec = self.recs[i]
                if rec.type == "Pod" and not rec.pending:
                    out.append(i)
        return out
