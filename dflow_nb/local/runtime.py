"""The process-wide home of the local engine: an event-loop thread and a warm worker pool.

``run`` hands a workflow (already recorded in a work directory's state database) to the loop
and returns a concurrent Future at once, so a notebook stays responsive; ``wait`` is
``future.result()``. Workers stay warm across workflows. A detached run is the same thing in a
daemon process (``python -m dflow_nb.local.daemon``).

A run never outlives its engine unseen: when the process exits (a script's end, Ctrl-C) or gets
SIGTERM/SIGHUP, its runs are terminated and recorded as stopped before it goes (a detached run
has a daemon of its own); what a SIGKILLed engine left is ended by the next engine started in
that work directory (``reaper``). A run's end that the state cannot take (a full disk) is kept
here and written when it can be.
"""
from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import os
import signal
import sys
import threading
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from dflow_nb.local.reaper import INTERRUPTED, reap
from dflow_nb.local.state import StateError, StateStore
from dflow_nb.local.step_processes import own_start_time
from dflow_nb.local.worker_launch import runs_python_ops
from dflow_nb.local.worker_pool import WorkerPool

if TYPE_CHECKING:
    from dflow_nb.hub.records import StepRecord
    from dflow_nb.hub.workflow import Workflow
    from dflow_nb.local.engine import Run

STOP_GRACE = 10.0   # seconds the runs get to record their end when the process goes away


@dataclass
class Ending:
    """A run's end the state database could not take yet."""

    store: StateStore
    phase: str
    message: Optional[str]
    outputs: Dict[str, Any]
    changes: List[Tuple[str, tuple]] = field(default_factory=list)   # its nodes' last, unwritten


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
        self.futures: Dict[str, concurrent.futures.Future[Tuple[str, Optional[str]]]] = {}
        self.unrecorded: Dict[str, Ending] = {}
        atexit.register(self.close)
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGHUP):
                if signal.getsignal(sig) is signal.SIG_DFL:   # never a handler the user set
                    signal.signal(sig, self._on_signal)

    def store(self, workdir: Path) -> StateStore:
        """The one writer connection of this process to a work directory's database (found
        by the absolute path it was asked for before, else by the resolved one)."""
        with self._store_lock:
            known = self._stores.get(workdir) if workdir.is_absolute() else None
            if known is not None:
                return known
            resolved = workdir.resolve()
            if resolved not in self._stores:
                store = StateStore(resolved)
                reap(store)   # an engine starts here: end what dead ones left running
                self._stores[resolved] = store
            if workdir.is_absolute():
                self._stores[workdir] = self._stores[resolved]
            return self._stores[resolved]

    def run(self, workflow: Workflow, wf_id: str, workdir: Path,
            reuse: Optional[Dict[str, StepRecord]] = None, resume: bool = False,
            echo: bool = False, claimed: bool = False
            ) -> concurrent.futures.Future[Tuple[str, Optional[str]]]:
        """Run a recorded workflow here; with ``resume``, its Succeeded nodes are not re-run;
        with ``echo``, each step's output is printed on this process's console when it ends;
        ``claimed``: the run was recorded as this process's already (``create_workflow``).

        The Future resolves to (phase, message).
        """
        from dflow_nb.local.engine import Run  # imported while the workers start
        store = self.store(workdir)
        wf_dir = store.path.parent / wf_id
        wf_dir.mkdir(parents=True, exist_ok=True)
        prior = store.succeeded_nodes(wf_id) if resume else None
        if resume:
            reap(store, only=wf_id)
            for n in store.open_nodes(wf_id):   # what a dead engine left running
                n.update(phase="Failed", message=INTERRUPTED)
                store.upsert_node(wf_id, n)
        if not claimed:
            store.claim(wf_id, os.getpid(), own_start_time())

        async def go() -> Tuple[str, Optional[str]]:
            if self._processes is None:
                self._processes = asyncio.Semaphore(self._max_procs)
            if not self.pool.started and runs_python_ops(workflow):
                # the workers start while the engine records and walks the run, not after
                asyncio.ensure_future(self.pool.start())
            run = Run(workflow, wf_id, wf_dir, store, self.pool, self._processes, reuse, prior,
                      echo)
            self.runs[wf_id] = run
            phase: str = "Error"
            message: Optional[str] = None
            outputs: Dict[str, Any] = {}
            try:
                phase, message = await run.main()   # it returns once its nodes have settled
                outputs = run.global_outputs()
            except asyncio.CancelledError:
                phase, message = "Failed", "Stopped with strategy 'Terminate'"
            except StateError as exc:   # the state cannot be written (a full disk)
                phase, message = "Error", str(exc)
            except Exception as exc:  # an engine bug must still end the workflow, visibly
                phase, message = "Error", f"engine error: {type(exc).__name__}: {exc}"
                traceback.print_exc()
            finally:   # the nodes' last changes and the run's end in one transaction
                self.record_end(wf_id, Ending(store, phase, message, outputs, run.book.take()))
                self.runs.pop(wf_id, None)
            return phase, message

        future = asyncio.run_coroutine_threadsafe(go(), self.loop)
        self.futures[wf_id] = future
        future.add_done_callback(lambda _: self.futures.pop(wf_id, None))
        return future

    def record_end(self, wf_id: str, ending: Ending) -> bool:
        """Write a run's end (its open nodes closed, then its phase, in one transaction); if
        the state cannot take it, keep it to write later. True once it is written."""
        try:
            ending.store.end_run(wf_id, ending.phase, ending.message, ending.outputs,
                                 ending.message or ending.phase, before=ending.changes)
        except StateError as exc:
            if wf_id not in self.unrecorded:
                print(f"dflow-nb: workflow {wf_id} ended ({ending.phase}: {ending.message}); "
                      f"not recorded yet ({exc}): it is written when the state can take it",
                      file=sys.stderr)
            self.unrecorded[wf_id] = ending
            return False
        self.unrecorded.pop(wf_id, None)
        return True

    def ending(self, wf_id: str) -> Optional[Tuple[str, Optional[str]]]:
        """(phase, message) of a run of this process whose end the state could not take when
        it came (written now if it can be); None for any other run."""
        ending = self.unrecorded.get(wf_id)
        if ending is None:
            return None
        self.record_end(wf_id, ending)
        return ending.phase, ending.message

    def stop_all(self, reason: str) -> None:
        """Terminate every run of this process and wait (``STOP_GRACE`` at most) until each
        has recorded its end; the steps of a run that could not are killed all the same."""
        runs = list(self.runs.values())
        for run in runs:
            self.loop.call_soon_threadsafe(run.halt, reason)
        pending = [f for f in list(self.futures.values()) if not f.done()]
        try:
            concurrent.futures.wait(pending, timeout=STOP_GRACE)
        finally:
            for run in runs:
                run.leaves.end_all()

    def _on_signal(self, signum: int, frame: Any) -> None:
        """SIGTERM/SIGHUP: stop the runs (recorded as stopped), then die of the signal."""
        self.stop_all(f"the engine's process received {signal.Signals(signum).name}")
        self.pool.close()
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    def close(self) -> None:
        """At exit (a script's end, an uncaught Ctrl-C): stop the runs, then the workers."""
        if self.runs:
            self.stop_all("the engine's process exited")
        self.pool.close()
