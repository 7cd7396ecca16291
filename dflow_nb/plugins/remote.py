"""RemoteExecutor (Dflow's): run a step's script on another machine over SSH, no scheduler.

It is a DispatcherExecutor with DPDispatcher's ``Shell`` batch: the step's files go to
``workdir`` on the host, the script runs there, the outputs come back. ``host="localhost"``
runs it on this machine (LocalContext), which is also how it is tested here.
"""
from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Union

from dflow_nb.plugins.dispatcher import DispatcherExecutor


class RemoteExecutor(DispatcherExecutor):
    """Run a step on ``host`` over SSH (Dflow's arguments).

    Subclasses change ``batch_type`` (``SlurmRemoteExecutor`` submits to Slurm) and pass
    DispatcherExecutor's other arguments (``resources_dict``, ``check_interval``...) through.

    Args:
        host, port, username, password, private_key_file: the SSH login; ``"localhost"``
            runs the step on the machine that runs the workflow.
        workdir: where the step runs on the host (``{{workflow.name}}``, ``{{pod.name}}`` and a
            leading ``~/`` are filled in).
        command / remote_command: the interpreter of the script on the host.
        image, image_pull_policy: the pod that drives it on Argo.
        map_tmp_dir: point the script's ``/tmp`` at the job's directory.
        docker_executable, singularity_executable, podman_executable: run the step in the
            template's image on the host.
        python: the host's interpreter for Python OPs.
    """

    batch_type = "Shell"

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
                 python: Optional[str] = None, envs: Optional[Dict[str, str]] = None,
                 **kwargs: Any) -> None:
        local = host in ("localhost", "127.0.0.1")
        machine: Dict[str, Any] = {"batch_type": self.batch_type, "remote_root": workdir}
        if local:
            machine["context_type"] = "LocalContext"
            machine["remote_profile"] = {}
        self.workdir_template = workdir
        super().__init__(
            host=None if local else host, port=port, username=username, password=password,
            private_key_file=private_key_file, image=image,
            image_pull_policy=image_pull_policy, remote_command=remote_command or command,
            map_tmp_dir=map_tmp_dir, machine_dict=machine,
            docker_executable=docker_executable, singularity_executable=singularity_executable,
            podman_executable=podman_executable,
            retry_on_submission_error=action_retries if action_retries > 0 else None,
            python=python, envs=envs, **kwargs)
        if local:
            self.machine_dict.pop("remote_profile", None)

    def __repr__(self) -> str:
        where = (self.machine_dict.get("remote_profile") or {}).get("hostname") or "localhost"
        return (f"{type(self).__name__}(host={where!r}, workdir={self.workdir_template!r}"
                f"{', password=***' if self.password else ''})")


__all__ = ["RemoteExecutor"]
