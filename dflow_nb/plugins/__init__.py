"""Every executor: what renders a leaf template for it and what runs inside the step.

``dispatcher`` (DPDispatcher: Slurm, PBS, LSF, Bohrium, SSH...), ``remote`` (a script over
SSH, no scheduler), ``slurm`` (Dflow's Slurm executors and wlm-operator's SlurmJob),
``container`` (podman, docker, singularity). Dflow's other plug-in modules are here under their
names: ``launching`` (OP_to_parser), ``oss`` (OSSClient), and ``ray``, ``bohrium``,
``datasets``, ``metadata``, ``lebesgue``, whose services dflow_nb does not drive (their names
import; using one says what it needs). Each
``*_run`` module is what the rendered step's script calls where the step runs; ``slices_run``
runs a merged sliced step. Names load on first use: importing this package costs no executor
module (and none of them imports DPDispatcher until a step submits a job).
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, List

if TYPE_CHECKING:
    from dflow_nb.plugins.container import ContainerExecutor
    from dflow_nb.plugins.dispatcher import DispatcherExecutor
    from dflow_nb.plugins.remote import RemoteExecutor
    from dflow_nb.plugins.slurm import SlurmJob, SlurmJobTemplate, SlurmRemoteExecutor

_MODULES = {
    "DispatcherExecutor": "dispatcher",
    "ContainerExecutor": "container",
    "SlurmRemoteExecutor": "slurm",
    "SlurmJobTemplate": "slurm",
    "SlurmJob": "slurm",
    "RemoteExecutor": "remote",
}

__all__ = ["ContainerExecutor", "DispatcherExecutor", "RemoteExecutor", "SlurmJob",
           "SlurmJobTemplate", "SlurmRemoteExecutor"]


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def __dir__() -> List[str]:
    return sorted(list(globals()) + __all__)
