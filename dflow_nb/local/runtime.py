"""The process-wide home of the local engine: an event-loop thread and a warm worker pool.

``run`` hands a workflow (already recorded in a work directory's state database) to the loop
and returns a concurrent Future at once, so a notebook stays responsive; ``wait`` is
``future.result()``. Workers stay warm across workflows. A detached run is the same thing in a
daemon process (``python -m dflow_nb.local.daemon``).
"""
from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import os
import threading
import traceback
from pathlib import Path
from typing import Dict, Optional, Tuple

from dflow_nb.hub.records import StepRecord
from dflow_nb.hub.workflow import Workflow
from dflow_nb.local.engine import Run
from dflow_nb.local.state import StateStore
from dflow_nb.local.worker_pool import WorkerPool


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
        from dflow_nb.config import config
        cpus = os.cpu_count() or 1
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="dflow-nb-engine",
                                       daemon=True)
        self.thread.start()
        self.pool = WorkerPool(int(config.get("debug_pool_workers") or cpus))
        self._max_procs = int(config.get("debug_max_processes") or 2 * cpus)
        self._processes: Optional[asyncio.Semaphore] = None
        self._stores: Dict[Path, StateStore] = {}
        self._store_lock = threading.Lock()
        self.runs: Dict[str, Run] = {}
        atexit.register(self.close)

    def store(self, workdir: Path) -> StateStore:
        """The one writer connection of this process to a work directory's database."""
        workdir = workdir.resolve()
        with self._store_lock:
            if workdir not in self._stores:
                self._stores[workdir] = StateStore(workdir)
            return self._stores[workdir]

    def run(self, workflow: Workflow, wf_id: str, workdir: Path,
            reuse: Optional[Dict[str, StepRecord]] = None, resume: bool = False
            ) -> concurrent.futures.Future[Tuple[str, Optional[str]]]:
        """Run a recorded workflow here; with ``resume``, its Succeeded nodes are not re-run.

        The Future resolves to (phase, message).
        """
        store = self.store(workdir)
        wf_dir = workdir.resolve() / wf_id
        wf_dir.mkdir(parents=True, exist_ok=True)
        prior = store.succeeded_nodes(wf_id) if resume else None
        if resume:
            for n in store.open_nodes(wf_id):   # what a dead engine left running
                n.update(phase="Failed", message="interrupted: the engine stopped")
                store.upsert_node(wf_id, n)
        store.claim(wf_id, os.getpid())

        async def go() -> Tuple[str, Optional[str]]:
            if self._processes is None:
                self._processes = asyncio.Semaphore(self._max_procs)
            run = Run(workflow, wf_id, wf_dir, store, self.pool, self._processes, reuse, prior)
            self.runs[wf_id] = run
            phase, message, outputs = "Error", None, {}
            try:
                phase, message = await run.main()
                outputs = run.global_outputs()
            except asyncio.CancelledError:
                phase, message = "Failed", "Stopped with strategy 'Terminate'"
            except Exception as exc:  # an engine bug must still end the workflow, visibly
                phase, message = "Error", f"engine error: {type(exc).__name__}: {exc}"
                traceback.print_exc()
                run.close_open_nodes(message)
            finally:
                store.finish_workflow(wf_id, phase, message, outputs)
                self.runs.pop(wf_id, None)
            return phase, message

        return asyncio.run_coroutine_threadsafe(go(), self.loop)

    def close(self) -> None:
        self.pool.close()
