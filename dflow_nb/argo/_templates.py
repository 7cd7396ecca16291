"""Templates: each one emitted once, Steps and DAG templates with their steps and tasks.

This is the walk's recursive part (a step's template is emitted when the step is); leaves,
inputs/outputs, loops and the generated init/check steps come from their own modules.
"""
from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

from dflow_nb.argo._artifacts import artifact_source
from dflow_nb.argo._check import check_step
from dflow_nb.argo._depends import legacy_dag, settle_continue_on, task_dependencies
from dflow_nb.argo._extra import ARTIFACT_ARGS, EXTRA, INLINE, TEMPLATE_REF, kept
from dflow_nb.argo._init import after_init, init_step
from dflow_nb.argo._io import bigpar_tag, template_inputs, template_outputs
from dflow_nb.argo._leaves import leaf_template
from dflow_nb.argo._loops import (
    loop_fields,
    slice_argument,
    slice_key,
    sliced_output_artifacts,
    sliced_source,
    sliced_variant,
)
from dflow_nb.argo._parallel import parallel_wrapper
from dflow_nb.argo._prescan import big_in, big_ref, needs_check, step_template, takes_slice
from dflow_nb.argo._state import State
from dflow_nb.argo._text import param_text, when_text
from dflow_nb.argo.memoize import MEMO_CONFIGMAP, memoize_field, reuse_configmap_name
from dflow_nb.errors import ValidationError
from dflow_nb.model.composite import CompositeTemplate
from dflow_nb.model.dag import DAG
from dflow_nb.model.executor import Template
from dflow_nb.model.references import ArgoVar
from dflow_nb.model.step import Step
from dflow_nb.model.steps import Steps
from dflow_nb.model.templates import HTTPOPTemplate, ResourceOPTemplate, ScriptOPTemplate


def emit(st: State, tmpl: Template) -> str:
    """Emit ``tmpl`` (once) and return its name; two different objects may not share a name."""
    name = tmpl.name
    prev = st.objects.get(name)
    if prev is tmpl:
        return name
    if prev is not None:
        raise ValidationError(f"template {name!r}", "two different templates share a name",
                              expected="unique template names", given=name)
    st.objects[name] = tmpl
    st.templates[name] = {}  # reserve the slot (recursion, and entrypoint first)
    if isinstance(tmpl, Steps):
        body = _steps_template(st, tmpl)
    elif isinstance(tmpl, DAG):
        body = _dag_template(st, tmpl)
    elif isinstance(tmpl, (ScriptOPTemplate, ResourceOPTemplate, HTTPOPTemplate)):
        body = leaf_template(st, tmpl, _common(st, tmpl))
    else:
        raise ValidationError(f"template {name!r}", "is not a kind Argo runs",
                              expected="a script, container or resource template, Steps or DAG",
                              given=type(tmpl).__name__)
    st.templates[name] = body
    return name


def _common(st: State, tmpl: Template) -> Dict[str, Any]:
    t: Dict[str, Any] = {"name": tmpl.name}
    inputs = template_inputs(st, tmpl)
    if inputs:
        t["inputs"] = inputs
    outputs = template_outputs(st, tmpl)
    if outputs:
        t["outputs"] = outputs
    meta = {}
    if getattr(tmpl, "annotations", None):
        meta["annotations"] = dict(tmpl.annotations)
    if getattr(tmpl, "labels", None):
        meta["labels"] = dict(tmpl.labels)
    if meta:
        t["metadata"] = meta
    memo = _memoize(st, tmpl)
    if memo:
        t["memoize"] = memo
    return t


def _memoize(st: State, tmpl: Template) -> Optional[Dict[str, Any]]:
    """The template's own memoize key, or (``reuse_step``) the step key of keyed steps."""
    if getattr(tmpl, "memoize_key", None):
        return memoize_field(str(tmpl.memoize_key), MEMO_CONFIGMAP)
    if st.reuse and tmpl.name in st.keyed and tmpl.name not in st.unkeyed:
        return memoize_field("{{inputs.parameters.dflow_key}}",
                             reuse_configmap_name(st.workflow.name))
    return None


def _steps_template(st: State, tmpl: Steps) -> Dict[str, Any]:
    if not tmpl.steps:
        raise ValidationError(f"Steps {tmpl.name!r}", "is empty", expected="at least one step")
    t = _common(st, tmpl)
    groups: List[List[Dict[str, Any]]] = []
    for group in tmpl.steps:
        inits = [i for i in (init_step(st, s, tmpl) for s in group) if i is not None]
        if inits:
            groups.append(inits)
        groups.append([emit_step(st, s, tmpl) for s in group])
        checks = [check_step(st, s, "steps") for s in group if needs_check(s)]
        if checks:
            groups.append(checks)
    t["steps"] = groups
    if tmpl.parallelism is not None:
        t["parallelism"] = int(tmpl.parallelism)
    if getattr(tmpl, "fail_fast", None) is not None:
        t["failFast"] = bool(tmpl.fail_fast)
    t.update(kept(tmpl, EXTRA))
    return t


def _dag_template(st: State, tmpl: DAG) -> Dict[str, Any]:
    if not tmpl.tasks:
        raise ValidationError(f"DAG {tmpl.name!r}", "is empty", expected="at least one task")
    tmpl.ordered()  # unknown dependencies and cycles are build errors
    t = _common(st, tmpl)
    by_name = {x.name: x for x in tmpl.tasks}
    checked = {x.name for x in tmpl.tasks if needs_check(x)}
    legacy = legacy_dag(tmpl.tasks, checked)
    tasks = []
    for task in tmpl.tasks:
        d = emit_step(st, task, tmpl)
        deps = task_dependencies(task, by_name, checked, legacy)
        init = init_step(st, task, tmpl)
        if init is not None:
            init.update(json.loads(json.dumps(deps)))
            tasks.append(init)
            deps = after_init(deps, init["name"])
        d.update(deps)
        tasks.append(d)
        if task.name in checked:
            tasks.append(check_step(st, task, "tasks"))
    settle_continue_on(tasks, st.templates)
    dag: Dict[str, Any] = {"tasks": tasks}
    if not tmpl.fail_fast:
        dag["failFast"] = False
    if getattr(tmpl, "target", None):
        dag["target"] = tmpl.target
    t["dag"] = dag
    if tmpl.parallelism is not None:
        t["parallelism"] = int(tmpl.parallelism)
    t.update(kept(tmpl, EXTRA))
    return t


def emit_step(st: State, step: Step, parent: CompositeTemplate) -> Dict[str, Any]:
    tmpl = step_template(st, step)
    where = f"{step.scope_kind[:-1]} {step.name!r} of {parent.name!r}"
    d: Dict[str, Any] = {"name": step.name}
    if kept(step, TEMPLATE_REF):   # a WorkflowTemplate's: Argo finds it on the server
        d["templateRef"] = kept(step, TEMPLATE_REF)
    else:
        name = emit(st, tmpl)
        sliced_arts = sliced_output_artifacts(step, tmpl)
        d["template"] = sliced_variant(st, tmpl, sliced_arts) if sliced_arts else name
        if kept(step, INLINE) and not sliced_arts:   # written inline: emitted back inline
            d["inline"] = {k: v for k, v in st.templates.pop(d.pop("template")).items()
                           if k != "name"}
    args = _arguments(st, step, tmpl, parent, where)
    if args:
        d["arguments"] = args
    when = when_text(step.when)
    if when:
        d["when"] = when
    d.update(loop_fields(step, tmpl, where))
    cont: Dict[str, bool] = {}
    if step.continue_on_failed or needs_check(step):
        cont["failed"] = True
    if step.continue_on_error:
        cont["error"] = True
    if cont:
        d["continueOn"] = cont
    hooks = _hooks(st, step, where)
    if hooks:
        d["hooks"] = hooks
    d.update(kept(step, EXTRA))
    if step.parallelism is not None:
        return parallel_wrapper(st, step, d, where, step.parallelism)
    return d


def _hooks(st: State, step: Step, where: str) -> Dict[str, Any]:
    out = {}
    legacy = "onExit" in kept(step, EXTRA)   # loaded as hooks["exit"]; emitted back as it was
    for hname, hook in (step.hooks or {}).items():
        if isinstance(hook, dict) and isinstance(hook.get("template"), str):
            out[hname] = hook
            continue
        if isinstance(hook, Step):
            h: Dict[str, Any] = {"template": emit(st, hook.template)}
            args = _arguments(st, hook, hook.template, None, f"{where}, hook {hname!r}")
            if args:
                h["arguments"] = args
            if hook.when is not None:
                h["expression"] = hook.when.expr if isinstance(hook.when, ArgoVar) \
                    else str(hook.when)
        elif isinstance(hook, dict):
            h = {"template": emit(st, hook["template"])}
            if hook.get("expression"):
                h["expression"] = str(hook["expression"])
        else:
            h = {"template": emit(st, hook)}
        if hname != "exit" or not legacy:
            out[hname] = h
    return out


def _arguments(st: State, step: Step, tmpl: Template, parent: Optional[CompositeTemplate],
               where: str) -> Dict[str, Any]:
    """A step's (or hook's: no parent) arguments; BigParameters travel as artifacts."""
    params: List[Dict[str, Any]] = []
    arts: List[Dict[str, Any]] = []
    for name, value in step.parameters.items():
        if big_in(st, tmpl, name):
            arts.append({"name": f"dflow_bigpar_{name}", **_bigpar_argument(st, value, parent)})
            continue
        if big_ref(st, value, parent):
            raise ValidationError(f"{where}, parameter {name!r}", "takes a BigParameter, which "
                                  "travels as an artifact on Argo, but the input is a plain "
                                  "parameter", expected="a BigParameter input", given=str(value))
        params.append({"name": name, "value": param_text(value)})
    if step.key is not None and tmpl.name in st.keyed:
        at = next((i for i, p in enumerate(params) if p["name"].startswith("dflow_")),
                  len(params))
        params.insert(at, {"name": "dflow_key", "value": str(step.key)})
    if step.slices is not None and takes_slice(tmpl):
        params.append({"name": "dflow_slice", "value": slice_argument(step, step.slices)})
    for name, source in step.artifacts.items():
        src = sliced_source(st, source)
        if src is None:
            src = artifact_source(st, source, f"{where}, artifact {name!r}")
        arts.append({"name": name, **src,
                     **kept(step, ARTIFACT_ARGS).get(name, {})})
    if sliced_output_artifacts(step, tmpl):
        params.append({"name": "dflow_artifact_key", "value": slice_key(parent, step)})
    out: Dict[str, Any] = {}
    if params:
        out["parameters"] = params
    if arts:
        out["artifacts"] = arts
    return out


def _bigpar_argument(st: State, value: Any, parent: Optional[CompositeTemplate]
                     ) -> Dict[str, Any]:
    if big_ref(st, value, parent):
        return {"from": bigpar_tag(value)}
    if isinstance(value, ArgoVar):
        raise ValidationError("big parameter", "a BigParameter takes a literal or another "
                              "BigParameter", given=str(value))
    return {"raw": {"data": param_text(value)}}
