"""A run's nodes: Argo's node naming and ids (SEMANTICS.md §4.10), every phase change recorded,
and the per-node step directories."""
from __future__ import annotations

import asyncio
import os
import re
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Set, Tuple, TypedDict

from dflow_nb.local.results import FAILED, Result, os_error_message, param_entry
from dflow_nb.local.state import StateError, StateStore
from dflow_nb.model.dag import DAG
from dflow_nb.model.names import node_id
from dflow_nb.model.steps import Steps


class Node(TypedDict):
    """One node as the engine keeps it: Argo's NodeStatus fields, as the state store records
    them (plus ``key`` and ``dir``), and ``out_types`` (declared output types, for recording)."""

    id: str
    name: str
    display_name: str
    type: str   # Argo's node type: Pod, Steps, DAG, StepGroup, TaskGroup, Retry, Skipped
    template: Optional[str]
    phase: str
    boundary_id: str
    parent_id: str
    message: Optional[str]
    started_at: Optional[float]
    finished_at: Optional[float]
    key: Optional[str]
    inputs: Optional[Dict[str, Any]]
    outputs: Optional[Dict[str, Any]]
    progress: Optional[str]
    dir: Optional[str]
    depends_on: Optional[List[str]]
    executor: Any   # what the step's executor reported (its executor.json), as it wrote it
    memoization: Optional[Dict[str, Any]]   # a reused step: Argo's memoizationStatus
    out_types: Dict[str, str]


def node_type(tmpl: Any) -> str:
    """Argo's node type for a call of ``tmpl``."""
    return "Steps" if isinstance(tmpl, Steps) else "DAG" if isinstance(tmpl, DAG) else "Pod"


def item_description(item: Any) -> str:
    """``(i:desc)`` text of a loop item: maps as sorted ``k:v`` pairs, parentheses removed."""
    from dflow_nb.expressions import format_value
    if isinstance(item, dict):
        desc = ",".join(f"{k}:{format_value(item[k])}" for k in sorted(item))
    else:
        desc = format_value(item)
    return desc.replace("(", "").replace(")", "")


FLUSH_TURNS = 8   # loop turns a change waits to be written with those it leads to


class NodeBook:
    """Makes a run's nodes and records each phase change.

    A change is written in the transaction that starts the next process (its record and the
    process's go in together, before the OP or script starts), or ``FLUSH_TURNS`` turns of the
    event loop after it, or with the run's end, whichever comes first: about one commit per
    step instead of one per change, and never a process running that the state does not
    show. A crash loses at most the changes of those few turns (microseconds while the engine
    works), which a resumed run treats as not done (it runs those steps again).
    ``on_state_error`` learns when a deferred write fails (a full disk).
    """

    def __init__(self, wf_id: str, store: StateStore) -> None:
        self.wf_id = wf_id
        self.store = store
        self.open: Dict[str, Node] = {}                # started, not finished
        self.upstream: Dict[str, List[str]] = {}       # node name -> ids it follows (Argo's children)
        self.failures: List[Dict[str, Any]] = []       # failed pods: ``workflow.failures``
        self.on_state_error: Optional[Callable[[StateError], None]] = None
        self._pending: List[Tuple[str, tuple]] = []   # changes made, not written yet
        self._flush_handle: Optional[asyncio.Handle] = None
        self.planned: Dict[str, int] = {}              # loop owner id -> items planned

    def make(self, name: str, display: str, type_: str, *, template: Optional[str] = None,
             boundary: str = "", key: Optional[str] = None, parent: str = "") -> Node:
        """A new Pending node; ``depends_on`` (Argo's children wiring) comes from ``upstream``."""
        return {"id": node_id(self.wf_id, name), "name": name, "display_name": display,
                "type": type_, "template": template, "phase": "Pending", "boundary_id": boundary,
                "parent_id": parent, "message": None, "started_at": None, "finished_at": None,
                "key": key, "inputs": None, "outputs": None, "progress": None, "dir": None,
                "depends_on": self.upstream.get(name), "executor": None, "memoization": None,
                "out_types": {}}

    def save(self, n: Node) -> None:
        """Record the node as it is now: at the latest when this turn of the loop ends."""
        self.add(*self.store.node_statements(self.wf_id, n))

    def add(self, *statements: Tuple[str, tuple]) -> None:
        """Write ``statements`` with the next flush (at the latest when this turn ends)."""
        self._pending.extend(statements)
        if self._flush_handle is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:   # not on the engine's loop: write now
                self.flush()
                return
            self._flush_handle = loop.call_soon(self._flush_next_turn, loop, 0)

    def flush(self, *extra: Tuple[str, tuple]) -> None:
        """Write every change made so far (and ``extra`` statements) in one transaction."""
        self._unschedule()
        statements = self._pending + list(extra)
        if not statements:
            return
        self.store.write(statements)
        self._pending = []

    def _flush_next_turn(self, loop: asyncio.AbstractEventLoop, turns: int) -> None:
        """``FLUSH_TURNS`` turns more: what a change wakes (the next slice waiting for the
        worker that just finished, the step that ends with its last child) runs first, and
        one transaction takes them along."""
        if turns < FLUSH_TURNS:
            self._flush_handle = loop.call_soon(self._flush_next_turn, loop, turns + 1)
        else:
            self._flush_handle = loop.call_soon(self._flush_at_turn_end)

    def take(self) -> List[Tuple[str, tuple]]:
        """The changes not written yet, for the caller to write (the run's end takes them
        into its own transaction)."""
        self._unschedule()
        pending, self._pending = self._pending, []
        return pending

    def _unschedule(self) -> None:
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None

    def _flush_at_turn_end(self) -> None:
        self._flush_handle = None
        try:
            self.flush()
        except StateError as exc:
            if self.on_state_error is None:
                raise
            self.on_state_error(exc)

    def start(self, n: Node) -> Node:
        n["phase"] = "Running"
        n["started_at"] = time.time()
        self.save(n)
        self.open[n["id"]] = n
        return n

    def finish(self, n: Node, res: Result) -> Result:
        """Record the node's end (phase, message, outputs) and return ``res`` pointing at it."""
        n["phase"] = res.phase
        n["message"] = res.message
        n["finished_at"] = time.time()
        if n["started_at"] is None:
            n["started_at"] = n["finished_at"]
        types = n["out_types"]
        outputs: Dict[str, Any] = {
            "parameters": [param_entry(k, v, types.get(k)) for k, v in res.parameters.items()],
            "artifacts": [{"name": k, "path": list(a.parts) if a else None}
                          for k, a in res.artifacts.items()]}
        if res.result is not None:
            outputs["result"] = res.result
        if res.exit_code is not None:
            outputs["exitCode"] = res.exit_code
        n["outputs"] = outputs
        self.save(n)
        self.open.pop(n["id"], None)
        res.node_id = n["id"]
        if not res.outbound:
            res.outbound = [n["id"]]
        if res.phase in FAILED and n["type"] == "Pod":
            self.failures.append({"displayName": n["display_name"], "message": res.message,
                                  "templateName": n["template"], "phase": res.phase,
                                  "podName": n["id"], "finishedAt": n["finished_at"]})
        return res

    def plan(self, owner_id: str, items: int) -> None:
        """Record on a loop's owner (its step or task group) how many items it will make, as
        its ``progress`` ``0/<planned>``, so faces show progress toward the whole fan-out
        before the items start."""
        n = self.open.get(owner_id)
        if n is None or n["type"] not in ("StepGroup", "TaskGroup"):
            return
        self.planned[owner_id] = self.planned.get(owner_id, 0) + items
        n["progress"] = f"0/{self.planned[owner_id]}"
        self.save(n)

    def close_open(self, message: str) -> None:
        """Fail every node still open (the run was stopped, or the engine hit a bug)."""
        for n in list(self.open.values()):
            self.finish(n, Result("Failed", message))

    def internal_error(self, exc: Exception, name: str, display: str, *, template: Any,
                       boundary: str, key: Optional[str], parent: str) -> Result:
        """End node ``name`` as Error with an error the engine did not expect while running
        it (its traceback goes to the engine's stderr): the run goes on without it."""
        traceback.print_exception(type(exc), exc, exc.__traceback__)
        n = self.open.get(node_id(self.wf_id, name))
        if n is None:
            n = self.make(name, display, node_type(template),
                          template=getattr(template, "name", None),
                          boundary=boundary, key=key, parent=parent)
        message = os_error_message(exc) if isinstance(exc, OSError) else \
            f"internal error: {type(exc).__name__}: {exc}"
        return self.finish(n, Result("Error", message))


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class StepDirs:
    """Human-browsable step directories, one per executed node, named after the step."""

    def __init__(self, root: Path) -> None:
        self.root = root
        try:   # a resumed run's directories keep their names
            self._taken: Set[str] = set(os.listdir(root))
            self._root_made = True
        except FileNotFoundError:
            self._taken = set()
            self._root_made = False

    def allocate(self, display_name: str, key: Optional[str] = None, make: bool = True) -> str:
        """A directory named after the step (``-2``, ``-3``... if the name is taken); made
        here, or (``make=False``) only named, for the worker that runs the step to make."""
        base = _UNSAFE.sub("-", str(key) if key else display_name).strip("-.") or "step"
        if not self._root_made:
            os.makedirs(self.root, exist_ok=True)
            self._root_made = True
        name, n = base, 1
        while True:
            if name not in self._taken:
                path = os.path.join(self.root, name)
                if not make:
                    break
                try:
                    os.mkdir(path)
                    break
                except FileExistsError:
                    pass
            n += 1
            name = f"{base}-{n}"
        self._taken.add(name)
        return path
