"""The pre-scan: facts about how templates are used, gathered before anything is emitted.

Which templates keyed, sliced or success-counted steps use (they gain ``dflow_key``,
``dflow_slice`` or ``dflow_success_tag``), what each step's executor renders, and which
Steps/DAG inputs and outputs carry BigParameters (they travel as artifacts).
"""
from __future__ import annotations

from typing import Any, List, Optional

from dflow_nb.argo._state import State, digest
from dflow_nb.model.composite import CompositeTemplate
from dflow_nb.model.dag import DAG
from dflow_nb.model.executor import Template, executor_for
from dflow_nb.model.io import InputParameter, OutputParameter
from dflow_nb.model.step import Step
from dflow_nb.model.steps import Steps
from dflow_nb.python.python_op_template import PythonOPTemplate


def scan(st: State, roots: List[Any]) -> None:
    seen: set = set()
    stack = list(roots)
    while stack:
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        if isinstance(t, (Steps, DAG)):
            st.containers.append(t)
            for s in t.children():
                st.parents[id(s)] = t
                tmpl = step_template(st, s)
                (st.keyed if s.key is not None else st.unkeyed).add(tmpl.name)
                if takes_slice(tmpl) and s.slices is not None:
                    st.sliced.add(tmpl.name)
                if needs_check(s):
                    st.tagged.add(tmpl.name)
                stack.append(tmpl)
                for hook in (s.hooks or {}).values():
                    ht = _hook_template(hook)
                    if ht is not None:
                        stack.append(ht)


def big_in(st: State, tmpl: Template, name: str) -> bool:
    """Whether input parameter ``name`` of ``tmpl`` travels as an artifact (BigParameter)."""
    decl = tmpl.inputs.parameters[name] if name in tmpl.inputs.parameters else None
    return bool(decl is not None and decl.save_as_artifact) or (id(tmpl), name) in st.big_in


def big_out(st: State, tmpl: Template, name: str) -> bool:
    decl = tmpl.outputs.parameters[name] if name in tmpl.outputs.parameters else None
    return bool(decl is not None and decl.save_as_artifact) or (id(tmpl), name) in st.big_out


def big_ref(st: State, value: Any, parent: Optional[CompositeTemplate]) -> bool:
    """Whether ``value`` refers to a parameter that travels as an artifact."""
    if not isinstance(value, (InputParameter, OutputParameter)):
        return False
    if value.save_as_artifact:
        return True
    if isinstance(value, OutputParameter):
        return value.step is not None and value.name is not None and \
            big_out(st, value.step.template, value.name)
    return value.step is None and parent is not None and value.name is not None and \
        big_in(st, parent, value.name)


def infer_big(st: State) -> None:
    """BigParameters through Steps/DAGs: a container input that feeds a BigParameter, and a
    container output taken from one, travel as artifacts too (to a fixpoint, for nesting)."""
    changed = True
    while changed:
        changed = False
        for t in st.containers:
            for s in t.children():
                callee = s.template
                for name, value in s.parameters.items():
                    if isinstance(value, InputParameter) and value.step is None and \
                            value.name is not None and value.name in t.inputs.parameters and \
                            big_in(st, callee, name) and not big_in(st, t, value.name):
                        st.big_in.add((id(t), value.name))
                        changed = True
            for name, p in t.outputs.parameters.items():
                src = p.value_from_parameter
                if isinstance(src, OutputParameter) and src.step is not None and \
                        src.name is not None and big_out(st, src.step.template, src.name) and \
                        not big_out(st, t, name):
                    st.big_out.add((id(t), name))
                    changed = True


def is_python(tmpl: Template) -> bool:
    return isinstance(tmpl, PythonOPTemplate)


def takes_slice(tmpl: Template) -> bool:
    """A Python OP, or an executor's rendering of one that runs one slice per pod."""
    return is_python(tmpl) or bool(getattr(tmpl, "takes_slice", False))


def needs_check(step: Step) -> bool:
    return step.continue_on_num_success is not None or step.continue_on_success_ratio is not None


def step_template(st: State, step: Step) -> Any:
    """The template a step really runs: its executor (or the workflow context) may rewrite it."""
    tmpl = step.template
    if not tmpl.is_leaf:
        return tmpl
    executor = executor_for(step, st.workflow)
    if executor is None:
        return tmpl
    key = (id(tmpl), id(executor))
    if key not in st.rendered:
        rendered = executor.render(tmpl)
        if rendered is not tmpl and rendered.name == tmpl.name:
            rendered.name = f"{tmpl.name}-{digest(repr(type(executor)) + str(id(executor)))[:5]}"
        st.rendered[key] = rendered
    return st.rendered[key]


def _hook_template(hook: Any) -> Any:
    if isinstance(hook, Step):
        return hook.template
    if isinstance(hook, dict):
        return hook.get("template") if not isinstance(hook.get("template"), str) else None
    return hook if hasattr(hook, "inputs") else None
