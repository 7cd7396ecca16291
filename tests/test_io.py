"""Template inputs and outputs are named by the key they are stored under, however assigned."""
import pytest

from dflow_nb import InputParameter, OutputParameter, Outputs, ShellOPTemplate, Step


def test_assigning_a_plain_dict_names_the_declarations():
    t = ShellOPTemplate(name="t", script="echo 1 > /tmp/x")
    t.inputs.parameters = {"n": InputParameter(value=1)}
    t.outputs.parameters = {"x": OutputParameter(value_from_path="/tmp/x")}
    step = Step("s", t)
    assert str(step.outputs.parameters["x"]) == "{{steps.s.outputs.parameters.x}}"
    assert str(t.inputs.parameters["n"]) == "{{inputs.parameters.n}}"


def test_constructor_and_bad_entries():
    outs = Outputs(parameters={"y": OutputParameter(value_from_path="/tmp/y")})
    assert outs.parameters["y"].name == "y"
    with pytest.raises(TypeError, match="must be a OutputParameter"):
        outs.parameters = {"z": "not a declaration"}
    with pytest.raises(KeyError, match="no output parameter named 'w'"):
        outs.parameters["w"]
