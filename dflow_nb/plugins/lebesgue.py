"""Dflow's Lebesgue plug-in: Lebesgue was Bohrium's predecessor (Dflow itself deprecates it).
Its names import; using one says what it needs."""
from __future__ import annotations

from dflow_nb.model.executor import Context, Executor
from dflow_nb.plugins._unavailable import unavailable_class

NEEDS = "DP Technology's Lebesgue cloud (deprecated by Dflow in favour of Bohrium)"
LebesgueExecutor = unavailable_class("LebesgueExecutor", NEEDS, (Executor,))
LebesgueContext = unavailable_class("LebesgueContext", NEEDS, (Context,))

__all__ = ["LebesgueContext", "LebesgueExecutor"]
