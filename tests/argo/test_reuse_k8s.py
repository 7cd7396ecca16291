"""reuse_step on Argo: the backend writes the memoization cache ConfigMap through the Kubernetes
API (a real HTTP server here, strict about what a kube-apiserver accepts for ConfigMaps), then
creates the workflow whose keyed templates memoize into it."""
import json
import re
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional, Tuple

import pytest

from dflow_nb import Step, Workflow, config
from dflow_nb.argo.backend import KubernetesClient, KubernetesError
from dflow_nb.errors import ValidationError
from dflow_nb.python import OP, OPIO, OPIOSign, PythonOPTemplate
from tests.argo.argo_server import FakeArgo, run_to_end, swagger_path

ARGO_TOKEN = "argo-t0ken-secret"
K8S_TOKEN = "k8s-t0ken-very-secret"
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
CM_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
ENTRY_FIELDS = {"nodeID", "outputs", "creationTimestamp", "lastHitTimestamp"}

pytestmark = pytest.mark.skipif(swagger_path() is None,
                                reason="argo/swagger.json not found (set DFLOW_NB_SHARED)")


def configmap_errors(body: Any, namespace: str, name: Optional[str]) -> List[str]:
    """What a kube-apiserver (plus Argo's cache reader) would refuse in a ConfigMap body."""
    errs: List[str] = []
    if not isinstance(body, dict):
        return ["body is not an object"]
    if body.get("apiVersion") != "v1" or body.get("kind") != "ConfigMap":
        errs.append(f"apiVersion/kind: {body.get('apiVersion')}/{body.get('kind')}")
    extra = set(body) - {"apiVersion", "kind", "metadata", "data", "binaryData", "immutable"}
    if extra:
        errs.append(f"unknown fields {sorted(extra)}")
    meta = body.get("metadata") or {}
    if not DNS_SUBDOMAIN.match(str(meta.get("name", ""))):
        errs.append(f"metadata.name {meta.get('name')!r} is not a DNS subdomain")
    if name is not None and meta.get("name") != name:
        errs.append("metadata.name does not match the URL")
    if meta.get("namespace") not in (None, namespace):
        errs.append("metadata.namespace does not match the URL")
    labels = meta.get("labels") or {}
    if labels.get("workflows.argoproj.io/configmap-type") != "Cache":
        errs.append("missing label workflows.argoproj.io/configmap-type: Cache")
    for k, v in labels.items():
        if not isinstance(v, str) or len(v) > 63 or not LABEL_VALUE.match(v):
            errs.append(f"label {k}: bad value {v!r}")
    for k, v in (body.get("data") or {}).items():
        if not CM_KEY.match(k) or len(k) > 253:
            errs.append(f"data key {k!r} is not a valid ConfigMap key")
        if not isinstance(v, str):
            errs.append(f"data[{k!r}] is not a string")
            continue
        entry = json.loads(v)
        if set(entry) != ENTRY_FIELDS:
            errs.append(f"data[{k!r}] has fields {sorted(entry)}, Argo's entry has {ENTRY_FIELDS}")
            continue
        for ts in ("creationTimestamp", "lastHitTimestamp"):
            datetime.strptime(entry[ts], "%Y-%m-%dT%H:%M:%SZ")
        if not isinstance(entry["outputs"], dict):
            errs.append(f"data[{k!r}].outputs is not an object")
    return errs


class FakeKubernetes:
    """ConfigMaps over real HTTP: POST creates (409 if it exists), PUT replaces (404 if not)."""

    def __init__(self, token: str = K8S_TOKEN) -> None:
        self.token = token
        self.configmaps: Dict[Tuple[str, str], Dict[str, Any]] = {}
        self.requests: List[Tuple[str, str, Dict[str, str], Any]] = []
        self.violations: List[str] = []
        self.fail_status: Optional[int] = None
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, status: int, body: Dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _status(self, code: int, reason: str, message: str) -> None:
                self._answer(code, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                    "message": message, "reason": reason, "code": code})

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                fake.requests.append((self.command, self.path, dict(self.headers), body))
                if self.headers.get("Authorization") != f"Bearer {fake.token}":
                    return self._status(401, "Unauthorized", "Unauthorized")
                if fake.fail_status:
                    return self._status(fake.fail_status, "Forbidden",
                                        'configmaps is forbidden: User "x" cannot create')
                m = re.fullmatch(r"/api/v1/namespaces/([^/]+)/configmaps(?:/([^/?]+))?",
                                 self.path)
                if m is None or self.headers.get("Content-Type") != "application/json":
                    fake.violations.append(f"{self.command} {self.path}")
                    return self._status(404, "NotFound", "the server could not find it")
                ns, name = m.group(1), m.group(2)
                if (self.command, name is None) not in (("POST", True), ("PUT", False)):
                    fake.violations.append(f"{self.command} {self.path}")
                    return self._status(405, "MethodNotAllowed", "method not allowed")
                errs = configmap_errors(body, ns, name)
                if errs:
                    fake.violations.extend(errs)
                    return self._status(422, "Invalid", "; ".join(errs))
                key = (ns, body["metadata"]["name"])
                if self.command == "POST" and key in fake.configmaps:
                    return self._status(409, "AlreadyExists",
                                        f'configmaps "{key[1]}" already exists')
                if self.command == "PUT" and key not in fake.configmaps:
                    return self._status(404, "NotFound", f'configmaps "{key[1]}" not found')
                stored = json.loads(json.dumps(body))
                stored["metadata"].update(namespace=ns, uid="u-" + key[1],
                                          resourceVersion=str(len(fake.requests)))
                fake.configmaps[key] = stored
                self._answer(201 if self.command == "POST" else 200, stored)

            do_POST = do_PUT = _handle

            def do_GET(self) -> None:
                self._handle()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def kube():
    server = FakeKubernetes()
    yield server
    server.stop()
    assert server.violations == []


@pytest.fixture
def argo(monkeypatch):
    fake = FakeArgo(token=ARGO_TOKEN).start()
    monkeypatch.setitem(config, "mode", "default")
    monkeypatch.setitem(config, "host", fake.url)
    monkeypatch.setitem(config, "token", ARGO_TOKEN)
    monkeypatch.setitem(config, "namespace", "argo")
    monkeypatch.setitem(config, "k8s_api_server", None)
    yield fake
    fake.stop()
    assert fake.violations == []


class Add(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"a": int, "b": int})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"c": int})

    @OP.exec_sign_check
    def execute(self, op_in):
        return OPIO({"c": op_in["a"] + op_in["b"]})


def _workflow() -> Workflow:
    wf = Workflow("reuse-add")
    wf.add(Step("add-step", PythonOPTemplate(Add, image="python:3.11", upload_dflow=False),
                parameters={"a": 1, "b": 2}, key="add-1"))
    wf.add(Step("again", PythonOPTemplate(Add, image="python:3.11", upload_dflow=False),
                parameters={"a": 3, "b": 4}, key="add-2"))
    return wf


def test_kubernetes_client_creates_then_replaces_a_configmap(kube):
    k = KubernetesClient(kube.url, K8S_TOKEN)
    cm = {"apiVersion": "v1", "kind": "ConfigMap",
          "metadata": {"name": "dflow-nb-reuse-x", "namespace": "argo",
                       "labels": {"workflows.argoproj.io/configmap-type": "Cache"}},
          "data": {"k1": json.dumps({"nodeID": "n", "outputs": {}, "creationTimestamp":
                                     "2024-01-01T00:00:00Z", "lastHitTimestamp":
                                     "2024-01-01T00:00:00Z"})}}
    assert k.apply_configmap(cm)["metadata"]["uid"] == "u-dflow-nb-reuse-x"
    cm["data"] = {}
    k.apply_configmap(cm)
    assert [(m, p) for m, p, _, _ in kube.requests] == [
        ("POST", "/api/v1/namespaces/argo/configmaps"),
        ("POST", "/api/v1/namespaces/argo/configmaps"),
        ("PUT", "/api/v1/namespaces/argo/configmaps/dflow-nb-reuse-x")]
    assert kube.configmaps[("argo", "dflow-nb-reuse-x")]["data"] == {}
    assert K8S_TOKEN not in repr(k)
    with pytest.raises(TypeError):
        import pickle
        pickle.dumps(k)
    k.close()


def test_kubernetes_errors_are_clear_and_hide_the_token(kube):
    bad = KubernetesClient(kube.url, "wrong-token-123456")
    cm = {"apiVersion": "v1", "kind": "ConfigMap",
          "metadata": {"name": "c", "namespace": "argo",
                       "labels": {"workflows.argoproj.io/configmap-type": "Cache"}}}
    with pytest.raises(KubernetesError, match="401.*token was rejected") as info:
        bad.apply_configmap(cm)
    assert "wrong-token-123456" not in str(info.value)
    kube.fail_status = 403
    with pytest.raises(KubernetesError, match="403.*RBAC"):
        KubernetesClient(kube.url, K8S_TOKEN).apply_configmap(cm)
    with pytest.raises(KubernetesError, match="cannot reach the Kubernetes API"):
        KubernetesClient("http://127.0.0.1:9", K8S_TOKEN, timeout=2).apply_configmap(cm)


def test_submit_reuse_step_on_argo_writes_the_cache_first(argo, kube, monkeypatch):
    monkeypatch.setitem(config, "k8s_api_server", kube.url)
    monkeypatch.setitem(config, "k8s_token", K8S_TOKEN)
    argo.suffixes = ["first", "secnd"]
    argo.on_create = lambda wf: run_to_end(wf, {"add-step": {"c": "3"}, "again": {"c": "7"}})
    first = _workflow()
    first.submit(wait=False)
    assert first.query_status() == "Succeeded"
    assert kube.requests == []                 # no reuse, no Kubernetes call
    reused = first.query_step(key="add-1")
    assert reused[0].outputs.parameters["c"].value == 3

    seen: List[Any] = []

    def on_create(wf: Dict[str, Any]) -> Dict[str, Any]:
        seen.append(dict(kube.configmaps))
        return run_to_end(wf, {"add-step": {"c": "3"}, "again": {"c": "7"}})

    argo.on_create = on_create
    second = _workflow()
    second.submit(reuse_step=reused, wait=False)
    created = argo.calls("WorkflowService_CreateWorkflow")[1].body["workflow"]
    templates = {t["name"]: t for t in created["spec"]["templates"]}
    memo = next(t["memoize"] for t in templates.values() if "memoize" in t)
    assert memo["key"] == "{{inputs.parameters.dflow_key}}"
    cm_name = memo["cache"]["configMap"]["name"]
    assert seen and ("argo", cm_name) in seen[0], "the cache must exist before the workflow"
    method, path, headers, body = kube.requests[0]
    assert (method, path) == ("POST", "/api/v1/namespaces/argo/configmaps")
    assert headers["Authorization"] == f"Bearer {K8S_TOKEN}"
    assert body["metadata"]["labels"]["workflows.argoproj.io/configmap-type"] == "Cache"
    assert body["metadata"]["namespace"] == "argo" and body["metadata"]["name"] == cm_name
    assert list(body["data"]) == ["add-1"]
    entry = json.loads(body["data"]["add-1"])
    assert entry["nodeID"] == reused[0].id
    assert entry["outputs"]["parameters"] == [{"name": "c", "value": "3"}]
    text = json.dumps(created) + json.dumps(body)
    assert K8S_TOKEN not in text and ARGO_TOKEN not in text

    # a third submission replaces the cache: exactly what is reused now, nothing left over
    argo.suffixes = ["third"]
    _workflow().submit(reuse_step=[], wait=False)   # no reuse: no Kubernetes call
    assert len(kube.requests) == 1
    third = _workflow()
    third.submit(reuse_step=first.query_step(key="add-2"), wait=False)
    assert [m for m, *_ in kube.requests[1:]] == ["POST", "PUT"]
    assert list(kube.configmaps[("argo", cm_name)]["data"]) == ["add-2"]


def test_submit_reuse_step_without_a_kubernetes_api_is_a_clear_error(argo):
    argo.suffixes = ["first"]
    argo.on_create = lambda wf: run_to_end(wf, {"add-step": {"c": "3"}, "again": {"c": "7"}})
    first = _workflow()
    first.submit(wait=False)
    with pytest.raises(ValidationError, match=r"reuse_step.*k8s_api_server"):
        _workflow().submit(reuse_step=first.query_step(key="add-1"), wait=False)
    assert len(argo.calls("WorkflowService_CreateWorkflow")) == 1   # nothing was submitted


def test_reuse_of_a_locally_run_artifact_is_refused():
    from dflow_nb.argo.memoize import reuse_cache_configmap

    class Rec:
        key, id, displayName = "k1", "n1", "make"
        raw_outputs = {"artifacts": [{"name": "out", "path": ["/home/me/out"]}]}

    with pytest.raises(ValidationError, match="output artifact 'out'.*not in the artifact"):
        reuse_cache_configmap("wf", [Rec()], namespace="argo")
    Rec.raw_outputs = {"artifacts": [{"name": "out", "path": "/tmp/outputs/artifacts/out",
                                      "s3": {"key": "wf/pod/out.tgz"}}]}
    cm = reuse_cache_configmap("wf", [Rec()], namespace="argo")
    assert configmap_errors(cm, "argo", None) == []
    assert json.loads(cm["data"]["k1"])["outputs"]["artifacts"][0]["s3"]["key"] == "wf/pod/out.tgz"
