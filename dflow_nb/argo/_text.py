"""Model values as Argo text: parameter values and ``when`` conditions."""
from __future__ import annotations

from typing import Any

from dflow_nb.model.references import ArgoVar
from dflow_nb.model.step import encode_parameter


def param_text(value: Any) -> str:
    """A literal or reference as Argo parameter text."""
    if isinstance(value, ArgoVar):
        return str(value)
    encoded = encode_parameter(value)
    return str(encoded) if isinstance(encoded, ArgoVar) else encoded


def when_text(when: Any) -> str:
    """A step's ``when`` as Argo text ("" when there is no condition)."""
    if when is None or (isinstance(when, str) and when == ""):
        return ""
    if isinstance(when, bool):
        return "true" if when else "false"
    return str(when)
