"""Leaves: run one Python OP (warm worker) or one script/container template (subprocess).

Each leaf runs in its own step directory. Outputs are staged in ``.outputs`` and renamed into
``outputs`` before the engine records the node Succeeded, so a crash never leaves a Succeeded
node without its outputs.
"""
from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any, Dict, Optional

from dflow_nb.expressions import evaluate, format_value, render
from dflow_nb.local.durations import parse_duration
from dflow_nb.local.results import RESULT_LIMIT, Art, Result, StepError
from dflow_nb.local.subprocesses import run_script
from dflow_nb.local.worker_pool import WorkerDied, WorkerPool
from dflow_nb.model.references import ArgoVar
from dflow_nb.model.templates import ScriptOPTemplate, declared_roots
from dflow_nb.python.catalog import artifact_items, copy_path, slice_items
from dflow_nb.python.op_runner import OPCall, SliceSpec
from dflow_nb.python.python_op_template import PythonOPTemplate


class LeafRunner:
    """Runs leaves for one workflow run; shares the process-wide pool and process limit."""

    def __init__(self, wf_id: str, pool: WorkerPool, processes: asyncio.Semaphore) -> None:
        self.wf_id = wf_id
        self.pool = pool
        self.processes = processes
        self._op_blobs: Dict[int, bytes] = {}
        self._listings: Dict[str, Any] = {}   # catalogs of sliced artifacts, read once

    async def execute(self, tmpl: Any, n: Dict[str, Any], d: Path, params: Dict[str, str],
                      arts: Dict[str, Optional[Art]], scope: Dict[str, Any],
                      slice_spec: Optional[SliceSpec], timeout: Optional[float]) -> Result:
        """Run the leaf; a timeout or a bad input becomes the node's phase and message."""
        try:
            if isinstance(tmpl, PythonOPTemplate):
                return await self.run_op(tmpl, n, d, params, arts, slice_spec, timeout)
            return await self.run_script_leaf(tmpl, n, d, params, arts, scope, timeout,
                                              slice_spec)
        except asyncio.TimeoutError:
            return Result("Failed", f"Step exceeded its deadline ({timeout:g}s timeout)",
                          exit_code="-1")

    def timeout_of(self, tmpl: Any, scope: Dict[str, Any]) -> Optional[float]:
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

    def op_blob(self, tmpl: PythonOPTemplate) -> bytes:
        blob = self._op_blobs.get(id(tmpl))
        if blob is None:
            import cloudpickle
            blob = cloudpickle.dumps(tmpl.op)
            self._op_blobs[id(tmpl)] = blob
        return blob

    async def run_op(self, tmpl: PythonOPTemplate, n: Dict[str, Any], d: Path,
                     params: Dict[str, str], arts: Dict[str, Optional[Art]],
                     slice_spec: Optional[SliceSpec], timeout: Optional[float]) -> Result:
        targets = {k: d / "inputs" / "artifacts" / k for k in arts}
        self.place(arts, targets)
        if slice_spec is not None:   # the slice exactly as run (for re-running it in a kernel)
            import dataclasses
            (d / "slice.json").write_text(json.dumps(dataclasses.asdict(slice_spec)))
        staging = d / ".outputs"
        call = OPCall(step=n["display_name"], parameters=params,
                      artifacts={k: str(targets[k]) if a is not None else None
                                 for k, a in arts.items()},
                      workdir=str(d / "workdir"), outputs=str(staging), slice=slice_spec,
                      key=n["key"], workflow_name=self.wf_id, progress_file=str(d / "progress"))
        task = {"op": self.op_blob(tmpl), "call": call, "log": str(d / "log.txt")}
        try:
            reply = await self.pool.run(task, timeout)
        except WorkerDied as exc:
            return Result("Error", str(exc))
        if not reply["ok"]:
            return Result("Failed", reply["message"], exit_code=str(reply["exit_code"]))
        final = d / "outputs"
        os.replace(staging, final)
        out_params = dict(reply["parameters"])
        out_arts = {k: Art((str(final / "artifacts" / k),)) for k in tmpl.outputs.artifacts}
        return Result("Succeeded", None, out_params, out_arts, exit_code="0")

    async def run_script_leaf(self, tmpl: ScriptOPTemplate, n: Dict[str, Any], d: Path,
                              params: Dict[str, str], arts: Dict[str, Optional[Art]],
                              scope: Dict[str, Any], timeout: Optional[float],
                              slice_spec: Any = None) -> Result:
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
            script = _remap_paths(script, fs, tmpl)
        command = [render(c, local) for c in tmpl.command]
        if command and command[0] in ("python", "python3"):
            command[0] = sys.executable  # the user's interpreter stands in for the image's
        args = [_remap_paths(render(a, local), fs, tmpl) if remap else render(a, local)
                for a in tmpl.args]
        env = {k: render(str(v), local) for k, v in (tmpl.envs or {}).items()}
        env.update(leaf_env(d, slice_spec))
        if script:
            (d / "script").write_text(script)
        code, result = await run_script(command, script, args, d / "script", workdir, env,
                                        d / "log.txt", timeout, RESULT_LIMIT)
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
        for k, a in tmpl.outputs.artifacts.items():
            src = _mapped(fs, render(a.path, local)) if a.path else None
            if src is not None and (src.exists() or src.is_symlink()):
                dest = staging / "artifacts" / k
                shutil.move(str(src), str(dest))
                out_arts[k] = Art((str(d / "outputs" / "artifacts" / k),))
            elif not a.optional and code == 0:
                errors.append(f"output artifact {k!r}: {a.path} was not written")
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


def leaf_env(d: Path, slice_spec: Any) -> Dict[str, str]:
    """What a script leaf may use from the engine (executors' rendered templates do): its
    slice (or, for a merged loop, every slice), a termination-log file whose text joins the
    failure message (as Kubernetes' terminationMessagePath does), and its step directory."""
    import dataclasses
    import json
    env = {"DFLOW_NB_STEP_DIR": str(d), "DFLOW_NB_TERMINATION_LOG": str(d / "termination-log")}
    if isinstance(slice_spec, list):
        env["DFLOW_NB_SLICES"] = json.dumps([dataclasses.asdict(s) for s in slice_spec])
    elif slice_spec is not None:
        env["DFLOW_NB_SLICE"] = json.dumps(dataclasses.asdict(slice_spec))
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


def _remap_paths(text: str, fs: Path, tmpl: Any) -> str:
    """Point the script's ``/tmp`` and declared absolute paths at the step's private view."""
    for root in declared_roots(tmpl):
        text = re.sub(r"(?<![\w/.-])" + re.escape(root) + r"(?=[/\s'\";|&)>]|$)",
                      lambda m: str(fs) + root, text)
    return text

