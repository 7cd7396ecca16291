"""Workflow: build, submit, watch and query a run, whichever engine runs it.

Faces (widgets, magics, the CLI) read runs only through this class, so a local run and an Argo
run look the same to them.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Union

from dflow_nb.config import config, local_mode, work_directory
from dflow_nb.errors import DflowNbError, StepNotFound, ValidationError, WorkflowNotFound
from dflow_nb.hub._registry import implementation
from dflow_nb.hub.backend import Backend, backend_for
from dflow_nb.hub.records import IORecord, StepRecord, WorkflowRecord
from dflow_nb.model import context
from dflow_nb.model.dag import DAG
from dflow_nb.model.names import check_workflow_name
from dflow_nb.model.step import Step, Task, Template
from dflow_nb.model.steps import Steps

HIDDEN_TYPES = ("StepGroup", "TaskGroup")


def in_kernel() -> bool:
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
                 parameters: Optional[Dict[str, Any]] = None,
                 on_exit: Optional[Template] = None,
                 workdir: Optional[Union[str, Path]] = None,
                 active_deadline_seconds: Optional[int] = None,
                 artifacts: Optional[Dict[str, Any]] = None) -> None:
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
        # Argo's spec.arguments.artifacts: the entrypoint's input artifacts of the same name
        self.artifacts = dict(artifacts or {})
        self.on_exit = on_exit
        # Argo's spec.activeDeadlineSeconds: what still runs then fails, the exit handler runs
        self.active_deadline_seconds = active_deadline_seconds
        self.workdir = work_directory(workdir)
        self._backend: Optional[Backend] = None

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
    def entry_container(self) -> Optional[Union[Steps, DAG]]:
        return self.entrypoint

    def add(self, step: Union[Step, List[Step]]) -> None:
        """Add a step (or a parallel list); tasks make the entrypoint a DAG, steps a Steps."""
        if self.entrypoint is None:
            first = step[0] if isinstance(step, (list, tuple)) and step else step
            self.entrypoint = (DAG(f"{self.name}-dag") if isinstance(first, Task)
                               else Steps(f"{self.name}-steps"))
        if isinstance(self.entrypoint, DAG):
            # DAG.add refuses a plain Step itself, in the user's terms.
            self.entrypoint.add(step)  # type: ignore[arg-type]
        else:
            self.entrypoint.add(step)

    # -- running -------------------------------------------------------------------------------
    @property
    def backend(self) -> Backend:
        """The engine this workflow runs on: local (debug mode, or no Argo host) or Argo."""
        if self._backend is None:
            self._backend = backend_for(local_mode() if not self.host else
                                        config["mode"] == "debug", self.workdir,
                                        host=self.host, token=self._token or config["token"],
                                        namespace=self.namespace)
        return self._backend

    def submit(self, reuse_step: Optional[List[StepRecord]] = None, wait: Optional[bool] = None,
               detach: bool = False) -> WorkflowRecord:
        """Validate and start the run. A script waits for the end (as Dflow's debug mode); a
        notebook returns at once and the run goes on in the background (``wait()`` blocks)."""
        self._backend = None   # the engine is chosen from the configuration as it is now
        if not detach:
            self.backend.warm_up(self)
        from dflow_nb.model.validation import validate
        validate(self)
        reuse = {s.key: s for s in (reuse_step or []) if s.key}
        if detach:
            self.id = self.backend.submit(self, reuse, detach=True)
        else:
            self.id = self.backend.submit(self, reuse)
        self.uid = getattr(self.backend, "uids", {}).get(self.id, self.id)
        local = self.backend.kind == "local"
        if wait if wait is not None else (local and not (detach or in_kernel())):
            self.wait()
        return self.query()

    def __getstate__(self) -> Dict[str, Any]:
        state = dict(self.__dict__)
        state["_backend"] = None
        state["_token"] = None
        return state

    def wait(self, interval: float = 1, timeout: Optional[float] = None) -> str:
        """Block until the run ends; returns its phase."""
        return self.backend.wait(self._require_id(), timeout)

    def terminate(self) -> None:
        """Stop the run now: running steps are killed, exit handlers do not run (Argo's
        terminate). Never touches the calling process."""
        self.backend.terminate(self._require_id())

    def stop(self) -> None:
        """Stop the run: running steps are killed, then exit handlers run (Argo's stop)."""
        self.backend.request(self._require_id(), "stop")

    def suspend(self) -> None:
        """Start no new steps until ``resume()``; running steps finish."""
        self.backend.request(self._require_id(), "suspend")

    def resume(self, detach: Optional[bool] = None) -> None:
        """Continue: a suspended run goes on; a run whose engine died (or that failed) runs
        again what did not succeed, with the code as it is now. Succeeded steps never re-run."""
        wf_id = self._require_id()
        rec = self.backend.workflow(wf_id)
        if rec.phase in ("Pending", "Running") and rec.message == "suspended":
            self.backend.request(wf_id, "resume")
        elif rec.phase != "Succeeded":
            self.backend.resume(wf_id, self if self.entrypoint is not None else None, detach)

    def retry(self, detach: Optional[bool] = None) -> None:
        """Re-run the failed and interrupted steps of an ended run, in place (same id);
        ``detach`` (local engine) runs them in a daemon that outlives this process."""
        wf_id = self._require_id()
        phase = self.query_status()
        if phase in ("Pending", "Running"):
            raise DflowNbError(f"workflow {wf_id} is still {phase}: retry() is for ended runs "
                               "(stop or terminate it first)")
        if phase == "Succeeded":   # Argo retries Failed and Error workflows only
            failed = [s for s in self.query_step(phase=["Failed", "Error"]) if s.type == "Pod"]
            hint = (f"; {len(failed)} of its steps failed (allowed by continue_on_*): resubmit "
                    "it reusing the steps that succeeded (%dflow reuse, or submit(reuse_step="
                    "...)) to run those again") if failed else ": resubmit runs it again"
            raise DflowNbError(f"workflow {wf_id} Succeeded, nothing to retry (retry re-runs "
                               f"Failed or Error runs){hint}")
        self.backend.resume(wf_id, self if self.entrypoint is not None else None, detach)

    def resubmit(self, wait: Optional[bool] = None) -> WorkflowRecord:
        """A new run (new id) of the same workflow model."""
        if self.entrypoint is None:
            model = self.model()
            self.name, self.entrypoint, self.parameters, self.on_exit = (
                model.name, model.entrypoint, model.parameters, model.on_exit)
        return self.submit(wait=wait)

    def model(self) -> "Workflow":
        """The workflow model of this run: this object when it holds its steps, else the copy
        the engine kept (the stored model locally, the manifest loaded back on Argo)."""
        if self.entrypoint is not None:
            return self
        return self.backend.spec(self._require_id())

    def logs(self, step: Union[str, StepRecord, None] = None, tail: Optional[int] = None,
             grep: Optional[str] = None, container: str = "main") -> str:
        """A step's log (by key, name, node id or record), or the whole run's, step by step."""
        step_id = step.id if isinstance(step, StepRecord) else step
        return self.backend.logs(self._require_id(), step_id, tail=tail, grep=grep,
                                 container=container)

    def delete(self) -> None:
        """Delete the run: on Argo the Workflow object; locally its records and step
        directories (refused while its engine runs it)."""
        self.backend.delete(self._require_id())

    # -- querying ------------------------------------------------------------------------------
    def _require_id(self) -> str:
        if not self.id:
            raise WorkflowNotFound("this workflow has no ID yet: submit() it, or "
                                   "Workflow(id=...) to attach to an existing run")
        return self.id

    def query(self) -> WorkflowRecord:
        """The run's summary (phase, times, global outputs)."""
        return self.backend.workflow(self._require_id())

    def query_status(self) -> str:
        """Pending, Running, Succeeded, Failed or Error (Argo's workflow phases)."""
        return self.query().phase

    def query_nodes(self, since_seq: Optional[int] = None) -> List[StepRecord]:
        """Every node of the run, including groups and the root (for faces drawing the graph)."""
        return self.backend.nodes(self._require_id(), since_seq=since_seq)

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
        names, keys, phases, ids, types = map(_as_list, (name, key, phase, id, type))
        # the backend reads only what can match (a 100,000-slice run is not read for one step)
        nodes = self.backend.nodes(wf_id, keys=keys or None, names=names or None,
                                   phases=phases or None, ids=ids or None)
        out = []
        for n in nodes:
            if n.id == wf_id or n.type in HIDDEN_TYPES:
                continue
            if names and not any(n.displayName == x or n.displayName.startswith(x + "(")
                                 for x in names):
                continue
            if keys and n.key not in keys:
                continue
            if phases and n.phase not in phases:
                continue
            if ids and n.id not in ids:
                continue
            if types and n.type not in types:
                continue
            if parent_id is not None and n.parentID != parent_id:
                continue
            out.append(n)
        if not sort_by_generation:
            out.sort(key=lambda s: (s.startedAt or float("inf"), s.seq))
        return out

    def query_step_by_key(self, key: Union[str, List[str]],
                          name: Union[str, List[str], None] = None,
                          phase: Union[str, List[str], None] = None,
                          id: Union[str, List[str], None] = None,
                          type: Union[str, List[str], None] = None) -> List[StepRecord]:
        """Steps by their ``key=`` (an index makes this fast however large the run)."""
        return self.query_step(name=name, key=key, phase=phase, id=id, type=type)

    def query_keys_of_steps(self) -> List[str]:
        """The keys of keyed steps, in run order."""
        return [s.key for s in self.query_step() if s.key is not None]

    def query_global_outputs(self) -> IORecord:
        """Parameters and artifacts exported with ``global_name``."""
        return self.query().outputs

    # -- Argo manifests (dflow_nb.argo, through the registry) ----------------------------------
    def to_dict(self) -> Dict[str, Any]:
        """The Argo Workflow manifest of this workflow (validates against Argo's schema)."""
        return implementation("manifest.compile")(self)

    def to_yaml(self) -> str:
        """The Argo manifest as YAML."""
        import yaml
        return yaml.safe_dump(self.to_dict(), sort_keys=False)

    @classmethod
    def from_dict(cls, manifest: Dict[str, Any], templates: Any = None) -> "Workflow":
        """A workflow model from an Argo manifest (runs on the local engine too).
        ``templateRef``/``workflowTemplateRef`` name WorkflowTemplates found in ``templates``
        (a folder of YAML files, a file, or manifests), in those registered with
        ``register_workflow_template`` and in ``config["workflow_templates_dir"]``."""
        return implementation("manifest.load")(manifest, templates=templates)

    @classmethod
    def from_yaml(cls, text: str, templates: Any = None) -> "Workflow":
        """A workflow model from an Argo manifest in YAML. Text with several documents (a
        Workflow and the WorkflowTemplates it calls) loads its one Workflow, the others
        serving as ``templates``."""
        import yaml

        from dflow_nb.hub.workflow_templates import templates_in
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
        if len(docs) <= 1:
            return cls.from_dict(docs[0] if docs else {}, templates)
        workflows = [d for d in docs if isinstance(d, dict) and d.get("kind") == "Workflow"]
        if len(workflows) != 1:
            raise ValidationError("from_yaml", "several documents, not one of them a Workflow",
                                  expected="exactly one document of kind: Workflow",
                                  given=[d.get("kind") if isinstance(d, dict) else d
                                         for d in docs])
        given = list(templates_in(templates).values())
        given += [d for d in docs if d is not workflows[0]]
        return cls.from_dict(workflows[0], given)

    # -- notebook display (dflow_nb.notebook builds the bundles) -------------------------------
    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Dict[str, Any]:
        return implementation("display.workflow")(self)

    def to_notebook(self, path: Union[str, Path]) -> Path:
        """Write a report of the run (DAG, steps, failures with their logs, inputs and outputs)
        as a notebook that GitHub or nbviewer render without dflow_nb; returns its path."""
        self._require_id()
        return implementation("report.notebook")(self, path)

    def step(self, key: str) -> StepRecord:
        """The one step with this key (a clear error if there is none)."""
        found = self.query_step(key=key)
        if not found:
            raise StepNotFound(f"workflow {self.id} has no step with key {key!r}")
        return found[-1]


def _as_list(value: Union[str, List[str], None]) -> Optional[List[str]]:
    return None if value is None else [value] if isinstance(value, str) else list(value)


def query_workflows(workdir: Optional[Union[str, Path]] = None,
                    labels: Optional[Dict[str, str]] = None, **_: Any) -> List[WorkflowRecord]:
    """Workflows the configured backend knows (locally: in the work directory), newest first;
    with ``labels`` (as Dflow's), only those carrying every one of them."""
    root = work_directory(workdir)
    records = backend_for(local_mode(), root, host=config["host"], token=config["token"],
                          namespace=config["namespace"]).list()
    if labels:
        records = [r for r in records if all(r.labels.get(k) == v for k, v in labels.items())]
    return records


def find_run(ref: str) -> Tuple[Workflow, List[WorkflowRecord]]:
    """The run ``ref`` names: the run with that id, else the newest run of the workflow named
    ``ref`` (``Workflow(name=...)``, what ``%%dflow submit --name`` sets). Also returns every
    run of that name, newest first (empty for an id), so a face can say which one it took."""
    wf = Workflow(id=ref)
    try:
        wf.query()
        return wf, []
    except WorkflowNotFound:
        named = sorted((r for r in query_workflows() if r.name == ref),
                       key=lambda r: r.createdAt or 0, reverse=True)
        if not named:
            raise
    return Workflow(id=named[0].id), named


def query_archived_workflows(labels: Optional[Dict[str, str]] = None, id: Optional[str] = None,
                             workdir: Optional[Union[str, Path]] = None) -> List[WorkflowRecord]:
    """Ended workflows from the archive (Dflow's): Argo's workflow archive, or locally every
    ended run of the work directory; ``labels``/``id`` narrow them."""
    root = work_directory(workdir)
    backend = backend_for(local_mode(), root, host=config["host"], token=config["token"],
                          namespace=config["namespace"])
    selector = ",".join(f"{k}={v}" for k, v in (labels or {}).items()) or None
    return [r for r in backend.archived(selector) if id is None or r.id == id]
