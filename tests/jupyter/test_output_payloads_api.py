"""The server extension reads runs whose steps wrote jsonpickle payloads as typed outputs: the
Jupyter server process runs none of them (the sidebar's list, bundle and log calls)."""
from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from typing import Any, Dict, Iterator

import httpx
import pytest

_spec = importlib.util.spec_from_file_location("dflow_nb_test_launch_payloads",
                                               Path(__file__).with_name("launch.py"))
launch = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(launch)

API = "/dflow-nb/api"


@pytest.fixture(scope="module")
def evil_run(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Any]:
    from dflow_nb import OutputParameter, Outputs, ShellOPTemplate, Step, Workflow
    workdir = tmp_path_factory.mktemp("evil-runs")
    marker = workdir / "pwned-by-server"
    payload = json.dumps({"py/reduce": [{"py/function": "os.system"},
                                        {"py/tuple": [f"touch {marker}"]}]})
    payload = re.sub(r"(?<!py)/", r"\\/", payload)   # same JSON; the engine's /tmp remapping skips it
    outs = {"d": OutputParameter(value_from_path="/tmp/d", type=dict, global_name="d"),
            "a": OutputParameter(value_from_path="/tmp/d", type=Any)}
    tmpl = ShellOPTemplate(name="evil", script=f"cat > /tmp/d <<'EOF'\n{payload}\nEOF",
                           outputs=Outputs(parameters=outs))
    wf = Workflow("evil-api", workdir=workdir)
    wf.add(Step("evil", tmpl))
    wf.submit(wait=True)
    assert wf.query_status() == "Succeeded"
    assert not marker.exists()
    return {"wf": wf, "workdir": workdir, "marker": marker}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, evil_run: Dict[str, Any]) -> Iterator[Any]:
    if not launch.ENABLE_FILE.exists():
        pytest.fail(f"the server extension is not enabled in this venv: {launch.SETUP_HINT}")
    jp = launch.Jupyter(tmp_path_factory.mktemp("root"), tmp_path_factory.mktemp("home"),
                        env={"DFLOW_NB_WORKDIR": str(evil_run["workdir"])}).start()
    try:
        yield jp
    finally:
        jp.stop()


def test_the_server_api_runs_no_payload(server: Any, evil_run: Dict[str, Any]) -> None:
    def get(path: str) -> httpx.Response:
        return httpx.get(server.url + API + path, headers=server.headers, timeout=30)

    wf = evil_run["wf"]
    rows = get("/workflows").json()["workflows"]
    assert [r["id"] for r in rows] == [wf.id]
    body = get(f"/workflows/{wf.id}").json()
    evil = next(n for n in body["nodes"] if n["displayName"] == "evil")
    assert evil["phase"] == "Succeeded"
    assert get(f"/workflows/{wf.id}/logs/{evil['id']}").status_code == 200
    assert not evil_run["marker"].exists(), "the Jupyter server ran a step's payload"
