"""What Steps and DAG templates share (Argo's "template invocators")."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Iterator, Optional, Sequence

from dflow_nb.errors import ValidationError
from dflow_nb.model import context
from dflow_nb.model.io import Inputs, Outputs
from dflow_nb.model.names import check_node_name, randstr

if TYPE_CHECKING:
    from dflow_nb.model.step import Step, Template


class CompositeTemplate:
    """A template made of steps, Steps or DAG: naming, I/O, ``with`` blocks and step lookup."""

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


def templates_of(entry: Template,
                 extra: Sequence[Optional[Template]] = ()) -> Dict[str, Template]:
    """Every template reachable from the entrypoint, by name (recursion included once)."""
    found: Dict[str, Template] = {}
    stack = [entry, *[t for t in extra if t is not None]]
    while stack:
        t = stack.pop()
        seen = found.get(t.name)
        if seen is t:
            continue
        if seen is not None:
            raise ValidationError(f"template {t.name!r}", "two different templates share a name",
                                  expected="unique template names", given=t.name)
        found[t.name] = t
        if isinstance(t, CompositeTemplate):
            stack.extend(s.template for s in t.children())
    return found
