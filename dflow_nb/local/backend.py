"""The local engine behind the Backend protocol: runs in this process, state in SQLite."""
from __future__ import annotations

import pickle
from pathlib import Path

import cloudpickle
from typing import Any, Dict, List, Optional

from ..errors import WorkflowNotFound
from ..names import randstr
from ..records import IORecord, StepRecord, WorkflowRecord
from .state import StateReader


def _record(row: Dict[str, Any]) -> WorkflowRecord:
    outputs = row.get("outputs") or {}
    return WorkflowRecord(
        id=row["id"], name=row["name"], phase=row["phase"], message=row.get("message"),
        createdAt=row.get("created_at"), startedAt=row.get("started_at"),
        finishedAt=row.get("finished_at"), dir=row.get("dir"),
        outputs=IORecord.from_raw({
            "parameters": [{"name": k, "value": v, "globalName": k}
                           for k, v in (outputs.get("parameters") or {}).items()],
            "artifacts": [{"name": k, "path": v, "globalName": k}
                          for k, v in (outputs.get("artifacts") or {}).items()]}))


class LocalBackend:
    """Runs workflows on the local engine of this process; reads any work directory's state."""

    _futures: Dict[str, Any] = {}

    def __init__(self, workdir: Path) -> None:
        self.workdir = Path(workdir).resolve()
        self.reader = StateReader(self.workdir)

    def submit(self, workflow: Any, reuse: Dict[str, StepRecord]) -> str:
        from .runtime import LocalRuntime
        wf_id = f"{workflow.name}-{randstr()}"
        try:
            spec: Optional[bytes] = cloudpickle.dumps(workflow)
        except Exception:  # an unpicklable object in the model: the run goes on without a spec
            spec = None
        self._futures[wf_id] = LocalRuntime.get().submit(workflow, wf_id, self.workdir, spec,
                                                         reuse)
        print(f"Workflow is running locally (ID: {wf_id})")
        return wf_id

    def wait(self, wf_id: str, timeout: Optional[float] = None) -> str:
        future = self._futures.get(wf_id)
        if future is not None:
            future.result(timeout)
            return self.workflow(wf_id).phase
        import time
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            phase = self.workflow(wf_id).phase
            if phase not in ("Pending", "Running"):
                return phase
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"workflow {wf_id} still {phase} after {timeout}s")
            time.sleep(0.2)

    def workflow(self, wf_id: str) -> WorkflowRecord:
        try:
            row = self.reader.workflow(wf_id)
        except FileNotFoundError:
            row = None
        if row is None:
            raise WorkflowNotFound(f"no workflow {wf_id!r} in {self.workdir}")
        return _record(row)

    def nodes(self, wf_id: str, key: Optional[str] = None,
              since_seq: Optional[int] = None) -> List[StepRecord]:
        try:
            rows = self.reader.nodes(wf_id, key=key, since_seq=since_seq)
        except FileNotFoundError:
            raise WorkflowNotFound(f"no workflow {wf_id!r} in {self.workdir}") from None
        return [StepRecord.from_node(wf_id, n) for n in rows]

    def spec(self, wf_id: str) -> Any:
        """The Workflow model a run was started from (for re-running a step, resuming)."""
        blob = self.reader.spec(wf_id)
        if blob is None:
            raise WorkflowNotFound(f"workflow {wf_id!r} has no stored model")
        return pickle.loads(blob)

    def terminate(self, wf_id: str) -> None:
        from .runtime import LocalRuntime
        self.workflow(wf_id)
        LocalRuntime.get().terminate(wf_id)
        future = self._futures.get(wf_id)
        if future is not None:
            future.result()

    def list(self) -> List[WorkflowRecord]:
        try:
            return [_record(r) for r in self.reader.workflows()]
        except FileNotFoundError:
            return []
