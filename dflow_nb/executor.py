"""Executors: rewrite a leaf template so it runs elsewhere (a container, an HPC queue...).

As in Dflow, an executor is set per step (``Step(executor=...)``) or for every leaf of a
workflow (``Workflow(context=...)``); both backends apply ``render`` before running a leaf, so
the same executor works on the local engine and on Argo.

A rendered template is an ordinary script template: the local engine runs its script on this
machine with the step's ``/tmp`` paths pointed at the step's own directory, and Argo runs the
same script in a pod where ``/tmp`` is real. Both executors here rely on that: every path the
generated script touches is written as a literal absolute path, so one script serves both.
"""
from __future__ import annotations

import base64
import copy
import inspect
import json
import re
import sys
from abc import ABC, abstractmethod
from typing import Any, Dict, List, Optional, Sequence, Union

from .io import Inputs, Outputs
from .names import randstr


class Executor(ABC):
    """Turns a leaf template into the template that actually runs."""

    @abstractmethod
    def render(self, template: Any) -> Any:
        """A new template (never mutate the one given: other steps may share it)."""


def executor_for(step: Any, workflow: Any) -> Any:
    """The executor that applies to ``step``: its own, else the workflow's context."""
    if step.executor is not None:
        return step.executor
    ctx = getattr(workflow, "context", None)
    return ctx if ctx is not None and hasattr(ctx, "render") else None


# -- helpers shared by the executors ---------------------------------------------------------

class Masked(str):
    """A secret string: usable as its value, shown as ``***`` in reprs and logs."""

    def __repr__(self) -> str:
        return "'***'"


def is_python_op(template: Any) -> bool:
    """A Python OP template (carries an OP object) rather than a plain script."""
    return hasattr(template, "op") and hasattr(template, "op_class")


def clone_io(template: Any) -> tuple:
    """Copies of a template's input and output declarations, for a rendered template."""
    inputs = Inputs({k: copy.copy(v) for k, v in template.inputs.parameters.items()},
                    {k: copy.copy(v) for k, v in template.inputs.artifacts.items()})
    outputs = Outputs({k: copy.copy(v) for k, v in template.outputs.parameters.items()},
                      {k: copy.copy(v) for k, v in template.outputs.artifacts.items()})
    return inputs, outputs


def rendered_name(template: Any) -> str:
    """Dflow's naming of rendered templates: the original name plus a random suffix."""
    return f"{template.name[:56]}-{randstr()}"


def pickle_op(op: Any) -> bytes:
    """The OP as bytes another interpreter can load without this process's import path.

    Modules that are not installed packages (a notebook, a test file, a script next to the
    workflow) are pickled by value: the remote side may not be able to import them.
    """
    import cloudpickle
    cls = op if inspect.isclass(op) else type(op)
    module = sys.modules.get(cls.__module__)
    by_value = module is not None and cls.__module__ != "__main__" and not _installed(module)
    if by_value:
        cloudpickle.register_pickle_by_value(module)
    try:
        return cloudpickle.dumps(op)
    finally:
        if by_value:
            cloudpickle.unregister_pickle_by_value(module)


def _installed(module: Any) -> bool:
    path = getattr(module, "__file__", None) or ""
    name = module.__name__.split(".")[0]
    return name == "dflow_nb" or "site-packages" in path or "dist-packages" in path or \
        not path or path.startswith(sys.base_prefix + "/lib")


def b64(data: Union[bytes, str]) -> str:
    """URL-safe base64: no ``/`` (so the engine's /tmp remapping never touches it), no ``{``."""
    raw = data.encode() if isinstance(data, str) else data
    return base64.urlsafe_b64encode(raw).decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text.encode())


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
    """Rewrite absolute ``roots`` in a script to live under ``prefix`` (same rule as the engine)."""
    for root in roots:
        text = re.sub(r"(?<![\w/.-])" + re.escape(root) + r"(?=[/\s'\";|&)>]|$)",
                      lambda m, r=root: prefix + r, text)
    return text


def io_paths(template: Any) -> Dict[str, str]:
    """Every declared path of a template, keyed ``in:<name>``, ``out:<name>``, ``par:<name>``."""
    paths: Dict[str, str] = {}
    for k, a in template.inputs.artifacts.items():
        paths[f"in:{k}"] = a.path or f"/tmp/inputs/artifacts/{k}"
    for k, a in template.outputs.artifacts.items():
        if a.path:
            paths[f"out:{k}"] = a.path
    for k, p in template.outputs.parameters.items():
        if p.value_from_path:
            paths[f"par:{k}"] = p.value_from_path
    return paths


def param_envs(template: Any) -> Dict[str, str]:
    """Input parameters as environment variables: Argo and the engine substitute tags there,
    and an environment value needs no quoting (a parameter may hold any text)."""
    return {f"DFLOW_NB_P{i}": "{{inputs.parameters.%s}}" % k
            for i, k in enumerate(template.inputs.parameters)}


def argo_slice(text: str) -> Dict[str, Any]:
    """The compiler's ``dflow_slice`` argument as SliceSpec fields (a group becomes its
    list of indices, in the same order as a plain Python OP's pod computes it)."""
    data = json.loads(text)
    group = data.pop("group", None)
    if group:
        import random
        order = list(range(int(group["n"])))
        if group.get("shuffle"):
            random.Random(group.get("seed", 0)).shuffle(order)
        k, size = int(data["index"]), int(group["size"])
        data["index"] = order[k * size:(k + 1) * size]
    return data


def python_literal(value: Any) -> str:
    """A JSON-able value as Python source (paths stay literal strings for the engine to map)."""
    return repr(json.loads(json.dumps(value)))


ARGO_SLICE_ENV = "DFLOW_NB_ARGO_SLICE"


def wire_argo_slice(rendered: Any) -> None:
    """Let a rendering of a sliced Python OP take its slice on Argo: the compiler loops over
    the slices and passes each pod its SliceSpec as the ``dflow_slice`` argument, which the
    rendered script reads from DFLOW_NB_ARGO_SLICE (the local engine's DFLOW_NB_SLICE wins)."""
    from .io import InputParameter
    rendered.envs = dict(rendered.envs or {})
    rendered.envs[ARGO_SLICE_ENV] = "{{inputs.parameters.dflow_slice}}"
    rendered.inputs.parameters["dflow_slice"] = InputParameter(value="")
    rendered.takes_slice = True


# -- containers ------------------------------------------------------------------------------

class ContainerExecutor(Executor):
    """Run a leaf inside its ``image`` with podman, docker or singularity.

    The step's ``/tmp`` (where its inputs are placed and its outputs are collected) is mounted
    at the same path inside the container, so the template's script runs unchanged. A Python
    OP runs with ``python3 -m dflow_nb.python.entry`` inside the image: the image needs Python
    and dflow_nb (or ``mounts`` that provide them).

    Args (Dflow's, plus): docker / podman / singularity: the executable to use (default: podman
    if none is given); image_pull_policy: Always / IfNotPresent / Never; container_args: extra
    arguments for ``run``; mounts: {host path: container path} bind mounts (read-only if the
    container path ends with ``:ro``); python: the interpreter inside the image for Python OPs;
    envs: environment for the container.
    """

    def __init__(self, docker: Optional[str] = None, singularity: Optional[str] = None,
                 podman: Optional[str] = None, image_pull_policy: Optional[str] = None,
                 container_args: Union[str, List[str], None] = None,
                 mounts: Optional[Dict[str, str]] = None, python: str = "python3",
                 envs: Optional[Dict[str, str]] = None) -> None:
        given = [x for x in (docker, singularity, podman) if x is not None]
        if len(given) > 1:
            raise ValueError("ContainerExecutor takes one of docker, singularity, podman")
        self.docker = docker
        self.singularity = singularity
        self.podman = podman if given else (podman or "podman")
        if image_pull_policy not in (None, "Always", "IfNotPresent", "Never"):
            raise ValueError(f"image_pull_policy must be Always, IfNotPresent or Never, "
                             f"given {image_pull_policy!r}")
        self.image_pull_policy = image_pull_policy
        if isinstance(container_args, str):
            import shlex
            container_args = shlex.split(container_args)
        self.container_args = list(container_args or [])
        self.mounts = dict(mounts or {})
        self.python = python
        self.envs = dict(envs or {})

    def __repr__(self) -> str:
        engine = "docker" if self.docker else "singularity" if self.singularity else "podman"
        return f"ContainerExecutor({engine}={self.docker or self.singularity or self.podman!r})"

    @property
    def engine(self) -> Dict[str, str]:
        if self.docker:
            return {"kind": "docker", "exe": self.docker}
        if self.singularity:
            return {"kind": "singularity", "exe": self.singularity}
        return {"kind": "podman", "exe": self.podman or "podman"}

    def render(self, template: Any) -> Any:
        """A Python script that runs the template's own script (or its OP) in the container."""
        from .templates import PythonScriptOPTemplate, ScriptOPTemplate
        if not isinstance(template, ScriptOPTemplate):
            return template
        if not template.image:
            raise ValueError(f"template {template.name!r} has no image to run in "
                             "(ContainerExecutor runs a template inside its image)")
        inputs, outputs = clone_io(template)
        spec: Dict[str, Any] = {
            "engine": self.engine, "image": template.image,
            "pull": self.image_pull_policy or template.image_pull_policy,
            "args": self.container_args, "mounts": self.mounts,
            "workdir": template.working_dir, "container_paths": io_paths(template),
        }
        envs = dict(param_envs(template))
        envs["DFLOW_NB_POD"] = "{{pod.name}}"
        envs.update({k: str(v) for k, v in (template.envs or {}).items()})
        spec["env_names"] = sorted(set(template.envs or {}) | set(self.envs))
        envs.update(self.envs)
        if is_python_op(template):
            spec["kind"] = "op"
            spec["op"] = b64(pickle_op(template.op))
            spec["python"] = self.python
            spec["params"] = list(template.inputs.parameters)
        else:
            spec["kind"] = "script"
            spec["command"] = list(template.command)
            spec["template_args"] = list(template.args or [])
            envs["DFLOW_NB_SCRIPT"] = template.script or ""
        script = (
            "# dflow_nb ContainerExecutor: run this step inside its image\n"
            f"TMP = \"/tmp\"\n"
            f"PATHS = {python_literal(io_paths(template))}\n"
            f"SPEC = {b64(json.dumps(spec))!r}\n"
            "from dflow_nb.containers import main\n"
            "raise SystemExit(main(SPEC, TMP, PATHS))\n")
        new = PythonScriptOPTemplate(
            name=rendered_name(template), inputs=inputs, outputs=outputs,
            image=template.image, script=script, timeout=template.timeout,
            retry_strategy=template.retry_strategy, memoize_key=template.memoize_key,
            envs=envs, requests=template.requests, limits=template.limits,
            active_deadline_seconds=getattr(template, "active_deadline_seconds", None))
        new.init_progress = template.init_progress
        new.rendered_by = self
        if is_python_op(template) and getattr(template, "slices", None) is not None:
            wire_argo_slice(new)  # on Argo: one pod per slice, each told its SliceSpec
        return new
