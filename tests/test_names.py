"""Parameter and artifact names are checked where they would fail later: a name becomes a file
(``outputs/parameters/<name>``, ``<name>.tgz``), so one longer than a file name can be is refused
when the template is built, not at run time with "File name too long"."""
from __future__ import annotations

from pathlib import Path

import pytest

from dflow_nb import (
    InputParameter,
    Inputs,
    OutputArtifact,
    OutputParameter,
    Outputs,
    ShellOPTemplate,
    Step,
    ValidationError,
    Workflow,
)
from dflow_nb.python import OP, OPIO, Artifact, OPIOSign, PythonOPTemplate


@pytest.mark.parametrize("n", [256, 300, 1000])
def test_long_parameter_names_are_refused_when_built(n: int) -> None:
    name = "p" * n
    with pytest.raises(ValidationError, match=r"longer than \d+ characters"):
        Outputs(parameters={name: OutputParameter(value_from_path="/tmp/x")})
    with pytest.raises(ValidationError, match=r"longer than \d+ characters"):
        Inputs(parameters={name: InputParameter()})
    with pytest.raises(ValidationError, match=r"longer than \d+ characters"):
        Outputs(artifacts={"a" * n: OutputArtifact(path="/tmp/d")})


def _long_op(n: int) -> type:
    p, a = "p" * n, "a" * n

    class Long(OP):
        @classmethod
        def get_input_sign(cls):
            return OPIOSign({p: int})

        @classmethod
        def get_output_sign(cls):
            return OPIOSign({p: int, a: Artifact(Path)})

        def execute(self, op_in: OPIO) -> OPIO:
            Path("f").write_text("x")
            return OPIO({p: op_in[p] + 1, a: Path("f")})

    return Long


def test_a_python_op_with_long_names_refuses_them_too() -> None:
    with pytest.raises(ValidationError, match="longer than"):
        PythonOPTemplate(_long_op(256))


def test_the_longest_allowed_names_run(tmp_path: Path) -> None:
    from dflow_nb.model.names import MAX_IO_NAME
    n = MAX_IO_NAME
    p = "p" * n
    wf = Workflow("long-names", workdir=tmp_path)
    first = Step("first", PythonOPTemplate(_long_op(n)), parameters={p: 1})
    second = Step("second", PythonOPTemplate(_long_op(n)),
                  parameters={p: first.outputs.parameters[p]})
    shell = ShellOPTemplate(name="sh", script=f"echo 5 > /tmp/{p}; mkdir -p /tmp/d",
                            outputs=Outputs(parameters={p: OutputParameter(value_from_path=f"/tmp/{p}")},
                                            artifacts={"a" * n: OutputArtifact(path="/tmp/d")}))
    wf.add(first)
    wf.add([second, Step("sh", shell)])
    wf.submit(wait=True)
    assert wf.query_status() == "Succeeded", [s.message for s in wf.query_step()]
    assert wf.query_step(name="second")[0].outputs.parameters[p].value == 3
