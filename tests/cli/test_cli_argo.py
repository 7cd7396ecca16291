"""dflow-nb against an Argo Server: the stand-in of tests/argo, which answers 400 to any request
swagger.json does not allow (so every call the CLI made is one a real Argo Server accepts).

The stand-in plays the controller on create: a run's nodes are filled at once (Succeeded, or
Failed when ``n`` is negative), its pods get logs, and a run labelled ``hold=yes`` stays Running.
"""
import re

import pytest
import yaml

from tests.argo.argo_server import FakeArgo, run_to_end, swagger_path
from tests.cli.conftest import WORKFLOWS, cli, user_error

pytestmark = pytest.mark.skipif(swagger_path() is None,
                                reason="argo/swagger.json not found (set DFLOW_NB_SHARED)")

TOKEN = "cli-t0ken-never-shown"


def play_controller(fake):
    def on_create(wf):
        labels = wf["metadata"].get("labels") or {}
        if labels.get("hold") == "yes":
            wf["status"] = {"phase": "Running", "startedAt": "2026-01-01T00:00:00Z"}
            return
        args = {p["name"]: p.get("value", "")
                for p in (wf["spec"].get("arguments") or {}).get("parameters") or []}
        failed = str(args.get("n", "0")).startswith("-")
        run_to_end(wf, {"first": {"y": "6"}, "second": {"y": "12"}},
                   phase="Failed" if failed else "Succeeded")
        logs = []
        for node in wf["status"]["nodes"].values():
            for p in (node.get("inputs") or {}).get("parameters") or []:
                # the controller resolves workflow parameters into what a node receives
                p["value"] = re.sub(r"\{\{workflow\.parameters\.(\w+)\}\}",
                                    lambda m: args.get(m.group(1), ""), str(p.get("value", "")))
            if node["type"] == "Pod":
                logs.append((node["id"], f"{node['displayName']} ran"))
        fake.logs[("argo", wf["metadata"]["name"])] = logs
    return on_create


@pytest.fixture(scope="module")
def argo():
    fake = FakeArgo(token=TOKEN).start()
    fake.on_create = play_controller(fake)
    yield fake
    fake.stop()
    assert fake.violations == []


@pytest.fixture
def on_argo(argo, tmp_path):
    """Run dflow-nb with the stand-in as the configured Argo Server (token from the env)."""
    env = {"DFLOW_HOST": argo.url, "DFLOW_TOKEN": TOKEN}

    def run(*args, **kwargs):
        result = cli(*args, cwd=tmp_path, env=env, **kwargs)
        assert TOKEN not in result.out + result.err
        return result
    return run


def test_submit_a_manifest_and_read_it_back(argo, on_argo):
    result = on_argo("submit", WORKFLOWS / "hello.yaml", "-p", "who=cli", "-l", "team=md",
                     "--wait", "-o", "json")
    assert result.code == 0, result
    doc = result.json()
    assert doc["phase"] == "Succeeded" and doc["labels"]["team"] == "md"
    assert doc["id"].startswith("hello-") and doc["dir"] is None
    sent = argo.calls("WorkflowService_CreateWorkflow")[-1].body["workflow"]
    assert sent["spec"]["arguments"]["parameters"] == [{"name": "who", "value": "cli"}]
    assert sent["metadata"]["labels"] == {"team": "md"}
    run = doc["id"]
    assert run in on_argo("list", "-o", "name").out.split()
    assert [r["id"] for r in on_argo("list", "-l", "team=md", "-o", "json").json()] == [run]
    text = on_argo("get", run).out
    assert "Status:       Succeeded" in text and "└─✔ main" in text
    assert on_argo("logs", run, "main").out.strip() == "main ran"
    assert on_argo("logs", run).out.strip() == "main: main ran"
    watched = on_argo("watch", run)
    assert watched.code == 0 and "Status:       Succeeded" in watched.out
    manifest = yaml.safe_load(on_argo("compile", run).out)   # what the server holds
    assert manifest["metadata"]["name"] == run and manifest["spec"]["entrypoint"]


def test_a_failed_python_run_its_exit_codes_retry_resubmit_and_debug(argo, on_argo):
    failed = on_argo("submit", WORKFLOWS / "double.py", "-p", "n=-1", "--wait", "-o", "name")
    assert failed.code == 1, failed
    run = failed.out.strip()
    waited = on_argo("wait", run)
    assert waited.code == 1 and waited.out.strip() == f"{run} Failed"
    retried = on_argo("retry", run, "-o", "name")
    assert retried.code == 0 and retried.out.strip() == run
    assert argo.calls("WorkflowService_RetryWorkflow")[-1].path_params["name"] == run
    new = on_argo("resubmit", run, "-p", "n=3", "--wait", "-o", "json")
    assert new.code == 0, new
    assert new.json()["id"] != run and new.json()["phase"] == "Succeeded"
    # the OP's code from the file; its inputs as the Argo node recorded them
    debug = on_argo("debug", run, "first", "--from", WORKFLOWS / "double.py", "--no-pdb")
    assert debug.code == 1, debug
    assert "x=-1" in debug.err and "cannot double a negative number: -1" in debug.err


def test_steering_a_running_run_and_deleting_it(argo, on_argo):
    def submit_held():
        result = on_argo("submit", WORKFLOWS / "hello.yaml", "-l", "hold=yes", "-o", "name")
        assert result.code == 0, result
        return result.out.strip()

    run, other = submit_held(), submit_held()
    assert run in on_argo("list", "--running", "-o", "name").out.split()
    assert on_argo("suspend", run).out.strip() == f"workflow {run} suspended"
    assert on_argo("get", run, "-o", "json").json()["message"] == "suspended"
    assert on_argo("resume", run).out.strip() == f"workflow {run} resumed"
    assert on_argo("get", run, "-o", "json").json()["message"] is None
    assert on_argo("stop", run).code == 0
    stopped = on_argo("get", run, "-o", "json").json()
    assert stopped["phase"] == "Failed" and stopped["message"] == "Stopped with strategy 'Stop'"
    assert on_argo("terminate", other, "-o", "name").out.strip() == other
    assert on_argo("wait", other).code == 1
    assert on_argo("delete", run, other).code == 0
    listed = on_argo("list", "-o", "name").out.split()
    assert run not in listed and other not in listed
    assert "not found" in user_error(on_argo("get", run))


def test_an_unreachable_server_or_a_bad_token_exits_4(argo, tmp_path):
    down = cli("list", "--host", "http://127.0.0.1:9", cwd=tmp_path)
    assert user_error(down, code=4)
    refused = cli("list", cwd=tmp_path, env={"DFLOW_HOST": argo.url, "DFLOW_TOKEN": "wrong-one"})
    err = user_error(refused, code=4)
    assert "wrong-one" not in err and "token" in err
