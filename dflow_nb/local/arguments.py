"""A call's arguments: parameter values and artifacts resolved in a scope, bound to a
template's inputs (declared defaults filled in, what is missing named)."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

from dflow_nb.expressions import ExpressionError, evaluate, render
from dflow_nb.local.results import Art, Scope, StepError
from dflow_nb.model.io import InputArtifact, OutputArtifact
from dflow_nb.model.references import ArgoVar, IfExpression
from dflow_nb.model.step import Template, encode_parameter


def item_scope(scope: Scope, item: Any) -> Scope:
    """The scope of one loop item: ``item`` and, for a map, ``item.<key>``."""
    local = dict(scope)
    local["item"] = item
    if isinstance(item, dict):
        for k, v in item.items():
            local[f"item.{k}"] = v
    return local


def argument(value: Any, scope: Scope) -> str:
    """A parameter argument as the text the template receives."""
    if isinstance(value, ArgoVar):
        return render(str(value), scope)
    encoded = encode_parameter(value)
    if isinstance(encoded, ArgoVar):
        return render(str(encoded), scope)
    return render(encoded, scope) if "{{" in encoded else encoded


def absent_reference(value: Any, scope: Scope) -> bool:
    """Whether an argument is just ``{{<ref>}}`` to the absent output of a Skipped/Omitted
    step: Argo then treats the argument as not given, so the input's default applies."""
    text = value if isinstance(value, (str, ArgoVar)) else encode_parameter(value)
    m = re.fullmatch(r"\{\{\s*([^{}=\s][^{}]*?)\s*\}\}", str(text))
    return m is not None and m.group(1) in scope and scope[m.group(1)] is None


def resolve_artifact(source: Any, scope: Scope) -> Optional[Art]:
    """What an artifact argument points at, as a local artifact."""
    if source is None:
        return None
    local = getattr(source, "local_path", None)
    if local is not None:
        return Art((str(local),)) if isinstance(local, (str, Path)) else \
            Art(tuple(str(p) for p in local))
    if isinstance(source, IfExpression) or (isinstance(source, ArgoVar)
                                            and not source.tag):
        value = evaluate(source.expr, scope)
        return value if isinstance(value, Art) or value is None else \
            resolve_artifact(value, scope)
    if isinstance(source, (InputArtifact, OutputArtifact)) or isinstance(source, ArgoVar):
        tag = source.tag
    elif isinstance(source, str) and source.startswith("{{") and source.endswith("}}"):
        inner = source[2:-2].strip()
        if inner.startswith("="):
            value = evaluate(inner[1:], scope)
            return value if isinstance(value, Art) or value is None else None
        tag = inner
    elif isinstance(source, (str, Path)):
        return Art((str(source),))
    elif isinstance(source, Art):
        return source
    else:
        raise StepError(f"cannot use {source!r} as an artifact")
    if tag not in scope:
        raise StepError(f"artifact {{{{{tag}}}}} is not available here (no such step output "
                        "has been produced in this template)")
    return scope[tag]


def bind_inputs(tmpl: Template, params: Dict[str, str], arts: Dict[str, Optional[Art]],
                scope: Optional[Scope] = None) -> Tuple[Dict[str, str], Dict[str, Optional[Art]]]:
    """Arguments plus declared defaults; what is missing is an error naming the input.

    A declared default is the template author's text: its tags are rendered once, in the
    workflow's ``scope`` (as Argo substitutes a template's inputs with the global parameters).
    An argument is a value already rendered by the caller and is never read as a template
    again, whatever ``{{`` it holds."""
    out_p: Dict[str, str] = {}
    for k, decl in tmpl.inputs.parameters.items():
        if k in params:
            out_p[k] = params[k]
        elif decl.has_value:
            v = decl.value
            text = str(v) if isinstance(v, ArgoVar) else v if isinstance(v, str) \
                else json.dumps(v)
            if scope is not None and "{{" in text:
                try:
                    text = render(text, scope)
                except ExpressionError as exc:
                    raise StepError(f"template {tmpl.name!r}: the default of input parameter "
                                    f"{k!r}: {exc}") from None
            out_p[k] = text
        else:
            raise StepError(f"template {tmpl.name!r}: input parameter {k!r} has no value")
        if decl.enum and out_p[k] not in [str(e) for e in decl.enum]:
            raise StepError(f"template {tmpl.name!r}: input parameter {k!r} is "
                            f"{out_p[k]!r}, not one of {decl.enum}")
    out_a: Dict[str, Optional[Art]] = {}
    for k, art_decl in tmpl.inputs.artifacts.items():
        a = arts.get(k)
        if a is None and art_decl.source is not None and k not in arts:
            a = resolve_artifact(art_decl.source, {})
            if a is not None and art_decl.optional and not all(os.path.exists(p)
                                                               for p in a.parts):
                a = None  # Argo: an optional artifact whose source is missing is skipped
        if a is None and not art_decl.optional:
            raise StepError(f"template {tmpl.name!r}: input artifact {k!r} is required "
                            "but none was given")
        out_a[k] = a
    return out_p, out_a
