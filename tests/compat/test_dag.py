"""DAGs: inferred dependencies from references, explicit dependencies, DAG templates nested in a workflow."""
import time
from pathlib import Path

from dflow_nb import (
    DAG,
    InputParameter,
    Inputs,
    OutputParameter,
    Outputs,
    Step,
    Task,
    Workflow,
    download_artifact,
)
from dflow_nb.python import OP, OPIO, Artifact, OPIOSign, PythonOPTemplate


class Hello(OP):
    """Dflow's test_dag OP: message and file in, doubled message and file out."""

    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"msg": str, "foo": Artifact(Path, optional=True)})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"msg": str, "bar": Artifact(Path)})

    @OP.exec_sign_check
    def execute(self, op_in):
        text = op_in["foo"].read_text() if op_in["foo"] is not None else "Hello"
        Path("bar.txt").write_text(text * 2)
        return OPIO({"msg": op_in["msg"] * 2, "bar": Path("bar.txt")})


class Stamp(OP):
    """Sleeps a little and reports when it ran (to observe ordering without data flow)."""

    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"delay": float})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"start": float, "end": float})

    @OP.exec_sign_check
    def execute(self, op_in):
        start = time.time()
        time.sleep(op_in["delay"])
        return OPIO({"start": start, "end": time.time()})


class Double(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"x": int})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"y": int})

    @OP.exec_sign_check
    def execute(self, op_in):
        return OPIO({"y": op_in["x"] * 2})


def test_dag_infers_dependencies_from_parameters_and_artifacts():
    """A Task reading another Task's outputs waits for it (test_dag): params and files flow along."""
    dag = DAG()
    hello0 = Task("hello0", PythonOPTemplate(Hello), parameters={"msg": "Hi"})
    dag.add(hello0)
    hello1 = Task("hello1", PythonOPTemplate(Hello),
                  parameters={"msg": hello0.outputs.parameters["msg"]},
                  artifacts={"foo": hello0.outputs.artifacts["bar"]})
    dag.add(hello1)
    wf = Workflow(name="dag", dag=dag)
    wf.submit()
    assert wf.query_status() == "Succeeded"
    step = wf.query_step(name="hello1")[0]
    assert step.phase == "Succeeded"
    assert step.outputs.parameters["msg"].value == "HiHiHiHi"
    paths = download_artifact(step.outputs.artifacts["bar"], path="dl")
    assert [Path(p).read_text() for p in paths] == ["HelloHelloHelloHello"]


def test_dag_explicit_dependencies_order_tasks_without_data_flow():
    """Task(dependencies=[a]) makes b start after a ends although b reads nothing from a."""
    dag = DAG(name="explicit")
    a = Task("a", PythonOPTemplate(Stamp), parameters={"delay": 0.3})
    b = Task("b", PythonOPTemplate(Stamp), parameters={"delay": 0.0}, dependencies=[a])
    dag.add([a, b])
    wf = Workflow(name="dag-explicit", dag=dag)
    wf.submit()
    assert wf.query_status() == "Succeeded"
    a_out = wf.query_step(name="a")[0].outputs.parameters
    b_out = wf.query_step(name="b")[0].outputs.parameters
    assert b_out["start"].value >= a_out["end"].value


def test_dag_independent_tasks_run_concurrently():
    """Tasks without dependencies are all roots of the DAG and run at the same time."""
    dag = DAG(name="roots")
    dag.add([Task("a", PythonOPTemplate(Stamp), parameters={"delay": 0.4}),
             Task("b", PythonOPTemplate(Stamp), parameters={"delay": 0.4})])
    wf = Workflow(name="dag-roots", dag=dag)
    wf.submit()
    assert wf.query_status() == "Succeeded"
    a = wf.query_step(name="a")[0].outputs.parameters
    b = wf.query_step(name="b")[0].outputs.parameters
    assert a["start"].value < b["end"].value and b["start"].value < a["end"].value


def test_dag_template_with_inputs_and_outputs_inside_steps():
    """A DAG used as a step template takes InputParameters and exports OutputParameter(value_from_parameter)."""
    dag = DAG(name="twice", inputs=Inputs(parameters={"x": InputParameter()}),
              outputs=Outputs(parameters={"y": OutputParameter()}))
    d1 = Task("d1", PythonOPTemplate(Double), parameters={"x": dag.inputs.parameters["x"]})
    d2 = Task("d2", PythonOPTemplate(Double), parameters={"x": d1.outputs.parameters["y"]})
    dag.add([d1, d2])
    dag.outputs.parameters["y"].value_from_parameter = d2.outputs.parameters["y"]

    wf = Workflow(name="dag-in-steps")
    first = Step("first", dag, parameters={"x": 3})
    wf.add(first)
    wf.add(Step("last", PythonOPTemplate(Double),
                parameters={"x": first.outputs.parameters["y"]}))
    wf.submit()
    assert wf.query_status() == "Succeeded"
    assert wf.query_step(name="first")[0].outputs.parameters["y"].value == 12
    assert wf.query_step(name="last")[0].outputs.parameters["y"].value == 24
