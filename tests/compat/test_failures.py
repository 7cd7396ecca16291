"""Failures at run time: type errors in outputs, raising OPs, continue_on_failed, success ratios."""
from dflow_nb import DAG, Step, Task, Workflow, argo_range
from dflow_nb.python import OP, OPIO, FatalError, OPIOSign, PythonOPTemplate, Slices


class WrongType(OP):
    """Declares an int output but returns a str."""

    @classmethod
    def get_input_sign(cls):
        return OPIOSign({})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"y": int})

    @OP.exec_sign_check
    def execute(self, op_in):
        return OPIO({"y": "three"})


class MissingOutput(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"y": int, "z": int})

    @OP.exec_sign_check
    def execute(self, op_in):
        return OPIO({"y": 1})


class Boom(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"x": int})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"y": int})

    @OP.exec_sign_check
    def execute(self, op_in):
        if op_in["x"] % 2:
            raise ValueError("odd input %d is not allowed" % op_in["x"])
        return OPIO({"y": op_in["x"]})


class Fatal(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({})

    @OP.exec_sign_check
    def execute(self, op_in):
        raise FatalError("cannot go on")


class Ok(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"x": int})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"y": int})

    @OP.exec_sign_check
    def execute(self, op_in):
        return OPIO({"y": op_in["x"] + 1})


def test_wrong_output_type_fails_the_step_clearly():
    """An OP returning "three" for an int output fails its step; the message names OP, field, expected and given type."""
    wf = Workflow("wrong-type")
    wf.add(Step("wrong", PythonOPTemplate(WrongType)))
    wf.submit()
    assert wf.query_status() == "Failed"
    step = wf.query_step(name="wrong")[0]
    assert step.phase == "Failed"
    msg = step.message
    assert "WrongType" in msg and "'y'" in msg and "int" in msg and "str" in msg


def test_missing_output_key_fails_the_step():
    """An OP omitting a declared output fails; the message names the missing key (Dflow's sign check)."""
    wf = Workflow("missing-out")
    wf.add(Step("missing", PythonOPTemplate(MissingOutput)))
    wf.submit()
    assert wf.query_status() == "Failed"
    step = wf.query_step(name="missing")[0]
    assert step.phase == "Failed"
    assert "MissingOutput" in step.message and "'z'" in step.message


def test_raising_op_fails_step_and_workflow_with_the_exception():
    """An exception in execute fails the step (message names the exception) and stops later steps."""
    wf = Workflow("raise")
    wf.add(Step("boom", PythonOPTemplate(Boom), parameters={"x": 3}))
    wf.add(Step("after", PythonOPTemplate(Ok), parameters={"x": 1}))
    wf.submit()
    assert wf.query_status() == "Failed"
    step = wf.query_step(name="boom")[0]
    assert step.phase == "Failed"
    assert "ValueError" in step.message and "odd input 3 is not allowed" in step.message
    assert wf.query_step(name="after") == []


def test_fatal_error_fails_the_step():
    """FatalError from an OP fails the step with exit code 2 semantics; the message names FatalError."""
    wf = Workflow("fatal")
    wf.add(Step("fatal", PythonOPTemplate(Fatal)))
    wf.submit()
    assert wf.query_status() == "Failed"
    step = wf.query_step(name="fatal")[0]
    assert step.phase == "Failed"
    assert "FatalError" in step.message and "cannot go on" in step.message


def test_continue_on_failed_lets_the_workflow_go_on():
    """continue_on_failed=True keeps the step Failed but the next steps run and the workflow Succeeds."""
    wf = Workflow("continue")
    wf.add(Step("boom", PythonOPTemplate(Boom), parameters={"x": 1}, continue_on_failed=True))
    wf.add(Step("after", PythonOPTemplate(Ok), parameters={"x": 1}))
    wf.submit()
    assert wf.query_status() == "Succeeded"
    assert wf.query_step(name="boom")[0].phase == "Failed"
    after = wf.query_step(name="after")[0]
    assert after.phase == "Succeeded" and after.outputs.parameters["y"].value == 2


def test_continue_on_failed_in_a_dag():
    """A continue_on_failed task's failure does not fail the DAG; by Dflow's rule a task that
    waits for it as a Task never starts (Dflow: ``depends: (boom.Succeeded)``), while one that
    names it keeps Argo's ``dependencies`` meaning and runs."""
    dag = DAG("cont-dag")
    boom = Task("boom", PythonOPTemplate(Boom), parameters={"x": 1}, continue_on_failed=True)
    after = Task("after", PythonOPTemplate(Ok), parameters={"x": 5}, dependencies=[boom])
    named = Task("named", PythonOPTemplate(Ok), parameters={"x": 5}, dependencies=["boom"])
    dag.add([boom, after, named])
    wf = Workflow("continue-dag", dag=dag)
    wf.submit()
    assert wf.query_status() == "Succeeded"
    assert wf.query_step(name="boom")[0].phase == "Failed"
    assert wf.query_step(name="after")[0].phase == "Omitted"
    assert wf.query_step(name="named")[0].outputs.parameters["y"].value == 6


def test_failed_dag_task_omits_its_dependents():
    """A failing DAG task fails the workflow; its dependent never runs (Argo: Omitted or absent)."""
    dag = DAG("fail-dag")
    boom = Task("boom", PythonOPTemplate(Boom), parameters={"x": 1})
    after = Task("after", PythonOPTemplate(Ok), parameters={"x": boom.outputs.parameters["y"]})
    dag.add([boom, after])
    wf = Workflow("fail-dag", dag=dag)
    wf.submit()
    assert wf.query_status() == "Failed"
    assert wf.query_step(name="boom")[0].phase == "Failed"
    assert all(s.phase in ("Omitted", "Skipped") for s in wf.query_step(name="after"))


def test_continue_on_success_ratio_in_a_sliced_loop():
    """continue_on_success_ratio=0.5: 2 of 4 slices fail, the loop and workflow still Succeed with the good values."""
    wf = Workflow("ratio")
    step = Step("boom", PythonOPTemplate(
        Boom, slices=Slices("{{item}}", input_parameter=["x"], output_parameter=["y"])),
        parameters={"x": [0, 1, 2, 3]}, with_param=argo_range(4),
        continue_on_success_ratio=0.5)
    wf.add(step)
    wf.submit()
    assert wf.query_status() == "Succeeded"
    pods = wf.query_step(name="boom", type="Pod")
    assert sorted(p.phase for p in pods) == ["Failed", "Failed", "Succeeded", "Succeeded"]


def test_continue_on_num_success_not_met_fails():
    """continue_on_num_success=3 with only 2 successes fails the loop and the workflow."""
    wf = Workflow("num-success")
    wf.add(Step("boom", PythonOPTemplate(
        Boom, slices=Slices("{{item}}", input_parameter=["x"], output_parameter=["y"])),
        parameters={"x": [0, 1, 2, 3]}, with_param=argo_range(4),
        continue_on_num_success=3))
    wf.submit()
    assert wf.query_status() == "Failed"
