"""``templateRef`` and ``workflowTemplateRef`` while loading a manifest: the WorkflowTemplates
they name, found in the registry (``hub.workflow_templates``), each built once.

Locally the referenced template runs as it is written in its WorkflowTemplate; the compiled
manifest still names it (``templateRef``), and on Argo submit makes sure the server has it.
``workflowTemplateRef`` loads as Argo runs it: the WorkflowTemplate's spec with the
Workflow's own fields on top (arguments and templates merged by name), compiled back as that
merged spec.
"""
from __future__ import annotations

import copy
from typing import Any, Callable, Dict, List, Optional

from dflow_nb.hub.workflow_templates import KINDS, Key, Source, available, find

_SEP = "--"   # between a WorkflowTemplate's name and its template's in the model's names


class References:
    """The WorkflowTemplates one load may call, and a loader per template used."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self._templates: Optional[Dict[Key, Dict[str, Any]]] = None
        self.loaders: Dict[Key, Any] = {}
        self.used: Dict[Key, Dict[str, Any]] = {}

    def manifest(self, name: str, cluster: bool, where: str) -> Dict[str, Any]:
        """The registered manifest a reference names (error naming it when there is none)."""
        if self._templates is None:   # folders are read only when a manifest refers to one
            self._templates = available(self.source)
        found = find(self._templates, name, cluster, where)
        self.used[(KINDS[1] if cluster else KINDS[0], name)] = found
        return found

    def loader(self, name: str, cluster: bool, where: str,
               make: Callable[[List[Dict[str, Any]], str], Any]) -> Any:
        """The loader of one WorkflowTemplate's templates (made once by ``make``)."""
        key = (KINDS[1] if cluster else KINDS[0], name)
        if key not in self.loaders:
            spec = self.manifest(name, cluster, where).get("spec") or {}
            self.loaders[key] = make(list(spec.get("templates") or []), name + _SEP)
        return self.loaders[key]


def with_workflow_template(spec: Dict[str, Any], refs: References) -> Dict[str, Any]:
    """``spec`` itself, or, with ``workflowTemplateRef``, the template's spec with the
    Workflow's fields over it: ``arguments`` parameters/artifacts and ``templates`` merge by
    name (the Workflow's win), every other field the Workflow sets replaces the template's."""
    ref = spec.get("workflowTemplateRef")
    if not ref:
        return spec
    base = refs.manifest(str(ref.get("name", "")), bool(ref.get("clusterScope")),
                         "spec.workflowTemplateRef")
    merged = copy.deepcopy(base.get("spec") or {})
    for k, v in spec.items():
        if k == "workflowTemplateRef":
            continue
        if k == "templates":
            merged[k] = _by_name(merged.get(k) or [], v or [])
        elif k == "arguments":
            args = dict(merged.get(k) or {})
            for kind in ("parameters", "artifacts"):
                if (v or {}).get(kind):
                    args[kind] = _by_name(args.get(kind) or [], v[kind])
            merged[k] = args
        else:
            merged[k] = v
    return merged


def _by_name(base: List[Dict[str, Any]], over: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    out = {x.get("name"): x for x in base}
    out.update({x.get("name"): x for x in over})
    return list(out.values())
