"""The sidebar's API on a work directory whose state database is corrupt: one line that names
the file and what to do, not Jupyter's "Unhandled error" with a sqlite traceback."""
from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from dflow_nb.local.state import DB_NAME

_spec = importlib.util.spec_from_file_location("dflow_nb_test_launch",
                                               Path(__file__).with_name("launch.py"))
launch = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(launch)


@pytest.fixture(scope="module")
def corrupt(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    workdir = tmp_path_factory.mktemp("corrupt")
    (workdir / DB_NAME).write_bytes(b"not a database\n" * 300)
    if not launch.ENABLE_FILE.exists():
        pytest.fail(f"the server extension is not enabled in this venv: {launch.SETUP_HINT}")
    jp = launch.Jupyter(tmp_path_factory.mktemp("root"), tmp_path_factory.mktemp("home"),
                        env={"DFLOW_NB_WORKDIR": str(workdir)}).start()
    try:
        yield jp, workdir / DB_NAME
    finally:
        jp.stop()


def test_a_corrupt_state_database_is_one_line_in_the_sidebar(corrupt: Any) -> None:
    server, db = corrupt
    # the list still answers (other sources may be fine); the broken one says why
    r = httpx.get(server.url + "/dflow-nb/api/workflows", headers=server.headers, timeout=30)
    assert r.status_code == 200 and r.json()["workflows"] == []
    (source,) = [s for s in r.json()["sources"] if s["error"]]
    assert str(db) in source["error"] and "move it aside" in source["error"], source
    r = httpx.get(server.url + "/dflow-nb/api/workflows/some-run", headers=server.headers,
                  timeout=30)
    assert r.status_code == 500
    body = r.json()
    assert str(db) in body["message"] and "move it aside" in body["message"], body
    assert "Traceback" not in r.text
