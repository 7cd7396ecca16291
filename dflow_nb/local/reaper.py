"""What a dead engine left running: a run recorded as Running whose engine process is gone
(SIGKILL, out of memory...) still has its step processes, in sessions of their own that nothing
else ends. The next engine in that work directory, or ``resume()``, ends them (by the PIDs the
state recorded, checked against their start times, and by their tags) and records the run's end.
"""
from __future__ import annotations

import os
from typing import Optional

from dflow_nb.local.state import StateStore
from dflow_nb.local.step_processes import alive, end, end_recorded, own_start_time, tagged

INTERRUPTED = "interrupted: the engine stopped"


def engine_gone_message(pid: Optional[int]) -> str:
    """How every face tells that a run's engine is gone."""
    return (f"the engine running this workflow (process {pid}) is gone; "
            "Workflow(id=...).resume() continues it")


def end_leftovers(store: StateStore, wf_id: str, wf_dir: str, pid: int,
                  started: Optional[int]) -> None:
    """End the step processes a dead engine (``pid`` started at ``started``) left for the run."""
    end_recorded(store.processes(wf_id))
    if started is not None:   # tags name the engine by its PID and start time
        end(tagged(f"{pid}-{started}", wf_dir, under=True))


def reap(store: StateStore, only: Optional[str] = None) -> None:
    """For each run of the work directory (or only run ``only``) recorded as Pending or
    Running by an engine that is dead for sure (its PID is gone, or is now another process),
    end its step processes and record it as Error. A run another process took over meanwhile
    (``resume()`` elsewhere) is left as it is."""
    me = (os.getpid(), own_start_time())
    for row in store.engines():
        if only is not None and row["id"] != only:
            continue
        pid, started = row["engine_pid"], row["engine_started"]
        if (pid, started) == me or alive(pid, started):
            continue
        end_leftovers(store, row["id"], row["dir"], pid, started)
        store.end_run(row["id"], "Error", engine_gone_message(pid), {}, INTERRUPTED,
                      engine=(pid, started))
