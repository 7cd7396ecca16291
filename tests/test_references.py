"""References and expression builders emit the same Argo text as Dflow."""
import pytest

from dflow_nb import (
    InputParameter,
    Inputs,
    ShellOPTemplate,
    Step,
    Steps,
    argo_enumerate,
    argo_len,
    argo_range,
    argo_sequence,
    if_expression,
)
from dflow_nb.model.io import OutputParameter


def _template():
    t = ShellOPTemplate(name="producer", script="echo 1 > /tmp/x")
    t.inputs.parameters["n"] = InputParameter(value=1)
    t.outputs.parameters["my-out"] = OutputParameter(value_from_path="/tmp/x")
    return t


def test_step_output_reference_has_tag_and_expression_forms():
    step = Step("make-it", _template())
    ref = step.outputs.parameters["my-out"]
    assert str(ref) == "{{steps.make-it.outputs.parameters.my-out}}"
    assert ref.expr == "steps['make-it'].outputs.parameters['my-out']"


def test_template_input_reference_inside_steps():
    steps = Steps("outer", inputs=Inputs(parameters={"iter": InputParameter(value=0)}))
    assert str(steps.inputs.parameters["iter"]) == "{{inputs.parameters.iter}}"
    assert "iter-%s" % steps.inputs.parameters["iter"] == "iter-{{inputs.parameters.iter}}"


def test_comparisons_and_arithmetic_build_expressions():
    ref = Step("a", _template()).outputs.parameters["my-out"]
    assert (ref < 3).expr == "asFloat(steps.a.outputs.parameters['my-out']) < 3"
    assert (ref == "yes").expr == "steps.a.outputs.parameters['my-out'] == 'yes'"
    assert str(ref + 1) == "{{=asFloat(steps.a.outputs.parameters['my-out']) + 1}}"


def test_a_reference_cannot_be_used_as_a_python_bool():
    ref = Step("a", _template()).outputs.parameters["my-out"]
    with pytest.raises(TypeError, match="only known when the workflow runs"):
        if ref:
            pass


def test_loop_helpers_emit_dflows_expressions():
    assert argo_range(3).expr == "toJson(sprig.untilStep(0, 3, 1))"
    n = Steps("s", inputs=Inputs(parameters={"n": InputParameter(value=2)})).inputs.parameters["n"]
    assert argo_range(1, n).expr == "toJson(sprig.untilStep(1, sprig.atoi(inputs.parameters.n), 1))"
    assert argo_len(n).expr == "len(sprig.fromJson(inputs.parameters.n))"
    assert argo_sequence(count=3, format="%02d").to_dict() == {"count": "3", "format": "%02d"}
    assert "'order': #" in argo_enumerate(n).expr


def test_argo_sequence_rejects_count_and_end_together():
    with pytest.raises(ValueError, match="count or end"):
        argo_sequence(count=3, end=4)


def test_if_expression_is_a_ternary():
    ref = Step("a", _template()).outputs.parameters["my-out"]
    assert if_expression(ref == "x", 1, 2).expr == \
        "(steps.a.outputs.parameters['my-out'] == 'x') ? 1 : 2"
