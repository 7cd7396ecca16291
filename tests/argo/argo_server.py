"""A fake Argo Server for the client and backend tests: real HTTP on 127.0.0.1, strict about
requests, Argo-shaped in its answers.

Every request is matched against ``swagger.json`` (method, path template, query parameters and
their types, the request body against its schema with the swagger ``$ref``s resolved); anything
that does not match is recorded in ``violations`` and answered 400, so a test that passes made
only calls a real Argo Server would accept. Answers follow Argo: grpc-gateway error bodies,
``fields`` filtering, watch and log streams as chunked SSE (``Accept: text/event-stream``) or
NDJSON, each message wrapped in ``{"result": ...}``.

Faults for the error paths: ``fail(status, ...)``, ``drop(...)`` (close without answering),
``delay(seconds, ...)``; watches can be scripted to change phase, break mid-stream or send an
error object. ``tls=(certfile, keyfile)`` serves HTTPS.
"""
from __future__ import annotations

import copy
import json
import os
import re
import socket
import ssl
import threading
import time
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple
from urllib.parse import parse_qs, unquote, urlsplit

FIXTURES = Path(__file__).parent / "fixtures"
GRPC_STATUS = {3: 400, 5: 404, 6: 409, 7: 403, 13: 500, 14: 503, 16: 401}


def swagger_path() -> Optional[Path]:
    """``argo/swagger.json`` in the shared directory (env DFLOW_NB_SHARED, else ../shared)."""
    env = os.environ.get("DFLOW_NB_SHARED")
    candidates = [Path(env)] if env else []
    candidates.append(Path(__file__).resolve().parents[2].parent / "shared")
    for c in candidates:
        if (c / "argo" / "swagger.json").is_file():
            return c / "argo" / "swagger.json"
    return None


def fixture(name: str) -> Dict[str, Any]:
    """A hand-written Workflow object (as ``argo get -o json`` prints it)."""
    return json.loads((FIXTURES / name).read_text())


@lru_cache(maxsize=1)
def swagger() -> Dict[str, Any]:
    path = swagger_path()
    if path is None:
        raise FileNotFoundError("swagger.json not found (set DFLOW_NB_SHARED)")
    return json.loads(path.read_text())


@lru_cache(maxsize=64)
def validator(ref: str) -> Any:
    """A jsonschema validator for one swagger definition, ``$ref``s resolved in the document."""
    from jsonschema import Draft4Validator
    return Draft4Validator({"$ref": ref, "definitions": swagger()["definitions"]})


@dataclass
class Route:
    method: str
    template: str
    regex: re.Pattern
    operation: Dict[str, Any]

    @property
    def op_id(self) -> str:
        return self.operation.get("operationId", "")


@lru_cache(maxsize=1)
def routes() -> List[Route]:
    out = []
    for template, item in swagger()["paths"].items():
        pattern = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$"
        for method, op in item.items():
            if method in ("get", "post", "put", "delete", "patch"):
                out.append(Route(method.upper(), template, re.compile(pattern), op))
    # literal segments before parameters: /lint wins over /{name}
    out.sort(key=lambda r: r.template.count("{"))
    return out


def check_request(method: str, path: str, query: Dict[str, List[str]],
                  body: Optional[bytes], content_type: str) -> Tuple[Optional[Route],
                                                                     Dict[str, str], List[str]]:
    """The swagger route of a request, its path parameters, and what is wrong with it."""
    problems: List[str] = []
    candidates = [(r, r.regex.match(path)) for r in routes()]
    candidates = [(r, m) for r, m in candidates if m]
    if not candidates:
        return None, {}, [f"{method} {path}: no such path in swagger.json"]
    for r, m in candidates:
        if r.method == method:
            route, match = r, m
            break
    else:
        return None, {}, [f"{method} {path}: method not allowed (swagger has "
                          f"{sorted({r.method for r, _ in candidates})})"]
    path_params = {k: unquote(v) for k, v in match.groupdict().items()}
    declared = {p["name"]: p for p in route.operation.get("parameters", [])}
    for name, p in declared.items():
        if p.get("required") and p["in"] == "query" and name not in query:
            problems.append(f"{route.op_id}: required query parameter {name!r} missing")
        if p["in"] == "path" and not path_params.get(name):
            problems.append(f"{route.op_id}: empty path parameter {name!r}")
    for name, values in query.items():
        p = declared.get(name)
        if p is None or p["in"] != "query":
            problems.append(f"{route.op_id}: unknown query parameter {name!r}")
            continue
        if p.get("type") != "array" and len(values) > 1:
            problems.append(f"{route.op_id}: query parameter {name!r} repeated")
        for v in values:
            if p.get("type") == "boolean" and v not in ("true", "false"):
                problems.append(f"{route.op_id}: {name}={v!r} is not a boolean")
            if p.get("type") == "integer" and not re.fullmatch(r"-?\d+", v):
                problems.append(f"{route.op_id}: {name}={v!r} is not an integer")
            if "enum" in p and v not in p["enum"]:
                problems.append(f"{route.op_id}: {name}={v!r} not in {p['enum']}")
    body_param = next((p for p in declared.values() if p["in"] == "body"), None)
    if body_param is None:
        if body:
            problems.append(f"{route.op_id}: takes no request body")
    elif not body:
        problems.append(f"{route.op_id}: request body required")
    else:
        if not content_type.startswith("application/json"):
            problems.append(f"{route.op_id}: Content-Type {content_type!r}, not application/json")
        try:
            doc = json.loads(body)
        except ValueError:
            problems.append(f"{route.op_id}: body is not JSON")
        else:
            for err in validator(body_param["schema"]["$ref"]).iter_errors(doc):
                where = "/".join(str(x) for x in err.absolute_path)
                problems.append(f"{route.op_id}: body {where or '<root>'}: {err.message}")
    return route, path_params, problems


def clean_fields(obj: Any, fields: Optional[str]) -> Any:
    """Argo's ``fields`` filter: ``a.b,c`` keeps those paths, ``-a.b,c`` drops them."""
    if not fields:
        return obj
    exclude = fields.startswith("-")
    wanted = set((fields[1:] if exclude else fields).split(","))

    def walk(path: List[str], item: Any) -> None:
        if isinstance(item, dict):
            for k in list(item):
                p = ".".join(path + [k])
                exact = p in wanted
                under = exact or any(w.startswith(p + ".") for w in wanted)
                if (exclude and not exact) or (not exclude and under):
                    if not exact:
                        walk(path + [k], item[k])
                else:
                    del item[k]
        elif isinstance(item, list):
            for x in item:
                walk(path, x)

    obj = copy.deepcopy(obj)
    walk([], obj)
    return obj


@dataclass
class Recorded:
    """One request as the server saw it."""

    method: str
    path: str
    query: Dict[str, List[str]]
    headers: Dict[str, str]
    body: Any
    op_id: str = ""
    path_params: Dict[str, str] = field(default_factory=dict)

    def q(self, name: str) -> Optional[str]:
        values = self.query.get(name)
        return values[0] if values else None


@dataclass
class Fault:
    kind: str                       # status | drop | delay
    method: Optional[str] = None
    path: Optional[str] = None      # substring of the request path
    times: int = 1
    status: int = 500
    message: str = "injected failure"
    seconds: float = 0.0
    raw: Optional[str] = None       # a non-Argo body (e.g. a proxy's HTML)

    def matches(self, method: str, path: str) -> bool:
        return self.times > 0 and (self.method in (None, method)) and \
            (self.path is None or self.path in path)


class FakeArgo:
    """The server's state and behaviour; ``start()`` binds 127.0.0.1 on a free port."""

    def __init__(self, token: Optional[str] = None,
                 tls: Optional[Tuple[str, str]] = None) -> None:
        self.token = token
        self.tls = tls
        self.workflows: Dict[Tuple[str, str], Dict[str, Any]] = {}
        self.templates: Dict[Tuple[str, str], Dict[str, Any]] = {}   # ("" = cluster, name)
        self.archived: Dict[str, Dict[str, Any]] = {}
        self.logs: Dict[Tuple[str, str], List[Tuple[str, str]]] = {}
        self.watch_scripts: Dict[Tuple[str, str], List[Any]] = {}
        self.requests: List[Recorded] = []
        self.violations: List[str] = []
        self.faults: List[Fault] = []
        self.suffixes: List[str] = []
        self.on_create: Optional[Callable[[Dict[str, Any]], None]] = None
        self.stream_delay = 0.01
        self.watch_hold = 0.0
        self._rv = 1000
        self._lock = threading.Lock()
        self._server: Optional[ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> "FakeArgo":
        handler = type("Handler", (_Handler,), {"fake": self})
        server = _Server(("127.0.0.1", 0), handler)
        if self.tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*self.tls)
            server.ssl_context = ctx
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"{'https' if self.tls else 'http'}://{host}:{port}"

    # -- test helpers ---------------------------------------------------------------------------
    def add(self, wf: Dict[str, Any]) -> Dict[str, Any]:
        meta = wf["metadata"]
        self.workflows[(meta.get("namespace", "argo"), meta["name"])] = wf
        return wf

    def fail(self, status: int, method: Optional[str] = None, path: Optional[str] = None,
             times: int = 1, message: str = "injected failure", raw: Optional[str] = None) -> None:
        self.faults.append(Fault("status", method, path, times, status, message, raw=raw))

    def drop(self, method: Optional[str] = None, path: Optional[str] = None,
             times: int = 1) -> None:
        self.faults.append(Fault("drop", method, path, times))

    def delay(self, seconds: float, method: Optional[str] = None, path: Optional[str] = None,
              times: int = 1) -> None:
        self.faults.append(Fault("delay", method, path, times, seconds=seconds))

    def calls(self, op_id: Optional[str] = None) -> List[Recorded]:
        return [r for r in self.requests if op_id is None or r.op_id == op_id]

    def next_rv(self) -> str:
        with self._lock:
            self._rv += 1
            return str(self._rv)

    # -- request handling -----------------------------------------------------------------------
    def take_fault(self, method: str, path: str) -> Optional[Fault]:
        with self._lock:
            for f in self.faults:
                if f.matches(method, path):
                    f.times -= 1
                    return f
        return None

    def handle(self, h: "_Handler", method: str) -> None:
        split = urlsplit(h.path)
        path = split.path
        query = parse_qs(split.query, keep_blank_values=True)
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        route, params, problems = check_request(method, path, query, raw,
                                                h.headers.get("Content-Type", ""))
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        rec = Recorded(method, path, query, dict(h.headers.items()), body,
                       route.op_id if route else "", params)
        self.requests.append(rec)
        fault = self.take_fault(method, path)
        if fault is not None and fault.kind == "drop":
            h.drop()
            return
        if fault is not None and fault.kind == "delay":
            time.sleep(fault.seconds)
        if problems:
            self.violations.extend(problems)
            return h.error(3, "; ".join(problems))
        if self.token is not None and h.headers.get("Authorization") != f"Bearer {self.token}":
            return h.error(16, "token not valid. see https://argo-workflows.readthedocs.io/en/"
                               "latest/faq/")
        if fault is not None and fault.kind == "status":
            if fault.raw is not None:
                return h.send_raw(fault.status, fault.raw, "text/html")
            code = next((c for c, s in GRPC_STATUS.items() if s == fault.status), 2)
            return h.error(code, fault.message, status=fault.status)
        assert route is not None
        getattr(self, "op_" + route.op_id.split("_", 1)[1], self.op_unknown)(h, rec)

    def op_unknown(self, h: "_Handler", rec: Recorded) -> None:
        h.error(12, f"{rec.op_id} is not implemented by the fake server", status=501)

    def _wf(self, h: "_Handler", rec: Recorded) -> Optional[Dict[str, Any]]:
        ns, name = rec.path_params["namespace"], rec.path_params["name"]
        wf = self.workflows.get((ns, name))
        if wf is None:
            h.error(5, f'workflows.argoproj.io "{name}" not found')
        return wf

    def _check_names(self, rec: Recorded) -> None:
        body = rec.body or {}
        for k in ("name", "namespace"):
            if k in body and body[k] != rec.path_params.get(k):
                self.violations.append(f"{rec.op_id}: body {k}={body[k]!r} != path "
                                       f"{rec.path_params.get(k)!r}")

    # workflows
    def op_CreateWorkflow(self, h: "_Handler", rec: Recorded) -> None:
        ns = rec.path_params["namespace"]
        if rec.body.get("namespace") not in (None, ns):
            self.violations.append("CreateWorkflow: body namespace differs from path")
        wf = copy.deepcopy(rec.body["workflow"])
        meta = wf.setdefault("metadata", {})
        if not meta.get("name"):
            if not meta.get("generateName"):
                return h.error(3, "workflows.argoproj.io: metadata.name or generateName required")
            suffix = self.suffixes.pop(0) if self.suffixes else uuid.uuid4().hex[:5]
            meta["name"] = meta["generateName"] + suffix
        if (ns, meta["name"]) in self.workflows:
            return h.error(6, f'workflows.argoproj.io "{meta["name"]}" already exists')
        meta.update(namespace=ns, uid=str(uuid.uuid4()), resourceVersion=self.next_rv(),
                    creationTimestamp=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        meta.setdefault("labels", {})["workflows.argoproj.io/creator"] = "system-serviceaccount"
        if rec.body.get("serverDryRun"):
            return h.send_json(wf)
        self.workflows[(ns, meta["name"])] = wf
        if self.on_create is not None:
            self.on_create(wf)
        h.send_json(wf)

    # WorkflowTemplates ("" namespace: ClusterWorkflowTemplates)
    def _create_template(self, h: "_Handler", rec: Recorded, ns: str) -> None:
        self._check_names(rec)
        t = copy.deepcopy(rec.body["template"])
        meta = t.setdefault("metadata", {})
        if (ns, meta.get("name")) in self.templates:
            return h.error(6, f'template "{meta.get("name")}" already exists')
        meta.update({"uid": str(uuid.uuid4()), **({"namespace": ns} if ns else {})})
        self.templates[(ns, meta["name"])] = t
        h.send_json(t)

    def _get_template(self, h: "_Handler", rec: Recorded, ns: str) -> None:
        t = self.templates.get((ns, rec.path_params["name"]))
        if t is None:
            return h.error(5, f'template "{rec.path_params["name"]}" not found')
        h.send_json(t)

    def op_CreateWorkflowTemplate(self, h: "_Handler", rec: Recorded) -> None:
        self._create_template(h, rec, rec.path_params["namespace"])

    def op_GetWorkflowTemplate(self, h: "_Handler", rec: Recorded) -> None:
        self._get_template(h, rec, rec.path_params["namespace"])

    def op_CreateClusterWorkflowTemplate(self, h: "_Handler", rec: Recorded) -> None:
        self._create_template(h, rec, "")

    def op_GetClusterWorkflowTemplate(self, h: "_Handler", rec: Recorded) -> None:
        self._get_template(h, rec, "")

    def op_LintWorkflow(self, h: "_Handler", rec: Recorded) -> None:
        wf = rec.body["workflow"]
        if not (wf.get("spec") or {}).get("templates"):
            return h.error(3, "spec.templates is required")
        h.send_json(wf)

    def op_GetWorkflow(self, h: "_Handler", rec: Recorded) -> None:
        wf = self._wf(h, rec)
        if wf is not None:
            h.send_json(clean_fields(wf, rec.q("fields")))

    def op_ListWorkflows(self, h: "_Handler", rec: Recorded) -> None:
        ns = rec.path_params["namespace"]
        items = [wf for (n, _), wf in sorted(self.workflows.items()) if n == ns]
        selector = rec.q("listOptions.labelSelector")
        if selector:
            pairs = [s.split("=", 1) for s in selector.split(",")]
            items = [wf for wf in items if all((wf["metadata"].get("labels") or {}).get(k) == v
                                               for k, v in pairs)]
        prefix = rec.q("nameFilter")
        if prefix:
            items = [wf for wf in items if wf["metadata"]["name"].startswith(prefix)]
        out = {"metadata": {"resourceVersion": self.next_rv()}, "items": items}
        h.send_json(clean_fields(out, rec.q("fields")))

    def op_DeleteWorkflow(self, h: "_Handler", rec: Recorded) -> None:
        if self._wf(h, rec) is not None:
            del self.workflows[(rec.path_params["namespace"], rec.path_params["name"])]
            h.send_json({})

    def _act(self, h: "_Handler", rec: Recorded, change: Callable[[Dict[str, Any]], None]
             ) -> None:
        self._check_names(rec)
        wf = self._wf(h, rec)
        if wf is None:
            return
        change(wf)
        wf["metadata"]["resourceVersion"] = self.next_rv()
        h.send_json(wf)

    @staticmethod
    def _end(wf: Dict[str, Any], strategy: str) -> None:
        st = wf.setdefault("status", {})
        if st.get("phase") in ("Succeeded", "Failed", "Error"):
            return
        st.update(phase="Failed", message=f"Stopped with strategy '{strategy}'",
                  finishedAt=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        for n in (st.get("nodes") or {}).values():
            if n.get("phase") in ("Pending", "Running"):
                n["phase"] = "Failed"
                n["message"] = "workflow shutdown with strategy: " + strategy

    def op_TerminateWorkflow(self, h: "_Handler", rec: Recorded) -> None:
        self._act(h, rec, lambda wf: self._end(wf, "Terminate"))

    def op_StopWorkflow(self, h: "_Handler", rec: Recorded) -> None:
        self._act(h, rec, lambda wf: self._end(wf, "Stop"))

    def op_SuspendWorkflow(self, h: "_Handler", rec: Recorded) -> None:
        self._act(h, rec, lambda wf: wf["spec"].__setitem__("suspend", True))

    def op_ResumeWorkflow(self, h: "_Handler", rec: Recorded) -> None:
        self._act(h, rec, lambda wf: wf["spec"].pop("suspend", None))

    def op_SetWorkflow(self, h: "_Handler", rec: Recorded) -> None:
        self._act(h, rec, lambda wf: None)

    def op_RetryWorkflow(self, h: "_Handler", rec: Recorded) -> None:
        def retry(wf: Dict[str, Any]) -> None:
            st = wf.setdefault("status", {})
            st["phase"] = "Running"
            st.pop("message", None)
            st.pop("finishedAt", None)
        self._act(h, rec, retry)

    def op_ResubmitWorkflow(self, h: "_Handler", rec: Recorded) -> None:
        self._check_names(rec)
        old = self._wf(h, rec)
        if old is None:
            return
        ns = rec.path_params["namespace"]
        meta = old["metadata"]
        suffix = self.suffixes.pop(0) if self.suffixes else uuid.uuid4().hex[:5]
        name = (meta.get("generateName") or meta["name"] + "-") + suffix
        new = {"apiVersion": old.get("apiVersion"), "kind": "Workflow",
               "metadata": {"name": name, "namespace": ns, "uid": str(uuid.uuid4()),
                            "resourceVersion": self.next_rv(),
                            "labels": {"workflows.argoproj.io/resubmitted-from-workflow":
                                       meta["name"]}},
               "spec": copy.deepcopy(old["spec"])}
        self.workflows[(ns, name)] = new
        h.send_json(new)

    def op_WatchWorkflows(self, h: "_Handler", rec: Recorded) -> None:
        ns = rec.path_params["namespace"]
        selector = rec.q("listOptions.fieldSelector") or ""
        names = [s.split("=", 1)[1] for s in selector.split(",") if s.startswith("metadata.name=")]
        fields = rec.q("fields")
        h.start_stream()
        keys = [(ns, n) for n in names] if names else [k for k in self.workflows if k[0] == ns]
        for key in keys:
            script = self.watch_scripts.pop(key, None)
            if script is None:
                wf = self.workflows.get(key)
                if wf is not None:
                    h.stream_message(clean_fields({"result": {"type": "ADDED", "object": wf}},
                                                  fields))
                continue
            for step in script:
                time.sleep(self.stream_delay)
                if step == "drop":
                    return h.drop()
                if isinstance(step, dict) and "error" in step:
                    h.stream_message(step)
                    continue
                kind, wf = step if isinstance(step, tuple) else ("MODIFIED", step)
                wf["metadata"]["resourceVersion"] = self.next_rv()
                if kind == "DELETED":
                    self.workflows.pop(key, None)
                else:
                    self.workflows[key] = wf
                h.stream_message(clean_fields({"result": {"type": kind, "object": wf}}, fields))
        if self.watch_hold:
            time.sleep(self.watch_hold)
        h.end_stream()

    def op_WorkflowLogs(self, h: "_Handler", rec: Recorded) -> None:
        if self._wf(h, rec) is None:
            return
        key = (rec.path_params["namespace"], rec.path_params["name"])
        entries = list(self.logs.get(key, []))
        pod = rec.q("podName")
        if pod:
            entries = [e for e in entries if e[0] == pod]
        grep = rec.q("grep")
        if grep:
            entries = [e for e in entries if re.search(grep, e[1])]
        tail = rec.q("logOptions.tailLines")
        if tail:
            per_pod: Dict[str, List[Tuple[str, str]]] = {}
            for e in entries:
                per_pod.setdefault(e[0], []).append(e)
            entries = [e for es in per_pod.values() for e in es[-int(tail):]]
        follow = rec.q("logOptions.follow") == "true"
        h.start_stream()
        for pod_name, content in entries:
            if follow:
                time.sleep(self.stream_delay)
            h.stream_message({"result": {"podName": pod_name, "content": content}})
        h.end_stream()

    def op_GetVersion(self, h: "_Handler", rec: Recorded) -> None:
        h.send_json({"version": "v4.1.0", "buildDate": "2025-01-01T00:00:00Z",
                     "gitCommit": "0" * 40, "gitTag": "v4.1.0", "gitTreeState": "clean",
                     "goVersion": "go1.24", "compiler": "gc", "platform": "linux/amd64"})

    # archived
    def op_ListArchivedWorkflows(self, h: "_Handler", rec: Recorded) -> None:
        items = list(self.archived.values())
        ns, prefix = rec.q("namespace"), rec.q("namePrefix")
        items = [wf for wf in items if (not ns or wf["metadata"].get("namespace") == ns)
                 and (not prefix or wf["metadata"]["name"].startswith(prefix))]
        h.send_json({"metadata": {}, "items": items})

    def op_GetArchivedWorkflow(self, h: "_Handler", rec: Recorded) -> None:
        wf = self.archived.get(rec.path_params["uid"])
        if wf is None:
            return h.error(5, "not found")
        h.send_json(wf)

    def _archived_action(self, h: "_Handler", rec: Recorded, resubmit: bool) -> None:
        wf = self.archived.get(rec.path_params["uid"])
        if wf is None:
            return h.error(5, "not found")
        if (rec.body or {}).get("uid") not in (None, rec.path_params["uid"]):
            self.violations.append(f"{rec.op_id}: body uid differs from path")
        new = copy.deepcopy(wf)
        ns = new["metadata"].get("namespace", "argo")
        if resubmit:
            suffix = self.suffixes.pop(0) if self.suffixes else uuid.uuid4().hex[:5]
            new["metadata"].update(name=(new["metadata"].get("generateName") or "wf-") + suffix,
                                   uid=str(uuid.uuid4()))
            new.pop("status", None)
        else:
            new["status"]["phase"] = "Running"
        self.workflows[(ns, new["metadata"]["name"])] = new
        h.send_json(new)

    def op_RetryArchivedWorkflow(self, h: "_Handler", rec: Recorded) -> None:
        self._archived_action(h, rec, resubmit=False)

    def op_ResubmitArchivedWorkflow(self, h: "_Handler", rec: Recorded) -> None:
        self._archived_action(h, rec, resubmit=True)

    def op_DeleteArchivedWorkflow(self, h: "_Handler", rec: Recorded) -> None:
        if self.archived.pop(rec.path_params["uid"], None) is None:
            return h.error(5, "not found")
        h.send_json({})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    ssl_context: Optional[ssl.SSLContext] = None

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that give up (timeouts, bad certificates) are part of the tests


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fake: FakeArgo

    def setup(self) -> None:
        ctx = self.server.ssl_context  # type: ignore[attr-defined]
        if ctx is not None:
            self.request = ctx.wrap_socket(self.request, server_side=True)
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.fake.handle(self, "GET")

    def do_POST(self) -> None:
        self.fake.handle(self, "POST")

    def do_PUT(self) -> None:
        self.fake.handle(self, "PUT")

    def do_DELETE(self) -> None:
        self.fake.handle(self, "DELETE")

    def do_PATCH(self) -> None:
        self.fake.handle(self, "PATCH")

    # -- answers --------------------------------------------------------------------------------
    def send_raw(self, status: int, text: str, content_type: str) -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def send_json(self, obj: Any, status: int = 200) -> None:
        self.send_raw(status, json.dumps(obj), "application/json")

    def error(self, code: int, message: str, status: Optional[int] = None) -> None:
        self.send_json({"code": code, "message": message, "details": []},
                       status or GRPC_STATUS.get(code, 500))

    def drop(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def start_stream(self) -> None:
        self.sse = self.headers.get("Accept") == "text/event-stream"
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream" if self.sse else "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        if self.sse:
            self._chunk(b":\n\n")  # Argo's keep-alive comment

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def stream_message(self, msg: Any) -> None:
        text = json.dumps(msg)
        self._chunk((f"data: {text}\n\n" if self.sse else text + "\n").encode())

    def end_stream(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


def run_to_end(wf: Dict[str, Any], outputs: Optional[Dict[str, Dict[str, str]]] = None,
               phase: str = "Succeeded") -> Dict[str, Any]:
    """Fill ``status`` as a controller would after every step ran (no loops, no conditions):
    nodes built from the spec's steps/DAG templates, leaf outputs from ``outputs[step name]``
    (values as text; declared descriptions copied from the template, as Argo does)."""
    from dflow_nb.model.names import fnv32a

    name = wf["metadata"]["name"]
    templates = {t["name"]: t for t in wf["spec"]["templates"]}
    nodes: Dict[str, Dict[str, Any]] = {}
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    outputs = outputs or {}

    def add(node_name: str, display: str, type_: str, tmpl: Optional[str], boundary: str,
            inputs: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        nid = name if node_name == name else f"{name}-{fnv32a(node_name)}"
        n = {"id": nid, "name": node_name, "displayName": display, "type": type_,
             "phase": phase, "startedAt": stamp, "finishedAt": stamp,
             "templateScope": f"local/{name}"}
        if tmpl:
            n["templateName"] = tmpl
        if boundary:
            n["boundaryID"] = boundary
        if inputs:
            n["inputs"] = inputs
        nodes[nid] = n
        return n

    def invoke(tmpl_name: str, node_name: str, display: str, boundary: str,
               args: Dict[str, Any]) -> Dict[str, Any]:
        t = templates[tmpl_name]
        given = {p["name"]: p.get("value") for p in (args.get("parameters") or [])}
        params = []
        for p in (t.get("inputs") or {}).get("parameters") or []:
            entry = {k: v for k, v in p.items() if k in ("name", "description")}
            entry["value"] = given.get(p["name"], p.get("value", p.get("default", "")))
            params.append(entry)
        inputs = {"parameters": params} if params else None
        if "steps" in t or "dag" in t:
            n = add(node_name, display, "Steps" if "steps" in t else "DAG", tmpl_name, boundary,
                    inputs)
            n["children"] = []
            if "steps" in t:
                prev = [n]  # Argo wires each group under the previous group's steps
                for i, group in enumerate(t["steps"]):
                    g = add(f"{node_name}[{i}]", f"[{i}]", "StepGroup", tmpl_name, n["id"])
                    for p in prev:
                        p.setdefault("children", []).append(g["id"])
                    prev = [invoke(s["template"], f"{node_name}[{i}].{s['name']}", s["name"],
                                   n["id"], s.get("arguments") or {}) for s in group]
                    g["children"] = [c["id"] for c in prev]
            else:
                for task in t["dag"]["tasks"]:
                    c = invoke(task["template"], f"{node_name}.{task['name']}", task["name"],
                               n["id"], task.get("arguments") or {})
                    n["children"].append(c["id"])
            return n
        n = add(node_name, display, "Pod", tmpl_name, boundary, inputs)
        mine = outputs.get(display, {})
        outs = []
        for p in (t.get("outputs") or {}).get("parameters") or []:
            if p["name"] in mine:
                outs.append(dict(p, value=mine[p["name"]]))
        n["outputs"] = {"parameters": outs, "exitCode": "0"} if outs else {"exitCode": "0"}
        return n

    invoke(wf["spec"]["entrypoint"], name, name, "", wf["spec"].get("arguments") or {})
    wf["status"] = {"phase": phase, "startedAt": stamp, "finishedAt": stamp, "nodes": nodes,
                    "progress": "1/1"}
    return wf
