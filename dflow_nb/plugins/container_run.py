"""What a ContainerExecutor step runs: its template's script (or OP) inside the image.

``main`` is called by the rendered template's script with the step's ``/tmp`` (``TMP``) and
its declared paths (``PATHS``) as the backend sees them: on the local engine these point into
the step's own directory, in an Argo pod they are the real paths. The step's ``/tmp`` is
mounted at ``/tmp`` in the container; declared paths outside ``/tmp`` are mounted one by one.
Exit codes pass through; a container whose process died by a signal ends this process by the
same signal, so the step's message names it as for any other killed step.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from dflow_nb.plugins._render import unb64
from dflow_nb.plugins._runtime import link_or_copy, log, move_into, param_values, report, slice_from_env

PULL_TIMEOUT = 300.0
Mount = Tuple[str, str, bool]  # host path, container path, read-only


class ContainerError(RuntimeError):
    """The container could not be started (no such image, no runtime...)."""


def signal_name(code: int) -> Optional[str]:
    """The signal behind a container exit code 128+N (the shell and runtime convention)."""
    if 128 < code < 128 + 65:
        try:
            return signal.Signals(code - 128).name
        except ValueError:
            return f"signal {code - 128}"
    return None


def die_like(code: int) -> int:
    """Exit as the container did: by its signal when it was killed by one."""
    name = signal_name(code)
    if name is not None and not name.startswith("signal "):
        sig = signal.Signals[name]
        if sig not in (signal.SIGSTOP, signal.SIGTSTP):
            sys.stdout.flush()
            sys.stderr.flush()
            if sig not in (signal.SIGKILL,):  # SIGKILL's disposition cannot (and need not) change
                signal.signal(sig, signal.SIG_DFL)
            os.kill(os.getpid(), sig)
    return code


def image_present(exe: str, image: str) -> bool:
    try:
        return subprocess.run([exe, "image", "exists", image], capture_output=True,
                              timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def ensure_image(engine: Dict[str, str], image: str, pull: Optional[str]) -> None:
    """Pull as the policy says; a missing image is an error that names it, never a hang."""
    kind, exe = engine["kind"], engine["exe"]
    if shutil.which(exe) is None and not os.path.isfile(exe):
        raise ContainerError(f"{kind} executable {exe!r} was not found on this machine")
    if kind == "singularity":
        return
    present = image_present(exe, image)
    if pull == "Never" or (present and pull != "Always"):
        if not present:
            raise ContainerError(f"image {image!r} is not present locally and "
                                 "image_pull_policy is Never")
        return
    try:
        done = subprocess.run([exe, "pull", "-q", image], capture_output=True, text=True,
                              timeout=PULL_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise ContainerError(f"pulling image {image!r} took longer than {PULL_TIMEOUT:g}s") from None
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise ContainerError(f"image {image!r} is not present locally and could not be pulled: "
                             f"{detail[-1] if detail else 'exit code %d' % done.returncode}")


def slice_arg() -> List[str]:
    """``--slice`` for the OP entry point when this step runs one slice."""
    spec = slice_from_env()
    return ["--slice", json.dumps(spec)] if spec is not None else []


def main(spec_text: str, tmp: str, paths: Dict[str, str]) -> int:
    """Run the step in its container; returns the exit code (or dies by the container's signal)."""
    spec = json.loads(unb64(spec_text))
    engine, image = spec["engine"], spec["image"]
    host_tmp = Path(tmp)
    host_tmp.mkdir(parents=True, exist_ok=True)
    try:
        ensure_image(engine, image, spec.get("pull"))
    except ContainerError as exc:
        report(str(exc))
        return 125
    mounts: List[Mount] = [(str(host_tmp), "/tmp", False)]
    for host, inside in (spec.get("mounts") or {}).items():
        ro = inside.endswith(":ro")
        mounts.append((host, inside[:-3] if ro else inside, ro))
    for key, inside in (spec.get("container_paths") or {}).items():
        if inside.startswith("/tmp/") or key not in paths:
            continue
        host = Path(paths[key])
        if key.startswith("in:"):
            if host.exists():
                mounts.append((str(host), inside, True))
        else:
            host.parent.mkdir(parents=True, exist_ok=True)
            mounts.append((str(host.parent), os.path.dirname(inside), False))
    env_names = list(spec.get("env_names") or [])
    workdir: Optional[str]
    if spec["kind"] == "op":
        root_host = host_tmp / "dflow_nb_op"
        if root_host.exists():
            shutil.rmtree(root_host)
        (root_host / "inputs" / "parameters").mkdir(parents=True)
        for name, value in param_values(spec["params"]).items():
            (root_host / "inputs" / "parameters" / name).write_text(value)
        for key, p in paths.items():
            if key.startswith("in:") and Path(p).exists():
                link_or_copy(Path(p), root_host / "inputs" / "artifacts" / key[3:])
        (root_host / "op.pkl").write_bytes(unb64(spec["op"]))
        (root_host / "work").mkdir()
        command = [spec["python"], "-m", "dflow_nb.python.entry", "/tmp/dflow_nb_op/op.pkl",
                   "/tmp/dflow_nb_op", *slice_arg()]
        workdir = "/tmp/dflow_nb_op/work"
    else:
        script = os.environ.get("DFLOW_NB_SCRIPT", "")
        (host_tmp / ".dflow_nb_script").write_text(script)
        command = list(spec["command"]) + (["/tmp/.dflow_nb_script"] if script else []) + \
            list(spec.get("template_args") or [])
        workdir = spec.get("workdir")
    code = run_container(engine, image, mounts, env_names, workdir, spec.get("args") or [],
                         command)
    if spec["kind"] == "op":
        out = host_tmp / "dflow_nb_op" / "outputs"
        for key, p in paths.items():
            if key.startswith("par:") and (out / "parameters" / key[4:]).exists():
                move_into(out / "parameters" / key[4:], Path(p))
            elif key.startswith("out:") and (out / "artifacts" / key[4:]).exists():
                move_into(out / "artifacts" / key[4:], Path(p))
    if code == 125 and engine["kind"] in ("podman", "docker"):
        report(f"{engine['kind']} could not run the container of image {image!r} "
               "(see the log above)")
        return code
    killed_by = signal_name(code)
    if killed_by is not None:
        report(f"the container's process was killed by {killed_by} (exit code {code})")
        return die_like(code)
    return code


def run_container(engine: Dict[str, str], image: str, mounts: List[Mount], env_names: List[str],
                  workdir: Optional[str], extra: List[str], command: List[str]) -> int:
    """Run and wait; a SIGTERM to this process stops the container first."""
    kind, exe = engine["kind"], engine["exe"]
    env = dict(os.environ)
    if kind == "singularity":
        argv = [exe, "exec", "--cleanenv"]
        for host, inside, ro in mounts:
            argv += ["-B", f"{host}:{inside}" + (":ro" if ro else "")]
        for k in env_names:
            argv += ["--env", f"{k}={env.get(k, '')}"]
        if workdir:
            argv += ["--pwd", workdir]
        argv += [*extra, image, *command]
    else:
        name = f"dflow-nb-{os.environ.get('DFLOW_NB_POD') or os.getpid()}"[:120]
        name = "".join(c if c.isalnum() or c in "_.-" else "-" for c in name)
        argv = [exe, "run", "--rm", "--name", name]
        for host, inside, ro in mounts:
            argv += ["-v", f"{host}:{inside}" + (":ro" if ro else "")]
        for k in env_names:
            argv += ["-e", k]  # the value is inherited: it never shows in a process list
        if workdir:
            argv += ["-w", workdir]
        argv += [*extra, image, *command]
    log(f"{' '.join(argv[:3])} ... {image} {' '.join(command)}")
    proc = subprocess.Popen(argv, env=env)

    def stop(signum: int, frame: Any) -> None:
        if kind != "singularity":
            subprocess.run([exe, "kill", name], capture_output=True, timeout=30)
        proc.terminate()

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        return proc.wait()
    finally:
        signal.signal(signal.SIGTERM, previous)
