"""Runs and steps as pandas DataFrames: what ``%dflow list``/``steps`` return and the live table."""
from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence

if TYPE_CHECKING:
    import pandas as pd

    from dflow_nb.hub.records import StepRecord, WorkflowRecord

STEP_COLUMNS = ["key", "step", "type", "phase", "started", "finished", "duration", "progress",
                "outputs", "message", "id"]
WORKFLOW_COLUMNS = ["id", "name", "phase", "started", "finished", "duration", "message"]


def when(ts: Optional[float]) -> Any:
    """A record time (epoch seconds) as a local, second-precision timestamp (NaT when unset)."""
    import pandas as pd
    if ts is None:
        return pd.NaT
    return pd.Timestamp(_dt.datetime.fromtimestamp(ts).replace(microsecond=0))


def _duration(start: Optional[float], end: Optional[float]) -> Optional[float]:
    return round(end - start, 3) if start is not None and end is not None else None


def short(value: Any, width: int = 60) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def outputs_text(step: "StepRecord") -> str:
    """Output parameters as ``name=value`` (shortened) and artifacts as ``name@path``."""
    parts = [f"{k}={short(p.value, 24)}" for k, p in step.outputs.parameters.items()]
    parts += [f"{k}@{short(a.local_path, 40)}" for k, a in step.outputs.artifacts.items()
              if a.local_path]
    return ", ".join(parts)


def step_row(step: "StepRecord") -> Dict[str, Any]:
    return {"key": step.key, "step": step.displayName, "type": step.type, "phase": step.phase,
            "started": when(step.startedAt), "finished": when(step.finishedAt),
            "duration": _duration(step.startedAt, step.finishedAt), "progress": step.progress,
            "outputs": outputs_text(step), "message": step.message or "", "id": step.id}


def steps_frame(steps: Sequence["StepRecord"]) -> "pd.DataFrame":
    """One row per step record, in the order given."""
    import pandas as pd
    return pd.DataFrame([step_row(s) for s in steps], columns=STEP_COLUMNS)


def workflows_frame(records: Sequence["WorkflowRecord"]) -> "pd.DataFrame":
    """One row per workflow record (``query_workflows()``), newest first as given."""
    import pandas as pd
    rows: List[Dict[str, Any]] = [
        {"id": r.id, "name": r.name, "phase": r.phase, "started": when(r.startedAt),
         "finished": when(r.finishedAt), "duration": _duration(r.startedAt, r.finishedAt),
         "message": r.message or ""} for r in records]
    return pd.DataFrame(rows, columns=WORKFLOW_COLUMNS)
