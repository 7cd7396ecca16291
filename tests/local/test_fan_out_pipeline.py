"""A fan-out of short Python OPs is pipelined to the warm workers (each gets its next slices
while it runs one): what a user relies on stays as it was — a slice that kills its worker
fails alone, a slow slice holds back only the few queued behind it, every slice has its
folder and record, and the run's process records go when it ends."""
import json
import os
import signal
import sqlite3
import time
from pathlib import Path

from dflow_nb import Step, Workflow
from dflow_nb.local.worker_pool import DEPTH
from dflow_nb.python import OP, OPIO, OPIOSign, PythonOPTemplate, Slices


class Square(OP):
    """Squares ``x``; slice ``crash_at`` kills its own process, slice ``slow_at`` sleeps."""

    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"x": int, "crash_at": int, "slow_at": int})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"y": int})

    def execute(self, op_in):
        if op_in["x"] == op_in["crash_at"]:
            os.kill(os.getpid(), signal.SIGKILL)
        if op_in["x"] == op_in["slow_at"]:
            time.sleep(3)
        return OPIO({"y": op_in["x"] ** 2})


def fan_out(n, crash_at=-1, slow_at=-1):
    wf = Workflow("pipe")
    wf.add(Step("sq", PythonOPTemplate(Square, slices=Slices(input_parameter=["x"],
                                                             output_parameter=["y"])),
                parameters={"x": list(range(n)), "crash_at": crash_at, "slow_at": slow_at},
                key="sq-{{item}}", continue_on_failed=True, continue_on_error=True))
    wf.submit()
    return wf


def slices_of(wf):
    return {int(s.key.split("-")[1]): s for s in wf.query_step(name="sq") if s.key}


def test_a_slice_that_kills_its_worker_fails_alone(local_workdir):
    wf = fan_out(200, crash_at=120)   # by slice 120 the OP is known short: slices are queued
    steps = slices_of(wf)
    assert steps[120].phase == "Error" and "SIGKILL" in steps[120].message
    others = [s for i, s in steps.items() if i != 120]
    assert len(others) == 199 and all(s.phase == "Succeeded" for s in others)
    assert all(s.outputs.parameters["y"].value == i * i for i, s in steps.items() if i != 120)


def test_a_slow_slice_holds_back_at_most_the_slices_queued_behind_it(local_workdir):
    wf = fan_out(300, slow_at=100)
    steps = slices_of(wf)
    assert all(s.phase == "Succeeded" for s in steps.values())
    slow_end = steps[100].finishedAt
    after = [i for i, s in steps.items() if i != 100 and s.finishedAt > slow_end]
    # the rest ran on the other worker meanwhile; only those already in the slow one's pipe
    # waited (at most DEPTH - 1), and the slices after them were not held back
    assert len(after) <= DEPTH - 1
    assert all(100 < i <= 100 + 2 * DEPTH for i in after)


def test_every_slice_has_its_folder_and_the_run_leaves_no_process_record(local_workdir):
    wf = fan_out(50)
    for i, s in slices_of(wf).items():
        d = Path(s.dir)
        assert (d / "inputs" / "parameters" / "x").read_text() == f"[{i}]"   # its element
        assert json.loads((d / "slice.json").read_text())["order"] == i
        assert (d / "outputs" / "parameters" / "y").is_file() and (d / "workdir").is_dir()
        assert not (d / ".outputs").exists()
    with sqlite3.connect(local_workdir / "dflow_nb.db") as db:
        assert db.execute("SELECT count(*) FROM processes").fetchone()[0] == 0


def test_a_fan_out_keeps_at_most_the_pool_size_of_workers(local_workdir):
    import psutil

    from dflow_nb.local.runtime import LocalRuntime
    fan_out(300)
    workers = [p for p in psutil.Process().children()   # (not one killed, being reaped)
               if p.status() != psutil.STATUS_ZOMBIE and
               "dflow_nb.local.worker" in " ".join(p.cmdline())]
    assert 1 <= len(workers) <= LocalRuntime.get().pool.size
