"""Misbehaving steps end with a clear phase and message; the engine and other steps go on."""
import os
import signal
import time
from pathlib import Path

import psutil

from dflow_nb import ShellOPTemplate, Step, Workflow
from dflow_nb.python import OP, OPIO, OPIOSign, PythonOPTemplate


def shell(name, script, **kw):
    return ShellOPTemplate(name=name, script=script, **kw)


def test_leaked_child_processes_are_killed_when_the_step_ends(tmp_path):
    pidfile = tmp_path / "pid"
    leak = shell("leak", '(sleep 300 & echo $! > "$PIDFILE"); echo started',
                 envs={"PIDFILE": str(pidfile)})
    wf = Workflow("leaky")
    wf.add(Step("leak", leak))
    begin = time.monotonic()
    wf.submit()
    assert time.monotonic() - begin < 120   # not blocked by the leaked child holding stdout (300 s)
    assert wf.query_step(name="leak")[0].phase == "Succeeded"
    pid = int(pidfile.read_text())
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


class Leaker(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"pidfile": str})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({})

    def execute(self, op_in):
        import subprocess
        proc = subprocess.Popen(["sleep", "300"])
        Path(op_in["pidfile"]).write_text(str(proc.pid))
        return OPIO()


def test_a_python_op_leaking_a_process_does_not_leave_it_running(tmp_path):
    pidfile = tmp_path / "pid"
    wf = Workflow("py-leak")
    wf.add(Step("leak", PythonOPTemplate(Leaker), parameters={"pidfile": str(pidfile)}))
    wf.submit()
    assert wf.query_status() == "Succeeded"
    pid = int(pidfile.read_text())
    deadline = time.monotonic() + 5
    while psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline, "the leaked process survived its step"
        time.sleep(0.05)


def test_a_step_dying_by_signal_fails_with_the_signal_and_others_finish():
    wf = Workflow("signals")
    wf.add([Step("segv", shell("segv", "kill -SEGV $$")),
            Step("fine", shell("fine", "sleep 0.2; echo ok"))])
    wf.submit()
    segv = wf.query_step(name="segv")[0]
    assert segv.phase == "Failed" and "SIGSEGV" in segv.message
    assert wf.query_step(name="fine")[0].phase == "Succeeded"


def test_gigantic_logs_stream_to_disk_not_memory():
    mb = 300
    noisy = shell("noisy", f"head -c {mb * 1024 * 1024} /dev/zero | tr '\\\\0' x; echo; echo END")
    engine = psutil.Process(os.getpid())
    before = engine.memory_info().rss
    wf = Workflow("noisy")
    wf.add(Step("noisy", noisy))
    wf.submit()
    step = wf.query_step(name="noisy")[0]
    assert step.phase == "Succeeded" and step.outputs.result.endswith("END")
    assert len(step.outputs.result) <= 256 * 1024
    assert Path(step.dir, "log.txt").stat().st_size > mb * 1024 * 1024
    assert engine.memory_info().rss - before < 100 * 1024 * 1024


def test_a_hanging_step_with_a_timeout_ends_and_the_rest_carries_on():
    wf = Workflow("hang")
    wf.add([Step("hang", shell("hang", "sleep 600", timeout="1s")),
            Step("other", shell("other", "echo fine"))])
    begin = time.monotonic()
    wf.submit()
    assert time.monotonic() - begin < 15
    assert wf.query_step(name="hang")[0].phase == "Failed"
    assert wf.query_step(name="other")[0].outputs.result == "fine"


def test_killing_a_step_from_outside_is_reported():
    wf = Workflow("outside")
    wf.add(Step("victim", shell("victim", "echo $$ > /tmp/pid; sleep 60")))
    wf.submit(wait=False)
    deadline = time.monotonic() + 20
    while True:
        steps = wf.query_step(name="victim")
        pidfile = Path(steps[0].dir, "fs", "tmp", "pid") if steps and steps[0].dir else None
        if pidfile is not None and pidfile.exists() and pidfile.read_text().strip():
            break
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(int(pidfile.read_text()), signal.SIGKILL)
    assert wf.wait(timeout=20) == "Failed"
    assert "SIGKILL" in wf.query_step(name="victim")[0].message
