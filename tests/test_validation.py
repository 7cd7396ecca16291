"""Build-time errors name the step, the field, what was expected and what was given."""
import pytest

from dflow_nb import (
    DAG,
    InputParameter,
    OutputParameter,
    ShellOPTemplate,
    Step,
    Steps,
    Task,
    ValidationError,
    Workflow,
)
from dflow_nb.model.validation import validate


def echo(name="echo", typed=None):
    t = ShellOPTemplate(name=name, script="echo {{inputs.parameters.msg}} > /tmp/out")
    t.inputs.parameters["msg"] = InputParameter(type=typed)
    t.outputs.parameters["out"] = OutputParameter(value_from_path="/tmp/out")
    return t


def test_unknown_parameter_names_the_step_and_the_known_inputs():
    with pytest.raises(ValidationError, match=r"step 'hello'.*no input parameter 'mgs'.*\['msg'\]"):
        Step("hello", echo(), parameters={"mgs": "hi"})


def test_missing_required_input_is_caught_when_the_step_is_built():
    with pytest.raises(ValidationError, match="input parameter 'msg' .* has no value and no default"):
        Step("hello", echo())


def test_wrong_literal_type():
    with pytest.raises(ValidationError, match=r"step 'hello', parameter 'msg'.*expected int, given 'x'"):
        Step("hello", echo(typed=int), parameters={"msg": "x"})


def test_bad_step_name():
    with pytest.raises(ValidationError, match="characters Argo does not allow"):
        Step("bad name!", echo(), parameters={"msg": 1})


def test_underscores_become_dashes_as_argo_requires():
    assert Step("my_step", echo(), parameters={"msg": 1}).name == "my-step"


def test_duplicate_step_names_in_one_steps_template():
    s = Steps("main")
    s.add(Step("a", echo(), parameters={"msg": 1}))
    with pytest.raises(ValidationError, match="two steps are named 'a'"):
        s.add(Step("a", echo(), parameters={"msg": 2}))


def test_dag_cycle_is_reported_with_its_path():
    t = echo()
    a = Task("a", t, parameters={"msg": 1}, dependencies=["b"])
    b = Task("b", t, parameters={"msg": 1}, dependencies=["a"])
    dag = DAG("d", tasks=[a, b])
    with pytest.raises(ValidationError, match="cycle.*a -> b -> a|cycle.*b -> a -> b"):
        dag.ordered()


def test_unknown_dependency():
    dag = DAG("d", tasks=[Task("a", echo(), parameters={"msg": 1}, dependencies=["nope"])])
    with pytest.raises(ValidationError, match="depends on unknown task 'nope'"):
        dag.ordered()


def test_reference_to_a_later_step_is_rejected_before_running():
    t = echo()
    first = Step("first", t, parameters={"msg": 1})
    second = Step("second", t, parameters={"msg": first.outputs.parameters["out"]})
    wf = Workflow("order")
    wf.add(second)
    wf.add(first)
    with pytest.raises(ValidationError, match="step 'second'.*unknown or later step 'first'"):
        validate(wf)


def test_workflow_name_must_be_a_kubernetes_name():
    with pytest.raises(ValidationError, match="not a valid Kubernetes name"):
        Workflow("Bad.Name")


def test_empty_workflow():
    with pytest.raises(ValidationError, match="has no steps"):
        validate(Workflow("empty"))
