"""The warm pool of Python OP workers, driven from the engine's asyncio loop.

Each worker is its own process group, so a timeout or a terminate kills the OP and anything it
spawned, and only that worker is replaced: the other steps carry on.
"""
from __future__ import annotations

import asyncio
import os
import pickle
import signal
import sys
from typing import Any, Callable, Dict, List, Optional, Set

from dflow_nb.local.step_processes import ENGINE, engine_tag, start_time
from dflow_nb.local.worker import HEADER


class WorkerDied(RuntimeError):
    """The worker process ended mid-task (killed by a signal, out of memory...)."""


class _Worker:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.ops: Set[str] = set()   # digests of the OPs this worker has loaded
        self.started = start_time(proc.pid)   # tells it from a later process with its PID

    async def call(self, task: Dict[str, Any]) -> Dict[str, Any]:
        """Send ``task`` (its pickled OP only if this worker has not loaded it) and wait for
        the reply."""
        key = task["op_key"]
        if key in self.ops:
            task = dict(task, op=None, sources=None)
        data = pickle.dumps(task, protocol=pickle.HIGHEST_PROTOCOL)
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(HEADER.pack(len(data)) + data)
        await self.proc.stdin.drain()
        try:
            head = await self.proc.stdout.readexactly(HEADER.size)
            (size,) = HEADER.unpack(head)
            reply = pickle.loads(await self.proc.stdout.readexactly(size))
        except (asyncio.IncompleteReadError, ConnectionResetError):
            code = await self.proc.wait()
            raise WorkerDied(_death(code)) from None
        if reply["ok"]:
            self.ops.add(key)
        return reply

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _death(code: int) -> str:
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"the OP's process was killed by {name}"
    return f"the OP's process exited with code {code}"


class WorkerPool:
    """``size`` warm workers; ``run`` waits for an idle one."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._idle: Optional[asyncio.Queue] = None
        self._all: List[_Worker] = []

    async def _spawn(self) -> _Worker:
        env = dict(os.environ)
        env[ENGINE] = engine_tag()   # inherited by what the OPs start: see step_processes
        env["PYTHONPATH"] = os.pathsep.join([p for p in sys.path if p] +
                                            [env.get("PYTHONPATH", "")])
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "dflow_nb.local.worker", stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, env=env, start_new_session=True)
        worker = _Worker(proc)
        self._all.append(worker)
        return worker

    @property
    def started(self) -> bool:
        return self._idle is not None

    async def start(self) -> None:
        """Start the workers now (a run's first OP would start them otherwise); if they
        cannot start, the first OP tries again and reports why."""
        try:
            await self._ensure()
        except Exception:
            self.close()

    async def _ensure(self) -> asyncio.Queue:
        if self._idle is None:
            self._idle = asyncio.Queue()
            for w in await asyncio.gather(*(self._spawn() for _ in range(self.size))):
                self._idle.put_nowait(w)
        return self._idle

    async def run(self, task: Dict[str, Any], timeout: Optional[float] = None,
                  on_start: Optional[Callable[[int, Optional[int]], None]] = None
                  ) -> Dict[str, Any]:
        """Run one OP task; on timeout or cancellation the worker is killed and replaced.
        ``on_start`` learns the PID of the worker (it leads its group) that runs it, and when
        that process started."""
        idle = await self._ensure()
        worker = await idle.get()
        healthy = False
        try:
            if on_start is not None:
                on_start(worker.proc.pid, worker.started)
            reply = await asyncio.wait_for(worker.call(task), timeout)
            healthy = True
            return reply
        finally:
            if healthy:
                idle.put_nowait(worker)
            else:
                worker.kill()
                self._all.remove(worker)
                idle.put_nowait(await self._spawn())

    def close(self) -> None:
        for w in self._all:
            w.kill()
        self._all.clear()
        self._idle = None
