"""A warm worker process: runs Python OPs sent by the engine, one at a time.

Started as ``python -m dflow_nb.local.worker``. Frames on its stdin/stdout are length-prefixed
pickles (a task carries its OP pickled the first time only, then its digest); the OP's own
stdout/stderr (fd 1 and 2, so C code and subprocesses too) go to the step's log file for the
duration of the call.
"""
from __future__ import annotations

import os
import pickle
import struct
import sys
import time
from typing import Any, BinaryIO, Dict, List, Optional

from dflow_nb.local.step_processes import (
    ENGINE,
    STEP_DIR,
    Window,
    end,
    read_proc,
    stat_fields,
    tagged,
)
from dflow_nb.python._files import write_text

HEADER = struct.Struct("!Q")


def read_frame(stream: BinaryIO) -> Any:
    head = stream.read(HEADER.size)
    if len(head) < HEADER.size:
        raise EOFError
    (size,) = HEADER.unpack(head)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return pickle.loads(data)


def write_frame(stream: BinaryIO, obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(HEADER.pack(len(data)) + data)
    stream.flush()


def _classify(exc: BaseException) -> int:
    from dflow_nb.python.errors import FatalError
    from dflow_nb.python.python_op_template import EXIT_FATAL, EXIT_TRANSIENT
    return EXIT_FATAL if isinstance(exc, FatalError) else EXIT_TRANSIENT


def kill_leftovers(step_dir: str, window: Window) -> None:
    """What the OP started and left behind goes: its children (in this worker's process group
    or in a session of their own), the rest of the group, and whatever carries the step's tags
    (``step_processes``: a grandchild started with ``setsid``).

    The group scan reads every /proc entry (about a millisecond), so it only happens when the
    OP left a child; the tag scan only looks at PIDs handed out during the call, if any.
    """
    me = os.getpid()
    children = _children(me)
    if children:
        end(children)
        group = os.getpgid(0)
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == me:
                continue
            fields = stat_fields(int(entry))
            if fields is not None and int(fields[2]) == group:   # field 5: the process group
                end([int(entry)])
    if ENGINE in os.environ:
        end(tagged(os.environ[ENGINE], step_dir, window=window.candidates()))
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass


def _children(pid: int) -> List[int]:
    found: List[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            found.extend(int(c) for c in read_proc(f"/proc/{pid}/task/{task}/children").split())
    except OSError:
        pass
    return found


def prepare(task: Dict[str, Any]) -> None:
    """Make the step's directory (unless the engine made it to place artifacts) and write its
    input parameters and slice: here, beside the other workers, not in the engine's loop."""
    step_dir = task["dir"]
    inputs = os.path.join(step_dir, "inputs")
    if task["made"]:
        os.makedirs(inputs, exist_ok=True)
    else:
        os.mkdir(step_dir)
        os.mkdir(inputs)
    parameters = os.path.join(inputs, "parameters")
    os.mkdir(parameters)
    for name, text in task["inputs"].items():
        write_text(os.path.join(parameters, name), text)
    if task["slice"] is not None:   # the slice exactly as run (for re-running it in a kernel)
        write_text(os.path.join(step_dir, "slice.json"), task["slice"])


def _progress(path: Optional[str]) -> Optional[str]:
    """What the OP last reported of its progress (None if it did not)."""
    if not path:
        return None
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def serve() -> None:
    # Only what running an OP needs: the OP's own pickle imports the rest (cloudpickle for an
    # OP pickled by value, the OP's module and what it uses).
    from dflow_nb.local.results import os_error_message
    from dflow_nb.python.op_runner import run_op
    from dflow_nb.python.tracebacks import add_sources, print_failure

    proto_in = os.fdopen(os.dup(0), "rb")
    proto_out = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    home = os.getcwd()
    ops: Dict[str, Any] = {}
    unloadable: Dict[str, BaseException] = {}   # an OP that failed to load fails each use
    while True:
        try:
            task = read_frame(proto_in)
        except EOFError:
            return
        clock = time.monotonic()
        step_dir = task["dir"]
        try:
            prepare(task)
        except OSError as exc:   # the step cannot start: the engine records an Error
            write_frame(proto_out, {"ok": False, "error": True,
                                    "message": os_error_message(exc, step_dir)})
            continue
        os.environ[STEP_DIR] = step_dir   # what the OP starts carries it: see step_processes
        window = Window()
        call = task["call"]
        try:
            log = os.open(task["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            os.dup2(log, 1)
            os.dup2(log, 2)
            os.close(log)
            key = task["op_key"]   # the engine sends the pickled OP until we have loaded it
            if key in unloadable:
                raise unloadable[key]
            if key not in ops:
                try:
                    ops[key] = pickle.loads(task["op"])
                except BaseException as exc:
                    unloadable[key] = exc
                    raise
                add_sources(ops[key], task.get("sources"))   # notebook code's lines
            params = run_op(ops[key], call)
            reply = {"ok": True, "parameters": params}
        except BaseException as exc:  # the OP's failure is data for the engine
            _quietly(print_failure, exc)   # the log may be on a full disk
            message = os_error_message(exc, step_dir) if isinstance(exc, OSError) else \
                f"{type(exc).__name__}: {exc}"
            reply = {"ok": False, "exit_code": _classify(exc), "message": message}
        finally:
            lost = _flush()
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            os.chdir(home)
            kill_leftovers(step_dir, window)
            del os.environ[STEP_DIR]
        if lost is not None and reply["ok"]:   # the OP's output is not all in its log
            reply = {"ok": False, "exit_code": _classify(lost), "message": os_error_message(
                OSError(lost.errno, lost.strerror, task["log"]))}
        if reply["ok"]:   # outputs in place before the engine records the step Succeeded
            try:
                os.replace(call.outputs, os.path.join(step_dir, "outputs"))
            except OSError as exc:
                reply = {"ok": False, "error": True,
                         "message": os_error_message(exc, step_dir)}
        reply["seconds"] = time.monotonic() - clock
        reply["progress"] = _progress(call.progress_file)
        write_frame(proto_out, reply)


def _flush() -> Optional[OSError]:
    """Flush what the OP printed to its log; the error if that failed (a full disk)."""
    lost = None
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except OSError as exc:
            lost = lost or exc
    return lost


def _quietly(write: Any, *args: Any) -> None:
    try:
        write(*args)
    except OSError:
        pass


if __name__ == "__main__":
    serve()
