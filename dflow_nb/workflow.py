"""Workflow: build, submit, watch and query a run, whichever engine runs it.

Faces (widgets, magics, the CLI) read runs only through this class, so a local run and an Argo
run look the same to them.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Union

from . import context
from .config import config, local_mode
from .dag import DAG
from .errors import StepNotFound, WorkflowNotFound
from .names import check_workflow_name, randstr
from .records import IORecord, StepRecord, WorkflowRecord
from .step import Step, Task
from .steps import Steps

HIDDEN_TYPES = ("StepGroup", "TaskGroup")


def _in_kernel() -> bool:
    """True inside a Jupyter kernel, where submit() must not block the notebook."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and hasattr(shell, "kernel")


class Workflow:
    """A workflow: an entrypoint (Steps or DAG), global parameters and options."""

    def __init__(self, name: str = "workflow", steps: Optional[Steps] = None,
                 dag: Optional[DAG] = None, namespace: Optional[str] = None,
                 id: Optional[str] = None, uid: Optional[str] = None, host: Optional[str] = None,
                 token: Optional[str] = None, k8s_config_file: Optional[str] = None,
                 k8s_api_server: Optional[str] = None, context: Any = None,
                 annotations: Optional[Dict[str, str]] = None,
                 labels: Optional[Dict[str, str]] = None, parallelism: Optional[int] = None,
                 pod_gc_strategy: Optional[str] = None, image_pull_secrets: Any = None,
                 artifact_repo_key: Optional[str] = None,
                 parameters: Optional[Dict[str, Any]] = None, on_exit: Any = None,
                 workdir: Optional[Union[str, Path]] = None) -> None:
        self.name = check_workflow_name(name) if id is None else name
        if steps is not None and dag is not None:
            raise ValueError("a workflow has one entrypoint: give steps= or dag=, not both")
        self.entrypoint: Optional[Union[Steps, DAG]] = steps if steps is not None else dag
        self.namespace = namespace or config["namespace"]
        self.id = id
        self.uid = uid or id
        self.host = host if host is not None else config["host"]
        self._token = token
        self.k8s_config_file = k8s_config_file
        self.k8s_api_server = k8s_api_server
        self.context = context
        self.annotations = dict(annotations or config["workflow_annotations"])
        self.labels = dict(labels or {})
        self.parallelism = parallelism
        self.pod_gc_strategy = pod_gc_strategy
        self.image_pull_secrets = image_pull_secrets
        self.artifact_repo_key = artifact_repo_key
        self.parameters = dict(parameters or {})
        self.on_exit = on_exit
        self.workdir = Path(workdir if workdir is not None else config["debug_workdir"])
        self._future: Any = None

    def __repr__(self) -> str:
        return f"Workflow(name={self.name!r}, id={self.id!r})"

    # -- building ------------------------------------------------------------------------------
    def __enter__(self) -> "Workflow":
        context.push(self)
        return self

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        context.pop(self)
        if exc_type is None:
            self.submit()

    @property
    def entry_container(self) -> Any:
        return self.entrypoint

    def add(self, step: Union[Step, List[Step]]) -> None:
        """Add a step (or a parallel list); tasks make the entrypoint a DAG, steps a Steps."""
        if self.entrypoint is None:
            first = step[0] if isinstance(step, (list, tuple)) and step else step
            self.entrypoint = (DAG(f"{self.name}-dag") if isinstance(first, Task)
                               else Steps(f"{self.name}-steps"))
        self.entrypoint.add(step)

    # -- running -------------------------------------------------------------------------------
    def submit(self, reuse_step: Optional[List[StepRecord]] = None, wait: Optional[bool] = None,
               detach: bool = False) -> WorkflowRecord:
        """Validate and start the run. A script waits for the end (as Dflow's debug mode); a
        notebook returns at once and the run goes on in the background (``wait()`` blocks)."""
        from .validation import validate
        validate(self)
        if not local_mode():
            raise NotImplementedError(
                "Argo mode is not available yet in this version of dflow_nb; set "
                "config['mode'] = 'debug' (or leave config['host'] empty) to run locally")
        if detach:
            raise NotImplementedError("submit(detach=True) is not available yet; the run "
                                      "goes on in this process")
        import pickle
        from .local.runtime import LocalRuntime
        self.id = f"{self.name}-{randstr()}"
        self.uid = self.id
        reuse = {s.key: s for s in (reuse_step or []) if s.key}
        try:
            spec: Optional[bytes] = pickle.dumps(self)
        except Exception:
            spec = None
        self._future = LocalRuntime.get().submit(self, self.id, self.workdir, spec, reuse)
        print(f"Workflow is running locally (ID: {self.id})")
        if wait if wait is not None else not _in_kernel():
            self.wait()
        return self.query()

    def __getstate__(self) -> Dict[str, Any]:
        state = dict(self.__dict__)
        state["_future"] = None
        state["_token"] = None
        return state

    def wait(self, interval: float = 1, timeout: Optional[float] = None) -> str:
        """Block until the run ends; returns its phase."""
        if self._future is not None:
            self._future.result(timeout)
            return self.query_status()
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            phase = self.query_status()
            if phase not in ("Pending", "Running"):
                return phase
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"workflow {self.id} still {phase} after {timeout}s")
            time.sleep(interval)

    def terminate(self) -> None:
        """Stop the run now: running steps are killed, the workflow ends Failed."""
        from .local.runtime import LocalRuntime
        self._require_id()
        LocalRuntime.get().terminate(self.id)  # type: ignore[arg-type]
        if self._future is not None:
            self._future.result()

    # -- querying ------------------------------------------------------------------------------
    def _require_id(self) -> str:
        if not self.id:
            raise WorkflowNotFound("this workflow has no ID yet: submit() it, or "
                                   "Workflow(id=...) to attach to an existing run")
        return self.id

    def _reader(self) -> Any:
        from .local.state import StateReader
        return StateReader(self.workdir.resolve())

    def query(self) -> WorkflowRecord:
        """The run's summary (phase, times, global outputs)."""
        wf_id = self._require_id()
        try:
            row = self._reader().workflow(wf_id)
        except FileNotFoundError:
            row = None
        if row is None:
            raise WorkflowNotFound(f"no workflow {wf_id!r} in {self.workdir.resolve()}")
        outputs = row.get("outputs") or {}
        return WorkflowRecord(
            id=row["id"], name=row["name"], phase=row["phase"], message=row.get("message"),
            createdAt=row.get("created_at"), startedAt=row.get("started_at"),
            finishedAt=row.get("finished_at"), dir=row.get("dir"),
            outputs=IORecord.from_raw({
                "parameters": [{"name": k, "value": v, "globalName": k}
                               for k, v in (outputs.get("parameters") or {}).items()],
                "artifacts": [{"name": k, "path": v, "globalName": k}
                              for k, v in (outputs.get("artifacts") or {}).items()]}))

    def query_status(self) -> str:
        """Pending, Running, Succeeded, Failed or Error (Argo's workflow phases)."""
        return self.query().phase

    def query_nodes(self, since_seq: Optional[int] = None) -> List[StepRecord]:
        """Every node of the run, including groups and the root (for faces drawing the graph)."""
        wf_id = self._require_id()
        return [StepRecord.from_node(wf_id, n) for n in
                self._reader().nodes(wf_id, since_seq=since_seq)]

    def query_step(self, name: Union[str, List[str], None] = None,
                   key: Union[str, List[str], None] = None,
                   phase: Union[str, List[str], None] = None,
                   id: Union[str, List[str], None] = None,
                   type: Union[str, List[str], None] = None,
                   parent_id: Optional[str] = None,
                   sort_by_generation: bool = False) -> List[StepRecord]:
        """Steps of the run, filtered as Dflow does: a name matches itself and its loop items
        (``name(0:x)``); every filter takes a value or a list."""
        wf_id = self._require_id()
        as_list = (lambda v: None if v is None else [v] if isinstance(v, str) else list(v))
        names, keys, phases, ids, types = map(as_list, (name, key, phase, id, type))
        reader = self._reader()
        rows = reader.nodes(wf_id, key=keys[0]) if keys and len(keys) == 1 else reader.nodes(wf_id)
        out = []
        for n in rows:
            if n["id"] == wf_id or n["type"] in HIDDEN_TYPES:
                continue
            if names and not any(n["display_name"] == x or n["display_name"].startswith(x + "(")
                                 for x in names):
                continue
            if keys and n["key"] not in keys:
                continue
            if phases and n["phase"] not in phases:
                continue
            if ids and n["id"] not in ids:
                continue
            if types and n["type"] not in types:
                continue
            if parent_id is not None and n["parent_id"] != parent_id:
                continue
            out.append(StepRecord.from_node(wf_id, n))
        if not sort_by_generation:
            out.sort(key=lambda s: (s.startedAt or float("inf"), s.seq))
        return out

    def query_step_by_key(self, key: Union[str, List[str]], name: Any = None, phase: Any = None,
                          id: Any = None, type: Any = None) -> List[StepRecord]:
        """Steps by their ``key=`` (an index makes this fast however large the run)."""
        return self.query_step(name=name, key=key, phase=phase, id=id, type=type)

    def query_keys_of_steps(self) -> List[str]:
        """The keys of keyed steps, in run order."""
        return [s.key for s in self.query_step() if s.key is not None]

    def query_global_outputs(self) -> IORecord:
        """Parameters and artifacts exported with ``global_name``."""
        return self.query().outputs

    def step(self, key: str) -> StepRecord:
        """The one step with this key (a clear error if there is none)."""
        found = self.query_step(key=key)
        if not found:
            raise StepNotFound(f"workflow {self.id} has no step with key {key!r}")
        return found[-1]


def query_workflows(workdir: Optional[Union[str, Path]] = None, **_: Any) -> List[WorkflowRecord]:
    """Workflows the local engine knows in a work directory, newest first."""
    from .local.state import StateReader
    root = Path(workdir if workdir is not None else config["debug_workdir"]).resolve()
    try:
        rows = StateReader(root).workflows()
    except FileNotFoundError:
        return []
    return [WorkflowRecord(id=r["id"], name=r["name"], phase=r["phase"], message=r["message"],
                           createdAt=r["created_at"], startedAt=r["started_at"],
                           finishedAt=r["finished_at"], dir=r["dir"]) for r in rows]
