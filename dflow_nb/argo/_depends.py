"""A DAG task's dependencies as Argo's ``depends`` or legacy ``dependencies``.

Explicit ``depends`` stays as given, explicit ``dependencies`` lists stay legacy; inferred ones
become ``depends: "a && b"`` unless the task or one of its dependencies has continueOn, where the
legacy list keeps Argo's continueOn semantics. A dependency on a success-counted task waits for
its check task instead.
"""
from __future__ import annotations

from typing import Any, Dict, Set

from dflow_nb.argo._check import check_name
from dflow_nb.argo._prescan import needs_check
from dflow_nb.model.depends import is_bare_dependency
from dflow_nb.model.step import Task


def _continues(task: Task) -> bool:
    return bool(task.continue_on_failed or task.continue_on_error or needs_check(task))


def task_dependencies(task: Task, by_name: Dict[str, Task], checked: Set[str]) -> Dict[str, Any]:
    """``depends`` or ``dependencies`` of ``task``; ``checked`` names the success-counted tasks."""
    def target(name: str) -> str:
        return check_name(by_name[name]) if name in checked else name

    if task.depends is not None:
        return {"depends": task.depends}
    deps = task.dependencies
    if not deps:
        return {}
    names = [d.strip("() ") for d in deps if is_bare_dependency(d) and "." not in d]
    if task.explicit_dependencies is not None and len(names) == len(deps):
        return {"dependencies": [target(n) for n in names]}
    if len(names) == len(deps) and (_continues(task) or any(
            _continues(by_name[n]) for n in names if n in by_name and n not in checked)):
        return {"dependencies": [target(n) for n in names]}
    parts = []
    for d in deps:
        d = d.strip()
        if is_bare_dependency(d):
            inner = d.strip("() ")
            name, _, prop = inner.partition(".")
            parts.append(f"{target(name)}.{prop}" if prop else target(name))
        else:
            parts.append(f"({d})")
    return {"depends": " && ".join(parts)}
