"""Dflow's plug-in modules under ``dflow_nb.plugins``: ``launching`` (OP_to_parser) and
``RemoteExecutor`` work here; ``ray``, ``bohrium``, ``datasets``, ``metadata`` and ``lebesgue``
import, and using them says which service they need."""
import importlib
import json
from pathlib import Path

import pytest

from dflow_nb import (
    InputArtifact,
    InputParameter,
    OutputArtifact,
    RemoteExecutor,
    ShellOPTemplate,
    Step,
    Steps,
    Workflow,
)
from dflow_nb.plugins._unavailable import ServiceUnavailable
from dflow_nb.plugins.launching import OP_to_parser
from dflow_nb.python import OP, OPIO, Artifact, OPIOSign, Parameter, PythonOPTemplate


class Duplicate(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"foo": Artifact(Path, description="input file"),
                         "num": Parameter(int, default=2, description="number")})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"bar": Artifact(Path), "length": int})

    @OP.exec_sign_check
    def execute(self, op_in):
        text = op_in["foo"].read_text() * op_in["num"]
        Path("bar.txt").write_text(text)
        return OPIO({"bar": Path("bar.txt"), "length": len(text)})


@pytest.mark.parametrize("module,name,need", [
    ("ray", "RayClusterExecutor", "Ray cluster"),
    ("bohrium", "BohriumExecutor", "Bohrium"),
    ("bohrium", "TiefblueClient", "Tiefblue"),
    ("bohrium", "BohriumDatasetsArtifact", "datasets"),
    ("bohrium", "login", "Bohrium"),
    ("datasets", "DatasetsArtifact", "datasets"),
    ("metadata", "MetadataClient", "metadata"),
    ("lebesgue", "LebesgueExecutor", "Lebesgue"),
])
def test_plugins_for_remote_services_import_and_say_what_they_need(module, name, need):
    thing = getattr(importlib.import_module(f"dflow_nb.plugins.{module}"), name)
    with pytest.raises(ServiceUnavailable, match=need):
        thing("any", "arguments")


def test_an_op_becomes_a_command_line_program(tmp_path):
    (tmp_path / "in.txt").write_text("ab")
    run = OP_to_parser(Duplicate)()
    assert run(["--foo", "in.txt", "--num", "3", "--output_dir", "out"]) == 0
    assert (tmp_path / "out/parameters/length").read_text() == "6"
    assert (tmp_path / "out/artifacts/bar/bar.txt").read_text() == "ababab"
    assert run(["--foo", "in.txt"]) == 0                    # the default num=2
    assert (tmp_path / "outputs/parameters/length").read_text() == "4"
    with pytest.raises(SystemExit):
        run(["--num", "3"])                                # foo is required


def test_a_template_becomes_a_command_line_program(tmp_path):
    (tmp_path / "in.txt").write_text("xy")
    steps = Steps(name="duplicate-steps")
    steps.inputs.parameters["num"] = InputParameter(value=2)
    steps.inputs.artifacts["foo"] = InputArtifact()
    dup = Step("duplicate", PythonOPTemplate(Duplicate),
               parameters={"num": steps.inputs.parameters["num"]},
               artifacts={"foo": steps.inputs.artifacts["foo"]})
    steps.add(dup)
    steps.outputs.artifacts["bar"] = OutputArtifact(_from=dup.outputs.artifacts["bar"])
    assert OP_to_parser(steps)()(["--foo", "in.txt", "--num", "3"]) == 0
    assert (tmp_path / "outputs/artifacts/bar/bar.txt").read_text() == "xyxyxy"


def test_a_remote_executor_runs_steps_over_its_context(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    ex = RemoteExecutor("localhost", workdir=str(tmp_path / "remote/{{workflow.name}}"),
                        check_interval=0.2)
    script = ShellOPTemplate(name="where", script="echo $((6*7)) > /tmp/n")
    script.outputs.parameters = {"n": json_output("/tmp/n")}
    (tmp_path / "in.txt").write_text("r")
    from dflow_nb import upload_artifact
    wf = Workflow("remote")
    wf.add([Step("shell", script, executor=ex),
            Step("op", PythonOPTemplate(Duplicate), parameters={"num": 4},
                 artifacts={"foo": upload_artifact("in.txt")}, executor=ex)])
    wf.submit()
    assert wf.query_status() == "Succeeded", [(s.name, s.message) for s in wf.query_step()]
    assert wf.query_step(name="shell")[0].outputs.parameters["n"].value == "42"
    assert wf.query_step(name="op")[0].outputs.parameters["length"].value == 4
    assert "Shell" in json.dumps(ex.machine_dict)
    assert any((tmp_path / "remote").iterdir())            # it ran in the executor's workdir


def json_output(path):
    from dflow_nb import OutputParameter
    return OutputParameter(value_from_path=path)
