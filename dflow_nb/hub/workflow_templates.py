"""The WorkflowTemplates and ClusterWorkflowTemplates that manifests call by name.

Argo keeps them on the server; a manifest's ``templateRef`` and ``workflowTemplateRef`` name
them. Locally they need a place to live: this registry of their manifests, filled by
``register_workflow_template`` (a manifest, YAML text or a file) and by a folder of YAML files
(``config["workflow_templates_dir"]``, or ``templates=`` of ``Workflow.from_yaml``). The loader
resolves references against it; on Argo, submit creates the ones the server lacks from it.
"""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Dict, Iterable, List, Tuple, Union

from dflow_nb.config import config
from dflow_nb.errors import ValidationError

KINDS = ("WorkflowTemplate", "ClusterWorkflowTemplate")
Key = Tuple[str, str]   # (kind, name)
Source = Union[str, Path, Dict[str, Any], Iterable[Dict[str, Any]], None]

_registered: Dict[Key, Dict[str, Any]] = {}


def register_workflow_template(manifest: Union[str, Path, Dict[str, Any]]) -> List[str]:
    """Make WorkflowTemplates/ClusterWorkflowTemplates known to ``from_yaml`` and ``submit``:
    a manifest dict, YAML text (several documents allowed) or a file; returns their names.
    A later registration of the same kind and name replaces the earlier one."""
    if isinstance(manifest, dict):
        docs = [manifest]
    elif isinstance(manifest, Path) or (isinstance(manifest, str) and "\n" not in manifest
                                         and Path(manifest).is_file()):
        docs = _documents(Path(manifest).read_text(encoding="utf-8"), str(manifest))
    elif isinstance(manifest, str):
        docs = _documents(manifest, "the YAML text")
    else:
        raise ValidationError("register_workflow_template", "needs a manifest",
                              expected="a dict, YAML text or a file path",
                              given=type(manifest).__name__)
    found = [d for d in docs if d.get("kind") in KINDS]
    if not found:
        raise ValidationError("register_workflow_template", "no WorkflowTemplate in it",
                              expected="kind: WorkflowTemplate or ClusterWorkflowTemplate",
                              given=sorted({str(d.get("kind")) for d in docs}))
    for doc in found:
        _registered[_key_of(doc, "register_workflow_template")] = copy.deepcopy(doc)
    return [d["metadata"]["name"] for d in found]


def unregister_workflow_templates() -> None:
    """Forget every registered template (a folder's are read again on each lookup)."""
    _registered.clear()


def templates_in(source: Source) -> Dict[Key, Dict[str, Any]]:
    """The WorkflowTemplates of ``source``: a folder (its YAML files, recursively; files that
    are not YAML are passed over), a file, a manifest or a list of manifests."""
    if source is None:
        return {}
    if isinstance(source, dict):
        return {_key_of(source, "templates"): source}
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.exists():
            raise ValidationError("templates", "no such folder or file", given=str(source))
        files = sorted(path.rglob("*.y*ml")) if path.is_dir() else [path]
        out: Dict[Key, Dict[str, Any]] = {}
        for f in files:
            try:
                docs = _documents(f.read_text(encoding="utf-8"), str(f))
            except (ValidationError, OSError, UnicodeDecodeError):
                if path.is_dir():
                    continue   # a folder may hold other files
                raise
            out.update({_key_of(d, str(f)): d for d in docs if d.get("kind") in KINDS})
        return out
    return {_key_of(d, "templates"): d for d in source if isinstance(d, dict)
            and d.get("kind") in KINDS}


def available(source: Source = None) -> Dict[Key, Dict[str, Any]]:
    """Every template a reference may name: ``source`` first, then the registered ones, then
    the configured folder."""
    out = templates_in(config.get("workflow_templates_dir") or None)
    out.update(_registered)
    out.update(templates_in(source))
    return out


def find(templates: Dict[Key, Dict[str, Any]], name: str, cluster: bool, where: str
         ) -> Dict[str, Any]:
    """The manifest a reference names; a clear error when nobody registered it."""
    kind = KINDS[1] if cluster else KINDS[0]
    found = templates.get((kind, name))
    if found is None:
        known = sorted(n for k, n in templates if k == kind)
        raise ValidationError(where, f"refers to {kind} {name!r}, which is not registered",
                              expected=f"one of {known}" if known else
                              "register it (dflow_nb.register_workflow_template(manifest)) or "
                              "give its folder (templates=... or "
                              "config['workflow_templates_dir'])", given=name)
    return found


def _documents(text: str, where: str) -> List[Dict[str, Any]]:
    import yaml
    try:
        return [d for d in yaml.safe_load_all(text) if isinstance(d, dict)]
    except yaml.YAMLError as exc:
        raise ValidationError(where, "is not valid YAML", given=str(exc)[:200]) from None


def _key_of(doc: Dict[str, Any], where: str) -> Key:
    kind = doc.get("kind")
    name = (doc.get("metadata") or {}).get("name")
    if kind not in KINDS:
        raise ValidationError(where, "not a WorkflowTemplate", expected=" or ".join(KINDS),
                              given=kind)
    if not name or not isinstance(name, str):
        raise ValidationError(where, f"a {kind} without metadata.name", given=name)
    if not isinstance((doc.get("spec") or {}).get("templates", []), list):
        raise ValidationError(f"{kind} {name!r}", "spec.templates is not a list")
    return kind, name


def referenced(manifest: Dict[str, Any]) -> List[Key]:
    """The (kind, name) of every template a Workflow manifest calls, in order, once each."""
    refs: List[Key] = []
    spec = manifest.get("spec") or {}
    wtr = spec.get("workflowTemplateRef")
    if wtr:
        refs.append((KINDS[1] if wtr.get("clusterScope") else KINDS[0], wtr.get("name", "")))
    for t in spec.get("templates") or []:
        steps = [s for group in t.get("steps") or [] for s in group or []]
        for s in steps + list((t.get("dag") or {}).get("tasks") or []):
            ref = s.get("templateRef")
            if ref:
                refs.append((KINDS[1] if ref.get("clusterScope") else KINDS[0],
                             ref.get("name", "")))
    return list(dict.fromkeys(refs))

