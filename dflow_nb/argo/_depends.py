"""DAG task conditions by Dflow's rule, in a form Argo v4 accepts.

Dflow compiles a task's dependencies (inferred from what it reads, or ``dependencies=[...]`` of
Tasks) to ``depends: "(a.Succeeded) && ..."``; a dependency given by name keeps the meaning of
Argo's ``dependencies: [a]`` (Succeeded, Skipped, Daemoned, or a failure ``a`` continues on), an
explicit ``depends`` stays as given, and a success-counted task is waited for through its check
task. ``Task.depends_text`` says it once for the compiler and the local engine.

A DAG whose dependencies are all given by task name (a loaded Argo manifest's legacy
``dependencies: [a]``) keeps that form and its ``continueOn``: Argo's meaning is the one the local
engine gives those names. Otherwise every task waits through ``depends``; Argo refuses
``continueOn`` in a DAG where any task uses ``depends``, and ``depends`` with ``dependencies``
(validate.go, DAG-wide). So in a DAG that uses ``depends``:

- no task carries ``continueOn``; a success-counted loop needs none (its check task's
  ``depends`` takes its Failed/Errored states);
- if a task has ``continue_on_failed``/``continue_on_error`` (its failure must not fail the
  DAG, and by Dflow's rule its dependents do not start), the DAG gets one more task,
  ``DAG_OK_TASK``, calling the pod-less ``suspend`` template ``DAG_OK_TEMPLATE``. It waits for
  every task and runs when each ended Succeeded, Skipped, Daemoned or Omitted, or Failed/Errored
  where that failure is let through (continue_on_*, a success-counted loop, or a state another
  task's ``depends`` takes). Being the DAG's only leaf, it decides the DAG's phase (Argo's
  assessDAGPhase): Succeeded when it ran, else the Failed branch above it. This is the local
  engine's outcome (``local/dag_rules.assess_dag``); its node is hidden from records
  (``argo/status.py``).
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Set

from dflow_nb.argo._check import check_name
from dflow_nb.model.step import Task

DAG_OK_TASK = "dflow-dag-ok"
DAG_OK_TEMPLATE = "dflow-nb-dag-ok"
_NAME = r"[A-Za-z0-9][-A-Za-z0-9]*"
_HANDLED = re.compile(r"([A-Za-z0-9][-A-Za-z0-9]*)\.(Failed|Errored|AllFailed|AnySucceeded)")


def legacy_dag(tasks: List[Task], checked: Set[str]) -> bool:
    """Whether every dependency in the DAG is given by task name only (as in a loaded Argo
    manifest's ``dependencies: [a]``): the DAG then stays in that form, continueOn included."""
    return not checked and all(
        t.depends is None and all(isinstance(d, str) and re.fullmatch(_NAME, d.strip())
                                  for d in t.explicit_dependencies or []) and
        (t.explicit_dependencies is not None or not t.dependencies) for t in tasks)


def task_dependencies(task: Task, by_name: Dict[str, Task], checked: Set[str], legacy: bool
                      ) -> Dict[str, Any]:
    """``depends`` (``dependencies`` in a ``legacy_dag``) of ``task``, empty if it waits for
    nothing; ``checked`` names the success-counted tasks, waited for through their check."""
    if legacy:
        names = [str(d).strip() for d in task.explicit_dependencies or []]
        return {"dependencies": names} if names else {}
    if task.depends is not None:
        return {"depends": task.depends}
    text = task.depends_text(by_name, lambda name: check_name(by_name[name]) if name in checked
                             else name)
    return {"depends": text} if text else {}


def settle_continue_on(tasks: List[Dict[str, Any]], templates: Dict[str, Any]) -> None:
    """Make ``tasks`` (the emitted DAG tasks) valid for Argo when any uses ``depends``: drop
    every ``continueOn``, and add the ``DAG_OK_TASK`` when a failure was let through."""
    if not any("depends" in t for t in tasks):
        return
    tolerated: Dict[str, Set[str]] = {}
    for t in tasks:
        cont = t.pop("continueOn", None) or {}
        tolerated[t["name"]] = {s for s, key in (("Failed", "failed"), ("Errored", "error"))
                                if cont.get(key)}
    handled: Dict[str, Set[str]] = {}
    for t in tasks:
        for name, state in _HANDLED.findall(t.get("depends", "")):
            handled.setdefault(name, set()).update(
                ("Failed", "Errored") if state in ("AllFailed", "AnySucceeded") else (state,))
    if not any(states - handled.get(name, set()) for name, states in tolerated.items()):
        return
    let_through = {name: tolerated.get(name, set()) | handled.get(name, set())
                   for name in set(tolerated) | set(handled)}
    atoms = []
    for t in tasks:
        states = ["Succeeded", "Skipped", "Daemoned", "Omitted"]
        states += [s for s in ("Failed", "Errored") if s in let_through.get(t["name"], [])]
        atoms.append("(" + " || ".join(f"{t['name']}.{s}" for s in states) + ")")
    tasks.append({"name": DAG_OK_TASK, "template": DAG_OK_TEMPLATE, "depends": " && ".join(atoms)})
    templates.setdefault(DAG_OK_TEMPLATE, {"name": DAG_OK_TEMPLATE,
                                           "suspend": {"duration": "0"}})
