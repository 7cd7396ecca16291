"""Argo's DAG ``depends`` expressions and ``dependencies`` entries, parsed once for the model,
the compiler and the local engine."""
from __future__ import annotations

import re
from typing import Any, List

from dflow_nb.errors import ValidationError


def task_name_of(dep: str) -> str:
    """The task a dependency names (``a.Succeeded`` -> ``a``)."""
    return dep.split(".")[0].strip("() ")


def is_bare_dependency(dep: str) -> bool:
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


def upstream(task: Any) -> List[str]:
    """Names of the tasks ``task`` depends on, from ``depends`` or ``dependencies``."""
    if task.depends is not None:
        return parse_depends(task.depends, task.name)[0]
    names: List[str] = []
    for d in task.dependencies:
        for name in ([task_name_of(d)] if is_bare_dependency(d) else parse_depends(d, task.name)[0]):
            if name not in names:
                names.append(name)
    return names
