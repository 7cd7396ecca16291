"""Shell/script/container leaves as subprocesses: own process group, log streamed to disk."""
from __future__ import annotations

import asyncio
import os
import signal
from collections import deque
from pathlib import Path
from typing import Dict, List, Optional, Tuple


async def run_script(command: List[str], script: str, args: List[str], script_path: Path,
                     cwd: Path, env: Dict[str, str], log: Path, timeout: Optional[float],
                     result_limit: int) -> Tuple[int, str]:
    """Run ``command script args``; stdout goes to the log and its tail becomes the result."""
    argv = list(command) + ([str(script_path)] if script else []) + list(args)
    if not argv:
        raise OSError("the template has neither a command nor a script to run")
    full_env = dict(os.environ)
    full_env.update(env)
    with open(log, "ab") as log_file:
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv, cwd=str(cwd), env=full_env, stdout=asyncio.subprocess.PIPE,
                stderr=log_file, stdin=asyncio.subprocess.DEVNULL, start_new_session=True)
        except FileNotFoundError:
            raise OSError(f"command not found: {argv[0]!r}") from None
        tail: deque = deque()
        size = 0

        async def pump() -> None:
            nonlocal size
            assert proc.stdout is not None
            while True:
                chunk = await proc.stdout.read(65536)
                if not chunk:
                    return
                log_file.write(chunk)
                log_file.flush()
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
            done, _ = await asyncio.wait({reader, waiter}, timeout=timeout,
                                         return_when=asyncio.FIRST_COMPLETED)
            if not done:
                raise asyncio.TimeoutError
            if reader in done and proc.returncode is None:   # stdout closed: exit is near
                left = None if timeout is None else max(0.0, timeout - (loop_time() - begin))
                await asyncio.wait_for(proc.wait(), left)
        finally:
            # The step is over: whatever it left running in its process group goes too.
            _kill_group(proc.pid)
            if proc.returncode is None:
                await waiter
            waiter.cancel()
            try:
                await asyncio.wait_for(reader, 5)
            except (asyncio.TimeoutError, asyncio.CancelledError):
                reader.cancel()
    data = b"".join(tail)[-result_limit:]
    text = data.decode(errors="replace")
    assert proc.returncode is not None   # the finally block waited for the exit
    return proc.returncode, text[:-1] if text.endswith("\n") else text


def loop_time() -> float:
    return asyncio.get_running_loop().time()


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
