"""Steps templates: groups of steps run one group after another, steps of a group in parallel."""
from __future__ import annotations

from typing import Any, Dict, Iterator, List, Optional, Union

from dflow_nb.errors import ValidationError
from dflow_nb.model.composite import CompositeTemplate
from dflow_nb.model.io import Inputs, Outputs
from dflow_nb.model.step import Step


class Steps(CompositeTemplate):
    """Argo ``steps``: ``add(step)`` appends a group; ``add([a, b])`` a parallel group."""

    kind = "steps"

    def __init__(self, name: Optional[str] = None, inputs: Optional[Inputs] = None,
                 outputs: Optional[Outputs] = None, steps: Optional[List[Any]] = None,
                 memoize_key: Optional[str] = None, annotations: Optional[Dict[str, str]] = None,
                 parallelism: Optional[int] = None, labels: Optional[Dict[str, str]] = None,
                 fail_fast: Optional[bool] = None, **kwargs: Any) -> None:
        if kwargs:
            raise TypeError(f"Steps got unexpected arguments: {', '.join(kwargs)}")
        super().__init__(name, inputs, outputs, memoize_key, annotations, parallelism, labels)
        self.fail_fast = fail_fast
        self.steps: List[List[Step]] = []
        for group in steps or []:
            self.add(group)

    def add(self, step: Union[Step, List[Step]]) -> None:
        """Append a step, or a list of steps that run in parallel."""
        group = list(step) if isinstance(step, (list, tuple)) else [step]
        new = [s for s in group if self._check_new(s, Step)]
        names = [s.name for s in new]
        if len(set(names)) != len(names):
            raise ValidationError(f"Steps {self.name!r}", "a parallel group repeats a name",
                                  expected="unique step names", given=names)
        if new:
            self.steps.append(new)

    def children(self) -> Iterator[Step]:
        for group in self.steps:
            yield from group
