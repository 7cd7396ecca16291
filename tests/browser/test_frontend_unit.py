"""The labextension's own checks, run from pytest so that the suite runs them: its vitest unit
tests (DOM from jsdom; labextension/test/), and that the live widget's committed front end
(dflow_nb/notebook/static/dag.js, .css) is what its TypeScript sources build. No browser: it
needs only Node and the labextension's node_modules, which scripts/setup/30-labextension.sh
installs (``jlpm install``)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pytest

LABEXTENSION = Path(__file__).parents[2] / "labextension"
STATIC = LABEXTENSION.parent / "dflow_nb" / "notebook" / "static"


def jlpm(args: List[str]) -> subprocess.CompletedProcess:
    vitest = LABEXTENSION / "node_modules" / ".bin" / "vitest"
    exe = shutil.which("jlpm", path=str(Path(sys.executable).parent)) or shutil.which("jlpm")
    if not vitest.exists() or exe is None:
        pytest.fail("labextension/node_modules has no vitest: run scripts/setup/30-labextension.sh "
                    "(VENV=<this venv>) first")
    env: Dict[str, str] = dict(
        os.environ, CI="true", NO_COLOR="1",
        PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    return subprocess.run([exe, *args], cwd=LABEXTENSION, env=env, capture_output=True,
                          text=True, timeout=300)


def test_labextension_unit_tests() -> None:
    res = jlpm(["test"])
    assert res.returncode == 0, f"vitest failed:\n{res.stdout[-6000:]}\n{res.stderr[-3000:]}"
    assert " passed" in res.stdout, res.stdout[-3000:]


def test_the_committed_widget_front_end_is_built_from_its_sources(tmp_path: Path) -> None:
    res = jlpm(["build:widget", "--outDir", str(tmp_path)])
    assert res.returncode == 0, f"vite failed:\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
    for name in ("dag.js", "dag.css"):
        assert (tmp_path / name).read_text() == (STATIC / name).read_text(), (
            f"dflow_nb/notebook/static/{name} is stale: run `jlpm build:widget` in labextension/ "
            "and commit it")
