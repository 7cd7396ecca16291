"""``continue_on_num_success``/``continue_on_success_ratio``: the check step after a looped step.

The looped step gets ``continueOn.failed`` and its template outputs ``dflow_success_tag``
(only Succeeded children carry it into the aggregate); the check step, named as in Dflow
(``<step>-check-num-success`` / ``<step>-check-success-ratio``), fails unless enough children
succeeded.
"""
from __future__ import annotations

import math
from typing import Any, Dict

from dflow_nb.argo._loops import length_expr, sequence_length, slice_count
from dflow_nb.argo._state import DEFAULT_PYTHON_IMAGE, SUCCESS_TAG, State
from dflow_nb.config import config
from dflow_nb.model.references import path_expr
from dflow_nb.model.step import Step

CHECK_TEMPLATE = "dflow-nb-check-success"


def check_name(step: Step) -> str:
    """The check step of a success-counted step (its dependents wait for it)."""
    return step.success_check_name or f"{step.name}-check-success"


def check_step(st: State, step: Step, kind: str) -> Dict[str, Any]:
    if CHECK_TEMPLATE not in st.templates:
        st.templates[CHECK_TEMPLATE] = _check_template()
        st.objects[CHECK_TEMPLATE] = st.templates[CHECK_TEMPLATE]
    ref = path_expr((kind, step.name, "outputs", "parameters", SUCCESS_TAG))
    status = path_expr((kind, step.name, "status"))
    looped = step.with_param is not None or step.with_items is not None or \
        step.with_sequence is not None or step.slices is not None
    ok = f"len(sprig.fromJson({ref} ?? '[]'))" if looped else \
        f"({status} == 'Succeeded' ? 1 : 0)"
    total = _total(step) if looped else "1"
    params = [{"name": "succeeded", "value": "{{=%s}}" % ok},
              {"name": "total", "value": total if total.isdigit() else "{{=%s}}" % total}]
    if step.continue_on_num_success is not None:
        params.append({"name": "num", "value": str(int(step.continue_on_num_success))})
    elif step.continue_on_success_ratio is not None:
        params.append({"name": "ratio", "value": repr(float(step.continue_on_success_ratio))})
    d: Dict[str, Any] = {"name": check_name(step), "template": CHECK_TEMPLATE,
                         "arguments": {"parameters": params}}
    if kind == "tasks":
        d["depends"] = f"({step.name}.Succeeded || {step.name}.Failed || {step.name}.Errored)"
    return d


def _total(step: Step) -> str:
    where = f"step {step.name!r}"
    if step.with_items is not None:
        return str(len(step.with_items))
    if step.with_param is not None:
        return length_expr(step.with_param, where)
    if step.with_sequence is not None:
        return sequence_length(step.with_sequence)
    n = slice_count(step, where)
    if n is None:
        return "1"
    if isinstance(n, int):
        g = step.slices.group_size if step.slices is not None else None
        return str(math.ceil(n / g) if g else n)
    return n


def _check_template() -> Dict[str, Any]:
    source = ("import math, sys\n"
              "ok, total = int('{{inputs.parameters.succeeded}}'), "
              "int('{{inputs.parameters.total}}')\n"
              "num, ratio = '{{inputs.parameters.num}}', '{{inputs.parameters.ratio}}'\n"
              "need = int(num) if num else math.ceil(float(ratio) * total)\n"
              "print(f'{ok} of {total} succeeded, {need} needed')\n"
              "sys.exit(0 if ok >= need else 1)\n")
    return {"name": CHECK_TEMPLATE,
            "inputs": {"parameters": [{"name": "succeeded"}, {"name": "total"},
                                      {"name": "num", "value": ""},
                                      {"name": "ratio", "value": ""}]},
            "script": {"image": config.get("util_image") or DEFAULT_PYTHON_IMAGE,
                       "command": ["python3"], "source": source}}
