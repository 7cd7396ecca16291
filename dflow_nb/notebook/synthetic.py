"""A synthetic run made of records only: a stand-in Workflow for widget tests and benchmarks.

``SyntheticRun(n)`` is a Steps workflow whose first group fans a step out over ``n`` slices and
whose second group sums them. ``advance(k)`` moves ``k`` more slices a phase forward, exactly as
an engine would report them (a higher ``seq`` per change), so ``query_nodes(since_seq=...)``
returns only what changed.
"""
from __future__ import annotations

import time
from typing import Dict, List, Optional

from dflow_nb.hub.records import StepRecord, WorkflowRecord


class SyntheticRun:
    """Looks like a submitted ``Workflow`` to the faces: query(), query_nodes(), query_step()."""

    def __init__(self, slices: int, wf_id: str = "synthetic-abcde", fail_every: int = 0) -> None:
        self.id = wf_id
        self.name = "synthetic"
        self.slices = slices
        self.fail_every = fail_every
        self.seq = 0
        self.nodes: Dict[str, StepRecord] = {}
        self.broken = False
        self.phase = "Running"
        now = time.time()
        self.started = now
        self._put(StepRecord(wf_id, wf_id, wf_id, "Steps", "Running", wf_id, startedAt=now))
        self._put(StepRecord(f"{wf_id}-g0", f"{wf_id}[0]", "[0]", "StepGroup", "Running", wf_id,
                             parentID=wf_id, startedAt=now))
        for i in range(slices):
            self._put(StepRecord(f"{wf_id}-s{i}", f"{wf_id}[0].square({i}:{i})",
                                 f"square({i}:{i})", "Pod", "Pending", wf_id,
                                 templateName="square", parentID=f"{wf_id}-g0",
                                 key=f"square-{i}"))
        self.cursor_slice = 0

    def _put(self, rec: StepRecord) -> None:
        """Number the change; ``nodes`` stays in change order (as the engine's seq index)."""
        self.seq += 1
        rec.seq = self.seq
        self.nodes.pop(rec.id, None)
        self.nodes[rec.id] = rec

    def advance(self, k: int) -> int:
        """Start or finish up to ``k`` slices; returns how many records changed."""
        changed = 0
        now = time.time()
        while self.cursor_slice < self.slices and \
                self.nodes[f"{self.id}-s{self.cursor_slice}"].phase not in ("Pending", "Running"):
            self.cursor_slice += 1   # slices before it have ended
        for i in range(self.cursor_slice, self.slices):
            if changed >= k:
                break
            rec = self.nodes[f"{self.id}-s{i}"]
            if rec.phase == "Pending":
                rec.phase, rec.startedAt = "Running", now
            elif rec.phase == "Running":
                failed = self.fail_every and i % self.fail_every == self.fail_every - 1
                rec.phase = "Failed" if failed else "Succeeded"
                rec.finishedAt, rec.progress = now, "1/1"
                rec.message = "exit code 1" if failed else None
            else:
                continue
            self._put(rec)
            changed += 1
        if changed == 0 and self.phase == "Running":
            self._finish(now)
        return changed

    def _finish(self, now: float) -> None:
        failed = any(r.phase == "Failed" for r in self.nodes.values())
        self.phase = "Failed" if failed else "Succeeded"
        for rid in (f"{self.id}-g0", self.id):
            rec = self.nodes[rid]
            rec.phase, rec.finishedAt = self.phase, now
            self._put(rec)

    # -- the Workflow surface the faces use ----------------------------------------------------
    def query(self) -> WorkflowRecord:
        if self.broken:
            raise ConnectionError("Argo server unreachable")
        return WorkflowRecord(self.id, self.name, self.phase, startedAt=self.started,
                              finishedAt=time.time() if self.phase != "Running" else None)

    def query_nodes(self, since_seq: Optional[int] = None) -> List[StepRecord]:
        if self.broken:
            raise ConnectionError("Argo server unreachable")
        if since_seq is None:
            return list(self.nodes.values())
        out = []
        for r in reversed(self.nodes.values()):   # what changed is at the end: read only that
            if r.seq <= since_seq:
                break
            out.append(r)
        return out[::-1]
