"""The contract between ``Workflow`` and an engine: submit a model, read back records.

Workflow (and through it every face) talks only to this protocol, so the local engine and Argo
are interchangeable. Backends are found through the hub's registry (``_registry.py``) and
imported on first use: neither authoring nor the hub imports one.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Protocol, Sequence

from dflow_nb.hub._registry import implementation
from dflow_nb.hub.records import StepRecord, WorkflowRecord

if TYPE_CHECKING:
    from dflow_nb.hub.workflow import Workflow


class Backend(Protocol):
    """An engine that runs workflows and reports them as records."""

    #: ``"local"`` or ``"argo"``: what faces may show or offer (a step directory, raw nodes).
    kind: str

    def warm_up(self, workflow: "Workflow") -> None:
        """Start now what running ``workflow`` here will need (the local engine's warm
        workers), so that it gets ready while the model is validated and recorded. Never
        raises: what cannot start is reported when the run needs it."""

    def submit(self, workflow: "Workflow", reuse: Dict[str, StepRecord], detach: bool = False) -> str:
        """Start a run of ``workflow``; returns its id at once."""

    def wait(self, wf_id: str, timeout: Optional[float] = None) -> str:
        """Block until the run ends; returns its phase."""

    def workflow(self, wf_id: str) -> WorkflowRecord:
        """The run's summary; WorkflowNotFound if there is no such run."""

    def nodes(self, wf_id: str, key: Optional[str] = None, since_seq: Optional[int] = None, *,
              keys: Optional[Sequence[str]] = None, names: Optional[Sequence[str]] = None,
              phases: Optional[Sequence[str]] = None,
              ids: Optional[Sequence[str]] = None) -> List[StepRecord]:
        """The run's nodes (all of them, or those with ``key``, or those changed since a seq).
        ``keys``, ``names`` (a display name and its loop items), ``phases`` and ``ids`` let a
        backend read only the matching nodes of a large run; it may return more (the caller
        filters again), never fewer."""

    def terminate(self, wf_id: str) -> None:
        """Stop the run now (exit handlers do not run)."""

    def request(self, wf_id: str, action: str) -> None:
        """Ask for ``stop`` (exit handlers run), ``suspend`` or ``resume`` of a running run."""

    def resume(self, wf_id: str, workflow: Optional["Workflow"] = None,
               detach: Optional[bool] = None) -> None:
        """Run again what did not succeed in an interrupted or failed run (same id)."""

    def spec(self, wf_id: str) -> "Workflow":
        """The Workflow model a run was started from."""

    def logs(self, wf_id: str, step_id: Optional[str] = None, tail: Optional[int] = None,
             grep: Optional[str] = None, container: str = "main") -> str:
        """A step's log, or every step's log prefixed by the step's name."""

    def list(self) -> List[WorkflowRecord]:
        """Runs this backend knows, newest first."""

    def archived(self, label_selector: Optional[str] = None) -> List[WorkflowRecord]:
        """Ended runs kept after the fact (Argo's workflow archive; locally every ended run)."""

    def delete(self, wf_id: str) -> None:
        """Forget the run: its records and what it stored (not while it runs, locally)."""


def backend_for(local: bool, workdir: Path, **options: Any) -> Backend:
    """The local engine for ``local``, else the Argo backend (``options``: host, token...)."""
    if local:
        return implementation("backend.local")(workdir)
    return implementation("backend.argo")(**options)
