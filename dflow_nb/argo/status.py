"""Argo's ``status.nodes`` as the records every face reads (SEMANTICS.md §4.10).

The local engine writes the same records from its own node dicts, so a widget, a magic or
``query_step`` cannot tell an Argo run from a local one. The differences Argo forces on us are
settled here:

- ``parentID`` is the structural parent, as the local engine records it: the group a step sits
  in, the Retry node of an attempt, the TaskGroup of a loop item, else the boundary (Steps or DAG)
  node. Argo's ``children`` wire a later StepGroup under the previous group's steps and a DAG task
  under the tasks it depends on; those edges are execution order, not ownership.
- Dflow records a parameter's declared type as JSON in its ``description`` (``{"type": "int"}``);
  values are decoded by it, as ``ArgoStep`` does. The step key is input parameter ``dflow_key``.
- A retry attempt carries the key in its inputs too, but the key belongs to its Retry node
  (as locally), so ``query_step(key=...)`` finds one step per key.
- Nodes of templates the compiler adds (listed in the ``HIDDEN_ANNOTATION`` annotation) are
  left out: the groups of a DAG split for Argo's 200-task cap (``argo/_split.py``), whose tasks
  run as ``<dag>.group-<i>.<task>`` and are named and parented as in the unsplit DAG, and the
  ``DAG_OK_TASK`` of ``argo/_depends.py``.
"""
from __future__ import annotations

import copy
import json
from datetime import datetime
from typing import Any, Dict, List, Optional, Set

from dflow_nb.hub.records import IORecord, StepRecord, WorkflowRecord
from dflow_nb.model.names import fnv32a

KEY_PARAMETER = "dflow_key"
HIDDEN_ANNOTATION = "dflow-nb.deepmodeling.com/hidden-templates"
OWNER_TYPES = ("StepGroup", "TaskGroup", "Retry")


def epoch(stamp: Optional[str]) -> Optional[float]:
    """An RFC 3339 time (``2024-05-01T10:00:00Z``) as epoch seconds; None stays None."""
    if not stamp:
        return None
    text = stamp.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None


def declared_type(parameter: Dict[str, Any]) -> Optional[str]:
    """The type Dflow put in the parameter's description (``{"type": ...}``), if any."""
    desc = parameter.get("description")
    if not isinstance(desc, str) or not desc.strip().startswith("{"):
        return None
    try:
        meta = json.loads(desc)
    except ValueError:
        return None
    tp = meta.get("type") if isinstance(meta, dict) else None
    return tp if isinstance(tp, str) else None


def io_record(raw: Optional[Dict[str, Any]]) -> IORecord:
    """Argo Inputs/Outputs as an IORecord: parameters decoded by their declared type.

    Artifacts get no ``local_path``: on Argo they live in the artifact repository, and the
    ``path`` Argo records is the path inside the container.
    """
    raw = raw or {}
    params = []
    for p in raw.get("parameters") or []:
        entry = {"name": p["name"], "value": p.get("value", p.get("default")),
                 "globalName": p.get("globalName")}
        tp = declared_type(p)
        if tp is not None:
            entry["type"] = tp
        params.append(entry)
    arts = [{"name": a["name"], "globalName": a.get("globalName")}
            for a in raw.get("artifacts") or []]
    exit_code = raw.get("exitCode")
    return IORecord.from_raw({"parameters": params, "artifacts": arts,
                              "result": raw.get("result"),
                              "exitCode": None if exit_code is None else str(exit_code)})


def node_key(node: Dict[str, Any]) -> Optional[str]:
    for p in (node.get("inputs") or {}).get("parameters") or []:
        if p.get("name") == KEY_PARAMETER:
            value = p.get("value")
            return None if value in (None, "") else str(value)
    return None


def parents(nodes: Dict[str, Dict[str, Any]]) -> Dict[str, Optional[str]]:
    """Each node's structural parent id (see the module docstring)."""
    listed_by: Dict[str, List[str]] = {}
    for nid, n in nodes.items():
        for child in n.get("children") or []:
            listed_by.setdefault(child, []).append(nid)
    out: Dict[str, Optional[str]] = {}
    for nid, n in nodes.items():
        boundary = n.get("boundaryID") or None
        parent = None
        name = n.get("name", "")
        for pid in listed_by.get(nid, []):
            p = nodes.get(pid) or {}
            owner = pid == boundary or (p.get("type") in OWNER_TYPES and
                                        (p.get("boundaryID") or None) == boundary)
            # names nest under their owner's: "<group>.<step>", "<retry>(<n>)", "<dag>.<task>"
            pname = p.get("name", "")
            if owner and name.startswith(pname) and name[len(pname):len(pname) + 1] in "[.(":
                parent = pid
                break
        out[nid] = parent or boundary
    return out


def step_records(workflow: Dict[str, Any]) -> List[StepRecord]:
    """Every node of an Argo Workflow object as a StepRecord, in start order (``seq`` 1, 2...)."""
    meta = workflow.get("metadata") or {}
    wf_name = meta.get("name", "")
    nodes: Dict[str, Dict[str, Any]] = (workflow.get("status") or {}).get("nodes") or {}
    hidden = (meta.get("annotations") or {}).get(HIDDEN_ANNOTATION)
    if hidden:
        nodes = unsplit(nodes, set(json.loads(hidden)))
    parent_of = parents(nodes)
    records = []
    for nid, n in nodes.items():
        parent = parent_of.get(nid)
        key = node_key(n)
        if key is not None and parent and (nodes.get(parent) or {}).get("type") == "Retry":
            key = None  # the Retry node owns the key; attempts are its tries
        outputs = copy.deepcopy(n.get("outputs") or {})
        records.append(StepRecord(
            id=n.get("id", nid), name=n.get("name", nid),
            displayName=n.get("displayName") or n.get("name", nid), type=n.get("type", ""),
            phase=n.get("phase") or "Pending", workflow=wf_name,
            templateName=n.get("templateName") or (n.get("templateRef") or {}).get("template"),
            boundaryID=n.get("boundaryID") or None, parentID=parent,
            message=n.get("message") or None, startedAt=epoch(n.get("startedAt")),
            finishedAt=epoch(n.get("finishedAt")), key=key, progress=n.get("progress"),
            inputs=io_record(n.get("inputs")), outputs=io_record(outputs),
            raw_outputs=outputs, dir=None, memoizationStatus=n.get("memoizationStatus")))
    records.sort(key=lambda r: (r.startedAt if r.startedAt is not None else float("inf"),
                                _depth(r.id, parent_of), r.name))
    for i, r in enumerate(records, 1):
        r.seq = i
    return records


def unsplit(nodes: Dict[str, Dict[str, Any]], templates: Set[str]
            ) -> Dict[str, Dict[str, Any]]:
    """``nodes`` without those of ``templates``: what a split-DAG group held is renamed
    (``<dag>.group-0.<task>`` -> ``<dag>.<task>``) and its boundary is the group's own."""
    hidden = {nid: n for nid, n in nodes.items() if n.get("templateName") in templates}
    if not hidden:
        return nodes

    def outer(nid: Optional[str]) -> Optional[str]:
        while nid in hidden:
            nid = hidden[nid].get("boundaryID") or None
        return nid

    prefixes = sorted(((n.get("name", ""), n.get("name", "").rsplit(".", 1)[0])
                       for n in hidden.values()), key=lambda p: -len(p[0]))
    out = {}
    for nid, n in nodes.items():
        if nid in hidden:
            continue
        n = dict(n)
        name = n.get("name", "")
        for group, parent in prefixes:
            if name.startswith(group + "."):
                name = parent + name[len(group):]
        n["name"] = name
        n["boundaryID"] = outer(n.get("boundaryID") or None)
        kids = []
        for c in n.get("children") or []:
            kids.extend(_lifted(c, hidden))
        n["children"] = kids
        out[nid] = n
    return out


def _lifted(nid: str, hidden: Dict[str, Dict[str, Any]]) -> List[str]:
    """A child id, or for a hidden group node, the children it stands for."""
    if nid not in hidden:
        return [nid]
    return [k for c in hidden[nid].get("children") or [] for k in _lifted(c, hidden)]


def _depth(nid: str, parent_of: Dict[str, Optional[str]]) -> int:
    """How deep a node sits (owners before what they own when they start together)."""
    depth, seen = 0, {nid}
    while (nid := parent_of.get(nid) or "") and nid not in seen:
        seen.add(nid)
        depth += 1
    return depth


def workflow_record(workflow: Dict[str, Any]) -> WorkflowRecord:
    """An Argo Workflow object's summary: phase, times and global outputs (``status.outputs``)."""
    meta = workflow.get("metadata") or {}
    status = workflow.get("status") or {}
    name = meta.get("name", "")
    generate = meta.get("generateName")
    phase = status.get("phase") or "Pending"
    message = status.get("message") or None
    if (workflow.get("spec") or {}).get("suspend") and phase in ("Pending", "Running"):
        message = message or "suspended"  # as the local engine says it
    return WorkflowRecord(
        id=name, name=generate.rstrip("-") if generate else name, phase=phase, message=message,
        createdAt=epoch(meta.get("creationTimestamp")), startedAt=epoch(status.get("startedAt")),
        finishedAt=epoch(status.get("finishedAt")), dir=None,
        outputs=io_record(status.get("outputs")), labels=dict(meta.get("labels") or {}))


def pod_name(workflow: Dict[str, Any], node: Dict[str, Any]) -> str:
    """The pod a Pod node ran in (``workflow/util/pod_name.go``): v2 names
    ``<workflow>-<template>-<fnv32a(node name)>`` when the workflow is annotated so, else the
    node id (v1)."""
    meta = workflow.get("metadata") or {}
    wf_name = meta.get("name", "")
    version = (meta.get("annotations") or {}).get("workflows.argoproj.io/pod-name-format")
    if version != "v2":
        return node.get("id", "")
    if node.get("name") == wf_name:
        return wf_name
    template = node.get("templateName") or (node.get("templateRef") or {}).get("template") or ""
    prefix = f"{wf_name}-{template}"[:253 - 10 - 1]
    return f"{prefix}-{fnv32a(node.get('name', ''))}"


def fingerprint(node: Dict[str, Any]) -> str:
    """A stable digest of what can change on a node (to number changes for ``since_seq``)."""
    return json.dumps([node.get(k) for k in ("phase", "message", "startedAt", "finishedAt",
                                              "progress", "outputs", "children", "inputs")],
                      sort_keys=True, default=str)
