"""Is this manifest one Argo would accept? Argo's JSON schema plus the rules it does not encode.

The schema (``argo/schema.json``, recipe in ``argo/SOURCE.md``) lives in the shared directory next
to the checkout (env ``DFLOW_NB_SHARED``, else ``<repo>/../shared``); it is never copied into the
project. The extra rules are those of SEMANTICS.md §1 (name patterns and lengths, 200 templates,
200 tasks per DAG, 500 input parameters, one template kind, leaf-only timeouts, depends vs
continueOn, withSequence count xor end).
"""
from __future__ import annotations

import json
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional

from dflow_nb.errors import ValidationError

NODE_NAME = re.compile(r"^[a-zA-Z0-9][-a-zA-Z0-9]*$")
IO_NAME = re.compile(r"^[-a-zA-Z0-9_]+$")
MAX_NODE_NAME = 128
MAX_WORKFLOW_NAME = 63
GENERATE_NAME_SUFFIX = 5
MAX_TEMPLATES = 200
MAX_TASKS = 200
MAX_INPUT_PARAMETERS = 500
# Argo's etcd-backed objects must stay under ~1 MB (SEMANTICS.md §4.1); the spec alone must
# leave room for status.
MAX_MANIFEST_BYTES = 512 * 1024
KINDS = ("container", "script", "dag", "steps", "resource", "suspend", "containerSet", "data",
         "http", "plugin")


class ManifestError(ValidationError):
    """A manifest that Argo would reject; ``errors`` lists every problem found."""

    def __init__(self, errors: List[str]) -> None:
        self.errors = errors
        shown = "\n  ".join(errors[:20])
        more = f"\n  ... and {len(errors) - 20} more" if len(errors) > 20 else ""
        Exception.__init__(self, f"the Argo manifest is invalid:\n  {shown}{more}")


def shared_dir() -> Optional[Path]:
    """The shared artefacts directory (schema.json, swagger.json), or None when absent."""
    env = os.environ.get("DFLOW_NB_SHARED")
    candidates = [Path(env)] if env else []
    candidates.append(Path(__file__).resolve().parents[2].parent / "shared")
    for c in candidates:
        if (c / "argo" / "schema.json").is_file():
            return c
    return None


def schema_path() -> Optional[Path]:
    d = shared_dir()
    return d / "argo" / "schema.json" if d is not None else None


@lru_cache(maxsize=3)
def _validator(kind: str = "Workflow") -> Any:
    from jsonschema import Draft202012Validator  # type: ignore[import-untyped]  # no hints shipped
    path = schema_path()
    if path is None:
        raise FileNotFoundError("Argo's schema.json was not found: set DFLOW_NB_SHARED to the "
                                "directory holding argo/schema.json")
    full = json.loads(path.read_text())
    schema = {**full, "$ref": f"#/definitions/io.argoproj.workflow.v1alpha1.{kind}"}
    schema.pop("oneOf", None)
    return Draft202012Validator(schema)


def schema_errors(manifest: Dict[str, Any]) -> List[str]:
    """Violations of Argo's JSON schema, as 'path: message' lines (empty when valid); a
    WorkflowTemplate or ClusterWorkflowTemplate is checked as one."""
    kind = manifest.get("kind")
    validator = _validator(kind if kind in ("WorkflowTemplate", "ClusterWorkflowTemplate")
                           else "Workflow")
    out = []
    for err in sorted(validator.iter_errors(manifest), key=lambda e: list(e.absolute_path)):
        where = "/".join(str(p) for p in err.absolute_path) or "<root>"
        out.append(f"{where}: {err.message[:300]}")
    return out


def rule_errors(manifest: Dict[str, Any]) -> List[str]:
    """Violations of the CRD and validate.go rules the schema does not carry."""
    errs: List[str] = []
    meta = manifest.get("metadata") or {}
    if meta.get("name") and len(meta["name"]) > MAX_WORKFLOW_NAME:
        errs.append(f"metadata.name: {meta['name']!r} is longer than {MAX_WORKFLOW_NAME}")
    gen = meta.get("generateName")
    if gen and len(gen) + GENERATE_NAME_SUFFIX > MAX_WORKFLOW_NAME:
        errs.append(f"metadata.generateName: {gen!r} plus Argo's {GENERATE_NAME_SUFFIX}-character "
                    f"suffix is longer than {MAX_WORKFLOW_NAME}")
    spec = manifest.get("spec") or {}
    templates = spec.get("templates") or []
    if len(templates) > MAX_TEMPLATES:
        errs.append(f"spec.templates: {len(templates)} templates, Argo allows {MAX_TEMPLATES}")
    names = set()
    for t in templates:
        name = t.get("name", "")
        where = f"template {name!r}"
        _node_name(name, where, errs)
        if name in names:
            errs.append(f"{where}: two templates share this name")
        names.add(name)
        kinds = [k for k in KINDS if k in t]
        if len(kinds) != 1:
            errs.append(f"{where}: needs exactly one of {', '.join(KINDS)} (has {kinds or 'none'})")
        if ("steps" in t or "dag" in t) and ("timeout" in t or "activeDeadlineSeconds" in t):
            errs.append(f"{where}: timeout/activeDeadlineSeconds only apply to leaf templates")
        inputs = t.get("inputs") or {}
        if len(inputs.get("parameters") or []) > MAX_INPUT_PARAMETERS:
            errs.append(f"{where}: more than {MAX_INPUT_PARAMETERS} input parameters")
        for side in ("inputs", "outputs"):
            for kind in ("parameters", "artifacts"):
                for p in (t.get(side) or {}).get(kind) or []:
                    if not IO_NAME.match(p.get("name", "")):
                        errs.append(f"{where}: {side} {kind[:-1]} name {p.get('name')!r} is "
                                    "not letters, digits, '-' and '_'")
        for i, group in enumerate(t.get("steps") or []):
            for s in group:
                _node_name(s.get("name", ""), f"{where}, step group {i}", errs)
                _step_rules(s, f"{where}, step {s.get('name')!r}", names_ok=True, errs=errs)
        if "dag" in t:
            tasks = t["dag"].get("tasks") or []
            if len(tasks) > MAX_TASKS:
                errs.append(f"{where}: {len(tasks)} DAG tasks, Argo allows {MAX_TASKS}")
            seen = set()
            # validate.go: one task using depends makes it the whole DAG's rule
            using_depends = any(task.get("depends") for task in tasks)
            for task in tasks:
                tname = task.get("name", "")
                twhere = f"{where}, task {tname!r}"
                _node_name(tname, twhere, errs)
                if tname in seen:
                    errs.append(f"{twhere}: two tasks share this name")
                seen.add(tname)
                if (using_depends or task.get("dependencies")) and tname[:1].isdigit():
                    errs.append(f"{twhere}: a task of a DAG using depends/dependencies cannot "
                                "start with a digit")
                if using_depends and task.get("dependencies"):
                    errs.append(f"{twhere}: dependencies in a DAG that uses depends")
                if using_depends and "continueOn" in task:
                    errs.append(f"{twhere}: continueOn in a DAG that uses depends")
                _step_rules(task, twhere, names_ok=True, errs=errs)
    referenced = _referenced_templates(spec)
    for ref in sorted(referenced - names):
        errs.append(f"template {ref!r} is referenced but not defined")
    return errs


def _node_name(name: str, where: str, errs: List[str]) -> None:
    if not NODE_NAME.match(name or ""):
        errs.append(f"{where}: name {name!r} must match {NODE_NAME.pattern}")
    elif len(name) > MAX_NODE_NAME:
        errs.append(f"{where}: name {name!r} is longer than {MAX_NODE_NAME}")


def _step_rules(s: Dict[str, Any], where: str, names_ok: bool, errs: List[str]) -> None:
    loops = [k for k in ("withItems", "withParam", "withSequence") if k in s]
    if len(loops) > 1:
        errs.append(f"{where}: only one of withItems/withParam/withSequence ({loops})")
    seq = s.get("withSequence")
    if seq is not None and ("count" in seq) == ("end" in seq):
        errs.append(f"{where}: withSequence needs count or end (exactly one)")


def _referenced_templates(spec: Dict[str, Any]) -> set:
    out = set()
    if spec.get("entrypoint"):
        out.add(spec["entrypoint"])
    if spec.get("onExit"):
        out.add(spec["onExit"])
    for t in spec.get("templates") or []:
        nodes = [s for g in t.get("steps") or [] for s in g] + list((t.get("dag") or {})
                                                                     .get("tasks") or [])
        for s in nodes:
            if s.get("template"):
                out.add(s["template"])
            for hook in (s.get("hooks") or {}).values():
                if hook.get("template"):
                    out.add(hook["template"])
            if s.get("onExit"):
                out.add(s["onExit"])
    for hook in (spec.get("hooks") or {}).values():
        if hook.get("template"):
            out.add(hook["template"])
    return out


def manifest_errors(manifest: Dict[str, Any], schema: bool = True) -> List[str]:
    """Every problem found: the schema's (when the schema file is available) and the rules'."""
    errs = rule_errors(manifest)
    size = len(json.dumps(manifest, separators=(",", ":")))
    if size > MAX_MANIFEST_BYTES:
        errs.append(f"the manifest is {size} bytes; keep it under {MAX_MANIFEST_BYTES} so the "
                    "workflow object (spec + status) stays under Argo's ~1 MB limit")
    if schema and schema_path() is not None:
        errs = schema_errors(manifest) + errs
    return errs

