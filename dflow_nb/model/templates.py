"""Leaf templates (Argo ``script``/``container``/``resource``/``http``): shell and Python scripts,
Kubernetes objects, HTTP requests, and their base."""
from __future__ import annotations

import abc
import copy
import re
from typing import Any, Dict, List, Optional, Sequence, Union

from dflow_nb.model.io import Inputs, Outputs
from dflow_nb.model.names import check_node_name, kebab, randstr


class OPTemplate:
    """What every template has: a name, inputs and outputs, and Argo's per-template knobs."""

    def __init__(self, name: Optional[str] = None, inputs: Optional[Inputs] = None,
                 outputs: Optional[Outputs] = None, memoize_key: Optional[str] = None,
                 annotations: Optional[Dict[str, str]] = None,
                 labels: Optional[Dict[str, str]] = None) -> None:
        if name is None:
            name = kebab(type(self).__name__).lower() + "-" + randstr()
        self.name = check_node_name(name, f"{type(self).__name__} name")
        self.inputs = inputs if inputs is not None else Inputs()
        self.outputs = outputs if outputs is not None else Outputs()
        self.memoize_key = memoize_key
        self.annotations = annotations or {}
        self.labels = labels or {}

    @property
    def is_leaf(self) -> bool:
        return True

    def deepcopy(self) -> "OPTemplate":
        return copy.deepcopy(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


class ScriptOPTemplate(OPTemplate):
    """A script run by ``command`` inside ``image`` (Argo ``script`` template)."""

    default_command: List[str] = ["sh"]
    # The local engine points the script's /tmp and declared paths at the step's own view of
    # the file system; False for a script whose paths are real paths of this machine.
    remap_paths = True

    def __init__(self, name: Optional[str] = None, inputs: Optional[Inputs] = None,
                 outputs: Optional[Outputs] = None, image: Optional[str] = None,
                 command: Union[str, List[str], None] = None, script: Optional[str] = None,
                 volumes: Optional[list] = None, mounts: Optional[list] = None,
                 init_progress: str = "0/1", timeout: Optional[Union[int, str]] = None,
                 retry_strategy: Optional[Dict[str, Any]] = None,
                 memoize_key: Optional[str] = None, pvcs: Optional[list] = None,
                 image_pull_policy: Optional[str] = None,
                 annotations: Optional[Dict[str, str]] = None,
                 labels: Optional[Dict[str, str]] = None,
                 node_selector: Optional[Dict[str, str]] = None,
                 tolerations: Optional[list] = None, affinity: Optional[dict] = None,
                 requests: Optional[Dict[str, str]] = None,
                 limits: Optional[Dict[str, str]] = None,
                 envs: Optional[Dict[str, Any]] = None,
                 init_containers: Optional[list] = None, sidecars: Optional[list] = None,
                 active_deadline_seconds: Optional[int] = None,
                 args: Optional[List[str]] = None, working_dir: Optional[str] = None,
                 **kwargs: Any) -> None:
        if kwargs:
            raise TypeError(f"{type(self).__name__} got unexpected arguments: {', '.join(kwargs)}")
        super().__init__(name, inputs, outputs, memoize_key, annotations, labels)
        self.image = image
        if isinstance(command, str):
            command = [command]
        self.command = list(command) if command else list(self.default_command)
        self.script = script or ""
        self.args = args or []
        self.volumes = volumes or []
        self.mounts = mounts or []
        self.init_progress = init_progress
        self.timeout = timeout
        self.retry_strategy = retry_strategy
        self.pvcs = pvcs or []
        self.image_pull_policy = image_pull_policy
        self.node_selector = node_selector
        self.tolerations = tolerations
        self.affinity = affinity
        self.requests = requests or {}
        self.limits = limits or {}
        self.envs = envs or {}
        self.init_containers = init_containers or []
        self.sidecars = sidecars or []
        self.active_deadline_seconds = active_deadline_seconds
        self.working_dir = working_dir


class ShellOPTemplate(ScriptOPTemplate):
    """A shell script with ``{{inputs.parameters.x}}`` tags and files under ``/tmp``."""

    default_command = ["sh"]


class PythonScriptOPTemplate(ScriptOPTemplate):
    """A Python script (not an OP class) with ``{{...}}`` tags."""

    default_command = ["python3"]


class ContainerOPTemplate(ScriptOPTemplate):
    """An Argo ``container`` template: ``command`` + ``args``, no script body."""

    default_command: List[str] = []


class ResourceOPTemplate(OPTemplate):
    """An Argo ``resource`` template: Argo applies ``manifest`` (a Kubernetes object, as YAML)
    with ``action`` and waits until ``success_condition`` or ``failure_condition`` holds.

    Args mirror Argo's ResourceTemplate: ``action`` (create, apply, patch, replace, delete,
    get), ``manifest``, ``success_condition``/``failure_condition`` (label-selector syntax on
    the object's fields), ``set_owner_reference`` (the object is deleted with the workflow) and
    ``flags`` (extra ``kubectl`` arguments); and the fields Argo allows on any leaf.
    """

    def __init__(self, name: Optional[str] = None, inputs: Optional[Inputs] = None,
                 outputs: Optional[Outputs] = None, action: str = "create", manifest: str = "",
                 success_condition: Optional[str] = None,
                 failure_condition: Optional[str] = None,
                 set_owner_reference: Optional[bool] = None, flags: Optional[List[str]] = None,
                 timeout: Optional[Union[int, str]] = None,
                 retry_strategy: Optional[Dict[str, Any]] = None,
                 active_deadline_seconds: Optional[int] = None,
                 node_selector: Optional[Dict[str, str]] = None,
                 memoize_key: Optional[str] = None,
                 annotations: Optional[Dict[str, str]] = None,
                 labels: Optional[Dict[str, str]] = None) -> None:
        super().__init__(name, inputs, outputs, memoize_key, annotations, labels)
        self.action = action
        self.manifest = manifest
        self.success_condition = success_condition
        self.failure_condition = failure_condition
        self.set_owner_reference = set_owner_reference
        self.flags = list(flags or [])
        self.timeout = timeout
        self.retry_strategy = retry_strategy
        self.active_deadline_seconds = active_deadline_seconds
        self.node_selector = node_selector

    def slurm_batch(self) -> Optional[str]:
        """The batch script when the manifest is a wlm-operator ``SlurmJob``, else None."""
        import yaml
        try:
            obj = yaml.safe_load(self.manifest or "")
        except yaml.YAMLError:
            return None
        if not isinstance(obj, dict) or obj.get("kind") != "SlurmJob" or \
                not str(obj.get("apiVersion", "")).startswith("wlm.sylabs.io/"):
            return None
        batch = (obj.get("spec") or {}).get("batch")
        return batch if isinstance(batch, str) else None

    def stand_in(self) -> "ShellOPTemplate":
        """What the local engine runs in this template's place (creating Kubernetes objects
        needs Argo). For a wlm-operator SlurmJob it plays the operator: ``sbatch --wait`` of
        the job's batch script, in the ``jobdir`` input's directory when there is one (as
        SlurmJobTemplate's job has), else a fresh one. Any other object fails saying so.

        The builder of the template (SlurmJobTemplate) and the loader of a manifest both get
        this same stand-in, so a loaded manifest runs locally as the original workflow did.
        """
        batch = self.slurm_batch()
        if batch is None:
            script, envs = _NEEDS_ARGO, {}
        else:
            jobdir = _JOBDIR if "jobdir" in self.inputs.parameters else _TMPDIR
            script, envs = jobdir + _SBATCH_WAIT, {"DFLOW_NB_BATCH": batch}
        local = ShellOPTemplate(name=self.name, inputs=self.inputs, outputs=self.outputs,
                                script=script, envs=envs, timeout=self.timeout,
                                retry_strategy=self.retry_strategy,
                                active_deadline_seconds=self.active_deadline_seconds)
        local.remap_paths = False   # the job directory is a real path shared with Slurm
        return local


_SBATCH_WAIT = (
    "if ! command -v sbatch >/dev/null 2>&1; then echo 'this resource template creates a "
    "wlm-operator SlurmJob: it needs Argo (or sbatch on this machine)' >&2; exit 2; fi\n"
    "printf '%s' \"$DFLOW_NB_BATCH\" > \"$d/batch.sh\"\n"
    "sbatch --wait --parsable -J \"dflow-$(basename \"$d\")\" -o \"$d/slurm.out\" "
    "\"$d/batch.sh\" || { code=$?; cat \"$d/stderr\" \"$d/slurm.out\" >&2 2>/dev/null; "
    "echo \"Slurm job failed (exit code $code)\" >&2; exit $code; }\n")
_JOBDIR = "d='{{inputs.parameters.jobdir}}'\n"
_TMPDIR = "d=$(mktemp -d)\n"
_NEEDS_ARGO = ("echo 'a resource template creates a Kubernetes object: it needs Argo' >&2\n"
               "exit 2\n")


class Resource(abc.ABC):
    """Dflow's Resource: ``Step(..., use_resource=MyResource())`` runs the step as a
    Kubernetes object that ``get_manifest(template)`` writes (YAML), created with ``action``
    and watched with ``success_condition``/``failure_condition`` (Argo's resource template).
    The local engine cannot create Kubernetes objects: such a step fails there saying so
    (a wlm-operator SlurmJob excepted, see ``ResourceOPTemplate.stand_in``)."""

    action: Optional[str] = "create"
    success_condition: Optional[str] = None
    failure_condition: Optional[str] = None

    @abc.abstractmethod
    def get_manifest(self, template: OPTemplate) -> str:
        """The Kubernetes object that stands for ``template``'s work, as YAML."""

    def template(self, template: OPTemplate) -> ResourceOPTemplate:
        """The resource template a step with ``use_resource=self`` runs instead of ``template``."""
        return ResourceOPTemplate(name=f"{template.name}-resource", inputs=template.inputs,
                                  outputs=template.outputs, action=self.action or "create",
                                  manifest=self.get_manifest(template),
                                  success_condition=self.success_condition,
                                  failure_condition=self.failure_condition)


class HTTPOPTemplate(OPTemplate):
    """An Argo ``http`` template: one HTTP request, no container (Dflow's HTTPOPTemplate).

    ``url``, ``headers`` and ``body`` take ``{{inputs.parameters.x}}`` tags. The step succeeds
    when ``success_condition`` (expr-lang over ``response.statusCode``, ``response.body`` and
    ``response.headers``) holds, by default when the status is below 400; its ``result``
    output is the response body. The local engine sends the request itself.
    """

    def __init__(self, name: Optional[str] = None, inputs: Optional[Inputs] = None,
                 outputs: Optional[Outputs] = None, url: str = "", method: str = "GET",
                 headers: Optional[Dict[str, str]] = None, body: Optional[str] = None,
                 success_condition: Optional[str] = None,
                 timeout_seconds: Optional[int] = None, insecure_skip_verify: bool = False,
                 memoize_key: Optional[str] = None,
                 annotations: Optional[Dict[str, str]] = None,
                 labels: Optional[Dict[str, str]] = None) -> None:
        if not url:
            raise ValueError("HTTPOPTemplate needs a url")
        super().__init__(name, inputs, outputs, memoize_key, annotations, labels)
        self.url = url
        self.method = method.upper()
        self.headers = dict(headers or {})
        self.body = body
        self.success_condition = success_condition
        self.timeout_seconds = timeout_seconds
        self.insecure_skip_verify = insecure_skip_verify


def declared_roots(template: Any) -> List[str]:
    """Absolute roots a template's script uses: /tmp and declared paths outside it."""
    roots = {"/tmp"}
    for decl in list(template.inputs.artifacts.values()) + list(template.outputs.artifacts.values()):
        if decl.path and decl.path.startswith("/") and not decl.path.startswith("/tmp"):
            roots.add(decl.path)
    for p in template.outputs.parameters.values():
        if p.value_from_path and p.value_from_path.startswith("/") and \
                not p.value_from_path.startswith("/tmp"):
            roots.add(p.value_from_path)
    return sorted(roots, key=len, reverse=True)


def map_roots(text: str, roots: Sequence[str], prefix: str) -> str:
    """Rewrite absolute ``roots`` in a script to live under ``prefix``: the engine maps them into a
    step's private view, executors into a job's directory."""
    if not roots:
        return text
    # one pass over all roots: a rewritten path (``prefix`` may itself be under /tmp) is not
    # rewritten again
    alternatives = "|".join(re.escape(r) for r in sorted(roots, key=len, reverse=True))
    return re.sub(r"(?<![\w/.-])(?:" + alternatives + r")(?=[/\s'\";|&)>]|$)",
                  lambda m: prefix + m.group(0), text)
