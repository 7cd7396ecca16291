"""Crash safety: a detached run killed with SIGKILL at random moments resumes correctly."""
import os
import random
import signal
import sqlite3
import sys
import time
from pathlib import Path

import cloudpickle

from dflow_nb import Step, Workflow
from dflow_nb.local.state import DB_NAME, StateReader
from dflow_nb.python import OP, OPIO, OPIOSign, PythonOPTemplate

cloudpickle.register_pickle_by_value(sys.modules[__name__])

GROUPS, WIDTH = 30, 10          # 300 steps
KILLS = 20


class Work(OP):
    """Adds its index to the previous group's value; journals every execution."""

    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"tag": str, "base": int, "i": int, "journal": str})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"value": int})

    def execute(self, op_in):
        with open(op_in["journal"], "a") as f:
            f.write(op_in["tag"] + "\n")
        time.sleep(0.04)
        return OPIO({"value": op_in["base"] + op_in["i"]})


def build(journal):
    wf = Workflow("crashy")
    template = PythonOPTemplate(Work)
    previous = None
    for g in range(GROUPS):
        group = []
        for i in range(WIDTH):
            base = previous.outputs.parameters["value"] if previous is not None else 0
            group.append(Step(f"g{g}-{i}", template, parameters={
                "tag": f"g{g}-{i}", "base": base, "i": i, "journal": str(journal)}))
        wf.add(group)
        previous = group[-1]
    return wf


def expected_values():
    values, base = {}, 0
    for g in range(GROUPS):
        for i in range(WIDTH):
            values[f"g{g}-{i}"] = base + i
        base = values[f"g{g}-{WIDTH - 1}"]
    return values


def test_sigkill_at_random_moments_then_resume(tmp_path):
    rng = random.Random(20261123)
    journal = tmp_path / "journal.txt"
    journal.touch()
    wf = build(journal)
    wf.submit(detach=True)
    reader = StateReader(Path(wf.workdir).resolve())
    checkpoints = []              # (journal length, names that had Succeeded) at each kill
    kills = 0
    last_pid = None
    while kills < KILLS:
        deadline = time.monotonic() + 60
        while True:               # wait for a fresh engine to own the run
            row = reader.workflow(wf.id)
            if row["phase"] == "Running" and row["engine_pid"] not in (None, last_pid):
                break
            assert row["phase"] not in ("Succeeded",), "finished before all kills: more work"
            assert time.monotonic() < deadline, "the engine did not start"
            time.sleep(0.02)
        last_pid = row["engine_pid"]
        claimed = row["heartbeat"]
        while not _working_since(reader.path, wf.id, claimed):   # kill mid-work, not at start-up
            assert time.monotonic() < deadline + 30, "the engine started no step"
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 0.3))
        os.kill(last_pid, signal.SIGKILL)
        kills += 1
        _wait_dead(last_pid)
        db = sqlite3.connect(reader.path)
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        done = {r[0] for r in db.execute(
            "SELECT display_name FROM nodes WHERE wf=? AND type='Pod' AND phase='Succeeded'",
            (wf.id,))}
        db.close()
        checkpoints.append((len(journal.read_text().splitlines()), done))
        Workflow(id=wf.id).resume(detach=True)
    assert Workflow(id=wf.id).wait(timeout=120) == "Succeeded"

    steps = {s.displayName: s for s in Workflow(id=wf.id).query_step(type="Pod")}
    assert {k: s.outputs.parameters["value"].value for k, s in steps.items()} == expected_values()
    runs = journal.read_text().splitlines()
    for position, done in checkpoints:
        again = done.intersection(runs[position:])
        assert not again, f"steps that had Succeeded ran again: {sorted(again)[:5]}"
    assert any(done for _, done in checkpoints), "no kill happened after progress"
    db = sqlite3.connect(Path(wf.workdir).resolve() / DB_NAME)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def _working_since(db_path, wf_id, since):
    """Whether the engine has finished a step since it claimed the run (so each kill lands
    mid-work, after progress, at a random moment)."""
    db = sqlite3.connect(db_path)
    try:
        return db.execute("SELECT 1 FROM nodes WHERE wf=? AND type='Pod' AND finished_at>=? "
                          "AND phase='Succeeded' LIMIT 1", (wf_id, since)).fetchone() is not None
    finally:
        db.close()


def _wait_dead(pid):
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        try:
            if os.waitpid(pid, os.WNOHANG)[0]:
                return
        except ChildProcessError:
            pass
        time.sleep(0.01)
