"""A run report as a notebook file: ``Workflow.to_notebook(path)`` and ``%dflow report``.

The report is an nbformat v4 notebook that GitHub, nbviewer or a JupyterLab without dflow_nb
render as it is: markdown cells, and code cells whose source is only a comment and whose saved
outputs use static MIME types (``image/svg+xml`` for the DAG, ``text/html`` tables, ``text/plain``
logs) — no widget state, no custom MIME type, no script. Sections: a summary, the DAG, the step
table, each failed step with its message and the tail of its log, and every step's inputs and
outputs.
"""
from __future__ import annotations

import datetime as _dt
from html import escape
from pathlib import Path
from typing import Any, Dict, List, Union

from dflow_nb.hub.records import StepRecord, WorkflowRecord
from dflow_nb.hub.workflow import Workflow
from dflow_nb.notebook.display import workflow_bundle
from dflow_nb.notebook.graph import FAILED
from dflow_nb.notebook.logs import read_log
from dflow_nb.notebook.tables import short, steps_frame

LOG_LINES = 60       # of each failed step's log
MAX_ROWS = 500       # steps shown in the tables (a 10,000-slice fan-out stays readable)


def _markdown(text: str) -> Any:
    from nbformat.v4 import new_markdown_cell
    return new_markdown_cell(text)


def _shown(comment: str, data: Dict[str, str]) -> Any:
    """A code cell that only carries a saved output (its source is a comment saying what)."""
    from nbformat.v4 import new_code_cell, new_output
    return new_code_cell(f"# {comment}", outputs=[new_output("display_data", data=data)])


def _log_cell(step: StepRecord, text: str) -> Any:
    from nbformat.v4 import new_code_cell, new_output
    return new_code_cell(f"# the last {LOG_LINES} lines of {step.displayName}'s log",
                         outputs=[new_output("stream", name="stdout", text=text or "(empty)")])


def _when(ts: Any) -> str:
    return _dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S") if ts else "—"


def _summary(record: WorkflowRecord, steps: List[StepRecord]) -> str:
    counts: Dict[str, int] = {}
    for s in steps:
        if s.type == "Pod":
            counts[s.phase] = counts.get(s.phase, 0) + 1
    took = (f"{record.finishedAt - record.startedAt:.1f} s"
            if record.startedAt and record.finishedAt else "—")
    lines = [f"# Run report: {record.name}", "",
             "| | |", "|---|---|",
             f"| run | `{record.id}` |",
             f"| phase | **{record.phase}** |",
             f"| started | {_when(record.startedAt)} |",
             f"| finished | {_when(record.finishedAt)} |",
             f"| duration | {took} |",
             "| steps | " + (", ".join(f"{v} {k}" for k, v in sorted(counts.items())) or "none")
             + " |"]
    if record.message:
        lines.append(f"| message | {_md_cell(record.message)} |")
    lines += ["", "_Written by dflow_nb; this notebook holds saved outputs only and needs "
                  "nothing installed to be read._"]
    return "\n".join(lines)


def _md_cell(text: str) -> str:
    return escape(short(text, 300)).replace("|", "&#124;").replace("\n", " ")


def _io_table(steps: List[StepRecord]) -> str:
    rows = []
    for s in steps:
        for side, io in (("in", s.inputs), ("out", s.outputs)):
            for k, p in io.parameters.items():
                rows.append((s.displayName, side, "parameter", k, short(p.value, 200)))
            for k, a in io.artifacts.items():
                rows.append((s.displayName, side, "artifact", k, short(a.local_path, 200)))
    head = "".join(f"<th>{h}</th>" for h in ("step", "", "kind", "name", "value"))
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in r) + "</tr>"
                   for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _plain_rows(steps: List[StepRecord]) -> str:
    return "\n".join(f"{s.displayName}  {s.type}  {s.phase}  {short(s.message or '', 80)}"
                     for s in steps)


def run_report(workflow: Workflow) -> Any:
    """The report of a run as an nbformat notebook (``nbformat.NotebookNode``)."""
    import nbformat
    from nbformat.v4 import new_notebook
    record = workflow.query()
    steps = workflow.query_step()
    cells = [_markdown(_summary(record, steps))]
    svg = workflow_bundle(workflow).get("image/svg+xml")
    if svg:
        cells += [_markdown("## The workflow\n\nEach box is a step, coloured by its phase; a "
                            "large fan-out is drawn as one box with its count."),
                  _shown("the DAG of the run", {"image/svg+xml": svg,
                                                "text/plain": f"DAG of {record.id}"})]
    shown = steps[:MAX_ROWS]
    more = f" (the first {MAX_ROWS} of {len(steps)})" if len(steps) > MAX_ROWS else ""
    table = steps_frame(shown).drop(columns=["outputs"])
    if table["key"].isna().all():
        table = table.drop(columns=["key"])
    cells += [_markdown(f"## Steps{more}"),
              _shown("every step of the run", {"text/html": table.to_html(index=False),
                                               "text/plain": _plain_rows(shown)})]
    failed = [s for s in steps if s.type == "Pod" and s.phase in FAILED]
    if failed:
        cells.append(_markdown(f"## Failures ({len(failed)})"))
        for s in failed[:20]:
            cells.append(_markdown(f"### {escape(s.displayName)} — {s.phase}\n\n"
                                   f"{_md_cell(s.message or 'no message')}"))
            try:
                text = read_log(workflow, s, tail=LOG_LINES)
            except Exception as exc:  # a report of a failed run must still be written
                text = f"(log not available: {type(exc).__name__}: {exc})"
            cells.append(_log_cell(s, text))
    leaves = [s for s in shown if s.type == "Pod"]
    cells += [_markdown("## Inputs and outputs\n\nParameters as their values; artifacts as "
                        "where their files are."),
              _shown("inputs and outputs of every step", {"text/html": _io_table(leaves),
                                                          "text/plain": _plain_rows(leaves)})]
    nb = new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
        "dflow_nb": {"workflow": record.id, "phase": record.phase}})
    nbformat.validate(nb)
    return nb


def write_report(workflow: Workflow, path: Union[str, Path]) -> Path:
    """Write the run's report notebook to ``path`` (``.ipynb`` added if missing)."""
    import nbformat
    target = Path(path)
    if target.suffix != ".ipynb":
        target = target.with_name(target.name + ".ipynb")
    nb = run_report(workflow)
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(target))
    return target
