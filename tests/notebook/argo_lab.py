"""Helpers for notebooks run against the fake Argo Server (tests/argo/argo_server.py).

``ArgoLab`` serves a ``FakeArgo`` on a fixed loopback port so a test can take the server down
(closing the connections it holds open too) and bring it back on the same URL. It plays the
controller: a created workflow shows Running at once; ``finish()`` ends it with per-step phases,
outputs, logs and the input artifacts' S3 keys recorded on the nodes, as Argo records them.
``Stepper`` executes notebook cells one at a time in one nbclient kernel, so the test can act
between cells.
"""
from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Set, Tuple

import nbformat
from nbclient import NotebookClient

from dflow_nb.argo.status import pod_name
from tests.argo.argo_server import FakeArgo, _Handler, _Server, run_to_end


class _Tracked(_Server):
    """The fake's HTTP server, remembering open connections so ``down()`` can cut them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.open: Set[socket.socket] = set()
        self.open_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.open_lock:
            self.open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.open_lock:
            self.open.discard(request)
        super().shutdown_request(request)

    def cut_all(self) -> None:
        with self.open_lock:
            conns = list(self.open)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class ArgoLab:
    """A FakeArgo that can go down and come back on the same port."""

    def __init__(self, token: str) -> None:
        self.fake = FakeArgo(token=token)
        self.fake.on_create = self._created
        self.port = 0
        self.logs: Dict[str, List[str]] = {}       # step display name -> log lines
        self.created: List[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def up(self) -> "ArgoLab":
        handler = type("Handler", (_Handler,), {"fake": self.fake})
        server = _Tracked(("127.0.0.1", self.port), handler)
        self.port = server.server_address[1]
        self.fake._server = server
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        return self

    def down(self) -> None:
        server = self.fake._server
        if server is None:
            return
        server.shutdown()
        server.server_close()
        server.cut_all()
        self.fake._server = None

    def _created(self, wf: Dict[str, Any]) -> None:
        run_to_end(wf, phase="Running")
        wf["status"].pop("finishedAt", None)
        for n in wf["status"]["nodes"].values():
            n.pop("finishedAt", None)
        self.created.append(wf["metadata"]["name"])

    def workflow(self, name: str) -> Dict[str, Any]:
        return self.fake.workflows[("argo", name)]

    def finish(self, name: str, phases: Dict[str, Tuple[str, str]],
               outputs: Optional[Dict[str, Dict[str, str]]] = None) -> None:
        """End a run: ``phases`` maps step display names to (phase, message); the rest
        Succeeded. Input artifacts get the S3 keys their step arguments named."""
        wf = self.workflow(name)
        keys = _argument_artifacts(wf)
        run_to_end(wf, outputs or {}, phase="Succeeded")
        nodes = wf["status"]["nodes"]
        lines: List[Tuple[str, str]] = []
        for n in nodes.values():
            display = n["displayName"]
            if display in keys:
                n.setdefault("inputs", {})["artifacts"] = [
                    {"name": a, "path": f"/tmp/inputs/artifacts/{a}", "s3": {"key": k}}
                    for a, k in keys[display].items()]
            if display in phases:
                n["phase"], n["message"] = phases[display]
            if n["type"] == "Pod":
                lines += [(pod_name(wf, n), text) for text in self.logs.get(display, [])]
        failed = [p for p, _ in phases.values() if p in ("Failed", "Error")]
        if failed:
            wf["status"]["phase"] = "Failed"
            wf["status"]["nodes"][name]["phase"] = "Failed"
            wf["status"]["message"] = "child failed"
        self.fake.logs[("argo", name)] = lines
        wf["metadata"]["resourceVersion"] = self.fake.next_rv()


def _argument_artifacts(wf: Dict[str, Any]) -> Dict[str, Dict[str, str]]:
    """Step name -> {artifact: S3 key} from the steps' arguments in the manifest."""
    out: Dict[str, Dict[str, str]] = {}
    for t in wf["spec"]["templates"]:
        for group in t.get("steps") or []:
            for s in group:
                for a in (s.get("arguments") or {}).get("artifacts") or []:
                    key = (a.get("s3") or {}).get("key")
                    if key:
                        out.setdefault(s["name"], {})[a["name"]] = key
    return out


class Stepper:
    """One kernel; ``run(tag, source)`` executes a new cell now and returns it."""

    def __init__(self, path: Path, env: Dict[str, str], timeout: int = 120) -> None:
        self.path = path
        self.env = env
        self.nb = nbformat.v4.new_notebook()
        self.nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                          "language": "python"}
        self.client = NotebookClient(self.nb, timeout=timeout, kernel_name="python3",
                                     allow_errors=True, store_widget_state=True,
                                     resources={"metadata": {"path": str(path)}})
        self._ctx: Any = None

    def __enter__(self) -> "Stepper":
        saved = dict(os.environ)
        os.environ.update(self.env)
        try:
            self._ctx = self.client.setup_kernel()
            self._ctx.__enter__()
            info = self.client.wait_for_reply(self.client.kc.kernel_info())
            self.nb.metadata["language_info"] = info["content"]["language_info"]
        finally:
            os.environ.clear()
            os.environ.update(saved)
        return self

    def run(self, tag: str, source: str) -> Any:
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata["tag"] = tag
        self.nb.cells.append(cell)
        index = len(self.nb.cells) - 1
        self.client.execute_cell(cell, index, execution_count=index + 1)
        return cell

    def __exit__(self, *exc: Any) -> None:
        try:
            self.client.set_widgets_metadata()
        finally:
            self._ctx.__exit__(*exc)
            nbformat.write(self.nb, self.path / "executed.ipynb")


def wait_for(condition: Any, timeout: float = 60.0, what: str = "") -> Any:
    """Poll a real condition (not a fixed sleep) until it holds or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.05)
