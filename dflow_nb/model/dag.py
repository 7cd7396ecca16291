"""DAG templates: tasks run as soon as the tasks they depend on are done."""
from __future__ import annotations

import re
from typing import Any, Dict, Iterator, List, Optional, Union

from dflow_nb.errors import ValidationError
from dflow_nb.model.io import Inputs, Outputs
from dflow_nb.model.step import Task
from dflow_nb.model.steps import _Container


class DAG(_Container):
    """Argo ``dag``: dependencies are inferred from what tasks read, or given explicitly."""

    kind = "dag"

    def __init__(self, name: Optional[str] = None, inputs: Optional[Inputs] = None,
                 outputs: Optional[Outputs] = None, tasks: Optional[List[Task]] = None,
                 memoize_key: Optional[str] = None, annotations: Optional[Dict[str, str]] = None,
                 parallelism: Optional[int] = None, labels: Optional[Dict[str, str]] = None,
                 fail_fast: bool = True, target: Optional[str] = None, **kwargs: Any) -> None:
        if kwargs:
            raise TypeError(f"DAG got unexpected arguments: {', '.join(kwargs)}")
        super().__init__(name, inputs, outputs, memoize_key, annotations, parallelism, labels)
        self.fail_fast = fail_fast
        self.target = target
        self.tasks: List[Task] = []
        for task in tasks or []:
            self.add(task)

    def add(self, task: Union[Task, List[Task]]) -> None:
        """Add a task or several; their order does not matter."""
        for t in (task if isinstance(task, (list, tuple)) else [task]):
            if self._check_new(t, Task):
                self.tasks.append(t)

    def children(self) -> Iterator[Task]:
        return iter(self.tasks)

    def ordered(self) -> List[Task]:
        """Tasks in dependency order; an unknown dependency or a cycle is a build error."""
        by_name = {t.name: t for t in self.tasks}
        deps = {t.name: [d for d in t.dependencies if _bare(d)] for t in self.tasks}
        for t in self.tasks:
            for d in deps[t.name]:
                if _name_of(d) not in by_name:
                    raise ValidationError(f"task {t.name!r} of DAG {self.name!r}",
                                          f"depends on unknown task {_name_of(d)!r}",
                                          expected=f"one of {sorted(by_name)}", given=d)
        order: List[Task] = []
        state: Dict[str, int] = {}

        def visit(name: str, path: List[str]) -> None:
            if state.get(name) == 2:
                return
            if state.get(name) == 1:
                cycle = path[path.index(name):] + [name]
                raise ValidationError(f"DAG {self.name!r}", "tasks depend on each other in a cycle",
                                      expected="an acyclic graph", given=" -> ".join(cycle))
            state[name] = 1
            for d in deps[name]:
                visit(_name_of(d), path + [name])
            state[name] = 2
            order.append(by_name[name])

        for t in self.tasks:
            visit(t.name, [])
        return order


def _name_of(dep: str) -> str:
    return dep.split(".")[0].strip("() ")


def _bare(dep: str) -> bool:
    """A dependency that names a task (maybe with .Succeeded), not a depends expression."""
    return re.fullmatch(r"\(?\s*[A-Za-z0-9-]+(\.[A-Za-z]+)?\s*\)?", dep) is not None


_DEPENDS_TOKEN = re.compile(
    r"\s*(?:(?P<op>&&|\|\||!|\(|\))|(?P<name>[A-Za-z0-9][-A-Za-z0-9]*)"
    r"(?:\.(?P<prop>Succeeded|Failed|Errored|Skipped|Omitted|Daemoned|AnySucceeded|AllFailed))?)")


def parse_depends(text: str, task: str = "?") -> "tuple[list[str], str]":
    """Argo's ``depends`` as (task names, an expr-lang condition over ``tasks.<name>.<Prop>``).

    A bare name means ``Succeeded || Skipped || Daemoned``, as in Argo.
    """
    names: List[str] = []
    out: List[str] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _DEPENDS_TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise ValidationError(f"task {task!r}", "cannot parse depends expression",
                                  expected="task names with .Succeeded/.Failed/... joined by "
                                  "&&, || and !", given=text)
        pos = m.end()
        if m.group("op"):
            out.append(m.group("op"))
            continue
        name, prop = m.group("name"), m.group("prop")
        if name not in names:
            names.append(name)
        ref = f"tasks['{name}']"
        out.append(f"{ref}.{prop}" if prop else
                   f"({ref}.Succeeded || {ref}.Skipped || {ref}.Daemoned)")
    return names, " ".join(out)
