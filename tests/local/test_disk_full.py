"""A full disk (a real 2 MiB tmpfs) ends the step, or the run when its state cannot be written,
with an error that says "disk full" and where; it never hangs the engine."""
import errno
import os
import sys

import cloudpickle
import pytest

from dflow_nb import ShellOPTemplate, Step, Task, Workflow
from dflow_nb.errors import DflowNbError
from dflow_nb.local.nodes import NodeBook
from dflow_nb.local.state import DB_NAME, StateStore
from dflow_nb.python import OP, OPIO, OPIOSign, PythonOPTemplate

cloudpickle.register_pickle_by_value(sys.modules[__name__])


def shell(name, script, **envs):
    return ShellOPTemplate(name=name, script=script, envs={k: str(v) for k, v in envs.items()})


def fill(directory):
    """Write a file until the file system has not one free block left."""
    filler = directory / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 16, 4096, 1):
            while True:
                try:
                    os.write(fd, b"\0" * size)
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC
                    break
    finally:
        os.close(fd)
    return filler


class Talk(OP):
    """Prints more than the disk holds."""

    @classmethod
    def get_input_sign(cls):
        return OPIOSign({})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({})

    def execute(self, op_in):
        for _ in range(4096):
            print("x" * 1023)
        return OPIO({})


def test_a_step_whose_log_fills_the_disk_ends_with_disk_full(tmp_path, tmpfs, procs,
                                                              monkeypatch):
    """The step writes faster than the disk can take: the engine used to stop reading its
    output while waiting for it to exit, and it never did (blocked on the full pipe). An OP
    whose output cannot be written fails too."""
    monkeypatch.setattr("dflow_nb.local.backend.randstr", lambda *a: "tmpfs")
    run_dir = tmpfs(tmp_path / "spew-tmpfs")          # the run's steps and logs; state elsewhere
    pid_file = tmp_path / "spew.pid"
    wf = Workflow("spew")
    wf.add([Step("spew", shell("spew", 'echo $$ > "$PIDS"; exec yes xxxxxxxxxxxxxxxxxxxx',
                               PIDS=pid_file)),
            Step("talk", PythonOPTemplate(Talk))])
    wf.submit(wait=False)
    assert wf.id == "spew-tmpfs"
    try:
        phase = wf.wait(timeout=30)
    finally:
        procs.read(pid_file)
        if wf.query_status() == "Running":
            wf.terminate()
    assert phase == "Error"
    (step,) = wf.query_step(name="spew")
    assert step.phase == "Error"
    assert "disk full" in step.message and str(run_dir) in step.message, step.message
    assert procs.wait_dead(procs.read(pid_file))
    (talk,) = wf.query_step(name="talk")
    assert talk.phase == "Failed"       # the OP raised, as its container would exit non-zero
    assert "disk full" in talk.message and str(run_dir) in talk.message, talk.message


def test_a_full_disk_under_the_state_database_ends_the_run(tmp_path, tmpfs, procs):
    """The state cannot be written: the run ends with "disk full" and the database's path, its
    other running steps are stopped before that, and the record is written once there is
    room again."""
    workdir = tmpfs(tmp_path / "small")
    gate, slow_pid, gated_pid = tmp_path / "gate", tmp_path / "slow.pid", tmp_path / "gated.pid"
    wf = Workflow("stateful", workdir=workdir)
    wf.add(Task("slow", shell("slow", 'echo $$ > "$PIDS"; exec sleep 600', PIDS=slow_pid)))
    wf.add(Task("gated", shell("gated", 'echo $$ > "$PIDS"; '
                               'while [ ! -e "$GATE" ]; do sleep 0.05; done; echo done',
                               PIDS=gated_pid, GATE=gate)))
    wf.submit(wait=False)
    slow = procs.read(slow_pid)
    procs.read(gated_pid)
    filler = fill(workdir)
    gate.touch()
    try:
        phase = wf.wait(timeout=30)
        message = wf.query().message
    finally:
        filler.unlink()
        if wf.query_status() == "Running":
            wf.terminate()
    assert phase == "Error"
    assert "disk full" in message and str(workdir / DB_NAME) in message, message
    assert procs.wait_dead(slow, timeout=1), "a sibling step outlived its run"
    record = wf.query()                      # room again: the end is on record
    assert (record.phase, record.message) == (phase, message)
    assert not [s for s in wf.query_step() if s.phase in ("Pending", "Running")]


def test_a_failed_commit_on_a_full_disk_says_disk_full_and_where(tmp_path, tmpfs):
    root = tmpfs(tmp_path / "small")
    store = StateStore(root)
    store.create_workflow("wf-1", "wf", root / "wf-1", None)
    book = NodeBook("wf-1", store)
    filler = fill(root)
    with pytest.raises(DflowNbError) as info:
        for i in range(200):       # the first few may fit in a partly used page
            book.start(book.make(f"wf-1.step-{i}", f"step-{i}", "Pod"))
    message = str(info.value)
    assert "disk full" in message and str(root / DB_NAME) in message, message
    assert "rollback" not in message
    filler.unlink()                 # room again: the same store goes on writing
    book.start(book.make("wf-1.after", "after", "Pod"))
