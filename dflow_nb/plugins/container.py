"""``ContainerExecutor``: run a leaf inside its image with podman, docker or singularity.

This module renders the template; ``container_run`` is what the rendered step runs.
"""
from __future__ import annotations

import json
import shlex
from typing import Any, Dict, List, Optional, Union

from dflow_nb.model.executor import Executor, Template
from dflow_nb.model.secrets import Secret
from dflow_nb.model.templates import ScriptOPTemplate
from dflow_nb.plugins._render import (
    RenderedScript,
    b64,
    clone_io,
    io_paths,
    param_envs,
    pickle_op,
    python_literal,
    rendered_name,
    wire_argo_slice,
)
from dflow_nb.python.python_op_template import PythonOPTemplate


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

    def render(self, template: Template) -> Template:
        """A Python script that runs the template's own script (or its OP) in the container."""
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
        envs: Dict[str, Any] = dict(param_envs(template))
        envs["DFLOW_NB_POD"] = "{{pod.name}}"
        envs.update({k: v if isinstance(v, Secret) else str(v)   # a Secret stays a reference
                     for k, v in (template.envs or {}).items()})
        spec["env_names"] = sorted(set(template.envs or {}) | set(self.envs))
        envs.update(self.envs)
        if isinstance(template, PythonOPTemplate):
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
            "from dflow_nb.plugins.container_run import main\n"
            "raise SystemExit(main(SPEC, TMP, PATHS))\n")
        new = RenderedScript(
            name=rendered_name(template), inputs=inputs, outputs=outputs,
            image=template.image, script=script, timeout=template.timeout,
            retry_strategy=template.retry_strategy, memoize_key=template.memoize_key,
            envs=envs, requests=template.requests, limits=template.limits,
            active_deadline_seconds=template.active_deadline_seconds)
        new.init_progress = template.init_progress
        if isinstance(template, PythonOPTemplate) and template.slices is not None:
            wire_argo_slice(new)  # on Argo: one pod per slice, each told its SliceSpec
        return new
