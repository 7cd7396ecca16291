"""A thin typed client for the Argo Server REST API (``/api/v1``), on httpx.

Why our own: the generated ``argo-workflows`` SDK stops at Argo 3.7 and cannot read streams,
and Hera's models drop unknown keys of the manifests we build as dicts (REST.md §3). So
manifests go out as plain JSON and come back as plain dicts; only streams get small dataclasses.

What it adds over raw httpx: the bearer token (from the argument, ``config["token"]`` or
``ARGO_TOKEN``) that never shows in a repr, a log or an error; TLS verification with a CA bundle
(Argo Server's certificate is self-signed by default); retries with exponential backoff for
idempotent calls; SSE and NDJSON streams unwrapped from ``{"result": ...}``; and errors that say
what to check (``errors.py``).
"""
from __future__ import annotations

import json
import logging
import os
import ssl
import time
from dataclasses import dataclass, field
from typing import Any, Dict, Generator, Iterator, List, Mapping, Optional, Sequence, Tuple, Union
from urllib.parse import quote

import httpx

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
    ArgoTLSError,
    ArgoUnauthorized,
    Request,
)

log = logging.getLogger("dflow_nb.argo")

RETRY_STATUSES = (502, 503, 504)
_RETRY_EXCEPTIONS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.ReadTimeout,
                     httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError,
                     httpx.PoolTimeout)

Parameters = Union[Mapping[str, Any], Sequence[str], None]


class Token:
    """A bearer token that prints as ``<hidden>``; ``header()`` is the only way to read it."""

    __slots__ = ("_value",)

    def __init__(self, raw: str) -> None:
        raw = raw.strip()
        if raw.lower().startswith("bearer "):
            raw = raw[7:].strip()
        self._value = raw

    def header(self) -> str:
        return f"Bearer {self._value}"

    def __bool__(self) -> bool:
        return bool(self._value)

    def scrub(self, text: str) -> str:
        """``text`` with the token (should a server echo it) replaced by ``<hidden>``."""
        # a very short "token" would blank out ordinary words; such a token is no secret anyway
        return text.replace(self._value, "<hidden>") if len(self._value) >= 8 else text

    def __repr__(self) -> str:
        return "Token(<hidden>)"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError("an Argo token is not picklable (it would leak into saved state)")


class BearerAuth(httpx.Auth):
    """Adds the Authorization header per request, so it never sits in client defaults."""

    def __init__(self, token: Token) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._token.header()
        yield request


@dataclass
class WatchEvent:
    """One message of ``/api/v1/workflow-events``: ADDED / MODIFIED / DELETED and the workflow."""

    type: str
    workflow: Dict[str, Any] = field(repr=False)

    @property
    def name(self) -> str:
        return (self.workflow.get("metadata") or {}).get("name", "")

    @property
    def phase(self) -> str:
        return (self.workflow.get("status") or {}).get("phase") or "Pending"

    @property
    def resource_version(self) -> Optional[str]:
        return (self.workflow.get("metadata") or {}).get("resourceVersion")


@dataclass
class LogEntry:
    """One line of a workflow's logs and the pod it came from."""

    pod_name: str
    content: str


def _as_parameter_list(parameters: Parameters) -> Optional[List[str]]:
    """Argo takes ``["name=value", ...]``; a mapping is more natural in Python."""
    if parameters is None:
        return None
    if isinstance(parameters, Mapping):
        return [f"{k}={v if isinstance(v, str) else json.dumps(v)}" for k, v in parameters.items()]
    return [str(p) for p in parameters]


def _normalize_host(host: str) -> str:
    host = host.strip().rstrip("/")
    if "://" not in host:
        host = "https://" + host  # Argo Server speaks HTTPS by default
    return host


def parse_stream(lines: Iterator[str]) -> Iterator[Dict[str, Any]]:
    """Messages of an Argo stream, SSE (``data: {...}`` + blank line) or NDJSON, unwrapped.

    ``{"result": m}`` gives ``m``; ``{"error": {...}}`` raises ArgoStreamError.
    """
    data: List[str] = []

    def message(text: str) -> Optional[Dict[str, Any]]:
        text = text.strip()
        if not text:
            return None
        try:
            msg = json.loads(text)
        except ValueError:
            raise ArgoStreamError(f"the Argo Server sent a stream line that is not JSON: "
                                  f"{text[:200]!r}") from None
        if isinstance(msg, dict) and msg.get("error") is not None and "result" not in msg:
            err = msg["error"] or {}
            raise ArgoStreamError(f"the stream ended with an error from the Argo Server: "
                                  f"{err.get('message') or err}",
                                  status=err.get("http_code"), code=err.get("grpc_code"),
                                  server_message=err.get("message"))
        if isinstance(msg, dict) and "result" in msg:
            return msg["result"]
        return msg

    for line in lines:
        if line.startswith("data:"):
            data.append(line[5:].lstrip(" "))
            continue
        if line.startswith(":") or line.startswith(("event:", "id:", "retry:")):
            continue
        if not line.strip():
            if data:
                msg = message("\n".join(data))
                data = []
                if msg is not None:
                    yield msg
            continue
        msg = message(line)  # NDJSON
        if msg is not None:
            yield msg
    if data:
        msg = message("\n".join(data))
        if msg is not None:
            yield msg


def _root_cause(exc: BaseException) -> BaseException:
    seen = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        nxt = exc.__cause__ or exc.__context__
        if nxt is None:
            break
        exc = nxt
    return exc


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen = set()
    cur: Optional[BaseException] = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        yield cur
        cur = cur.__cause__ or cur.__context__


class ArgoClient:
    """Calls of the Argo Server REST API; every method takes ``namespace=`` (default: the
    client's). Workflows go in and come out as dicts, exactly as Argo's JSON."""

    def __init__(self, host: Optional[str] = None, token: Optional[str] = None,
                 namespace: Optional[str] = None, *, verify: Union[bool, str] = True,
                 ca_bundle: Optional[str] = None, timeout: float = 30.0,
                 connect_timeout: float = 10.0, retries: int = 3, backoff: float = 0.5,
                 max_backoff: float = 8.0, headers: Optional[Mapping[str, str]] = None,
                 transport: Optional[httpx.BaseTransport] = None) -> None:
        from dflow_nb.config import config
        host = host or config.get("host") or ""
        if not host:
            raise ArgoConnectionError("no Argo Server host is configured: set config['host'] "
                                      "(e.g. 'https://127.0.0.1:2746') or pass host=")
        self.host = _normalize_host(host)
        self.namespace = namespace or config.get("namespace") or "argo"
        raw = token if token is not None else config.get("token") or os.environ.get("ARGO_TOKEN")
        self._token: Optional[Token] = Token(raw) if raw and Token(raw) else None
        if isinstance(verify, str):
            ca_bundle, verify = verify, True
        self.verify = verify
        self.ca_bundle = ca_bundle
        self.timeout = timeout
        self.retries = max(0, retries)
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._http = httpx.Client(
            base_url=self.host, verify=self._ssl(), headers=dict(headers or {}),
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            auth=BearerAuth(self._token) if self._token else None, transport=transport)

    def _ssl(self) -> Union[bool, ssl.SSLContext]:
        if not self.verify:
            return False
        if self.ca_bundle:
            if not os.path.exists(self.ca_bundle):
                raise ArgoTLSError(f"the CA bundle {self.ca_bundle!r} for the Argo Server at "
                                   f"{self.host} does not exist", host=self.host)
            return ssl.create_default_context(cafile=self.ca_bundle)
        return True

    def __repr__(self) -> str:
        return (f"ArgoClient(host={self.host!r}, namespace={self.namespace!r}, "
                f"token={'<hidden>' if self._token else None}, verify={self.verify!r}"
                f"{', ca_bundle=' + repr(self.ca_bundle) if self.ca_bundle else ''})")

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError("ArgoClient is not picklable (it holds a token); make a new one")

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "ArgoClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- workflows ------------------------------------------------------------------------------
    def create(self, manifest: Mapping[str, Any], *, namespace: Optional[str] = None,
               server_dry_run: bool = False) -> Dict[str, Any]:
        """Create a workflow from a manifest dict; returns it with its name and UID."""
        ns = self._ns(namespace, manifest)
        body: Dict[str, Any] = {"namespace": ns, "workflow": dict(manifest)}
        if server_dry_run:
            body["serverDryRun"] = True
        meta = manifest.get("metadata") or {}
        what = f'workflow "{meta.get("name") or meta.get("generateName", "")}" in namespace "{ns}"'
        return self._json("POST", f"/api/v1/workflows/{_q(ns)}", body=body, what=what)

    def lint(self, manifest: Mapping[str, Any], *, namespace: Optional[str] = None
             ) -> Dict[str, Any]:
        """Server-side validation (no object is created); ArgoBadRequest says what is wrong."""
        ns = self._ns(namespace, manifest)
        return self._json("POST", f"/api/v1/workflows/{_q(ns)}/lint",
                          body={"namespace": ns, "workflow": dict(manifest)},
                          what=f'a workflow manifest for namespace "{ns}"')

    def get(self, name: str, *, namespace: Optional[str] = None, fields: Optional[str] = None,
            uid: Optional[str] = None, resource_version: Optional[str] = None) -> Dict[str, Any]:
        """One workflow; ``fields`` trims it (``"-status.nodes"``, ``"status.phase"``)."""
        ns = namespace or self.namespace
        params = _params({"fields": fields, "uid": uid,
                          "getOptions.resourceVersion": resource_version})
        return self._json("GET", f"/api/v1/workflows/{_q(ns)}/{_q(name)}", params=params,
                          what=_wf(name, ns))

    def list(self, *, namespace: Optional[str] = None, label_selector: Optional[str] = None,
             field_selector: Optional[str] = None, fields: Optional[str] = None,
             limit: Optional[int] = None, continue_token: Optional[str] = None,
             name_filter: Optional[str] = None, created_after: Optional[str] = None,
             finished_before: Optional[str] = None) -> Dict[str, Any]:
        """A WorkflowList (``items`` may be null when empty; pages via ``metadata.continue``)."""
        ns = namespace or self.namespace
        params = _params({"listOptions.labelSelector": label_selector,
                          "listOptions.fieldSelector": field_selector, "fields": fields,
                          "listOptions.limit": limit, "listOptions.continue": continue_token,
                          "nameFilter": name_filter, "createdAfter": created_after,
                          "finishedBefore": finished_before})
        return self._json("GET", f"/api/v1/workflows/{_q(ns)}", params=params,
                          what=f'workflows in namespace "{ns}"')

    def delete(self, name: str, *, namespace: Optional[str] = None, force: bool = False) -> None:
        """Delete a workflow (its pods go with it)."""
        ns = namespace or self.namespace
        self._json("DELETE", f"/api/v1/workflows/{_q(ns)}/{_q(name)}",
                   params=_params({"force": force or None}), what=_wf(name, ns))

    def retry(self, name: str, *, namespace: Optional[str] = None,
              restart_successful: bool = False, node_field_selector: Optional[str] = None,
              parameters: Parameters = None) -> Dict[str, Any]:
        """Re-run the failed nodes of a finished workflow, in the same object."""
        return self._action(name, "retry", namespace, restartSuccessful=restart_successful or None,
                            nodeFieldSelector=node_field_selector,
                            parameters=_as_parameter_list(parameters))

    def resubmit(self, name: str, *, namespace: Optional[str] = None, memoized: bool = False,
                 parameters: Parameters = None) -> Dict[str, Any]:
        """A new workflow from this one's spec (``memoized`` reuses successful steps)."""
        return self._action(name, "resubmit", namespace, memoized=memoized or None,
                            parameters=_as_parameter_list(parameters))

    def stop(self, name: str, *, namespace: Optional[str] = None,
             node_field_selector: Optional[str] = None,
             message: Optional[str] = None) -> Dict[str, Any]:
        """Stop: running steps are killed, exit handlers still run."""
        return self._action(name, "stop", namespace, nodeFieldSelector=node_field_selector,
                            message=message)

    def terminate(self, name: str, *, namespace: Optional[str] = None) -> Dict[str, Any]:
        """Terminate: running steps are killed, exit handlers do not run."""
        return self._action(name, "terminate", namespace)

    def suspend(self, name: str, *, namespace: Optional[str] = None) -> Dict[str, Any]:
        """Suspend: no new steps start until resumed."""
        return self._action(name, "suspend", namespace)

    def resume(self, name: str, *, namespace: Optional[str] = None,
               node_field_selector: Optional[str] = None) -> Dict[str, Any]:
        """Resume a suspended workflow (or, with a selector, one suspend node)."""
        return self._action(name, "resume", namespace, nodeFieldSelector=node_field_selector)

    def set(self, name: str, *, namespace: Optional[str] = None,
            node_field_selector: Optional[str] = None, phase: Optional[str] = None,
            message: Optional[str] = None,
            output_parameters: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
        """Set a suspend node's phase, message and output parameters."""
        outputs = None if output_parameters is None else json.dumps(
            {k: v if isinstance(v, str) else json.dumps(v) for k, v in output_parameters.items()})
        return self._action(name, "set", namespace, nodeFieldSelector=node_field_selector,
                            phase=phase, message=message, outputParameters=outputs)

    def watch(self, name: Optional[str] = None, *, namespace: Optional[str] = None,
              label_selector: Optional[str] = None, field_selector: Optional[str] = None,
              resource_version: Optional[str] = None, fields: Optional[str] = None,
              sse: bool = True, read_timeout: Optional[float] = None) -> Iterator[WatchEvent]:
        """Workflow events until the server ends the stream (it times watches out; reconnect
        with the last ``resource_version``). ``fields`` paths start with ``result.``."""
        ns = namespace or self.namespace
        selectors = [s for s in (f"metadata.name={name}" if name else None, field_selector) if s]
        params = _params({"listOptions.fieldSelector": ",".join(selectors) or None,
                          "listOptions.labelSelector": label_selector,
                          "listOptions.resourceVersion": resource_version, "fields": fields})
        what = _wf(name, ns) if name else f'workflows in namespace "{ns}"'
        for msg in parse_stream(self._lines(f"/api/v1/workflow-events/{_q(ns)}", params, sse,
                                            read_timeout, what)):
            obj = msg.get("object")
            if not isinstance(obj, dict):
                continue
            yield WatchEvent(type=msg.get("type") or "MODIFIED", workflow=obj)

    def logs(self, name: str, *, namespace: Optional[str] = None,
             pod_name: Optional[str] = None, container: str = "main", follow: bool = False,
             tail_lines: Optional[int] = None, since_seconds: Optional[int] = None,
             timestamps: bool = False, grep: Optional[str] = None,
             selector: Optional[str] = None, sse: bool = False,
             read_timeout: Optional[float] = None) -> Iterator[LogEntry]:
        """Log lines of a workflow's pods (one pod with ``pod_name``); ``follow`` streams until
        the pods end."""
        ns = namespace or self.namespace
        params = _params({"podName": pod_name, "logOptions.container": container,
                          "logOptions.follow": follow or None,
                          "logOptions.tailLines": tail_lines,
                          "logOptions.sinceSeconds": since_seconds,
                          "logOptions.timestamps": timestamps or None, "grep": grep,
                          "selector": selector})
        for msg in parse_stream(self._lines(f"/api/v1/workflows/{_q(ns)}/{_q(name)}/log", params,
                                            sse, read_timeout if follow else
                                            (read_timeout or self.timeout), _wf(name, ns))):
            if isinstance(msg, dict) and "content" in msg:
                yield LogEntry(pod_name=msg.get("podName", ""), content=msg.get("content", ""))

    def version(self) -> Dict[str, Any]:
        """The server's version (a cheap way to check host, TLS and token)."""
        return self._json("GET", "/api/v1/version", what="the server version")

    # -- archived workflows ---------------------------------------------------------------------
    def archived_list(self, *, namespace: Optional[str] = None,
                      name_prefix: Optional[str] = None, label_selector: Optional[str] = None,
                      limit: Optional[int] = None,
                      continue_token: Optional[str] = None) -> Dict[str, Any]:
        """Workflows in the archive (a WorkflowList); ``namespace`` is a filter here."""
        ns = namespace or self.namespace
        params = _params({"namespace": ns, "namePrefix": name_prefix,
                          "listOptions.labelSelector": label_selector,
                          "listOptions.limit": limit, "listOptions.continue": continue_token})
        return self._json("GET", "/api/v1/archived-workflows", params=params,
                          what=f'archived workflows in namespace "{ns}"')

    def archived_get(self, uid: str) -> Dict[str, Any]:
        return self._json("GET", f"/api/v1/archived-workflows/{_q(uid)}",
                          what=f'archived workflow with UID "{uid}"')

    def archived_delete(self, uid: str) -> None:
        self._json("DELETE", f"/api/v1/archived-workflows/{_q(uid)}",
                   what=f'archived workflow with UID "{uid}"')

    def archived_retry(self, uid: str, *, name: str, namespace: Optional[str] = None,
                       restart_successful: bool = False,
                       node_field_selector: Optional[str] = None,
                       parameters: Parameters = None) -> Dict[str, Any]:
        ns = namespace or self.namespace
        body = _body(uid=uid, name=name, namespace=ns,
                     restartSuccessful=restart_successful or None,
                     nodeFieldSelector=node_field_selector,
                     parameters=_as_parameter_list(parameters))
        return self._json("PUT", f"/api/v1/archived-workflows/{_q(uid)}/retry", body=body,
                          what=f'archived workflow with UID "{uid}"')

    def archived_resubmit(self, uid: str, *, name: str, namespace: Optional[str] = None,
                          memoized: bool = False, parameters: Parameters = None) -> Dict[str, Any]:
        ns = namespace or self.namespace
        body = _body(uid=uid, name=name, namespace=ns, memoized=memoized or None,
                     parameters=_as_parameter_list(parameters))
        return self._json("PUT", f"/api/v1/archived-workflows/{_q(uid)}/resubmit", body=body,
                          what=f'archived workflow with UID "{uid}"')

    # -- WorkflowTemplates and ClusterWorkflowTemplates -----------------------------------------
    def get_workflow_template(self, name: str, *, cluster: bool = False,
                              namespace: Optional[str] = None) -> Dict[str, Any]:
        """One WorkflowTemplate (``cluster``: ClusterWorkflowTemplate); ArgoNotFound if absent."""
        path, where = self._templates_route(cluster, namespace)
        return self._json("GET", f"{path}/{_q(name)}", what=f'{where[0]} "{name}"{where[1]}')

    def create_workflow_template(self, manifest: Mapping[str, Any], *,
                                 namespace: Optional[str] = None) -> Dict[str, Any]:
        """Create the WorkflowTemplate or ClusterWorkflowTemplate ``manifest`` (its kind)."""
        cluster = manifest.get("kind") == "ClusterWorkflowTemplate"
        ns = self._ns(namespace, manifest)
        path, where = self._templates_route(cluster, ns)
        body: Dict[str, Any] = {"template": dict(manifest)} if cluster else \
            {"namespace": ns, "template": dict(manifest)}
        name = (manifest.get("metadata") or {}).get("name", "")
        return self._json("POST", path, body=body, what=f'{where[0]} "{name}"{where[1]}')

    def _templates_route(self, cluster: bool, namespace: Optional[str]
                         ) -> Tuple[str, Tuple[str, str]]:
        """Where (Cluster)WorkflowTemplates live, and how messages name one (kind, place)."""
        if cluster:
            return "/api/v1/cluster-workflow-templates", ("ClusterWorkflowTemplate", "")
        ns = namespace or self.namespace
        return (f"/api/v1/workflow-templates/{_q(ns)}",
                ("WorkflowTemplate", f' in namespace "{ns}"'))

    # -- plumbing -------------------------------------------------------------------------------
    def _ns(self, namespace: Optional[str], manifest: Mapping[str, Any]) -> str:
        return namespace or (manifest.get("metadata") or {}).get("namespace") or self.namespace

    def _action(self, name: str, verb: str, namespace: Optional[str], **fields: Any
                ) -> Dict[str, Any]:
        ns = namespace or self.namespace
        return self._json("PUT", f"/api/v1/workflows/{_q(ns)}/{_q(name)}/{verb}",
                          body=_body(name=name, namespace=ns, **fields), what=_wf(name, ns))

    def _json(self, method: str, path: str, *, params: Optional[Dict[str, str]] = None,
              body: Optional[Dict[str, Any]] = None, what: str = "") -> Dict[str, Any]:
        resp = self._send(method, path, params=params, body=body, what=what)
        if not resp.content:
            return {}
        try:
            return resp.json()
        except ValueError:
            raise ArgoError(f"the server at {self.host} answered {method} {path} with something "
                            f"that is not JSON (is this an Argo Server?): "
                            f"{self._scrub(resp.text[:200])!r}", host=self.host, method=method,
                            path=path, status=resp.status_code) from None

    def _send(self, method: str, path: str, *, params: Optional[Dict[str, str]] = None,
              body: Optional[Dict[str, Any]] = None, what: str = "") -> httpx.Response:
        """One call; GET and DELETE are retried with backoff on connection errors and 502/503/504
        (repeating them is harmless), other methods are sent once."""
        idempotent = method in ("GET", "DELETE", "HEAD")
        attempts = self.retries + 1 if idempotent else 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                resp = self._http.request(method, path, params=params, json=body)
            except httpx.HTTPError as exc:
                if last or not isinstance(exc, _RETRY_EXCEPTIONS) or self._is_tls(exc):
                    raise self._transport_error(exc, method, path, attempt + 1) from None
                self._sleep(attempt, method, path, type(exc).__name__)
                continue
            log.debug("%s %s -> %s", method, path, resp.status_code)
            if resp.status_code < 400:
                return resp
            if resp.status_code in RETRY_STATUSES and not last:
                self._sleep(attempt, method, path, str(resp.status_code))
                continue
            raise self._status_error(resp, method, path, what, attempt + 1)
        raise AssertionError("unreachable")  # pragma: no cover

    def _lines(self, path: str, params: Dict[str, str], sse: bool,
               read_timeout: Optional[float], what: str) -> Iterator[str]:
        """Lines of a streamed GET; connecting is retried like any GET, a stream that breaks
        after data arrived raises ArgoConnectionError (the caller decides to reconnect)."""
        headers = {"Accept": "text/event-stream" if sse else "application/json"}
        timeout = httpx.Timeout(self.timeout, connect=self._http.timeout.connect,
                                read=read_timeout)
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            started = False
            try:
                with self._http.stream("GET", path, params=params, headers=headers,
                                       timeout=timeout) as resp:
                    log.debug("GET %s -> %s (stream)", path, resp.status_code)
                    if resp.status_code >= 400:
                        resp.read()
                        if resp.status_code in RETRY_STATUSES and not last:
                            self._sleep(attempt, "GET", path, str(resp.status_code))
                            continue
                        raise self._status_error(resp, "GET", path, what, attempt + 1)
                    for line in resp.iter_lines():
                        started = True
                        yield line
                    return
            except httpx.HTTPError as exc:
                if started or last or not isinstance(exc, _RETRY_EXCEPTIONS) or self._is_tls(exc):
                    raise self._transport_error(exc, "GET", path, attempt + 1,
                                                mid_stream=started) from None
                self._sleep(attempt, "GET", path, type(exc).__name__)

    def _sleep(self, attempt: int, method: str, path: str, why: str) -> None:
        delay = min(self.max_backoff, self.backoff * (2 ** attempt))
        log.info("%s %s failed (%s); retrying in %.2fs", method, path, why, delay)
        time.sleep(delay)

    def _scrub(self, text: str) -> str:
        return self._token.scrub(text) if self._token else text

    @staticmethod
    def _is_tls(exc: BaseException) -> bool:
        return any(isinstance(e, ssl.SSLError) for e in _chain(exc)) or \
            "CERTIFICATE_VERIFY_FAILED" in str(exc) or "SSL" in type(exc).__name__

    def _transport_error(self, exc: httpx.HTTPError, method: str, path: str, attempts: int,
                         mid_stream: bool = False) -> ArgoError:
        where: Request = {"host": self.host, "method": method, "path": path}
        tried = f" (tried {attempts} times)" if attempts > 1 else ""
        reason = self._scrub(str(_root_cause(exc)) or type(exc).__name__)
        if self._is_tls(exc):
            if "WRONG_VERSION_NUMBER" in reason or "wrong version number" in reason:
                return ArgoTLSError(
                    f"the server at {self.host} does not speak HTTPS ({reason}); if it serves "
                    "plain HTTP (argo server --secure=false), use an http:// host", **where)
            return ArgoTLSError(
                f"cannot verify the TLS certificate of the Argo Server at {self.host}: {reason}. "
                "Argo Server uses a self-signed certificate unless configured otherwise: give the "
                "CA bundle that signed it (ca_bundle=..., config['argo_ca']) or, on a trusted "
                "network only, turn verification off (verify=False, config['argo_verify'] = "
                "False)", **where)
        if isinstance(exc, httpx.TimeoutException):
            kind = "connect to" if isinstance(exc, httpx.ConnectTimeout) else "answer"
            return ArgoTimeout(
                f"the Argo Server at {self.host} did not {kind} {method} {path} in time"
                f"{tried}; check the host and the network, or raise the client's timeout",
                **where)
        if mid_stream:
            return ArgoConnectionError(
                f"the stream {path} from the Argo Server at {self.host} broke: {reason}; "
                "reconnect to go on", **where)
        if isinstance(exc, httpx.ConnectError):
            return ArgoConnectionError(
                f"cannot connect to the Argo Server at {self.host}{tried}: {reason}. Check "
                "that the host and port are right (Argo Server listens on 2746), that it is "
                "running and reachable (e.g. kubectl -n argo port-forward svc/argo-server "
                "2746:2746), and whether it serves https or http", **where)
        applied = "" if method in ("GET", "DELETE") else \
            " The request may or may not have been applied: check before sending it again."
        return ArgoConnectionError(
            f"the connection to the Argo Server at {self.host} failed during {method} {path}"
            f"{tried}: {reason}.{applied}", **where)

    def _status_error(self, resp: httpx.Response, method: str, path: str, what: str,
                      attempts: int) -> ArgoError:
        status = resp.status_code
        server_message: Optional[str] = None
        code: Optional[int] = None
        argo_shaped = False
        try:
            body = resp.json()
            if isinstance(body, dict):
                server_message = body.get("message") or body.get("error")
                code = body.get("code")
                argo_shaped = "code" in body or "message" in body
        except ValueError:
            body = None
        if server_message is None:
            server_message = resp.text[:300].strip() or resp.reason_phrase
        server_message = self._scrub(str(server_message))
        said = f" The server said: {server_message}" if server_message else ""
        kw: Request = {"host": self.host, "method": method, "path": path, "status": status,
                       "code": code, "server_message": server_message}
        subject = what or path
        if status == 401:
            hint = ("no token was sent: set config['token'] or the ARGO_TOKEN environment "
                    "variable (\"Bearer <token>\" or just the token)" if not self._token else
                    "the token was refused: it may be expired, revoked or for another cluster; "
                    "get a fresh one (argo auth token, or kubectl create token <service-account>)")
            return ArgoUnauthorized(f"the Argo Server at {self.host} refused {method} {path} "
                                    f"(401 Unauthorized): {hint}.{said}", **kw)
        if status == 403:
            return ArgoForbidden(
                f"the token is valid but not allowed to {method} {subject} on {self.host} "
                "(403 Forbidden): check the Role/RoleBinding of its service account (RBAC) for "
                f"workflows.argoproj.io in that namespace.{said}", **kw)
        if status == 404:
            hint = "" if argo_shaped else \
                " (the answer was not Argo's error format: is the host an Argo Server?)"
            return ArgoNotFound(f"no such {subject} on {self.host}{hint}.{said}", **kw)
        if status == 409:
            return ArgoConflict(f"{subject} already exists (or was changed meanwhile) on "
                                f"{self.host} (409 Conflict): choose another name, or use "
                                f"metadata.generateName.{said}", **kw)
        if status == 400:
            return ArgoBadRequest(f"the Argo Server at {self.host} refused {method} {path} for "
                                  f"{subject} as invalid (400).{said}", **kw)
        if status >= 500:
            tried = f" after {attempts} attempts" if attempts > 1 else ""
            return ArgoServerError(f"the Argo Server at {self.host} failed on {method} {path} "
                                   f"({status} {resp.reason_phrase}){tried}; this is a server "
                                   f"or proxy problem, try again later.{said}", **kw)
        return ArgoError(f"the Argo Server at {self.host} answered {method} {path} with "
                         f"{status} {resp.reason_phrase}.{said}", **kw)


def _q(segment: str) -> str:
    return quote(str(segment), safe="")


def _wf(name: Optional[str], ns: str) -> str:
    return f'workflow "{name}" in namespace "{ns}"'


def _params(values: Mapping[str, Any]) -> Dict[str, str]:
    """Query parameters without the unset ones; booleans as Argo reads them."""
    out: Dict[str, str] = {}
    for k, v in values.items():
        if v is None:
            continue
        out[k] = ("true" if v else "false") if isinstance(v, bool) else str(v)
    return out


def _body(**fields: Any) -> Dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}
