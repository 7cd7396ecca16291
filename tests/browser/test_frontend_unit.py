"""The labextension's own unit tests (vitest, DOM from jsdom; labextension/test/), run from
pytest so that the suite runs them. No browser: it needs only Node and the labextension's
node_modules, which scripts/setup/30-labextension.sh installs (``jlpm install``)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

LABEXTENSION = Path(__file__).parents[2] / "labextension"


def test_labextension_unit_tests() -> None:
    vitest = LABEXTENSION / "node_modules" / ".bin" / "vitest"
    jlpm = shutil.which("jlpm", path=str(Path(sys.executable).parent)) or shutil.which("jlpm")
    if not vitest.exists() or jlpm is None:
        pytest.fail("labextension/node_modules has no vitest: run scripts/setup/30-labextension.sh "
                    "(VENV=<this venv>) first")
    env = dict(os.environ, CI="true", NO_COLOR="1",
               PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    res = subprocess.run([jlpm, "test"], cwd=LABEXTENSION, env=env, capture_output=True,
                         text=True, timeout=300)
    assert res.returncode == 0, f"vitest failed:\n{res.stdout[-6000:]}\n{res.stderr[-3000:]}"
    assert " passed" in res.stdout, res.stdout[-3000:]
