"""Browser tests: a real JupyterLab driven by Playwright in Debian's Chromium (never
``playwright install``). Deselect with ``-m "not browser"``."""
from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from typing import Any, Iterator

import pytest

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


@pytest.fixture(scope="session")
def launcher() -> Any:
    """tests/jupyter/launch.py (Jupyter started on a free port with a token, stopped by PID)."""
    return launch


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Path:
    """Where this test's screenshots go (kept after the run; gitignored)."""
    out = ARTIFACTS / request.node.name
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    return out
