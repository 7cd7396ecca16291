"""A step's log, however the run was made: ``Workflow.logs`` when the backend offers it, else the
local step directory's ``log.txt`` (the file the local engine's workers write)."""
from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Union

if TYPE_CHECKING:
    from dflow_nb.hub.records import StepRecord
    from dflow_nb.hub.workflow import Workflow
    from dflow_nb.notebook.graph import Rec

TAIL_BYTES = 256 * 1024


def read_log(workflow: "Workflow", step: Union["StepRecord", "Rec"], tail: Optional[int] = None,
             grep: Optional[str] = None) -> str:
    """The log text of one step, optionally only the last ``tail`` lines matching ``grep``."""
    fetch = getattr(workflow, "logs", None)
    if callable(fetch):   # by node id: the live view's records are not StepRecords
        text = fetch(getattr(step, "id", step))
    else:
        text = _local_log(getattr(step, "dir", None), whole=grep is not None or tail is None)
    lines = text.splitlines()
    if grep:
        pattern = re.compile(grep)
        lines = [line for line in lines if pattern.search(line)]
    if tail is not None:
        lines = lines[-tail:] if tail > 0 else []
    return "\n".join(lines)


def _local_log(step_dir: Optional[str], whole: bool) -> str:
    if not step_dir:
        return ""
    path = Path(step_dir) / "log.txt"
    try:
        with path.open("rb") as f:
            if not whole:
                f.seek(0, 2)
                size = f.tell()
                f.seek(max(0, size - TAIL_BYTES))
            return f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""


def log_signature(step: Union["StepRecord", "Rec"]) -> Any:
    """Something that changes when the local log grows (so the live pane re-reads only then)."""
    step_dir = getattr(step, "dir", None)
    if not step_dir:
        return None
    try:
        st = (Path(step_dir) / "log.txt").stat()
    except FileNotFoundError:
        return None
    return (st.st_size, st.st_mtime_ns)


SLICE_BYTES = 64 * 1024
MAX_MATCHES = 500


def log_bytes(workflow: "Workflow", step: Union["StepRecord", "Rec"]) -> bytes:
    """The whole log of a step as bytes: the local step directory's file when there is one
    (so offsets stay stable while it grows), else what the backend returns (Argo)."""
    step_dir = getattr(step, "dir", None)
    if step_dir and (Path(step_dir) / "log.txt").is_file():
        return (Path(step_dir) / "log.txt").read_bytes()
    fetch = getattr(workflow, "logs", None)
    if not callable(fetch) or step_dir:
        return b""
    return str(fetch(step.id)).encode("utf-8")


def _utf8_end(data: bytes) -> int:
    """How much of ``data`` ends on a whole UTF-8 character (a follow never splits one)."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte < 0x80:
            return len(data)
        if byte >= 0xC0:   # a lead byte: is its sequence complete?
            need = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return len(data) if back >= need else len(data) - back
    return len(data)


def log_slice(workflow: "Workflow", step: Union["StepRecord", "Rec"], offset: Optional[int] = None,
              limit: int = SLICE_BYTES, search: Optional[str] = None,
              regex: bool = False) -> Dict[str, Any]:
    """A piece of a step's log for a view: from ``offset`` (follow: ask again from ``next``
    until ``done``), else its tail; ``search`` lists the matching lines of the whole log."""
    from dflow_nb.notebook.graph import FINISHED
    data = log_bytes(workflow, step)
    size = len(data)
    start = max(0, size - limit) if offset is None else max(0, min(offset, size))
    chunk = data[start:start + limit]
    if start + len(chunk) < size or step.phase not in FINISHED:
        chunk = chunk[:_utf8_end(chunk)]
    nxt = start + len(chunk)
    out: Dict[str, Any] = {"log": chunk.decode("utf-8", errors="replace"), "offset": start,
                           "next": nxt, "size": size,
                           "truncated": offset is None and start > 0,
                           "done": step.phase in FINISHED and nxt >= size, "matches": None}
    if search:
        pattern = re.compile(search if regex else re.escape(search), re.IGNORECASE)
        matches: List[Dict[str, Any]] = []
        for no, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), 1):
            if pattern.search(line):
                matches.append({"line": no, "text": line[:1000]})
                if len(matches) >= MAX_MATCHES:
                    break
        out["matches"] = matches
    return out
