"""Argo fields the model has no slot for, kept on the model objects the loader builds so the
compiler emits them back unchanged (``compile_workflow(load_workflow(m))`` gives ``m`` back).

They are this backend's notes on model objects, not model fields: ``keep`` and ``kept`` are the
only code that writes or reads them. Each note is a dict of Argo fields.
"""
from __future__ import annotations

from typing import Any, Dict

EXTRA = "argo_extra"                   # fields of a template, step, input/output or workflow
BODY = "argo_extra_body"               # fields of a script/container/resource body
VALUE_FROM = "argo_extra_value_from"   # fields of an output parameter's valueFrom
ARTIFACT_ARGS = "argo_extra_artifacts"  # fields of a step's artifact arguments, by name
SPEC = "argo_extra_spec"               # fields of the workflow spec
TEMPLATES = "argo_extra_templates"     # templates no step refers to, by name
TEMPLATE_REF = "argo_template_ref"     # a step's templateRef (what it calls on Argo)
INLINE = "argo_inline"                 # a step whose template was written inline ({} if not)
WORKFLOW_TEMPLATES = "argo_workflow_templates"  # the WorkflowTemplates a workflow calls


def keep(obj: object, note: str, fields: Dict[str, Any]) -> None:
    """Note ``fields`` on ``obj`` (one of the names above)."""
    setattr(obj, note, fields)


def kept(obj: object, note: str) -> Dict[str, Any]:
    """The fields noted on ``obj`` ({} for objects the loader did not build)."""
    fields = getattr(obj, note, None)
    return fields if isinstance(fields, dict) else {}
