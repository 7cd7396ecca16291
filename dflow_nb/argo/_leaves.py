"""Leaf templates: ``script`` and ``container`` bodies, ``resource`` templates, and the fields
every leaf ends with (timeout, deadline, retries)."""
from __future__ import annotations

from typing import Any, Dict, List, Union

from dflow_nb.argo._extra import BODY, EXTRA, kept
from dflow_nb.argo._state import DEFAULT_PYTHON_IMAGE, DEFAULT_SHELL_IMAGE, State
from dflow_nb.argo.script import python_op_script
from dflow_nb.errors import ValidationError
from dflow_nb.model.templates import (
    ContainerOPTemplate,
    HTTPOPTemplate,
    PythonScriptOPTemplate,
    ResourceOPTemplate,
    ScriptOPTemplate,
)
from dflow_nb.python.python_op_template import PythonOPTemplate


def leaf_template(st: State, tmpl: Union[ScriptOPTemplate, ResourceOPTemplate, HTTPOPTemplate],
                  t: Dict[str, Any]) -> Dict[str, Any]:
    """``t`` (the fields every template has) completed as a leaf template."""
    if isinstance(tmpl, HTTPOPTemplate):
        return _http_template(t, tmpl)
    if isinstance(tmpl, ResourceOPTemplate):
        return _resource_template(t, tmpl)
    python = isinstance(tmpl, (PythonOPTemplate, PythonScriptOPTemplate)) or \
        bool(tmpl.command[:1] and "python" in tmpl.command[0])
    image = tmpl.image or (DEFAULT_PYTHON_IMAGE if python else DEFAULT_SHELL_IMAGE)
    body: Dict[str, Any] = {"image": image}
    if tmpl.command:
        body["command"] = list(tmpl.command)
    if tmpl.args:
        body["args"] = [str(a) for a in tmpl.args]
    if not isinstance(tmpl, ContainerOPTemplate):
        body["source"] = _python_source(st, tmpl) if isinstance(tmpl, PythonOPTemplate) \
            else (tmpl.script or "")
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
    body.update(kept(tmpl, BODY))
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


def _limits(t: Dict[str, Any], tmpl: Union[ScriptOPTemplate, ResourceOPTemplate]
            ) -> Dict[str, Any]:
    """What every leaf template ends with: timeout, deadline, retries, kept extra fields."""
    if tmpl.timeout is not None and tmpl.timeout != "":
        t["timeout"] = f"{tmpl.timeout}s" if isinstance(tmpl.timeout, (int, float)) \
            else str(tmpl.timeout)
    if tmpl.active_deadline_seconds is not None:
        t["activeDeadlineSeconds"] = str(tmpl.active_deadline_seconds)
    if tmpl.retry_strategy:
        t["retryStrategy"] = _retry(tmpl.retry_strategy)
    t.update(kept(tmpl, EXTRA))
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


def _resource_template(t: Dict[str, Any], tmpl: ResourceOPTemplate) -> Dict[str, Any]:
    """Argo applies a Kubernetes object (e.g. a wlm-operator SlurmJob) and waits on it."""
    body: Dict[str, Any] = {}
    if tmpl.action:
        body["action"] = tmpl.action
    if tmpl.manifest:
        body["manifest"] = tmpl.manifest
    if tmpl.success_condition:
        body["successCondition"] = tmpl.success_condition
    if tmpl.failure_condition:
        body["failureCondition"] = tmpl.failure_condition
    if tmpl.set_owner_reference is not None:
        body["setOwnerReference"] = bool(tmpl.set_owner_reference)
    if tmpl.flags:
        body["flags"] = [str(f) for f in tmpl.flags]
    body.update(kept(tmpl, BODY))
    t["resource"] = body
    if tmpl.node_selector:
        t["nodeSelector"] = dict(tmpl.node_selector)
    return _limits(t, tmpl)


def _http_template(t: Dict[str, Any], tmpl: HTTPOPTemplate) -> Dict[str, Any]:
    """Argo (its agent) sends one HTTP request; the body is the node's result."""
    body: Dict[str, Any] = {"url": tmpl.url, "method": tmpl.method}
    if tmpl.headers:
        body["headers"] = [{"name": k, **(v.to_env() if hasattr(v, "to_env") else
                                          {"value": str(v)})} for k, v in tmpl.headers.items()]
    if tmpl.body is not None:
        body["body"] = tmpl.body
    if tmpl.success_condition:
        body["successCondition"] = tmpl.success_condition
    if tmpl.timeout_seconds is not None:
        body["timeoutSeconds"] = int(tmpl.timeout_seconds)
    if tmpl.insecure_skip_verify:
        body["insecureSkipVerify"] = True
    t["http"] = body
    t.update(kept(tmpl, EXTRA))
    return t


def _retry(strategy: Dict[str, Any]) -> Dict[str, Any]:
    out = dict(strategy)
    if "limit" in out and out["limit"] is not None:
        out["limit"] = str(out["limit"])
    backoff = out.get("backoff")
    if isinstance(backoff, dict):
        out["backoff"] = {k: str(v) if k in ("duration", "factor", "cap", "maxDuration") else v
                          for k, v in backoff.items()}
    return out

_SECRET_WORDS = ("secret", "password", "passphrase", "token", "access_key", "secret_key")


def _env(tmpl: ScriptOPTemplate) -> List[Dict[str, Any]]:
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


def _python_source(st: State, tmpl: PythonOPTemplate) -> str:
    params = [k for k, p in tmpl.inputs.parameters.items()
              if not p.save_as_artifact and not k.startswith("dflow_")]
    return python_op_script(tmpl.op, params, has_key=tmpl.name in st.keyed,
                            has_slice=tmpl.name in st.sliced, tmp_root=tmpl.tmp_root,
                            pre_script=tmpl.pre_script, post_script=tmpl.post_script)
