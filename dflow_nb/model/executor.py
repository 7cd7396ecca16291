"""Executors: rewrite a leaf template so it runs elsewhere (a container, an HPC queue...).

As in Dflow, an executor is set per step (``Step(executor=...)``) or for every leaf of a
workflow (``Workflow(context=...)``); both backends apply ``render`` before running a leaf, so
the same executor works on the local engine and on Argo.

Only the contract lives here (the model stores an executor on a step); every executor, with
what renders its template and what runs inside the step, lives in ``dflow_nb.plugins``.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any


class Executor(ABC):
    """Turns a leaf template into the template that actually runs."""

    @abstractmethod
    def render(self, template: Any) -> Any:
        """A new template (never mutate the one given: other steps may share it)."""


def executor_for(step: Any, workflow: Any) -> Any:
    """The executor that applies to ``step``: its own, else the workflow's context."""
    if step.executor is not None:
        return step.executor
    ctx = getattr(workflow, "context", None)
    return ctx if ctx is not None and hasattr(ctx, "render") else None
