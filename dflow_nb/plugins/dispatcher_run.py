"""What a DispatcherExecutor step runs: stage the job, submit it, wait, bring outputs back.

``main`` is called by the rendered template's script with the step's ``/tmp`` (``TMP``) and its
declared paths (``PATHS``) as the backend sees them (the step's own directory on the local
engine, the real paths in an Argo pod). Everything DPDispatcher says goes to stderr (the step's
log), including each job's id and state; the job's stdout becomes this step's stdout (its
``result``). A failure ends with the cause as the last line of the log and, where the backend
gives one, in the termination log (the step's message).
"""
from __future__ import annotations

import json
import logging
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from dflow_nb.model.templates import map_roots
from dflow_nb.plugins._render import unb64
from dflow_nb.plugins._runtime import link_or_copy, log, move_into, param_values, report, slice_from_env
from dflow_nb.plugins.dispatcher import SECRET_ENVS

LOCAL_CONTEXTS = ("localcontext", "lazylocalcontext", "local", "lazylocal")
PWD_MARK = "@DFLOW_NB_PWD@"
EXIT_FILE = "dflow_nb_exit_code"
OUT_DIR = "dflow_nb_out"


class DispatchError(RuntimeError):
    """The job could not be submitted or did not succeed; the message says why."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def substitute(value: Any, names: Dict[str, str]) -> Any:
    """Fill ``{{workflow.name}}`` / ``{{pod.name}}`` in the configuration (Dflow allows them)."""
    if isinstance(value, str):
        for k, v in names.items():
            value = value.replace("{{%s}}" % k, v)
        return value
    if isinstance(value, dict):
        return {k: substitute(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, names) for v in value]
    return value


def is_local(machine: Dict[str, Any]) -> bool:
    return str(machine.get("context_type", "")).lower() in LOCAL_CONTEXTS


def check_reachable(machine: Dict[str, Any]) -> None:
    """Fail at once on a host that does not answer (DPDispatcher would retry for minutes)."""
    if str(machine.get("context_type", "")).lower() not in ("sshcontext", "ssh"):
        return
    profile = machine.get("remote_profile") or {}
    if profile.get("proxy_command") or profile.get("jump_hostname"):
        return
    host, port = profile.get("hostname"), int(profile.get("port") or 22)
    timeout = float(profile.get("timeout") or 10)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as exc:
        raise DispatchError(f"cannot reach SSH host {host}:{port}: "
                            f"{exc.strerror or exc.__class__.__name__}") from None


def python_for(spec: Dict[str, Any], machine: Dict[str, Any]) -> str:
    """The remote interpreter for Python OPs: absolute when local (batch shells reset PATH)."""
    if spec.get("python"):
        return spec["python"]
    if spec.get("remote_command"):
        return spec["remote_command"][0]
    return sys.executable if is_local(machine) else "python3"


def wrap(command: str, outputs: List[str]) -> str:
    """The job's command, recording its exit code and gathering declared outputs."""
    gather = ""
    if outputs:
        quoted = " ".join(shlex.quote(p) for p in outputs)
        gather = (f"for p in {quoted}; do if [ -e \"$p\" ]; then mkdir -p \"{OUT_DIR}/$(dirname "
                  f"\"$p\")\" && mv \"$p\" \"{OUT_DIR}/$p\"; fi; done; ")
    # OUT_DIR always exists: it is a backward file, and a step may declare no outputs
    return f"{command}; code=$?; echo $code > {EXIT_FILE}; mkdir -p {OUT_DIR}; {gather}exit $code"


def container_prefix(container: Optional[Dict[str, str]], mounts: List[Tuple[str, str]],
                     workdir: str) -> str:
    """``<runtime> run ... image`` for a job that runs inside the template's image."""
    if not container:
        return ""
    exe, image, args = container["exe"], container["image"], container.get("args") or ""
    binds = " ".join(f"-v \"$(pwd)/{h}:{c}\"" for h, c in mounts)
    if container["kind"] == "singularity":
        binds = " ".join(f"-B \"$(pwd)/{h}:{c}\"" for h, c in mounts)
        return f"{exe} exec {binds} --pwd {workdir} {args} {shlex.quote(image)} "
    return f"{exe} run --rm {binds} -w {workdir} {args} {shlex.quote(image)} "


class Staged:
    """One prepared job: its DPDispatcher task and where its outputs will come back."""

    def __init__(self, base: Path, work_path: str) -> None:
        self.base = base
        self.work_path = work_path
        self.dir = base / work_path
        self.command = ""
        self.forward: List[str] = []
        self.backward: List[str] = []


def stage_op(spec: Dict[str, Any], paths: Dict[str, str], params: Dict[str, str],
             staged: Staged, python: str, slices: Optional[List[Dict[str, Any]]],
             one_slice: Optional[Dict[str, Any]], workflow: str) -> None:
    d = staged.dir
    (d / "inputs" / "parameters").mkdir(parents=True)
    for name, value in params.items():
        (d / "inputs" / "parameters" / name).write_text(value)
    for key, p in paths.items():
        if key.startswith("in:") and (Path(p).exists() or Path(p).is_symlink()):
            link_or_copy(Path(p), d / "inputs" / "artifacts" / key[3:])
    (d / "op.pkl").write_bytes(unb64(spec["op"]))
    staged.forward = ["op.pkl", "inputs"]
    wf = ["--workflow", workflow] if workflow else []
    container = spec.get("container")
    inner = "/dflow_nb_task" if container else "."
    if slices is not None:
        (d / "slices.json").write_text(json.dumps(slices))
        staged.forward.append("slices.json")
        argv = [python, "-m", "dflow_nb.plugins.slices_run", f"{inner}/op.pkl", inner,
                f"{inner}/slices.json", *wf]
        staged.backward = ["slices"]
    else:
        extra = ["--slice", json.dumps(one_slice)] if one_slice is not None else []
        argv = [python, "-m", "dflow_nb.python.entry", f"{inner}/op.pkl", inner, *extra, *wf]
        staged.backward = ["outputs"]
    prefix = container_prefix(container, [(".", "/dflow_nb_task")], "/dflow_nb_task")
    staged.command = wrap(prefix + " ".join(shlex.quote(a) for a in argv), staged.backward)
    staged.backward = [OUT_DIR]


def stage_script(spec: Dict[str, Any], paths: Dict[str, str], staged: Staged) -> None:
    d = staged.dir
    d.mkdir(parents=True)
    script = os.environ.get("DFLOW_NB_SCRIPT", "")
    originals: Dict[str, str] = spec.get("container_paths") or {}
    if spec.get("map_tmp_dir", True):
        script = map_roots(script, spec.get("roots") or ["/tmp"], PWD_MARK)
    (d / "script").write_text(script)
    staged.forward = ["script"]
    for key, p in paths.items():
        if key.startswith("in:") and (Path(p).exists() or Path(p).is_symlink()):
            rel = originals[key].lstrip("/")
            link_or_copy(Path(p), d / rel)
            staged.forward.append(rel)
    outputs = [originals[k].lstrip("/") for k in paths if k.startswith(("out:", "par:"))]
    command = list(spec.get("remote_command") or spec["command"])
    container = spec.get("container")
    run = " ".join(shlex.quote(c) for c in command)
    run += " script" if script else ""
    run += "".join(" " + shlex.quote(a) for a in spec.get("template_args") or [])
    if container:
        prefix = container_prefix(container, [("tmp", "/tmp"), ("script", "/script")], "/")
        run = prefix + run.replace(" script", " /script", 1)
        run = "mkdir -p tmp && " + run
    elif spec.get("map_tmp_dir", True):
        run = f"sed -i \"s#{PWD_MARK}#$(pwd)#g\" script && " + run
    for rel in outputs:
        (d / os.path.dirname(rel)).mkdir(parents=True, exist_ok=True)
    parents = sorted({os.path.dirname(rel) for rel in outputs if os.path.dirname(rel)})
    if parents:   # only the script and inputs travel: the job makes its output directories
        run = "mkdir -p " + " ".join(shlex.quote(p) for p in parents) + " && " + run
    staged.command = wrap(run, outputs)
    staged.backward = [OUT_DIR]


def remote_task_dir(submission: Any, staged: Staged) -> Optional[Path]:
    """The job's directory when it is on this machine (to read its exit code and logs)."""
    try:
        root = Path(submission.machine.context.remote_root)
    except AttributeError:
        return None
    d = root / staged.work_path
    return d if d.is_dir() else None


def job_summary(submission: Any) -> List[Tuple[str, str, str]]:
    out = []
    for job in getattr(submission, "belonging_jobs", []) or []:
        state = getattr(job, "job_state", None)
        out.append((str(getattr(job, "job_hash", "?"))[:12], str(getattr(job, "job_id", "") or ""),
                    getattr(state, "name", str(state))))
    return out


def write_status(batch: str, jobs: List[Tuple[str, str, str]]) -> None:
    """Scheduler state for the engine's step record (when it passes DFLOW_NB_STEP_DIR)."""
    step_dir = os.environ.get("DFLOW_NB_STEP_DIR")
    if not step_dir:
        return
    data = {"batch_type": batch, "jobs": [{"hash": h, "job_id": i, "state": s}
                                          for h, i, s in jobs]}
    tmp = Path(step_dir) / ".executor.json.tmp"
    try:
        tmp.write_text(json.dumps(data))
        os.replace(tmp, Path(step_dir) / "executor.json")
    except OSError:
        pass


def run_submission(submission: Any, spec: Dict[str, Any], batch: str,
                   machine: Dict[str, Any]) -> None:
    """Run DPDispatcher's loop in a thread; report job ids and states as they change; bound
    the wait; on SIGTERM cancel the jobs first."""
    box: Dict[str, Any] = {}
    interval = float(spec.get("check_interval") or 0.5)
    retries = int(spec.get("retry_on_submission_error") or 0)

    def go() -> None:
        for attempt in range(retries + 1):
            try:
                submission.run_submission(clean=bool(spec.get("clean", True)),
                                          check_interval=interval)
                return
            except BaseException as exc:  # report it from the main thread
                box["error"] = exc
                if attempt >= retries or not _is_submission_error(exc):
                    return
                log(f"submission error ({exc}); retry {attempt + 1} of {retries}")
                time.sleep(min(2 ** attempt, 30))
                box.pop("error", None)

    stop: Dict[str, Optional[int]] = {"signal": None}

    def on_term(signum: int, frame: Any) -> None:
        stop["signal"] = signum

    previous = signal.signal(signal.SIGTERM, on_term)
    worker = threading.Thread(target=go, name="dpdispatcher", daemon=True)
    worker.start()
    deadline = spec.get("submission_timeout")
    deadline = time.monotonic() + float(deadline) if deadline else None
    seen: List[Tuple[str, str, str]] = []
    polls = 0
    try:
        while worker.is_alive():
            worker.join(min(interval, 0.5))
            polls += 1
            if polls % 4 == 0:
                hopeless = hopeless_slurm_jobs(submission, batch, machine)
                if hopeless:
                    _cancel(submission)
                    raise DispatchError(hopeless + "; it was cancelled")
            jobs = job_summary(submission)
            if jobs != seen:
                for h, i, s in jobs:
                    if (h, i, s) not in seen:
                        log(f"{batch} job {i or '(not submitted)'} [{h}]: {s}")
                write_status(batch, jobs)
                seen = jobs
            if stop["signal"] is not None or (deadline and time.monotonic() > deadline):
                why = "terminated" if stop["signal"] is not None else \
                    f"did not finish within submission_timeout={spec['submission_timeout']}s"
                _cancel(submission)
                raise DispatchError(f"the {batch} job {why}; unfinished jobs were cancelled",
                                    code=143 if stop["signal"] is not None else 1)
    finally:
        signal.signal(signal.SIGTERM, previous)
    write_status(batch, job_summary(submission))
    if "error" in box:
        raise box["error"]


# Slurm pending reasons that no amount of waiting resolves (the request exceeds what the
# partition or the account allows): fail at once with the scheduler's reason.
HOPELESS = ("PartitionConfig", "PartitionNodeLimit", "PartitionTimeLimit", "BadConstraints",
            "InvalidAccount", "InvalidQOS", "QOSMaxCpuPerJobLimit", "QOSMaxNodePerJobLimit",
            "QOSMaxWallDurationPerJobLimit", "AssocMaxCpuPerJobLimit", "AssocMaxNodePerJobLimit",
            "AssocMaxWallDurationPerJobLimit", "ReqNodeNotAvail", "FrontEndDown", "NodeDown",
            "DependencyNeverSatisfied")


def hopeless_slurm_jobs(submission: Any, batch: str, machine: Dict[str, Any]) -> Optional[str]:
    """Why a pending Slurm job can never start, when squeue on this machine says so."""
    if batch != "Slurm" or not is_local(machine):
        return None
    ids = [j for _, j, s in job_summary(submission) if j and s in ("waiting", "unsubmitted")]
    if not ids or shutil.which("squeue") is None:
        return None
    try:
        done = subprocess.run(["squeue", "-h", "-o", "%i %r", "-j", ",".join(ids)],
                              capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    for line in done.stdout.splitlines():
        job, _, reason = line.strip().partition(" ")
        if any(reason.startswith(h) for h in HOPELESS):
            return f"Slurm job {job} can never start (pending reason: {reason})"
    return None


def _is_submission_error(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "submit" in text or "sbatch" in text or "qsub" in text or "bsub" in text or \
        "requestinfoexception" in type(exc).__name__.lower()


def _cancel(submission: Any) -> None:
    """Cancel unfinished jobs, waiting at most 30 s (a dead scheduler must not hang us)."""
    def go() -> None:
        try:
            submission.remove_unfinished_tasks()
        except Exception as exc:  # the cause we report is the failure, not this
            log(f"could not cancel the unfinished jobs: {exc}")
    t = threading.Thread(target=go, daemon=True)
    t.start()
    t.join(30)
    if t.is_alive():
        log("cancelling the unfinished jobs did not finish within 30 s")


def failure_message(exc: BaseException, batch: str) -> str:
    """DPDispatcher's error in a user's terms: the scheduler's words, not a traceback."""
    text = str(exc).strip() or exc.__class__.__name__
    cause = exc.__cause__
    while cause is not None and "Failed to run" in text:
        text = f"{text}: {cause}"
        cause = cause.__cause__
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return f"{batch} job failed: " + " | ".join(lines)[:3000]


def collect(spec: Dict[str, Any], paths: Dict[str, str], staged: Staged,
            slices: Optional[List[Dict[str, Any]]]) -> None:
    """Move what came back to the declared places (the backend checks what is required)."""
    got = staged.dir / OUT_DIR
    if spec["kind"] == "script":
        originals = spec.get("container_paths") or {}
        for key, p in paths.items():
            if key.startswith(("out:", "par:")):
                src = got / originals[key].lstrip("/")
                if src.exists() or src.is_symlink():
                    move_into(src, Path(p))
        return
    if slices is None:
        out = got / "outputs"
        for key, p in paths.items():
            name = key[4:]
            if key.startswith("par:") and (out / "parameters" / name).exists():
                move_into(out / "parameters" / name, Path(p))
            elif key.startswith("out:") and (out / "artifacts" / name).exists():
                move_into(out / "artifacts" / name, Path(p))
        return
    # Merged slices: each output parameter aggregated as a loop aggregates its items
    # (JSON list), each output artifact the union of the slices' files (catalogs keep order).
    outs = [got / "slices" / str(i) / "outputs" for i in range(len(slices))]
    for key, p in paths.items():
        name = key[4:]
        if key.startswith("par:"):
            values = [(o / "parameters" / name).read_text() for o in outs
                      if (o / "parameters" / name).is_file()]
            if values:
                Path(p).parent.mkdir(parents=True, exist_ok=True)
                Path(p).write_text(aggregate(values))
        elif key.startswith("out:"):
            target = Path(p)
            for o in outs:
                src = o / "artifacts" / name
                if src.exists():
                    link_or_copy(src, target)


def aggregate(values: List[str]) -> str:
    """Argo's loop aggregate: JSON lists/maps embed as JSON, anything else as strings."""
    parsed = []
    for v in values:
        try:
            parsed.append(json.loads(v))
        except ValueError:
            parsed.append(v)
    if all(isinstance(p, (list, dict)) for p in parsed):
        return json.dumps(parsed)
    return json.dumps(values)


def show_job_output(d: Optional[Path], staged: Staged, task: Dict[str, Any]) -> None:
    """The job's stdout becomes ours (the step's result); its stderr goes to our log."""
    out_name, err_name = task.get("outlog") or "log", task.get("errlog") or "err"
    for where in (staged.dir, d):
        if where is None:
            continue
        out, err = where / out_name, where / err_name
        if out.is_file() or err.is_file():
            if err.is_file() and err != out:
                text = err.read_text(errors="replace")
                if text.strip():
                    sys.stderr.write(text if text.endswith("\n") else text + "\n")
            if out.is_file():
                sys.stdout.write(out.read_text(errors="replace"))
            sys.stdout.flush()
            sys.stderr.flush()
            return


def slices_from_env(spec: Dict[str, Any], params: Optional[Dict[str, str]] = None
                    ) -> Tuple[Optional[List[Dict[str, Any]]], Optional[Dict[str, Any]]]:
    """(all slices when merged, this step's one slice).

    The local engine passes DFLOW_NB_SLICE / DFLOW_NB_SLICES. On Argo, a looped slice gets the
    compiler's ``dflow_slice`` argument (DFLOW_NB_ARGO_SLICE), and a merged step, which Argo
    runs as one pod, counts its slices from its first sliced input parameter.
    """
    if not spec.get("sliced") or spec["kind"] != "op":
        return None, None
    merged = os.environ.get("DFLOW_NB_SLICES")
    if merged:
        return json.loads(merged), None
    one = slice_from_env()
    if one is not None:
        return None, one
    fields = spec.get("slice_fields")
    if spec.get("merge") and fields and fields.get("input_parameter") and params is not None:
        name = fields["input_parameter"][0]
        try:
            n = len(json.loads(params[name]))
        except (KeyError, TypeError, ValueError):
            raise DispatchError(f"sliced input parameter {name!r} is not a JSON list", code=2) \
                from None
        return [dict(fields, index=i) for i in range(n)], None
    raise DispatchError("this sliced step was not told its slice (neither DFLOW_NB_SLICE, "
                        "DFLOW_NB_SLICES nor a dflow_slice argument is set: the backend does "
                        "not loop over this step's slices)", code=2)


def main(spec_text: str, tmp: str, paths: Dict[str, str]) -> int:
    """Submit, wait, collect; the exit code is the job's (1 when it is not known)."""
    spec = json.loads(unb64(spec_text))
    names = {"workflow.name": os.environ.get("DFLOW_NB_WORKFLOW", ""),
             "pod.name": os.environ.get("DFLOW_NB_POD", "")}
    machine = substitute(spec["machine"], names)
    resources = substitute(spec["resources"], names)
    task = substitute(spec["task"], names)
    batch = str(machine.get("batch_type"))
    Path(tmp).mkdir(parents=True, exist_ok=True)
    try:
        params = param_values(spec["params"]) if spec["kind"] == "op" else {}
        slices, one_slice = slices_from_env(spec, params)
        for key, var in SECRET_ENVS.items():     # handed over out of band, never in the spec
            if os.environ.get(var):
                machine.setdefault("remote_profile", {})[key] = os.environ[var]
        check_reachable(machine)
        base = Path(spec.get("workdir") or os.getcwd()).resolve() / \
            f"dispatch-{names['pod.name'] or os.getpid()}"
        if base.exists():
            shutil.rmtree(base)
        base.mkdir(parents=True)
        machine["local_root"] = str(base)
        staged = Staged(base, str(task.get("task_work_path") or "task"))
        if spec["kind"] == "op":
            stage_op(spec, paths, params, staged,
                     python_for(spec, machine), slices, one_slice, names["workflow.name"])
        else:
            stage_script(spec, paths, staged)
        env = dict(resources.get("envs") or {})
        env.update({"DFLOW_WORKFLOW": names["workflow.name"], "DFLOW_POD": names["pod.name"]})
        for k in spec.get("env_names") or []:
            if k in os.environ:
                env[k] = os.environ[k]
        resources["envs"] = env
        if slices is not None and "group_size" not in (spec["resources"] or {}):
            resources["group_size"] = 1
        submit(spec, machine, resources, task, staged, batch)
    except DispatchError as exc:
        report(str(exc))
        return exc.code
    collect(spec, paths, staged, slices if spec["kind"] == "op" else None)
    return 0


def submit(spec: Dict[str, Any], machine: Dict[str, Any], resources: Dict[str, Any],
           task: Dict[str, Any], staged: Staged, batch: str) -> None:
    """Run the job through DPDispatcher; a DispatchError with the job's exit code if it fails."""
    try:
        from dpdispatcher import Machine, Resources, Submission, Task
    except ImportError:
        raise DispatchError("dpdispatcher is not installed where this step runs "
                            "(pip install 'dflow-nb[hpc]')", code=2) from None
    from dpdispatcher.dlog import dlog
    for h in dlog.handlers:  # DPDispatcher logs to stdout; stdout is the step's result
        if isinstance(h, logging.StreamHandler) and getattr(h, "stream", None) is sys.stdout:
            h.setStream(sys.stderr)
    task_dict = dict(task)
    task_dict.update({"command": staged.command, "task_work_path": staged.work_path,
                      "forward_files": staged.forward})
    task_dict.setdefault("outlog", "log")
    task_dict.setdefault("errlog", "err")
    task_dict["backward_files"] = staged.backward + [
        f for f in (task_dict["outlog"], task_dict["errlog"], EXIT_FILE)
        if f and f not in staged.backward]
    try:
        mach = Machine.load_from_dict(machine)
        # The context (its SSH session) holds the secrets now; DPDispatcher writes
        # remote_profile into its records (the job's directory, ~/.dpdispatcher): not them.
        profile = getattr(mach.context, "remote_profile", None)
        if isinstance(profile, dict):
            mach.context.remote_profile = {k: v for k, v in profile.items()
                                           if k not in SECRET_ENVS}
        res = Resources.load_from_dict(resources)
        job_task = Task.load_from_dict(task_dict)
        submission = Submission(work_base=".", machine=mach, resources=res,
                                task_list=[job_task])
    except Exception as exc:
        raise DispatchError(f"DPDispatcher rejected the configuration: {exc}", code=2) from None
    log(f"submitting to {batch} via {machine.get('context_type')} "
        f"(queue {resources.get('queue_name') or 'default'})")
    try:
        run_submission(submission, spec, batch, machine)
    except DispatchError:
        raise
    except BaseException as exc:
        remote_dir = remote_task_dir(submission, staged)
        show_job_output(remote_dir, staged, task_dict)
        code = _exit_code(remote_dir) or 1
        raise DispatchError(failure_message(exc, batch), code=code) from None
    show_job_output(None, staged, task_dict)
    exit_code = _exit_code(staged.dir / OUT_DIR) or _exit_code(staged.dir)
    if exit_code:
        raise DispatchError(f"{batch} job exited with code {exit_code}", code=exit_code)


def _exit_code(d: Optional[Path]) -> Optional[int]:
    if d is None:
        return None
    f = d / EXIT_FILE
    try:
        return int(f.read_text().strip())
    except (OSError, ValueError):
        return None
