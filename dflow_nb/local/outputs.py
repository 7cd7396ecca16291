"""Outputs: what a finished step shows its siblings, the outputs of Steps/DAG templates, and the
workflow's global outputs (``global_name``) as they appear."""
from __future__ import annotations

import json
import time
from typing import Any, Dict, Optional

from dflow_nb.expressions import ExpressionError, evaluate, format_value
from dflow_nb.local.arguments import argument, resolve_artifact
from dflow_nb.local.results import Art, Result, Scope, StepError
from dflow_nb.model.composite import CompositeTemplate
from dflow_nb.model.references import ArgoVar
from dflow_nb.model.step import Template

# the strftime letters Argo offers as workflow.creationTimestamp.<letter> (argoproj/pkg's
# strftime: L is milliseconds, s Unix seconds, Z the zone's name)
_STRFTIME = "aAbBdHImMpSyYz"


class WorkflowScope:
    """``workflow.*`` values every template sees, global outputs included once set."""

    def __init__(self, wf_id: str, created: Optional[float] = None) -> None:
        self.scope: Scope = {"workflow.name": wf_id, "workflow.namespace": "local",
                             "workflow.uid": wf_id}
        created = time.time() if created is None else created
        stamp = time.gmtime(created)
        prefix = "workflow.creationTimestamp"
        self.scope[prefix] = self.scope[f"{prefix}.RFC3339"] = \
            time.strftime("%Y-%m-%dT%H:%M:%SZ", stamp)
        for letter in _STRFTIME:
            self.scope[f"{prefix}.{letter}"] = time.strftime("%" + letter, stamp)
        self.scope[f"{prefix}.L"] = f".{int(created * 1000) % 1000:03d}"
        self.scope[f"{prefix}.s"] = str(int(created))
        self.scope[f"{prefix}.Z"] = "UTC"
        self.parameters: Dict[str, str] = {}   # global output parameters
        self.artifacts: Dict[str, Art] = {}    # global output artifacts

    def set_parameter(self, name: str, value: str) -> None:
        self.parameters[name] = value
        self.scope[f"workflow.outputs.parameters.{name}"] = value

    def set_artifact(self, name: str, art: Art) -> None:
        self.artifacts[name] = art
        self.scope[f"workflow.outputs.artifacts.{name}"] = art

    def publish(self, tmpl: Template, res: Result) -> None:
        """A leaf's outputs declared with global_name become workflow outputs."""
        for k, v in res.parameters.items():
            decl = tmpl.outputs.parameters[k] if k in tmpl.outputs.parameters else None
            if decl is not None and decl.global_name:
                self.set_parameter(decl.global_name, v)
        for k, a in res.artifacts.items():
            decl_a = tmpl.outputs.artifacts[k] if k in tmpl.outputs.artifacts else None
            if decl_a is not None and decl_a.global_name and a is not None:
                self.set_artifact(decl_a.global_name, a)

    def outputs(self) -> Dict[str, Any]:
        """The workflow's outputs as the state store records them."""
        return {"parameters": dict(self.parameters),
                "artifacts": {k: list(a.parts) for k, a in self.artifacts.items()}}


def template_outputs(tmpl: CompositeTemplate, scope: Scope, res: Result,
                     wf_scope: WorkflowScope) -> None:
    """A Steps/DAG template's outputs, from its steps' (``valueFrom``) into ``res``."""
    for k, p in tmpl.outputs.parameters.items():
        value: Optional[str] = None
        try:
            if p.value_from_parameter is not None:
                value = argument(p.value_from_parameter, scope)
            elif p.value_from_expression is not None:
                expr = p.value_from_expression
                v = evaluate(expr.expr if isinstance(expr, ArgoVar) else str(expr), scope)
                value = None if v is None else format_value(v)
        except (ExpressionError, StepError):
            if not p.has_default:
                raise
        if value is None:
            if not p.has_default:
                raise StepError(f"output parameter {k!r} of {tmpl.name!r} has no value")
            value = p.default if isinstance(p.default, str) else json.dumps(p.default)
        res.parameters[k] = value
        if p.global_name:
            wf_scope.set_parameter(p.global_name, value)
    for k, a in tmpl.outputs.artifacts.items():
        src = a._from if a._from is not None else a.from_expression
        art = resolve_artifact(src, scope) if src is not None else None
        res.artifacts[k] = art
        if a.global_name and art is not None:
            wf_scope.set_artifact(a.global_name, art)


def expose(scope: Scope, kind: str, name: str, r: Result, wf_scope: WorkflowScope,
           template: Optional[Template] = None) -> None:
    """Show a finished step's outputs to its siblings (``steps.<name>...`` or
    ``tasks.<name>...``), and the global outputs set so far, as Argo's scope does. A Skipped
    or Omitted step's declared outputs without a default are *absent* (None): an argument
    that is just a reference to one is not given (the input's default applies), an
    expression sees nil (``??`` picks a fallback), any other use is an error."""
    base = f"{kind}.{name}"
    if template is not None and r.phase in ("Skipped", "Omitted"):
        for k in template.outputs.parameters:
            scope[f"{base}.outputs.parameters.{k}"] = None
    scope.update({k: v for k, v in wf_scope.scope.items() if k.startswith("workflow.outputs.")})
    scope[f"{base}.status"] = r.phase
    scope[f"{base}.id"] = r.node_id
    for k, v in r.parameters.items():
        scope[f"{base}.outputs.parameters.{k}"] = v
    if r.all_parameters is not None:
        scope[f"{base}.outputs.parameters"] = r.all_parameters
    for k, art in r.artifacts.items():
        scope[f"{base}.outputs.artifacts.{k}"] = art
    if r.result is not None:
        scope[f"{base}.outputs.result"] = r.result
    if r.exit_code is not None:
        scope[f"{base}.exitCode"] = r.exit_code


def skipped_defaults(tmpl: Template) -> Dict[str, str]:
    """Outputs of a Skipped step: only declared ``valueFrom.default`` values (Argo v4)."""
    return {k: p.default if isinstance(p.default, str) else json.dumps(p.default)
            for k, p in tmpl.outputs.parameters.items() if p.has_default}
