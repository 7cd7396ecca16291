"""The REST client against a real HTTP server that checks every request against swagger.json."""
import json
import logging

import pytest

from dflow_nb import config
from dflow_nb.argo.client import ArgoClient, LogEntry, Token, parse_stream
from dflow_nb.argo.errors import (
    ArgoBadRequest,
    ArgoConflict,
    ArgoConnectionError,
    ArgoError,
    ArgoForbidden,
    ArgoNotFound,
    ArgoServerError,
    ArgoStreamError,
    ArgoTimeout,
    ArgoUnauthorized,
)
from dflow_nb.errors import DflowNbError, WorkflowNotFound
from tests.argo.argo_server import FakeArgo, fixture, swagger_path

TOKEN = "s3cr3t-t0ken-value"

pytestmark = pytest.mark.skipif(swagger_path() is None,
                                reason="argo/swagger.json not found (set DFLOW_NB_SHARED)")


@pytest.fixture
def fake():
    server = FakeArgo(token=TOKEN).start()
    yield server
    server.stop()
    assert server.violations == []


@pytest.fixture
def client(fake):
    c = ArgoClient(fake.url, token=TOKEN, namespace="argo", retries=2, backoff=0.01)
    yield c
    c.close()


def manifest(name=None, generate="hello-"):
    meta = {"name": name} if name else {"generateName": generate}
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": meta,
            "spec": {"entrypoint": "main", "templates": [
                {"name": "main", "container": {"image": "alpine:3.20", "command": ["echo", "hi"]}}]}}


# -- create / lint / get / list / delete --------------------------------------------------------
def test_create_posts_the_manifest_untouched(fake, client):
    m = manifest()
    m["spec"]["x-unknown-future-field"] = {"kept": True}
    fake.suffixes = ["abcde"]
    created = client.create(m)
    assert created["metadata"]["name"] == "hello-abcde"
    assert created["metadata"]["uid"]
    call = fake.calls("WorkflowService_CreateWorkflow")[0]
    assert call.path == "/api/v1/workflows/argo"
    assert call.body == {"namespace": "argo", "workflow": m}
    assert call.headers["Authorization"] == f"Bearer {TOKEN}"
    assert call.headers["Content-Type"] == "application/json"


def test_create_dry_run_and_namespace_from_manifest(fake, client):
    m = manifest("dry")
    m["metadata"]["namespace"] = "team-a"
    client.create(m, server_dry_run=True)
    call = fake.calls("WorkflowService_CreateWorkflow")[0]
    assert call.path == "/api/v1/workflows/team-a"
    assert call.body["serverDryRun"] is True and call.body["namespace"] == "team-a"
    assert ("team-a", "dry") not in fake.workflows


def test_create_conflict_is_clear(fake, client):
    client.create(manifest("twice"))
    with pytest.raises(ArgoConflict) as info:
        client.create(manifest("twice"))
    msg = str(info.value)
    assert '"twice"' in msg and "already exists" in msg and "generateName" in msg
    assert info.value.status == 409 and info.value.code == 6
    assert len(fake.calls("WorkflowService_CreateWorkflow")) == 2  # POST is never retried


def test_lint(fake, client):
    assert client.lint(manifest("l"))["metadata"]["name"] == "l"
    bad = manifest("l")
    bad["spec"]["templates"] = []
    with pytest.raises(ArgoBadRequest, match="spec.templates is required"):
        client.lint(bad)
    assert fake.calls("WorkflowService_LintWorkflow")[0].path == "/api/v1/workflows/argo/lint"


def test_get_with_fields(fake, client):
    fake.add(fixture("steps-succeeded.json"))
    wf = client.get("steps-hello-x7k2p", fields="-status.nodes")
    assert wf["status"]["phase"] == "Succeeded" and "nodes" not in wf["status"]
    assert "templates" in wf["spec"]
    only = client.get("steps-hello-x7k2p", fields="metadata.name,status.phase")
    assert only == {"metadata": {"name": "steps-hello-x7k2p"}, "status": {"phase": "Succeeded"}}
    call = fake.calls("WorkflowService_GetWorkflow")[-1]
    assert call.q("fields") == "metadata.name,status.phase"


def test_get_missing_workflow_names_it_and_the_namespace(client):
    with pytest.raises(ArgoNotFound) as info:
        client.get("nope")
    assert 'workflow "nope" in namespace "argo"' in str(info.value)
    assert isinstance(info.value, WorkflowNotFound) and isinstance(info.value, DflowNbError)


def test_list_with_selectors(fake, client):
    fake.add(fixture("steps-succeeded.json"))
    fake.add(fixture("dag-failed.json"))
    out = client.list(label_selector="workflows.argoproj.io/phase=Failed",
                      fields="metadata,items.metadata.name,items.status.phase", limit=10)
    assert [w["metadata"]["name"] for w in out["items"]] == ["dag-fail-q9w3e"]
    assert out["items"][0] == {"metadata": {"name": "dag-fail-q9w3e"},
                               "status": {"phase": "Failed"}}
    call = fake.calls("WorkflowService_ListWorkflows")[0]
    assert call.q("listOptions.labelSelector") == "workflows.argoproj.io/phase=Failed"
    assert call.q("listOptions.limit") == "10"


def test_delete(fake, client):
    fake.add(fixture("dag-failed.json"))
    client.delete("dag-fail-q9w3e", force=True)
    assert ("argo", "dag-fail-q9w3e") not in fake.workflows
    call = fake.calls("WorkflowService_DeleteWorkflow")[0]
    assert call.method == "DELETE" and call.q("force") == "true"
    with pytest.raises(ArgoNotFound):
        client.delete("dag-fail-q9w3e")


def test_version(client):
    assert client.version()["version"] == "v4.1.0"


# -- actions ------------------------------------------------------------------------------------
def test_actions_send_name_and_namespace(fake, client):
    fake.add(fixture("retry-running.json"))
    name = "retry-nested-m4n5b"
    client.suspend(name)
    assert fake.workflows[("argo", name)]["spec"]["suspend"] is True
    client.resume(name, node_field_selector="displayName=deep")
    assert "suspend" not in fake.workflows[("argo", name)]["spec"]
    client.set(name, node_field_selector="id=x", phase="Succeeded", message="ok",
               output_parameters={"answer": 42, "text": "hi"})
    client.stop(name, message="enough")
    assert fake.workflows[("argo", name)]["status"]["message"] == "Stopped with strategy 'Stop'"
    client.retry(name, restart_successful=True, node_field_selector="templateName=flaky-op",
                 parameters={"seed": 8})
    client.terminate(name)
    ops = [c.op_id.split("_")[1] for c in fake.requests]
    assert ops == ["SuspendWorkflow", "ResumeWorkflow", "SetWorkflow", "StopWorkflow",
                   "RetryWorkflow", "TerminateWorkflow"]
    for c in fake.requests:
        assert c.method == "PUT"
        assert c.body["name"] == name and c.body["namespace"] == "argo"
    by_op = {c.op_id.split("_")[1]: c.body for c in fake.requests}
    assert by_op["ResumeWorkflow"]["nodeFieldSelector"] == "displayName=deep"
    assert json.loads(by_op["SetWorkflow"]["outputParameters"]) == {"answer": "42", "text": "hi"}
    assert by_op["StopWorkflow"]["message"] == "enough"
    assert by_op["RetryWorkflow"] == {"name": name, "namespace": "argo", "restartSuccessful": True,
                                      "nodeFieldSelector": "templateName=flaky-op",
                                      "parameters": ["seed=8"]}
    assert by_op["TerminateWorkflow"] == {"name": name, "namespace": "argo"}


def test_resubmit_memoized_creates_a_new_workflow(fake, client):
    fake.add(fixture("dag-failed.json"))
    fake.suffixes = ["zz9yy"]
    new = client.resubmit("dag-fail-q9w3e", memoized=True, parameters=["a=1"])
    assert new["metadata"]["name"] == "dag-fail-zz9yy"
    assert fake.calls("WorkflowService_ResubmitWorkflow")[0].body == {
        "name": "dag-fail-q9w3e", "namespace": "argo", "memoized": True, "parameters": ["a=1"]}


# -- archived -----------------------------------------------------------------------------------
def test_archived_workflows(fake, client):
    wf = fixture("dag-failed.json")
    uid = wf["metadata"]["uid"]
    fake.archived[uid] = wf
    listed = client.archived_list(name_prefix="dag-")
    assert [w["metadata"]["uid"] for w in listed["items"]] == [uid]
    call = fake.calls("ArchivedWorkflowService_ListArchivedWorkflows")[0]
    assert call.path == "/api/v1/archived-workflows"
    assert call.q("namespace") == "argo" and call.q("namePrefix") == "dag-"
    assert client.archived_get(uid)["metadata"]["name"] == "dag-fail-q9w3e"
    retried = client.archived_retry(uid, name="dag-fail-q9w3e", restart_successful=True)
    assert retried["status"]["phase"] == "Running"
    fake.suffixes = ["arch1"]
    resubmitted = client.archived_resubmit(uid, name="dag-fail-q9w3e", memoized=True)
    assert resubmitted["metadata"]["name"] == "dag-fail-arch1"
    bodies = [c.body for c in fake.requests if c.method == "PUT"]
    assert bodies == [{"uid": uid, "name": "dag-fail-q9w3e", "namespace": "argo",
                       "restartSuccessful": True},
                      {"uid": uid, "name": "dag-fail-q9w3e", "namespace": "argo", "memoized": True}]
    client.archived_delete(uid)
    with pytest.raises(ArgoNotFound, match=f'archived workflow with UID "{uid}"'):
        client.archived_get(uid)


# -- streams ------------------------------------------------------------------------------------
def _running(wf, phase):
    wf = json.loads(json.dumps(wf))
    wf["status"]["phase"] = phase
    return wf


@pytest.mark.parametrize("sse", [True, False])
def test_watch_streams_events(fake, client, sse):
    base = fixture("steps-succeeded.json")
    fake.add(_running(base, "Running"))
    key = ("argo", "steps-hello-x7k2p")
    fake.watch_scripts[key] = [_running(base, "Running"), _running(base, "Succeeded")]
    events = list(client.watch("steps-hello-x7k2p", sse=sse,
                               fields="result.type,result.object.metadata.name,"
                                      "result.object.status.phase"))
    assert [(e.type, e.name, e.phase) for e in events] == [
        ("MODIFIED", "steps-hello-x7k2p", "Running"), ("MODIFIED", "steps-hello-x7k2p", "Succeeded")]
    assert events[0].workflow == {"metadata": {"name": "steps-hello-x7k2p"},
                                  "status": {"phase": "Running"}}
    call = fake.calls("WorkflowService_WatchWorkflows")[0]
    assert call.q("listOptions.fieldSelector") == "metadata.name=steps-hello-x7k2p"
    assert call.headers["Accept"] == ("text/event-stream" if sse else "application/json")


def test_watch_stream_error_object_raises(fake, client):
    fake.add(fixture("steps-succeeded.json"))
    fake.watch_scripts[("argo", "steps-hello-x7k2p")] = [
        {"error": {"grpc_code": 13, "http_code": 500, "http_status": "Internal Server Error",
                   "message": "watch failed: too old resource version"}}]
    with pytest.raises(ArgoStreamError, match="too old resource version"):
        list(client.watch("steps-hello-x7k2p"))


def test_watch_dropped_mid_stream(fake, client):
    base = fixture("steps-succeeded.json")
    fake.add(base)
    fake.watch_scripts[("argo", "steps-hello-x7k2p")] = [_running(base, "Running"), "drop"]
    events = []
    with pytest.raises(ArgoConnectionError, match="broke"):
        for e in client.watch("steps-hello-x7k2p"):
            events.append(e)
    assert [e.phase for e in events] == ["Running"]


def test_parse_stream_sse_ndjson_and_wrapping():
    sse = [":", "", 'data: {"result": {"a": 1}}', "", "event: x", 'data: {"result":', 'data:  {"b": 2}}',
           "", 'data: {"plain": true}', ""]
    assert list(parse_stream(iter(sse))) == [{"a": 1}, {"b": 2}, {"plain": True}]
    nd = ['{"result": {"a": 1}}', "", '{"result": {"a": 2}}']
    assert list(parse_stream(iter(nd))) == [{"a": 1}, {"a": 2}]
    with pytest.raises(ArgoStreamError, match="not JSON"):
        list(parse_stream(iter(["<html>"])))


LOGS = [("p1", "starting"), ("p1", "ERROR: boom"), ("p1", "done"), ("p2", "other pod")]


@pytest.mark.parametrize("follow", [False, True])
def test_logs(fake, client, follow):
    fake.add(fixture("steps-succeeded.json"))
    fake.logs[("argo", "steps-hello-x7k2p")] = LOGS
    entries = list(client.logs("steps-hello-x7k2p", follow=follow))
    assert entries == [LogEntry(p, c) for p, c in LOGS]
    assert list(client.logs("steps-hello-x7k2p", pod_name="p1", tail_lines=2)) == [
        LogEntry("p1", "ERROR: boom"), LogEntry("p1", "done")]
    assert [e.content for e in client.logs("steps-hello-x7k2p", grep="ERROR")] == ["ERROR: boom"]
    calls = fake.calls("WorkflowService_WorkflowLogs")
    assert calls[0].q("logOptions.container") == "main"
    assert calls[0].q("logOptions.follow") == ("true" if follow else None)
    assert calls[1].q("podName") == "p1" and calls[1].q("logOptions.tailLines") == "2"
    assert calls[2].q("grep") == "ERROR"


def test_logs_over_sse(fake, client):
    fake.add(fixture("steps-succeeded.json"))
    fake.logs[("argo", "steps-hello-x7k2p")] = LOGS[:1]
    assert list(client.logs("steps-hello-x7k2p", sse=True)) == [LogEntry("p1", "starting")]


# -- auth, token hygiene --------------------------------------------------------------------------
def test_token_forms_and_sources(fake, monkeypatch):
    for raw in (TOKEN, f"Bearer {TOKEN}", f"  bearer {TOKEN} "):
        with ArgoClient(fake.url, token=raw, retries=0) as c:
            c.version()
    monkeypatch.setitem(config, "token", f"Bearer {TOKEN}")
    with ArgoClient(fake.url, retries=0) as c:
        c.version()
    monkeypatch.setitem(config, "token", None)
    monkeypatch.setenv("ARGO_TOKEN", f"Bearer {TOKEN}")
    with ArgoClient(fake.url, retries=0) as c:
        c.version()
    assert all(r.headers["Authorization"] == f"Bearer {TOKEN}" for r in fake.requests)


def test_401_without_token(fake, monkeypatch):
    monkeypatch.setitem(config, "token", None)
    monkeypatch.delenv("ARGO_TOKEN", raising=False)
    with ArgoClient(fake.url, retries=0) as c:
        with pytest.raises(ArgoUnauthorized, match="no token was sent.*ARGO_TOKEN"):
            c.get("x")
    assert "Authorization" not in fake.requests[0].headers


def test_401_wrong_token_never_shows_the_token(fake, caplog):
    wrong = "wr0ng-t0ken-d0-not-print"
    caplog.set_level(logging.DEBUG)
    with ArgoClient(fake.url, token=wrong, retries=0) as c:
        with pytest.raises(ArgoUnauthorized) as info:
            c.get("x")
        text = f"{info.value} {info.value!r} {c!r} {c} {vars(c)} {info.value.__dict__}"
    assert "token was refused" in str(info.value)
    assert wrong not in text and wrong not in caplog.text
    assert "<hidden>" in repr(c)


def test_token_never_in_repr_logs_or_errors(fake, client, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    fake.add(fixture("steps-succeeded.json"))
    client.get("steps-hello-x7k2p")
    list(client.logs("steps-hello-x7k2p"))
    fake.fail(500, message=f"echoing {TOKEN} back", times=5)
    with pytest.raises(ArgoServerError) as info:
        client.get("steps-hello-x7k2p")
    print(client, repr(client), client._token, client._http.headers, client.__dict__)
    out = capsys.readouterr()
    for text in (str(info.value), repr(info.value), info.value.server_message, caplog.text,
                 out.out, out.err, repr(Token(TOKEN)), str(Token(TOKEN))):
        assert TOKEN not in text
    with pytest.raises(TypeError):
        import pickle
        pickle.dumps(client)


def test_403_says_rbac(fake, client):
    fake.fail(403, message='workflows.argoproj.io is forbidden: User "system:sa" cannot create')
    with pytest.raises(ArgoForbidden) as info:
        client.create(manifest())
    assert "RBAC" in str(info.value) and "cannot create" in str(info.value)
    assert isinstance(info.value, PermissionError)


# -- retries and transport failures ---------------------------------------------------------------
def test_get_retries_5xx_then_succeeds(fake, client):
    fake.add(fixture("dag-failed.json"))
    fake.fail(503, method="GET", times=2)
    assert client.get("dag-fail-q9w3e")["status"]["phase"] == "Failed"
    assert len(fake.calls("WorkflowService_GetWorkflow")) == 3


def test_get_gives_up_after_retries(fake, client):
    fake.fail(502, method="GET", times=10, raw="<html>Bad Gateway</html>")
    with pytest.raises(ArgoServerError) as info:
        client.get("x")
    assert "after 3 attempts" in str(info.value) and "502" in str(info.value)
    assert len(fake.requests) == 3


def test_500_is_not_retried_and_put_is_never_retried(fake, client):
    fake.add(fixture("dag-failed.json"))
    fake.fail(500, method="GET")
    with pytest.raises(ArgoServerError):
        client.get("dag-fail-q9w3e")
    fake.fail(503, method="PUT")
    with pytest.raises(ArgoServerError):
        client.terminate("dag-fail-q9w3e")
    assert len(fake.requests) == 2


def test_dropped_connection_retried_for_get_not_for_post(fake, client):
    fake.add(fixture("dag-failed.json"))
    fake.drop(method="GET")
    assert client.get("dag-fail-q9w3e")["metadata"]["name"] == "dag-fail-q9w3e"
    assert len(fake.calls("WorkflowService_GetWorkflow")) == 2
    fake.drop(method="POST")
    with pytest.raises(ArgoConnectionError, match="may or may not have been applied"):
        client.create(manifest("dropped"))
    assert len(fake.calls("WorkflowService_CreateWorkflow")) == 1


def test_delete_is_retried(fake, client):
    fake.add(fixture("dag-failed.json"))
    fake.fail(504, method="DELETE")
    client.delete("dag-fail-q9w3e")
    assert len(fake.calls("WorkflowService_DeleteWorkflow")) == 2


def test_slow_response_times_out_clearly(fake):
    fake.add(fixture("dag-failed.json"))
    fake.delay(1.0, method="GET", times=5)
    with ArgoClient(fake.url, token=TOKEN, timeout=0.2, retries=1, backoff=0.01) as c:
        with pytest.raises(ArgoTimeout) as info:
            c.get("dag-fail-q9w3e")
    assert fake.url in str(info.value) and "tried 2 times" in str(info.value)
    assert isinstance(info.value, TimeoutError)


def test_watch_connect_retried_on_503(fake, client):
    fake.add(fixture("dag-failed.json"))
    fake.fail(503, path="/workflow-events/")
    events = list(client.watch("dag-fail-q9w3e"))
    assert [e.type for e in events] == ["ADDED"]
    assert len(fake.calls("WorkflowService_WatchWorkflows")) == 2


def test_refused_connection_says_host_and_what_to_check():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with ArgoClient(f"http://127.0.0.1:{port}", token=TOKEN, retries=1, backoff=0.01) as c:
        with pytest.raises(ArgoConnectionError) as info:
            c.get("x")
    msg = str(info.value)
    assert f"127.0.0.1:{port}" in msg and "2746" in msg and "port-forward" in msg
    assert isinstance(info.value, ArgoError) and isinstance(info.value, DflowNbError)


def test_not_an_argo_server(fake, client):
    fake.fail(404, raw="<html>nginx</html>")
    with pytest.raises(ArgoNotFound, match="is the host an Argo Server"):
        client.get("x")


def test_host_defaults(monkeypatch):
    monkeypatch.setitem(config, "host", "")
    with pytest.raises(ArgoConnectionError, match="config\\['host'\\]"):
        ArgoClient()
    monkeypatch.setitem(config, "host", "argo.example:2746")
    monkeypatch.setitem(config, "namespace", "team-b")
    c = ArgoClient(token="t")
    assert c.host == "https://argo.example:2746" and c.namespace == "team-b"
    c.close()
