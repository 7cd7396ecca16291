"""Fix-and-resume: a run's OPs as the kernel defines them now.

After a failed run the user fixes the OP's ``%%dflow op`` cell and runs it again: the name in
the kernel now holds a new class (or function), while the workflow model (the notebook's
Workflow, or the copy the engine stored) still holds the old one. Retry, resubmit and reuse
from a notebook swap every OP defined in the notebook for the kernel's current one of the same
name, and say so; one whose inputs or outputs changed is kept, and the user is told to rebuild
the workflow (its templates were made from the old signature).
"""
from __future__ import annotations

import inspect
from typing import Any, Dict, Iterator, List, Mapping, Optional, Set, Type

from dflow_nb.hub.workflow import Workflow
from dflow_nb.notebook.debug import walk_steps
from dflow_nb.python.op import OP
from dflow_nb.python.opio import Artifact
from dflow_nb.python.python_op_template import PythonOPTemplate
from dflow_nb.python.tracebacks import op_functions


def kernel_namespace() -> Dict[str, Any]:
    """The user namespace of the running IPython kernel (empty outside one)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return {}
    shell = get_ipython()
    return dict(shell.user_ns) if shell is not None else {}


def use_current_ops(wf: Workflow, namespace: Optional[Mapping[str, Any]] = None,
                    action: str = "resubmit") -> List[str]:
    """Make ``wf`` run the kernel's current definition of each notebook OP it uses (its stored
    model is loaded into it when it holds none) for ``action``; returns what to tell the user:
    one line per OP, or why the action cannot (Argo's retry re-runs the run's own spec)."""
    ns = kernel_namespace() if namespace is None else namespace
    if not isinstance(wf, Workflow) or (not wf.id and wf.entrypoint is None):
        return []
    if action in ("retry", "resume") and wf.id and wf.backend.kind == "argo":
        return [f"on Argo, {action} runs the failed steps with the code the run was submitted "
                "with; to run an OP as its cell defines it now, resubmit (%dflow resubmit)"]
    try:
        model = wf.model()
    except LookupError:   # no stored model (an unpicklable workflow): nothing to swap in
        return []
    lines = swap_ops(model, ns)
    if lines and model is not wf:
        wf.name, wf.entrypoint, wf.parameters, wf.on_exit = (
            model.name, model.entrypoint, model.parameters, model.on_exit)
    return lines


def swap_ops(model: Workflow, namespace: Mapping[str, Any]) -> List[str]:
    """Point each Python OP template of ``model`` at the namespace's OP of the same name when
    that is a different, notebook-defined OP with the same inputs and outputs."""
    lines: List[str] = []
    told: Set[str] = set()
    for tmpl in _python_templates(model):
        old = tmpl.op
        name = getattr(old, "__name__", None) or type(old).__name__
        new = namespace.get(name)
        if new is None or new is old or not _notebook_op(new) or \
                inspect.isclass(new) != inspect.isclass(old):
            continue
        if _sign(new) != _sign(old):
            if name not in told:
                lines.append(f"{name}: its inputs or outputs changed since this run was built, "
                             "so the run keeps the old one; build the workflow again (run its "
                             "cell) to use the new one")
                told.add(name)
            continue
        tmpl.op, tmpl.op_class = new, _op_class(new)
        if name not in told and _code(new) != _code(old):
            lines.append(f"{name}: using the kernel's current definition (changed since "
                         "this run)")
        told.add(name)
    return lines


def _op_class(value: Any) -> Type[OP]:
    return value if inspect.isclass(value) else type(value)  # type: ignore[return-value]


def _notebook_op(value: Any) -> bool:
    cls = _op_class(value)
    return issubclass(cls, OP) and cls is not OP and cls.__module__ == "__main__"


def _code(op: Any) -> List[Any]:
    """The code of an OP's functions (equal code compares equal, whichever file it came from)."""
    return [f.__code__ for f in op_functions(op)]


def _sign(op: Any) -> Any:
    """An OP's input and output names, and which are artifacts."""
    return tuple(tuple(sorted((k, isinstance(v, Artifact)) for k, v in sign.items()))
                 for sign in (op.get_input_sign(), op.get_output_sign()))


def _python_templates(model: Workflow) -> Iterator[PythonOPTemplate]:
    seen: Set[int] = set()
    for root in (model.entrypoint, model.on_exit):
        if isinstance(root, PythonOPTemplate):
            yield root
        for step in walk_steps(root, seen):
            if isinstance(step.template, PythonOPTemplate):
                yield step.template
