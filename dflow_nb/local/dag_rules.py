"""Argo's DAG rules: when a task may run (``depends``/``dependencies``) and how a DAG ends."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from dflow_nb.expressions import evaluate
from dflow_nb.local.results import FAILED, Result
from dflow_nb.model.dag import DAG
from dflow_nb.model.depends import parse_depends, upstream
from dflow_nb.model.step import Task


def assess_dag(tmpl: DAG, tasks: List[Task], results: Dict[str, Result]) -> Optional[Result]:
    """Argo's assessDAGPhase: the DAG fails if a target branch (``target`` or the leaf
    tasks) ends Failed/Error without continueOn; an Omitted task looks at the branch above."""
    deps = {t.name: upstream(t) for t in tasks}
    below = {d for v in deps.values() for d in v}
    targets = (tmpl.target.split() if tmpl.target else
               [t.name for t in tasks if t.name not in below])
    seen: set = set()

    def failure(name: str) -> Optional[Result]:
        if name in seen or name not in results:
            return None
        seen.add(name)
        r = results[name]
        if r.phase in FAILED and not r.continue_ok:
            return r
        if r.phase == "Omitted":
            for d in deps.get(name, []):
                f = failure(d)
                if f is not None:
                    return f
        return None

    for name in targets:
        f = failure(name)
        if f is not None:
            return f
    return None


def depends_met(task: Task, results: Dict[str, Result], peers: Dict[str, Task]) -> bool:
    """Argo's ``depends`` over task states; without one, Dflow's rule (``Task.depends_text``):
    a task it waits for must have Succeeded (so a failure let through by continue_on_failed
    does not start its dependents)."""
    scope: Dict[str, Any] = {}
    for name, r in results.items():
        base = f"tasks.{name}."
        for prop, phase in (("Succeeded", "Succeeded"), ("Failed", "Failed"),
                            ("Errored", "Error"), ("Skipped", "Skipped"),
                            ("Omitted", "Omitted")):
            scope[base + prop] = r.phase == phase
        scope[base + "Daemoned"] = False
        children = r.children_phases if r.children_phases is not None else [r.phase]
        scope[base + "AnySucceeded"] = "Succeeded" in children
        scope[base + "AllFailed"] = bool(children) and all(c in FAILED for c in children)
    text = task.depends_text(peers)
    return text is None or bool(evaluate(parse_depends(text, task.name)[1], scope))
