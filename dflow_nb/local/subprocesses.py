"""Shell/script/container leaves as subprocesses: own process group, log streamed to disk.

When the step ends, so does everything it started: its process group, and what left the group
but carries the step's tags (``step_processes``). If its log cannot be written (a full disk),
the step is ended at once: it would otherwise block on a full pipe that nobody reads.
"""
from __future__ import annotations

import asyncio
import os
from collections import deque
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

from dflow_nb.local.step_processes import STEP_DIR, Window, end_group, end_step


async def run_script(command: List[str], script: str, args: List[str], script_path: Path,
                     cwd: Path, env: Dict[str, str], log: Path, timeout: Optional[float],
                     result_limit: int, on_start: Optional[Callable[[int], None]] = None
                     ) -> Tuple[int, str]:
    """Run ``command script args``; stdout goes to the log and its tail becomes the result.
    ``on_start`` learns the PID (it leads the step's process group) as soon as it runs."""
    argv = list(command) + ([str(script_path)] if script else []) + list(args)
    if not argv:
        raise OSError("the template has neither a command nor a script to run")
    full_env = dict(os.environ)
    full_env.update(env)
    window = Window()
    with open(log, "ab", buffering=0) as log_file:
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv, cwd=str(cwd), env=full_env, stdout=asyncio.subprocess.PIPE,
                stderr=log_file, stdin=asyncio.subprocess.DEVNULL, start_new_session=True)
        except FileNotFoundError:
            raise OSError(f"command not found: {argv[0]!r}") from None
        tail: deque = deque()
        size = 0
        failed: List[OSError] = []

        async def pump() -> None:
            nonlocal size
            assert proc.stdout is not None
            while True:
                chunk = await proc.stdout.read(65536)
                if not chunk:
                    return
                try:
                    _write_all(log_file.fileno(), chunk)
                except OSError as exc:   # e.g. a full disk: the step cannot go on
                    failed.append(OSError(exc.errno, exc.strerror, str(log)))
                    end_group(proc.pid)
                    return
                tail.append(chunk)
                size += len(chunk)
                while size - len(tail[0]) >= result_limit:
                    size -= len(tail.popleft())

        async def exited() -> None:
            # asyncio's proc.wait() also waits for the pipes to close, which a leaked child
            # holding stdout would delay forever: watch the exit itself.
            while proc.returncode is None:
                await asyncio.sleep(0.05)

        reader = asyncio.ensure_future(pump())
        waiter = asyncio.ensure_future(exited())
        begin = loop_time()
        try:
            if on_start is not None:
                on_start(proc.pid)
            done, _ = await asyncio.wait({reader, waiter}, timeout=timeout,
                                         return_when=asyncio.FIRST_COMPLETED)
            if not done:
                raise asyncio.TimeoutError
            if reader in done and not failed and proc.returncode is None:
                # stdout closed: the exit is near
                left = None if timeout is None else max(0.0, timeout - (loop_time() - begin))
                await asyncio.wait_for(proc.wait(), left)
        finally:
            # The step is over: whatever it left running goes too, in its group or not.
            end_step(proc.pid, env.get(STEP_DIR, ""), window)
            if proc.returncode is None:
                await waiter
            waiter.cancel()
            try:
                await asyncio.wait_for(reader, 5)
            except (asyncio.TimeoutError, asyncio.CancelledError):
                reader.cancel()
    if failed:
        raise failed[0]
    data = b"".join(tail)[-result_limit:]
    text = data.decode(errors="replace")
    assert proc.returncode is not None   # the finally block waited for the exit
    return proc.returncode, text[:-1] if text.endswith("\n") else text


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def loop_time() -> float:
    return asyncio.get_running_loop().time()
