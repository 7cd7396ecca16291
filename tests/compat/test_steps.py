"""Steps templates: sequential and parallel groups, recursion with `when`, nested Steps, keys, shell OPs."""
from pathlib import Path

from dflow_nb import (
    InputArtifact,
    InputParameter,
    Inputs,
    OutputArtifact,
    OutputParameter,
    Outputs,
    ShellOPTemplate,
    Step,
    Steps,
    Workflow,
    argo_sequence,
    download_artifact,
    upload_artifact,
)
from dflow_nb.python import OP, OPIO, BigParameter, OPIOSign, PythonOPTemplate


class Plus(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"a": int, "b": int})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"c": int})

    @OP.exec_sign_check
    def execute(self, op_in):
        return OPIO({"c": op_in["a"] + op_in["b"]})


class Plus1(OP):
    """Dflow's test_recurse OP."""

    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"iter": int})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"iter": int})

    @OP.exec_sign_check
    def execute(self, op_in):
        return OPIO({"iter": op_in["iter"] + 1})


class Hello:
    """A user class travelling as a BigParameter (jsonpickled by Dflow)."""

    def __init__(self, msg):
        self.msg = msg


class DuplicateHello(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"foo": BigParameter(Hello)})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"foo": BigParameter(Hello)})

    @OP.exec_sign_check
    def execute(self, op_in):
        return OPIO({"foo": Hello(op_in["foo"].msg * 2)})


class Unwrap(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"foo": BigParameter(Hello)})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"msg": str, "cls": str})

    @OP.exec_sign_check
    def execute(self, op_in):
        return OPIO({"msg": op_in["foo"].msg, "cls": type(op_in["foo"]).__name__})


def test_sequential_steps_and_parallel_group():
    """wf.add(step) runs in order; wf.add([a, b]) is one parallel group; later steps read both outputs."""
    wf = Workflow(name="steps")
    s1 = Step("s1", PythonOPTemplate(Plus), parameters={"a": 1, "b": 2})
    s2 = Step("s2", PythonOPTemplate(Plus), parameters={"a": s1.outputs.parameters["c"], "b": 10})
    s3 = Step("s3", PythonOPTemplate(Plus), parameters={"a": s1.outputs.parameters["c"], "b": 100})
    s4 = Step("s4", PythonOPTemplate(Plus), parameters={"a": s2.outputs.parameters["c"],
                                                        "b": s3.outputs.parameters["c"]})
    wf.add(s1)
    wf.add([s2, s3])
    wf.add(s4)
    wf.submit()
    assert wf.query_status() == "Succeeded"
    value = {n: wf.query_step(name=n)[0].outputs.parameters["c"].value
             for n in ("s1", "s2", "s3", "s4")}
    assert value == {"s1": 3, "s2": 13, "s3": 103, "s4": 116}
    s2_rec, s3_rec, s4_rec = (wf.query_step(name=n)[0] for n in ("s2", "s3", "s4"))
    assert s4_rec.startedAt >= max(s2_rec.finishedAt, s3_rec.finishedAt)


def _recursive_steps():
    steps = Steps(name="iter", inputs=Inputs(parameters={"iter": InputParameter(value=0),
                                                          "limit": InputParameter(value=5)}))
    plus1 = Step("plus1", PythonOPTemplate(Plus1),
                 parameters={"iter": steps.inputs.parameters["iter"]},
                 key="iter-%s" % steps.inputs.parameters["iter"])
    steps.add(plus1)
    nxt = Step("next", template=steps,
               parameters={"iter": plus1.outputs.parameters["iter"],
                           "limit": steps.inputs.parameters["limit"]},
               when="%s < %s" % (plus1.outputs.parameters["iter"], steps.inputs.parameters["limit"]))
    steps.add(nxt)
    return steps


def test_recursion_with_when_stops_on_condition():
    """A Steps template that adds a Step whose template is itself recurses until `when` is false (test_recurse)."""
    wf = Workflow("recurse", steps=_recursive_steps())
    wf.submit()
    assert wf.query_status() == "Succeeded"
    plus1 = wf.query_step(name="plus1")
    assert len(plus1) == 5
    assert all(s.phase == "Succeeded" for s in plus1)
    assert sorted(s.outputs.parameters["iter"].value for s in plus1) == [1, 2, 3, 4, 5]
    skipped = wf.query_step(name="next", phase="Skipped")
    assert len(skipped) == 1
    assert "evaluated false" in skipped[0].message


def test_step_keys_and_query_step_by_key():
    """key= templated from inputs names each step; query_step(key=...) finds exactly that step."""
    wf = Workflow("keys", steps=_recursive_steps())
    wf.submit()
    assert wf.query_status() == "Succeeded"
    step = wf.query_step(key="iter-2")[0]
    assert step.key == "iter-2"
    assert step.displayName == "plus1"
    assert step.outputs.parameters["iter"].value == 3
    assert [s.key for s in wf.query_step(key=["iter-0", "iter-4"])] == ["iter-0", "iter-4"]
    assert wf.query_keys_of_steps() == ["iter-%d" % i for i in range(5)]


def test_keys_with_item_in_a_loop():
    """key="sq-{{item}}" on a with_sequence loop gives one queryable key per item."""
    wf = Workflow("loop-keys")
    wf.add(Step("sq", PythonOPTemplate(Plus), parameters={"a": "{{item}}", "b": 100},
                with_sequence=argo_sequence(3), key="sq-{{item}}"))
    wf.submit()
    assert wf.query_status() == "Succeeded"
    assert wf.query_step(key="sq-2")[0].outputs.parameters["c"].value == 102
    assert sorted(wf.query_keys_of_steps()) == ["sq-0", "sq-1", "sq-2"]


def test_big_parameter_through_nested_steps():
    """A BigParameter holding a user object crosses a nested Steps' InputParameter/OutputParameter and round-trips (test_big_parameter)."""
    steps = Steps("nested", inputs=Inputs(parameters={"foo": InputParameter()}),
                  outputs=Outputs(parameters={"foo": OutputParameter()}))
    step1 = Step("step1", PythonOPTemplate(DuplicateHello),
                 parameters={"foo": steps.inputs.parameters["foo"]}, key="step1")
    steps.add(step1)
    step2 = Step("step2", PythonOPTemplate(DuplicateHello),
                 parameters={"foo": step1.outputs.parameters["foo"]}, key="step2")
    steps.add(step2)
    steps.outputs.parameters["foo"].value_from_parameter = step2.outputs.parameters["foo"]

    wf = Workflow("big-param")
    outer = Step("outer", steps, parameters={"foo": Hello("hello")})
    wf.add(outer)
    wf.add(Step("unwrap", PythonOPTemplate(Unwrap),
                parameters={"foo": outer.outputs.parameters["foo"]}))
    wf.submit()
    assert wf.query_status() == "Succeeded"
    out = wf.query_step(name="unwrap")[0].outputs.parameters
    assert out["msg"].value == "hello" * 4
    assert out["cls"].value == "Hello"


class Grow(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"data": BigParameter(dict)})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"data": BigParameter(dict)})

    @OP.exec_sign_check
    def execute(self, op_in):
        data = dict(op_in["data"])
        data["items"] = data["items"] + [len(data["items"])]
        return OPIO({"data": data})


def test_big_parameter_dict_through_nested_steps():
    """A BigParameter(dict) flows into a nested Steps, through two steps and out via value_from_parameter."""
    steps = Steps("grow-twice", inputs=Inputs(parameters={"data": InputParameter()}),
                  outputs=Outputs(parameters={"data": OutputParameter()}))
    g1 = Step("g1", PythonOPTemplate(Grow), parameters={"data": steps.inputs.parameters["data"]})
    steps.add(g1)
    g2 = Step("g2", PythonOPTemplate(Grow), parameters={"data": g1.outputs.parameters["data"]})
    steps.add(g2)
    steps.outputs.parameters["data"].value_from_parameter = g2.outputs.parameters["data"]
    wf = Workflow("big-dict")
    outer = Step("outer", steps, parameters={"data": {"name": "x", "items": [0]}})
    wf.add(outer)
    wf.add(Step("last", PythonOPTemplate(Grow), parameters={"data": outer.outputs.parameters["data"]}))
    wf.submit()
    assert wf.query_status() == "Succeeded"
    assert wf.query_step(name="last")[0].outputs.parameters["data"].value == \
        {"name": "x", "items": [0, 1, 2, 3]}


def test_shell_op_template_parameters_and_artifacts_under_tmp():
    """ShellOPTemplate: {{inputs.parameters.x}} in the script, value_from_path outputs and /tmp artifacts."""
    Path("in.txt").write_text("line\n")
    template = ShellOPTemplate(
        name="shell-hello", image="alpine:latest",
        script="mkdir -p /tmp/out && "
               "for i in $(seq {{inputs.parameters.n}}); do cat /tmp/in/in.txt >> /tmp/out/rep.txt; done"
               " && echo -n {{inputs.parameters.msg}}-$(wc -l < /tmp/out/rep.txt | tr -d ' ')"
               " > /tmp/msg.txt")
    template.inputs.parameters = {"msg": InputParameter(), "n": InputParameter(value=2)}
    template.inputs.artifacts = {"src": InputArtifact(path="/tmp/in")}
    template.outputs.parameters = {"msg": OutputParameter(value_from_path="/tmp/msg.txt")}
    template.outputs.artifacts = {"rep": OutputArtifact(path="/tmp/out")}
    wf = Workflow("shell")
    wf.add(Step("hello", template, parameters={"msg": "hi", "n": 3},
                artifacts={"src": upload_artifact("in.txt")}))
    wf.submit()
    assert wf.query_status() == "Succeeded"
    step = wf.query_step(name="hello")[0]
    assert step.outputs.parameters["msg"].value == "hi-3"
    download_artifact(step.outputs.artifacts["rep"], path="dl")
    found = [p for p in Path("dl").rglob("rep.txt")]
    assert len(found) == 1 and found[0].read_text() == "line\n" * 3
