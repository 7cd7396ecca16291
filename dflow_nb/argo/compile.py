"""The model as an Argo Workflow manifest (plain dicts that validate against Argo's schema).

One small function per Argo object: ``_template`` (leaf/steps/dag), ``_inputs``/``_outputs``,
``_step`` (a WorkflowStep or DAGTask), ``_arguments``. Design decisions (the README of this
backend):

- Images: every leaf gets ``image`` (the schema requires it): the template's, else
  ``DEFAULT_PYTHON_IMAGE`` for Python templates and ``DEFAULT_SHELL_IMAGE`` for shell/others.
- Python OPs are script templates running the text of ``dflow_nb.argo.script`` (OP shipped by
  import, inline source or pickle; parameters passed base64-encoded). ``python_packages``,
  ``upload_packages`` and (with ``upload_dflow``) dflow_nb itself become the optional input
  artifact ``dflow_python_packages`` with a key-only S3 default; the local paths to upload are
  listed in the annotation ``UPLOADS_ANNOTATION`` ({key: [paths]}) for the backend to upload
  before it submits. Local artifacts (``upload_artifact`` without S3) are listed the same way.
- Loops stay compact: a literal ``with_param`` list is one JSON string; sliced steps without an
  explicit loop get ``withSequence.count`` (literal lists) or a ``withParam`` range expression
  (references); the list itself is one parameter and each slice picks its element in the
  script from the ``dflow_slice`` argument (``{"index": {{item}}, ...}``, a SliceSpec).
- Slicing an input artifact without an explicit loop (also ``Slices(sub_path=True)``): an init
  step ``<step>-init`` (template ``INIT_TEMPLATE``, util image) runs ``dflow_nb.argo.slice_count``
  on the first sliced artifact and outputs its item count; the step loops over
  ``untilStep(0, count)`` and each slice's script picks its item by index, so the OP sees the
  one file/directory of its item (with sub_path too; the manifest does not grow with files).
- Sliced output artifacts: each slice saves (archive none) under one key-only S3 prefix
  ``{{workflow.name}}/dflow-slices/<template>/<step>/<artifact>`` that consumers read whole
  (Argo does not aggregate artifacts of loops).
- ``continue_on_num_success``/``continue_on_success_ratio``: the looped step gets
  ``continueOn.failed`` and every template output gains ``dflow_success_tag`` (valueFrom
  default "1", so only Succeeded children carry it into the aggregate); a check step
  ``<step>-check-success`` runs right after it (Steps: next group; DAG: a task that dependents
  wait for) and fails unless enough children succeeded.
- Keys: templates of keyed steps get input ``dflow_key`` (default ""), the step passes its key.
- Memoization: ``memoize_key`` on a template becomes Argo ``memoize`` (ConfigMap cache
  ``MEMO_CONFIGMAP``). ``reuse_step`` adds ``memoize`` keyed by ``dflow_key`` to the templates
  of keyed steps; ``reuse_cache_configmap`` builds the cache ConfigMap the backend must apply
  (with the Kubernetes API) so the controller finds the reused outputs as memoization hits.
- DAG dependencies: explicit ``depends`` as given; explicit ``dependencies`` lists stay legacy
  ``dependencies``; inferred ones become ``depends: "a && b"`` (a bare name is
  Succeeded||Skipped||Daemoned, as the local engine treats it) unless the task or one of its
  dependencies has continueOn, where the legacy list keeps Argo's continueOn semantics.
- Fields the model does not know (kept by the loader in ``argo_extra``) are emitted unchanged.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from dflow_nb.argo import schema
from dflow_nb.config import config
from dflow_nb.errors import ValidationError
from dflow_nb.model.dag import DAG
from dflow_nb.model.depends import is_bare_dependency
from dflow_nb.model.executor import executor_for
from dflow_nb.model.io import _IO, UNSET, InputArtifact, InputParameter, OutputArtifact, OutputParameter
from dflow_nb.model.references import ArgoSequence, ArgoVar, path_expr
from dflow_nb.model.step import Step, Task, encode_parameter
from dflow_nb.model.steps import Steps
from dflow_nb.model.templates import ContainerOPTemplate, PythonScriptOPTemplate, ScriptOPTemplate

DEFAULT_PYTHON_IMAGE = "python:3.11"
DEFAULT_SHELL_IMAGE = "alpine:3"
MEMO_CONFIGMAP = "dflow-nb-memoize"
REUSE_CONFIGMAP_PREFIX = "dflow-nb-reuse-"
MEMO_MAX_AGE = "87600h"
UPLOADS_ANNOTATION = "dflow-nb.deepmodeling.com/uploads"
SUCCESS_TAG = "dflow_success_tag"
CHECK_TEMPLATE = "dflow-nb-check-success"
INIT_TEMPLATE = "dflow-nb-artifact-items"
TMP = "/tmp"


@dataclass
class _State:
    """What one compilation collects while it walks the model."""

    workflow: Any
    reuse: bool = False
    templates: Dict[str, Dict[str, Any]] = field(default_factory=dict)
    objects: Dict[str, Any] = field(default_factory=dict)
    uploads: Dict[str, List[str]] = field(default_factory=dict)
    keyed: set = field(default_factory=set)          # template names used by keyed steps
    unkeyed: set = field(default_factory=set)        # ... and by steps without a key
    sliced: set = field(default_factory=set)         # Python templates used with slices
    tagged: set = field(default_factory=set)         # templates needing dflow_success_tag
    rendered: Dict[Tuple[int, int], Any] = field(default_factory=dict)
    variants: Dict[Tuple[str, Tuple[str, ...]], str] = field(default_factory=dict)
    parents: Dict[int, Any] = field(default_factory=dict)  # id(step) -> its Steps/DAG
    containers: List[Any] = field(default_factory=list)    # Steps/DAG templates in use
    big_in: set = field(default_factory=set)   # (id(Steps/DAG), input) inferred BigParameters
    big_out: set = field(default_factory=set)  # (id(Steps/DAG), output) ...


def compile_workflow(workflow: Any, reuse_step: Optional[List[Any]] = None) -> Dict[str, Any]:
    """The Argo manifest of ``workflow``; raises ValidationError (in the user's terms) for what
    Argo would reject, and ManifestError if the result breaks Argo's name/size rules."""
    if workflow.entrypoint is None:
        raise ValidationError(f"workflow {workflow.name!r}", "has no steps",
                              expected="wf.add(step) or Workflow(steps=/dag=)", given=None)
    st = _State(workflow, reuse=bool(reuse_step))
    roots = [workflow.entrypoint] + ([workflow.on_exit] if workflow.on_exit is not None else [])
    _scan(st, roots)
    _infer_big(st)
    _emit(st, workflow.entrypoint)
    if workflow.on_exit is not None:
        _emit(st, workflow.on_exit)
    for extra in getattr(workflow, "argo_extra_templates", []) or []:
        st.templates.setdefault(extra["name"], extra)
    manifest = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
                "metadata": _metadata(st), "spec": _spec(st)}
    errs = schema.rule_errors(manifest)
    if errs:
        raise schema.ManifestError(errs)
    return manifest


# -- workflow level ----------------------------------------------------------------------------
def _metadata(st: _State) -> Dict[str, Any]:
    wf = st.workflow
    extra = getattr(wf, "argo_extra", {}) or {}
    meta: Dict[str, Any] = {}
    if extra.get("fixed_name"):
        meta["name"] = wf.name
    else:
        meta["generateName"] = f"{wf.name}-"
    if wf.namespace and extra.get("namespace", True):
        meta["namespace"] = wf.namespace
    annotations = dict(wf.annotations or {})
    if st.uploads:
        annotations[UPLOADS_ANNOTATION] = json.dumps(st.uploads, sort_keys=True)
    if annotations:
        meta["annotations"] = annotations
    if wf.labels:
        meta["labels"] = dict(wf.labels)
    return meta


def _spec(st: _State) -> Dict[str, Any]:
    wf = st.workflow
    spec: Dict[str, Any] = {"entrypoint": wf.entrypoint.name}
    if wf.parameters:
        spec["arguments"] = {"parameters": [
            {"name": k, "value": _text(v)} for k, v in wf.parameters.items()]}
    if wf.on_exit is not None:
        spec["onExit"] = wf.on_exit.name
    if wf.parallelism is not None:
        spec["parallelism"] = int(wf.parallelism)
    if wf.pod_gc_strategy:
        spec["podGC"] = {"strategy": wf.pod_gc_strategy}
    if wf.image_pull_secrets:
        secrets = wf.image_pull_secrets if isinstance(wf.image_pull_secrets, list) \
            else [wf.image_pull_secrets]
        spec["imagePullSecrets"] = [s if isinstance(s, dict) else {"name": str(s)}
                                    for s in secrets]
    if wf.artifact_repo_key:
        spec["artifactRepositoryRef"] = {"key": wf.artifact_repo_key}
    spec.update(getattr(wf, "argo_extra_spec", {}) or {})
    spec["templates"] = list(st.templates.values())
    return spec


def _text(value: Any) -> str:
    """A literal or reference as Argo parameter text."""
    if isinstance(value, ArgoVar):
        return str(value)
    encoded = encode_parameter(value)
    return str(encoded) if isinstance(encoded, ArgoVar) else encoded


# -- the pre-scan: facts about how templates are used ------------------------------------------
def _scan(st: _State, roots: List[Any]) -> None:
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
                tmpl = _step_template(st, s)
                (st.keyed if s.key is not None else st.unkeyed).add(tmpl.name)
                if _takes_slice(tmpl) and s.slices is not None:
                    st.sliced.add(tmpl.name)
                if _needs_check(s):
                    st.tagged.add(tmpl.name)
                stack.append(tmpl)
                for hook in (s.hooks or {}).values():
                    ht = _hook_template(hook)
                    if ht is not None:
                        stack.append(ht)


def _big_in(st: _State, tmpl: Any, name: str) -> bool:
    """Whether input parameter ``name`` of ``tmpl`` travels as an artifact (BigParameter)."""
    decl = tmpl.inputs.parameters[name] if name in tmpl.inputs.parameters else None
    return bool(decl is not None and decl.save_as_artifact) or (id(tmpl), name) in st.big_in


def _big_out(st: _State, tmpl: Any, name: str) -> bool:
    decl = tmpl.outputs.parameters[name] if name in tmpl.outputs.parameters else None
    return bool(decl is not None and decl.save_as_artifact) or (id(tmpl), name) in st.big_out


def _big_ref(st: _State, value: Any, parent: Any) -> bool:
    """Whether ``value`` refers to a parameter that travels as an artifact."""
    if not isinstance(value, (InputParameter, OutputParameter)):
        return False
    if value.save_as_artifact:
        return True
    if isinstance(value, OutputParameter):
        return value.step is not None and _big_out(st, value.step.template, value.name)
    return value.step is None and parent is not None and value.name is not None and \
        _big_in(st, parent, value.name)


def _infer_big(st: _State) -> None:
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
                            value.name in t.inputs.parameters and \
                            _big_in(st, callee, name) and not _big_in(st, t, value.name):
                        st.big_in.add((id(t), value.name))
                        changed = True
            for name, p in t.outputs.parameters.items():
                src = p.value_from_parameter
                if isinstance(src, OutputParameter) and src.step is not None and \
                        _big_out(st, src.step.template, src.name) and not _big_out(st, t, name):
                    st.big_out.add((id(t), name))
                    changed = True


def _is_python(tmpl: Any) -> bool:
    from dflow_nb.python.python_op_template import PythonOPTemplate
    return isinstance(tmpl, PythonOPTemplate)


def _takes_slice(tmpl: Any) -> bool:
    """A Python OP, or an executor's rendering of one that runs one slice per pod."""
    return _is_python(tmpl) or bool(getattr(tmpl, "takes_slice", False))


def _needs_check(step: Step) -> bool:
    return step.continue_on_num_success is not None or step.continue_on_success_ratio is not None


def _step_template(st: _State, step: Step) -> Any:
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
            rendered.name = f"{tmpl.name}-{_digest(repr(type(executor)) + str(id(executor)))[:5]}"
        st.rendered[key] = rendered
    return st.rendered[key]


def _hook_template(hook: Any) -> Any:
    if isinstance(hook, Step):
        return hook.template
    if isinstance(hook, dict):
        return hook.get("template") if not isinstance(hook.get("template"), str) else None
    return hook if hasattr(hook, "inputs") else None


# -- templates ---------------------------------------------------------------------------------
def _emit(st: _State, tmpl: Any) -> str:
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
    else:
        body = _leaf_template(st, tmpl)
    st.templates[name] = body
    return name


def _common(st: _State, tmpl: Any) -> Dict[str, Any]:
    t: Dict[str, Any] = {"name": tmpl.name}
    inputs = _inputs(st, tmpl)
    if inputs:
        t["inputs"] = inputs
    outputs = _outputs(st, tmpl)
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


def _memoize(st: _State, tmpl: Any) -> Optional[Dict[str, Any]]:
    if getattr(tmpl, "memoize_key", None):
        return {"key": str(tmpl.memoize_key), "maxAge": MEMO_MAX_AGE,
                "cache": {"configMap": {"name": MEMO_CONFIGMAP}}}
    if st.reuse and tmpl.name in st.keyed and tmpl.name not in st.unkeyed:
        return {"key": "{{inputs.parameters.dflow_key}}", "maxAge": MEMO_MAX_AGE,
                "cache": {"configMap": {"name": reuse_configmap_name(st.workflow.name)}}}
    return None


def _steps_template(st: _State, tmpl: Steps) -> Dict[str, Any]:
    if not tmpl.steps:
        raise ValidationError(f"Steps {tmpl.name!r}", "is empty", expected="at least one step")
    t = _common(st, tmpl)
    groups: List[List[Dict[str, Any]]] = []
    for group in tmpl.steps:
        inits = [_init_step(st, s, tmpl) for s in group if _needs_init(st, s)]
        if inits:
            groups.append(inits)
        groups.append([_step(st, s, tmpl) for s in group])
        checks = [_check_step(st, s, "steps") for s in group if _needs_check(s)]
        if checks:
            groups.append(checks)
    t["steps"] = groups
    if tmpl.parallelism is not None:
        t["parallelism"] = int(tmpl.parallelism)
    if getattr(tmpl, "fail_fast", None) is not None:
        t["failFast"] = bool(tmpl.fail_fast)
    t.update(getattr(tmpl, "argo_extra", {}) or {})
    return t


def _dag_template(st: _State, tmpl: DAG) -> Dict[str, Any]:
    if not tmpl.tasks:
        raise ValidationError(f"DAG {tmpl.name!r}", "is empty", expected="at least one task")
    tmpl.ordered()  # unknown dependencies and cycles are build errors
    t = _common(st, tmpl)
    by_name = {x.name: x for x in tmpl.tasks}
    checked = {x.name for x in tmpl.tasks if _needs_check(x)}
    tasks = []
    for task in tmpl.tasks:
        d = _step(st, task, tmpl)
        deps = _task_dependencies(task, by_name, checked)
        if _needs_init(st, task):
            init = _init_step(st, task, tmpl)
            init.update(json.loads(json.dumps(deps)))
            tasks.append(init)
            deps = _after(deps, init["name"])
        d.update(deps)
        tasks.append(d)
        if task.name in checked:
            tasks.append(_check_step(st, task, "tasks"))
    dag: Dict[str, Any] = {"tasks": tasks}
    if not tmpl.fail_fast:
        dag["failFast"] = False
    if getattr(tmpl, "target", None):
        dag["target"] = tmpl.target
    t["dag"] = dag
    if tmpl.parallelism is not None:
        t["parallelism"] = int(tmpl.parallelism)
    t.update(getattr(tmpl, "argo_extra", {}) or {})
    return t


def _continues(task: Task) -> bool:
    return bool(task.continue_on_failed or task.continue_on_error or _needs_check(task))


def _task_dependencies(task: Task, by_name: Dict[str, Task], checked: set) -> Dict[str, Any]:
    def target(name: str) -> str:
        return f"{name}-check-success" if name in checked else name

    if task.depends is not None:
        return {"depends": task.depends}
    deps = task.dependencies
    if not deps:
        return {}
    if task.explicit_dependencies is not None and all(is_bare_dependency(d) and "." not in d for d in deps):
        return {"dependencies": [target(d.strip("() ")) for d in deps]}
    names = [d.strip("() ") for d in deps if is_bare_dependency(d) and "." not in d]
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


# -- leaves ------------------------------------------------------------------------------------
def _leaf_template(st: _State, tmpl: ScriptOPTemplate) -> Dict[str, Any]:
    t = _common(st, tmpl)
    if getattr(tmpl, "resource", None) is not None:
        return _resource_template(t, tmpl)
    python = _is_python(tmpl)
    image = tmpl.image or (DEFAULT_PYTHON_IMAGE if python or isinstance(
        tmpl, PythonScriptOPTemplate) or (tmpl.command[:1] and "python" in tmpl.command[0])
        else DEFAULT_SHELL_IMAGE)
    body: Dict[str, Any] = {"image": image}
    if tmpl.command:
        body["command"] = list(tmpl.command)
    if isinstance(tmpl, ContainerOPTemplate):
        if tmpl.args:
            body["args"] = [str(a) for a in tmpl.args]
    else:
        if tmpl.args:
            body["args"] = [str(a) for a in tmpl.args]
        body["source"] = _python_source(st, tmpl) if python else (tmpl.script or "")
    if tmpl.image_pull_policy:
        body["imagePullPolicy"] = tmpl.image_pull_policy
    if tmpl.working_dir:
        body["workingDir"] = tmpl.working_dir
    env = _env(tmpl)
    if env:
        body["env"] = env
    resources = {}
    if tmpl.requests:
        resources["requests"] = {k: str(v) for k, v in tmpl.requests.items()}
    if tmpl.limits:
        resources["limits"] = {k: str(v) for k, v in tmpl.limits.items()}
    if resources:
        body["resources"] = resources
    if tmpl.mounts:
        body["volumeMounts"] = [_plain(m) for m in tmpl.mounts]
    body.update(getattr(tmpl, "argo_extra_body", {}) or {})
    if body.get("image") is None:
        body["image"] = image
    t["container" if isinstance(tmpl, ContainerOPTemplate) else "script"] = body
    if tmpl.node_selector:
        t["nodeSelector"] = dict(tmpl.node_selector)
    if tmpl.tolerations:
        t["tolerations"] = [_plain(x) for x in tmpl.tolerations]
    if tmpl.affinity:
        t["affinity"] = _plain(tmpl.affinity)
    if tmpl.volumes:
        t["volumes"] = [_plain(v) for v in tmpl.volumes]
    if tmpl.init_containers:
        t["initContainers"] = [_plain(c) for c in tmpl.init_containers]
    if tmpl.sidecars:
        t["sidecars"] = [_plain(c) for c in tmpl.sidecars]
    return _limits(t, tmpl)


def _limits(t: Dict[str, Any], tmpl: Any) -> Dict[str, Any]:
    """What every leaf template ends with: timeout, deadline, retries, kept extra fields."""
    if tmpl.timeout is not None and tmpl.timeout != "":
        t["timeout"] = f"{tmpl.timeout}s" if isinstance(tmpl.timeout, (int, float)) \
            else str(tmpl.timeout)
    if tmpl.active_deadline_seconds is not None:
        t["activeDeadlineSeconds"] = str(tmpl.active_deadline_seconds)
    if tmpl.retry_strategy:
        t["retryStrategy"] = _retry(tmpl.retry_strategy)
    t.update(getattr(tmpl, "argo_extra", {}) or {})
    return t


def _plain(obj: Any) -> Any:
    """Kubernetes objects given as dicts, or as client objects with ``to_dict``."""
    if isinstance(obj, dict):
        return obj
    to_dict = getattr(obj, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    raise ValidationError("template", "a Kubernetes object must be a dict",
                          expected="a dict (e.g. {'name': 'data', 'emptyDir': {}})", given=obj)


def _resource_template(t: Dict[str, Any], tmpl: Any) -> Dict[str, Any]:
    """A template whose ``resource`` (e.g. a SlurmJob) makes Argo create a Kubernetes object."""
    t["resource"] = tmpl.resource.to_argo(tmpl)
    if tmpl.node_selector:
        t["nodeSelector"] = dict(tmpl.node_selector)
    return _limits(t, tmpl)


def _retry(strategy: Dict[str, Any]) -> Dict[str, Any]:
    out = dict(strategy)
    if "limit" in out and out["limit"] is not None:
        out["limit"] = str(out["limit"])
    backoff = out.get("backoff")
    if isinstance(backoff, dict):
        out["backoff"] = {k: str(v) if k in ("duration", "factor", "cap", "maxDuration") else v
                          for k, v in backoff.items()}
    return out


_SECRET_WORDS = ("secret", "password", "token", "access_key", "secret_key")


def _env(tmpl: Any) -> List[Dict[str, Any]]:
    out = []
    for name, value in (tmpl.envs or {}).items():
        where = f"template {tmpl.name!r}, env {name!r}"
        if isinstance(value, dict):
            source = value.get("valueFrom", value)
            out.append({"name": name, "valueFrom": source})
            continue
        to_env = getattr(value, "to_env", None)
        if callable(to_env):
            out.append({"name": name, **to_env()})
            continue
        if not isinstance(value, (str, int, float, bool)):
            raise ValidationError(where, "unsupported env value",
                                  expected="a string, or {'secretKeyRef': {...}}", given=value)
        if any(w in name.lower() for w in _SECRET_WORDS) and "{{" not in str(value):
            raise ValidationError(where, "looks like a credential: it would be stored in the "
                                  "manifest in clear text",
                                  expected="{'secretKeyRef': {'name': ..., 'key': ...}}",
                                  given="<hidden>")
        out.append({"name": name, "value": str(value).lower() if isinstance(value, bool)
                    else str(value)})
    return out


def _python_source(st: _State, tmpl: Any) -> str:
    from dflow_nb.argo.script import python_op_script
    params = [k for k, p in tmpl.inputs.parameters.items()
              if not p.save_as_artifact and not k.startswith("dflow_")]
    return python_op_script(tmpl.op, params, has_key=tmpl.name in st.keyed,
                            has_slice=tmpl.name in st.sliced, tmp_root=tmpl.tmp_root,
                            pre_script=tmpl.pre_script, post_script=tmpl.post_script)


def _packages(tmpl: Any) -> List[str]:
    from dflow_nb.python.python_op_template import _UPLOADED
    paths = list(tmpl.python_packages) + list(_UPLOADED)
    if tmpl.upload_dflow:
        paths.append(str(Path(__file__).resolve().parents[1]))
    return sorted({os.path.abspath(str(p)) for p in paths})


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def _upload_key(st: _State, kind: str, paths: List[str]) -> str:
    """The S3 key (under ``s3_config["prefix"]``, as Dflow's uploads) the backend uploads
    ``paths`` to; one key per distinct list of paths."""
    from dflow_nb.config import s3_config
    prefix = str(s3_config.get("prefix") or "")
    key = f"{prefix}dflow-nb/{kind}/{_digest(json.dumps(paths))[:16]}"
    st.uploads[key] = paths
    return key


# -- inputs and outputs ------------------------------------------------------------------------
def _type_description(p: Any) -> Optional[str]:
    if getattr(p, "description", None):
        return p.description
    if p.type is None:
        return None
    from dflow_nb.model.typing_checks import describe_type
    return json.dumps({"type": "str" if p.type is str else describe_type(p.type)})


def _inputs(st: _State, tmpl: Any) -> Dict[str, Any]:
    params: List[Dict[str, Any]] = []
    arts: List[Dict[str, Any]] = []
    root = getattr(tmpl, "tmp_root", TMP)
    for name, p in tmpl.inputs.parameters.items():
        if _big_in(st, tmpl, name):
            a: Dict[str, Any] = {"name": f"dflow_bigpar_{name}"}
            if tmpl.is_leaf:
                a["path"] = p.path or f"{root}/inputs/parameters/{name}"
            if p.has_value:
                a["raw"] = {"data": _text(p.value)}
            arts.append(a)
            continue
        d: Dict[str, Any] = {"name": name}
        if p.has_value:
            d["value"] = _text(p.value)
        if p.enum:
            d["enum"] = [str(e) for e in p.enum]
        desc = _type_description(p)
        if desc:
            d["description"] = desc
        d.update(getattr(p, "argo_extra", {}) or {})
        params.append(d)
    names = {p["name"] for p in params}
    if tmpl.name in st.keyed and "dflow_key" not in names:
        params.append({"name": "dflow_key", "value": ""})
    if tmpl.name in st.sliced and "dflow_slice" not in names:
        params.append({"name": "dflow_slice", "value": ""})
    for name, a in tmpl.inputs.artifacts.items():
        arts.append(_input_artifact(st, tmpl, name, a))
    if _is_python(tmpl):
        packages = _packages(tmpl)
        if packages:
            arts.append({"name": "dflow_python_packages",
                         "path": f"{root}/inputs/artifacts/dflow_python_packages",
                         "optional": True, "s3": {"key": _upload_key(st, "packages", packages)}})
    out: Dict[str, Any] = {}
    if params:
        out["parameters"] = params
    if arts:
        out["artifacts"] = arts
    return out


def _input_artifact(st: _State, tmpl: Any, name: str, a: InputArtifact) -> Dict[str, Any]:
    d: Dict[str, Any] = {"name": name}
    if a.path:
        d["path"] = a.path
    elif tmpl.is_leaf:
        d["path"] = f"{TMP}/inputs/artifacts/{name}"
    if a.optional:
        d["optional"] = True
    if a.mode is not None:
        d["mode"] = int(a.mode)
    if a.sub_path:
        d["subPath"] = a.sub_path
    if a.archive not in ("default", None) or a.archive is None:
        d["archive"] = _archive(a.archive)
    if a.source is not None:
        d.update(_artifact_source(st, a.source, f"template {tmpl.name!r}, input artifact "
                                  f"{name!r}", allow_refs=False))
    d.update(getattr(a, "argo_extra", {}) or {})
    return d


def _archive(mode: Any) -> Dict[str, Any]:
    if mode is None:
        return {"none": {}}
    if mode == "tar":
        return {"tar": {}}
    if mode == "zip":
        return {"zip": {}}
    if isinstance(mode, dict):
        return mode
    raise ValidationError("artifact", "unsupported archive", expected="'tar', 'zip' or None",
                          given=mode)


def _outputs(st: _State, tmpl: Any) -> Dict[str, Any]:
    params: List[Dict[str, Any]] = []
    arts: List[Dict[str, Any]] = []
    root = getattr(tmpl, "tmp_root", TMP)
    for name, p in tmpl.outputs.parameters.items():
        if _big_out(st, tmpl, name):
            a: Dict[str, Any] = {"name": f"dflow_bigpar_{name}"}
            if p.value_from_path:
                a["path"] = p.value_from_path
            elif p.value_from_parameter is not None:
                a["from"] = _bigpar_tag(p.value_from_parameter)
            if p.global_name:
                a["globalName"] = p.global_name
            arts.append(a)
            continue
        params.append(_output_parameter(name, p))
    if tmpl.name in st.tagged and tmpl.is_leaf:
        params.append({"name": SUCCESS_TAG, "valueFrom": {
            "path": f"{root}/outputs/parameters/{SUCCESS_TAG}", "default": "1"}})
    for name, a in tmpl.outputs.artifacts.items():
        arts.append(_output_artifact(st, tmpl, name, a))
    out: Dict[str, Any] = {}
    if params:
        out["parameters"] = params
    if arts:
        out["artifacts"] = arts
    return out


def _bigpar_tag(ref: Any) -> str:
    if isinstance(ref, _IO) and ref.tag:
        parts = ref.tag.split(".")
        parts[-2] = "artifacts"
        parts[-1] = "dflow_bigpar_" + parts[-1]
        return "{{" + ".".join(parts) + "}}"
    return str(ref)


def _output_parameter(name: str, p: OutputParameter) -> Dict[str, Any]:
    d: Dict[str, Any] = {"name": name}
    vf: Dict[str, Any] = {}
    if p.value_from_path:
        vf["path"] = p.value_from_path
    if p.value_from_parameter is not None:
        vf["parameter"] = str(p.value_from_parameter)
    if p.value_from_expression is not None:
        e = p.value_from_expression
        vf["expression"] = e.expr if isinstance(e, ArgoVar) else str(e)
    if p.has_default:
        vf["default"] = _text(p.default)
    vf.update(getattr(p, "argo_extra_value_from", {}) or {})
    if vf:
        d["valueFrom"] = vf
    if p.value is not UNSET and p.value is not None:
        d["value"] = _text(p.value)
    if p.global_name:
        d["globalName"] = p.global_name
    desc = _type_description(p)
    if desc:
        d["description"] = desc
    if not vf and "value" not in d:
        raise ValidationError(f"output parameter {name!r}", "is not specified",
                              expected="value_from_path, value_from_parameter, "
                              "value_from_expression or a default", given=None)
    return d


def _output_artifact(st: _State, tmpl: Any, name: str, a: OutputArtifact) -> Dict[str, Any]:
    d: Dict[str, Any] = {"name": name}
    if a.path:
        d["path"] = a.path
    if a._from is not None:
        d["from"] = str(a._from)
    if a.from_expression is not None:
        e = a.from_expression
        d["fromExpression"] = e.expr if isinstance(e, ArgoVar) else str(e)
    if a.global_name:
        d["globalName"] = a.global_name
    if a.optional:
        d["optional"] = True
    if a.archive != "default" and tmpl.is_leaf:
        d["archive"] = _archive(a.archive)
    elif a.archive == "default" and tmpl.is_leaf and config.get("archive_mode") is None:
        d["archive"] = {"none": {}}
    saves = a.save if isinstance(a.save, list) else [a.save] if a.save is not None else []
    for s in saves:
        key = getattr(s, "key", None)
        if key:
            d["s3"] = {"key": str(key)}
    if not any(k in d for k in ("path", "from", "fromExpression")) and not a.optional:
        raise ValidationError(f"template {tmpl.name!r}, output artifact {name!r}",
                              "is not specified", expected="path, _from or from_expression",
                              given=None)
    d.update(getattr(a, "argo_extra", {}) or {})
    return d


# -- artifact sources --------------------------------------------------------------------------
def _artifact_source(st: _State, source: Any, where: str, allow_refs: bool = True
                     ) -> Dict[str, Any]:
    """One artifact location: a reference (``from``), an expression, S3, raw text or local files
    (which the backend uploads: see UPLOADS_ANNOTATION)."""
    raw = getattr(source, "argo_location", None)
    if isinstance(raw, dict):
        return dict(raw)
    if isinstance(source, _IO) or (isinstance(source, ArgoVar) and source.tag):
        if not allow_refs:
            raise ValidationError(where, "a template default cannot refer to a step",
                                  given=str(source))
        d = {"from": str(source)}
        sub = getattr(source, "sub_path", None)
        if isinstance(sub, str) and sub and isinstance(source, _IO) and source.step is not None:
            d["subPath"] = sub
        return d
    if isinstance(source, ArgoVar):
        return {"fromExpression": source.expr}
    if isinstance(source, str) and source.startswith("{{") and source.endswith("}}"):
        inner = source[2:-2].strip()
        return {"fromExpression": inner[1:].strip()} if inner.startswith("=") \
            else {"from": source}
    if type(source).__name__ == "S3Artifact":
        return {"s3": {"key": str(source.key)}}
    local = getattr(source, "local_path", None)
    if local is not None or isinstance(source, (str, Path)):
        paths = [local] if isinstance(local, (str, Path)) else list(local) if local else \
            [source]
        paths = [os.path.abspath(str(p)) for p in paths]
        return {"s3": {"key": _upload_key(st, "upload", paths)}}
    raise ValidationError(where, "cannot be used as an artifact on Argo",
                          expected="a step output, an S3Artifact or upload_artifact(...)",
                          given=source)


# -- steps and tasks ---------------------------------------------------------------------------
def _step(st: _State, step: Step, parent: Any) -> Dict[str, Any]:
    tmpl = _step_template(st, step)
    where = f"{step.scope_kind[:-1]} {step.name!r} of {parent.name!r}"
    name = _emit(st, tmpl)
    sliced_arts = _sliced_output_artifacts(step, tmpl)
    if sliced_arts:
        name = _sliced_variant(st, tmpl, sliced_arts)
    d: Dict[str, Any] = {"name": step.name, "template": name}
    args = _arguments(st, step, tmpl, parent, where)
    if args:
        d["arguments"] = args
    if step.when is not None and not (isinstance(step.when, str) and step.when == ""):
        d["when"] = str(step.when) if isinstance(step.when, ArgoVar) else \
            ("true" if step.when else "false") if isinstance(step.when, bool) else str(step.when)
    d.update(_loop(step, tmpl, where))
    cont: Dict[str, bool] = {}
    if step.continue_on_failed or _needs_check(step):
        cont["failed"] = True
    if step.continue_on_error:
        cont["error"] = True
    if cont:
        d["continueOn"] = cont
    hooks = _hooks(st, step, where)
    if hooks:
        d["hooks"] = hooks
    d.update(getattr(step, "argo_extra", {}) or {})
    if step.parallelism is not None:
        return _parallel_wrapper(st, step, d, where)
    return d


# -- Step(parallelism=...) ---------------------------------------------------------------------
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


def _parallel_wrapper(st: _State, step: Step, inner: Dict[str, Any], where: str
                      ) -> Dict[str, Any]:
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
    wrapper["parallelism"] = int(step.parallelism)
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


def _hooks(st: _State, step: Step, where: str) -> Dict[str, Any]:
    out = {}
    for hname, hook in (step.hooks or {}).items():
        if isinstance(hook, dict) and isinstance(hook.get("template"), str):
            out[hname] = hook
            continue
        if isinstance(hook, Step):
            h: Dict[str, Any] = {"template": _emit(st, hook.template)}
            args = _arguments(st, hook, hook.template, None, f"{where}, hook {hname!r}")
            if args:
                h["arguments"] = args
            if hook.when is not None:
                h["expression"] = hook.when.expr if isinstance(hook.when, ArgoVar) \
                    else str(hook.when)
        elif isinstance(hook, dict):
            h = {"template": _emit(st, hook["template"])}
            if hook.get("expression"):
                h["expression"] = str(hook["expression"])
        else:
            h = {"template": _emit(st, hook)}
        out[hname] = h
    return out


def _arguments(st: _State, step: Step, tmpl: Any, parent: Any, where: str) -> Dict[str, Any]:
    params: List[Dict[str, Any]] = []
    arts: List[Dict[str, Any]] = []
    for name, value in step.parameters.items():
        if _big_in(st, tmpl, name):
            arts.append({"name": f"dflow_bigpar_{name}", **_bigpar_argument(st, value, parent)})
            continue
        if _big_ref(st, value, parent):
            raise ValidationError(f"{where}, parameter {name!r}", "takes a BigParameter, which "
                                  "travels as an artifact on Argo, but the input is a plain "
                                  "parameter", expected="a BigParameter input", given=str(value))
        params.append({"name": name, "value": _text(value)})
    if step.key is not None and tmpl.name in st.keyed:
        at = next((i for i, p in enumerate(params) if p["name"].startswith("dflow_")),
                  len(params))
        params.insert(at, {"name": "dflow_key", "value": str(step.key)})
    if step.slices is not None and _takes_slice(tmpl):
        params.append({"name": "dflow_slice", "value": _slice_argument(step)})
    for name, source in step.artifacts.items():
        src = _sliced_source(st, source)
        if src is None:
            src = _artifact_source(st, source, f"{where}, artifact {name!r}")
        arts.append({"name": name, **src,
                     **(getattr(step, "argo_extra_artifacts", {}) or {}).get(name, {})})
    if _sliced_output_artifacts(step, tmpl):
        params.append({"name": "dflow_artifact_key", "value": _slice_key(parent, step)})
    out: Dict[str, Any] = {}
    if params:
        out["parameters"] = params
    if arts:
        out["artifacts"] = arts
    return out


def _bigpar_argument(st: _State, value: Any, parent: Any) -> Dict[str, Any]:
    if _big_ref(st, value, parent):
        return {"from": _bigpar_tag(value)}
    if isinstance(value, ArgoVar):
        raise ValidationError("big parameter", "a BigParameter takes a literal or another "
                              "BigParameter", given=str(value))
    return {"raw": {"data": _text(value)}}


# -- loops and slices --------------------------------------------------------------------------
def _loop(step: Step, tmpl: Any, where: str) -> Dict[str, Any]:
    sl = step.slices if _takes_slice(tmpl) else None
    group = getattr(sl, "group_size", None)
    if step.with_items is not None:
        if group:
            return {"withSequence": {"count": str(math.ceil(len(step.with_items) / group))}}
        return {"withItems": list(step.with_items)}
    if step.with_param is not None:
        wp = step.with_param
        if group:
            n = _length_expr(wp, where)
            return {"withParam": "{{=toJson(sprig.untilStep(0, int(ceil(float(%s) / %d)), 1))}}"
                    % (n, group)}
        if isinstance(wp, (list, tuple)):
            return {"withParam": json.dumps(list(wp), separators=(",", ":"))}
        return {"withParam": str(wp)}
    if step.with_sequence is not None:
        if group:
            n = _sequence_length(step.with_sequence)
            return {"withParam": "{{=toJson(sprig.untilStep(0, int(ceil(float(%s) / %d)), 1))}}"
                    % (n, group)}
        return {"withSequence": step.with_sequence.to_dict()}
    if sl is None:
        return {}
    n = _slice_count(step, where)
    if n is None:
        return {}
    if isinstance(n, int):
        return {"withSequence": {"count": str(math.ceil(n / group) if group else n)}}
    if group:
        return {"withParam": "{{=toJson(sprig.untilStep(0, int(ceil(float(%s) / %d)), 1))}}"
                % (n, group)}
    return {"withParam": "{{=toJson(sprig.untilStep(0, %s, 1))}}" % n}


def _as_expr(value: Any, where: str) -> str:
    if isinstance(value, ArgoVar):
        return value.expr
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("{{") and text.endswith("}}") and text.count("{{") == 1:
            inner = text[2:-2].strip()
            return inner[1:].strip() if inner.startswith("=") else path_expr(inner.split("."))
    raise ValidationError(where, "cannot count the items of this value on Argo",
                          expected="a list literal or a reference", given=value)


def _length_expr(value: Any, where: str) -> str:
    if isinstance(value, (list, tuple)):
        return str(len(value))
    return f"len(sprig.fromJson({_as_expr(value, where)}))"


def _sequence_length(seq: ArgoSequence) -> str:
    def e(v: Any) -> str:
        return f"asInt({v.expr})" if isinstance(v, ArgoVar) else str(int(v))
    if seq.count is not None:
        return e(seq.count)
    start = e(seq.start) if seq.start is not None else "0"
    return f"(abs({e(seq.end)} - {start}) + 1)"


def _slice_count(step: Step, where: str) -> Any:
    """How many slices a sliced step without a loop has: an int, or an expression."""
    sl = step.slices
    if sl.input_parameter:
        first = step.parameters.get(sl.input_parameter[0])
        if first is None:
            raise ValidationError(where, f"sliced input parameter {sl.input_parameter[0]!r} "
                                  "has no argument", expected="a list", given=None)
        if isinstance(first, (list, tuple)):
            return len(first)
        if isinstance(first, str) and "{{" not in first:
            try:
                return len(json.loads(first))
            except ValueError:
                raise ValidationError(where, "a sliced input parameter must be a list",
                                      given=first) from None
        return _length_expr(first, where)
    if sl.input_artifact:
        if sl.input_artifact[0] not in step.artifacts:
            raise ValidationError(where, f"sliced input artifact {sl.input_artifact[0]!r} "
                                  "has no argument", expected="an artifact", given=None)
        return "asInt(%s)" % path_expr((step.scope_kind, _init_name(step), "outputs",
                                        "parameters", "count"))
    return None


# -- slicing an input artifact without a loop: the init step -----------------------------------
def _needs_init(st: _State, step: Step) -> bool:
    """A sliced step whose loop is the number of items of an input artifact: an init step
    ``<step>-init`` lists the artifact first (Dflow's init-artifact-slices step)."""
    sl = step.slices
    return sl is not None and bool(sl.input_artifact) and not sl.input_parameter and \
        step.with_param is None and step.with_items is None and step.with_sequence is None \
        and _takes_slice(_step_template(st, step))


def _init_name(step: Step) -> str:
    return f"{step.name}-init"


def _init_step(st: _State, step: Step, parent: Any) -> Dict[str, Any]:
    """The step that counts the items of the first sliced input artifact (the loop's length).

    Each slice then mounts the whole artifact and its script picks its item by index (with
    ``sub_path=True`` too: the OP sees the one file or directory of its item, as in Dflow).
    """
    if INIT_TEMPLATE not in st.templates:
        st.templates[INIT_TEMPLATE] = _init_template()
        st.objects[INIT_TEMPLATE] = st.templates[INIT_TEMPLATE]
    where = f"{step.scope_kind[:-1]} {step.name!r} of {parent.name!r}"
    name = step.slices.input_artifact[0]
    source = step.artifacts[name]
    src = _sliced_source(st, source)
    if src is None:
        src = _artifact_source(st, source, f"{where}, artifact {name!r}")
    d: Dict[str, Any] = {"name": _init_name(step), "template": INIT_TEMPLATE,
                         "arguments": {"artifacts": [{"name": "artifact", **src}]}}
    if step.when is not None and not (isinstance(step.when, str) and step.when == ""):
        d["when"] = str(step.when) if isinstance(step.when, ArgoVar) else \
            ("true" if step.when else "false") if isinstance(step.when, bool) else str(step.when)
    return d


def _after(deps: Dict[str, Any], name: str) -> Dict[str, Any]:
    """A task's dependencies plus ``name`` (its init task)."""
    if "dependencies" in deps:
        return {"dependencies": list(deps["dependencies"]) + [name]}
    if "depends" in deps:
        return {"depends": f"({deps['depends']}) && {name}"}
    return {"depends": name}


def _init_template() -> Dict[str, Any]:
    from dflow_nb.argo.slice_count import init_source
    path = f"{TMP}/inputs/artifacts/artifact"
    count = f"{TMP}/outputs/parameters/count"
    return {"name": INIT_TEMPLATE,
            "inputs": {"artifacts": [{"name": "artifact", "path": path}]},
            "outputs": {"parameters": [{"name": "count", "valueFrom": {"path": count}}]},
            "script": {"image": config.get("util_image") or DEFAULT_PYTHON_IMAGE,
                       "command": ["python3"], "source": init_source(path, count)}}


def _slice_argument(step: Step) -> str:
    """The ``dflow_slice`` argument: a SliceSpec as JSON whose index Argo fills per item."""
    sl = step.slices
    index = sl.slices if not sl.group_size else "{{item}}"
    spec: Dict[str, Any] = {"index": "@@INDEX@@", "input_parameter": sl.input_parameter,
                            "input_artifact": sl.input_artifact,
                            "output_parameter": sl.output_parameter,
                            "output_artifact": sl.output_artifact, "pool_size": sl.pool_size,
                            "create_dir": sl.create_dir}
    if sl.group_size:
        spec["group"] = {"size": sl.group_size, "shuffle": bool(sl.shuffle),
                         "seed": sl.random_seed, "n": "@@N@@"}
    text = json.dumps(spec, separators=(",", ":")).replace('"@@INDEX@@"', index)
    return text.replace('"@@N@@"', _group_total(step)) if sl.group_size else text


def _group_total(step: Step) -> str:
    where = f"step {step.name!r}"
    if step.with_items is not None:
        return str(len(step.with_items))
    if step.with_param is not None:
        return "{{=%s}}" % _length_expr(step.with_param, where)
    if step.with_sequence is not None:
        return "{{=%s}}" % _sequence_length(step.with_sequence)
    n = _slice_count(step, where)
    return str(n) if isinstance(n, int) else "{{=%s}}" % n


def _sliced_output_artifacts(step: Step, tmpl: Any) -> List[str]:
    sl = step.slices
    if sl is None or not _takes_slice(tmpl):
        return []
    return list(sl.output_artifact or [])


def _slice_key(parent: Any, step: Step) -> str:
    return "{{workflow.name}}/dflow-slices/%s/%s" % (parent.name if parent is not None else "-",
                                                    step.name)


def _sliced_variant(st: _State, tmpl: Any, names: List[str]) -> str:
    """A copy of the template whose listed output artifacts all slices save under one prefix."""
    key = (tmpl.name, tuple(sorted(names)))
    if key in st.variants:
        return st.variants[key]
    base = json.loads(json.dumps(st.templates[tmpl.name]))
    vname = f"{tmpl.name}-sliced" if not any(k[0] == tmpl.name for k in st.variants) else \
        f"{tmpl.name}-sliced{len(st.variants)}"
    base["name"] = vname
    params = base.setdefault("inputs", {}).setdefault("parameters", [])
    params.append({"name": "dflow_artifact_key", "value": ""})
    for a in base.get("outputs", {}).get("artifacts", []):
        if a["name"] in names:
            a["archive"] = {"none": {}}
            a["s3"] = {"key": "{{inputs.parameters.dflow_artifact_key}}/" + a["name"]}
    st.templates[vname] = base
    st.objects[vname] = base
    st.variants[key] = vname
    return vname


def _sliced_source(st: _State, source: Any) -> Optional[Dict[str, Any]]:
    """A consumer of a sliced step's output artifact reads the merged prefix."""
    if not isinstance(source, OutputArtifact) or source.step is None:
        return None
    producer = source.step
    if source.name not in _sliced_output_artifacts(producer, producer.template):
        return None
    return {"s3": {"key": _slice_key(st.parents.get(id(producer)), producer) + "/" +
                   source.name}}


# -- continue_on_num_success / success_ratio ---------------------------------------------------
def _check_step(st: _State, step: Step, kind: str) -> Dict[str, Any]:
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
    else:
        params.append({"name": "ratio", "value": repr(float(step.continue_on_success_ratio))})
    d: Dict[str, Any] = {"name": f"{step.name}-check-success", "template": CHECK_TEMPLATE,
                         "arguments": {"parameters": params}}
    if kind == "tasks":
        d["depends"] = f"({step.name}.Succeeded || {step.name}.Failed || {step.name}.Errored)"
    return d


def _total(step: Step) -> str:
    where = f"step {step.name!r}"
    if step.with_items is not None:
        return str(len(step.with_items))
    if step.with_param is not None:
        return _length_expr(step.with_param, where)
    if step.with_sequence is not None:
        return _sequence_length(step.with_sequence)
    n = _slice_count(step, where)
    if n is None:
        return "1"
    if isinstance(n, int):
        g = step.slices.group_size
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


# -- reuse_step --------------------------------------------------------------------------------
def reuse_configmap_name(workflow_name: str) -> str:
    return (REUSE_CONFIGMAP_PREFIX + workflow_name)[:63].rstrip("-")


def reuse_cache_configmap(workflow_name: str, records: List[Any],
                          namespace: Optional[str] = None) -> Dict[str, Any]:
    """The memoization cache ConfigMap that makes Argo reuse ``records`` (keyed steps) as hits.

    Entries follow Argo's cache format (``nodeID``, ``outputs``, timestamps); the backend applies
    it through the Kubernetes API before submitting the manifest compiled with ``reuse_step``.
    """
    import datetime
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    data = {}
    for r in records:
        if not getattr(r, "key", None):
            continue
        key = str(r.key)
        if not _CM_KEY.match(key) or len(key) > 253:
            raise ValidationError(f"reuse_step, step key {key!r}", "cannot name an entry of "
                                  "Argo's memoization cache (a ConfigMap key)",
                                  expected="letters, digits, '-', '_' and '.' only", given=key)
        data[key] = json.dumps({"nodeID": getattr(r, "id", ""), "outputs": _memo_outputs(r),
                                "creationTimestamp": now, "lastHitTimestamp": now},
                               separators=(",", ":"))
    meta: Dict[str, Any] = {"name": reuse_configmap_name(workflow_name),
                            "labels": {"workflows.argoproj.io/configmap-type": "Cache"}}
    if namespace:
        meta["namespace"] = namespace
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data}


_CM_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
_LOCATIONS = ("s3", "raw", "http", "git", "artifactory", "hdfs", "oss", "gcs", "azure")


def _memo_outputs(record: Any) -> Dict[str, Any]:
    """A step record's outputs as Argo stores them in a memoization entry: parameters by value,
    artifacts by repository location (a step that ran locally has none: refused)."""
    raw = dict(getattr(record, "raw_outputs", None) or {})
    out: Dict[str, Any] = {}
    params = [{k: p[k] for k in ("name", "value", "globalName") if k in p}
              for p in raw.get("parameters") or [] if "value" in p]
    if params:
        out["parameters"] = params
    arts = []
    for a in raw.get("artifacts") or []:
        loc = next((k for k in _LOCATIONS if k in a), None)
        if loc is None:
            raise ValidationError(f"reuse_step, step {getattr(record, 'displayName', '?')!r}, "
                                  f"output artifact {a.get('name')!r}", "is not in the artifact "
                                  "repository, so Argo cannot reuse it",
                                  expected="a step of an Argo run, or modify_output_artifact("
                                  "name, S3Artifact(key=...))", given=a.get("path"))
        arts.append({k: a[k] for k in ("name", "path", loc, "archive", "globalName") if k in a})
    if arts:
        out["artifacts"] = arts
    if raw.get("exitCode") is not None:
        out["exitCode"] = str(raw["exitCode"])
    return out


def uploads_of(manifest: Dict[str, Any]) -> Dict[str, List[str]]:
    """Local paths the backend must upload (S3 key -> paths) before submitting ``manifest``."""
    text = (manifest.get("metadata", {}).get("annotations") or {}).get(UPLOADS_ANNOTATION)
    return json.loads(text) if text else {}
