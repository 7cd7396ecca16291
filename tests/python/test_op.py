"""OPs: signs, strict type checks with clear messages, function OPs from annotations."""
from pathlib import Path
from typing import List, NamedTuple, TypedDict

import pytest

from dflow_nb.python import OP, OPIO, Artifact, BigParameter, OPIOSign, Parameter
from dflow_nb.python.op import OPSignatureError


class Scale(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"x": int, "factor": Parameter(float, default=2.0),
                         "data": Artifact(Path, optional=True)})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"y": float})

    @OP.exec_sign_check
    def execute(self, op_in):
        return OPIO({"y": op_in["x"] * op_in["factor"]})


class Liar(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"n": int})

    @OP.exec_sign_check
    def execute(self, op_in):
        return OPIO({"n": "three"})


def test_defaults_and_optional_artifacts_are_filled_in():
    assert Scale().execute(OPIO({"x": 3})) == {"y": 6.0}


def test_wrong_input_type_names_op_field_and_types():
    with pytest.raises(OPSignatureError, match=r"OP Scale: input 'x' expected int, given 'a' \(str\)"):
        Scale().execute(OPIO({"x": "a"}))


def test_wrong_output_type_names_op_field_and_types():
    with pytest.raises(OPSignatureError, match=r"OP Liar: output 'n' expected int, given 'three'"):
        Liar().execute(OPIO({}))


def test_undeclared_input_is_rejected():
    with pytest.raises(OPSignatureError, match="input 'z' is not declared"):
        Scale().execute(OPIO({"x": 1, "z": 2}))


def test_function_op_signs_from_annotations():
    @OP.function
    def combine(a: int, files: Artifact(List[Path]), b: int = 3) -> {"total": int,
                                                                       "out": Artifact(Path)}:
        return {"total": a + b, "out": files[0]}

    ins, outs = combine.get_input_sign(), combine.get_output_sign()
    assert ins["a"] is int and isinstance(ins["files"], Artifact)
    assert isinstance(ins["b"], Parameter) and ins["b"].default == 3
    assert outs["total"] is int and isinstance(outs["out"], Artifact)


def test_function_op_called_outside_a_workflow_runs_like_dflow():
    @OP.function
    def single(x: int) -> int:
        return 10 * x

    assert single(3) == {"dflow_output": 30}


def test_typed_dict_and_named_tuple_outputs():
    class Out(TypedDict):
        s: str

    class Pair(NamedTuple):
        a: int
        b: int

    @OP.function
    def td(x: int) -> Out:
        return {"s": str(x)}

    @OP.function
    def nt(x: int) -> Pair:
        return Pair(x, x + 1)

    assert td.get_output_sign() == {"s": str}
    assert nt(1) == {"a": 1, "b": 2}


def test_big_parameter_is_a_parameter():
    assert isinstance(BigParameter(dict), Parameter)


def test_artifact_rejects_types_that_are_not_paths():
    with pytest.raises(TypeError, match="Artifact type must be"):
        Artifact(int)
