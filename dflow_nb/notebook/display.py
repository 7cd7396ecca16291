"""Static display bundles of a run and of a step: the lasting record in a notebook.

``Workflow._repr_mimebundle_`` and ``StepRecord._repr_mimebundle_`` call ``workflow_bundle`` and
``step_bundle``; the live view puts the same bundle in its cell when a run ends, so a saved,
untrusted or exported notebook (nbconvert, GitHub) still shows the run.

The bundle (a dict of MIME type -> data):

``application/vnd.dflow-nb.workflow+json`` (the JupyterLab renderer draws this one)::

    {"version": 2,
     "workflow": RunSummary (viewdata.run_summary: id, name, phase, message, labels, times,
                 backend, progress {done, planned}, counts per phase, failed, title, openCell),
     "nodes": [{"id", "name", "displayName", "type", "phase", "parent", "children": [ids],
                "message", "startedAt", "finishedAt", "progress", "key", "templateName",
                "pending", "reused",
                "group": null | {"count": n, "planned": m, "done": k,
                                 "phases": {"Succeeded": k, ...}}}],
     "edges": [[from_id, to_id], ...],
     "svg": "<svg ...>" | null}

  Times are epoch seconds (float) or null. ``type`` is Argo's node type (Pod, Steps, DAG,
  StepGroup, TaskGroup, Retry, Skipped, ...) or ``Group``: a fan-out of more than ``threshold``
  loop items under one parent collapsed into one node (its ``progress`` is ``done/planned``:
  planned counts the items the loop will make, not only those started; its ``phase`` is
  Running while any item runs or more are to come, else Failed/Error if any failed, else
  Succeeded). ``pending`` nodes are known from the workflow model and not started (drawn
  greyed). ``nodes`` are the drawn nodes only (items of a group and what hangs below them are
  left out); ``edges`` link drawn nodes; ``parent`` is the drawn node above (a group for
  nested loops). ``svg`` is the laid-out picture (``dot`` when installed, else the pure-Python
  layout), the same markup as the ``image/svg+xml`` entry: node ``<g class="dn-node"
  data-id=ID>``. The whole contract (with the server's endpoints) is in ARCHITECTURE.md.

``image/svg+xml``: that picture. ``text/html``: a summary (phase counts, the picture as an
``<img>`` data URI, the failed/running steps) with no script and no style element, so untrusted
and sanitising front ends show it. ``text/plain``: one line per run.

Metadata (``bundle_metadata()``): ``{"application/vnd.dflow-nb.workflow+json": {"safe": true}}``
marks the custom type as plain data (no code runs from it) for renderers that ask.
"""
from __future__ import annotations

import base64
import datetime as _dt
from html import escape
from typing import Any, Dict, List, Optional, Sequence, Tuple

from dflow_nb.hub.records import StepRecord, WorkflowRecord
from dflow_nb.hub.workflow import Workflow
from dflow_nb.notebook.graph import FAILED, GraphModel, Rec
from dflow_nb.notebook.svg import color, render_svg
from dflow_nb.notebook.tables import short
from dflow_nb.notebook.viewdata import run_place, run_summary

MIME = "application/vnd.dflow-nb.workflow+json"
ENDED = ("Succeeded", "Failed", "Error")
VERSION = 2
HTML_ROWS = 5          # rows shown at once; the rest behind "show more"
HTML_MORE = 50


def bundle_metadata() -> Dict[str, Any]:
    """Display metadata to send with a bundle (``display(data, metadata=..., raw=True)``)."""
    return {MIME: {"safe": True, "version": VERSION}}


def workflow_mimebundle(workflow: Workflow) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """``Workflow._repr_mimebundle_``: the static bundle and its display metadata."""
    return workflow_bundle(workflow), bundle_metadata()


def graph_payload(model: GraphModel) -> Dict[str, Any]:
    """Drawn nodes and edges in the bundle's shape."""
    ids, edges = model.structure()
    return {"nodes": [model.node(i) for i in ids], "edges": [[a, b] for a, b in edges]}


def workflow_bundle(workflow: Workflow) -> Dict[str, Any]:
    """The static bundle of a workflow (a one-line text if it has no run or cannot be read)."""
    if not getattr(workflow, "id", None):
        text = f"Workflow {workflow.name!r} (not submitted)"
        return {"text/plain": text, "text/html": f"<p>{escape(text)}</p>"}
    try:
        record = workflow.query()
        model = GraphModel(record.id)
        model.apply(workflow.query_nodes())
    except Exception as exc:  # a display must never raise: say what went wrong in one line
        text = f"Workflow {workflow.id}: cannot be read ({type(exc).__name__}: {exc})"
        return {"text/plain": text}
    return bundle_from(record, model, **run_place(workflow))


def bundle_from(record: WorkflowRecord, model: GraphModel, **where: Any) -> Dict[str, Any]:
    """The bundle of a run from its record and an up-to-date model (the live view has both);
    ``where``: ``backend``, ``source``, ``workdir`` of ``run_summary``."""
    if record.phase in ENDED and not model.ended:
        model.close()
    payload = graph_payload(model)
    svg = render_svg(payload["nodes"], [tuple(e) for e in payload["edges"]]) \
        if payload["nodes"] else None
    data = {"version": VERSION, "workflow": run_summary(record, model, **where),
            **payload, "svg": svg}
    bundle: Dict[str, Any] = {MIME: data, "text/plain": plain_summary(record, model),
                              "text/html": html_summary(record, model, svg)}
    if svg:
        bundle["image/svg+xml"] = svg
    return bundle


def phase_counts(model: GraphModel) -> Dict[str, int]:
    """Work steps (Pods) per phase (planned ones not made yet count as Pending)."""
    return model.counts()


def counts_text(model: GraphModel) -> str:
    """``460/1000 steps done: 455 Succeeded, 5 Failed, ...`` (header, table and text agree)."""
    done, planned = model.progress()
    counts = model.counts()
    inner = ", ".join(f"{v} {k}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))
    return f"{done}/{planned} steps done" + (f": {inner}" if inner else "")


def plain_summary(record: WorkflowRecord, model: GraphModel) -> str:
    """One line that states the run's phase as last seen (what an untrusted notebook shows)."""
    text = f"Workflow {record.name} ({record.id}): {record.phase} — {counts_text(model)}"
    if record.message:
        text += f"\n  {record.message}"
    for i in model.leaves(FAILED, 5):
        r = model.recs[i]
        text += f"\n  {r.phase}: {r.displayName}: {short(r.message or '', 100)}"
    return text


def _duration(record: WorkflowRecord) -> str:
    if record.startedAt is None:
        return ""
    end = record.finishedAt
    return f"{end - record.startedAt:.1f}s" if end is not None else "running"


def html_summary(record: WorkflowRecord, model: GraphModel, svg: Optional[str]) -> str:
    """Static HTML: no script, no style element, inline attributes only."""
    counts = model.counts()
    badges = " ".join(
        f'<span style="background:{color(k)};color:#fff;padding:1px 6px;border-radius:8px">'
        f"{v} {escape(k)}</span>" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))
    started = _dt.datetime.fromtimestamp(record.startedAt).strftime("%Y-%m-%d %H:%M:%S") \
        if record.startedAt else ""
    parts = [f'<div class="dflow-nb-workflow"><p><b>{escape(record.name)}</b> '
             f"<code>{escape(record.id)}</code> "
             f'<span style="color:{color(record.phase)};font-weight:bold">'
             f"{escape(record.phase)}</span> {escape(_duration(record))} "
             f"{escape(started)}</p>"]
    if record.message:
        parts.append(f"<p>{escape(record.message)}</p>")
    parts.append(f"<p>{escape(counts_text(model).split(':')[0])} {badges}</p>")
    if svg:
        uri = base64.b64encode(svg.encode()).decode()
        parts.append(f'<img alt="workflow graph" src="data:image/svg+xml;base64,{uri}"/>')
    rows = _notable(model)
    if rows:
        parts.append(_rows_table(rows[:HTML_ROWS]))
        if len(rows) > HTML_ROWS:
            parts.append(f"<details><summary>show more ({len(rows) - HTML_ROWS})</summary>"
                         f"{_rows_table(rows[HTML_ROWS:])}</details>")
    parts.append("</div>")
    return "".join(parts)


def _rows_table(rows: List[Rec]) -> str:
    body = "".join(f"<tr><td>{escape(r.displayName)}</td><td>{escape(r.key or '')}</td>"
                   f'<td style="color:{color(r.phase)}">{escape(r.phase)}</td>'
                   f"<td>{escape(short(r.message or '', 120))}</td></tr>" for r in rows)
    return ("<table><thead><tr><th>step</th><th>key</th><th>phase</th><th>message</th>"
            f"</tr></thead><tbody>{body}</tbody></table>")


def _notable(model: GraphModel) -> List[Rec]:
    ids = model.leaves(FAILED + ("Running",), HTML_MORE)
    return [model.recs[i] for i in ids]


def step_bundle(step: StepRecord) -> Dict[str, Any]:
    """A step record: one line of text, and an HTML card with its inputs and outputs."""
    head = f"{step.type} {step.displayName} [{step.phase}]"
    if step.key:
        head += f" key={step.key}"
    lines = [head]
    if step.message:
        lines.append(f"  message: {step.message}")
    rows: List[Sequence[str]] = []
    for side, io in (("input", step.inputs), ("output", step.outputs)):
        for k, p in io.parameters.items():
            rows.append((side, "parameter", k, short(p.value, 200)))
            lines.append(f"  {side} {k} = {short(p.value, 80)}")
        for k, a in io.artifacts.items():
            rows.append((side, "artifact", k, short(a.local_path, 200)))
            lines.append(f"  {side} artifact {k}: {short(a.local_path, 80)}")
    html = [f'<div class="dflow-nb-step"><p><b>{escape(step.displayName)}</b> '
            f'<span style="color:{color(step.phase)};font-weight:bold">{escape(step.phase)}</span>'
            f"{' key <code>' + escape(step.key) + '</code>' if step.key else ''}</p>"]
    if step.message:
        html.append(f"<p>{escape(step.message)}</p>")
    if rows:
        html.append("<table><tbody>" + "".join(
            f"<tr><td>{escape(a)}</td><td>{escape(b)}</td><td><code>{escape(c)}</code></td>"
            f"<td>{escape(str(d))}</td></tr>" for a, b, c, d in rows) + "</tbody></table>")
    html.append("</div>")
    return {"text/plain": "\n".join(lines), "text/html": "".join(html)}
