"""Leaves: run one Python OP (warm worker) or one script/container template (subprocess).

A leaf waits (Pending, unrecorded) for a worker or process slot, then runs in its own step
directory. Outputs are staged in ``.outputs`` and renamed into ``outputs`` before the engine
records the node Succeeded, so a crash never leaves a Succeeded node without its outputs.
"""
from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import os
import shutil
import sys
import weakref
from pathlib import Path
from typing import Any, Callable, Dict, Optional, Set, Tuple

from dflow_nb.expressions import ExpressionError, evaluate, format_value, render
from dflow_nb.local.durations import parse_duration
from dflow_nb.local.http_leaf import run_http
from dflow_nb.local.nodes import Node, NodeBook, StepDirs
from dflow_nb.local.outputs import WorkflowScope
from dflow_nb.local.results import (
    RESULT_LIMIT,
    Art,
    Result,
    Scope,
    SliceArg,
    StepError,
    os_error_message,
)
from dflow_nb.local.state import WORKER_NODE, process_statement
from dflow_nb.local.step_processes import (
    ENGINE,
    STEP_DIR,
    end,
    end_recorded,
    engine_tag,
    start_time,
    tagged,
)
from dflow_nb.local.subprocesses import run_script
from dflow_nb.local.worker_pool import DEPTH, WorkerDied, WorkerPool
from dflow_nb.model.references import ArgoVar
from dflow_nb.model.secrets import Secret
from dflow_nb.model.templates import (
    HTTPOPTemplate,
    OPTemplate,
    ResourceOPTemplate,
    ScriptOPTemplate,
    declared_roots,
    map_roots,
)
from dflow_nb.python._files import write_text
from dflow_nb.python.catalog import artifact_items, copy_path, slice_items
from dflow_nb.python.op_runner import OPCall, SliceSpec
from dflow_nb.python.python_op_template import PythonOPTemplate
from dflow_nb.python.tracebacks import CodeSources, op_sources


class LeafRunner:
    """Runs the leaves of one workflow run; shares the process-wide pool and process limit."""

    def __init__(self, wf_id: str, wf_dir: Path, pool: WorkerPool, processes: asyncio.Semaphore,
                 parallelism: Optional[int], book: NodeBook, wf_scope: WorkflowScope,
                 fail_fast: Dict[str, asyncio.Event]) -> None:
        self.wf_id = wf_id
        self.pool = pool
        self.processes = processes
        self.op_slots = asyncio.Semaphore(pool.size * DEPTH)   # see worker_pool
        self.pods = asyncio.Semaphore(parallelism) if parallelism else None
        self.gate = asyncio.Event()       # cleared while suspended: no new leaf starts
        self.gate.set()
        self.dirs = StepDirs(wf_dir)
        self.book = book
        self.wf_scope = wf_scope
        self.fail_fast = fail_fast        # Steps(fail_fast=True) node id -> tripped
        self._op_blobs: Dict[int, Tuple[str, bytes, CodeSources]] = {}
        self._listings: Dict[str, Any] = {}   # catalogs of sliced artifacts, read once
        self.running: Dict[str, Tuple[int, int, Optional[int]]] = {}   # node -> its process
        self._workers_on_record: Set[Tuple[int, Optional[int]]] = set()
        self.echo = False   # print each step's log on this process's console when it ends

    async def run(self, tmpl: OPTemplate, n: Node, params: Dict[str, str],
                  arts: Dict[str, Optional[Art]], scope: Scope, slice_spec: SliceArg) -> Result:
        """Wait for a worker or process slot and, if the workflow limits parallelism, for a
        pod slot; then run the leaf."""
        slots = self.op_slots if isinstance(tmpl, PythonOPTemplate) else self.processes
        async with slots:
            tripped = self.fail_fast.get(n["boundary_id"])
            if tripped is not None and tripped.is_set():   # failFast: start no more pods
                return Result("Omitted", "not started: the template failed fast")
            if self.pods is not None:
                async with self.pods:
                    return await self._run(tmpl, n, params, arts, scope, slice_spec)
            return await self._run(tmpl, n, params, arts, scope, slice_spec)

    async def _run(self, tmpl: OPTemplate, n: Node, params: Dict[str, str],
                   arts: Dict[str, Optional[Art]], scope: Scope, slice_spec: SliceArg) -> Result:
        await self.gate.wait()
        is_op = isinstance(tmpl, PythonOPTemplate)   # its worker makes its directory
        n["dir"] = dir_text = self.dirs.allocate(n["display_name"], n["key"], make=not is_op)
        if isinstance(tmpl, ScriptOPTemplate) and tmpl.init_progress:
            n["progress"] = tmpl.init_progress
        self.book.start(n)
        if not is_op:   # an OP's start goes in with its worker's
            self.book.flush()
        try:
            if not is_op:
                inputs = os.path.join(dir_text, "inputs", "parameters")
                os.mkdir(os.path.dirname(inputs))
                os.mkdir(inputs)
                for k, v in params.items():
                    write_text(os.path.join(inputs, k), v)
            timeout = self.timeout_of(tmpl, scope)
            res = await self.execute(tmpl, n, dir_text, params, arts, scope, slice_spec,
                                     timeout)
        except (StepError, ExpressionError, ValueError) as exc:
            res = Result("Error", str(exc))
        except OSError as exc:
            res = Result("Error", os_error_message(exc))
        finally:
            self.running.pop(n["id"], None)
        self.wf_scope.publish(tmpl, res)
        if not is_op:   # an OP's worker reports its progress (and it has no executor)
            executor_record(n)
            try:
                with open(os.path.join(dir_text, "progress")) as f:
                    n["progress"] = f.read()
            except FileNotFoundError:
                if res.phase == "Succeeded":
                    n["progress"] = "1/1"
        if self.echo:
            echo_log(os.path.join(dir_text, "log.txt"))
        return self.book.finish(n, res)

    async def execute(self, tmpl: OPTemplate, n: Node, d: str, params: Dict[str, str],
                      arts: Dict[str, Optional[Art]], scope: Scope, slice_spec: SliceArg,
                      timeout: Optional[float]) -> Result:
        """Run the leaf; a timeout or a bad input becomes the node's phase and message."""
        try:
            if isinstance(tmpl, PythonOPTemplate):
                assert not isinstance(slice_spec, list)   # only a rendered script merges slices
                return await self.run_op(tmpl, n, d, params, arts, slice_spec, timeout)
            if isinstance(tmpl, HTTPOPTemplate):
                return await asyncio.wait_for(run_http(tmpl, Path(d), scope), timeout)
            if isinstance(tmpl, ResourceOPTemplate):   # Kubernetes objects need Argo
                tmpl = tmpl.stand_in()
            if isinstance(tmpl, ScriptOPTemplate):
                return await self.run_script_leaf(tmpl, n, Path(d), params, arts, scope, timeout,
                                                  slice_spec)
            raise StepError(f"template {tmpl.name!r} is not a script or container template")
        except asyncio.TimeoutError:
            return Result("Failed", f"Step exceeded its deadline ({timeout:g}s timeout)",
                          exit_code="-1")

    def recorder(self, n: Node) -> Callable[..., None]:
        """Records the process that runs node ``n`` (it leads its group) and when it started
        (read from /proc unless given), so that a later engine can end it if this one is
        killed."""
        def record(pid: int, started: Optional[int] = None) -> None:
            if started is None:
                started = start_time(pid)
            self.running[n["id"]] = (pid, pid, started)
            self.book.flush(process_statement(self.wf_id, n["id"], pid, pid, started))
        return record

    def worker_recorder(self, n: Node) -> Callable[[int, Optional[int]], None]:
        """Records, with the next commit (the pool's, before it sends the task), the warm
        worker that runs node ``n``: once per run, as the run's, not the node's (it runs many
        nodes; the record goes when the run ends)."""
        def record(pid: int, started: Optional[int]) -> None:
            self.running[n["id"]] = (pid, pid, started)
            if (pid, started) not in self._workers_on_record:
                self._workers_on_record.add((pid, started))
                self.book.add(process_statement(self.wf_id, WORKER_NODE, pid, pid, started))
        return record

    def end_all(self) -> None:
        """Kill the run's step processes now, from any thread: the last resort when the
        process goes away and the event loop did not end them in time."""
        end_recorded(list(self.running.values()))
        end(tagged(engine_tag(), str(self.dirs.root), under=True))

    def timeout_of(self, tmpl: OPTemplate, scope: Scope) -> Optional[float]:
        values = []
        for v in (getattr(tmpl, "timeout", None), getattr(tmpl, "active_deadline_seconds", None)):
            if v is not None and v != "":
                values.append(parse_duration(render(str(v), scope)))
        return min(values) if values else None

    def place(self, arts: Dict[str, Optional[Art]], target: Dict[str, Path]) -> None:
        """Put each input artifact where its consumer expects it."""
        from dflow_nb.config import config
        method = config.get("debug_copy_method", "copy")
        for k, art in arts.items():
            if art is None:
                continue
            dest = target[k]
            if not art.parts:   # an empty stacked artifact: an empty directory
                dest.mkdir(parents=True, exist_ok=True)
                continue
            if art.select is not None:
                root = art.parts[0]
                if root not in self._listings:
                    self._listings[root] = artifact_items(Path(root))
                slice_items(Path(root), list(art.select), dest, method, self._listings[root])
                continue
            for part in art.parts:
                src = Path(part)
                if not (src.exists() or src.is_symlink()):
                    raise StepError(f"input artifact {k!r}: {part} does not exist")
                if len(art.parts) > 1 and src.is_file():
                    copy_path(src, dest / src.name, method)
                else:
                    copy_path(src, dest, method)

    def op_blob(self, tmpl: PythonOPTemplate) -> Tuple[str, bytes, CodeSources]:
        """The template's OP, pickled once per run, its digest (a worker that has it loaded
        already is sent the digest only), and the lines of its notebook-cell code (for the
        traceback of a failure)."""
        found = self._op_blobs.get(id(tmpl))
        if found is None:
            found = self._op_blobs[id(tmpl)] = _op_blob(tmpl.op)
        return found

    async def run_op(self, tmpl: PythonOPTemplate, n: Node, root: str,
                     params: Dict[str, str], arts: Dict[str, Optional[Art]],
                     slice_spec: Optional[SliceSpec], timeout: Optional[float]) -> Result:
        """Send the OP to a warm worker, which makes the step's directory, writes its inputs,
        runs it and puts its outputs in place."""
        targets = {k: os.path.join(root, "inputs", "artifacts", k) for k in arts}
        made = any(a is not None for a in arts.values())
        if made:   # the artifacts are placed before the worker starts
            os.mkdir(root)
            self.place(arts, {k: Path(t) for k, t in targets.items()})
        staging = os.path.join(root, ".outputs")
        call = OPCall(step=n["display_name"], parameters=params,
                      artifacts={k: targets[k] if a is not None else None
                                 for k, a in arts.items()},
                      workdir=os.path.join(root, "workdir"), outputs=staging, slice=slice_spec,
                      key=n["key"], workflow_name=self.wf_id,
                      progress_file=os.path.join(root, "progress"))
        op_key, op, sources = self.op_blob(tmpl)
        task = {"op_key": op_key, "op": op, "sources": sources, "call": call,
                "log": os.path.join(root, "log.txt"), "dir": root, "made": made,
                "inputs": params, "slice": None if slice_spec is None else
                json.dumps(slice_fields(slice_spec))}
        try:
            reply = await self.pool.run(task, timeout, on_start=self.worker_recorder(n),
                                        commit=self.book.flush)
        except WorkerDied as exc:
            return Result("Error", str(exc))
        if reply.get("progress") is not None:
            n["progress"] = reply["progress"]
        elif reply["ok"]:
            n["progress"] = "1/1"
        if not reply["ok"]:
            if reply.get("error"):
                return Result("Error", reply["message"])
            return Result("Failed", reply["message"], exit_code=str(reply["exit_code"]))
        final = os.path.join(root, "outputs")
        out_params = dict(reply["parameters"])
        out_arts: Dict[str, Optional[Art]] = {k: Art((os.path.join(final, "artifacts", k),))
                                              for k in tmpl.outputs.artifacts}
        return Result("Succeeded", None, out_params, out_arts, exit_code="0")

    async def run_script_leaf(self, tmpl: ScriptOPTemplate, n: Node, d: Path,
                              params: Dict[str, str], arts: Dict[str, Optional[Art]],
                              scope: Scope, timeout: Optional[float],
                              slice_spec: SliceArg = None) -> Result:
        fs = d / "fs"
        workdir = d / "workdir"
        workdir.mkdir()
        (fs / "tmp").mkdir(parents=True)
        local = dict(scope)
        local["pod.name"] = n["id"]
        local["node.name"] = n["name"]
        mapped = {k: _mapped(fs, a.path or f"/tmp/inputs/artifacts/{k}")
                  for k, a in tmpl.inputs.artifacts.items()}
        self.place(arts, mapped)
        for k, a in tmpl.inputs.artifacts.items():
            local[f"inputs.artifacts.{k}.path"] = str(mapped[k])
        local["dflow_nb.fs"] = str(fs)
        remap = getattr(tmpl, "remap_paths", True)
        script = render(tmpl.script, local) if tmpl.script else ""
        if remap:
            script = map_roots(script, declared_roots(tmpl), str(fs))
        roots = declared_roots(tmpl) if remap else []
        # the container's paths (its /tmp, declared paths) live in the step's private view
        command = [map_roots(render(c, local), roots, str(fs)) for c in tmpl.command]
        if command and command[0] in ("python", "python3"):
            command[0] = sys.executable  # the user's interpreter stands in for the image's
        elif not command and str(getattr(tmpl, "image", "")).startswith("argoproj/argosay:v2"):
            command = [sys.executable, str(Path(__file__).with_name("argosay.py"))]
        args = [map_roots(render(a, local), roots, str(fs)) for a in tmpl.args]
        env = {k: v.reveal() if isinstance(v, Secret) else render(str(v), local)
               for k, v in (tmpl.envs or {}).items()}
        env.update(leaf_env(d, slice_spec))
        if script:   # executable, as Argo's staged script is (``command: [sh, -c]`` runs it)
            (d / "script").write_text(script)
            (d / "script").chmod(0o755)
        code, result = await run_script(command, script, args, d / "script", workdir, env,
                                        d / "log.txt", timeout, RESULT_LIMIT, self.recorder(n))
        out_params: Dict[str, str] = {}
        staging = d / ".outputs"
        (staging / "artifacts").mkdir(parents=True)
        errors = []
        for k, p in tmpl.outputs.parameters.items():
            if p.value_from_path:
                f = _mapped(fs, render(p.value_from_path, local))
                if f.is_file():
                    text = f.read_text()
                    out_params[k] = text[:-1] if text.endswith("\n") else text
                elif p.has_default:
                    out_params[k] = p.default if isinstance(p.default, str) else \
                        json.dumps(p.default)
                elif code == 0:
                    errors.append(f"output parameter {k!r}: {p.value_from_path} was not written")
            elif p.value_from_expression is not None or p.value_from_parameter is not None:
                src = p.value_from_expression if p.value_from_expression is not None \
                    else p.value_from_parameter
                out_params[k] = format_value(evaluate(src.expr, local)) \
                    if isinstance(src, ArgoVar) else render(str(src), local)
        out_arts: Dict[str, Optional[Art]] = {}
        for k, out in tmpl.outputs.artifacts.items():
            produced = _mapped(fs, render(out.path, local)) if out.path else None
            if produced is not None and (produced.exists() or produced.is_symlink()):
                # Kept under its own name, as Argo's archive keeps it (a download gives bar.txt)
                kept = Path(k) / (produced.name or k)
                (staging / "artifacts" / k).mkdir()
                shutil.move(str(produced), str(staging / "artifacts" / kept))
                out_arts[k] = Art((str(d / "outputs" / "artifacts" / kept),))
            elif not out.optional and code == 0:
                errors.append(f"output artifact {k!r}: {out.path} was not written")
            else:
                out_arts[k] = None
        os.replace(staging, d / "outputs")
        if code != 0:
            return Result("Failed", _exit_message(code, d / "termination-log"), out_params,
                          out_arts, result, exit_code=str(code))
        if errors:
            return Result("Error", "; ".join(errors), out_params, out_arts, result,
                          exit_code=str(code))
        return Result("Succeeded", None, out_params, out_arts, result, exit_code="0")


OpBlob = Tuple[str, bytes, CodeSources]
_IMPORTABLE_BLOBS: "weakref.WeakKeyDictionary[Any, OpBlob]" = weakref.WeakKeyDictionary()


def _op_blob(op: Any) -> OpBlob:
    """The OP pickled, its digest and its notebook code's lines; kept for the process when
    the OP is a class or function its module holds under its name (pickled by reference, so
    the pickle cannot go stale: a warm run does not pickle it again). An OP defined in a
    notebook cell is pickled by value, once per run: a cell run again may have changed it."""
    importable = _importable(op)
    found = _IMPORTABLE_BLOBS.get(op) if importable else None
    if found is None:
        import cloudpickle
        blob = cloudpickle.dumps(op)
        found = (hashlib.sha1(blob).hexdigest(), blob, op_sources(op))
        if importable:
            _IMPORTABLE_BLOBS[op] = found
    return found


def _importable(op: Any) -> bool:
    module = sys.modules.get(getattr(op, "__module__", None) or "")
    if module is None or not getattr(module, "__file__", None) or module.__name__ == "__main__":
        return False
    obj: Any = module
    for part in str(getattr(op, "__qualname__", "<none>")).split("."):
        obj = getattr(obj, part, None)
    return obj is op


def echo_log(log: str) -> None:
    """A finished step's output on the console, as Dflow's debug mode shows it in a script."""
    try:
        if not os.stat(log).st_size:
            return
        with open(log, errors="replace") as f:
            text = f.read()
    except OSError:
        return
    if text:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        sys.stdout.flush()


_SLICE_FIELDS = tuple(f.name for f in dataclasses.fields(SliceSpec))


def slice_fields(spec: SliceSpec) -> Dict[str, Any]:
    """``dataclasses.asdict(spec)`` without its deep copy (the fields are plain data)."""
    return {name: getattr(spec, name) for name in _SLICE_FIELDS}


def leaf_env(d: Path, slice_spec: SliceArg) -> Dict[str, str]:
    """What a script leaf may use from the engine (executors' rendered templates do): its
    slice (or, for a merged loop, every slice), a termination-log file whose text joins the
    failure message (as Kubernetes' terminationMessagePath does), and its step directory."""
    env = {STEP_DIR: str(d), ENGINE: engine_tag(),
           "DFLOW_NB_TERMINATION_LOG": str(d / "termination-log")}
    if isinstance(slice_spec, list):
        env["DFLOW_NB_SLICES"] = json.dumps([slice_fields(s) for s in slice_spec])
    elif slice_spec is not None:
        env["DFLOW_NB_SLICE"] = json.dumps(slice_fields(slice_spec))
    return env


def _exit_message(code: int, termination_log: Optional[Path] = None) -> str:
    if code < 0:
        import signal
        try:
            message = f"Error (killed by {signal.Signals(-code).name})"
        except ValueError:
            message = f"Error (killed by signal {-code})"
    else:
        message = f"Error (exit code {code})"
    if termination_log is not None and termination_log.is_file():
        text = termination_log.read_text(errors="replace").strip()
        if text:
            message = f"{message}: {text[:1024]}"
    return message


def _mapped(fs: Path, path: str) -> Path:
    """A container path inside the step's private file system view."""
    return fs / path.lstrip("/") if path.startswith("/") else fs / "tmp" / path



def executor_record(n: Node) -> bool:
    """Copy what an executor reports about a step (``executor.json`` in its directory, e.g.
    the scheduler's job ids and states) into the node; True if it changed."""
    if n["dir"] is None:
        return False
    try:
        data = json.loads((Path(n["dir"]) / "executor.json").read_text())
    except (OSError, ValueError):
        return False
    if data == n["executor"]:
        return False
    n["executor"] = data
    return True
