"""How runs and steps are printed: aligned tables for people, and ``-o json|yaml|name`` documents
for scripts.

The documents are stable: times are RFC 3339 UTC strings (as Argo prints them), durations are
seconds, parameter values are the text the step received or produced (as Argo records them), and
keys never disappear (a missing value is ``null``).
"""
from __future__ import annotations

import datetime as _dt
import json
import sys
import time
from typing import Any, Dict, List, Optional, Sequence, TextIO

from dflow_nb.hub.records import IORecord, StepRecord, WorkflowRecord

OUTPUTS = ("wide", "json", "yaml", "name")


def iso(ts: Optional[float]) -> Optional[str]:
    """Epoch seconds as ``2024-05-01T10:00:00Z`` (None stays None)."""
    if ts is None:
        return None
    return _dt.datetime.fromtimestamp(ts, _dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def span(seconds: Optional[float]) -> str:
    """A duration as Argo prints it: ``4s``, ``2m5s``, ``1h3m``, ``2d4h``; ``-`` when unknown."""
    if seconds is None:
        return "-"
    s = max(0, int(round(seconds)))
    for size, unit, sub, subunit in ((86400, "d", 3600, "h"), (3600, "h", 60, "m"),
                                     (60, "m", 1, "s")):
        if s >= size:
            rest = (s % size) // sub
            return f"{s // size}{unit}" + (f"{rest}{subunit}" if rest else "")
    return f"{s}s"


def elapsed(start: Optional[float], end: Optional[float], now: Optional[float] = None
            ) -> Optional[float]:
    """How long something ran (until now while it runs)."""
    if start is None:
        return None
    return (end if end is not None else (now or time.time())) - start


def short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(1, width - 1)] + "…"


def table(rows: Sequence[Sequence[str]]) -> str:
    """Rows (the first is the header) as left-aligned columns two spaces apart."""
    if not rows:
        return ""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)


def _seconds(rec: StepRecord) -> str:
    return f"{rec.duration:.2f}s" if rec.duration is not None else "-"


def outputs_text(io: IORecord, width: int = 24) -> str:
    """Output parameters as ``name=value`` (decoded, shortened) and artifacts as ``name@path``."""
    parts = [f"{k}={short(str(p.value), width)}" for k, p in io.parameters.items()]
    parts += [f"{k}@{short(', '.join(a.paths), 40)}" for k, a in io.artifacts.items() if a.paths]
    return ", ".join(parts)


def step_table(steps: Sequence[StepRecord]) -> str:
    """A plain-text table of steps: name, type, phase, duration, outputs, message."""
    rows: List[List[str]] = [["STEP", "TYPE", "PHASE", "TIME", "OUTPUTS", "MESSAGE"]]
    for s in steps:
        rows.append([s.displayName, s.type, s.phase, _seconds(s),
                     short(outputs_text(s.outputs), 40), s.message or ""])
    return table(rows)


# -- documents ---------------------------------------------------------------------------------
def io_dict(io: IORecord, raw: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """Parameters as their text; artifacts as local paths (and the S3 key Argo recorded)."""
    keys = {a.get("name"): (a.get("s3") or {}).get("key")
            for a in (raw or {}).get("artifacts") or [] if isinstance(a, dict)}
    arts: Dict[str, Any] = {}
    for name, a in io.artifacts.items():
        entry: Dict[str, Any] = {"paths": a.paths}
        if keys.get(name):
            entry["key"] = keys[name]
        arts[name] = entry
    return {"parameters": {k: None if p.value is None else p.text
                           for k, p in io.parameters.items()},
            "artifacts": arts}


def workflow_dict(rec: WorkflowRecord) -> Dict[str, Any]:
    """One run's summary as a JSON-able dict."""
    return {"id": rec.id, "name": rec.name, "phase": rec.phase, "message": rec.message,
            "labels": dict(getattr(rec, "labels", None) or {}),
            "createdAt": iso(rec.createdAt), "startedAt": iso(rec.startedAt),
            "finishedAt": iso(rec.finishedAt),
            "duration": None if rec.startedAt is None or rec.finishedAt is None
            else round(rec.finishedAt - rec.startedAt, 3),
            "dir": rec.dir, "outputs": io_dict(rec.outputs)}


def step_dict(s: StepRecord) -> Dict[str, Any]:
    """One step (node) as a JSON-able dict."""
    return {"id": s.id, "name": s.name, "displayName": s.displayName, "key": s.key,
            "type": s.type, "phase": s.phase, "templateName": s.templateName,
            "parentID": s.parentID, "message": s.message, "startedAt": iso(s.startedAt),
            "finishedAt": iso(s.finishedAt),
            "duration": None if s.duration is None else round(s.duration, 3),
            "progress": s.progress, "dir": s.dir, "inputs": io_dict(s.inputs),
            "outputs": io_dict(s.outputs, s.raw_outputs)}


def run_document(rec: WorkflowRecord, steps: Sequence[StepRecord], progress: str
                 ) -> Dict[str, Any]:
    """A run as ``get -o json`` prints it: its summary, its progress and every step."""
    doc = workflow_dict(rec)
    doc["progress"] = progress
    doc["steps"] = [step_dict(s) for s in steps]
    return doc


def dump(data: Any, fmt: str) -> str:
    """``data`` as JSON or YAML text."""
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False)
    import yaml
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True).rstrip("\n")


def emit(text: str, stream: Optional[TextIO] = None) -> None:
    """Print one block of output (nothing for an empty block)."""
    if text:
        print(text, file=stream or sys.stdout, flush=True)
