"""Executors that run a step elsewhere: HPC queues through DPDispatcher (``dispatcher``)."""
from __future__ import annotations

from typing import Any

__all__ = ["DispatcherExecutor"]


def __getattr__(name: str) -> Any:
    # Imported lazily: ``dflow_nb.plugins`` must not cost an import of the dispatcher module.
    if name == "DispatcherExecutor":
        from dflow_nb.plugins.dispatcher import DispatcherExecutor
        return DispatcherExecutor
    raise AttributeError(name)
