"""What every handler of the server extension shares: its sources and run cache, reading off
the event loop, dflow_nb's errors as one line, and finding a run or a node."""
from __future__ import annotations

import json
from typing import Any, Callable, Dict, Tuple

from jupyter_server.base.handlers import APIHandler
from tornado import web
from tornado.ioloop import IOLoop

from dflow_nb.errors import DflowNbError, WorkflowNotFound
from dflow_nb.hub.records import StepRecord
from dflow_nb.hub.workflow import Workflow
from dflow_nb.jupyter.runs import RunCache
from dflow_nb.jupyter.sources import Source, Sources, UnknownSource
from dflow_nb.notebook.graph import GraphModel

ID = r"[A-Za-z0-9][A-Za-z0-9._-]*"


class Base(APIHandler):
    auth_resource = "dflow_nb"

    def initialize(self, sources: Sources, cache: RunCache) -> None:
        self.sources = sources
        self.cache = cache

    async def off_loop(self, fn: Callable[..., Any], *args: Any) -> Any:
        """SQLite, HTTP and file reads off the event loop. dflow_nb's own errors (a corrupt
        state database: which file, what to do) reach the sidebar as their one line."""
        try:
            return await IOLoop.current().run_in_executor(None, fn, *args)
        except DflowNbError as exc:
            raise web.HTTPError(500, str(exc)) from None

    def send(self, body: Dict[str, Any]) -> None:
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body, default=str))

    def source(self) -> Source:
        try:
            return self.sources.get(self.get_query_argument("source", ""))
        except UnknownSource as exc:
            raise web.HTTPError(404, str(exc)) from None

    def workflow(self, wf_id: str) -> Workflow:
        """The run ``wf_id`` of the request's source (404 in one line if there is none)."""
        wf = self.source().workflow(wf_id)
        try:
            wf.query()
        except WorkflowNotFound as exc:
            raise web.HTTPError(404, str(exc)) from None
        return wf

    def model(self, wf: Workflow) -> GraphModel:
        return self.cache.read(self.source(), wf)[1]

    def step(self, wf: Workflow, node_id: str) -> Tuple[StepRecord, GraphModel]:
        """One node's full record (inputs, outputs) and the run's model."""
        model = self.model(wf)
        found = wf.query_step(id=node_id) if node_id != wf.id else []
        if not found:
            found = [n for n in wf.query_nodes() if n.id == node_id]
        if not found:
            raise web.HTTPError(404, f"workflow {wf.id} has no step {node_id!r}")
        return found[0], model
