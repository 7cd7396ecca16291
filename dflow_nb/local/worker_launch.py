"""Starting warm worker processes, before the engine runs.

``Workflow.submit`` launches a run's first worker before anything else (``launch_ahead``): it
starts up (an interpreter, the OP runner's imports) on the other core while this process
validates, seals and records the model and imports the engine, tens of milliseconds each. The
pool (``worker_pool``) takes launched workers over, or launches one when it needs it. Nothing
here imports asyncio or the engine, so launching costs a fork and an exec.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from typing import TYPE_CHECKING, List

from dflow_nb.local.step_processes import ENGINE, engine_tag

if TYPE_CHECKING:
    from dflow_nb.hub.workflow import Workflow

Popen = subprocess.Popen

_lock = threading.Lock()
_ahead: List["Popen[bytes]"] = []   # launched, not yet taken by the pool
_pool_running = False


def launch() -> "Popen[bytes]":
    """A new worker process, leading a process group of its own, its stdin and stdout the
    engine's pipes to it."""
    env = dict(os.environ)
    env[ENGINE] = engine_tag()   # inherited by what the OPs start: see step_processes
    env["PYTHONPATH"] = os.pathsep.join([p for p in sys.path if p] +
                                        [env.get("PYTHONPATH", "")])
    return subprocess.Popen([sys.executable, "-m", "dflow_nb.local.worker"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
                            start_new_session=True)


def runs_python_ops(workflow: Workflow) -> bool:
    """Whether the workflow may need the warm workers (it reaches a Python OP template)."""
    from dflow_nb.model.composite import templates_of
    from dflow_nb.python.python_op_template import PythonOPTemplate
    if workflow.entrypoint is None:
        return False
    return any(isinstance(t, PythonOPTemplate) for t in
               templates_of(workflow.entrypoint, [workflow.on_exit]).values())


def launch_ahead() -> None:
    """Launch the first worker of this process's pool now, unless the pool runs already (its
    workers are warm) or one is waiting to be taken."""
    with _lock:
        if not _pool_running and not _ahead:
            _ahead.append(launch())


def take() -> "Popen[bytes]":
    """A worker for the pool: one launched ahead if there is one, else a new one."""
    with _lock:
        if _ahead:
            return _ahead.pop(0)
    return launch()


def pool_running(running: bool) -> None:
    """The pool has started (it launches what it needs) or has been closed; closing it kills
    the workers launched for it and not taken."""
    global _pool_running
    with _lock:
        _pool_running = running
        while not running and _ahead:
            kill(_ahead.pop())


def kill(popen: "Popen[bytes]") -> None:
    """SIGKILL a worker's process group (it leads it: the OP's children die with it), and
    reap the worker once it is gone, on a thread of its own (moments: nothing blocks)."""
    try:
        os.killpg(popen.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        threading.Thread(target=popen.wait, name="dflow-nb-reap", daemon=True).start()
    except RuntimeError:
        pass   # the interpreter is exiting (no new threads): init reaps what it leaves
