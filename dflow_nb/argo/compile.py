"""The model as an Argo Workflow manifest (plain dicts that validate against Argo's schema).

The walk is split by job: ``_prescan`` (facts gathered first), ``_templates`` (each template
once; Steps/DAG with their steps), ``_leaves``, ``_io`` (inputs/outputs), ``_artifacts``,
``_loops`` (loops and slices), ``_init`` and ``_check`` (generated steps), ``_parallel``,
``_depends`` and ``memoize``; then ``_split`` and ``_dedup`` fit the result to Argo's caps.
Design decisions (the README of this backend):

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
  (Dflow's ``<step>-check-num-success`` / ``-check-success-ratio``) runs right after it
  (Steps: next group; DAG: a task that dependents wait for) and fails unless enough children
  succeeded.
- Keys: templates of keyed steps get input ``dflow_key`` (default ""), the step passes its key.
- Memoization: ``memoize_key`` on a template becomes Argo ``memoize`` (ConfigMap cache
  ``MEMO_CONFIGMAP``). ``reuse_step`` adds ``memoize`` keyed by ``dflow_key`` to the templates
  of keyed steps; ``reuse_cache_configmap`` builds the cache ConfigMap the backend must apply
  (with the Kubernetes API) so the controller finds the reused outputs as memoization hits.
- DAG dependencies follow Dflow's rule (``(a.Succeeded) && ...``; a name given as text keeps
  Argo's ``dependencies`` meaning), always as ``depends``; a DAG using ``depends`` carries no
  ``continueOn`` (Argo v4 refuses it): a pod-less ``dflow-dag-ok`` task keeps
  ``continue_on_failed``/``continue_on_error`` (``_depends``).
- Argo v4's caps: structurally identical templates are emitted once (``_dedup`` says what
  "identical" means) and a DAG over 200 tasks becomes nested groups (``_split``); the nodes of
  added templates are hidden from records (annotation ``HIDDEN_ANNOTATION``, ``status.py``).
- Fields the model does not know (kept by the loader: ``_extra``) are emitted unchanged.
"""
from __future__ import annotations

import copy
import json
from typing import Any, Dict, List, Optional, Union

from dflow_nb.argo import schema
from dflow_nb.argo._artifacts import artifact_source
from dflow_nb.argo._dedup import deduplicate
from dflow_nb.argo._depends import DAG_OK_TEMPLATE
from dflow_nb.argo._extra import EXTRA, SPEC, TEMPLATES, kept
from dflow_nb.argo._prescan import infer_big, scan
from dflow_nb.argo._split import split_dags
from dflow_nb.argo._state import State
from dflow_nb.argo._templates import emit
from dflow_nb.argo._text import param_text
from dflow_nb.argo.status import HIDDEN_ANNOTATION
from dflow_nb.errors import ValidationError
from dflow_nb.hub.records import StepRecord
from dflow_nb.hub.workflow import Workflow

UPLOADS_ANNOTATION = "dflow-nb.deepmodeling.com/uploads"


def compile_workflow(workflow: Workflow, reuse_step: Optional[List[StepRecord]] = None
                     ) -> Dict[str, Any]:
    """The Argo manifest of ``workflow``; raises ValidationError (in the user's terms) for what
    Argo would reject, and ManifestError if the result breaks Argo's name/size rules."""
    entrypoint = workflow.entrypoint
    if entrypoint is None:
        raise ValidationError(f"workflow {workflow.name!r}", "has no steps",
                              expected="wf.add(step) or Workflow(steps=/dag=)", given=None)
    st = State(workflow, reuse=bool(reuse_step))
    roots = [entrypoint] + ([workflow.on_exit] if workflow.on_exit is not None else [])
    scan(st, roots)
    infer_big(st)
    emit(st, entrypoint)
    if workflow.on_exit is not None:
        emit(st, workflow.on_exit)
    for name, extra in kept(workflow, TEMPLATES).items():
        st.templates.setdefault(name, extra)
    templates, hidden = split_dags(st.templates)
    if DAG_OK_TEMPLATE in templates:
        hidden.append(DAG_OK_TEMPLATE)
    spec = _spec(st, entrypoint.name)
    spec["templates"] = list(deduplicate(templates, spec).values())
    manifest = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
                "metadata": _metadata(st, hidden), "spec": spec}
    errs = schema.rule_errors(manifest)
    if errs:
        raise schema.ManifestError(errs)
    return manifest


def check_manifest(workflow_or_manifest: Union[Workflow, Dict[str, Any]]) -> Dict[str, Any]:
    """Compile (if given a Workflow) and validate; raises ManifestError listing every problem.

    The test suite's submit hook calls this for every workflow it runs, so every workflow the
    tests build is also proven to compile to a manifest Argo accepts.
    """
    if isinstance(workflow_or_manifest, dict):
        manifest = workflow_or_manifest
    else:
        manifest = compile_workflow(workflow_or_manifest)
    errs = schema.manifest_errors(manifest)
    if errs:
        raise schema.ManifestError(errs)
    return manifest


def _metadata(st: State, hidden: List[str]) -> Dict[str, Any]:
    wf = st.workflow
    extra = kept(wf, EXTRA)
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
    if hidden:
        annotations[HIDDEN_ANNOTATION] = json.dumps(hidden)
    if annotations:
        meta["annotations"] = annotations
    if wf.labels:
        meta["labels"] = dict(wf.labels)
    return meta


def _spec(st: State, entrypoint: str) -> Dict[str, Any]:
    wf = st.workflow
    spec: Dict[str, Any] = {"entrypoint": entrypoint}
    if wf.parameters:
        spec["arguments"] = {"parameters": [
            {"name": k, "value": param_text(v)} for k, v in wf.parameters.items()]}
    for k, v in wf.artifacts.items():
        spec.setdefault("arguments", {}).setdefault("artifacts", []).append(
            {"name": k, **artifact_source(st, v, f"workflow artifact {k!r}", allow_refs=False)})
    if wf.on_exit is not None:
        spec["onExit"] = wf.on_exit.name
    if wf.parallelism is not None:
        spec["parallelism"] = int(wf.parallelism)
    if wf.active_deadline_seconds is not None:
        spec["activeDeadlineSeconds"] = int(wf.active_deadline_seconds)
    if wf.pod_gc_strategy:
        spec["podGC"] = {"strategy": wf.pod_gc_strategy}
    if wf.image_pull_secrets:
        secrets = wf.image_pull_secrets if isinstance(wf.image_pull_secrets, list) \
            else [wf.image_pull_secrets]
        spec["imagePullSecrets"] = [s if isinstance(s, dict) else {"name": str(s)}
                                    for s in secrets]
    if wf.artifact_repo_key:
        spec["artifactRepositoryRef"] = {"key": wf.artifact_repo_key}
    spec.update(copy.deepcopy(kept(wf, SPEC)))
    return spec


def uploads_of(manifest: Dict[str, Any]) -> Dict[str, List[str]]:
    """Local paths the backend must upload (S3 key -> paths) before submitting ``manifest``."""
    text = (manifest.get("metadata", {}).get("annotations") or {}).get(UPLOADS_ANNOTATION)
    return json.loads(text) if text else {}
