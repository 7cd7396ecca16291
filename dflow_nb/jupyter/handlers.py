"""REST handlers: the run list, one run's view, its nodes, groups, timeline, logs, artifact
previews and actions (Jupyter auth). The shapes are the view contract in ARCHITECTURE.md."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict

from jupyter_server.auth.decorator import authorized
from jupyter_server.utils import url_path_join
from tornado import web
from traitlets import Int, Unicode
from traitlets.config import Configurable

from dflow_nb.config import config, runs_dir
from dflow_nb.jupyter.actions import ActionHandler, ReusableHandler
from dflow_nb.jupyter.base import ID, Base
from dflow_nb.jupyter.run_api import (
    ArtifactHandler,
    GroupHandler,
    LogHandler,
    NodeHandler,
    TimelineHandler,
)
from dflow_nb.jupyter.runs import ListQuery, RunCache, list_runs
from dflow_nb.jupyter.sources import Sources
from dflow_nb.jupyter.view import run_view


class DflowNbServer(Configurable):
    """Settings of the dflow_nb server extension."""

    workdir = Unicode("", config=True,
                      help="Work directory whose local runs the sidebar shows (default: "
                           "$DFLOW_NB_WORKDIR, else the server root's .dflow_nb folder).")

    def resolve_workdir(self, root_dir: str) -> Path:
        """The configured work directory, the environment's, or where the notebooks of the
        server root keep their runs (``config.runs_dir``)."""
        chosen = self.workdir or os.environ.get("DFLOW_NB_WORKDIR")
        if not chosen:
            return runs_dir(os.path.expanduser(root_dir)).resolve()
        return Path(os.path.expanduser(chosen)).resolve()

    argo_host = Unicode("", config=True,
                        help="Argo server whose workflows the sidebar lists beside the local "
                             "ones (default: dflow_nb's config['host'], e.g. $DFLOW_HOST).")
    scan_depth = Int(4, config=True,
                     help="How deep under the server root to look for work directories.")

    def sources(self, root_dir: str) -> Sources:
        """The sidebar's sources: work directories under the root, the default, Argo."""
        return Sources(Path(os.path.expanduser(root_dir)), self.resolve_workdir(root_dir),
                       self.argo_host or config["host"] or "", self.scan_depth)


class WorkflowsHandler(Base):
    """GET /dflow-nb/api/workflows: runs of every source, filtered, sorted, one page."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        arg = self.get_query_argument
        labels = {}
        for item in self.get_query_arguments("label"):
            k, sep, v = item.partition("=")
            if not sep:
                raise web.HTTPError(400, f"label must be key=value, not {item!r}")
            labels[k] = v
        try:
            query = ListQuery(phases=[p for p in arg("phase", "").split(",") if p],
                              name=arg("name", ""), labels=labels, search=arg("search", ""),
                              sort=arg("sort", "-createdAt"), offset=int(arg("offset", "0")),
                              limit=int(arg("limit", "50")))
            query.check()
        except ValueError as exc:
            raise web.HTTPError(400, str(exc)) from None
        sources = self.sources.all(arg("scope", "all"))
        self.send(await self.off_loop(list_runs, sources, query, self.cache))


class WorkflowHandler(Base):
    """GET /dflow-nb/api/workflows/<id>: the run view (the notebook bundle's shape, with the
    timeline); DELETE: forget the run and its files."""

    @web.authenticated
    @authorized
    async def get(self, wf_id: str) -> None:
        src = self.source()
        self.send(await self.off_loop(lambda: run_view(src, self.workflow(wf_id), self.cache)))

    @web.authenticated
    @authorized
    async def delete(self, wf_id: str) -> None:
        src = self.source()

        def delete() -> Dict[str, Any]:
            wf = self.workflow(wf_id)
            try:
                wf.delete()
            except Exception as exc:
                raise web.HTTPError(409, f"delete: {exc}") from None
            self.cache.forget(src, wf_id)
            return {"deleted": wf_id}
        self.send(await self.off_loop(delete))


def setup_handlers(web_app: Any, workdir: Path, sources: "Sources | None" = None) -> None:
    """Mount the handlers under ``<base_url>dflow-nb/api/``."""
    base = url_path_join(web_app.settings["base_url"], "dflow-nb", "api")
    if sources is None:
        sources = Sources(workdir, workdir, config["host"] or "")
    opts = {"sources": sources, "cache": RunCache()}
    run = url_path_join(base, "workflows", f"({ID})")
    node = url_path_join(run, "nodes", f"({ID})")
    web_app.add_handlers(".*$", [
        (url_path_join(base, "workflows") + "/?", WorkflowsHandler, opts),
        (run + "/?", WorkflowHandler, opts),
        (url_path_join(run, "timeline") + "/?", TimelineHandler, opts),
        (url_path_join(run, "groups", "([^/]+)") + "/?", GroupHandler, opts),
        (node + "/?", NodeHandler, opts),
        (url_path_join(node, "artifacts", "(inputs|outputs)", "([^/]+)") + "/?",
         ArtifactHandler, opts),
        (url_path_join(run, "logs", f"({ID})") + "/?", LogHandler, opts),
        (url_path_join(run, "reusable") + "/?", ReusableHandler, opts),
        (url_path_join(run, "actions", "([a-z]+)") + "/?", ActionHandler, opts),
    ])
