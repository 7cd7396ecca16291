"""Browser tests: a real JupyterLab driven by Playwright in Debian's Chromium (never
``playwright install``). Deselect with ``-m "not browser"``.

JupyterLab and its kernels run from the session's wheel-installed venv (tests/packaging/
lab_venv.py: a wheel built from a clean clone, installed with JupyterLab), so these tests see
the extensions exactly as a user's ``pip install`` leaves them, not a source-tree registration."""
from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.packaging.lab_venv import LabVenv, lab_venv_fixture  # noqa: F401 (a fixture)

_spec = importlib.util.spec_from_file_location(
    "dflow_nb_test_launch_browser", Path(__file__).parents[1] / "jupyter" / "launch.py")
launch = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(launch)

ARTIFACTS = Path(__file__).with_name("artifacts")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives a real JupyterLab in headless Chromium")


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("Debian's chromium is not installed: run scripts/setup/31-browser.sh")
    return path


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    """Chromium from the system, started by Playwright with the headless flags."""
    sync_api = pytest.importorskip("playwright.sync_api")
    exe = chromium_path()
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_FLAGS)
        try:
            yield b
        finally:
            b.close()


class WheelLauncher:
    """tests/jupyter/launch.py (Jupyter started on a free port with a token, stopped by PID),
    serving from the wheel-installed venv; ``ENABLE_FILE``/``LABEXTENSION`` are that venv's."""

    def __init__(self, lab: LabVenv) -> None:
        self.lab = lab
        self.ENABLE_FILE = lab.venv / "etc" / "jupyter" / "jupyter_server_config.d" / "dflow_nb.json"
        self.LABEXTENSION = lab.venv / "share" / "jupyter" / "labextensions" / "dflow-nb" / "package.json"
        self.SETUP_HINT = f"the wheel install in {lab.venv} lacks it (see tests/packaging)"

    def Jupyter(self, *args: Any, **kwargs: Any) -> Any:
        return launch.Jupyter(*args, python=self.lab.python, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(launch, name)


@pytest.fixture(scope="session")
def launcher(lab_venv: LabVenv) -> WheelLauncher:
    return WheelLauncher(lab_venv)


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Path:
    """Where this test's screenshots go (kept after the run; gitignored)."""
    out = ARTIFACTS / request.node.name
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    return out
