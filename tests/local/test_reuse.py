"""Reuse as a Dflow user does it: run, query by key, modify an output, resubmit reusing it."""
import sys
from pathlib import Path
from typing import List

import cloudpickle

from dflow_nb import Step, Steps, Workflow, argo_range
from dflow_nb.python import OP, OPIO, OPIOSign, PythonOPTemplate, Slices

cloudpickle.register_pickle_by_value(sys.modules[__name__])


class Square(OP):
    """Squares x and journals that it ran (the side effect the test counts)."""

    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"x": int, "journal": str})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"y": int})

    def execute(self, op_in):
        with open(op_in["journal"], "a") as f:
            f.write(f"square {op_in['x']}\n")
        return OPIO({"y": op_in["x"] ** 2})


class Sum(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"values": List[int], "journal": str})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"total": int})

    def execute(self, op_in):
        with open(op_in["journal"], "a") as f:
            f.write("sum\n")
        return OPIO({"total": sum(op_in["values"])})


def build(journal, xs):
    sq = Step("square", PythonOPTemplate(Square, slices=Slices(input_parameter=["x"],
                                                               output_parameter=["y"])),
              parameters={"x": xs, "journal": str(journal)}, key="square-{{item}}")
    total = Step("sum", PythonOPTemplate(Sum),
                 parameters={"values": sq.outputs.parameters["y"], "journal": str(journal)},
                 key="sum")
    wf = Workflow("reuse")
    wf.add(sq)
    wf.add(total)
    return wf


def test_reused_slices_do_not_run_and_modified_values_flow_downstream(tmp_path):
    journal = tmp_path / "journal"
    first = build(journal, [1, 2, 3])
    first.submit()
    assert first.query_step(key="sum")[0].outputs.parameters["total"].value == 14
    assert journal.read_text().count("square") == 3

    reused = first.query_step(key=["square-0", "square-1"])
    assert [s.key for s in reused] == ["square-0", "square-1"]
    step = first.query_step_by_key("square-1")[0]
    step.modify_output_parameter("y", [{"dflow_list_item": 100, "order": 1}])

    journal.write_text("")
    second = build(journal, [1, 2, 3])
    second.submit(reuse_step=[reused[0], step])
    assert journal.read_text().splitlines() == ["square 3", "sum"]   # slices 0 and 1 reused
    assert second.query_step(key="sum")[0].outputs.parameters["total"].value == 1 + 100 + 9
    assert {s.key: s.message for s in second.query_step(name="square")}["square-0"] == "reused"


class Count(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"n": int, "journal": str})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"n": int})

    def execute(self, op_in):
        with open(op_in["journal"], "a") as f:
            f.write(f"count {op_in['n']}\n")
        return OPIO({"n": op_in["n"] + 1})


def test_reuse_inside_nested_steps_and_loops(tmp_path):
    journal = tmp_path / "journal"

    def build_nested():
        inner = Steps("inner")
        inner.add(Step("count", PythonOPTemplate(Count),
                       parameters={"n": "{{item}}", "journal": str(journal)},
                       with_param=argo_range(3), key="count-{{item}}"))
        wf = Workflow("nested")
        wf.add(Step("outer", inner))
        return wf

    first = build_nested()
    first.submit()
    assert journal.read_text().count("count") == 3
    journal.write_text("")
    second = build_nested()
    second.submit(reuse_step=first.query_step(key="count-2"))
    assert sorted(journal.read_text().splitlines()) == ["count 0", "count 1"]
    assert second.query_status() == "Succeeded"


def test_modify_output_artifact_points_a_reused_step_elsewhere(tmp_path):
    from dflow_nb import InputArtifact, LocalArtifact, OutputArtifact, ShellOPTemplate
    make = ShellOPTemplate(name="make", script="echo original > /tmp/f")
    make.outputs.artifacts["f"] = OutputArtifact(path="/tmp/f")
    show = ShellOPTemplate(name="show", script="cat /tmp/f")
    show.inputs.artifacts["f"] = InputArtifact(path="/tmp/f")

    def build_pair():
        a = Step("make", make, key="make")
        b = Step("show", show, artifacts={"f": a.outputs.artifacts["f"]})
        wf = Workflow("arts")
        wf.add(a)
        wf.add(b)
        return wf

    first = build_pair()
    first.submit()
    assert first.query_step(name="show")[0].outputs.result == "original"
    Path("replacement").write_text("edited\n")
    made = first.query_step(key="make")[0]
    # a file in place of the file the step wrote (upload_artifact would make a catalogued
    # directory, which a consumer reading /tmp/f as a file would not expect: Dflow's layout)
    made.modify_output_artifact("f", LocalArtifact(str(Path("replacement").resolve())))
    second = build_pair()
    second.submit(reuse_step=[made])
    assert second.query_step(name="show")[0].outputs.result == "edited"


def test_a_slice_output_reads_and_edits_as_its_value_and_reused_steps_say_so(tmp_path):
    journal = tmp_path / "journal"
    first = build(journal, [1, 2, 3])
    first.submit()
    y = first.step("square-1").outputs.parameters["y"]
    assert (y.value, y.text) == (4, "4")   # what the slice returned, not Dflow's list tagging
    assert dict(y)["value"] == 4 and y.raw == '[{"dflow_list_item": 4, "order": 1}]'   # as run
    assert first.step("sum").inputs.parameters["values"].value == [1, 4, 9]

    step = first.step("square-1")
    step.modify_output_parameter("y", 100)   # a plain value: recorded as slice 1's again
    assert step.outputs.parameters["y"].value == 100
    second = build(journal, [1, 2, 3])
    second.submit(reuse_step=[first.step("square-0"), step])
    assert second.step("sum").outputs.parameters["total"].value == 1 + 100 + 9
    reused = {s.key: s for s in second.query_step(name="square")}
    assert reused["square-1"].reused and not reused["square-2"].reused
    assert reused["square-0"].memoizationStatus == {"hit": True, "key": "square-0",
                                                    "cacheName": first.id}
    assert reused["square-1"].outputs.parameters["y"].value == 100
