"""Dflow's ``gen_code``: Python source that rebuilds a workflow.

The source holds the workflow's Argo manifest as a Python literal and loads it back with
``Workflow.from_dict``, so it rebuilds exactly what was compiled (templates, steps, loops,
conditions) and runs on either engine. Dflow's variant reads its own graph JSON (written by its
UI); that format is Dflow-internal and not read here.
"""
from __future__ import annotations

import pprint
from typing import Any, Dict, Union

from dflow_nb.errors import DflowNbError
from dflow_nb.hub.workflow import Workflow


def gen_code(workflow: Union[Workflow, Dict[str, Any]]) -> str:
    """Python source that rebuilds ``workflow`` (a Workflow, or an Argo Workflow manifest) as
    ``wf``."""
    manifest = workflow.to_dict() if isinstance(workflow, Workflow) else workflow
    if not isinstance(manifest, dict) or manifest.get("kind") not in ("Workflow",
                                                                      "WorkflowTemplate"):
        raise DflowNbError("gen_code takes a Workflow or an Argo Workflow manifest (a dict "
                           "with kind: Workflow); Dflow's graph JSON is not supported")
    return ("from dflow_nb import Workflow\n\n"
            f"manifest = {pprint.pformat(manifest, sort_dicts=False, width=100)}\n\n"
            "wf = Workflow.from_dict(manifest)\n")


__all__ = ["gen_code"]
