"""Steering runs: terminate, stop, suspend/resume, detach and reattach, resume after failure."""
import os
import sys
import time
from pathlib import Path

import cloudpickle

from dflow_nb import OutputParameter, ShellOPTemplate, Step, Workflow
from dflow_nb.python import OP, OPIO, OPIOSign, PythonOPTemplate

cloudpickle.register_pickle_by_value(sys.modules[__name__])  # detached engines load our OPs


def shell(name, script, out=None, **envs):
    """A shell step; host paths go in through envs (``/tmp`` in a script is the step's own)."""
    t = ShellOPTemplate(name=name, script=script, envs={k: str(v) for k, v in envs.items()})
    if out:
        t.outputs.parameters[out] = OutputParameter(value_from_path=f"/tmp/{out}")
    return t


def wait_for(predicate, timeout=20.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def running(wf, name):
    return lambda: any(s.phase == "Running" for s in wf.query_step(name=name))


def test_terminate_kills_running_steps_and_skips_exit_handlers(tmp_path):
    marker = tmp_path / "exit-ran"
    wf = Workflow("term", on_exit=shell("bye", 'touch "$MARKER"', MARKER=marker))
    wf.add(Step("sleep", shell("sleep", "sleep 60")))
    wf.submit(wait=False)
    wait_for(running(wf, "sleep"), what="the step to start")
    begin = time.monotonic()
    wf.terminate()
    assert time.monotonic() - begin < 10
    assert wf.query_status() == "Failed"
    assert wf.query().message == "Stopped with strategy 'Terminate'"
    step = wf.query_step(name="sleep")[0]
    assert step.phase == "Failed" and step.message == "workflow shutdown with strategy: Terminate"
    assert not marker.exists()
    assert os.getpid()  # the calling process is still here


def test_stop_runs_exit_handlers(tmp_path):
    marker = tmp_path / "exit-ran"
    wf = Workflow("stop", on_exit=shell("bye", 'echo {{workflow.status}} > "$MARKER"',
                                        MARKER=marker))
    wf.add(Step("sleep", shell("sleep", "sleep 60")))
    wf.submit(wait=False)
    wait_for(running(wf, "sleep"), what="the step to start")
    wf.stop()
    assert wf.wait(timeout=20) == "Failed"
    assert wf.query().message == "Stopped with strategy 'Stop'"
    assert marker.read_text().strip() == "Failed"


def test_suspend_holds_new_steps_until_resume(tmp_path):
    gate = tmp_path / "gate"
    wf = Workflow("suspend")
    wf.add(Step("first", shell("first", 'while [ ! -e "$GATE" ]; do sleep 0.05; done',
                               GATE=gate)))
    wf.add(Step("second", shell("second", "echo 2 > /tmp/v", out="v")))
    wf.submit(wait=False)
    wait_for(running(wf, "first"), what="the first step")
    wf.suspend()
    wait_for(lambda: wf.query().message == "suspended", what="the suspension")
    gate.touch()
    wait_for(lambda: wf.query_step(name="first")[0].phase == "Succeeded", what="first to end")
    time.sleep(0.5)
    assert wf.query_step(name="second") == [] or \
        wf.query_step(name="second")[0].phase == "Pending"
    wf.resume()
    assert wf.wait(timeout=20) == "Succeeded"
    assert wf.query_step(name="second")[0].outputs.parameters["v"].value == "2"


def test_detached_run_outlives_its_submitter_and_can_be_steered():
    wf = Workflow("detached")
    wf.add(Step("nap", shell("nap", "sleep 0.5; echo done > /tmp/v", out="v")))
    wf.submit(detach=True)
    row_pid = wait_for(lambda: _engine_pid(wf), what="the daemon to claim the run")
    assert row_pid != os.getpid()
    again = Workflow(id=wf.id)
    assert again.wait(timeout=30) == "Succeeded"
    assert again.query_step(name="nap")[0].outputs.parameters["v"].value == "done"


def _engine_pid(wf):
    from dflow_nb.local.state import StateReader
    row = StateReader(Path(wf.workdir).resolve()).workflow(wf.id)
    return row["engine_pid"] if row and row["phase"] == "Running" else None


def test_a_dead_engine_is_reported_and_resume_continues():
    wf = Workflow("orphan")
    wf.add(Step("a", shell("a", "echo a > /tmp/v", out="v"), key="a"))
    wf.add(Step("b", shell("b", "sleep 60")))
    wf.submit(detach=True)
    wait_for(running(wf, "b"), what="step b to start")
    os.kill(_engine_pid(wf), 9)
    wait_for(lambda: wf.query_status() == "Error", timeout=30, what="the lost engine to show")
    assert "resume()" in wf.query().message
    a_dir = wf.query_step(name="a")[0].dir
    b_dir = wf.query_step(name="b")[0].dir
    attached = Workflow(id=wf.id)       # another process would do the same: no model in hand
    attached.resume(detach=False)
    # b runs again under its Argo node id (as after `argo retry`), in a fresh step directory
    wait_for(lambda: [(s.phase, s.dir != b_dir) for s in attached.query_step(name="b")] ==
             [("Running", True)], what="b to run again")
    attached.terminate()
    assert [s.dir for s in attached.query_step(name="a")] == [a_dir]   # a did not run again


class Flaky(OP):
    """Fails until a file exists: the fix happens between the runs."""

    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"marker": str})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"ok": str})

    def execute(self, op_in):
        if not Path(op_in["marker"]).exists():
            raise RuntimeError("not ready")
        return OPIO({"ok": "yes"})


def test_retry_reruns_only_what_failed(tmp_path):
    marker = tmp_path / "ready"
    counter = tmp_path / "count"
    wf = Workflow("retry-me")
    wf.add(Step("count", shell("count", 'echo x >> "$COUNTER"', COUNTER=counter)))
    wf.add(Step("flaky", PythonOPTemplate(Flaky), parameters={"marker": str(marker)}))
    wf.submit()
    assert wf.query_status() == "Failed"
    marker.touch()
    wf.retry()
    assert wf.wait(timeout=30) == "Succeeded"
    assert counter.read_text().count("x") == 1        # count had succeeded: not run again
    (flaky,) = wf.query_step(name="flaky")            # Argo's retry re-runs under the same node
    assert flaky.phase == "Succeeded" and flaky.outputs.parameters["ok"].value == "yes"
    assert Path(flaky.dir).name == "flaky-2"          # the failed attempt's directory stays
