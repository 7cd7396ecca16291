"""The JSON the views consume (``/work/notes``' view contract, documented in ARCHITECTURE.md):
a run's summary, one node's details, a collapsed group as a list, the timeline.

Built from ``Workflow`` records and the live view's ``GraphModel`` only, so the widget (in the
kernel) and the server extension (the sidebar) send the same shapes for local and Argo runs.
Every string is plain text; secret-looking keys of an executor's record are masked.
"""
from __future__ import annotations

import heapq
import itertools
import json
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set

from dflow_nb.config import masked
from dflow_nb.hub.records import ArtifactRecord, IORecord, StepRecord, WorkflowRecord
from dflow_nb.model.serialization import unwrap_sliced
from dflow_nb.notebook.graph import FAILED, Bucket, GraphModel, Rec, is_reused, loop_base
from dflow_nb.notebook.previews import artifact_info, preview

VALUE_CAP = 4096
GROUP_ORDER = ("Failed", "Error", "Running", "Pending")
TIMELINE_LIMIT = 2000
INLINE_PREVIEW = 16 * 1024
TIMELINE_BINS = 60
_SHOWN_IN_GROUP = FAILED + ("Running",)   # a collapsed group's slices the timeline still lists


def open_cell(wf_id: str, workdir: Optional[str]) -> str:
    """The cell that reattaches to a run (``Workflow(id=...)``)."""
    where = f", workdir={workdir!r}" if workdir not in (None, "") else ""
    return f"from dflow_nb import Workflow\nwf = Workflow(id={wf_id!r}{where})\nwf"


def run_summary(record: WorkflowRecord, model: Optional[GraphModel], backend: str = "local",
                source: str = "", workdir: Optional[str] = None,
                path: Optional[str] = None) -> Dict[str, Any]:
    """A run's summary: the list row and the header of every view (``workdir`` as shown,
    ``path`` the work directory's absolute path for the "open in a notebook" cell)."""
    counts = model.counts() if model is not None else {}
    done, planned = model.progress() if model is not None else (0, 0)
    end = record.finishedAt
    return {"id": record.id, "name": record.name, "phase": record.phase,
            "message": record.message, "labels": dict(record.labels or {}),
            "createdAt": record.createdAt, "startedAt": record.startedAt, "finishedAt": end,
            "duration": None if record.startedAt is None or end is None
            else round(end - record.startedAt, 3),
            "backend": backend, "source": source, "workdir": workdir if backend == "local" else "",
            "progress": {"done": done, "planned": planned}, "counts": counts,
            "failed": sum(counts.get(p, 0) for p in FAILED),
            "reused": model.reused_pods if model is not None else 0,
            "title": f"{record.name} · {record.id}",
            "openCell": open_cell(record.id, (path or workdir) if backend == "local" else None)}


def run_place(workflow: Any) -> Dict[str, Any]:
    """Backend and source of a run seen from the kernel, so JupyterLab can ask its server
    extension for a cell's details and logs (a local run: its work directory's full path)."""
    backend = getattr(workflow, "_backend", None)
    if backend is None and hasattr(workflow, "backend"):
        backend = workflow.backend
    kind = getattr(backend, "kind", None) or "local"
    if kind != "local":
        return {"backend": kind, "source": "argo"}
    workdir = getattr(workflow, "workdir", None)
    if workdir is None:
        return {"backend": kind}
    path = str(Path(workdir).resolve())
    return {"backend": kind, "source": f"local:{path}", "workdir": path, "path": path}


def retry_refusal(phase: str, failed: int) -> Optional[str]:
    """Why retry does nothing for a run in ``phase`` with ``failed`` failed leaf steps (None
    when it does something): said to the user instead of a silent "done"."""
    if phase in ("Pending", "Running"):
        return f"retry: the run is still {phase}; retry is for ended runs"
    if phase != "Succeeded":
        return None
    what = (f"its {failed} failed steps were accepted (continue_on_* / success ratio): "
            "resubmit to run everything again, or reuse the succeeded steps") if failed \
        else "nothing failed"
    return f"retry: the run Succeeded; {what}"


def value_text(value: Any) -> Dict[str, Any]:
    """A parameter value as display text (decoded: ``0.5``, never an internal encoding)."""
    value = unwrap_sliced(value) if isinstance(value, list) else value
    if isinstance(value, str):
        text = value
    else:
        try:
            text = json.dumps(value, default=repr)
        except (TypeError, ValueError):
            text = repr(value)
    return {"value": text[:VALUE_CAP], "truncated": len(text) > VALUE_CAP}


def io_json(io: IORecord, base: str, artifacts_local: bool) -> Dict[str, Any]:
    """Parameters (with types) and artifacts (with size and a preview endpoint) of one side."""
    params = [{"name": k, "type": p.type, **value_text(p.value)}
              for k, p in io.parameters.items()]
    arts = [{"name": k, **artifact_summary(a, artifacts_local), "preview": f"{base}/{k}"}
            for k, a in io.artifacts.items()]
    return {"parameters": params, "artifacts": arts}


def artifact_summary(art: ArtifactRecord, local: bool) -> Dict[str, Any]:
    if not local:
        return {"size": None, "files": None, "kind": "remote"}
    return artifact_info(art.paths)


def inline_previews(details: Dict[str, Any], step: StepRecord) -> None:
    """Put a small preview (text, JSON, CSV of at most 16 KB) into each artifact of a node's
    details, for views with no server to ask (the live widget)."""
    for side, io in (("inputs", step.inputs), ("outputs", step.outputs)):
        for art in details[side]["artifacts"]:
            if art.get("kind") in ("text", "json", "csv") and (art.get("size") or 0) <= \
                    INLINE_PREVIEW:
                try:
                    art["previewData"] = preview(art["name"], io.artifacts[art["name"]].paths)
                except (OSError, ValueError):
                    continue


def _attempts(step: StepRecord, nodes: Sequence[StepRecord]) -> List[Dict[str, Any]]:
    if step.type != "Retry":
        return []
    kids = [n for n in nodes if n.parentID == step.id]
    kids.sort(key=lambda n: (n.startedAt or 0, n.seq))
    return [{"id": n.id, "displayName": n.displayName, "phase": n.phase,
             "startedAt": n.startedAt, "finishedAt": n.finishedAt, "message": n.message}
            for n in kids]


def node_details(wf_id: str, step: StepRecord, nodes: Sequence[StepRecord],
                 model: Optional[GraphModel] = None, backend: str = "local") -> Dict[str, Any]:
    """One node at Argo UI's node-info level, plus the executor's record and attempts."""
    base = f"workflows/{wf_id}/nodes/{step.id}/artifacts"
    group = None
    if model is not None and step.id in model.item_bucket:
        bucket = model.item_bucket[step.id]
        found = loop_base(step.displayName)
        group = {"id": bucket.id, "name": bucket.base, "planned": bucket.total,
                 "index": found[1] if found else None}
    local = backend == "local"
    outputs = io_json(step.outputs, f"{base}/outputs", local)
    outputs.update({"result": step.outputs.result, "exitCode": step.outputs.exitCode})
    argo = None
    if backend == "argo":
        argo = {"nodeId": step.id, "podName": step.id if step.type == "Pod" else None,
                "hostNodeName": getattr(step, "hostNodeName", None)}
    return {"id": step.id, "name": step.name, "displayName": step.displayName, "key": step.key,
            "type": step.type, "phase": step.phase, "templateName": step.templateName,
            "parent": step.parentID, "boundaryID": step.boundaryID, "group": group,
            "startedAt": step.startedAt, "finishedAt": step.finishedAt,
            "duration": step.duration, "message": step.message, "progress": step.progress,
            "attempts": _attempts(step, nodes),
            "executor": masked(step.executor) if step.executor else None,
            "argo": argo, "reused": is_reused(step),
            "memoization": getattr(step, "memoizationStatus", None),
            "inputs": io_json(step.inputs, f"{base}/inputs", local), "outputs": outputs,
            "log": f"workflows/{wf_id}/logs/{step.id}"}


def _item_row(rec: Rec, index: Optional[int]) -> Dict[str, Any]:
    return {"id": rec.id, "displayName": rec.displayName, "key": rec.key, "phase": rec.phase,
            "startedAt": rec.startedAt, "finishedAt": rec.finishedAt, "message": rec.message,
            "index": index}


def group_listing(model: GraphModel, group_id: str, phases: Optional[Iterable[str]] = None,
                  search: str = "", offset: int = 0, limit: int = 50) -> Dict[str, Any]:
    """A collapsed fan-out as a list of its slices: Failed first, filtered, one page. Without a
    search only the page is looked for (100,000 slices are not sorted for 50 of them)."""
    bucket = model.bucket_by_id.get(group_id)
    if bucket is None:
        raise KeyError(group_id)
    wanted = set(phases or ()) or set(bucket.phases) | set(GROUP_ORDER)
    needle = search.lower()
    start = max(0, offset)
    need = start + max(1, min(limit, 500))
    if needle:
        rank = {p: n for n, p in enumerate(GROUP_ORDER)}
        hits = [(rank.get(phase, len(rank)), bucket.index[i], i)
                for i, phase in bucket.items.items()
                if phase in wanted and _matches(model.recs[i], needle)]
        total = len(hits)
        ids = [i for _, _, i in heapq.nsmallest(need, hits)]
    else:
        total = sum(bucket.phases[p] for p in wanted)
        ids = []
        for group in [{p} for p in GROUP_ORDER if p in wanted] + [wanted - set(GROUP_ORDER)]:
            if len(ids) < need:
                ids += _first(model, bucket, group, need - len(ids))
    index = bucket.index
    return {"group": {"id": bucket.id, "name": bucket.base, "planned": bucket.total,
                      "count": len(bucket.items),
                      "phases": {k: v for k, v in sorted(bucket.phases.items()) if v}},
            "items": [_item_row(model.recs[i], index.get(i)) for i in ids[start:need]],
            "total": total, "offset": offset, "limit": limit}


def _first(model: GraphModel, bucket: Bucket, phases: Set[str], n: int) -> List[str]:
    """The group's first ``n`` items (by loop index) in ``phases``: from those phases' own sets
    when they are few, else walking the items in order until ``n`` are found."""
    count = sum(bucket.phases[p] for p in phases)
    if count == 0:
        return []
    if count * 8 < len(bucket.items):
        ids = [i for p in phases for i in model.by_phase.get(p, ())
               if model.item_bucket.get(i) is bucket]
        return sorted(ids, key=bucket.index.__getitem__)[:n]
    out: List[str] = []
    items = bucket.items
    for i in bucket.ordered():
        if items[i] in phases:
            out.append(i)
            if len(out) >= n:
                break
    return out


def _matches(rec: Rec, needle: str) -> bool:
    return needle in rec.displayName.lower() or needle in (rec.key or "").lower() \
        or needle in (rec.message or "").lower()


def _t(x: Optional[float]) -> Optional[float]:
    return None if x is None else round(x, 3)


def _bins(recs: List[Rec], start: float, end: float, n: int = TIMELINE_BINS) -> Dict[str, Any]:
    """How many slices of a group ran, and had finished, in each of ``n`` time slots."""
    width = max((end - start) / n, 1e-3)
    change, finished = [0] * (n + 1), [0] * n
    last = n - 1
    for r in recs:
        began = r.startedAt
        if began is None:
            continue
        a = int((began - start) / width)
        a = 0 if a < 0 else last if a > last else a
        ended = r.finishedAt
        if ended is None:
            b = last
        else:
            b = int((ended - start) / width)
            b = a if b < a else last if b > last else b
            finished[b] += 1
        change[a] += 1           # running from slot a through slot b
        change[b + 1] -= 1
    running = list(itertools.accumulate(change[:n]))
    return {"start": _t(start), "width": round(width, 3), "running": running,
            "finished": finished}


def timeline(model: GraphModel, limit: int = TIMELINE_LIMIT) -> Dict[str, Any]:
    """Leaf steps on a time axis (a Gantt chart). Past ``limit`` leaves, the slices of
    collapsed groups are left out but for the failed and running ones; each group carries how
    many of its slices ran per time slot, so 10,000 slices stay a small, readable picture.
    The leaves are walked once (100,000 slices: tens of milliseconds)."""
    leaves: List[Rec] = []
    shown: List[Rec] = []
    in_group: Dict[str, List[Rec]] = {}
    start = last_start = last_end = None
    running = False
    item_bucket = model.item_bucket
    for r in model.recs.values():
        if r.type != "Pod" or r.pending:
            continue
        leaves.append(r)
        began, ended = r.startedAt, r.finishedAt
        if began is not None:
            if start is None or began < start:
                start = began
            if last_start is None or began > last_start:
                last_start = began
            running = running or ended is None
        if ended is not None and (last_end is None or ended > last_end):
            last_end = ended
        bucket = item_bucket.get(r.id)
        if bucket is not None and bucket.collapsed:
            in_group.setdefault(bucket.id, []).append(r)
            if r.phase not in _SHOWN_IN_GROUP:
                continue
        shown.append(r)
    end = None if running else last_end
    if len(leaves) <= limit:
        shown = leaves
    shown = sorted(shown, key=lambda r: (r.startedAt is None, r.startedAt or 0,
                                         r.displayName))[:limit]
    rows = []
    for r in shown:
        bucket = item_bucket.get(r.id)
        rows.append({"id": r.id, "displayName": r.displayName, "key": r.key, "phase": r.phase,
                     "startedAt": _t(r.startedAt), "finishedAt": _t(r.finishedAt),
                     "group": bucket.id if bucket is not None and bucket.collapsed else None})
    last = end if end is not None else max(
        (t for t in (last_end, last_start) if t is not None), default=start or 0.0)
    groups = []
    for b in model.buckets.values():
        if not b.collapsed:
            continue
        groups.append({"id": b.id, "name": b.base, "startedAt": _t(b.first_started),
                       "finishedAt": _t(b.last_finished), "planned": b.total,
                       "phases": {k: v for k, v in sorted(b.phases.items()) if v},
                       "bins": _bins(in_group.get(b.id, []), start, last)
                       if start is not None else None})
    return {"start": _t(start), "end": _t(end), "rows": rows, "groups": groups,
            "total": len(leaves), "truncated": len(shown) < len(leaves)}
