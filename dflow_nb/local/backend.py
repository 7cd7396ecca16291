"""The local engine behind the Backend protocol: state in SQLite, runs here or detached."""
from __future__ import annotations

import functools
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple

from dflow_nb.errors import DflowNbError, StepNotFound, ValidationError, WorkflowNotFound
from dflow_nb.hub.records import IORecord, StepRecord, WorkflowRecord, gc_paused, wire_children
from dflow_nb.hub.workflow import Workflow, in_kernel
from dflow_nb.local.step_processes import alive, own_start_time
from dflow_nb.model.names import randstr

# The state database, the seal and the engine are imported when first used: submit() launches
# the first warm worker before it needs them (warm_up), so they load while the worker starts.
if TYPE_CHECKING:
    import concurrent.futures

    from dflow_nb.local.state import StateReader

HEARTBEAT_TIMEOUT = 10.0   # seconds without a heartbeat before an engine counts as gone


class EngineBusy(DflowNbError):
    """The workflow is still being run by a live engine."""


class LocalBackend:
    """Runs workflows on the local engine; reads any work directory's state."""

    kind = "local"

    _futures: Dict[str, concurrent.futures.Future[Tuple[str, Optional[str]]]] = {}

    def __init__(self, workdir: Path) -> None:
        self.workdir = Path(workdir).resolve()

    @functools.cached_property
    def reader(self) -> StateReader:
        from dflow_nb.local.state import StateReader
        return StateReader(self.workdir)

    # -- running -------------------------------------------------------------------------------
    def warm_up(self, workflow: Workflow) -> None:
        """Launch the first warm worker if the run will need one and none runs yet: it starts
        up (an interpreter, the OP runner's imports) while this process validates the model,
        seals and records it and starts the engine."""
        from dflow_nb.local.worker_launch import launch_ahead, runs_python_ops
        try:
            needed = runs_python_ops(workflow)
        except ValidationError:
            return   # validate() says what is wrong
        if needed:
            try:
                launch_ahead()
            except OSError:
                pass   # the first OP that needs a worker starts one, or says why it cannot

    def submit(self, workflow: Workflow, reuse: Dict[str, StepRecord], detach: bool = False
               ) -> str:
        import cloudpickle

        from dflow_nb.local.runtime import LocalRuntime
        from dflow_nb.local.sealed_models import seal
        wf_id = f"{workflow.name}-{randstr()}"
        try:
            spec: Optional[bytes] = seal(cloudpickle.dumps(workflow))
        except Exception as exc:
            if detach:
                raise DflowNbError(f"a detached run needs a picklable workflow: {exc}") from None
            spec = None  # the run goes on in this process; only resume-from-elsewhere is lost
        store = LocalRuntime.get().store(self.workdir)
        store.create_workflow(wf_id, workflow.name, self.workdir / wf_id, spec, detached=detach,
                              labels=workflow.labels,
                              engine=None if detach else (os.getpid(), own_start_time()))
        if detach:
            if reuse:
                raise DflowNbError("reuse_step with detach=True is not supported yet")
            self._spawn(wf_id, resume=False)
            print(f"Workflow is running locally, detached (ID: {wf_id})")
        else:
            # A script shows its steps' output, as Dflow's debug mode; a notebook's live view
            # shows it in its log pane.
            self._futures[wf_id] = LocalRuntime.get().run(workflow, wf_id, self.workdir, reuse,
                                                          echo=not in_kernel(), claimed=True)
            print(f"Workflow is running locally (ID: {wf_id})")
        return wf_id

    def _spawn(self, wf_id: str, resume: bool) -> None:
        import subprocess

        from dflow_nb.model._held_secrets import handover_env
        wf_dir = self.workdir / wf_id
        wf_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **handover_env()}   # secrets kept out of the stored model
        env["PYTHONPATH"] = os.pathsep.join([p for p in sys.path if p] +
                                            [env.get("PYTHONPATH", "")])
        argv = [sys.executable, "-m", "dflow_nb.local.daemon", str(self.workdir), wf_id]
        with open(wf_dir / "engine.log", "ab") as log:
            subprocess.Popen(argv + (["--resume"] if resume else []), stdin=subprocess.DEVNULL,
                             stdout=log, stderr=log, env=env, start_new_session=True,
                             cwd=str(self.workdir))

    def resume(self, wf_id: str, workflow: Optional[Workflow] = None,
               detach: Optional[bool] = None) -> None:
        """Run again what did not succeed; Succeeded steps are kept, not re-run."""
        import cloudpickle

        from dflow_nb.local.runtime import LocalRuntime
        from dflow_nb.local.sealed_models import seal
        row = self._row(wf_id)
        if self._alive(row):
            raise EngineBusy(f"workflow {wf_id} is still running (engine process "
                             f"{row['engine_pid']}); stop or terminate it first")
        store = LocalRuntime.get().store(self.workdir)
        if workflow is not None and workflow.entrypoint is not None:
            store.set_spec(wf_id, seal(cloudpickle.dumps(workflow)))
        detach = bool(row.get("detached")) if detach is None else detach
        if detach:
            self._spawn(wf_id, resume=True)
            deadline = time.monotonic() + 30
            while self._row(wf_id).get("engine_pid") == row.get("engine_pid"):
                if time.monotonic() > deadline:
                    raise DflowNbError(f"the engine for {wf_id} did not start; see "
                                       f"{self.workdir / wf_id / 'engine.log'}")
                time.sleep(0.05)
            return
        if workflow is None or workflow.entrypoint is None:
            workflow = self.spec(wf_id)
        self._futures[wf_id] = LocalRuntime.get().run(workflow, wf_id, self.workdir,
                                                      resume=True, echo=not in_kernel())

    def wait(self, wf_id: str, timeout: Optional[float] = None) -> str:
        future = self._futures.get(wf_id)
        if future is not None:
            phase, _ = future.result(timeout)   # as recorded (or kept to record: a full disk)
            self._futures.pop(wf_id, None)
            return phase
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            phase = self.workflow(wf_id).phase
            if phase not in ("Pending", "Running"):
                return phase
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"workflow {wf_id} still {phase} after {timeout}s")
            time.sleep(0.1)

    def request(self, wf_id: str, action: str) -> None:
        """terminate / stop / suspend / resume, delivered to whichever process runs it."""
        row = self._row(wf_id)
        if row["phase"] not in ("Pending", "Running"):
            raise DflowNbError(f"workflow {wf_id} has already ended ({row['phase']})")
        self.reader.request(wf_id, action)

    def terminate(self, wf_id: str) -> None:
        self.request(wf_id, "terminate")
        self.wait(wf_id, timeout=60)

    def delete(self, wf_id: str) -> None:
        """Forget a run: its rows in the state database and its directory (not while its
        engine runs it). Only a directory the engine made (``<workdir>/<id>``) is removed."""
        import shutil

        from dflow_nb.local.runtime import LocalRuntime
        row = self._row(wf_id)
        if self._alive(row):
            raise EngineBusy(f"workflow {wf_id} is still running (engine process "
                             f"{row['engine_pid']}); stop or terminate it first")
        LocalRuntime.get().store(self.workdir).delete_workflow(wf_id)
        wf_dir = Path(row["dir"]).resolve()
        if wf_dir.parent == self.workdir and wf_dir.name == wf_id:
            shutil.rmtree(wf_dir, ignore_errors=True)

    # -- reading -------------------------------------------------------------------------------
    def _row(self, wf_id: str) -> Dict[str, Any]:
        try:
            row = self.reader.workflow(wf_id)
        except FileNotFoundError:
            row = None
        if row is None:
            raise WorkflowNotFound(f"no workflow {wf_id!r} in {self.workdir}")
        return row

    def _alive(self, row: Dict[str, Any]) -> bool:
        """Whether a live engine runs the workflow: its process (the same one: PID and start
        time) with a fresh heartbeat, or a run of this very process."""
        from dflow_nb.local.runtime import LocalRuntime
        if row["phase"] not in ("Pending", "Running"):
            return False
        if row["engine_pid"] == os.getpid():
            runtime = LocalRuntime._instance
            return (runtime is not None and row["id"] in runtime.runs) or row["id"] in {
                k for k, f in self._futures.items() if not f.done()}
        beat = row.get("heartbeat") or row.get("created_at") or 0
        return alive(row["engine_pid"], row.get("engine_started")) and \
            time.time() - beat < HEARTBEAT_TIMEOUT

    def _view(self, row: Dict[str, Any]) -> WorkflowRecord:
        """The run as every face shows it (query, list, the CLI, the sidebar), by one rule: a
        run recorded as Pending/Running without a live engine is not Running."""
        rec = _record(row)
        if row["phase"] in ("Pending", "Running") and row.get("engine_pid") is not None:
            ending = self._unrecorded_end(row)
            if ending is not None:
                rec.phase, rec.message = ending
            elif not self._alive(row):
                from dflow_nb.local.reaper import engine_gone_message
                rec.phase = "Error"
                rec.message = engine_gone_message(row["engine_pid"])
            elif row.get("suspended"):
                rec.message = "suspended"
        return rec

    @staticmethod
    def _unrecorded_end(row: Dict[str, Any]) -> Optional[Tuple[str, Optional[str]]]:
        """The end of a run of this process that the state could not take (a full disk)."""
        from dflow_nb.local.runtime import LocalRuntime
        runtime = LocalRuntime._instance
        if row["engine_pid"] != os.getpid() or runtime is None:
            return None
        return runtime.ending(row["id"])

    def workflow(self, wf_id: str) -> WorkflowRecord:
        return self._view(self._row(wf_id))

    def nodes(self, wf_id: str, key: Optional[str] = None, since_seq: Optional[int] = None, *,
              keys: Optional[Sequence[str]] = None, names: Optional[Sequence[str]] = None,
              phases: Optional[Sequence[str]] = None,
              ids: Optional[Sequence[str]] = None) -> List[StepRecord]:
        """The run's nodes, only the matching ones read (through the state's indexes)."""
        try:
            with gc_paused():
                rows = self.reader.nodes(wf_id, key=key, since_seq=since_seq, keys=keys,
                                         names=names, phases=phases, ids=ids)
                records = [StepRecord.from_node(wf_id, n) for n in rows]
                if all(f is None for f in (key, since_seq, keys, names, phases, ids)):
                    wire_children(records)
        except FileNotFoundError:
            raise WorkflowNotFound(f"no workflow {wf_id!r} in {self.workdir}") from None
        return records

    def logs(self, wf_id: str, step_id: Optional[str] = None, tail: Optional[int] = None,
             grep: Optional[str] = None, container: str = "main") -> str:
        """A step's log (stdout and stderr), or every step's with its name before each line;
        ``grep`` is a Go regular expression, as Argo's log query takes."""
        from dflow_nb.expressions import go_regex
        matcher = None if grep is None else go_regex(grep)
        steps = [s for s in self.nodes(wf_id) if s.type == "Pod" and s.dir]
        if step_id is not None:
            steps = [s for s in steps if step_id in (s.id, s.name, s.displayName, s.key)]
            if not steps:
                raise StepNotFound(f"workflow {wf_id} has no step {step_id!r} with a log")
        lines: List[str] = []
        for s in steps:
            path = Path(s.dir) / "log.txt"  # type: ignore[arg-type]
            text = path.read_text(errors="replace") if path.exists() else ""
            for line in text.splitlines():
                if matcher is None or matcher.search(line):
                    lines.append(line if step_id is not None else f"{s.displayName}: {line}")
        if tail is not None:
            lines = lines[-tail:] if tail > 0 else []
        return "\n".join(lines)

    def spec(self, wf_id: str) -> Workflow:
        """The Workflow model a run was started from (for re-running a step, resuming)."""
        import pickle

        from dflow_nb.local.sealed_models import unseal
        blob = self.reader.spec(wf_id)
        if blob is None:
            raise WorkflowNotFound(f"workflow {wf_id!r} has no stored model")
        workflow: Workflow = pickle.loads(unseal(blob, wf_id))
        return workflow

    def list(self) -> List[WorkflowRecord]:
        try:
            return [self._view(r) for r in self.reader.workflows()]
        except FileNotFoundError:
            return []

    def archived(self, label_selector: Optional[str] = None) -> List[WorkflowRecord]:
        """Every ended run: the work directory keeps them all (``label_selector``: k=v,...)."""
        wanted = dict(p.split("=", 1) for p in label_selector.split(",")) \
            if label_selector else {}
        return [r for r in self.list() if r.phase not in ("Pending", "Running")
                and all(r.labels.get(k) == v for k, v in wanted.items())]


def _record(row: Dict[str, Any]) -> WorkflowRecord:
    outputs = row.get("outputs") or {}
    return WorkflowRecord(
        id=row["id"], name=row["name"], phase=row["phase"], message=row.get("message"),
        createdAt=row.get("created_at"), startedAt=row.get("started_at"),
        finishedAt=row.get("finished_at"), dir=row.get("dir"), labels=row.get("labels") or {},
        outputs=IORecord.from_raw({
            "parameters": [{"name": k, "value": v, "globalName": k}
                           for k, v in (outputs.get("parameters") or {}).items()],
            "artifacts": [{"name": k, "path": v, "globalName": k}
                          for k, v in (outputs.get("artifacts") or {}).items()]}))
