"""Expressions inside workflows: if_expression outputs, `when` conditions, global outputs."""
from pathlib import Path

from dflow_nb import (
    OutputArtifact,
    OutputParameter,
    Outputs,
    Step,
    Steps,
    Workflow,
    download_artifact,
    if_expression,
)
from dflow_nb.python import OP, OPIO, Artifact, OPIOSign, Parameter, PythonOPTemplate


class Random(OP):
    """Dflow's test_conditional_outputs OP, made deterministic: head or tail from the input."""

    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"head": bool})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"is_head": bool, "msg1": str, "msg2": str,
                         "foo": Artifact(Path), "bar": Artifact(Path)})

    @OP.exec_sign_check
    def execute(self, op_in):
        Path("foo.txt").write_text("head")
        Path("bar.txt").write_text("tail")
        return OPIO({"is_head": op_in["head"], "msg1": "head", "msg2": "tail",
                     "foo": Path("foo.txt"), "bar": Path("bar.txt")})


class Count(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"n": int})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"n": Parameter(int, global_name="final-n"),
                         "report": Artifact(Path, global_name="report")})

    @OP.exec_sign_check
    def execute(self, op_in):
        Path("report.txt").write_text("n=%d" % op_in["n"])
        return OPIO({"n": op_in["n"] + 1, "report": Path("report.txt")})


class Show(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"n": int})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"n": int})

    @OP.exec_sign_check
    def execute(self, op_in):
        return OPIO({"n": op_in["n"]})


def _conditional(head):
    steps = Steps("steps", outputs=Outputs(parameters={"msg": OutputParameter()},
                                           artifacts={"res": OutputArtifact()}))
    rs = Step("random", PythonOPTemplate(Random), parameters={"head": head})
    steps.add(rs)
    steps.outputs.parameters["msg"].value_from_expression = if_expression(
        _if=rs.outputs.parameters["is_head"],
        _then=rs.outputs.parameters["msg1"], _else=rs.outputs.parameters["msg2"])
    steps.outputs.artifacts["res"].from_expression = if_expression(
        _if=rs.outputs.parameters["is_head"],
        _then=rs.outputs.artifacts["foo"], _else=rs.outputs.artifacts["bar"])
    wf = Workflow("conditional")
    wf.add(Step("conditional", template=steps))
    wf.submit()
    return wf


def test_if_expression_outputs_take_the_else_branch():
    """OutputParameter(value_from_expression=if_expression) / OutputArtifact(from_expression=...) pick the else branch when false."""
    wf = _conditional(False)
    assert wf.query_status() == "Succeeded"
    step = wf.query_step(name="conditional")[0]
    assert step.outputs.parameters["msg"].value == "tail"
    paths = download_artifact(step.outputs.artifacts["res"], path="dl")
    assert [Path(p).read_text() for p in paths] == ["tail"]


def test_if_expression_outputs_take_the_then_branch():
    """The same if_expression outputs pick the then branch when the condition is true."""
    wf = _conditional(True)
    assert wf.query_status() == "Succeeded"
    step = wf.query_step(name="conditional")[0]
    assert step.outputs.parameters["msg"].value == "head"
    paths = download_artifact(step.outputs.artifacts["res"], path="dl")
    assert [Path(p).read_text() for p in paths] == ["head"]


def test_when_skips_a_step_and_runs_the_other():
    """when="%s > 3" % ref runs the step if true; a false condition makes it Skipped with Argo's message."""
    wf = Workflow("when")
    first = Step("first", PythonOPTemplate(Show), parameters={"n": 5})
    wf.add(first)
    big = Step("big", PythonOPTemplate(Show), parameters={"n": 1},
               when="%s > 3" % first.outputs.parameters["n"])
    small = Step("small", PythonOPTemplate(Show), parameters={"n": 2},
                 when="%s <= 3" % first.outputs.parameters["n"])
    wf.add([big, small])
    wf.submit()
    assert wf.query_status() == "Succeeded"
    assert wf.query_step(name="big")[0].phase == "Succeeded"
    small_rec = wf.query_step(name="small")[0]
    assert small_rec.phase == "Skipped"
    assert small_rec.message == "when '5 <= 3' evaluated false"


def test_when_with_an_argo_expression_object():
    """when= an ArgoVar comparison (ref < 3) is evaluated as an expression, not as text."""
    wf = Workflow("when-expr")
    first = Step("first", PythonOPTemplate(Show), parameters={"n": 5})
    wf.add(first)
    wf.add(Step("never", PythonOPTemplate(Show), parameters={"n": 1},
                when=first.outputs.parameters["n"] < 3))
    wf.add(Step("always", PythonOPTemplate(Show), parameters={"n": 1},
                when=first.outputs.parameters["n"] >= 5))
    wf.submit()
    assert wf.query_status() == "Succeeded"
    assert wf.query_step(name="never")[0].phase == "Skipped"
    assert wf.query_step(name="always")[0].phase == "Succeeded"


def test_global_outputs_are_queryable_from_the_workflow():
    """global_name on output parameters/artifacts exports them; query_global_outputs() returns them (last writer wins)."""
    wf = Workflow("globals")
    c1 = Step("c1", PythonOPTemplate(Count), parameters={"n": 1})
    wf.add(c1)
    wf.add(Step("c2", PythonOPTemplate(Count), parameters={"n": c1.outputs.parameters["n"]}))
    wf.submit()
    assert wf.query_status() == "Succeeded"
    outputs = wf.query_global_outputs()
    assert int(outputs.parameters["final-n"].value) == 3
    paths = download_artifact(outputs.artifacts["report"], path="dl")
    assert [Path(p).read_text() for p in paths] == ["n=2"]


def test_global_name_from_template_options():
    """PythonOPTemplate(output_parameter_global_name={...}) exports a plain-typed output globally."""
    wf = Workflow("globals-tmpl")
    wf.add(Step("show", PythonOPTemplate(Show, output_parameter_global_name={"n": "shown"}),
                parameters={"n": 42}))
    wf.submit()
    assert wf.query_status() == "Succeeded"
    assert int(wf.query_global_outputs().parameters["shown"].value) == 42
