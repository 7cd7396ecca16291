"""Leaf templates (Argo ``script``/``container``): shell and Python scripts, and their base."""
from __future__ import annotations

import copy
from typing import Any, Dict, List, Optional, Union

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
