"""The warm pool of Python OP workers, driven from the engine's asyncio loop.

Each worker is its own process group, so a timeout or a terminate kills the OP and anything it
spawned, and only that worker is replaced: the other steps carry on.

An OP whose runs are short (a fan-out of small slices) is sent to a worker while it still
runs earlier ones (up to ``DEPTH`` tasks in its pipe, refilled ``REFILL`` at a time, so the
records of the tasks sent together go in one commit): the worker never waits for the engine
between two slices. A worker runs its tasks in order, so when it dies only the first unanswered
task was running: the others go to another worker. Any other task (the OP's first run, a slow
OP, a task with a timeout) goes to a worker with nothing else to do and nothing is queued behind
it, so a long step never holds short ones back, and the clock of a timeout starts when its task
does (killing the worker on timeout hits that task alone).
"""
from __future__ import annotations

import asyncio
import collections
import os
import pickle
import signal
import sys
from dataclasses import dataclass
from typing import Any, Callable, Deque, Dict, List, Optional, Set, Tuple

from dflow_nb.local.step_processes import ENGINE, engine_tag, start_time
from dflow_nb.local.worker import HEADER

DEPTH = 4      # tasks of a short OP in a worker's pipe at most
REFILL = 2     # a worker takes short tasks again once this many places are free
SHORT = 0.05   # seconds: an OP whose last run took less is short
OnStart = Callable[[int, Optional[int]], None]


class WorkerDied(RuntimeError):
    """The worker process ended mid-task (killed by a signal, out of memory...)."""


@dataclass
class _Job:
    task: Dict[str, Any]
    reply: "asyncio.Future[Dict[str, Any]]"
    alone: bool                # runs on a worker with nothing else in its pipe
    on_start: Optional[OnStart]
    commit: Optional[Callable[[], None]]   # writes what on_start recorded
    sent: asyncio.Event


class _Worker:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.ops: Set[str] = set()   # digests of the OPs this worker was sent
        self.started = start_time(proc.pid)   # tells it from a later process with its PID
        self.sent: Deque[_Job] = collections.deque()   # in its pipe, in order; [0] is running
        self.retired = False

    def send(self, job: _Job) -> None:
        """Write the job's task (its pickled OP only if this worker was not sent it yet: the
        worker loads OPs in the order it gets them)."""
        task, key = job.task, job.task["op_key"]
        if key in self.ops:
            task = dict(task, op=None, sources=None)
        self.ops.add(key)
        data = pickle.dumps(task, protocol=pickle.HIGHEST_PROTOCOL)
        assert self.proc.stdin is not None
        self.proc.stdin.write(HEADER.pack(len(data)) + data)
        self.sent.append(job)

    def kill(self) -> None:
        self.retired = True
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _takes(worker: _Worker, job: _Job, taking: int) -> bool:
    """Whether ``worker`` has room for ``job``, besides the ``taking`` tasks it takes already
    (short ones: a worker given a task that runs alone takes nothing more)."""
    queued = len(worker.sent) + taking
    if job.alone:
        return queued == 0
    if worker.sent and worker.sent[0].alone:
        return False
    return queued < DEPTH and (taking > 0 or queued <= DEPTH - REFILL)


def _death(code: int) -> str:
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"the OP's process was killed by {name}"
    return f"the OP's process exited with code {code}"


class WorkerPool:
    """``size`` warm workers; ``run`` queues a task for the first with room."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._workers: Optional[List[_Worker]] = None
        self._starting: Optional["asyncio.Future[List[_Worker]]"] = None
        self._backlog: Deque[_Job] = collections.deque()
        self._readers: Set["asyncio.Task[None]"] = set()
        self._seconds: Dict[str, float] = {}   # OP digest -> how long its last run took
        self._pumping: Optional[asyncio.Handle] = None

    async def _spawn(self) -> _Worker:
        env = dict(os.environ)
        env[ENGINE] = engine_tag()   # inherited by what the OPs start: see step_processes
        env["PYTHONPATH"] = os.pathsep.join([p for p in sys.path if p] +
                                            [env.get("PYTHONPATH", "")])
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "dflow_nb.local.worker", stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, env=env, start_new_session=True)
        worker = _Worker(proc)
        reader = asyncio.ensure_future(self._read(worker))
        self._readers.add(reader)
        reader.add_done_callback(self._readers.discard)
        return worker

    @property
    def started(self) -> bool:
        return self._starting is not None

    async def start(self) -> None:
        """Start the workers now (a run's first OP would start them otherwise); if they
        cannot start, the first OP tries again and reports why."""
        try:
            await self._ensure()
        except Exception:
            self.close()

    async def _ensure(self) -> List[_Worker]:
        """The workers, started by the first caller (the others wait for the same start)."""
        if self._starting is None:
            self._starting = asyncio.ensure_future(self._start_all())
        try:
            return await asyncio.shield(self._starting)
        except BaseException:
            if self._starting.done():
                self._starting = None   # a later call tries again
            raise

    async def _start_all(self) -> List[_Worker]:
        self._workers = list(await asyncio.gather(*(self._spawn() for _ in range(self.size))))
        self._pump_soon()
        return self._workers

    async def run(self, task: Dict[str, Any], timeout: Optional[float] = None,
                  on_start: Optional[OnStart] = None,
                  commit: Optional[Callable[[], None]] = None) -> Dict[str, Any]:
        """Run one OP task; on timeout or cancellation its worker is killed and replaced.
        Before the task is sent, ``on_start`` learns the PID of the worker (it leads its group)
        that runs it and when that process started, then ``commit`` writes what it recorded
        (once for the tasks sent together)."""
        await self._ensure()
        alone = timeout is not None or self._seconds.get(task["op_key"], SHORT) >= SHORT
        job = _Job(task, asyncio.get_running_loop().create_future(), alone, on_start, commit,
                   asyncio.Event())
        self._backlog.append(job)
        self._pump_soon()
        try:
            if timeout is not None:
                await job.sent.wait()   # its clock starts when it does
            reply = await asyncio.wait_for(asyncio.shield(job.reply), timeout)
        except BaseException:
            job.reply.cancel()
            if job in self._backlog:        # never sent: nothing runs it
                self._backlog.remove(job)
            else:   # sent: its worker goes (the tasks queued behind it are requeued)
                holder = next((w for w in self._workers or () if job in w.sent), None)
                if holder is not None:
                    self._retire(holder)
            raise
        if "seconds" in reply:
            self._seconds[task["op_key"]] = reply["seconds"]
        return reply

    def _pump_soon(self) -> None:
        """Send what waits two turns of the loop from now: the tasks that the replies of this
        turn let start go together."""
        if self._pumping is None:
            loop = asyncio.get_running_loop()
            self._pumping = loop.call_soon(self._pump_next_turn, loop)

    def _pump_next_turn(self, loop: asyncio.AbstractEventLoop) -> None:
        self._pumping = loop.call_soon(self._pump)

    def _pump(self) -> None:
        """Send queued tasks, in order, to workers with room; record them, then commit the
        records once, then write the tasks."""
        self._pumping = None
        batch: List[Tuple[_Worker, _Job]] = []
        taking: Dict[int, int] = {}   # worker -> tasks it takes in this batch
        workers = [w for w in self._workers or () if not w.retired]
        while self._backlog:
            job = self._backlog[0]
            if job.reply.done():
                self._backlog.popleft()
                continue
            room = [w for w in workers if _takes(w, job, taking.get(id(w), 0))]
            if not room:
                break
            worker = min(room, key=lambda w: len(w.sent) + taking.get(id(w), 0))
            self._backlog.popleft()
            taking[id(worker)] = DEPTH if job.alone else taking.get(id(worker), 0) + 1
            batch.append((worker, job))
        commits: List[Callable[[], None]] = []
        for worker, job in batch:
            try:
                if job.on_start is not None:
                    job.on_start(worker.proc.pid, worker.started)
            except Exception as exc:
                job.reply.set_exception(exc)
            if job.commit is not None and job.commit not in commits:
                commits.append(job.commit)
        failed: Dict[int, Exception] = {}
        for i, commit in enumerate(commits):
            try:
                commit()
            except Exception as exc:   # the records could not be written: these do not run
                failed[i] = exc
        for worker, job in batch:
            error = failed.get(commits.index(job.commit)) if job.commit is not None else None
            if error is not None and not job.reply.done():
                job.reply.set_exception(error)
            if not job.reply.done():
                worker.send(job)
            job.sent.set()

    async def _read(self, worker: _Worker) -> None:
        """Hand each reply to its task; when the worker dies, fail the task it was running,
        requeue the others and start a new worker."""
        out = worker.proc.stdout
        assert out is not None
        try:
            while True:
                head = await out.readexactly(HEADER.size)
                (size,) = HEADER.unpack(head)
                reply = pickle.loads(await out.readexactly(size))
                job = worker.sent.popleft()
                if not job.reply.done():
                    job.reply.set_result(reply)
                self._pump_soon()
        except (asyncio.IncompleteReadError, ConnectionResetError, BrokenPipeError):
            pass
        code = await worker.proc.wait()
        if worker.sent:
            running = worker.sent.popleft()
            if not running.reply.done():
                running.reply.set_exception(WorkerDied(_death(code)))
            self._backlog.extendleft(reversed(worker.sent))
            worker.sent.clear()
        if not worker.retired:
            self._retire(worker)

    def _retire(self, worker: _Worker) -> None:
        """Kill the worker and put a new one in its place (its reader requeues what it had
        not started)."""
        worker.kill()
        if self._workers is not None and worker in self._workers:
            self._workers.remove(worker)
            replacement = asyncio.ensure_future(self._replace())
            self._readers.add(replacement)
            replacement.add_done_callback(self._readers.discard)

    async def _replace(self) -> None:
        workers = self._workers
        if workers is None:
            return
        try:
            worker = await self._spawn()
        except Exception as exc:   # no worker can start: what waits fails with the reason
            while self._backlog:
                job = self._backlog.popleft()
                if not job.reply.done():
                    job.reply.set_exception(WorkerDied(f"no worker could start: {exc}"))
            return
        if self._workers is workers:
            workers.append(worker)
            self._pump_soon()
        else:
            worker.kill()

    def close(self) -> None:
        for w in self._workers or ():
            w.kill()
        self._workers = None
        if self._starting is not None:
            self._starting.cancel()
            self._starting = None
