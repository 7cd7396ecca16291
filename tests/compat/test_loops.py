"""Loops: with_param lists and argo_range/argo_len, with_sequence/argo_sequence with format, argo_enumerate."""
from typing import List

from dflow_nb import Step, Workflow, argo_enumerate, argo_len, argo_range, argo_sequence
from dflow_nb.python import OP, OPIO, OPIOSign, PythonOPTemplate


class Echo(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"value": str})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"value": str})

    @OP.exec_sign_check
    def execute(self, op_in):
        return OPIO({"value": "<" + op_in["value"] + ">"})


class MakeList(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"n": int})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"names": List[str]})

    @OP.exec_sign_check
    def execute(self, op_in):
        return OPIO({"names": ["n%d" % i for i in range(op_in["n"])]})


class Pair(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"order": int, "value": str})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"label": str})

    @OP.exec_sign_check
    def execute(self, op_in):
        return OPIO({"label": "%d=%s" % (op_in["order"], op_in["value"])})


def _values(wf, name, field="value"):
    return [s.outputs.parameters[field].value
            for s in wf.query_step(name=name, type="Pod")]


def test_with_sequence_count_and_format():
    """argo_sequence(count, start, format="%03d") yields zero-padded string items like Argo withSequence."""
    wf = Workflow("seq-format")
    wf.add(Step("echo", PythonOPTemplate(Echo), parameters={"value": "{{item}}"},
                with_sequence=argo_sequence(count=3, start=8, format="%03d")))
    wf.submit()
    assert wf.query_status() == "Succeeded"
    assert sorted(_values(wf, "echo")) == ["<008>", "<009>", "<010>"]


def test_with_sequence_start_end_descending():
    """argo_sequence(start=3, end=1) counts down inclusively (Argo: descending when end < start)."""
    wf = Workflow("seq-desc")
    wf.add(Step("echo", PythonOPTemplate(Echo), parameters={"value": "{{item}}"},
                with_sequence=argo_sequence(start=3, end=1)))
    wf.submit()
    assert wf.query_status() == "Succeeded"
    assert sorted(_values(wf, "echo")) == ["<1>", "<2>", "<3>"]


def test_with_param_literal_list_and_loop_aggregate():
    """with_param=[...] loops over the items; the loop's output parameter is the items' values in order."""
    wf = Workflow("param-list")
    echo = Step("echo", PythonOPTemplate(Echo), parameters={"value": "{{item}}"},
                with_param=["a", "b", "c"])
    wf.add(echo)
    wf.submit()
    assert wf.query_status() == "Succeeded"
    pods = wf.query_step(name="echo", type="Pod")
    assert [p.displayName for p in sorted(pods, key=lambda p: p.displayName)] == \
        ["echo(0:a)", "echo(1:b)", "echo(2:c)"]
    assert sorted(_values(wf, "echo")) == ["<a>", "<b>", "<c>"]


def test_with_param_argo_range_of_argo_len_of_a_step_output():
    """with_param=argo_range(argo_len(out)) loops over a list produced at run time; items index it."""
    wf = Workflow("range-len")
    make = Step("make", PythonOPTemplate(MakeList), parameters={"n": 3})
    wf.add(make)
    wf.add(Step("echo", PythonOPTemplate(Echo),
                parameters={"value": "{{item}}"},
                with_param=argo_range(argo_len(make.outputs.parameters["names"]))))
    wf.submit()
    assert wf.query_status() == "Succeeded"
    assert sorted(_values(wf, "echo")) == ["<0>", "<1>", "<2>"]


def test_with_param_over_a_step_output_list():
    """with_param=step.outputs.parameters["names"] loops over the JSON list another step produced."""
    wf = Workflow("param-output")
    make = Step("make", PythonOPTemplate(MakeList), parameters={"n": 2})
    wf.add(make)
    wf.add(Step("echo", PythonOPTemplate(Echo), parameters={"value": "{{item}}"},
                with_param=make.outputs.parameters["names"]))
    wf.submit()
    assert wf.query_status() == "Succeeded"
    assert sorted(_values(wf, "echo")) == ["<n0>", "<n1>"]


def test_argo_enumerate_gives_order_and_value():
    """argo_enumerate(list_output) items carry {{item.order}} and {{item.value}}."""
    wf = Workflow("enumerate")
    make = Step("make", PythonOPTemplate(MakeList), parameters={"n": 3})
    wf.add(make)
    wf.add(Step("pair", PythonOPTemplate(Pair),
                parameters={"order": "{{item.order}}", "value": "{{item.value}}"},
                with_param=argo_enumerate(make.outputs.parameters["names"])))
    wf.submit()
    assert wf.query_status() == "Succeeded"
    assert sorted(_values(wf, "pair", "label")) == ["0=n0", "1=n1", "2=n2"]


def test_with_sequence_count_zero_is_skipped():
    """An empty withSequence (count=0) is one Skipped node "Skipped, empty params"; the workflow Succeeds."""
    wf = Workflow("seq-empty")
    wf.add(Step("echo", PythonOPTemplate(Echo), parameters={"value": "{{item}}"},
                with_sequence=argo_sequence(count=0)))
    wf.submit()
    assert wf.query_status() == "Succeeded"
    skipped = wf.query_step(name="echo", phase="Skipped")
    assert len(skipped) == 1 and skipped[0].message == "Skipped, empty params"
