"""Python OPs on the local engine: warm workers, logs, failures that stay contained."""
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import List

import pytest

from dflow_nb import Step, Workflow
from dflow_nb.python import OP, OPIO, Artifact, OPIOSign, PythonOPTemplate, Slices, TransientError


class Add(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"a": int, "b": int})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"c": int})

    @OP.exec_sign_check
    def execute(self, op_in):
        print(f"adding {op_in['a']} and {op_in['b']}")
        subprocess.run(["echo", "from a child process"], check=True)
        return OPIO({"c": op_in["a"] + op_in["b"]})


class Crash(OP):
    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"c": int})

    def execute(self, op_in):
        os.kill(os.getpid(), signal.SIGKILL)


class Flaky(OP):
    """Fails with a TransientError until its marker file says it has been tried twice."""

    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"marker": str})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"tries": int})

    def execute(self, op_in):
        marker = Path(op_in["marker"])
        tries = int(marker.read_text()) + 1 if marker.exists() else 1
        marker.write_text(str(tries))
        if tries < 3:
            raise TransientError(f"try {tries} hit a glitch")
        return OPIO({"tries": tries})


class Sleepy(OP):
    @classmethod
    def get_output_sign(cls):
        return OPIOSign({})

    def execute(self, op_in):
        time.sleep(60)
        return OPIO()


class Total(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"values": List[int]})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"sum": int})

    def execute(self, op_in):
        return OPIO({"sum": sum(op_in["values"])})


class Where(OP):
    """Takes a moment and says which process ran it, and when."""

    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"i": int})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"pid": int, "began": float, "ended": float})

    def execute(self, op_in):
        began = time.time()
        time.sleep(0.5)
        return OPIO({"pid": os.getpid(), "began": began, "ended": time.time()})


class Files(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"n": int})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"files": Artifact(List[Path])})

    def execute(self, op_in):
        out = []
        for i in range(op_in["n"]):
            p = Path(f"f{i}.txt")
            p.write_text(f"file {i}")
            out.append(p)
        return OPIO({"files": out})


class Count(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"files": Artifact(List[Path])})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"texts": List[str]})

    def execute(self, op_in):
        return OPIO({"texts": [p.read_text() for p in op_in["files"]]})


def test_a_chain_of_ops_and_their_logs():
    wf = Workflow("chain")
    prev = Step("s0", PythonOPTemplate(Add), parameters={"a": 0, "b": 1})
    wf.add(prev)
    for i in range(1, 5):
        prev = Step(f"s{i}", PythonOPTemplate(Add),
                    parameters={"a": prev.outputs.parameters["c"], "b": 1})
        wf.add(prev)
    wf.submit()
    last = wf.query_step(name="s4")[0]
    assert last.outputs.parameters["c"].value == 5
    log = Path(last.dir, "log.txt").read_text()
    assert "adding 4 and 1" in log and "from a child process" in log


def test_a_killed_worker_fails_only_its_step():
    wf = Workflow("crash")
    wf.add([Step("crash", PythonOPTemplate(Crash)),
            Step("fine", PythonOPTemplate(Add), parameters={"a": 1, "b": 1})])
    wf.submit()
    crash = wf.query_step(name="crash")[0]
    assert crash.phase == "Error" and "SIGKILL" in crash.message
    assert wf.query_step(name="fine")[0].outputs.parameters["c"].value == 2
    again = Workflow("after-crash")
    again.add(Step("next", PythonOPTemplate(Add), parameters={"a": 2, "b": 2}))
    again.submit()
    assert again.query_step(name="next")[0].outputs.parameters["c"].value == 4


def test_transient_errors_are_retried(tmp_path):
    wf = Workflow("flaky")
    wf.add(Step("flaky", PythonOPTemplate(Flaky, retry_on_transient_error=3),
                parameters={"marker": str(tmp_path / "marker")}))
    wf.submit()
    steps = wf.query_step(name="flaky")
    retry = [s for s in steps if s.type == "Retry"][0]
    assert retry.phase == "Succeeded" and retry.outputs.parameters["tries"].value == 3
    failed = [s for s in steps if s.type == "Pod" and s.phase == "Failed"]
    assert [s.message for s in failed] == ["TransientError: try 1 hit a glitch",
                                           "TransientError: try 2 hit a glitch"]


def test_python_op_timeout_kills_the_worker():
    begin = time.monotonic()
    wf = Workflow("sleepy")
    wf.add(Step("sleepy", PythonOPTemplate(Sleepy, timeout=1)))
    wf.submit()
    assert time.monotonic() - begin < 10
    step = wf.query_step(name="sleepy")[0]
    assert step.phase == "Failed" and "deadline" in step.message


def test_sliced_fan_out_stacks_outputs_in_order():
    wf = Workflow("slices")
    add = Step("add", PythonOPTemplate(Add, slices=Slices(input_parameter=["a"],
                                                          output_parameter=["c"])),
               parameters={"a": [10, 20, 30], "b": 1})
    total = Step("total", PythonOPTemplate(Total), parameters={"values": add.outputs.parameters["c"]})
    wf.add(add)
    wf.add(total)
    wf.submit()
    assert sorted(s.displayName for s in wf.query_step(name="add")) == \
        ["add(0:0)", "add(1:1)", "add(2:2)"]
    assert wf.query_step(name="total")[0].outputs.parameters["sum"].value == 63


def test_a_fan_out_runs_on_the_warm_workers_side_by_side():
    from dflow_nb.local.runtime import LocalRuntime
    if LocalRuntime.get().pool.size < 2:
        pytest.skip("one warm worker on this machine (debug_pool_workers, CPUs)")
    wf = Workflow("side-by-side")
    wf.add(Step("where", PythonOPTemplate(Where, slices=Slices(
        input_parameter=["i"], output_parameter=["pid", "began", "ended"])),
        parameters={"i": [0, 1, 2, 3]}))
    wf.submit()
    runs = [{k: p.value for k, p in s.outputs.parameters.items()}
            for s in wf.query_step(name="where")]
    assert len(runs) == 4 and len({r["pid"] for r in runs}) >= 2   # workers start as needed
    assert any(a["pid"] != b["pid"] and a["began"] < b["ended"] and b["began"] < a["ended"]
               for a in runs for b in runs)


def test_list_artifacts_keep_their_order():
    wf = Workflow("lists")
    make = Step("make", PythonOPTemplate(Files), parameters={"n": 3})
    count = Step("count", PythonOPTemplate(Count), artifacts={"files": make.outputs.artifacts["files"]})
    wf.add(make)
    wf.add(count)
    wf.submit()
    assert wf.query_step(name="count")[0].outputs.parameters["texts"].value == \
        ["file 0", "file 1", "file 2"]


def test_an_op_changed_between_two_runs_runs_as_changed(local_workdir):
    """A notebook's OP (pickled by value) is pickled again for each run: a cell run again
    between two runs, here a method replaced, is what the second run executes."""
    class Version(OP):
        @classmethod
        def get_output_sign(cls):
            return OPIOSign({"v": int})

        def execute(self, op_in):
            return OPIO({"v": 1})

    def run():
        wf = Workflow("versions")
        wf.add(Step("v", PythonOPTemplate(Version)))
        wf.submit()
        return wf.query_step(name="v")[0].outputs.parameters["v"].value

    assert run() == 1
    Version.execute = lambda self, op_in: OPIO({"v": 2})
    assert run() == 2
