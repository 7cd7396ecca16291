"""Two keyed Python steps doubling a number, then a loop of twelve shell items.

A negative ``n`` makes the first step fail. ``upload_dflow=False``: on Argo the image is assumed
to have dflow_nb, so submitting needs no artifact store.
"""
from dflow_nb import InputParameter, ShellOPTemplate, Step, Workflow
from dflow_nb.python import OP, OPIO, OPIOSign, PythonOPTemplate


class Double(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"x": int})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"y": int})

    @OP.exec_sign_check
    def execute(self, op_in):
        print("doubling", op_in["x"])
        if op_in["x"] < 0:
            raise ValueError(f"cannot double a negative number: {op_in['x']}")
        return OPIO({"y": 2 * op_in["x"]})


echo = ShellOPTemplate(name="echo", script="echo item {{inputs.parameters.i}}")
echo.inputs.parameters["i"] = InputParameter()

wf = Workflow("double", parameters={"n": 1})
first = Step("first", PythonOPTemplate(Double, upload_dflow=False),
             parameters={"x": "{{workflow.parameters.n}}"}, key="first")
second = Step("second", PythonOPTemplate(Double, upload_dflow=False),
              parameters={"x": first.outputs.parameters["y"]}, key="second")
wf.add(first)
wf.add(second)
wf.add(Step("echo", echo, parameters={"i": "{{item}}"}, with_items=list(range(12))))
