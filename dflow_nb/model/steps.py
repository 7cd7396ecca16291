"""Steps templates: groups of steps run one group after another, steps of a group in parallel."""
from __future__ import annotations

from typing import Any, Dict, Iterator, List, Optional, Union

from dflow_nb.errors import ValidationError
from dflow_nb.model import context
from dflow_nb.model.io import Inputs, Outputs
from dflow_nb.model.names import check_node_name, randstr
from dflow_nb.model.step import Step


class _Container:
    """What Steps and DAG share: naming, I/O, ``with`` blocks and step lookup."""

    kind = ""

    def __init__(self, name: Optional[str], inputs: Optional[Inputs], outputs: Optional[Outputs],
                 memoize_key: Optional[str], annotations: Optional[Dict[str, str]],
                 parallelism: Optional[int], labels: Optional[Dict[str, str]] = None) -> None:
        self.name = check_node_name(name or f"{self.kind}-{randstr()}",
                                    f"{type(self).__name__} name")
        self.inputs = inputs if inputs is not None else Inputs()
        self.outputs = outputs if outputs is not None else Outputs()
        self.memoize_key = memoize_key
        self.annotations = annotations or {}
        self.labels = labels or {}
        self.parallelism = parallelism

    is_leaf = False

    def __enter__(self) -> Any:
        context.push(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        context.pop(self)

    def children(self) -> Iterator[Step]:
        raise NotImplementedError

    def _check_new(self, step: Step, expected: type) -> bool:
        """False if already added (Dflow adds steps built inside ``with`` automatically)."""
        if not isinstance(step, expected):
            raise ValidationError(f"{type(self).__name__} {self.name!r}",
                                  f"only {expected.__name__}s can be added",
                                  expected=expected.__name__, given=step)
        for other in self.children():
            if other is step:
                return False
            if other.name == step.name:
                raise ValidationError(f"{type(self).__name__} {self.name!r}",
                                      f"two steps are named {step.name!r}",
                                      expected="unique step names", given=step.name)
        return True

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


class Steps(_Container):
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
