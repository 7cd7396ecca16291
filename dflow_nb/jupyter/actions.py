"""Actions from the sidebar panel, through ``Workflow``: retry, resubmit, stop, terminate,
suspend, resume, and "reuse from here" (ticked steps, edited outputs, a new run).

A local run the server starts or continues runs in a detached engine (it outlives the server),
except a reuse resubmit, which the engine runs in the server's process. The model comes from
the run's stored copy: the server has no kernel, so an OP fixed in a notebook since is not
seen here; "open in a notebook" (``Workflow(id=...)``) resubmits with the kernel's code.
"""
from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any, Dict, List

from jupyter_server.auth.decorator import authorized
from tornado import web

from dflow_nb.hub.backend import backend_for
from dflow_nb.hub.records import StepRecord
from dflow_nb.hub.workflow import Workflow
from dflow_nb.jupyter.base import Base
from dflow_nb.jupyter.sources import Source
from dflow_nb.model.validation import validate
from dflow_nb.notebook.graph import FAILED
from dflow_nb.notebook.viewdata import io_json, retry_refusal

ACTIONS = ("retry", "resubmit", "stop", "terminate", "suspend", "resume", "reuse")


def _model(src: Source, wf: Workflow) -> Workflow:
    """The run's stored model, set to start its new run where the old one is."""
    model = wf.model()
    if src.kind == "local":
        model.workdir = src.workdir or model.workdir
        model.host = ""
    else:
        model.host = src.host
    return model


def _submit(src: Source, model: Workflow, reuse: List[StepRecord]) -> str:
    """Start the new run on the source's own engine. ``Workflow.submit`` picks the engine from
    the configuration, which may name an Argo server while the run at hand is local, so a local
    run is handed to the local backend of its work directory directly."""
    with contextlib.redirect_stdout(io.StringIO()):   # Dflow's "running locally" line
        if src.kind != "local":
            model.submit(reuse_step=reuse or None, wait=False)
            return str(model.id)
        validate(model)
        backend = backend_for(True, Path(src.workdir or "."))
        keyed = {s.key: s for s in reuse if s.key}
        model.id = backend.submit(model, keyed, detach=not keyed)
        model._backend = backend
    return str(model.id)


def act(src: Source, wf: Workflow, action: str, body: Dict[str, Any]) -> Dict[str, Any]:
    """Do ``action``; the answer says what happened in one line."""
    wf_id = str(wf.id)
    record = wf.query()
    detach = True if src.kind == "local" else None
    message = f"{action}: requested"
    if action == "retry":
        failed = [s for s in wf.query_step(phase=list(FAILED)) if s.type == "Pod"]
        refusal = retry_refusal(record.phase, len(failed))
        if refusal:
            raise web.HTTPError(409, refusal)
        wf.retry(detach=detach)
        message = f"retry: {len(failed)} failed steps run again"
    elif action == "resubmit":
        wf_id = _submit(src, _model(src, wf), [])
        message = f"resubmit: new run {wf_id}"
    elif action == "reuse":
        steps = _reused_steps(wf, body)
        wf_id = _submit(src, _model(src, wf), steps)
        message = f"reuse: new run {wf_id} reusing {len(steps)} steps"
    elif action in ("stop", "terminate", "suspend"):
        if record.phase not in ("Pending", "Running"):
            raise web.HTTPError(409, f"{action}: the run already ended ({record.phase})")
        getattr(wf, action)()
    elif action == "resume":
        wf.resume(detach=detach)
    return {"ok": True, "action": action, "id": wf_id, "source": src.name, "message": message}


def _reused_steps(wf: Workflow, body: Dict[str, Any]) -> List[StepRecord]:
    """The ticked steps with the outputs the user edited (``modify_output_parameter``)."""
    ids = body.get("steps")
    edits = body.get("outputs") or {}
    if not isinstance(ids, list) or not ids or not isinstance(edits, dict):
        raise web.HTTPError(400, 'reuse: send {"steps": [node ids], "outputs": {node id: '
                                 '{parameter: new value}}}')
    out = []
    for node_id in ids:
        found = wf.query_step(id=str(node_id))
        if not found:
            raise web.HTTPError(400, f"reuse: run {wf.id} has no step {node_id!r}")
        step = found[0]
        if not step.key:
            raise web.HTTPError(400, f"reuse: step {step.displayName} has no key; only steps "
                                     "with key= can be reused")
        for name, value in (edits.get(step.id) or {}).items():
            try:
                step.modify_output_parameter(name, value)
            except (KeyError, ValueError) as exc:
                raise web.HTTPError(400, f"reuse: {exc}") from None
        out.append(step)
    return out


class ActionHandler(Base):
    """POST .../workflows/<id>/actions/<action> (body: JSON, for reuse)."""

    @web.authenticated
    @authorized
    async def post(self, wf_id: str, action: str) -> None:
        if action not in ACTIONS:
            raise web.HTTPError(404, f"no action {action!r} (one of {', '.join(ACTIONS)})")
        try:
            body = json.loads(self.request.body or b"{}")
        except ValueError:
            raise web.HTTPError(400, "the body must be JSON") from None
        src = self.source()

        def run() -> Dict[str, Any]:
            wf = self.workflow(wf_id)
            try:
                out = act(src, wf, action, body if isinstance(body, dict) else {})
            except web.HTTPError:
                raise
            except Exception as exc:   # the engine's or Argo's refusal, in one line
                raise web.HTTPError(409, f"{action}: {exc}".splitlines()[0]) from None
            self.cache.forget(src, wf_id)
            return out
        self.send(await self.off_loop(run))


class ReusableHandler(Base):
    """GET .../workflows/<id>/reusable: the steps a new run can reuse, with their outputs."""

    @web.authenticated
    @authorized
    async def get(self, wf_id: str) -> None:
        src = self.source()

        def build() -> Dict[str, Any]:
            wf = self.workflow(wf_id)
            steps = [s for s in wf.query_step(phase="Succeeded") if s.key]
            base = f"workflows/{wf_id}/nodes"
            return {"steps": [{"id": s.id, "key": s.key, "displayName": s.displayName,
                               "phase": s.phase,
                               "outputs": io_json(s.outputs, f"{base}/{s.id}/artifacts/outputs",
                                                  src.kind == "local")} for s in steps]}
        self.send(await self.off_loop(build))
