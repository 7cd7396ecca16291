"""Steps and DAG templates: groups run in order and the steps of a group together, DAG tasks
as soon as what they depend on is done; and each step in them (its condition, loop, arguments,
reuse and hooks). What a step calls goes back to the engine's ``invoke``."""
from __future__ import annotations

import asyncio
import json
import re
from typing import (
    Any,
    Awaitable,
    Callable,
    Dict,
    Iterable,
    List,
    Optional,
    Protocol,
    Tuple,
    TypeVar,
    Union,
)

from dflow_nb.expressions import ExpressionError, evaluate, evaluate_when, render
from dflow_nb.hub.records import StepRecord
from dflow_nb.hub.workflow import Workflow
from dflow_nb.local.arguments import absent_reference, argument, item_scope, resolve_artifact
from dflow_nb.local.dag_rules import assess_dag, depends_met
from dflow_nb.local.loops import (
    SlicedInputs,
    loop_items,
    loop_result,
    slice_plan,
    sliced_inputs,
    success_verdict,
)
from dflow_nb.local.nodes import Node, NodeBook, item_description
from dflow_nb.local.outputs import WorkflowScope, expose, skipped_defaults
from dflow_nb.local.results import (
    FAILED,
    Art,
    Result,
    Scope,
    SliceArg,
    StepError,
    output_types,
    result_from_outputs,
)
from dflow_nb.local.state import StateError
from dflow_nb.model.composite import CompositeTemplate
from dflow_nb.model.dag import DAG
from dflow_nb.model.depends import upstream
from dflow_nb.model.executor import executor_for
from dflow_nb.model.references import ArgoVar
from dflow_nb.model.step import Step, Task, Template
from dflow_nb.model.steps import Steps
from dflow_nb.model.templates import OPTemplate
from dflow_nb.python.op_runner import SliceSpec
from dflow_nb.python.python_op_template import PythonOPTemplate

T = TypeVar("T")


LEAF_WINDOW = 256   # a leaf loop's items under way at once (far more than worker slots)


class Invoke(Protocol):
    """The engine's entry for one template call (a node, its retries, its outputs)."""

    async def __call__(self, tmpl: Template, name: str, display: str, boundary: str,
                       params: Dict[str, str], arts: Dict[str, Optional[Art]], scope: Scope,
                       *, key: Optional[str] = None, parent: str = "",
                       slice_spec: SliceArg = None) -> Result: ...


class CompositeRunner:
    """Runs the steps of Steps and DAG templates for one workflow run."""

    def __init__(self, workflow: Workflow, book: NodeBook, wf_scope: WorkflowScope,
                 invoke: Invoke, reuse: Dict[str, StepRecord],
                 fail_fast: Dict[str, asyncio.Event]) -> None:
        self.workflow = workflow          # its context is the default executor of leaves
        self.book = book
        self.wf_scope = wf_scope
        self.invoke = invoke
        self.reuse = reuse
        self.fail_fast = fail_fast        # Steps(fail_fast=True) node id -> tripped
        self._rendered: Dict[int, Template] = {}

    async def run(self, tmpl: CompositeTemplate, n: Node, scope: Scope) -> Result:
        """Run a Steps or DAG template's steps; its outputs are the caller's to take."""
        if isinstance(tmpl, Steps):
            return await self.run_steps(tmpl, n, scope)
        if isinstance(tmpl, DAG):
            return await self.run_dag(tmpl, n, scope)
        raise StepError(f"template {tmpl.name!r} is neither a Steps nor a DAG template")

    # -- Steps ---------------------------------------------------------------------------------
    async def run_steps(self, tmpl: Steps, n: Node, scope: Scope) -> Result:
        sem = asyncio.Semaphore(tmpl.parallelism) if tmpl.parallelism else None
        previous: List[str] = []
        if tmpl.fail_fast:
            self.fail_fast[n["id"]] = asyncio.Event()
        for i, group in enumerate(tmpl.steps):
            gname = f"{n['name']}[{i}]"
            if previous:
                self.book.upstream[gname] = previous
            g = self.book.start(self.book.make(gname, f"[{i}]", "StepGroup", boundary=n["id"],
                                               parent=n["id"]))
            results = await _together(
                self.run_step(s, f"{gname}.{s.name}", n["id"], scope, g["id"], sem)
                for s in group)
            failed = None
            previous = [o for r in results for o in r.outbound]
            for s, r in zip(group, results):
                expose(scope, "steps", s.name, r, self.wf_scope, s.template)
                if not r.ok and failed is None:
                    failed = r
            if failed is not None:
                msg = failed.child_failed()
                self.book.finish(g, Result(failed.phase, msg))
                return Result(failed.phase, msg)
            self.book.finish(g, Result("Succeeded"))
        return Result("Succeeded")

    # -- DAG -----------------------------------------------------------------------------------
    async def run_dag(self, tmpl: DAG, n: Node, scope: Scope) -> Result:
        tasks = tmpl.ordered()
        peers = {t.name: t for t in tasks}
        sem = asyncio.Semaphore(tmpl.parallelism) if tmpl.parallelism else None
        done: Dict[str, asyncio.Future[Result]] = {
            t.name: asyncio.get_running_loop().create_future() for t in tasks}
        stop: Dict[str, Optional[Result]] = {"failed": None}
        handled = {name for t in tasks if t.depends is not None
                   for name in re.findall(r"([A-Za-z0-9][-A-Za-z0-9]*)\.(?:Failed|Errored|AllFailed"
                                          r"|AnySucceeded)", t.depends)}

        async def run_task(t: Task) -> None:
            dep_results = {d: await done[d] for d in upstream(t) if d in done}
            ids = [o for r in dep_results.values() for o in r.outbound]
            if ids:
                self.book.upstream[f"{n['name']}.{t.name}"] = ids
            if stop["failed"] is not None and tmpl.fail_fast:
                done[t.name].set_result(Result("Omitted", "omitted: the DAG failed fast"))
                return
            if not depends_met(t, dep_results, peers):
                tn = self.book.make(f"{n['name']}.{t.name}", t.name, "Skipped", boundary=n["id"],
                                    parent=n["id"], template=t.template.name)
                r = self.book.finish(tn, Result("Omitted", "omitted: depends condition not met",
                                                skipped_defaults(t.template)))
                expose(scope, "tasks", t.name, r, self.wf_scope, t.template)
                done[t.name].set_result(r)
                return
            r = await self.run_step(t, f"{n['name']}.{t.name}", n["id"], scope, n["id"], sem)
            expose(scope, "tasks", t.name, r, self.wf_scope, t.template)
            if not r.ok and stop["failed"] is None and t.name not in handled:
                stop["failed"] = r
            done[t.name].set_result(r)

        await _together(run_task(t) for t in tasks)
        failed = assess_dag(tmpl, tasks, {name: f.result() for name, f in done.items()})
        if failed is not None:
            return Result(failed.phase, failed.child_failed())
        return Result("Succeeded")

    # -- one step: condition, loop, arguments --------------------------------------------------
    async def run_step(self, step: Step, name: str, boundary: str, scope: Scope,
                       parent: str, sem: Optional[asyncio.Semaphore]) -> Result:
        """One step of a Steps or DAG template. An error the engine did not expect ends the
        step as Error (``continueOn`` applies), never the run; the state failing ends it."""
        try:
            return await self._run_step(step, name, boundary, scope, parent, sem)
        except StateError:
            raise
        except Exception as exc:
            return continue_on(step, self.book.internal_error(
                exc, name, step.name, template=step.template, boundary=boundary, key=None,
                parent=parent))

    async def _run_step(self, step: Step, name: str, boundary: str, scope: Scope,
                        parent: str, sem: Optional[asyncio.Semaphore]) -> Result:
        try:
            skip = None if per_item_when(step) else when_false(step, scope)
            if skip is not None:
                n = self.book.make(name, step.name, "Skipped", boundary=boundary,
                                   parent=parent, template=step.template.name)
                return self.book.finish(n, Result("Skipped", skip,
                                                  skipped_defaults(step.template)))
            items = loop_items(step, scope)
        except (ExpressionError, StepError, ValueError) as exc:
            n = self.book.make(name, step.name, "Pod", boundary=boundary, parent=parent,
                               template=step.template.name)
            return self.book.finish(n, continue_on(step, Result("Error", f"{step.name}: {exc}")))
        if items is None:
            res = continue_on(step, await self.call(step, name, step.name, boundary, scope,
                                                    parent, None, None, sem))
        else:
            res = await self.run_loop(step, name, boundary, scope, parent, items, sem)
            self.record_success_check(step, name, boundary, parent, res)
        if step.hooks:
            await self.run_hooks(step, name, boundary, scope, res)
        return res

    def record_success_check(self, step: Step, name: str, boundary: str, parent: str,
                             res: Result) -> None:
        """Dflow's check step after a success-counted loop (``<step>-check-success-ratio``,
        ``<step>-check-num-success``), which users query: its phase is the loop's verdict."""
        check = step.success_check_name
        verdict = success_verdict(step, res.children_phases or [])
        if check is None or verdict is None:
            return
        n = self.book.make(name[:len(name) - len(step.name)] + check, check, "Pod",
                           boundary=boundary, parent=parent, template=check)
        self.book.start(n)
        self.book.finish(n, Result("Succeeded" if verdict.passed else "Failed",
                                   None if verdict.passed else verdict.message))

    async def run_hooks(self, step: Step, name: str, boundary: str, scope: Scope,
                        res: Result) -> None:
        """Step hooks: ``exit`` runs when the step ends, whatever its phase (node
        ``<step>.onExit``; Argo's legacy ``onExit: <template>`` is loaded as this hook); a named
        hook runs (node ``<step>.hooks.<name>``) if its expression holds when the step ends.
        The step's status and outputs are in scope; an exit hook given no arguments gets the
        workflow's, as Argo's (``WorkflowStep.GetExitHook``)."""
        local = dict(scope)
        expose(local, step.scope_kind, step.name, res, self.wf_scope)
        local["workflow.status"] = "Running"
        local["workflow.failures"] = json.dumps(self.book.failures)
        for hname, hook in step.hooks.items():
            on_exit = hname == "exit"
            hook_name = f"{name}.onExit" if on_exit else f"{name}.hooks.{hname}"
            display = f"{step.name}.onExit" if on_exit else f"{step.name}.hooks.{hname}"
            try:
                tmpl, params, arts, expr = hook_parts(hook)
                if not on_exit:
                    if expr is None or not evaluate(
                            expr.expr if isinstance(expr, ArgoVar) else str(expr), local):
                        continue
                values = {k: argument(v, local) for k, v in params.items()}
                files = {k: resolve_artifact(v, local) for k, v in arts.items()}
                if on_exit and not params and not arts:
                    values = {k: local[f"workflow.parameters.{k}"] for k in
                              tmpl.inputs.parameters if f"workflow.parameters.{k}" in local}
            except (ExpressionError, StepError) as exc:
                n = self.book.make(hook_name, display, "Pod", boundary=boundary,
                                   parent=res.node_id)
                self.book.finish(n, Result("Error", f"hook {hname!r}: {exc}"))
                continue
            await self.invoke(tmpl, hook_name, display, boundary, values, files, local,
                              parent=res.node_id)

    async def call(self, step: Step, name: str, display: str, boundary: str, scope: Scope,
                   parent: str, item: Any, slice_spec: SliceArg,
                   sem: Optional[asyncio.Semaphore],
                   sliced: Optional[SlicedInputs] = None) -> Result:
        """One call of the step's template (the step itself, or one item of its loop)."""
        local = scope if item is None else item_scope(scope, item)
        try:
            skip = when_false(step, local) if item is not None and per_item_when(step) else None
            if skip is not None:   # Argo evaluates a loop's ``when`` for each item
                n = self.book.make(name, display, "Skipped", boundary=boundary, parent=parent,
                                   template=step.template.name)
                return self.book.finish(n, Result("Skipped", skip,
                                                  skipped_defaults(step.template)))
            key = render(str(step.key), local) if step.key is not None else None
            if key is not None and key in self.reuse:
                return self.reused(step, name, display, boundary, parent, key)
            pre_params, pre_arts = sliced or ({}, {})
            params = {k: pre_params[k] if k in pre_params else argument(v, local)
                      for k, v in step.parameters.items()
                      if k in pre_params or not absent_reference(v, local)}
            arts = {k: pre_arts[k] if k in pre_arts else resolve_artifact(v, local)
                    for k, v in step.artifacts.items()}
        except (ExpressionError, StepError) as exc:
            n = self.book.make(name, display, "Pod", boundary=boundary, parent=parent,
                               template=step.template.name)
            return self.book.finish(n, Result("Error", f"{step.name}: {exc}"))
        tmpl = self.template_for(step)
        if sem is None:
            return await self.invoke(tmpl, name, display, boundary, params, arts, local,
                                     key=key, parent=parent, slice_spec=slice_spec)
        async with sem:
            return await self.invoke(tmpl, name, display, boundary, params, arts, local,
                                     key=key, parent=parent, slice_spec=slice_spec)

    def template_for(self, step: Step) -> Template:
        """The step's template as its executor (or the workflow's context) renders it."""
        if not step.template.is_leaf:
            return step.template
        cached = self._rendered.get(id(step))
        if cached is None:
            executor = executor_for(step, self.workflow)
            cached = executor.render(step.template) if executor is not None else step.template
            self._rendered[id(step)] = cached
        return cached

    def reused(self, step: Step, name: str, display: str, boundary: str, parent: str,
               key: str) -> Result:
        """A keyed step whose earlier run was handed in for reuse: its outputs, not a run."""
        rec = self.reuse[key]
        n = self.book.make(name, display, rec.type if rec.type in ("Pod", "Steps", "DAG") else
                           "Pod", template=step.template.name, boundary=boundary, key=key,
                           parent=parent)
        n["out_types"] = output_types(step.template)   # a modified output keeps its type
        # marked as Argo marks a memoized node: the outputs of run ``cacheName``, not a run
        n["memoization"] = {"hit": True, "key": key, "cacheName": rec.workflow}
        return self.book.finish(n, result_from_outputs(rec.raw_outputs, "Succeeded", "reused"))

    # -- a loop: one child per item (or per slice, or per group of slices) ---------------------
    async def run_loop(self, step: Step, name: str, boundary: str, scope: Scope,
                       parent: str, items: List[Any], sem: Optional[asyncio.Semaphore]) -> Result:
        is_dag = step.scope_kind == "tasks"
        group = None
        owner = parent
        if is_dag:
            group = self.book.start(self.book.make(name, step.name, "TaskGroup",
                                                   boundary=boundary, parent=parent,
                                                   template=step.template.name))
            owner = group["id"]
        if not items:
            n = self.book.make(name if not is_dag else f"{name}(0)", step.name, "Skipped",
                               boundary=boundary, parent=owner)
            self.book.finish(n, Result("Skipped", "Skipped, empty params"))
            if group is not None:
                self.book.finish(group, Result("Succeeded"))
            return loop_result(step, [])
        sl = step.slices if isinstance(step.template, PythonOPTemplate) else None
        specs: List[Optional[SliceSpec]] = [None] * len(items)
        inputs: List[Optional[SlicedInputs]] = [None] * len(items)
        if sl is not None:
            items, plan = slice_plan(sl, items, scope)
            if getattr(self.template_for(step), "merge_sliced_step", False):
                # One leaf runs every slice (DispatcherExecutor(merge_sliced_step=True)).
                child = f"{name}(0)" if is_dag else name
                res = await self.call(step, child, step.name, boundary, scope, owner, None,
                                      plan, sem)
                if group is not None:
                    self.book.finish(group, Result(res.phase, res.message))
                return continue_on(step, res) if res.phase in FAILED else res
            specs = list(plan)
            try:
                inputs = list(sliced_inputs(step, sl, plan, scope))
            except (ExpressionError, StepError, ValueError) as exc:
                n = self.book.make(name, step.name, "Pod", boundary=boundary, parent=owner,
                                   template=step.template.name)
                return continue_on(step, self.book.finish(
                    n, Result("Error", f"{step.name}: {exc}")))
        limit = asyncio.Semaphore(step.parallelism) if step.parallelism else None
        self.book.plan(owner, len(items))

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

        # A leaf's items wait unrecorded for a worker or process slot: only a window of them
        # needs to be under way (not a task each for 100,000 slices); they start in order,
        # as slots free up, as before. A retried leaf records its Retry node before it waits.
        tmpl = self.template_for(step)
        window = LEAF_WINDOW if tmpl.is_leaf and not getattr(tmpl, "retry_strategy", None) \
            else None
        if window is None:
            results = await _together(one(j, it) for j, it in enumerate(items))
        else:
            results = await _in_lanes(len(items), lambda j: one(j, items[j]), window)
        res = loop_result(step, results)
        if group is not None:
            self.book.finish(group, Result(res.phase, res.message))
        return continue_on(step, res) if res.phase in FAILED else res


def when_text(step: Step) -> Optional[str]:
    """The step's ``when`` as text (None when it has none)."""
    if step.when is None or (isinstance(step.when, str) and step.when == ""):
        return None
    return str(step.when) if isinstance(step.when, ArgoVar) else \
        step.when if isinstance(step.when, str) else json.dumps(step.when)


def per_item_when(step: Step) -> bool:
    """A loop whose ``when`` reads ``item``: decided for each item, not once."""
    text = when_text(step)
    return text is not None and re.search(r"\bitem\b", text) is not None and \
        (step.with_items is not None or step.with_param is not None
         or step.with_sequence is not None)


def when_false(step: Step, scope: Scope) -> Optional[str]:
    """Why the step is Skipped (its ``when`` evaluated false), or None when it runs."""
    text = when_text(step)
    if text is None or evaluate_when(text, scope):
        return None
    return f"when '{render(text, scope)}' evaluated false"


def continue_on(step: Step, res: Result) -> Result:
    """Mark a failure the step lets its template go on after (continueOn failed/error)."""
    res.continue_ok = (res.phase == "Failed" and step.continue_on_failed) or \
        (res.phase == "Error" and step.continue_on_error)
    return res


def hook_parts(hook: Union[Step, Dict[str, Any], Template]
               ) -> Tuple[Template, Dict[str, Any], Dict[str, Any], Any]:
    """(template, parameters, artifacts, expression) of a hook given as a Step, a dict
    ``{"template": ..., "parameters": ..., "expression": ...}`` or a bare template."""
    if isinstance(hook, Step):
        return hook.template, hook.parameters, hook.artifacts, hook.when
    tmpl = hook.get("template") if isinstance(hook, dict) else hook
    if not isinstance(tmpl, (OPTemplate, CompositeTemplate)):
        raise StepError(f"its template is {tmpl!r}, not a template object (a name only "
                        "stands for a template in an Argo manifest, which Workflow.from_yaml "
                        "loads)")
    if isinstance(hook, dict):
        return (tmpl, dict(hook.get("parameters") or {}), dict(hook.get("artifacts") or {}),
                hook.get("expression"))
    return tmpl, {}, {}, None


async def _together(calls: Iterable[Awaitable[T]]) -> List[T]:
    """Await ``calls`` side by side, as ``asyncio.gather``; but if one raises (the state
    failed) or this is cancelled, the others are cancelled and have settled before the error
    goes on. (gather leaves them running: they would write their nodes after the run ended.)"""
    tasks: List[asyncio.Future[T]] = []
    try:
        tasks = [asyncio.ensure_future(c) for c in calls]
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for t in tasks:
            t.cancel()
        while not all(t.done() for t in tasks):
            try:
                await asyncio.wait([t for t in tasks if not t.done()])
            except asyncio.CancelledError:
                continue   # our own end comes after theirs
        for t in tasks:
            if not t.cancelled():
                t.exception()   # retrieved: the first error is the one that goes on
        raise


async def _in_lanes(count: int, call: Callable[[int], Awaitable[T]], width: int) -> List[T]:
    """``call(0)`` ... ``call(count - 1)``, at most ``width`` under way, started in order as
    others end: ``width`` lanes each taking the next index (one task per lane, not one per
    call: a fan-out of 100,000 makes 256), ended together as ``_together`` ends its calls."""
    results: List[Any] = [None] * count
    indices = iter(range(count))

    async def lane() -> None:
        for j in indices:
            results[j] = await call(j)

    await _together(lane() for _ in range(min(width, count)))
    return results
