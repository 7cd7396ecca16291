"""An Argo manifest back into the model, so the local engine can run it and it compiles again.

Template kinds: ``script`` -> ShellOPTemplate (sh/bash), PythonScriptOPTemplate (python) or
ScriptOPTemplate (any other interpreter); ``container`` -> ContainerOPTemplate; ``resource`` ->
ResourceOPTemplate (locally its stand-in runs: a wlm-operator SlurmJob's batch script with
``sbatch --wait``); ``steps`` and ``dag`` -> Steps and DAG with Step/Task objects. Argo fields
the model has no slot for are kept verbatim (``_extra``: on templates, script and resource
bodies, steps, artifacts and the workflow) so ``compile_workflow(load_workflow(m))`` gives
``m`` back. Normalisations (what does not survive a round trip byte for byte): integers in
IntOrString fields become strings; a template input's ``default`` becomes ``value``; templates
nobody references are kept but come after the reachable ones; key order is not kept; a step
with both ``onExit`` and ``hooks.exit`` keeps only ``onExit`` (the one Argo runs); arguments
a template does not declare are dropped (Argo ignores them); ``workflowTemplateRef`` compiles
as the merged spec. Hooks (and
a step's legacy ``onExit``) load as Steps calling their template, so the engine runs them.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Dict, List, Optional, Set

from dflow_nb.argo._extra import (
    ARTIFACT_ARGS,
    BODY,
    EXTRA,
    INLINE,
    SPEC,
    TEMPLATE_REF,
    TEMPLATES,
    VALUE_FROM,
    WORKFLOW_TEMPLATES,
    keep,
    kept,
)
from dflow_nb.argo._template_refs import References, with_workflow_template
from dflow_nb.argo.memoize import MEMO_CONFIGMAP, memoize_field
from dflow_nb.config import work_directory
from dflow_nb.errors import ValidationError
from dflow_nb.hub.workflow import Workflow
from dflow_nb.hub.workflow_templates import Source
from dflow_nb.model import context
from dflow_nb.model.dag import DAG
from dflow_nb.model.io import InputArtifact, InputParameter, Inputs, OutputArtifact, OutputParameter, Outputs
from dflow_nb.model.references import ArgoSequence, ArgoVar
from dflow_nb.model.step import Step, Task
from dflow_nb.model.steps import Steps
from dflow_nb.model.templates import (
    ContainerOPTemplate,
    PythonScriptOPTemplate,
    ResourceOPTemplate,
    ScriptOPTemplate,
    ShellOPTemplate,
)

_TYPES = {"str": str, "int": int, "float": float, "bool": bool, "dict": dict, "list": list}
_LEAF_KEYS = {"name", "inputs", "outputs", "metadata", "memoize", "script", "container",
              "nodeSelector", "tolerations", "affinity", "volumes", "initContainers",
              "sidecars", "timeout", "activeDeadlineSeconds", "retryStrategy"}
_BODY_KEYS = {"image", "command", "args", "source", "imagePullPolicy", "workingDir", "env",
              "resources", "volumeMounts"}
_RESOURCE_KEYS = {"name", "inputs", "outputs", "metadata", "memoize", "resource", "nodeSelector",
                  "timeout", "activeDeadlineSeconds", "retryStrategy"}
_RESOURCE_BODY_KEYS = {"action", "manifest", "successCondition", "failureCondition",
                       "setOwnerReference", "flags"}
_STEP_KEYS = {"name", "template", "arguments", "when", "withItems", "withParam",
              "withSequence", "continueOn", "hooks", "depends", "dependencies"}
_CONTAINER_KEYS = {"name", "inputs", "outputs", "metadata", "memoize", "steps", "dag",
                   "parallelism", "failFast"}
_SPEC_KEYS = {"entrypoint", "templates", "arguments", "onExit", "parallelism", "podGC",
              "imagePullSecrets", "artifactRepositoryRef", "activeDeadlineSeconds"}


class RawData:
    """An Argo ``raw`` artifact: text that becomes a file where the step reads it."""

    def __init__(self, data: str) -> None:
        self.data = data
        self.argo_location = {"raw": {"data": data}}

    @property
    def local_path(self) -> str:
        """The text as a file in the local artifact store (written once, by content)."""
        root = work_directory().resolve() / "upload" / "raw"
        path = root / hashlib.sha1(self.data.encode()).hexdigest()[:16]
        if not path.exists():
            root.mkdir(parents=True, exist_ok=True)
            path.write_text(self.data)
        return str(path)

    def __repr__(self) -> str:
        return f"RawData({self.data[:40]!r})"


class Location:
    """Any other Argo artifact location (s3, http, git...): kept for the manifest; the local
    engine can only use it when it names local files (S3 keys are local paths locally)."""

    def __init__(self, location: Dict[str, Any]) -> None:
        self.argo_location = location
        s3 = location.get("s3") or {}
        self.key = s3.get("key")

    @property
    def local_path(self) -> Optional[str]:
        return self.key

    def __repr__(self) -> str:
        return f"Location({self.argo_location!r})"


_LOCATIONS = ("s3", "raw", "http", "git", "gcs", "oss", "hdfs", "azure", "artifactory",
              "plugin")


def load_workflow(manifest: Dict[str, Any], templates: Source = None) -> Workflow:
    """A Workflow model from an Argo Workflow manifest; errors name the template and field.
    ``templateRef`` and ``workflowTemplateRef`` resolve against ``templates`` (a folder, a
    file or manifests) and the registered WorkflowTemplates (``hub.workflow_templates``)."""
    if not isinstance(manifest, dict) or manifest.get("kind", "Workflow") != "Workflow":
        raise ValidationError("manifest", "not an Argo Workflow", expected="kind: Workflow",
                              given=(manifest or {}).get("kind") if isinstance(manifest, dict)
                              else type(manifest).__name__)
    refs = References(templates)
    meta = manifest.get("metadata") or {}
    spec = with_workflow_template(manifest.get("spec") or {}, refs)
    if not spec.get("entrypoint"):
        raise ValidationError("manifest", "spec.entrypoint is missing",
                              expected="the name of a template", given=None)
    loader = _Loader(spec.get("templates") or [], refs)
    fixed = "name" in meta
    name = meta.get("name") or (meta.get("generateName") or "workflow").rstrip("-")
    params = {}
    for p in (spec.get("arguments") or {}).get("parameters") or []:
        params[p["name"]] = str(p.get("value", p.get("default", "")))
    arts = {a["name"]: _artifact_argument(a)
            for a in (spec.get("arguments") or {}).get("artifacts") or []}
    entry = loader.template(spec["entrypoint"], "spec.entrypoint")
    if not isinstance(entry, (Steps, DAG)):
        wrapper = Steps(f"{name}-entry")  # a leaf entrypoint: run it as the only step
        # Argo gives the entrypoint's inputs the workflow arguments of the same name
        given = {k: "{{workflow.parameters.%s}}" % k for k in entry.inputs.parameters
                 if k in params}
        wrapper.add(Step(entry.name, entry, parameters=given,
                         artifacts={k: v for k, v in arts.items() if k in entry.inputs.artifacts}))
        entry = wrapper
        loader.wrapped = True
    on_exit = loader.template(spec["onExit"], "spec.onExit") if spec.get("onExit") else None
    annotations = dict(meta.get("annotations") or {})
    wf = Workflow(name=name, steps=entry if isinstance(entry, Steps) else None,
                  dag=entry if isinstance(entry, DAG) else None,
                  namespace=meta.get("namespace"), annotations=annotations,
                  labels=dict(meta.get("labels") or {}), parallelism=spec.get("parallelism"),
                  pod_gc_strategy=(spec.get("podGC") or {}).get("strategy"),
                  image_pull_secrets=spec.get("imagePullSecrets"),
                  artifact_repo_key=(spec.get("artifactRepositoryRef") or {}).get("key"),
                  parameters=params, on_exit=on_exit,
                  active_deadline_seconds=spec.get("activeDeadlineSeconds"), artifacts=arts)
    keep(wf, EXTRA, {"fixed_name": fixed, "namespace": "namespace" in meta})
    extra_spec = {k: v for k, v in spec.items() if k not in _SPEC_KEYS
                  and k != "workflowTemplateRef"}   # compiled as the merged spec
    if "arguments" in spec and set(spec["arguments"]) - {"parameters"}:
        extra_spec["arguments"] = spec["arguments"]
    keep(wf, SPEC, extra_spec)
    keep(wf, TEMPLATES, {name: t for name, t in loader.raw.items() if name not in loader.built})
    keep(wf, WORKFLOW_TEMPLATES, {f"{kind}/{n}": m for (kind, n), m in refs.used.items()})
    return wf


class _Loader:
    """Builds the templates of one manifest (a Workflow's, or a WorkflowTemplate's: then every
    name gets ``prefix``, so that two WorkflowTemplates may both have a ``main``)."""

    def __init__(self, templates: List[Dict[str, Any]], refs: References,
                 prefix: str = "") -> None:
        self.raw: Dict[str, Dict[str, Any]] = {}
        for t in templates:
            if not t.get("name"):
                raise ValidationError("spec.templates", "a template has no name", given=t)
            self.raw[t["name"]] = t
        self.built: Dict[str, Any] = {}
        self.wrapped = False
        self.refs = refs
        self.prefix = prefix

    def template(self, name: str, where: str) -> Any:
        if self.prefix + name in self.built:
            return self.built[self.prefix + name]
        t = self.raw.get(name)
        if t is None:
            raise ValidationError(where, f"refers to template {name!r}, which is not defined",
                                  expected=f"one of {sorted(self.raw)}", given=name)
        return self._build(dict(t, name=self.prefix + name))

    def _build(self, t: Dict[str, Any]) -> Any:
        name = t["name"]
        if "steps" in t:
            obj = self._container(t, Steps)
        elif "dag" in t:
            obj = self._container(t, DAG)
        elif "script" in t or "container" in t:
            obj = self._leaf(t)
        elif "resource" in t:
            obj = self._resource(t)
        else:
            kind = [k for k in t if k not in ("name", "inputs", "outputs", "metadata")]
            raise ValidationError(f"template {name!r}", "this template kind cannot run locally "
                                  "and is not modelled", expected="script, container, steps or "
                                  "dag", given=kind)
        return obj

    # -- templates ---------------------------------------------------------------------------
    def _io(self, t: Dict[str, Any]) -> Dict[str, Any]:
        meta = t.get("metadata") or {}
        return {"inputs": _inputs(t), "outputs": _outputs(t),
                "annotations": dict(meta.get("annotations") or {}),
                "labels": dict(meta.get("labels") or {}),
                "memoize_key": (t.get("memoize") or {}).get("key")}

    def _container(self, t: Dict[str, Any], cls: type) -> Any:
        io = self._io(t)
        kw: Dict[str, Any] = {"parallelism": t.get("parallelism")}
        if cls is Steps:
            kw["fail_fast"] = t.get("failFast")
        else:
            dag = t["dag"]
            kw["fail_fast"] = dag.get("failFast", True)
            kw["target"] = dag.get("target")
        obj = cls(name=t["name"], inputs=io["inputs"], outputs=io["outputs"],
                  annotations=io["annotations"], labels=io["labels"], **kw)
        obj.memoize_key = io["memoize_key"]
        _keep_template_fields(obj, t, _CONTAINER_KEYS)
        if cls is DAG:
            extra_dag = {k: v for k, v in t["dag"].items()
                         if k not in ("tasks", "failFast", "target")}
            if extra_dag:
                raise ValidationError(f"DAG {t['name']!r}", "unsupported dag fields",
                                      given=sorted(extra_dag))
        self.built[t["name"]] = obj
        if cls is Steps:
            for i, group in enumerate(t["steps"] or []):
                obj.add([self._step(s, Step, f"template {t['name']!r}, step group {i}")
                         for s in group])
        else:
            for task in t["dag"].get("tasks") or []:
                obj.add(self._step(task, Task, f"DAG {t['name']!r}"))
        return obj

    def _leaf(self, t: Dict[str, Any]) -> Any:
        io = self._io(t)
        container = "container" in t
        body = t["container" if container else "script"]
        command = list(body.get("command") or [])
        if container:
            cls: type = ContainerOPTemplate
        elif command and Path(command[0]).name in ("sh", "bash", "ash", "zsh", "dash"):
            cls = ShellOPTemplate
        elif command and Path(command[0]).name.startswith("python"):
            cls = PythonScriptOPTemplate
        else:
            cls = ScriptOPTemplate
        resources = body.get("resources") or {}
        env: Dict[str, Any] = {}
        for e in body.get("env") or []:
            env[e["name"]] = e["valueFrom"] if "valueFrom" in e else e.get("value", "")
        tmpl = cls(name=t["name"], inputs=io["inputs"], outputs=io["outputs"],
                   image=body.get("image"), command=command,
                   script=None if container else body.get("source", ""),
                   args=list(body.get("args") or []), volumes=list(t.get("volumes") or []),
                   mounts=list(body.get("volumeMounts") or []),
                   timeout=t.get("timeout"), retry_strategy=t.get("retryStrategy"),
                   memoize_key=io["memoize_key"],
                   image_pull_policy=body.get("imagePullPolicy"),
                   annotations=io["annotations"], labels=io["labels"],
                   node_selector=t.get("nodeSelector"), tolerations=t.get("tolerations"),
                   affinity=t.get("affinity"), requests=resources.get("requests"),
                   limits=resources.get("limits"), envs=env,
                   init_containers=t.get("initContainers"), sidecars=t.get("sidecars"),
                   active_deadline_seconds=t.get("activeDeadlineSeconds"),
                   working_dir=body.get("workingDir"))
        if not command:
            tmpl.command = []
        _keep_template_fields(tmpl, t, _LEAF_KEYS)
        keep(tmpl, BODY, {k: v for k, v in body.items() if k not in _BODY_KEYS})
        self.built[t["name"]] = tmpl
        return tmpl

    def _resource(self, t: Dict[str, Any]) -> Any:
        """A ``resource`` template; its fields the model has no slot for (``mergeStrategy``,
        ``manifestFrom``) are kept for the manifest."""
        io = self._io(t)
        body = t["resource"]
        tmpl = ResourceOPTemplate(
            name=t["name"], inputs=io["inputs"], outputs=io["outputs"],
            action=body.get("action", ""), manifest=body.get("manifest", ""),
            success_condition=body.get("successCondition"),
            failure_condition=body.get("failureCondition"),
            set_owner_reference=body.get("setOwnerReference"), flags=body.get("flags"),
            timeout=t.get("timeout"), retry_strategy=t.get("retryStrategy"),
            active_deadline_seconds=t.get("activeDeadlineSeconds"),
            node_selector=t.get("nodeSelector"), memoize_key=io["memoize_key"],
            annotations=io["annotations"], labels=io["labels"])
        _keep_template_fields(tmpl, t, _RESOURCE_KEYS)
        keep(tmpl, BODY, {k: v for k, v in body.items() if k not in _RESOURCE_BODY_KEYS})
        self.built[t["name"]] = tmpl
        return tmpl

    # -- steps and tasks ---------------------------------------------------------------------
    def _step(self, s: Dict[str, Any], cls: type, where: str) -> Step:
        name = s.get("name")
        where = f"{where}, {cls.__name__.lower()} {name!r}"
        tmpl = self._called(s, where)
        args = s.get("arguments") or {}
        # Arguments the template does not declare are dropped, as Argo ignores them
        params = {p["name"]: str(p.get("value", "")) for p in args.get("parameters") or []
                  if p["name"] in tmpl.inputs.parameters}
        arts = {a["name"]: _artifact_argument(a) for a in args.get("artifacts") or []
                if a["name"] in tmpl.inputs.artifacts}
        key = params.pop("dflow_key", None) if "dflow_key" in tmpl.inputs.parameters else None
        kw: Dict[str, Any] = {"parameters": params, "artifacts": arts, "when": s.get("when"),
                              "key": key}
        if "withItems" in s:
            kw["with_items"] = list(s["withItems"])
        if "withParam" in s:
            kw["with_param"] = str(s["withParam"])
        if "withSequence" in s:
            kw["with_sequence"] = ArgoSequence.from_dict(s["withSequence"])
        cont = s.get("continueOn") or {}
        kw["continue_on_failed"] = bool(cont.get("failed"))
        kw["continue_on_error"] = bool(cont.get("error"))
        hooks = dict(s.get("hooks") or {})
        if s.get("onExit"):   # the legacy spelling of hooks.exit, which Argo takes first
            hooks["exit"] = {"template": s["onExit"]}
        if hooks:
            kw["hooks"] = {k: self._step({"name": name, "template": h.get("template"),
                                          "arguments": h.get("arguments"),
                                          "when": h.get("expression")},
                                         Step, f"{where}, hook {k!r}")
                           for k, h in hooks.items()}
        if cls is Task:
            if "depends" in s:
                kw["depends"] = s["depends"]
            elif "dependencies" in s:
                kw["dependencies"] = list(s["dependencies"])
            else:
                kw["dependencies"] = []
        with context.detached():
            step = cls(name, tmpl, **kw)
        keep(step, EXTRA, {k: v for k, v in s.items() if k not in _STEP_KEYS
                           and k not in ("templateRef", "inline")})
        if s.get("templateRef"):
            keep(step, TEMPLATE_REF, dict(s["templateRef"]))
        if isinstance(s.get("inline"), dict):
            keep(step, INLINE, {"inline": True})
        keep(step, ARTIFACT_ARGS, {
            a["name"]: {k: v for k, v in a.items()
                        if k not in ("name", "from", "fromExpression") and k not in _LOCATIONS}
            for a in args.get("artifacts") or []})
        return step


    def _called(self, s: Dict[str, Any], where: str) -> Any:
        """The template a step calls: by name, ``inline``, or ``templateRef`` (built from the
        registered WorkflowTemplate, which the step still names on Argo)."""
        if s.get("template"):
            return self.template(s["template"], where)
        if isinstance(s.get("inline"), dict):
            name = f"{self.prefix}{s.get('name')}-inline"
            while name in self.raw or name in self.built:
                name += "-x"
            return self._build(dict(s["inline"], name=name))
        ref = s.get("templateRef")
        if isinstance(ref, dict) and ref.get("name") and ref.get("template"):
            loader = self.refs.loader(ref["name"], bool(ref.get("clusterScope")), where,
                                      lambda templates, prefix: _Loader(templates, self.refs,
                                                                        prefix))
            return loader.template(ref["template"], f"{where}, templateRef")
        raise ValidationError(where, "calls no template", expected="template, inline, or "
                              "templateRef with name and template", given=sorted(s))


def _keep_template_fields(tmpl: Any, t: Dict[str, Any], known: Set[str]) -> None:
    """Keep the template's fields the model has no slot for; a ``memoize`` other than the one
    a ``memoize_key`` compiles to is kept as it is (and the key dropped)."""
    keep(tmpl, EXTRA, {k: v for k, v in t.items() if k not in known})
    memo = t.get("memoize")
    if memo is not None and memo != memoize_field(memo.get("key"), MEMO_CONFIGMAP):
        kept(tmpl, EXTRA)["memoize"] = memo
        tmpl.memoize_key = None


def _type_of(description: Optional[str]) -> Any:
    if not description or not description.startswith("{"):
        return None
    import json
    try:
        return _TYPES.get(json.loads(description).get("type"))
    except (ValueError, AttributeError):
        return None


def _inputs(t: Dict[str, Any]) -> Inputs:
    inputs = Inputs()
    raw = t.get("inputs") or {}
    for p in raw.get("parameters") or []:
        kw: Dict[str, Any] = {"description": p.get("description"), "enum": p.get("enum")}
        if "value" in p or "default" in p:
            kw["value"] = str(p.get("value", p.get("default")))
        inputs.parameters[p["name"]] = InputParameter(**kw)  # values are Argo text: no type
        extra = {k: v for k, v in p.items()
                 if k not in ("name", "value", "default", "description", "enum")}
        keep(inputs.parameters[p["name"]], EXTRA, extra)
    for a in raw.get("artifacts") or []:
        location = {k: v for k, v in a.items() if k in _LOCATIONS}
        art = InputArtifact(path=a.get("path"), optional=bool(a.get("optional")),
                            mode=a.get("mode"), sub_path=a.get("subPath"),
                            archive=_archive_mode(a.get("archive")),
                            source=_location(location) if location else None)
        keep(art, EXTRA, {k: v for k, v in a.items()
                          if k not in ("name", "path", "optional", "mode", "subPath", "archive")
                          and k not in _LOCATIONS})
        inputs.artifacts[a["name"]] = art
    return inputs


def _outputs(t: Dict[str, Any]) -> Outputs:
    outputs = Outputs()
    raw = t.get("outputs") or {}
    for p in raw.get("parameters") or []:
        vf = p.get("valueFrom") or {}
        kw: Dict[str, Any] = {"value_from_path": vf.get("path"),
                              "value_from_parameter": vf.get("parameter"),
                              "global_name": p.get("globalName"),
                              "description": p.get("description"),
                              "type": _type_of(p.get("description"))}
        if "expression" in vf:
            kw["value_from_expression"] = ArgoVar(vf["expression"], is_str=False)
        if "default" in vf:
            kw["default"] = str(vf["default"])
        if "value" in p:
            kw["value"] = str(p["value"])
        outputs.parameters[p["name"]] = OutputParameter(**kw)
        keep(outputs.parameters[p["name"]], VALUE_FROM,
             {k: v for k, v in vf.items()
              if k not in ("path", "parameter", "expression", "default")})
    for a in raw.get("artifacts") or []:
        fe = a.get("fromExpression")
        art = OutputArtifact(path=a.get("path"), _from=a.get("from"),
                             from_expression=ArgoVar(fe, is_str=False) if fe else None,
                             global_name=a.get("globalName"), optional=bool(a.get("optional")),
                             archive=_archive_mode(a.get("archive")))
        keep(art, EXTRA, {k: v for k, v in a.items()
                          if k not in ("name", "path", "from", "fromExpression", "globalName",
                                       "optional", "archive")})
        outputs.artifacts[a["name"]] = art
    return outputs


def _archive_mode(archive: Optional[Dict[str, Any]]) -> Any:
    if archive is None:
        return "default"
    if "none" in archive:
        return None
    if archive == {"tar": {}}:
        return "tar"
    if archive == {"zip": {}}:
        return "zip"
    return archive


def _location(location: Dict[str, Any]) -> Any:
    if set(location) == {"raw"}:
        return RawData(str(location["raw"].get("data", "")))
    return Location(location)


def _artifact_argument(a: Dict[str, Any]) -> Any:
    if "from" in a:
        return a["from"]
    if "fromExpression" in a:
        return ArgoVar(a["fromExpression"], is_str=False)
    location = {k: v for k, v in a.items() if k in _LOCATIONS}
    if location:
        return _location(location)
    raise ValidationError(f"artifact argument {a.get('name')!r}", "has no source",
                          expected="from, fromExpression, s3, raw...", given=a)
