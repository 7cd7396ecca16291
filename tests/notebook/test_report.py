"""Run reports: ``Workflow.to_notebook(path)`` and ``%dflow report`` write a notebook of a finished
run that renders (nbconvert, as nbviewer does) in a process where dflow_nb cannot be imported."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from dflow_nb import ShellOPTemplate, Step, Workflow
from dflow_nb.python import OP, PythonOPTemplate

STATIC = {"image/svg+xml", "text/html", "text/plain"}


@OP.function
def scale(x: int, factor: int) -> {"y": int}:
    return {"y": x * factor}


def failing_run() -> Workflow:
    wf = Workflow("report-demo")
    ok = Step("scale", PythonOPTemplate(scale), parameters={"x": 21, "factor": 2})
    bad = Step("crash", ShellOPTemplate(name="crash", script=(
        "echo computing energies\necho 'the SCF did not converge' >&2\nexit 3")),
        continue_on_failed=True)
    wf.add(ok)
    wf.add(bad)
    wf.submit()
    return wf


def outputs_of(nb) -> list:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]


def test_report_of_a_failed_run_holds_dag_steps_failures_and_io(tmp_path: Path) -> None:
    wf = failing_run()
    assert wf.query_status() == "Succeeded"   # continue_on_failed: the run goes on
    path = wf.to_notebook(tmp_path / "out" / "report")
    assert path == tmp_path / "out" / "report.ipynb"
    nb = nbformat.read(str(path), as_version=4)
    nbformat.validate(nb)
    mimes = {m for o in outputs_of(nb) for m in o.get("data", {})}
    assert mimes <= STATIC and {"image/svg+xml", "text/html"} <= mimes
    assert "widgets" not in nb.metadata
    assert all(c.source.startswith("#") for c in nb.cells if c.cell_type == "code")
    summary = nb.cells[0].source
    assert wf.id in summary and "**Succeeded**" in summary and "1 Failed, 1 Succeeded" in summary
    svg = next(o.data["image/svg+xml"] for o in outputs_of(nb) if "image/svg+xml" in o.get("data", {}))
    assert svg.startswith("<svg") and "<script" not in svg and 'data-id="' in svg
    tables = [o.data["text/html"] for o in outputs_of(nb) if "text/html" in o.get("data", {})]
    assert "crash" in tables[0] and "Failed" in tables[0] and "scale" in tables[0]
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "## Failures (1)" in markdown and "Error (exit code 3)" in markdown
    logs = "".join(o.text for o in outputs_of(nb) if o.output_type == "stream")
    assert "computing energies" in logs and "the SCF did not converge" in logs
    assert "<td>factor</td><td>2</td>" in tables[-1] and "<td>y</td><td>42</td>" in tables[-1]


def test_report_renders_without_dflow_nb(tmp_path: Path) -> None:
    pytest.importorskip("nbconvert")
    wf = failing_run()
    path = wf.to_notebook(tmp_path / "report.ipynb")
    code = ("import sys; sys.modules['dflow_nb'] = None\n"   # any import of dflow_nb fails
            "from nbconvert import HTMLExporter\n"
            f"html, _ = HTMLExporter().from_filename({str(path)!r})\n"
            "import base64, re\n"   # nbconvert draws an SVG output as an <img> data URI
            "svg = re.search(r'data-mime-type=\"image/svg\\+xml\"[^>]*>\\s*<img[^>]*"
            "base64,([^\"]+)', html)\n"
            "print(len(html), bool(svg) and b'dn-node' in base64.b64decode(svg.group(1)), "
            "'computing energies' in html, '<table' in html)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True).stdout.split()
    assert out[1:] == ["True", "True", "True"], out


def test_unsubmitted_workflow_has_no_report(tmp_path: Path) -> None:
    from dflow_nb.errors import WorkflowNotFound
    with pytest.raises(WorkflowNotFound, match="no ID yet"):
        Workflow("never").to_notebook(tmp_path / "r.ipynb")


def test_report_magic(run_notebook, tmp_path: Path) -> None:
    ran = run_notebook([
        ("load", "%load_ext dflow_nb"),
        ("run", "from dflow_nb import ShellOPTemplate, Step, Workflow\n"
                "wf = Workflow('magic-report')\n"
                "wf.add(Step('hello', ShellOPTemplate(name='hello', script='echo hi')))\n"
                "wf.submit(wait=True)"),
        ("report", f"%dflow report wf {tmp_path / 'magic.ipynb'}"),
        ("nowhere", "%dflow report no-such-run"),
    ])
    assert "written to" in ran.text("report") and "(Succeeded)" in ran.text("report")
    nb = nbformat.read(str(tmp_path / "magic.ipynb"), as_version=4)
    assert "hello" in nbformat.writes(nb)
    assert ran.text("nowhere").startswith("UsageError") and "no-such-run" in ran.text("nowhere")
