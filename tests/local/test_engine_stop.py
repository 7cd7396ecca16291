"""Stopping the engine: Ctrl-C or SIGTERM of a script that runs the engine in-process stops
the run's steps and records the run as stopped; after a SIGKILL the next engine (or
``resume()``) ends what the dead one left running; a run without a live engine is not Running
anywhere; nothing a step starts (``setsid`` included) outlives it."""
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from dflow_nb import ShellOPTemplate, Step, Workflow
from dflow_nb.hub.workflow import query_workflows
from dflow_nb.python import OP, OPIO, OPIOSign, PythonOPTemplate

SCRIPT = textwrap.dedent("""
    import os, signal, sys, time
    signal.signal(signal.SIGINT, signal.default_int_handler)   # as in a terminal
    from dflow_nb import ShellOPTemplate, Step, Workflow, config
    from dflow_nb.python import OP, OPIO, OPIOSign, PythonOPTemplate
    config["mode"] = "debug"
    workdir, pids, how = sys.argv[1], sys.argv[2], sys.argv[3]

    class Sleeper(OP):
        @classmethod
        def get_input_sign(cls):
            return OPIOSign({"pids": str})

        @classmethod
        def get_output_sign(cls):
            return OPIOSign({})

        def execute(self, op_in):
            with open(op_in["pids"] + "/op", "w") as f:
                f.write(str(os.getpid()))
            time.sleep(1000)
            return OPIO({})

    shell = ShellOPTemplate(name="sleeper", script='echo $$ > "$PIDS/shell"; exec sleep 1000',
                            envs={"PIDS": pids})
    wf = Workflow("victim", workdir=workdir)
    wf.add([Step("shell", shell),
            Step("op", PythonOPTemplate(Sleeper), parameters={"pids": pids})])
    wf.submit(wait=False, detach=how == "detach")
    print("ID", wf.id, flush=True)
    wf.wait()
    """)


@pytest.fixture
def victim(tmp_path, procs):
    """Start the script; returns (process, workflow id, {'shell': pid, 'op': pid})."""
    script = tmp_path / "victim.py"
    script.write_text(SCRIPT)
    pids = tmp_path / "pids"
    pids.mkdir()
    started = []

    def start(how="attached"):
        proc = subprocess.Popen([sys.executable, str(script), str(tmp_path), str(pids), how],
                                stdout=subprocess.PIPE, text=True, start_new_session=True)
        started.append(proc)
        procs.watch(proc.pid)
        wf_id = ""
        while not wf_id:
            line = proc.stdout.readline()
            assert line, "the script ended before it submitted"
            wf_id = line.split()[1] if line.startswith("ID ") else ""
        steps = {k: procs.read(pids / k) for k in ("shell", "op")}
        return proc, wf_id, steps

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)
        proc.stdout.close()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_to_the_script_stops_the_run_and_records_it(tmp_path, victim, procs, sig):
    proc, wf_id, steps = victim()
    proc.send_signal(sig)
    proc.wait(timeout=30)
    for name, pid in steps.items():
        assert procs.wait_dead(pid, timeout=5), f"the {name} step outlived its engine"
    wf = Workflow(id=wf_id, workdir=tmp_path)
    record = wf.query()
    assert record.phase == "Failed"
    assert record.message.startswith("Stopped with strategy 'Terminate'"), record.message
    assert {s.phase for s in wf.query_step(type="Pod")} == {"Failed"}


def test_after_sigkill_the_next_engine_ends_the_orphans(tmp_path, victim, procs):
    proc, wf_id, steps = victim()
    proc.kill()
    proc.wait(timeout=30)
    wf = Workflow(id=wf_id, workdir=tmp_path)
    assert wf.query_status() != "Running"
    other = Workflow("next", workdir=tmp_path)       # any engine start in this work directory
    other.add(Step("s", ShellOPTemplate(name="s", script="echo hi")))
    assert other.submit(wait=True).phase == "Succeeded"
    for name, pid in steps.items():
        assert procs.wait_dead(pid, timeout=5), f"the {name} step of the killed engine lives on"
    record = wf.query()
    assert record.phase == "Error" and "engine" in record.message
    assert not [s for s in wf.query_step() if s.phase in ("Pending", "Running")]


def test_resume_after_sigkill_ends_the_orphans_first(tmp_path, victim, procs):
    proc, wf_id, steps = victim()
    proc.kill()
    proc.wait(timeout=30)
    pids = tmp_path / "pids"
    for name in steps:
        (pids / name).unlink()
    wf = Workflow(id=wf_id, workdir=tmp_path)
    wf.resume()
    try:
        for name, pid in steps.items():
            assert procs.wait_dead(pid, timeout=5), f"the old {name} step lives on"
        again = {k: procs.read(pids / k) for k in steps}   # the steps run again, once
        assert set(again.values()).isdisjoint(steps.values())
    finally:
        wf.terminate()


def test_a_detached_run_outlives_its_submitter(tmp_path, victim, procs):
    proc, wf_id, steps = victim("detach")
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=30)
    wf = Workflow(id=wf_id, workdir=tmp_path)
    try:
        time.sleep(0.5)
        assert wf.query_status() == "Running"
        assert all(procs.alive(pid) for pid in steps.values())
    finally:
        wf.terminate()
    assert wf.query_status() == "Failed"
    for pid in steps.values():
        assert procs.wait_dead(pid, timeout=5)


def test_sigterm_to_a_detached_engine_stops_its_run(tmp_path, victim, procs):
    from dflow_nb.local.state import StateReader
    _, wf_id, steps = victim("detach")
    daemon = procs.watch(StateReader(tmp_path).workflow(wf_id)["engine_pid"])
    os.kill(daemon, signal.SIGTERM)
    assert procs.wait_dead(daemon, timeout=20)
    for name, pid in steps.items():
        assert procs.wait_dead(pid, timeout=5), f"the {name} step outlived its engine"
    record = Workflow(id=wf_id, workdir=tmp_path).query()
    assert record.phase == "Failed"
    assert record.message == ("Stopped with strategy 'Terminate': the engine's process "
                              "received SIGTERM"), record.message


def test_every_face_agrees_that_a_run_without_engine_is_not_running(tmp_path, victim, procs):
    from dflow_nb.notebook.viewdata import run_summary
    proc, wf_id, _ = victim()
    proc.kill()
    proc.wait(timeout=30)
    wf = Workflow(id=wf_id, workdir=tmp_path)
    (listed,) = [r for r in query_workflows(tmp_path) if r.id == wf_id]
    record = wf.query()
    assert record.phase != "Running"
    assert (listed.phase, listed.message) == (record.phase, record.message)
    assert wf.query_status() == record.phase
    assert run_summary(listed, None)["phase"] == record.phase   # the sidebar's row
    cli = subprocess.run([sys.executable, "-m", "dflow_nb.cli", "--workdir", str(tmp_path),
                          "list"], capture_output=True, text=True, timeout=60)
    (line,) = [x for x in cli.stdout.splitlines() if x.startswith(wf_id)]
    assert line.split()[1] == record.phase


class SpawnsDetached(OP):
    """Starts a child in a session of its own, as ``setsid`` does, and returns."""

    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"pid_file": str})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({})

    def execute(self, op_in):
        child = subprocess.Popen(["sleep", "1000"], start_new_session=True,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        Path(op_in["pid_file"]).write_text(str(child.pid))
        return OPIO({})


def test_a_child_started_with_setsid_does_not_outlive_its_step(tmp_path, procs):
    import cloudpickle
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    shell_pid, op_pid = tmp_path / "shell.pid", tmp_path / "op.pid"
    wf = Workflow("setsid")
    wf.add([Step("shell", ShellOPTemplate(
                name="spawn", envs={"PIDS": str(shell_pid)},
                script='setsid sh -c \'echo $$ > "$PIDS"; exec sleep 1000\' '
                       '</dev/null >/dev/null 2>&1 &\n'
                       'while [ ! -s "$PIDS" ]; do sleep 0.02; done')),
            Step("op", PythonOPTemplate(SpawnsDetached), parameters={"pid_file": str(op_pid)})])
    assert wf.submit(wait=True).phase == "Succeeded"
    children = {"shell": procs.read(shell_pid), "op": procs.read(op_pid)}
    for name, pid in children.items():
        assert procs.wait_dead(pid, timeout=2), f"the {name} step's setsid child outlived it"


def test_a_step_that_ignores_its_group_leaving_is_ended_on_terminate(tmp_path, procs):
    """terminate() also ends a running step's children that left its process group."""
    pid_file = tmp_path / "child.pid"
    wf = Workflow("setsid-term")
    wf.add(Step("s", ShellOPTemplate(
        name="spawn", envs={"PIDS": str(pid_file)},
        script='setsid sh -c \'echo $$ > "$PIDS"; exec sleep 1000\' '
               '</dev/null >/dev/null 2>&1 &\nsleep 1000')))
    wf.submit(wait=False)
    child = procs.read(pid_file)
    wf.terminate()
    assert procs.wait_dead(child, timeout=5)
