"""What an OP returns for a parameter must be data: an open file, a function or a generator
for an ``Any`` output fails the step and names the output (it used to end Succeeded with
``None``)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dflow_nb import Step, Workflow
from dflow_nb.python import OP, OPIO, OPIOSign, PythonOPTemplate


def _value(kind: str) -> Any:
    if kind == "open-file":
        return open(__file__)
    if kind == "lambda":
        return lambda x: x
    if kind == "generator":
        return (i for i in range(3))
    if kind == "in-a-list":
        return [1, print]
    raise AssertionError(kind)


class Returns(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"kind": str})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"fine": int, "thing": Any})

    def execute(self, op_in: OPIO) -> OPIO:
        return OPIO({"fine": 1, "thing": _value(op_in["kind"])})


@pytest.mark.parametrize("kind", ["open-file", "lambda", "generator", "in-a-list"])
def test_a_non_data_output_fails_the_step_naming_it(tmp_path: Path, kind: str) -> None:
    wf = Workflow("bad-out", workdir=tmp_path)
    wf.add(Step("ret", PythonOPTemplate(Returns), parameters={"kind": kind}))
    wf.submit(wait=True)
    step = wf.query_step(name="ret")[0]
    assert step.phase in ("Failed", "Error")
    assert "output 'thing'" in (step.message or ""), step.message
    assert "Returns" in step.message


def test_format_parameter_says_what_cannot_be_encoded() -> None:
    from dflow_nb.python.op_runner import format_parameter
    with pytest.raises(TypeError, match=r"OP X, output 'y': .*function"):
        format_parameter({"f": lambda: 0}, "OP X, output 'y'")
    assert format_parameter({"a": (1, 2)}, "w") == '{"a": [1, 2]}'
