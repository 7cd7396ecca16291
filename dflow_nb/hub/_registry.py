"""Where the hub finds what implements it: engines, the Argo manifest codec, notebook display.

The hub (``Workflow``, records) sits below the backends and the faces, so it must not import
them, yet ``Workflow.submit`` needs an engine and ``Workflow.to_yaml`` the compiler. This table
names those implementations as ``module:attribute`` and loads one on first use: the only place a
lower layer reaches a higher one, by name, so importing the hub costs none of them and no
import cycle exists. Add a backend here (and a ``kind`` on its class).
"""
from __future__ import annotations

import importlib
from typing import Any, Dict

IMPLEMENTATIONS: Dict[str, str] = {
    "backend.local": "dflow_nb.local.backend:LocalBackend",
    "backend.argo": "dflow_nb.argo.backend:ArgoBackend",
    "manifest.compile": "dflow_nb.argo.compile:compile_workflow",
    "manifest.load": "dflow_nb.argo.load:load_workflow",
    "display.workflow": "dflow_nb.notebook.display:workflow_mimebundle",
    "display.step": "dflow_nb.notebook.display:step_bundle",
    "report.notebook": "dflow_nb.notebook.report:write_report",
}


def implementation(role: str) -> Any:
    """The object that plays ``role`` (a key of IMPLEMENTATIONS), imported on first use."""
    module, _, attribute = IMPLEMENTATIONS[role].partition(":")
    return getattr(importlib.import_module(module), attribute)
