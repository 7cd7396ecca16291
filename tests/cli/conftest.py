"""The CLI tests run ``dflow-nb`` as a user does: a subprocess in a work directory, with an
environment that names no Argo Server unless the test gives one."""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

WORKFLOWS = Path(__file__).parent / "workflows"
BIN = Path(sys.executable).parent


class Result:
    """One finished command: exit code, standard output and standard error."""

    def __init__(self, proc: subprocess.CompletedProcess):
        self.code, self.out, self.err = proc.returncode, proc.stdout, proc.stderr
        self.args = proc.args

    def json(self):
        return json.loads(self.out)

    def __repr__(self):
        return f"<{' '.join(map(str, self.args[3:]))} -> {self.code}\n{self.out}\n{self.err}>"


def environment(extra=None):
    """The caller's environment without any dflow/Argo target (tests set their own)."""
    env = {k: v for k, v in os.environ.items()
           if not (k.startswith(("DFLOW_", "ARGO_")) and k != "DFLOW_NB_SHARED")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra or {})
    return env


def cli(*args, cwd, env=None, input=None, timeout=120):
    """Run ``dflow-nb ARGS`` (as ``python -m dflow_nb.cli``) and return its Result."""
    proc = subprocess.run([sys.executable, "-m", "dflow_nb.cli", *map(str, args)], cwd=cwd,
                          env=environment(env), input=input, capture_output=True, text=True,
                          timeout=timeout)
    return Result(proc)


def start(*args, cwd, env=None):
    """Start ``dflow-nb ARGS`` without waiting (its output read line by line)."""
    return subprocess.Popen([sys.executable, "-m", "dflow_nb.cli", *map(str, args)], cwd=cwd,
                            env=environment(env), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def finish(proc, timeout=120):
    """The rest of a started command's output (what was read already stays read)."""
    out = proc.stdout.read()   # not communicate(): it would skip what readline() buffered
    err = proc.stderr.read()
    proc.wait(timeout=timeout)
    return Result(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))


def poll(predicate, timeout=30.0, what="condition"):
    """Call ``predicate`` until it returns something true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def user_error(result, code=2):
    """A mistake reported as one line and an exit code, never a traceback."""
    assert result.code == code, result
    assert "Traceback" not in result.err, result
    assert result.err.startswith("dflow-nb "), result
    return result.err


@pytest.fixture(scope="module")
def local_runs(tmp_path_factory):
    """One work directory with two finished runs of double.py, submitted side by side: one
    Succeeded (n=3, labelled team=md), one Failed (n=-1). Read-only verbs share them."""
    workdir = tmp_path_factory.mktemp("cli-runs")
    ok = start("submit", WORKFLOWS / "double.py", "-p", "n=3", "-l", "team=md", "--wait",
               "-o", "json", cwd=workdir)
    failed = start("submit", WORKFLOWS / "double.py", "-p", "n=-1", "--wait", "-o", "json",
                   cwd=workdir)
    return {"dir": workdir, "ok": finish(ok), "failed": finish(failed)}
