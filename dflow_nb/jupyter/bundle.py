"""The run bundle (``application/vnd.dflow-nb.workflow+json``) served to the sidebar.

The notebook face builds it (``dflow_nb.notebook.display.workflow_bundle``), so a cell output
and the sidebar show the same picture.
"""
from __future__ import annotations

from typing import Any, Dict

from dflow_nb.hub.records import WorkflowRecord
from dflow_nb.hub.workflow import Workflow

MIME_TYPE = "application/vnd.dflow-nb.workflow+json"


class BundleError(RuntimeError):
    """The run exists but its bundle could not be built (the reason is the message)."""


def bundle_of(wf: Workflow) -> Dict[str, Any]:
    """The bundle of a ``Workflow`` with an id (the ``MIME_TYPE`` entry of its display)."""
    from dflow_nb.notebook.display import workflow_bundle
    out = workflow_bundle(wf)
    if MIME_TYPE not in out:
        raise BundleError(out.get("text/plain") or f"workflow {wf.id}: no bundle")
    return out[MIME_TYPE]


def summary(rec: WorkflowRecord) -> Dict[str, Any]:
    """One row of the workflow list."""
    return {"id": rec.id, "name": rec.name, "phase": rec.phase, "message": rec.message,
            "createdAt": rec.createdAt, "startedAt": rec.startedAt,
            "finishedAt": rec.finishedAt}
