"""A workflow file for the command line: square numbers in parallel, add them up, check the sum.

    dflow-nb submit examples/pipeline.py --watch
    dflow-nb submit examples/pipeline.py -p numbers='[1, 2, 3]' --wait -o json

The check fails when the sum is over $PIPELINE_LIMIT (default 100). Raise the limit and
``dflow-nb retry`` the run: only the check runs again. README.md ("The command line") walks
through it.
"""
from typing import List

from dflow_nb import InputParameter, ShellOPTemplate, Step, Workflow
from dflow_nb.python import OP, OPIO, OPIOSign, PythonOPTemplate, Slices


class Square(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"x": int})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"y": int})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        print(f"{op_in['x']} squared is {op_in['x'] ** 2}")
        return OPIO({"y": op_in["x"] ** 2})


class Total(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"ys": List[int]})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"total": int})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        print(f"adding {op_in['ys']}")
        return OPIO({"total": sum(op_in["ys"])})


check = ShellOPTemplate(name="check", script=(
    'limit="${PIPELINE_LIMIT:-100}"\n'
    'echo "sum {{inputs.parameters.total}}, limit $limit"\n'
    'test "{{inputs.parameters.total}}" -le "$limit"\n'))
check.inputs.parameters["total"] = InputParameter()

wf = Workflow("pipeline", parameters={"numbers": [1, 2, 3, 4, 5, 6, 7]})
square = Step("square", PythonOPTemplate(Square, slices=Slices(input_parameter=["x"],
                                                                output_parameter=["y"])),
              parameters={"x": "{{workflow.parameters.numbers}}"}, key="square")
total = Step("total", PythonOPTemplate(Total), parameters={"ys": square.outputs.parameters["y"]},
             key="total")
wf.add(square)
wf.add(total)
wf.add(Step("check", check, parameters={"total": total.outputs.parameters["total"]},
            key="check"))
