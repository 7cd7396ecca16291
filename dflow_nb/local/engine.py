"""The local engine: runs a workflow model with Argo's semantics on this machine.

One asyncio coroutine per node. Steps templates run their groups in order and the steps of a
group together; DAG tasks start when what they depend on is done (``composite``); loops fan out
into item nodes whose outputs are aggregated as Argo aggregates them (``loops``). Leaves run in
the warm Python worker pool (OPs) or as subprocesses (shell/script/container templates) in their
own step directories (``leaves``). Every phase change is written to the state database before
a process that depends on it starts, and within a few turns of the event loop otherwise
(``nodes.FLUSH_TURNS``), the changes of those turns in one transaction (``nodes``).

An error the engine did not expect while it runs one node ends that node as Error, with a
message; the run goes on as after any Error. Only the state itself failing (a full disk under
the database) ends the run: its running nodes are cancelled and settled first.
"""
from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any, Awaitable, Dict, Optional, Tuple

from dflow_nb.expressions import ExpressionError, evaluate, format_value, render
from dflow_nb.hub.records import StepRecord
from dflow_nb.hub.workflow import Workflow
from dflow_nb.local.arguments import bind_inputs, resolve_artifact
from dflow_nb.local.composite import CompositeRunner
from dflow_nb.local.durations import parse_duration
from dflow_nb.local.leaves import LeafRunner, executor_record
from dflow_nb.local.nodes import NodeBook, node_type
from dflow_nb.local.outputs import WorkflowScope, template_outputs
from dflow_nb.local.results import (
    FAILED,
    Art,
    Result,
    Scope,
    SliceArg,
    StepError,
    input_entries,
    input_types,
    output_types,
    result_from_outputs,
)
from dflow_nb.local.retries import backoff_seconds, default_policy, policy_allows
from dflow_nb.local.state import StateError, StateStore
from dflow_nb.local.worker_pool import WorkerPool
from dflow_nb.model.step import Template, encode_parameter
from dflow_nb.model.templates import OPTemplate

DEADLINE = "Step exceeded its deadline"   # Argo's message when activeDeadlineSeconds passes


class Run:
    """One execution of one workflow: its entrypoint, exit handler and controls, and each
    template call (a node, with its retries)."""

    def __init__(self, workflow: Workflow, wf_id: str, wf_dir: Path, store: StateStore,
                 pool: WorkerPool, processes: asyncio.Semaphore,
                 reuse: Optional[Dict[str, StepRecord]] = None,
                 prior: Optional[Dict[str, Dict[str, Any]]] = None, echo: bool = False) -> None:
        self.wf = workflow
        self.id = wf_id
        self.store = store
        self.prior = prior or {}          # Succeeded nodes of an earlier attempt (resume), by name
        self.shutdown: Optional[str] = None   # "Terminate" or "Stop" once asked
        self.reason: Optional[str] = None     # why, when it was not asked (the process exits)
        self.fatal: Optional[BaseException] = None   # the state could not be written
        self.current: Optional[asyncio.Future[Result]] = None   # entrypoint, then exit handler
        self.watcher: Optional[asyncio.Future[None]] = None
        self.book = NodeBook(wf_id, store)
        self.book.on_state_error = self._state_failed
        self.wf_scope = WorkflowScope(wf_id)
        self._types: Dict[int, Tuple[Dict[str, str], Dict[str, str]]] = {}   # see types_of
        fail_fast: Dict[str, asyncio.Event] = {}   # Steps(fail_fast=True) node id -> tripped
        self.leaves = LeafRunner(wf_id, wf_dir, pool, processes, workflow.parallelism,
                                 self.book, self.wf_scope, fail_fast)
        self.leaves.echo = echo
        self.composites = CompositeRunner(workflow, self.book, self.wf_scope, self.invoke,
                                          reuse or {}, fail_fast)

    # -- the workflow --------------------------------------------------------------------------
    async def main(self) -> Tuple[str, Optional[str]]:
        scope = self.wf_scope.scope
        params = {}
        for k, v in (self.wf.parameters or {}).items():
            text = format_value(encode_parameter(v)) if not isinstance(v, str) else v
            scope[f"workflow.parameters.{k}"] = text
            params[k] = text
        # all of them as Argo lists them: [{"name": ..., "value": ...}, ...]
        listed = format_value([{"name": k, "value": v} for k, v in params.items()])
        scope.setdefault("workflow.parameters.json", listed)
        scope["workflow.parameters"] = listed
        entry = self.wf.entrypoint
        if entry is None:
            raise StepError("the workflow has no steps")
        entry_params = {k: v for k, v in params.items() if k in entry.inputs.parameters}
        entry_arts = {k: resolve_artifact(v, scope) for k, v in self.wf.artifacts.items()
                      if k in entry.inputs.artifacts}
        self.watcher = asyncio.ensure_future(self.watch())
        self.watcher.add_done_callback(self._watch_ended)
        deadline = getattr(self.wf, "active_deadline_seconds", None)
        timer = None if deadline is None else asyncio.get_running_loop().call_later(
            float(deadline), self.control, "deadline")
        try:
            res = await self._stage(self.invoke(entry, self.id, self.id, "", entry_params,
                                                entry_arts, scope))
            if timer is not None:
                timer.cancel()   # the exit handler is not subject to the deadline (Argo)
            message: Optional[str]
            if res is None:   # stopped: the exit handler runs all the same (not terminated)
                phase, message = "Failed", self.stopped()
            else:
                phase = "Succeeded" if res.phase in ("Succeeded", "Skipped", "Omitted") \
                    else res.phase
                message = res.message
            if self.wf.on_exit is not None and self.shutdown != "Terminate":
                exit_scope = dict(scope)
                exit_scope["workflow.status"] = phase
                exit_scope["workflow.failures"] = json.dumps(self.book.failures)
                handler = await self._stage(self.invoke(
                    self.wf.on_exit, f"{self.id}.onExit", f"{self.id}.onExit", "", {}, {},
                    exit_scope))
                if handler is None:
                    return "Failed", self.stopped()
                if phase == "Succeeded" and handler.phase in FAILED:
                    phase, message = handler.phase, handler.message
            return phase, message
        finally:
            if timer is not None:
                timer.cancel()
            await self.settle()   # every node's last change is made; the run's end writes them

    async def _stage(self, call: Awaitable[Result]) -> Optional[Result]:
        """Run the entrypoint (or the exit handler) as the task a stop, a terminate or a
        failing state cancels; None when it was stopped (its open nodes closed), the state's
        error when that failed."""
        self.current = asyncio.ensure_future(call)
        if self.fatal is not None:
            self.current.cancel()
        try:
            return await self.current
        except asyncio.CancelledError:
            if self.fatal is not None:
                raise self.fatal from None
            if self.shutdown is None:
                raise
            self.close_open_nodes(DEADLINE if self.shutdown == "Deadline" else
                                  f"workflow shutdown with strategy: {self.shutdown}")
            return None

    def stopped(self) -> str:
        """Argo's message for a stopped run, and why when nobody asked (the process exits)."""
        if self.shutdown == "Deadline":
            return DEADLINE
        text = f"Stopped with strategy '{self.shutdown}'"
        return f"{text}: {self.reason}" if self.reason else text

    async def settle(self) -> None:
        """Wait until nothing of this run runs any more: its stage and its watcher."""
        for task in (self.current, self.watcher):
            if task is not None and not task.done():
                task.cancel()
        for task in (self.current, self.watcher):
            while task is not None and not task.done():
                try:
                    await asyncio.wait([task])
                except asyncio.CancelledError:
                    continue   # the run's own end waits for its nodes to settle first

    def _watch_ended(self, watcher: asyncio.Future[None]) -> None:
        """The watcher writes the heartbeat: if the state cannot be written, the run ends."""
        error = None if watcher.cancelled() else watcher.exception()
        if error is not None:
            self._state_failed(error)

    def _state_failed(self, exc: BaseException) -> None:
        """The state cannot be written (a heartbeat, a node's change): the run ends."""
        if self.fatal is None:
            self.fatal = exc
        if self.current is not None:
            self.current.cancel()

    def halt(self, reason: str) -> None:
        """Terminate the run because its engine's process is going away (``reason``)."""
        self.reason = reason
        self.control("terminate")

    def close_open_nodes(self, message: str) -> None:
        self.book.close_open(message)

    async def watch(self) -> None:
        """Heartbeat, requests from other processes, and live progress of running OPs."""
        beat = 0.0
        progress_seen: Dict[str, str] = {}
        while True:
            await asyncio.sleep(0.2)
            now = time.monotonic()
            if now - beat >= 1.0:
                self.store.heartbeat(self.id)
                beat = now
            for action in self.store.take_controls(self.id):
                self.control(action)
            for n in list(self.book.open.values()):
                if n["type"] == "Pod" and n["dir"]:
                    try:
                        text = (Path(n["dir"]) / "progress").read_text()
                    except OSError:
                        text = ""
                    changed = executor_record(n)
                    if text and progress_seen.get(n["id"]) != text:
                        progress_seen[n["id"]] = text
                        n["progress"] = text
                        changed = True
                    if changed:
                        self.book.save(n)

    def control(self, action: str) -> None:
        """Act on terminate/stop (cancel the run, Argo's messages), the workflow's deadline
        (as stop: the exit handler still runs) and suspend/resume."""
        if action in ("terminate", "stop", "deadline"):
            if self.shutdown is not None and action == "deadline":
                return
            self.shutdown = {"terminate": "Terminate", "stop": "Stop"}.get(action, "Deadline")
            self.leaves.gate.set()
            if self.current is not None:
                self.current.cancel()
        elif action == "suspend":
            self.leaves.gate.clear()
            self.store.set_suspended(self.id, True)
        elif action == "resume":
            self.leaves.gate.set()
            self.store.set_suspended(self.id, False)

    def global_outputs(self) -> Dict[str, Any]:
        return self.wf_scope.outputs()

    # -- one template invocation ---------------------------------------------------------------
    async def invoke(self, tmpl: Template, name: str, display: str, boundary: str,
                     params: Dict[str, str], arts: Dict[str, Optional[Art]], scope: Scope,
                     *, key: Optional[str] = None, parent: str = "",
                     slice_spec: SliceArg = None) -> Result:
        """Call a template as node ``name``: a resumed run's earlier result, or a new node
        (with its attempts under a Retry node when the leaf has a retryStrategy). An error the
        engine did not expect ends the node as Error; only the state failing ends the run."""
        try:
            done = self.prior.get(name)
            if done is not None:
                return self.from_prior(tmpl, done)
            retry = getattr(tmpl, "retry_strategy", None) if tmpl.is_leaf else None
            if retry:
                return await self._with_retries(tmpl, retry, name, display, boundary, params,
                                                arts, scope, key, parent, slice_spec)
            return await self._invoke_once(tmpl, name, display, boundary, params, arts, scope,
                                           key=key, parent=parent, slice_spec=slice_spec)
        except StateError:
            raise
        except Exception as exc:
            return self.book.internal_error(exc, name, display, template=tmpl,
                                            boundary=boundary, key=key, parent=parent)

    async def _with_retries(self, tmpl: Template, strategy: Dict[str, Any], name: str,
                            display: str, boundary: str, params: Dict[str, str],
                            arts: Dict[str, Optional[Art]], scope: Scope, key: Optional[str],
                            parent: str, slice_spec: SliceArg) -> Result:
        """A Retry node whose children ``name(0)``, ``name(1)``... are the attempts."""
        limit_text = strategy.get("limit")
        limit = None if limit_text is None else int(render(str(limit_text), scope))
        policy = default_policy(strategy)
        backoff = strategy.get("backoff") or {}
        max_duration = parse_duration(backoff["maxDuration"]) if backoff.get("maxDuration") \
            else None
        holder = self.book.make(name, display, "Retry", template=tmpl.name, boundary=boundary,
                                key=key, parent=parent)
        holder["out_types"] = output_types(tmpl)
        self.book.start(holder)
        first = time.monotonic()
        attempt = 0
        while True:
            started = time.monotonic()
            local = dict(scope)
            local["retries"] = str(attempt)
            res = await self._invoke_once(tmpl, f"{name}({attempt})", f"{display}({attempt})",
                                          boundary, params, arts, local, key=None,
                                          parent=holder["id"], slice_spec=slice_spec)
            if res.phase not in FAILED:
                return self.book.finish(holder, res)
            stop = Result(res.phase, res.message, exit_code=res.exit_code)
            if self.shutdown is not None or not policy_allows(policy, res.phase, res.message):
                return self.book.finish(holder, stop)
            if strategy.get("expression"):
                env = dict(local)
                env.update({"lastRetry.exitCode": res.exit_code or "-1",
                            "lastRetry.status": res.phase, "lastRetry.message": res.message or "",
                            "lastRetry.duration": str(int(time.monotonic() - started))})
                if not evaluate(strategy["expression"], env):
                    return self.book.finish(holder, stop)
            if limit is not None and attempt >= limit:
                stop.message = "No more retries left"
                return self.book.finish(holder, stop)
            wait = backoff_seconds(backoff, attempt + 1)
            if max_duration is not None:
                elapsed = time.monotonic() - first
                if elapsed >= max_duration or elapsed + wait > max_duration:
                    stop.message = ("Max duration limit exceeded" if elapsed >= max_duration
                                    else "Backoff would exceed max duration limit")
                    return self.book.finish(holder, stop)
            if wait:
                await asyncio.sleep(wait)
            attempt += 1

    async def _invoke_once(self, tmpl: Template, name: str, display: str, boundary: str,
                           params: Dict[str, str], arts: Dict[str, Optional[Art]],
                           scope: Scope, *, key: Optional[str], parent: str,
                           slice_spec: SliceArg) -> Result:
        n = self.book.make(name, display, node_type(tmpl), template=tmpl.name, boundary=boundary, key=key,
                           parent=parent)
        types, n["out_types"] = self.types_of(tmpl)
        try:
            params, arts = bind_inputs(tmpl, params, arts, self.wf_scope.scope)
        except StepError as exc:
            return self.book.finish(n, Result("Error", str(exc)))
        n["inputs"] = {"parameters": input_entries(params, types, slice_spec),
                       "artifacts": [{"name": k, "path": list(a.parts) if a else None}
                                     for k, a in arts.items()]}
        local = dict(self.wf_scope.scope)   # workflow.* (globals included), not the caller's steps
        for k in ("workflow.status", "workflow.failures", "retries"):   # exit handlers, retries
            if k in scope:
                local[k] = scope[k]
        local.update({f"inputs.parameters.{k}": v for k, v in params.items()})
        local.update({f"inputs.artifacts.{k}": v for k, v in arts.items()})
        if isinstance(tmpl, OPTemplate):
            return await self.leaves.run(tmpl, n, params, arts, local, slice_spec)
        self.book.start(n)
        try:
            res = await self.composites.run(tmpl, n, local)
            if res.ok:
                res.phase = "Succeeded"
                res.message = None
                template_outputs(tmpl, local, res, self.wf_scope)
        except (StepError, ExpressionError) as exc:
            res = Result("Error", str(exc))
        return self.book.finish(n, res)

    def types_of(self, tmpl: Template) -> Tuple[Dict[str, str], Dict[str, str]]:
        """The template's declared input and output types, worked out once per run (a
        fan-out calls it for every slice)."""
        found = self._types.get(id(tmpl))
        if found is None:
            found = self._types[id(tmpl)] = (input_types(tmpl), output_types(tmpl))
        return found

    def from_prior(self, tmpl: Template, n: Dict[str, Any]) -> Result:
        """A node that Succeeded before the engine stopped: its outputs, not a new run."""
        res = result_from_outputs(n.get("outputs") or {}, "Succeeded", n.get("message"))
        res.node_id = n["id"]
        if tmpl.is_leaf:
            self.wf_scope.publish(tmpl, res)
        return res
