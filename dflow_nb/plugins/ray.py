"""Dflow's Ray plug-in (``RayClusterExecutor``): a step run on a Ray cluster that Argo starts on
Kubernetes (KubeRay). It imports here; using it says what it needs."""
from __future__ import annotations

from dflow_nb.model.executor import Executor
from dflow_nb.plugins._unavailable import unavailable_class

RayClusterExecutor = unavailable_class(
    "RayClusterExecutor", "a Ray cluster on Kubernetes (KubeRay, under Argo)", (Executor,))

__all__ = ["RayClusterExecutor"]
