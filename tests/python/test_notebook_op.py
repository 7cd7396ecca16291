"""NotebookOPTemplate: a parameterized notebook as a step, run by papermill on the local engine,
and the same template compiled into an Argo manifest that validates and runs when loaded back."""
from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from dflow_nb import OutputParameter, Step, Workflow, upload_artifact
from dflow_nb.python.notebook_op import NotebookOPTemplate

pytest.importorskip("papermill")


def scan_notebook(path: Path) -> Path:
    """A small parameter scan: decay of n atoms over `steps` half-lives, recorded."""
    nb = new_notebook(cells=[
        new_markdown_cell("# Decay scan"),
        new_code_cell("n0 = 1000\nsteps = 3\ndata = None", metadata={"tags": ["parameters"]}),
        new_code_cell("from dflow_nb import record\n"
                      "left = [n0 / 2 ** k for k in range(steps + 1)]\n"
                      "print('left:', left)\n"
                      "record('remaining', left[-1])\n"
                      "record('curve', left)\n"
                      "record('label', f'{steps} half-lives')"),
        new_code_cell("if data is not None:\n"
                      "    from pathlib import Path\n"
                      "    found = next(Path(data).rglob('extra.txt'))  # uploads keep their name\n"
                      "    record('extra', found.read_text().strip())"),
        new_code_cell("if steps > 5:\n"
                      "    raise ValueError(f'too many half-lives: {steps}')\n"
                      "print('after the check')"),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, str(path))
    return path


def executed(step) -> dict:
    folder = Path(step.outputs.artifacts["notebook"].local_path)
    return json.loads((folder / "scan.ipynb").read_text())


def test_parameters_in_typed_outputs_out_notebook_kept(tmp_path: Path) -> None:
    book = scan_notebook(tmp_path / "scan.ipynb")
    tmpl = NotebookOPTemplate(book, parameters={"n0": int, "steps": int},
                              outputs={"remaining": float, "curve": list, "label": str})
    wf = Workflow("nb-scan")
    wf.add(Step("scan", tmpl, parameters={"n0": 800, "steps": 4}))
    wf.submit()
    assert wf.query_status() == "Succeeded"
    step = wf.query_step(name="scan")[0]
    out = step.outputs.parameters
    assert out["remaining"].value == 50.0 and isinstance(out["remaining"].value, float)
    assert out["curve"].value == [800, 400, 200, 100, 50]
    assert out["label"].value == "4 half-lives"
    nb = executed(step)
    injected = [c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert "n0 = 800" in "".join(injected[0]["source"])
    texts = "".join("".join(o.get("text", "")) for c in nb["cells"] for o in c.get("outputs", []))
    assert "left: [800.0, 400.0, 200.0, 100.0, 50.0]" in texts
    assert "after the check" in texts
    assert "left: [800.0" in wf.logs("scan")


def test_input_artifact_reaches_the_notebook_as_a_path(tmp_path: Path) -> None:
    book = scan_notebook(tmp_path / "scan.ipynb")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "extra.txt").write_text("from an artifact\n")
    tmpl = NotebookOPTemplate(book, parameters={"steps": int}, artifacts=["data"],
                              outputs={"extra": str})
    wf = Workflow("nb-artifact")
    wf.add(Step("scan", tmpl, parameters={"steps": 1},
                artifacts={"data": upload_artifact(str(tmp_path / "in"))}))
    wf.submit()
    assert wf.query_status() == "Succeeded"
    assert wf.query_step(name="scan")[0].outputs.parameters["extra"].value == "from an artifact"


def test_failing_cell_fails_the_step_with_its_error_and_keeps_the_partial_notebook(
        tmp_path: Path) -> None:
    book = scan_notebook(tmp_path / "scan.ipynb")
    tmpl = NotebookOPTemplate(book, parameters={"steps": int}, outputs={"remaining": float})
    wf = Workflow("nb-fail")
    wf.add(Step("scan", tmpl, parameters={"steps": 7}))
    wf.submit()
    assert wf.query_status() == "Failed"
    step = wf.query_step(name="scan")[0]
    assert step.phase == "Failed"
    assert "ValueError: too many half-lives: 7" in step.message
    nb = executed(step)
    errors = [o for c in nb["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert errors and errors[0]["evalue"] == "too many half-lives: 7"
    texts = "".join("".join(o.get("text", "")) for c in nb["cells"] for o in c.get("outputs", []))
    assert "left: [1000.0" in texts and "after the check" not in texts
    # the partial notebook is also in the step's own directory, and what was recorded before
    # the failing cell is still an output
    kept = Path(step.outputs.artifacts["notebook"].local_path, "scan.ipynb")
    assert kept.is_file() and Path(step.dir) in kept.parents
    assert step.outputs.parameters["remaining"].value == 1000 / 2 ** 7


def test_a_declared_output_never_recorded_fails_unless_it_has_a_default(tmp_path: Path) -> None:
    book = scan_notebook(tmp_path / "scan.ipynb")
    wf = Workflow("nb-missing")
    wf.add(Step("strict", NotebookOPTemplate(book, outputs={"energy": float}),
                continue_on_failed=True))
    wf.add(Step("lenient", NotebookOPTemplate(
        book, outputs={"energy": OutputParameter(type=float, default=0.0)})))
    wf.submit()
    strict, lenient = wf.query_step(name="strict")[0], wf.query_step(name="lenient")[0]
    assert strict.phase == "Failed"
    assert "did not record output 'energy'" in strict.message
    assert lenient.phase == "Succeeded"
    assert lenient.outputs.parameters["energy"].value == 0.0


def test_a_recorded_value_of_the_wrong_type_fails_in_the_users_terms(tmp_path: Path) -> None:
    book = scan_notebook(tmp_path / "scan.ipynb")
    wf = Workflow("nb-type")
    wf.add(Step("scan", NotebookOPTemplate(book, outputs={"label": int})))
    wf.submit()
    step = wf.query_step(name="scan")[0]
    assert step.phase == "Failed"
    assert "recorded label='3 half-lives' (a str), but the template declares it as int" \
        in step.message


def test_a_missing_kernel_fails_the_step_saying_what_to_install(tmp_path: Path) -> None:
    book = scan_notebook(tmp_path / "scan.ipynb")
    wf = Workflow("nb-kernel")
    wf.add(Step("scan", NotebookOPTemplate(book, kernel_name="no-such-kernel")))
    wf.submit()
    step = wf.query_step(name="scan")[0]
    assert step.phase == "Failed"
    assert "no Jupyter kernel named 'no-such-kernel' here: install ipykernel" in step.message


def test_bad_templates_are_refused_when_built(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no notebook at"):
        NotebookOPTemplate(tmp_path / "missing.ipynb")
    (tmp_path / "bad.ipynb").write_text("not json")
    with pytest.raises(ValueError, match="is not a Jupyter notebook"):
        NotebookOPTemplate(tmp_path / "bad.ipynb")
    book = scan_notebook(tmp_path / "scan.ipynb")
    with pytest.raises(ValueError, match="executed notebook artifact"):
        NotebookOPTemplate(book, outputs={"notebook": str})
    with pytest.raises(ValueError, match="both a parameter and an artifact"):
        NotebookOPTemplate(book, parameters={"data": str}, artifacts=["data"])


def test_manifest_validates_and_runs_when_loaded_back(tmp_path: Path) -> None:
    from dflow_nb.argo.compile import check_manifest
    from dflow_nb.argo.schema import schema_path
    if schema_path() is None:
        pytest.skip("Argo's schema.json not found: set DFLOW_NB_SHARED")
    book = scan_notebook(tmp_path / "scan.ipynb")
    tmpl = NotebookOPTemplate(book, parameters={"n0": int, "steps": int},
                              outputs={"remaining": float}, image="python:3.11")
    wf = Workflow("nb-argo")
    wf.add(Step("scan", tmpl, parameters={"n0": 64, "steps": 3}))
    manifest = check_manifest(wf)
    leaf = next(t for t in manifest["spec"]["templates"] if "script" in t)
    assert leaf["script"]["image"] == "python:3.11"
    assert "from dflow_nb.python.notebook_run import run_notebook" in leaf["script"]["source"]
    assert [a["path"] for a in leaf["outputs"]["artifacts"]] == ["/tmp/outputs/artifacts/notebook"]
    assert {p["name"]: p["valueFrom"]["path"] for p in leaf["outputs"]["parameters"]} == {
        "remaining": "/tmp/outputs/parameters/remaining"}
    again = Workflow.from_dict(manifest)
    again.submit()
    assert again.query_status() == "Succeeded"
    assert again.query_step(name="scan")[0].outputs.parameters["remaining"].value == 8.0
