"""Every tutorial in notebooks/ runs headless with papermill, on small parameters, and what it
found is checked — values, phases, what a reuse run skipped — through the notebook's last cell
(tagged ``summary``, a dict of literals) and by reopening its runs with ``Workflow(id=...)``.

Each test runs one notebook in a copy of notebooks/ (runs go to its ``runs/``); the executed
notebooks are kept in tests/notebooks/artifacts/ (gitignored) to look at after a failure.
"""
from __future__ import annotations

import ast
import json
import math
import re
import shutil
from pathlib import Path
from typing import Any, Dict

import nbformat
import pytest

from dflow_nb import Workflow

papermill = pytest.importorskip("papermill")

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
ARTIFACTS = Path(__file__).with_name("artifacts")
TUTORIALS = sorted(p.name for p in NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))
MIME = "application/vnd.dflow-nb.workflow+json"


class Ran:
    """An executed tutorial: its notebook, its summary dict and the folder its runs are in."""

    def __init__(self, nb: Any, work: Path) -> None:
        self.nb = nb
        self.runs = work / "runs"
        cell = next(c for c in nb.cells if "summary" in c.metadata.get("tags", []))
        text = next(o.data["text/plain"] for o in cell.outputs if o.output_type == "execute_result")
        self.summary: Dict[str, Any] = ast.literal_eval(text)

    def workflow(self, key: str = "run") -> Workflow:
        return Workflow(id=self.summary[key], workdir=self.runs)

    def bundles(self) -> list:
        return [o.data[MIME] for c in self.nb.cells if c.cell_type == "code"
                for o in c.outputs if MIME in o.get("data", {})]


@pytest.fixture
def run_tutorial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """run_tutorial(name, **parameters) -> Ran, in a copy of notebooks/ on the local engine."""
    monkeypatch.setenv("DFLOW_MODE", "debug")
    monkeypatch.setenv("DFLOW_HOST", "")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))   # DPDispatcher writes ~/.dpdispatcher
    (tmp_path / "home").mkdir()

    def run(name: str, **parameters: Any) -> Ran:
        work = tmp_path / "notebooks"
        shutil.copytree(NOTEBOOKS, work, ignore=shutil.ignore_patterns("runs", ".ipynb_*"))
        ARTIFACTS.mkdir(exist_ok=True)
        out = ARTIFACTS / name
        papermill.execute_notebook(str(work / name), str(out), parameters=parameters,
                                   cwd=str(work), kernel_name="python3", progress_bar=False,
                                   execution_timeout=240)
        return Ran(nbformat.read(str(out), as_version=4), work)

    return run


def test_tutorials_are_committed_clean_and_runnable_headless() -> None:
    assert [t[:2] for t in TUTORIALS] == [f"{i:02d}" for i in range(1, 12)]
    for path in sorted(NOTEBOOKS.rglob("*.ipynb")):
        nb = nbformat.read(str(path), as_version=4)
        nbformat.validate(nb)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert all(not c.outputs and c.execution_count is None for c in code), path.name
        assert "parameters" in code[0].metadata.get("tags", []), path.name
        if path.parent == NOTEBOOKS:
            assert "summary" in code[-1].metadata.get("tags", []), path.name


def test_01_quickstart(run_tutorial) -> None:
    ran = run_tutorial("01-quickstart.ipynb", ks=[0.05, 0.2])
    s = ran.summary
    assert s["phase"] == "Succeeded" and s["scan_steps"] == 2
    assert s["fastest"] == pytest.approx(math.log(70 / 40) / 0.2, abs=1e-3)
    assert s["slowest"] == pytest.approx(math.log(70 / 40) / 0.05, abs=1e-3)
    wf = ran.workflow()
    assert wf.query_status() == "Succeeded"
    assert len(wf.query_step(name="scan", type="Pod", phase="Succeeded")) == 2
    assert ran.bundles()[-1]["workflow"]["phase"] == "Succeeded"   # the live view ended


def test_02_ops_types_artifacts(run_tutorial) -> None:
    ran = run_tutorial("02-ops-types-artifacts.ipynb", peak_at=560.0, n_points=61)
    s = ran.summary
    assert s["phase"] == "Succeeded"
    assert abs(s["peak_nm"] - 560.0) <= 10 and s["rows"] == 61
    assert s["measured_peak"] == 510.0
    assert "expected float, given 'green'" in s["type_error"]
    plot = ran.workflow().query_step(name="peak")[0].outputs.artifacts["plot"]
    svg = next(Path(plot.paths[0]).rglob("spectrum.svg"))
    assert svg.read_text().startswith("<svg") and "peak 5" in svg.read_text()


def test_03_steps_dags_conditions_recursion(run_tutorial) -> None:
    ran = run_tutorial("03-steps-dags-conditions-recursion.ipynb", a=10.0)
    s = ran.summary
    assert s["dag_phase"] == "Succeeded" and s["remeasure"] == "Skipped"
    assert s["verdict"].startswith("g = 9.8")
    assert s["sqrt_phase"] == "Succeeded"
    assert s["root"] == pytest.approx(math.sqrt(10), abs=1e-9)
    x, rounds = 1.0, 0
    while True:   # Newton's iterations until the change is below 1e-6, as the notebook's loop
        nxt, rounds = 0.5 * (x + 10 / x), rounds + 1
        if abs(nxt - x) <= 1e-6:
            break
        x = nxt
    assert s["rounds"] == rounds
    skipped = ran.workflow("sqrt_run").query_step(name="again", phase="Skipped")
    assert len(skipped) == 1   # the recursion ended on its condition


def test_04_slices_fan_out(run_tutorial) -> None:
    ran = run_tutorial("04-slices-fan-out.ipynb", n=40, group_size=10)
    s = ran.summary
    assert s["phase"] == "Succeeded" and s["slices"] == 40 and s["grouped_steps"] == 4
    assert s["r_min"] == pytest.approx(2 ** (1 / 6), abs=0.04) and s["e_min"] < -0.98
    assert s["r_min_grouped"] == s["r_min"]
    live = ran.bundles()[0]   # the live view's lasting record: the fan-out is one box
    groups = [n for n in live["nodes"] if n["group"]]
    assert [g["group"]["count"] for g in groups] == [40]
    assert groups[0]["progress"] == "40/40" and "×40" in live["svg"]
    assert len(live["nodes"]) < 10


def test_05_failures_retries(run_tutorial) -> None:
    ran = run_tutorial("05-failures-retries.ipynb", n_geometries=8, bad_every=4)
    s = ran.summary
    assert s["phase"] == "Succeeded"
    assert s["failed_scf"] == 2 and s["collected"] == 6
    assert s["copy_attempts"] == ["Failed", "Succeeded"] and s["copy_phase"] == "Succeeded"
    assert s["plot_phase"] == "Failed"
    failed = ran.workflow().query_step(name="scf", phase="Failed")
    assert {f.message for f in failed if f.type == "Pod"} == {
        "RuntimeError: SCF did not converge for geometry 3 after 50 cycles",
        "RuntimeError: SCF did not converge for geometry 7 after 50 cycles"}
    report = nbformat.read(str(ran.runs.parent / s["report"]), as_version=4)
    text = json.dumps(report)
    assert "## Failures (4)" in text   # two geometries, the first copy attempt, the plot
    assert "SCF for geometry 3" in text and "no plotting library on this node" in text


def test_06_restart_and_reuse(run_tutorial) -> None:
    ran = run_tutorial("06-restart-and-reuse.ipynb", cost=0.0)
    s = ran.summary
    assert s["phase"] == "Succeeded" and s["ran_in_retry"] == 1
    assert s["a0_first"] == pytest.approx(4.05, abs=1e-6)
    assert s["reuse_phase"] == "Succeeded"
    assert s["reused"] == 7 and s["ran_in_reuse"] == 0
    assert s["a0_new"] != pytest.approx(s["a0_first"], abs=1e-4)   # the edited energy counted
    new = ran.workflow("reuse_run")
    assert {x.message for x in new.query_step(name="relax")} == {"reused"}
    fit = new.query_step(key="fit")[0]
    assert fit.phase == "Succeeded" and fit.message != "reused"
    energies = json.loads(fit.inputs.parameters["energy"].raw)
    assert energies[1] == "-3.49"   # the value typed into the form reached the fit


def test_07_debugging(run_tutorial) -> None:
    ran = run_tutorial("07-debugging.ipynb")
    s = ran.summary
    assert s["phase"] == "Failed" and s["failed_step"] == "cv(0:0)"
    assert s["message"] == "ZeroDivisionError: float division by zero"
    assert s["debug_error"] == s["message"]
    assert "x = theta / T" in s["pdb_saw"] and "(0.0, 240.0)" in s["pdb_saw"]
    assert s["fixed_phase"] == "Succeeded" and set(s["slices"]) == {"Succeeded"}
    assert 0.9 < s["ratio"] < 1.0


def test_08_argo(run_tutorial) -> None:
    from dflow_nb.argo.schema import schema_path
    ran = run_tutorial("08-argo.ipynb")
    s = ran.summary
    assert sorted(s["templates"].values()) == ["script", "script", "steps"]
    assert s["templates"][s["entrypoint"]] == "steps"
    assert s["loaded_phase"] == "Succeeded" and s["submitted"] is None
    assert s["fastest"] == pytest.approx(math.log(70 / 40) / 0.2, abs=1e-6)
    text = "".join(o.get("text", "") for c in ran.nb.cells if c.cell_type == "code"
                   for o in c.outputs)
    assert "No Argo server configured" in text and "argo submit -n argo" in text
    if schema_path() is not None:
        import yaml

        from dflow_nb.argo.compile import check_manifest
        check_manifest(yaml.safe_load((ran.runs / "coffee-argo.yaml").read_text()))


def test_09_hpc_dispatcher(run_tutorial) -> None:
    pytest.importorskip("dpdispatcher")
    ran = run_tutorial("09-hpc-dispatcher.ipynb", samples=[2000, 4000])
    s = ran.summary
    assert s["phase"] == "Succeeded" and s["batch_type"] == "Shell"
    assert len(s["pi"]) == 2 and all(abs(p - math.pi) < 0.2 for p in s["pi"])
    assert s["jobs_logged"] >= 1
    assert "slurm_job=none" in ran.workflow().logs("where")


def test_09_hpc_dispatcher_on_slurm(run_tutorial, slurm_cluster: str,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The same notebook with batch_type "Slurm": every step is a job of a real Slurm."""
    pytest.importorskip("dpdispatcher")
    monkeypatch.setenv("SLURM_CONF", slurm_cluster)
    ran = run_tutorial("09-hpc-dispatcher.ipynb", samples=[2000], batch_type="Slurm",
                       queue="debug")
    s = ran.summary
    assert s["phase"] == "Succeeded" and s["batch_type"] == "Slurm"
    assert abs(s["pi"][0] - math.pi) < 0.2
    assert re.search(r"slurm_job=\d+", ran.workflow().logs("where"))


def test_10_notebook_as_a_step(run_tutorial) -> None:
    ran = run_tutorial("10-notebook-as-a-step.ipynb", isotopes={"I-131": 8.02})
    s = ran.summary
    assert s["phase"] == "Succeeded"
    assert s["fitted"]["I-131"] == pytest.approx(8.02, rel=0.05)
    assert s["typo_phase"] == "Failed"
    assert s["typo_message"].endswith(
        "ValueError: half-life must be positive, given -1925.3 for Co-60")
    assert s["partial_error"] == "half-life must be positive, given -1925.3 for Co-60"
    executed = nbformat.read(s["executed"], as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert 'isotope = "I-131"' in injected[0].source
    out = ran.workflow().query_step(name="fit-i-131")[0].outputs.parameters
    assert isinstance(out["remaining"].value, float) and 0 < out["remaining"].value < 0.2



def test_11_cells_as_steps(run_tutorial) -> None:
    ran = run_tutorial("11-cells-as-steps.ipynb", batches=12, points=500)
    s = ran.summary
    assert s["phase"] == "Succeeded" and s["slices"] == 12
    assert s["pi"] == pytest.approx(math.pi, abs=0.15)
    assert (ran.runs.parent / s["picture"]).read_text().startswith("<svg")
    # the report cell was redefined: only it ran again, the other cells' steps were reused
    assert s["again_phase"] == "Succeeded" and s["ran_again"] == ["report"]
    assert s["reused"] == 12 + 2
    assert s["templates"] == 5 and s["looped"] == ["sample"]
    text = "\n".join(o.get("text", "") for c in ran.nb.cells if c.cell_type == "code"
                     for o in c.outputs)
    for refused in ("cell 'scaled' cannot become a step: 'factor' is used but never defined",
                    "cell 'keep' cannot become a step: 'threshold' holds a float value",
                    "cell 'listing' cannot become a step: line 1 ('files = !ls')",
                    "cell 'total' cannot become a step: output 'total' is never assigned"):
        assert refused in text
    assert ran.bundles()[0]["workflow"]["phase"] == "Succeeded"
