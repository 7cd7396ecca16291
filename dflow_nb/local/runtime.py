"""The process-wide home of the local engine: an event-loop thread and a warm worker pool.

``submit`` hands a workflow to the loop and returns a concurrent Future at once, so a notebook
stays responsive; ``wait`` is just ``future.result()``. Workers stay warm across workflows.
"""
from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import os
import threading
import traceback
from pathlib import Path
from typing import Any, Dict, Optional

from .engine import Run
from .state import StateStore
from .workers import WorkerPool


class LocalRuntime:
    _instance: Optional["LocalRuntime"] = None
    _lock = threading.Lock()

    @classmethod
    def get(cls) -> "LocalRuntime":
        with cls._lock:
            if cls._instance is None:
                cls._instance = cls()
            return cls._instance

    def __init__(self) -> None:
        from ..config import config
        cpus = os.cpu_count() or 1
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="dflow-nb-engine",
                                       daemon=True)
        self.thread.start()
        self.pool = WorkerPool(int(config.get("debug_pool_workers") or cpus))
        self._max_procs = int(config.get("debug_max_processes") or 2 * cpus)
        self._processes: Optional[asyncio.Semaphore] = None
        self._stores: Dict[Path, StateStore] = {}
        self.tasks: Dict[str, asyncio.Task] = {}
        self.runs: Dict[str, Run] = {}
        atexit.register(self.close)

    def store(self, workdir: Path) -> StateStore:
        workdir = workdir.resolve()
        if workdir not in self._stores:
            self._stores[workdir] = StateStore(workdir)
        return self._stores[workdir]

    def submit(self, workflow: Any, wf_id: str, workdir: Path, spec: Optional[bytes],
               reuse: Optional[Dict[str, Any]] = None) -> concurrent.futures.Future:
        """Start running ``workflow``; the Future resolves to (phase, message)."""
        store = self.store(workdir)
        wf_dir = workdir.resolve() / wf_id
        wf_dir.mkdir(parents=True, exist_ok=True)
        store.create_workflow(wf_id, workflow.name, wf_dir, spec)

        async def go() -> Any:
            if self._processes is None:
                self._processes = asyncio.Semaphore(self._max_procs)
            run = Run(workflow, wf_id, wf_dir, store, self.pool, self._processes, reuse)
            self.runs[wf_id] = run
            phase, message = "Error", None
            try:
                phase, message = await run.main()
            except asyncio.CancelledError:
                phase, message = "Failed", "Stopped with strategy 'Terminate'"
            except Exception as exc:  # an engine bug must still end the workflow, visibly
                phase, message = "Error", f"engine error: {exc}"
                traceback.print_exc()
            finally:
                outputs = getattr(run, "globals", None) is not None and run.global_outputs() or {}
                store.finish_workflow(wf_id, phase, message, outputs)
                self.tasks.pop(wf_id, None)
            return phase, message

        def start() -> None:
            self.tasks[wf_id] = self.loop.create_task(go())

        fut: concurrent.futures.Future = concurrent.futures.Future()

        async def wrapper() -> None:
            start()
            try:
                fut.set_result(await self.tasks[wf_id])
            except BaseException as exc:
                fut.set_exception(exc)

        asyncio.run_coroutine_threadsafe(wrapper(), self.loop)
        return fut

    def terminate(self, wf_id: str) -> bool:
        """Cancel a running workflow: running steps are killed (their process groups)."""
        task = self.tasks.get(wf_id)
        if task is None:
            return False
        run = self.runs.get(wf_id)
        if run is not None:
            run.cancelled = True
        self.loop.call_soon_threadsafe(task.cancel)
        return True

    def close(self) -> None:
        self.pool.close()
