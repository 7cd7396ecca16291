"""Slices: every fan-out mode of PythonOPTemplate/Step(slices=...) on the local engine."""
import os
from pathlib import Path
from typing import List

from dflow_nb import Step, Workflow, argo_range
from dflow_nb.python import OP, OPIO, Artifact, OPIOSign, PythonOPTemplate, Slices


class Square(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"x": int, "tag": str})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"y": int, "pid": int})

    @OP.exec_sign_check
    def execute(self, op_in):
        return OPIO({"y": op_in["x"] ** 2, "pid": os.getpid()})


class SquareGroup(OP):
    """For group_size without pool_size: Dflow hands the OP a list per group."""

    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"x": List[int]})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"y": List[int]})

    @OP.exec_sign_check
    def execute(self, op_in):
        return OPIO({"y": [v ** 2 for v in op_in["x"]]})


class Total(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"values": List[int]})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"total": int, "values": List[int]})

    @OP.exec_sign_check
    def execute(self, op_in):
        return OPIO({"total": sum(op_in["values"]), "values": op_in["values"]})


class Hello(OP):
    """Dflow's test_slices OP: one file per slice."""

    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"filename": str})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"foo": Artifact(str)})

    @OP.exec_sign_check
    def execute(self, op_in):
        Path(op_in["filename"]).write_text("content of " + op_in["filename"])
        return OPIO({"foo": op_in["filename"]})


class Check(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"foo": Artifact(List[str])})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"texts": List[str]})

    @OP.exec_sign_check
    def execute(self, op_in):
        return OPIO({"texts": [Path(p).read_text() for p in op_in["foo"]]})


class Prepare(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"n": int})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"foo": Artifact(List[str], archive=None)})

    @OP.exec_sign_check
    def execute(self, op_in):
        names = []
        for i in range(op_in["n"]):
            Path(f"foo{i}.txt").write_text(f"file {i}")
            names.append(f"foo{i}.txt")
        return OPIO({"foo": names})


class Texts(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"texts": List[str]})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"texts": List[str]})

    @OP.exec_sign_check
    def execute(self, op_in):
        return OPIO({"texts": op_in["texts"]})


class ReadOne(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"foo": Artifact(str)})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"text": str})

    @OP.exec_sign_check
    def execute(self, op_in):
        return OPIO({"text": Path(op_in["foo"]).read_text()})


def _total_step(values_ref):
    return Step("total", PythonOPTemplate(Total), parameters={"values": values_ref})


def test_slices_input_and_output_parameter_with_argo_range():
    """input_parameter slices a list per item; output_parameter stacks results in item order for the next step."""
    wf = Workflow("slices-param")
    square = Step("square", PythonOPTemplate(
        Square, slices=Slices("{{item}}", input_parameter=["x"], output_parameter=["y"])),
        parameters={"x": [1, 2, 3, 4], "tag": "t"}, with_param=argo_range(4))
    wf.add(square)
    wf.add(_total_step(square.outputs.parameters["y"]))
    wf.submit()
    assert wf.query_status() == "Succeeded"
    assert len([s for s in wf.query_step(name="square") if s.type == "Pod"]) == 4
    out = wf.query_step(name="total")[0].outputs.parameters
    assert out["values"].value == [1, 4, 9, 16]
    assert out["total"].value == 30


def test_slices_infer_the_loop_from_the_sliced_parameter():
    """Without with_param, Step(slices=...) loops over the length of the first sliced input parameter."""
    wf = Workflow("slices-infer")
    square = Step("square", PythonOPTemplate(Square),
                  slices=Slices(input_parameter=["x"], output_parameter=["y"]),
                  parameters={"x": [5, 6, 7], "tag": "t"})
    wf.add(square)
    wf.add(_total_step(square.outputs.parameters["y"]))
    wf.submit()
    assert wf.query_status() == "Succeeded"
    assert wf.query_step(name="total")[0].outputs.parameters["values"].value == [25, 36, 49]


def test_slices_output_artifact_merges_files_in_slice_order():
    """output_artifact slices merge each item's file into one artifact; a List[str] consumer sees all (test_slices)."""
    wf = Workflow("slices-art")
    hello = Step("hello", PythonOPTemplate(
        Hello, slices=Slices("{{item}}", input_parameter=["filename"], output_artifact=["foo"])),
        parameters={"filename": ["f1.txt", "f2.txt", "f3.txt"]}, with_param=argo_range(3))
    wf.add(hello)
    wf.add(Step("check", PythonOPTemplate(Check), artifacts={"foo": hello.outputs.artifacts["foo"]}))
    wf.submit()
    assert wf.query_status() == "Succeeded"
    texts = wf.query_step(name="check")[0].outputs.parameters["texts"].value
    assert texts == ["content of f1.txt", "content of f2.txt", "content of f3.txt"]


def test_slices_input_artifact_gives_each_item_one_file():
    """input_artifact slicing indexes the artifact's file list: item i reads file i."""
    wf = Workflow("slices-in-art")
    prep = Step("prepare", PythonOPTemplate(Prepare), parameters={"n": 3})
    wf.add(prep)
    read = Step("read", PythonOPTemplate(
        ReadOne, slices=Slices("{{item}}", input_artifact=["foo"], output_parameter=["text"])),
        artifacts={"foo": prep.outputs.artifacts["foo"]}, with_param=argo_range(3))
    wf.add(read)
    wf.add(Step("texts", PythonOPTemplate(Texts), parameters={"texts": read.outputs.parameters["text"]}))
    wf.submit()
    assert wf.query_status() == "Succeeded"
    assert wf.query_step(name="texts")[0].outputs.parameters["texts"].value == \
        ["file 0", "file 1", "file 2"]


def test_slices_input_artifact_without_loop_counts_the_files():
    """Slicing only an input artifact (no with_param) loops once per file of the artifact."""
    wf = Workflow("slices-in-art-infer")
    prep = Step("prepare", PythonOPTemplate(Prepare), parameters={"n": 2})
    wf.add(prep)
    read = Step("read", PythonOPTemplate(ReadOne),
                slices=Slices(input_artifact=["foo"], output_parameter=["text"]),
                artifacts={"foo": prep.outputs.artifacts["foo"]})
    wf.add(read)
    wf.add(Step("texts", PythonOPTemplate(Texts), parameters={"texts": read.outputs.parameters["text"]}))
    wf.submit()
    assert wf.query_status() == "Succeeded"
    assert len(wf.query_step(name="read", type="Pod")) == 2
    assert wf.query_step(name="texts")[0].outputs.parameters["texts"].value == ["file 0", "file 1"]


def test_slices_group_size_with_pool_size_one():
    """group_size=2 with pool_size=1 runs ceil(5/2)=3 pods, each executing the OP once per slice in order."""
    wf = Workflow("slices-group")
    square = Step("square", PythonOPTemplate(
        Square, slices=Slices("{{item}}", input_parameter=["x"], output_parameter=["y"],
                              group_size=2, pool_size=1)),
        parameters={"x": [1, 2, 3, 4, 5], "tag": "t"}, with_param=argo_range(5))
    wf.add(square)
    wf.add(_total_step(square.outputs.parameters["y"]))
    wf.submit()
    assert wf.query_status() == "Succeeded"
    assert len([s for s in wf.query_step(name="square") if s.type == "Pod"]) == 3
    assert wf.query_step(name="total")[0].outputs.parameters["values"].value == [1, 4, 9, 16, 25]


def test_slices_group_size_without_pool_size_passes_lists():
    """group_size without pool_size calls execute once per group with the sliced inputs as lists (Dflow)."""
    wf = Workflow("slices-group-list")
    square = Step("square", PythonOPTemplate(
        SquareGroup, slices=Slices("{{item}}", input_parameter=["x"], output_parameter=["y"],
                                   group_size=2)),
        parameters={"x": [1, 2, 3, 4, 5]}, with_param=argo_range(5))
    wf.add(square)
    wf.add(_total_step(square.outputs.parameters["y"]))
    wf.submit()
    assert wf.query_status() == "Succeeded"
    assert len([s for s in wf.query_step(name="square") if s.type == "Pod"]) == 3
    assert wf.query_step(name="total")[0].outputs.parameters["values"].value == [1, 4, 9, 16, 25]


def test_slices_pool_size_runs_a_group_in_parallel_processes():
    """pool_size=2 executes the slices of a group in separate processes, results still in slice order."""
    wf = Workflow("slices-pool")
    square = Step("square", PythonOPTemplate(
        Square, slices=Slices("{{item}}", input_parameter=["x"],
                              output_parameter=["y", "pid"], group_size=4, pool_size=2)),
        parameters={"x": [1, 2, 3, 4], "tag": "t"}, with_param=argo_range(4))
    wf.add(square)
    wf.add(_total_step(square.outputs.parameters["y"]))
    wf.submit()
    assert wf.query_status() == "Succeeded"
    assert wf.query_step(name="total")[0].outputs.parameters["values"].value == [1, 4, 9, 16]


def test_slices_sub_path_mounts_one_file_per_item():
    """Slices(sub_path=True, input_artifact=[...]) needs no with_param: each item mounts one file (test_subpath_slices)."""
    wf = Workflow("slices-subpath")
    prep = Step("prepare", PythonOPTemplate(Prepare), parameters={"n": 2})
    wf.add(prep)
    read = Step("read", PythonOPTemplate(
        ReadOne, slices=Slices(sub_path=True, input_artifact=["foo"], output_parameter=["text"])),
        artifacts={"foo": prep.outputs.artifacts["foo"]})
    wf.add(read)
    wf.add(Step("texts", PythonOPTemplate(Texts), parameters={"texts": read.outputs.parameters["text"]}))
    wf.submit()
    assert wf.query_status() == "Succeeded"
    assert len(wf.query_step(name="read", type="Pod")) == 2
    assert wf.query_step(name="texts")[0].outputs.parameters["texts"].value == ["file 0", "file 1"]


def test_slices_over_an_empty_list_skip_and_succeed():
    """A fan-out over [] makes one Skipped node "Skipped, empty params" and the workflow Succeeds (Argo)."""
    wf = Workflow("slices-empty")
    wf.add(Step("square", PythonOPTemplate(
        Square, slices=Slices("{{item}}", input_parameter=["x"], output_parameter=["y"])),
        parameters={"x": [], "tag": "t"}, with_param=[]))
    wf.submit()
    assert wf.query_status() == "Succeeded"
    steps = wf.query_step(name="square")
    skipped = [s for s in steps if s.phase == "Skipped"]
    assert len(skipped) == 1
    assert skipped[0].message == "Skipped, empty params"
    assert not [s for s in steps if s.type == "Pod"]


def test_slices_inferred_loop_over_an_empty_list_skips():
    """Slicing an empty list with no with_param also yields "Skipped, empty params" and success."""
    wf = Workflow("slices-empty-infer")
    wf.add(Step("square", PythonOPTemplate(Square),
                slices=Slices(input_parameter=["x"], output_parameter=["y"]),
                parameters={"x": [], "tag": "t"}))
    wf.submit()
    assert wf.query_status() == "Succeeded"
    skipped = wf.query_step(name="square", phase="Skipped")
    assert len(skipped) == 1 and skipped[0].message == "Skipped, empty params"
