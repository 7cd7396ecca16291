"""What a user reads when Python OP steps fail: the log (their code first, with its lines), the
parents' messages (which child failed), and what retry says about a run that Succeeded with
failed slices."""
import linecache
import sys

import cloudpickle
import pytest

from dflow_nb import Step, Workflow
from dflow_nb.errors import DflowNbError
from dflow_nb.python import OP, OPIO, OPIOSign, PythonOPTemplate, Slices
from dflow_nb.python.tracebacks import ENGINE_FRAMES

cloudpickle.register_pickle_by_value(sys.modules[__name__])


class Halve(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"x": float})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"y": float})

    def execute(self, op_in):
        if op_in["x"] > 2:
            raise ValueError(f"{op_in['x']} is too big")
        return OPIO({"y": op_in["x"] / 2})


def halve_all(xs, **step_options):
    wf = Workflow("halve")
    wf.add(Step("halve", PythonOPTemplate(Halve, slices=Slices(input_parameter=["x"],
                                                               output_parameter=["y"])),
                parameters={"x": xs}, key="halve-{{item}}", **step_options))
    wf.submit()
    return wf


def test_a_failed_slice_log_shows_the_users_line_first_and_the_engine_after_a_marker():
    wf = halve_all([1.0, 3.0])
    log = wf.logs(wf.step("halve-1"))
    mine, _, engine = log.partition(ENGINE_FRAMES)
    assert mine.startswith("Traceback (most recent call last):")
    assert 'raise ValueError(f"{op_in[\'x\']} is too big")' in mine   # the source line
    assert "dflow_nb" not in mine   # no frame of the engine before the user's
    assert "worker.py" in engine and "op_runner.py" in engine
    assert log.rstrip().splitlines()[-1] == "ValueError: 3.0 is too big"   # last, as Python


def test_the_parents_of_a_failed_slice_name_it():
    wf = halve_all([1.0, 3.0])
    failed = wf.step("halve-1")
    group = [n for n in wf.query_nodes() if n.type == "StepGroup"][0]
    assert group.message == f"child '{failed.id}' failed"
    assert wf.query().phase == "Failed"


def test_retry_of_a_run_that_succeeded_with_failed_slices_says_what_to_do():
    wf = halve_all([1.0, 2.0, 3.0], continue_on_success_ratio=0.5)
    assert wf.query_status() == "Succeeded" and wf.step("halve-2").phase == "Failed"
    with pytest.raises(DflowNbError) as err:
        wf.retry()
    text = str(err.value)
    assert f"workflow {wf.id} Succeeded, nothing to retry" in text
    assert "1 of its steps failed" in text and "reuse" in text
    assert wf.step("halve-2").phase == "Failed"   # nothing re-ran
    # a slice's records read as what its OP got and gave: the element, not a tagged list
    assert wf.step("halve-2").inputs.parameters["x"].value == 3.0
    assert wf.step("halve-1").outputs.parameters["y"].value == 1.0


CELL = '''from dflow_nb.python import OP, OPIO, OPIOSign

def check(x):
    assert x < 10, f"{x} is out of range"
    return x

class Checked(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"x": int})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"x": int})

    def execute(self, op_in):
        return OPIO({"x": check(op_in["x"])})
'''


def test_code_that_is_in_no_file_still_shows_its_lines_in_the_log():
    """An OP from a notebook cell (here: text given to exec, as a kernel runs a cell) runs in a
    worker process where no file holds its code."""
    linecache.cache["<cell 7>"] = (len(CELL), None, CELL.splitlines(True), "<cell 7>")
    ns = {"__name__": "__main__"}
    exec(compile(CELL, "<cell 7>", "exec"), ns)
    wf = Workflow("cell")
    wf.add(Step("check", PythonOPTemplate(ns["Checked"]), parameters={"x": 12}))
    wf.submit()
    mine = wf.logs("check").partition(ENGINE_FRAMES)[0]
    assert 'File "<cell 7>", line 17, in execute' in mine
    assert 'return OPIO({"x": check(op_in["x"])})' in mine
    assert 'File "<cell 7>", line 4, in check' in mine     # a helper of the cell, too
    assert 'assert x < 10, f"{x} is out of range"' in mine
