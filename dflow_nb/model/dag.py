"""DAG templates: tasks run as soon as the tasks they depend on are done."""
from __future__ import annotations

from typing import Any, Dict, Iterator, List, Optional, Union

from dflow_nb.errors import ValidationError
from dflow_nb.model.composite import CompositeTemplate
from dflow_nb.model.depends import is_bare_dependency, task_name_of
from dflow_nb.model.io import Inputs, Outputs
from dflow_nb.model.step import Task


class DAG(CompositeTemplate):
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
        deps = {t.name: [d for d in t.dependencies if is_bare_dependency(d)] for t in self.tasks}
        for t in self.tasks:
            for d in deps[t.name]:
                if task_name_of(d) not in by_name:
                    raise ValidationError(f"task {t.name!r} of DAG {self.name!r}",
                                          f"depends on unknown task {task_name_of(d)!r}",
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
                visit(task_name_of(d), path + [name])
            state[name] = 2
            order.append(by_name[name])

        for t in self.tasks:
            visit(t.name, [])
        return order
