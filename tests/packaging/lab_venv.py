"""The session's JupyterLab venv: dflow_nb installed from a wheel built from a clean clone, next
to JupyterLab, as a user's plain ``pip install`` would leave it. The packaging tests check it and
the browser tests run JupyterLab (and its kernels) from it. Built once for all xdist workers
(under a file lock in the session's shared temp dir); a failed build is reported to every test
that needs it, not retried."""
from __future__ import annotations

import fcntl
import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.packaging.envs import clean_clone, new_venv, pip_install, run

JUPYTERLAB = "jupyterlab>=4.2,<5"


@dataclass(frozen=True)
class LabVenv:
    clone: Path   # the clean clone the wheel was built from
    wheel: Path
    venv: Path    # a fresh venv holding the wheel and JupyterLab

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"


def build_lab_venv(root: Path) -> LabVenv:
    """Clone, ``pip wheel --no-deps`` (build isolation: hatchling, hatch-jupyter-builder and
    jupyter-builder from PyPI; the hook runs jlpm) while a fresh venv gets JupyterLab, then the
    wheel (and the rest of its dependencies) into that venv."""
    clone = clean_clone(root / "clone")
    dist = root / "dist"
    with ThreadPoolExecutor(max_workers=1) as pool:   # mostly downloads: overlap the two
        lab = pool.submit(lambda: pip_install(new_venv(root / "venv"), JUPYTERLAB))
        run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check",
             "-w", dist, clone], timeout=900)
        lab.result()
    wheels = sorted(dist.glob("dflow_nb-*.whl"))
    assert len(wheels) == 1, f"expected one dflow_nb wheel in {dist}: {wheels}"
    pip_install(root / "venv", str(wheels[0]))
    return LabVenv(clone, wheels[0], root / "venv")


def _session_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory every xdist worker of this session sees (the parent of their basetemps)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session", name="lab_venv")
def lab_venv_fixture(tmp_path_factory: pytest.TempPathFactory) -> LabVenv:
    """The session's venv (conftests import this fixture; tests ask for ``lab_venv``)."""
    root = _session_dir(tmp_path_factory) / "dflow-nb-lab-venv"
    root.mkdir(parents=True, exist_ok=True)
    result = root / "result.json"
    with open(root / "lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not result.exists():
            try:
                built = build_lab_venv(root)
                result.write_text(json.dumps({"clone": str(built.clone), "wheel": str(built.wheel),
                                              "venv": str(built.venv)}))
            except Exception as e:   # every test that needs the venv reports the same failure
                result.write_text(json.dumps({"error": f"{type(e).__name__}: {e}"}))
        data = json.loads(result.read_text())
    if "error" in data:
        pytest.fail("building the wheel-installed JupyterLab venv failed:\n" + data["error"],
                    pytrace=False)
    return LabVenv(Path(data["clone"]), Path(data["wheel"]), Path(data["venv"]))
