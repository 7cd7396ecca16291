"""Executors: rewrite a leaf template so it runs elsewhere (a container, an HPC queue...).

As in Dflow, an executor is set per step (``Step(executor=...)``) or for every leaf of a
workflow (``Workflow(context=...)``); both backends apply ``render`` before running a leaf, so
the same executor works on the local engine and on Argo.

Only the contract lives here (the model stores an executor on a step); every executor, with
what renders its template and what runs inside the step, lives in ``dflow_nb.plugins``.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Optional, Union

from dflow_nb.model.step import Step, Template

if TYPE_CHECKING:
    from dflow_nb.hub.workflow import Workflow


class Executor(ABC):
    """Turns a leaf template into the template that actually runs."""

    @abstractmethod
    def render(self, template: Template) -> Template:
        """A new template (never mutate the one given: other steps may share it), or the
        template itself when this executor does not apply to it. The backends render leaves;
        a leaf usually renders to a leaf, and may render to Steps (``SlurmJobTemplate``)."""


class Context(ABC):
    """Dflow's Context: ``Workflow(context=...)`` renders every leaf of the workflow (an
    Executor serves as well)."""

    @abstractmethod
    def render(self, template: Template) -> Template:
        """A new template for ``template`` (or the template itself, unchanged)."""


def executor_for(step: Step, workflow: "Workflow") -> Optional[Union[Executor, Context]]:
    """The executor that applies to ``step``: its own, else the workflow's context (as in
    Dflow, any object with ``render`` serves as a context)."""
    if step.executor is not None:
        return step.executor
    ctx = getattr(workflow, "context", None)
    return ctx if ctx is not None and hasattr(ctx, "render") else None
