"""A class defined in a notebook cell (``__main__`` of the kernel) travels as a typed parameter
between OPs and comes back as that class in the kernel; a step's jsonpickle payload shown in a
cell (the step table, the step card) runs nothing in the kernel."""
import json

CLASSES = '''
from dataclasses import dataclass
from dflow_nb import OutputParameter, Outputs, ShellOPTemplate, Step, Workflow
from dflow_nb.python import OP, OPIO, BigParameter, OPIOSign, PythonOPTemplate


@dataclass
class Sample:
    name: str
    values: tuple


class Grow(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"s": BigParameter(Sample)})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"s": BigParameter(Sample)})

    @OP.exec_sign_check
    def execute(self, op_in):
        s = op_in["s"]
        return OPIO({"s": Sample(s.name + "+", s.values + (len(s.values),))})
'''

RUN = '''
wf = Workflow("nb-typed")
a = Step("a", PythonOPTemplate(Grow), parameters={"s": Sample("x", (0,))})
b = Step("b", PythonOPTemplate(Grow), parameters={"s": a.outputs.parameters["s"]})
wf.add(a)
wf.add(b)
wf.submit(wait=True)
got = wf.query_step(name="b")[0].outputs.parameters["s"].value
print("RESULT", wf.query_status(), type(got).__name__, got == Sample("x++", (0, 1, 2)))
'''


def evil_cell(marker):
    payload = json.dumps({"py/reduce": [{"py/function": "os.system"},
                                        {"py/tuple": [f"touch {marker}"]}]})
    payload = payload.replace("/", "\\\\/").replace("py\\\\/", "py/")   # skip the /tmp remap
    return f'''
evil = ShellOPTemplate(name="evil", script="""cat > /tmp/v <<'EOF'
{payload}
EOF""", outputs=Outputs(parameters={{"v": OutputParameter(value_from_path="/tmp/v", type=Sample)}}))
ewf = Workflow("nb-evil")
ewf.add(Step("evil", evil))
ewf.submit(wait=True)
step = ewf.query_step(name="evil")[0]
display(step)
display(ewf.query_step())
print("VALUE", type(step.outputs.parameters["v"].value).__name__)
'''


def test_a_notebook_class_round_trips_and_payloads_stay_data(run_notebook, tmp_path):
    marker = tmp_path / "pwned-in-kernel"
    ran = run_notebook([("classes", CLASSES), ("run", RUN), ("evil", evil_cell(marker))])
    assert not ran.errors("run") and not ran.errors("evil"), ran.text("run") + ran.text("evil")
    assert "RESULT Succeeded Sample True" in ran.text("run")
    assert "VALUE dict" in ran.text("evil")
    assert not marker.exists(), "showing a step ran its payload in the kernel"
