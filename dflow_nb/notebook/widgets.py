"""The live view of a run: DAG coloured by phase, step table, log pane, action buttons.

It is fed only by ``Workflow.query()`` and incremental ``Workflow.query_nodes(since_seq=...)``,
so a local run and an Argo run look the same. Per refresh only what changed travels to the
browser: the DAG picture is re-sent when the drawn structure changes (a new step, a fan-out
collapsing), otherwise only the small per-node ``states`` dict; the table shows failed, running
and recently changed steps, never all 10,000. A failing query turns the view "disconnected" and
polling backs off until a query succeeds again. When the run ends, the cell gets the static
bundle of ``display.py`` (the lasting record).
"""
from __future__ import annotations

import threading
import time
from collections import deque
from html import escape
from pathlib import Path
from typing import Any, Deque, Dict, List, Optional

import anywidget
import ipywidgets as widgets
import traitlets

from dflow_nb.errors import WorkflowNotFound
from dflow_nb.hub.records import WorkflowRecord, gc_paused
from dflow_nb.hub.workflow import Workflow
from dflow_nb.notebook.current_ops import use_current_ops
from dflow_nb.notebook.display import bundle_from, bundle_metadata, plain_summary
from dflow_nb.notebook.graph import DEFAULT_THRESHOLD, FAILED, FINISHED, GraphModel, Rec
from dflow_nb.notebook.layout import layout
from dflow_nb.notebook.logs import log_signature, read_log
from dflow_nb.notebook.plan import planned_nodes
from dflow_nb.notebook.svg import color, node_size, render_svg
from dflow_nb.notebook.viewdata import (
    group_listing,
    inline_previews,
    node_details,
    retry_refusal,
    run_place,
    run_summary,
    timeline,
)

STATIC = Path(__file__).parent / "static"
ENDED = ("Succeeded", "Failed", "Error")


class DagWidget(anywidget.AnyWidget):
    """The DAG picture and per-node states; the front end repaints and reports clicks."""

    _esm = STATIC / "dag.js"
    _css = STATIC / "dag.css"
    svg = traitlets.Unicode("").tag(sync=True)
    states = traitlets.Dict({}).tag(sync=True)
    selected = traitlets.Unicode("").tag(sync=True)
    status = traitlets.Unicode("connecting").tag(sync=True)
    nodes: traitlets.List = traitlets.List([]).tag(sync=True)   # the bundle's, with svg
    edges: traitlets.List = traitlets.List([]).tag(sync=True)
    summary = traitlets.Dict({}).tag(sync=True)        # viewdata.run_summary
    details = traitlets.Dict({}).tag(sync=True)        # the selected node (or group list)
    group_query = traitlets.Dict({}).tag(sync=True)    # front end: phase/search/offset of it
    timeline = traitlets.Dict({}).tag(sync=True)       # sent while want_timeline is set
    want_timeline = traitlets.Bool(False).tag(sync=True)


def _table_html(rows: List[Rec], total: int, more: int = 0) -> str:
    """A compact step table (hand-built: 60 rows cost well under a millisecond)."""
    head = "".join(f"<th>{h}</th>" for h in ("step", "key", "phase", "time", "progress",
                                            "message"))
    body = []
    for r in rows:
        took = "" if r.startedAt is None else \
            f"{(r.finishedAt or time.time()) - r.startedAt:.1f}s"
        body.append(f"<tr><td>{escape(r.displayName)}</td><td>{escape(r.key or '')}</td>"
                    f'<td style="color:{color(r.phase)};font-weight:bold">{escape(r.phase)}</td>'
                    f"<td>{took}</td><td>{escape(r.progress or '')}</td>"
                    f"<td>{escape((r.message or '')[:160])}</td></tr>")
    note = f"<caption>{len(rows)} of {total} steps: failed, running, latest" \
        f"{f' ({more} more)' if more else ''}</caption>" if total > len(rows) else ""
    return (f'<table class="dflow-nb-steps">{note}<thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>")


class LiveView:
    """A run followed live; display it in a cell (or call ``refresh()`` yourself)."""

    def __init__(self, workflow: Workflow, threshold: int = DEFAULT_THRESHOLD,
                 interval: float = 0.5, table_rows: int = 60, log_lines: int = 200,
                 short_rows: int = 8) -> None:
        if not workflow.id:
            raise WorkflowNotFound(f"workflow {workflow.name!r} has not been submitted: "
                                   "submit() it, then watch it")
        self.workflow = workflow
        self.model = GraphModel(workflow.id, threshold)
        self.interval = interval
        self.table_rows = table_rows
        self.short_rows = short_rows
        self.expanded = False
        self._planned = False
        self._timeline_at = 0.0
        self.log_lines = log_lines
        self.record: Optional[WorkflowRecord] = None
        self.connected = True
        self.failures = 0
        self.finished = False
        self.last_refresh_ms = 0.0
        self._recent: Deque[str] = deque(maxlen=table_rows)
        self._drawn_version = -1
        self._log_key: Any = None
        self._handle: Any = None
        self._thread: Optional[threading.Thread] = None
        self._stop = threading.Event()
        self._lock = threading.RLock()
        self.dag = DagWidget()
        self.header = widgets.HTML()
        self.table = widgets.HTML()
        self.log = widgets.HTML(value="<i>click a step to follow its log</i>")
        self.note = widgets.HTML()
        self.buttons = {name: widgets.Button(description=name.capitalize(), icon=icon,
                                             button_style=style)
                        for name, icon, style in (("terminate", "stop", "danger"),
                                                  ("retry", "redo", "warning"),
                                                  ("resubmit", "refresh", ""))}
        for name, button in self.buttons.items():
            button.on_click(lambda _b, n=name: self.act(n))
        self.more = widgets.Button(description="show more", icon="chevron-down",
                                   layout=widgets.Layout(width="auto"))
        self.more.on_click(lambda _b: self.toggle_table())
        self.more.layout.display = "none"
        self.out = widgets.Output()
        self.dag.observe(lambda _c: self._on_select(), names="selected")
        self.dag.observe(lambda _c: self._update_details(), names="group_query")
        self.dag.observe(lambda _c: self._update_timeline(force=True), names="want_timeline")
        # the DAG widget's front end is the whole run view (header, DAG, timeline, table,
        # details: labextension/src/view.ts); around it, the buttons and the log pane
        self.widget = widgets.VBox([
            widgets.HBox(list(self.buttons.values())), self.note, self.dag, self.log, self.out])
        for part, name in ((self.widget, "liveview"), (self.table, "livetable"),
                           (self.log, "livelog"), (self.header, "liveheader")):
            part.add_class(f"dflow-nb-{name}")   # stable hooks for styling and browser tests

    # -- reading -------------------------------------------------------------------------------
    def refresh(self) -> bool:
        """One incremental update; True once the run has ended and everything is shown."""
        with self._lock:
            t0 = time.perf_counter()
            try:
                record = self.workflow.query()
                recs = self.workflow.query_nodes(since_seq=self.model.cursor)
            except Exception as exc:  # any failure to read is shown, then retried
                self._set_disconnected(exc)
                return False
            if not self.connected or self.dag.status != "connected":
                self.connected, self.failures = True, 0
                self.dag.status = "connected"
            self.record = record
            with gc_paused():   # the first read of a large run: 100,000 view records at once
                changed = self.model.apply(recs)
            if not self._planned:
                self._add_planned(record)
            for r in recs:
                if r.type == "Pod":
                    self._recent.appendleft(r.id)
            self._push(record, changed, bool(recs))
            ended = record.phase in ENDED
            if ended:
                self._finish(record)
            self.finished = ended   # only once the lasting record is in the cell
            self.last_refresh_ms = (time.perf_counter() - t0) * 1000
            return self.finished

    def _add_planned(self, record: WorkflowRecord) -> None:
        """Draw the steps the workflow model still has to start (greyed), once."""
        self._planned = True
        if record.phase in ENDED:
            return
        try:
            model = self.workflow if getattr(self.workflow, "entrypoint", None) is not None \
                else self.workflow.model()
            nodes, edges = planned_nodes(model, self.model.workflow_id)
        except Exception:   # no model to read (a stand-in, an unreadable spec): records only
            return
        self.model.add_planned(nodes, edges)

    def _push(self, record: WorkflowRecord, changed: Any, any_news: bool) -> None:
        ids, edges = self.model.structure()
        if self.model.version != self._drawn_version:
            nodes = [self.model.node(i) for i in ids]
            lay = layout(ids, {n["id"]: node_size(n) for n in nodes}, edges)
            with self.dag.hold_sync():   # picture, nodes and states arrive together
                self.dag.nodes = nodes
                self.dag.edges = [[a, b] for a, b in edges]
                self.dag.svg = render_svg(nodes, edges, lay)
                self.dag.states = {i: self.model.state(i) for i in ids}
            self._drawn_version = self.model.version
        elif changed:
            states = dict(self.dag.states)
            for i in changed:
                if i in states:
                    states[i] = self.model.state(i)
            self.dag.states = states
        self._update_header(record)
        if any_news:
            self._update_table()
            if self.dag.selected in changed:
                self._update_details()
            self._update_timeline()
        self._update_log()

    def _set_disconnected(self, exc: Exception) -> None:
        self.connected = False
        self.failures += 1
        text = f"{type(exc).__name__}: {exc}".splitlines()[0]
        text = text if len(text) <= 160 else text[:159].rstrip(" ,.;") + "…"
        self.dag.status = f"disconnected ({text}); retrying"

    def _update_header(self, r: WorkflowRecord) -> None:
        counts = self.model.counts()
        done, planned = self.model.progress()
        badges = " ".join(f'<span style="color:{color(k)}">{v} {escape(k)}</span>'
                          for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))
        took = "" if r.startedAt is None else f"{(r.finishedAt or time.time()) - r.startedAt:.1f}s"
        value = (f"<b>{escape(r.name)}</b> <code>{escape(r.id)}</code> "
                 f'<b style="color:{color(r.phase)}">{escape(r.phase)}</b> {took} · '
                 f"{done}/{planned} steps done · {badges}")
        summary = run_summary(r, self.model, **run_place(self.workflow))
        if summary != self.dag.summary:
            self.dag.summary = summary
        if r.message:
            value += f"<br/>{escape(r.message)}"
        if value != self.header.value:
            self.header.value = value

    def _update_table(self) -> None:
        m = self.model
        picked: List[str] = []
        seen = set()
        for i in m.leaves(FAILED + ("Running",), self.table_rows) + list(self._recent):
            if i not in seen:
                seen.add(i)
                picked.append(i)
            if len(picked) >= self.table_rows:
                break
        total = m.progress()[1]
        shown = picked if self.expanded else picked[:self.short_rows]
        self.more.layout.display = "" if len(picked) > self.short_rows else "none"
        self.more.description = "show less" if self.expanded else "show more"
        self.table.value = _table_html([m.recs[i] for i in shown], total,
                                       0 if self.expanded else len(picked) - len(shown))

    def toggle_table(self) -> None:
        """Show the long table (failed, running, latest; up to ``table_rows``) or the short."""
        self.expanded = not self.expanded
        with self._lock:
            self._update_table()

    def backend_kind(self) -> str:
        return str(run_place(self.workflow)["backend"])

    # -- the selected node: details, a group's list, the timeline ----------------------------
    def _on_select(self) -> None:
        self._update_log(force=True)
        self._update_details()

    def _update_details(self) -> None:
        sel = self.dag.selected
        if not sel:
            return
        try:
            if sel in self.model.bucket_by_id:
                q = self.dag.group_query or {}
                phases = [p for p in str(q.get("phase") or "").split(",") if p]
                self.dag.details = {"group": group_listing(
                    self.model, sel, phases, str(q.get("search") or ""),
                    int(q.get("offset") or 0), int(q.get("limit") or 50))}
                return
            found = self.workflow.query_step(id=sel)
            if not found:
                self.dag.details = {}
                return
            nodes = self.workflow.query_nodes() if found[0].type == "Retry" else []
            details = node_details(self.model.workflow_id, found[0], nodes, self.model,
                                   self.backend_kind())
            if self.backend_kind() == "local":   # no server behind a widget: small previews
                inline_previews(details, found[0])
            self.dag.details = details
        except Exception as exc:   # shown in the panel; the view goes on
            self.dag.details = {"error": f"{type(exc).__name__}: {exc}"}

    def _update_timeline(self, force: bool = False) -> None:
        if not self.dag.want_timeline:
            return
        now = time.monotonic()
        if force or now - self._timeline_at > 2.0 or self.finished:
            self._timeline_at = now
            self.dag.timeline = timeline(self.model)

    def selected_step(self) -> Optional[Rec]:
        """The record the log pane follows: the clicked node (or a slice picked from a group's
        list), or for a group its first failed, else running, else latest item."""
        sel = self.dag.selected
        if not sel:
            return None
        if sel in self.model.recs and sel not in self.model.bucket_by_id:
            return self.model.recs[sel]
        items = self.model.bucket_items(sel)
        if len(items) > 1:
            recs = [self.model.recs[i] for i in items]
            for want in (FAILED, ("Running",), FINISHED):
                hits = [r for r in recs if r.phase in want]
                if hits:
                    return hits[0] if want != FINISHED else hits[-1]
        return self.model.recs.get(items[0]) if items else None

    def _update_log(self, force: bool = False) -> None:
        step = self.selected_step()
        if step is None:
            return
        key = (step.id, step.phase, log_signature(step))
        if not force and key == self._log_key:
            return
        self._log_key = key
        try:
            text = read_log(self.workflow, step, tail=self.log_lines)
        except Exception as exc:
            text = f"(log unavailable: {exc})"
        self.log.value = (f"<b>{escape(step.displayName)}</b> {escape(step.phase)}"
                          f"<pre style=\"max-height:300px;overflow:auto\">{escape(text)}</pre>")

    def select(self, step_id: str) -> None:
        """Follow this node's log (what a click in the DAG does)."""
        self.dag.selected = step_id

    def _finish(self, record: WorkflowRecord) -> None:
        self.dag.status = f"finished: {record.phase}"
        for name in ("terminate",):
            self.buttons[name].disabled = True
        if not self.model.ended:
            waiting = any(r.pending for r in self.model.recs.values())
            self.model.close()
            if waiting:                       # never-started model steps now read Omitted
                self._drawn_version = -1
                self._push(record, set(), True)
        self._update_timeline(force=True)
        if self._handle is not None:
            self._handle.update(self.display_data(), metadata=bundle_metadata(), raw=True)

    def display_data(self) -> Dict[str, Any]:
        """What the cell holds: the live widget for a front end that has its state, and the
        record as last seen for every other (the sidebar's renderer, HTML, text stating the
        phase), in ONE output that is updated in place when the run ends."""
        view = {"version_major": 2, "version_minor": 0, "model_id": self.widget.model_id}
        if self.record is None:
            return {"application/vnd.jupyter.widget-view+json": view,
                    "text/plain": f"Workflow {self.model.workflow_id}: {self.dag.status}"}
        data = bundle_from(self.record, self.model, **run_place(self.workflow))
        if self.record.phase not in ENDED:
            data["text/plain"] = plain_summary(self.record, self.model) + \
                "\n  (as last seen by the live view; run Workflow(id=...) to read it again)"
        return {"application/vnd.jupyter.widget-view+json": view, **data}

    def bundle(self) -> Dict[str, Any]:
        """The static bundle of the run as this view last saw it."""
        if self.record is None:
            self.refresh()
        if self.record is None:
            raise ConnectionError(f"workflow {self.model.workflow_id} cannot be read: "
                                  f"{self.dag.status}")
        return bundle_from(self.record, self.model)

    # -- following -----------------------------------------------------------------------------
    def _pause(self) -> float:
        if self.connected:
            return self.interval
        return min(10.0, self.interval * 2 ** min(self.failures, 5))

    def follow(self, timeout: Optional[float] = None) -> bool:
        """Refresh until the run ends (or ``timeout`` seconds); True when it ended."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.refresh():
            if deadline is not None and time.monotonic() > deadline:
                return False
            if self._stop.wait(self._pause()):
                return False
        return True

    def start(self) -> None:
        """Follow the run from a background thread (the notebook stays usable)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self.follow, name=f"dflow-nb-{self.model.workflow_id}",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def show(self, live: bool = True) -> None:
        """Display the view: one output, the widget plus its record, which becomes the lasting
        record in place when the run ends."""
        from IPython.display import display
        if self.record is None:
            self.refresh()
        self._handle = display(self.display_data(), metadata=bundle_metadata(), raw=True,
                               display_id=True)
        if self.finished and self.record is not None:
            self._finish(self.record)
        elif live:
            self.start()

    def _ipython_display_(self) -> None:
        self.show()

    # -- acting --------------------------------------------------------------------------------
    def act(self, action: str) -> None:
        """Run a button's action through Workflow; say in one line what happened."""
        method = getattr(self.workflow, action, None)
        if method is None:   # a stand-in for a Workflow (such as SyntheticRun) may lack it
            self.note.value = f"<i>{escape(action)} is not available for this run</i>"
            return
        if action == "retry" and self.record is not None:
            refusal = retry_refusal(self.record.phase, sum(self.model.pods[p] for p in FAILED))
            if refusal:   # retry would do nothing: say why, never a silent "done"
                self.note.value = f"<i>{escape(refusal)}</i>"
                return
        try:
            changes = use_current_ops(self.workflow, action=action) \
                if action in ("retry", "resubmit") else []
            method()
        except Exception as exc:
            self.note.value = f"<b>{escape(action)} failed:</b> {escape(str(exc))}"
            return
        self.note.value = f"<i>{escape(action)}: done</i>" + "".join(
            f"<br/>{escape(line)}" for line in changes)
        if action == "resubmit" and self.workflow.id != self.model.workflow_id:
            # resubmit() gave the workflow the new run's id: that run gets a view of its own
            with self.out:
                LiveView(self.workflow, self.model.threshold, self.interval).show()
            return
        if action in ("retry", "resubmit"):
            self.finished = False
            self.buttons["terminate"].disabled = False
            self.start()
