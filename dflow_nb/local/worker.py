"""A warm worker process: runs Python OPs sent by the engine, one at a time.

Started as ``python -m dflow_nb.local.worker``. Frames on its stdin/stdout are length-prefixed
pickles; the OP's own stdout/stderr (fd 1 and 2, so C code and subprocesses too) go to the step's
log file for the duration of the call.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import struct
import sys
import traceback
from typing import Any, BinaryIO, Dict

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


def kill_leftovers() -> None:
    """Processes an OP started and left behind (same process group as this worker) go.

    Scanning /proc costs about a millisecond, so it only happens when the OP left a child.
    """
    me = os.getpid()
    try:
        with open(f"/proc/{me}/task/{me}/children") as f:
            if not f.read().strip():
                return
    except OSError:
        pass
    group = os.getpgid(0)
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group:   # field 5 of /proc/PID/stat: the process group
            try:
                os.kill(int(entry), 9)
            except OSError:
                pass
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass


def serve() -> None:
    import cloudpickle  # noqa: F401  (cloudpickle-pickled OPs need it importable)

    from dflow_nb.python.op_runner import run_op

    proto_in = os.fdopen(os.dup(0), "rb")
    proto_out = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    home = os.getcwd()
    ops: Dict[str, Any] = {}
    while True:
        try:
            task = read_frame(proto_in)
        except EOFError:
            return
        log = os.open(task["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(log)
        try:
            digest = hashlib.sha1(task["op"]).hexdigest()
            if digest not in ops:
                ops[digest] = pickle.loads(task["op"])
            params = run_op(ops[digest], task["call"])
            reply = {"ok": True, "parameters": params}
        except BaseException as exc:  # the OP's failure is data for the engine
            traceback.print_exc()
            reply = {"ok": False, "exit_code": _classify(exc),
                     "message": f"{type(exc).__name__}: {exc}"}
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            os.chdir(home)
            kill_leftovers()
        write_frame(proto_out, reply)


if __name__ == "__main__":
    serve()
