"""REST handlers: the workflow list, one run's bundle and one step's log (Jupyter auth)."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web
from tornado.ioloop import IOLoop
from traitlets import Unicode
from traitlets.config import Configurable

from dflow_nb.errors import DflowNbError, WorkflowNotFound
from dflow_nb.hub.records import StepRecord
from dflow_nb.hub.workflow import Workflow, query_workflows
from dflow_nb.jupyter.bundle import BundleError, bundle_of, summary

LOG_LIMIT = 1 << 20          # bytes of a log sent at most (its tail)
ID = r"[A-Za-z0-9][A-Za-z0-9._-]*"


class DflowNbServer(Configurable):
    """Settings of the dflow_nb server extension."""

    workdir = Unicode("", config=True,
                      help="Work directory whose local runs the sidebar shows (default: "
                           "$DFLOW_NB_WORKDIR, else the server's root directory).")

    def resolve_workdir(self, root_dir: str) -> Path:
        """The configured work directory, the environment's, or the server root."""
        chosen = self.workdir or os.environ.get("DFLOW_NB_WORKDIR") or root_dir
        return Path(os.path.expanduser(chosen)).resolve()


class _Base(APIHandler):
    auth_resource = "dflow_nb"

    def initialize(self, workdir: Path) -> None:
        self.workdir = workdir

    async def _run(self, fn: Any, *args: Any) -> Any:
        """SQLite reads and file reads off the event loop. dflow_nb's own errors (a corrupt
        state database: which file, what to do) reach the sidebar as their one line."""
        try:
            return await IOLoop.current().run_in_executor(None, fn, *args)
        except DflowNbError as exc:
            raise web.HTTPError(500, str(exc)) from None

    def _send(self, body: Dict[str, Any]) -> None:
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body, default=str))

    def _workflow(self, wf_id: str) -> Workflow:
        wf = Workflow(id=wf_id, workdir=self.workdir)
        try:
            wf.query()
        except WorkflowNotFound as exc:
            raise web.HTTPError(404, str(exc)) from None
        return wf


class WorkflowsHandler(_Base):
    """GET /dflow-nb/api/workflows: id, name, phase and times of every run, newest first."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        records = await self._run(query_workflows, self.workdir)
        self._send({"workflows": [summary(r) for r in records]})


class WorkflowHandler(_Base):
    """GET /dflow-nb/api/workflows/<id>: the run bundle (the notebook's MIME bundle shape)."""

    @web.authenticated
    @authorized
    async def get(self, wf_id: str) -> None:
        def build() -> Dict[str, Any]:
            try:
                return bundle_of(self._workflow(wf_id))
            except BundleError as exc:
                raise web.HTTPError(500, str(exc)) from None
        self._send(await self._run(build))


class LogHandler(_Base):
    """GET /dflow-nb/api/workflows/<id>/logs/<node>[?tail=BYTES]: a step's log (its tail)."""

    @web.authenticated
    @authorized
    async def get(self, wf_id: str, node_id: str) -> None:
        try:
            limit = min(int(self.get_query_argument("tail", str(LOG_LIMIT))), LOG_LIMIT)
        except ValueError:
            raise web.HTTPError(400, "tail must be a number of bytes") from None
        self._send(await self._run(self._read, wf_id, node_id, limit))

    def _read(self, wf_id: str, node_id: str, limit: int) -> Dict[str, Any]:
        wf = self._workflow(wf_id)
        steps = [s for s in wf.query_nodes() if s.id == node_id]
        if not steps:
            raise web.HTTPError(404, f"workflow {wf_id} has no step {node_id!r}")
        step = steps[0]
        text, truncated = _log_of(step, limit)
        return {"workflow": wf_id, "node": node_id, "step": step.displayName,
                "phase": step.phase, "log": text, "truncated": truncated}


def _log_of(step: StepRecord, limit: int) -> Tuple[str, bool]:
    """A step's log from its record: the local engine's ``<step dir>/log.txt`` (its tail)."""
    path: Optional[Path] = Path(step.dir) / "log.txt" if step.dir else None
    if path is None or not path.is_file():
        return ("", False)
    size = path.stat().st_size
    with open(path, "rb") as fh:
        if size > limit:
            fh.seek(size - limit)
        return (fh.read().decode("utf-8", errors="replace"), size > limit)


def setup_handlers(web_app: Any, workdir: Path) -> None:
    """Mount the handlers under ``<base_url>dflow-nb/api/``."""
    base = url_path_join(web_app.settings["base_url"], "dflow-nb", "api")
    opts = {"workdir": workdir}
    web_app.add_handlers(".*$", [
        (url_path_join(base, "workflows") + "/?", WorkflowsHandler, opts),
        (url_path_join(base, "workflows", f"({ID})") + "/?", WorkflowHandler, opts),
        (url_path_join(base, "workflows", f"({ID})", "logs", f"({ID})") + "/?", LogHandler,
         opts),
    ])
