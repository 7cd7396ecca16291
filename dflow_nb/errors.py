"""The errors a user can cause, each saying where, what was expected and what was given."""
from __future__ import annotations


class DflowNbError(Exception):
    """Base of every error dflow_nb raises on purpose."""


class ValidationError(DflowNbError, ValueError):
    """A workflow that cannot run as written, caught at build time."""

    def __init__(self, where: str, problem: str, *, expected: str | None = None,
                 given: object = None) -> None:
        text = f"{where}: {problem}"
        if expected is not None:
            text += f" (expected {expected}, given {given!r})"
        super().__init__(text)
        self.where = where


class WorkflowNotFound(DflowNbError, LookupError):
    """An id that names no workflow this backend knows."""


class StepNotFound(DflowNbError, LookupError):
    """A step name or key that names no step of the workflow."""
