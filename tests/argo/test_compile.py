"""Specific promises of the compiler: compact fan-outs, Argo-correct fields, early errors, no
secrets, and a compiled Python OP script that really runs (through the loader, locally)."""
import json
from typing import List

import pytest

from dflow_nb import (DAG, InputParameter, Inputs, ShellOPTemplate, Step, Task, ValidationError,
                      Workflow)
from dflow_nb.argo import script as script_mod
from dflow_nb.argo.compile import compile_workflow, reuse_cache_configmap, uploads_of
from dflow_nb.python import OP, OPIO, OPIOSign, PythonOPTemplate, Slices


class Square(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"x": int})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"y": int})

    @OP.exec_sign_check
    def execute(self, op_in):
        return OPIO({"y": op_in["x"] ** 2})


class Total(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"values": List[int]})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"total": int})

    @OP.exec_sign_check
    def execute(self, op_in):
        return OPIO({"total": sum(op_in["values"])})


def _sliced(n):
    wf = Workflow("big-fanout")
    wf.add(Step("sq", PythonOPTemplate(Square, slices=Slices(input_parameter=["x"],
                                                              output_parameter=["y"])),
                parameters={"x": list(range(n))}))
    return wf


def _steps(m):
    return [s for t in m["spec"]["templates"] for g in t.get("steps") or [] for s in g]


def test_ten_thousand_slices_stay_one_parameter_and_one_sequence():
    m = compile_workflow(_sliced(10_000))
    step = _steps(m)[0]
    assert step["withSequence"] == {"count": "10000"}
    assert "withItems" not in step
    sizes = len(json.dumps(compile_workflow(_sliced(10)))), len(json.dumps(m))
    assert sizes[1] - sizes[0] < 60_000  # only the literal list itself grows


def test_with_param_literal_list_is_one_json_string():
    tmpl = ShellOPTemplate(name="t", script="echo {{inputs.parameters.x}}",
                           inputs=Inputs(parameters={"x": InputParameter()}))
    wf = Workflow("wp")
    wf.add(Step("s", tmpl, parameters={"x": "{{item}}"}, with_param=list(range(1000))))
    step = _steps(compile_workflow(wf))[0]
    assert isinstance(step["withParam"], str) and json.loads(step["withParam"])[-1] == 999


def test_inferred_depends_and_legacy_dependencies_with_continue_on():
    tmpl = ShellOPTemplate(name="t", script="echo")
    a, b = Task("a", tmpl), Task("b", tmpl, continue_on_failed=True)
    c = Task("c", tmpl, dependencies=["a"])
    dag = DAG("d", tasks=[a, b, c, Task("e", tmpl, dependencies=[a, b]),
                          Task("f", tmpl, depends="a.Failed")])
    tasks = {t["name"]: t for t in compile_workflow(Workflow("dd", dag=dag))["spec"]
             ["templates"][0]["dag"]["tasks"]}
    assert tasks["c"]["dependencies"] == ["a"]
    assert tasks["e"]["dependencies"] == ["a", "b"]
    assert tasks["f"]["depends"] == "a.Failed"
    assert tasks["b"]["continueOn"] == {"failed": True}


def test_credentials_in_envs_are_refused_and_secret_refs_pass():
    bad = ShellOPTemplate(name="t", script="echo", envs={"AWS_SECRET_KEY": "abc"})
    wf = Workflow("sec")
    wf.add(Step("s", bad))
    with pytest.raises(ValidationError, match="credential"):
        compile_workflow(wf)
    good = ShellOPTemplate(name="t", script="echo", envs={
        "AWS_SECRET_KEY": {"secretKeyRef": {"name": "s3", "key": "secret"}}})
    wf = Workflow("sec")
    wf.add(Step("s", good))
    env = compile_workflow(wf)["spec"]["templates"][1]["script"]["env"]
    assert env == [{"name": "AWS_SECRET_KEY", "valueFrom": {"secretKeyRef": {
        "name": "s3", "key": "secret"}}}]


def test_errors_name_the_step_and_field():
    tmpl = ShellOPTemplate(name="t", script="echo")
    wf = Workflow("par")
    wf.add(Step("s", tmpl, with_param=[1], parallelism=2))
    with pytest.raises(ValidationError, match="step 's'.*parallelism"):
        compile_workflow(wf)


def test_python_packages_are_listed_for_upload():
    wf = _sliced(2)
    m = compile_workflow(wf)
    uploads = uploads_of(m)
    assert any(p.endswith("dflow_nb") for paths in uploads.values() for p in paths)


def test_reuse_step_memoizes_keyed_templates():
    wf = Workflow("reuse")
    wf.add(Step("s", PythonOPTemplate(Square), parameters={"x": 1}, key="k1"))
    m = compile_workflow(wf, reuse_step=[object()])
    memo = m["spec"]["templates"][1]["memoize"]
    assert memo["key"] == "{{inputs.parameters.dflow_key}}"

    class Rec:
        key, id, raw_outputs = "k1", "n1", {"parameters": [{"name": "y", "value": "1"}]}

    cm = reuse_cache_configmap("reuse", [Rec()])
    assert cm["metadata"]["name"] == memo["cache"]["configMap"]["name"]
    assert cm["metadata"]["labels"]["workflows.argoproj.io/configmap-type"] == "Cache"
    assert json.loads(cm["data"]["k1"])["outputs"]["parameters"][0]["value"] == "1"


@pytest.mark.parametrize("mode", ["source", "pickle"])
def test_compiled_python_script_runs_like_the_model(mode, monkeypatch):
    """The generated script is exercised for real: compile, load back as plain script templates,
    run on the local engine, and compare with the model's own run."""
    if mode == "source":
        monkeypatch.setattr(script_mod, "_import_path", lambda op: None)
    else:
        monkeypatch.setattr(script_mod, "source_bundle", lambda op: None)
        monkeypatch.setattr(script_mod, "_import_path", lambda op: None)

    def build():
        wf = Workflow("script-run")
        sq = Step("sq", PythonOPTemplate(Square, slices=Slices(
            input_parameter=["x"], output_parameter=["y"]), upload_dflow=False),
            parameters={"x": [1, 2, 3]}, key="sq-{{item}}")
        wf.add(sq)
        wf.add(Step("total", PythonOPTemplate(Total, upload_dflow=False),
                    parameters={"values": sq.outputs.parameters["y"]}))
        return wf

    original = build()
    original.submit(wait=True)
    loaded = Workflow.from_dict(compile_workflow(build()))
    assert loaded.submit(wait=True).phase == "Succeeded"

    def total(wf):
        step = wf.query_step(name="total")[0]
        return json.loads(step.raw_outputs["parameters"][0]["value"])

    assert total(loaded) == total(original) == 14
    assert sorted(s.key for s in loaded.query_step() if s.key) == ["sq-0", "sq-1", "sq-2"]
