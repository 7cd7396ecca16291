"""A step's log, however the run was made: ``Workflow.logs`` when the backend offers it, else the
local step directory's ``log.txt`` (the file the local engine's workers write)."""
from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Union

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
