"""Per-run endpoints of the sidebar panel: a node's details, a collapsed group as a list, the
timeline, a step's log (follow, search, download) and artifact previews."""
from __future__ import annotations

import re
from typing import Any, Dict, Optional

from jupyter_server.auth.decorator import authorized
from tornado import web

from dflow_nb.jupyter.base import Base
from dflow_nb.notebook import previews
from dflow_nb.notebook.logs import log_bytes, log_slice
from dflow_nb.notebook.viewdata import group_listing, node_details, timeline

LOG_LIMIT = 1 << 20          # bytes of a log sent at most in one answer


def _int(handler: Base, name: str, default: Optional[int]) -> Optional[int]:
    raw = handler.get_query_argument(name, None)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise web.HTTPError(400, f"{name} must be a whole number, not {raw!r}") from None


class NodeHandler(Base):
    """GET .../workflows/<id>/nodes/<node>: the node's details (inputs, outputs, attempts...)."""

    @web.authenticated
    @authorized
    async def get(self, wf_id: str, node_id: str) -> None:
        src = self.source()

        def build() -> Dict[str, Any]:
            wf = self.workflow(wf_id)
            step, model = self.step(wf, node_id)
            nodes = wf.query_nodes() if step.type == "Retry" else []
            return node_details(wf_id, step, nodes, model, src.kind)
        self.send(await self.off_loop(build))


class GroupHandler(Base):
    """GET .../workflows/<id>/groups/<group>: a collapsed fan-out's slices, Failed first."""

    @web.authenticated
    @authorized
    async def get(self, wf_id: str, group_id: str) -> None:
        phases = [p for p in self.get_query_argument("phase", "").split(",") if p]
        search = self.get_query_argument("search", "")
        offset, limit = _int(self, "offset", 0) or 0, _int(self, "limit", 50) or 50

        def build() -> Dict[str, Any]:
            model = self.model(self.workflow(wf_id))
            try:
                return group_listing(model, group_id, phases, search, offset, limit)
            except KeyError:
                raise web.HTTPError(404, f"workflow {wf_id} has no group {group_id!r}") from None
        self.send(await self.off_loop(build))


class TimelineHandler(Base):
    """GET .../workflows/<id>/timeline[?limit=N]: leaf steps on a time axis."""

    @web.authenticated
    @authorized
    async def get(self, wf_id: str) -> None:
        limit = max(1, min(_int(self, "limit", 2000) or 2000, 20_000))
        self.send(await self.off_loop(
            lambda: timeline(self.model(self.workflow(wf_id)), limit)))


class LogHandler(Base):
    """GET .../workflows/<id>/logs/<node>: a piece of the log (``offset``/``limit``, follow
    with ``next``), ``search`` over all of it, ``download=1`` for the whole file."""

    @web.authenticated
    @authorized
    async def get(self, wf_id: str, node_id: str) -> None:
        offset = _int(self, "offset", None)
        tail = _int(self, "tail", None)
        limit = max(1, min(_int(self, "limit", tail or 64 * 1024) or LOG_LIMIT, LOG_LIMIT))
        search = self.get_query_argument("search", "") or None
        regex = self.get_query_argument("regex", "") in ("1", "true")
        download = self.get_query_argument("download", "") in ("1", "true")

        def build() -> Any:
            wf = self.workflow(wf_id)
            step, _ = self.step(wf, node_id)
            if download:
                return step, log_bytes(wf, step)
            try:
                body = log_slice(wf, step, offset, limit, search, regex)
            except re.error as exc:   # a bad regular expression
                raise web.HTTPError(400, f"search: {exc}") from None
            return step, {"workflow": wf_id, "node": node_id, "step": step.displayName,
                          "phase": step.phase, **body}
        step, body = await self.off_loop(build)
        if download:
            name = "".join(c if c.isalnum() or c in "-_." else "_" for c in step.displayName)
            self.set_header("Content-Disposition", f'attachment; filename="{name}.log"')
            self.set_header("X-Content-Type-Options", "nosniff")
            self.finish(body, set_content_type="text/plain; charset=utf-8")
            return
        self.send(body)


class ArtifactHandler(Base):
    """GET .../nodes/<node>/artifacts/<inputs|outputs>/<name>[?path=REL][&raw=1]: a preview
    (JSON) or the bytes (images inline, everything else as a download)."""

    @web.authenticated
    @authorized
    async def get(self, wf_id: str, node_id: str, side: str, name: str) -> None:
        rel = self.get_query_argument("path", "")
        want_raw = self.get_query_argument("raw", "") in ("1", "true")
        src = self.source()

        def build() -> Any:
            wf = self.workflow(wf_id)
            step, _ = self.step(wf, node_id)
            io = step.inputs if side == "inputs" else step.outputs
            if name not in io.artifacts:
                raise web.HTTPError(404, f"step {step.displayName} has no {side[:-1]} artifact "
                                         f"{name!r}")
            if src.kind != "local":
                raise web.HTTPError(409, f"artifact {name!r} is in the run's artifact "
                                         "repository: download_artifact() it in a notebook")
            paths = io.artifacts[name].paths
            try:
                if want_raw:
                    return previews.raw(paths, rel)
                return previews.preview(name, paths, rel)
            except previews.PreviewError as exc:
                raise web.HTTPError(400 if "inside" in str(exc) else 413, str(exc)) from None
            except FileNotFoundError as exc:
                raise web.HTTPError(404, str(exc)) from None
        out = await self.off_loop(build)
        if not want_raw:
            self.send(out)
            return
        path, ctype, inline = out
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Content-Security-Policy", "sandbox; default-src 'none'")
        if not inline:
            safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in path.name)
            self.set_header("Content-Disposition", f'attachment; filename="{safe}"')
        with open(path, "rb") as fh:
            while True:
                chunk = fh.read(1 << 20)
                if not chunk:
                    break
                self.write(chunk)
        self.finish(set_content_type=ctype)
