"""Finding and ending a step's processes, including those that left its process group.

Every process of a step inherits two tags in its environment: ``DFLOW_NB_STEP_DIR`` (the step's
directory) and ``DFLOW_NB_ENGINE`` (the engine's PID and start time). Killing the step's process
group ends what stayed in it; a child started with ``setsid`` (or ``start_new_session``) left the
group but still carries the tags, so a look at ``/proc`` finds it. The same tags find a dead
engine's steps, which no later engine could otherwise tell from other processes; PIDs are always
checked against their start time, so a reused PID is never hit. (A process that clears its
environment *and* leaves the group escapes: only a cgroup would hold it.)
"""
from __future__ import annotations

import os
import signal
import time
from typing import Iterable, List, Optional, Tuple

STEP_DIR = "DFLOW_NB_STEP_DIR"
ENGINE = "DFLOW_NB_ENGINE"
FULL_SCAN_AFTER = 1.0   # seconds: a step older than this may have seen PIDs wrap around


def stat_fields(pid: int) -> Optional[List[str]]:
    """The fields of /proc/PID/stat after the command name (field 3 on: state, parent,
    group...); None if the process is gone."""
    try:
        return read_proc(f"/proc/{pid}/stat").decode().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def start_time(pid: int) -> Optional[int]:
    """When the process started (clock ticks after boot); None if it is gone or a zombie."""
    fields = stat_fields(pid)
    return None if fields is None or fields[0] in ("Z", "X") else int(fields[19])


_me: Tuple[int, Optional[int]] = (0, None)


def own_start_time() -> Optional[int]:
    """This process's start time (read once)."""
    global _me
    pid = os.getpid()
    if _me[0] != pid:   # a forked child is another process
        _me = (pid, start_time(pid))
    return _me[1]


def engine_tag() -> str:
    """This process as an engine: ``<pid>-<start time>``, unique for the machine's uptime."""
    return f"{os.getpid()}-{own_start_time()}"


def alive(pid: Optional[int], started: Optional[int]) -> bool:
    """Whether ``pid`` is still the process that started at ``started`` (None: any)."""
    if not pid:
        return False
    now = start_time(pid)
    return now is not None and (started is None or now == started)


def last_pid() -> Optional[int]:
    """The PID the kernel handed out last (None where the kernel does not say)."""
    try:
        return int(read_proc("/proc/sys/kernel/ns_last_pid"))
    except (OSError, ValueError):
        return None


def read_proc(path: str) -> bytes:
    """A small /proc file, read with one open and one read (no buffered file object: this
    runs twice per step)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.read(fd, 65536)
    finally:
        os.close(fd)


class Window:
    """The PIDs that may belong to a step: those handed out since it started. If none was
    handed out, nothing can have been left behind and ``/proc`` is not read at all."""

    def __init__(self) -> None:
        self.first = last_pid()
        self.began = time.monotonic()

    def candidates(self) -> Optional[Tuple[int, int]]:
        """(after, up_to) PIDs to look at; (0, 0) for none; None to look at every process."""
        last = last_pid()
        if self.first is None or last is None or \
                time.monotonic() - self.began > FULL_SCAN_AFTER:
            return None
        if last == self.first:
            return (0, 0)
        return (self.first, last)


def tagged(engine: str, step_dir: str, *, under: bool = False,
           window: Optional[Tuple[int, int]] = None) -> List[int]:
    """PIDs whose environment carries ``engine`` and ``step_dir`` (or, with ``under``, any step
    directory below ``step_dir``), among the ``window`` of PIDs (None: every process)."""
    if window == (0, 0):
        return []
    want_engine = f"{ENGINE}={engine}".encode()
    prefix = f"{STEP_DIR}={step_dir.rstrip('/')}".encode()
    me = os.getpid()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        pid = int(entry)
        if pid == me or (window is not None and not _in_window(pid, window)):
            continue
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                env = f.read().split(b"\0")
        except OSError:
            continue
        if want_engine not in env:
            continue
        for item in env:
            if item == prefix or (under and item.startswith(prefix + b"/")):
                found.append(pid)
                break
    return found


def _in_window(pid: int, window: Tuple[int, int]) -> bool:
    after, up_to = window
    if after <= up_to:
        return after < pid <= up_to
    return pid > after or pid <= up_to     # the PIDs wrapped around


def end_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def end(pids: Iterable[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def end_step(pgid: Optional[int], step_dir: str, window: Optional[Window],
             engine: Optional[str] = None) -> None:
    """End a step's process group and every process tagged with its directory."""
    if pgid is not None:
        end_group(pgid)
    end(tagged(engine or engine_tag(), step_dir,
               window=window.candidates() if window is not None else None))


def end_recorded(processes: Iterable[Tuple[int, int, Optional[int]]]) -> None:
    """End recorded ``(pid, pgid, start time)`` processes that are still those processes: the
    group too when the process leads it."""
    for pid, pgid, started in processes:
        if started is not None and alive(pid, started):
            if pgid == pid:
                end_group(pgid)
            end([pid])
