"""Slurm without DPDispatcher's configuration: Dflow's ``SlurmRemoteExecutor`` and the
wlm-operator route (``SlurmJobTemplate`` / ``SlurmJob``).

``SlurmRemoteExecutor`` submits a step's script to Slurm from the step's own pod, over SSH; it
is a ``DispatcherExecutor`` with Slurm settings taken from Dflow's arguments (the ``header``'s
``#SBATCH`` lines become DPDispatcher custom flags, its other lines run before the job), so job
ids, states, logs, failures and bounded waits behave the same. ``host="localhost"`` submits with
``sbatch`` on the machine that runs the step (no SSH).

``SlurmJobTemplate`` turns a script step into three steps for an Argo cluster running
wlm-operator (https://github.com/sylabs/wlm-operator): ``prepare`` writes the script and inputs
into a directory shared by the Kubernetes node and the Slurm nodes (a hostPath volume);
``job`` is an Argo ``resource`` template creating a ``SlurmJob`` custom resource whose batch
script runs there, done when the operator sets ``status.status`` to Succeeded (failed on
Failed or Cancelled); ``collect`` copies the declared outputs back and ends with the job's exit
code. On the local engine ``job`` plays wlm-operator's part with ``sbatch --wait`` when the
shared directory is on this machine; where it is not, ``prepare`` fails and says why.
"""
from __future__ import annotations

import os
import shlex
from typing import Any, Dict, List, Optional, Tuple, Union

from dflow_nb.model.executor import Executor, Template
from dflow_nb.model.io import InputArtifact, InputParameter, Inputs, OutputArtifact, OutputParameter, Outputs
from dflow_nb.model.step import Step
from dflow_nb.model.steps import Steps
from dflow_nb.model.templates import (
    ResourceOPTemplate,
    ScriptOPTemplate,
    ShellOPTemplate,
    declared_roots,
    map_roots,
)
from dflow_nb.plugins._render import clone_io, rendered_name
from dflow_nb.plugins.remote import RemoteExecutor
from dflow_nb.python.python_op_template import PythonOPTemplate

ROOT_MARK = "@DFLOW_NB_SLURM_ROOT@"
WLM_API = "wlm.sylabs.io/v1alpha1"


def split_header(header: str) -> Tuple[List[str], List[str]]:
    """(``#SBATCH`` lines, other lines) of a batch script header; the shebang is dropped."""
    flags: List[str] = []
    other: List[str] = []
    for line in (header or "").splitlines():
        s = line.strip()
        if not s or s.startswith("#!"):
            continue
        (flags if s.startswith("#SBATCH") else other).append(s)
    return flags, other


def _in_root(path: str) -> str:
    """``"$d/root<path>"`` as one double-quoted shell word."""
    escaped = "".join("\\" + c if c in '"$`\\' else c for c in path)
    return f'"$d/root{escaped}"'


class SlurmRemoteExecutor(RemoteExecutor):
    """Submit a step to Slurm over SSH from its pod, and wait for it (Dflow's arguments).

    Args:
        host, port, username, password, private_key_file: the SSH login; ``"localhost"`` runs
            ``sbatch`` directly on the machine running the step.
        header: the batch script's header (``#SBATCH ...`` lines, ``module load ...``).
        workdir: where jobs run on the cluster (``{{workflow.name}}``, ``{{pod.name}}`` and a
            leading ``~/`` are filled in).
        command / remote_command: the interpreter of the script on the cluster.
        image, image_pull_policy: the submitting pod's image (Argo).
        interval: seconds between status checks; action_retries: retries of a submission that
            errors (-1 or 0: none); submission_timeout: bound on the whole wait.
        docker_executable, singularity_executable, podman_executable: run the job in the
            template's image on the cluster.
        python: the cluster's interpreter for Python OPs.
    """

    batch_type = "Slurm"

    def __init__(self, host: str, port: int = 22, username: str = "root",
                 password: Optional[str] = None,
                 private_key_file: Optional[Union[str, os.PathLike]] = None,
                 workdir: str = "~/dflow/workflows/{{workflow.name}}/{{pod.name}}",
                 command: Union[str, List[str], None] = None,
                 remote_command: Union[str, List[str], None] = None,
                 image: Optional[str] = None, image_pull_policy: Optional[str] = None,
                 map_tmp_dir: bool = True, docker_executable: Optional[str] = None,
                 singularity_executable: Optional[str] = None,
                 podman_executable: Optional[str] = None, action_retries: int = -1,
                 header: str = "", interval: float = 3, pvc: Any = None,
                 submission_timeout: Optional[float] = None, python: Optional[str] = None,
                 envs: Optional[Dict[str, str]] = None) -> None:
        if pvc is not None:
            raise NotImplementedError("SlurmRemoteExecutor(pvc=...) is not supported: the job's "
                                      "files travel over SSH (or stay local with localhost)")
        self.header = header
        flags, prepend = split_header(header)
        resources: Dict[str, Any] = {"custom_flags": flags}
        if prepend:
            resources["prepend_script"] = prepend
        super().__init__(
            host, port=port, username=username, password=password,
            private_key_file=private_key_file, workdir=workdir, command=command,
            remote_command=remote_command, image=image, image_pull_policy=image_pull_policy,
            map_tmp_dir=map_tmp_dir, docker_executable=docker_executable,
            singularity_executable=singularity_executable, podman_executable=podman_executable,
            action_retries=action_retries, python=python, envs=envs, resources_dict=resources,
            check_interval=interval, submission_timeout=submission_timeout)


class SlurmJob:
    """A wlm-operator ``SlurmJob`` made by an Argo ``resource`` template (Dflow's Resource).

    Args:
        header: ``#SBATCH`` lines and setup commands of the batch script.
        node_selector: picks the virtual node of a Slurm partition (wlm-operator labels).
        results: wlm-operator's ``results`` ({"from": path, "mount": volume}), if wanted.
        batch_body: the script after the header (set by ``SlurmJobTemplate``).
    """

    action = "create"
    success_condition = "status.status == Succeeded"
    failure_condition = "status.status in (Failed,Cancelled)"

    def __init__(self, header: str = "", node_selector: Optional[Dict[str, str]] = None,
                 results: Optional[Dict[str, Any]] = None, batch_body: str = "") -> None:
        self.header = header
        self.node_selector = dict(node_selector or {})
        self.results = results
        self.batch_body = batch_body

    def batch(self) -> str:
        flags, other = split_header(self.header)
        return "\n".join(["#!/bin/bash", *flags, *other, self.batch_body.rstrip("\n")]) + "\n"

    def get_manifest(self) -> Dict[str, Any]:
        """The SlurmJob object (one per pod: it is named after the step's pod)."""
        spec: Dict[str, Any] = {"batch": self.batch()}
        if self.node_selector:
            spec["nodeSelector"] = dict(self.node_selector)
        if self.results:
            spec["results"] = self.results
        return {"apiVersion": WLM_API, "kind": "SlurmJob",
                "metadata": {"name": "{{pod.name}}"}, "spec": spec}

    def manifest_yaml(self) -> str:
        """The SlurmJob as YAML, the batch script as a readable literal block."""
        import yaml

        class Dumper(yaml.SafeDumper):
            pass

        def text(dumper: Any, value: str) -> Any:
            style = "|" if "\n" in value else None
            return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

        Dumper.add_representer(str, text)
        return yaml.dump(self.get_manifest(), Dumper=Dumper, sort_keys=False)

    def template(self, name: str, inputs: Optional[Inputs] = None,
                 timeout: Optional[Union[int, str]] = None,
                 retry_strategy: Optional[Dict[str, Any]] = None) -> ResourceOPTemplate:
        """The Argo ``resource`` template that creates this SlurmJob and waits for its end (the
        SlurmJob is deleted with the workflow). Locally its stand-in runs the batch script with
        ``sbatch --wait``."""
        return ResourceOPTemplate(name=name, inputs=inputs, action=self.action,
                                  manifest=self.manifest_yaml(),
                                  success_condition=self.success_condition,
                                  failure_condition=self.failure_condition,
                                  set_owner_reference=True, timeout=timeout,
                                  retry_strategy=retry_strategy)

    def __repr__(self) -> str:
        return f"SlurmJob(node_selector={self.node_selector!r})"


class SlurmJobTemplate(Executor):
    """Run a script step as a wlm-operator SlurmJob (see the module docstring).

    Args:
        header: ``#SBATCH`` lines and setup commands of the batch script.
        node_selector: the Slurm partition's virtual node (e.g. ``{"wlm.sylabs.io/containers":
            "singularity"}``).
        prepare_image, collect_image (and their pull policies): images of the steps that stage
            files into and out of the shared directory.
        workdir: the directory shared by the Kubernetes node and the Slurm nodes (hostPath,
            mounted at the same path); each step uses ``<workdir>/<workflow>/<prepare pod>``.
        remote_command: the script's interpreter on Slurm (default: the template's command).
        results: passed to the SlurmJob as wlm-operator's ``results``.
    """

    def __init__(self, header: str = "", node_selector: Optional[Dict[str, str]] = None,
                 prepare_image: Optional[str] = None,
                 prepare_image_pull_policy: Optional[str] = None,
                 collect_image: Optional[str] = None,
                 collect_image_pull_policy: Optional[str] = None, workdir: str = "/dflow-slurm",
                 remote_command: Union[str, List[str], None] = None,
                 results: Optional[Dict[str, Any]] = None) -> None:
        if not workdir.startswith("/") or "{{" in workdir:
            raise ValueError(f"SlurmJobTemplate workdir must be a literal absolute path shared "
                             f"by Kubernetes and Slurm, given {workdir!r}")
        self.header = header
        self.node_selector = dict(node_selector or {})
        self.prepare_image = prepare_image or "busybox:1.36"
        self.prepare_image_pull_policy = prepare_image_pull_policy
        self.collect_image = collect_image or self.prepare_image
        self.collect_image_pull_policy = collect_image_pull_policy
        self.workdir = workdir.rstrip("/") or "/"
        self.remote_command = [remote_command] if isinstance(remote_command, str) else \
            (list(remote_command) if remote_command else None)
        self.results = results

    def __repr__(self) -> str:
        return f"SlurmJobTemplate(workdir={self.workdir!r}, node_selector={self.node_selector!r})"

    def _volume(self) -> Tuple[Dict[str, Any], Dict[str, Any]]:
        return ({"name": "dflow-slurm", "hostPath": {"path": self.workdir,
                                                     "type": "DirectoryOrCreate"}},
                {"name": "dflow-slurm", "mountPath": self.workdir})

    def render(self, template: Template) -> Template:
        """A Steps template (prepare, job, collect) with the template's inputs and outputs."""
        if not isinstance(template, ScriptOPTemplate):
            return template
        if isinstance(template, PythonOPTemplate):
            raise ValueError(f"template {template.name!r}: SlurmJobTemplate runs script "
                             "templates; run a Python OP on Slurm with SlurmRemoteExecutor or "
                             "DispatcherExecutor")
        roots = declared_roots(template)
        base = rendered_name(template)[:50]
        q = shlex.quote
        in_paths = [a.path or f"/tmp/inputs/artifacts/{k}"
                    for k, a in template.inputs.artifacts.items()]
        out_paths = [a.path for a in template.outputs.artifacts.values() if a.path] + \
            [p.value_from_path for p in template.outputs.parameters.values() if p.value_from_path]
        # Paths inside the job dir stay inside one double-quoted word ("$d/root/tmp/x"): the
        # local engine maps a bare /tmp/x to the step's own directory, as Argo's pod sees it.

        # prepare: the script (tags filled in by Argo in its env) and inputs into the job dir
        inputs, _ = clone_io(template)
        lines = [
            f"if [ ! -d {q(self.workdir)} ]; then echo 'SlurmJobTemplate: the shared directory "
            f"{self.workdir} is not there: it runs on Argo with wlm-operator, with this "
            "directory shared by Kubernetes and Slurm' >&2; exit 2; fi",
            "set -e",
            f"d={q(self.workdir)}/{{{{workflow.name}}}}/{{{{pod.name}}}}",
            "mkdir -p \"$d/root\"",
            f"printf '%s' \"$DFLOW_NB_SCRIPT\" | sed \"s#{ROOT_MARK}#$d/root#g\" > \"$d/script\""]
        for p in in_paths:
            lines.append(f"if [ -e {q(p)} ]; then mkdir -p {_in_root(os.path.dirname(p))} && "
                         f"cp -a {q(p)} {_in_root(p)}; fi")
        for parent in sorted({os.path.dirname(p) for p in out_paths}):
            lines.append(f"mkdir -p {_in_root(parent)}")
        lines.append("echo \"$d\" > /tmp/dflow_slurm_jobdir")
        volume, mount = self._volume()
        prepare = ShellOPTemplate(
            name=f"{base}-prepare", inputs=inputs,
            outputs=Outputs({"jobdir": OutputParameter(value_from_path="/tmp/dflow_slurm_jobdir")}),
            image=self.prepare_image, image_pull_policy=self.prepare_image_pull_policy,
            script="\n".join(lines) + "\n", volumes=[volume], mounts=[mount],
            envs={"DFLOW_NB_SCRIPT": map_roots(template.script or "", roots, ROOT_MARK)})

        # job: the SlurmJob; its batch script runs the template's script in the job dir. On
        # Argo the resource template is what runs; the local engine runs its stand-in, which
        # plays wlm-operator's part with ``sbatch --wait`` (when the workdir is on this machine).
        command = self.remote_command or list(template.command)
        run = " ".join(q(c) for c in command) + " script" + \
            "".join(" " + q(str(a)) for a in template.args or [])
        body = ("cd '{{inputs.parameters.jobdir}}' || exit 1\n"
                f"{run} > stdout 2> stderr\ncode=$?\necho $code > exit_code\nexit $code\n")
        resource = SlurmJob(header=self.header, node_selector=self.node_selector,
                            results=self.results, batch_body=body)
        job = resource.template(f"{base}-job", inputs=Inputs({"jobdir": InputParameter()}),
                                timeout=template.timeout, retry_strategy=template.retry_strategy)

        # collect: outputs back to their declared paths; the job's output and exit code
        _, outputs = clone_io(template)
        lines = ["d='{{inputs.parameters.jobdir}}'"]
        for p in out_paths:
            lines.append(f"if [ -e {_in_root(p)} ]; then mkdir -p {q(os.path.dirname(p))} && "
                         f"rm -rf {q(p)} && cp -a {_in_root(p)} {q(p)}; fi")
        lines += ["[ -f \"$d/stderr\" ] && cat \"$d/stderr\" >&2",
                  "[ -f \"$d/stdout\" ] && cat \"$d/stdout\"",
                  "code=$(cat \"$d/exit_code\" 2>/dev/null || echo 1)",
                  "[ \"$code\" = 0 ] || echo \"Slurm job exited with code $code\" >&2",
                  "exit \"$code\""]
        volume, mount = self._volume()
        collect = ShellOPTemplate(
            name=f"{base}-collect", inputs=Inputs({"jobdir": InputParameter()}), outputs=outputs,
            image=self.collect_image, image_pull_policy=self.collect_image_pull_policy,
            script="\n".join(lines) + "\n", volumes=[volume], mounts=[mount])

        new = Steps(name=base)
        for k, param in template.inputs.parameters.items():
            new.inputs.parameters[k] = InputParameter(value=param.value) if param.has_value \
                else InputParameter()
        for k, a in template.inputs.artifacts.items():
            new.inputs.artifacts[k] = InputArtifact(optional=a.optional)
        s_prepare = Step("prepare", prepare,
                         parameters={k: new.inputs.parameters[k] for k in inputs.parameters},
                         artifacts={k: new.inputs.artifacts[k] for k in inputs.artifacts})
        s_job = Step("job", job, parameters={"jobdir": s_prepare.outputs.parameters["jobdir"]})
        s_collect = Step("collect", collect,
                         parameters={"jobdir": s_prepare.outputs.parameters["jobdir"]})
        new.add(s_prepare)
        new.add(s_job)
        new.add(s_collect)
        for k in outputs.parameters:
            new.outputs.parameters[k] = OutputParameter(
                value_from_parameter=s_collect.outputs.parameters[k])
        for k in outputs.artifacts:
            new.outputs.artifacts[k] = OutputArtifact(_from=s_collect.outputs.artifacts[k])
        return new

