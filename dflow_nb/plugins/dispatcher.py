"""DispatcherExecutor: run a step as a job on Slurm, PBS, LSF, Bohrium, SSH or the local shell.

As in Dflow, the step becomes a "dispatcher" script that submits the original work through
DPDispatcher (Machine / Resources / Task built from machine_dict, resources_dict and task_dict),
waits for it, and brings the outputs back to where the template declares them. On the local
engine that script runs on this machine; on Argo it runs in the dispatcher pod (an image with
dflow_nb and dpdispatcher). A Python OP travels as a cloudpickle next to its inputs and runs
remotely with ``python -m dflow_nb.python.entry``; a shell or script template travels as its
script, with ``/tmp`` mapped to the job's directory (``map_tmp_dir``).

What differs from Dflow, on purpose: DPDispatcher polls every ``check_interval`` seconds (0.5,
not 30); a failed job is not resubmitted unless machine_dict sets ``retry_count`` (the step's
retry strategy is where retries are visible); an unreachable SSH host fails within its
``timeout`` instead of after DPDispatcher's retries; every wait is bounded by
``submission_timeout`` when it is set.
"""
from __future__ import annotations

import json
import os
from abc import ABC, abstractmethod
from copy import deepcopy
from typing import Any, Dict, List, Optional, Union

from dflow_nb.config import config
from dflow_nb.errors import DflowNbError
from dflow_nb.hub.external_artifacts import CustomArtifact
from dflow_nb.model._held_secrets import hold, recall
from dflow_nb.model.executor import Executor, Template
from dflow_nb.model.secrets import Secret
from dflow_nb.model.templates import ScriptOPTemplate, declared_roots
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
from dflow_nb.python.python_op_template import PythonOPTemplate, Slices

BATCH_TYPES = ("Slurm", "Shell", "PBS", "Torque", "LSF", "Bohrium", "OpenAPI", "DistributedShell",
               "SlurmJobArray", "Fugaku", "JH_UniScheduler")
CONTEXT_TYPES = ("SSHContext", "LocalContext", "LazyLocalContext", "BohriumContext",
                 "OpenAPIContext", "HDFSContext", "Bohrium", "OpenAPI")
PASSWORD_ENV = "DFLOW_NB_SSH_PASSWORD"  # the SSH password travels here, never in the spec
#: The SSH secrets of ``remote_profile``, and the variable each travels in to the step (never
#: in the spec, the manifest or the state database); also where a resumed run looks for them.
SECRET_ENVS = {"password": PASSWORD_ENV, "passphrase": "DFLOW_NB_SSH_PASSPHRASE",
               "totp_secret": "DFLOW_NB_SSH_TOTP_SECRET"}


class Masked(str):
    """A secret string: usable as its value, shown as ``***`` in reprs and logs."""

    def __repr__(self) -> str:
        return "'***'"


def slice_fields(slices: Slices) -> Dict[str, Any]:
    """A Slices' SliceSpec fields without the index (the dispatcher adds it per slice)."""
    return {"input_parameter": list(slices.input_parameter or []),
            "input_artifact": list(slices.input_artifact or []),
            "output_parameter": list(slices.output_parameter or []),
            "output_artifact": list(slices.output_artifact or []),
            "pool_size": slices.pool_size, "create_dir": bool(slices.create_dir)}


def update_dict(base: Dict[str, Any], extra: Dict[str, Any]) -> None:
    """Deep merge ``extra`` into ``base`` (nested dicts merge, other values replace)."""
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            update_dict(base[k], v)
        else:
            base[k] = v


class DispatcherExecutor(Executor):
    """Submit a step through DPDispatcher and wait for it (Dflow's arguments).

    Args:
        host, port, username, password, private_key_file: the SSH login (SSHContext).
        queue_name: the scheduler's queue / partition.
        image, image_pull_policy, command: the dispatcher's own image and interpreter (Argo).
        remote_command: the command that runs the template's script remotely (default: the
            template's command; for Python OPs the remote ``python``).
        map_tmp_dir: point the script's ``/tmp`` at the job's directory.
        machine_dict, resources_dict, task_dict, json_file: DPDispatcher's configuration,
            merged over the defaults built from the arguments above.
        docker_executable, singularity_executable, podman_executable, container_args: run the
            job inside the template's image on the remote machine.
        remote_root: where jobs run remotely; workdir: where the dispatcher stages them locally.
        retry_on_submission_error: retries of a submission that errors (backing off 2**n s).
        merge_sliced_step: all slices of a sliced step as one job.
        pre_script, post_script: Python code run by the dispatcher before / after submitting.
        clean: remove the job's remote directory when it is done.
        envs: environment of the dispatcher process.
        check_interval: seconds between status checks; submission_timeout: bound on the
            whole submission (None: the step's own timeout bounds it).
        python: the interpreter for Python OPs on the remote side (default: this interpreter
            for local contexts, ``python3`` over SSH).
    """

    def __init__(self, host: Optional[str] = None, queue_name: Optional[str] = None,
                 port: int = 22, username: str = "root", password: Optional[str] = None,
                 private_key_file: Optional[Union[str, os.PathLike]] = None,
                 image: Optional[str] = None, image_pull_policy: Optional[str] = None,
                 command: Union[str, List[str]] = "python3",
                 remote_command: Union[str, List[str], None] = None, map_tmp_dir: bool = True,
                 machine_dict: Optional[Dict[str, Any]] = None,
                 resources_dict: Optional[Dict[str, Any]] = None,
                 task_dict: Optional[Dict[str, Any]] = None,
                 json_file: Optional[Union[str, os.PathLike]] = None,
                 docker_executable: Optional[str] = None,
                 singularity_executable: Optional[str] = None, container_args: str = "",
                 podman_executable: Optional[str] = None, remote_root: Optional[str] = None,
                 retry_on_submission_error: Optional[int] = None,
                 merge_sliced_step: bool = False, pre_script: str = "", post_script: str = "",
                 clean: bool = True, remove_scheduling_strategies: bool = True,
                 envs: Optional[Dict[str, str]] = None, merge_bohrium_job_group: bool = False,
                 terminate_grace_period: Optional[int] = None, workdir: Optional[str] = None,
                 check_interval: float = 0.5, submission_timeout: Optional[float] = None,
                 python: Optional[str] = None) -> None:
        if merge_bohrium_job_group:
            raise NotImplementedError("merge_bohrium_job_group needs Bohrium's job-group API, "
                                      "which dflow_nb does not drive yet")
        if check_interval <= 0:
            raise ValueError(f"check_interval must be > 0, given {check_interval}")
        self.host = host
        self.queue_name = queue_name
        self.port = port
        self.username = username
        given: Dict[str, str] = {} if password is None else {"password": password}
        self.private_key_file = str(private_key_file) if private_key_file else None
        self.image = image or config.get("dispatcher_image") or "dptechnology/dpdispatcher"
        self.image_pull_policy = image_pull_policy or config.get("dispatcher_image_pull_policy")
        self.command = [command] if isinstance(command, str) else list(command)
        self.remote_command = [remote_command] if isinstance(remote_command, str) else \
            (list(remote_command) if remote_command else None)
        self.docker_executable = docker_executable
        self.singularity_executable = singularity_executable
        self.podman_executable = podman_executable
        self.container_args = container_args
        self.map_tmp_dir = map_tmp_dir and not (docker_executable or singularity_executable
                                                or podman_executable)
        self.remote_root = remote_root
        self.retry_on_submission_error = retry_on_submission_error
        self.merge_sliced_step = merge_sliced_step
        self.pre_script = pre_script
        self.post_script = post_script
        self.clean = clean
        self.remove_scheduling_strategies = remove_scheduling_strategies
        self.envs = dict(envs or {})
        self.terminate_grace_period = terminate_grace_period
        self.workdir = workdir
        self.check_interval = float(check_interval)
        self.submission_timeout = submission_timeout
        self.python = python

        conf: Dict[str, Any] = {}
        if json_file is not None:
            with open(json_file) as f:
                conf = json.load(f)
        self.machine_dict: Dict[str, Any] = {
            "batch_type": "Slurm", "context_type": "SSHContext", "local_root": ".",
            "remote_profile": {"hostname": host, "username": username, "port": port,
                               "timeout": 10},
        }
        if remote_root is not None:
            self.machine_dict["remote_root"] = remote_root
        else:
            self.machine_dict["remote_root"] = "/root/dflow/workflows" if username == "root" \
                else f"/home/{username}/dflow/workflows"
        if self.private_key_file is not None:
            self.machine_dict["remote_profile"]["key_filename"] = self.private_key_file
        if "machine" in conf:
            update_dict(self.machine_dict, conf["machine"])
        if machine_dict is not None:
            update_dict(self.machine_dict, deepcopy(machine_dict))
        profile = self.machine_dict.get("remote_profile") or {}
        # Secrets stay out of the spec and out of pickles (the state database): they travel
        # to the step as env variables; a pickle keeps only references (model._held_secrets).
        given.update({k: profile.pop(k) for k in SECRET_ENVS if profile.get(k) is not None})
        self._secrets = {k: Masked(v) for k, v in given.items()}
        self._secret_refs = {k: hold(v) for k, v in given.items()}
        self.machine_dict.setdefault("retry_count", 0)
        batch = self.machine_dict.get("batch_type")
        context = self.machine_dict.get("context_type")
        if batch not in BATCH_TYPES:
            raise ValueError(f"machine batch_type {batch!r} is not one DPDispatcher knows "
                             f"({', '.join(BATCH_TYPES)})")
        known = [c.lower().replace("context", "") for c in CONTEXT_TYPES]
        if str(context).lower().replace("context", "") not in known:
            raise ValueError(f"machine context_type {context!r} is not one DPDispatcher knows "
                             f"({', '.join(CONTEXT_TYPES)})")
        if context == "SSHContext" and not profile.get("hostname"):
            raise ValueError("DispatcherExecutor with SSHContext needs host= (or "
                             "machine_dict={'remote_profile': {'hostname': ...}}); for this "
                             "machine use context_type 'LocalContext' or 'LazyLocalContext'")

        self.resources_dict: Dict[str, Any] = {
            "number_node": 1, "cpu_per_node": 1, "group_size": 1,
            "envs": {"PYTHONUNBUFFERED": "true"},
        }
        if queue_name is not None:
            self.resources_dict["queue_name"] = queue_name
        if "resources" in conf:
            update_dict(self.resources_dict, conf["resources"])
        if resources_dict is not None:
            update_dict(self.resources_dict, deepcopy(resources_dict))
        self.resources_dict.setdefault("queue_name", "")

        self.task_dict: Dict[str, Any] = {"task_work_path": "task", "outlog": "log",
                                          "errlog": "err"}
        if task_dict is not None:
            update_dict(self.task_dict, deepcopy(task_dict))

    @property
    def password(self) -> Optional[str]:
        return self._secrets.get("password")

    def __getstate__(self) -> Dict[str, Any]:
        state = dict(self.__dict__)
        state["_secrets"] = {}
        return state

    def _secret_envs(self, template: Template) -> Dict[str, str]:
        """The SSH secrets for the step's environment: this object's, those the process that
        created it holds, or (a run resumed elsewhere) the variables the user set."""
        found: Dict[str, str] = {}
        missing: List[str] = []
        for key, ref in self._secret_refs.items():
            env = SECRET_ENVS[key]
            value = self._secrets.get(key) or recall(ref) or os.environ.get(env)
            if value:
                found[env] = Masked(value)
            else:
                missing.append(env)
        if missing:
            names = " and ".join(missing)
            raise DflowNbError(
                f"template {template.name!r}: DispatcherExecutor needs its SSH secrets, which "
                "are never stored with a run (dflow_nb.db holds none), and this process did not "
                f"create the executor: set {names} in this process's environment and resume")
        return found

    def __repr__(self) -> str:
        m = self.machine_dict
        where = (m.get("remote_profile") or {}).get("hostname") or "localhost"
        return (f"DispatcherExecutor(batch_type={m.get('batch_type')!r}, "
                f"context_type={m.get('context_type')!r}, host={where!r}, "
                f"queue_name={self.resources_dict.get('queue_name') or None!r}"
                f"{', password=***' if self._secret_refs.get('password') else ''})")

    # -- rendering ---------------------------------------------------------------------------
    def render(self, template: Template) -> Template:
        """The dispatcher template: same inputs and outputs, a script that submits the job."""
        if not isinstance(template, ScriptOPTemplate):
            return template
        inputs, outputs = clone_io(template)
        slices = template.slices if isinstance(template, PythonOPTemplate) else None
        spec: Dict[str, Any] = {
            "machine": self.machine_dict, "resources": self.resources_dict,
            "task": self.task_dict, "params": list(template.inputs.parameters),
            "check_interval": self.check_interval, "clean": self.clean,
            "retry_on_submission_error": self.retry_on_submission_error,
            "submission_timeout": self.submission_timeout,
            "workdir": self.workdir, "python": self.python,
            "remote_command": self.remote_command, "map_tmp_dir": self.map_tmp_dir,
            "container": self._container(template),
            "sliced": slices is not None,
            "merge": bool(self.merge_sliced_step and slices is not None),
            "env_names": sorted(template.envs or {}),
        }
        envs: Dict[str, Any] = dict(param_envs(template))
        envs.update({"DFLOW_NB_WORKFLOW": "{{workflow.name}}", "DFLOW_NB_POD": "{{pod.name}}"})
        envs.update({k: v if isinstance(v, Secret) else str(v)   # a Secret stays a reference
                     for k, v in (template.envs or {}).items()})
        if isinstance(template, PythonOPTemplate):
            if slices is not None and spec["merge"] and (slices.group_size or slices.sub_path):
                raise ValueError(f"template {template.name!r}: merge_sliced_step does not "
                                 "combine with Slices(group_size=...) or sub_path (as in Dflow)")
            spec["kind"] = "op"
            spec["op"] = b64(pickle_op(template.op))
            if slices is not None:
                spec["slice_fields"] = slice_fields(slices)
        else:
            spec["kind"] = "script"
            spec["command"] = list(template.command)
            spec["template_args"] = list(template.args or [])
            spec["roots"] = declared_roots(template)
            spec["container_paths"] = io_paths(template)
            envs["DFLOW_NB_SCRIPT"] = template.script or ""
        envs.update(self._secret_envs(template))
        envs.update(self.envs)
        script = (
            "# dflow_nb DispatcherExecutor: submit this step through DPDispatcher and wait\n"
            + (self.pre_script + "\n" if self.pre_script else "")
            + "TMP = \"/tmp\"\n"
            f"PATHS = {python_literal(io_paths(template))}\n"
            f"SPEC = {b64(json.dumps(spec))!r}\n"
            "from dflow_nb.plugins.dispatcher_run import main\n"
            "code = main(SPEC, TMP, PATHS)\n"
            + (self.post_script + "\n" if self.post_script else "")
            + "raise SystemExit(code)\n")
        new = RenderedScript(
            name=rendered_name(template), inputs=inputs, outputs=outputs, image=self.image,
            image_pull_policy=self.image_pull_policy, command=list(self.command), script=script,
            timeout=template.timeout, retry_strategy=template.retry_strategy,
            memoize_key=template.memoize_key, envs=envs,
            active_deadline_seconds=template.active_deadline_seconds)
        if not self.remove_scheduling_strategies:
            new.node_selector = template.node_selector
            new.tolerations = template.tolerations
            new.affinity = template.affinity
            new.requests, new.limits = dict(template.requests), dict(template.limits)
        new.init_progress = template.init_progress
        new.merge_sliced_step = spec["merge"]
        if slices is not None and not spec["merge"]:
            wire_argo_slice(new)  # on Argo: one pod per slice, each told its SliceSpec
        return new

    def _container(self, template: ScriptOPTemplate) -> Optional[Dict[str, str]]:
        for kind, exe in (("docker", self.docker_executable), ("podman", self.podman_executable),
                          ("singularity", self.singularity_executable)):
            if exe:
                if not template.image:
                    raise ValueError(f"template {template.name!r} has no image for "
                                     f"{kind}_executable to run")
                return {"kind": kind, "exe": exe, "image": template.image,
                        "args": self.container_args}
        return None


class DispatcherArtifact(CustomArtifact, ABC):
    """Dflow's DispatcherArtifact: a custom artifact that a DispatcherExecutor's job fetches on
    the remote machine (``remote_download``) or on Bohrium (``bohrium_download``) instead of
    shipping it; ``modify_config`` adapts the job's machine settings. The local engine fetches
    it with ``download`` like any CustomArtifact."""

    @abstractmethod
    def modify_config(self, name: str, machine: Dict[str, Any]) -> str:
        """Change the job's machine settings for input ``name``; returns the path it uses."""

    @abstractmethod
    def remote_download(self, name: str, path: str) -> None:
        """Fetch the artifact on the remote machine into ``path``."""

    @abstractmethod
    def bohrium_download(self, name: str, path: str) -> None:
        """Fetch the artifact on a Bohrium machine into ``path``."""
