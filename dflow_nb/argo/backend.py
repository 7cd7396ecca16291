"""Argo Workflows behind the Backend protocol: ``Workflow`` runs on a cluster unchanged.

Submit compiles the model (``compile.compile_workflow``) and creates it through the REST client;
queries read the Workflow object and map ``status.nodes`` into the same StepRecords the local
engine writes (``status.py``), so every face works on both. Actions (retry, resubmit, stop,
suspend, resume, terminate, delete) and logs go straight to the matching Argo Server calls.
"""
from __future__ import annotations

import os
import ssl
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import httpx

from dflow_nb.argo._extra import WORKFLOW_TEMPLATES, kept
from dflow_nb.argo.client import ArgoClient, BearerAuth, LogEntry, Parameters, Token
from dflow_nb.argo.compile import compile_workflow, uploads_of
from dflow_nb.argo.errors import (
    ArgoConnectionError,
    ArgoNotFound,
    ArgoServerError,
    ArgoStreamError,
    ArgoTimeout,
    ArgoTLSError,
)
from dflow_nb.argo.memoize import reuse_cache_configmap
from dflow_nb.argo.status import fingerprint, pod_name, step_records, workflow_record
from dflow_nb.errors import DflowNbError, StepNotFound, ValidationError, WorkflowNotFound
from dflow_nb.hub.records import StepRecord, WorkflowRecord
from dflow_nb.hub.workflow import Workflow
from dflow_nb.hub.workflow_templates import KINDS, available, referenced

DONE_PHASES = ("Succeeded", "Failed", "Error")
# What a summary needs: everything but the (possibly huge) node map and the spec.
SUMMARY_FIELDS = ("-status.nodes,status.storedTemplates,status.storedWorkflowTemplateSpec,"
                  "spec.templates")
NODES_FIELDS = "metadata.name,metadata.namespace,metadata.annotations,status.nodes"
LIST_FIELDS = ("metadata,items.metadata.name,items.metadata.generateName,items.metadata.uid,"
               "items.metadata.creationTimestamp,items.metadata.labels,items.status.phase,"
               "items.status.message,"
               "items.status.startedAt,items.status.finishedAt")
WATCH_FIELDS = ("result.type,result.object.metadata.name,result.object.metadata.resourceVersion,"
                "result.object.status.phase")


class KubernetesError(DflowNbError):
    """A Kubernetes API call failed (said with the host, the object and what to check)."""

    def __init__(self, message: str, status: Optional[int] = None) -> None:
        super().__init__(message)
        self.status = status


class KubernetesClient:
    """The few typed Kubernetes API calls the Argo backend needs (Argo's server cannot write
    ConfigMaps): create or replace a ConfigMap, with a bearer token that is never printed."""

    def __init__(self, host: str, token: Optional[str] = None, *,
                 verify: Union[bool, str] = True, timeout: float = 30.0,
                 transport: Optional[httpx.BaseTransport] = None) -> None:
        self.host = host.rstrip("/")
        if "://" not in self.host:
            self.host = "https://" + self.host
        self._token = Token(token) if token and Token(token) else None
        tls: Union[bool, ssl.SSLContext] = bool(verify)
        if isinstance(verify, str):
            if not os.path.exists(verify):
                raise KubernetesError(f"the CA bundle {verify!r} for the Kubernetes API at "
                                      f"{self.host} does not exist")
            tls = ssl.create_default_context(cafile=verify)
        self._http = httpx.Client(base_url=self.host, verify=tls, timeout=timeout,
                                  auth=BearerAuth(self._token) if self._token else None,
                                  transport=transport,
                                  headers={"Accept": "application/json"})

    @classmethod
    def from_config(cls) -> "KubernetesClient":
        """From ``config["k8s_api_server"]`` and the token (``k8s_token``, else Argo's ``token``),
        TLS as ``k8s_verify``/``k8s_ca`` (else Argo's ``argo_verify``/``argo_ca``)."""
        from dflow_nb.config import config
        host = config.get("k8s_api_server")
        if not host:
            raise ValidationError(
                "submit(reuse_step=...) on Argo", "needs the Kubernetes API to write the "
                "memoization cache that makes Argo reuse the steps, and none is configured",
                expected='config["k8s_api_server"] = "https://<api server>:6443" and a token '
                "allowed to create and update ConfigMaps in the namespace", given=None)
        token = config.get("k8s_token") or config.get("token") or os.environ.get("ARGO_TOKEN")
        verify = config.get("k8s_verify", config.get("argo_verify", True))
        ca = config.get("k8s_ca") or config.get("argo_ca")
        return cls(str(host), token, verify=ca if verify and ca else bool(verify))

    def __repr__(self) -> str:
        return f"KubernetesClient(host={self.host!r}, token={'<hidden>' if self._token else None})"

    def __reduce__(self) -> Any:
        raise TypeError("KubernetesClient is not picklable (it holds a token)")

    def close(self) -> None:
        self._http.close()

    def apply_configmap(self, configmap: Dict[str, Any]) -> Dict[str, Any]:
        """Create the ConfigMap, or replace it (data and labels) when it already exists."""
        meta = configmap.get("metadata") or {}
        ns, name = meta.get("namespace"), meta.get("name")
        if not ns or not name:
            raise ValueError("a ConfigMap to apply needs metadata.name and metadata.namespace")
        base = f"/api/v1/namespaces/{ns}/configmaps"
        resp = self._call("POST", base, configmap)
        if resp.status_code == 409:
            resp = self._call("PUT", f"{base}/{name}", configmap)
        if resp.status_code >= 400:
            raise self._error(resp, f"ConfigMap {ns}/{name}")
        return resp.json()

    def _call(self, method: str, path: str, body: Dict[str, Any]) -> httpx.Response:
        try:
            return self._http.request(method, path, json=body)
        except httpx.HTTPError as exc:
            reason = str(exc) or type(exc).__name__
            if self._token:
                reason = self._token.scrub(reason)
            raise KubernetesError(f"cannot reach the Kubernetes API at {self.host} ({method} "
                                  f"{path}): {reason}; check config['k8s_api_server']") from None

    def _error(self, resp: httpx.Response, what: str) -> KubernetesError:
        try:
            message = str(resp.json().get("message") or "")
        except ValueError:
            message = resp.text[:200]
        if self._token:
            message = self._token.scrub(message)
        hint = {401: "the token was rejected (config['k8s_token'] or config['token'])",
                403: "the token may not write ConfigMaps in this namespace (RBAC)",
                404: "no such namespace"}.get(resp.status_code, "the API server refused it")
        return KubernetesError(f"Kubernetes API at {self.host}: {resp.request.method} {what} "
                               f"failed with {resp.status_code}: {hint}; {message}",
                               status=resp.status_code)


class ArgoBackend:
    """Runs workflows on an Argo Server; reads them back as records."""

    kind = "argo"

    def __init__(self, host: Optional[str] = None, token: Optional[str] = None,
                 namespace: Optional[str] = None, *, client: Optional[ArgoClient] = None,
                 poll_interval: float = 1.0, storage: Any = None,
                 kubernetes: Optional[KubernetesClient] = None,
                 **client_options: Any) -> None:
        if client is None:
            from dflow_nb.config import config
            client_options.setdefault("verify", config.get("argo_verify", True))
            client_options.setdefault("ca_bundle", config.get("argo_ca"))
            client = ArgoClient(host, token, namespace, **client_options)
        self.client = client
        self.namespace = client.namespace
        self.poll_interval = poll_interval
        self.storage = storage
        self.kubernetes = kubernetes
        self.uids: Dict[str, str] = {}
        self._lock = threading.Lock()
        self._seen: Dict[str, Dict[str, Tuple[str, int]]] = {}
        self._counter: Dict[str, int] = {}

    def __repr__(self) -> str:
        return f"ArgoBackend({self.client!r})"

    def __reduce__(self) -> Any:
        raise TypeError("ArgoBackend is not picklable (it holds a token)")

    # -- submitting -----------------------------------------------------------------------------
    def compile(self, workflow: Workflow, reuse: Optional[Dict[str, StepRecord]] = None
                ) -> Dict[str, Any]:
        """The Argo manifest of a workflow model (the compiler's, with reused steps if any)."""
        if reuse:
            return compile_workflow(workflow, reuse_step=list(reuse.values()))
        return compile_workflow(workflow)

    def warm_up(self, workflow: Workflow) -> None:
        """Nothing to start ahead: the cluster runs the steps."""

    def submit(self, workflow: Workflow, reuse: Dict[str, StepRecord], detach: bool = False
               ) -> str:
        """Compile and create; an Argo run always goes on without this process (``detach``
        changes nothing)."""
        namespace = getattr(workflow, "namespace", None)
        loaded = {tuple(k.split("/", 1)): m for k, m in kept(workflow, WORKFLOW_TEMPLATES).items()}
        if not reuse:
            manifest = self.compile(workflow)
            self.ensure_workflow_templates(manifest, loaded, namespace)
            return self.submit_manifest(manifest, namespace=namespace)
        kube = self.kubernetes or KubernetesClient.from_config()
        manifest = self.compile(workflow, reuse)
        self.ensure_workflow_templates(manifest, loaded, namespace)
        self.write_reuse_cache(workflow.name, list(reuse.values()), namespace, kube)
        return self.submit_manifest(manifest, namespace=namespace)

    def ensure_workflow_templates(self, manifest: Dict[str, Any],
                                  loaded: Optional[Dict[Any, Dict[str, Any]]] = None,
                                  namespace: Optional[str] = None) -> List[str]:
        """Make sure the server has every WorkflowTemplate the manifest calls (and those they
        call): one it lacks is created from the one the workflow was loaded with, or else the
        registered one; neither is an error naming it. Returns the names created."""
        known = available()
        known.update(loaded or {})
        todo, seen, created = referenced(manifest), set(), []
        while todo:
            kind, name = todo.pop(0)
            if (kind, name) in seen:
                continue
            seen.add((kind, name))
            cluster = kind == KINDS[1]
            try:
                on_server = self.client.get_workflow_template(name, cluster=cluster,
                                                              namespace=namespace)
            except ArgoNotFound:
                local = known.get((kind, name))
                if local is None:
                    raise ValidationError(f"{kind} {name!r}", "the workflow calls it, but it is "
                                          "neither on the Argo server nor registered here",
                                          expected="dflow_nb.register_workflow_template(manifest)"
                                          " or config['workflow_templates_dir']",
                                          given=name) from None
                on_server = self.client.create_workflow_template(local, namespace=namespace)
                created.append(name)
            todo.extend(referenced(on_server))
        return created

    def write_reuse_cache(self, workflow_name: str, records: List[StepRecord],
                          namespace: Optional[str] = None,
                          kube: Optional[KubernetesClient] = None) -> Dict[str, Any]:
        """Create or replace the memoization cache ConfigMap of ``workflow_name`` holding
        exactly ``records`` (by key), so the controller finds them as cache hits."""
        kube = kube or self.kubernetes or KubernetesClient.from_config()
        cm = reuse_cache_configmap(workflow_name, records, namespace=namespace or self.namespace)
        return kube.apply_configmap(cm)

    def upload_pending(self, manifest: Dict[str, Any]) -> List[str]:
        """Upload what the compiler listed in the uploads annotation (``{key: [local paths]}``)
        as one tar.gz per key, before the workflow that downloads it exists. Package keys
        (``.../packages/...``) are wrapped in one top directory: Argo renames a single top
        entry to the artifact path, and the script puts the packages *inside* it on sys.path."""
        uploads = uploads_of(manifest)
        if not uploads:
            return []
        from dflow_nb.storage import client_from_config, pack_tgz
        storage = self.storage if self.storage is not None else client_from_config()
        with tempfile.TemporaryDirectory(prefix="dflow-nb-upload-") as tmp:
            for i, (key, paths) in enumerate(sorted(uploads.items())):
                for p in paths:
                    if not Path(p).exists():
                        raise FileNotFoundError(f"cannot upload {p!r} for the workflow (S3 key "
                                                f"{key!r}): it does not exist any more")
                packages = "/packages/" in f"/{key}"
                top = "dflow_python_packages/" if packages else ""
                entries = [e for p in paths for e in _entries(Path(p), top + Path(p).name,
                                                              skip_caches=packages)]
                tgz = pack_tgz(entries, Path(tmp) / f"upload-{i}.tgz")
                storage.upload(key, str(tgz))
        return sorted(uploads)

    def submit_manifest(self, manifest: Dict[str, Any], namespace: Optional[str] = None) -> str:
        """Create a workflow from a manifest dict; returns its name (the run's id)."""
        self.upload_pending(manifest)
        created = self.client.create(manifest, namespace=namespace)
        meta = created.get("metadata") or {}
        wf_id, uid = meta.get("name", ""), meta.get("uid", "")
        self.uids[wf_id] = uid
        print("Workflow has been submitted (ID: %s, UID: %s)" % (wf_id, uid))
        ns = meta.get("namespace") or namespace or self.namespace
        print(f"Workflow link: {self.client.host}/workflows/{ns}/{wf_id}")
        return wf_id

    # -- waiting --------------------------------------------------------------------------------
    def wait(self, wf_id: str, timeout: Optional[float] = None) -> str:
        """Block until the run ends: watch the workflow's events, re-reading it whenever the
        stream ends or breaks (Argo times watches out)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            head = self.client.get(wf_id, fields="metadata.resourceVersion,status.phase")
            phase = (head.get("status") or {}).get("phase") or "Pending"
            if phase in DONE_PHASES:
                return phase
            remaining = self._remaining(deadline, wf_id, phase, timeout)
            version = (head.get("metadata") or {}).get("resourceVersion")
            seen_any = False
            try:
                for event in self.client.watch(wf_id, resource_version=version,
                                               fields=WATCH_FIELDS,
                                               read_timeout=min(remaining, 60.0)):
                    seen_any = True
                    if event.type == "DELETED":
                        raise WorkflowNotFound(f"workflow {wf_id!r} was deleted while waiting")
                    if event.phase in DONE_PHASES:
                        return event.phase
                    self._remaining(deadline, wf_id, event.phase, timeout)
            except ArgoTLSError:
                raise
            except (ArgoTimeout, ArgoConnectionError, ArgoStreamError, ArgoServerError):
                seen_any = False
            if not seen_any:
                self._remaining(deadline, wf_id, phase, timeout)
                time.sleep(min(self.poll_interval, max(0.0, self._left(deadline))))

    @staticmethod
    def _left(deadline: Optional[float]) -> float:
        return float("inf") if deadline is None else deadline - time.monotonic()

    def _remaining(self, deadline: Optional[float], wf_id: str, phase: str,
                   timeout: Optional[float]) -> float:
        left = self._left(deadline)
        if left <= 0:
            raise TimeoutError(f"workflow {wf_id} still {phase} after {timeout}s")
        return left

    # -- reading --------------------------------------------------------------------------------
    def get(self, wf_id: str, fields: Optional[str] = None) -> Dict[str, Any]:
        """The Workflow object as Argo returns it (for faces that want the raw manifest)."""
        return self.client.get(wf_id, fields=fields)

    def workflow(self, wf_id: str) -> WorkflowRecord:
        return workflow_record(self.client.get(wf_id, fields=SUMMARY_FIELDS))

    def nodes(self, wf_id: str, key: Optional[str] = None, since_seq: Optional[int] = None, *,
              keys: Optional[Sequence[str]] = None, names: Optional[Sequence[str]] = None,
              phases: Optional[Sequence[str]] = None,
              ids: Optional[Sequence[str]] = None) -> List[StepRecord]:
        """The run's nodes; ``seq`` numbers changes as this backend observed them, so
        ``since_seq`` returns what changed since an earlier call. Argo sends every node in one
        answer, so ``keys``, ``names``, ``phases`` and ``ids`` narrow nothing here."""
        wf = self.client.get(wf_id, fields=NODES_FIELDS)
        raw = (wf.get("status") or {}).get("nodes") or {}
        records = step_records(wf)
        with self._lock:
            seen = self._seen.setdefault(wf_id, {})
            counter = self._counter.get(wf_id, 0)
            for r in records:
                fp = fingerprint(raw.get(r.id) or {})
                old = seen.get(r.id)
                if old is None or old[0] != fp:
                    counter += 1
                    seen[r.id] = (fp, counter)
                r.seq = seen[r.id][1]
            self._counter[wf_id] = counter
        records.sort(key=lambda r: r.seq)
        return [r for r in records
                if (key is None or r.key == key) and (since_seq is None or r.seq > since_seq)]

    def list(self) -> List[WorkflowRecord]:
        items = self.client.list(fields=LIST_FIELDS).get("items") or []
        records = [workflow_record(wf) for wf in items]
        records.sort(key=lambda r: r.createdAt or 0.0, reverse=True)
        return records

    def archived(self, label_selector: Optional[str] = None) -> List[WorkflowRecord]:
        """The namespace's workflow archive (``/api/v1/archived-workflows``)."""
        items = self.client.archived_list(label_selector=label_selector).get("items") or []
        return [workflow_record(wf) for wf in items]

    def spec(self, wf_id: str) -> Workflow:
        """The Workflow model of a run, loaded back from its manifest."""
        from dflow_nb.argo.load import load_workflow
        wf = self.client.get(wf_id, fields="apiVersion,kind,metadata,spec")
        return load_workflow({"apiVersion": wf.get("apiVersion", "argoproj.io/v1alpha1"),
                              "kind": wf.get("kind", "Workflow"),
                              "metadata": _authored(wf.get("metadata") or {}),
                              "spec": wf.get("spec") or {}})

    # -- acting ---------------------------------------------------------------------------------
    def terminate(self, wf_id: str) -> None:
        self.client.terminate(wf_id)

    def request(self, wf_id: str, action: str) -> None:
        """``stop`` (exit handlers run), ``suspend``, ``resume`` or ``terminate``."""
        calls = {"stop": self.client.stop, "suspend": self.client.suspend,
                 "resume": self.client.resume, "terminate": self.client.terminate}
        if action not in calls:
            raise ValueError(f"unknown action {action!r}; expected one of {sorted(calls)}")
        calls[action](wf_id)

    def resume(self, wf_id: str, workflow: Optional[Workflow] = None,
               detach: Optional[bool] = None) -> None:
        """Go on: a suspended run is resumed; a Failed/Error run re-runs what did not succeed
        in place (Argo's retry: same id, succeeded steps kept). On Argo the run's own spec is
        used; a changed ``workflow`` model is not applied (resubmit for that)."""
        rec = self.workflow(wf_id)
        if rec.phase in ("Failed", "Error"):
            self.client.retry(wf_id)
        elif rec.phase in ("Pending", "Running") and rec.message == "suspended":
            self.client.resume(wf_id)

    def stop(self, wf_id: str, message: Optional[str] = None) -> None:
        self.client.stop(wf_id, message=message)

    def suspend(self, wf_id: str) -> None:
        self.client.suspend(wf_id)

    def resume_node(self, wf_id: str, node_field_selector: str) -> None:
        """Resume one suspend node (``displayName=approve``)."""
        self.client.resume(wf_id, node_field_selector=node_field_selector)

    def retry(self, wf_id: str, step_id: Optional[str] = None, restart_successful: bool = False,
              parameters: Parameters = None) -> None:
        """Re-run the failed steps (``step_id``: re-run from that node, as ``argo retry
        --node-field-selector id=...``)."""
        self.client.retry(wf_id, restart_successful=restart_successful or step_id is not None,
                          node_field_selector=f"id={step_id}" if step_id else None,
                          parameters=parameters)

    def resubmit(self, wf_id: str, memoized: bool = False, parameters: Parameters = None) -> str:
        """A new run from this one's spec; returns the new run's id."""
        created = self.client.resubmit(wf_id, memoized=memoized, parameters=parameters)
        meta = created.get("metadata") or {}
        self.uids[meta.get("name", "")] = meta.get("uid", "")
        print("Workflow has been submitted (ID: %s, UID: %s)" % (meta.get("name"), meta.get("uid")))
        return meta.get("name", "")

    def delete(self, wf_id: str) -> None:
        self.client.delete(wf_id)

    # -- logs -----------------------------------------------------------------------------------
    def _pods(self, wf_id: str, step_id: Optional[str]) -> Tuple[Optional[List[str]],
                                                                  Dict[str, str]]:
        """Pods to read (None = all of the workflow) and a pod -> display name map."""
        wf = self.client.get(wf_id, fields=NODES_FIELDS)
        nodes = (wf.get("status") or {}).get("nodes") or {}
        labels = {pod_name(wf, n): n.get("displayName") or n.get("name", "")
                  for n in nodes.values() if n.get("type") == "Pod"}
        if step_id is None:
            return None, labels
        start = nodes.get(step_id) or next(
            (n for n in nodes.values() if step_id in (n.get("name"), n.get("displayName"))), None)
        if start is None:
            raise StepNotFound(f"workflow {wf_id} has no step {step_id!r}")
        pods, todo, seen = [], [start], set()
        while todo:
            n = todo.pop(0)
            if n.get("id") in seen:
                continue
            seen.add(n.get("id"))
            if n.get("type") == "Pod":
                pods.append(pod_name(wf, n))
            elif n.get("type") in ("Steps", "DAG", "StepGroup", "TaskGroup", "Retry"):
                todo.extend(c for c in nodes.values()
                            if c.get("boundaryID") == n.get("id") or c.get("id") in
                            (n.get("children") or []) and n.get("type") in
                            ("Retry", "StepGroup", "TaskGroup"))
        return pods, labels

    def logs(self, wf_id: str, step_id: Optional[str] = None, *, tail: Optional[int] = None,
             grep: Optional[str] = None, container: str = "main") -> str:
        """The logs of one step (its pods), or of the whole run with each line prefixed by the
        step's display name."""
        pods, labels = self._pods(wf_id, step_id)
        lines: List[str] = []
        for pod in (pods if pods is not None else [None]):
            for entry in self.client.logs(wf_id, pod_name=pod, container=container,
                                          tail_lines=tail, grep=grep):
                lines.append(entry.content if pods is not None and len(pods) == 1 else
                             f"{labels.get(entry.pod_name, entry.pod_name)}: {entry.content}")
        return "\n".join(lines)

    def follow_logs(self, wf_id: str, step_id: Optional[str] = None, *,
                    grep: Optional[str] = None, container: str = "main") -> Iterator[LogEntry]:
        """Log lines as they are written, until the step's pods (or the run's) end."""
        pods, _ = self._pods(wf_id, step_id)
        if pods is not None and len(pods) != 1:
            for pod in pods:
                yield from self.client.logs(wf_id, pod_name=pod, container=container,
                                            follow=True, grep=grep)
            return
        yield from self.client.logs(wf_id, pod_name=pods[0] if pods else None,
                                    container=container, follow=True, grep=grep)


def _entries(path: Path, arcname: str, skip_caches: bool) -> List[Any]:
    """Archive entries for ``path`` under ``arcname``; packages leave out ``__pycache__``."""
    from dflow_nb.storage import ArchiveEntry
    if not (skip_caches and path.is_dir() and not path.is_symlink()):
        return [ArchiveEntry(arcname, source=path)]
    out = []
    for child in sorted(path.iterdir()):
        if child.name == "__pycache__" or child.suffix in (".pyc", ".pyo"):
            continue
        out.extend(_entries(child, f"{arcname}/{child.name}", skip_caches))
    return out


def _authored(meta: Dict[str, Any]) -> Dict[str, Any]:
    """The metadata a user wrote: without what the server and controller added (uid, times,
    ``workflows.argoproj.io/*`` labels), and by ``generateName`` so a new run gets a new name."""
    out: Dict[str, Any] = {}
    if meta.get("generateName"):
        out["generateName"] = meta["generateName"]
    elif meta.get("name"):
        out["name"] = meta["name"]
    if meta.get("namespace"):
        out["namespace"] = meta["namespace"]
    for kind in ("labels", "annotations"):
        kept = {k: v for k, v in (meta.get(kind) or {}).items()
                if not k.startswith("workflows.argoproj.io/")}
        if kept:
            out[kind] = kept
    return out
