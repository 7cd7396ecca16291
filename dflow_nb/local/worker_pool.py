"""The warm pool of Python OP workers, driven from the engine's asyncio loop.

Each worker is its own process group, so a timeout or a terminate kills the OP and anything it
spawned, and only that worker is replaced: the other steps carry on. Workers start as OPs need
them, up to ``size`` (the first one usually launched by ``Workflow.submit``: ``worker_launch``),
and stay warm for the next runs of the process.
"""
from __future__ import annotations

import asyncio
import pickle
import signal
from typing import Any, Callable, Dict, List, Optional, Set

from dflow_nb.local.step_processes import start_time
from dflow_nb.local.worker import HEADER
from dflow_nb.local.worker_launch import Popen, kill, pool_running, take


class WorkerDied(RuntimeError):
    """The worker process ended mid-task (killed by a signal, out of memory...)."""


class _Process:
    """A launched worker as the engine's loop drives it: its pipes as asyncio streams."""

    def __init__(self, popen: "Popen[bytes]", stdin: asyncio.StreamWriter,
                 stdout: asyncio.StreamReader) -> None:
        self.popen = popen
        self.pid = popen.pid
        self.stdin = stdin
        self.stdout = stdout

    @classmethod
    async def adopt(cls, popen: "Popen[bytes]") -> "_Process":
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        assert popen.stdin is not None and popen.stdout is not None
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), popen.stdout)
        transport, protocol = await loop.connect_write_pipe(
            lambda: asyncio.StreamReaderProtocol(asyncio.StreamReader()), popen.stdin)
        return cls(popen, asyncio.StreamWriter(transport, protocol, None, loop), reader)

    async def wait(self) -> int:
        """Its exit code, once it has exited (its pipe is closed: that is moments away)."""
        while self.popen.poll() is None:
            await asyncio.sleep(0.005)
        return self.popen.returncode


class _Worker:
    def __init__(self, proc: _Process) -> None:
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
        kill(self.proc.popen)


def _death(code: int) -> str:
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"the OP's process was killed by {name}"
    return f"the OP's process exited with code {code}"


class _Idle(asyncio.Queue):
    """The idle workers; ``waiting``: how many callers wait for one."""

    waiting = 0

    async def get(self) -> _Worker:
        self.waiting += 1
        try:
            return await super().get()
        finally:
            self.waiting -= 1


class WorkerPool:
    """``size`` warm workers; ``run`` waits for an idle one."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._idle: Optional[_Idle] = None
        self._all: List[_Worker] = []
        self._starting = 0   # launched, being connected to the loop

    async def _spawn(self) -> _Worker:
        popen = take()
        self._starting += 1
        try:
            worker = _Worker(await _Process.adopt(popen))
        except BaseException:
            kill(popen)
            raise
        finally:
            self._starting -= 1
        self._all.append(worker)
        return worker

    @property
    def started(self) -> bool:
        return self._idle is not None

    async def start(self) -> None:
        """Start the first worker now (a run's first OP would start it otherwise); if it
        cannot start, the first OP tries again and reports why."""
        if self._idle is not None:
            return
        try:
            await self._add(self._queue())
        except Exception:
            self.close()

    def _queue(self) -> "_Idle":
        if self._idle is None:
            self._idle = _Idle()
            pool_running(True)
        return self._idle

    async def _add(self, idle: "_Idle") -> None:
        idle.put_nowait(await self._spawn())

    async def _ensure(self) -> "_Idle":
        """The idle workers, for a caller about to wait for one. A worker is started when
        those idle or starting are fewer than the callers waiting, this one included, and
        fewer than ``size`` run: one OP at a time keeps one worker (the other cores stay
        free), a fan-out gets ``size``."""
        idle = self._queue()
        if idle.qsize() + self._starting <= idle.waiting and \
                len(self._all) + self._starting < self.size:
            await self._add(idle)
        return idle

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
        pool_running(False)
        self._all.clear()
        self._idle = None
