"""The server extension under /dflow-nb/api/ in a real Jupyter server: auth, list, bundle, log."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

import httpx
import pytest

from dflow_nb.jupyter import DflowNbServer, _jupyter_server_extension_points

API = "/dflow-nb/api"


def get(server: Any, path: str, **kw: Any) -> httpx.Response:
    return httpx.get(server.url + API + path, headers=server.headers, timeout=30, **kw)


def test_requires_jupyter_auth(server: Any) -> None:
    for path in ("/workflows", "/workflows/x", "/workflows/x/logs/y"):
        r = httpx.get(server.url + API + path, timeout=30)
        assert r.status_code == 403, (path, r.status_code)
        r = httpx.get(server.url + API + path, headers={"Authorization": "token wrong"},
                      timeout=30)
        assert r.status_code == 403, (path, r.status_code)


def test_lists_runs_newest_first(server: Any, runs: Dict[str, Any]) -> None:
    r = get(server, "/workflows")
    assert r.status_code == 200
    rows = r.json()["workflows"]
    assert [w["id"] for w in rows] == [runs["bad"].id, runs["ok"].id]
    ok = rows[1]
    assert ok["name"] == "sidebar-ok" and ok["phase"] == "Succeeded"
    assert ok["startedAt"] <= ok["finishedAt"]
    assert rows[0]["phase"] == "Failed"
    assert set(ok) >= {"id", "name", "phase", "message", "startedAt", "finishedAt"}


def test_bundle_has_the_notebook_shape(server: Any, runs: Dict[str, Any]) -> None:
    wf = runs["ok"]
    body = get(server, f"/workflows/{wf.id}").json()
    assert body["version"] == 2
    assert body["workflow"]["id"] == wf.id and body["workflow"]["phase"] == "Succeeded"
    names = {n["displayName"]: n for n in body["nodes"]}
    assert {"hello", "after"} <= set(names)
    for n in body["nodes"]:
        assert {"id", "name", "displayName", "type", "phase", "parent", "children", "message",
                "startedAt", "finishedAt", "progress", "key", "group"} <= set(n)
    ids = {n["id"] for n in body["nodes"]}
    assert body["edges"] and all(a in ids and b in ids for a, b in body["edges"])
    assert names["hello"]["phase"] == names["after"]["phase"] == "Succeeded"
    # the same dict a notebook cell displays
    from dflow_nb import Workflow
    from dflow_nb.notebook.display import MIME, workflow_bundle
    local = workflow_bundle(Workflow(id=wf.id, workdir=runs["workdir"]))[MIME]
    assert body["nodes"] == local["nodes"] and body["edges"] == local["edges"]


def test_step_log_and_failed_run(server: Any, runs: Dict[str, Any]) -> None:
    body = get(server, f"/workflows/{runs['ok'].id}").json()
    hello = next(n for n in body["nodes"] if n["displayName"] == "hello")
    log = get(server, f"/workflows/{runs['ok'].id}/logs/{hello['id']}").json()
    assert "hello from the sidebar test" in log["log"]
    assert log["step"] == "hello" and log["truncated"] is False
    tail = get(server, f"/workflows/{runs['ok'].id}/logs/{hello['id']}", params={"tail": 5})
    assert tail.json()["log"] == "test\n" and tail.json()["truncated"] is True
    bad = get(server, f"/workflows/{runs['bad'].id}").json()
    boom = next(n for n in bad["nodes"] if n["displayName"] == "boom")
    assert boom["phase"] == "Failed"
    assert "about to fail" in get(server, f"/workflows/{runs['bad'].id}/logs/{boom['id']}").json()["log"]


def test_unknown_things_are_404_in_one_line(server: Any, runs: Dict[str, Any]) -> None:
    r = get(server, "/workflows/no-such-run")
    assert r.status_code == 404 and "no-such-run" in r.json()["message"]
    r = get(server, f"/workflows/{runs['ok'].id}/logs/no-such-step")
    assert r.status_code == 404 and "no-such-step" in r.json()["message"]
    assert get(server, f"/workflows/{runs['ok'].id}/logs/x", params={"tail": "lots"}).status_code == 400
    assert get(server, "/workflows/..%2F..%2Fetc").status_code == 404


def test_workdir_setting_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert _jupyter_server_extension_points() == [{"module": "dflow_nb.jupyter"}]
    monkeypatch.delenv("DFLOW_NB_WORKDIR", raising=False)
    # the server root's notebooks keep their runs in its hidden .dflow_nb folder ...
    assert DflowNbServer().resolve_workdir(str(tmp_path)) == (tmp_path / ".dflow_nb").resolve()
    # ... unless the root still holds a state database from before that default
    (tmp_path / "dflow_nb.db").touch()
    assert DflowNbServer().resolve_workdir(str(tmp_path)) == tmp_path.resolve()
    monkeypatch.setenv("DFLOW_NB_WORKDIR", str(tmp_path / "env"))
    assert DflowNbServer().resolve_workdir("/elsewhere") == (tmp_path / "env").resolve()
    configured = DflowNbServer(workdir=str(tmp_path / "conf"))
    assert configured.resolve_workdir("/elsewhere") == (tmp_path / "conf").resolve()


def test_empty_workdir_lists_nothing(tmp_path: Path) -> None:
    from dflow_nb import query_workflows
    assert query_workflows(tmp_path) == []
