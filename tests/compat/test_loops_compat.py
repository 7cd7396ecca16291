"""Loops as Dflow documents them: any iterable fans out, a sliced step over nothing still gives
its stacked output artifacts (an empty list), and a success-counted loop shows its check step
(``<step>-check-success-ratio`` / ``<step>-check-num-success``)."""
from typing import List

import pytest

from dflow_nb import DAG, Step, Task, Workflow, argo_range
from dflow_nb.python import OP, OPIO, Artifact, OPIOSign, PythonOPTemplate, Slices, TransientError


class Write(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"name": str})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"file": Artifact(str)})

    @OP.exec_sign_check
    def execute(self, op_in):
        with open(op_in["name"], "w") as f:
            f.write(op_in["name"])
        return OPIO({"file": op_in["name"]})


class Count(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"files": Artifact(List[str])})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"n": int})

    @OP.exec_sign_check
    def execute(self, op_in):
        return OPIO({"n": len(op_in["files"])})


class Square(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"x": int})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"y": int})

    @OP.exec_sign_check
    def execute(self, op_in):
        if op_in["x"] < 0:
            raise TransientError("negative")
        return OPIO({"y": op_in["x"] ** 2})


def sliced_write():
    return PythonOPTemplate(Write, slices=Slices("{{item}}", input_parameter=["name"],
                                                 output_artifact=["file"]))


@pytest.mark.parametrize("dag", [False, True], ids=["steps", "dag"])
def test_a_sliced_step_over_nothing_stacks_an_empty_artifact(dag):
    kind = Task if dag else Step
    write = kind("write", sliced_write(), parameters={"name": []}, with_param=argo_range(0))
    count = kind("count", PythonOPTemplate(Count),
                 artifacts={"files": write.outputs.artifacts["file"]})
    wf = Workflow("empty-slices", dag=DAG("d")) if dag else Workflow("empty-slices")
    wf.add(write)
    wf.add(count)
    wf.submit()
    assert wf.query_status() == "Succeeded", [(s.name, s.message) for s in wf.query_step()]
    assert wf.query_step(name="count")[0].outputs.parameters["n"].value == 0


def test_a_sliced_step_over_items_stacks_them_in_order():
    names = ["a.txt", "b.txt", "c.txt"]
    write = Step("write", sliced_write(), parameters={"name": names},
                 with_param=argo_range(3))
    count = Step("count", PythonOPTemplate(Count),
                 artifacts={"files": write.outputs.artifacts["file"]})
    wf = Workflow("three-slices")
    wf.add(write)
    wf.add(count)
    wf.submit()
    assert wf.query_step(name="count")[0].outputs.parameters["n"].value == 3


@pytest.mark.parametrize("items", [range(3), (x for x in range(3)), (0, 1, 2), {0, 1, 2}],
                         ids=["range", "generator", "tuple", "set"])
def test_with_param_takes_any_iterable(items):
    step = Step("sq", PythonOPTemplate(Square), parameters={"x": "{{item}}"}, with_param=items)
    wf = Workflow("iterables")
    wf.add(step)
    manifest_loop = wf.to_dict()["spec"]["templates"][0]["steps"][0][0]["withParam"]
    assert manifest_loop == "[0,1,2]"
    wf.submit()
    assert wf.query_status() == "Succeeded"
    assert sorted(s.outputs.parameters["y"].value
                  for s in wf.query_step(name="sq", type="Pod")) == [0, 1, 4]


@pytest.mark.parametrize("kwargs,check,verdict", [
    ({"continue_on_success_ratio": 0.5}, "sq-check-success-ratio", "Succeeded"),
    ({"continue_on_success_ratio": 0.9}, "sq-check-success-ratio", "Failed"),
    ({"continue_on_num_success": 2}, "sq-check-num-success", "Succeeded"),
    ({"continue_on_num_success": 3}, "sq-check-num-success", "Failed"),
])
def test_a_success_counted_loop_shows_its_check_step(kwargs, check, verdict):
    step = Step("sq", PythonOPTemplate(Square), parameters={"x": "{{item}}"},
                with_param=[1, -1, 2], **kwargs)
    wf = Workflow("counted")
    wf.add(step)
    names = [s["name"] for g in wf.to_dict()["spec"]["templates"][0]["steps"] for s in g]
    assert check in names                       # the compiled workflow has it too
    wf.submit()
    found = wf.query_step(name=check)
    assert [s.phase for s in found] == [verdict]
    assert wf.query_status() == verdict
    if verdict == "Failed":
        assert found[0].message == ("2 of 3 succeeded, 3 needed")
