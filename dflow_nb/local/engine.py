"""The local engine: runs a workflow model with Argo's semantics on this machine.

One asyncio coroutine per node. Steps templates run their groups in order and the steps of a
group together; DAG tasks start when what they depend on is done; loops fan out into item nodes
whose outputs are aggregated as Argo aggregates them. Leaves run in the warm Python worker pool
(OPs) or as subprocesses (shell/script/container templates) in their own step directories.
Every phase change is written to the state database before the engine moves on.
"""
from __future__ import annotations

import asyncio
import json
import math
import os
import re
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from dflow_nb.expressions import ExpressionError, evaluate, evaluate_when, format_value, render
from dflow_nb.local.dag_rules import assess_dag, depends_met, upstream
from dflow_nb.local.durations import parse_duration
from dflow_nb.local.leaves import LeafRunner
from dflow_nb.local.nodes import StepDirs, item_description, node
from dflow_nb.local.results import (
    FAILED,
    Art,
    Result,
    StepError,
    _json_or_str,
    _param_entry,
    aggregate,
    output_types,
    result_from_outputs,
)
from dflow_nb.local.retries import backoff_seconds, default_policy, policy_allows
from dflow_nb.local.state import StateStore
from dflow_nb.local.worker_pool import WorkerPool
from dflow_nb.model.dag import DAG
from dflow_nb.model.executor import executor_for
from dflow_nb.model.io import InputArtifact, OutputArtifact
from dflow_nb.model.references import ArgoSequence, ArgoVar, IfExpression
from dflow_nb.model.serialization import dumps
from dflow_nb.model.step import Step, encode_parameter
from dflow_nb.model.steps import Steps
from dflow_nb.model.templates import ScriptOPTemplate
from dflow_nb.python.op_runner import SliceSpec
from dflow_nb.python.python_op_template import PythonOPTemplate


class Run:
    """One execution of one workflow."""

    def __init__(self, workflow: Any, wf_id: str, wf_dir: Path, store: StateStore,
                 pool: WorkerPool, processes: asyncio.Semaphore,
                 reuse: Optional[Dict[str, Any]] = None,
                 prior: Optional[Dict[str, Dict[str, Any]]] = None) -> None:
        self.wf = workflow
        self.id = wf_id
        self.dir = wf_dir
        self.store = store
        self.pool = pool
        self.processes = processes
        self.op_slots = asyncio.Semaphore(pool.size)
        self.dirs = StepDirs(wf_dir)
        self.reuse = reuse or {}
        self.prior = prior or {}          # Succeeded nodes of an earlier attempt (resume)
        self.open: Dict[str, Dict[str, Any]] = {}   # started, not finished
        self.upstream: Dict[str, List[str]] = {}     # node name -> ids it follows (groups, tasks)
        self.fail_fast: Dict[str, asyncio.Event] = {}  # Steps(fail_fast=True) node id -> tripped
        self.gate = asyncio.Event()       # cleared while suspended: no new leaf starts
        self.gate.set()
        self.shutdown: Optional[str] = None   # "Terminate" or "Stop" once asked
        self.globals: Dict[str, Any] = {}
        self.global_arts: Dict[str, Art] = {}
        self.failures: List[Dict[str, Any]] = []
        self.pods = asyncio.Semaphore(workflow.parallelism) if workflow.parallelism else None
        self.leaves = LeafRunner(wf_id, pool, processes)
        self._rendered: Dict[int, Any] = {}

    # -- bookkeeping -------------------------------------------------------------------------
    def make_node(self, name: str, display: str, type_: str, **kw: Any) -> Dict[str, Any]:
        """A new node; ``depends_on`` (Argo's children wiring) comes from ``self.upstream``."""
        n = node(self.id, name, display, type_, **kw)
        n["depends_on"] = self.upstream.get(name)
        return n

    def save(self, n: Dict[str, Any]) -> None:
        self.store.upsert_node(self.id, n)

    def start(self, n: Dict[str, Any]) -> Dict[str, Any]:
        n["phase"] = "Running"
        n["started_at"] = time.time()
        self.save(n)
        self.open[n["id"]] = n
        return n

    def finish(self, n: Dict[str, Any], res: Result) -> Result:
        n["phase"] = res.phase
        n["message"] = res.message
        n["finished_at"] = time.time()
        if n["started_at"] is None:
            n["started_at"] = n["finished_at"]
        types = n.pop("out_types", {})
        n["outputs"] = {"parameters": [_param_entry(k, v, types.get(k))
                                       for k, v in res.parameters.items()],
                        "artifacts": [{"name": k, "path": list(a.parts) if a else None}
                                      for k, a in res.artifacts.items()]}
        if res.result is not None:
            n["outputs"]["result"] = res.result
        if res.exit_code is not None:
            n["outputs"]["exitCode"] = res.exit_code
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

    # -- the workflow --------------------------------------------------------------------------
    async def main(self) -> Tuple[str, Optional[str]]:
        scope: Dict[str, Any] = {"workflow.name": self.id, "workflow.namespace": "local",
                                 "workflow.uid": self.id}
        params = {}
        for k, v in (self.wf.parameters or {}).items():
            text = format_value(encode_parameter(v)) if not isinstance(v, str) else v
            scope[f"workflow.parameters.{k}"] = text
            params[k] = text
        self.root_scope = scope
        entry = self.wf.entrypoint
        entry_params = {k: v for k, v in params.items() if k in entry.inputs.parameters}
        self.entry_task = asyncio.ensure_future(
            self.invoke(entry, self.id, self.id, "", entry_params, {}, scope))
        watcher = asyncio.ensure_future(self.watch())
        try:
            res = await self.entry_task
            phase = "Succeeded" if res.phase in ("Succeeded", "Skipped", "Omitted") else res.phase
            message = res.message
        except asyncio.CancelledError:
            if self.shutdown is None:
                raise
            self.close_open_nodes(f"workflow shutdown with strategy: {self.shutdown}")
            phase, message = "Failed", f"Stopped with strategy '{self.shutdown}'"
        finally:
            watcher.cancel()
        if self.wf.on_exit is not None and self.shutdown != "Terminate":
            exit_scope = dict(scope)
            exit_scope["workflow.status"] = phase
            exit_scope["workflow.failures"] = json.dumps(self.failures)
            handler = await self.invoke(self.wf.on_exit, f"{self.id}.onExit", f"{self.id}.onExit",
                                        "", {}, {}, exit_scope)
            if phase == "Succeeded" and handler.phase in FAILED:
                phase, message = handler.phase, handler.message
        return phase, message

    def close_open_nodes(self, message: str) -> None:
        for n in list(self.open.values()):
            self.finish(n, Result("Failed", message))

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
            for n in list(self.open.values()):
                if n["type"] == "Pod" and n.get("dir"):
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
                        self.save(n)

    def control(self, action: str) -> None:
        """Act on terminate/stop (cancel the run, Argo's messages) and suspend/resume."""
        if action in ("terminate", "stop"):
            self.shutdown = "Terminate" if action == "terminate" else "Stop"
            self.gate.set()
            self.entry_task.cancel()
        elif action == "suspend":
            self.gate.clear()
            self.store.set_suspended(self.id, True)
        elif action == "resume":
            self.gate.set()
            self.store.set_suspended(self.id, False)

    def global_outputs(self) -> Dict[str, Any]:
        return {"parameters": dict(self.globals),
                "artifacts": {k: list(a.parts) for k, a in self.global_arts.items()}}

    # -- one template invocation ---------------------------------------------------------------
    async def invoke(self, tmpl: Any, name: str, display: str, boundary: str,
                     params: Dict[str, str], arts: Dict[str, Optional[Art]], scope: Dict[str, Any],
                     *, key: Optional[str] = None, parent: str = "",
                     slice_spec: Optional[SliceSpec] = None) -> Result:
        done = self.prior.get(name)
        if done is not None:
            return self.from_prior(tmpl, done)
        retry = getattr(tmpl, "retry_strategy", None) if tmpl.is_leaf else None
        if retry:
            return await self._with_retries(tmpl, retry, name, display, boundary, params, arts,
                                            scope, key, parent, slice_spec)
        return await self._invoke_once(tmpl, name, display, boundary, params, arts, scope,
                                       key=key, parent=parent, slice_spec=slice_spec)

    async def _with_retries(self, tmpl: Any, strategy: Dict[str, Any], name: str, display: str,
                            boundary: str, params: Dict[str, str], arts: Dict[str, Optional[Art]],
                            scope: Dict[str, Any], key: Optional[str], parent: str,
                            slice_spec: Optional[SliceSpec]) -> Result:
        """A Retry node whose children ``name(0)``, ``name(1)``... are the attempts."""
        limit = strategy.get("limit")
        limit = None if limit is None else int(render(str(limit), scope))
        policy = default_policy(strategy)
        backoff = strategy.get("backoff") or {}
        max_duration = parse_duration(backoff["maxDuration"]) if backoff.get("maxDuration") \
            else None
        holder = self.make_node(name, display, "Retry", template=tmpl.name, boundary=boundary,
                      key=key, parent=parent)
        holder["out_types"] = output_types(tmpl)
        self.start(holder)
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
                return self.finish(holder, res)
            stop = Result(res.phase, res.message, exit_code=res.exit_code)
            if self.shutdown is not None or not policy_allows(policy, res.phase, res.message):
                return self.finish(holder, stop)
            if strategy.get("expression"):
                env = dict(local)
                env.update({"lastRetry.exitCode": res.exit_code or "-1",
                            "lastRetry.status": res.phase, "lastRetry.message": res.message or "",
                            "lastRetry.duration": str(int(time.monotonic() - started))})
                if not evaluate(strategy["expression"], env):
                    return self.finish(holder, stop)
            if limit is not None and attempt >= limit:
                stop.message = "No more retries left"
                return self.finish(holder, stop)
            wait = backoff_seconds(backoff, attempt + 1)
            if max_duration is not None:
                elapsed = time.monotonic() - first
                if elapsed >= max_duration or elapsed + wait > max_duration:
                    stop.message = ("Max duration limit exceeded" if elapsed >= max_duration
                                    else "Backoff would exceed max duration limit")
                    return self.finish(holder, stop)
            if wait:
                await asyncio.sleep(wait)
            attempt += 1

    async def _invoke_once(self, tmpl: Any, name: str, display: str, boundary: str,
                           params: Dict[str, str], arts: Dict[str, Optional[Art]],
                           scope: Dict[str, Any], *, key: Optional[str], parent: str,
                           slice_spec: Optional[SliceSpec]) -> Result:
        type_ = "Steps" if isinstance(tmpl, Steps) else "DAG" if isinstance(tmpl, DAG) else "Pod"
        n = self.make_node(name, display, type_, template=tmpl.name, boundary=boundary, key=key,
                 parent=parent)
        n["out_types"] = output_types(tmpl)
        try:
            params, arts = self.bind_inputs(tmpl, params, arts)
        except StepError as exc:
            return self.finish(n, Result("Error", str(exc)))
        n["inputs"] = {"parameters": [{"name": k, "value": v} for k, v in params.items()],
                       "artifacts": [{"name": k, "path": list(a.parts) if a else None}
                                     for k, a in arts.items()]}
        local = dict(self.root_scope)   # workflow.* (globals included), not the caller's steps
        for k in ("workflow.status", "workflow.failures", "retries"):   # exit handlers, retries
            if k in scope:
                local[k] = scope[k]
        local.update({f"inputs.parameters.{k}": v for k, v in params.items()})
        local.update({f"inputs.artifacts.{k}": v for k, v in arts.items()})
        if type_ == "Pod":
            return await self.run_leaf(tmpl, n, params, arts, local, slice_spec)
        self.start(n)
        try:
            if type_ == "Steps":
                res = await self.run_steps(tmpl, n, local)
            else:
                res = await self.run_dag(tmpl, n, local)
            if res.ok:
                res.phase = "Succeeded"
                res.message = None
                self.template_outputs(tmpl, local, res)
        except (StepError, ExpressionError) as exc:
            res = Result("Error", str(exc))
        return self.finish(n, res)

    def from_prior(self, tmpl: Any, n: Dict[str, Any]) -> Result:
        """A node that Succeeded before the engine stopped: its outputs, not a new run."""
        res = result_from_outputs(n.get("outputs") or {}, "Succeeded", n.get("message"))
        res.node_id = n["id"]
        if tmpl.is_leaf:
            self.publish_globals(tmpl, res)
        return res

    def bind_inputs(self, tmpl: Any, params: Dict[str, str], arts: Dict[str, Optional[Art]]
                    ) -> Tuple[Dict[str, str], Dict[str, Optional[Art]]]:
        """Arguments plus declared defaults; what is missing is an error naming the input."""
        out_p: Dict[str, str] = {}
        for k, decl in tmpl.inputs.parameters.items():
            if k in params:
                out_p[k] = params[k]
            elif decl.has_value:
                v = decl.value
                out_p[k] = str(v) if isinstance(v, ArgoVar) else v if isinstance(v, str) \
                    else json.dumps(v)
            else:
                raise StepError(f"template {tmpl.name!r}: input parameter {k!r} has no value")
            if decl.enum and out_p[k] not in [str(e) for e in decl.enum]:
                raise StepError(f"template {tmpl.name!r}: input parameter {k!r} is "
                                f"{out_p[k]!r}, not one of {decl.enum}")
        out_a: Dict[str, Optional[Art]] = {}
        for k, decl in tmpl.inputs.artifacts.items():
            a = arts.get(k)
            if a is None and decl.source is not None and k not in arts:
                a = self.resolve_artifact(decl.source, {})
                if a is not None and decl.optional and not all(os.path.exists(p)
                                                               for p in a.parts):
                    a = None  # Argo: an optional artifact whose source is missing is skipped
            if a is None and not decl.optional:
                raise StepError(f"template {tmpl.name!r}: input artifact {k!r} is required "
                                "but none was given")
            out_a[k] = a
        return out_p, out_a

    # -- Steps ---------------------------------------------------------------------------------
    async def run_steps(self, tmpl: Steps, n: Dict[str, Any], scope: Dict[str, Any]) -> Result:
        sem = asyncio.Semaphore(tmpl.parallelism) if tmpl.parallelism else None
        previous: List[str] = []
        if tmpl.fail_fast:
            self.fail_fast[n["id"]] = asyncio.Event()
        for i, group in enumerate(tmpl.steps):
            gname = f"{n['name']}[{i}]"
            if previous:
                self.upstream[gname] = previous
            g = self.start(self.make_node(gname, f"[{i}]", "StepGroup", boundary=n["id"],
                                parent=n["id"]))
            results = await asyncio.gather(*(
                self.run_step(s, f"{gname}.{s.name}", n["id"], scope, g["id"], sem)
                for s in group))
            failed = None
            previous = [o for r in results for o in r.outbound]
            for s, r in zip(group, results):
                self.record(scope, "steps", s.name, r)
                if not r.ok and failed is None:
                    failed = r
            if failed is not None:
                msg = f"child '{failed.node_id}' failed"
                self.finish(g, Result(failed.phase, msg))
                return Result(failed.phase, msg)
            self.finish(g, Result("Succeeded"))
        return Result("Succeeded")

    def record(self, scope: Dict[str, Any], kind: str, name: str, r: Result) -> None:
        """Expose a finished step's outputs to its siblings, as Argo's scope does."""
        base = f"{kind}.{name}"
        scope.update({k: v for k, v in self.root_scope.items()
                      if k.startswith("workflow.outputs.")})
        scope[f"{base}.status"] = r.phase
        scope[f"{base}.id"] = r.node_id
        for k, v in r.parameters.items():
            scope[f"{base}.outputs.parameters.{k}"] = v
        for k, a in r.artifacts.items():
            scope[f"{base}.outputs.artifacts.{k}"] = a
        if r.result is not None:
            scope[f"{base}.outputs.result"] = r.result
        if r.exit_code is not None:
            scope[f"{base}.exitCode"] = r.exit_code

    # -- DAG -----------------------------------------------------------------------------------
    async def run_dag(self, tmpl: DAG, n: Dict[str, Any], scope: Dict[str, Any]) -> Result:
        tasks = tmpl.ordered()
        sem = asyncio.Semaphore(tmpl.parallelism) if tmpl.parallelism else None
        done: Dict[str, asyncio.Future] = {t.name: asyncio.get_running_loop().create_future()
                                           for t in tasks}
        stop = {"failed": None}
        handled = {name for t in tasks if t.depends is not None
                   for name in re.findall(r"([A-Za-z0-9][-A-Za-z0-9]*)\.(?:Failed|Errored|AllFailed"
                                          r"|AnySucceeded)", t.depends)}

        async def run_task(t: Any) -> None:
            dep_results = {d: await done[d] for d in upstream(t) if d in done}
            ids = [o for r in dep_results.values() for o in r.outbound]
            if ids:
                self.upstream[f"{n['name']}.{t.name}"] = ids
            if stop["failed"] is not None and tmpl.fail_fast:
                done[t.name].set_result(Result("Omitted", "omitted: the DAG failed fast"))
                return
            if not depends_met(t, dep_results):
                tn = self.make_node(f"{n['name']}.{t.name}", t.name, "Skipped", boundary=n["id"],
                          parent=n["id"], template=t.template.name)
                r = self.finish(tn, Result("Omitted", "omitted: depends condition not met"))
                self.record(scope, "tasks", t.name, r)
                done[t.name].set_result(r)
                return
            r = await self.run_step(t, f"{n['name']}.{t.name}", n["id"], scope, n["id"], sem)
            self.record(scope, "tasks", t.name, r)
            if not r.ok and stop["failed"] is None and t.name not in handled:
                stop["failed"] = r
            done[t.name].set_result(r)

        await asyncio.gather(*(run_task(t) for t in tasks))
        failed = assess_dag(tmpl, tasks, {name: f.result() for name, f in done.items()})
        if failed is not None:
            return Result(failed.phase, f"child '{failed.node_id}' failed")
        return Result("Succeeded")

    # -- one step: condition, loop, arguments --------------------------------------------------
    async def run_step(self, step: Step, name: str, boundary: str, scope: Dict[str, Any],
                       parent: str, sem: Optional[asyncio.Semaphore]) -> Result:
        try:
            if step.when is not None and not (isinstance(step.when, str) and step.when == ""):
                text = str(step.when) if isinstance(step.when, ArgoVar) else \
                    step.when if isinstance(step.when, str) else json.dumps(step.when)
                if not evaluate_when(text, scope):
                    n = self.make_node(name, step.name, "Skipped", boundary=boundary, parent=parent,
                             template=step.template.name)
                    return self.finish(n, Result("Skipped", f"when '{render(text, scope)}' "
                                                 "evaluated false",
                                                 _skipped_defaults(step.template)))
            items = self.loop_items(step, scope)
        except (ExpressionError, StepError, ValueError) as exc:
            n = self.make_node(name, step.name, "Pod", boundary=boundary, parent=parent,
                     template=step.template.name)
            return self.finish(n, self._continue(step, Result("Error", f"{step.name}: {exc}")))
        if items is None:
            res = self._continue(step, await self.call(step, name, step.name, boundary, scope,
                                                       parent, None, None, sem))
        else:
            res = await self.run_loop(step, name, boundary, scope, parent, items, sem)
        if step.hooks:
            await self.run_hooks(step, name, boundary, scope, res)
        return res

    async def run_hooks(self, step: Step, name: str, boundary: str, scope: Dict[str, Any],
                        res: Result) -> None:
        """Step hooks: ``exit`` runs when the step ends (node ``<step>.onExit``); a named hook
        runs (node ``<step>.hooks.<name>``) if its expression holds when the step ends."""
        local = dict(scope)
        local[f"{step.scope_kind}.{step.name}.status"] = res.phase
        local["workflow.status"] = "Running"
        local["workflow.failures"] = json.dumps(self.failures)
        for hname, hook in step.hooks.items():
            tmpl, params, arts, expr = _hook_parts(hook)
            try:
                if hname != "exit":
                    if expr is None or not evaluate(
                            expr.expr if isinstance(expr, ArgoVar) else str(expr), local):
                        continue
                hook_name = f"{name}.onExit" if hname == "exit" else f"{name}.hooks.{hname}"
                values = {k: self.argument(v, local) for k, v in params.items()}
                files = {k: self.resolve_artifact(v, local) for k, v in arts.items()}
            except (ExpressionError, StepError) as exc:
                n = self.make_node(f"{name}.onExit", f"{step.name}.onExit", "Pod",
                                   boundary=boundary, parent=res.node_id)
                self.finish(n, Result("Error", f"hook {hname!r}: {exc}"))
                continue
            display = f"{step.name}.onExit" if hname == "exit" else f"{step.name}.hooks.{hname}"
            await self.invoke(tmpl, hook_name, display, boundary, values, files, local,
                              parent=res.node_id)

    @staticmethod
    def _continue(step: Step, res: Result) -> Result:
        res.continue_ok = (res.phase == "Failed" and step.continue_on_failed) or \
            (res.phase == "Error" and step.continue_on_error)
        return res

    async def call(self, step: Step, name: str, display: str, boundary: str,
                   scope: Dict[str, Any], parent: str, item: Any,
                   slice_spec: Optional[SliceSpec], sem: Optional[asyncio.Semaphore],
                   sliced: Optional[Tuple[Dict[str, str], Dict[str, Art]]] = None) -> Result:
        local = scope
        if item is not None:
            local = dict(scope)
            local["item"] = item
            if isinstance(item, dict):
                for k, v in item.items():
                    local[f"item.{k}"] = v
        try:
            key = render(str(step.key), local) if step.key is not None else None
            if key is not None and key in self.reuse:
                return self.reused(step, name, display, boundary, parent, key)
            pre_params, pre_arts = sliced or ({}, {})
            params = {k: pre_params[k] if k in pre_params else self.argument(v, local)
                      for k, v in step.parameters.items()}
            arts = {k: pre_arts[k] if k in pre_arts else self.resolve_artifact(v, local)
                    for k, v in step.artifacts.items()}
        except (ExpressionError, StepError) as exc:
            n = self.make_node(name, display, "Pod", boundary=boundary, parent=parent,
                     template=step.template.name)
            return self.finish(n, Result("Error", f"{step.name}: {exc}"))
        tmpl = self.template_for(step)
        if sem is None:
            return await self.invoke(tmpl, name, display, boundary, params, arts, local,
                                     key=key, parent=parent, slice_spec=slice_spec)
        async with sem:
            return await self.invoke(tmpl, name, display, boundary, params, arts, local,
                                     key=key, parent=parent, slice_spec=slice_spec)

    def template_for(self, step: Step) -> Any:
        """The step's template as its executor (or the workflow's context) renders it."""
        if not step.template.is_leaf:
            return step.template
        cached = self._rendered.get(id(step))
        if cached is None:
            executor = executor_for(step, self.wf)
            cached = executor.render(step.template) if executor is not None else step.template
            self._rendered[id(step)] = cached
        return cached

    def reused(self, step: Step, name: str, display: str, boundary: str, parent: str,
               key: str) -> Result:
        rec = self.reuse[key]
        n = self.make_node(name, display, rec.type if rec.type in ("Pod", "Steps", "DAG") else
                 "Pod", template=step.template.name, boundary=boundary, key=key, parent=parent)
        return self.finish(n, result_from_outputs(rec.raw_outputs, "Succeeded", "reused"))

    def argument(self, value: Any, scope: Dict[str, Any]) -> str:
        if isinstance(value, ArgoVar):
            return render(str(value), scope)
        encoded = encode_parameter(value)
        if isinstance(encoded, ArgoVar):
            return render(str(encoded), scope)
        return render(encoded, scope) if "{{" in encoded else encoded

    def resolve_artifact(self, source: Any, scope: Dict[str, Any]) -> Optional[Art]:
        """What an artifact argument points at, as a local artifact."""
        if source is None:
            return None
        local = getattr(source, "local_path", None)
        if local is not None:
            return Art((str(local),)) if isinstance(local, (str, Path)) else \
                Art(tuple(str(p) for p in local))
        if isinstance(source, IfExpression) or (isinstance(source, ArgoVar)
                                                and not source.tag):
            value = evaluate(source.expr, scope)
            return value if isinstance(value, Art) or value is None else \
                self.resolve_artifact(value, scope)
        if isinstance(source, (InputArtifact, OutputArtifact)) or isinstance(source, ArgoVar):
            tag = source.tag
        elif isinstance(source, str) and source.startswith("{{") and source.endswith("}}"):
            inner = source[2:-2].strip()
            if inner.startswith("="):
                value = evaluate(inner[1:], scope)
                return value if isinstance(value, Art) or value is None else None
            tag = inner
        elif isinstance(source, (str, Path)):
            return Art((str(source),))
        elif isinstance(source, Art):
            return source
        else:
            raise StepError(f"cannot use {source!r} as an artifact")
        if tag not in scope:
            raise StepError(f"artifact {{{{{tag}}}}} is not available here (no such step output "
                            "has been produced in this template)")
        return scope[tag]

    # -- loops and slices ----------------------------------------------------------------------
    def loop_items(self, step: Step, scope: Dict[str, Any]) -> Optional[List[Any]]:
        if step.with_items is not None:
            return list(step.with_items)
        if step.with_param is not None:
            wp = step.with_param
            if isinstance(wp, (list, tuple)):
                return list(wp)
            text = render(str(wp), scope)
            try:
                items = json.loads(text)
            except ValueError:
                raise StepError(f"withParam value could not be parsed as a JSON list: {text[:200]}")
            if not isinstance(items, list):
                raise StepError(f"withParam value could not be parsed as a JSON list: {text[:200]}")
            return items
        if step.with_sequence is not None:
            return self.sequence(step.with_sequence, scope)
        sl = step.slices
        if sl is not None and isinstance(step.template, PythonOPTemplate):
            if sl.input_parameter:
                first = step.parameters.get(sl.input_parameter[0])
                values = json.loads(self.argument(first, scope)) if first is not None else []
                return list(range(len(values)))
            if sl.input_artifact:
                from dflow_nb.python.catalog import read_catalog
                art = self.resolve_artifact(step.artifacts.get(sl.input_artifact[0]), scope)
                count = sum(len(read_catalog(p) or os.listdir(p)) if os.path.isdir(p) else 1
                            for p in (art.parts if art else ()))
                return list(range(count))
        return None

    def sequence(self, seq: ArgoSequence, scope: Dict[str, Any]) -> List[str]:
        def num(v: Any) -> Optional[int]:
            if v is None:
                return None
            text = str(v) if isinstance(v, ArgoVar) else v
            return int(render(text, scope) if isinstance(text, str) else text)
        count, start, end = num(seq.count), num(seq.start) or 0, num(seq.end)
        if count is not None:
            values = list(range(start, start + count))
        elif end is not None:
            values = list(range(start, end + 1)) if end >= start else list(range(start, end - 1, -1))
        else:
            values = []
        fmt = seq.format
        return [(fmt % v) if fmt else str(v) for v in values]

    async def run_loop(self, step: Step, name: str, boundary: str, scope: Dict[str, Any],
                       parent: str, items: List[Any], sem: Optional[asyncio.Semaphore]) -> Result:
        is_dag = step.scope_kind == "tasks"
        group = None
        owner = parent
        if is_dag:
            group = self.start(self.make_node(name, step.name, "TaskGroup", boundary=boundary,
                                    parent=parent, template=step.template.name))
            owner = group["id"]
        if not items:
            n = self.make_node(name if not is_dag else f"{name}(0)", step.name, "Skipped",
                     boundary=boundary, parent=owner)
            res = self.finish(n, Result("Skipped", "Skipped, empty params"))
            if group is not None:
                self.finish(group, Result("Succeeded"))
            return self._aggregate(step, [], [])
        sl = step.slices if isinstance(step.template, PythonOPTemplate) else None
        specs: List[Optional[SliceSpec]] = [None] * len(items)
        inputs: List[Any] = [None] * len(items)
        if sl is not None:
            items, specs = self.slice_plan(step, sl, items, scope)
            if getattr(self.template_for(step), "merge_sliced_step", False):
                # One leaf runs every slice (DispatcherExecutor(merge_sliced_step=True)).
                child = f"{name}(0)" if is_dag else name
                res = await self.call(step, child, step.name, boundary, scope, owner, None,
                                      list(specs), sem)  # type: ignore[arg-type]
                if group is not None:
                    self.finish(group, Result(res.phase, res.message))
                return self._continue(step, res) if res.phase in FAILED else res
            try:
                inputs = self.sliced_inputs(step, sl, specs, scope)
            except (ExpressionError, StepError, ValueError) as exc:
                n = self.make_node(name, step.name, "Pod", boundary=boundary, parent=owner,
                         template=step.template.name)
                return self._continue(step, self.finish(n, Result("Error", f"{step.name}: {exc}")))
        limit = asyncio.Semaphore(step.parallelism) if step.parallelism else None

        tripped = self.fail_fast.get(boundary)

        async def one(j: int, item: Any) -> Result:
            if limit is None:
                res = await one_item(j, item)
            else:
                async with limit:
                    res = await one_item(j, item)
            if tripped is not None and res.phase in FAILED and not res.continue_ok:
                tripped.set()
            return res

        async def one_item(j: int, item: Any) -> Result:
            if tripped is not None and tripped.is_set():   # failFast: start no more items
                return Result("Omitted", "not started: the template failed fast")
            desc = item_description(item)
            child = f"{name}({j}:{desc})"
            display = f"{step.name}({j}:{desc})"
            return await self.call(step, child, display, boundary, scope, owner, item,
                                   specs[j], sem, inputs[j])

        results = list(await asyncio.gather(*(one(j, it) for j, it in enumerate(items))))
        res = self._aggregate(step, items, results)
        if group is not None:
            self.finish(group, Result(res.phase, res.message))
        return self._continue(step, res) if res.phase in FAILED else res

    def slice_plan(self, step: Step, sl: Any, items: List[Any], scope: Dict[str, Any]
                   ) -> Tuple[List[Any], List[Optional[SliceSpec]]]:
        """Per-child slice indices: the slices expression per item, grouped by group_size."""
        def index_of(item: Any) -> Any:
            local = dict(scope)
            local["item"] = item
            if isinstance(item, dict):
                local.update({f"item.{k}": v for k, v in item.items()})
            text = render(sl.slices, local)
            try:
                return json.loads(text)
            except ValueError:
                raise StepError(f"slices expression {sl.slices!r} gave {text!r}, not an index")

        indices = [index_of(it) for it in items]
        if sl.shuffle and sl.group_size:
            import random
            random.Random(sl.random_seed).shuffle(indices)
        if sl.group_size:
            g = sl.group_size
            groups = [indices[k * g:(k + 1) * g] for k in range(math.ceil(len(indices) / g))]
            new_items: List[Any] = list(range(len(groups)))
            chosen: List[Any] = groups
        else:
            new_items, chosen = items, indices
        specs = [SliceSpec(index=c, input_parameter=sl.input_parameter,
                           input_artifact=sl.input_artifact, output_parameter=sl.output_parameter,
                           output_artifact=sl.output_artifact, pool_size=sl.pool_size,
                           create_dir=sl.create_dir) for c in chosen]
        return new_items, specs  # type: ignore[return-value]

    def sliced_inputs(self, step: Step, sl: Any, specs: List[Optional[SliceSpec]],
                      scope: Dict[str, Any]) -> List[Tuple[Dict[str, str], Dict[str, Art]]]:
        """Each slice's own elements, computed once for the whole fan-out.

        Argo hands every slice the whole list and lets it pick; here each slice gets only its
        elements (and only its items of a sliced artifact), so a fan-out of n costs O(n),
        not O(n^2). The spec's ``index`` becomes local and ``order`` keeps the slice number.
        """
        from dflow_nb.python.op_runner import parse_parameter
        lists = {}
        for k in sl.input_parameter:
            if k in step.parameters:
                text = self.argument(step.parameters[k], scope)
                lists[k] = parse_parameter(text, list, f"{step.name}, sliced input {k!r}")
                if not isinstance(lists[k], list):
                    raise StepError(f"sliced input parameter {k!r} must be a list, given {text[:80]}")
        arts = {k: self.resolve_artifact(step.artifacts[k], scope)
                for k in sl.input_artifact if k in step.artifacts}
        out = []
        for spec in specs:
            assert spec is not None
            wanted = spec.index if isinstance(spec.index, list) else [spec.index]
            for k, values in lists.items():
                for i in wanted:
                    if not 0 <= i < len(values):
                        raise StepError(f"slice {i} of input {k!r} is out of range "
                                        f"(the list has {len(values)} items)")
            params = {k: dumps([values[i] for i in wanted]) for k, values in lists.items()}
            sliced_arts = {k: Art(a.parts[:1], tuple(wanted)) if a is not None else None
                           for k, a in arts.items()}
            spec.order = spec.index
            spec.index = list(range(len(wanted))) if isinstance(spec.index, list) else 0
            out.append((params, sliced_arts))
        return out

    def _aggregate(self, step: Step, items: List[Any], results: List[Result]) -> Result:
        ok = [r for r in results if r.phase == "Succeeded"]
        failed = [r for r in results if r.phase in FAILED and not r.continue_ok]
        n_ok = len(ok)
        phase, message = "Succeeded", None
        if step.continue_on_num_success is not None or step.continue_on_success_ratio is not None:
            need = step.continue_on_num_success if step.continue_on_num_success is not None \
                else math.ceil(step.continue_on_success_ratio * len(results))
            if n_ok < need:
                phase, message = "Failed", f"{n_ok} of {len(results)} succeeded, {need} needed"
        elif failed:
            phase, message = failed[0].phase, f"child '{failed[0].node_id}' failed"
        params: Dict[str, str] = {}
        names = list(step.template.outputs.parameters)
        for p in names:
            params[p] = aggregate([r.parameters.get(p) for r in ok])
        arts: Dict[str, Optional[Art]] = {}
        for a in step.template.outputs.artifacts:
            parts = tuple(pp for r in ok for art in [r.artifacts.get(a)] if art for pp in art.parts)
            arts[a] = Art(parts) if parts else None
        result = None
        if any(r.result is not None for r in ok):
            result = json.dumps([_json_or_str(r.result) for r in ok])
        return Result(phase, message, params, arts, result,
                      children_phases=[r.phase for r in results],
                      outbound=[o for r in results for o in r.outbound])

    # -- outputs of Steps/DAG templates --------------------------------------------------------
    def template_outputs(self, tmpl: Any, scope: Dict[str, Any], res: Result) -> None:
        for k, p in tmpl.outputs.parameters.items():
            value: Optional[str] = None
            try:
                if p.value_from_parameter is not None:
                    value = self.argument(p.value_from_parameter, scope)
                elif p.value_from_expression is not None:
                    expr = p.value_from_expression
                    v = evaluate(expr.expr if isinstance(expr, ArgoVar) else str(expr), scope)
                    value = None if v is None else format_value(v)
            except (ExpressionError, StepError):
                if not p.has_default:
                    raise
            if value is None:
                if not p.has_default:
                    raise StepError(f"output parameter {k!r} of {tmpl.name!r} has no value")
                value = p.default if isinstance(p.default, str) else json.dumps(p.default)
            res.parameters[k] = value
            if p.global_name:
                self.set_global(p.global_name, value)
        for k, a in tmpl.outputs.artifacts.items():
            src = a._from if a._from is not None else a.from_expression
            art = self.resolve_artifact(src, scope) if src is not None else None
            res.artifacts[k] = art
            if a.global_name and art is not None:
                self.global_arts[a.global_name] = art
                self.root_scope[f"workflow.outputs.artifacts.{a.global_name}"] = art

    def publish_globals(self, tmpl: Any, res: Result) -> None:
        """Outputs declared with global_name become workflow outputs."""
        for k, v in res.parameters.items():
            decl = tmpl.outputs.parameters[k] if k in tmpl.outputs.parameters else None
            if decl is not None and decl.global_name:
                self.set_global(decl.global_name, v)
        for k, a in res.artifacts.items():
            decl = tmpl.outputs.artifacts[k] if k in tmpl.outputs.artifacts else None
            if decl is not None and decl.global_name and a is not None:
                self.global_arts[decl.global_name] = a
                self.root_scope[f"workflow.outputs.artifacts.{decl.global_name}"] = a

    def set_global(self, name: str, value: str) -> None:
        self.globals[name] = value
        self.root_scope[f"workflow.outputs.parameters.{name}"] = value

    # -- leaves --------------------------------------------------------------------------------
    async def run_leaf(self, tmpl: Any, n: Dict[str, Any], params: Dict[str, str],
                       arts: Dict[str, Optional[Art]], scope: Dict[str, Any],
                       slice_spec: Optional[SliceSpec]) -> Result:
        """A leaf waits (Pending, unrecorded) for a worker or process slot and, if the
        workflow limits parallelism, for a pod slot; then it runs."""
        slots = self.op_slots if isinstance(tmpl, PythonOPTemplate) else self.processes
        async with slots:
            tripped = self.fail_fast.get(n["boundary_id"])
            if tripped is not None and tripped.is_set():   # failFast: start no more pods
                return Result("Omitted", "not started: the template failed fast")
            if self.pods is not None:
                async with self.pods:
                    return await self._leaf(tmpl, n, params, arts, scope, slice_spec)
            return await self._leaf(tmpl, n, params, arts, scope, slice_spec)

    async def _leaf(self, tmpl: Any, n: Dict[str, Any], params: Dict[str, str],
                    arts: Dict[str, Optional[Art]], scope: Dict[str, Any],
                    slice_spec: Optional[SliceSpec]) -> Result:
        await self.gate.wait()
        d = self.dirs.allocate(n["display_name"], n["key"])
        n["dir"] = str(d)
        if tmpl.init_progress and isinstance(tmpl, ScriptOPTemplate):
            n["progress"] = tmpl.init_progress
        self.start(n)
        (d / "inputs" / "parameters").mkdir(parents=True)
        for k, v in params.items():
            (d / "inputs" / "parameters" / k).write_text(v)
        try:
            timeout = self.leaves.timeout_of(tmpl, scope)
            res = await self.leaves.execute(tmpl, n, d, params, arts, scope, slice_spec, timeout)
        except (StepError, ExpressionError, OSError, ValueError) as exc:
            res = Result("Error", str(exc))
        self.publish_globals(tmpl, res)
        executor_record(n)
        progress = d / "progress"
        if progress.exists():
            n["progress"] = progress.read_text()
        elif res.phase == "Succeeded":
            n["progress"] = "1/1"
        return self.finish(n, res)


def _skipped_defaults(tmpl: Any) -> Dict[str, str]:
    """Outputs of a Skipped step: only declared ``valueFrom.default`` values (Argo v4)."""
    return {k: p.default if isinstance(p.default, str) else json.dumps(p.default)
            for k, p in tmpl.outputs.parameters.items() if p.has_default}


def _hook_parts(hook: Any) -> Tuple[Any, Dict[str, Any], Dict[str, Any], Any]:
    """(template, parameters, artifacts, expression) of a hook given as a Step, a dict
    ``{"template": ..., "parameters": ..., "expression": ...}`` or a bare template."""
    if isinstance(hook, Step):
        return hook.template, hook.parameters, hook.artifacts, hook.when
    if isinstance(hook, dict):
        return (hook["template"], dict(hook.get("parameters") or {}),
                dict(hook.get("artifacts") or {}), hook.get("expression"))
    return hook, {}, {}, None


def executor_record(n: Dict[str, Any]) -> bool:
    """Copy what an executor reports about a step (``executor.json`` in its directory, e.g.
    the scheduler's job ids and states) into the node; True if it changed."""
    try:
        data = json.loads((Path(n["dir"]) / "executor.json").read_text())
    except (OSError, ValueError, TypeError):
        return False
    if data == n.get("executor"):
        return False
    n["executor"] = data
    return True
