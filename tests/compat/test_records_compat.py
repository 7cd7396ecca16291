"""Records as Dflow's: step records are mappings (``step["phase"]``, ``step.get(...)``,
``step.key``), inputs and reused outputs keep their declared types, and ``download_artifact``
keeps the files' own names and returns them as Dflow does (``['./output.txt']``)."""
from pathlib import Path

import pytest

from dflow_nb import (
    InputParameter,
    Inputs,
    OutputArtifact,
    ShellOPTemplate,
    Step,
    Steps,
    Workflow,
    download_artifact,
)
from dflow_nb.python import OP, OPIO, Artifact, OPIOSign, PythonOPTemplate


class Plus(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"x": int, "times": int})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"x": int})

    @OP.exec_sign_check
    def execute(self, op_in):
        return OPIO({"x": op_in["x"] + op_in["times"]})


class WriteFile(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign()

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"out": Artifact(Path)})

    @OP.exec_sign_check
    def execute(self, op_in):
        Path("output.txt").write_text("hi")
        return OPIO({"out": Path("output.txt")})


def run_plus(name="plus", key=None, reuse=None):
    wf = Workflow(name)
    wf.add(Step("plus", PythonOPTemplate(Plus), parameters={"x": 1, "times": 3}, key=key))
    wf.submit(reuse_step=reuse)
    assert wf.query_status() == "Succeeded"
    return wf


def test_step_records_are_mappings():
    wf = run_plus(key="the-key")
    step = wf.query_step(name="plus")[0]
    assert step["phase"] == "Succeeded" == step.phase
    assert step.get("key") == "the-key" == step.key
    assert step.get("no-such-field", "fallback") == "fallback"
    assert "outputs" in step and "no-such-field" not in step
    assert dict(step)["displayName"] == "plus"
    assert step["outputs"]["parameters"]["x"]["value"] == 4
    with pytest.raises(KeyError):
        step["no-such-field"]
    assert wf.query()["phase"] == "Succeeded"


def test_input_parameters_come_back_typed():
    step = run_plus().query_step(name="plus")[0]
    assert step.inputs.parameters["times"].value == 3
    assert step.inputs.parameters["x"].value == 1


def test_a_reused_step_keeps_the_type_of_a_modified_output():
    first = run_plus(key="k").query_step(key="k")[0]
    first.modify_output_parameter("x", 10)
    wf = Workflow("reuse")
    add = Step("plus", PythonOPTemplate(Plus), parameters={"x": 1, "times": 3}, key="k")
    after = Step("after", PythonOPTemplate(Plus),
                 parameters={"x": add.outputs.parameters["x"], "times": 1})
    wf.add(add)
    wf.add(after)
    wf.submit(reuse_step=[first])
    reused = wf.query_step(key="k")[0]
    assert reused.outputs.parameters["x"].value == 10
    assert wf.query_step(name="after")[0].outputs.parameters["x"].value == 11


def test_download_keeps_a_shell_output_file_name(tmp_path):
    hello = ShellOPTemplate(name="hello", script="echo Hello > /tmp/bar.txt")
    hello.outputs.artifacts = {"bar": OutputArtifact(path="/tmp/bar.txt")}
    wf = Workflow("names")
    wf.add(Step("hello", hello))
    wf.submit()
    step = wf.query_step(name="hello")[0]
    assert download_artifact(step.outputs.artifacts["bar"]) == ["./bar.txt"]
    assert (tmp_path / "bar.txt").read_text() == "Hello\n"
    got = download_artifact(step.outputs.artifacts["bar"], path=str(tmp_path / "d"))
    assert got == [str(tmp_path / "d" / "bar.txt")]


def test_download_returns_paths_under_the_given_directory():
    wf = Workflow("py-names")
    wf.add(Step("write", PythonOPTemplate(WriteFile)))
    wf.submit()
    art = wf.query_step(name="write")[0].outputs.artifacts["out"]
    assert download_artifact(art) == ["./output.txt"]
    assert Path("output.txt").read_text() == "hi"


def test_a_shell_output_directory_downloads_under_its_own_name():
    make = ShellOPTemplate(name="make", script="mkdir -p /tmp/results && echo 1 > /tmp/results/a")
    make.outputs.artifacts = {"res": OutputArtifact(path="/tmp/results")}
    steps = Steps("outer", inputs=Inputs(parameters={"unused": InputParameter(value=0)}))
    steps.add(Step("make", make))
    wf = Workflow("dirs", steps=steps)
    wf.submit()
    art = wf.query_step(name="make")[0].outputs.artifacts["res"]
    assert download_artifact(art) == ["./results"]
    assert Path("results/a").read_text() == "1\n"
