"""A real ``jupyter server`` with the dflow_nb server extension, on a work directory holding
finished runs of the local engine."""
from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest

_spec = importlib.util.spec_from_file_location("dflow_nb_test_launch", Path(__file__).with_name("launch.py"))
launch = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(launch)


def _runs(workdir: Path) -> Dict[str, Any]:
    """Two finished runs in ``workdir``: one that succeeds (with a log) and one that fails."""
    from dflow_nb import ShellOPTemplate, Step, Workflow
    hello = ShellOPTemplate(name="hello", script="echo 'hello from the sidebar test'")
    after = ShellOPTemplate(name="after", script="echo second")
    ok = Workflow(name="sidebar-ok", workdir=workdir)
    ok.add(Step("hello", hello))
    ok.add(Step("after", after))
    ok.submit(wait=True)
    bad = Workflow(name="sidebar-bad", workdir=workdir)
    bad.add(Step("boom", ShellOPTemplate(name="boom", script="echo about to fail; exit 3")))
    bad.submit(wait=True)
    return {"ok": ok, "bad": bad, "workdir": workdir}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Any]:
    return _runs(tmp_path_factory.mktemp("runs"))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, runs: Dict[str, Any]) -> Iterator[Any]:
    """A server whose root is an empty dir; DFLOW_NB_WORKDIR points it at the runs."""
    if not launch.ENABLE_FILE.exists():
        pytest.fail(f"the server extension is not enabled in this venv: {launch.SETUP_HINT}")
    root = tmp_path_factory.mktemp("root")
    home = tmp_path_factory.mktemp("home")
    jp = launch.Jupyter(root, home, env={"DFLOW_NB_WORKDIR": str(runs["workdir"])}).start()
    try:
        yield jp
    finally:
        jp.stop()
