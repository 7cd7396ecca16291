"""Whole-workflow checks before anything runs: every error names the step and the field."""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterator, Set, Union

from dflow_nb.errors import ValidationError
from dflow_nb.expressions import ExpressionError, references
from dflow_nb.model.composite import templates_of
from dflow_nb.model.dag import DAG
from dflow_nb.model.references import ArgoVar
from dflow_nb.model.step import Step
from dflow_nb.model.steps import Steps

if TYPE_CHECKING:
    from dflow_nb.hub.workflow import Workflow


def _texts(step: Step) -> Iterator[str]:
    for v in [*step.parameters.values(), *step.artifacts.values(), step.when, step.with_param,
              step.key]:
        if isinstance(v, ArgoVar):
            yield str(v)
        elif isinstance(v, str):
            yield v


def validate(workflow: "Workflow") -> None:
    """Raise ValidationError for the first thing Argo (or the run) would reject."""
    if workflow.entrypoint is None:
        raise ValidationError(f"workflow {workflow.name!r}", "has no steps",
                              expected="wf.add(step) or Workflow(steps=/dag=)", given=None)
    templates = templates_of(workflow.entrypoint, [workflow.on_exit])
    for t in templates.values():
        if isinstance(t, DAG):
            t.ordered()
            names = {x.name for x in t.tasks}
            waits = any(x.depends_text() for x in t.tasks)   # Argo: then a DAG-wide rule
            for task in t.tasks:
                if waits and task.name[:1].isdigit():
                    raise ValidationError(f"task {task.name!r}", "a task of a DAG whose tasks "
                                          "wait for others cannot start with a digit",
                                          given=task.name)
                _check_refs(t, task, "tasks", names)
        elif isinstance(t, Steps):
            earlier: Set[str] = set()
            for group in t.steps:
                for step in group:
                    _check_refs(t, step, "steps", earlier)
                earlier.update(s.name for s in group)


def _check_refs(tmpl: Union[Steps, DAG], step: Step, kind: str, visible: Set[str]) -> None:
    where = f"{kind[:-1]} {step.name!r} of {type(tmpl).__name__} {tmpl.name!r}"
    for text in _texts(step):
        try:
            refs = references(text)
        except ExpressionError as exc:
            raise ValidationError(where, f"malformed expression: {exc}", given=text) from None
        for ref in refs:
            parts = ref.split(".")
            if parts[0] in ("steps", "tasks") and len(parts) > 1:
                if parts[0] != kind:
                    raise ValidationError(where, f"refers to {{{{{ref}}}}}, but a "
                                          f"{type(tmpl).__name__} can only refer to "
                                          f"{kind}.<name>", given=text)
                if parts[1] not in visible:
                    raise ValidationError(where, f"refers to unknown or later step {parts[1]!r}",
                                          expected=f"one of {sorted(visible) or 'no earlier steps'}",
                                          given=ref)
            elif parts[0] == "inputs" and len(parts) > 2:
                declared = tmpl.inputs.parameters if parts[1] == "parameters" else \
                    tmpl.inputs.artifacts
                if parts[2] not in declared:
                    raise ValidationError(where, f"refers to {{{{{ref}}}}}, which "
                                          f"{tmpl.name!r} does not declare",
                                          expected=f"one of {sorted(declared)}", given=ref)


