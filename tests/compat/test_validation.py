"""Build-time validation: mistakes are reported before anything runs, naming the step and the field."""
from pathlib import Path

import pytest

from dflow_nb import DAG, Step, Steps, Task, Workflow, argo_range, argo_sequence
from dflow_nb.python import OP, OPIO, Artifact, OPIOSign, PythonOPTemplate


class Add(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"a": int, "b": int})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"c": int})

    @OP.exec_sign_check
    def execute(self, op_in):
        return OPIO({"c": op_in["a"] + op_in["b"]})


class ReadFile(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"f": Artifact(Path)})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({})

    @OP.exec_sign_check
    def execute(self, op_in):
        return OPIO()


def test_unknown_parameter_name_is_rejected_with_step_and_name():
    """Passing a parameter the template does not declare fails at Step() naming the step and the parameter."""
    with pytest.raises(Exception) as err:
        Step("adder", PythonOPTemplate(Add), parameters={"a": 1, "b": 2, "bogus": 3})
    assert "adder" in str(err.value) and "bogus" in str(err.value)


def test_missing_required_parameter_is_rejected():
    """A template input without value or default must be given: the error names the step and input."""
    with pytest.raises(Exception) as err:
        Step("adder", PythonOPTemplate(Add), parameters={"a": 1})
    assert "adder" in str(err.value) and "'b'" in str(err.value)


def test_missing_required_artifact_is_rejected():
    """A non-optional input artifact must be given: the error names the step and the artifact."""
    with pytest.raises(Exception) as err:
        Step("reader", PythonOPTemplate(ReadFile))
    assert "reader" in str(err.value) and "'f'" in str(err.value)


def test_wrong_literal_type_is_rejected():
    """A literal of the wrong type for a typed input fails at build time naming step, field, expected and given."""
    with pytest.raises(Exception) as err:
        Step("adder", PythonOPTemplate(Add), parameters={"a": "one", "b": 2})
    msg = str(err.value)
    assert "adder" in msg and "'a'" in msg and "int" in msg and "one" in msg


def test_dag_cycle_is_rejected_on_submit():
    """Tasks that depend on each other are a cycle: submit() refuses, naming the tasks of the cycle."""
    a = Task("a", PythonOPTemplate(Add), parameters={"a": 1, "b": 1}, dependencies=["b"])
    b = Task("b", PythonOPTemplate(Add), parameters={"a": 1, "b": 1}, dependencies=[a])
    dag = DAG("loop")
    dag.add([a, b])
    wf = Workflow("cycle", dag=dag)
    with pytest.raises(Exception) as err:
        wf.submit()
    msg = str(err.value)
    assert "cycle" in msg and "a" in msg and "b" in msg
    assert wf.id is None


def test_duplicate_step_names_are_rejected():
    """Two steps with the same name in one Steps template are an error naming the duplicate."""
    wf = Workflow("dupes")
    wf.add(Step("twin", PythonOPTemplate(Add), parameters={"a": 1, "b": 1}))
    with pytest.raises(Exception) as err:
        wf.add(Step("twin", PythonOPTemplate(Add), parameters={"a": 2, "b": 2}))
    assert "twin" in str(err.value)


def test_duplicate_names_in_a_parallel_group_are_rejected():
    """A parallel group with two steps of the same name is rejected, naming it."""
    steps = Steps("group")
    with pytest.raises(Exception) as err:
        steps.add([Step("same", PythonOPTemplate(Add), parameters={"a": 1, "b": 1}),
                   Step("same", PythonOPTemplate(Add), parameters={"a": 2, "b": 2})])
    assert "same" in str(err.value)


def test_reference_to_a_later_step_is_rejected():
    """A step reading the output of a step that runs after it is rejected at submit, naming both."""
    later = Step("later", PythonOPTemplate(Add), parameters={"a": 1, "b": 1})
    early = Step("early", PythonOPTemplate(Add),
                 parameters={"a": later.outputs.parameters["c"], "b": 1})
    wf = Workflow("forward-ref")
    wf.add(early)
    wf.add(later)
    with pytest.raises(Exception) as err:
        wf.submit()
    msg = str(err.value)
    assert "early" in msg and "later" in msg
    assert wf.id is None


def test_reference_to_a_step_in_the_same_parallel_group_is_rejected():
    """Steps of one parallel group run together, so one cannot read another's outputs."""
    a = Step("a", PythonOPTemplate(Add), parameters={"a": 1, "b": 1})
    b = Step("b", PythonOPTemplate(Add), parameters={"a": a.outputs.parameters["c"], "b": 1})
    wf = Workflow("same-group")
    wf.add([a, b])
    with pytest.raises(Exception) as err:
        wf.submit()
    assert "'b'" in str(err.value) and "'a'" in str(err.value)


def test_two_loop_kinds_on_one_step_are_rejected():
    """A step loops over with_param or with_sequence, not both (Argo allows one)."""
    with pytest.raises(Exception) as err:
        Step("looper", PythonOPTemplate(Add), parameters={"a": "{{item}}", "b": 1},
             with_param=argo_range(2), with_sequence=argo_sequence(2))
    assert "looper" in str(err.value)


def test_invalid_step_name_is_rejected():
    """Step names must be alphanumerics and '-' (Dflow's name check), the error quotes the name."""
    with pytest.raises(Exception) as err:
        Step("bad name!", PythonOPTemplate(Add), parameters={"a": 1, "b": 1})
    assert "bad name!" in str(err.value)
