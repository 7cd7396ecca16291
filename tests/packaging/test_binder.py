"""Binder: the image repo2docker builds from binder/ serves JupyterLab with dflow_nb's extension,
the widgets and the server extension, and runs the README badge's notebook (the quick-start
tutorial) on the local engine. Replayed without Docker (tests/packaging/binder_replay.py)."""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from tests.packaging.binder_replay import replay
from tests.packaging.envs import (
    LABEXTENSION,
    REPO,
    SERVER_EXTENSION,
    WIDGETS_LABEXTENSION,
    clean_clone,
    jupyter_env,
    labextensions,
    run,
    server_extensions,
)

pytestmark = [pytest.mark.slow,   # repo2docker's logging dependency warns when imported:
              pytest.mark.filterwarnings("ignore:pythonjsonlogger.jsonlogger:DeprecationWarning")]

BADGE = re.compile(r"https://mybinder\.org/v2/gh/[^\s)?]+\?urlpath=lab/tree/([^\s)&]+\.ipynb)")
MIME = "application/vnd.dflow-nb.workflow+json"


def badge_notebook() -> str:
    match = BADGE.search((REPO / "README.md").read_text())
    assert match, "README.md has no Binder badge opening JupyterLab on a notebook"
    return match.group(1)


def test_binder_image_serves_both_extensions_and_runs_the_quickstart(tmp_path: Path) -> None:
    notebook = badge_notebook()
    checkout = clean_clone(tmp_path / "clone")
    assert (checkout / notebook).is_file(), f"the Binder badge opens {notebook}, which is missing"
    image = replay(checkout, tmp_path)
    assert "graphviz" in image.apt, "binder/apt.txt lost Graphviz (the server-side DAG layout)"
    assert [s for s in image.steps if "binder/requirements.txt" in s], image.steps
    home = tmp_path / "home"

    lab = labextensions(image.venv, home)
    for name in (LABEXTENSION, WIDGETS_LABEXTENSION):
        assert lab.get(name, "").split()[1:3] == ["enabled", "OK"], (name, lab)
    assert server_extensions(image.venv, home).get(SERVER_EXTENSION) == "enabled OK"

    # The notebook runs where JupyterLab opens it, with the image's Jupyter and kernel.
    nb = image.repo / notebook
    run([image.venv / "bin" / "jupyter", "nbconvert", "--to", "notebook", "--execute",
         "--ExecutePreprocessor.timeout=300", "--output", "executed.ipynb", nb.name],
        cwd=nb.parent, env=jupyter_env(image.venv, home), timeout=600)
    cells = json.loads((nb.parent / "executed.ipynb").read_text())["cells"]
    outputs = [o for c in cells if c["cell_type"] == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o["output_type"] == "error"]
    runs = [o["data"][MIME]["workflow"] for o in outputs if MIME in o.get("data", {})]
    assert runs and all(r["phase"] == "Succeeded" for r in runs), runs
    found = ast.literal_eval("".join(cells[-1]["outputs"][-1]["data"]["text/plain"]))
    assert found["phase"] == "Succeeded"
    # the local engine ran it: its step folders are next to the notebook
    assert [d for d in nb.parent.rglob(found["run"]) if d.is_dir()], "no local step folders"
