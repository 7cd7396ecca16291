"""Structurally identical templates emitted once (Argo v4 allows 200 templates per workflow).

Two templates are *identical* when their rendered manifest bodies are equal once ``name`` is
left out: same inputs and outputs (names, defaults, descriptions, paths), same script or
container (image, command, source text, env, resources), same retries, timeouts, memoize,
metadata and, for Steps/DAG templates, the same steps or tasks calling the same (already
merged) templates with the same arguments. Equality is of the canonical JSON text, so key order
does not matter and nothing else (a Python object's identity, the model's template name) does.
A chain of 1,000 steps, each built with its own ``PythonOPTemplate(MyOP)``, becomes one template.

Merging runs to a fixpoint: once leaves are merged, the Steps/DAG templates calling them may
become identical too. The first template of a family (in manifest order, so the entrypoint
stays first) keeps its name; every ``template:`` reference to another member is renamed to it.
Nodes on Argo then carry the kept name as ``templateName``; step names and keys do not change.
"""
from __future__ import annotations

import json
from typing import Any, Dict, List


def _canonical(body: Dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in body.items() if k != "name"}, sort_keys=True,
                      separators=(",", ":"), default=str)


def _callers(body: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The step/task dicts (and their hooks) of a template that name other templates."""
    nodes = [s for group in body.get("steps") or [] for s in group]
    nodes += list((body.get("dag") or {}).get("tasks") or [])
    out = list(nodes)
    for s in nodes:
        out += [h for h in (s.get("hooks") or {}).values() if isinstance(h, dict)]
    return out


def deduplicate(templates: Dict[str, Dict[str, Any]], spec: Dict[str, Any]
                ) -> Dict[str, Dict[str, Any]]:
    """A copy of ``templates`` (name -> body, in manifest order) with identical ones merged;
    the references of ``spec`` (entrypoint, onExit, hooks) are renamed in place."""
    current = json.loads(json.dumps(templates))   # a copy: loaded templates belong to the model
    while True:
        keep: Dict[str, str] = {}
        rename: Dict[str, str] = {}
        for name, body in current.items():
            first = keep.setdefault(_canonical(body), name)
            if first != name:
                rename[name] = first
        if not rename:
            return current
        current = {n: b for n, b in current.items() if n not in rename}
        for body in current.values():
            _rename(_callers(body), rename)
        _rename([spec, *(spec.get("hooks") or {}).values()], rename)
        if spec.get("entrypoint") in rename:
            spec["entrypoint"] = rename[spec["entrypoint"]]


def _rename(nodes: List[Any], rename: Dict[str, str]) -> None:
    for node in nodes:
        for key in ("template", "onExit"):
            ref = node.get(key) if isinstance(node, dict) else None
            if isinstance(ref, str) and ref in rename:
                node[key] = rename[ref]
