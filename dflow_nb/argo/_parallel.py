"""``Step(parallelism=...)``: Argo has parallelism on templates only, so the looped step runs
inside a one-step Steps template that carries it."""
from __future__ import annotations

import json
import re
from typing import Any, Dict, List

from dflow_nb.argo._state import State
from dflow_nb.errors import ValidationError
from dflow_nb.model.step import Step

_LOOP_TAG = re.compile(r"\{\{[^}]*\bitem\b[^}]*\}\}")
_SCOPED = re.compile(r"\b(steps|tasks|inputs)\.")


def _item_only(text: str, where: str) -> bool:
    """Whether ``text`` uses the loop item (it then stays inside the wrapper); a tag mixing the
    item with a reference of the outer scope cannot be split and is refused."""
    if not _LOOP_TAG.search(text):
        return False
    if _SCOPED.search(text):
        raise ValidationError(where, "with parallelism=, a value cannot mix {{item}} with a "
                              "reference to another step or input",
                              expected="the reference in its own parameter", given=text)
    return True


def parallel_wrapper(st: State, step: Step, inner: Dict[str, Any], where: str,
                     parallelism: int) -> Dict[str, Any]:
    """Argo has parallelism on templates only: the looped step runs inside a one-step Steps
    template with ``parallelism``. Arguments that refer to the outer scope become the wrapper's
    inputs; what depends on ``{{item}}`` stays inside; the wrapper re-exports the outputs."""
    wname = f"{step.name}-parallel"
    n = 1
    while wname in st.templates:
        n += 1
        wname = f"{step.name}-parallel{n}"
    inner = json.loads(json.dumps(inner))
    outer: Dict[str, Any] = {"name": step.name, "template": wname}
    w_params: List[Dict[str, Any]] = []
    w_arts: List[Dict[str, Any]] = []
    o_params: List[Dict[str, Any]] = []
    o_arts: List[Dict[str, Any]] = []

    def lift(name: str, value: str) -> str:
        w_params.append({"name": name})
        o_params.append({"name": name, "value": value})
        return "{{inputs.parameters.%s}}" % name

    args = inner.get("arguments") or {}
    for p in args.get("parameters") or []:
        v = str(p.get("value", ""))
        if "{{" in v and not _item_only(v, f"{where}, parameter {p['name']!r}"):
            p["value"] = lift(p["name"], v)
    for a in args.get("artifacts") or []:
        if "from" in a or "fromExpression" in a:
            if _item_only(json.dumps({k: v for k, v in a.items() if k != "subPath"}), where):
                continue
            o_arts.append({k: v for k, v in a.items() if k != "subPath"})
            w_arts.append({"name": a["name"]})
            a.pop("fromExpression", None)
            a["from"] = "{{inputs.artifacts.%s}}" % a["name"]
    if isinstance(inner.get("withParam"), str) and "{{" in inner["withParam"] and \
            not _item_only(inner["withParam"], where):
        inner["withParam"] = lift("dflow_with_param", inner["withParam"])
    for k, v in list((inner.get("withSequence") or {}).items()):
        if isinstance(v, str) and "{{" in v:
            inner["withSequence"][k] = lift(f"dflow_sequence_{k}", v)
    if "when" in inner and not _item_only(str(inner["when"]), where):
        outer["when"] = inner.pop("when")
    if "when" in inner and _SCOPED.search(str(inner["when"])):
        raise ValidationError(where, "with parallelism=, when cannot mix {{item}} with a "
                              "reference", given=inner["when"])
    if inner.get("continueOn"):
        outer["continueOn"] = dict(inner["continueOn"])
    looped = any(k in inner for k in ("withParam", "withItems", "withSequence"))
    body = st.templates.get(inner["template"]) or {}
    outs: Dict[str, Any] = {}
    ref = "{{steps.%s.outputs.%s.%s}}"
    params = [{"name": p["name"], "valueFrom": {"parameter": ref % (step.name, "parameters",
                                                                      p["name"])}}
              for p in (body.get("outputs") or {}).get("parameters") or []]
    arts = [] if looped else [{"name": a["name"], "from": ref % (step.name, "artifacts", a["name"])}
                              for a in (body.get("outputs") or {}).get("artifacts") or []]
    if params:
        outs["parameters"] = params
    if arts:
        outs["artifacts"] = arts
    wrapper: Dict[str, Any] = {"name": wname}
    ins: Dict[str, Any] = {}
    if w_params:
        ins["parameters"] = w_params
    if w_arts:
        ins["artifacts"] = w_arts
    if ins:
        wrapper["inputs"] = ins
    if outs:
        wrapper["outputs"] = outs
    wrapper["steps"] = [[inner]]
    wrapper["parallelism"] = int(parallelism)
    st.templates[wname] = wrapper
    st.objects[wname] = wrapper
    o_args: Dict[str, Any] = {}
    if o_params:
        o_args["parameters"] = o_params
    if o_arts:
        o_args["artifacts"] = o_arts
    if o_args:
        outer["arguments"] = o_args
    return outer
