"""The warm pool of Python OP workers, driven from the engine's asyncio loop.

Each worker is its own process group, so a timeout or a terminate kills the OP and anything it
spawned, and only that worker is replaced: the other steps carry on. Workers start as OPs need
them, up to ``size`` (the first one usually launched by ``Workflow.submit``: ``worker_launch``),
and stay warm for the next runs of the process.

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
import pickle
import signal
from dataclasses import dataclass
from typing import Any, Callable, Deque, Dict, List, Optional, Set, Tuple

from dflow_nb.local.step_processes import start_time
from dflow_nb.local.worker import HEADER
from dflow_nb.local.worker_launch import Popen, kill, pool_running, take

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
        self.ops: Set[str] = set()   # digests of the OPs this worker was sent
        self.started = start_time(proc.pid)   # tells it from a later process with its PID
        self.sent: Deque[_Job] = collections.deque()   # in its pipe, in order; [0] is running
        self.retired = False
        self.reading = False   # a reader takes its replies (while it has tasks)

    def send(self, job: _Job) -> None:
        """Write the job's task (its pickled OP only if this worker was not sent it yet: the
        worker loads OPs in the order it gets them)."""
        task, key = job.task, job.task["op_key"]
        if key in self.ops:
            task = dict(task, op=None, sources=None)
        self.ops.add(key)
        data = pickle.dumps(task, protocol=pickle.HIGHEST_PROTOCOL)
        self.proc.stdin.write(HEADER.pack(len(data)) + data)
        self.sent.append(job)

    def kill(self) -> None:
        self.retired = True
        kill(self.proc.popen)


def _takes(worker: _Worker, job: _Job, taking: int, full: bool) -> bool:
    """Whether ``worker`` has room for ``job``, besides the ``taking`` tasks it takes already
    (short ones: a worker given a task that runs alone takes nothing more). A task waits
    behind another only when the pool has all its workers (``full``): else a new worker
    runs it beside the others."""
    queued = len(worker.sent) + taking
    if job.alone or not full:
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
    """Up to ``size`` warm workers; ``run`` queues a task for the first with room."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._workers: Optional[List[_Worker]] = None   # None: not started (or closed)
        self._starting = 0   # launched, being connected to the loop
        self._backlog: Deque[_Job] = collections.deque()
        self._tasks: Set["asyncio.Future[None]"] = set()   # readers and starts under way
        self._seconds: Dict[str, float] = {}   # OP digest -> how long its last run took
        self._pumping: Optional[asyncio.Handle] = None

    @property
    def started(self) -> bool:
        return self._workers is not None

    def _open(self) -> List[_Worker]:
        if self._workers is None:
            self._workers = []
            pool_running(True)
        return self._workers

    async def start(self) -> None:
        """Start the first worker now (a run's first OP would start it otherwise); if it
        cannot start, the first OP tries again and reports why."""
        if self._workers is not None:
            return
        self._starting += 1
        try:
            await self._add(self._open())
        except Exception:
            self.close()

    async def _add(self, workers: List[_Worker]) -> None:
        """One more worker, taking tasks as soon as it is connected (the caller counted it
        in ``_starting`` when it decided to start it)."""
        try:
            popen = take()
            try:
                worker = _Worker(await _Process.adopt(popen))
            except BaseException:
                kill(popen)
                raise
        finally:
            self._starting -= 1
        if self._workers is not workers:   # closed meanwhile
            worker.kill()
            return
        workers.append(worker)
        self._pump_soon()

    def _keep(self, task: "asyncio.Future[None]") -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _grow(self) -> None:
        """Start a worker when the tasks waiting outnumber the workers idle or starting, up to
        ``size``: one OP at a time keeps one worker (the other cores stay free), a fan-out
        gets ``size``."""
        workers = self._open()
        idle = sum(1 for w in workers if not w.sent and not w.retired)
        if len(self._backlog) > idle + self._starting and \
                len(workers) + self._starting < self.size:
            self._starting += 1
            self._keep(asyncio.ensure_future(self._start_one(workers)))

    async def _start_one(self, workers: List[_Worker]) -> None:
        try:
            await self._add(workers)
        except Exception as exc:   # if no worker runs at all, what waits fails with the reason
            if not any(not w.retired for w in workers):
                while self._backlog:
                    job = self._backlog.popleft()
                    if not job.reply.done():
                        job.reply.set_exception(WorkerDied(f"no worker could start: {exc}"))

    async def run(self, task: Dict[str, Any], timeout: Optional[float] = None,
                  on_start: Optional[OnStart] = None,
                  commit: Optional[Callable[[], None]] = None) -> Dict[str, Any]:
        """Run one OP task; on timeout or cancellation its worker is killed and replaced.
        Before the task is sent, ``on_start`` learns the PID of the worker (it leads its group)
        that runs it and when that process started, then ``commit`` writes what it recorded
        (once for the tasks sent together)."""
        alone = timeout is not None or self._seconds.get(task["op_key"], SHORT) >= SHORT
        job = _Job(task, asyncio.get_running_loop().create_future(), alone, on_start, commit,
                   asyncio.Event())
        self._backlog.append(job)
        self._grow()
        self._pump_soon()
        try:
            if timeout is not None:
                await job.sent.wait()   # its clock starts when it does
            reply = await (job.reply if timeout is None else
                           asyncio.wait_for(job.reply, timeout))
        except BaseException:   # cancelled, or timed out (its reply is then cancelled)
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
        full = len(workers) >= self.size
        while self._backlog:
            job = self._backlog[0]
            if job.reply.done():
                self._backlog.popleft()
                continue
            room = [w for w in workers if _takes(w, job, taking.get(id(w), 0), full)]
            if not room:
                break
            worker = min(room, key=lambda w: len(w.sent) + taking.get(id(w), 0))
            self._backlog.popleft()
            taking[id(worker)] = DEPTH if job.alone else taking.get(id(worker), 0) + 1
            batch.append((worker, job))
        commits: Dict[Callable[[], None], Optional[Exception]] = {}   # each once, its error
        for worker, job in batch:
            try:
                if job.on_start is not None:
                    job.on_start(worker.proc.pid, worker.started)
            except Exception as exc:
                job.reply.set_exception(exc)
            if job.commit is not None:
                commits[job.commit] = None
        for commit in commits:
            try:
                commit()
            except Exception as exc:   # the records could not be written: these do not run
                commits[commit] = exc
        for worker, job in batch:
            error = commits.get(job.commit) if job.commit is not None else None
            if error is not None and not job.reply.done():
                job.reply.set_exception(error)
            if not job.reply.done():
                worker.send(job)
                if not worker.reading:
                    worker.reading = True
                    self._keep(asyncio.ensure_future(self._read(worker)))
            job.sent.set()

    async def _read(self, worker: _Worker) -> None:
        """Hand each reply to its task until the worker has none left (an idle worker has no
        reader); when the worker dies, fail the task it was running, requeue the others and
        start a new worker."""
        out = worker.proc.stdout
        try:
            while worker.sent:
                head = await out.readexactly(HEADER.size)
                (size,) = HEADER.unpack(head)
                reply = pickle.loads(await out.readexactly(size))
                job = worker.sent.popleft()
                if not job.reply.done():
                    job.reply.set_result(reply)
                self._pump_soon()
            worker.reading = False
            return
        except (asyncio.IncompleteReadError, ConnectionResetError, BrokenPipeError):
            worker.reading = False
        code = await worker.proc.wait()
        if worker.sent:
            running = worker.sent.popleft()
            if not running.reply.done():
                running.reply.set_exception(WorkerDied(_death(code)))
            self._backlog.extendleft(reversed(worker.sent))
            worker.sent.clear()
            self._pump_soon()
        if not worker.retired:
            self._retire(worker)

    def _retire(self, worker: _Worker) -> None:
        """Kill the worker and put a new one in its place (its reader requeues what it had
        not started)."""
        worker.kill()
        workers = self._workers
        if workers is not None and worker in workers:
            workers.remove(worker)
            self._starting += 1
            self._keep(asyncio.ensure_future(self._start_one(workers)))

    def close(self) -> None:
        for w in self._workers or ():
            w.kill()
        pool_running(False)
        self._workers = None
