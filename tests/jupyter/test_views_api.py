"""The sidebar's API as the JupyterLab panel uses it, against a real ``jupyter server``: runs from
every work directory under the root and from an Argo server (the stand-in), filtered and paged;
one run's view with done/planned progress; node details with artifact previews; a collapsed
group as a list with its failed slices first; the timeline; logs followed by offset, searched and
downloaded; actions and "reuse from here"; no secret in any answer."""
from __future__ import annotations

import copy
import importlib.util
import json
import struct
import time
import zlib
from pathlib import Path
from typing import Any, Dict, Iterator
from urllib.parse import quote

import httpx
import pytest

from dflow_nb import (
    InputParameter,
    OutputArtifact,
    OutputParameter,
    ShellOPTemplate,
    Step,
    Workflow,
)
from dflow_nb.argo.status import pod_name
from dflow_nb.python import OP, PythonOPTemplate
from tests.argo.argo_server import FakeArgo, fixture, swagger_path

_spec = importlib.util.spec_from_file_location("dflow_nb_test_launch",
                                               Path(__file__).with_name("launch.py"))
launch = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(launch)

API = "/dflow-nb/api"
ARGO_TOKEN = "argo-t0ken-never-shown"
SLICES = 12
FAILING = (3, 7)

pytestmark = pytest.mark.skipif(swagger_path() is None,
                                reason="argo/swagger.json not found (set DFLOW_NB_SHARED)")


def _png() -> bytes:
    """A 1x1 PNG, written by hand."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def _fan_out(workdir: Path) -> Workflow:
    """12 slices, two of which fail; the success ratio lets the run succeed; then one step that
    writes files of every kind into an artifact, and executor.json with a password in it."""
    sq = ShellOPTemplate(name="sq", script=(
        "echo slice {{inputs.parameters.x}} starts\n"
        f"for bad in {' '.join(map(str, FAILING))}; do "
        "[ {{inputs.parameters.x}} = $bad ] && { echo slice {{inputs.parameters.x}} broke; exit 2; }; "
        "done\necho $(({{inputs.parameters.x}} * {{inputs.parameters.x}})) > /tmp/y\n"))
    sq.inputs.parameters["x"] = InputParameter()
    sq.outputs.parameters["y"] = OutputParameter(value_from_path="/tmp/y")
    png = "".join(f"\\{b:03o}" for b in _png())   # octal: what every sh's printf reads
    files = ShellOPTemplate(name="files", script=(
        "mkdir -p /tmp/out/sub\n"
        "printf 'hello\\nworld\\n' > /tmp/out/a.txt\n"
        "echo '{\"k\": [1, 2]}' > /tmp/out/b.json\n"
        "printf 'x,y\\n1,2\\n3,4\\n' > /tmp/out/c.csv\n"
        f"printf '{png}' > /tmp/out/d.png\n"
        "echo '<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>' "
        "> /tmp/out/e.svg\n"
        "echo nested > /tmp/out/sub/f.txt\n"
        "ln -s /etc/passwd /tmp/out/leak\n"
        "echo '{\"password\": \"hunter2-secret\", \"job_id\": \"42\"}' > ../executor.json\n"
        "echo wrote files\n"))
    files.outputs.artifacts["out"] = OutputArtifact(path="/tmp/out")
    wf = Workflow(name="fan", workdir=workdir, labels={"team": "alpha"})
    wf.add(Step("sq", sq, parameters={"x": "{{item}}"}, with_items=list(range(SLICES)),
                key="sq-{{item}}", continue_on_success_ratio=0.5))
    wf.add(Step("files", files, key="files"))
    wf.submit(wait=True)
    return wf


@OP.function
def wait_for(path: str) -> {}:
    """Runs until the file exists (or the run is stopped)."""
    import os
    import time
    while not os.path.exists(path):
        time.sleep(0.05)
    return {}


def _hello(workdir: Path, name: str) -> Workflow:
    wf = Workflow(name=name, workdir=workdir)
    wf.add(Step("hi", ShellOPTemplate(name="hi", script="echo hi"), key="hi"))
    wf.submit(wait=True)
    return wf


@pytest.fixture(scope="module")
def argo() -> Iterator[FakeArgo]:
    fake = FakeArgo(token=ARGO_TOKEN).start()
    wf = fake.add(copy.deepcopy(fixture("dag-failed.json")))
    key = (wf["metadata"]["namespace"], wf["metadata"]["name"])
    failed = next(n for n in wf["status"]["nodes"].values() if n["displayName"] == "work(1:1)")
    fake.logs[key] = [(pod_name(wf, failed), "argo says: work 1 failed")]
    yield fake
    fake.stop()
    assert fake.violations == []


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, argo: FakeArgo) -> Iterator[Dict[str, Any]]:
    """A server root with runs in two project folders (one in a hidden .dflow_nb), a default
    work directory outside it, and the Argo stand-in configured."""
    root = tmp_path_factory.mktemp("root")
    default = tmp_path_factory.mktemp("default")
    fan = _fan_out(root / "proj" / ".dflow_nb")
    twin_a = _hello(root / "deep" / "er", "twin")
    twin_b = _hello(root / "deep" / "er", "twin")
    home = _hello(default, "home")
    if not launch.ENABLE_FILE.exists():
        pytest.fail(f"the server extension is not enabled in this venv: {launch.SETUP_HINT}")
    jp = launch.Jupyter(root, tmp_path_factory.mktemp("home"), env={
        "DFLOW_NB_WORKDIR": str(default), "DFLOW_HOST": argo.url, "DFLOW_TOKEN": ARGO_TOKEN,
        "DFLOW_NAMESPACE": "argo"}).start()
    try:
        yield {"server": jp, "fan": fan, "twins": (twin_a, twin_b), "home": home,
               "root": root, "argo": argo}
    finally:
        jp.stop()


def api(site: Dict[str, Any], path: str, method: str = "GET", **kw: Any) -> httpx.Response:
    jp = site["server"]
    headers = dict(jp.headers)
    r = httpx.request(method, jp.url + API + path, headers=headers, timeout=60, **kw)
    text = r.text
    assert ARGO_TOKEN not in text and "hunter2" not in text, path   # no secret, ever
    return r


def ok(site: Dict[str, Any], path: str, **kw: Any) -> Any:
    r = api(site, path, **kw)
    assert r.status_code == 200, (path, r.status_code, r.text[:500])
    return r.json()


def test_the_list_shows_every_work_directory_and_argo(site: Dict[str, Any]) -> None:
    body = ok(site, "/workflows")
    rows = {r["id"]: r for r in body["workflows"]}
    fan = rows[site["fan"].id]
    assert fan["source"] == "local:proj/.dflow_nb" and fan["backend"] == "local"
    assert fan["phase"] == "Succeeded" and fan["failed"] == 2     # green, yet 2 slices failed
    pods = len(site["fan"].query_step(type="Pod"))   # the slices, files, the ratio check
    assert fan["progress"] == {"done": pods, "planned": pods} and pods > SLICES
    assert fan["labels"] == {"team": "alpha"}
    assert f'Workflow(id={site["fan"].id!r}' in fan["openCell"]
    twins = [r for r in body["workflows"] if r["name"] == "twin"]
    assert len(twins) == 2 and twins[0]["title"] != twins[1]["title"]   # distinct tab titles
    assert site["home"].id in rows and rows["dag-fail-q9w3e"]["backend"] == "argo"
    assert rows["dag-fail-q9w3e"]["failed"] == 1
    kinds = {s["source"]: s for s in body["sources"]}
    assert {"argo", "local:proj/.dflow_nb", "local:deep/er"} <= set(kinds)
    assert all(s["error"] is None for s in body["sources"])


def test_the_list_filters_searches_sorts_and_pages(site: Dict[str, Any]) -> None:
    failed = ok(site, "/workflows", params={"phase": "Failed"})["workflows"]
    assert [r["id"] for r in failed] == ["dag-fail-q9w3e"]
    named = ok(site, "/workflows", params={"name": "twi", "sort": "createdAt"})
    assert [r["id"] for r in named["workflows"]] == [w.id for w in site["twins"]]
    assert ok(site, "/workflows", params={"label": "team=alpha"})["total"] == 1
    assert ok(site, "/workflows", params={"search": site["home"].id})["total"] == 1
    page = ok(site, "/workflows", params={"limit": 2, "offset": 1, "sort": "name"})
    assert page["total"] == 5 and len(page["workflows"]) == 2
    everything = ok(site, "/workflows", params={"sort": "name", "limit": 500})["workflows"]
    assert page["workflows"] == everything[1:3]
    assert ok(site, "/workflows", params={"scope": "default"})["total"] == 1
    assert api(site, "/workflows", params={"sort": "colour"}).status_code == 400
    assert api(site, "/workflows", params={"label": "nokey"}).status_code == 400


def test_a_run_view_groups_slices_and_lists_the_failed_ones_first(site: Dict[str, Any]) -> None:
    fan, src = site["fan"], {"source": "local:proj/.dflow_nb"}
    view = ok(site, f"/workflows/{fan.id}", params=src)
    pods = len(fan.query_step(type="Pod"))
    assert view["version"] == 2 and view["workflow"]["progress"]["planned"] == pods
    (group,) = [n for n in view["nodes"] if n["type"] == "Group"]
    assert group["group"]["planned"] == SLICES and group["group"]["phases"]["Failed"] == 2
    assert len(view["timeline"]["rows"]) == pods and view["timeline"]["end"]
    group_path = f"/workflows/{fan.id}/groups/{quote(group['id'], safe='')}"   # '#' in it
    listing = ok(site, group_path, params=src)
    assert [i["phase"] for i in listing["items"][:2]] == ["Failed", "Failed"]
    assert [i["index"] for i in listing["items"][:2]] == list(FAILING)
    only = ok(site, group_path,
              params={**src, "phase": "Succeeded", "search": "sq-1", "limit": 2})
    assert only["total"] == 3 and [i["key"] for i in only["items"]] == ["sq-1", "sq-10"]
    broken = listing["items"][0]
    details = ok(site, f"/workflows/{fan.id}/nodes/{broken['id']}", params=src)
    assert details["group"]["id"] == group["id"] and details["group"]["planned"] == SLICES
    assert details["inputs"]["parameters"] == [
        {"name": "x", "type": None, "value": "3", "truncated": False}]
    log = ok(site, "/" + details["log"], params=src)
    assert "slice 3 broke" in log["log"] and log["done"] is True


def test_node_details_and_artifact_previews_are_data_only(site: Dict[str, Any]) -> None:
    fan, src = site["fan"], {"source": "local:proj/.dflow_nb"}
    (step,) = fan.query_step(key="files")
    d = ok(site, f"/workflows/{fan.id}/nodes/{step.id}", params=src)
    assert d["phase"] == "Succeeded" and d["templateName"] == "files"
    assert d["executor"] == {"password": "***", "job_id": "42"}
    (art,) = d["outputs"]["artifacts"]
    assert art["kind"] == "directory" and art["files"] == 6 and art["size"] > 0
    base = f"/workflows/{fan.id}/nodes/{step.id}/artifacts/outputs/out"
    listing = ok(site, base, params=src)
    assert sorted(f["path"] for f in listing["files"]) == [
        "a.txt", "b.json", "c.csv", "d.png", "e.svg", "sub/f.txt"]        # no link out
    assert ok(site, base, params={**src, "path": "a.txt"})["text"] == "hello\nworld\n"
    assert json.loads(ok(site, base, params={**src, "path": "b.json"})["text"]) == {"k": [1, 2]}
    assert ok(site, base, params={**src, "path": "c.csv"})["table"]["rows"] == [["1", "2"],
                                                                                 ["3", "4"]]
    png = api(site, base, params={**src, "path": "d.png", "raw": "1"})
    assert png.headers["content-type"] == "image/png" and png.content.startswith(b"\x89PNG")
    assert "sandbox" in png.headers["content-security-policy"]
    svg_info = ok(site, base, params={**src, "path": "e.svg"})
    assert svg_info["kind"] == "binary" and "text" not in svg_info
    svg = api(site, base, params={**src, "path": "e.svg", "raw": "1"})
    assert svg.headers["content-type"] == "application/octet-stream"
    assert svg.headers["content-disposition"].startswith("attachment")
    for evil in ("../../../../etc/passwd", "/etc/passwd", "leak"):
        r = api(site, base, params={**src, "path": evil})
        assert r.status_code in (400, 404) and "root:" not in r.text, evil


def test_logs_follow_by_offset_search_and_download(site: Dict[str, Any]) -> None:
    fan, src = site["fan"], {"source": "local:proj/.dflow_nb"}
    (step,) = fan.query_step(key="files")
    path = f"/workflows/{fan.id}/logs/{step.id}"
    first = ok(site, path, params={**src, "offset": 0, "limit": 4})
    assert first["log"] == "wrot" and first["next"] == 4 and first["done"] is False
    rest = ok(site, path, params={**src, "offset": first["next"]})
    assert first["log"] + rest["log"] == "wrote files\n" and rest["done"] is True
    found = ok(site, path, params={**src, "search": "WROTE"})
    assert found["matches"] == [{"line": 1, "text": "wrote files"}]
    down = api(site, path, params={**src, "download": "1"})
    assert down.text == "wrote files\n" and "attachment" in down.headers["content-disposition"]
    assert api(site, path, params={**src, "search": "(", "regex": "1"}).status_code == 400


def test_argo_runs_read_through_the_same_endpoints(site: Dict[str, Any]) -> None:
    src = {"source": "argo"}
    view = ok(site, "/workflows/dag-fail-q9w3e", params=src)
    assert view["workflow"]["backend"] == "argo" and view["workflow"]["phase"] == "Failed"
    failed = next(n for n in view["nodes"] if n["displayName"] == "work(1:1)")
    d = ok(site, f"/workflows/dag-fail-q9w3e/nodes/{failed['id']}", params=src)
    assert d["argo"]["nodeId"] == failed["id"] and d["phase"] == "Failed"
    log = ok(site, f"/workflows/dag-fail-q9w3e/logs/{failed['id']}", params=src)
    assert log["log"] == "argo says: work 1 failed"
    assert api(site, "/workflows/dag-fail-q9w3e", params={"source": "local:../.."}).status_code == 404
    assert api(site, "/workflows/dag-fail-q9w3e", params={"source": "local:/etc"}).status_code == 404
    # a cell's record names its work directory by full path: the server finds it under its root
    fan = site["fan"]
    full = {"source": f"local:{(site['root'] / 'proj' / '.dflow_nb').resolve()}"}
    assert ok(site, f"/workflows/{fan.id}", params=full)["workflow"]["id"] == fan.id


def test_actions_and_reuse_from_the_panel(site: Dict[str, Any]) -> None:
    fan, src = site["fan"], {"source": "local:proj/.dflow_nb"}
    r = api(site, f"/workflows/{fan.id}/actions/retry", "POST", params=src)
    assert r.status_code == 409 and "2 failed steps were accepted" in r.json()["message"]
    assert api(site, f"/workflows/{fan.id}/actions/stop", "POST", params=src).status_code == 409
    reusable = ok(site, f"/workflows/{fan.id}/reusable", params=src)["steps"]
    sq0 = next(s for s in reusable if s["key"] == "sq-0")
    assert sq0["outputs"]["parameters"][0]["value"] == "0"
    body = {"steps": [s["id"] for s in reusable if s["key"] != "files"],
            "outputs": {sq0["id"]: {"y": "100"}}}
    new = ok(site, f"/workflows/{fan.id}/actions/reuse", method="POST", params=src,
             json=body)
    assert new["id"] != fan.id and new["source"] == src["source"]
    again = Workflow(id=new["id"], workdir=site["root"] / "proj" / ".dflow_nb")
    assert again.wait(timeout=120) == "Succeeded"
    (sq0_again,) = again.query_step(key="sq-0")
    assert sq0_again.outputs.parameters["y"].value == "100" and sq0_again.message == "reused"
    # failed slices were not ticked: they ran again
    assert {s.key: s.phase for s in again.query_step(key=["sq-3", "sq-7"])} == {
        "sq-3": "Failed", "sq-7": "Failed"}
    gone = _hello(site["root"] / "deep" / "er", "doomed")
    assert ok(site, f"/workflows/{gone.id}", method="DELETE",
              params={"source": "local:deep/er"}) == {"deleted": gone.id}
    assert api(site, f"/workflows/{gone.id}", params={"source": "local:deep/er"}).status_code == 404


def test_a_running_run_is_suspended_resumed_and_terminated_from_the_panel(
        site: Dict[str, Any], tmp_path: Path) -> None:
    wf = Workflow(name="held", workdir=site["root"] / "deep" / "er")
    wf.add(Step("hold", PythonOPTemplate(wait_for), parameters={"path": str(tmp_path / "x")}))
    wf.add(Step("after", PythonOPTemplate(wait_for), parameters={"path": str(tmp_path)}))
    wf.submit(wait=False)
    src = {"source": "local:deep/er"}
    row = next(r for r in ok(site, "/workflows", params={"search": wf.id})["workflows"])
    assert row["phase"] in ("Pending", "Running") and row["progress"]["planned"] == 2
    view = ok(site, f"/workflows/{wf.id}", params=src)
    after = next(n for n in view["nodes"] if n["displayName"] == "after")
    assert after["pending"] is True                       # drawn before it starts
    def message() -> Any:
        return ok(site, "/workflows", params={"search": wf.id})["workflows"][0]["message"]

    for action in ("suspend", "resume", "terminate"):
        r = ok(site, f"/workflows/{wf.id}/actions/{action}", method="POST", params=src)
        assert r == {"ok": True, "action": action, "id": wf.id, "source": "local:deep/er",
                     "message": f"{action}: requested"}
        if action == "terminate":
            break
        deadline = time.monotonic() + 30   # the engine takes a request at its next beat
        while (message() == "suspended") != (action == "suspend") and \
                time.monotonic() < deadline:
            time.sleep(0.1)
        assert (message() == "suspended") == (action == "suspend")
    assert wf.wait(timeout=60) in ("Failed", "Error")
    r = api(site, f"/workflows/{wf.id}/actions/stop", "POST", params=src)
    assert r.status_code == 409 and "already ended" in r.json()["message"]


def test_argo_actions_go_to_the_argo_server(site: Dict[str, Any]) -> None:
    fake = site["argo"]
    r = ok(site, "/workflows/dag-fail-q9w3e/actions/retry", method="POST",
           params={"source": "argo"})
    assert r["id"] == "dag-fail-q9w3e" and fake.calls("WorkflowService_RetryWorkflow")
